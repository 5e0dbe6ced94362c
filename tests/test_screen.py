"""The screen's inputs (an election package's snapshot, any station CSV/Parquet) and the screen itself:
combination, false-discovery control, ranking and summaries."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from package_builder import csv_text, make_package, tiny_text
from tallycheck.evidence import Store
from tallycheck.forensics.fdr import benjamini_hochberg
from tallycheck.forensics.from_package import (
    ChoiceNotFound,
    SyntheticTruth,
    contest_leaders,
    contest_tables,
    package_table,
)
from tallycheck.forensics.screen import SCORE_CAP, Screen, combine_bonferroni, combine_simes, score_of, screen
from tallycheck.forensics.stations import NO_REGISTER, StationTable
from tallycheck.importing import import_package
from tallycheck.ingest.station_table import StationColumns, StationTableError, read_station_table
from tallycheck.report.forensics import _fine_counts, forensics_section
from tallycheck.report.html_page import ReportSection, page


def _load(package: Path, tmp_path: Path):
    result = import_package(package, tmp_path / "store")
    assert not result.refused, result.problems
    return Store(tmp_path / "store").load()


# -- an election package as a station table ------------------------------------------------------------------

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
    cands = csv_text(
        ("candidate_id", "contest_id", "name"),
        [
            ("1", "D1", "A"),
            ("2", "D1", "B"),
            ("3", "D1", "C"),
            ("4", "D1", "D"),
            ("1", "D2", "E"),
            ("2", "D2", "F"),
            ("3", "D2", "G"),
        ],
    )
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
    # ballot (Iraq): the station's 180 ballots over its 400 voters go on the D1 row; the M row has
    # no register.
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


# -- any station CSV or Parquet as a station table -----------------------------------------------------------

RUSSIAN_LIKE = ("uik,tik,region,voters,given,received,ur\n"
                "1,T1,R1,1000,600,590,300\n"
                "2,T1,R1,,500,495,250\n"
                "3,T2,R1,\"1,200\",٧٠٠,690,400\n")
MAPPING = StationColumns(
    station="uik", registered="voters", ballots="given", share_base="received", leader="ur", centre="tik"
)


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
def test_errors_name_file_row_and_column(
    tmp_path: Path, text: str, mapping: StationColumns, message: str
) -> None:
    path = tmp_path / "uiks.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(StationTableError) as info:
        read_station_table(path, mapping)
    assert message in str(info.value)
    p = info.value.problems[0]
    assert p.file == "uiks.csv"


def test_parquet_errors_count_data_rows(tmp_path: Path) -> None:
    path = tmp_path / "uiks.parquet"
    pq.write_table(
        pa.table(
            {
                "uik": ["a", "b"],
                "tik": ["T", "T"],
                "voters": [1000, 900],
                "given": [600.0, 500.5],
                "received": [590, 495],
                "ur": [300, -1],
            }
        ),
        path,
    )
    with pytest.raises(StationTableError) as info:
        read_station_table(path, MAPPING)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "given"), (2, "ur")]
    assert "row 2 of uiks.parquet (data rows counted from 1). Got: '500.5'" in str(info.value)


# -- the screen ----------------------------------------------------------------------------------------------

def _election(seed: int = 1, centres: int = 300, per_centre: int = 8, stuffed: int = 24,
              registers: bool = True) -> tuple[StationTable, np.ndarray]:
    """A clean election of `centres` centres in six regions, with `stuffed` stations (one per centre) whose
    box was filled to 93-99 % of the register for the leader. Returns the table and the stuffed stations'
    indexes."""
    rng = np.random.default_rng(seed)
    n = centres * per_centre
    centre = np.repeat(np.arange(centres), per_centre)
    registered = rng.integers(300, 1500, n)
    turnout = rng.beta(60 * 0.45, 60 * 0.55, centres)[centre]
    ballots = rng.binomial(registered, rng.beta(turnout * 200, (1 - turnout) * 200))
    invalid = rng.binomial(ballots, 0.02)
    valid = ballots - invalid
    shares = rng.dirichlet([8, 5, 4, 3], centres)[centre]
    votes = np.array([rng.multinomial(v, p) for v, p in zip(valid, shares)])
    hit = rng.choice(np.arange(0, n, per_centre), stuffed, replace=False) + rng.integers(
        0, per_centre, stuffed
    )
    added = np.floor(registered[hit] * rng.uniform(0.93, 0.99, stuffed)).astype(np.int64) - ballots[hit]
    ballots[hit] += added
    votes[hit, 0] += added
    region = np.array([f"R{c % 6}" for c in centre], dtype=object)
    t = StationTable(
        np.array([f"S{i:05d}" for i in range(n)], dtype=object),
        registered if registers else np.full(n, NO_REGISTER),
        ballots,
        votes.sum(axis=1),
        votes[:, 0],
        region,
        np.array([f"C{c}" for c in centre], dtype=object),
        np.full(n, "", dtype=object),
        "Party A",
        invalid=invalid,
        arithmetic_ok=np.ones(n, bool),
        votes=votes,
        candidates=("A", "B", "C", "D"),
    )
    return t, np.sort(hit)


@pytest.fixture(scope="module")
def screened() -> tuple[Screen, np.ndarray]:
    t, stuffed = _election()
    return screen(t, mixture=False, seed=3, n_boot=200), stuffed


def test_bonferroni_combination_table() -> None:
    nan = np.nan
    p = np.array([[0.01, 0.5, nan],  # k = 2: 2 * 0.01
                  [nan, nan, nan],  # untested
                  [0.4, 0.6, 0.9],  # 3 * 0.4 > 1: capped
                  [1e-12, 1.0, 1.0]])
    combined, k = combine_bonferroni(p)
    assert k.tolist() == [2, 0, 3, 3]
    np.testing.assert_allclose(combined, [0.02, nan, 1.0, 3e-12])
    np.testing.assert_allclose(score_of(np.array([1e-5, 1.0, 0.0, nan])), [5.0, 0.0, SCORE_CAP, nan])


def test_the_screen_finds_stuffed_stations_and_keeps_false_discoveries_down(screened) -> None:
    s, stuffed = screened
    flagged = s.flagged()
    clean = np.setdiff1d(np.arange(len(s.table)), stuffed)
    assert flagged[stuffed].mean() >= 0.9
    assert flagged[clean].sum() <= 3  # BH at 5 %: false discoveries are a small share of ~24 flags
    top = s.ranking()[:20]
    assert np.isin(top, stuffed).mean() >= 0.9
    i = stuffed[0]
    assert "centre-turnout" in s.reasons[i] and "red-flag" not in s.reasons[clean[0]]


def test_combined_p_q_value_and_score_follow_the_documented_rules(screened) -> None:
    s, _ = screened
    matrix = np.column_stack([e.p_value for e in s.evidence])
    tested = ~np.isnan(matrix)
    k = tested.sum(axis=1)
    smallest = np.where(tested, matrix, np.inf).min(axis=1)
    np.testing.assert_allclose(s.combined_p, np.minimum(1, k * smallest))
    np.testing.assert_allclose(s.q_value, benjamini_hochberg(s.combined_p))
    np.testing.assert_allclose(s.score, -np.log10(s.combined_p))
    assert [e.method for e in s.evidence][:3] == ["integer-percentages", "centre-turnout", "centre-share"]
    assert "mixture" not in [e.method for e in s.evidence]  # a posterior, not a p-value: never combined
    q = s.q_value[s.ranking()]
    assert np.all(np.diff(q[~np.isnan(q)]) >= 0)


def test_summary_has_every_documented_key_and_is_strict_json(screened) -> None:
    s, _ = screened
    summary = s.summary(top=10)
    text = json.dumps(summary, allow_nan=False)  # nan must have become null
    assert json.loads(text) == summary
    for what in ("turnout", "leader", "either"):
        for key in ("observed", "expected", "excess", "p_value"):
            assert f"{key}_{what}" in summary["integer_percentages"]
    assert set(summary["klimek_first_stage"]) >= {"tau", "nu", "sigma_tau", "sigma_nu", "theta"}
    assert set(summary["klimek_fit"]) >= {"f_i", "f_e", "alpha"}
    assert summary["mixture"] is None and summary["not_applicable"]["mixture"].startswith("not run")
    assert set(summary["digits"]) == {"2BL", "LastC", "C05s", "P05s"}
    assert set(summary["red_flags"]) >= {"high-turnout", "arithmetic"}
    assert [r["region"] for r in summary["regions"]] == [f"R{i}" for i in range(6)]
    assert sum(r["flagged"] for r in summary["regions"]) == summary["flagged"]
    first = summary["stations"][0]
    assert set(first) >= {"station_id", "score", "q_value", "reasons"} and first["rank"] == 1
    assert len(summary["stations"]) == 10


def test_without_registers_turnout_models_are_not_applicable() -> None:
    t, stuffed = _election(registers=False, stuffed=0)
    s = screen(t, mixture=True, n_boot=50)
    assert set(s.not_applicable) == {"fingerprint", "klimek", "mixture"}
    assert s.klimek is None and s.mixture is None
    assert np.isnan(s.centres.turnout.evidence.p_value).all()
    assert (~np.isnan(s.centres.share.evidence.p_value)).all()
    assert s.flagged().sum() <= 2


def test_the_mixture_posterior_is_reported_beside_the_ranking(screened) -> None:
    t, stuffed = _election(centres=150, stuffed=12)
    s = screen(t, mixture=True, seed=1, n_boot=50)
    assert s.mixture is not None and s.fraud_posterior is not None
    summary = s.summary(top=5)
    assert set(summary["mixture"]) >= {"pi_none", "pi_incremental", "pi_extreme", "fraudulent_votes"}
    assert "fraud_posterior" in summary["stations"][0]
    # the posterior never enters the combined p-value
    again = screen(t, mixture=False, seed=1, n_boot=50)
    np.testing.assert_array_equal(s.combined_p, again.combined_p)


# -- the report section --------------------------------------------------------------------------------------

def test_the_forensic_section_renders(screened) -> None:
    s, stuffed = screened
    label = np.full(len(s.table), "clean", dtype=object)
    label[stuffed] = "stuffing"
    truth = SyntheticTruth(label, np.zeros(len(label), np.int64), np.zeros(len(label), np.int64))
    section = forensics_section(s, truth)
    assert isinstance(section, ReportSection) and section.id == "forensics"
    html = section.html
    assert "A flag is a reason to look, not proof." in html
    for div in (
        "fig-forensic-fingerprint",
        "fig-forensic-turnout",
        "fig-forensic-share",
        "fig-forensic-digits",
    ):
        assert f'id="{div}"' in html
    top = s.table.station_id[s.ranking()[0]]
    assert f"<code>{top}</code>" in html and "Injected (truth)" in html and "stuffing" in html
    # one bar per 0.1 point (the charts carry 1000 bins, not one value per station); 100 % in the last bin
    bins, over = _fine_counts(np.array([500, 501, 999, 1000, 1001]), np.array([1000] * 5))
    assert (bins[500], bins[501], bins[999], bins.sum(), over) == (1, 1, 2, 4, 1)
    page_html = page("t", "", [section], "", "test")
    HTMLParser().feed(page_html)  # well-formed enough to parse


def test_the_section_escapes_what_comes_from_the_data() -> None:
    t, _ = _election(centres=60, stuffed=6)
    hostile = np.array(["<script>alert(1)</script>"] * len(t), dtype=object)
    t = StationTable(hostile, t.registered, t.ballots, t.share_base, t.leader, hostile, t.centre, t.kind,
                     "<b>Leader</b>", invalid=t.invalid, votes=t.votes, candidates=t.candidates)
    html = forensics_section(screen(t, mixture=False, n_boot=20)).html
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "<b>Leader" not in html


def test_simes_combination() -> None:
    # Simes (1986, Biometrika 73: 751-754): p = min_j k p_(j) / j over the k p-values that were computed
    p = np.array([[0.01, 0.04, 0.3], [0.02, 0.02, 0.02], [np.nan, 0.5, np.nan], [np.nan] * 3])
    combined, k = combine_simes(p)
    np.testing.assert_allclose(combined[:3], [0.03, 0.02, 0.5])
    assert np.isnan(combined[3]) and k.tolist() == [3, 3, 1, 0]
    bonferroni, _ = combine_bonferroni(p)
    assert np.all(combined[:3] <= bonferroni[:3])  # never above Bonferroni's (0.06 for three p of 0.02)
