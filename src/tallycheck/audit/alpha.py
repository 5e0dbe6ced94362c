"""ALPHA: Audit that Learns from Previously Hand-Audited ballots (Stark 2023, Annals of Applied Statistics 17(1);
arXiv:2201.02707).

Before draw j, ALPHA estimates the population mean from the earlier draws, η_j ∈ (μ_j, u], and multiplies

    T_j = T_{j−1} · (x_j η_j/μ_j + (u − x_j)(u − η_j)/(u − μ_j)) / u                       (ALPHA, eq. 10)

which is the betting martingale with λ_j = (η_j/μ_j − 1)/(u − μ_j). BRAVO is the special case of a fixed
η_j = η and two-valued x (see bravo.py).

The estimator is ALPHA's truncated shrinkage (§2.5.2):

    η_j = min( u(1 − 2⁻⁵²), max( (d η0 + Σ_{i<j} x_i)/(d + j − 1),  μ_j + c/√(d + j − 1) ) ),

a prior guess η0 worth d draws, pulled towards the sample mean, and kept above μ_j by a margin that shrinks as
the sample grows. η0 defaults to the reported assorter mean, c to (η0 − t)/2 (SHANGRLA's default), d to 100.
For card-level comparison the default is a fixed η instead (`comparison_eta`).
"""

from __future__ import annotations

import numpy as np

from .martingale import betting_p_values, drawn_before, null_means

DEFAULT_D = 100.0
COMPARISON_RATE_2 = 1e-4  # SHANGRLA's assumed rate of 2-vote overstatements for ALPHA's comparison bet
_BELOW_UPPER = 1 - np.finfo(float).eps  # η = u would stake everything on the next card (a 0 ends the test)


def shrink_trunc_eta(x: np.ndarray, mu: np.ndarray, *, upper: float, eta0: float, d: float,
                     c: float) -> np.ndarray:
    """ALPHA's truncated shrinkage estimate η_j for every draw (uses draws before j only)."""
    total, seen = drawn_before(x)
    shrunk = (d * eta0 + total) / (d + seen)
    floor = mu + c / np.sqrt(d + seen)
    return np.minimum(upper * _BELOW_UPPER, np.maximum(shrunk, floor))


def alpha_bets(eta: np.ndarray, mu: np.ndarray, upper: float) -> np.ndarray:
    """λ_j = (η_j/μ_j − 1)/(u − μ_j): ALPHA's multiplier written as a bet (0 where μ_j is outside (0, u))."""
    inside = (mu > 0) & (mu < upper)
    safe_mu = np.where(inside, mu, 0.5 * upper)
    lam = (eta / safe_mu - 1.0) / (upper - safe_mu)
    return np.where(inside, np.clip(lam, 0.0, 1.0 / safe_mu), 0.0)


def comparison_eta(upper: float, null_mean: float, rate_2: float = COMPARISON_RATE_2) -> float:
    """ALPHA's fixed η for card-level comparison: the Kelly bet against "no error, or a 2-vote overstatement
    at rate_2" (what SHANGRLA's `optimal_comparison` estimator does), written as η = μ(1 + λ(u − μ)).

    Shrinking η towards the sample mean would be wrong here: overstatement-assorter values sit at the no-error
    value u/2, and ALPHA's bet for η = u/2 is tiny.
    """
    from .betting import kelly_bet  # betting imports nothing from here; deferred to keep the modules flat

    lam = float(kelly_bet(np.array([0.0, upper / 2]), np.array([rate_2, 1 - rate_2]), np.array(null_mean)))
    return null_mean * (1 + lam * (upper - null_mean))


def alpha_p_values(x: np.ndarray, *, upper: float, N: int | None, null_mean: float, eta0: float | None,
                   d: float = DEFAULT_D, c: float | None = None, fixed_eta: bool = False) -> np.ndarray:
    """Running P-values of ALPHA. `fixed_eta=True` keeps η_j = max(η0, μ_j) (no learning)."""
    if eta0 is None:
        raise ValueError("ALPHA needs eta0 (a guess of the population mean), or reported_mean to default to")
    if not null_mean < eta0 <= upper:
        raise ValueError(f"ALPHA's eta0 must lie in (null_mean, upper] = ({null_mean}, {upper}], got {eta0}: "
                         "a reported outcome whose mean is not above the null has nothing to confirm")
    if d <= 0:
        raise ValueError(f"ALPHA's d (the weight of eta0, in draws) must be positive, got {d}")
    mu = null_means(x, N, null_mean)
    if fixed_eta:
        eta = np.maximum(np.full(x.shape, float(eta0)), mu)
    else:
        c = (eta0 - null_mean) / 2 if c is None else c
        if c < 0:
            raise ValueError(f"ALPHA's c must not be negative, got {c}")
        eta = shrink_trunc_eta(x, mu, upper=upper, eta0=eta0, d=d, c=c)
    return betting_p_values(x, alpha_bets(eta, mu, upper), mu, upper)
