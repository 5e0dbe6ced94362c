"""tallycheck.ingest.afghanistan_2010: the IEC's preliminary 2010 Wolesi Jirga results as an election package.

Reads the real (GPL-3.0) data from ../shared/data/ beside the repository; nothing of it is copied into the
repository. Row numbers in comments count from 1 at the header line, as a spreadsheet shows them.
"""

from __future__ import annotations

import collections
import csv
from pathlib import Path

import pyarrow.compute as pc
import pytest
from adapter_run import PACKAGE_FILES, Converted, convert_and_import

from tallycheck.importing import import_package
from tallycheck.ingest.afghanistan_2010 import (
    INVALIDATED_FILE,
    SourceDataError,
    available_provinces,
    write_package,
)
from tallycheck.model import ElectionData
from tallycheck.problems import Severity
from tallycheck.tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "afghanistan-2010-wolesi-jirga"
pytestmark = pytest.mark.skipif(
    not (SOURCE / "stations_preliminary").is_dir(),
    reason=f"the Afghanistan 2010 data (GPL-3.0, never copied into the repository) is not at {SOURCE}")

# Badghis (G-23): stations without a published total; Urozgan (G-30): two ballot positions that share one
# CandidateID in the station file; kuchi: the nationwide constituency, whose CandidateID column is wrong.
PROVINCES = ("badghis", "kuchi", "urozgan")


def convert(tmp: Path, provinces: tuple[str, ...] | None) -> Converted:
    return convert_and_import(tmp, lambda out: write_package(SOURCE, out, provinces))


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Converted:
    return convert(tmp_path_factory.mktemp("af3"), PROVINCES)


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> Converted:
    return convert(tmp_path_factory.mktemp("af_all"), None)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def published_totals() -> dict[tuple[str, str], int]:
    """final_af_candidate_province_data_2010.csv: votes per (constituency, candidate), summed over the Kuchi
    constituency's one row per province (README: these preliminary totals belong to the winner flags)."""
    totals: dict[tuple[str, str], int] = collections.defaultdict(int)
    for r in read_rows(SOURCE / "final_af_candidate_province_data_2010.csv"):
        assert r["results_status"] == "PRELIMINARY"
        totals[(r["constituency_code"], r["candidate_code"])] += int(r["votes"])
    return dict(totals)


def package_totals(data: ElectionData) -> dict[tuple[str, str], int]:
    choices = tabulate(data).choices
    return {(c, k): v for c, k, v in zip(choices.column("contest_id").to_pylist(),
                                         choices.column("candidate_id").to_pylist(),
                                         choices.column("votes").to_pylist())}


def compare_with_published(data: ElectionData) -> tuple[dict, list[tuple[str, str, int | None, int | None]]]:
    ours, theirs = package_totals(data), published_totals()
    contests = {c for c, _ in ours}
    theirs = {k: v for k, v in theirs.items() if k[0] in contests}
    differ = sorted((c, k, ours.get((c, k)), theirs.get((c, k)))
                    for c, k in set(ours) | set(theirs) if ours.get((c, k)) != theirs.get((c, k)))
    return ours, differ


# -- three provinces ----------------------------------------------------------------------------------------

def test_three_provinces_import_with_the_warnings_the_data_holds(three: Converted) -> None:
    s = three.summary
    assert s.provinces == PROVINCES
    assert (s.contests, s.stations, s.results) == (3, 180 + 150 + 564, 4927 + 1809 + 12448)
    assert not any(p.severity is Severity.ERROR for p in three.problems)
    # Every station's published preliminary total agrees with its candidate rows (next test: by hand), so
    # the only warnings are the stations that have no published total at all: no sheet, results.no-sheet.
    assert three.rules() == {"results.no-sheet": 7}
    badghis = [p for p in three.problems if "contest 'G-23'" in p.message]
    assert sum(p.rule == "sheet.arithmetic" for p in badghis) == 0
    assert sum(p.rule == "results.no-sheet" for p in badghis) == 5
    assert s.stations_without_total == ("0101509-07", "0101509-08", "2301001-05", "2301001-06", "2301001-07",
                                        "2301002-04", "2301002-05")


def test_a_warning_and_a_sheet_by_hand(three: Converted) -> None:
    # results.no-sheet for 2301002-05: ps_votes_invalidated_net_change_2010.csv and
    # all_ps_reporting_status_2010.csv have no row for it (ps_key_2010.csv lists it, row 10518), while
    # stations_preliminary/badghis.csv gives 40 candidate rows for PC 2301002, PS 5 (rows 58 ... 4802),
    # whose Vote column sums to 34; Total_Invalid_Votes is 2 in each. Row 476 (Candidate 8 = candidate_code
    # 10340752, candidate_key_2010.csv row 2017) holds 1 vote flagged Invalidated = TRUE.
    [warning] = [p for p in three.problems if p.value == "2301002-05/G-23"]
    assert warning.rule == "results.no-sheet"
    results = three.data.table("results")
    results = results.filter(pc.equal(results["station_id"], "2301002-05"))
    assert results.num_rows == 40 and sum(results["votes"].to_pylist()) == 34
    invalidated = read_rows(three.package / INVALIDATED_FILE)
    assert {"station_id": "2301002-05", "candidate_id": "10340752", "votes": "1"} in invalidated
    sheets = {r["station_id"]: r for r in read_rows(three.package / "sheets.csv")}
    assert "2301002-05" not in sheets
    # A station with a published total: ps_votes_invalidated_net_change_2010.csv row 24725 (2301016-01,
    # PRELIMINARY) gives prelim_votes 297 and pre_prelim_invalidated_votes 8; badghis.csv row 2 gives
    # Total_Invalid_Votes 8. prelim_votes are valid votes (they equal the candidate rows' sum), so
    # ballots_cast = 297 + 8 = 305, and 297 + 8 + 0 blank = 305: no sheet.arithmetic warning.
    assert sheets["2301016-01"] == {"station_id": "2301016-01", "contest_id": "G-23", "ballots_cast": "305",
                                    "invalid": "8", "blank": "0"}


def test_a_disagreeing_published_total_shows_as_sheet_arithmetic(tmp_path: Path) -> None:
    """ballots_cast comes from the totals file, not from the candidate rows: change one published total and
    the import reports exactly that station."""
    source = tmp_path / "source"
    (source / "stations_preliminary").mkdir(parents=True)
    for name in ("stations_preliminary/urozgan.csv", "candidate_key_2010.csv",
                 "province_constituency_key_2010.csv"):
        (source / name).symlink_to(SOURCE / name)
    totals = (SOURCE / "ps_votes_invalidated_net_change_2010.csv").read_text(encoding="utf-8").split("\n")
    # row 31887: "30","3001","3001001","3001001-01","01","M","PRELIMINARY","YES",4,59,59,0
    [i] = [i for i, line in enumerate(totals) if line.startswith('"30","3001","3001001","3001001-01",'
                                                                  '"01","M","PRELIMINARY"')]
    fields = totals[i].split(",")
    fields[10] = str(int(fields[10]) + 5)  # prelim_votes 59 -> 64
    totals[i] = ",".join(fields)
    (source / "ps_votes_invalidated_net_change_2010.csv").write_text("\n".join(totals), encoding="utf-8")
    write_package(source, tmp_path / "pkg", ["urozgan"])
    result = import_package(tmp_path / "pkg", tmp_path / "store")
    [warning] = [p for p in result.problems if p.rule == "sheet.arithmetic"]
    assert "'3001001-01'" in warning.message and "votes 59 + invalid 4 + blank 0 = 63" in warning.message
    assert "ballots cast = 68" in warning.message


def test_candidate_totals_equal_the_published_preliminary_totals(three: Converted) -> None:
    ours, differ = compare_with_published(three.data)
    # No candidate differs. The station files' `Candidate` is the ballot position, mapped through
    # candidate_key_2010.csv; mapping through their CandidateID instead would break exactly where that column
    # is wrong: in urozgan.csv positions 12 and 13 both carry 5794702 (the key and the published totals give
    # position 13 the code 579470200, 64 votes), and in kuchi.csv CandidateID/VoterID/Gender were joined from
    # the province's general ballot at the same position (another candidate, often another gender).
    assert differ == []
    assert ours[("G-30", "579470200")] == 64 and ours[("G-30", "5794702")] == 2250
    assert len(ours) == 40 + 52 + 19


def test_station_files_candidate_id_is_not_the_candidate_code() -> None:
    """Why the adapter maps by ballot position: the cases where the station files' CandidateID disagrees."""
    key = {(r["constituency_code"], int(r["ballot_position"])): r["candidate_code"]
           for r in read_rows(SOURCE / "candidate_key_2010.csv")}
    wrong: dict[str, set[int]] = collections.defaultdict(set)
    for stem, contest in (("urozgan", "G-30"), ("kuchi", "K-01"), ("badghis", "G-23")):
        for r in read_rows(SOURCE / "stations_preliminary" / f"{stem}.csv"):
            if r["CandidateID"] != key[(contest, int(r["Candidate"]))]:
                wrong[stem].add(int(r["Candidate"]))
    assert wrong == {"urozgan": {13}, "kuchi": set(range(1, 53))}


def test_package_shape(three: Converted) -> None:
    pkg = three.package
    assert sorted(p.name for p in pkg.iterdir()) == sorted([*PACKAGE_FILES, INVALIDATED_FILE])
    contests = {r["contest_id"]: r for r in read_rows(pkg / "contests.csv")}
    # province_constituency_key_2010.csv: Badghis 3 + 1, Urozgan 2 + 1, Kuchi 7 + 3 (general + female)
    assert {c: (r["seats"], r["women_seats"], r["area"], r["group"]) for c, r in contests.items()} == {
        "G-23": ("4", "1", "23", ""), "G-30": ("3", "1", "30", ""), "K-01": ("10", "3", "AF", "Kuchi")}
    stations = {r["station_id"]: r for r in read_rows(pkg / "stations.csv")}
    # badghis.csv row 2: PC 2301016, PS 1, type M, district Provincial Center (QALA-I-NOW);
    # kuchi.csv row 2: PC 101448 (Kabul's leading zero lost), PS 6, type K
    assert stations["2301016-01"] == {"station_id": "2301016-01", "centre_id": "2301016", "area": "2301",
                                      "registered": "", "kind": "men"}
    assert stations["0101448-06"]["kind"] == "kuchi" and stations["0101448-06"]["centre_id"] == "0101448"
    kinds = collections.Counter(r["kind"] for r in stations.values())
    assert kinds == {"men": 116 + 99, "women": 64 + 51, "kuchi": 564}
    areas = {r["area_id"]: r for r in read_rows(pkg / "areas.csv")}
    assert areas["AF"]["level"] == "country" and areas["23"]["parent"] == "AF"
    assert areas["2301"] == {"area_id": "2301", "name": "Provincial Center (QALA-I-NOW)", "parent": "23",
                             "level": "district"}
    assert {a["parent"] for a in areas.values() if a["level"] == "district"} <= set(areas)
    candidates = {r["candidate_id"]: r for r in read_rows(pkg / "candidates.csv")}
    # candidate_key_2010.csv: position 7 of K-01 is Nazifa Ahmadzai (Female), whom kuchi.csv's Gender column
    # gives as M in most rows (the Kabul general candidate at position 7)
    assert candidates["5260088"] == {"candidate_id": "5260088", "contest_id": "K-01",
                                     "name": "Nazifa Ahmadzai", "party": "", "gender": "F", "group": "Kuchi"}
    invalidated = read_rows(pkg / INVALIDATED_FILE)
    # rows with Invalidated = TRUE: badghis.csv 76, kuchi.csv 234, urozgan.csv none
    assert len(invalidated) == three.summary.invalidated_rows == 76 + 234


def test_output_is_deterministic(tmp_path: Path, three: Converted) -> None:
    write_package(SOURCE, tmp_path / "again", list(reversed(PROVINCES)))
    for name in (*PACKAGE_FILES, INVALIDATED_FILE):
        data = (tmp_path / "again" / name).read_bytes()
        assert data == (three.package / name).read_bytes(), name
        assert b"\r" not in data
        data.decode("utf-8")


def test_refuses_unknown_provinces_and_used_folders(tmp_path: Path) -> None:
    assert "kabul" not in available_provinces(SOURCE) and len(available_provinces(SOURCE)) == 33
    with pytest.raises(ValueError, match="No station file for kabul"):
        write_package(SOURCE, tmp_path / "x", ["kabul"])
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_package(SOURCE, tmp_path / "used", ["urozgan"])
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["keep.txt"]


def test_refuses_a_source_that_is_not_as_documented(tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "stations_preliminary").mkdir(parents=True)
    for name in ("candidate_key_2010.csv", "province_constituency_key_2010.csv",
                 "ps_votes_invalidated_net_change_2010.csv"):
        (source / name).symlink_to(SOURCE / name)
    lines = (SOURCE / "stations_preliminary" / "urozgan.csv").read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace(",FALSE,", ",maybe,", 1)
    (source / "stations_preliminary" / "urozgan.csv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(SourceDataError, match="malformed"):
        write_package(source, tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists()


# -- the whole country --------------------------------------------------------------------------------------

def test_all_provinces(country: Converted) -> None:
    s = country.summary
    print(f"\nAfghanistan 2010, all {len(s.provinces)} station files: {s.stations} stations, "
          f"{s.sheets} sheets, {s.results} result rows, {s.candidates} candidates, "
          f"{s.invalidated_rows} invalidated rows; "
          f"warnings {dict(country.rules())}; write {country.seconds_write:.2f} s, "
          f"import {country.seconds_import:.2f} s")
    assert len(s.provinces) == 33
    assert (s.contests, s.candidates, s.stations, s.sheets, s.results) == (33, 1742, 11336, 11238, 360879)
    assert s.invalidated_rows == 4371
    # all 11,238 published station totals agree with the candidate rows: no sheet.arithmetic anywhere
    assert country.rules() == {"results.no-sheet": 98}
    _, differ = compare_with_published(country.data)
    # Every candidate of the 33 constituencies with station files matches; Kabul (G-01, 664 candidates) and
    # Herat (G-24, 151) cannot be compared: their station files were never published, so they are not in
    # the package.
    assert differ == []
    assert {c.contest_id for c in country.data.contests} == (
        {f"G-{i:02d}" for i in range(2, 35)} - {"G-24"}) | {"K-01"}


# The station files' CandidateID against candidate_key_2010.csv's candidate_code at the same (constituency,
# ballot position), general constituencies: these 17 would lose their votes if CandidateID were the key.
CANDIDATE_ID_MISMATCHES = {  # file: {ballot position: (CandidateID in the station file, candidate_code)}
    "baghlan": {46: ("6984231", "6984232")},
    "bamyan": {27: ("1058127", "5795007")},
    "faryab": {15: ("5796905", "5794905"), 50: ("12639166", "12634166"), 65: ("87589991", "8758999"),
               81: ("3370931", "337093")},
    "juzjan": {33: ("4555119", "6555119")},
    "kapisa": {32: ("2915910", "2915960")},
    "kunarha": {24: ("133716151", "13371615")},
    "kunduz": {8: ("4090522", "4092543")},
    "logar": {22: ("79395161", "7939516")},
    "paktia": {29: ("5666231", "5266231"), 39: ("55266681", "5266681")},
    "paktika": {13: ("985041", "98504")},
    "parwan": {45: ("29581031", "2958103")},
    "takhar": {76: ("962", "96263")},
    "urozgan": {13: ("5794702", "579470200")},  # position 12's code: two candidates share it
}


def test_station_files_candidate_ids_that_are_not_candidate_codes() -> None:
    constituency = {r["province_code"]: r["constituency_code"]
                    for r in read_rows(SOURCE / "province_constituency_key_2010.csv")}
    key = {(r["constituency_code"], int(r["ballot_position"])): r["candidate_code"]
           for r in read_rows(SOURCE / "candidate_key_2010.csv")}
    found: dict[str, dict[int, tuple[str, str]]] = collections.defaultdict(dict)
    for stem in available_provinces(SOURCE):
        if stem == "kuchi":
            continue  # all 52 positions differ there (tested above)
        for r in read_rows(SOURCE / "stations_preliminary" / f"{stem}.csv"):
            code = key[(constituency[r["ProvinceId"].zfill(2)], int(r["Candidate"]))]
            if r["CandidateID"] != code:
                found[stem][int(r["Candidate"])] = (r["CandidateID"], code)
    assert found == CANDIDATE_ID_MISMATCHES


def test_convert_command_writes_an_importable_package(tmp_path: Path) -> None:
    """`tallycheck convert afghanistan-2010 SRC --out DIR --province badghis`, then import: warnings, no errors."""
    from typer.testing import CliRunner

    from tallycheck.cli import app

    if not SOURCE.is_dir():
        pytest.skip(f"real data not found at {SOURCE}")
    out = tmp_path / "af"
    r = CliRunner().invoke(app, ["convert", "afghanistan-2010", str(SOURCE), "--out", str(out), "--province", "badghis"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["import", str(out), "--json"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["convert", "afghanistan-2010", str(SOURCE), "--out", str(out)])
    assert r.exit_code != 0  # the folder is taken: refused, nothing overwritten
