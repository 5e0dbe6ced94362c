"""Risk-measuring functions: one call that turns the sampled values of one assertion into running P-values.

`p_values(x, risk_function=…, upper=…, N=…)` takes the values in draw order (assorter values for ballot
polling; overstatement-assorter values B for card-level comparison, see `comparison_value`), each in
[0, upper], and returns min(1, 1/max_{k≤i} T_k) after every draw i: a non-increasing array whose every entry is
a valid P-value for "the assertion is false" (population mean ≤ null_mean), whenever the audit stops.
N is the number of cards for sampling without replacement (None: with replacement).

Risk functions and their tuning keywords (each module's docstring gives the paper and the formulas):
- betting (default; betting.py): comparison=True → COBRA's Kelly bet with adaptive discrepancy rates
  (rate_1, rate_2, d, floor_1, floor_2); otherwise AGRAPA (eta0, d, truncation, sigma2).
- alpha (alpha.py): ALPHA with the truncated shrinkage estimator (eta0, d, c) or a fixed one (fixed_eta; the
  default when comparison=True, at the Kelly η for 2-vote overstatements at rate 10⁻⁴).
- kaplan-markov (kaplan_markov.py): Π (t + g)/(x + g) (g), or the super-simple form (gamma; the default
  when comparison=True, γ = 1.03905).
- bravo (bravo.py): Wald's SPRT for ballot polling (share = the winner's share of the pair's votes).
`eta0` and `share` default to `reported_mean`. `comparison=True` says the values are overstatement-assorter
values (their no-error value is upper/2); every function gives valid P-values either way, the flag only
chooses the bet that fits the data.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from .alpha import alpha_p_values, comparison_eta
from .betting import betting_p_values
from .bravo import bravo_p_values
from .kaplan_markov import kaplan_markov_p_values
from .martingale import as_draws


class RiskFunction(str, Enum):
    ALPHA = "alpha"
    BETTING = "betting"
    KAPLAN_MARKOV = "kaplan-markov"
    BRAVO = "bravo"


DEFAULT_RISK_FUNCTION = RiskFunction.BETTING

TUNING: dict[RiskFunction, frozenset[str]] = {
    RiskFunction.ALPHA: frozenset({"eta0", "d", "c", "fixed_eta"}),
    RiskFunction.BETTING: frozenset({"eta0", "d", "truncation", "sigma2", "rate_1", "rate_2", "floor_1",
                                     "floor_2"}),
    RiskFunction.KAPLAN_MARKOV: frozenset({"g", "gamma"}),
    RiskFunction.BRAVO: frozenset({"share"}),
}
_COMPARISON_ONLY = frozenset({"rate_1", "rate_2", "floor_1", "floor_2"})
_POLLING_ONLY = frozenset({"eta0", "truncation", "sigma2"})


def p_values(x, *, risk_function: RiskFunction | str = DEFAULT_RISK_FUNCTION, upper: float,
             N: int | None = None, null_mean: float = 0.5, reported_mean: float | None = None,
             comparison: bool = False, **tuning) -> np.ndarray:
    """Running P-values after each draw (see the module docstring); x may be 2-D, one audit per row."""
    rf = RiskFunction(risk_function)
    unknown = set(tuning) - TUNING[rf]
    if unknown:
        raise TypeError(f"{rf.value} takes no tuning {sorted(unknown)}; it takes {sorted(TUNING[rf])}")
    if not 0 < null_mean < upper:
        raise ValueError(f"null_mean must lie strictly between 0 and upper = {upper}, got {null_mean}")
    if N is not None and (int(N) != N or N < 1):
        raise ValueError(f"N must be a positive whole number of cards, got {N}")
    draws = as_draws(x, upper)
    if reported_mean is None and comparison:
        reported_mean = upper / 2  # B on a card whose CVR is right: the mean if every CVR is
    if rf is RiskFunction.ALPHA:
        if comparison and "eta0" not in tuning:
            tuning.setdefault("fixed_eta", "d" not in tuning and "c" not in tuning)
            if tuning["fixed_eta"]:
                tuning["eta0"] = comparison_eta(upper, null_mean)
        return alpha_p_values(draws, upper=upper, N=N, null_mean=null_mean,
                              eta0=tuning.pop("eta0", reported_mean), **tuning)
    if rf is RiskFunction.BETTING:
        wrong = set(tuning) & (_POLLING_ONLY if comparison else _COMPARISON_ONLY)
        if wrong:
            kind = "card-level comparison" if comparison else "polling"
            raise TypeError(f"betting for {kind} audits takes no tuning {sorted(wrong)}")
        if not comparison:
            tuning.setdefault("eta0", reported_mean)
        return betting_p_values(draws, upper=upper, N=N, null_mean=null_mean, comparison=comparison, **tuning)
    if rf is RiskFunction.KAPLAN_MARKOV:
        return kaplan_markov_p_values(draws, upper=upper, N=N, null_mean=null_mean, comparison=comparison,
                                      **tuning)
    return bravo_p_values(draws, upper=upper, N=N, null_mean=null_mean, comparison=comparison,
                          share=tuning.get("share", reported_mean))


def comparison_value(overstatement: float, assorter_upper: float, diluted_margin: float) -> float:
    """SHANGRLA's overstatement assorter B = (1 − ω/u)/(2 − v/u) for one card (Stark 2020, §3.2).

    ω = A(CVR) − A(hand count) ∈ [−u, u]: a 1-vote overstatement of a plurality assorter (u = 1) is 1/2,
    a 2-vote one is 1. B lies in [0, 2/(2 − v/u)]; its mean exceeds 1/2 iff the assertion holds.
    """
    u, v, w = float(assorter_upper), float(diluted_margin), float(overstatement)
    if u <= 0:
        raise ValueError(f"assorter_upper must be positive, got {u}")
    if not 0 < v <= 2 * u - 1e-12 or v > 1:
        raise ValueError(f"the diluted margin must lie in (0, 1], got {v}")
    if abs(w) > u * (1 + 1e-12):
        raise ValueError(f"an overstatement lies in [−u, u] = [{-u}, {u}], got {w}")
    return (1 - w / u) / (2 - v / u)


def comparison_upper(assorter_upper: float, diluted_margin: float) -> float:
    """The largest value of B: 2/(2 − v/u) (a 2-vote understatement)."""
    return 2 / (2 - float(diluted_margin) / float(assorter_upper))
