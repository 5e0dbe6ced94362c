"""`tallycheck db ...`: the workflow database's schema revision, and its upgrade, for operators.

Every command that opens the workflow database upgrades it already; `db upgrade` does it on purpose (before a
server starts, after a backup) and says what it did, and `db current` only looks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import EXIT_PROBLEMS, JsonOpt, PackageArg, StoreOpt, UsageProblem, check_package, open_store
from .terminal import err, out, print_json

db_app = typer.Typer(help="The workflow database (audits, hand counts, accounts, the event log): schema "
                          "revision and upgrade.", no_args_is_help=True)

DbOpt = Annotated[Optional[str], typer.Option(
    "--db", help="Database URL, e.g. postgresql://user@host:5432/tallycheck [default: SQLite in the store, "
                 "PACKAGE/.tallycheck/workflow.sqlite].", show_default=False)]


def _where(package: Path, store: Path | None, db: str | None) -> tuple[Path, str | None]:
    check_package(package)
    if db is not None and not db.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
        raise UsageProblem(f"--db must be a sqlite:///PATH or postgresql://USER@HOST:PORT/NAME URL; "
                           f"got {db!r}.")
    return open_store(package, store).root, db


def _shown(engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade(package: PackageArg, db: DbOpt = None, store: StoreOpt = None,
               as_json: JsonOpt = False) -> None:
    """Bring the workflow database to this tallycheck's schema (made if new; one transaction, all or
    nothing)."""
    from .workflow.database import open_workflow
    from .workflow.migrations import MigrationError, upgrade

    root, url = _where(package, store, db)
    engine = open_workflow(root, url, create=False)
    try:
        done = upgrade(engine)
    except MigrationError as exc:
        err.print(f"Error: {exc}", markup=False, highlight=False)
        raise typer.Exit(EXIT_PROBLEMS) from None
    finally:
        engine.dispose()
    if as_json:
        print_json({"database": _shown(engine), "before": done.before, "stamped": done.stamped,
                    "applied": list(done.applied), "revision": done.after})
        return
    if done.stamped is not None:
        out.print(f"Recognised a database made before migrations as revision {done.stamped}.", markup=False)
    if done.applied:
        out.print(f"Applied {', '.join(done.applied)}.", markup=False)
    state = "now at" if done.applied or done.stamped else "already at"
    out.print(f"{_shown(engine)}: {state} revision {done.after} (the newest).", markup=False, highlight=False)


@db_app.command("current")
def db_current(package: PackageArg, db: DbOpt = None, store: StoreOpt = None,
               as_json: JsonOpt = False) -> None:
    """Show the workflow database's schema revision (changes nothing). Exit 1 when it is not the newest."""
    from sqlalchemy import inspect

    from .workflow.database import DATABASE, open_workflow
    from .workflow.migrations import current_revision, head_revision, revisions

    root, url = _where(package, store, db)
    head = head_revision()
    if url is None and not (root / DATABASE).is_file():
        revision, state, where = None, "none", str(root / DATABASE)
    else:
        engine = open_workflow(root, url, create=False)
        where = _shown(engine)
        try:
            with engine.connect() as conn:
                revision = current_revision(conn)
                tables = inspect(conn).get_table_names()
        finally:
            engine.dispose()
        known = revision is None or revision in revisions()
        state = ("newest" if revision == head else "newer" if not known else "behind" if revision is not None
                 else "before-migrations" if tables else "empty")
    if as_json:
        print_json({"database": where, "revision": revision, "head": head, "state": state})
    else:
        out.print({
            "newest": f"{where}: revision {revision} (the newest).",
            "behind": f"{where}: revision {revision}; the newest is {head}: run `tallycheck db upgrade`.",
            "newer": f"{where}: revision {revision}, which this tallycheck does not know (its newest is "
                     f"{head}): a newer tallycheck made it.",
            "before-migrations": f"{where}: made before migrations (tables, no revision); `tallycheck db "
                                 f"upgrade` recognises its revision and upgrades it to {head}.",
            "empty": f"{where}: an empty database; `tallycheck db upgrade` makes the tables ({head}).",
            "none": f"No workflow database yet at {where}; any workflow command (or `tallycheck db "
                    "upgrade`) makes it.",
        }[state], markup=False, highlight=False)
    if state != "newest":
        raise typer.Exit(EXIT_PROBLEMS)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
