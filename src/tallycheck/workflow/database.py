"""The workflow database: SQLite in the package's store by default, PostgreSQL for a multi-user server.

`writing(engine)` is the one way to change it: a transaction that holds the write lock from its first statement
(SQLite `BEGIN IMMEDIATE`; on PostgreSQL the event log's head row is locked by the first append), so a read
followed by a write never races another writer, and a refused or interrupted request changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine

from .migrations import upgrade
from .transactions import sqlite_transactions, writing  # noqa: F401 (writing: the one write path, re-exported)

DATABASE = "workflow.sqlite"


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
        sqlite_transactions(engine)
    if create:
        upgrade(engine)  # to the newest schema revision (a new database: the code's tables, stamped)
    return engine
