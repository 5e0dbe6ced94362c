"""seats/whatif.py: the seats with polling stations struck out, or with a recount's version, and what changes.

The worked case is built so that the change can be read off by hand: district D1 (3 seats, one for a woman)
with two stations; striking out S02, where candidate e won nearly all her votes, turns her quota seat over to
the next woman and gives the man she displaced his seat back. The recount case mirrors Iraq 2021, where the
recount and re-tally "changed the winners of five seats" (Shafaq News, 30 Nov 2021): a version whose totals
move one seat.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from package_builder import csv_text, make_package

from tallycheck.evidence import Store
from tallycheck.importing import import_package, validate_package
from tallycheck.model import ElectionData, Law
from tallycheck.seats.allocate import allocate
from tallycheck.seats.result import SeatVia
from tallycheck.seats.ties import Lot
from tallycheck.seats.whatif import annul_stations, compare, compare_versions, unknown_stations

CANDIDATES = [("a", "D1", "M", "Party A"), ("b", "D1", "M", "Party B"), ("c", "D1", "M", "Party A"),
              ("d", "D1", "F", "Party C"), ("e", "D1", "F", "Party B"),
              ("p", "D2", "M", "Party A"), ("q", "D2", "F", "Party C"), ("r", "D2", "M", "Party B")]
VOTES = {"S01": {"a": 100, "b": 90, "c": 80, "d": 10, "e": 5, "p": 60, "q": 40, "r": 30},
         "S02": {"a": 10, "b": 10, "c": 0, "d": 5, "e": 85, "p": 5, "q": 5, "r": 5}}


def files(votes: dict[str, dict[str, int]]) -> dict[str, str]:
    contest_of = {k: c for k, c, _, _ in CANDIDATES}
    results = [(s, contest_of[k], k, "", v)
               for s, row in sorted(votes.items()) for k, v in sorted(row.items())]
    sheets = [(s, c, sum(v for k, v in row.items() if contest_of[k] == c), 0, 0)
              for s, row in sorted(votes.items()) for c in ("D1", "D2")]
    return {
        "election": 'name = "What if"\ndate = 2021-10-10\n\n[law]\nname = "iraq-2021"\n',
        "areas": csv_text(("area_id", "name", "parent", "level"),
                          [("IQ", "Iraq", "", "country"), ("G1", "One", "IQ", "governorate"),
                           ("D1", "District 1", "G1", "district"), ("D2", "District 2", "G1", "district")]),
        "contests": csv_text(("contest_id", "name", "seats", "area", "women_seats", "group"),
                             [("D1", "District 1", 3, "D1", 1, ""), ("D2", "District 2", 2, "D2", 1, "")]),
        "candidates": csv_text(("candidate_id", "contest_id", "name", "party", "gender", "group", "area"),
                               [(k, c, f"Candidate {k}", p, g, "", "") for k, c, g, p in CANDIDATES]),
        "stations": csv_text(("station_id", "centre_id", "area", "registered", "kind"),
                             [("S01", "C1", "D1", "", ""), ("S02", "C1", "D1", "", "")]),
        "sheets": csv_text(("station_id", "contest_id", "ballots_cast", "invalid", "blank"), sheets),
        "results": csv_text(("station_id", "contest_id", "candidate_id", "list_id", "votes"), results),
    }


@pytest.fixture
def data(tmp_path: Path) -> ElectionData:
    d = validate_package(make_package(tmp_path / "p", **files(VOTES))).validation.data
    assert d is not None
    return d


def test_striking_out_a_station_changes_the_quota_seat(data: ElectionData) -> None:
    w = annul_stations(data, ["S02"])
    # as published: D1 a 110, b 100, c 80, e 90 (F), d 15 (F): a, b, e win on votes; D2 p 65, q 45 (F), r 35
    assert w.before.contest("D1").winner_ids == ("a", "b", "e")
    # without S02: a 100, b 90, c 80, d 10 (F), e 5 (F): d replaces c, the lowest-voted man
    assert w.after.contest("D1").winner_ids == ("a", "b", "d")
    assert w.after.annulled == ("S02",) and w.before.annulled == ()
    ch = w.changes
    (d1,) = ch.changed
    assert d1.contest_id == "D1"
    assert [s.candidate_id for s in d1.out] == ["e"] and [s.candidate_id for s in d1.entered] == ["d"]
    assert d1.entered[0].via is SeatVia.WOMEN_QUOTA
    assert d1.kept == ("a", "b")
    assert (d1.votes_before, d1.votes_after) == ({"e": 90, "d": 15}, {"e": 5, "d": 10})
    assert ch.unchanged == ("D2",) and ch.seats_changed == 1
    assert {p.party: (p.before, p.after) for p in ch.parties if p.change} == \
        {"Party B": (2, 1), "Party C": (1, 2)}
    body = ch.to_dict()
    assert body["seats_changed"] == 1 and body["contests_unchanged"] == ["D2"]
    assert body["contests_changed"][0]["out"][0] == {"candidate_id": "e", "name": "Candidate e",
                                                     "party": "Party B", "via": "votes", "votes_before": 90,
                                                     "votes_after": 5}
    assert body["contests_changed"][0]["in"][0]["candidate_id"] == "d"
    assert w.to_dict()["after"]["annulled"] == ["S02"]


def test_nothing_struck_nothing_changes(data: ElectionData) -> None:
    w = annul_stations(data, [])
    assert w.changes.changed == () and w.changes.seats_changed == 0
    assert all(p.change == 0 for p in w.changes.parties)
    assert compare(w.before, w.before).unchanged == ("D1", "D2")


def test_unknown_stations_are_named(data: ElectionData) -> None:
    assert unknown_stations(data, ["S01", "S99", "S07", "S99"]) == ("S07", "S99")
    with pytest.raises(ValueError, match="2 stations to annul not in stations.csv: S07, S99"):
        annul_stations(data, ["S01", "S99", "S07"])


def test_the_lot_and_the_law_carry_over(data: ElectionData) -> None:
    w = annul_stations(data, ["S02"], lot=Lot("dice 4 2 6"), law=Law("sntv"))
    assert w.before.seed == w.after.seed == "dice 4 2 6"
    assert w.before.law == w.after.law == "sntv"
    assert w.after.regions == ()


def test_compare_refuses_different_elections(data: ElectionData, tmp_path: Path) -> None:
    other = files(VOTES)
    other["contests"] = other["contests"].replace("D2,District 2,2", "D2,District 2,1")
    d3 = validate_package(make_package(tmp_path / "q", **other)).validation.data
    first = allocate(data)
    assert compare(first, allocate(d3)).seats_changed == 1  # same contests, D2 has one seat fewer
    with pytest.raises(ValueError, match="different contests \\(D2\\)"):
        compare(first, dataclasses.replace(first, contests=first.contests[:1]))


def test_a_recount_version_against_the_original(tmp_path: Path) -> None:
    pkg = make_package(tmp_path / "p", **files(VOTES))
    assert import_package(pkg).outcome.version.name == "v1"
    recount = {s: dict(row) for s, row in VOTES.items()}
    recount["S01"]["r"], recount["S01"]["p"] = 61, 29  # D2: r now 66, p 34: r takes p's seat
    make_package(pkg, **files(recount))
    assert import_package(pkg).outcome.version.name == "v2"
    store = Store(pkg / ".tallycheck")
    w = compare_versions(store.load("v1"), store.load("v2"))
    (d2,) = w.changes.changed
    assert ([s.candidate_id for s in d2.out], [s.candidate_id for s in d2.entered]) == (["p"], ["r"])
    assert (d2.votes_before, d2.votes_after) == ({"p": 65, "r": 35}, {"p": 34, "r": 66})
    assert {p.party: p.change for p in w.changes.parties if p.change} == {"Party A": -1, "Party B": 1}
    # the same law must apply to both, unless the caller names one
    make_package(pkg, **{**files(recount),
                         "election": files(recount)["election"].replace("iraq-2021", "sntv")})
    import_package(pkg)
    with pytest.raises(ValueError, match="different laws"):
        compare_versions(store.load("v1"), store.load("v3"))
    assert compare_versions(store.load("v1"), store.load("v3"), law=Law("sntv")).changes.seats_changed == 1
