"""Risk-measuring functions against published values and their defining formulas.

Anchors (read for their numbers only; both are AGPL, no code is copied):
- SHANGRLA, github.com/pbstark/SHANGRLA, shangrla/tests/test_NonnegMean.py (test_kaplan_markov,
  test_shrink_trunc, test_sample_size, test_alpha_mart).
- Arlo, github.com/votingworks/arlo, server/tests/audit_math/test_supersimple.py (expected_p_values, the
  snapshot test) and test_bravo.py (test_compute_risk), whose numbers come from Stark's audit tools and
  Lindeman & Stark 2012, "A gentle introduction to risk-limiting audits" (AGI).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tallycheck.audit.alpha import shrink_trunc_eta
from tallycheck.audit.betting import kelly_bet
from tallycheck.audit.kaplan_markov import GAMMA, supersimple_p_value
from tallycheck.audit.martingale import null_means
from tallycheck.audit.risk import (DEFAULT_RISK_FUNCTION, RiskFunction, comparison_upper, comparison_value,
                                   p_values)


def first_confirmed(p: np.ndarray, alpha: float) -> int:
    hit = np.flatnonzero(p <= alpha)
    return int(hit[0]) + 1 if hit.size else -1


# ---------------------------------------------------------------- Kaplan-Markov, general form (SHANGRLA)

def test_kaplan_markov_shangrla_values():
    # SHANGRLA test_kaplan_markov: five 1s, g = 0, t = 1/2 -> 2^-5
    p = p_values(np.ones(5), risk_function="kaplan-markov", upper=1, g=0.0)
    assert p[-1] == pytest.approx(2.0 ** -5)
    # [1, 1, 1, 1, 1, 0], g = 0.1 -> (1.1/0.6)^-5: the last draw lowers T, the running P-value keeps the best
    p = p_values([1, 1, 1, 1, 1, 0], risk_function="kaplan-markov", upper=1, g=0.1)
    assert p[-1] == pytest.approx((1.1 / 0.6) ** -5)
    assert p[-2] == p[-1]


def test_kaplan_markov_without_replacement_uses_the_moving_null_mean():
    x = np.array([1.0, 0.0, 1.0, 1.0, 0.5])
    N, g = 20, 0.1
    mu = [(N * 0.5 - x[:j].sum()) / (N - j) for j in range(len(x))]
    t = np.cumprod([(xi + g) / (m + g) for xi, m in zip(x, mu)])
    expected = np.minimum(1, 1 / np.maximum.accumulate(t))
    np.testing.assert_allclose(p_values(x, risk_function="kaplan-markov", upper=1, N=N, g=g), expected)


# ---------------------------------------------------------------- super-simple (AGI, Stark's tools, Arlo)

# Arlo test_supersimple.py: contests A-E (diluted margins 0.2, 0.1, 0.15, 2/15, 1), the sample sizes of
# Stark's tool (27, 54, 36, 40, 6) and the P-values after a sample with no discrepancy, one 1-vote and one
# 2-vote overstatement, risk limit 10 %, gamma 1.03905.
SUPERSIMPLE = [
    # margin, n, no discrepancy, one 1-vote overstatement, one 2-vote overstatement
    (0.2, 27, 0.06507, 0.12534, 1.0),
    (0.1, 54, 0.06973, 0.13441, 1.0),
    (0.15, 36, 0.06740, 0.12992, 1.0),
    (2 / 15, 40, 0.07048, 0.13585, 1.0),
    (1.0, 6, 0.01950, 0.03758, 0.51877),
]


@pytest.mark.parametrize("margin,n,p0,p1,p2", SUPERSIMPLE)
def test_supersimple_p_values_arlo(margin, n, p0, p1, p2):
    assert supersimple_p_value(n, margin) == pytest.approx(p0, abs=1e-3)
    assert supersimple_p_value(n, margin, o1=1) == pytest.approx(p1, abs=1e-3)
    assert supersimple_p_value(n, margin, o2=1) == pytest.approx(p2, abs=1e-3)
    # the same through p_values: Kaplan-Markov on overstatement-assorter values with g = (gamma - 1) a;
    # the discrepancy is drawn first so that T rises afterwards and its maximum is the final value
    upper = comparison_upper(1, margin)
    for overstatement, expected in ((0.0, p0), (0.5, p1), (1.0, p2)):
        x = np.full(n, comparison_value(0, 1, margin))
        x[0] = comparison_value(overstatement, 1, margin)
        p = p_values(x, risk_function="kaplan-markov", upper=upper, comparison=True)
        assert p[-1] == pytest.approx(expected, abs=1e-3)


def test_supersimple_arlo_snapshot():
    # Arlo test_snapshot_test: 16 vs 10 of 26 ballots, 18 audited, P = 0.1201733. The test means two winner
    # ballots to be found blank, but its audited records are the very dicts of the CVRs (aliased), so Arlo
    # sees no discrepancy and 0.1201733 is the P-value of 18 clean cards; with the two 1-vote
    # overstatements AGI's formula divides it by (1 - 1/(2 gamma))^2.
    assert supersimple_p_value(18, 6 / 26) == pytest.approx(0.1201733, abs=1e-6)
    assert supersimple_p_value(18, 6 / 26, o1=2) == pytest.approx(0.1201733 / (1 - 1 / (2 * GAMMA)) ** 2,
                                                                  rel=1e-5)


def test_supersimple_is_kaplan_markov_with_g_from_gamma():
    margin = 0.05
    rng = np.random.default_rng(5)
    kinds = rng.choice([0, 1, 2, -1, -2], size=300, p=[0.96, 0.02, 0.005, 0.01, 0.005])
    x = np.array([comparison_value(k / 2, 1, margin) for k in kinds])
    p = p_values(x, risk_function="kaplan-markov", upper=comparison_upper(1, margin), comparison=True)
    t = 1.0
    best = 1.0
    for n in range(1, len(x) + 1):
        k = kinds[:n]
        t = 1 / supersimple_p_value_uncapped(n, margin, k)
        best = max(best, t)
        assert p[n - 1] == pytest.approx(min(1.0, 1 / best), rel=1e-9)


def supersimple_p_value_uncapped(n, margin, kinds, gamma=GAMMA):
    o1, o2 = int((kinds == 1).sum()), int((kinds == 2).sum())
    u1, u2 = int((kinds == -1).sum()), int((kinds == -2).sum())
    return math.exp(n * math.log1p(-margin / (2 * gamma)) - o1 * math.log1p(-1 / (2 * gamma))
                    - o2 * math.log1p(-1 / gamma) - u1 * math.log1p(1 / (2 * gamma)) - u2 * math.log1p(1 / gamma))


# ---------------------------------------------------------------- ALPHA (Stark 2023; SHANGRLA's tests)

@pytest.mark.parametrize("eta", [0.51, 0.55, 0.6])
@pytest.mark.parametrize("x", [np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1.0]), np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0.0]),
                               np.random.default_rng(2).integers(0, 2, 20).astype(float)])
@pytest.mark.parametrize("finite", [False, True])
def test_shrink_trunc_definition(eta, x, finite):
    # ALPHA §2.5.2 as written out in SHANGRLA test_shrink_trunc: t = 1/2, u = 1, d = 10, c = (eta - t)/2
    t, u, d, c = 0.5, 1.0, 10.0, (eta - 0.5) / 2
    N = len(x) if finite else None
    got = shrink_trunc_eta(x, null_means(x, N, t), upper=u, eta0=eta, d=d, c=c)
    for j in range(1, len(x) + 1):
        s = x[:j - 1].sum()
        tj = (len(x) * t - s) / (len(x) - j + 1) if finite else t
        est = (d * eta + s) / (d + j - 1)
        want = min(max(tj + c / math.sqrt(d + j - 1), est), u * (1 - np.finfo(float).eps))
        assert got[j - 1] == pytest.approx(want, rel=1e-12)


def test_alpha_fixed_eta_sample_sizes_shangrla():
    # SHANGRLA test_sample_size: ALPHA with the fixed alternative eta = 0.75, N = 1000, t = 1/2, alpha = 5 %:
    # all 1s -> 8 draws ((.75/.5)^8 = 25.6 > 20); all 0.75 -> 14 draws
    for value, n in ((1.0, 8), (0.75, 14)):
        p = p_values(np.full(50, value), risk_function="alpha", upper=1, N=1000, eta0=0.75, fixed_eta=True)
        assert first_confirmed(p, 0.05) == n


def test_alpha_whole_population_decides_shangrla():
    # SHANGRLA test_alpha_mart: N = 7, t = 3/7; the last of [1,0,1,1,0,0,1] proves the mean is 4/7 > 3/7
    p = p_values([1, 0, 1, 1, 0, 0, 1], risk_function="alpha", upper=1, N=7, null_mean=3 / 7, eta0=0.6)
    assert not np.isnan(p).any()
    assert p[-1] == 0
    assert (p[:-1] > 0).all()


def test_alpha_term_is_the_papers_formula():
    # ALPHA eq. (10): T_j = T_{j-1} (x_j eta_j/mu_j + (u - x_j)(u - eta_j)/(u - mu_j)) / u
    rng = np.random.default_rng(3)
    u, N, t = 1.5, 200, 0.5
    x = rng.choice([0.0, 0.75, 1.5], size=40, p=[0.3, 0.2, 0.5])
    mu = null_means(x, N, t)
    eta = shrink_trunc_eta(x, mu, upper=u, eta0=0.8, d=20, c=0.15)
    terms = (x * eta / mu + (u - x) * (u - eta) / (u - mu)) / u
    expected = np.minimum(1, 1 / np.maximum.accumulate(np.cumprod(terms)))
    got = p_values(x, risk_function="alpha", upper=u, N=N, eta0=0.8, d=20, c=0.15)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


# ---------------------------------------------------------------- BRAVO (Lindeman, Stark & Yates 2012)

def test_bravo_is_alpha_with_fixed_eta_and_walds_ratio():
    rng = np.random.default_rng(4)
    s = 0.58
    x = rng.choice([0.0, 0.5, 1.0], size=500, p=[0.4, 0.1, 0.5])
    bravo = p_values(x, risk_function="bravo", upper=1, share=s)
    alpha = p_values(x, risk_function="alpha", upper=1, eta0=s, fixed_eta=True)
    np.testing.assert_allclose(bravo, alpha, rtol=1e-12)
    w, l_ = np.cumsum(x == 1), np.cumsum(x == 0)
    log_t = w * math.log(2 * s) + l_ * math.log(2 - 2 * s)
    np.testing.assert_allclose(bravo, np.minimum(1, np.exp(-np.maximum.accumulate(log_t))), rtol=1e-9)


@pytest.mark.parametrize("votes_w,votes_l,ballots_w,ballots_l,expected", [
    (600, 400, 72, 47, 0.07),            # Arlo test_bravo.py test_compute_risk, "test1"
    (10000, 9000, 1200, 1000, 0.000561),  # "test_small_third_candidate" (a third candidate with 200 votes)
])
def test_bravo_arlo_risk(votes_w, votes_l, ballots_w, ballots_l, expected):
    s = votes_w / (votes_w + votes_l)
    x = np.concatenate([np.zeros(ballots_l), np.ones(ballots_w)])  # rising at the end: the final T is the max
    p = p_values(x, risk_function="bravo", upper=1, share=s)
    assert p[-1] == pytest.approx(expected, abs=0.01 if expected > 0.01 else 1e-5)


def test_bravo_refuses_comparison_and_wrong_scale():
    with pytest.raises(ValueError, match="ballot-polling"):
        p_values([0.5], risk_function="bravo", upper=1.1, comparison=True, share=0.6)
    with pytest.raises(ValueError, match="upper = 1"):
        p_values([0.5], risk_function="bravo", upper=2, share=0.6)


# ---------------------------------------------------------------- betting (RiLACS, COBRA)

def test_kelly_bet_maximises_expected_log_growth():
    rng = np.random.default_rng(6)
    values = np.array([0.0, 0.26, 0.52, 0.78, 1.04])
    for _ in range(30):
        probs = rng.dirichlet([0.3, 0.5, 20, 0.5, 0.3])
        mu = 0.5
        lam = float(kelly_bet(values, probs, np.array(mu)))
        grid = np.linspace(0, 1 / mu, 200_001)[:-1]
        with np.errstate(divide="ignore"):
            growth = (probs * np.log(1 + grid[:, None] * (values - mu))).sum(axis=1)
        best = grid[np.argmax(growth)]
        assert abs(lam - best) <= 2 / 200_000 or growth.max() <= (
            probs * np.log(1 + lam * (values - mu))).sum() + 1e-12


def test_betting_no_errors_is_near_the_information_limit():
    # the all-in bet lambda = 2 needs n* = ln(1/alpha)/-ln(1 - v/2); the default must stay within 2 %
    for v in (0.005, 0.01, 0.05, 0.1, 0.2):
        for alpha in (0.05, 0.1):
            n_star = math.log(1 / alpha) / -math.log1p(-v / 2)
            x = np.full(int(3 * n_star) + 10, comparison_value(0, 1, v))
            n = first_confirmed(p_values(x, upper=comparison_upper(1, v), comparison=True), alpha)
            assert math.ceil(n_star) <= n <= max(1.02 * n_star, math.ceil(n_star))


def test_betting_survives_a_two_vote_overstatement():
    v, alpha = 0.01, 0.05
    x = np.full(20_000, comparison_value(0, 1, v))
    x[0] = comparison_value(1, 1, v)  # B = 0: the worst card there is, drawn first
    n = first_confirmed(p_values(x, upper=comparison_upper(1, v), comparison=True), alpha)
    n_star = math.log(1 / alpha) / -math.log1p(-v / 2)
    assert n_star < n < 4 * n_star


def test_default_is_betting():
    assert DEFAULT_RISK_FUNCTION is RiskFunction.BETTING


# ---------------------------------------------------------------- what every risk function must do

@pytest.mark.parametrize("rf", [r.value for r in RiskFunction])
@pytest.mark.parametrize("N", [None, 400])
def test_p_values_are_non_increasing_probabilities(rf, N):
    rng = np.random.default_rng(7)
    x = rng.choice([0.0, 0.5, 1.0], size=(3, 300), p=[0.42, 0.1, 0.48])
    p = p_values(x, risk_function=rf, upper=1, N=N, reported_mean=0.53)
    assert p.shape == x.shape
    assert ((p >= 0) & (p <= 1)).all()
    assert (np.diff(p, axis=-1) <= 0).all()
    # rows are independent audits
    np.testing.assert_array_equal(p[1], p_values(x[1], risk_function=rf, upper=1, N=N, reported_mean=0.53))


@pytest.mark.parametrize("rf", ["alpha", "betting", "kaplan-markov"])
def test_comparison_audit_of_every_card_decides(rf):
    v, N = 0.1, 200
    x = np.full(N, comparison_value(0, 1, v))
    p = p_values(x, risk_function=rf, upper=comparison_upper(1, v), N=N, comparison=True)
    assert p[-1] == 0  # the whole population's mean is known to exceed 1/2


def test_null_certainly_true_stops_growth():
    # N = 4, t = 1/2: three 0s leave mu_4 = 2 > u = 1: the null holds whatever the last card is
    p = p_values([0, 0, 0, 1], risk_function="kaplan-markov", upper=1, N=4, g=0.1)
    assert p[-1] == 1


def test_comparison_value_shangrla():
    # B = (1 - omega/u)/(2 - v/u): no error 1/(2 - v), 1-vote overstatement half of it, 2-vote 0
    v = 0.1
    assert comparison_value(0, 1, v) == pytest.approx(1 / 1.9)
    assert comparison_value(0.5, 1, v) == pytest.approx(0.5 / 1.9)
    assert comparison_value(1, 1, v) == 0
    assert comparison_value(-1, 1, v) == pytest.approx(comparison_upper(1, v))


@pytest.mark.parametrize("kwargs,error,match", [
    ({"risk_function": "alpha", "upper": 1, "g": 0.1}, TypeError, "takes no tuning"),
    ({"risk_function": "betting", "upper": 1, "reported_mean": 0.6, "rate_1": 0.01}, TypeError, "polling"),
    ({"risk_function": "alpha", "upper": 1}, ValueError, "eta0"),
    ({"risk_function": "alpha", "upper": 1, "eta0": 0.4}, ValueError, "nothing to confirm"),
    ({"risk_function": "kaplan-markov", "upper": 0.8}, ValueError, r"\[0, upper"),
    ({"risk_function": "kaplan-markov", "upper": 1, "N": 2}, ValueError, "at most N"),
    ({"risk_function": "nonsense", "upper": 1}, ValueError, "nonsense"),
])
def test_refusals(kwargs, error, match):
    with pytest.raises(error, match=match):
        p_values([0.6, 0.6, 1.0], **kwargs)
