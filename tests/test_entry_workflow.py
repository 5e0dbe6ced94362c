"""Double-blind hand-count entry (workflow/count_tasks.py): both members of a board enter a station's counts
on their own; equal entries agree, different ones go back for a recount and are logged without their numbers;
both members sign; a correction after sign-off is an amendment that supersedes the earlier count. Issue 7,
item 3.
"""

from __future__ import annotations

import json
import threading
import time
from types import MappingProxyType

import pytest
from sqlalchemy import func, select

from package_builder import TINY
from tallycheck.audit.hand_count import HandCount
from tallycheck.evidence.chain import verify_entries
from tallycheck.importing import validate_package
from tallycheck.workflow import event_log
from tallycheck.workflow.audits import WorkflowError
from tallycheck.workflow.count_tasks import (BallotChoice, ContestBallot, EntryFileError, NewTask,
                                             TaskPurpose, TaskState, amend, create_tasks, enter_count,
                                             entries_from_csv, entry_counts, entry_view, sign_off,
                                             signed_counts, superseded, task, task_ballots, tasks)
from tallycheck.workflow.database import open_workflow, writing
from tallycheck.workflow.roles import Actor, Role
from tallycheck.workflow.schema import count_entries, events

ADMIN = Actor("amal", Role.ADMIN, 1)
A1 = Actor("ahmed", Role.BOARD, 11, board_id=1)
A2 = Actor("batool", Role.BOARD, 12, board_id=1)
B1 = Actor("chiya", Role.BOARD, 21, board_id=2)
OBSERVER = Actor("dilan", Role.OBSERVER, 31)
AGENT = Actor("ehsan", Role.AGENT, 41)

# The tiny package's district D1 (tests/fixtures/packages/tiny/candidates.csv), written out so that the domain
# tests need no snapshot; test_ballots_come_from_the_package checks it against the package itself.
def _ballot(contest_id: str, name: str, rows: tuple[tuple[str, str, str], ...]) -> ContestBallot:
    return ContestBallot(contest_id, name, tuple(BallotChoice((c, ""), n, p) for c, n, p in rows))


BALLOTS = {
    "D1": _ballot("D1", "District One", (("001", "Ali Hassan", "Party A"),
                                         ("002", "Zainab Kareem", "Party B"),
                                         ("003", "Omar Saleh", "Party A"), ("004", "Huda Jasim", ""))),
    "D2": _ballot("D2", "District Two", (("005", "Karim Nouri", "Party A"), ("006", "Sara Abbas", "Party C"),
                                         ("007", "Yousif Adil", "Party B"))),
}


def sheet(station="0100101", contest="D1", votes=None, cast=160, invalid=4, blank=1, missing=False):
    if missing:
        return HandCount(station, contest, True)
    votes = {"001": 70, "002": 50, "003": 20, "004": 15} if votes is None else votes
    return HandCount(station, contest, False, cast, invalid, blank,
                     MappingProxyType({(c, ""): n for c, n in votes.items()}))


@pytest.fixture
def engine(workflow_engine):
    """Each test on SQLite, then on PostgreSQL (tests/conftest.py: TALLYCHECK_TEST_POSTGRES)."""
    return workflow_engine


def new_task(engine, station="0100101", contests=("D1",), board=1, **kw):
    with writing(engine) as conn:
        return create_tasks(conn, ADMIN, [NewTask(TaskPurpose.AUDIT, station, tuple(contests), board,
                                                  audit_id=kw.get("audit_id", 1),
                                                  round=kw.get("round", 1))])[0]


def log_of(engine, event=None):
    return [e for e in event_log.entries(engine) if event is None or e.event == event]


def enter(engine, actor, tid, *sheets):
    return enter_count(engine, actor, tid, list(sheets) or [sheet()], ballots=BALLOTS)


def test_matching_entries_agree_both_sign_and_the_counts_are_signed(engine):
    tid = new_task(engine)
    assert [e.payload["station_id"] for e in log_of(engine, "count.assigned")] == ["0100101"]
    first = enter(engine, A1, tid)
    assert first.state == TaskState.OPEN and first.waiting
    # the same count entered otherwise (a 0 given or left out) is the same count
    second = enter(engine, A2, tid, sheet(votes={"001": 70, "002": 50, "003": 20, "004": 15}))
    assert second.state == TaskState.AGREED and not second.waiting and second.differences == ()
    assert signed_counts(engine, [tid]) == {}  # agreed is not yet signed
    assert sign_off(engine, A1, tid) == TaskState.AGREED
    with pytest.raises(WorkflowError, match="already signed"):
        sign_off(engine, A1, tid)
    assert sign_off(engine, A2, tid) == TaskState.SIGNED
    got = signed_counts(engine, [tid])[tid]
    assert len(got) == 1 and got[0].key == ("0100101", "D1") and got[0].ballots_cast == 160
    assert dict(got[0].votes) == {("001", ""): 70, ("002", ""): 50, ("003", ""): 20, ("004", ""): 15}
    signed = log_of(engine, "count.signed")
    assert len(signed) == 1 and signed[0].payload["members"] == ["ahmed", "batool"]
    assert signed[0].payload["station_id"] == "0100101"
    assert task(engine, tid).state == TaskState.SIGNED
    # after sign-off the entries are read-only
    with pytest.raises(WorkflowError, match="read-only"):
        enter(engine, A1, tid)


def test_a_mismatch_is_logged_without_numbers_and_opens_a_second_attempt(engine):
    tid = new_task(engine, station="0200101", contests=("D2",))
    def d2(votes, cast):
        return sheet("0200101", "D2", votes, cast=cast, invalid=5, blank=0)

    enter(engine, A1, tid, d2({"005": 80, "006": 60, "007": 25}, 170))
    out = enter(engine, A2, tid, d2({"005": 80, "006": 61, "007": 25}, 171))
    assert out.state == TaskState.MISMATCH and out.attempt == 1
    assert [(d.contest_id, d.fields, d.choices) for d in out.differences] == [("D2", ("ballots_cast",),
                                                                               (("006", ""),))]
    (logged,) = log_of(engine, "count.mismatch")
    assert logged.payload["differences"] == [{"contest_id": "D2", "fields": ["ballots_cast"],
                                              "choices": [["006", ""]]}]
    assert logged.payload["next_attempt"] == 2 and logged.payload["station_id"] == "0200101"
    # what either member entered for the differing choice is nowhere in the log (60, 61, 170, 171)
    text = "".join(event_log.export_lines(engine))
    for n in ("60", "61", "170", "171"):
        assert f":{n}" not in text and f" {n}" not in text
    t = task(engine, tid)
    assert t.state == TaskState.MISMATCH and t.attempt == 2
    # attempt 2 is blind again: neither member sees an entry of it yet
    view = entry_view(engine, A1, tid)
    assert view.own is None and not view.other_entered and view.agreed is None
    assert [(h.attempt, [d.contest_id for d in h.differences]) for h in view.history] == [(1, ["D2"])]
    enter(engine, A2, tid, d2({"005": 80, "006": 60, "007": 25}, 170))
    done = enter(engine, A1, tid, d2({"005": 80, "006": 60, "007": 25}, 170))
    assert done.state == TaskState.AGREED and done.attempt == 2


def test_missing_materials_are_an_entry_and_compared_like_counts(engine):
    tid = new_task(engine, contests=("D1",))
    enter(engine, A1, tid, sheet(missing=True))
    out = enter(engine, A2, tid, sheet())
    assert out.state == TaskState.MISMATCH and out.differences[0].fields == ("missing",)
    enter(engine, A1, tid, sheet(missing=True))
    assert enter(engine, A2, tid, sheet(missing=True)).state == TaskState.AGREED
    sign_off(engine, A2, tid)
    sign_off(engine, A1, tid)
    assert signed_counts(engine, [tid])[tid][0].missing


def test_the_same_member_twice_in_one_attempt_is_refused(engine):
    tid = new_task(engine)
    enter(engine, A1, tid)
    with pytest.raises(WorkflowError, match="already entered attempt 1"):
        enter(engine, A1, tid, sheet(votes={"001": 71, "002": 50, "003": 20, "004": 15}))
    assert entry_counts(engine) == {tid: 1}


def test_a_double_submit_from_two_tabs_is_one_entry_and_one_refusal(engine):
    tid = new_task(engine)
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def submit():
        barrier.wait()
        try:
            outcomes.append(enter(engine, A1, tid))
        except WorkflowError as e:
            outcomes.append(e)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    refused = [o for o in outcomes if isinstance(o, WorkflowError)]
    assert len(refused) == 1 and "already entered" in str(refused[0])
    assert entry_counts(engine) == {tid: 1}


@pytest.mark.parametrize("actor, match", [
    (B1, "assigned to another board"),  # the object-level check: board 2 cannot touch board 1's station
    (OBSERVER, "only a member of an audit board"),
    (AGENT, "only a member of an audit board"),
    (ADMIN, "only a member of an audit board"),
])
def test_only_the_tasks_own_board_enters_sees_and_signs(engine, actor, match):
    tid = new_task(engine)
    before = event_log.head(engine)
    with pytest.raises(WorkflowError, match=match):
        enter(engine, actor, tid)
    with pytest.raises(WorkflowError, match=match):
        entry_view(engine, actor, tid)
    with pytest.raises(WorkflowError, match=match):
        sign_off(engine, actor, tid)
    assert event_log.head(engine) == before and entry_counts(engine) == {}


def test_entries_are_checked_against_the_task_and_the_ballot(engine):
    tid = new_task(engine)
    cases = [
        ([sheet(votes={"001": 70, "005": 3})], "entry.not-on-ballot",
         "'005' is not on the ballot of contest D1"),
        ([sheet(), sheet(contest="D2", votes={"005": 1})], "entry.contest", "does not cover contest D2"),
        ([sheet(station="0100102")], "entry.station", "is not the station of count task"),
        ([], "entry.incomplete", "contest D1 of station 0100101 is not entered"),
        ([HandCount("0100101", "D1", False, None, 4, 1, MappingProxyType({("001", ""): 3}))], "entry.totals",
         "ballots_cast is not entered"),
        ([sheet(votes={"001": -2})], "entry.count", "whole number >= 0"),
    ]
    for sheets, rule, message in cases:
        with pytest.raises(EntryFileError) as got:
            enter_count(engine, A1, tid, sheets, ballots=BALLOTS)
        assert rule in {p.rule for p in got.value.problems}, (rule, got.value.problems)
        assert message in str(got.value)
    assert entry_counts(engine) == {} and log_of(engine, "count.entered") == []


def test_blindness_a_member_sees_only_their_own_entry_until_agreed(engine):
    tid = new_task(engine)
    enter(engine, A1, tid, sheet(votes={"001": 70, "002": 50, "003": 20, "004": 15}))
    mine, theirs = entry_view(engine, A1, tid), entry_view(engine, A2, tid)
    assert mine.own is not None and dict(mine.own[0].votes)[("001", "")] == 70 and mine.agreed is None
    assert theirs.own is None and theirs.other_entered and theirs.agreed is None
    enter(engine, A2, tid)
    agreed = entry_view(engine, A2, tid)
    assert agreed.task.state == TaskState.AGREED and agreed.agreed is not None and agreed.own is not None


def test_an_amendment_after_sign_off_is_a_new_blind_round_that_supersedes(engine):
    tid = new_task(engine)
    with pytest.raises(WorkflowError, match="not signed off"):
        amend(engine, ADMIN, tid, "a recount of the box")
    enter(engine, A1, tid)
    enter(engine, A2, tid)
    sign_off(engine, A1, tid)
    sign_off(engine, A2, tid)
    first = signed_counts(engine, [tid])[tid]
    with pytest.raises(WorkflowError, match="reason"):
        amend(engine, ADMIN, tid, "   ")
    with pytest.raises(WorkflowError, match="another board"):
        amend(engine, B1, tid, "not ours")
    assert amend(engine, ADMIN, tid, "ballots of candidate 002 found in the\nwrong bundle") == 1
    (opened,) = log_of(engine, "count.amendment-opened")
    assert opened.payload == {"task_id": tid, "station_id": "0100101", "amendment": 1,
                              "reason": "ballots of candidate 002 found in the wrong bundle"}
    t = task(engine, tid)
    assert (t.state, t.amendment, t.attempt) == (TaskState.OPEN, 1, 1)
    # until the amendment is signed, the earlier signed count stands
    assert signed_counts(engine, [tid])[tid] == first
    corrected = sheet(votes={"001": 70, "002": 52, "003": 20, "004": 15}, cast=162)
    enter(engine, A1, tid, corrected)
    assert entry_view(engine, A2, tid).own is None  # the amendment is blind too
    enter(engine, A2, tid, corrected)
    sign_off(engine, A2, tid)
    sign_off(engine, A1, tid)
    now = signed_counts(engine, [tid])[tid]
    assert dict(now[0].votes)[("002", "")] == 52 and now[0].ballots_cast == 162
    assert now[0].recording_id > first[0].recording_id
    assert amend(engine, A1, tid, "a board member may open one too") == 2


def test_an_upload_with_a_bad_row_is_refused_whole_with_row_and_column(engine):
    tid = new_task(engine)
    before = event_log.head(engine)
    bad = ("station_id,contest_id,candidate_id,list_id,votes,ballots_cast,invalid,blank\n"
           "0100101,D1,001,,70,160,4,1\n"
           "0100101,D1,002,,5O,,,\n"  # a letter O for a zero: row 3 as a spreadsheet shows it
           "0100101,D1,009,,3,,,\n")
    with pytest.raises(EntryFileError) as got:
        entries_from_csv(engine, A1, tid, bad.encode(), "board1.csv", ballots=BALLOTS)
    assert [(p.file, p.row, p.column, p.rule) for p in got.value.problems] == [
        ("board1.csv", 3, "votes", "counts.count")]
    assert "board1.csv (row 3, column votes)" in str(got.value)
    # a choice not on the ballot is named by its own row
    with pytest.raises(EntryFileError) as got:
        entries_from_csv(engine, A1, tid, bad.replace("5O", "50").encode(), "board1.csv", ballots=BALLOTS)
    assert [(p.row, p.column, p.rule) for p in got.value.problems] == [
        (4, "candidate_id", "entry.not-on-ballot")]
    assert event_log.head(engine) == before and entry_counts(engine) == {}
    good = bad.replace("5O", "50").replace("009,,3", "003,,20") + "0100101,D1,004,,15,,,\n"
    out = entries_from_csv(engine, A1, tid, good.encode(), "board1.csv", ballots=BALLOTS)
    assert out.state == TaskState.OPEN and out.waiting
    # the form's entry of the same counts agrees with the file's
    assert enter(engine, A2, tid, sheet(votes={"001": 70, "002": 50, "003": 20, "004": 15})).state == \
        TaskState.AGREED


def test_tasks_are_listed_by_board_round_and_state(engine):
    a = new_task(engine, "0100101", ("D1",), board=1)
    b = new_task(engine, "0200101", ("D2",), board=2)
    enter(engine, A1, a)
    enter(engine, A2, a)
    assert [t.task_id for t in tasks(engine, state=TaskState.AGREED)] == [a]
    again = new_task(engine, "0100102", ("D1",), board=2, round=2)
    assert [t.task_id for t in tasks(engine, board_id=1)] == [a]
    assert [t.task_id for t in tasks(engine, audit_id=1, round=1)] == [a, b]
    assert [t.task_id for t in tasks(engine, station_id="0100102")] == [again]
    assert [t.task_id for t in tasks(engine, purpose=TaskPurpose.RECOUNT)] == []
    with pytest.raises(WorkflowError, match="each once"):
        new_task(engine, "0100102", ("D1", "D1"))


def test_a_station_re_assigned_to_another_board_is_counted_by_the_newest_task(engine):
    old = new_task(engine, board=1)
    enter(engine, A1, old)
    B2 = Actor("dara", Role.BOARD, 22, board_id=2)
    newer = new_task(engine, board=2)  # the room re-assigns the station (audit_room.assign_round)
    with pytest.raises(WorkflowError, match=f"re-assigned to board 2 \\(count task {newer}\\)"):
        enter(engine, A2, old)
    assert entry_view(engine, A1, old).superseded_by == newer
    assert superseded(engine, [task(engine, old), task(engine, newer)]) == {old: newer}
    enter(engine, B1, newer)
    assert enter(engine, B2, newer).state == TaskState.AGREED
    sign_off(engine, B1, newer)
    assert sign_off(engine, B2, newer) == TaskState.SIGNED
    assert set(signed_counts(engine, [old, newer])) == {newer}


def test_ballots_come_from_the_package():
    data = validate_package(TINY).validation.data
    assert task_ballots(data, ["D1", "D2"]) == BALLOTS


def _many_boards_at_once(engine, boards: int) -> None:
    """`boards` boards, two members each, all entering their own station at once (one thread per member);
    every fifth board's members disagree on the first attempt and enter again."""
    with writing(engine) as conn:
        ids = create_tasks(conn, ADMIN, [NewTask(TaskPurpose.AUDIT, f"S{b:03d}", ("D1",), b, 1, 1)
                                         for b in range(1, boards + 1)])
    errors: list[BaseException] = []
    barrier = threading.Barrier(2 * boards)

    def member(b: int, m: int, tid: int) -> None:
        actor = Actor(f"board{b}-member{m}", Role.BOARD, 1000 + 2 * b + m, board_id=b)
        try:
            barrier.wait()
            differs = b % 5 == 0 and m == 1
            enter_count(engine, actor, tid, [sheet(f"S{b:03d}", votes={"001": 70 + differs})],
                        ballots=BALLOTS)
            while task(engine, tid).state not in (TaskState.AGREED, TaskState.SIGNED):
                t = task(engine, tid)
                if entry_view(engine, actor, tid).own is None and t.state == TaskState.MISMATCH:
                    enter_count(engine, actor, tid, [sheet(f"S{b:03d}", votes={"001": 70})], ballots=BALLOTS)
                else:
                    time.sleep(0.01)  # the other member has not entered yet
            sign_off(engine, actor, tid)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=member, args=(b, m, tid)) for b, tid in zip(range(1, boards + 1), ids)
               for m in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    mismatched = boards // 5
    want = {tid: (4 if b % 5 == 0 else 2) for b, tid in zip(range(1, boards + 1), ids)}
    assert entry_counts(engine) == want
    assert {t.state for t in tasks(engine, audit_id=1)} == {TaskState.SIGNED}
    assert len(signed_counts(engine, ids)) == boards
    with engine.connect() as conn:
        entered = conn.execute(select(func.count()).select_from(count_entries)).scalar()
        logged = conn.execute(select(events.c.event, func.count()).group_by(events.c.event)).all()
    assert entered == 2 * boards + 2 * mismatched
    assert dict(logged) == {"count.assigned": boards, "count.entered": 2 * boards + 2 * mismatched,
                            "count.mismatch": mismatched, "count.agreed": boards,
                            "count.signature": 2 * boards, "count.signed": boards}
    check = verify_entries(json.loads(line) for line in event_log.export_lines(engine))
    assert check.ok, check.message


def test_many_boards_entering_at_once_on_sqlite_lose_and_duplicate_nothing(tmp_path):
    engine = open_workflow(tmp_path)
    _many_boards_at_once(engine, 20)


def test_fifty_boards_entering_at_once_on_postgresql_lose_and_duplicate_nothing(tmp_path, postgres_url):
    engine = open_workflow(tmp_path, postgres_url)
    try:
        _many_boards_at_once(engine, 50)
    finally:
        engine.dispose()


_KILLED_MID_ENTRY = """
import sys, time
from pathlib import Path
from types import MappingProxyType
from tallycheck.audit.hand_count import HandCount
from tallycheck.workflow import count_tasks
from tallycheck.workflow.count_tasks import BallotChoice, ContestBallot, enter_count
from tallycheck.workflow.database import open_workflow
from tallycheck.workflow.roles import Actor, Role

real_append = count_tasks.append

def append_then_hang(conn, **kw):  # the entry and its log row are written, the commit never comes
    real_append(conn, **kw)
    print("inside", flush=True)
    time.sleep(600)

count_tasks.append = append_then_hang
engine = open_workflow(Path(sys.argv[1]), sys.argv[2] or None)
ballot = {"D1": ContestBallot("D1", "District One", (BallotChoice(("001", ""), "Ali Hassan", "Party A"),))}
enter_count(engine, Actor("ahmed", Role.BOARD, 11, board_id=1), int(sys.argv[3]),
            [HandCount("0100101", "D1", False, 160, 4, 1, MappingProxyType({("001", ""): 155}))],
            ballots=ballot)
"""


def test_a_server_killed_mid_entry_restarts_consistent(engine, tmp_path):
    """Issue 7, item 7: the process is killed (SIGKILL) between writing an entry and committing it; the entry
    and its log row are gone together, the log verifies, and the member can enter again."""
    import signal
    import subprocess
    import sys

    tid = new_task(engine)
    before = event_log.head(engine)
    url = engine.url.render_as_string(hide_password=False) if engine.dialect.name == "postgresql" else ""
    url = url.replace("postgresql+psycopg://", "postgresql://")
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_MID_ENTRY, str(tmp_path / "store"), url, str(tid)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "inside"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    engine.dispose()  # a restarted server: fresh connections
    assert event_log.head(engine) == before and entry_counts(engine) == {}
    assert verify_entries(json.loads(line) for line in event_log.export_lines(engine)).ok
    assert enter(engine, A1, tid).waiting  # the member enters again; nothing is left half-done
