"""Validation by simulation of the workflow's batch design as it runs (audit/progress.py): one draw sequence per
contest with weights shared by all the contest's assertions (the largest share of any assertion's margin a
station could hide), and each assertion tested on those same weights. A three-candidate contest whose reported
winner A did not really beat B — B's overstated deficit equals the margin exactly, the hardest
case — must see "A beats B" confirmed in at most a share α of 10,000 audits (one-sided Clopper-Pearson 99 %),
while "A beats C", read from counts that agree with the sheets, is confirmed in most of them."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from tallycheck.audit.assertion import Assertion
from tallycheck.audit.batch import BatchDesign, ratio_p_values, sampling_weights, station_assertion

pytestmark = pytest.mark.slow

AUDITS = 10_000
ALPHA = 0.1
CHOICES = (("A", ""), ("B", ""), ("C", ""))


def _beats(w: str, l: str) -> Assertion:
    return Assertion("D", f"{w}>{l}", f"{w} beats {l}", (((w, ""), Fraction(1)), ((l, ""), Fraction(-1))))


def test_shared_weights_keep_the_false_assertion_within_the_risk_limit():
    rng = np.random.default_rng(2021)
    n = 40
    sizes = np.minimum(2500, (rng.pareto(1.5, n) + 1) * 120).astype(np.int64)
    a = (sizes * rng.uniform(0.42, 0.5, n)).astype(np.int64)
    b = (sizes * rng.uniform(0.35, 0.42, n)).astype(np.int64)
    c = (sizes * rng.uniform(0.33, 0.43, n)).astype(np.int64)  # B and C both close: the tight one varies
    votes = np.stack([a, b, c], axis=1)
    stations = [f"S{i}" for i in range(n)]
    ab, ac = (station_assertion(x, stations, CHOICES, votes, sizes) for x in (_beats("A", "B"), _beats("A", "C")))
    w = sampling_weights([ab, ac], BatchDesign.PPEB)
    assert np.any(ab.bound / ab.margin != w)  # the shared weights are not "A beats B"'s own bounds
    # truths: in a random order, stations overstate A's lead over B at their bound until the margin is used up
    omega = np.zeros((AUDITS, n), dtype=np.int64)
    for r in range(AUDITS):
        left = ab.margin
        for i in rng.permutation(n):
            take = min(int(ab.bound[i]), left)
            omega[r, i] = take
            left -= take
            if left == 0:
                break
    assert (omega.sum(axis=1) == ab.margin).all()  # exactly at the boundary: A and B tie in truth
    keys = -np.log(rng.random((AUDITS, n))) / w  # successive sampling proportional to the shared weights
    order = np.argsort(keys, axis=1)
    drawn_omega = np.take_along_axis(omega, order, axis=1)
    p_ab = ratio_p_values(ab.bound, ab.understatement, ab.margin, order, drawn_omega, weights=w)
    wrong = int((p_ab.min(axis=1) <= ALPHA).sum())
    upper = stats.beta.ppf(0.99, wrong + 1, AUDITS - wrong)  # measured: 756 of 10,000, upper bound 0.082
    assert upper <= ALPHA, (wrong, upper)
    # the same draws with counts that agree with the sheets confirm "A beats C" on the shared weights
    p_ac = ratio_p_values(ac.bound, ac.understatement, ac.margin, order, np.zeros_like(order), weights=w)
    assert (p_ac.min(axis=1) <= ALPHA).mean() > 0.9
