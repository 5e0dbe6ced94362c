"""The screen's inputs (an election package's snapshot, any station CSV/Parquet) and the screen itself:
combination, false-discovery control, ranking and summaries."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from package_builder import csv_text, make_package, tiny_text
from tallycheck.evidence import Store
from tallycheck.forensics.from_package import ChoiceNotFound, contest_leaders, contest_tables, package_table
from tallycheck.forensics.stations import NO_REGISTER
from tallycheck.importing import import_package
from tallycheck.ingest.station_table import StationColumns, StationTableError, read_station_table


def _load(package: Path, tmp_path: Path):
    result = import_package(package, tmp_path / "store")
    assert not result.refused, result.problems
    return Store(tmp_path / "store").load()


# -- an election package as a station table -----------------------------------------------------------------------

def test_package_table_of_the_tiny_package(tiny: Path, tmp_path: Path) -> None:
    # tests/fixtures/packages/tiny: D1's leader is 001 (60 + 55 votes), D2's is 005 (80 + 30)
    data = _load(tiny, tmp_path)
    assert contest_leaders(data) == {"D1": "001", "D2": "005"}
    t = package_table(data)
    assert t.station_id.tolist() == ["0100101", "0100102", "0200101", "0200102"]
    assert t.contest.tolist() == ["D1", "D1", "D2", "D2"]
    assert t.registered.tolist() == [400, 380, 420, NO_REGISTER]  # 0200102 is a special station: no register
    assert t.ballots.tolist() == [160, 150, 170, 90]
    assert t.share_base.tolist() == [155, 145, 165, 88]  # valid votes: the sum of the sheet's result rows
    assert t.leader.tolist() == [60, 55, 80, 30]
    assert t.invalid.tolist() == [4, 3, 5, 2]
    assert t.region.tolist() == ["G1"] * 4  # the children of the single root (IQ)
    assert t.centre.tolist() == ["01001", "01001", "02001", "02001"]
    assert t.kind.tolist() == ["regular", "regular", "regular", "special"]
    assert t.arithmetic_ok.tolist() == [True] * 4
    # two contests: no common ballot, so the matrix holds each contest's choices by rank (D2: 005, 006, 007)
    assert t.candidates == ("rank 1", "rank 2", "rank 3")
    assert t.votes.tolist() == [[60, 50, 30], [55, 40, 35], [80, 45, 40], [30, 28, 30]]


def test_one_contest_and_another_candidate(tiny: Path, tmp_path: Path) -> None:
    data = _load(tiny, tmp_path)
    t = package_table(data, contest="D1")
    assert t.candidates == ("001", "002", "003", "004")
    assert t.votes.tolist() == [[60, 50, 30, 15], [55, 40, 35, 15]]
    t2 = package_table(data, candidate="002")  # only on D1's ballot: the contest follows
    assert t2.contest.tolist() == ["D1", "D1"] and t2.leader.tolist() == [50, 40] and t2.leader_name == "002"
    assert set(contest_tables(data)) == {"D1", "D2"}
    with pytest.raises(ChoiceNotFound, match="No contest 'D9'"):
        package_table(data, contest="D9")
    with pytest.raises(ChoiceNotFound, match="'999' has no votes"):
        package_table(data, candidate="999")
    with pytest.raises(ChoiceNotFound, match="'005' has no votes in contest 'D1'"):
        package_table(data, contest="D1", candidate="005")


def test_a_candidate_id_on_two_ballots_needs_its_contest(tmp_path: Path) -> None:
    # candidate ids are scoped by contest: "1" of D1 and "1" of D2 are different people
    cands = csv_text(("candidate_id", "contest_id", "name"), [("1", "D1", "A"), ("2", "D1", "B"), ("3", "D1", "C"),
                                                              ("4", "D1", "D"), ("1", "D2", "E"), ("2", "D2", "F"),
                                                              ("3", "D2", "G")])
    ids = {"001": "1", "002": "2", "003": "3", "004": "4", "005": "1", "006": "2", "007": "3"}
    rows = [line.split(",") for line in tiny_text("results").strip().splitlines()[1:]]
    results = csv_text(("station_id", "contest_id", "candidate_id", "votes"),
                       [(s, c, ids[k], v) for s, c, k, v in rows])
    data = _load(make_package(tmp_path / "pkg", candidates=cands, results=results), tmp_path)
    with pytest.raises(ChoiceNotFound, match="2 contests"):
        package_table(data, candidate="1")
    assert package_table(data, candidate="1", contest="D2").leader.tolist() == [80, 30]


def test_turnout_is_tested_once_per_station_on_its_principal_sheet(tmp_path: Path) -> None:
    # Station 0100101 serves D1 (160 ballots) and a minority contest M (20 ballots). Each voter casts one
    # ballot (Iraq): the station's 180 ballots over its 400 voters go on the D1 row; the M row has no register.
    election = tiny_text("election.toml") + "one_ballot_per_voter = true\n"
    contests = tiny_text("contests") + "M,Minority,1,G1,0,minority\n"
    cands = tiny_text("candidates") + "m1,M,Minority One,,F,minority,\nm2,M,Minority Two,,M,minority,\n"
    sheets = tiny_text("sheets").replace("0100101,D1,160,4,1,400,240,0\n",
                                         "0100101,D1,160,4,1,400,240,0\n0100101,M,20,1,0,,,\n")
    results = tiny_text("results").replace("0100101,D1,004,15\n", "0100101,D1,004,15\n0100101,M,m1,12\n"
                                           "0100101,M,m2,7\n")
    data = _load(make_package(tmp_path / "pkg", election=election, contests=contests, candidates=cands,
                              sheets=sheets, results=results), tmp_path)
    t = package_table(data)
    i_d1 = [i for i in range(len(t)) if t.station_id[i] == "0100101" and t.contest[i] == "D1"][0]
    i_m = [i for i in range(len(t)) if t.contest[i] == "M"][0]
    assert (t.registered[i_d1], t.ballots[i_d1]) == (400, 180)
    assert (t.registered[i_m], t.ballots[i_m], t.share_base[i_m], t.leader[i_m]) == (NO_REGISTER, 20, 19, 12)
    assert t.candidates == ("rank 1", "rank 2")  # M has two choices: the narrowest ballot sets the width
    only_m = package_table(data, contest="M")
    assert only_m.registered.tolist() == [NO_REGISTER]  # the station's turnout lives on its D1 row


def test_sheets_that_do_not_add_up_are_marked(tmp_path: Path) -> None:
    sheets = tiny_text("sheets").replace("0100102,D1,150,3,2,380,229,1", "0100102,D1,151,3,2,380,229,1")
    sheets = sheets.replace("0200101,D2,170,5,0,420,250,0", "0200101,D2,170,5,0,420,240,0")
    data = _load(make_package(tmp_path / "pkg", sheets=sheets), tmp_path)
    t = package_table(data)
    # 0100102: votes 145 + invalid 3 + blank 2 = 150, not 151; 0200101: 170 + 240 + 0 is not the 420 received
    assert t.arithmetic_ok.tolist() == [True, False, False, True]


# -- any station CSV or Parquet as a station table -----------------------------------------------------------------

RUSSIAN_LIKE = ("uik,tik,region,voters,given,received,ur\n"
                "1,T1,R1,1000,600,590,300\n"
                "2,T1,R1,,500,495,250\n"
                "3,T2,R1,\"1,200\",٧٠٠,690,400\n")
MAPPING = StationColumns(station="uik", registered="voters", ballots="given", share_base="received", leader="ur",
                         centre="tik")


def test_reads_a_csv_with_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "uiks.csv"
    path.write_text(RUSSIAN_LIKE, "utf-8")
    t = read_station_table(path, MAPPING)
    assert t.station_id.tolist() == ["1", "2", "3"]
    assert t.registered.tolist() == [1000, NO_REGISTER, 1200]  # an empty register: no register
    assert t.ballots.tolist() == [600, 500, 700]  # Arabic-Indic digits read as the package reader reads them
    assert t.share_base.tolist() == [590, 495, 690] and t.leader.tolist() == [300, 250, 400]
    assert t.centre.tolist() == ["T1", "T1", "T2"] and t.region.tolist() == ["R1"] * 3  # "region" by default
    assert t.kind.tolist() == [""] * 3 and t.leader_name == "ur"


def test_reads_parquet_with_integer_and_float_columns(tmp_path: Path) -> None:
    path = tmp_path / "uiks.parquet"
    pq.write_table(pa.table({"uik": ["a", "b"], "voters": pa.array([1000, None], pa.int64()),
                             "given": [600.0, 500.0], "received": [590, 495], "ur": [300, 250]}), path)
    mapping = StationColumns(station="uik", registered="voters", ballots="given", share_base="received",
                             leader="ur")  # centre: the default name, "centre", which this file lacks
    t = read_station_table(path, mapping)
    assert t.registered.tolist() == [1000, NO_REGISTER] and t.ballots.tolist() == [600, 500]
    assert t.centre.tolist() == ["", ""]  # no column: no centres (the within-centre test then tests nothing)


@pytest.mark.parametrize("text, mapping, message", [
    (RUSSIAN_LIKE, StationColumns(ballots="given", share_base="received", leader="ur", registered="votrs"),
     "uiks.csv has no column 'votrs' for the registered (name the right one with --registered). Its columns "
     "are: uik, tik, region, voters, given, received, ur."),
    (RUSSIAN_LIKE, StationColumns(registered="voters"),
     "uiks.csv has no column 'ballots' for the ballots (name the right one with --ballots)"),
    (RUSSIAN_LIKE.replace("1,T1,R1,1000,600", "1,T1,R1,1000,6O0"), MAPPING,
     "Expected a whole number >= 0 in column given, row 2 of uiks.csv. Got: '6O0'."),
    (RUSSIAN_LIKE.replace("495,250", "495,12.5"), MAPPING,
     "Expected a whole number >= 0 in column ur, row 3 of uiks.csv. Got: '12.5'."),
    (RUSSIAN_LIKE.replace("690,400", "690,"), MAPPING,
     "Column ur is empty in row 4 of uiks.csv; a count is required there."),
    (RUSSIAN_LIKE, StationColumns(station="uik", registered="voters", ballots="given", share_base="ur",
                                  leader="ur"), "The leader and the share base are both column 'ur'"),
])
def test_errors_name_file_row_and_column(tmp_path: Path, text: str, mapping: StationColumns, message: str) -> None:
    path = tmp_path / "uiks.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(StationTableError) as info:
        read_station_table(path, mapping)
    assert message in str(info.value)
    p = info.value.problems[0]
    assert p.file == "uiks.csv"


def test_parquet_errors_count_data_rows(tmp_path: Path) -> None:
    path = tmp_path / "uiks.parquet"
    pq.write_table(pa.table({"uik": ["a", "b"], "tik": ["T", "T"], "voters": [1000, 900], "given": [600.0, 500.5],
                             "received": [590, 495], "ur": [300, -1]}), path)
    with pytest.raises(StationTableError) as info:
        read_station_table(path, MAPPING)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "given"), (2, "ur")]
    assert "row 2 of uiks.parquet (data rows counted from 1). Got: '500.5'" in str(info.value)
