"""Alembic's environment for the workflow database.

tallycheck runs it from code (tallycheck.workflow.migrations builds the Config and hands over a connection
that already holds the migration lock, inside one transaction). The `alembic` command can run it too, with a
Config whose `sqlalchemy.url` names the database: tools/workflow_migration.py does that to write a new
revision.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from tallycheck.workflow.schema import metadata

# render_as_batch: SQLite alters a table by copying it, and autogenerate writes revisions that do so.
OPTIONS = {"target_metadata": metadata, "render_as_batch": True, "compare_type": True}


def _online(connection: Connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():  # inside the caller's transaction when there is one
        context.run_migrations()


if context.is_offline_mode():  # `--sql`: the statements for a database administrator to run
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
elif (given := context.config.attributes.get("connection")) is not None:
    _online(given)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        _online(connection)
    engine.dispose()
