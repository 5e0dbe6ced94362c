"""BRAVO: ballot-polling risk-limiting audits to verify outcomes (Lindeman, Stark & Yates 2012, EVT/WOTE).

Wald's sequential probability ratio test of "the reported winner w's share s of the votes for w or the loser l
is at most 1/2" against "it is the reported share s_w". Drawing ballots with replacement, each vote for w
multiplies T by s_w/(1/2), each vote for l by (1 − s_w)/(1/2), any other ballot by 1; confirm when T ≥ 1/α.

On the assorter scale (x = 1 for w, 0 for l, 1/2 otherwise, u = 1, null mean 1/2) that is ALPHA with the fixed
estimate η = s_w: x η/μ + (1 − x)(1 − η)/(1 − μ) gives 2s_w, 2(1 − s_w) and 1 (Stark 2023, ALPHA §3). Without
replacement the same fixed η is used against ALPHA's moving null mean μ_j (η_j = max(s_w, μ_j)).

Expected sample size (BRAVO §5, "ASN"): with p_w, p_l the shares of all ballots,

    ASN ≈ (ln(1/α) + ln(2 s_w)/2) / (p_w ln(2 s_w) + p_l ln(2 − 2 s_w)),

Wald's approximation. `stopping_distribution` gives the exact distribution of the number of ballots drawn
instead, by dynamic programming over the number of w-votes among the ballots that are votes for w or l.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .alpha import alpha_p_values

QUANTILES = (0.25, 0.5, 0.75, 0.9, 0.99)  # the columns of BRAVO's Table 1
_NEGLIGIBLE = 1e-12  # probability mass left unfollowed by the dynamic programme


def bravo_p_values(x: np.ndarray, *, upper: float, N: int | None, null_mean: float, comparison: bool,
                   share: float | None) -> np.ndarray:
    if comparison:
        raise ValueError("BRAVO is a ballot-polling method; use betting, alpha or kaplan-markov for comparison")
    if abs(upper - 1.0) > 1e-12:
        raise ValueError(f"BRAVO takes the assorter values 0, 1/2 and 1 (upper = 1), got upper = {upper}")
    if share is None:
        raise ValueError("BRAVO needs share (the reported winner's share of the pair's votes), or reported_mean "
                         "when every ballot is a vote for one of the pair")
    return alpha_p_values(x, upper=upper, N=N, null_mean=null_mean, eta0=share, fixed_eta=True)


def _shares(p_w: float, p_l: float) -> float:
    if not (0 <= p_l and 0 < p_w and p_w + p_l <= 1 + 1e-12):
        raise ValueError(f"shares of all ballots must be non-negative and sum to at most 1, got {p_w}, {p_l}")
    if p_w <= p_l:
        raise ValueError(f"the reported winner's share ({p_w}) must exceed the loser's ({p_l})")
    return p_w / (p_w + p_l)


def wald_asn(p_w: float, p_l: float, risk_limit: float) -> float:
    """BRAVO's approximate average sample number (shares p_w, p_l of all ballots)."""
    s = _shares(p_w, p_l)
    z_w, z_l = math.log(2 * s), math.log(2 - 2 * s)
    return (math.log(1 / risk_limit) + z_w / 2) / (p_w * z_w + p_l * z_l)


@dataclass(frozen=True, slots=True)
class StoppingDistribution:
    """P(BRAVO stops after exactly m votes for w or l), m = 0, 1, …; `beyond` = mass not stopped by the end."""
    pmf: np.ndarray
    beyond: float
    pair_rate: float  # p_w + p_l: the chance a ballot is a vote for w or l

    def mean_ballots(self, cap: int) -> float:
        """E[min(ballots drawn, cap)] where unfinished audits count as `cap` (Wald: E[ballots] = E[m]/q)."""
        m = np.arange(len(self.pmf))
        return min(float(cap), float((self.pmf * m).sum() / self.pair_rate + self.beyond * cap))

    def cdf_ballots(self, d: int) -> float:
        """P(stopped within d ballots): Σ_m P(τ = m) · P(Binomial(d, q) ≥ m)."""
        m = np.arange(len(self.pmf))
        return float((self.pmf * stats.binom.sf(m - 1, d, self.pair_rate)).sum())

    def quantile_ballots(self, level: float, cap: int) -> int:
        """The smallest d ≤ cap with P(stopped within d ballots) ≥ level, else cap (a full count)."""
        if self.cdf_ballots(cap) < level:
            return cap
        lo, hi = 0, cap
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cdf_ballots(mid) >= level:
                hi = mid
            else:
                lo = mid + 1
        return lo


def stopping_distribution(p_w: float, p_l: float, risk_limit: float, *, max_pair_votes: int) -> StoppingDistribution:
    """Exact distribution of BRAVO's stopping time when the reported shares are true, sampling with replacement.

    Only votes for w or l move T, so the walk is over k (w-votes) among m such votes: T ≥ 1/α iff
    k ln(2s) + (m − k) ln(2 − 2s) ≥ ln(1/α). Mass far below the mean (beyond 1e-12 in all) is dropped.
    """
    s = _shares(p_w, p_l)
    if not 0 < risk_limit < 1:
        raise ValueError(f"the risk limit must lie in (0, 1), got {risk_limit}")
    z_w, z_l = math.log(2 * s), math.log(2 - 2 * s)
    target = math.log(1 / risk_limit)
    pmf = [0.0]
    alive = np.array([1.0])  # P(k w-votes and not yet stopped), k = offset .. offset + len − 1
    offset = 0
    dropped = 0.0
    for m in range(1, max_pair_votes + 1):
        nxt = np.zeros(len(alive) + 1)
        nxt[:-1] += alive * (1 - s)
        nxt[1:] += alive * s
        alive = nxt
        # smallest k with k z_w + (m − k) z_l ≥ target, with a hair of slack against rounding
        k_min = math.ceil((target - m * z_l) / (z_w - z_l) - 1e-9)
        cut = max(0, min(len(alive), k_min - offset))
        pmf.append(float(alive[cut:].sum()))
        alive = alive[:cut]
        # drop the far lower tail (w-votes so few the walk is hopeless): at most 1e-15 a step
        cum = np.cumsum(alive)
        lead = int(np.searchsorted(cum, 1e-15, side="right"))
        if lead:
            dropped += float(cum[lead - 1])
        alive = alive[lead:]
        offset += lead
        if alive.sum() < _NEGLIGIBLE:
            break
    return StoppingDistribution(np.array(pmf), float(alive.sum()) + dropped, p_w + p_l)
