"""Batch-level comparison with stations as batches: MACRO against Arlo's published values, tallycheck's
without-replacement design against its closed forms, and the rules for missing materials, recounted stations
and broken bounds."""

import math
from fractions import Fraction

import numpy as np
import pytest

from tallycheck.audit.assertion import Assertion
from tallycheck.audit.batch import (
    PairBatch,
    batch_comparison,
    batches_needed,
    draw_weights,
    macro_bounds,
    macro_draws,
    macro_p_values,
    pair_assertion,
    ratio_p_values,
    station_assertion,
    stations_needed,
)
from tallycheck.audit.risk import RiskFunction, p_values
from tallycheck.audit.sampling import draw_pps

W, L, C = ("w", ""), ("l", ""), ("c", "")
PAIR = Assertion("x", "w>l", "w has more votes than l", ((W, Fraction(1)), (L, Fraction(-1))))


# --- Arlo's MACRO tests (github.com/votingworks/arlo, server/tests/audit_math/test_macro.py) -------------------
# Three contests over 200 batches of 400 ballots and 200 "AV" batches of 200: A in all, B in batches 0-99,
# C in 0-29 and 100-129; winner/loser 200/180 (A), 200/160 (B), 200/140 (C) per 400 ballots, half in AV batches.
ARLO_NAMES = [f"Batch {i}" for i in range(200)] + [f"Batch {i} AV" for i in range(200)]


def arlo_contest(rows, loser):
    votes = np.zeros((400, 2), np.int64)
    ballots = np.zeros(400, np.int64)
    for i in rows:
        votes[i], ballots[i] = (200, loser), 400
        votes[200 + i], ballots[200 + i] = (100, loser // 2), 200
    return station_assertion(PAIR, ARLO_NAMES, (W, L), votes, ballots)


@pytest.fixture(scope="module")
def arlo():
    return {"A": arlo_contest(range(200), 180), "B": arlo_contest(range(100), 160),
            "C": arlo_contest([*range(30), *range(100, 130)], 140)}


@pytest.mark.parametrize(("contest", "batch", "expected"), [
    # test_max_error: the maximum possible overstatement u_p = (v_w - v_l + b)/V_wl, to 0.001
    ("A", 0, 0.0700), ("A", 200, 0.035), ("B", 5, 0.0733), ("B", 205, 0.0367), ("B", 150, 0),
    ("C", 29, 0.0852), ("C", 229, 0.0426), ("C", 100, 0.0852), ("C", 50, 0),
])
def test_arlo_macro_max_error(arlo, contest, batch, expected):
    sa = arlo[contest]
    assert abs(sa.bound[batch] / sa.margin - expected) < 0.001


@pytest.mark.parametrize(("contest", "draws"), [("A", 29), ("B", 15), ("C", 10)])
def test_arlo_macro_first_round_sizes(arlo, contest, draws):
    # test_get_sample_sizes, first round at a 25 % risk limit: ceil(ln a / ln(1 - 1/U)).
    assert macro_draws([arlo[contest]], 0.25) == draws


def test_arlo_macro_risk_after_31_clean_batches(arlo):
    # test_compute_risk: 31 batches of 400 audited without error give 0.247688222 across the three contests
    # (Arlo's MACRO before its per-contest rewrite: U summed over the maximum across contests, U = 22.7167).
    contests = [arlo[c] for c in "ABC"]
    u = macro_bounds(contests)
    assert float(u.sum()) == pytest.approx(22.716666666666667)
    low = np.max([sa.understatement / sa.margin for sa in contests], axis=0)
    p = macro_p_values(u, low, np.arange(31), np.zeros(31))
    assert p[-1] == pytest.approx(0.247688222, abs=1e-9)
    assert p[-2] > 0.25  # the 31st batch is the first to bring the risk under 25 %
    # one contest alone (its own U = 21), through the whole path from hand counts
    drawn = [f"Batch {i}" for i in range(31)]
    risk = batch_comparison([arlo["A"]], drawn, {n: ({W: 200, L: 180}, 400) for n in drawn}, design="macro")[0]
    assert risk.p_value == pytest.approx((20 / 21) ** 31)
    # Arlo's 6 batches "with taint 0.04047619" (Batch 100-105 counted 190/190 in contest A): each multiplies
    # the risk by (1 - 1/U) / (1 - t), t = (20 / 6000) / 0.07
    more = drawn + [f"Batch {i}" for i in range(100, 106)]
    hand = {n: ({W: 200, L: 180}, 400) for n in drawn} | {f"Batch {i}": ({W: 190, L: 190}, 400)
                                                         for i in range(100, 106)}
    risk = batch_comparison([arlo["A"]], more, hand, design="macro")[0]
    t = (20 / 6000) / 0.07
    assert risk.p_value == pytest.approx((20 / 21) ** 37 / (1 - t) ** 6)


def test_arlo_macro_worst_case():
    # test_worst_case: winner 1000, loser 0 in two batches of 500; batch 1 is all loser on hand count: risk 1.
    sa = station_assertion(PAIR, ["b1", "b2"], (W, L), np.array([[500, 0], [500, 0]]), np.array([500, 500]))
    risk = batch_comparison([sa], ["b1"], {"b1": ({W: 0, L: 500}, 500)}, design="macro")[0]
    assert risk.p_value == 1.0
    assert risk.observed == 1  # the overstatement seen equals the margin: the outcome is shown wrong


def test_arlo_macro_tied_and_close_contests():
    # test_tied_contest: a tie needs every batch; test_close_contest: 200-198 over four batches of 100.
    tied = [PairBatch(str(i), 1000, 500, 500) for i in range(100)]
    assert batches_needed(tied, 0.25, design="macro") == 100
    close = [PairBatch("1", 100, 100, 0), PairBatch("2", 100, 100, 0), PairBatch("3", 100, 0, 100),
             PairBatch("4", 100, 0, 98)]
    sa = pair_assertion(close)
    assert macro_draws([sa], 0.25) > 4  # more draws than batches: Arlo caps it at a full count
    risk = batch_comparison([sa], ["1"], {"1": ({W: 100, L: 0}, 100)}, design="macro")[0]
    assert risk.p_value > 0.25


# --- tallycheck's design --------------------------------------------------------------------------------------
SIZES = [100, 250, 400, 600, 150, 520, 330, 90, 410, 200]
WIN = [60, 140, 210, 330, 80, 270, 170, 50, 205, 108]
LOSE = [35, 100, 170, 250, 60, 230, 150, 30, 190, 80]
IDS = [f"S{i}" for i in range(10)]
PW, PL = ("winner", ""), ("loser", "")  # the choices of pair_assertion


@pytest.fixture(scope="module")
def small():
    return pair_assertion([PairBatch(s, b, w, lo) for s, b, w, lo in zip(IDS, SIZES, WIN, LOSE, strict=True)])


def test_bounds_and_margin(small):
    assert small.margin == sum(WIN) - sum(LOSE)
    assert small.bound.tolist() == [w - lo + b for w, lo, b in zip(WIN, LOSE, SIZES, strict=True)]
    assert small.understatement.tolist() == [b - (w - lo) for w, lo, b in zip(WIN, LOSE, SIZES, strict=True)]


def test_no_error_p_values_follow_the_closed_form(small):
    # With no error and PPEB without replacement, Kaplan-Markov (g = 0) multiplies by 1/(1 - mu_i),
    # mu_i = M / (sum of the bounds not yet drawn): P_k = prod_{i<=k} (1 - M / B_rem,i).
    order = [3, 5, 8, 2, 6, 1]
    p = ratio_p_values(small.bound, small.understatement, small.margin, np.array(order), np.zeros(6, np.int64))
    rem, prod, expected = int(small.bound.sum()), 1.0, []
    for i in order:
        prod *= 1 - small.margin / rem
        rem -= int(small.bound[i])
        expected.append(0.0 if rem < small.margin else min(1.0, prod))
    assert p.tolist() == pytest.approx(expected)


def test_certainty_when_what_is_left_cannot_change_the_outcome(small):
    # After drawing the largest bounds, the rest hold less than the margin: P = 0 exactly.
    order = np.argsort(-small.bound)
    p = ratio_p_values(small.bound, small.understatement, small.margin, order, np.zeros(10, np.int64))
    left = small.bound.sum() - np.cumsum(small.bound[order])
    first = int(np.argmax(left < small.margin))
    assert p[first] == 0.0 and (first == 0 or p[first - 1] > 0)


def test_uniform_design_equals_risk_p_values_without_replacement(small):
    # Uniform weights: mu_i = need / stations left, which is SHANGRLA's without-replacement null mean. The
    # ratio statistic must then give risk.p_values(c - X, N=stations, null_mean=c - 1/N) exactly.
    order = np.array([4, 0, 7, 2, 9])
    omega = np.array([3, 0, -5, 10, 0])
    ones = np.ones(10)
    p = ratio_p_values(small.bound, small.understatement, small.margin, order, omega, weights=ones, g=0.0)
    c = small.bound.max() / small.margin
    y = c - omega / small.margin
    low = -small.understatement.max() / small.margin
    ref = p_values(y, risk_function=RiskFunction.KAPLAN_MARKOV, upper=c - low, N=10, null_mean=c - 0.1, g=0.0)
    assert p == pytest.approx(ref)


def test_missing_materials_are_the_worst_case(small):
    drawn = ["S3", "S5"]
    clean_hand = {s: ({PW: WIN[int(s[1])], PL: LOSE[int(s[1])]}, SIZES[int(s[1])]) for s in drawn}
    ok = batch_comparison([small], drawn, clean_hand)[0]
    worst = {**clean_hand, "S5": ({PW: 0, PL: SIZES[5]}, SIZES[5])}
    missing = {**clean_hand, "S5": None}
    assert batch_comparison([small], drawn, missing)[0].p_values == batch_comparison([small], drawn, worst)[0].p_values
    assert batch_comparison([small], drawn, missing)[0].observed == Fraction(int(small.bound[5]), small.margin)
    assert ok.p_value < batch_comparison([small], drawn, missing)[0].p_value or ok.p_value == 0
    # a missing station drawn first: with g = 0 (MACRO's bet) no later evidence can lower the risk until the
    # stations left cannot change the outcome; with g > 0 it costs evidence but the audit goes on
    rows = [PairBatch(f"T{i}", 100 + (37 * i) % 500, 0, 0) for i in range(200)]
    rows = [PairBatch(r.batch_id, r.ballots, r.ballots * 6 // 10, r.ballots * 3 // 10) for r in rows]
    big = pair_assertion(rows)
    order = [r.batch_id for r in sorted(rows, key=lambda r: -r.ballots)][:120]
    hand = {r.batch_id: ({PW: r.winner_votes, PL: r.loser_votes}, r.ballots) for r in rows} | {order[0]: None}
    all_in = np.array(batch_comparison([big], order, hand)[0].p_values)
    hedged = np.array(batch_comparison([big], order, hand, g=0.1)[0].p_values)
    certain = int(np.argmax(all_in == 0)) if (all_in == 0).any() else len(all_in)
    assert (all_in[:certain] == 1).all()
    assert hedged[:certain].min() < 0.05


def test_hand_count_with_more_cards_than_the_bound_allows(small):
    hand = {"S3": ({PW: 0, PL: 650}, 650)}  # 600 ballots reported, 650 found
    risk = batch_comparison([small], ["S3"], hand)[0]
    assert risk.bound_broken == ("S3",) and risk.p_values == (1.0,)


def test_recounted_stratum_enters_the_margin():
    # Two stations counted in full because of complaints are outside the sample; their hand counts (not their
    # reports) enter the margin.
    votes = np.array([[60, 35], [140, 100], [210, 170]])
    ballots = np.array([100, 250, 400])
    base = station_assertion(PAIR, ["a", "b", "c"], (W, L), votes, ballots)
    recounted = station_assertion(PAIR, ["a", "b", "c"], (W, L), votes, ballots,
                                  counted=[({W: 30, L: 50}, 90), ({W: 10, L: 10, C: 5}, 25)])
    assert recounted.margin == base.margin - 20
    assert recounted.bound.tolist() == base.bound.tolist()


def test_invalid_and_other_choices_score_as_the_assertion_says():
    share = Assertion("x", "share", "w has more than 40 % of the cards",
                      ((W, Fraction(3, 5)),), other=Fraction(-2, 5), invalid=Fraction(-2, 5))
    sa = station_assertion(share, ["a"], (W, L), np.array([[50, 30]]), np.array([100]))
    assert sa.margin == 3 * 50 - 2 * 30 - 2 * 20  # scale 5: 3/5 per w vote, -2/5 per other card
    assert sa.bound.tolist() == [sa.margin + 2 * 100]
    assert sa.total({W: 40, L: 40}, 100) == 3 * 40 - 2 * 40 - 2 * 20


def test_draw_weights_are_exact_and_drive_the_public_draw(small):
    weights = draw_weights([small], "ppeb")
    assert weights["S3"] == Fraction(int(small.bound[3]), small.margin)
    assert set(draw_weights([small], "uniform").values()) == {Fraction(1)}
    drawn = draw_pps("12345678901234567890", list(weights), list(weights.values()), 4)
    assert len({d.item_id for d in drawn}) == 4


def test_tallycheck_design_draws_each_station_once(small):
    with pytest.raises(ValueError, match="at most once"):
        batch_comparison([small], ["S1", "S1"], {"S1": ({PW: 140, PL: 100}, 250)})


# --- planning ------------------------------------------------------------------------------------------------
def test_macro_expected_stations_is_exact(small):
    n = macro_draws([small], 0.05)
    u = small.bound / small.bound.sum()
    assert stations_needed([small], 0.05, design="macro") == pytest.approx(float(np.sum(1 - (1 - u) ** n)))
    assert n == math.ceil(math.log(0.05) / math.log(1 - small.margin / small.bound.sum()))


def test_batches_needed_is_reproducible_and_bounded():
    rng = np.random.default_rng(7)
    sizes = rng.integers(100, 601, 300)
    wins = (sizes * 0.45).astype(int)
    loses = (sizes * 0.40).astype(int)
    rows = [PairBatch(f"S{i}", int(b), int(w), int(lo)) for i, (b, w, lo) in enumerate(zip(sizes, wins, loses))]
    n = batches_needed(rows, 0.05)
    assert n == batches_needed(rows, 0.05)
    assert 0 < n < 300
    assert batches_needed(rows, 0.05, design="uniform") > n  # unequal sizes: uniform draws need more
    assert batches_needed(rows[:3], 0.05) <= 3
    assert batches_needed([], 0.05) == 0
    with pytest.raises(ValueError, match="risk limit"):
        batches_needed(rows, 5)
