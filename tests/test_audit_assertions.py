"""Seat assertions (audit/assertion.py, audit/assertions.py): the value type against SHANGRLA's and Blom et
al.'s published assorters, hand-worked contests (a 1.7-divisor list contest, SNTV with a binding women's
seat, a region's women's minimum split by a threshold), full counts, and the Iraq-shaped synthetic election.
Soundness against the seat engine is tests/test_audit_assert_soundness.py."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from fractions import Fraction

import pytest
from test_audit_assert_soundness import ContestSpec, build_data, totals_of

from tallycheck.audit.assertion import Assertion, AssertionSet
from tallycheck.audit.assertions import contest_assertions, contest_card_counts, law_of_result
from tallycheck.importing import validate_package
from tallycheck.seats.allocate import allocate, allocate_votes
from tallycheck.model import Law
from tallycheck.seats.laws import GENERIC, IRAQ_2018
from tallycheck.seats.ties import Lot
from tallycheck.synth import generate

F = Fraction
W, L, X = ("w", ""), ("l", ""), ("x", "")


def pair() -> Assertion:
    return Assertion("c", "w>l", "w beats l", ((W, F(1)), (L, F(-1))))


# -- the value type against published assorters ---------------------------------------------------------------

def test_pairwise_assertion_is_shangrlas_plurality_assorter() -> None:
    # Stark 2020, SHANGRLA §2.1: A(b) = 1 for a vote for the winner, 0 for the loser, 1/2 otherwise; the
    # assertion holds iff the mean of A over all cards exceeds 1/2, and v = 2 mean - 1 is the diluted margin
    a = pair()
    assert (a.assorter(W), a.assorter(L), a.assorter(X), a.assorter(None)) == (1, 0, F(1, 2), F(1, 2))
    assert (a.lower, a.upper, a.assorter_upper) == (-1, 1, 1)
    batches = [({W: 60, L: 40, X: 10}, 120), ({W: 5, L: 25}, 30)]
    # 65 for w, 65 for l: no margin; the diluted margin is (v_w - v_l) / N
    assert a.margin(batches) == 0 and a.diluted_margin(batches) == 0 and not a.holds(batches)
    batches[1] = ({W: 25, L: 5}, 30)
    assert a.margin(batches) == 85 - 45 and a.diluted_margin(batches) == F(40, 150) and a.holds(batches)
    assert a.batch_total({W: 60, L: 40, X: 10}, 120) == 60 + F(1, 2) * (10 + 10)


def test_share_assertion_is_shangrlas_super_majority_assorter() -> None:
    # Stark 2020, SHANGRLA §2.3: "w has more than a fraction f of the valid votes": A(b) = 1/(2f) for a vote
    # for w, 0 for a valid vote for anyone else, 1/2 for a card with no valid vote
    for f in (F(1, 2), F(2, 3), F(1, 4)):
        a = Assertion("c", "share(w)>f", "", ((W, 1 - f),), other=-f)
        assert (a.assorter(W), a.assorter(L), a.assorter(None)) == (1 / (2 * f), 0, F(1, 2))
        assert a.assorter_upper == 1 / (2 * f)
        # mean > 1/2 exactly when v_w > f V (V the valid votes), whatever the invalid cards
        for v_w, v_other, blank in ((51, 49, 30), (50, 50, 0), (70, 30, 5), (20, 60, 100)):
            mean = a.batch_total({W: v_w, L: v_other}, v_w + v_other + blank) / (v_w + v_other + blank)
            assert (mean > F(1, 2)) == (v_w > f * (v_w + v_other)) == a.holds([({W: v_w, L: v_other},
                                                                              v_w + v_other + blank)])


def test_quotient_assertion_is_blom_et_als_dhondt_assorter() -> None:
    # Blom, Budurushi, Rivest, Stark, Stuckey, Teague, Vukcevic (E-Vote-ID 2021) §5.2: g_AB = b_A/d(W_A) -
    # b_B/d(L_B); with lower bound a = -1/d(L_B) the assorter h = (g - a)/(-2a) is (d(L_B)/d(W_A) + 1)/2 for
    # a vote for A, 0 for B, 1/2 otherwise. D'Hondt, A's lowest winner its 3rd seat, B's first loser its 2nd:
    a = Assertion("c", "A/3>B/2", "", ((W, F(1, 3)), (L, F(-1, 2))))
    assert (a.assorter(W), a.assorter(L), a.assorter(X)) == ((F(2, 3) + 1) / 2, 0, F(1, 2))
    assert a.assorter_upper == F(5, 6)


def test_batches_count_their_cards_from_the_manifest_or_the_votes() -> None:
    a = pair()
    # cards without a valid vote: ballots - votes; a sheet whose votes exceed its ballots counts its votes
    assert a.batch_total({W: 3, L: 1}, 10) == 3 + F(1, 2) * 6
    assert a.batch_total({W: 3, L: 1}, 2) == 3
    assert a.batch_total_bounds(10) == (0, 10)
    share = Assertion("c", "s", "", ((W, F(1, 2)),), other=F(-1, 2))
    assert share.batch_total_bounds(4) == (0, 4)
    assert share.g(W) == F(1, 2) and share.g(("anyone", "")) == F(-1, 2) and share.g(None) == 0


def test_an_assertion_without_a_negative_score_is_refused() -> None:
    with pytest.raises(ValueError, match="no negative score"):
        Assertion("c", "n", "", ((W, F(1)),))
    with pytest.raises(ValueError, match="twice"):
        Assertion("c", "n", "", ((W, F(1)), (W, F(-1))))


# -- hand-worked contests -----------------------------------------------------------------------------------

def _sets(specs, votes, law, cards=None) -> tuple[dict[str, AssertionSet], object]:
    cards = cards or {s.contest_id: sum(n for (c, _, _), n in votes.items() if c == s.contest_id) for s in specs}
    data = build_data(specs, votes, cards)
    result = allocate_votes(data, totals_of(votes), law=law, lot=Lot("x"))
    return {s.contest_id: s for s in contest_assertions(data, result)}, result


def test_a_first_divisor_of_1_7_contest_worked_by_hand() -> None:
    # Sainte-Laguë from 1.7 (Iraq 2018, IHEC regulation 12): A 1000, B 520, C 300 list-only votes, 5 seats.
    # Quotients: A 588.2, 333.3, 200, 142.9; B 305.9, 173.3; C 176.5, 100 -> A 3, B 1, C 1.
    law = dataclasses.replace(IRAQ_2018, women_lists=GENERIC["dhondt"].women_lists)
    spec = ContestSpec("G", 5, [], lists=["A", "B", "C"])
    votes = {("G", "", "A"): 1000, ("G", "", "B"): 520, ("G", "", "C"): 300}
    sets, result = _sets([spec], votes, law)
    assert dict(result.contests[0].list_seats) == {"A": 3, "B": 1, "C": 1}
    s = sets["G"]
    assert not s.full_count
    # every list's last seat quotient against every other list's next one: A/5 (A's 3rd seat), B/1.7, C/1.7
    # against A/7, B/3, C/3
    assert [a.name for a in s.assertions] == ["LA/5>LB/3", "LA/5>LC/3", "LB/1.7>LA/7", "LB/1.7>LC/3",
                                              "LC/1.7>LA/7", "LC/1.7>LB/3"]
    closest = {a.name: a.g_total({("", k): n for (_, _, k), n in votes.items()}, 0) for a in s.assertions}
    assert closest["LC/1.7>LB/3"] == F(300) / F(17, 10) - F(520, 3) == F(160, 51)
    assert min(closest.values()) == F(160, 51)
    c_over_b = next(a for a in s.assertions if a.name == "LC/1.7>LB/3")
    assert c_over_b.weights == ((("", "C"), F(10, 17)), (("", "B"), F(-1, 3)))


def test_an_sntv_contest_with_a_binding_womens_seat_worked_by_hand() -> None:
    # 3 seats, 1 for a woman. On votes M1, M2, M3 win; W1 (the best woman) replaces M3, the lowest man.
    cands = [("M1", "M", "", ""), ("M2", "M", "", ""), ("M3", "M", "", ""), ("W1", "F", "", ""),
             ("W2", "F", "", ""), ("M4", "M", "", "")]
    votes = dict(zip([("D", c, "") for c, *_ in cands], (100, 90, 80, 50, 40, 30)))
    sets, result = _sets([ContestSpec("D", 3, cands, women_seats=1)], votes, GENERIC["sntv"])
    assert set(result.contests[0].winner_ids) == {"M1", "M2", "W1"}
    names = {a.name for a in sets["D"].assertions}
    # winning women over losing women; winning men over losing men and over losing women; never W1 over M3:
    # that comparison is what the seat reserved for a woman overrides
    assert names == {"W1>W2", "M1>M3", "M1>M4", "M2>M3", "M2>M4", "M1>W2", "M2>W2"}
    # with two women among the top three the minimum does not act: every winner beats every loser
    votes[("D", "W2", "")] = 92
    votes[("D", "W1", "")] = 95
    sets, result = _sets([ContestSpec("D", 3, cands, women_seats=1)], votes, GENERIC["sntv"])
    assert set(result.contests[0].winner_ids) == {"M1", "W1", "W2"}
    assert {a.name for a in sets["D"].assertions} == {f"{w}>{l}" for w in ("M1", "W1", "W2")
                                                      for l in ("M2", "M3", "M4")}


def test_a_regions_womens_minimum_splits_into_a_balanced_threshold() -> None:
    # Two one-seat districts of region R1, which must seat one woman (1/2 of 2 seats). District A: a man 100,
    # a woman 60; district B: a man 90, women 70 and 10. The region's best losing woman (B's, 70 votes)
    # replaces B's man. "70 (B) > 60 (A)" spans two contests: each side is asserted against a threshold c in
    # its own contest, c balancing the margins per card: (70 - c)/N_B = (c - 60)/N_A.
    law = dataclasses.replace(GENERIC["sntv"], women_region_share=F(1, 2))
    specs = [ContestSpec("A", 1, [("a1", "M", "", ""), ("a2", "F", "", "")]),
             ContestSpec("B", 1, [("b1", "M", "", ""), ("b2", "F", "", ""), ("b3", "F", "", "")])]
    votes = {("A", "a1", ""): 100, ("A", "a2", ""): 60, ("B", "b1", ""): 90, ("B", "b2", ""): 70,
             ("B", "b3", ""): 10}
    sets, result = _sets(specs, votes, law, cards={"A": 170, "B": 180})
    assert result.contest("B").winner_ids == ("b2",)
    c = F(70 * 170 + 60 * 180, 170 + 180)
    assert c == F(454, 7)
    assert (70 - c) / 180 == (c - 60) / 170
    a_names = [a.name for a in sets["A"].assertions]
    b_names = [a.name for a in sets["B"].assertions]
    assert a_names == ["a1>a2", "votes(a2)<454/7"]
    # B's own outcome (b1) before the region acted, then her contest's rank among the women: b2 entered here
    # and must rank above b3, and above the threshold
    assert b_names == ["b1>b2", "b1>b3", "b2>b3", "votes(b2)>454/7"]
    above = sets["B"].assertions[-1]
    assert above.g_total({("b2", ""): 70, ("b1", ""): 90, ("b3", ""): 10}, 180) == 70 - c
    assert above.invalid == above.other == -c / 180
    assert any("454/7" in n for n in sets["A"].notes)


def test_majority_and_run_off_assertions() -> None:
    law = GENERIC["majority"]
    cands = [("p", "", "", ""), ("q", "", "", ""), ("r", "", "", "")]
    votes = {("P", "p", ""): 58, ("P", "q", ""): 30, ("P", "r", ""): 12}
    sets, _ = _sets([ContestSpec("P", 1, cands)], votes, law, cards={"P": 110})
    (share,) = sets["P"].assertions
    # SHANGRLA's super-majority assertion on the valid votes (the candidates' votes): 58 > 50
    assert share.name == "share(p)>0.5" and share.g_total({("p", ""): 58, ("q", ""): 30, ("r", ""): 12}, 110) == 8
    votes[("P", "p", "")] = 40
    sets, result = _sets([ContestSpec("P", 1, cands)], votes, law, cards={"P": 110})
    assert result.contests[0].runoff == ("p", "q")
    assert [a.name for a in sets["P"].assertions] == ["share(p)<0.5", "share(q)<0.5", "p>r", "q>r"]


def test_ties_and_rules_without_assertions_go_to_a_full_count() -> None:
    cands = [("a", "M", "", ""), ("b", "M", "", ""), ("c", "M", "", "")]
    sets, result = _sets([ContestSpec("T", 1, cands)], {("T", "a", ""): 7, ("T", "b", ""): 7, ("T", "c", ""): 1},
                         GENERIC["plurality"])
    assert result.contests[0].ties and "zero margin" in sets["T"].full_count
    # a list exactly at the threshold stays in, but no sample can show that it did not fall below
    law = dataclasses.replace(GENERIC["dhondt"], threshold=F(1, 4))
    spec = ContestSpec("H", 2, [], lists=["A", "B"])
    sets, _ = _sets([spec], {("H", "", "A"): 75, ("H", "", "B"): 25}, law)
    assert "zero margin" in sets["H"].full_count and "share(LB)>0.25" in sets["H"].full_count
    sets, _ = _sets([spec], {("H", "", "A"): 75, ("H", "", "B"): 25}, GENERIC["droop"])
    assert "no assertions" in sets["H"].full_count and not sets["H"].assertions
    # a contest with no more candidates than seats needs nothing
    sets, _ = _sets([ContestSpec("U", 2, cands[:2])], {("U", "a", ""): 1, ("U", "b", ""): 0}, GENERIC["sntv"])
    assert sets["U"].assertions == () and not sets["U"].full_count and "uncontested" in sets["U"].notes[0]


def test_hare_assertions_fix_the_largest_remainders() -> None:
    # Hamilton, 10 seats: 6373, 2505, 602, 520 -> quotas 6.373, 2.505, 0.602, 0.520 -> 6, 2, 1, 1 (the two
    # largest remainders, 0.602 and 0.520, take the last two seats; mlwiki.org "Hamilton's Method")
    spec = ContestSpec("H", 10, [], lists=["1", "2", "3", "4"])
    votes = {("H", "", "1"): 6373, ("H", "", "2"): 2505, ("H", "", "3"): 602, ("H", "", "4"): 520}
    sets, result = _sets([spec], votes, GENERIC["hare"])
    assert dict(result.contests[0].list_seats) == {"1": 6, "2": 2, "3": 1, "4": 1}
    s = sets["H"]
    assert not s.full_count
    totals = {("", k): n for (_, _, k), n in votes.items()}
    # the binding pair: list 2's remainder 0.505 stays below list 4's 0.520, i.e. (q_2 - 2) - (q_4 - 1) =
    # 0.505 - (0.520 - 1) < 1; times V = 10,000 the slack is 0.015 V = 150
    tightest = min(s.assertions, key=lambda a: a.g_total(totals, 0))
    assert tightest.name == "hare(L2:2,L4:1)" and tightest.g_total(totals, 0) == (520 - 2505) * 10 + 2 * 10000 == 150


# -- the Iraq-shaped synthetic election ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def iraq(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("iraq") / "pkg"
    generate(shape="iraq-2021", seed=11, out=out, stations=1500)
    data = validate_package(out).validation.data
    assert data is not None
    return data


def test_the_iraq_shaped_election_has_assertions_for_all_88_contests(iraq) -> None:
    result = allocate(iraq)
    sets = contest_assertions(iraq, result)
    assert [s.contest_id for s in sets] == [c.contest_id for c in result.contests] and len(sets) == 88
    assert all(s.assertions or s.full_count for s in sets)
    # a full count only where the lot settled a tie that the outcome turns on
    for s in sets:
        if s.full_count:
            assert result.contest(s.contest_id).ties and "zero margin" in s.full_count
    # the Christian ballot's seats are held governorate by governorate: only same-area comparisons
    per_area = {r["contest_id"] for r in iraq.table("seat_areas").to_pylist()}
    area_of = {(c.contest_id, c.candidate_id): c.area for c in iraq.candidates}
    assert per_area
    for s in sets:
        if s.contest_id in per_area:
            for a in s.assertions:
                w, l = (area_of[(s.contest_id, k[0])] for k, _ in a.weights)
                assert w == l


def test_iraq_batches_add_up_to_the_contest_margins(iraq) -> None:
    # station by station, the batches' margins add up to each assertion's margin on the contest totals
    result = allocate(iraq)
    sets = {s.contest_id: s for s in contest_assertions(iraq, result)}
    contest = result.contests[0]
    rows = iraq.table("results").to_pylist()
    batches: dict[str, dict] = defaultdict(dict)
    for r in rows:
        if r["contest_id"] == contest.contest_id:
            batches[r["station_id"]][(r["candidate_id"], r["list_id"])] = r["votes"]
    ballots = {r["station_id"]: r["ballots_cast"] for r in iraq.table("sheets").to_pylist()
               if r["contest_id"] == contest.contest_id}
    pairs = [(v, ballots.get(s, 0)) for s, v in batches.items()]
    cards = contest_card_counts(iraq)[contest.contest_id]
    assert cards == sum(max(b, sum(v.values())) for v, b in pairs)
    for a in sets[contest.contest_id].assertions[:20]:
        w, l = (k for k, _ in a.weights)
        assert a.margin(pairs) == contest.votes[w[0]] - contest.votes[l[0]] > 0
        assert a.diluted_margin(pairs) == F(a.margin(pairs), cards)


def test_a_law_given_to_allocate_is_read_back_from_the_result(iraq) -> None:
    # allocate(..., law=...) overrides election.toml: the assertions follow the parameters the result records
    result = allocate(iraq, law=Law("iraq-2021", {"women_region_share": "none"}))
    law = law_of_result(iraq, result)
    assert law.name == "iraq-2021" and law.women_region_share is None
    assert law_of_result(iraq, allocate(iraq)).women_region_share == F(1, 4)
    assert len(contest_assertions(iraq, result)) == 88
