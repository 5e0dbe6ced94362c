from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from package_builder import TINY


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A private copy of the tiny package (never the repository's fixture folder itself)."""
    dest = tmp_path / "tiny"
    shutil.copytree(TINY, dest, ignore=shutil.ignore_patterns(".tallycheck"))
    return dest


@pytest.fixture(autouse=True)
def _no_fsync(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync makes a snapshot survive a power cut, which no test here can observe; it costs ~40 ms per import on
    a slow disk. Skipped except for tests marked `real_fsync` (the atomicity tests keep the real write path)."""
    if request.node.get_closest_marker("real_fsync") is None:
        import os

        monkeypatch.setattr(os, "fsync", lambda fd: None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_fsync: keep os.fsync real (snapshot writes exactly as in production)")


@pytest.fixture
def tc(monkeypatch, capsys):
    """`tc("seats", package)` runs `tallycheck seats PACKAGE` in-process: (exit code, stdout, stderr)."""
    from cli_runner import run

    return lambda *args: run(monkeypatch, capsys, *args)


# --- The workflow database on both backends -------------------------------------------------------------------
# PostgreSQL's URL comes from TALLYCHECK_TEST_POSTGRES (tools/test_postgres.sh starts a throwaway cluster and
# prints it; .ci/run exports it). Unset, the PostgreSQL half skips on a developer's machine, but fails in CI
# (CI=true), so CI cannot pass by skipping it.
POSTGRES_ENV = "TALLYCHECK_TEST_POSTGRES"


def postgres_test_url() -> str:
    """The test cluster's URL, or skip (fail under CI) when there is none."""
    import os

    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{POSTGRES_ENV} is unset under CI=true: .ci/run must start PostgreSQL "
                    "(tools/test_postgres.sh start) and export its URL", pytrace=False)
    pytest.skip(f"no PostgreSQL: set {POSTGRES_ENV} (tools/test_postgres.sh start prints it); CI runs these")


@pytest.fixture(scope="session")
def _postgres_admin():
    """One connection pool to the test database, for making and dropping the tests' schemas."""
    from sqlalchemy import create_engine

    url = postgres_test_url()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT",
                           pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(_postgres_admin):
    """A `postgresql://` URL whose connections see a fresh, empty schema of their own (dropped after the test):
    a schema is made in a millisecond where a database takes a second."""
    import uuid
    from urllib.parse import quote

    from sqlalchemy import text

    schema = f"test_{uuid.uuid4().hex[:20]}"
    with _postgres_admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    base = postgres_test_url()
    yield f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}', safe='')}"
    with _postgres_admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def workflow_engine(request: pytest.FixtureRequest, tmp_path: Path):
    """The workflow database, migrated to head and empty: SQLite in tmp_path/store, then a PostgreSQL schema."""
    from tallycheck.workflow.database import open_workflow

    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    engine = open_workflow(tmp_path / "store", url)
    yield engine
    engine.dispose()  # before the schema is dropped: no pooled connection outlives its test
