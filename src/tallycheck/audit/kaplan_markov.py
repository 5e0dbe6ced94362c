"""Kaplan-Markov: the general form and Stark's "super-simple" comparison form.

General form (Stark 2009, "Risk-limiting post-election audits: P-values from common probability inequalities";
SHANGRLA, Stark 2020 §3.2): for x_i ≥ 0 with null mean t and a constant g > 0,

    P_n = Π_{i≤n} (t + g)/(x_i + g),

the inverse of the betting martingale with the fixed bet λ = 1/(t + g): 1 + (x − t)/(t + g) = (x + g)/(t + g).
Without replacement the bet is λ_j = 1/(μ_j + g).

Super-simple form (Stark 2010, "Super-simple simultaneous single-ballot risk-limiting audits", EVT/WOTE;
Lindeman & Stark 2012, "A gentle introduction to risk-limiting audits", IEEE Security & Privacy, eq. (2) = AGI):
with diluted margin μ (here v), an error inflation γ ≥ 1 and the counts of 1- and 2-vote overstatements
(o1, o2) and understatements (u1, u2) among n cards,

    P = (1 − v/(2γ))^n (1 − 1/(2γ))^(−o1) (1 − 1/γ)^(−o2) (1 + 1/(2γ))^(−u1) (1 + 1/γ)^(−u2).

It is the general form applied to the overstatement assorter B = (1 − ω)/(2 − v) (u = 1) with
g = (γ − 1)·a, where a = 1/(2 − v) = upper/2 is B on a card without error: then (t + g)/(a + g) = 1 − v/(2γ),
and a 1-vote (B = a/2) and a 2-vote (B = 0) overstatement multiply P by 1/(1 − 1/(2γ)) and 1/(1 − 1/γ).
γ = 1.03905 is the value of Stark's audit tools, AGI and Colorado's RLA software.

AGI's initial sample size (Stark's tools; Arlo's `supersimple.py`) replaces ln(1 − v/(2γ)) by −v/(2γ):
n = ⌈−2γ [ln α + o1 ln(1 − 1/(2γ)) + o2 ln(1 − 1/γ) + u1 ln(1 + 1/(2γ)) + u2 ln(1 + 1/γ)] / v⌉, where the
expected counts come from assumed rates; the 1-vote counts are rounded up.
"""

from __future__ import annotations

import math

import numpy as np

from .martingale import betting_p_values, null_means

GAMMA = 1.03905
DEFAULT_G = 0.1  # SHANGRLA's default for the general form
# AGI / Stark's tools / Arlo: expected discrepancy rates for initial sample sizes
AGI_RATES = {"o1": 0.001, "o2": 0.0001, "u1": 0.001, "u2": 0.0001}


def g_for_gamma(gamma: float, upper: float) -> float:
    """The g of the general form that equals the super-simple form with inflation γ (upper = 2a)."""
    if gamma < 1:
        raise ValueError(f"gamma must be at least 1, got {gamma}")
    return (gamma - 1.0) * upper / 2


def kaplan_markov_p_values(x: np.ndarray, *, upper: float, N: int | None, null_mean: float,
                           comparison: bool, g: float | None = None, gamma: float | None = None) -> np.ndarray:
    if g is not None and gamma is not None:
        raise ValueError("give Kaplan-Markov either g or gamma, not both")
    if g is None:
        if comparison or gamma is not None:
            g = g_for_gamma(GAMMA if gamma is None else gamma, upper)
        else:
            g = DEFAULT_G
    if g < 0:
        raise ValueError(f"Kaplan-Markov's g must not be negative, got {g}")
    mu = null_means(x, N, null_mean)
    inside = (mu > 0) & (mu < upper)
    with np.errstate(divide="ignore"):
        lam = np.where(inside, 1.0 / (np.where(inside, mu, 1.0) + g), 0.0)
    return betting_p_values(x, lam, mu, upper)


def _check(diluted_margin: float, gamma: float) -> None:
    if not 0 < diluted_margin <= 1:
        raise ValueError(f"the diluted margin must lie in (0, 1], got {diluted_margin}")
    if gamma <= 1:
        raise ValueError(f"the super-simple audit needs gamma > 1, got {gamma}")


def supersimple_p_value(n: int, diluted_margin: float, *, gamma: float = GAMMA, o1: int = 0, o2: int = 0,
                        u1: int = 0, u2: int = 0) -> float:
    """AGI's P-value after n cards with the given discrepancy counts (capped at 1)."""
    _check(diluted_margin, gamma)
    if min(n, o1, o2, u1, u2) < 0 or o1 + o2 + u1 + u2 > n:
        raise ValueError("counts must be non-negative and the discrepancies at most the n cards audited")
    log_p = (n * math.log1p(-diluted_margin / (2 * gamma)) - o1 * math.log1p(-1 / (2 * gamma))
             - o2 * math.log1p(-1 / gamma) - u1 * math.log1p(1 / (2 * gamma)) - u2 * math.log1p(1 / gamma))
    return min(1.0, math.exp(log_p))


def supersimple_sample_size(diluted_margin: float, risk_limit: float, *, gamma: float = GAMMA,
                            o1: float = 0, o2: float = 0, u1: float = 0, u2: float = 0) -> int:
    """AGI's sample size for the given (expected) discrepancy counts."""
    _check(diluted_margin, gamma)
    total = (math.log(risk_limit) + o1 * math.log1p(-1 / (2 * gamma)) + o2 * math.log1p(-1 / gamma)
             + u1 * math.log1p(1 / (2 * gamma)) + u2 * math.log1p(1 / gamma))
    return max(math.ceil(o1 + o2 + u1 + u2), math.ceil(-2 * gamma * total / diluted_margin))


def supersimple_initial_sample_size(diluted_margin: float, risk_limit: float, *, gamma: float = GAMMA,
                                    rates: dict[str, float] | None = None) -> int:
    """The initial sample of Stark's tools and AGI: expected counts from rates, 1-vote counts rounded up.

    A first size n0 solves the exact equation with the rates as fractions of n; the expected 1-vote counts
    ⌈rate·n0⌉ (2-vote counts stay fractional) then go into AGI's formula.
    """
    _check(diluted_margin, gamma)
    r = {**AGI_RATES, **(rates or {})}
    slope = (math.log1p(-diluted_margin / (2 * gamma)) - r["o1"] * math.log1p(-1 / (2 * gamma))
             - r["o2"] * math.log1p(-1 / gamma) - r["u1"] * math.log1p(1 / (2 * gamma))
             - r["u2"] * math.log1p(1 / gamma))
    if slope >= 0:
        raise ValueError("at these discrepancy rates the P-value never falls: count every card")
    n0 = math.ceil(math.log(risk_limit) / slope)
    return supersimple_sample_size(diluted_margin, risk_limit, gamma=gamma, o1=math.ceil(r["o1"] * n0),
                                   o2=r["o2"], u1=math.ceil(r["u1"] * n0), u2=r["u2"])

