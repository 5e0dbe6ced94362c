"""Batch-level comparison audits with polling stations as batches: the hand count of a whole station against its
reported result, for one contest's assertions; MACRO as the reference method.

Units. For an assertion with per-card score g (assertion.py), station p's reported total is G_p^r and its hand
count G_p; the assertion holds iff Σ_p G_p > 0. Everything here is in integer multiples of 1/scale of g, so the
arithmetic that decides (bounds, margins, certainty) is exact. The *margin* M is Σ G^r over the sampled stations
plus Σ G (hand count) over the stations counted in full because of complaints: that stratum's counts replace its
reported results in the outcome, and it is outside the sampled population, so the sample stays valid.
With ω_p = G_p^r − G_p (the overstatement) and e_p = ω_p / M, the assertion is false only if Σ_p e_p ≥ 1
(Stark 2008, "A sharper discrepancy measure for post-election audits", Ann. Appl. Stat. 2(3)).
A station holds at most `cards` cards (its ballots cast, or its valid votes when the sheet does not add up), each
scoring at least `lower`, so ω_p ≤ b_p = G_p^r − lower·cards_p (the bound u_p = b_p / M), and the largest
understatement is upper·cards_p − G_p^r. A station whose materials cannot be found scores the worst case:
ω_p = b_p (taint 1). A hand count that finds more cards than the station's bound allows breaks the bound the
sample relied on; that assertion's P-value is 1 from then on (a full count decides).

MACRO (Stark 2008; Stark 2009, "Risk-limiting post-election audits: P-values from common probability
inequalities", IEEE TIFS 4(4)): e_p and u_p are the maxima across the assertions (across contests in the paper),
U = Σ u_p; stations are drawn with replacement with probability u_p/U (PPEB), and with taints t_j = e/u the
Kaplan-Markov P-value is Π_j (1 − 1/U)/(1 − t_j) (E t = Σe/U ≥ 1/U under the null).

tallycheck's design: per assertion, stations drawn WITHOUT replacement, successively with probability ∝ a
weight w_p (PPEB: w = b, the default; or uniform: w = 1). Before draw i the null "Σ e ≥ 1" gives the remaining
stations Σ_rem e ≥ 1 − Σ_drawn e, so X_i = e_{p_i}/w_{p_i} has conditional mean at least
μ_i = (1 − Σ_drawn e)/W_rem (ALPHA's per-draw null mean, Stark 2023, §2 and §4 on weighted sampling). With
c = max b/(M w) ≥ X, Y_i = c − X_i ≥ 0 has conditional mean at most m_i = c − μ_i, so r_i = Y_i/m_i ≥ 0 has
conditional mean at most 1 and any bet Π(1 + λ_i(r_i − 1)), λ_i ∈ [0, 1] predictable, is a test supermartingale.
The r_i go to risk.p_values as x = r/2 with null mean 1/2 and no replacement correction (it is already in
μ_i): Kaplan-Markov there (Π (t+g)/(x+g)) is the bet λ = 1/(1 + 2g); g = 0 is MACRO's all-in bet. The other
risk functions tune their bets from a fixed upper bound, so for them r is capped at R_CAP (a smaller value only
lowers the statistic, so validity holds). The sample also proves the assertion outright once the stations left
cannot hold the overstatement still needed: Σ_rem b < M − Σ_drawn ω (exact integers) gives P = 0.
One sample serves all of a contest's assertions: PPEB weights are w_p = max_a b_pa/M_a (MACRO's u_p), and
each assertion is then tested on its own overstatements (c_a ≤ 1), not on the maximum across assertions.
Why fewer stations than MACRO: no station is counted twice, the null mean rises as the large bounds leave the
population, the P-value reaches 0 when what is left cannot change the outcome, and no assertion carries the
errors of another.

Planning (`stations_needed`, `batches_needed`): the expected number of distinct stations to count when the hand
counts agree with the reported results. MACRO's is exact: n = ⌈ln α / ln(1 − 1/U)⌉ draws (Stark 2009) and
Σ_p 1 − (1 − u_p/U)^n distinct stations. The designs without replacement depend on the order drawn, so their
expectation is the mean over `reps` simulated draw orders (numpy, fixed seed: the same answer every run), each
run through the same P-value code as a real audit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

import numpy as np

from .assertion import Assertion, ChoiceKey
from .risk import RiskFunction, p_values

R_CAP = 4.0  # cap on r for risk functions that tune to an upper bound (betting, ALPHA)
_T = 0.5  # the null mean the ratio statistic is scaled to

HandTotal = tuple[Mapping[ChoiceKey, int], int] | None
"""A hand count of a station: (votes per choice, ballots counted), or None when its materials are missing."""


class BatchDesign(str, Enum):
    PPEB = "ppeb"        # tallycheck: without replacement, probability proportional to the error bound
    UNIFORM = "uniform"  # tallycheck: without replacement, every station equally likely
    MACRO = "macro"      # Stark's MACRO: with replacement, PPEB, Kaplan-Markov, max across assertions


DEFAULT_BATCH_DESIGN = BatchDesign.PPEB
DEFAULT_BATCH_RISK_FUNCTION = RiskFunction.KAPLAN_MARKOV
DEFAULT_G = 0.0
"""Kaplan-Markov's g for station batches: 0, MACRO's bet, the fewest stations when the counts agree. A missing
station (taint 1) then ends the hope of confirming by sample, as in MACRO; g > 0 bets less and survives it."""


def _scale(values: Sequence[Fraction]) -> int:
    return math.lcm(*(Fraction(v).denominator for v in values))


@dataclass(frozen=True, slots=True)
class StationAssertion:
    """One assertion over the sampled stations of a contest, in integer units of 1/scale of g."""

    name: str
    stations: tuple[str, ...]
    reported: np.ndarray  # int64 per station: scale × Σ g over the reported cards
    cards: np.ndarray     # int64 per station: the most cards it can hold
    lower: int            # scale × the least g of one card (negative)
    upper: int            # scale × the greatest g of one card
    margin: int           # Σ reported (sampled) + Σ hand counts (stratum counted in full)
    weights: tuple[int, ...]  # scale × g per choice, in the order of `choices`
    choices: tuple[ChoiceKey, ...]
    other: int
    invalid: int

    @property
    def bound(self) -> np.ndarray:
        """b_p: the largest overstatement station p can hide."""
        return self.reported - self.lower * self.cards

    @property
    def understatement(self) -> np.ndarray:
        """The largest understatement of station p (≥ 0)."""
        return self.upper * self.cards - self.reported

    def total(self, votes: Mapping[ChoiceKey, int], ballots: int) -> int:
        """scale × Σ g over a batch's cards (cards without a valid vote score `invalid`)."""
        at = dict(zip(self.choices, self.weights, strict=True))
        valid = sum(votes.values())
        g = sum(at.get(choice, self.other) * n for choice, n in votes.items())
        return g + self.invalid * (max(ballots, valid) - valid)


def station_assertion(assertion: Assertion, stations: Sequence[str], choices: Sequence[ChoiceKey],
                      votes: np.ndarray, ballots: np.ndarray, *,
                      counted: Sequence[tuple[Mapping[ChoiceKey, int], int]] = ()) -> StationAssertion:
    """The assertion over stations × choices (int matrix) and ballots cast per station; `counted` are the hand
    counts of the stations counted in full (not in `stations`), which enter the margin."""
    gs = [assertion.g(c) for c in choices]
    scale = _scale([*gs, assertion.other, assertion.invalid, assertion.lower, assertion.upper])
    w = np.array([int(g * scale) for g in gs], dtype=np.int64)
    votes = np.asarray(votes, dtype=np.int64).reshape(len(stations), len(choices))
    ballots = np.asarray(ballots, dtype=np.int64)
    valid = votes.sum(axis=1)
    cards = np.maximum(ballots, valid)
    invalid = int(assertion.invalid * scale)
    reported = votes @ w + invalid * (cards - valid)
    sa = StationAssertion(assertion.name, tuple(stations), reported, cards, int(assertion.lower * scale),
                          int(assertion.upper * scale), 0, tuple(int(x) for x in w), tuple(choices),
                          int(assertion.other * scale), invalid)
    margin = int(reported.sum()) + sum(sa.total(v, b) for v, b in counted)
    return StationAssertion(sa.name, sa.stations, sa.reported, sa.cards, sa.lower, sa.upper, margin, sa.weights,
                            sa.choices, sa.other, sa.invalid)


def overstatements(sa: StationAssertion, drawn: Sequence[str],
                   hand: Mapping[str, HandTotal]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(station indexes, ω per draw, bound broken per draw) for stations in draw order. Missing materials
    (None) are the worst case ω = b."""
    at = {s: i for i, s in enumerate(sa.stations)}
    index = np.array([at[s] for s in drawn], dtype=np.int64)
    bound = sa.bound
    omega = np.empty(len(drawn), dtype=np.int64)
    broken = np.zeros(len(drawn), dtype=bool)
    for k, (s, i) in enumerate(zip(drawn, index, strict=True)):
        counted = hand[s]
        if counted is None:
            omega[k] = bound[i]
            continue
        votes, ballots = counted
        cards = max(ballots, sum(votes.values()))
        omega[k] = int(sa.reported[i]) - sa.total(votes, ballots)
        broken[k] = cards > sa.cards[i] and omega[k] > bound[i]
    return index, omega, broken


def _rows(a: np.ndarray) -> np.ndarray:
    return a[None, :] if a.ndim == 1 else a


def ratio_p_values(bound: np.ndarray, understatement: np.ndarray, margin: int, order: np.ndarray,
                   omega: np.ndarray, *, weights: np.ndarray | None = None,
                   risk_function: RiskFunction | str = DEFAULT_BATCH_RISK_FUNCTION, **tuning) -> np.ndarray:
    """Running P-values of tallycheck's without-replacement design (module docstring), vectorised.

    bound, understatement: int per station; order: station indexes in draw order (1-D, or one audit per row);
    omega: observed overstatement per draw (same shape, each ≤ its station's bound); weights: the sampling
    weights (default: the bounds, PPEB). Stations with weight 0 must have bound 0."""
    if margin <= 0:
        raise ValueError(f"the margin must be positive (else the reported outcome fails this assertion), "
                         f"got {margin}")
    one_d = np.ndim(order) == 1
    order, omega = _rows(np.asarray(order)), _rows(np.asarray(omega, dtype=np.int64))
    bound = np.asarray(bound, dtype=np.int64)
    w = bound.astype(float) if weights is None else np.asarray(weights, dtype=float)
    if np.any((w <= 0) & (bound > 0)):
        raise ValueError("every station that can hide an overstatement needs a positive sampling weight")
    scaled = np.where(w > 0, 1.0 / np.where(w > 0, w, 1.0), 0.0) / margin  # 1/(M w)
    c = float(np.max(bound * scaled))
    x_low = -float(np.max(np.asarray(understatement) * scaled))
    w_drawn = w[order]
    w_rem = w.sum() - (np.cumsum(w_drawn, axis=1) - w_drawn)
    e = omega / margin
    need = 1.0 - (np.cumsum(e, axis=1) - e)
    mu = need / np.where(w_rem > 0, w_rem, 1.0)
    x = np.clip(omega * scaled[order], x_low, c)
    m = c - mu
    y = c - x
    y = np.where(y < 1e-12 * c, 0.0, y)  # a taint of 1 computed through floats: exactly 0, not 1e-16
    ratio = np.where(m > 0, y / np.where(m > 0, m, 1.0), 1.0)
    rf = RiskFunction(risk_function)
    if rf is RiskFunction.KAPLAN_MARKOV:
        tuning.setdefault("g", DEFAULT_G)
        upper = max(2.0, float(ratio.max())) * _T * (1 + 1e-9)
    else:
        ratio = np.minimum(ratio, R_CAP)
        upper = R_CAP * _T
        tuning.setdefault("reported_mean", min(upper, _T * float(np.max(ratio[:, :1]))))
    reported_mean = tuning.pop("reported_mean", None)
    p = p_values(ratio * _T, risk_function=rf, upper=upper, N=None, null_mean=_T, reported_mean=reported_mean,
                 **tuning)
    # exact: the stations left cannot hold the overstatement still needed
    left = int(bound.sum()) - np.cumsum(bound[order], axis=1)
    still_needed = margin - np.cumsum(omega, axis=1)
    certain = np.logical_or.accumulate(left < still_needed, axis=1)
    p = np.where(certain, 0.0, p)
    return p[0] if one_d else p


def macro_bounds(assertions: Sequence[StationAssertion]) -> np.ndarray:
    """u_p = max over the assertions of b_p/M (MACRO's bound on the relative overstatement), as floats."""
    return np.max([sa.bound / sa.margin for sa in assertions], axis=0)


def macro_p_values(u: np.ndarray, u_low: np.ndarray, order: np.ndarray, e: np.ndarray) -> np.ndarray:
    """MACRO's Kaplan-Markov P-values, vectorised: u, u_low per station (bound and largest relative
    understatement), order: stations drawn with replacement, e: the maximum relative overstatement per draw."""
    total = float(np.sum(u))
    one_d = np.ndim(order) == 1
    order, e = _rows(np.asarray(order)), _rows(np.asarray(e, dtype=float))
    if total < 1:  # even every station at its bound cannot overturn the outcome
        p = np.zeros(e.shape)
        return p[0] if one_d else p
    taint = np.minimum(e / u[order], 1.0)
    upper = 1.0 + float(np.max(np.where(u > 0, u_low / np.where(u > 0, u, 1.0), 0.0)))
    x = np.clip(1.0 - taint, 0.0, upper)
    null = 1.0 - 1.0 / total
    if null <= 0:  # U = 1 exactly: the null needs every station at its bound; any taint below 1 refutes it
        p = np.where(np.logical_or.accumulate(taint < 1, axis=1), 0.0, 1.0)
    else:
        p = p_values(x, risk_function=RiskFunction.KAPLAN_MARKOV, upper=upper, N=None, null_mean=null, g=0.0)
    return p[0] if one_d else p


@dataclass(frozen=True, slots=True)
class BatchRisk:
    """One assertion's running P-value after each draw, and what the sample showed."""

    name: str
    p_values: tuple[float, ...]
    observed: Fraction  # Σ ω over the drawn stations / M: 1 or more shows the reported outcome wrong
    bound_broken: tuple[str, ...]  # stations whose hand count holds more cards than their bound allowed

    @property
    def p_value(self) -> float:
        return self.p_values[-1] if self.p_values else 1.0


def batch_comparison(assertions: Sequence[StationAssertion], drawn: Sequence[str],
                     hand: Mapping[str, HandTotal], *, design: BatchDesign | str = DEFAULT_BATCH_DESIGN,
                     risk_function: RiskFunction | str = DEFAULT_BATCH_RISK_FUNCTION,
                     **tuning) -> tuple[BatchRisk, ...]:
    """The running risk of each assertion after the stations `drawn` (in draw order; with repeats under MACRO)
    were counted by hand. All assertions must be over the same stations."""
    design = BatchDesign(design)
    if not assertions:
        return ()
    stations = assertions[0].stations
    if any(sa.stations != stations for sa in assertions):
        raise ValueError("the assertions of one batch audit must be over the same stations")
    out = []
    if design is BatchDesign.MACRO:
        u = macro_bounds(assertions)
        low = np.max([sa.understatement / sa.margin for sa in assertions], axis=0)
        parts = [overstatements(sa, drawn, hand) for sa in assertions]
        index = parts[0][0]
        e = np.max([omega / sa.margin for sa, (_, omega, _) in zip(assertions, parts, strict=True)], axis=0)
        p = macro_p_values(u, low, index, e) if len(drawn) else np.empty(0)
        broken = np.logical_or.reduce([b for _, _, b in parts]) if len(drawn) else np.zeros(0, bool)
        p = np.where(np.logical_or.accumulate(broken), 1.0, p) if len(drawn) else p
        for sa, (_, omega, b) in zip(assertions, parts, strict=True):
            distinct = dict(zip(drawn, omega.tolist(), strict=True))
            out.append(BatchRisk(sa.name, tuple(float(v) for v in p), Fraction(sum(distinct.values()), sa.margin),
                                 tuple(s for s, flag in zip(drawn, b, strict=True) if flag)))
        return tuple(out)
    if len(set(drawn)) != len(drawn):
        raise ValueError("tallycheck's batch designs draw each station at most once")
    for sa in assertions:
        index, omega, broken = overstatements(sa, drawn, hand)
        if sa.margin <= 0:
            p = np.ones(len(drawn))
        elif len(drawn):
            weights = sampling_weights(assertions, design)
            p = ratio_p_values(sa.bound, sa.understatement, sa.margin, index, np.minimum(omega, sa.bound[index]),
                               weights=weights, risk_function=risk_function, **dict(tuning))
            p = np.where(np.logical_or.accumulate(broken), 1.0, p)
        else:
            p = np.empty(0)
        out.append(BatchRisk(sa.name, tuple(float(v) for v in p), Fraction(int(omega.sum()), max(sa.margin, 1)),
                             tuple(s for s, flag in zip(drawn, broken, strict=True) if flag)))
    return tuple(out)


def sampling_weights(assertions: Sequence[StationAssertion], design: BatchDesign | str) -> np.ndarray:
    """Each station's chance of being drawn next is proportional to this (floats; `draw_weights` gives the
    exact values the public draw uses). Stations that cannot hide an overstatement of any assertion get 0."""
    design = BatchDesign(design)
    live = [sa for sa in assertions if sa.margin > 0]
    if not live:
        return np.zeros(len(assertions[0].stations) if assertions else 0)
    if design is BatchDesign.UNIFORM:
        return np.any([sa.bound > 0 for sa in live], axis=0).astype(float)
    return macro_bounds(live)


def draw_weights(assertions: Sequence[StationAssertion], design: BatchDesign | str) -> dict[str, Fraction]:
    """Exact sampling weights per station id, for sampling.draw_pps (PPEB: max_a b_pa/M_a; uniform: 1).

    The maximum is found in floats and then settled exactly among the assertions within float rounding of it,
    so one Fraction is built per station rather than one per station and assertion."""
    design = BatchDesign(design)
    live = [sa for sa in assertions if sa.margin > 0]
    stations = assertions[0].stations if assertions else ()
    if not live:
        return {station: Fraction(0) for station in stations}
    ratios = np.array([np.maximum(sa.bound, 0) / sa.margin for sa in live])  # assertions × stations
    top = ratios.max(axis=0)
    out: dict[str, Fraction] = {}
    for i, station in enumerate(stations):
        if top[i] <= 0:
            out[station] = Fraction(0)
        elif design is BatchDesign.UNIFORM:
            out[station] = Fraction(1)
        else:
            near = np.flatnonzero(ratios[:, i] >= top[i] * (1 - 1e-9))
            out[station] = max(Fraction(int(live[k].bound[i]), live[k].margin) for k in near)
    return out


def macro_draws(assertions: Sequence[StationAssertion], risk_limit: float) -> int:
    """MACRO's number of draws when no errors are found: ⌈ln α / ln(1 − 1/U)⌉ (Stark 2009)."""
    total = float(np.sum(macro_bounds(assertions)))
    if total < 1:
        return 0
    if total == 1:
        return 1
    return math.ceil(math.log(risk_limit) / math.log1p(-1.0 / total))


def stations_needed(assertions: Sequence[StationAssertion], risk_limit: float, *,
                    design: BatchDesign | str = DEFAULT_BATCH_DESIGN,
                    risk_function: RiskFunction | str = DEFAULT_BATCH_RISK_FUNCTION, reps: int = 200,
                    seed: int = 20211010, **tuning) -> float:
    """The expected number of distinct stations to count by hand when every count agrees with its report
    (module docstring: exact for MACRO, else the mean over `reps` draw orders with a fixed seed). An assertion
    whose margin is not positive needs every station."""
    if not 0 < risk_limit < 1:
        raise ValueError(f"the risk limit is a fraction in (0, 1), got {risk_limit}")
    design = BatchDesign(design)
    if not assertions:
        return 0.0
    n_stations = len(assertions[0].stations)
    if any(sa.margin <= 0 for sa in assertions):
        return float(n_stations)
    if design is BatchDesign.MACRO:
        n = macro_draws(assertions, risk_limit)
        u = macro_bounds(assertions)
        share = u / u.sum()
        return float(np.sum(-np.expm1(n * np.log1p(-np.minimum(share, 1.0)))))
    weights = sampling_weights(assertions, design)
    live = np.flatnonzero(weights > 0)
    if len(live) == 0:
        return 0.0
    rng = np.random.default_rng(seed)
    keys = rng.exponential(size=(reps, len(live))) / weights[live]  # successive sampling ∝ weight
    depth = min(len(live), max(8, 2 * macro_draws(assertions, risk_limit)))
    while True:
        if depth < len(live):
            part = np.argpartition(keys, depth - 1, axis=1)[:, :depth]
        else:
            part = np.broadcast_to(np.arange(len(live)), keys.shape)
        order = np.take_along_axis(part, np.argsort(np.take_along_axis(keys, part, axis=1), axis=1), axis=1)
        order = live[order]
        needed = np.zeros(reps, dtype=np.int64)
        done = np.ones(reps, dtype=bool)
        for sa in assertions:
            p = ratio_p_values(sa.bound, sa.understatement, sa.margin, order, np.zeros(order.shape, np.int64),
                               weights=weights, risk_function=risk_function, **dict(tuning))
            hit = p <= risk_limit
            found = hit.any(axis=1)
            done &= found
            needed = np.maximum(needed, np.where(found, hit.argmax(axis=1) + 1, depth))
        if done.all() or depth == len(live):
            return float(np.where(done, needed, n_stations).mean())
        depth = min(len(live), depth * 2)


@dataclass(frozen=True, slots=True)
class PairBatch:
    """One row of a BATCHES.csv: a station's ballots and the votes of the reported winner and loser."""

    batch_id: str
    ballots: int
    winner_votes: int
    loser_votes: int


def pair_assertion(batches: Sequence[PairBatch]) -> StationAssertion:
    """"The winner has more votes than the loser" over the batches (g = +1, −1, 0 for anything else)."""
    winner, loser = ("winner", ""), ("loser", "")
    assertion = Assertion("", "winner>loser", "the reported winner has more votes than the reported loser",
                          ((winner, Fraction(1)), (loser, Fraction(-1))))
    votes = np.array([[b.winner_votes, b.loser_votes] for b in batches], dtype=np.int64).reshape(-1, 2)
    ballots = np.array([b.ballots for b in batches], dtype=np.int64)
    return station_assertion(assertion, [b.batch_id for b in batches], (winner, loser), votes, ballots)


def batches_needed(batches: Sequence[PairBatch], risk_limit: float, *,
                   design: BatchDesign | str = DEFAULT_BATCH_DESIGN,
                   risk_function: RiskFunction | str = DEFAULT_BATCH_RISK_FUNCTION, reps: int = 200,
                   seed: int = 20211010, **tuning) -> int:
    """Distinct stations expected to be counted (rounded up) for a two-candidate comparison with no errors:
    the `audit sample-size --design batch-comparison` calculator. A tie or a reversed margin needs them all."""
    if not batches:
        return 0
    sa = pair_assertion(batches)
    if sa.margin <= 0:
        return len(batches)
    expected = stations_needed([sa], risk_limit, design=design, risk_function=risk_function, reps=reps,
                               seed=seed, **tuning)
    return min(len(batches), math.ceil(expected - 1e-9))
