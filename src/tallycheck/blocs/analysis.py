"""Everything the blocs command and the report say about one parliament against each quota: the power indices,
the minimal winning and smallest blocking coalitions, what each alliance lacks, and who is pivotal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .coalitions import (AllianceNeeds, CoalitionList, Roles, alliance_needs, minimal_winning, player_order,
                         roles, smallest_blocking)
from .game import Game, Independents, PlayerKind
from .power import PowerIndices, power_indices
from .quota import blocking_seats

MAX_SIZE = 4  # coalitions of more members are counted, not listed, unless asked
LIMIT = 10  # coalitions listed per kind and quota


@dataclass(frozen=True, slots=True)
class QuotaAnalysis:
    quota: int
    blocking_seats: int
    power: PowerIndices
    minimal_winning: CoalitionList
    blocking: CoalitionList  # the blocking coalitions of the fewest members
    alliances: tuple[AllianceNeeds, ...]
    roles: Roles

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"quota": self.quota, "blocking_seats": self.blocking_seats}
        body.update(self.power.to_dict())
        body.update({
            "minimal_winning": [c.to_dict() for c in self.minimal_winning.coalitions],
            "minimal_winning_by_size": {str(k): str(v)
                                        for k, v in sorted(self.minimal_winning.by_size.items())},
            "minimal_winning_smallest": self.minimal_winning.smallest,
            "minimal_winning_complete": self.minimal_winning.complete,
            "blocking": [c.to_dict() for c in self.blocking.coalitions],
            "blocking_smallest": self.blocking.smallest,
            "blocking_complete": self.blocking.complete,
            "alliances": {a.name: a.to_dict() for a in self.alliances}})
        body.update(self.roles.to_dict())
        return body


@dataclass(frozen=True, slots=True)
class BlocsAnalysis:
    game: Game
    quotas: tuple[QuotaAnalysis, ...]
    independents: Independents
    order: tuple[str, ...] | None  # the players on the ordering that connected coalitions follow
    max_size: int
    limit: int

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {str(q.quota): q.to_dict() for q in self.quotas}
        body.update(self.game.to_dict())
        body.update({"independents": self.independents.value,
                     "order": list(self.order) if self.order is not None else None,
                     "connected": self.order is not None, "max_size": self.max_size, "limit": self.limit,
                     "quotas": [q.quota for q in self.quotas]})
        return body


def analyse(game: Game, quotas: Sequence[int], *, independents: Independents = Independents.SINGLE,
            order: Sequence[str] | None = None, max_size: int = MAX_SIZE, limit: int = LIMIT
            ) -> BlocsAnalysis:
    """The analysis of `game` for each quota (seats, 1..all). `order`: player names left to right (coalitions
    must then be connected on it; coalitions.player_order says how names are read)."""
    at = player_order(game, order) if order is not None else None
    power = power_indices(game, quotas)
    parts = []
    for q in dict.fromkeys(quotas):
        alliances = tuple(alliance_needs(game, p.name, q, max_size=max_size, limit=limit, order=at)
                          for p in game.players if p.kind is PlayerKind.ALLIANCE)
        parts.append(QuotaAnalysis(
            quota=q, blocking_seats=blocking_seats(game.seats, q), power=power[q],
            minimal_winning=minimal_winning(game, q, max_size=max_size, limit=limit, order=at),
            blocking=smallest_blocking(game, q, limit=limit, order=at), alliances=alliances,
            roles=roles(game, q, power[q].swings, order=at)))
    names = tuple(game.names[i] for i in at) if at is not None else None
    return BlocsAnalysis(game, tuple(parts), independents, names, max_size, limit)
