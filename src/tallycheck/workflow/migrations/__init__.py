"""The workflow database's schema migrations (Alembic), run from code: no alembic.ini at run time.

`upgrade(engine)` brings a database to the newest revision, in one transaction that holds the migration lock
(SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock), so two servers starting together
on one database migrate it once, and a failed migration leaves the database as it was. `open_workflow` calls
it.

A store made before migrations existed (its tables, no `alembic_version`) is stamped at the revision that made
the tables it has, then upgraded. Writing a new revision: docs/recount-room.md, "Deployment", and
tools/workflow_migration.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from ..transactions import writing

SCRIPTS = Path(__file__).resolve().parent

# Stores made before migrations existed, newest first: a table that only this revision (or a later one) made.
# Main made the accounts tables with create_all for a few commits (eedfeef..5ed66d8) before migrations landed.
# Complete for good: every store made since carries its revision in `alembic_version`.
_PRE_MIGRATION = (("0003_accounts", "users"), ("0002_event_log", "events"), ("0001_audit_tables", "audits"))

# Alembic's `context` and `op` are module-wide proxies: two threads migrating two databases at once would
# share them. Taken after the database's own lock, so the order of the two locks is always the same.
_ALEMBIC = threading.Lock()

# pg_advisory_xact_lock's key: any fixed number; this one is the ASCII of "tallymig".
_PG_LOCK = 0x74616C6C796D6967


class MigrationError(Exception):
    """The database cannot be brought to this tallycheck's schema (a newer tallycheck made it, ...)."""


@dataclass(frozen=True, slots=True)
class Migration:
    """What `upgrade` found and did: revisions before and after (None: no revision), and the steps it ran."""
    before: str | None
    after: str
    stamped: str | None  # a pre-migration store recognised as this revision
    applied: tuple[str, ...]  # revisions run, oldest first


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """The Config that alembic's commands need, built in code."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # the ini format's interpolation
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def revisions() -> tuple[str, ...]:
    """Every revision, oldest first."""
    return tuple(reversed([s.revision for s in _scripts().walk_revisions()]))


def current_revision(engine_or_conn: Engine | Connection) -> str | None:
    """The revision the database is at (None: a new database, or one made before migrations)."""
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return current_revision(conn)
    return MigrationContext.configure(engine_or_conn).get_current_revision()


# A new, empty database is made from `metadata` and stamped at head, with the rows the revisions write
# (`_new_rows`). The same database as running every revision (tests/test_migrations.py compares tables and rows),
# at a third less time: alembic builds each table's objects anew in Python (measured on 14 tables, SQLite,
# loaded machine: 190-237 ms against 307-372 ms per new database; the test suite makes hundreds).


def _new_rows() -> list[tuple[Any, list[dict[str, Any]]]]:
    from ...evidence.chain import GENESIS
    from ..schema import log_head

    return [(log_head, [{"id": 1, "seq": 0, "sha256": GENESIS}])]  # 0002_event_log


def _make_new(conn: Connection) -> None:
    from ..schema import metadata

    metadata.create_all(conn)
    for table, rows in _new_rows():
        conn.execute(table.insert(), rows)
    MigrationContext.configure(conn).stamp(_scripts(), "head")


def upgrade(engine: Engine, *, through_revisions: bool = False) -> Migration:
    """Bring the database to the head revision (nothing to do: one query). `through_revisions`: make a new
    database by running every revision, not from the code's tables (tools/workflow_migration.py must)."""
    head = head_revision()
    before = current_revision(engine)
    if before == head:
        return Migration(before, head, None, ())
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        before = current_revision(conn)  # another process may have migrated it while we waited for the lock
        if before == head:
            return Migration(before, head, None, ())
        order = revisions()
        if before is not None and before not in order:
            raise MigrationError(f"the workflow database is at revision {before}, which this tallycheck does "
                                 f"not know (its newest is {head}): a newer tallycheck made it; upgrade "
                                 "tallycheck")
        tables = set(inspect(conn).get_table_names()) - {"alembic_version"} if before is None else None
        if tables == set() and not through_revisions:
            _make_new(conn)
            return Migration(None, head, None, order)
        stamped = None
        with _ALEMBIC:
            if tables:
                stamped = next((rev for rev, table in _PRE_MIGRATION if table in tables), None)
                if stamped is not None:
                    command.stamp(alembic_config(conn), stamped)
            command.upgrade(alembic_config(conn), "head")
        start = stamped or before
        applied = order[order.index(start) + 1:] if start is not None else order
        return Migration(before, head, stamped, applied)
