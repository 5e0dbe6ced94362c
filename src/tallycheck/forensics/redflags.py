"""Sheet red flags: single-station patterns an observer checks first, each with a p-value and a reason.

Flags and their p-values (small = more suspicious; nan = the station could not be checked; 1 = not flagged):

- high-turnout: ballots/registered ≥ 99%. p = the share of checked stations whose turnout is at least this
  station's (its empirical upper-tail rank: valid if the station is exchangeable with the others).
- one-candidate: every valid vote for one candidate (from `t.votes`; without it, leader = share base), among
  stations with at least 10 valid votes. p = base rate: the share of checked stations so flagged.
- zero-invalid: no invalid ballot at turnout ≥ 90% (needs `t.invalid`). p = base rate among checked stations.
- arithmetic: the sheet does not add up (`t.arithmetic_ok` false). p = base rate among checked stations.
- dominant-candidate: one candidate holds at least 95% of the valid votes where more than 100 ballots were
  cast. p = base rate. The second audit trigger of the Afghan Electoral Complaints Commission's order of 8
  September 2009 ("any one Presidential candidate received 95 or greater of the total valid votes cast in a
  polling station (if the total number of votes cast exceeds 100)"; the ECC/IEC "Summary of audit process in
  response to ECC order of 8 September 2009", and Pajhwok, 5 October 2009). The top candidate is the
  station's own (any candidate), from `concentration` when given, else from `t.votes` (then a lower bound
  where the table holds only a contest's first choices, concentration.py).
- over-allocation: ballots cast at or above the ballots the station was allocated. p = base rate. The order's
  first trigger ("the total number of votes is equal to or greater than 600, which was the maximum number of
  ballots allocated to each polling station"). Off unless an allocation is given (a number for every station,
  or one per station, e.g. the sheets' `ballots_received`): a country's allocation is a fact of its election,
  not a default.
- round-totals: ballots or leader votes (counts ≥ 100) a multiple of 50 or 100. Each count scores 2 for a
  multiple of 100, 1 for another multiple of 50; under uniform last two digits a score is 2 or 1 with chance
  1/100 each, counts independent, and p = P(total score ≥ the station's): 1/100 for one multiple of 100,
  1/50 for one multiple of 50.

A base-rate p is the chance that a station drawn at random from the same table shows the flag; it is small
when the flag is rare, whatever the station's size. All flags are reasons to look, not findings: a small
village can vote unanimously, a clerk can mis-add honestly, and 1 station in 100 has a round total by chance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .concentration import VoteConcentration, from_table
from .stations import StationEvidence, StationTable

FLAGS = ("high-turnout", "one-candidate", "zero-invalid", "arithmetic", "round-totals", "dominant-candidate",
         "over-allocation")
ECC_DOMINANT_SHARE = Fraction(95, 100)  # ECC order of 8 September 2009 (module doc)
ECC_DOMINANT_MIN_BALLOTS = 100  # "if the total number of votes cast exceeds 100"


@dataclass(frozen=True, slots=True)
class RedFlags:
    """One `StationEvidence` per flag, in the order of FLAGS (methods "red-flag:<flag>")."""

    flags: tuple[StationEvidence, ...]

    def evidence(self) -> tuple[StationEvidence, ...]:
        return self.flags

    def flag(self, name: str) -> StationEvidence:
        return self.flags[FLAGS.index(name)]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per flag: how many stations were checked and how many were flagged."""
        return {name: {"checked": int((~np.isnan(e.p_value)).sum()), "flagged": int((e.p_value < 1).sum())}
                for name, e in zip(FLAGS, self.flags)}


def red_flags(t: StationTable, *, high_turnout: Fraction | str = Fraction(99, 100),
              zero_invalid_turnout: Fraction | str = Fraction(9, 10), one_candidate_min_votes: int = 10,
              round_min: int = 100, dominant_share: Fraction | str = ECC_DOMINANT_SHARE,
              dominant_min_ballots: int = ECC_DOMINANT_MIN_BALLOTS,
              concentration: VoteConcentration | None = None,
              allocation: int | np.ndarray | None = None) -> RedFlags:
    """Every red flag of every station of `t` (thresholds are exact fractions; "0.99" works too).
    `allocation`: ballots allocated to every station (an int) or to each (int64 per row; <= 0 where unknown);
    None: the over-allocation flag is not checked."""
    high = Fraction(high_turnout)
    low = Fraction(zero_invalid_turnout)
    return RedFlags((_high_turnout(t, high), _one_candidate(t, one_candidate_min_votes),
                     _zero_invalid(t, low), _arithmetic(t), _round_totals(t, round_min),
                     _dominant(t, Fraction(dominant_share), dominant_min_ballots, concentration),
                     _over_allocation(t, allocation)))


def _empty(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full(size, np.nan), np.full(size, "", dtype=object)


def _done(name: str, p: np.ndarray, reasons: np.ndarray) -> StationEvidence:
    p.flags.writeable = False
    reasons.flags.writeable = False
    return StationEvidence(f"red-flag:{name}", p, reasons)


def _at_least(ratio_num: np.ndarray, ratio_den: np.ndarray, threshold: Fraction) -> np.ndarray:
    return threshold.denominator * ratio_num >= threshold.numerator * ratio_den


def _share(k: int, n: int) -> str:
    x = 100 * k / n
    return f"{x:.0f}%" if x >= 10 else f"{x:.1f}%" if x >= 1 else f"{x:.2g}%"


def _high_turnout(t: StationTable, threshold: Fraction) -> StationEvidence:
    p, reasons = _empty(len(t))
    checked = np.flatnonzero(t.registered > 0)
    if not len(checked):
        return _done("high-turnout", p, reasons)
    turnout = t.ballots[checked] / t.registered[checked]  # equal ratios give equal doubles: ranks are exact
    p[checked] = 1.0
    flagged = _at_least(t.ballots[checked], t.registered[checked], threshold)
    ranked = np.sort(turnout)
    at_least_as_high = len(ranked) - np.searchsorted(ranked, turnout[flagged], side="left")
    p[checked[flagged]] = at_least_as_high / len(ranked)
    for i, share in zip(checked[flagged], p[checked[flagged]]):
        reasons[i] = (f"turnout {100 * t.ballots[i] / t.registered[i]:.1f}% (≥ {_pct(threshold)}); "
                      f"{_share(round(share * len(ranked)), len(ranked))} of stations are this high")
    return _done("high-turnout", p, reasons)


def _pct(x: Fraction) -> str:
    return f"{float(100 * x):g}%"


def _base_rate(name: str, size: int, checked: np.ndarray, flagged: np.ndarray,
               reason_of: Callable[[int], str]) -> StationEvidence:
    p, reasons = _empty(size)
    if len(checked):
        p[checked] = 1.0
        hits = checked[flagged]
        p[hits] = len(hits) / len(checked)
        for i in hits:
            reasons[i] = f"{reason_of(i)}; {_share(len(hits), len(checked))} of stations"
    return _done(name, p, reasons)


def _one_candidate(t: StationTable, min_votes: int) -> StationEvidence:
    if t.votes is not None and t.votes.shape[1] >= 2:
        total = t.votes.sum(axis=1)
        checked = np.flatnonzero(total >= max(min_votes, 1))
        top = t.votes[checked].argmax(axis=1)
        flagged = t.votes[checked, top] == total[checked]
        winner = dict(zip(checked.tolist(), top.tolist()))
        return _base_rate("one-candidate", len(t), checked, flagged,
                          lambda i: f"all {total[i]} valid votes for {t.candidates[winner[i]]}")
    checked = np.flatnonzero(t.share_base >= max(min_votes, 1))
    flagged = t.leader[checked] == t.share_base[checked]
    return _base_rate("one-candidate", len(t), checked, flagged,
                      lambda i: f"all {t.share_base[i]} votes for {t.leader_name}")


def _zero_invalid(t: StationTable, threshold: Fraction) -> StationEvidence:
    if t.invalid is None:
        p, reasons = _empty(len(t))
        return _done("zero-invalid", p, reasons)
    checked = np.flatnonzero(t.registered > 0)
    flagged = (t.invalid[checked] == 0) & _at_least(t.ballots[checked], t.registered[checked], threshold)
    return _base_rate("zero-invalid", len(t), checked, flagged,
                      lambda i: f"no invalid ballots at {100 * t.ballots[i] / t.registered[i]:.1f}% turnout "
                                f"(≥ {_pct(threshold)})")


def _arithmetic(t: StationTable) -> StationEvidence:
    if t.arithmetic_ok is None:
        p, reasons = _empty(len(t))
        return _done("arithmetic", p, reasons)
    checked = np.arange(len(t))
    flagged = ~np.asarray(t.arithmetic_ok, dtype=bool)
    return _base_rate("arithmetic", len(t), checked, flagged, lambda i: "the sheet does not add up")


def round_score_tail(scores: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """P(S ≥ score) for S the total of `eligible` independent counts each scoring 2 or 1 with chance 1/100."""
    out = np.ones(len(scores))
    one = np.array([0.98, 0.01, 0.01])  # one count: score 0, 1, 2
    for e in np.unique(eligible):
        dist = np.ones(1)
        for _ in range(int(e)):
            dist = np.convolve(dist, one)
        tail = np.minimum(np.cumsum(dist[::-1])[::-1], 1.0)  # tail[s] = P(S ≥ s)
        tail[0] = 1.0  # exactly: rounding must not flag a station with no round count
        rows = eligible == e
        out[rows] = tail[np.minimum(scores[rows], len(tail) - 1)] if e else 1.0
    return out


def _round_totals(t: StationTable, minimum: int) -> StationEvidence:
    p, reasons = _empty(len(t))
    counts = np.column_stack([t.ballots, t.leader]).astype(np.int64)
    names = ("ballots", t.leader_name or "leader")
    eligible = counts >= max(minimum, 1)
    score = np.where(eligible, np.where(counts % 100 == 0, 2, np.where(counts % 50 == 0, 1, 0)), 0)
    n_eligible = eligible.sum(axis=1)
    total = score.sum(axis=1)
    checked = n_eligible > 0
    p[checked] = round_score_tail(total[checked], n_eligible[checked])
    for i in np.flatnonzero(checked & (total > 0)):
        parts = [f"{names[j]} {counts[i, j]} is a multiple of {100 if score[i, j] == 2 else 50}"
                 for j in range(2) if score[i, j]]
        reasons[i] = "; ".join(parts)
    return _done("round-totals", p, reasons)


def _dominant(t: StationTable, share: Fraction, min_ballots: int,
             conc: VoteConcentration | None) -> StationEvidence:
    conc = from_table(t) if conc is None else conc
    checked = np.flatnonzero((t.ballots > min_ballots) & (conc.base > 0))
    flagged = _at_least(conc.top[checked], conc.base[checked], share)
    return _base_rate("dominant-candidate", len(t), checked, flagged,
                      lambda i: f"{conc.top[i]} of {conc.base[i]} valid votes "
                                f"({_share(conc.top[i], conc.base[i])}) "
                                f"for one candidate (≥ {_pct(share)}) with {t.ballots[i]} ballots cast")


def _over_allocation(t: StationTable, allocation: int | np.ndarray | None) -> StationEvidence:
    if allocation is None:
        p, reasons = _empty(len(t))
        return _done("over-allocation", p, reasons)
    allotted = np.broadcast_to(np.asarray(allocation, np.int64), (len(t),))
    checked = np.flatnonzero(allotted > 0)
    flagged = t.ballots[checked] >= allotted[checked]
    return _base_rate("over-allocation", len(t), checked, flagged,
                      lambda i: f"{t.ballots[i]} ballots cast, {allotted[i]} allocated")
