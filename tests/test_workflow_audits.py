"""The workflow store's audit tables: one transaction per write, seeds entered once, corrections as amendments.

Each test runs on SQLite and on PostgreSQL (the `workflow_engine` fixture, tests/conftest.py)."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from sqlalchemy import func, select

from tallycheck.audit.hand_count import HandCount
from tallycheck.workflow.audits import (Draw, WorkflowError, add_round, create_audit, current_audit, draws,
                                        enter_seed, escalations, hand_counts, open_workflow, record_counts, rounds)
from tallycheck.workflow.schema import hand_sheets, recordings


def _audit(engine, **kw):
    args = dict(version="v1", snapshot_sha256="ab" * 32, risk_limit="0.05", design="batch-comparison",
                risk_function="betting", params={"error_rate": 0}, recounts={"S9": "complaint 12"})
    args.update(kw)
    return create_audit(engine, **args)


def test_create_and_read_back(workflow_engine):
    engine = workflow_engine
    audit_id = _audit(engine)
    got = current_audit(engine)
    assert got.audit_id == audit_id and got.risk_limit == "0.05" and got.recounts == ("S9",)
    assert got.seed is None and dict(got.params) == {"error_rate": 0}


def test_the_default_database_is_sqlite_in_the_store(tmp_path):
    engine = open_workflow(tmp_path)
    assert engine.dialect.name == "sqlite" and (tmp_path / "workflow.sqlite").is_file()
    engine.dispose()


def test_replacing_a_plan_only_before_the_seed(workflow_engine):
    engine = workflow_engine
    first = _audit(engine)
    with pytest.raises(WorkflowError, match="already planned"):
        _audit(engine)
    second = _audit(engine, replace=True, risk_limit="0.1")
    assert second != first and current_audit(engine).risk_limit == "0.1"
    enter_seed(engine, second, "12345678901234567890")
    with pytest.raises(WorkflowError, match="cannot be replaced"):
        _audit(engine, replace=True)


def test_a_seed_is_entered_once(workflow_engine):
    engine = workflow_engine
    a = _audit(engine)
    enter_seed(engine, a, "111")
    enter_seed(engine, a, "111")  # the same rolls again: nothing changes
    with pytest.raises(WorkflowError, match="entered once"):
        enter_seed(engine, a, "222")
    assert current_audit(engine).seed == "111"


def test_rounds_follow_each_other_and_keep_escalations(workflow_engine):
    engine = workflow_engine
    a = _audit(engine)
    add_round(engine, a, 1, [Draw("D1", 1, 1, "S1", "S1", "0.1"), Draw("D1", 2, 1, "S2", "S2", "0.2")])
    with pytest.raises(WorkflowError, match="cannot follow"):
        add_round(engine, a, 3, [])
    add_round(engine, a, 2, [Draw("D1", 3, 2, "S3", "S3", "0.3")], escalate={"D2": "tie settled by lot"})
    assert rounds(engine, a) == 2
    assert [d.item for d in draws(engine, a)] == ["S1", "S2", "S3"]
    assert escalations(engine, a) == {"D2": "tie settled by lot"}
    # a draw repeated in a round breaks the uniqueness of (contest, seq): the whole round is refused
    with pytest.raises(Exception):
        add_round(engine, a, 3, [Draw("D1", 4, 3, "S4", "S4", "0.4"), Draw("D1", 4, 3, "S5", "S5", "0.5")])
    assert rounds(engine, a) == 2 and len(draws(engine, a)) == 3


def _count(station, votes, **kw):
    return HandCount(station, "D1", votes=MappingProxyType(votes), **kw)


def test_recordings_are_all_or_nothing_and_amendments_supersede(workflow_engine):
    engine = workflow_engine
    a = _audit(engine)
    record_counts(engine, a, file_name="r1.csv", sha256="0" * 64, amend=False,
                  sheets=[_count("S1", {("1", ""): 10, ("2", ""): 5}, ballots_cast=16),
                          HandCount("S2", "D1", missing=True)])
    with pytest.raises(WorkflowError, match="already has a recorded hand count"):
        record_counts(engine, a, file_name="r2.csv", sha256="1" * 64, amend=False,
                      sheets=[_count("S3", {("1", ""): 1}), _count("S1", {("1", ""): 9})])
    with engine.connect() as conn:  # the refused file left nothing behind, not even S3
        assert conn.execute(select(func.count()).select_from(recordings)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(hand_sheets)).scalar() == 2
    record_counts(engine, a, file_name="r3.csv", sha256="2" * 64, amend=True,
                  sheets=[_count("S1", {("1", ""): 9, ("2", ""): 6})])
    got = hand_counts(engine, a)
    assert dict(got[("S1", "D1")].votes) == {("1", ""): 9, ("2", ""): 6}
    assert got[("S1", "D1")].ballots_cast is None  # the amendment replaces the whole sheet
    assert got[("S2", "D1")].missing


def test_ballot_reads_round_trip(workflow_engine):
    engine = workflow_engine
    a = _audit(engine, design="ballot-polling")
    record_counts(engine, a, file_name="b.csv", sha256="0" * 64, amend=False,
                  sheets=[HandCount("S1", "D1", reads=MappingProxyType({"S1#3": ("1", ""), "S1#9": None}))])
    got = hand_counts(engine, a)[("S1", "D1")]
    assert dict(got.reads) == {"S1#3": ("1", ""), "S1#9": None}
