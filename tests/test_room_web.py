"""The complaints and audit pages over HTTP: an agent files, the administrator decides (once), plans, publishes,
holds the seed ceremony, deals to boards and closes the round; an observer changes nothing; refusals are pages
with the error, a 400 and a log entry. The boards' entry is stood in for by FakeTasks (tests/room_fake_tasks.py)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from html import unescape
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from audit_package import write_package
from fastapi.testclient import TestClient
from room_fake_tasks import FakeTasks, TaskState

from tallycheck.audit.hand_count import HandCount
from tallycheck.evidence.chain import read_export, verify_entries
from tallycheck.importing import import_package
from tallycheck.web.app import create_app
from tallycheck.web.auth import SESSION_COOKIE
from tallycheck.workflow import accounts, audit_room, event_log
from tallycheck.workflow.audit_room import audit_boards
from tallycheck.workflow.roles import cli_actor

ORIGIN = "https://testserver"
DICE = "31415926535897932384"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web") / "pkg"
    reported = write_package(folder)
    assert not import_package(folder).refused
    return folder, reported


@pytest.fixture
def web(imported, tmp_path, monkeypatch):
    folder, reported = imported
    package = tmp_path / "pkg"
    shutil.copytree(folder, package)
    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    fake = FakeTasks()
    monkeypatch.setitem(sys.modules, "tallycheck.workflow.count_tasks", fake)
    app = create_app(package)
    engine = app.state.room.engine
    clients = {}
    for name, role, board in (("ada", "admin", None), ("kurdo", "agent", None), ("olga", "observer", None),
                              ("b1a", "board", "one"), ("b1b", "board", "one"), ("b2a", "board", "two")):
        uid, _ = accounts.add_user(engine, cli_actor(), name, role, password="correct horse battery", board=board)
        client = TestClient(app, base_url=ORIGIN, follow_redirects=False)
        client.cookies.set(SESSION_COOKIE, accounts.start_session(engine, uid, totp_passed=True))
        clients[role] = client
    clients["anonymous"] = TestClient(app, base_url=ORIGIN, follow_redirects=False)
    return app, clients, fake, reported


def _post(client, url, data=None):
    return client.post(url, data=data or {}, headers={"origin": ORIGIN, "sec-fetch-site": "same-origin"})


def _refusals(app):
    return [e.payload for e in event_log.entries(app.state.room.engine) if e.event == "refused"]


def _text(response):
    return unescape(re.sub(r"\s+", " ", response.text))


def test_complaints_filed_and_decided_through_the_pages(web):
    app, c, _, _ = web
    got = _post(c["agent"], "/complaints", {"stations": "W0001, W0002", "grounds": "seals <b>broken</b>",
                                            "party": "Party B"})
    assert got.status_code == 303 and got.headers["location"] == "/complaints#complaint-1"
    bad = _post(c["agent"], "/complaints", {"stations": "W0001 NOPE", "grounds": "x", "party": "Party B"})
    assert bad.status_code == 400 and "no station NOPE in the results (v1)" in _text(bad)
    assert 'value="Party B"' in bad.text  # the form comes back as typed
    assert _refusals(app)[-1]["action"] == "file complaint"
    assert _post(c["observer"], "/complaints", {"stations": "W0001", "grounds": "x", "party": "P"}).status_code == 403
    assert _post(c["admin"], "/complaints", {"stations": "W0001", "grounds": "x", "party": "P"}).status_code == 403
    assert _post(c["agent"], "/complaints/1/decide", {"decision": "accept", "reasons": "r"}).status_code == 403
    page = c["anonymous"].get("/complaints")
    assert page.status_code == 200 and "seals &lt;b&gt;broken&lt;/b&gt;" in page.text  # escaped
    assert 'action="/complaints/1/decide"' not in page.text
    assert 'action="/complaints/1/decide"' in c["admin"].get("/complaints").text
    assert _post(c["admin"], "/complaints/1/decide", {"decision": "accept",
                                                      "reasons": "seal numbers differ"}).status_code == 303
    again = _post(c["admin"], "/complaints/1/decide", {"decision": "reject", "reasons": "no"})
    assert again.status_code == 400 and "a decision is final" in _text(again)
    assert _post(c["admin"], "/complaints/9/decide", {"decision": "reject", "reasons": "no"}).status_code == 404
    text = _text(c["observer"].get("/complaints"))
    assert "seal numbers differ" in text and "ordered, not yet certified" in text


def test_the_audit_through_the_pages(web):
    app, c, fake, reported = web
    assert _post(c["admin"], "/audit/seed", {"dice": DICE, "witnesses": "O"}).status_code == 400
    assert "No audit is planned yet." in c["anonymous"].get("/audit").text
    arabic = TestClient(app, base_url=ORIGIN).get("/audit?lang=ar").text  # its own client: the choice is a cookie
    assert 'dir="rtl"' in arabic and "تدقيق محدود المخاطر" in arabic and "لم يُخطَّط لأي تدقيق بعد." in arabic
    assert _post(c["observer"], "/audit/plan", {"risk_limit": "0.05"}).status_code == 403
    assert _post(c["anonymous"], "/audit/plan", {"risk_limit": "0.05"}).status_code == 401
    bad = _post(c["admin"], "/audit/plan", {"risk_limit": "5%"})
    assert bad.status_code == 400 and "fraction such as 0.05" in _text(bad) and 'value="5%"' in bad.text
    assert _post(c["admin"], "/audit/plan", {"risk_limit": "0.05"}).status_code == 303
    early = _post(c["admin"], "/audit/seed", {"dice": DICE, "witnesses": "Observer One"})
    assert early.status_code == 400 and "is not published yet" in _text(early)
    assert _post(c["admin"], "/audit/publish").status_code == 303
    assert _post(c["admin"], "/audit/seed", {"dice": DICE, "witnesses": "Observer One"}).status_code == 303
    assert _post(c["admin"], "/audit/seed", {"dice": DICE, "witnesses": "X"}).status_code == 400
    page = _text(c["anonymous"].get("/audit"))
    assert DICE in page and "Observer One" in page and "Round 1" in page
    boards = [str(b) for b, _ in audit_boards(app.state.room.engine)]
    assert _post(c["admin"], "/audit/assign", {"boards": boards}).status_code == 303
    assert {t.board_id for t in fake.rows.values()} == {int(b) for b in boards}
    refused = _post(c["admin"], "/audit/close-round")
    assert refused.status_code == 400 and "not signed off yet" in _text(refused)
    assert _post(c["board"], "/audit/close-round").status_code == 403
    for t in list(fake.rows.values()):
        fake.sign(t.task_id, [HandCount(t.station_id, cid, votes={(k, ""): v for k, v in
                                                                   reported[(t.station_id, cid)].items()})
                              for cid in t.contest_ids])
    assert all(t.state is TaskState.SIGNED for t in fake.rows.values())
    assert _post(c["admin"], "/audit/close-round").status_code == 303
    got = c["observer"].get("/audit")
    text = _text(got)
    assert "Confirmed: 1 · Continue: 0 · Full hand count: 1" in text  # W confirmed; T, a near tie, counted in full
    block = re.search(r'<script type="application/json" class="chart-data" id="risk-rounds">(.*?)</script>',
                      got.text, flags=re.S)
    figure = json.loads(block.group(1))
    w = next(t for t in figure["data"] if t["name"] == "W")
    assert w["x"] == [1] and 0 < w["y"][0] <= 0.05
    assert figure["data"][-1]["y"] == [0.05, 0.05]  # the risk limit
    assert "<script>" not in got.text and " onclick=" not in got.text
    exported, problem = read_export("".join(event_log.export_lines(app.state.room.engine)))
    assert problem is None and verify_entries(exported).ok
    events = [e.event for e in event_log.entries(app.state.room.engine)]
    for name in ("audit.planned", "snapshot.published", "seed.entered", "round.drawn", "audit.assigned",
                 "counts.recorded", "round.closed"):
        assert name in events, name


def test_the_audit_page_is_recomputed_only_when_the_log_moves(web, monkeypatch):
    """Every change appends to the event log, so the page reuses its progress until the log head (or the latest
    results version) moves."""
    app, c, _, _ = web
    calls = []
    real = audit_room.audit_progress
    monkeypatch.setattr(audit_room, "audit_progress", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert _post(c["admin"], "/audit/plan", {"risk_limit": "0.05"}).status_code == 303
    for _ in range(3):
        assert "0.05" in _text(c["anonymous"].get("/audit"))
    assert len(calls) == 1
    assert _post(c["admin"], "/audit/publish").status_code == 303  # a change: the log moves
    assert "before the dice were rolled" in _text(c["observer"].get("/audit"))
    assert len(calls) == 2
