"""The workflow database: SQLite in the package's store by default, PostgreSQL for a multi-user server.

`writing(engine)` is the one way to change it: a transaction that holds the write lock from its first statement
(SQLite `BEGIN IMMEDIATE`; on PostgreSQL the event log's head row is locked by the first append), so a read
followed by a write never races another writer, and a refused or interrupted request changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

DATABASE = "workflow.sqlite"
_IMMEDIATE = "tallycheck_immediate"


def workflow_url(store_root: Path) -> str:
    return f"sqlite:///{(store_root / DATABASE).resolve()}"


def open_workflow(store_root: Path, url: str | None = None, *, create: bool = True) -> Engine:
    """The workflow database of a store (SQLite in the store folder unless `url` names another), upgraded to the
    newest schema revision (`create=False`: opened as it is, for `tallycheck db current`)."""
    if url is None:
        store_root.mkdir(parents=True, exist_ok=True)
        url = workflow_url(store_root)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]  # psycopg 3, not the default psycopg2
    engine = create_engine(url, **({"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
                                   if url.startswith("postgresql") else {}))
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    if create:
        # To the newest schema revision (a new database: the code's tables, stamped; see migrations/).
        from .migrations import upgrade  # the migrations import this module's `writing`

        upgrade(engine)
    return engine


def _sqlite_transactions(engine: Engine) -> None:
    """pysqlite's own transaction handling defers BEGIN and cannot take the write lock up front; SQLAlchemy's
    documented recipe hands BEGIN to us, and `writing()` asks for BEGIN IMMEDIATE."""
    @event.listens_for(engine, "connect")
    def _connect(conn: Any, _record: Any) -> None:
        conn.isolation_level = None
        cur = conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cur.execute("PRAGMA synchronous=FULL")  # a committed entry survives a power cut
        cur.execute("PRAGMA busy_timeout=30000")  # writers queue instead of failing
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_IMMEDIATE) else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed when the block ends, rolled back whole if it raises."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn
