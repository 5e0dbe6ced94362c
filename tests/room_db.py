"""The workflow database for the recount-room tests: SQLite in the test's folder, and PostgreSQL at
$TALLYCHECK_TEST_POSTGRES when it is set (emptied first: the tests own that database)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from tallycheck.workflow.database import open_workflow

BACKENDS = ("sqlite", "postgresql")


def fresh_workflow(backend: str, folder: Path):
    if backend == "sqlite":
        return open_workflow(folder)
    url = os.environ.get("TALLYCHECK_TEST_POSTGRES")
    if not url:
        pytest.skip("TALLYCHECK_TEST_POSTGRES is not set")
    bare = open_workflow(folder, url, create=False)
    with bare.begin() as conn:  # whatever other parts' tests left there, with their foreign keys
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    bare.dispose()
    return open_workflow(folder, url)
