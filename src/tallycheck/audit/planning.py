"""The audit plan: per contest and in total, the stations and ballots to expect to count by hand.

Before the seed exists the sample is unknown, so the batch design's expectation is simulated: `SIMULATIONS`
random orders with the design's own probabilities (successive sampling proportional to the error bound;
numpy's generator, seeded — simulation only), each read as if every count agreed with its sheet at the planned
error rate, and the distinct stations needed averaged. Ballot polling uses Wald's approximation of the average
sample number (BRAVO's ASN for a two-candidate assertion). A contest that cannot be confirmed short of the
escalation share is planned as a full count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .cards import CastVoteRecord
from .cards import diluted_margin as card_margin
from .hand_count import HandCount
from .plan import AssertionPlan, AuditPlan, AuditSettings, ContestPlan, Design, contest_names, contests_in_order, \
    seats_of
from .polling import wald_expected_draws
from .population import ContestPopulation, Population
from .batch import ratio_p_values
from .progress import ContestAudit
from .risk import RiskFunction
from .sample_size import card_comparison_sample_size

SIMULATIONS = 8
PLANNING_SEED = 20211010  # simulation only: the audit's own sample comes from the public seed
TIGHTEST = 6  # assertions per contest simulated (the smallest margins decide the sample)


def _planned_omega(sa, error_rate: float) -> np.ndarray:
    """Overstatement per station at the planned error rate: that share of its cards moved from the reported
    winner's side by one unit of g (a 1-vote overstatement of a pairwise assertion), within its bound."""
    if error_rate <= 0:
        return np.zeros(len(sa.stations), np.int64)
    unit = max(1, -sa.lower)
    return np.minimum(np.floor(error_rate * sa.cards * unit).astype(np.int64), np.maximum(sa.bound, 0))


def _batch_plan(ca: ContestAudit, rng: np.random.Generator) -> tuple[float, float, dict[str, float], str]:
    pop, st = ca.pop, ca.settings
    sas, w = ca.sas(), ca.weights()
    limit = max(1, math.floor(st.escalate_at * pop.stations))
    if any(sa.margin <= 0 for sa in sas):
        return 0, 0, {}, "an assertion has no margin"
    tight = sorted(range(len(sas)), key=lambda k: sas[k].margin / max(1, int(sas[k].bound.sum())))[:TIGHTEST]
    positive = np.flatnonzero(w > 0)
    # successive sampling proportional to w (Efraimidis & Spirakis 2006): one simulated audit per row
    keys = -np.log(rng.random((SIMULATIONS, len(positive)))) / w[positive]
    orders = positive[np.argsort(keys, axis=1)][:, :limit]
    needed = np.zeros(SIMULATIONS, np.int64)
    per: dict[str, float] = {}
    rf = RiskFunction.KAPLAN_MARKOV if st.risk_function is RiskFunction.BRAVO else st.risk_function
    for k in tight:
        sa = sas[k]
        omega = _planned_omega(sa, st.error_rate)[orders]
        p = ratio_p_values(sa.bound, sa.understatement, sa.margin, orders, omega, weights=w, risk_function=rf)
        hit = p <= st.risk_limit
        if not hit.any(axis=1).all():
            return 0, 0, {}, (f"at the planned error rate, confirming needs more than {st.escalate_at:.0%} "
                              f"of the contest's {pop.stations} stations")
        first = hit.argmax(axis=1) + 1
        per[sa.name] = float(first.mean())
        needed = np.maximum(needed, first)
    cards = sas[0].cards
    ballots = [int(cards[orders[i, :needed[i]]].sum()) for i in range(SIMULATIONS)]
    return float(needed.mean()), float(np.mean(ballots)), per, ""


def _card_plan(pop: ContestPopulation, settings: AuditSettings, cards: Mapping[str, CastVoteRecord]
               ) -> tuple[float, float, dict[str, float], str]:
    """Cards expected (the calculator's deterministic sequence at the planned error rate, without replacement)
    and the stations they touch."""
    records = list(cards.values())
    n_cards = len(records)
    per: dict[str, float] = {}
    for a in pop.assertions.assertions:
        v = card_margin(a, records)
        if v <= 0:
            return 0, 0, {}, "an assertion has no margin in the cast-vote records"
        rf = RiskFunction.BETTING if settings.risk_function is RiskFunction.BRAVO else settings.risk_function
        per[a.name] = card_comparison_sample_size(v, settings.risk_limit, error_rate=settings.error_rate,
                                                  risk_function=rf, cards=n_cards,
                                                  assorter_upper=float(a.assorter_upper))
    need = max(per.values(), default=0)
    if need > settings.escalate_at * n_cards:
        return 0, 0, per, f"the expected sample passes {settings.escalate_at:.0%} of the contest's cards"
    by_station: dict[str, int] = {}
    for r in records:
        by_station[r.station_id] = by_station.get(r.station_id, 0) + 1
    return _stations_touched(np.array(list(by_station.values()), dtype=float), need), float(need), per, ""


def plan_audit(population: Population, settings: AuditSettings,
               hand: Mapping[tuple[str, str], HandCount] | None = None,
               cards: Mapping[str, Mapping[str, CastVoteRecord]] | None = None) -> AuditPlan:
    hand = hand or {}
    names, seats = contest_names(population), seats_of(population)
    rng = np.random.Generator(np.random.PCG64(PLANNING_SEED))
    plans = []
    for pop in contests_in_order(population):
        ca = ContestAudit(pop, settings, (), "", hand)
        margins = {a.name: pop.scores[a.name].diluted_margin_float for a in pop.assertions.assertions}
        reason = pop.assertions.full_count
        exp_st, exp_b, per = 0.0, 0.0, {}
        if not reason and pop.assertions.assertions:
            if settings.design is Design.BATCH_COMPARISON:
                exp_st, exp_b, per, reason = _batch_plan(ca, rng)
            elif settings.design is Design.CARD_COMPARISON:
                exp_st, exp_b, per, reason = _card_plan(pop, settings, (cards or {}).get(pop.contest_id, {}))
            else:
                per = {a.name: wald_expected_draws(pop.scores[a.name], pop, a, settings.risk_limit)
                       for a in pop.assertions.assertions}
                need = max(per.values())
                if not math.isfinite(need) or need > settings.escalate_at * pop.ballots:
                    reason = f"the expected sample passes {settings.escalate_at:.0%} of the contest's ballots"
                else:
                    exp_b = need
                    exp_st = _stations_touched(pop.reported.cards[pop.sampled].astype(float), need)
        if reason:
            exp_st, exp_b = float(pop.stations), float(pop.ballots)
        plans.append(ContestPlan(
            pop.contest_id, names.get(pop.contest_id, pop.contest_id), seats.get(pop.contest_id, 0), pop.stations,
            pop.ballots, int((~pop.sampled).sum()), reason,
            tuple(AssertionPlan(a.name, a.description, a.reason, margins[a.name],
                                math.ceil(per[a.name]) if a.name in per and math.isfinite(per[a.name]) else 0)
                  for a in pop.assertions.assertions),
            math.ceil(exp_st), math.ceil(exp_b), min(margins.values(), default=0.0)))
    return AuditPlan(settings, tuple(plans))


def _stations_touched(cards: np.ndarray, draws: float) -> float:
    """Expected distinct stations visited when `draws` cards are drawn uniformly from stations holding
    `cards` each."""
    total = cards.sum()
    if total <= 0:
        return 0.0
    return float(np.sum(1 - (1 - cards / total) ** draws))
