"""The public pages of the recount room over a small generated election: every page answers anonymous visitors,
shows the numbers the core computes (seats = seats.allocate, a station's sheet = its rows in the package),
filters the ranked stations, carries no inline script, lays Arabic out right to left, and shows a station's
complaint history from the event log."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tallycheck.evidence.chain import read_export, verify_entries
from tallycheck.evidence.store import Store
from tallycheck.importing import default_store, import_package
from tallycheck.seats.allocate import allocate
from tallycheck.seats.ties import Lot
from tallycheck.synth import generate
from tallycheck.web.app import create_app
from tallycheck.workflow import event_log

STATIONS = 300


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages") / "pkg"
    generate("iraq-2021", 11, folder, stations=STATIONS)
    assert not import_package(folder).refused
    return folder


@pytest.fixture(scope="module")
def client(package: Path) -> TestClient:
    return TestClient(create_app(package), base_url="https://testserver")


@pytest.fixture(scope="module")
def data(package: Path):  # type: ignore[no-untyped-def]
    return Store(default_store(package)).load()


def _cells(page: str, table_id: str) -> list[list[str]]:
    """The body rows of the table with `table_id`, as text cells."""
    m = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert m, f"no table {table_id}"
    body = re.search(r"<tbody>(.*?)</tbody>", m.group(1), re.S)
    assert body is not None
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in rows]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _pages(client: TestClient, data) -> dict[str, str]:  # type: ignore[no-untyped-def]
    contest = sorted(c.contest_id for c in data.contests)[0]
    station = data.table("stations").column("station_id")[0].as_py()
    paths = ["/", f"/contests/{contest}", f"/stations/{station}", "/forensics", "/forensics?flagged=1", "/log"]
    return {p: client.get(p).text for p in paths}


def test_every_page_answers_anonymous_visitors(client: TestClient, data) -> None:  # type: ignore[no-untyped-def]
    contest = sorted(c.contest_id for c in data.contests)[0]
    station = data.table("stations").column("station_id")[0].as_py()
    for path in ("/", f"/contests/{contest}", f"/stations/{station}", "/forensics", "/log", "/log/export.jsonl",
                 "/api/overview", f"/api/contests/{contest}"):
        got = client.get(path)
        assert got.status_code == 200, (path, got.text[:300])
    assert client.get("/contests/NO-SUCH", headers={"accept": "text/html"}).status_code == 404
    assert client.get("/stations/NO-SUCH", headers={"accept": "text/html"}).status_code == 404
    assert client.get("/forensics?min_score=abc", headers={"accept": "text/html"}).status_code == 400


def test_seat_table_is_the_allocation(client: TestClient, data) -> None:  # type: ignore[no-untyped-def]
    result = allocate(data, lot=Lot("0"))  # the lot's seed the room uses, as `tallycheck report`
    rows = _cells(client.get("/").text, "seats-per-party")
    assert [(r[0], _number(r[1]), _number(r[2]), _number(r[3])) for r in rows] == \
        [(p.party, p.seats, p.women, p.votes) for p in result.parties if p.seats]
    api = client.get("/api/overview").json()
    assert sum(p["seats"] for p in api["parties"]) == result.seats
    version = Store(default_store(client.app.state.room.package)).latest()
    assert api["snapshot_sha256"] == version.snapshot_sha256 and version.snapshot_sha256 in client.get("/").text


def test_contest_page_shows_winners_and_margins(client: TestClient, data) -> None:  # type: ignore[no-untyped-def]
    from tallycheck.seats.margins import seat_margins

    result = allocate(data, lot=Lot("0"))
    margins = {(m.contest_id, m.holder): m for m in seat_margins(result, data)}
    contest = max(result.contests, key=lambda c: len(c.winners))
    page = client.get(f"/contests/{contest.contest_id}").text
    winners = _cells(page, "winners")
    assert [w[1] for w in winners] == [s.name for s in contest.winners]
    for w, s in zip(winners, contest.winners):
        m = margins[(contest.contest_id, s.candidate_id)]
        assert _number(w[3]) == s.votes and w[4] == ("—" if m.ballots is None else f"{m.ballots:,}")
    candidates = _cells(page, "candidates")
    assert sum(1 for c in candidates if c[4] == "elected") == len(contest.winners)
    assert 'dir="auto"' in page  # names in their own script set their own direction


def test_station_page_shows_its_sheet(client: TestClient, data) -> None:  # type: ignore[no-untyped-def]
    sheets = data.table("sheets").to_pylist()
    sheet = max(sheets, key=lambda s: s["ballots_cast"])
    sid, cid = sheet["station_id"], sheet["contest_id"]
    page = client.get(f"/stations/{sid}").text
    for n in (sheet["ballots_cast"], sheet["invalid"], sheet["blank"]):
        assert f"<dd>{n:,}</dd>" in page
    results = [r for r in data.table("results").to_pylist() if r["station_id"] == sid and r["contest_id"] == cid]
    names = {c.candidate_id: c.name for c in data.candidates if c.contest_id == cid}
    shown = {row[0]: _number(row[2]) for row in _cells(page, f"sheet-{cid}")}
    assert {names[r["candidate_id"]]: r["votes"] for r in results} == shown
    flags = _cells(page, "flags")
    assert flags and all(f[0] for f in flags)


def test_forensics_filters_filter(client: TestClient, data) -> None:  # type: ignore[no-untyped-def]
    every = _cells(client.get("/forensics").text, "ranked-stations")  # first: the page makes the analyses
    analyses = client.app.state.page_analyses.get(client.app.state.room.store)
    f = analyses.forensics
    assert len(every) == 50
    contest = f.contests[0]
    rows = _cells(client.get(f"/forensics?contest={contest}").text, "ranked-stations")
    assert rows and all(r[2] == contest for r in rows)
    region_id, region_name = f.regions[0]
    rows = _cells(client.get(f"/forensics?region={region_id}").text, "ranked-stations")
    assert rows and all(r[3] == region_name for r in rows)
    rows = _cells(client.get("/forensics?min_score=1.5").text, "ranked-stations")
    assert rows and all(float(r[4]) >= 1.5 for r in rows)
    method = max(f.methods, key=lambda m: int(f._significant[m].sum()))
    rows = _cells(client.get(f"/forensics?method={method}").text, "ranked-stations")
    assert rows and all(f"{method}:" in r[6] for r in rows)
    ranks = [int(r[0]) for r in rows]
    assert ranks == sorted(ranks)  # still in ranking order, with their places in the whole ranking
    # the page's count is the filter applied to the screen's own rows
    page = client.get(f"/forensics?contest={contest}&region={region_id}").text
    expected = int(((f._contest == contest) & (f._region == region_id)).sum())
    assert f"{expected:,} stations match" in page
    page2 = client.get("/forensics?page=2").text
    assert _cells(page2, "ranked-stations")[0][0] == "51"


def test_no_inline_script(client: TestClient, data) -> None:  # type: ignore[no-untyped-def]
    for path, page in _pages(client, data).items():
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert 'src="' in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", page), path
    pages = _pages(client, data)
    for path, chart in (("/", "fig-hemicycle"), ("/", "fig-turnout"), ("/", "fig-blocs-"),
                        ("/forensics", "fig-forensic-fingerprint"), ("/forensics", "fig-forensic-turnout")):
        block = re.search(rf'<script type="application/json" class="chart-data" id="{chart}[^"]*">(.*?)</script>',
                          pages[path], re.S)
        assert block is not None, (path, chart)
        figure = json.loads(block.group(1))  # the report's own figure, as plotly JSON
        assert figure["data"] and "layout" in figure


def test_arabic_is_right_to_left(client: TestClient) -> None:
    page = client.get("/?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in page
    assert "المجاميع الوطنية" in page and "National totals" not in page  # this page's strings, from web.po
    client.cookies.clear()  # the language is remembered; the other tests read English
    assert "National totals" in client.get("/").text  # the cached body is per language


def _chart_titles(page: str) -> dict[str, str]:
    blocks = re.findall(r'<script type="application/json" class="chart-data" id="([^"]+)">(.*?)</script>', page, re.S)
    return {i: json.loads(b)["layout"]["title"]["text"] for i, b in blocks}


def test_charts_speak_the_page_language(client: TestClient) -> None:
    """The charts' titles come from the report's catalog in the visitor's language; the numbers stay the same."""
    for path in ("/", "/forensics"):
        english = _chart_titles(client.get(path).text)
        arabic = _chart_titles(client.get(path + "?lang=ar").text)
        client.cookies.clear()
        assert english.keys() == arabic.keys() and english
        for chart, title in arabic.items():
            assert title != english[chart] and re.search("[\u0600-\u06ff]", title), (chart, title)
            assert re.findall(r"\d+", title) == re.findall(r"\d+", english[chart])


def test_station_history_and_log(client: TestClient, data) -> None:  # type: ignore[no-untyped-def]
    engine = client.app.state.room.engine
    ids = data.table("stations").column("station_id").to_pylist()
    mine, other = ids[5], ids[6]
    event_log.log_event(engine, actor="agent-ali", role="agent", event="complaint.filed",
                        payload={"stations": [mine], "grounds": "ballot box seal broken", "complaint_id": 1})
    event_log.log_event(engine, actor="admin", role="admin", event="recount.ordered",
                        payload={"station_id": mine, "complaint_id": 1})
    event_log.log_event(engine, actor="admin", role="admin", event="recount.ordered",
                        payload={"station_id": f"{mine}0", "complaint_id": 2})  # an id that merely contains it
    history = _cells(client.get(f"/stations/{mine}").text, "history")
    assert [r[3] for r in history] == ["complaint.filed", "recount.ordered"]
    assert "ballot box seal broken" in history[0][4]
    assert "complaint.filed" not in client.get(f"/stations/{other}").text
    seq, sha = event_log.head(engine)
    log = client.get("/log").text
    assert sha in log and _cells(log, "log")[0][0] == str(seq)  # newest first
    export = client.get("/log/export.jsonl")
    entries, problem = read_export(export.text)
    assert problem is None and len(entries) == seq
    assert verify_entries(entries).head == sha


def test_log_details_show_lists_and_objects_as_json(client: TestClient, data) -> None:  # type: ignore[no-untyped-def]
    """A payload's lists and objects read as in the export (JSON), never as Python's repr of them."""
    engine = client.app.state.room.engine
    station = data.table("stations").column("station_id").to_pylist()[7]
    event_log.log_event(engine, actor="b1a", role="board", event="count.signed",
                        payload={"station_id": station, "members": ["b1a", "b1b"], "contests": {"D1": {"ok": True}}})
    for page in (client.get("/log").text, client.get(f"/stations/{station}").text):
        text = html.unescape(re.sub(r"</?bdi>", "", page))
        assert 'members: ["b1a", "b1b"]' in text and 'contests: {"D1": {"ok": true}}' in text
        assert "['b1a'" not in text and "True" not in text


def test_pages_name_an_icon_that_exists(client: TestClient) -> None:
    page = client.get("/").text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon and client.get(icon.group(1)).status_code == 200
