"""Write transactions of the workflow database: the one way to change it (`writing`).

A write holds the lock from its first statement — SQLite `BEGIN IMMEDIATE`; on PostgreSQL the event log's head row
is locked by the first append — so a read followed by a write never races another writer, and a refused or
interrupted request changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event

_IMMEDIATE = "tallycheck_immediate"


def sqlite_transactions(engine: Engine) -> None:
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
