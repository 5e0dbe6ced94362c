"""The standalone HTML report: evidence, escaping, offline, sections, station statistics."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from tallycheck import __version__
from tallycheck.evidence import Store
from tallycheck.importing import import_package
from tallycheck.model import ElectionData
from tallycheck.problems import RULES
from tallycheck.report import ReportSection, build_report, render_report
from tallycheck.areas import AreaTree
from tallycheck.report.markup import count, percent
from tallycheck.report.station_stats import station_stats
from tallycheck.tabulate import tabulate

TINY = Path(__file__).parent / "fixtures" / "packages" / "tiny"
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_PARTY = "Party <img src=x onerror=alert(2)>"
ARABIC_NAME = "زينب كريم"


@dataclass
class Built:
    package: Path
    store: Store
    path: Path
    html: str


def _import(package: Path, tmp_path: Path) -> Store:
    result = import_package(package, tmp_path / "store")
    assert not result.refused, result.problems
    return Store(tmp_path / "store")


def _build(package: Path, tmp_path: Path, **kwargs: object) -> Built:
    store = _import(package, tmp_path)
    data = store.load()
    out = tmp_path / "out" / "report.html"
    path = build_report(data, tabulate(data), out=out, version=store.latest(), problems=store.problems(), **kwargs)
    return Built(package, store, path, path.read_text("utf-8"))


def _copy_tiny(tmp_path: Path) -> Path:
    package = tmp_path / "pkg"
    shutil.copytree(TINY, package, ignore=shutil.ignore_patterns(".tallycheck"))
    return package


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), "utf-8")


# module-scoped: the tests only read these reports, and importing a package is the slow part
@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory: pytest.TempPathFactory) -> Built:
    tmp_path = tmp_path_factory.mktemp("tiny")
    return _build(_copy_tiny(tmp_path), tmp_path)


@pytest.fixture(scope="module")
def tiny_data(tiny_report: Built) -> ElectionData:
    return tiny_report.store.load()


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Tiny, with a sheet that does not add up and names an attacker would choose."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    package = _copy_tiny(tmp_path)
    _replace(package / "candidates.csv", "001,D1,Ali Hassan,Party A", f"001,D1,{HOSTILE_NAME},{HOSTILE_PARTY}")
    _replace(package / "candidates.csv", "002,D1,Zainab Kareem", f"002,D1,{ARABIC_NAME}")
    _replace(package / "candidates.csv", "003,D1,Omar Saleh", '003,D1,"Omar ""the"" Saleh & Sons"')
    _replace(package / "areas.csv", "G1,Governorate One", "G1,</td><b>Governorate</b>")
    with open(package / "election.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[source]\npublisher = "IHEC <i>"\nurl = "https://cdn.example.org/x.js?a=1&b=2"\n')
    # votes 155 + invalid 4 + blank 1 = 160 on this sheet: 170 does not add up (sheet.arithmetic)
    _replace(package / "sheets.csv", "0100101,D1,160,4,1,400,240,0", "0100101,D1,170,4,1,410,240,0")
    # 170 ballots cast on a register of 150: turnout above 100 % (sheet.over-registered)
    _replace(package / "stations.csv", "0200101,02001,D2,420", "0200101,02001,D2,150")
    return _build(package, tmp_path)


def _without_plotly_js(page: str) -> str:
    js = get_plotlyjs()
    assert page.count(js) == 1
    return page.replace(js, "")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _tags(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(_without_plotly_js(page))
    return parser


# --- the file and its evidence -------------------------------------------------------------------------------------

def test_report_is_written_with_its_evidence(tiny_report: Built) -> None:
    v = tiny_report.store.latest()
    assert tiny_report.path.name == "report.html" and tiny_report.path.parent.name == "out"
    assert tiny_report.path.is_file()
    assert tiny_report.html.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in tiny_report.html
    assert "Tiny test election" in tiny_report.html
    assert f'<code class="hash">{v.snapshot_sha256}</code>' in tiny_report.html  # in full
    assert f'<dd><bdi>{v.name}</bdi>, created <bdi dir="ltr">{v.created}</bdi></dd>' in tiny_report.html
    assert f"<dt>tallycheck</dt><dd>{__version__}</dd>" in tiny_report.html
    assert "<code>tallycheck verify PACKAGE</code>" in tiny_report.html
    assert re.search(r'<dt>Generated</dt><dd><bdi dir="ltr">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</bdi></dd>', tiny_report.html)
    assert "<dt>Law</dt><dd><code>iraq-2021</code></dd>" in tiny_report.html
    assert "<dt>Country</dt><dd><bdi>IQ</bdi></dd>" in tiny_report.html
    # input files with their hashes, as the manifest records them
    for i in v.manifest["inputs"]:
        assert f"<code>{i['sha256']}</code>" in tiny_report.html


def test_report_without_a_snapshot_says_so(tiny_data: ElectionData) -> None:
    at = dt.datetime(2021, 10, 11, 9, 30, tzinfo=dt.timezone.utc)
    page = render_report(tiny_data, tabulate(tiny_data), generated_at=at)
    assert "Not built from a stored snapshot" in page
    assert '<dd><bdi dir="ltr">2021-10-11 09:30:00 UTC</bdi></dd>' in page


def test_write_is_atomic_and_leaves_no_temporary_file(tiny_report: Built, tiny_data: ElectionData, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    data, tab, version = tiny_data, tabulate(tiny_data), tiny_report.store.latest()
    out = tmp_path / "r" / "report.html"
    build_report(data, tab, out=out, version=version)
    first = out.read_bytes()
    build_report(data, tab, out=out, version=version)  # overwrite in place
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        build_report(data, tab, out=out, version=None)
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]  # old report intact, temp file gone
    assert b"Not built from a stored snapshot" not in out.read_bytes()
    assert len(out.read_bytes()) == pytest.approx(len(first), abs=64)


# --- offline and escaping ------------------------------------------------------------------------------------------

def test_plotly_js_is_embedded_exactly_once(tiny_report: Built) -> None:
    js = get_plotlyjs()
    assert tiny_report.html.count(js) == 1
    assert tiny_report.html.count(js[:40]) == 1  # "/** plotly.js vX.Y.Z" header: no second copy, partial or whole
    assert tiny_report.html.count('<script id="plotly-js">') == 1
    assert tiny_report.html.index('<script id="plotly-js">') < tiny_report.html.index("Plotly.newPlot")


def test_page_fetches_nothing_from_the_network(hostile_report: Built) -> None:
    parsed = _tags(hostile_report.html)
    for tag, attrs in parsed.tags:
        for attr in ("src", "href", "srcset", "data", "action"):
            value = (attrs.get(attr) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, attr, value)
            assert "cdn." not in value, (tag, attr, value)
        assert tag != "link", attrs  # no external stylesheet or font
        if tag == "script":
            assert "src" not in attrs, attrs
        if tag == "a":
            assert (attrs.get("href") or "").startswith("#"), attrs  # only links within the page
    rest = _without_plotly_js(hostile_report.html)
    # the package's source URL is shown as text, never as a link or a script
    assert "<dt>Source</dt><dd>publisher: <bdi>IHEC &lt;i&gt;</bdi>; url: https://cdn.example.org/x.js?a=1&amp;b=2" \
        in rest
    rest = rest.replace("https://cdn.example.org/x.js", "")
    assert "cdn." not in rest
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", rest, re.I)
    assert "default-src 'none'" in rest  # Content-Security-Policy: the browser refuses any fetch


def test_hostile_names_are_escaped(hostile_report: Built) -> None:
    page = _without_plotly_js(hostile_report.html)
    assert HOSTILE_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    assert "Party &lt;img src=x onerror=alert(2)&gt;" in page
    assert "Omar &quot;the&quot; Saleh &amp; Sons" in page
    assert "&lt;/td&gt;&lt;b&gt;Governorate&lt;/b&gt;" in page
    parsed = _tags(hostile_report.html)
    assert not any(tag in ("img", "b", "iframe", "object") for tag, _ in parsed.tags)
    # every script is the page's own: plotly.js (removed above, so empty), the print helper or a figure
    for body in parsed.scripts:
        assert body == "" or "beforeprint" in body or "Plotly.newPlot" in body, body[:200]


def test_names_take_their_direction_from_the_text(hostile_report: Built) -> None:
    assert f'<td dir="auto">{ARABIC_NAME}</td>' in hostile_report.html
    assert '<h1><bdi>Tiny test election</bdi></h1>' in hostile_report.html


# --- content -------------------------------------------------------------------------------------------------------

def test_national_summary(tiny_report: Built) -> None:
    # tiny fixture: registers 400 + 380 + 420 (0200102 has none); ballots 160 + 150 + 170 at those stations = 480
    assert "<dt>Registered voters</dt><dd>1,200 on the stations' registers</dd>" in tiny_report.html
    assert "<dt>Ballots cast</dt><dd>570</dd>" in tiny_report.html  # 160 + 150 + 170 + 90
    assert "<dd>40.0% — ballots cast at the 3 stations with a register" in tiny_report.html  # 480 / 1,200
    assert "<dt>Seats</dt><dd>6 (at least 2 for women)</dd>" in tiny_report.html
    assert "<dt>Candidates</dt><dd>7, of whom 3 women (42.9%)</dd>" in tiny_report.html


def test_governorate_and_party_tables(tiny_report: Built) -> None:
    assert '<h2>By governorate</h2>' in tiny_report.html
    # Governorate One: 4 stations, registered 1,200, cast 570, Party A leads with 60+55+30+35+80+30 = 290
    assert ('<tr><td dir="auto">Governorate One</td><td class="num">4</td><td class="num">1,200</td>'
            '<td class="num">570</td><td class="num">40.0%</td><td dir="auto">Party A</td><td class="num">290</td>'
            in tiny_report.html)
    assert '<td dir="auto">(independent)</td><td class="num">30</td>' in tiny_report.html


def test_contests_are_collapsible_with_leading_candidates(tiny_report: Built) -> None:
    assert "<details><summary><bdi>Governorate One</bdi> — 2 contests, 6 seats</summary>" in tiny_report.html
    # D1: Ali Hassan 60 + 55 = 115 of 300 valid votes
    assert ('<td class="num">1</td><td dir="auto">Ali Hassan</td><td dir="auto">Party A</td><td>man</td>'
            '<td class="num">115</td><td class="num">38.3%</td>') in tiny_report.html


def test_warnings_are_counted_by_rule_with_examples(hostile_report: Built) -> None:
    problems = hostile_report.store.problems()
    assert any(p.rule == "sheet.arithmetic" for p in problems)
    page = hostile_report.html
    section = page[page.index('<section id="data-quality">'):page.index('<section id="areas">')]
    assert "<td><code>sheet.arithmetic</code></td>" in section
    assert RULES["sheet.arithmetic"].summary in section
    example = next(p for p in problems if p.rule == "sheet.arithmetic")
    assert f'<td dir="auto">sheets.csv</td><td class="num">{example.row}</td>' in section
    assert "No warnings" not in section


def test_no_warnings_is_said_plainly(tiny_report: Built) -> None:
    assert "No warnings were recorded with this snapshot" in tiny_report.html


def test_turnout_figures(tiny_report: Built) -> None:
    assert 'id="fig-turnout"' in tiny_report.html
    assert 'id="fig-leading-share"' in tiny_report.html
    assert "Plotly.newPlot" in tiny_report.html
    assert "median 40.0%" in tiny_report.html  # 150/380, 160/400, 170/420
    assert "1 station without a register (special voting) is not drawn" in tiny_report.html


def test_turnout_above_100_percent_is_flagged(hostile_report: Built) -> None:
    assert "1 station reports more ballots cast than registered voters (red bar)" in hostile_report.html
    assert '"customdata":["above 100%: 1 station"]' in hostile_report.html
    assert any(p.rule == "sheet.over-registered" for p in hostile_report.store.problems())


def test_extra_sections_follow_in_order_with_contents_links(tiny_data: ElectionData) -> None:
    extra = (ReportSection("seats", "Seats", "<p>SEATS-BODY</p>"),
             ReportSection("audit-plan", "Audit <plan>", "<p>AUDIT-BODY</p>"))
    page = render_report(tiny_data, tabulate(tiny_data), extra_sections=extra)
    toc = page[page.index('<nav class="toc"'):page.index("</nav>")]
    hrefs = re.findall(r'href="#([^"]+)"', toc)
    assert hrefs == ["summary", "data-quality", "areas", "parties", "contests", "turnout", "seats", "audit-plan"]
    assert "Audit &lt;plan&gt;" in toc
    for anchor in hrefs:
        assert page.count(f'<section id="{anchor}">') == 1
    assert page.index('<section id="turnout">') < page.index("SEATS-BODY") < page.index("AUDIT-BODY")


@pytest.mark.parametrize("sections, error", [
    ((ReportSection("seats", "A", ""), ReportSection("seats", "B", "")), "share the id"),
    ((ReportSection("summary", "Mine", ""),), "share the id"),  # clashes with a section of the report's own
])
def test_section_ids_must_be_unique(tiny_data: ElectionData, sections: tuple[ReportSection, ...],
                                    error: str) -> None:
    with pytest.raises(ValueError, match=error):
        render_report(tiny_data, tabulate(tiny_data), extra_sections=sections)


@pytest.mark.parametrize("bad_id", ["", "1st", 'x" onclick="alert(1)', "a b", "x" * 65])
def test_section_ids_are_anchors(bad_id: str) -> None:
    with pytest.raises(ValueError, match="must start with a letter"):
        ReportSection(bad_id, "Title", "")


def test_extra_sections_must_be_report_sections(tiny_data: ElectionData) -> None:
    with pytest.raises(TypeError, match="ReportSection"):
        render_report(tiny_data, tabulate(tiny_data), extra_sections=("<p>raw</p>",))  # type: ignore[arg-type]


# --- graceful degradation and generic area trees -------------------------------------------------------------------

def test_without_areas_csv_the_stations_areas_are_the_breakdown(tmp_path: Path) -> None:
    package = _copy_tiny(tmp_path)
    (package / "areas.csv").unlink()
    built = _build(package, tmp_path)
    assert "<h2>By area</h2>" in built.html
    assert '<tr><td dir="auto">D1</td><td class="num">2</td><td class="num">780</td>' in built.html
    assert '<tr><td dir="auto">D2</td><td class="num">2</td><td class="num">420</td>' in built.html
    assert 'id="fig-turnout-areas"' in built.html  # two areas: small multiples


def test_a_second_level_below_the_root_is_found_generically(tmp_path: Path) -> None:
    package = _copy_tiny(tmp_path)
    (package / "areas.csv").write_text("area_id,name,parent,level\nR,Republic,,nation\nP1,North,R,province\n"
                                       "P2,South,R,province\nD1,District One,P1,\nD2,District Two,P2,\n", "utf-8")
    built = _build(package, tmp_path)
    assert "<h2>By province</h2>" in built.html
    assert '<tr><td dir="auto">North</td><td class="num">2</td>' in built.html
    assert '<tr><td dir="auto">South</td><td class="num">2</td>' in built.html
    assert "<details><summary><bdi>North</bdi> — 1 contest, 3 seats</summary>" in built.html


# --- station statistics (tables: input, expected, source) ----------------------------------------------------------

# station, registered, ballots cast, turnout, leading votes / all votes on its sheet
# (source: stations.csv, sheets.csv and results.csv of the tiny fixture)
TINY_STATIONS = [
    ("0100101", 400, 160, 160 / 400, 60 / 155),
    ("0100102", 380, 150, 150 / 380, 55 / 145),
    ("0200101", 420, 170, 170 / 420, 80 / 165),
    ("0200102", None, 90, math.nan, 30 / 88),  # special station: no register, so no turnout
]


def _by_station(stats: object, field: str) -> dict[str, object]:
    return dict(zip(stats.station_id.to_pylist(), getattr(stats, field).tolist()))  # type: ignore[attr-defined]


@pytest.mark.parametrize("station, registered, cast, turnout, leading", TINY_STATIONS)
def test_station_stats_on_the_tiny_fixture(tiny_data: ElectionData, station: str, registered: int | None,
                                           cast: int, turnout: float, leading: float) -> None:
    s = station_stats(tiny_data)
    assert s.stations == 4 and s.multi_sheet_stations == 0 and s.over_registered == 0
    assert _by_station(s, "has_register")[station] is (registered is not None)
    assert _by_station(s, "registered")[station] == (registered or 0)
    assert _by_station(s, "ballots_cast")[station] == cast
    got = _by_station(s, "turnout")[station]
    assert math.isnan(got) if math.isnan(turnout) else got == pytest.approx(turnout)
    assert _by_station(s, "leading_share")[station] == pytest.approx(leading)


@pytest.mark.parametrize("one_ballot, cast, summary", [
    # every voter receives each contest's ballot: the station's largest sheet (D1's 160, not C1's 20)
    (False, 160, "570 (per station: its largest sheet (every voter receives each ballot)); 590 on all sheets"),
    # each voter casts one ballot, general or minority (Iraq 2021): the station's sheets add up (160 + 20)
    (True, 180, "590 (per station: the sum of its sheets (each voter casts one ballot)); 590 on all sheets"),
])
def test_station_stats_count_each_voter_once(tmp_path: Path, one_ballot: bool, cast: int, summary: str) -> None:
    """A station serving a general and a minority ballot counts its voters once, by the law's rule (tabulate's)."""
    package = _copy_tiny(tmp_path)
    if one_ballot:
        toml = (package / "election.toml").read_text("utf-8")
        (package / "election.toml").write_text(toml.replace('name = "iraq-2021"',
                                                            'name = "iraq-2021"\none_ballot_per_voter = true'), "utf-8")
    with open(package / "contests.csv", "a", encoding="utf-8") as fh:
        fh.write("C1,Christian seat,1,G1,0,Christian\n")
    with open(package / "candidates.csv", "a", encoding="utf-8") as fh:
        fh.write("901,C1,Yohanna Toma,Babylon,M,Christian,\n902,C1,Rayan Kildani,Rafidain,M,Christian,\n")
    with open(package / "sheets.csv", "a", encoding="utf-8") as fh:
        fh.write("0100101,C1,20,0,0,,,\n")
    with open(package / "results.csv", "a", encoding="utf-8") as fh:
        fh.write("0100101,C1,901,19\n0100101,C1,902,1\n")
    built = _build(package, tmp_path)
    s = station_stats(built.store.load())
    assert s.multi_sheet_stations == 1
    assert _by_station(s, "ballots_cast")["0100101"] == cast
    assert _by_station(s, "leading_share")["0100101"] == pytest.approx(60 / 155)  # from the general sheet
    assert "1 station serves more than one contest" in built.html
    assert f"<dt>Ballots cast</dt><dd>{summary}</dd>" in built.html


def test_breakdown_codes_map_every_station_to_its_governorate(tiny_data: ElectionData) -> None:
    data = tiny_data
    tree = AreaTree.from_data(data)
    assert tree.roots == ("IQ",) and tree.breakdown == ("G1",) and tree.level_word == "governorate"
    assert tree.breakdown_of("D2") == "G1" and tree.breakdown_of("IQ") is None
    codes = tree.breakdown_codes(data.table("stations").column("area"))
    assert codes.tolist() == [0, 0, 0, 0]


# --- formats -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [(0, "0"), (999, "999"), (1234567, "1,234,567"), (None, "—")])
def test_counts_have_thousands_separators(value: int | None, shown: str) -> None:
    assert count(value) == shown


@pytest.mark.parametrize("value, shown", [(0.4, "40.0%"), (0.41234, "41.2%"), (1.0, "100.0%"), (None, "—"),
                                          (math.nan, "—")])
def test_percentages_have_one_decimal(value: float | None, shown: str) -> None:
    assert percent(value) == shown


def test_report_imports_no_shell_library() -> None:
    code = ("import sys, tallycheck.report; "
            "bad = [m for m in ('typer', 'rich', 'duckdb') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- a small synthetic Iraq-shaped election (skipped until tallycheck.synth is importable) -------------------------

def test_synthetic_iraq_election_report(tmp_path: Path) -> None:
    synth = pytest.importorskip("tallycheck.synth")
    try:
        synth.generate(shape="iraq-2021", seed=3, out=tmp_path / "pkg", stations=300, names="arabic")
    except Exception as exc:  # another capability, still in progress: its failure is not the report's
        pytest.skip(f"tallycheck.synth cannot generate yet: {exc}")
    built = _build(tmp_path / "pkg", tmp_path)
    page = built.html
    assert "<h2>By governorate</h2>" in page
    areas = page[page.index('<section id="areas">'):page.index('<section id="parties">')]
    assert areas[:areas.index("<tfoot>")].count("<tr><td dir=\"auto\">") == 18  # Iraq's 18 governorates
    assert 'id="fig-turnout-areas"' in page
    assert page.count("<details><summary><bdi>") >= 18
    assert np.isfinite(station_stats(built.store.load()).turnout).sum() > 0
    assert "Synthetic data: these are not the results of a real election." in page
