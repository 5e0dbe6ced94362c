"""Where an audit stands: the risk of every assertion after the hand counts so far, each contest's state, and
the next round of draws.

A contest is *confirmed* when every one of its assertions has a risk at or below the limit; it *continues* while
some assertion's risk is above it; it goes to a *full count* when no sample can confirm it (a tie settled by lot,
no margin) or when the sample it would need passes the escalation share of its stations. A full count that is
complete decides the contest by the hand counts themselves: the reported winners are confirmed or overturned.

Round sizes use the seed's own sequence: the next round is the smallest number of further draws that would
confirm every assertion if their hand counts agree with the reported results (so a round with no discrepancy
ends the audit of that contest), computed exactly by running the risk functions on that hypothetical sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .batch import BatchDesign, StationAssertion, draw_weights, ratio_p_values, sampling_weights
from .cards import CastVoteRecord, card_draws, card_p_values, clean_cards_needed
from .cards import diluted_margin as card_margin
from .contest_counts import ContestCounts, contest_scores
from .hand_count import HandCount
from .plan import AuditSettings, Design, Drawn
from .polling import polling_draws, polling_p_values, wald_expected_draws
from .population import ContestPopulation
from .risk import RiskFunction
from .sampling import draw_pps


class State(str, Enum):
    CONFIRMED = "confirmed"
    CONTINUE = "continue"
    FULL_COUNT = "full count"


@dataclass(frozen=True, slots=True)
class AssertionRisk:
    name: str
    description: str
    risk: float
    p_values: tuple[float, ...] = ()  # after each counted draw

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "description": self.description, "risk": self.risk}


@dataclass(frozen=True, slots=True)
class ContestStatus:
    contest_id: str
    state: State
    risk: float  # the largest risk over the contest's assertions (1 before any evidence)
    assertions: tuple[AssertionRisk, ...] = ()
    drawn: int = 0  # distinct stations drawn for the sample
    counted: int = 0  # of those, hand-counted
    awaiting: tuple[str, ...] = ()  # stations to count before the risk can move (sample or complaint recounts)
    reason: str = ""
    outcome: str = ""  # after a complete full count: "confirmed" or "overturned"
    risk_by_draw: tuple[float, ...] = ()  # the contest's risk after each counted draw
    lost: tuple[str, ...] = ()  # stations of a full count whose materials could not be found

    def to_dict(self) -> dict[str, object]:
        return {"contest_id": self.contest_id, "state": self.state.value, "risk": self.risk,
                "drawn": self.drawn, "counted": self.counted, "awaiting": list(self.awaiting),
                "reason": self.reason, "outcome": self.outcome, "lost": list(self.lost),
                "assertions": [a.to_dict() for a in self.assertions], "risk_by_draw": list(self.risk_by_draw)}


# -- batch comparison: stations drawn with probability proportional to their error bound -----------------------

def station_assertions(pop: ContestPopulation, hand: Mapping[tuple[str, str], HandCount]) -> list[StationAssertion]:
    """The contest's assertions over its sampled stations, the counted complaint recounts in the margin."""
    cc, s = pop.reported, pop.sampled
    everyone = bool(s.all())
    stations = cc.stations if everyone else tuple(st for st, keep in zip(cc.stations, s) if keep)
    out = []
    for a in pop.assertions.assertions:
        sc = pop.scores[a.name]  # on the outcome counts: the recount rows hold their hand counts
        g, cards = (sc.g, sc.cards) if everyone else (sc.g[s], sc.cards[s])
        margin = int(g.sum()) + (int(sc.g[pop.recounted].sum()) if pop.recounted.any() else 0)
        out.append(StationAssertion(a.name, stations, g, cards, sc.lower, sc.upper_g, margin,
                                    tuple(sc.weights.tolist()), cc.choices, sc.other, sc.invalid))
    return out


def batch_weights(sas: Sequence[StationAssertion], selection: str = BatchDesign.PPEB.value) -> np.ndarray:
    """One sampling weight per station for all the contest's assertions: the largest share of an assertion's
    margin the station could hide (MACRO's u_p, Stark 2008), or 1 (uniform). Every assertion's test uses these
    same weights."""
    return sampling_weights(sas, BatchDesign(selection))


def batch_draws(pop: ContestPopulation, sas: Sequence[StationAssertion], seed: str, n: int,
                drop: int, selection: str = BatchDesign.PPEB.value) -> tuple[Drawn, ...]:
    """Draws drop+1 .. drop+n of the contest's sequence: successive sampling proportional to the exact weights."""
    exact = draw_weights(sas, BatchDesign(selection))
    stations = list(exact)
    n = max(0, min(n, sum(1 for w in exact.values() if w > 0) - drop))
    return tuple(Drawn(str(d.item_id), str(d.item_id), d.ticket)
                 for d in draw_pps(seed, stations, [exact[s] for s in stations], n, drop=drop))


def _batch_p(sa: StationAssertion, index: np.ndarray, omega: np.ndarray, weights: np.ndarray,
             risk_function: RiskFunction) -> np.ndarray:
    if sa.margin <= 0:
        return np.ones(len(index))
    if not len(index):
        return np.empty(0)
    rf = RiskFunction.KAPLAN_MARKOV if risk_function is RiskFunction.BRAVO else risk_function
    return ratio_p_values(sa.bound, sa.understatement, sa.margin, index, np.minimum(omega, sa.bound[index]),
                          weights=weights, risk_function=rf)


def counted_prefix(pop: ContestPopulation, drawn: Sequence[Drawn],
                   hand: Mapping[tuple[str, str], HandCount]) -> list[str]:
    """The drawn stations up to the first not yet counted: the sequential test reads the draws in order."""
    counted: list[str] = []
    for d in drawn:
        if (d.station_id, pop.contest_id) not in hand:
            break
        counted.append(d.station_id)
    return counted


def station_overstatements(pop: ContestPopulation, sas: Sequence[StationAssertion], stations: Sequence[str],
                           hand: Mapping[tuple[str, str], HandCount]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(index into the sampled stations, ω per assertion × station, bound broken per assertion × station) for
    hand-counted `stations`, every assertion at once: the hand counts as one matrix, scored by one product.
    Missing materials score the worst case ω = b; a count with more cards than the station's bound allowed
    breaks the bound (audit/batch.py)."""
    cc = pop.reported
    at_sampled = {st: i for i, st in enumerate(sas[0].stations)} if sas else {}
    index = np.array([at_sampled[s] for s in stations], dtype=np.int64)
    col = {c: j for j, c in enumerate(cc.choices)}
    votes = np.zeros((len(stations), len(cc.choices)), np.int64)
    ballots = np.zeros(len(stations), np.int64)
    missing = np.zeros(len(stations), bool)
    for r, s in enumerate(stations):
        h = hand[(s, pop.contest_id)]
        if h.missing:
            missing[r] = True
            continue
        for choice, v in h.votes.items():
            votes[r, col[choice]] = v
        ballots[r] = h.cards
    scored = contest_scores(pop.assertions.assertions, ContestCounts(cc.contest_id, tuple(stations), cc.choices,
                                                                     votes, ballots))
    omega = np.empty((len(sas), len(stations)), np.int64)
    broken = np.zeros((len(sas), len(stations)), bool)
    for k, (a, sa) in enumerate(zip(pop.assertions.assertions, sas)):
        sc = scored[a.name]
        bound = sa.bound[index]
        om = sa.reported[index] - sc.g
        omega[k] = np.where(missing, bound, om)
        broken[k] = ~missing & (sc.cards > sa.cards[index]) & (om > bound)
    return index, omega, broken


def batch_risks(pop: ContestPopulation, sas: Sequence[StationAssertion], weights: np.ndarray,
                drawn: Sequence[Drawn], hand: Mapping[tuple[str, str], HandCount],
                risk_function: RiskFunction) -> list[AssertionRisk]:
    counted = counted_prefix(pop, drawn, hand)
    index, omega, broken = station_overstatements(pop, sas, counted, hand)
    out = []
    for k, (a, sa) in enumerate(zip(pop.assertions.assertions, sas)):
        p = _batch_p(sa, index, omega[k], weights, risk_function)
        p = np.where(np.logical_or.accumulate(broken[k]), 1.0, p) if len(p) else p
        out.append(AssertionRisk(a.name, a.description, float(p[-1]) if len(p) else 1.0, tuple(map(float, p))))
    return out


def batch_needed(sas: Sequence[StationAssertion], weights: np.ndarray, order: np.ndarray, omega_seen: np.ndarray,
                 risk_limit: float, risk_function: RiskFunction, limit: int) -> int | None:
    """The fewest further stations, in `order` after the len(omega_seen[k]) already counted, that confirm every
    assertion if their counts agree with their sheets; None if `limit` stations do not."""
    seen = omega_seen.shape[1] if omega_seen.ndim == 2 else 0
    worst = 0
    for k, sa in enumerate(sas):
        if sa.margin <= 0:
            return None
        omega = np.concatenate([omega_seen[k] if seen else np.zeros(0, np.int64),
                                np.zeros(len(order) - seen, np.int64)])
        p = _batch_p(sa, order, omega, weights, risk_function)
        hit = np.flatnonzero(p[seen:] <= risk_limit) if len(p) > seen else np.zeros(0, np.int64)
        if not hit.size and seen and p[seen - 1] <= risk_limit:
            continue
        if not hit.size:
            return None
        worst = max(worst, int(hit[0]) + 1)
    return worst if worst <= limit else None


# -- the contest's state ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class ContestAudit:
    """Everything the status and the next round need for one contest (built per call; plain values inside)."""

    pop: ContestPopulation
    settings: AuditSettings
    drawn: tuple[Drawn, ...]
    escalated: str
    hand: Mapping[tuple[str, str], HandCount]
    cards: Mapping[str, CastVoteRecord] | None = None  # card-comparison: this contest's records by card id
    _sas: list[StationAssertion] | None = field(default=None)
    _weights: np.ndarray | None = field(default=None)
    _card_margins: dict[str, float] | None = field(default=None)

    def card_margins(self) -> dict[str, float]:
        """Each assertion's diluted margin over the cast-vote records."""
        if self._card_margins is None:
            records = list((self.cards or {}).values())
            self._card_margins = {a.name: card_margin(a, records) for a in self.pop.assertions.assertions}
        return self._card_margins

    @property
    def contest_id(self) -> str:
        return self.pop.contest_id

    def sas(self) -> list[StationAssertion]:
        if self._sas is None:
            self._sas = station_assertions(self.pop, self.hand)
            self._weights = batch_weights(self._sas, self.settings.selection)
        return self._sas

    def weights(self) -> np.ndarray:
        self.sas()
        return self._weights  # type: ignore[return-value]

    def full_count_reason(self) -> str:
        return self.escalated or self.pop.assertions.full_count

    def recounts_pending(self) -> tuple[str, ...]:
        cc = self.pop.reported
        return tuple(st for st, samp, rec in zip(cc.stations, self.pop.sampled, self.pop.recounted)
                     if not samp and not rec)

    def stations_drawn(self) -> list[str]:
        return list(dict.fromkeys(d.station_id for d in self.drawn))

    def risks(self) -> list[AssertionRisk]:
        design, rf = self.settings.design, self.settings.risk_function
        if design is Design.BATCH_COMPARISON:
            return batch_risks(self.pop, self.sas(), self.weights(), self.drawn, self.hand, rf)
        out = []
        if design is Design.CARD_COMPARISON:
            margins = self.card_margins()
            for a in self.pop.assertions.assertions:
                p = card_p_values(a, self.cards or {}, self.drawn, self.hand, margins[a.name], rf)
                out.append(AssertionRisk(a.name, a.description, float(p[-1]) if len(p) else 1.0,
                                         tuple(map(float, p))))
            return out
        for a in self.pop.assertions.assertions:
            p = polling_p_values(a, self.pop.scores[a.name], self.pop, self.drawn, self.hand, rf)
            out.append(AssertionRisk(a.name, a.description, float(p[-1]) if len(p) else 1.0, tuple(map(float, p))))
        return out


def contest_status(ca: ContestAudit) -> ContestStatus:
    pop, alpha = ca.pop, ca.settings.risk_limit
    stations = ca.stations_drawn()
    counted = [s for s in stations if (s, ca.contest_id) in ca.hand]
    awaiting_sample = tuple(s for s in stations if (s, ca.contest_id) not in ca.hand)
    reason = ca.full_count_reason()
    if reason:
        everyone = pop.reported.stations
        missing = [s for s in everyone if (s, ca.contest_id) not in ca.hand]
        lost = [s for s in everyone if (s, ca.contest_id) in ca.hand and ca.hand[(s, ca.contest_id)].missing]
        return ContestStatus(ca.contest_id, State.FULL_COUNT, 1.0, (), len(stations), len(counted),
                             tuple(missing), reason + (f"; {len(lost)} station(s) with missing materials"
                                                       if lost else ""), lost=tuple(lost))
    if not pop.assertions.assertions:
        return ContestStatus(ca.contest_id, State.CONFIRMED, 0.0, reason="no assertion is needed: "
                             "the outcome cannot change (every candidate wins, or none can)")
    pending = ca.recounts_pending()
    if pending:
        return ContestStatus(ca.contest_id, State.CONTINUE, 1.0, (), len(stations), len(counted),
                             pending + awaiting_sample,
                             f"{len(pending)} complaint recount(s) to count before the sample is read")
    risks = ca.risks()
    risk = max(r.risk for r in risks)
    length = max((len(r.p_values) for r in risks), default=0)
    table = np.ones((len(risks), length))
    for k, r in enumerate(risks):
        table[k, :len(r.p_values)] = r.p_values
    by_draw = tuple(table.max(axis=0).tolist()) if length else ()
    state = State.CONFIRMED if risk <= alpha else State.CONTINUE
    return ContestStatus(ca.contest_id, state, risk, tuple(risks), len(stations), len(counted), awaiting_sample,
                         "" if state is State.CONFIRMED else
                         (f"{len(awaiting_sample)} drawn station(s) still to count" if awaiting_sample else
                          "the risk is above the limit: draw another round"), risk_by_draw=by_draw)


def next_draws(ca: ContestAudit, seed: str, status: ContestStatus | None = None) -> tuple[tuple[Drawn, ...], str]:
    """(further draws, "" ) for a contest that continues with every drawn station counted, or ((), reason) to
    send it to a full count; ((), "") when it needs nothing now (confirmed, or awaiting counts). `status`: the
    contest's status when the caller has it already."""
    status = status or contest_status(ca)
    if status.state is not State.CONTINUE or status.awaiting:
        return (), ""
    design, alpha = ca.settings.design, ca.settings.risk_limit
    pop = ca.pop
    if design is Design.BATCH_COMPARISON:
        return _batch_round(ca, seed)
    if design is Design.CARD_COMPARISON:
        return _card_round(ca, seed)
    # ballot polling: Wald's estimate of the draws still needed, from the current risk
    ballots = pop.ballots
    limit = math.floor(ca.settings.escalate_at * ballots)
    done = len(ca.drawn)
    need = 0.0
    for a, r in zip(pop.assertions.assertions, ca.risks()):
        if r.risk <= alpha:
            continue
        asn = wald_expected_draws(pop.scores[a.name], pop, a, alpha)
        need = max(need, asn * math.log(max(r.risk, alpha) / alpha) / math.log(1 / alpha))
    k = max(1, math.ceil(need))
    if not math.isfinite(need) or done + k > limit:
        return (), (f"the ballots still needed pass {ca.settings.escalate_at:.0%} of the contest's "
                    f"{ballots} ballots")
    return polling_draws(pop, seed, k, done), ""


def first_draws(ca: ContestAudit, seed: str) -> tuple[tuple[Drawn, ...], str]:
    """Round 1 of a contest: the draws that confirm it if the counts agree (batch, exact on the seed's own
    sequence), or Wald's expected number (polling); or a full count."""
    if ca.full_count_reason():
        return (), ca.full_count_reason()
    if not ca.pop.assertions.assertions:
        return (), ""
    pop, alpha = ca.pop, ca.settings.risk_limit
    if ca.settings.design is Design.BATCH_COMPARISON:
        return _batch_round(ca, seed)
    if ca.settings.design is Design.CARD_COMPARISON:
        return _card_round(ca, seed)
    need = max(wald_expected_draws(pop.scores[a.name], pop, a, alpha) for a in pop.assertions.assertions)
    if not math.isfinite(need) or need > ca.settings.escalate_at * pop.ballots:
        return (), (f"the expected sample passes {ca.settings.escalate_at:.0%} of the contest's {pop.ballots} "
                    "ballots")
    return polling_draws(pop, seed, math.ceil(need), 0), ""


def _card_round(ca: ContestAudit, seed: str) -> tuple[tuple[Drawn, ...], str]:
    """The next cards: the fewest that confirm every assertion if they match their records (exact, on the
    seed's own sequence of cards), or a full count past the escalation share."""
    cards = ca.cards or {}
    limit = math.floor(ca.settings.escalate_at * len(cards))
    done = len(ca.drawn)
    margins = ca.card_margins()
    need = 0
    for a in ca.pop.assertions.assertions:
        k = clean_cards_needed(a, cards, ca.drawn, ca.hand, margins[a.name], ca.settings.risk_limit,
                               ca.settings.risk_function, max(limit - done, 0))
        if k is None:
            return (), (f"even if every further card matched its record, more than {ca.settings.escalate_at:.0%} "
                        f"of the contest's {len(cards):,} cards would be needed")
        need = max(need, k)
    return card_draws(list(cards.values()), seed, need, done), ""


def _batch_round(ca: ContestAudit, seed: str) -> tuple[tuple[Drawn, ...], str]:
    """The next stations: the fewest further draws of the seed's own sequence that confirm every assertion if
    their counts agree with their sheets (exact: the audit's test run on that hypothetical sample), or a full
    count when that passes the escalation share of the contest's stations."""
    pop, sas, w = ca.pop, ca.sas(), ca.weights()
    limit = math.floor(ca.settings.escalate_at * pop.stations)
    done = len(ca.drawn)
    if not done and any(sa.margin <= 0 for sa in sas):
        return (), "an assertion has no margin once the complaint recounts are in"
    if done and done >= limit:
        return (), f"the sample reached {done} of {pop.stations} stations without confirming the outcome"
    population = int((w > 0).sum())
    sequence = batch_draws(pop, sas, seed, min(population, limit) - done, done, ca.settings.selection) \
        if population > done else ()
    stations = [st for st, keep in zip(pop.reported.stations, pop.sampled) if keep]
    at = {st: i for i, st in enumerate(stations)}
    order = np.array([at[d.station_id] for d in (*ca.drawn, *sequence)], dtype=np.int64)
    seen = station_overstatements(pop, sas, [d.station_id for d in ca.drawn], ca.hand)[1] \
        if done else np.zeros((len(sas), 0), np.int64)
    k = batch_needed(sas, w, order, seen, ca.settings.risk_limit, ca.settings.risk_function, limit - done)
    if k is None:
        return (), (f"even if every further station agreed with its sheet, more than "
                    f"{ca.settings.escalate_at:.0%} of the contest's {pop.stations} stations would be needed"
                    if done else f"even with no discrepancy, confirming needs more than "
                    f"{ca.settings.escalate_at:.0%} of the contest's {pop.stations} stations")
    return tuple(sequence[:k]), ""
