"""The recount room in a real browser: Debian's Chromium (headless, driven by Playwright) against `tallycheck
serve` on loopback, with accounts made by `tallycheck user add` (tests/browser_room.py sets it up).

One flow, in order, a test per step on one shared server (issue 7, item 8): the administrator logs in and
enrols TOTP (RFC 6238 code computed from the key the page shows); a party agent files a complaint; the
administrator accepts it, plans the audit, publishes the snapshot hash and holds the seed ceremony (dice typed
in), and deals the stations to the board; the two members enter matching counts for one station (the
published numbers) and a mismatching pair for another, then agree; both sign off; the administrator closes the
round and the audit page shows the risk fall and the contest confirmed; the observer can change nothing; the
log page's head hash is the one `tallycheck log export` + `tallycheck log verify` compute. Also: no Content
Security Policy violation on any page, the Arabic page is right-to-left, the login form works with the
keyboard alone, and the main pages are photographed (into a temporary folder; tools/screenshots.py writes
docs/).

Run when Chromium is installed (/usr/bin/chromium, or TALLYCHECK_CHROMIUM); under CI (CI=true) a missing
Chromium or Playwright is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tallycheck.evidence.chain import read_export

from browser_room import (COMPLAINT_STATION, DICE, PASSWORD, RISK_LIMIT, Room, browser_room, chromium_path,
                          close_round, decide_complaint, deal_to_board, enrol_totp, enter_count,
                          file_complaint, log_in, plan_publish_and_draw, published_sheets, risk_table,
                          screenshots, sign_off, tallycheck, upload_count)

pytestmark = pytest.mark.browser


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs Debian's chromium)",
                    pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed")
    if not Path(chromium_path()).is_file():
        _unavailable(f"no Chromium at {chromium_path()} (apt install chromium, or set TALLYCHECK_CHROMIUM)")
    folder = tmp_path_factory.mktemp("browser")
    with browser_room(folder / "election", folder / "serve.log") as r:
        yield r


def _text(page) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", page.inner_text("main"))


def test_admin_logs_in_and_enrols_totp(room: Room) -> None:
    page = log_in(room, "ada")
    assert page.url == room.url("/totp/enrol")  # an administrator's first login: enrol first
    secret = enrol_totp(page)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)  # 160 bits in base32 (RFC 4648)
    assert page.url == room.url("/")
    assert page.inner_text("header .who").split()[:2] == ["ada", "admin"]


def test_agent_files_a_complaint(room: Room) -> None:
    log_in(room, "kurdo")
    file_complaint(room, "kurdo", COMPLAINT_STATION, "The seals of the ballot box were broken.", "امتداد")
    page = room.page("kurdo")
    assert page.url == room.url("/complaints#complaint-1")
    article = page.locator("#complaint-1")
    assert COMPLAINT_STATION in article.inner_text() and "امتداد" in article.inner_text()
    assert article.locator(".tag").inner_text() == "filed"


def test_admin_accepts_the_complaint(room: Room) -> None:
    decide_complaint(room, "ada", 1, True, "The observers' reports confirm the broken seals.")
    article = room.page("ada").locator("#complaint-1")
    assert article.locator("h3 .tag").inner_text() == "accepted"
    assert "ordered, not yet certified" in article.inner_text()


def test_plan_publication_and_seed_ceremony(room: Room) -> None:
    plan_publish_and_draw(room, "ada", "Observer One; Observer Two")
    page = room.page("ada")
    ceremony = page.locator("#ceremony").inner_text()
    assert DICE in ceremony and "Observer One; Observer Two" in ceremony
    assert "Published on" in page.locator("#publication").inner_text()
    plan = page.locator("#plan").inner_text()
    assert RISK_LIMIT in plan and COMPLAINT_STATION in plan  # the complaint is the recount stratum
    drawn = page.locator("#sample table tbody td:first-child code").all_inner_texts()
    assert drawn and all(s.startswith("D2-") for s in drawn)  # D1 waits for its complaint recount
    room.state["drawn"] = drawn
    before = risk_table(page)
    assert before["D2"] == ("continue", "1.0000") and before["D1"][0] == "continue"
    assert not page.locator("form[action='/audit/seed']").count()  # a seed is entered once


def test_stations_dealt_to_the_board(room: Room) -> None:
    deal_to_board(room, "ada", "one")
    page = room.page("ada")
    drawn = room.state["drawn"]
    boards = page.locator("#sample table tbody tr td:nth-child(2)").all_inner_texts()
    assert boards == ["1"] * len(drawn)
    log_in(room, "b1a", "b1b")
    page = room.page("b1a")
    page.goto(room.url("/board"))
    links = page.locator("main a[href^='/board/tasks/']")
    tasks = {links.nth(i).inner_text(): int(links.nth(i).get_attribute("href").rsplit("/", 1)[1])
             for i in range(links.count())}
    assert sorted(tasks) == sorted([COMPLAINT_STATION, *drawn])
    room.state["tasks"] = tasks


def test_matching_double_blind_entries_agree(room: Room) -> None:
    tasks, drawn = room.state["tasks"], room.state["drawn"]
    sheet = published_sheets(room.package)[drawn[0]]
    task = tasks[drawn[0]]
    page = enter_count(room, "b1a", task, sheet)
    status = page.inner_text("main [role=status]")
    assert "Waiting for the other member's entry" in status
    page = enter_count(room, "b1b", task, sheet)
    assert "Entries agree: sign off" in _text(page)


def test_mismatching_entries_go_back_and_then_agree(room: Room) -> None:
    tasks, drawn = room.state["tasks"], room.state["drawn"]
    sheet = published_sheets(room.package)[drawn[1]]
    task = tasks[drawn[1]]
    first = next(iter(sheet.votes))
    enter_count(room, "b1a", task, sheet)
    page = enter_count(room, "b1b", task, sheet, change={first: 1})  # member 2 miscounts one candidate by 1
    text = _text(page)
    assert "Entries differed: count again" in text and "attempt 2" in text
    history = page.locator("main h2:has-text('Earlier attempts') + ul").inner_text()
    assert "the entries differed in" in history and sheet.names[first] in history
    # blind: the differing numbers are not shown, neither member's
    assert str(sheet.votes[first] + 1) not in history and str(sheet.votes[first]) not in history
    page = enter_count(room, "b1a", task, sheet)  # both count again, on their own
    assert "Waiting for the other member's entry" in page.inner_text("main [role=status]")
    page = enter_count(room, "b1b", task, sheet)
    assert "Entries agree: sign off" in _text(page)


def test_both_members_sign_off(room: Room) -> None:
    tasks, drawn = room.state["tasks"], room.state["drawn"]
    for station in drawn[:2]:
        page = sign_off(room, "b1a", tasks[station])
        assert "You have signed" in _text(page)
        page = sign_off(room, "b1b", tasks[station])
        assert "Signed off by b1a, b1b. The entries are read-only." in _text(page)
        assert not page.locator(f"form[action='/board/tasks/{tasks[station]}/entry']").count()
    # the other stations: each member uploads the hand-count file instead of typing, then both sign
    sheets = published_sheets(room.package)
    for station, task in tasks.items():
        if station in drawn[:2]:
            continue
        for who in ("b1a", "b1b"):
            assert upload_count(room, who, task, sheets[station]) == 303
        for who in ("b1a", "b1b"):
            assert room.post(who, f"/board/tasks/{task}/sign").status == 303
    page = room.page("b1a")
    page.goto(room.url("/board"))
    assert not page.locator("main h2:has-text('To do')").count()


def test_closing_the_round_updates_the_risk(room: Room) -> None:
    page = close_round(room, "ada")
    assert page.url == room.url("/audit#progress")
    after = risk_table(page)
    state, risk = after["D2"]
    assert state == "confirmed" and float(risk) <= float(RISK_LIMIT) < 1.0  # was continue, 1.0000
    assert after["D1"][0] == "full count"  # too close to confirm by sample once its recount is in
    assert "Round 1 closed" in re.sub(r"\s+", " ", page.locator("#sample").inner_text())


def test_observer_can_change_nothing(room: Room) -> None:
    page = room.page("olga")
    page.goto(room.url("/login"))
    # the keyboard alone: Tab to the account name, type, Tab to the password, type, Enter submits
    for _ in range(40):
        if page.evaluate("document.activeElement && document.activeElement.id") == "name":
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the account name field")
    page.keyboard.type("olga")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == room.url("/") and page.inner_text("header .who").split()[:2] == ["olga", "observer"]

    tasks = room.state["tasks"]
    task = next(iter(tasks.values()))
    for path in ("/", "/complaints", "/audit", "/log", f"/stations/{COMPLAINT_STATION}", "/contests/D2",
                 "/forensics"):
        page.goto(room.url(path))
        assert page.locator("form[method=post]:not([action='/logout'])").count() == 0, path
    assert page.goto(room.url(f"/board/tasks/{task}")).status == 403
    actions = ["/complaints", "/complaints/1/decide", "/complaints/1/assign", "/complaints/1/certify",
               "/audit/plan", "/audit/publish", "/audit/seed", "/audit/assign", "/audit/close-round",
               f"/board/tasks/{task}/entry", f"/board/tasks/{task}/upload", f"/board/tasks/{task}/sign",
               f"/board/tasks/{task}/amend", "/admin/users", "/admin/users/1/disable"]
    seq_before = int(page.evaluate("fetch('/healthz').then(r => r.json()).then(j => j.log_head.seq)"))
    statuses = page.evaluate("""async (actions) => {
        const out = {};
        for (const a of actions) {
            const body = new FormData();
            body.append("decision", "accept"); body.append("reasons", "x"); body.append("risk_limit", "0.5");
            out[a] = (await fetch(a, {method: "POST", body})).status;
        }
        return out;
    }""", actions)
    assert statuses == {a: 403 for a in actions}
    # the attempts changed nothing: the log grew by one "refused" entry each, nothing else
    after = room.package.parent / "after.jsonl"
    code, said = tallycheck("log", "export", str(room.package), "--out", str(after))
    assert code == 0, said
    entries, problem = read_export(after.read_text("utf-8"))
    assert problem is None
    added = [e for e in entries if e["seq"] > seq_before]
    assert [e["event"] for e in added] == ["refused"] * len(actions)
    assert {e["actor"] for e in added} == {"olga"}


def test_log_page_head_matches_export_and_verify(room: Room, tmp_path: Path) -> None:
    export = tmp_path / "tallycheck-log.jsonl"
    code, said = tallycheck("log", "export", str(room.package), "--out", str(export))
    assert code == 0, said
    code, verified = tallycheck("log", "verify", str(export))
    assert code == 0, verified
    n, head = re.search(r"(\d+) entries verified; head ([0-9a-f]{64})", verified).groups()
    page = room.page("olga")
    page.goto(room.url("/log"))
    assert page.inner_text("dl.facts code.hash").strip() == head
    assert page.inner_text("footer code.hash").strip() == head
    assert re.sub(r"\D", "", page.locator("dl.facts dd").first.inner_text()) == n
    assert page.locator("#log tbody tr").first.get_attribute("id") == f"e{n}"  # newest first
    entries, _ = read_export(export.read_text("utf-8"))
    events = [e["event"] for e in entries]
    for event in ("totp.enrolled", "complaint.filed", "complaint.accepted", "audit.planned",
                  "snapshot.published", "seed.entered", "audit.assigned", "count.mismatch", "count.agreed",
                  "count.signed", "round.closed"):
        assert event in events, event


def test_arabic_is_right_to_left_and_no_page_breaks_the_csp(room: Room, tmp_path: Path) -> None:
    page = room.page("arabic")
    page.goto(room.url("/?lang=ar"))
    assert page.evaluate("[document.documentElement.dir, document.documentElement.lang]") == ["rtl", "ar"]
    shots = screenshots(room, tmp_path)  # every main page, charts drawn (plotly's styles under the CSP)
    assert all(p.stat().st_size > 10_000 for p in shots)
    violations = [(url, m) for url, m in room.console if "Content Security Policy" in m or "strict CSP" in m]
    assert not violations, violations
