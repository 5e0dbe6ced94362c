"""How many cards an audit should expect to examine: the calculators behind `tallycheck audit sample-size`.

Card-level comparison: the sample size is the first n at which the risk function's P-value on a *deterministic*
sequence of overstatement-assorter values falls to the risk limit. With `error_rate` r > 0, 1-vote
overstatements (B = a/2) sit at draws 1, 1 + k, 1 + 2k, … with k = ⌊1/r⌋ — SHANGRLA's placement
(`Assertion.find_sample_size`: indices 0, k, 2k, … of the sequence), which puts the first error at the first
draw, the pessimistic end; every other draw is error-free (B = a = 1/(2 − v/u)). `error_rate=0`: no errors,
where the betting default stays within 1.02 × n*, n* = ln(1/α)/−ln(1 − v/2) (bench/bench_audit_risk.py).

Ballot polling: the reported winner and loser of the closest reported pair (the last winner and the first loser
when the shares are sorted; `winners` seats) decide. With BRAVO the stopping time's distribution is exact
(bravo.stopping_distribution, sampling with replacement): "asn" is its mean, capped at the ballots, and the
quantiles are those of BRAVO's Table 1. The other risk functions are simulated: `reps` audits drawn with
replacement from the reported shares with numpy's Generator(PCG64) seeded by `seed`; an audit not finished by
`max_draws` counts as a full count of `ballots`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .bravo import QUANTILES, stopping_distribution, wald_asn
from .risk import DEFAULT_RISK_FUNCTION, RiskFunction, comparison_upper, p_values

_MAX_DRAWS = 1_000_000
_SIM_CELLS = 4_000_000  # draws simulated per block of audits (memory: 8 bytes each, a few arrays)


def _check_risk_limit(risk_limit: float) -> None:
    if not 0 < risk_limit < 1:
        raise ValueError(f"the risk limit is a fraction in (0, 1) such as 0.05, got {risk_limit}")


def comparison_sequence(n: int, diluted_margin: float, *, error_rate: float = 0.0,
                        assorter_upper: float = 1.0) -> np.ndarray:
    """The deterministic overstatement-assorter values the card-comparison sample size is computed on."""
    no_error = 1 / (2 - diluted_margin / assorter_upper)
    x = np.full(n, no_error)
    if error_rate > 0:
        x[::max(1, int(1 / error_rate))] = no_error / 2
    return x


def card_comparison_sample_size(diluted_margin: float, risk_limit: float, *, error_rate: float = 0.0,
                                risk_function: RiskFunction | str = DEFAULT_RISK_FUNCTION,
                                cards: int | None = None, assorter_upper: float = 1.0, **tuning) -> int:
    """Cards to examine in a card-level comparison audit (see the module docstring).

    cards: the contest's cards, for sampling without replacement and as the cap (a full count); None: with
    replacement, no cap. Raises ValueError when, at this error rate, no sample short of 10⁶ cards confirms.
    """
    _check_risk_limit(risk_limit)
    v, u = float(diluted_margin), float(assorter_upper)
    if not 0 < v <= 1:
        raise ValueError(f"the diluted margin must lie in (0, 1], got {v}")
    if not 0 <= error_rate < 1:
        raise ValueError(f"the error rate is a fraction of cards in [0, 1), got {error_rate}")
    if RiskFunction(risk_function) is RiskFunction.BRAVO:
        raise ValueError("BRAVO is a ballot-polling method; card-level comparison takes betting, alpha or "
                         "kaplan-markov")
    upper = comparison_upper(u, v)
    limit = cards if cards is not None else _MAX_DRAWS
    n_star = math.log(1 / risk_limit) / -math.log1p(-v / 2)
    length = min(limit, max(64, 2 * math.ceil(n_star)))
    while True:
        x = comparison_sequence(length, v, error_rate=error_rate, assorter_upper=u)
        p = p_values(x, risk_function=risk_function, upper=upper, N=cards, comparison=True, **tuning)
        hit = np.flatnonzero(p <= risk_limit)
        if hit.size:
            return int(hit[0]) + 1
        if length >= limit:
            if cards is not None:
                return cards
            raise ValueError(f"with 1-vote overstatements in {error_rate:.4%} of cards and a diluted margin of "
                             f"{v:.4%}, no sample of up to {_MAX_DRAWS:,} cards confirms the outcome: plan a "
                             "full count")
        length = min(limit, 4 * length)


def closest_pair(shares: Sequence[float], winners: int = 1) -> tuple[float, float]:
    """(last winner's, first loser's) share of all ballots, shares sorted from the largest."""
    s = sorted((float(x) for x in shares), reverse=True)
    if any(x < 0 for x in s) or sum(s) > 1 + 1e-9:
        raise ValueError(f"shares are fractions of all ballots: non-negative, summing to at most 1; got {shares}")
    if not 1 <= winners < len(s):
        raise ValueError(f"need at least one loser: {len(s)} shares for {winners} winner(s)")
    return s[winners - 1], s[winners]


def ballot_polling_asn(shares: Sequence[float], ballots: int, risk_limit: float, *,
                       risk_function: RiskFunction | str = DEFAULT_RISK_FUNCTION, winners: int = 1,
                       reps: int = 1000, seed: int = 20211010, max_draws: int | None = None, **tuning) -> dict:
    """Expected ballots to examine in a ballot-polling audit, and quantiles (see the module docstring)."""
    _check_risk_limit(risk_limit)
    if int(ballots) != ballots or ballots < 1:
        raise ValueError(f"ballots must be a positive whole number, got {ballots}")
    rf = RiskFunction(risk_function)
    p_w, p_l = closest_pair(shares, winners)
    result: dict = {"risk_function": rf.value, "pair": [p_w, p_l]}
    if p_w <= p_l:
        return {**result, "asn": int(ballots), "quantiles": {str(q): int(ballots) for q in QUANTILES},
                "full_count": "the closest pair is tied: only a full count can settle it"}
    result["asn_wald"] = min(int(ballots), math.ceil(wald_asn(p_w, p_l, risk_limit)))
    if rf is RiskFunction.BRAVO and not tuning:
        dist = stopping_distribution(p_w, p_l, risk_limit, max_pair_votes=int(ballots))
        return {**result, "asn": math.ceil(dist.mean_ballots(int(ballots))),
                "quantiles": {str(q): dist.quantile_ballots(q, int(ballots)) for q in QUANTILES},
                "method": "exact distribution of BRAVO's stopping time (sampling with replacement)"}
    stops = _simulated_stops(p_w, p_l, int(ballots), risk_limit, rf, reps, seed, max_draws, tuning)
    return {**result, "asn": math.ceil(float(stops.mean())),
            "quantiles": {str(q): int(np.quantile(stops, q, method="inverted_cdf")) for q in QUANTILES},
            "method": f"simulation: {reps} audits with replacement, numpy PCG64 seed {seed}"}


def _simulated_stops(p_w, p_l, ballots, risk_limit, rf, reps, seed, max_draws, tuning) -> np.ndarray:
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    wald = wald_asn(p_w, p_l, risk_limit)
    length = min(ballots, max_draws or max(200, math.ceil(6 * wald)))
    reported_mean = (1 + p_w - p_l) / 2
    share = p_w / (p_w + p_l)
    if rf is RiskFunction.BRAVO:
        tuning = {"share": share, **tuning}
    rng = np.random.Generator(np.random.PCG64(seed))
    stops = np.empty(reps, dtype=np.int64)
    block = max(1, _SIM_CELLS // length)
    for start in range(0, reps, block):
        rows = min(block, reps - start)
        u = rng.random((rows, length))
        x = np.where(u < p_w, 1.0, np.where(u < p_w + p_l, 0.0, 0.5))
        p = p_values(x, risk_function=rf, upper=1.0, reported_mean=reported_mean, **tuning)
        done = p <= risk_limit
        first = np.argmax(done, axis=-1) + 1
        stops[start:start + rows] = np.where(done.any(axis=-1), first, ballots)
    return stops
