"""Ballot polling from a manifest: single ballots drawn from the stations of a contest and read by hand.

A contest's manifest is its sampled stations with their ballots cast; draw k is the card (station, k-th
ballot) with the k-th smallest ticket (audit/sampling.py `draw_ballots`: uniform, without replacement). Each
read ballot gives every assertion its assorter value; a drawn ballot that cannot be found scores 0, the worst
case for the reported winners.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .assertion import Assertion
from .contest_counts import Scores
from .hand_count import HandCount
from .plan import Drawn
from .population import ContestPopulation
from .risk import RiskFunction, p_values
from .sampling import draw_ballots


def ballot_item(station_id: str, k: int) -> str:
    return f"{station_id}#{k}"


def manifest(pop: ContestPopulation) -> dict[str, int]:
    cards = pop.reported.cards
    return {s: int(cards[i]) for i, s in enumerate(pop.reported.stations) if pop.sampled[i] and cards[i] > 0}


def polling_draws(pop: ContestPopulation, seed: str, n: int, drop: int = 0) -> tuple[Drawn, ...]:
    man = manifest(pop)
    n = min(n, sum(man.values()) - drop)
    return tuple(Drawn(ballot_item(d.station_id, d.ballot), d.station_id, d.ticket)
                 for d in draw_ballots(seed, man, max(n, 0), drop=drop))


def read_values(assertion: Assertion, drawn: Sequence[Drawn],
                hand: Mapping[tuple[str, str], HandCount]) -> np.ndarray:
    """Assorter values of the drawn ballots read so far, in draw order (stops at the first unread ballot)."""
    out = []
    for d in drawn:
        h = hand.get((d.station_id, assertion.contest_id))
        if h is None or (not h.missing and d.item not in h.reads):
            break
        out.append(0.0 if h.missing else float(assertion.assorter(h.reads[d.item])))
    return np.array(out, dtype=float)


def polling_p_values(assertion: Assertion, scores: Scores, pop: ContestPopulation, drawn: Sequence[Drawn],
                     hand: Mapping[tuple[str, str], HandCount], risk_function: RiskFunction) -> np.ndarray:
    x = read_values(assertion, drawn, hand)
    if not len(x):
        return x
    cards = int(pop.reported.cards[pop.sampled].sum())
    null = pop.sampled_null_mean(assertion.name)
    if null <= 0:  # the recounted stations alone confirm it
        return np.zeros(len(x))
    if null >= scores.upper:
        return np.ones(len(x))
    reported = reported_mean(scores, pop)
    tuning = {}
    if risk_function is RiskFunction.BRAVO:
        tuning["share"] = bravo_share(assertion, scores, pop)
    return p_values(x, risk_function=risk_function, upper=scores.upper, N=cards, null_mean=null,
                    reported_mean=reported, **tuning)


def reported_mean(scores: Scores, pop: ContestPopulation) -> float:
    """The mean assorter over the sampled stratum's cards, as reported."""
    s = pop.sampled
    cards = int(scores.cards[s].sum())
    return float(scores.assorter_num[s].sum()) / scores.denominator / cards if cards else 0.5


def _reported_cards(scores: Scores, pop: ContestPopulation) -> tuple[np.ndarray, np.ndarray, float, int]:
    """(assorter value per choice, sampled stratum's votes per choice, assorter value of a card without a valid
    vote, the stratum's cards), from the assertion's integer scores (no Fraction per choice)."""
    values = (scores.weights - scores.lower) / scores.denominator
    votes = pop.reported.votes[pop.sampled].sum(axis=0) if pop.reported.votes.size else np.zeros(len(values))
    blank_value = (scores.invalid - scores.lower) / scores.denominator
    return values, votes, blank_value, int(pop.reported.cards[pop.sampled].sum())


def bravo_share(assertion: Assertion, scores: Scores, pop: ContestPopulation) -> float:
    """BRAVO's s_w: for a pairwise assertion the winner's share of the pair's votes; in general the reported
    mean of the assorter among cards that are not worth 1/2 — for an assorter with values 0, 1/2, 1 these agree."""
    values, votes, _, _ = _reported_cards(scores, pop)
    win = float(votes[values > 0.5].sum())
    lose = float(votes[values < 0.5].sum())
    return win / (win + lose) if win + lose else 0.5


def wald_expected_draws(scores: Scores, pop: ContestPopulation, assertion: Assertion, risk_limit: float) -> float:
    """Wald's approximation of the draws a polling audit needs when the reported shares are right: ln(1/α)
    over the expected log-growth per draw of ALPHA with η fixed at the reported mean (BRAVO's ASN for a
    two-candidate assorter). inf when the reported mean is not above 1/2."""
    u = scores.upper
    eta = reported_mean(scores, pop)
    if eta <= 0.5:
        return math.inf
    per_choice, votes, blank_value, cards = _reported_cards(scores, pop)
    values = np.append(per_choice, blank_value)
    weights = np.append(votes, max(cards - votes.sum(), 0)).astype(float)
    weights /= weights.sum()
    eta = min(eta, u * (1 - 1e-9))
    growth = (values * eta / 0.5 + (u - values) * (u - eta) / (u - 0.5)) / u
    gain = float(np.sum(weights * np.log(np.maximum(growth, 1e-300))))
    return math.log(1 / risk_limit) / gain if gain > 0 else math.inf
