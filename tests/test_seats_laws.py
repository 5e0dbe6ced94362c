"""seats/laws.py and seats/allocate.py: named laws, how a package's [law] resolves, whole packages' seats.

Published figures used here:
- Iraq 2021 seat table and districts per governorate (= women's quota seats): Negar news magazine item 941260
  (IHEC table) and Shafaq News (districts law), as embedded with their sources in
  tallycheck/synth/iraq_2021.py; 329 seats = 320 general + 9 minority, at least 83 women (one per district).
- Iraq 2018 divisors 1.7, 3, 5, 7, ... and open lists: IHEC seat regulation No. 12 of 2018, Section III
  (idea.int/answer/ans130355941059621); a woman after every three winning men: Law No. 45 of 2013 (IPU
  PARLINE, archive.ipu.org/parline-e/reports/2151_B.htm).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from package_builder import csv_text, make_package

from tallycheck.importing import validate_package
from tallycheck.model import ElectionData, Gender, Law
from tallycheck.seats.allocate import allocate, vote_totals
from tallycheck.seats.laws import (
    NAMED_LAWS,
    PARAMETERS,
    LawError,
    Rounding,
    System,
    WomenInListsRule,
    parse_fraction,
    resolve_law,
)
from tallycheck.seats.lists import Blocks
from tallycheck.seats.result import WOMEN_CONTEST, WOMEN_REGION, Replacement, SeatVia
from tallycheck.seats.sntv import RegionRank
from tallycheck.seats.ties import Lot
from tallycheck.synth import generate
from tallycheck.synth import iraq_2021 as facts
from tallycheck.tabulate import tabulate

# -- resolving a package's [law] -----------------------------------------------------------------------------


def test_named_laws_and_their_defaults() -> None:
    iraq = resolve_law(Law("iraq-2021"))
    assert (iraq.system, iraq.women_region_share, iraq.women_region_rounding, iraq.one_ballot_per_voter) == \
        (System.SNTV, Fraction(1, 4), Rounding.HALF_UP, True)
    iraq18 = resolve_law(Law("iraq-2018"))
    assert (iraq18.system, iraq18.method, iraq18.first_divisor) == \
        (System.LIST_PR, "sainte-lague", Fraction(17, 10))
    assert (iraq18.women_lists, iraq18.women_list_every, iraq18.women_list_blocks) == \
        (WomenInListsRule.POSITION, 4, Blocks.WINDOW)
    af = resolve_law(Law("afghanistan-wolesi-jirga"))
    assert (af.system, af.women_region_share) == (System.SNTV, None)
    for name, law in NAMED_LAWS.items():
        assert resolve_law(Law(name)) == law and law.name == name
    for law in (iraq, iraq18, af):  # the country laws carry their sources
        assert law.sources and all(law.sources)
        json.dumps(law.params())


def test_explicit_parameters_override_the_named_set() -> None:
    law = resolve_law(Law("iraq-2021", {"women_region_share": "0.3", "women_region_rank": "share",
                                        "women_region_rounding": "up", "women_region_level": "province"}))
    assert (law.women_region_share, law.women_region_rank) == (Fraction(3, 10), RegionRank.SHARE)
    assert (law.women_region_rounding, law.women_region_level) == (Rounding.UP, "province")
    assert resolve_law(Law("iraq-2021", {"women_region_share": "none"})).women_region_share is None
    assert resolve_law(Law("iraq-2021", {"women_region_share": 0})).women_region_share is None
    custom = resolve_law(Law(None, {"system": "list-pr", "method": "dhondt", "threshold": 0.05,
                                    "women_lists": "count", "women_list_per": [4, 3]}))
    assert (custom.name, custom.method, custom.threshold, custom.women_list_per) == \
        ("custom", "dhondt", Fraction(1, 20), (4, 3))
    assert resolve_law(Law(None, {"system": "sntv"})).name == "sntv"


@pytest.mark.parametrize(("value", "expected"), [
    (1.7, Fraction(17, 10)), ("1.7", Fraction(17, 10)), ("17/10", Fraction(17, 10)), (2, Fraction(2)),
    (0.05, Fraction(1, 20)), ("1.4", Fraction(7, 5)), (1e-05, Fraction(1, 100_000)),
])
def test_fractions_are_read_exactly_as_written(value, expected) -> None:
    assert parse_fraction(value, "x") == expected


@pytest.mark.parametrize(("law", "message"), [
    (Law("iraq-2022"), "Unknown law 'iraq-2022'"),
    (Law(None), "names no law and gives no `system`"),
    (Law("iraq-2021", {"women_quota": 1}), "Unknown law parameter 'women_quota'.*Known parameters"),
    (Law("iraq-2021", {"a": 1, "b": 2}), "Unknown law parameters 'a', 'b'"),
    (Law("iraq-2021", {"system": "list-pr"}), "contradicts"),
    (Law("iraq-2021", {"women_region_share": "1,5"}), "decimal"),
    (Law("iraq-2021", {"women_region_share": 1.5}), "share of seats or votes, from 0 to 1"),
    (Law("iraq-2021", {"women_region_share": -0.1}), "negative"),
    (Law("iraq-2021", {"women_region_rounding": "bankers"}), "'half-up', 'up', 'down'"),
    (Law("iraq-2021", {"method": "dhondt"}), "apply to list PR only"),
    (Law("iraq-2021", {"one_ballot_per_voter": "yes"}), "true or false"),
    (Law(None, {"system": "list-pr"}), "needs a method"),
    (Law(None, {"system": "list-pr", "method": "borda"}), "must be one of"),
    (Law(None, {"system": "runoff"}), "must be one of"),
    (Law("iraq-2018", {"first_divisor": 3}), "below the method's second divisor"),
    (Law("hare", {"first_divisor": 1.7}), "divisor methods"),
    (Law("iraq-2018", {"women_list_women": 5}), "cannot exceed"),
    (Law("iraq-2018", {"women_list_per": []}), "at least one divisor"),
])
def test_law_errors_say_what_is_allowed(law, message) -> None:
    with pytest.raises(LawError, match=message):
        resolve_law(law)


def test_every_parameter_is_a_field_of_the_law() -> None:
    params = resolve_law(Law("sntv")).params()
    assert set(PARAMETERS) <= set(params)


@pytest.mark.parametrize("g", facts.GOVERNORATES, ids=lambda g: g.name)
def test_a_quarter_of_each_governorates_seats_rounded_half_up_is_its_districts(g) -> None:
    # Law 9/2020 drew as many districts as the governorate has women's quota seats (Shafaq); 25 % of the
    # governorate's general seats (Negar 941260), rounded half up, gives exactly that number in all 18:
    # Baghdad 69 -> 17.25 -> 17, Sulaymaniyah 18 -> 4.5 -> 5, Maysan 10 -> 2.5 -> 3, Muthanna 7 -> 1.75 -> 2.
    assert Rounding.HALF_UP.apply(Fraction(1, 4) * g.general_seats) == g.districts
    # counting the minority seats too would not (Baghdad: 71 -> 17.75 -> 18 > 17 districts)
    if g.iso == "IQ-BG":
        total = g.general_seats + sum(n for _, n in g.minority_seats)
        assert Rounding.HALF_UP.apply(Fraction(1, 4) * total) == g.districts + 1


def test_rounding() -> None:
    assert [Rounding.HALF_UP.apply(Fraction(n, 4)) for n in range(9)] == [0, 0, 1, 1, 1, 1, 2, 2, 2]
    assert [Rounding.UP.apply(Fraction(n, 4)) for n in range(9)] == [0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert [Rounding.DOWN.apply(Fraction(n, 4)) for n in range(9)] == [0, 0, 0, 0, 1, 1, 1, 1, 2]


# -- small packages ------------------------------------------------------------------------------------------

def package(folder: Path, *, law: str, contests: list[tuple], candidates: list[tuple],
            votes: dict[str, dict[tuple[str, str], int]], lists: list[tuple] | None = None,
            list_votes: dict[str, dict[tuple[str, str], int]] | None = None) -> ElectionData:
    """A package of one governorate G1 with districts D1, D2: contests (id, seats, area, women_seats),
    candidates (id, contest, gender, party, list_id), votes {station: {(contest, candidate): votes}}."""
    stations = sorted(set(votes) | set(list_votes or {}))
    areas = [("IQ", "Iraq", "", "country"), ("G1", "Governorate One", "IQ", "governorate"),
             ("D1", "District One", "G1", "district"), ("D2", "District Two", "G1", "district")]
    result_rows, sheet_rows = [], []
    for s in stations:
        rows = [(s, c, k, "", v) for (c, k), v in sorted(votes.get(s, {}).items())]
        rows += [(s, c, "", lid, v) for (c, lid), v in sorted((list_votes or {}).get(s, {}).items())]
        result_rows += rows
        for c in sorted({r[1] for r in rows}):
            sheet_rows.append((s, c, sum(r[4] for r in rows if r[1] == c), 0, 0))
    files = {
        "election": f'name = "Test"\ndate = 2021-10-10\n\n[law]\n{law}\n',
        "areas": csv_text(("area_id", "name", "parent", "level"), areas),
        "contests": csv_text(("contest_id", "name", "seats", "area", "women_seats", "group"),
                             [(c, f"Contest {c}", n, a, w, "") for c, n, a, w in contests]),
        "candidates": csv_text(
            ("candidate_id", "contest_id", "name", "party", "gender", "group", "area", "list_id"),
            [(k, c, f"Candidate {k}", p, g, "", "", lid) for k, c, g, p, lid in candidates]),
        "stations": csv_text(("station_id", "centre_id", "area", "registered", "kind"),
                             [(s, s[:3], "D1", "", "") for s in stations]),
        "sheets": csv_text(("station_id", "contest_id", "ballots_cast", "invalid", "blank"), sheet_rows),
        "results": csv_text(("station_id", "contest_id", "candidate_id", "list_id", "votes"), result_rows),
    }
    if lists is not None:
        files["lists"] = csv_text(("list_id", "contest_id", "name"), lists)
    make_package(folder, **files)
    data = validate_package(folder).validation.data
    assert data is not None
    return data


def test_tiny_package_under_iraq_2021(tiny: Path) -> None:
    data = validate_package(tiny).validation.data
    result = allocate(data)
    # tests/fixtures/packages/tiny: D1 001 115, 002 (F) 90, 003 65, 004 (F) 30; D2 005 110, 006 (F) 73, 007 70
    assert [c.winner_ids for c in result.contests] == [("001", "002", "003"), ("005", "006", "007")]
    assert result.contest("D1").votes == {"001": 115, "002": 90, "003": 65, "004": 30}
    assert (result.seats, result.women) == (6, 2)
    (region,) = result.regions
    assert (region.area, region.seats, region.required, region.women, region.short) == ("G1", 6, 2, 2, 0)
    assert {p.party: (p.seats, p.women, p.votes) for p in result.parties} == {
        "Party A": (3, 0, 290), "Party B": (2, 1, 160), "Party C": (1, 1, 73), "(independent)": (0, 0, 30)}
    json.dumps(result.to_dict())
    assert allocate(data, tabulate(data)) == result


def test_annulled_stations_are_struck_before_totalling(tmp_path: Path) -> None:
    data = package(
        tmp_path / "p", law='name = "iraq-2021"', contests=[("D1", 3, "D1", 1)],
        candidates=[(k, "D1", g, "", "") for k, g in zip("abcde", "MMMFM")],
        votes={"S01": {("D1", "a"): 100, ("D1", "b"): 90, ("D1", "c"): 80, ("D1", "d"): 10, ("D1", "e"): 5},
               "S02": {("D1", "a"): 10, ("D1", "b"): 10, ("D1", "c"): 0, ("D1", "d"): 5, ("D1", "e"): 85}})
    whole = allocate(data)
    assert whole.contest("D1").votes == {"a": 110, "b": 100, "c": 80, "d": 15, "e": 90}
    assert whole.contest("D1").replacements == (Replacement("d", "e", WOMEN_CONTEST),)
    struck = allocate(data, annulled=frozenset({"S02"}))
    assert struck.contest("D1").votes == {"a": 100, "b": 90, "c": 80, "d": 10, "e": 5}
    assert struck.contest("D1").replacements == (Replacement("d", "c", WOMEN_CONTEST),)
    assert struck.annulled == ("S02",)
    assert vote_totals(data, tabulate(data)) == vote_totals(data)
    with pytest.raises(ValueError, match="No station 'S99'"):
        allocate(data, annulled=frozenset({"S99"}))


def test_governorate_minimum_brings_in_a_woman_from_another_district(tmp_path: Path) -> None:
    # D2 has no woman candidate, so its own minimum cannot be met; G1 needs round-half-up(6/4) = 2 women, and
    # the region's highest-voted losing woman (D1's f2) replaces D1's lowest-voted male winner.
    data = package(
        tmp_path / "p", law='name = "iraq-2021"', contests=[("D1", 3, "D1", 1), ("D2", 3, "D2", 1)],
        candidates=[("m1", "D1", "M", "", ""), ("m2", "D1", "M", "", ""), ("m3", "D1", "M", "", ""),
                    ("f1", "D1", "F", "", ""), ("f2", "D1", "F", "", ""),
                    ("n1", "D2", "M", "", ""), ("n2", "D2", "M", "", ""), ("n3", "D2", "M", "", ""),
                    ("n4", "D2", "M", "", "")],
        votes={"S01": {("D1", "m1"): 90, ("D1", "m2"): 80, ("D1", "m3"): 70, ("D1", "f1"): 40,
                       ("D1", "f2"): 30, ("D2", "n1"): 50, ("D2", "n2"): 40, ("D2", "n3"): 30,
                       ("D2", "n4"): 20}})
    result = allocate(data)
    d1, d2 = result.contest("D1"), result.contest("D2")
    assert d1.winner_ids == ("m1", "f2", "f1")
    assert d1.replacements == (Replacement("f1", "m3", WOMEN_CONTEST), Replacement("f2", "m2", WOMEN_REGION))
    assert [s.via for s in d1.winners] == [SeatVia.VOTES, SeatVia.WOMEN_QUOTA, SeatVia.WOMEN_QUOTA]
    assert (d2.women_short, d1.women_short) == (1, 0)
    (region,) = result.regions
    assert (region.required, region.women, region.short) == (2, 2, 0)
    # switched off in the package's law, or by the caller: D1 keeps m2
    off = allocate(data, law=Law("iraq-2021", {"women_region_share": "none"}))
    assert off.contest("D1").winner_ids == ("m1", "m2", "f1") and off.regions == ()
    # Afghanistan's law has no regional minimum
    assert allocate(data, law=Law("afghanistan-wolesi-jirga")).contest("D1").winner_ids == ("m1", "m2", "f1")


def test_regional_minimum_needs_the_regions(tmp_path: Path) -> None:
    data = validate_package(make_package(tmp_path / "p", areas=None)).validation.data
    with pytest.raises(LawError, match="checks women per governorate.*women_region_share"):
        allocate(data)
    assert allocate(data, law=Law("sntv")).seats == 6


# -- list PR -------------------------------------------------------------------------------------------------

LIST_CANDIDATES = [(f"a{i}", "G1", g, "One", "L1") for i, g in enumerate("MMMMF", 1)] + \
    [(f"b{i}", "G1", g, "Two", "L2") for i, g in enumerate("MFMM", 1)] + [("c1", "G1", "M", "Three", "L3")]
# personal votes: L1 400+300+200+60+40 = 1000, L2 300+100+200+20 = 620, L3 150 + 40 list-only = 190
PERSONAL = (("a1", 400), ("a2", 300), ("a3", 200), ("a4", 60), ("a5", 40),
            ("b1", 300), ("b2", 100), ("b3", 200), ("b4", 20), ("c1", 150))
LIST_VOTES = {"S01": {("G1", k): v for k, v in PERSONAL}}
LIST_ONLY = {"S01": {("G1", "L3"): 40}}


def list_package(folder: Path, law: str) -> ElectionData:
    return package(folder, law=law, contests=[("G1", 7, "G1", 0)], candidates=LIST_CANDIDATES,
                   votes=LIST_VOTES, lists=[("L1", "G1", "One"), ("L2", "G1", "Two"), ("L3", "G1", "Three")],
                   list_votes=LIST_ONLY)


def test_iraq_2018_modified_sainte_lague_and_a_woman_after_three_men(tmp_path: Path) -> None:
    # Regulation 12/2018: quotients L1 1000/1.7 = 588.2, 333.3, 200, 142.9; L2 620/1.7 = 364.7, 206.7, 124;
    # L3 190/1.7 = 111.8. The 7 highest: L1 4, L2 3, L3 0 (with first divisor 1, L3's 190 would take a seat).
    result = allocate(list_package(tmp_path / "p", 'name = "iraq-2018"'))
    g1 = result.contest("G1")
    assert dict(g1.list_votes) == {"L1": 1000, "L2": 620, "L3": 190}
    assert dict(g1.list_seats) == {"L1": 4, "L2": 3, "L3": 0}
    # L1 on personal votes: a1, a2, a3, a4 (four men); no run of more than three men: a5 takes a4's seat
    assert g1.winner_ids == ("a1", "a2", "a3", "a5", "b1", "b3", "b2")
    assert [r.elected + ">" + r.displaced for r in g1.replacements] == ["a5>a4"]
    assert {s.candidate_id: (s.via, s.list_id) for s in g1.winners}["a5"] == (SeatVia.WOMEN_QUOTA, "L1")
    assert {s.via for s in g1.winners if s.candidate_id != "a5"} == {SeatVia.LIST}
    assert (result.seats, result.women) == (7, 2)


def test_generic_list_laws(tmp_path: Path) -> None:
    data = list_package(tmp_path / "p", 'name = "sainte-lague"')
    plain = allocate(data).contest("G1")
    # Sainte-Laguë 1, 3, 5: 1000, 620, 333.3, 206.7, 200, 190 (L3), 142.9 -> L1 4, L2 2, L3 1; no women's rule
    assert dict(plain.list_seats) == {"L1": 4, "L2": 2, "L3": 1}
    assert plain.winner_ids == ("a1", "a2", "a3", "a4", "b1", "b3", "c1")
    # D'Hondt 1, 2, 3: 1000, 620, 500, 333.3, 310, 250, 206.7 -> L1 4, L2 3
    assert dict(allocate(data, law=Law("dhondt")).contest("G1").list_seats) == {"L1": 4, "L2": 3, "L3": 0}
    # a threshold of 10 % of the lists' votes (181) leaves L3 (190) in; 12 % (217.0) leaves it out
    assert allocate(data, law=Law("sainte-lague", {"threshold": "0.10"})).contest("G1").list_seats["L3"] == 1
    assert allocate(data, law=Law("sainte-lague", {"threshold": "0.12"})).contest("G1").list_seats["L3"] == 0
    # closed lists: seats by list order (candidate ids), not by personal votes
    closed = allocate(data, law=Law("sainte-lague", {"open_lists": False})).contest("G1")
    assert closed.winner_ids == ("a1", "a2", "a3", "a4", "b1", "b2", "c1")


def test_list_pr_needs_lists(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(LawError, match="lists.csv gives it no lists"):
        allocate(validate_package(tiny).validation.data, law=Law("dhondt"))
    data = package(tmp_path / "p", law='name = "dhondt"', contests=[("G1", 2, "G1", 0)],
                   candidates=[("a", "G1", "M", "", "L1"), ("x", "G1", "M", "", "")],
                   votes={"S01": {("G1", "a"): 5, ("G1", "x"): 3}}, lists=[("L1", "G1", "One")])
    with pytest.raises(LawError, match="'x' of list-PR contest 'G1' stands on no list"):
        allocate(data)


# -- the Iraq-shaped demo election ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ElectionData, ElectionData]:
    """The demo's shape (tallycheck demo) at two station counts: seats must not depend on them."""
    out = []
    for stations in (150, 400):
        folder = tmp_path_factory.mktemp(f"demo{stations}") / "pkg"
        generate("iraq-2021", 2021, folder, stations=stations)
        data = validate_package(folder).validation.data
        assert data is not None
        out.append(data)
    return out[0], out[1]


def test_the_iraq_shaped_election_fills_329_seats_with_at_least_83_women(demo_pair) -> None:
    for data in demo_pair:
        result = allocate(data, lot=Lot("2021"))
        assert (result.law, result.seats) == ("iraq-2021", facts.HOUSE_SIZE)
        assert result.women >= 83
        general = [c for c in result.contests if not c.group]
        minority = [c for c in result.contests if c.group]
        assert len(general) == 83 and all(c.women >= 1 and c.vacant == 0 for c in general)
        assert sum(c.seats for c in general) == facts.GENERAL_SEATS
        assert sum(len(c.winners) for c in minority) == facts.MINORITY_SEATS
        assert {s.via for c in minority for s in c.winners} == {SeatVia.MINORITY}
        # the nationwide Christian ballot: one seat in each of the five governorates, whatever the ranking
        christian = result.contest("MIN-CHRISTIAN")
        area_of = {c.candidate_id: c.area for c in data.candidates if c.contest_id == "MIN-CHRISTIAN"}
        assert sorted(area_of[s.candidate_id] for s in christian.winners) == \
            ["IQ-AR", "IQ-BG", "IQ-DA", "IQ-KI", "IQ-NI"]
        # every governorate's 25 % check is met (one woman per district already meets it, see above)
        assert len(result.regions) == 18
        assert all(r.short == 0 and r.women >= r.required for r in result.regions)
        assert sum(r.required for r in result.regions) == 83
        assert sum(p.seats for p in result.parties) == facts.HOUSE_SIZE
        for c in general:  # quota entrants are women who took a man's seat in their own district
            genders = {s.candidate_id: s.gender for s in c.winners}
            assert all(genders[r.elected] is Gender.FEMALE for r in c.replacements)
        json.dumps(result.to_dict())
