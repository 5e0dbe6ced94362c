"""Validation by simulation: station-batch audits of contests whose reported outcome is wrong exactly at the
boundary (the overstatement equals the margin, the hardest case) must confirm it in at most a share α of
audits, for MACRO and for tallycheck's design with PPEB and uniform draws. The share is checked with a
one-sided Clopper-Pearson 99 % upper bound; every audit runs through the same P-value code as a real one."""

import numpy as np
import pytest
from scipy import stats

from tallycheck.audit.batch import (
    PairBatch,
    macro_bounds,
    macro_p_values,
    pair_assertion,
    ratio_p_values,
    sampling_weights,
)

pytestmark = pytest.mark.slow

AUDITS = 10_000
ALPHA = 0.1


def contest(seed: int, stations: int = 30):
    rng = np.random.default_rng(seed)
    sizes = np.minimum(3000, (rng.pareto(1.5, stations) + 1) * 100).astype(int)  # unequal, heavy-tailed
    wins = (sizes * rng.uniform(0.45, 0.6, stations)).astype(int)
    loses = (sizes * rng.uniform(0.3, 0.45, stations)).astype(int)
    rows = [PairBatch(f"S{i}", int(b), int(w), int(lo)) for i, (b, w, lo) in enumerate(zip(sizes, wins, loses))]
    return pair_assertion(rows)


def wrong_at_boundary(sa, rng) -> np.ndarray:
    """For each audit, a truth whose overstatement sums exactly to the margin: stations in a random order
    overstated at their bound (taint 1) until the margin is used up, the last one in part."""
    bound = sa.bound
    omega = np.zeros((AUDITS, len(bound)), dtype=np.int64)
    for r in range(AUDITS):
        left = sa.margin
        for p in rng.permutation(len(bound)):
            take = min(int(bound[p]), left)
            omega[r, p] = take
            left -= take
            if left == 0:
                break
    assert (omega.sum(axis=1) == sa.margin).all()
    return omega


def successive_order(weights: np.ndarray, rng) -> np.ndarray:
    live = np.flatnonzero(weights > 0)
    keys = rng.exponential(size=(AUDITS, len(live))) / weights[live]
    return live[np.argsort(keys, axis=1)]


def upper_99(confirmed: int) -> float:
    return float(stats.beta.ppf(0.99, confirmed + 1, AUDITS - confirmed))


@pytest.mark.parametrize("design", ["ppeb", "uniform"])
@pytest.mark.parametrize("g", [0.0, 0.1])
def test_tallycheck_design_keeps_the_risk_limit(design, g):
    sa = contest(11)
    rng = np.random.default_rng(2021 + int(g * 10) + len(design))
    omega_truth = wrong_at_boundary(sa, rng)
    weights = sampling_weights([sa], design)
    order = successive_order(weights, rng)
    omega = np.take_along_axis(omega_truth, order, axis=1)
    p = ratio_p_values(sa.bound, sa.understatement, sa.margin, order, omega, weights=weights, g=g)
    confirmed = int((p.min(axis=1) <= ALPHA).sum())
    assert upper_99(confirmed) <= ALPHA, (design, g, confirmed)
    # and the audits are not trivially timid: on the correct outcome (no error) most confirm
    clean = ratio_p_values(sa.bound, sa.understatement, sa.margin, order, np.zeros_like(order), weights=weights,
                           g=g)
    assert (clean.min(axis=1) <= ALPHA).mean() > 0.9


def test_macro_keeps_the_risk_limit():
    sa = contest(11)
    rng = np.random.default_rng(7)
    omega_truth = wrong_at_boundary(sa, rng)
    u = macro_bounds([sa])
    draws = 200
    order = rng.choice(len(u), size=(AUDITS, draws), p=u / u.sum())  # PPEB with replacement
    e = np.take_along_axis(omega_truth, order, axis=1) / sa.margin
    p = macro_p_values(u, sa.understatement / sa.margin, order, e)
    confirmed = int((p.min(axis=1) <= ALPHA).sum())
    assert upper_99(confirmed) <= ALPHA, confirmed
    clean = macro_p_values(u, sa.understatement / sa.margin, order, np.zeros(order.shape))
    assert (clean.min(axis=1) <= ALPHA).mean() > 0.9
