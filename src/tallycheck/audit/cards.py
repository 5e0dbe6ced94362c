"""Card-level comparison: cards drawn uniformly without replacement from a contest's cast-vote records, read by
hand, and compared with their records (SHANGRLA's overstatement assorter; Stark 2020, §3.2).

For an assertion with assorter a (upper bound u) and the CVRs' diluted margin v, a card whose record says a_cvr
and whose hand reading says a_hand has overstatement ω = a_cvr − a_hand and comparison value
B = (1 − ω/u)/(2 − v/u); the assertion holds iff the mean of B over the contest's cards exceeds 1/2 when the
records add up to the reported results (checked when the audit is planned). A drawn card that cannot be found
reads as a card with the worst vote for the reported winners: a_hand = 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .assertion import Assertion, ChoiceKey
from .hand_count import HandCount
from .plan import Drawn
from .risk import RiskFunction, comparison_upper, comparison_value, p_values
from .sampling import draw_uniform


@dataclass(frozen=True, slots=True)
class CastVoteRecord:
    card_id: str
    station_id: str
    contest_id: str
    choice: ChoiceKey | None  # None: no valid vote on this card for this contest
    row: int = 0  # its row in the CVR file


def cvr_tallies(cvrs: Sequence[CastVoteRecord]) -> dict[tuple[str, str], dict[ChoiceKey, int]]:
    """Votes per (station, contest) and choice, as the records say."""
    out: dict[tuple[str, str], dict[ChoiceKey, int]] = {}
    for r in cvrs:
        got = out.setdefault((r.station_id, r.contest_id), {})
        if r.choice is not None:
            got[r.choice] = got.get(r.choice, 0) + 1
    return out


def card_draws(cards: Sequence[CastVoteRecord], seed: str, n: int, drop: int = 0) -> tuple[Drawn, ...]:
    by_id = {c.card_id: c for c in cards}
    n = max(0, min(n, len(by_id) - drop))
    return tuple(Drawn(str(t.item_id), by_id[str(t.item_id)].station_id, t.number)
                 for t in draw_uniform(seed, sorted(by_id), n, drop=drop))


def diluted_margin(assertion: Assertion, cards: Sequence[CastVoteRecord]) -> float:
    """2 × mean assorter − 1 over the records (floats: statistics)."""
    if not cards:
        return 0.0
    total = sum(float(assertion.assorter(c.choice)) for c in cards)
    return 2 * total / len(cards) - 1


def comparison_values(assertion: Assertion, cards: Mapping[str, CastVoteRecord], drawn: Sequence[Drawn],
                      hand: Mapping[tuple[str, str], HandCount], v: float) -> np.ndarray:
    """B for each drawn card read so far, in draw order (stops at the first card not yet read)."""
    u = float(assertion.assorter_upper)
    out = []
    for d in drawn:
        h = hand.get((d.station_id, assertion.contest_id))
        if h is None or (not h.missing and d.item not in h.reads):
            break
        record = float(assertion.assorter(cards[d.item].choice))
        read = 0.0 if h.missing else float(assertion.assorter(h.reads[d.item]))
        out.append(comparison_value(record - read, u, v))
    return np.array(out, dtype=float)


def card_p_values(assertion: Assertion, cards: Mapping[str, CastVoteRecord], drawn: Sequence[Drawn],
                  hand: Mapping[tuple[str, str], HandCount], v: float, risk_function: RiskFunction,
                  extra_clean: int = 0) -> np.ndarray:
    """Running P-values; `extra_clean` appends that many hypothetical error-free cards (for round sizes)."""
    if v <= 0:
        return np.ones(len(drawn) + extra_clean)
    x = comparison_values(assertion, cards, drawn, hand, v)
    u = float(assertion.assorter_upper)
    if extra_clean:
        x = np.concatenate([x, np.full(extra_clean, 1 / (2 - v / u))])
    if not len(x):
        return x
    rf = RiskFunction.BETTING if risk_function is RiskFunction.BRAVO else risk_function
    return p_values(x, risk_function=rf, upper=comparison_upper(u, v), N=len(cards), comparison=True)


def clean_cards_needed(assertion: Assertion, cards: Mapping[str, CastVoteRecord], drawn: Sequence[Drawn],
                       hand: Mapping[tuple[str, str], HandCount], v: float, risk_limit: float,
                       risk_function: RiskFunction, limit: int) -> int | None:
    """The fewest further cards that confirm the assertion if they all match their records; None past `limit`."""
    seen = len(comparison_values(assertion, cards, drawn, hand, v))
    extra = max(16, math.ceil(math.log(1 / risk_limit) / max(v / 2, 1e-9)))
    while True:
        extra = min(extra, limit)
        p = card_p_values(assertion, cards, drawn[:seen], hand, v, risk_function, extra)
        if seen and p[seen - 1] <= risk_limit:
            return 0
        hit = np.flatnonzero(p[seen:] <= risk_limit)
        if hit.size:
            return int(hit[0]) + 1
        if extra >= limit:
            return None
        extra *= 2
