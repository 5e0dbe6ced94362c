"""Soundness of the seat assertions (audit/assertions.py), the property that makes an audit risk-limiting: for
random small elections under each law family and random "true" vote vectors near the reported ones, whenever
every assertion of the reported outcome holds on the true votes (sum over the cards of g > 0), the seat
engine's allocation of the true votes gives every contest the same seat holders.

Elections are built in memory (`build_data`) and allocated by seats/allocate.py's `allocate_votes`, so the
assertions are checked against the real allocation, women's rules, thresholds and regions included. The
reported and the true allocation use different lots: a tie the lot settled must never decide a confirmed seat.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tallycheck.audit.assertion import AssertionSet
from tallycheck.audit.assertions import contest_assertions
from tallycheck.model import TABLE_SPECS, Election, ElectionData, Law
from tallycheck.seats.allocate import VoteTotals, allocate_votes
from tallycheck.seats.laws import GENERIC, LawError, SeatLaw, WomenInListsRule
from tallycheck.seats.lists import Blocks
from tallycheck.seats.result import SeatResult
from tallycheck.seats.sntv import RegionRank
from tallycheck.seats.ties import Lot

REGION = "R1"


@dataclass
class ContestSpec:
    contest_id: str
    seats: int
    candidates: list[tuple[str, str, str, str]]  # candidate_id, gender, list_id, area
    women_seats: int = 0
    group: str = ""
    lists: list[str] = field(default_factory=list)
    seat_areas: dict[str, int] = field(default_factory=dict)
    area: str = ""


def build_data(contests: Sequence[ContestSpec], votes: Mapping[tuple[str, str, str], int], cards: Mapping[str, int],
               law: Law = Law("sntv")) -> ElectionData:
    """An election in memory: region R1 (level governorate) holding one area per contest, one station per contest
    whose sheet has `cards[contest]` ballots; `votes[(contest, candidate, list)]` as its results."""
    areas = [{"area_id": REGION, "name": REGION, "parent": "", "level": "governorate"},
             {"area_id": "R2", "name": "R2", "parent": "", "level": "governorate"}]
    rows: dict[str, list[dict]] = {name: [] for name in TABLE_SPECS}
    rows["areas"] = areas
    for c in contests:
        area = c.area or f"{REGION}-{c.contest_id}"
        if not c.area:
            areas.append({"area_id": area, "name": area, "parent": REGION, "level": "district"})
        rows["contests"].append({"contest_id": c.contest_id, "name": c.contest_id, "seats": c.seats, "area": area,
                                 "women_seats": c.women_seats, "group": c.group})
        for a, n in c.seat_areas.items():
            rows["seat_areas"].append({"contest_id": c.contest_id, "area": a, "seats": n})
        for lid in c.lists:
            rows["lists"].append({"list_id": lid, "contest_id": c.contest_id, "name": f"List {lid}"})
        for cid, gender, lid, carea in c.candidates:
            rows["candidates"].append({"candidate_id": cid, "contest_id": c.contest_id, "name": f"N{cid}",
                                       "party": "", "gender": gender, "group": c.group, "area": carea,
                                       "list_id": lid})
        station = f"S-{c.contest_id}"
        rows["stations"].append({"station_id": station, "centre_id": station, "area": area, "registered": None,
                                 "kind": ""})
        rows["sheets"].append({"station_id": station, "contest_id": c.contest_id,
                               "ballots_cast": cards[c.contest_id], "invalid": 0, "blank": 0})
    for (contest, cand, lid), n in votes.items():
        rows["results"].append({"station_id": f"S-{contest}", "contest_id": contest, "candidate_id": cand,
                                "list_id": lid, "votes": n})
    tables = {name: pa.Table.from_pylist(rows[name], schema=spec.arrow_schema) for name, spec in TABLE_SPECS.items()}
    return ElectionData(Election("test", dt.date(2021, 10, 10), law), tables)


def totals_of(votes: Mapping[tuple[str, str, str], int]) -> VoteTotals:
    return VoteTotals({(c, k): n for (c, k, lid), n in votes.items() if k},
                      {(c, lid): n for (c, k, lid), n in votes.items() if not k})


def holders(result: SeatResult) -> dict[str, tuple]:
    return {c.contest_id: (frozenset(c.winner_ids), frozenset(c.runoff), dict(c.list_seats))
            for c in result.contests}


def holds_on(sets: Sequence[AssertionSet], votes: Mapping[tuple[str, str, str], int],
             cards: Mapping[str, int]) -> bool:
    for s in sets:
        totals = {(k, lid): n for (c, k, lid), n in votes.items() if c == s.contest_id}
        if not all(a.g_total(totals, cards[s.contest_id]) > 0 for a in s.assertions):
            return False
    return True


@dataclass(frozen=True)
class Case:
    contests: tuple[ContestSpec, ...]
    law: SeatLaw
    reported: dict
    true: dict


def check(case: Case) -> str:
    """'skip' (the reported outcome cannot be allocated, or goes to a full count), 'confirmed' (every assertion
    holds on the true votes: then the true outcome must be the same), or 'refuted'."""
    cards = {}
    for c in case.contests:
        valid = [sum(n for (k, _, _), n in v.items() if k == c.contest_id) for v in (case.reported, case.true)]
        cards[c.contest_id] = max(valid) + 1  # a spoilt card too: invalid cards weigh in some assertions
    data = build_data(case.contests, case.reported, cards, Law(None, {"system": case.law.system.value}))
    try:
        reported = allocate_votes(data, totals_of(case.reported), law=case.law, lot=Lot("reported"))
    except LawError:
        return "skip"
    sets = contest_assertions(data, reported)
    assert [s.contest_id for s in sets] == [c.contest_id for c in reported.contests]
    # the reported counts satisfy every assertion of a contest that needs no full count
    assert holds_on([s for s in sets if not s.full_count], case.reported, cards)
    if any(s.full_count for s in sets):
        return "skip"
    if not holds_on(sets, case.true, cards):
        return "refuted"
    try:
        true = allocate_votes(data, totals_of(case.true), law=case.law, lot=Lot("true"))
    except LawError:  # the law cannot allocate seats without a single vote
        assert sum(case.true.values()) == 0
        return "skip"
    assert holders(true) == holders(reported), (case, sets)
    return "confirmed"


# -- strategies: one law family each ------------------------------------------------------------------------

GENDERS = ("F", "M", "X", "")


@st.composite
def near(draw, reported: int) -> int:
    return max(0, reported + draw(st.integers(-3, 3)))


@st.composite
def sntv_cases(draw) -> Case:
    region_share = draw(st.sampled_from([None, Fraction(1, 4), Fraction(1, 2), Fraction(3, 4)]))
    law = dataclasses.replace(GENERIC["sntv"], women_region_share=region_share,
                              women_region_rank=draw(st.sampled_from(list(RegionRank))))
    contests, reported, true = [], {}, {}
    for i in range(draw(st.integers(1, 3))):
        cid = f"C{i}"
        seats = draw(st.integers(1, 3))
        n = draw(st.integers(1, 6))
        cands = [(f"{cid}-{j}", draw(st.sampled_from(GENDERS)), "", "") for j in range(n)]
        contests.append(ContestSpec(cid, seats, cands, women_seats=draw(st.integers(0, seats))))
        for cand, *_ in cands:
            reported[(cid, cand, "")] = v = draw(st.integers(0, 12))
            true[(cid, cand, "")] = draw(near(v))
    if draw(st.booleans()):  # a minority ballot whose seats are held area by area, outside the region's count
        cands = [(f"M-{j}", "M", "", draw(st.sampled_from(["R2-a", "R2-b", "R2-c"]))) for j in range(5)]
        per_area = {"R2-a": draw(st.integers(1, 2)), "R2-b": 1}
        contests.append(ContestSpec("M", sum(per_area.values()), cands, group="christian", seat_areas=per_area,
                                    area="R2"))
        for cand, *_ in cands:
            reported[("M", cand, "")] = v = draw(st.integers(0, 12))
            true[("M", cand, "")] = draw(near(v))
    return Case(tuple(contests), law, reported, true)


@st.composite
def majority_cases(draw) -> Case:
    law = dataclasses.replace(GENERIC["majority"], majority_share=draw(
        st.sampled_from([Fraction(1, 2), Fraction(2, 5), Fraction(3, 5), Fraction(1, 3)])))
    n = draw(st.integers(1, 5))
    cands = [(f"P{j}", "", "", "") for j in range(n)]
    reported, true = {}, {}
    for cand, *_ in cands:
        reported[("P", cand, "")] = v = draw(st.integers(0, 15))
        true[("P", cand, "")] = draw(near(v))
    return Case((ContestSpec("P", 1, cands),), law, reported, true)


@st.composite
def list_cases(draw) -> Case:
    method = draw(st.sampled_from(["dhondt", "sainte-lague", "imperiali", "danish", "hare"]))
    first = draw(st.sampled_from([None, Fraction(17, 10)])) if method != "hare" else None
    open_lists = draw(st.booleans())
    women = draw(st.sampled_from(list(WomenInListsRule))) if open_lists else WomenInListsRule.NONE
    every = draw(st.integers(2, 4))
    law = dataclasses.replace(
        GENERIC["dhondt"], name="custom", method=method, first_divisor=first,
        threshold=draw(st.sampled_from([None, Fraction(1, 10), Fraction(1, 4)])), open_lists=open_lists,
        women_lists=women, women_list_every=every, women_list_women=draw(st.integers(1, every)),
        women_list_blocks=draw(st.sampled_from(list(Blocks))),
        women_list_per=draw(st.sampled_from([(3,), (2,), (4, 3)])),
        women_list_contest_minimum=draw(st.booleans()))
    lists = [f"{j}" for j in range(draw(st.integers(2, 4)))]
    cands, reported, true = [], {}, {}
    for lid in lists:
        for j in range(draw(st.integers(0, 4))):
            cands.append((f"{lid}{j}", draw(st.sampled_from(("F", "M", "M"))), lid, ""))
        reported[("L", "", lid)] = v = draw(st.integers(0, 10))
        true[("L", "", lid)] = draw(near(v))
    for cand, *_ in cands:
        reported[("L", cand, "")] = v = draw(st.integers(0, 10))
        true[("L", cand, "")] = draw(near(v))
    seats = draw(st.integers(1, 6))
    spec = ContestSpec("L", seats, cands, women_seats=draw(st.integers(0, min(2, seats))), lists=lists)
    return Case((spec,), law, reported, true)


@st.composite
def women_in_lists_cases(draw) -> Case:
    """Open lists where the women's rule acts: men tend to out-poll women, lists win several seats."""
    every = draw(st.integers(2, 4))
    law = dataclasses.replace(
        GENERIC["dhondt"], women_lists=draw(st.sampled_from([WomenInListsRule.POSITION, WomenInListsRule.COUNT])),
        women_list_every=every, women_list_women=draw(st.integers(1, min(2, every))),
        women_list_blocks=draw(st.sampled_from(list(Blocks))),
        women_list_per=draw(st.sampled_from([(3,), (2,), (4, 3)])),
        women_list_contest_minimum=draw(st.booleans()))
    lists = [f"{j}" for j in range(draw(st.integers(1, 3)))]
    cands, reported, true = [], {}, {}
    for lid in lists:
        for j in range(draw(st.integers(2, 7))):
            woman = draw(st.booleans())
            cands.append((f"{lid}{j}", "F" if woman else "M", lid, ""))
            reported[("L", f"{lid}{j}", "")] = v = draw(st.integers(0, 8) if woman else st.integers(4, 12))
            true[("L", f"{lid}{j}", "")] = draw(near(v))
        reported[("L", "", lid)] = v = draw(st.integers(0, 10))
        true[("L", "", lid)] = draw(near(v))
    seats = draw(st.integers(2, 9))
    spec = ContestSpec("L", seats, cands, women_seats=draw(st.integers(0, 3)), lists=lists)
    return Case((spec,), law, reported, true)


@settings(max_examples=400, deadline=None)
@given(sntv_cases())
def test_sntv_quota_region_and_area_assertions_are_sound(case: Case) -> None:
    check(case)


@settings(max_examples=300, deadline=None)
@given(majority_cases())
def test_majority_and_runoff_assertions_are_sound(case: Case) -> None:
    check(case)


@settings(max_examples=400, deadline=None)
@given(list_cases())
def test_list_pr_assertions_are_sound(case: Case) -> None:
    check(case)


@settings(max_examples=400, deadline=None)
@given(women_in_lists_cases())
def test_women_in_open_lists_assertions_are_sound(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("strategy", [sntv_cases(), majority_cases(), list_cases(), women_in_lists_cases()],
                         ids=["sntv", "majority", "list-pr", "women-in-lists"])
def test_the_soundness_checks_are_not_vacuous(strategy) -> None:
    # the same check on a fixed (derandomized) stream of examples: the assertions must both hold (and then
    # confirm the outcome) and fail often enough for the properties above to mean something
    seen = Counter()

    @settings(max_examples=150, deadline=None, derandomize=True, database=None)
    @given(strategy)
    def run(case: Case) -> None:
        seen[check(case)] += 1

    run()
    assert seen["confirmed"] >= 15 and seen["refuted"] >= 15, seen


@st.composite
def plurality_contests(draw) -> tuple[list[tuple[str, str, str, str]], int, dict, dict]:
    n = draw(st.integers(2, 7))
    cands = [(f"K{j}", "M", "", "") for j in range(n)]
    reported = {("K", c, ""): draw(st.integers(0, 12)) for c, *_ in cands}
    true = {k: draw(near(v)) for k, v in reported.items()}
    return cands, draw(st.integers(1, n - 1)), reported, true


@settings(max_examples=300, deadline=None)
@given(plurality_contests())
def test_plurality_assertions_hold_whenever_the_true_outcome_is_the_same_without_a_tie(case) -> None:
    # the converse for plurality and SNTV without quotas: the assertions ask for nothing beyond the outcome
    cands, seats, reported, true = case
    spec = ContestSpec("K", seats, cands)
    cards = {"K": max(sum(reported.values()), sum(true.values()))}
    data = build_data([spec], reported, cards)
    law = GENERIC["plurality"]
    result = allocate_votes(data, totals_of(reported), law=law, lot=Lot("reported"))
    (aset,) = contest_assertions(data, result)
    winners = set(result.contests[0].winner_ids)
    true_result = allocate_votes(data, totals_of(true), law=law, lot=Lot("true"))
    strict = min(true[("K", c, "")] for c in winners) > max(true[("K", c, "")] for c, *_ in cands
                                                               if c not in winners)
    if set(true_result.contests[0].winner_ids) == winners and strict:
        assert holds_on([aset], true, cards)
    assert len(aset.assertions) == seats * (len(cands) - seats)
