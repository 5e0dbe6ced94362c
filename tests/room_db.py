"""The workflow database for the recount-room tests: SQLite in the test's folder, and a fresh PostgreSQL schema
(conftest's `postgres_url`: skipped without TALLYCHECK_TEST_POSTGRES, failing under CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tallycheck.workflow.database import open_workflow

BACKENDS = ("sqlite", "postgres")


def fresh_workflow(backend: str, folder: Path, request: pytest.FixtureRequest):
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    engine = open_workflow(folder, url)
    request.addfinalizer(engine.dispose)  # before the schema is dropped
    return engine
