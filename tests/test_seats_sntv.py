"""seats/sntv.py: SNTV with women's reserved seats, per-area minority ballots and a regional women's minimum.

Worked examples follow the rules as their sources state them:
- SNTV: "the candidates who receive the most votes in each province win seats" (IPU PARLINE, Afghanistan,
  ipu.org/parline-e/reports/2381_B.htm).
- Replace afterwards (Iraq 2021): women who win on votes need no quota; otherwise "the highest loser" among
  the women replaces a male winner (IHEC commissioner Ahlam al-Jabri to NINA, iraqnewsgazette.com/electoral-
  commission-to-nina-the-winning-candidates-with-valid-votes-do-not-need-a-quota/).
- Reserve first (Afghanistan): "if the number of successful female candidates is below a certain threshold,
  the voting system first fills seats up to that threshold with the female candidates who receive the most
  votes, and subsequently fills the rest of the seats. There is no upper limit" (IPU PARLINE, above).
- Per-area seats (Iraq 2021, Christian quota): one nationwide ballot; each of the five governorates' seats
  goes to the best-placed candidate running there (kurdistan24.net/en/story/25973, which also gives the
  winners' votes). The real-data check of the same code is tests/test_seats_afghanistan_2010.py (all 34
  provincial constituencies).
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tallycheck.model import Gender
from tallycheck.seats.result import WOMEN_CONTEST, WOMEN_REGION, Replacement
from tallycheck.seats.sntv import (
    RegionContest,
    RegionRank,
    SntvCandidate,
    sntv,
    sntv_by_area,
    sntv_reserve_first,
    women_region_minimum,
)
from tallycheck.seats.ties import Lot, TieRule

F, M, U = Gender.FEMALE, Gender.MALE, Gender.UNKNOWN


def cands(*rows: tuple[str, int, Gender] | tuple[str, int, Gender, str]) -> list[SntvCandidate]:
    return [SntvCandidate(*row) for row in rows]


# -- worked examples -----------------------------------------------------------------------------------------

# (candidates, seats, women_seats, winners in seat order, replacements (elected, displaced))
EXAMPLES = [
    # plain SNTV: the three highest-voted
    (cands(("a", 100, M), ("b", 90, F), ("c", 80, M), ("d", 70, M), ("e", 60, F)), 3, 0, ("a", "b", "c"), ()),
    # a woman wins on votes: no quota replacement (al-Jabri: "do not need a quota")
    (cands(("a", 100, M), ("b", 90, F), ("c", 80, M), ("d", 70, M), ("e", 60, F)), 3, 1, ("a", "b", "c"), ()),
    # no woman among the top three: the highest-voted losing woman (d) replaces the lowest-voted man (c)
    (cands(("a", 100, M), ("b", 90, M), ("c", 80, M), ("d", 70, F), ("e", 60, M), ("f", 50, F)), 3, 1,
     ("a", "b", "d"), (("d", "c"),)),
    # two replacements: e replaces the lowest man d, then g the next-lowest c; each takes the seat she took
    # over
    (cands(("a", 100, M), ("b", 90, M), ("c", 80, M), ("d", 75, M), ("e", 70, F), ("f", 65, M), ("g", 60, F)),
     4, 2, ("a", "b", "g", "e"), (("e", "d"), ("g", "c"))),
    # one woman won on votes, one more is needed; the woman who won on votes is never displaced
    (cands(("a", 100, M), ("b", 90, F), ("c", 80, M), ("d", 75, M), ("e", 10, F)), 3, 2, ("a", "b", "e"),
     (("e", "c"),)),
    # too few women stand: the only woman enters, the rest of the minimum stays unmet, no seat stays empty
    (cands(("a", 100, M), ("b", 90, M), ("c", 80, M), ("d", 5, F)), 3, 2, ("a", "b", "d"), (("d", "c"),)),
    # gender not published: not a woman for the quota (so displaceable)
    (cands(("a", 100, M), ("b", 90, U), ("c", 50, F)), 2, 1, ("a", "c"), (("c", "b"),)),
    # every seat reserved (Panjshir and Nimroz 2010: 2 seats, 1 reserved; here 2 of 2)
    (cands(("a", 100, M), ("b", 90, M), ("c", 20, F), ("d", 10, F)), 2, 2, ("d", "c"),
     (("c", "b"), ("d", "a"))),
    # fewer candidates than seats: all win, the rest of the seats stay empty
    (cands(("a", 3, M), ("b", 0, F)), 4, 1, ("a", "b"), ()),
    # no seats
    (cands(("a", 3, M)), 0, 0, (), ()),
]


@pytest.mark.parametrize(("candidates", "seats", "women", "winners", "replaced"), EXAMPLES)
def test_worked_examples(candidates, seats, women, winners, replaced) -> None:
    result = sntv(candidates, seats, women_seats=women)
    assert result.winners == winners
    assert result.replacements == tuple(Replacement(e, d, WOMEN_CONTEST) for e, d in replaced)
    assert result.ties == ()
    # the other formulation gives the same winners and the same women in for the same men out
    other = sntv_reserve_first(candidates, seats, women_seats=women)
    assert set(other.winners) == set(winners)
    assert set(other.replacements) == set(result.replacements)


def test_a_tie_for_the_last_seat_is_drawn_by_the_public_lot_and_reported() -> None:
    candidates = cands(("a", 100, M), ("b", 50, M), ("c", 50, M), ("d", 50, M), ("e", 10, M))
    result = sntv(candidates, 3, lot=Lot("dice 3-1-6"), context="contest D1")
    (tie,) = result.ties
    assert (tie.context, tie.candidates, tie.places) == ("contest D1", ("b", "c", "d"), 2)
    # anyone can redo the draw from the seed and the context
    assert tie.drawn == tuple(Lot("dice 3-1-6").order("contest D1", ["b", "c", "d"])[:2])
    assert set(result.winners) == {"a", *tie.drawn}
    # the draw depends on the seed: some seed leaves out another candidate (the draw is not rigged to ids)
    left_out = {next(iter({"b", "c", "d"} - set(sntv(candidates, 3, lot=Lot(str(s)), context="contest D1")
                                                  .winners))) for s in range(40)}
    assert left_out == {"b", "c", "d"}


def test_ties_among_losing_women_and_among_the_men_they_displace() -> None:
    # no woman in the top two; two losing women tie for the one quota seat; the two male winners tie as the
    # lowest: one lot order settles both draws
    candidates = cands(("a", 80, M), ("b", 80, M), ("c", 30, F), ("d", 30, F), ("e", 5, M))
    result = sntv(candidates, 2, women_seats=1, lot=Lot("7"), context="contest X")
    order = Lot("7").order("contest X", "abcd")
    woman = next(n for n in order if n in "cd")
    kept = next(n for n in order if n in "ab")
    assert set(result.winners) == {woman, kept}
    assert {(t.candidates, t.places, t.drawn) for t in result.ties} == {
        (("c", "d"), 1, (woman,)), (("a", "b"), 1, (kept,))}


def test_a_tie_that_falls_outside_every_cut_is_not_reported() -> None:
    result = sntv(cands(("a", 9, M), ("b", 9, M), ("c", 1, M), ("d", 1, M), ("e", 0, M)), 2)
    assert result.ties == () and set(result.winners) == {"a", "b"}


def test_most_votes_then_lot_is_the_lot_for_sntv() -> None:
    # in SNTV the deciding quantity is the votes themselves, so the rule leaves the same ties to the same lot
    candidates = cands(("a", 5, M), ("b", 5, F), ("c", 5, M), ("d", 1, F))
    by_lot = sntv(candidates, 2, women_seats=1, tie_rule=TieRule.LOT, context="k")
    by_votes = sntv(candidates, 2, women_seats=1, tie_rule=TieRule.MOST_VOTES_THEN_LOT, context="k")
    assert by_lot.winners == by_votes.winners
    assert [t.drawn for t in by_lot.ties] == [t.drawn for t in by_votes.ties]
    assert {t.rule for t in by_votes.ties} == {TieRule.MOST_VOTES_THEN_LOT}


@pytest.mark.parametrize(("candidates", "seats", "women", "message"), [
    (cands(("a", 1, M), ("a", 2, F)), 1, 0, "given twice"),
    (cands(("a", -1, M)), 1, 0, "whole number"),
    (cands(("a", 1, M)), 1, 2, "cannot exceed"),
    (cands(("a", 1, M)), -1, 0, "seats must be"),
    ([SntvCandidate("a", True, M)], 1, 0, "whole number"),  # type: ignore[arg-type]
])
def test_bad_input_is_refused(candidates, seats, women, message) -> None:
    with pytest.raises(ValueError, match=message):
        sntv(candidates, seats, women_seats=women)


# -- per-area seats: Iraq's nationwide Christian ballot ------------------------------------------------------

def test_christian_seats_go_to_the_best_placed_candidate_of_each_governorate() -> None:
    # The five 2021 winners and their votes as published (Kurdistan24, story 25973); the losers are
    # illustrative: "Baghdad runner-up" out-polls the Erbil and Kirkuk winners but Baghdad's one seat is
    # taken.
    candidates = cands(
        ("Evan Faiek Jabro", 12_989, F, "IQ-BG"), ("Baida Khader", 12_405, F, "IQ-DA"),
        ("Aswan al-Kildani", 11_097, M, "IQ-NI"), ("Farouk Hanna Atto", 5_084, M, "IQ-AR"),
        ("Jamil Ishwa", 5_039, M, "IQ-KI"), ("Baghdad runner-up", 6_000, M, "IQ-BG"),
        ("Kirkuk runner-up", 4_000, M, "IQ-KI"), ("runs nowhere with a seat", 20_000, M, "IQ-BA"))
    seats = {"IQ-BG": 1, "IQ-NI": 1, "IQ-KI": 1, "IQ-AR": 1, "IQ-DA": 1}
    result = sntv_by_area(candidates, seats)
    assert result.winners == ("Evan Faiek Jabro", "Baida Khader", "Aswan al-Kildani", "Farouk Hanna Atto",
                              "Jamil Ishwa")
    assert result.replacements == () and result.ties == ()
    # a plain nationwide count of the same votes would have seated the Baghdad runner-up instead of Kirkuk's
    # winner
    plain = set(sntv([c for c in candidates if c.area != "IQ-BA"], 5).winners)
    assert "Baghdad runner-up" in plain and "Jamil Ishwa" not in plain


def test_per_area_ties_and_areas_with_several_seats() -> None:
    candidates = cands(("a", 7, M, "X"), ("b", 7, F, "X"), ("c", 7, M, "X"), ("d", 1, M, "Y"),
                       ("e", 9, M, "Z"))
    result = sntv_by_area(candidates, {"X": 2, "Y": 1}, lot=Lot("s"), context="contest C")
    (tie,) = result.ties
    assert tie.candidates == ("a", "b", "c") and tie.places == 2
    assert set(result.winners) == set(tie.drawn) | {"d"}  # e runs where no seat is held


# -- a women's minimum per region ----------------------------------------------------------------------------

def _region(contests: dict[str, list[SntvCandidate]], seats: dict[str, int]) -> list[RegionContest]:
    return [RegionContest(cid, tuple(cs), sntv(cs, seats[cid], context=cid), cid)
            for cid, cs in contests.items()]


def test_regional_minimum_by_votes_and_by_share() -> None:
    # D1: a big district, D2: a small one; no woman wins anywhere; the region needs one woman.
    contests = {
        "D1": cands(("m1", 900, M), ("m2", 800, M), ("w1", 300, F), ("m3", 100, M)),  # w1: 300 of 2,100 = 1/7
        "D2": cands(("n1", 90, M), ("n2", 80, M), ("w2", 60, F)),  # w2: 60 of 230 = 6/23 > 1/7
    }
    seats = {"D1": 2, "D2": 2}
    by_votes = women_region_minimum(_region(contests, seats), 1, rank=RegionRank.VOTES, context="region G")
    assert by_votes.results["D1"].winners == ("m1", "w1") and by_votes.results["D2"].winners == ("n1", "n2")
    assert by_votes.results["D1"].replacements == (Replacement("w1", "m2", WOMEN_REGION),)
    assert (by_votes.women, by_votes.short, by_votes.ties) == (1, 0, ())
    by_share = women_region_minimum(_region(contests, seats), 1, rank=RegionRank.SHARE, context="region G")
    assert by_share.results["D2"].winners == ("n1", "w2") and by_share.results["D1"].winners == ("m1", "m2")
    assert Fraction(60, 230) > Fraction(300, 2100)


def test_regional_minimum_already_met_changes_nothing_and_a_shortfall_is_reported() -> None:
    contests = {"D1": cands(("w", 9, F), ("m", 8, M)), "D2": cands(("n", 9, M), ("o", 8, M))}
    region = _region(contests, {"D1": 1, "D2": 1})
    met = women_region_minimum(region, 1)
    assert {k: v for k, v in met.results.items()} == {rc.contest_id: rc.result for rc in region}
    short = women_region_minimum(region, 2)  # no losing woman in D2, and D1's only woman already sits
    assert (short.women, short.short) == (1, 1)


def test_regional_tie_between_districts_goes_to_the_regions_lot() -> None:
    contests = {"D1": cands(("m", 9, M), ("w", 4, F)), "D2": cands(("n", 9, M), ("w", 4, F))}
    outcome = women_region_minimum(_region(contests, {"D1": 1, "D2": 1}), 1, lot=Lot("x"), context="region G")
    (tie,) = outcome.ties
    assert tie.candidates == ("D1/w", "D2/w") and tie.places == 1 and tie.context == "region G"
    entered = tie.drawn[0].split("/")[0]
    assert outcome.results[entered].winners == ("w",)


# -- properties ----------------------------------------------------------------------------------------------

@st.composite
def contests(draw: st.DrawFn) -> tuple[list[SntvCandidate], int, int, str]:
    n = draw(st.integers(0, 12))
    votes = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))  # few values: many ties
    genders = draw(st.lists(st.sampled_from([F, M, U]), min_size=n, max_size=n))
    candidates = [SntvCandidate(f"c{i}", v, g) for i, (v, g) in enumerate(zip(votes, genders))]
    seats = draw(st.integers(0, n + 2))
    women = draw(st.integers(0, seats))
    return candidates, seats, women, draw(st.text(max_size=4))


@settings(max_examples=300, deadline=None)
@given(contests())
def test_reserving_first_and_replacing_afterwards_give_the_same_winners(contest) -> None:
    candidates, seats, women, seed = contest
    after = sntv(candidates, seats, women_seats=women, lot=Lot(seed), context="c")
    first = sntv_reserve_first(candidates, seats, women_seats=women, lot=Lot(seed), context="c")
    assert set(after.winners) == set(first.winners)
    assert set(after.replacements) == set(first.replacements)


@settings(max_examples=300, deadline=None)
@given(contests())
def test_seats_filled_quota_met_and_only_men_displaced(contest) -> None:
    candidates, seats, women, seed = contest
    result = sntv(candidates, seats, women_seats=women, lot=Lot(seed))
    by_id = {c.candidate_id: c for c in candidates}
    assert len(result.winners) == len(set(result.winners)) == min(seats, len(candidates))
    stood = sum(c.gender is F for c in candidates)
    won = sum(by_id[w].gender is F for w in result.winners)
    assert won >= min(women, stood)  # the minimum is met wherever enough women stand
    for r in result.replacements:
        assert by_id[r.elected].gender is F and by_id[r.displaced].gender is not F
        assert by_id[r.elected].votes <= by_id[r.displaced].votes
    if result.replacements:  # women enter only up to the minimum, never beyond it
        assert won == min(women, stood)
    for t in result.ties:  # every reported tie is between equal votes, drawn by the public lot
        assert len({by_id[c].votes for c in t.candidates}) == 1
        assert t.drawn == tuple(Lot(seed).order("", t.candidates)[:t.places])


@settings(max_examples=200, deadline=None)
@given(contests(), st.randoms(use_true_random=False))
def test_the_order_candidates_are_listed_in_does_not_matter(contest, rnd: random.Random) -> None:
    candidates, seats, women, seed = contest
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    assert sntv(shuffled, seats, women_seats=women, lot=Lot(seed)) == \
        sntv(candidates, seats, women_seats=women, lot=Lot(seed))


@settings(max_examples=200, deadline=None)
@given(contests(), st.integers(0, 20), st.data())
def test_a_winner_who_gains_votes_still_wins(contest, gain: int, data: st.DataObject) -> None:
    candidates, seats, women, seed = contest
    result = sntv(candidates, seats, women_seats=women, lot=Lot(seed))
    if not result.winners:
        return
    w = data.draw(st.sampled_from(result.winners))
    more = [SntvCandidate(c.candidate_id, c.votes + gain, c.gender) if c.candidate_id == w else c
            for c in candidates]
    assert w in sntv(more, seats, women_seats=women, lot=Lot(seed)).winners


@settings(max_examples=150, deadline=None)
@given(st.lists(contests(), min_size=1, max_size=4), st.integers(0, 12))
def test_regional_minimum_is_met_when_enough_women_can_enter(region, required: int) -> None:
    rcs = [RegionContest(f"D{i}", tuple(cs), sntv(cs, seats, women_seats=w, context=f"D{i}"), f"D{i}")
           for i, (cs, seats, w, _) in enumerate(region)]
    outcome = women_region_minimum(rcs, required)
    # women who could enter: losing women of contests with a man to displace, at most one per such man
    before = sum(c.gender is F for rc in rcs for c in rc.candidates if c.candidate_id in rc.result.winners)
    room = 0
    for rc in rcs:
        sitting = set(rc.result.winners)
        men = sum(c.gender is not F for c in rc.candidates if c.candidate_id in sitting)
        waiting = sum(c.gender is F for c in rc.candidates if c.candidate_id not in sitting)
        room += min(men, waiting)
    assert outcome.women == min(max(before, required), before + room)
    assert outcome.short == max(0, required - outcome.women)
    for rc in rcs:  # seats never change hands except by a regional replacement, and never go empty
        new = outcome.results[rc.contest_id]
        assert len(new.winners) == len(rc.result.winners)
        entered = len(new.replacements) - len(rc.result.replacements)
        assert len(set(new.winners) - set(rc.result.winners)) == entered
