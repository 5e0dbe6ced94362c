"""Betting martingales: tallycheck's default risk function.

T_j = Π (1 + λ_i (x_i − μ_i)) with a predictable bet λ_i ∈ [0, 1/μ_i] (Waudby-Smith, Stark & Ramdas 2021,
"RiLACS: risk-limiting audits via confidence sequences", E-Vote-ID; Waudby-Smith & Ramdas 2023, "Estimating
means of bounded random variables by betting", JRSS-B). Two bets, one per kind of data:

**Card-level comparison** (`comparison=True`; x = overstatement-assorter values B = (1 − ω/u)/(2 − v/u), whose
value on a card with no error is a = upper/2). Spertus 2023 ("COBRA: comparison-optimal betting for
risk-limiting audits", Voting'23) shows the best bet is the Kelly bet against the distribution of discrepancies:
λ maximises Σ_k p_k ln(1 + λ(a_k − μ)) over the values a_k = a(1 − k/2) of a k-vote overstatement
(k = 2, 1, 0, −1, −2) with rates p_k. The rates are estimated COBRA's adaptive way, by truncated shrinkage:
before draw j,

    p̂_k = max( (d p̃_k + n_k)/(d + j − 1), ε_k )   for overstatements k = 1, 2 (prior p̃_k worth d draws),
    p̂_k = n_k/(d + j − 1)                          for understatements k = −1, −2,

where n_k counts the earlier draws of that kind (a draw between two kinds counts as the worse one, never
understating its error), and the rest is the no-error rate. The floors ε_k > 0 keep the bet below 2: a bet of
λ = 1/μ = 2 (everything on "no error") reaches the information limit n* = ln(1/α)/−ln(1 − v/2) when there are
no errors, but a single 2-vote overstatement (B = 0) would then end any hope of confirming.

Defaults, chosen so that a comparison audit without errors needs at most 1.02 n* over diluted margins from
0.5 % to 20 % at α = 5 % and 10 % (bench/bench_audit_risk.py measures it) while a 2-vote overstatement costs a
finite number of extra draws: p̃_1 = 10⁻³, p̃_2 = 10⁻⁴ (the rates Stark's audit tools, AGI and Arlo assume),
d = 100, ε_1 = 10⁻⁵, ε_2 = 10⁻⁶; see docs/methods.md, "Audits: measuring risk".

**Ballot polling and anything else** (`comparison=False`): AGRAPA, the approximate growth-rate-adaptive bet of
Waudby-Smith & Ramdas (2023, §5.1), λ_j = (μ̂ − μ_j)/(σ̂² + (μ̂ − μ_j)²) truncated to [0, c/μ_j], with the mean
and variance estimated from the earlier draws shrunk towards η0 (the reported mean) and η0(u − η0) with weight d.
"""

from __future__ import annotations

import numpy as np

from . import martingale
from .martingale import drawn_before, null_means

# comparison (COBRA-style adaptive Kelly)
DEFAULT_RATE_1 = 1e-3
DEFAULT_RATE_2 = 1e-4
DEFAULT_FLOOR_1 = 1e-5
DEFAULT_FLOOR_2 = 1e-6
DEFAULT_D_COMPARISON = 100.0
# polling (AGRAPA)
DEFAULT_D_POLLING = 100.0
DEFAULT_TRUNCATION = 0.75

_KINDS = np.array([2, 1, 0, -1, -2])  # overstatement in votes, in the order of the value columns below


def kelly_bet(values: np.ndarray, probs: np.ndarray, mu: np.ndarray, *, tol: float = 1e-12,
              max_iter: int = 100) -> np.ndarray:
    """argmax over λ ∈ [0, 1/μ] of Σ_k p_k ln(1 + λ(v_k − μ)), element-wise.

    values, probs: (..., K) (values broadcast); mu: (...,) with μ > 0. The objective is concave, so its
    derivative g(λ) = Σ p_k c_k/(1 + λ c_k) (c_k = v_k − μ) falls from g(0) = E[v] − μ to its root. With
    three classes g = 0 is a quadratic, solved in closed form; that root (of the first three classes) starts
    Newton steps kept inside a shrinking bracket, which only the elements with more classes need.
    """
    values = np.asarray(values, dtype=float)
    probs = np.asarray(probs, dtype=float)
    mu = np.asarray(mu, dtype=float)
    values = np.broadcast_to(values, probs.shape)
    if probs.shape[-1] < 3:  # pad with empty classes for the three-class closed form
        pad = [(0, 0)] * (probs.ndim - 1) + [(0, 3 - probs.shape[-1])]
        values, probs = np.pad(values, pad), np.pad(probs, pad)
    c = values - mu[..., None]
    c = np.where(probs > 0, c, 0.0)  # classes with no mass do not limit the bet
    lam_max = 1.0 / mu
    g0 = (probs * c).sum(axis=-1)
    at_max = 1.0 + lam_max[..., None] * c
    reaches_zero = ((at_max <= 0) & (probs > 0)).any(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_max = np.where(reaches_zero, -np.inf, (probs * c / at_max).sum(axis=-1))
    lam = np.where(g_max >= 0, lam_max, 0.0)
    active = np.flatnonzero((g0 > 0) & (g_max < 0))
    if not active.size:
        return lam
    everywhere = active.size == mu.size  # the usual case: skip copying (n, K) arrays
    cc = c.reshape(-1, c.shape[-1]) if everywhere else c.reshape(-1, c.shape[-1])[active]
    pp = probs.reshape(-1, probs.shape[-1]) if everywhere else probs.reshape(-1, probs.shape[-1])[active]
    lo = np.zeros(active.size)
    hi = lam_max.reshape(-1)[active].copy()
    x = np.clip(_three_class_root(cc[:, :3], pp[:, :3]), 0.0, hi)
    exact = np.isfinite(x) & (x > 0) & (x < hi)
    x = np.where(exact, x, 0.5 * hi)
    if cc.shape[-1] > 3:
        exact &= ~(pp[:, 3:] > 0).any(axis=-1)
    todo = np.flatnonzero(~exact)  # the quadratic is the answer where only three classes carry mass
    for _ in range(max_iter if todo.size else 0):
        c_t, p_t, x_t = cc[todo], pp[todo], x[todo]
        denom = 1.0 + x_t[:, None] * c_t
        g = (p_t * c_t / denom).sum(axis=-1)
        dg = -(p_t * c_t * c_t / (denom * denom)).sum(axis=-1)
        lo_t = np.where(g > 0, x_t, lo[todo])
        hi_t = np.where(g > 0, hi[todo], x_t)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x_t - g / dg
        bad = ~np.isfinite(newton) | (newton < lo_t) | (newton > hi_t)
        nxt = np.where(bad, 0.5 * (lo_t + hi_t), newton)
        lo[todo], hi[todo], x[todo] = lo_t, hi_t, nxt
        moving = np.abs(nxt - x_t) > tol * np.maximum(1.0, hi_t)
        todo = todo[moving]
        if not todo.size:
            break
    flat = lam.reshape(-1)
    flat[active] = x
    return flat.reshape(mu.shape)


def _three_class_root(c: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The root of Σ_{k<3} p_k c_k/(1 + λ c_k) = 0 in (0, 1/μ): A λ² + B λ + C = 0 after clearing denominators."""
    c0, c1, c2 = c[:, 0], c[:, 1], c[:, 2]
    p0, p1, p2 = p[:, 0], p[:, 1], p[:, 2]
    a = (p0 + p1 + p2) * c0 * c1 * c2
    b = p0 * c0 * (c1 + c2) + p1 * c1 * (c0 + c2) + p2 * c2 * (c0 + c1)
    k = p0 * c0 + p1 * c1 + p2 * c2
    disc = np.sqrt(np.maximum(b * b - 4 * a * k, 0.0))
    q = -0.5 * (b + np.where(b >= 0, disc, -disc))
    with np.errstate(divide="ignore", invalid="ignore"):
        r1, r2 = q / a, k / q
    # the smallest positive root is the one before the first pole of the log-objective
    r1 = np.where(np.isfinite(r1) & (r1 > 0), r1, np.inf)
    r2 = np.where(np.isfinite(r2) & (r2 > 0), r2, np.inf)
    return np.minimum(r1, r2)


def discrepancy_kinds(x: np.ndarray, no_error: float) -> np.ndarray:
    """Overstatement of each comparison draw in votes, 2..−2, rounded towards the larger overstatement."""
    votes = 2.0 * (no_error - x) / no_error
    return np.clip(np.ceil(votes - 1e-9), -2, 2).astype(np.int8)


def cobra_rates(x: np.ndarray, no_error: float, *, rate_1: float, rate_2: float, d: float, floor_1: float,
                floor_2: float) -> np.ndarray:
    """Estimated rates (…, 5) of overstatements 2, 1, 0, −1, −2 votes before each draw (truncated shrinkage)."""
    kinds = discrepancy_kinds(x, no_error)
    _, seen = drawn_before(x)
    weight = d + seen
    counts = {}
    for k in (2, 1, -1, -2):
        hit = (kinds == k).astype(float)
        counts[k] = np.cumsum(hit, axis=-1) - hit
    p2 = np.maximum((d * rate_2 + counts[2]) / weight, floor_2)
    p1 = np.maximum((d * rate_1 + counts[1]) / weight, floor_1)
    q1 = counts[-1] / weight
    q2 = counts[-2] / weight
    p0 = np.maximum(1.0 - p2 - p1 - q1 - q2, 0.0)
    return np.stack([p2, p1, p0, q1, q2], axis=-1)


def cobra_bets(x: np.ndarray, mu: np.ndarray, *, upper: float, rate_1: float = DEFAULT_RATE_1,
               rate_2: float = DEFAULT_RATE_2, d: float = DEFAULT_D_COMPARISON,
               floor_1: float = DEFAULT_FLOOR_1, floor_2: float = DEFAULT_FLOOR_2) -> np.ndarray:
    for name, value in (("rate_1", rate_1), ("rate_2", rate_2), ("floor_1", floor_1), ("floor_2", floor_2)):
        if not 0 <= value < 1:
            raise ValueError(f"betting's {name} must lie in [0, 1), got {value}")
    if d < 0:
        raise ValueError(f"betting's d must not be negative, got {d}")
    no_error = upper / 2
    probs = cobra_rates(x, no_error, rate_1=rate_1, rate_2=rate_2, d=d, floor_1=floor_1, floor_2=floor_2)
    values = no_error * (1.0 - _KINDS / 2.0)
    inside = (mu > 0) & (mu < upper)
    lam = kelly_bet(values, probs, np.where(inside, mu, 0.5 * upper))
    return np.where(inside, lam, 0.0)


def agrapa_bets(x: np.ndarray, mu: np.ndarray, *, upper: float, eta0: float, d: float = DEFAULT_D_POLLING,
                truncation: float = DEFAULT_TRUNCATION, sigma2: float | None = None) -> np.ndarray:
    if not 0 < truncation <= 1:
        raise ValueError(f"betting's truncation must lie in (0, 1], got {truncation}")
    if d <= 0:
        raise ValueError(f"betting's d must be positive, got {d}")
    sigma2 = eta0 * (upper - eta0) if sigma2 is None else sigma2
    total, seen = drawn_before(x)
    squares = np.cumsum(x * x, axis=-1) - x * x
    weight = d + seen
    mean = (d * eta0 + total) / weight
    # Σ_{i<j} (x_i − mean)² expanded so that every draw's estimate is one vector operation
    var = (d * sigma2 + squares - 2 * mean * total + seen * mean * mean) / weight
    gap = mean - mu
    inside = (mu > 0) & (mu < upper)
    safe_mu = np.where(inside, mu, 0.5 * upper)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = gap / (np.maximum(var, 0.0) + gap * gap)
    lam = np.where(np.isfinite(lam), lam, 0.0)
    return np.where(inside, np.clip(lam, 0.0, truncation / safe_mu), 0.0)


def betting_p_values(x: np.ndarray, *, upper: float, N: int | None, null_mean: float, comparison: bool,
                     eta0: float | None = None, **tuning) -> np.ndarray:
    mu = null_means(x, N, null_mean)
    if comparison:
        lam = cobra_bets(x, mu, upper=upper, **tuning)
    else:
        if eta0 is None:
            raise ValueError("the betting risk function needs eta0 or reported_mean for a polling audit")
        if not null_mean < eta0 <= upper:
            raise ValueError(f"eta0 must lie in (null_mean, upper] = ({null_mean}, {upper}], got {eta0}")
        lam = agrapa_bets(x, mu, upper=upper, eta0=eta0, **tuning)
    return martingale.betting_p_values(x, lam, mu, upper)
