"""The audit board's pages (web/entry_routes.py): each member enters a station's count on their own, by form
or by CSV; a mismatch sends it back; both sign; another board, an observer or an agent cannot touch it, and
every refusal is logged. Issue 7, items 2 (object-level checks), 3 (double-blind entry) and 7 (malformed
uploads change nothing).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from package_builder import make_package
from tallycheck.importing import import_package
from tallycheck.web.app import create_app
from tallycheck.web.entry_routes import MAX_ENTRY_CSV_BYTES
from tallycheck.workflow import accounts, event_log
from tallycheck.workflow.count_tasks import (NewTask, TaskPurpose, TaskState, create_tasks, entry_counts,
                                             signed_counts, task)
from tallycheck.workflow.database import writing
from tallycheck.workflow.roles import Actor, Role, cli_actor

ORIGIN = {"origin": "http://testserver"}  # a browser's same-origin form post
PASSWORD = "correct horse battery staple"


def _build(folder: Path) -> tuple[dict[str, int], int]:
    """The tiny package, imported, with six accounts (argon2 hashing is slow on purpose: done once per module)
    and one count task for board b1."""
    package = make_package(folder / "pkg")
    assert import_package(package).outcome is not None
    app = create_app(package, secure_cookies=False)
    engine = app.state.room.engine
    users: dict[str, int] = {}
    for name, role, board in (("ahmed", Role.BOARD, "b1"), ("batool", Role.BOARD, "b1"),
                              ("chiya", Role.BOARD, "b2"), ("dilan", Role.OBSERVER, None),
                              ("ehsan", Role.AGENT, None), ("amal", Role.ADMIN, None)):
        users[name], _ = accounts.add_user(engine, cli_actor(), name, role, password=PASSWORD, board=board)
    board1 = accounts.session_actor(engine, accounts.start_session(engine, users["ahmed"], totp_passed=True))
    with writing(engine) as conn:
        (task_id,) = create_tasks(conn, Actor("amal", Role.ADMIN, users["amal"]), [
            NewTask(TaskPurpose.AUDIT, "0100101", ("D1",), board1.board_id, audit_id=1, round=1)])
    engine.dispose()  # the last connection closed: SQLite folds its WAL into the database file
    return users, task_id


class Room:
    def __init__(self, folder: Path, users: dict[str, int], task_id: int):
        self.app = create_app(folder / "pkg", secure_cookies=False)
        self.engine = self.app.state.room.engine
        self.users, self.task_id = users, task_id

    def client(self, name: str | None) -> TestClient:
        c = TestClient(self.app, base_url="http://testserver")
        if name is not None:
            token = accounts.start_session(self.engine, self.users[name], totp_passed=True)
            c.cookies.set("tallycheck_session", token)
        return c


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("entry-room")
    with pytest.MonkeyPatch.context() as mp:  # cheap hashes: these tests are about counts, not passwords
        mp.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        return folder, *_build(folder)


@pytest.fixture
def room(built, tmp_path):
    folder, users, task_id = built
    shutil.copytree(folder / "pkg", tmp_path / "pkg")
    return Room(tmp_path, users, task_id)


def form(cast, invalid, blank, votes, missing=False):
    got = {"s0_ballots_cast": str(cast), "s0_invalid": str(invalid), "s0_blank": str(blank)}
    got.update({f"s0_v{j}": str(v) for j, v in enumerate(votes)})
    if missing:
        got["s0_missing"] = "on"
    return got


def body(page) -> str:
    """A page without its footer (the log head's hash is hex: digits in it prove nothing)."""
    return page.text.split("<footer")[0]


def refusals(room: Room, action: str) -> list[event_log.LogEntry]:
    return [e for e in event_log.entries(room.engine)
            if e.event == "refused" and e.payload["action"] == action]


def test_two_members_enter_differ_count_again_agree_and_sign(room):
    a, b = room.client("ahmed"), room.client("batool")
    tid = room.task_id
    listing = a.get("/board")
    assert listing.status_code == 200
    assert f'href="/board/tasks/{tid}"' in listing.text and "0100101" in listing.text
    blank = a.get(f"/board/tasks/{tid}")
    assert blank.status_code == 200
    # every candidate of D1 with a labelled number box, names in their own direction
    for j, name in enumerate(("Ali Hassan", "Zainab Kareem", "Omar Saleh", "Huda Jasim")):
        assert re.search(rf'<label for="s0_v{j}"><span dir="auto">{name}</span></label>', blank.text)
        assert f'id="s0_v{j}" name="s0_v{j}"' in blank.text
    assert 'for="s0_ballots_cast"' in blank.text and 'name="s0_missing"' in blank.text
    assert "<script>" not in blank.text and " onclick" not in blank.text

    got = a.post(f"/board/tasks/{tid}/entry", data=form(1601, 4, 1, [701, 503, 207, 151]), headers=ORIGIN,
                 follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"] == f"/board/tasks/{tid}"
    mine = a.get(f"/board/tasks/{tid}")
    assert "1601" in body(mine) and "Waiting for the other member" in mine.text
    # the other member sees a blank form: not the first entry's numbers, not the reported results (160,
    # 70, ...)
    theirs = b.get(f"/board/tasks/{tid}")
    assert 'name="s0_v0"' in theirs.text
    for n in ("1601", "701", "503", "207", "151"):
        assert n not in body(theirs)
    assert 'value="70"' not in theirs.text and 'value="160"' not in theirs.text

    got = b.post(f"/board/tasks/{tid}/entry", data=form(1601, 4, 1, [701, 530, 207, 151]), headers=ORIGIN,
                 follow_redirects=False)
    assert got.status_code == 303 and task(room.engine, tid).state == TaskState.MISMATCH
    again = a.get(f"/board/tasks/{tid}")
    assert "Zainab Kareem" in again.text and "the entries differed in" in again.text
    # attempt 2 is blind: no numbers of attempt 1
    assert "1601" not in body(again) and "530" not in body(again)

    csv = ("station_id,contest_id,candidate_id,list_id,votes,ballots_cast,invalid,blank\n"
           "0100101,D1,001,,701,1601,4,1\n0100101,D1,002,,503,,,\n0100101,D1,003,,207,,,\n"
           "0100101,D1,004,,151,,,\n")
    got = b.post(f"/board/tasks/{tid}/upload", files={"file": ("batool.csv", csv.encode(), "text/csv")},
                 headers=ORIGIN, follow_redirects=False)
    assert got.status_code == 303
    a.post(f"/board/tasks/{tid}/entry", data=form(1601, 4, 1, [701, 503, 207, 151]), headers=ORIGIN)
    assert task(room.engine, tid).state == TaskState.AGREED
    agreed = b.get(f"/board/tasks/{tid}")
    assert "The agreed count" in agreed.text and "1601" in body(agreed)
    assert a.post(f"/board/tasks/{tid}/sign", headers=ORIGIN, follow_redirects=False).status_code == 303
    assert a.post(f"/board/tasks/{tid}/sign", headers=ORIGIN).status_code == 409  # once each
    assert b.post(f"/board/tasks/{tid}/sign", headers=ORIGIN, follow_redirects=False).status_code == 303
    assert task(room.engine, tid).state == TaskState.SIGNED
    (counts,) = signed_counts(room.engine, [tid])[tid]
    assert counts.ballots_cast == 1601 and dict(counts.votes)[("002", "")] == 503
    signed = [e for e in event_log.entries(room.engine) if e.event == "count.signed"]
    assert signed[0].payload["members"] == ["ahmed", "batool"]
    # after sign-off: read-only
    late = a.post(f"/board/tasks/{tid}/entry", data=form(1, 0, 0, [1, 0, 0, 0]), headers=ORIGIN)
    assert late.status_code == 409 and "read-only" in late.text
    assert entry_counts(room.engine) == {tid: 4}


@pytest.mark.parametrize("who, status", [("chiya", 403), ("dilan", 403), ("ehsan", 403), ("amal", 403),
                                         (None, 401)])
def test_only_the_tasks_own_board_may_see_enter_or_sign(room, who, status):
    c, tid = room.client(who), room.task_id
    assert c.get(f"/board/tasks/{tid}").status_code == status
    entry = c.post(f"/board/tasks/{tid}/entry", data=form(1, 0, 0, [1, 0, 0, 0]), headers=ORIGIN)
    assert entry.status_code == status
    assert c.post(f"/board/tasks/{tid}/sign", headers=ORIGIN).status_code == status
    assert entry_counts(room.engine) == {}
    logged = [e for e in event_log.entries(room.engine) if e.event == "refused"]
    assert len(logged) == 3
    if who == "chiya":  # the object-level refusal names the station, so the station's page can show it
        assert all(e.payload.get("station_id") == "0100101" for e in logged)
        assert "assigned to another board" in logged[0].payload["reason"]
    if who == "chiya":
        assert "0100101" not in room.client("chiya").get("/board").text


def test_a_bad_upload_is_refused_with_row_and_column_and_writes_nothing(room):
    a, tid = room.client("ahmed"), room.task_id
    bad = ("station_id,contest_id,candidate_id,list_id,votes,ballots_cast,invalid,blank\n"
           "0100101,D1,001,,70,160,4,1\n0100101,D1,002,,5O,,,\n")
    got = a.post(f"/board/tasks/{tid}/upload", files={"file": ("mine.csv", bad.encode(), "text/csv")},
                 headers=ORIGIN)
    assert got.status_code == 422
    assert "mine.csv (row 3, column votes)" in got.text and "[counts.count]" in got.text
    assert "Nothing was saved." in got.text
    big = b"station_id,contest_id\n" + b"0100101,D1\n" * (MAX_ENTRY_CSV_BYTES // 11 + 1)
    got = a.post(f"/board/tasks/{tid}/upload", files={"file": ("big.csv", big, "text/csv")}, headers=ORIGIN)
    assert got.status_code == 413 and "big.csv is larger than 1024 KiB" in got.text
    assert entry_counts(room.engine) == {}
    assert len(refusals(room, "count.enter")) == 1 and len(refusals(room, "count.upload")) == 1


def test_a_form_with_a_wrong_value_is_shown_back_and_writes_nothing(room):
    a, tid = room.client("ahmed"), room.task_id
    got = a.post(f"/board/tasks/{tid}/entry", data={**form(160, 4, "", [70, "5O", 20, 15])}, headers=ORIGIN)
    assert got.status_code == 422
    assert ("District One (D1), Zainab Kareem: expected a whole number (0 or more), got &#39;5O&#39;"
            in got.text)
    assert "District One (D1), Blank ballots: enter the number (0 if none)" in got.text
    assert 'value="5O"' in got.text  # what the member typed is kept for correction
    assert entry_counts(room.engine) == {} and len(refusals(room, "count.enter")) == 1
    # Arabic-Indic digits, as a phone in Arabic types them, are counts
    ok = a.post(f"/board/tasks/{tid}/entry", data=form("١٦٠", 4, 1, [70, 50, 20, 15]), headers=ORIGIN,
                follow_redirects=False)
    assert ok.status_code == 303 and entry_counts(room.engine) == {tid: 1}


def test_the_administrator_opens_an_amendment_after_sign_off(room):
    a, b, admin, tid = room.client("ahmed"), room.client("batool"), room.client("amal"), room.task_id
    for c in (a, b):
        c.post(f"/board/tasks/{tid}/entry", data=form(160, 4, 1, [70, 50, 20, 15]), headers=ORIGIN)
    refused = admin.post(f"/board/tasks/{tid}/amend", data={"reason": "too early"}, headers=ORIGIN)
    assert refused.status_code == 409 and "not signed off" in refused.text
    for c in (a, b):
        c.post(f"/board/tasks/{tid}/sign", headers=ORIGIN)
    assert "Open an amendment" in a.get(f"/board/tasks/{tid}").text
    assert room.client("dilan").post(f"/board/tasks/{tid}/amend", data={"reason": "x"},
                                     headers=ORIGIN).status_code == 403
    got = admin.post(f"/board/tasks/{tid}/amend", data={"reason": "a bundle found later", "next": "/audit"},
                     headers=ORIGIN, follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"] == "/audit"
    t = task(room.engine, tid)
    assert (t.state, t.amendment) == (TaskState.OPEN, 1)
    assert 'name="s0_v0"' in a.get(f"/board/tasks/{tid}").text  # a blank form again, for both members


def test_the_board_pages_speak_arabic(room):
    a, tid = room.client("ahmed"), room.task_id
    page = a.get(f"/board/tasks/{tid}?lang=ar")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert "أدخل عدّك" in page.text and "المحطة 0100101" in page.text  # "Enter your count", "Station 0100101"
    assert '<span dir="auto">Ali Hassan</span>' in page.text  # names stay in their own script and direction
    got = a.post(f"/board/tasks/{tid}/entry?lang=ar", data=form(160, 4, "x", [70, 50, 20, 15]),
                 headers=ORIGIN)
    assert got.status_code == 422 and "لم يُحفظ شيء." in got.text  # "Nothing was saved."
    assert "يُتوقَّع عدد صحيح" in got.text
    assert a.get("/board?lang=ar").status_code == 200


def test_a_re_assigned_station_leaves_the_old_boards_to_do_list(room):
    a, tid = room.client("ahmed"), room.task_id
    chiya = accounts.session_actor(room.engine, accounts.start_session(room.engine, room.users["chiya"],
                                                                       totp_passed=True))
    with writing(room.engine) as conn:
        create_tasks(conn, Actor("amal", Role.ADMIN, room.users["amal"]), [
            NewTask(TaskPurpose.AUDIT, "0100101", ("D1",), chiya.board_id, audit_id=1, round=1)])
    listing = a.get("/board").text
    assert "Re-assigned to another board" in listing and listing.index("Done") < listing.index("0100101")
    page = a.get(f"/board/tasks/{tid}")
    assert "re-assigned to another board" in page.text and 'name="s0_v0"' not in page.text
    refused = a.post(f"/board/tasks/{tid}/entry", data=form(160, 4, 1, [70, 50, 20, 15]), headers=ORIGIN)
    assert refused.status_code == 409 and entry_counts(room.engine) == {}
