"""The workflow database's migrations: head equals the tables the code declares (a table added without a revision
fails here), stores made before migrations are recognised and upgraded, migrations are all or nothing, and
servers starting together migrate once. SQLite and PostgreSQL (the `workflow_engine` fixture, conftest.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, func, insert, inspect, select, text

from tallycheck.workflow import migrations
from tallycheck.workflow.audits import create_audit, current_audit
from tallycheck.workflow.database import open_workflow, workflow_url, writing
from tallycheck.workflow.transactions import sqlite_transactions
from tallycheck.workflow.event_log import append, entries, head, log_event
from tallycheck.workflow.migrations import MigrationError, alembic_config, current_revision, head_revision, upgrade
from tallycheck.workflow.schema import log_head, metadata

FIRST, EVENT_LOG = "0001_audit_tables", "0002_event_log"


def _differences(engine: Engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)


@pytest.mark.parametrize("through_revisions", [False, True], ids=["new-database", "every-revision"])
def test_head_is_what_the_code_declares(workflow_engine, through_revisions):
    """Every table, column, type, key and constraint of schema.py's `metadata` is made by the migrations, and
    nothing else. A failure lists the differences: write the missing revision (tools/workflow_migration.py)."""
    if through_revisions:  # down to nothing, then up through every revision, not the new database's shortcut
        with writing(workflow_engine) as conn:
            command.downgrade(alembic_config(conn), "base")
        assert upgrade(workflow_engine, through_revisions=True).applied == migrations.revisions()
    assert current_revision(workflow_engine) == head_revision()
    assert _differences(workflow_engine) == []


def test_a_difference_is_seen(tmp_path):
    """The comparison above can fail: a database one revision behind lacks the event log's tables."""
    engine = _bare_sqlite(tmp_path)
    with writing(engine) as conn:
        command.upgrade(alembic_config(conn), FIRST)
    got = _differences(engine)
    assert {"events", "log_head"} <= {d[1].name for d in got if d[0] == "add_table"}


def test_revisions_form_one_line_from_the_first():
    order = migrations.revisions()
    assert order[:2] == (FIRST, EVENT_LOG) and order[-1] == head_revision()
    assert len(migrations._scripts().get_heads()) == 1  # two heads: two helpers added revisions on one parent


def test_a_new_database_gets_the_log_head_row(workflow_engine):
    assert head(workflow_engine) == (0, "0" * 64)
    with workflow_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(log_head)).scalar() == 1


def test_upgrading_a_database_at_head_does_nothing(workflow_engine):
    done = upgrade(workflow_engine)
    assert (done.before, done.after, done.stamped, done.applied) == (head_revision(), head_revision(), None, ())


def _rows(engine: Engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}")).all()))
                for t in sorted(inspect(conn).get_table_names())}


def test_a_new_database_is_the_same_made_either_way(tmp_path):
    """A new database is made from the code's tables and stamped (faster); it must equal one made by running
    every revision, tables and rows (a revision that writes rows must add them to `_new_rows` too)."""
    quick = open_workflow(tmp_path / "quick")
    slow = open_workflow(tmp_path / "slow", create=False)
    upgrade(slow, through_revisions=True)
    assert _differences(quick) == [] and _differences(slow) == []
    assert _rows(quick) == _rows(slow) and _rows(quick)["log_head"] == [(1, 0, "0" * 64)]


def _bare_sqlite(root: Path) -> Engine:
    engine = create_engine(workflow_url(root))
    sqlite_transactions(engine)
    return engine


def _pre_migration_store(engine: Engine, revision: str) -> None:
    """A store as tallycheck made it before migrations existed: the tables of `revision`, no alembic_version."""
    with writing(engine) as conn:
        command.upgrade(alembic_config(conn), revision)
        conn.execute(text("DROP TABLE alembic_version"))


def _audit(engine: Engine) -> int:
    return create_audit(engine, version="v1", snapshot_sha256="ab" * 32, risk_limit="0.05",
                        design="batch-comparison", risk_function="betting", params={}, recounts={"S9": "c 12"})


def test_a_store_from_before_the_recount_room_is_stamped_and_upgraded(tmp_path):
    """The audit tables alone (main before issue 7): recognised as 0001, upgraded, its audit kept, log started."""
    engine = _bare_sqlite(tmp_path)
    _pre_migration_store(engine, FIRST)
    audit_id = _audit(engine)
    engine.dispose()
    engine = _bare_sqlite(tmp_path)
    done = upgrade(engine)
    assert (done.before, done.stamped) == (None, FIRST) and done.applied[0] == EVENT_LOG
    assert current_audit(engine).audit_id == audit_id and current_audit(engine).recounts == ("S9",)
    log_event(engine, actor="cli:test", role="cli", event="test.after-upgrade", payload={})
    assert head(engine)[0] == 1 and _differences(engine) == []


def test_a_store_with_the_event_log_from_before_migrations_keeps_its_log(tmp_path):
    engine = _bare_sqlite(tmp_path)
    _pre_migration_store(engine, EVENT_LOG)
    for i in range(3):
        log_event(engine, actor="cli:test", role="cli", event="test.before", payload={"i": i})
    before = head(engine)
    done = upgrade(engine)
    assert done.stamped == EVENT_LOG and head(engine) == before and len(entries(engine)) == 3


def test_a_store_with_accounts_from_before_migrations_is_recognised(tmp_path):
    engine = _bare_sqlite(tmp_path)
    _pre_migration_store(engine, "0003_accounts")
    done = upgrade(engine)
    assert (done.before, done.stamped) == (None, "0003_accounts") and _differences(engine) == []


def test_a_failed_migration_changes_nothing(workflow_engine):
    """0002 makes `events`, then fails on a `log_head` already there: the whole upgrade is rolled back, `events`
    included (transactional DDL on both backends), and the database stays at 0001."""
    with writing(workflow_engine) as conn:
        command.downgrade(alembic_config(conn), FIRST)
        conn.execute(text("CREATE TABLE log_head (squatter INTEGER)"))
    with pytest.raises(Exception, match="(?i)log_head"):
        upgrade(workflow_engine)
    assert current_revision(workflow_engine) == FIRST
    assert "events" not in inspect(workflow_engine).get_table_names()


def test_a_database_from_a_newer_tallycheck_is_refused(workflow_engine):
    with writing(workflow_engine) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999_from_the_future'"))
    with pytest.raises(MigrationError, match="0999_from_the_future.*newer tallycheck"):
        upgrade(workflow_engine)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_servers_starting_together_migrate_once(backend, tmp_path, request):
    """Six processes' worth of open_workflow on one new database at once: one migrates, the others wait for its
    lock and find it done; one revision row, one head row, no error."""
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    results, errors = [], []
    start = threading.Barrier(6)

    def open_it() -> None:
        try:
            start.wait()
            engine = open_workflow(tmp_path, url)
            results.append(current_revision(engine))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == [head_revision()] * 6
    engine = open_workflow(tmp_path, url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert conn.execute(select(func.count()).select_from(log_head)).scalar() == 1
    with writing(engine) as conn:
        append(conn, actor="cli:test", role="cli", event="test.after-race", payload={})
    assert head(engine)[0] == 1
    engine.dispose()


def test_cli_db_current_and_upgrade(tmp_path, tc):
    package = tmp_path / "pkg"
    package.mkdir()
    code, stdout, _ = tc("db", "current", str(package))
    assert code == 1 and "No workflow database yet" in stdout
    assert not (package / ".tallycheck" / "workflow.sqlite").exists()  # looking made nothing
    (package / ".tallycheck").mkdir()
    _pre_migration_store(_bare_sqlite(package / ".tallycheck"), FIRST)
    code, stdout, _ = tc("db", "current", str(package))
    assert code == 1 and "made before migrations" in stdout
    code, stdout, _ = tc("db", "upgrade", str(package))
    assert code == 0 and f"as revision {FIRST}" in stdout and f"Applied {EVENT_LOG}" in stdout
    code, stdout, _ = tc("db", "current", str(package))
    assert code == 0 and f"revision {head_revision()} (the newest)" in stdout
    code, stdout, _ = tc("db", "upgrade", str(package), "--db", "mysql://x")
    assert code == 2


def test_threads_migrating_different_databases_at_once(tmp_path):
    """Alembic's `context` and `op` are module-wide: without tallycheck's lock around them, two threads upgrading
    two databases at once run each other's migrations on the wrong connection."""
    results, errors = {}, []
    start = threading.Barrier(4)

    def open_it(k: int) -> None:
        try:
            start.wait()
            engine = open_workflow(tmp_path / f"store{k}")
            results[k] = (current_revision(engine), _differences(engine))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=open_it, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == {k: (head_revision(), []) for k in range(4)}


def test_ci_cannot_pass_by_skipping_postgres(monkeypatch):
    """Without TALLYCHECK_TEST_POSTGRES a developer's run skips the PostgreSQL half; CI's (CI=true) fails it."""
    from conftest import POSTGRES_ENV, postgres_test_url

    monkeypatch.delenv(POSTGRES_ENV, raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="unset under CI=true"):
        postgres_test_url()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="tools/test_postgres.sh start"):
        postgres_test_url()


def test_the_revision_tool_sees_a_table_without_a_revision(capsys):
    """tools/workflow_migration.py --check compares what the revisions make with what the code declares."""
    import importlib.util

    from sqlalchemy import Column, Integer, Table

    spec = importlib.util.spec_from_file_location(
        "workflow_migration", Path(__file__).resolve().parents[1] / "tools" / "workflow_migration.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(["--check"]) == 0
    probe = Table("probe_without_revision", metadata, Column("probe_id", Integer, primary_key=True))
    try:
        assert tool.main(["--check"]) == 1
    finally:
        metadata.remove(probe)
    assert "probe_without_revision" in capsys.readouterr().out
    assert tool.next_revision_id("Complaints: filed, decided & recount orders!") == \
        f"{len(migrations.revisions()) + 1:04d}_complaints_filed_decided_recount_orders"


def test_entries_logged_before_the_station_index_are_indexed_by_its_revision(tmp_path):
    """0006 adds `event_stations`; a log written before it is indexed by the rule new entries follow, so a
    station page shows the old entries too."""
    import json

    from tallycheck.evidence.canonical import canonical_json
    from tallycheck.evidence.chain import next_entry
    from tallycheck.workflow.schema import events, log_head
    from tallycheck.workflow.station_history import station_history

    engine = open_workflow(tmp_path, create=False)
    with writing(engine) as conn:
        command.upgrade(alembic_config(conn), "0005_complaints")
    prev = None
    with writing(engine) as conn:
        for payload in ({"station_id": "S1"}, {"stations": ["S2", "S1", 7]}, {"station": "S1"}, {}):
            e = prev = next_entry(prev, time="2021-10-12T00:00:00+00:00", actor="a", role="admin", event="x",
                                  payload=payload)
            conn.execute(events.insert().values(seq=e.seq, time=e.time, actor=e.actor, role=e.role, event=e.event,
                                                payload=canonical_json(e.payload).decode(), sha256=e.sha256,
                                                payload_sha256=e.payload_sha256, prev_sha256=e.prev_sha256))
        conn.execute(log_head.update().values(seq=prev.seq, sha256=prev.sha256))
    upgrade(engine)
    assert [e.seq for e in station_history(engine, "S1")] == [1, 2]  # not 3: `station` is not a station key
    assert [e.seq for e in station_history(engine, "S2")] == [2]
    assert json.loads(canonical_json(station_history(engine, "S2")[0].payload)) == {"stations": ["S2", "S1", 7]}
    log_event(engine, actor="a", role="admin", event="y", payload={"station_id": "S2"})
    assert [e.seq for e in station_history(engine, "S2")] == [2, 5]
