"""The machinery every risk function here shares: nonnegative test supermartingales for the mean of a bounded
population, turned into running P-values.

Every test is a *betting* martingale (Waudby-Smith & Ramdas 2023; Waudby-Smith, Stark & Ramdas 2021, "RiLACS"):
before draw j a bet λ_j ∈ [0, 1/μ_j] is fixed from the earlier draws only, and

    T_j = Π_{i≤j} (1 + λ_i (x_i − μ_i)),

where μ_j is the mean the null hypothesis "population mean ≤ t" gives the j-th draw. With replacement μ_j = t;
without replacement (Stark 2023, ALPHA, eq. 4)

    μ_j = (N t − Σ_{i<j} x_i) / (N − j + 1),

the mean the cards not yet drawn would need for the population mean to be exactly t. By Ville's inequality
P{∃j: T_j ≥ 1/α} ≤ α under the null, so min(1, 1/max_{k≤j} T_k) is a valid P-value at every j, however the
audit decides when to stop. ALPHA, Kaplan-Markov and BRAVO are all such bets (each module says which λ).

Two edge cases are decided by the arithmetic of the sample, not by chance: μ_j < 0 (or μ_j = 0 with x_j > 0)
means the cards drawn already push the population mean above t, so the null is impossible and the P-value is 0;
μ_j > u means the null is certainly true (even all the cards left at the bound u cannot lift the mean to t), and
T stops growing (SHANGRLA, NonnegMean.alpha_mart, sets those terms to 0).

Arrays may be 1-D (one audit) or 2-D (one audit per row, for simulations); draws run along the last axis.
Floats are fine here: this is statistics, not seat arithmetic.
"""

from __future__ import annotations

import numpy as np

_TOLERANCE = 1e-12  # values computed from Fractions may exceed [0, u] by rounding only


def as_draws(x, upper: float) -> np.ndarray:
    """The sample as a float array of draws along the last axis, checked to lie in [0, upper]."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim not in (1, 2):
        raise ValueError(f"x must be one audit's draws (1-D) or one audit per row (2-D), got {arr.ndim}-D")
    if not np.isfinite(upper) or upper <= 0:
        raise ValueError(f"upper must be a positive number, got {upper}")
    if arr.size and (np.isnan(arr).any() or arr.min() < -_TOLERANCE or arr.max() > upper * (1 + _TOLERANCE)):
        raise ValueError(f"every sampled value must lie in [0, upper={upper}]; got values from "
                         f"{np.nanmin(arr)} to {np.nanmax(arr)}")
    return np.clip(arr, 0.0, upper)


def null_means(x: np.ndarray, N: int | None, null_mean: float) -> np.ndarray:
    """μ_j for every draw: t with replacement, else (N t − Σ_{i<j} x_i)/(N − j + 1)."""
    if N is None:
        return np.full(x.shape, float(null_mean))
    n = x.shape[-1]
    if N < 1 or n > N:
        raise ValueError(f"sampling without replacement draws at most N = {N} cards, got {n} draws")
    before = np.cumsum(x, axis=-1) - x
    remaining = N - np.arange(n)  # N − j + 1 for j = 1..n
    return (N * null_mean - before) / remaining


def drawn_before(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Σ_{i<j} x_i, j − 1) for every draw j: what a predictable bet may use."""
    n = x.shape[-1]
    return np.cumsum(x, axis=-1) - x, np.broadcast_to(np.arange(n, dtype=float), x.shape)


def log_terms(x: np.ndarray, lam: np.ndarray, mu: np.ndarray, upper: float) -> tuple[np.ndarray, np.ndarray]:
    """(log(1 + λ_j (x_j − μ_j)), null impossible after draw j) with the edge cases of the module docstring.

    λ_j must already lie in [0, 1/μ_j] where μ_j > 0; it is ignored where μ_j ≤ 0 or μ_j > u.
    """
    impossible_now = (mu < 0) | ((mu <= 0) & (x > 0))
    certain = mu > upper
    ok = ~(impossible_now | certain) & (mu > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(ok, 1.0 + lam * (x - mu), 1.0)
        logs = np.log(np.maximum(term, 0.0))
    logs = np.where(certain, -np.inf, logs)
    impossible = np.logical_or.accumulate(impossible_now, axis=-1)
    return logs, impossible


def running_p_values(logs: np.ndarray, impossible: np.ndarray) -> np.ndarray:
    """min(1, 1/max_{k≤j} T_k) for every j, and 0 once the sample proves the null impossible."""
    with np.errstate(invalid="ignore"):
        log_t = np.cumsum(logs, axis=-1)
    log_t = np.where(np.isnan(log_t), -np.inf, log_t)  # 0 · ∞ cannot arise before `impossible` takes over
    best = np.maximum.accumulate(log_t, axis=-1)
    with np.errstate(over="ignore"):
        p = np.exp(-np.maximum(best, 0.0))
    return np.where(impossible, 0.0, p)


def betting_p_values(x: np.ndarray, lam: np.ndarray, mu: np.ndarray, upper: float) -> np.ndarray:
    logs, impossible = log_terms(x, lam, mu, upper)
    return running_p_values(logs, impossible)
