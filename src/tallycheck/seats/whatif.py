"""What-ifs: the seats if some polling stations are struck out, or if a recount's version replaces a count.

Both come down to two allocations of the same election and a comparison: `compare(before, after)` says,
contest by contest, who lost a seat, who gained one and who kept theirs, and how each party's seats moved.
Striking stations out removes their result rows before the totals are made (seats/allocate.py, `annulled`); a
recount is another snapshot version of the same package (`Store.load(version)`), allocated under the same law,
seed and tie rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..model import ElectionData, Law
from ..tabulate import Tabulation
from .allocate import allocate
from .result import ContestSeats, Seat, SeatResult
from .ties import Lot, TieRule

__all__ = ["ContestChange", "PartyChange", "SeatChanges", "WhatIf", "annul_stations", "compare",
           "compare_versions", "unknown_stations"]


@dataclass(frozen=True, slots=True)
class ContestChange:
    """One contest before and after: `out` held a seat before and not after, `entered` the reverse, `kept`
    held one both times."""

    contest_id: str
    name: str
    out: tuple[Seat, ...]  # as seated before
    entered: tuple[Seat, ...]  # as seated after
    kept: tuple[str, ...]  # candidate ids, in the seat order after
    votes_before: dict[str, int]  # of the candidates in `out` and `entered`
    votes_after: dict[str, int]

    @property
    def changed(self) -> bool:
        return bool(self.out or self.entered)

    def to_dict(self) -> dict[str, Any]:
        def seat(s: Seat) -> dict[str, Any]:
            return {"candidate_id": s.candidate_id, "name": s.name, "party": s.party, "via": s.via.value,
                    "votes_before": self.votes_before.get(s.candidate_id, 0),
                    "votes_after": self.votes_after.get(s.candidate_id, 0)}
        return {"contest_id": self.contest_id, "name": self.name, "out": [seat(s) for s in self.out],
                "in": [seat(s) for s in self.entered], "kept": list(self.kept)}


@dataclass(frozen=True, slots=True)
class PartyChange:
    party: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before

    def to_dict(self) -> dict[str, Any]:
        return {"party": self.party, "before": self.before, "after": self.after, "change": self.change}


@dataclass(frozen=True, slots=True)
class SeatChanges:
    """Every contest (in contest order) and every party with seats before or after (largest loss or gain
    first)."""

    contests: tuple[ContestChange, ...]
    parties: tuple[PartyChange, ...]

    @property
    def changed(self) -> tuple[ContestChange, ...]:
        return tuple(c for c in self.contests if c.changed)

    @property
    def unchanged(self) -> tuple[str, ...]:
        return tuple(c.contest_id for c in self.contests if not c.changed)

    @property
    def seats_changed(self) -> int:
        """Seats whose holder differs: every such seat has one holder out and one in."""
        return sum(max(len(c.out), len(c.entered)) for c in self.contests)

    def to_dict(self) -> dict[str, Any]:
        return {"seats_changed": self.seats_changed, "contests_changed": [c.to_dict() for c in self.changed],
                "contests_unchanged": list(self.unchanged), "parties": [p.to_dict() for p in self.parties]}


def _contest_change(before: ContestSeats, after: ContestSeats) -> ContestChange:
    was = {s.candidate_id for s in before.winners if s.candidate_id}
    now = {s.candidate_id for s in after.winners if s.candidate_id}
    out = tuple(s for s in before.winners if s.candidate_id and s.candidate_id not in now)
    entered = tuple(s for s in after.winners if s.candidate_id and s.candidate_id not in was)
    moved = {s.candidate_id for s in out + entered}
    return ContestChange(before.contest_id, before.name, out, entered,
                         tuple(s.candidate_id for s in after.winners if s.candidate_id in was),
                         {c: before.votes.get(c, 0) for c in moved},
                         {c: after.votes.get(c, 0) for c in moved})


def compare(before: SeatResult, after: SeatResult) -> SeatChanges:
    """Who holds which seats in `after` that they did not in `before`, and the reverse. Both results must
    cover the same contests (the same package, under any votes); raises ValueError otherwise."""
    ids_before = [c.contest_id for c in before.contests]
    ids_after = [c.contest_id for c in after.contests]
    if sorted(ids_before) != sorted(ids_after):
        missing = sorted(set(ids_before) ^ set(ids_after))
        raise ValueError(f"The two results cover different contests ({', '.join(missing[:5])}"
                         f"{' ...' if len(missing) > 5 else ''}): compare allocations of the same election.")
    later = {c.contest_id: c for c in after.contests}
    contests = tuple(_contest_change(c, later[c.contest_id]) for c in before.contests)
    seats_before = {p.party: p.seats for p in before.parties}
    seats_after = {p.party: p.seats for p in after.parties}
    parties = [PartyChange(p, seats_before.get(p, 0), seats_after.get(p, 0))
               for p in set(seats_before) | set(seats_after)
               if seats_before.get(p, 0) or seats_after.get(p, 0)]
    parties.sort(key=lambda p: (-abs(p.change), -p.after, p.party))
    return SeatChanges(contests, tuple(parties))


@dataclass(frozen=True, slots=True)
class WhatIf:
    before: SeatResult
    after: SeatResult
    changes: SeatChanges

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before.to_dict(), "after": self.after.to_dict(),
                "changes": self.changes.to_dict()}


def unknown_stations(data: ElectionData, stations: Iterable[str]) -> tuple[str, ...]:
    """The ids among `stations` that the package's stations.csv does not hold, sorted."""
    known = set(data.table("stations").column("station_id").to_pylist())
    return tuple(sorted({s for s in stations if s not in known}, key=str.encode))


def annul_stations(data: ElectionData, stations: Iterable[str], *, lot: Lot = Lot(),
                   tie_rule: TieRule = TieRule.LOT, law: Law | None = None,
                   tabulation: Tabulation | None = None) -> WhatIf:
    """The seats as published and with the result rows of `stations` struck out, and what changes.
    Raises ValueError naming any station the package does not hold."""
    annulled = frozenset(stations)
    unknown = unknown_stations(data, annulled)
    if unknown:
        raise ValueError(f"{len(unknown)} station{'s' * (len(unknown) != 1)} to annul not in stations.csv: "
                         f"{', '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''}.")
    before = allocate(data, tabulation, lot=lot, tie_rule=tie_rule, law=law)
    after = allocate(data, lot=lot, tie_rule=tie_rule, law=law, annulled=annulled)
    return WhatIf(before, after, compare(before, after))


def compare_versions(before: ElectionData, after: ElectionData, *, lot: Lot = Lot(),
                     tie_rule: TieRule = TieRule.LOT, law: Law | None = None) -> WhatIf:
    """The seats of two snapshot versions of one package (the original count and a recount) under the same
    law, seed and tie rule, and what changes. `law` overrides both versions' [law]; without it each version's
    own is used, and they must name the same rules (a recount changes votes, not the law)."""
    if law is None and before.election.law != after.election.law:
        raise ValueError("The two versions name different laws in election.toml; a recount changes votes, "
                         "not the law. Pass the law to use for both.")
    first = allocate(before, lot=lot, tie_rule=tie_rule, law=law)
    second = allocate(after, lot=lot, tie_rule=tie_rule, law=law)
    return WhatIf(first, second, compare(first, second))
