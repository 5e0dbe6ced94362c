"""Write the next workflow-database migration from the tables the code declares (alembic autogenerate).

    .venv/bin/python tools/workflow_migration.py "accounts and sessions"  # 0003_accounts_and_sessions.py
    .venv/bin/python tools/workflow_migration.py --check                  # exit 1 while one is missing

It brings a new, empty SQLite database (or --db URL: an empty PostgreSQL database or schema) to the newest
revision, compares it with `tallycheck.workflow.schema.metadata`, and writes what differs as the next numbered
revision in src/tallycheck/workflow/migrations/versions/. Read the file before committing it: autogenerate
does not write rows a table needs (see 0002's head row), server defaults or renames (it sees a drop and an
add).
tests/test_migrations.py then checks that the new head equals the code's tables on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tallycheck.workflow.database import open_workflow
from tallycheck.workflow.migrations import SCRIPTS, alembic_config, revisions, upgrade
from tallycheck.workflow.schema import metadata


def next_revision_id(message: str) -> str:
    number = max(int(r.split("_", 1)[0]) for r in revisions()) + 1
    slug = ""
    for word in re.findall(r"[a-z0-9]+", message.lower()):  # whole words, up to 40 characters
        if slug and len(slug) + 1 + len(word) > 40:
            break
        slug = f"{slug}_{word}" if slug else word[:40]
    if not slug:
        raise SystemExit("the message must contain letters or digits: it names the revision's file")
    return f"{number:04d}_{slug}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("message", nargs="?", help="what the revision adds, e.g. 'accounts and sessions'")
    parser.add_argument("--check", action="store_true",
                        help="only say whether a revision is missing (exit 1)")
    parser.add_argument("--db", help="an empty database to compare against (default: a new SQLite file)")
    args = parser.parse_args(argv)
    if not args.check and not args.message:
        parser.error("give the revision's message, or --check")
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_workflow(Path(tmp), args.db, create=False)
        upgrade(engine, through_revisions=True)  # what the revisions make, not what the code declares
        url = engine.url.render_as_string(hide_password=False)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
        engine.dispose()
        if args.check:
            for d in differences:
                print(d)
            print("the migrations make every table the code declares" if not differences else
                  f"{len(differences)} difference(s): write a revision (tools/workflow_migration.py MESSAGE)")
            return 1 if differences else 0
        if not differences:
            print("nothing to write: the newest revision already makes every table the code declares")
            return 1
        cfg = alembic_config(url=url)
        cfg.set_main_option("file_template", "%%(rev)s")
        rev_id = next_revision_id(args.message)
        command.revision(cfg, message=args.message, autogenerate=True, rev_id=rev_id)
    print(f"wrote {SCRIPTS / 'versions' / (rev_id + '.py')}: read it, then run tests/test_migrations.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
