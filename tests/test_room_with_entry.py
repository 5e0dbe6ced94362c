"""The room's rounds with the real double-blind entry (count_tasks): the administrator deals the stations, the two
members of each board enter every station's counts independently (one station mismatching first, then agreeing
on the recount), both sign off, and the round closes into the audit. Skipped in a build without count_tasks."""

from __future__ import annotations

import pytest
from audit_package import write_package

from tallycheck.audit.hand_count import HandCount
from tallycheck.evidence import Store
from tallycheck.evidence.chain import read_export, verify_entries
from tallycheck.importing import import_package
from tallycheck.workflow import audit_room as room
from tallycheck.workflow.audits import WorkflowError
from tallycheck.workflow.database import open_workflow
from tallycheck.workflow.event_log import entries, export_lines
from tallycheck.workflow.roles import Actor, Role

count_tasks = pytest.importorskip("tallycheck.workflow.count_tasks")

DICE = "27182818284590452353"
ADMIN = Actor("admin.one", Role.ADMIN, user_id=1)


@pytest.fixture
def audited(tmp_path):
    folder = tmp_path / "pkg"
    reported = write_package(folder, stations=60)
    assert not import_package(folder).refused
    store = Store(folder / ".tallycheck")
    engine = open_workflow(store.root)
    return engine, store, reported


def _sheet_totals(data):
    """(station, contest) -> (ballots cast, invalid, blank) as the results say: what an honest board finds."""
    t = data.table("sheets")
    return {(s, c): (b, i, k) for s, c, b, i, k in zip(*(t.column(n).to_pylist() for n in (
        "station_id", "contest_id", "ballots_cast", "invalid", "blank")))}


def _hand(station, contest, votes, totals):
    b, i, k = totals[(station, contest)]
    return HandCount(station, contest, ballots_cast=b, invalid=i, blank=k,
                     votes={(c, ""): v for c, v in votes.items()})


def test_a_round_counted_double_blind_and_closed(audited):
    engine, store, reported = audited
    members = [Actor("member.a", Role.BOARD, user_id=11, board_id=1),
               Actor("member.b", Role.BOARD, user_id=12, board_id=1)]
    room.plan_audit(engine, store, ADMIN, "0.05")
    room.publish_snapshot(engine, ADMIN)
    room.enter_seed(engine, store, ADMIN, DICE, "Observer One")
    ids = room.assign(engine, ADMIN, [1], store=store)
    tasks = {t.task_id: t for t in count_tasks.tasks(engine, audit_id=1)}
    assert sorted(tasks) == sorted(ids) and {t.board_id for t in tasks.values()} == {1}
    data = store.load(None)
    totals = _sheet_totals(data)
    first = min(ids)
    for tid, t in sorted(tasks.items()):
        ballots = count_tasks.task_ballots(data, t.contest_ids)
        right = [_hand(t.station_id, c, reported[(t.station_id, c)], totals) for c in t.contest_ids]
        count_tasks.enter_count(engine, members[0], tid, right, ballots=ballots)
        if tid == first:  # member B miscounts: a mismatch, and both count again
            wrong = {**reported[(t.station_id, t.contest_ids[0])]}
            k = next(iter(wrong))
            wrong[k] += 1
            got = count_tasks.enter_count(engine, members[1], tid,
                                          [_hand(t.station_id, t.contest_ids[0], wrong, totals)] + right[1:],
                                          ballots=ballots)
            assert got.state is count_tasks.TaskState.MISMATCH
            with pytest.raises(WorkflowError, match="not signed off yet"):
                room.close_round(engine, store, ADMIN)
            count_tasks.enter_count(engine, members[0], tid, right, ballots=ballots)
        count_tasks.enter_count(engine, members[1], tid, right, ballots=ballots)
        for m in members:
            count_tasks.sign_off(engine, m, tid)
    closed = room.close_round(engine, store, ADMIN)
    assert closed.round == 1 and not closed.new_version  # the boards found what the results say
    states = {s.contest_id: s.state.value for s in closed.statuses}
    assert states["T"] == "full count" and states["W"] in ("confirmed", "full count")
    events = [e.event for e in entries(engine)]
    assert events.count("count.mismatch") == 1 and events[-2:] in (["counts.recorded", "round.closed"],
                                                                   ["round.closed", "round.drawn"])
    exported, problem = read_export("".join(export_lines(engine)))
    assert problem is None and verify_entries(exported).ok
