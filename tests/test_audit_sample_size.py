"""Sample-size calculators against published values.

- BRAVO's average sample number (Lindeman, Stark & Yates 2012, §5: ASN ≈ (ln(1/α) + ln(2s_w)/2) /
  (p_w ln(2s_w) + p_l ln(2 − 2s_w))) at α = 10 %, as tabulated by Arlo (github.com/votingworks/arlo,
  server/tests/audit_math/test_bravo.py, true_asns / true_sample_sizes): 119, 22, 238, 101, 34, 48, 1769.
- The super-simple initial sample sizes "from Stark's tool" (AGI, γ = 1.03905, α = 10 %), as tabulated by Arlo
  (server/tests/audit_math/test_supersimple.py, true_sample_sizes): 27, 54, 36, 40, 6, 14, 27.
(Arlo is AGPL: its numbers are read, none of its code is used.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tallycheck.audit.bravo import stopping_distribution, wald_asn
from tallycheck.audit.kaplan_markov import GAMMA, supersimple_initial_sample_size, supersimple_p_value
from tallycheck.audit.sample_size import (ballot_polling_asn, card_comparison_sample_size, closest_pair,
                                          comparison_sequence)


# contest votes (winners first), ballots, winners, Arlo's ASN
ARLO_BRAVO = [
    ((600, 400), 1000, 1, 119),             # test1
    ((600, 200, 100), 900, 1, 22),          # test2
    ((300, 200, 200), 1000, 1, 238),        # test6
    ((300, 200, 100), 700, 2, 101),         # test7
    ((300, 300, 100), 700, 2, 34),          # test8
    ((600, 300, 100), 1000, 2, 48),         # test10
    ((10000, 9000, 200), 20000, 1, 1769),   # test_small_third_candidate
]


@pytest.mark.parametrize("votes,ballots,winners,asn", ARLO_BRAVO)
def test_bravo_asn_formula_arlo(votes, ballots, winners, asn):
    shares = [v / ballots for v in votes]
    result = ballot_polling_asn(shares, ballots, 0.1, risk_function="bravo", winners=winners)
    assert result["asn_wald"] == asn
    # the exact mean of the stopping time lies within a few per cent of Wald's approximation
    assert result["asn"] == pytest.approx(asn, rel=0.05)
    q = result["quantiles"]
    assert q["0.25"] <= q["0.5"] <= q["0.75"] <= q["0.9"] <= q["0.99"] <= ballots


def test_bravo_tie_goes_to_a_full_count():
    # Arlo test_bravo.py test5 (500 vs 500 of 1000): every ballot
    result = ballot_polling_asn([0.5, 0.5], 1000, 0.1, risk_function="bravo")
    assert result["asn"] == 1000 and "full_count" in result


def test_stopping_distribution_by_enumeration():
    # every path of up to 12 pair votes, s = 0.7, alpha = 0.2: stop at the first T >= 5
    s, alpha, depth = 0.7, 0.2, 12
    z_w, z_l = math.log(2 * s), math.log(2 - 2 * s)
    pmf = np.zeros(depth + 1)
    for path in range(2 ** depth):
        log_t, prob = 0.0, 1.0
        for m in range(1, depth + 1):
            w = (path >> (m - 1)) & 1
            log_t += z_w if w else z_l
            prob *= s if w else 1 - s
            if log_t >= math.log(1 / alpha) - 1e-12:
                pmf[m] += prob / 2 ** (depth - m)  # the remaining bits are free: count each prefix once
                break
    dist = stopping_distribution(0.7, 0.3, alpha, max_pair_votes=depth)
    np.testing.assert_allclose(dist.pmf[:depth + 1], pmf, atol=1e-12)


def test_stopping_distribution_matches_simulation():
    # the exact mean and median against 10,000 simulated BRAVO audits (fixed seed)
    p_w, p_l, alpha = 0.5, 0.3, 0.1
    dist = stopping_distribution(p_w, p_l, alpha, max_pair_votes=100_000)
    rng = np.random.Generator(np.random.PCG64(11))
    s = p_w / (p_w + p_l)
    u = rng.random((10_000, 1500))
    step = np.where(u < p_w, math.log(2 * s), np.where(u < p_w + p_l, math.log(2 - 2 * s), 0.0))
    hit = np.cumsum(step, axis=1) >= math.log(1 / alpha)
    stops = np.argmax(hit, axis=1) + 1
    assert hit.any(axis=1).mean() > 0.999
    mean = dist.mean_ballots(10 ** 9)
    assert abs(stops.mean() - mean) < 4 * stops.std() / math.sqrt(len(stops))
    assert abs(np.median(stops) - dist.quantile_ballots(0.5, 10 ** 9)) <= 3


@pytest.mark.parametrize("rf", ["betting", "alpha", "kaplan-markov", "bravo"])
def test_simulated_polling_asn_is_reproducible(rf):
    a = ballot_polling_asn([0.6, 0.4], 1000, 0.1, risk_function=rf, reps=200, seed=3, **(
        {"share": 0.6} if rf == "bravo" else {}))
    b = ballot_polling_asn([0.6, 0.4], 1000, 0.1, risk_function=rf, reps=200, seed=3, **(
        {"share": 0.6} if rf == "bravo" else {}))
    assert a == b and 1 <= a["asn"] <= 1000


def test_closest_pair():
    assert closest_pair([0.2, 0.5, 0.3]) == (0.5, 0.3)
    assert closest_pair([0.2, 0.5, 0.3], winners=2) == (0.3, 0.2)
    with pytest.raises(ValueError, match="loser"):
        closest_pair([0.6], 1)


# Arlo test_supersimple.py: margins of contests A, B, C, D, E, F, two-winner; sample sizes of Stark's tool
ARLO_SUPERSIMPLE = [(0.2, 27), (0.1, 54), (0.15, 36), (2 / 15, 40), (1.0, 6), (6 / 15, 14), (0.2, 27)]


@pytest.mark.parametrize("margin,n", ARLO_SUPERSIMPLE)
def test_supersimple_initial_sample_size_starks_tool(margin, n):
    assert supersimple_initial_sample_size(margin, 0.1) == n


@pytest.mark.parametrize("v", [0.005, 0.02, 0.1, 0.2])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_card_comparison_kaplan_markov_closed_form(v, alpha):
    # no errors: the first n with (1 - v/(2 gamma))^n <= alpha
    n = card_comparison_sample_size(v, alpha, risk_function="kaplan-markov")
    assert n == math.ceil(math.log(alpha) / math.log1p(-v / (2 * GAMMA)) - 1e-9)


@pytest.mark.parametrize("rate", [0.001, 0.004])
def test_card_comparison_with_errors_against_agi_formula(rate):
    # 1-vote overstatements at draws 1, 1 + k, ... (k = 1/rate): Kaplan-Markov's sample size is the first n at
    # which AGI's P-value with that many overstatements reaches alpha
    v, alpha, k = 0.02, 0.05, int(1 / rate)
    n = card_comparison_sample_size(v, alpha, error_rate=rate, risk_function="kaplan-markov")
    first = next(m for m in range(1, 10 ** 6)
                 if supersimple_p_value(m, v, o1=(m - 1) // k + 1) <= alpha)
    assert n == first


def test_card_comparison_betting_default():
    for v in (0.005, 0.03, 0.2):
        for alpha in (0.05, 0.1):
            n_star = math.log(1 / alpha) / -math.log1p(-v / 2)
            assert card_comparison_sample_size(v, alpha, error_rate=0) <= max(1.02 * n_star, math.ceil(n_star))
    sizes = [card_comparison_sample_size(0.02, 0.05, error_rate=r) for r in (0, 0.001, 0.002, 0.004)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_card_comparison_hopeless_error_rate():
    with pytest.raises(ValueError, match="full count"):
        card_comparison_sample_size(0.01, 0.05, error_rate=0.05)
    assert card_comparison_sample_size(0.01, 0.05, error_rate=0.05, cards=5000) == 5000
    with pytest.raises(ValueError, match="ballot-polling"):
        card_comparison_sample_size(0.1, 0.05, risk_function="bravo")


def test_comparison_sequence_places_errors_like_shangrla():
    x = comparison_sequence(10, 0.1, error_rate=0.25)
    a = 1 / 1.9
    np.testing.assert_allclose(x, [a / 2 if i % 4 == 0 else a for i in range(10)])


def test_wald_asn_formula():
    # BRAVO §5 by hand for p_w = 0.6, p_l = 0.4, alpha = 0.1: (ln 10 + ln(1.2)/2)/(0.6 ln 1.2 + 0.4 ln 0.8)
    assert wald_asn(0.6, 0.4, 0.1) == pytest.approx(
        (math.log(10) + math.log(1.2) / 2) / (0.6 * math.log(1.2) + 0.4 * math.log(0.8)))
