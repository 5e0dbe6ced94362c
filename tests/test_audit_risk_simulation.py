"""The risk limit, checked by simulation: 10,000 audits of elections whose reported outcome is wrong at the
boundary (the true assorter mean is exactly 1/2, the hardest case), for card-level comparison and ballot
polling, every risk function, with and without replacement. A risk-limiting audit confirms such an outcome
with probability at most α.

The check is a one-sided binomial test at 1 %: the Clopper-Pearson 99 % lower confidence bound of the share
wrongly confirmed must not exceed α (were the true share above α, this would fail with probability ≥ 99 %).
The 99 % upper bound is computed too and must stay below 2α: the methods are tight (Ville's inequality is
nearly attained when a card-comparison bet is near-all-in and errors are rare), so an upper bound below α
itself is not a property a correct method has. numpy's Generator(PCG64) with fixed seeds, numpy only here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tallycheck.audit.risk import comparison_upper, comparison_value, p_values

AUDITS = 10_000
ALPHA = 0.1


def clopper_pearson(k: int, n: int, level: float = 0.99) -> tuple[float, float]:
    lower = 0.0 if k == 0 else float(stats.beta.ppf(1 - level, k, n - k + 1))
    upper = 1.0 if k == n else float(stats.beta.ppf(level, k + 1, n - k))
    return lower, upper


def comparison_population(N: int = 500, v: float = 0.1) -> np.ndarray:
    """CVRs report a diluted margin of 10 %; errors leave the true assorter mean at exactly 1/2.

    Overstatements in votes: 15 two-vote, 25 one-vote, 5 one-vote understatements: 15 + 12.5 − 2.5 = 25 =
    N v/2, so Σ B = (N − 25)/(2 − v) = N/2.
    """
    kinds = np.zeros(N)
    kinds[:15], kinds[15:40], kinds[40:45] = 1.0, 0.5, -0.5
    x = np.array([comparison_value(k, 1, v) for k in kinds])
    assert abs(x.sum() - N / 2) < 1e-9
    return x


def polling_population(N: int = 1000) -> np.ndarray:
    """450 votes for the reported winner, 450 for the loser, 100 other ballots: a tie the reports call 50-40."""
    return np.concatenate([np.ones(450), np.zeros(450), np.full(100, 0.5)])


def draws(population: np.ndarray, replace: bool, length: int, seed: int) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(seed))
    if replace:
        return population[rng.integers(0, len(population), size=(AUDITS, length))]
    return rng.permuted(np.broadcast_to(population, (AUDITS, len(population))), axis=1)


def wrongly_confirmed(x: np.ndarray, **kwargs) -> int:
    confirmed = 0
    for start in range(0, AUDITS, 2500):  # blocks bound the memory of 2-D p-values
        p = p_values(x[start:start + 2500], **kwargs)
        confirmed += int((p.min(axis=1) <= ALPHA).sum())
    return confirmed


CASES = [
    ("comparison", rf, replace) for rf in ("betting", "alpha", "kaplan-markov") for replace in (True, False)
] + [
    ("polling", rf, replace) for rf in ("betting", "alpha", "kaplan-markov", "bravo") for replace in (True, False)
]


@pytest.mark.slow
@pytest.mark.parametrize("design,rf,replace", CASES)
def test_wrong_outcomes_confirmed_at_most_alpha(design, rf, replace):
    seed = 1000 + CASES.index((design, rf, replace))
    if design == "comparison":
        population = comparison_population()
        kwargs = {"upper": comparison_upper(1, 0.1), "comparison": True}
    else:
        population = polling_population()
        kwargs = {"upper": 1.0, "reported_mean": 0.55}
        if rf == "bravo":
            kwargs["share"] = 5 / 9
    x = draws(population, replace, 2 * len(population), seed)
    k = wrongly_confirmed(x, risk_function=rf, N=None if replace else len(population), **kwargs)
    lower, upper = clopper_pearson(k, AUDITS)
    print(f"{design} {rf} {'with' if replace else 'without'} replacement: {k}/{AUDITS} wrongly confirmed, "
          f"99% CP bounds [{lower:.4f}, {upper:.4f}]")
    assert lower <= ALPHA
    assert upper < 2 * ALPHA


@pytest.mark.slow
def test_the_check_catches_an_invalid_method():
    # a naive fixed-sample rule with no sequential correction must fail the same check: a z-test at 10 %
    # repeated after every draw confirms the tied polling election far more often than 10 %
    x = draws(polling_population(), True, 500, 7)
    n = np.arange(1, x.shape[1] + 1)
    z = (np.cumsum(x, axis=1) / n - 0.5) / (np.sqrt(0.225 / n))  # sd of a polling draw here: sqrt(0.225)
    k = int((z.max(axis=1) > stats.norm.ppf(1 - ALPHA)).sum())
    lower, _ = clopper_pearson(k, AUDITS)
    assert lower > ALPHA
