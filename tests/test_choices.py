"""Candidate and list ids are scoped by contest: commissions number candidates by ballot position per district."""

from pathlib import Path

from package_builder import csv_text, make_package, problems_of, where

from tallycheck.evidence import Store
from tallycheck.importing import import_package
from tallycheck.tabulate import tabulate

# Two districts whose candidates are numbered 1, 2, 3 on each ballot, as the IEC did in Afghanistan 2010
# (station files name candidates by ballot position) and as many commissions publish.
CANDIDATES = csv_text(["candidate_id", "contest_id", "name", "party", "gender"], [
    ("1", "D1", "Ali Hassan", "Party A", "M"), ("2", "D1", "Zainab Kareem", "Party B", "F"),
    ("3", "D1", "Omar Saleh", "Party A", "M"), ("4", "D1", "Huda Jasim", "", "F"),
    ("1", "D2", "Karim Nouri", "Party A", "M"), ("2", "D2", "Sara Abbas", "Party C", "F"),
    ("3", "D2", "Yousif Adil", "Party B", "M"),
])
RESULTS = csv_text(["station_id", "contest_id", "candidate_id", "votes"], [
    ("0100101", "D1", "1", 60), ("0100101", "D1", "2", 50), ("0100101", "D1", "3", 30), ("0100101", "D1", "4", 15),
    ("0100102", "D1", "1", 55), ("0100102", "D1", "2", 40), ("0100102", "D1", "3", 35), ("0100102", "D1", "4", 15),
    ("0200101", "D2", "1", 80), ("0200101", "D2", "2", 45), ("0200101", "D2", "3", 40),
    ("0200102", "D2", "1", 30), ("0200102", "D2", "2", 28), ("0200102", "D2", "3", 30),
])


def test_ballot_positions_repeat_across_contests(tmp_path: Path) -> None:
    pkg = make_package(tmp_path / "pkg", candidates=CANDIDATES, results=RESULTS)
    result = import_package(pkg, tmp_path / "store")
    assert result.outcome is not None, [p.message for p in result.problems]
    choices = tabulate(Store(tmp_path / "store").load()).choices.to_pylist()
    got = {(c["contest_id"], c["candidate_id"]): (c["name"], c["votes"]) for c in choices}
    # sums by hand from RESULTS: D1/1 = 60 + 55, D2/1 = 80 + 30
    assert got[("D1", "1")] == ("Ali Hassan", 115)
    assert got[("D2", "1")] == ("Karim Nouri", 110)
    assert got[("D1", "4")] == ("Huda Jasim", 30)


def test_scoped_ids_keep_their_errors(tmp_path: Path) -> None:
    # candidate 4 exists only in D1: in D2 it is not on the ballot; candidate 9 exists nowhere
    results = RESULTS + "0200101,D2,4,1\n0200101,D2,9,1\n"
    duplicate = CANDIDATES + "2,D1,Someone Else,,M\n"
    pkg = make_package(tmp_path / "pkg", candidates=duplicate, results=results)
    assert where(problems_of(pkg)) >= {
        ("results.not-on-ballot", "results.csv", 16, "candidate_id"),
        ("id.unknown", "results.csv", 17, "candidate_id"),
        ("id.duplicate", "candidates.csv", 9, "candidate_id"),
    }


def test_an_unreadable_table_is_not_buried_under_its_references(tmp_path: Path) -> None:
    # candidates.csv without its contest_id column cannot be read: that one error is the news, not one
    # id.unknown or results.not-on-ballot per result row
    pkg = make_package(tmp_path / "pkg", candidates="candidate_id,name\n1,Ali Hassan\n", results=RESULTS)
    problems = problems_of(pkg)
    assert where(problems) == {("file.column-missing", "candidates.csv", 1, "contest_id")}


def test_dense_and_binary_search_lookups_agree() -> None:
    """The dense code table (small ballots) and the binary search (huge ones) name the same choice for every row,
    including unknown ids, ids of another contest, and list-only votes."""
    import numpy as np
    import pyarrow as pa

    from tallycheck.choices import ballot_choices, lookup

    rng = np.random.default_rng(7)
    contests = pa.array(["A", "B", "C"])
    cands = pa.table({"candidate_id": [str(i) for i in range(1, 7)] * 2 + ["x"],
                      "contest_id": ["A"] * 6 + ["B"] * 6 + ["C"]})
    lists = pa.table({"list_id": ["L1", "L2", "L1"], "contest_id": ["A", "A", "C"]})
    ballots = ballot_choices(contests, cands, lists)
    n = 5000
    contest_col = pa.array(rng.choice(["A", "B", "C", "Z"], n).tolist())
    cand = rng.choice(["1", "2", "6", "7", "x", ""], n)
    lst = np.where(cand == "", rng.choice(["L1", "L2", "L9"], n), "")
    rank = lookup(contest_col, contests)
    dense = ballots.choice_of(rank, pa.array(cand.tolist()), pa.array(lst.tolist()))
    sparse = ballots.choice_of(rank, pa.array(cand.tolist()), pa.array(lst.tolist()), dense_limit=0)
    for a, b in zip(dense, sparse):
        assert np.array_equal(a, b)
    assert (dense[0] >= 0).any() and (dense[0] < 0).any()
