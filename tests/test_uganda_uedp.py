"""tallycheck.ingest.uganda_uedp: Uganda's presidential elections of 2011, 2016 and 2021 as election packages.

Reads the real data (UEDP, no licence stated) from ../shared/data/ beside the repository; nothing of it is
copied into the repository. Row numbers in comments count records from 1 at the header line, as a spreadsheet
shows them (some 2011 and 2016 values hold line breaks inside quotes, so a text editor's line numbers run
ahead there).
"""

from __future__ import annotations

import collections
import csv
import functools
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from adapter_run import PACKAGE_FILES, Converted, convert_and_import

from tallycheck.ingest.uganda_uedp import (
    STATION_SOURCES_FILE,
    YEARS,
    SourceDataError,
    write_package,
)
from tallycheck.problems import Severity
from tallycheck.tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "uganda-presidential-2011-2021"
pytestmark = pytest.mark.skipif(
    not (SOURCE / "uedp_2021_stations.csv").is_file(),
    reason=f"the Uganda UEDP data (no licence stated, never copied into the repository) is not at {SOURCE}")


def convert(tmp: Path, year: int, source: Path = SOURCE) -> Converted:
    return convert_and_import(tmp, lambda out: write_package(source, out, year))


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Converted]:
    """Each year converted and imported once for the module."""
    done: dict[int, Converted] = {}

    def get(year: int) -> Converted:
        if year not in done:
            done[year] = convert(tmp_path_factory.mktemp(f"ug{year}"), year)
        return done[year]
    return get


@pytest.fixture(params=sorted(YEARS))
def year(request: pytest.FixtureRequest, converted: Callable[[int], Converted]) -> Converted:
    return converted(request.param)


@pytest.fixture
def ug2021(converted: Callable[[int], Converted]) -> Converted:
    return converted(2021)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@functools.cache
def _source_rows(year: int) -> list[dict[str, str]]:
    return read_rows(SOURCE / f"uedp_{year}_stations.csv")


def source_row(year: int, number: int) -> dict[str, str]:
    """Record `number` of the year's station file (the header is record 1)."""
    return _source_rows(year)[number - 2]


# -- every year ----------------------------------------------------------------------------------------------

# year: (stations = source rows, sheets = reporting stations, result rows = sheets x candidates, areas,
#        warnings by rule). README "Files, rows and columns": 23,968 rows (141 NON_REP), 28,010 (235), 34,767
#        (184). Every warning is a non-reported station: station.no-results, one per NON_REP row.
EXPECTED = {
    2011: (23968, 23827, 23827 * 8, 8911, {"station.no-results": 141}),
    2016: (28010, 27775, 27775 * 8, 9235, {"station.no-results": 235}),
    2021: (34767, 34583, 34583 * 11, 13540, {"station.no-results": 184}),
}


def test_each_year_imports_with_the_warnings_the_data_holds(year: Converted) -> None:
    s = year.summary
    print(f"\nUganda {s.year}: {s.stations} stations, {s.sheets} sheets, {s.results} result rows, "
          f"{s.areas} areas; warnings {dict(year.rules())}; {len(s.duplicate_source_ids)} duplicated station "
          f"ids; write {year.seconds_write:.2f} s, import {year.seconds_import:.2f} s")
    stations, sheets, results, areas, warnings = EXPECTED[s.year]
    assert (s.stations, s.sheets, s.results, s.areas) == (stations, sheets, results, areas)
    assert not any(p.severity is Severity.ERROR for p in year.problems)
    assert year.rules() == warnings
    assert len(s.non_reporting) == warnings["station.no-results"] == stations - sheets
    assert {p.value for p in year.problems} == set(s.non_reporting)
    # The published station totals agree everywhere: the candidate columns sum to V.Votes, T.Votes = V.Votes +
    # Inv.Votes, and no station has more ballots than voters. So no sheet.arithmetic, no sheet.over-registered
    # (test_inconsistent_totals_surface_as_warnings shows that they would be reported).
    assert (s.candidates_not_valid, s.cast_not_valid_plus_invalid, s.arithmetic, s.over_registered) == \
        ((), (), (), ())


# README "Check totals over reporting stations": registered, turnout % (T.Votes / Reg.Voters), Museveni % of
# valid votes.
README_CHECKS = {
    2011: ("13,875,338", "59.55", "68.57"),
    2016: ("15,141,759", "68.22", "60.62"),
    2021: ("18,037,787", "59.57", "58.38"),
}


def test_totals_reproduce_the_readme_check_table(year: Converted) -> None:
    registered, turnout, museveni = README_CHECKS[year.summary.year]
    assert f"| {year.summary.year} | {registered} | {turnout} | {museveni} |" in \
        (SOURCE / "README.md").read_text(encoding="utf-8")
    t = tabulate(year.data)
    [contest] = t.contests.to_pylist()
    assert contest["stations_reporting"] == contest["sheets"] == year.summary.sheets
    assert f"{contest['registered']:,}" == registered  # only stations with a sheet count: the reporting ones
    assert f"{100 * contest['turnout']:.2f}" == turnout
    [m] = [c for c in t.choices.to_pylist() if c["candidate_id"] == "museveni"]
    assert f"{100 * m['share']:.2f}" == museveni
    assert m["rank"] == 1


# -- by hand -------------------------------------------------------------------------------------------------

def test_a_warning_and_a_sheet_by_hand(ug2021: Converted) -> None:
    # uedp_2021_stations.csv rows 26939 and 26940 are the same row twice: KOLE, KOLE SOUTH COUNTY, BALA,
    # OMUGE, TEITEK CENTRE, O-103-1-5-27-4, Reg.Voters 701, every count 0, NON_REP 1. Both rows are kept as
    # stations (#1, #2 in file order), without sheet or results: two station.no-results warnings.
    assert source_row(2021, 26939) == source_row(2021, 26940)
    assert source_row(2021, 26939)["NON_REP"] == "1"
    warned = {p.value: p for p in ug2021.problems}
    for station_id in ("O-103-1-5-27-4#1", "O-103-1-5-27-4#2"):
        assert warned[station_id].rule == "station.no-results"
        assert warned[station_id].file == "stations.csv"
    stations = {r["station_id"]: r for r in read_rows(ug2021.package / "stations.csv")}
    assert stations["O-103-1-5-27-4#1"] == {"station_id": "O-103-1-5-27-4#1",
                                            "centre_id": "KOLE/KOLE-SOUTH-COUNTY/BALA/OMUGE",
                                            "area": "KOLE/KOLE-SOUTH-COUNTY/BALA/OMUGE", "registered": "701"}
    sheets = {r["station_id"]: r for r in read_rows(ug2021.package / "sheets.csv")}
    assert "O-103-1-5-27-4#1" not in sheets and "O-103-1-5-27-4#2" not in sheets
    # Row 2: APAC, MARUZI COUNTY, AKOKORO, AKOKORO, ALUGA P.7 SCHOOL, O-1-3-1-3-1, Reg.Voters 467; candidates
    # 16,1,4,1,121,1,0,1,0,4,159 (sum 308 = V.Votes); V.Votes 308, Inv.Votes 8, T.Votes 316, NON_REP 0.
    # 308 + 8 + 0 blank = 316: no sheet.arithmetic; 316 <= 467: no sheet.over-registered.
    assert sheets["O-1-3-1-3-1"] == {"station_id": "O-1-3-1-3-1", "contest_id": "UG-PRES-2021",
                                     "ballots_cast": "316", "invalid": "8", "blank": "0"}
    assert stations["O-1-3-1-3-1"]["registered"] == "467"
    votes = {r["candidate_id"]: int(r["votes"]) for r in read_rows(ug2021.package / "results.csv")
             if r["station_id"] == "O-1-3-1-3-1"}
    assert votes == {"amuriat": 16, "kabuleta": 1, "kalembe": 4, "katumba": 1, "kyagulanyi": 121, "mao": 1,
                     "mayambala": 0, "mugisha": 1, "mwesigye": 0, "tumukunde": 4, "museveni": 159}
    assert sum(votes.values()) == 308


def test_a_non_reported_2011_station_with_blank_totals(converted: Callable[[int], Converted]) -> None:
    # uedp_2011_stations.csv row 6500: KASESE, ..., KANYAMPARA MARKET, O-15-77-5-19-4, Reg.Voters 814,
    # candidate columns 0, V.Votes and Inv.Votes ' ' (README: "blank for non-reported stations"), T.Votes 0,
    # NON_REP 1: a station without sheet or results.
    row = source_row(2011, 6500)
    assert (row["Original_Station_ID_previous"], row["V.Votes"], row["NON_REP"]) == \
        ("O-15-77-5-19-4", " ", "1")
    ug2011 = converted(2011)
    [warning] = [p for p in ug2011.problems if p.value == "O-15-77-5-19-4"]
    assert warning.rule == "station.no-results"
    stations = {r["station_id"]: r for r in read_rows(ug2011.package / "stations.csv")}
    assert stations["O-15-77-5-19-4"]["registered"] == "814"


def test_duplicate_station_ids_are_kept_and_reported(ug2021: Converted) -> None:
    s = ug2021.summary
    # 447 Original_Station_ID_previous values are on more than one row of the 2021 file (443 twice, 4 three
    # times: 898 rows); each group's rows are adjacent. 68 of them are one row repeated, all non-reported.
    assert len(s.duplicate_source_ids) == 447
    assert len(s.identical_duplicate_rows) == 68
    sources = read_rows(ug2021.package / STATION_SOURCES_FILE)
    assert len(sources) == s.stations == 34767
    assert sorted(int(r["source_row"]) for r in sources) == list(range(2, 34769))  # every row, once
    renamed = [r for r in sources if r["station_id"] != r["source_id"]]
    assert len(renamed) == 898
    assert {r["source_id"] for r in renamed} == set(s.duplicate_source_ids)
    assert all(r["station_id"].startswith(r["source_id"] + "#") for r in renamed)
    group_sizes = collections.Counter(r["source_id"] for r in renamed)
    assert collections.Counter(group_sizes.values()) == {2: 443, 3: 4}
    assert {"O-103-1-5-27-4#1", "O-103-1-5-27-4#2"} <= set(s.non_reporting)
    # Rows 26224 and 26225 share O-100-117-1-2-1 but are two stations: KALUNGU EAST COUNTY, BUKULULA, BUGONZI,
    # "KABAALE TOWN (A-M)-FATIH BOYS PRI. SCH PLAYGROUND", Reg.Voters 553, T.Votes 366; and KALUNGU,
    # BWASANDEKU, BWASANDEKU-KITAWULUZI, 515, 329.
    by_id = {r["station_id"]: r for r in sources}
    assert by_id["O-100-117-1-2-1#1"]["source_row"] == "26224"
    assert by_id["O-100-117-1-2-1#2"] == {"station_id": "O-100-117-1-2-1#2", "source_row": "26225",
                                          "source_id": "O-100-117-1-2-1", "name": "BWASANDEKU-KITAWULUZI"}
    stations = {r["station_id"]: r for r in read_rows(ug2021.package / "stations.csv")}
    sheets = {r["station_id"]: r for r in read_rows(ug2021.package / "sheets.csv")}
    assert (stations["O-100-117-1-2-1#1"]["area"], stations["O-100-117-1-2-1#1"]["registered"],
            sheets["O-100-117-1-2-1#1"]["ballots_cast"]) == ("KALUNGU/KALUNGU-EAST-COUNTY/BUKULULA/BUGONZI",
                                                             "553", "366")
    assert (stations["O-100-117-1-2-1#2"]["area"], stations["O-100-117-1-2-1#2"]["registered"],
            sheets["O-100-117-1-2-1#2"]["ballots_cast"]) == (
        "KALUNGU/KALUNGU-EAST-COUNTY/KALUNGU/BWASANDEKU", "515", "329")


def test_package_shape(ug2021: Converted) -> None:
    pkg = ug2021.package
    assert sorted(p.name for p in pkg.iterdir()) == sorted([*PACKAGE_FILES, STATION_SOURCES_FILE])
    assert read_rows(pkg / "contests.csv") == [
        {"contest_id": "UG-PRES-2021", "name": "President of Uganda, 2021", "seats": "1", "area": "UG"}]
    candidates = read_rows(pkg / "candidates.csv")
    assert [c["candidate_id"] for c in candidates] == sorted(c["candidate_id"] for c in candidates)
    names = {c["candidate_id"]: c["name"] for c in candidates}
    assert names["museveni"] == "Yoweri Museveni Tibuhaburwa Kaguta"
    assert {(c["party"], c["gender"]) for c in candidates} == {("", "")}  # not in the source
    areas = read_rows(pkg / "areas.csv")
    by_id = {a["area_id"]: a for a in areas}
    levels = collections.Counter(a["level"] for a in areas)
    # distinct name paths of uedp_2021_stations.csv: 146 districts, 347 (district, constituency) pairs, 2,346
    # sub-counties, 10,700 parishes
    assert levels == {"country": 1, "district": 146, "constituency": 347, "subcounty": 2346, "parish": 10700}
    assert by_id["UG"] == {"area_id": "UG", "name": "Uganda", "parent": "", "level": "country"}
    assert by_id["APAC/MARUZI-COUNTY/AKOKORO/AWILA"] == {
        "area_id": "APAC/MARUZI-COUNTY/AKOKORO/AWILA", "name": "AWILA",
        "parent": "APAC/MARUZI-COUNTY/AKOKORO", "level": "parish"}
    assert all(a["parent"] in by_id for a in areas if a["parent"])
    stations = read_rows(pkg / "stations.csv")
    assert all(s["centre_id"] == s["area"] and by_id[s["area"]]["level"] == "parish" for s in stations)
    election = tomllib.loads((pkg / "election.toml").read_text(encoding="utf-8"))
    assert (election["date"].isoformat(), election["country"], election["law"]) == (
        "2021-01-14", "UG", {"name": "uganda-presidential", "system": "majority"})
    assert election["source"]["licence"] == "none stated"


def test_candidate_ids_follow_a_candidate_across_years() -> None:
    ids = {y: {cid for _, cid in spec.candidates} for y, spec in YEARS.items()}
    assert ids[2011] & ids[2016] == {"besigye", "bwanika", "museveni"}
    assert ids[2011] & ids[2021] == {"mao", "museveni"}
    for spec in YEARS.values():  # the header the adapter expects is the file's header
        with (SOURCE / spec.file).open(encoding="utf-8", newline="") as f:
            assert tuple(next(csv.reader(f))) == spec.header


def test_output_is_deterministic(tmp_path: Path, ug2021: Converted) -> None:
    write_package(SOURCE, tmp_path / "again", 2021)
    for name in (*PACKAGE_FILES, STATION_SOURCES_FILE):
        data = (tmp_path / "again" / name).read_bytes()
        assert data == (ug2021.package / name).read_bytes(), name
        assert b"\r" not in data
        data.decode("utf-8")
    station_ids = [r["station_id"] for r in read_rows(ug2021.package / "stations.csv")]
    assert station_ids == sorted(station_ids, key=lambda s: s.encode("utf-8"))


# -- inconsistent totals, refusals ---------------------------------------------------------------------------

def small_source(tmp_path: Path, rows: int, edit: dict[int, dict[str, str]]) -> Path:
    """The first `rows` records of the 2021 file (header included), with some values changed: a stand-in for a
    source whose published totals disagree, which the real files never do."""
    source = tmp_path / "source"
    source.mkdir()
    with (SOURCE / "uedp_2021_stations.csv").open(encoding="utf-8", newline="") as f:
        records = list(csv.reader(f))[:rows]
    header = records[0]
    for number, changes in edit.items():
        for column, value in changes.items():
            records[number - 1][header.index(column)] = value
    with (source / "uedp_2021_stations.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(records)
    return source


def test_inconsistent_totals_surface_as_warnings(tmp_path: Path) -> None:
    source = small_source(tmp_path, 500, {
        2: {"T.Votes": "321"},  # O-1-3-1-3-1: 308 + 8 = 316 published; 321 ballots now
        3: {"Reg.Voters": "300"},  # O-1-3-1-3-3: T.Votes 321 > 300 registered
        4: {"Yoweri Museveni Tibuhaburwa Kaguta": "112"},  # O-1-3-1-3-4: candidates 277, V.Votes 276
        5: {"V.Votes": "420"},  # O-1-3-1-4-1: V.Votes alone off; candidates 425 + invalid 10 = 435 = T.Votes
    })
    small = convert(tmp_path, 2021, source)
    s = small.summary
    # rows 436 and 437 (O-3-14-11-31-5, one row twice) are the only non-reported ones among the first 499
    assert small.rules() == {"sheet.arithmetic": 2, "sheet.over-registered": 1, "station.no-results": 2}
    first, second = sorted((p for p in small.problems if p.rule == "sheet.arithmetic"),
                           key=lambda p: p.row or 0)
    assert "'O-1-3-1-3-1'" in first.message and first.value == "321"
    assert "votes 308 + invalid 8 + blank 0 = 316, but ballots cast = 321" in first.message
    assert "'O-1-3-1-3-4'" in second.message
    assert "votes 277 + invalid 15 + blank 0 = 292, but ballots cast = 291" in second.message
    [over] = [p for p in small.problems if p.rule == "sheet.over-registered"]
    assert "'O-1-3-1-3-3'" in over.message
    assert "321 ballots cast but only 300 voters registered" in over.message
    assert s.arithmetic == ("O-1-3-1-3-1", "O-1-3-1-3-4") and s.over_registered == ("O-1-3-1-3-3",)
    # V.Votes is not in the package: a V.Votes that alone is off (row 5) reaches only the adapter's summary
    assert s.candidates_not_valid == ("O-1-3-1-3-4", "O-1-3-1-4-1")
    assert s.cast_not_valid_plus_invalid == ("O-1-3-1-3-1", "O-1-3-1-4-1")


def test_refuses_an_unknown_year_and_a_used_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2011, 2016, 2021"):
        write_package(SOURCE, tmp_path / "x", 2006)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):  # before any work: the missing source folder is never looked at
        write_package(tmp_path / "no-such-source", tmp_path / "used", 2021)
    with pytest.raises(FileExistsError):
        write_package(SOURCE, tmp_path / "used", 2021)
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["keep.txt"]
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("edit", "message"), [
    ({436: {"Inv.Votes": "3"}}, "non-reported station"),  # row 436 is NON_REP = 1: a vote there is refused
    ({2: {"V.Votes": ""}}, "not a whole number"),  # a reporting station without a total
    ({2: {"NON_REP": "2"}}, "NON_REP other than 0 or 1"),
])
def test_refuses_a_source_that_is_not_as_documented(tmp_path: Path, edit: dict, message: str) -> None:
    source = small_source(tmp_path, 500, edit)
    with pytest.raises(SourceDataError, match=message):
        write_package(source, tmp_path / "pkg", 2021)
    assert not (tmp_path / "pkg").exists()
