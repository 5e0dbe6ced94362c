"""Open lists and women's quotas inside lists (seats/lists.py).

The rules come from the texts cited in the module (IHEC seat regulation No. 12 of 2018; Law No. 45 of 2013 via
IPU PARLINE; RFE/RL 2009 on the provincial "third seat"; IHEC Regulation No. 9 of 2024 for Kurdistan; IHEC's
2025 mechanism via Shafaq News). No candidate-level results of an Iraqi list election are public (notes §1.7,
§2.2), so the examples below are built to exercise each clause of those texts, and Hypothesis checks the
invariants every clause implies on random lists.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tallycheck.model import Gender
from tallycheck.seats.lists import (WOMEN_LIST_COUNT, WOMEN_LIST_POSITION, Blocks, ListCandidate,
                                    WomenByCount, WomenByPosition, fill_open_lists)
from tallycheck.seats.result import Replacement
from tallycheck.seats.ties import Lot, Tie

M, F, X, U = Gender.MALE, Gender.FEMALE, Gender.OTHER, Gender.UNKNOWN
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cands(*spec: tuple[str, int, Gender]) -> list[ListCandidate]:
    return [ListCandidate(cid, votes, gender, position=i + 1) for i, (cid, votes, gender) in enumerate(spec)]


MEN6_WOMEN2 = cands(("m1", 100, M), ("m2", 90, M), ("m3", 80, M), ("m4", 70, M), ("m5", 60, M), ("m6", 50, M),
                    ("w1", 40, F), ("w2", 30, F))


def test_seats_by_personal_votes_not_ballot_position() -> None:
    # IHEC regulation No. 12 of 2018, Section III, second step: candidates re-ordered by their votes
    list_a = cands(("a", 5, M), ("b", 50, F), ("c", 20, M), ("d", 30, M))
    result = fill_open_lists({"A": 3, "B": 0}, {"A": list_a, "B": cands(("e", 99, M))})
    assert dict(result.elected) == {"A": ("b", "d", "c"), "B": ()}
    assert result.replacements == () and result.ties == () and not result.quota_applied
    assert dict(result.vacant) == {"A": 0, "B": 0}


def test_third_seat_to_a_woman_each_block_of_three() -> None:
    # Iraq's 2009 provincial rule, "awarding the third seat of any winning party to a woman" (RFE/RL, 2009):
    # every=3. A list with two seats needs no woman; with three the third man gives way.
    rule = WomenByPosition(every=3)
    two = fill_open_lists({"A": 2}, {"A": MEN6_WOMEN2}, rule)
    assert two.elected["A"] == ("m1", "m2") and two.replacements == ()
    three = fill_open_lists({"A": 3}, {"A": MEN6_WOMEN2}, rule)
    assert three.elected["A"] == ("m1", "m2", "w1")
    assert three.replacements == (Replacement("w1", "m3", WOMEN_LIST_POSITION),)
    # six seats: the men passed over stay in the running, so the two lowest-voted winners (m5, m6) lose
    six = fill_open_lists({"A": 6}, {"A": MEN6_WOMEN2}, rule)
    assert six.elected["A"] == ("m1", "m2", "w1", "m3", "m4", "w2")
    assert six.replacements == (Replacement("w1", "m6", WOMEN_LIST_POSITION),
                                Replacement("w2", "m5", WOMEN_LIST_POSITION))
    assert six.quota_applied and dict(six.women_short) == {"A": 0}


def test_a_woman_after_every_three_winning_men_law_45_of_2013() -> None:
    # IPU PARLINE on Law No. 45 of 2013: "a woman candidate is elected after every three winning male
    # candidates"
    # (every=4). Its two readings differ on a list of 8 whose top candidate is a woman: seats 1-4 and 5-8 each
    # need a woman (EACH), or no four consecutive seats may be all men (WINDOW).
    ranking = cands(("w1", 200, F), *[(f"m{i}", 100 - i, M) for i in range(1, 8)], ("w2", 10, F))
    each = fill_open_lists({"A": 8}, {"A": ranking}, WomenByPosition(every=4, blocks=Blocks.EACH))
    assert each.elected["A"] == ("w1", "m1", "m2", "m3", "m4", "m5", "m6", "w2")
    window = fill_open_lists({"A": 8}, {"A": ranking}, WomenByPosition(every=4, blocks=Blocks.WINDOW))
    assert window.elected["A"] == ("w1", "m1", "m2", "m3", "w2", "m4", "m5", "m6")
    # the displaced man is the same (m7): only the seat order differs
    assert each.replacements == window.replacements == (Replacement("w2", "m7", WOMEN_LIST_POSITION),)


def test_cumulative_blocks_credit_earlier_women() -> None:
    ranking = cands(("w1", 100, F), ("w2", 90, F), ("m1", 80, M), ("m2", 70, M), ("m3", 60, M), ("m4", 50, M),
                    ("w3", 10, F))
    each = fill_open_lists({"A": 6}, {"A": ranking}, WomenByPosition(every=3, blocks=Blocks.EACH))
    assert each.elected["A"] == ("w1", "w2", "m1", "m2", "m3", "w3")
    cumulative = fill_open_lists({"A": 6}, {"A": ranking}, WomenByPosition(every=3, blocks=Blocks.CUMULATIVE))
    assert cumulative.elected["A"] == ("w1", "w2", "m1", "m2", "m3", "m4") and cumulative.replacements == ()


def test_one_woman_per_three_seats_kurdistan_2024() -> None:
    # IHEC Regulation No. 9 of 2024, 2(a): a list's women = its seats divided by three, the fraction dropped:
    # 7 seats -> 2 women. One won on votes; the highest-voted losing woman replaces the lowest-voted male
    # winner.
    ranking = cands(*[(f"m{i}", 100 - 10 * i, M) for i in range(1, 7)], ("w1", 65, F), ("w2", 20, F),
                    ("w3", 15, F))
    result = fill_open_lists({"A": 7}, {"A": ranking}, WomenByCount(per=(3,)))
    assert result.elected["A"] == ("m1", "m2", "m3", "w1", "m4", "m5", "w2")  # w2 in m6's seat
    assert result.replacements == (Replacement("w2", "m6", WOMEN_LIST_COUNT),)
    # 5 seats -> 1 woman, already there on votes: nothing changes
    five = fill_open_lists({"A": 5}, {"A": ranking}, WomenByCount(per=(3,)))
    assert five.replacements == () and five.elected["A"] == ("m1", "m2", "m3", "w1", "m4")


def test_iraq_2025_stages_a_quarter_then_a_third() -> None:
    # IHEC 2025 (Shafaq News, 2025-11-14): each list's women = seats / 4, fractions dropped; if the
    # constituency's
    # women's seats are still not met, seats / 3.
    list_a = cands(*[(f"a{i}", 1000 - i, M) for i in range(8)], ("aw1", 10, F), ("aw2", 9, F), ("aw3", 8, F))
    list_b = cands(("b0", 500, M), ("b1", 400, M), ("b2", 300, M), ("bw", 5, F))
    lists, seats = {"A": list_a, "B": list_b}, {"A": 8, "B": 3}
    # minimum 2: the quarter stage gives A 2 women (8 / 4) and B none (3 / 4 -> 0): met
    quarter = fill_open_lists(seats, lists, WomenByCount(per=(4, 3), contest_minimum=2))
    assert [r.elected for r in quarter.replacements] == ["aw1", "aw2"]
    assert quarter.elected["B"] == ("b0", "b1", "b2")
    # minimum 3: the third stage runs too: A keeps 2 (8 / 3 -> 2), B must seat 1 (3 / 3)
    third = fill_open_lists(seats, lists, WomenByCount(per=(4, 3), contest_minimum=3))
    assert [r.elected for r in third.replacements] == ["aw1", "aw2", "bw"]
    assert third.elected["B"] == ("b0", "b1", "bw")


def test_contest_minimum_met_on_votes_changes_nothing() -> None:
    # Kurdistan 2024, step 1: "If the last woman is secured in any constituency, no change will be made."
    lists = {"A": cands(("a1", 9, F), ("a2", 8, M), ("a3", 7, M), ("a4", 1, F)), "B": cands(("b1", 9, M),
                                                                                          ("b2", 1, F))}
    rule = WomenByCount(per=(3,), contest_minimum=1)
    result = fill_open_lists({"A": 3, "B": 1}, lists, rule)
    assert not result.quota_applied and result.replacements == ()
    met = fill_open_lists({"A": 3, "B": 1}, lists, WomenByPosition(every=1, contest_minimum=1))
    assert met.replacements == () and not met.quota_applied
    # without the contest minimum the position rule (every seat a woman) applies
    strict = fill_open_lists({"A": 3, "B": 1}, lists, WomenByPosition(every=1))
    assert strict.elected == {"A": ("a1", "a4", "a2"), "B": ("b2",)}
    assert dict(strict.women_short) == {"A": 1, "B": 0}


def test_too_few_women_and_too_few_candidates() -> None:
    one_woman = cands(("m1", 9, M), ("m2", 8, M), ("m3", 7, M), ("m4", 6, M), ("m5", 5, M), ("m6", 4, M),
                      ("w1", 1, F))
    by_count = fill_open_lists({"A": 6}, {"A": one_woman}, WomenByCount(per=(3,)))
    assert dict(by_count.women_short) == {"A": 1} and "w1" in by_count.elected["A"]
    by_position = fill_open_lists({"A": 6}, {"A": one_woman}, WomenByPosition(every=3))
    assert dict(by_position.women_short) == {"A": 1} and by_position.elected["A"][2] == "w1"
    three = cands(("a", 3, M), ("b", 2, F), ("c", 1, M))
    few = fill_open_lists({"A": 5}, {"A": three}, WomenByPosition(every=3))
    assert few.elected["A"] == ("a", "b", "c") and dict(few.vacant) == {"A": 2}


def test_gender_not_published_is_not_a_woman() -> None:
    # as in seats/sntv.py: a quota is met only by candidates known to be women; others can give way to one
    ranking = cands(("u1", 9, U), ("x1", 8, X), ("u2", 7, U), ("w1", 1, F))
    result = fill_open_lists({"A": 3}, {"A": ranking}, WomenByPosition(every=3))
    assert result.elected["A"] == ("u1", "x1", "w1")
    assert result.replacements == (Replacement("w1", "u2", WOMEN_LIST_POSITION),)


def test_equal_votes_at_the_cut_go_to_the_lot() -> None:
    ranking = cands(("a", 10, M), ("b", 10, M), ("c", 10, M), ("d", 3, M))
    result = fill_open_lists({"A": 2}, {"A": ranking}, lot=Lot("77"), context="Basra")
    (tie,) = result.ties
    order = Lot("77").order("Basra / list A", ["a", "b", "c"])
    assert tie == Tie("Basra / list A", ("a", "b", "c"), 2, tuple(order[:2]))
    assert result.elected["A"] == tuple(order[:2])
    winners = {fill_open_lists({"A": 1}, {"A": ranking}, lot=Lot(str(s))).elected["A"] for s in range(30)}
    assert winners == {("a",), ("b",), ("c",)}


def test_equal_votes_among_women_entering_on_the_quota() -> None:
    ranking = cands(("m1", 10, M), ("m2", 9, M), ("m3", 8, M), ("w1", 4, F), ("w2", 4, F))
    result = fill_open_lists({"A": 3}, {"A": ranking}, WomenByCount(per=(3,)), lot=Lot("5"))
    women_tie = [t for t in result.ties if t.candidates == ("w1", "w2")]
    assert len(women_tie) == 1 and women_tie[0].places == 1
    assert result.replacements == (Replacement(women_tie[0].drawn[0], "m3", WOMEN_LIST_COUNT),)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: fill_open_lists({"A": -1}, {"A": []}), "seats of list 'A'"),
    (lambda: fill_open_lists({"A": 1}, {}), "no entry among the candidates"),
    (lambda: fill_open_lists({"A": 1}, {"A": cands(("a", -2, M))}), "votes of candidate 'a'"),
    (lambda: fill_open_lists({"A": 1}, {"A": cands(("a", 2, M)), "B": cands(("a", 1, F))}), "given twice"),
    (lambda: fill_open_lists({"A": 1}, {"A": [ListCandidate("a", 1, M, position=-1)]}), "position"),
    (lambda: WomenByPosition(every=0), "every"),
    (lambda: WomenByPosition(every=3, women=4), "from 0 to every"),
    (lambda: WomenByCount(per=()), "at least one stage"),
    (lambda: WomenByCount(per=(0,)), "stage of per"),
    (lambda: WomenByCount(contest_minimum=-1), "contest_minimum"),
])
def test_invalid_input(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- properties
# -----------------------------------------------------------------------------------------------------

genders = st.sampled_from([M, F, F, X, U])
lists_strategy = st.dictionaries(
    st.sampled_from(["A", "B", "C"]),
    st.tuples(st.integers(0, 9), st.lists(st.tuples(st.integers(0, 30), genders), max_size=12)),
    min_size=1)
rules = st.one_of(
    st.none(),
    st.builds(WomenByPosition, every=st.integers(1, 5), women=st.just(1),
              blocks=st.sampled_from(list(Blocks)), contest_minimum=st.one_of(st.none(), st.integers(0, 6))),
    st.builds(WomenByCount, per=st.lists(st.integers(1, 5), min_size=1, max_size=2).map(tuple),
              contest_minimum=st.one_of(st.none(), st.integers(0, 6))))


def _build(spec) -> tuple[dict, dict]:
    seats, candidates = {}, {}
    for lid, (n, people) in spec.items():
        seats[lid] = n
        candidates[lid] = [ListCandidate(f"{lid}{i}", v, g, i + 1) for i, (v, g) in enumerate(people)]
    return seats, candidates


@SETTINGS
@given(lists_strategy, rules, st.randoms(use_true_random=False))
def test_invariants(spec, rule, rnd) -> None:
    seats, candidates = _build(spec)
    result = fill_open_lists(seats, candidates, rule, lot=Lot("p"), context="c")
    for lid, n in seats.items():
        cs = candidates[lid]
        elected = result.elected[lid]
        assert len(elected) == len(set(elected)) == min(n, len(cs)) and result.vacant[lid] == n - len(elected)
        chosen = [c for c in cs if c.candidate_id in elected]
        woman = [c for c in cs if c.gender is F]
        other = [c for c in cs if c.gender is not F]
        # the women seated are the best-voted women, the others seated the best-voted others
        for group in (woman, other):
            inside = [c.votes for c in group if c.candidate_id in elected]
            outside = [c.votes for c in group if c.candidate_id not in elected]
            assert not inside or not outside or min(inside) >= max(outside)
        n_women = sum(c.gender is F for c in chosen)
        if rule is None or not result.quota_applied:
            votes_in = [c.votes for c in chosen]
            votes_out = [c.votes for c in cs if c.candidate_id not in elected]
            assert not votes_in or not votes_out or min(votes_in) >= max(votes_out)
        elif isinstance(rule, WomenByCount) and (rule.contest_minimum is None):
            need = max(n // p for p in rule.per)
            assert n_women >= min(need, len(woman), len(elected)) or result.women_short[lid] > 0
        elif isinstance(rule, WomenByPosition) and result.women_short[lid] == 0:
            by_id = {c.candidate_id: c for c in cs}
            seated_women = [by_id[cid].gender is F for cid in elected]
            k = len(seated_women)
            if rule.blocks is Blocks.EACH:
                for a in range(0, k - rule.every + 1, rule.every):
                    assert sum(seated_women[a:a + rule.every]) >= rule.women
            elif rule.blocks is Blocks.WINDOW:
                for a in range(k - rule.every + 1):
                    assert sum(seated_women[a:a + rule.every]) >= rule.women
            else:
                for j in range(1, k // rule.every + 1):
                    assert sum(seated_women[:j * rule.every]) >= j * rule.women
        if result.women_short.get(lid):
            assert all(c.candidate_id in elected for c in woman)  # every woman who stood is seated
    for r in result.replacements:
        everyone = {c.candidate_id: c for cs in candidates.values() for c in cs}
        assert everyone[r.elected].gender is F and everyone[r.displaced].gender is not F
        assert everyone[r.elected].votes <= everyone[r.displaced].votes
    # the order the candidates are listed in changes nothing (the lot ranks by ticket, not by position)
    shuffled = {}
    for lid, cs in candidates.items():
        cs = list(cs)
        rnd.shuffle(cs)
        shuffled[lid] = cs
    again = fill_open_lists(seats, shuffled, rule, lot=Lot("p"), context="c")
    assert again == result
