"""The audit as the recount room runs it: publication before the seed ceremony, the seed once, dealing to boards,
closing rounds into new results versions (exactly the hand-counted rows changed, the log verifying), contests
confirmed by matching counts or sent on by counts that move the outcome, certified recounts, progress.

The boards' double-blind entry is `count_tasks`; these tests stand in for it with `FakeTasks` (its interface, in
memory: tests/room_fake_tasks.py), so the boards' sign-off is one call; the rest is the real code path."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest
from audit_package import write_package
from room_db import BACKENDS, fresh_workflow
from room_fake_tasks import FakeTasks, TaskState

from tallycheck.audit.hand_count import HandCount
from tallycheck.evidence import Store
from tallycheck.evidence.chain import read_export, verify_entries
from tallycheck.evidence.diff import diff_versions
from tallycheck.importing import import_package
from tallycheck.workflow import audit_room as room
from tallycheck.workflow.audits import WorkflowError, current_audit
from tallycheck.workflow.complaints import decide, file_complaint, recount_orders
from tallycheck.workflow.database import open_workflow
from tallycheck.workflow.event_log import entries, export_lines, log_event
from tallycheck.workflow.roles import Actor, Role

DICE = "31415926535897932384"
ADMIN = Actor("admin.one", Role.ADMIN, user_id=1)
AGENT = Actor("agent.kdp", Role.AGENT, user_id=3)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    folder = tmp_path_factory.mktemp("room") / "pkg"
    reported = write_package(folder)
    assert not import_package(folder).refused
    return folder, reported


@pytest.fixture(params=BACKENDS)
def setup(package, tmp_path, request):
    """A fresh store (a copy of the imported v1) and workflow database per test."""
    import shutil

    folder, reported = package
    store = Store(tmp_path / "store")
    shutil.copytree(folder / ".tallycheck" / "versions", store.root / "versions")
    return fresh_workflow(request.param, tmp_path / "db", request), store, reported, FakeTasks()


def _hand(station, contest, votes, **kw):
    return HandCount(station, contest, votes=MappingProxyType({(c, ""): v for c, v in votes.items()}), **kw)


def _sign_all(fake, reported, change=None):
    """The boards sign off every open task with what they found: the reported counts, or `change(station,
    contest, votes)`'s."""
    for t in list(fake.rows.values()):
        if t.state is TaskState.OPEN:
            found = []
            for c in t.contest_ids:
                votes = dict(reported[(t.station_id, c)])
                if change is not None:
                    votes = change(t.station_id, c, votes)
                found.append(_hand(t.station_id, c, votes))
            fake.sign(t.task_id, found)


def _log(engine):
    return [(e.event, dict(e.payload)) for e in entries(engine)]


def _verifies(engine):
    exported, problem = read_export("".join(export_lines(engine)))
    return problem is None and verify_entries(exported).ok


def test_the_seed_only_after_publication_and_only_once(setup):
    engine, store, _, _ = setup
    with pytest.raises(WorkflowError, match="no audit is planned"):
        room.publish_snapshot(engine, ADMIN)
    room.plan_audit(engine, store, ADMIN, "0.05")
    with pytest.raises(WorkflowError, match="is not published yet"):
        room.enter_seed(engine, store, ADMIN, DICE, "Observer One, Observer Two")
    assert current_audit(engine).seed is None
    sha = room.publish_snapshot(engine, ADMIN)
    assert sha == store.resolve("v1").snapshot_sha256
    with pytest.raises(WorkflowError, match="published once"):
        room.publish_snapshot(engine, ADMIN)
    with pytest.raises(WorkflowError, match="witnesses"):
        room.enter_seed(engine, store, ADMIN, DICE, "  ")
    with pytest.raises(WorkflowError, match="0-9 only.*field dice"):
        room.enter_seed(engine, store, ADMIN, "31a4", "Observer One")
    round_no, draws, full = room.enter_seed(engine, store, ADMIN, DICE, "Observer One,  Observer Two")
    assert round_no == 1 and draws["W"] > 0 and set(full) == {"T"}  # T is a near tie: counted in full
    for dice in (DICE, "6" * 20):
        with pytest.raises(WorkflowError, match="entered once"):
            room.enter_seed(engine, store, ADMIN, dice, "Observer Three")
    log = _log(engine)
    assert [e for e, _ in log] == ["audit.planned", "snapshot.published", "seed.entered", "round.drawn"]
    assert log[2][1] == {"audit_id": 1, "seed": DICE, "dice": DICE, "witnesses": "Observer One, Observer Two"}
    assert log[1][1]["snapshot_sha256"] == sha and _verifies(engine)


def _through_round_one(setup, boards=(1, 2)):
    engine, store, reported, fake = setup
    room.plan_audit(engine, store, ADMIN, "0.05")
    room.publish_snapshot(engine, ADMIN)
    room.enter_seed(engine, store, ADMIN, DICE, "Observer One")
    ids = room.assign(engine, ADMIN, list(boards), store=store, tasks_api=fake)
    return engine, store, reported, fake, ids


def test_close_refused_while_unsigned_then_matching_counts_confirm(setup):
    engine, store, reported, fake, ids = _through_round_one(setup)
    tasks = list(fake.rows.values())
    assert {t.board_id for t in tasks} == {1, 2} and len(ids) == len(tasks)
    w_tasks = [t for t in tasks if t.contest_ids == ("W",)]
    assert w_tasks and all(t.round == 1 and t.audit_id == 1 for t in tasks)
    assert len([t for t in tasks if t.contest_ids == ("T",)]) == 100  # the full count of T: every station
    with pytest.raises(WorkflowError, match="nothing to deal"):
        room.assign(engine, ADMIN, [1, 2], store=store, tasks_api=fake)
    fake.sign(w_tasks[0].task_id, [_hand(w_tasks[0].station_id, "W", reported[(w_tasks[0].station_id, "W")])])
    before = _log(engine)
    with pytest.raises(WorkflowError, match=r"round 1 cannot close: not signed off yet: station T0000 \(task \d+, "
                                            r"board \d, open\)"):
        room.close_round(engine, store, ADMIN, tasks_api=fake)
    assert _log(engine) == before and [v.name for v in store.versions()] == ["v1"]
    _sign_all(fake, reported)
    closed = room.close_round(engine, store, ADMIN, tasks_api=fake)
    by = {s.contest_id: s for s in closed.statuses}
    assert by["W"].state.value == "confirmed" and by["W"].risk <= 0.05
    assert by["T"].state.value == "full count" and by["T"].outcome == "confirmed"
    # the counts equal the results: no new version (v1 stays the latest), nothing left to draw
    assert not closed.new_version and closed.version == "v1" and closed.next_round == 0
    last = _log(engine)[-1]
    assert last[0] == "round.closed" and last[1]["contests"]["W"]["state"] == "confirmed"
    with pytest.raises(WorkflowError, match="nothing to close"):
        room.close_round(engine, store, ADMIN, tasks_api=fake)
    progress = room.audit_progress(engine, store, tasks_api=fake)
    assert progress.published and progress.dice == DICE and progress.witnesses == "Observer One"
    assert progress.samples[0].round == 1 and progress.samples[0].closed
    assert set(progress.samples[0].boards.values()) == {1, 2}
    w = next(c for c in progress.contests if c.contest_id == "W")
    assert w.state == "confirmed" and w.risks == (by["W"].risk,) and progress.tasks == {"signed": len(ids)}
    assert _verifies(engine)


def test_counts_that_move_the_outcome_write_v2_and_send_the_contest_on(setup):
    engine, store, reported, fake, _ = _through_round_one(setup, boards=(3,))

    def shift(station, contest, votes):  # every W station moves 4 votes from B to C: B's lead was overstated
        if contest == "W":
            votes["B"] -= 4
            votes["C"] += 4
        return votes

    _sign_all(fake, reported, shift)
    w_stations = sorted(t.station_id for t in fake.rows.values() if t.contest_ids == ("W",))
    closed = room.close_round(engine, store, ADMIN, tasks_api=fake)
    assert closed.new_version and closed.version == "v2"
    by = {s.contest_id: s for s in closed.statuses}
    assert by["W"].state.value != "confirmed"
    assert closed.next_round == 2  # drawn at once (or W sent to a full count in it)
    # v2 is v1 with exactly the hand-counted rows changed: B and C of each counted W station
    d = diff_versions(store, "v1", "v2")
    changed = sorted(zip(d.results.column("station_id").to_pylist(), d.results.column("candidate_id").to_pylist(),
                         d.results.column("change").to_pylist()))
    assert changed == sorted([(s, "B", -4) for s in w_stations] + [(s, "C", 4) for s in w_stations])
    assert d.sheets.num_rows == 0 and d.stations.num_rows == 0
    manifest = store.resolve("v2").manifest
    assert manifest["parent"] == "v1" and manifest["inputs"][0]["derived_from"] == "v1"
    assert manifest["inputs"][0]["round"] == 1 and manifest["inputs"][0]["tasks"] == sorted(fake.rows)
    assert store.resolve("v1").snapshot_sha256 == current_audit(engine).snapshot_sha256  # v1 untouched
    log = _log(engine)
    events = [e for e, _ in log]
    assert events[-3:] == ["counts.recorded", "round.closed", "round.drawn"]
    closed_entry = log[-2][1]
    assert closed_entry["version"] == "v2" and closed_entry["snapshot_sha256"] == manifest["snapshot_sha256"]
    assert closed_entry["contests"]["W"]["state"] == by["W"].state.value
    assert _verifies(engine)
    # round 2: deal, count as reported, close: the second round's version derives from v2
    room.assign(engine, ADMIN, [3], store=store, tasks_api=fake)
    _sign_all(fake, reported)
    second = room.close_round(engine, store, ADMIN, tasks_api=fake)
    assert second.round == 2
    progress = room.audit_progress(engine, store, tasks_api=fake)
    w = next(c for c in progress.contests if c.contest_id == "W")
    assert len(w.risks) == 2 and w.risks[0] == by["W"].risk
    assert [(v.version, v.derived_from, v.source) for v in progress.versions][0] == ("v2", "v1", "round 1")


def test_reassignment_supersedes_the_old_task(setup):
    engine, store, reported, fake, ids = _through_round_one(setup, boards=(1,))
    moved = room.assign(engine, ADMIN, [2], store=store, tasks_api=fake)
    assert len(moved) == len(ids)  # every uncounted station moved to board 2
    entry = _log(engine)[-1]
    assert entry[0] == "audit.assigned" and set(entry[1]["reassigned"]) == set(entry[1]["stations"])
    for t in list(fake.rows.values()):
        if t.board_id == 2:
            fake.sign(t.task_id, [_hand(t.station_id, c, reported[(t.station_id, c)]) for c in t.contest_ids])
    room.close_round(engine, store, ADMIN, tasks_api=fake)  # the superseded board-1 tasks do not block it
    closing = next(p for e, p in reversed(_log(engine)) if e == "round.closed")
    assert closing["superseded"] == sorted(ids) and closing["tasks"] == sorted(moved)


def test_accepted_complaints_are_the_recount_stratum(setup):
    engine, store, reported, fake = setup
    cid = file_complaint(engine, AGENT, "W0001 W0002", "seals broken", "Party B", store=store)
    decide(engine, ADMIN, cid, True, "seal numbers differ")
    rejected = file_complaint(engine, AGENT, "W0004", "late opening", "Party B", store=store)
    decide(engine, ADMIN, rejected, False, "opened on time per the minutes")
    room.plan_audit(engine, store, ADMIN, "0.05")
    assert current_audit(engine).recounts == ("W0001", "W0002")
    assert _log(engine)[-1][1]["complaints"] == [cid]
    with pytest.raises(WorkflowError, match="counted and closed in its rounds"):
        room.assign_recount(engine, store, ADMIN, cid, [1], tasks_api=fake)
    # counted in round 1 with the sample: the order says so, and it cannot be certified a second time
    assert recount_orders(engine)[0].audit_round is None
    room.publish_snapshot(engine, ADMIN)
    room.enter_seed(engine, store, ADMIN, DICE, "Observer One")
    room.assign(engine, ADMIN, [1, 2], store=store, tasks_api=fake)
    _sign_all(fake, reported, lambda s, c, v: {**v, "B": v["B"] + 1} if s == "W0001" else v)
    closed = room.close_round(engine, store, ADMIN, tasks_api=fake)
    assert closed.new_version and recount_orders(engine)[0].audit_round == (1, closed.version)
    with pytest.raises(WorkflowError, match="are the complaint recounts of audit 1"):
        room.certify_recount(engine, store, ADMIN, cid, tasks_api=fake)


def test_a_recount_outside_the_audit_is_certified_into_a_new_version(setup):
    engine, store, reported, fake = setup
    cid = file_complaint(engine, AGENT, "T0003, W0001", "tally sheet altered", "Party B", store=store)
    with pytest.raises(WorkflowError, match="is filed, not accepted"):
        room.assign_recount(engine, store, ADMIN, cid, [1], tasks_api=fake)
    decide(engine, ADMIN, cid, True, "the copy held by the agent differs")
    ids = room.assign_recount(engine, store, ADMIN, cid, [4, 5], tasks_api=fake)
    assert sorted((fake.rows[i].station_id, fake.rows[i].board_id) for i in ids) == [("T0003", 4), ("W0001", 5)]
    fake.sign(ids[0], [_hand("T0003", "T", {"E": reported[("T0003", "T")]["E"] + 7,
                                            "F": reported[("T0003", "T")]["F"]}, ballots_cast=999)])
    with pytest.raises(WorkflowError, match=r"not signed off yet: station W0001 \(task \d+, board 5, open\)"):
        room.certify_recount(engine, store, ADMIN, cid, tasks_api=fake)
    fake.sign(ids[1], [_hand("W0001", "W", reported[("W0001", "W")])])
    got = room.certify_recount(engine, store, ADMIN, cid, tasks_api=fake)
    assert got.version == "v2" and got.new_version and got.hand_counted == ("T0003/T", "W0001/W")
    d = diff_versions(store, "v1", "v2")
    assert d.results.to_pylist() == [{"station_id": "T0003", "contest_id": "T", "candidate_id": "E", "list_id": "",
                                      "old_votes": reported[("T0003", "T")]["E"],
                                      "new_votes": reported[("T0003", "T")]["E"] + 7, "change": 7}]
    assert d.sheets.to_pylist()[0]["column"] == "ballots_cast" and d.sheets.to_pylist()[0]["new"] == 999
    assert recount_orders(engine)[0].certified_version == "v2"
    with pytest.raises(WorkflowError, match="certified already"):
        room.certify_recount(engine, store, ADMIN, cid, tasks_api=fake)
    entry = _log(engine)[-1]
    assert entry[0] == "recount.certified" and entry[1]["version"] == "v2" and entry[1]["derived_from"] == "v1"
    assert _verifies(engine)
    # a later audit plans on v2, and the certified complaint is no longer a recount stratum
    room.plan_audit(engine, store, ADMIN, "0.05")
    assert current_audit(engine).version == "v2" and current_audit(engine).recounts == ()


@pytest.mark.parametrize("limit, design, message", [
    ("5%", "batch-comparison", "fraction such as 0.05"), ("1.5", "batch-comparison", "between 0 and 1"),
    ("0.05", "ballot-polling", "count whole stations"), ("0.05", "batch", "design is one of")])
def test_plan_refuses_what_the_room_cannot_run(setup, limit, design, message):
    engine, store, _, _ = setup
    with pytest.raises(WorkflowError, match=message):
        room.plan_audit(engine, store, ADMIN, limit, design)
    assert current_audit(engine) is None and entries(engine) == []


def test_the_cli_audit_commands_are_logged(package, tmp_path, tc):
    import shutil

    from audit_package import write_counts

    folder = tmp_path / "pkg"
    shutil.copytree(package[0], folder)
    reported = package[1]
    assert tc("audit", "plan", folder, "--risk-limit", "0.05")[0] == 0
    code, out, _ = tc("audit", "draw", folder, "--seed", DICE, "--json")
    drawn = [t["station_id"] for t in json.loads(out)["to_count"] if "W" in t["contests"]]
    counts = write_counts(tmp_path / "r1.csv", {(s, "W"): reported[(s, "W")] for s in drawn})
    assert tc("audit", "record", folder, counts)[0] == 0
    assert tc("audit", "record", folder, counts)[0] == 1  # recorded already: refused, and the refusal logged
    engine = open_workflow(folder / ".tallycheck")
    log = [(e.event, e.actor, e.role, dict(e.payload)) for e in entries(engine)]
    assert [e[0] for e in log] == ["audit.planned", "seed.entered", "round.drawn", "counts.recorded", "refused"]
    assert all(e[1].startswith("cli:") and e[2] == "cli" for e in log)
    assert log[3][3]["stations"] == sorted(drawn) and log[3][3]["recording_id"] == 1
    assert log[4][3]["action"] == "audit record" and "already has a recorded hand count" in log[4][3]["reason"]
    assert _verifies(engine)


def test_concurrent_publications_and_closings_happen_once(setup):
    from concurrent.futures import ThreadPoolExecutor

    engine, store, reported, fake = setup
    room.plan_audit(engine, store, ADMIN, "0.05")

    def attempt(call):
        try:
            return call()
        except WorkflowError as exc:
            return exc

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: attempt(lambda: room.publish_snapshot(engine, ADMIN)), range(4)))
    assert sum(not isinstance(g, WorkflowError) for g in got) == 1
    room.enter_seed(engine, store, ADMIN, DICE, "Observer One")
    room.assign(engine, ADMIN, [1, 2], store=store, tasks_api=fake)
    _sign_all(fake, reported)
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda _: attempt(lambda: room.close_round(engine, store, ADMIN, tasks_api=fake)),
                            range(2)))
    assert sum(not isinstance(g, WorkflowError) for g in got) == 1
    assert [e for e, _ in _log(engine)].count("round.closed") == 1 and _verifies(engine)


def test_the_audit_is_loaded_again_only_after_an_event_that_changes_it(setup):
    """Entering and signing counts leave the audit's recorded state as it was: the loaded audit is reused; a round
    closed (counts recorded) loads it again, from the previous one."""
    engine, store, reported, fake, _ = _through_round_one(setup)
    ctx, _ = room.audit_statuses(engine, store, 1)
    log_event(engine, actor="b1a", role="board", event="count.entered", payload={"station_id": "W0001"})
    assert room.audit_statuses(engine, store, 1)[0] is ctx
    _sign_all(fake, reported)
    room.close_round(engine, store, ADMIN, tasks_api=fake)
    again, statuses = room.audit_statuses(engine, store, 1)
    assert again is not ctx and again.population is ctx.population  # reused: no complaint recount since
    assert {s.contest_id: s.state.value for s in statuses}["W"] == "confirmed"
