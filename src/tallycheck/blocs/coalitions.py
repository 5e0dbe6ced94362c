"""Which coalitions reach a quota and which can stop it, for a weighted voting game.

- Minimal winning coalitions (von Neumann & Morgenstern 1944; Riker 1962): they reach the quota and every
  member is needed. Listed smallest first, up to a size limit and a number shown; their number of each size
  is counted exactly for every size (a count over seat totals, as in power.py).
- Blocking: a coalition holding at least seats - quota + 1 seats leaves the rest short of the quota, by voting
  no or by staying away from a quorum. The smallest ones (fewest members) are listed; a blocking coalition of
  the fewest members is minimal, since dropping anyone would leave a smaller one.
- What an alliance lacks: the seats it is short of each quota and of blocking, the fewest other players that
  would complete it, and the minimal ways to do so.
- Pivotal players: those in some minimal winning coalition (equivalently, decisive in some coalition: a
  Banzhaf index above 0); the others are dummies, however many seats they hold. Veto players are in every
  winning coalition.

With an ordering of the players (left to right, or any bloc order), coalitions can be required to be connected
(Axelrod 1970): an unbroken run of neighbours on the ordering. A minimal connected winning coalition is then a
run that reaches the quota and falls short without either end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .game import Game, PlayerKind, normal
from .quota import blocking_seats
from ..tabulate import INDEPENDENT


class OrderError(ValueError):
    """An ordering that does not place every player exactly once: the user's to fix."""


@dataclass(frozen=True, slots=True)
class Coalition:
    members: tuple[str, ...]  # heaviest first (on the ordering's order when connected)
    seats: int

    def to_dict(self) -> dict[str, Any]:
        return {"members": list(self.members), "seats": self.seats}


@dataclass(frozen=True, slots=True)
class CoalitionList:
    """Coalitions of one kind for one threshold: those listed, and how many there are of each size."""

    threshold: int  # the seats they must reach
    coalitions: tuple[Coalition, ...]  # smallest first; the first `limit` found
    by_size: dict[int, int]  # size -> how many (every size, not only those listed), exact
    complete: bool  # every coalition up to the size limit is listed

    @property
    def smallest(self) -> int | None:
        return min(self.by_size, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "coalitions": [c.to_dict() for c in self.coalitions],
                "by_size": {str(k): str(v) for k, v in sorted(self.by_size.items())},
                "smallest": self.smallest, "complete": self.complete}


def player_order(game: Game, order: Sequence[str]) -> tuple[int, ...]:
    """The players' indices in `order`, a list of player names. A party that joined an alliance stands for its
    alliance (placed where it is first named); INDEPENDENT stands for every independent member, side by side.
    Every player must be placed."""
    by_name = {normal(n): i for i, n in enumerate(game.names)}
    member_of = {normal(m): by_name[normal(p.name)] for p in game.players for m in p.members}
    independents = [i for i, p in enumerate(game.players) if p.kind is PlayerKind.INDEPENDENT]
    placed: list[int] = []
    for raw in order:
        name = normal(raw)
        if name in by_name:
            found = [by_name[name]]
        elif name in member_of:
            found = [member_of[name]]
        elif name == INDEPENDENT and independents:
            found = independents
        else:
            raise OrderError(f"--order names {raw.strip()!r}, which is not a player.")
        placed.extend(i for i in found if i not in placed)
    missing = [game.names[i] for i in range(len(game.players)) if i not in placed]
    if missing:
        raise OrderError(f"--order must place every player; missing: {', '.join(missing[:20])}"
                         f"{' ...' if len(missing) > 20 else ''}.")
    return tuple(placed)


def minimal_winning(game: Game, quota: int, *, max_size: int, limit: int,
                    order: Sequence[int] | None = None, among: Sequence[int] | None = None) -> CoalitionList:
    """Minimal coalitions holding at least `quota` seats (connected on `order` when given), listed smallest
    first up to `max_size` members and `limit` coalitions. `among`: only these players may join."""
    if order is not None:
        return _connected(game, quota, max_size=max_size, limit=limit, order=order, among=among)
    pool = [i for i in range(len(game.players)) if among is None or i in among]
    pool.sort(key=lambda i: -game.players[i].seats)  # stable: heaviest first, ties as the game has them
    w = [game.players[i].seats for i in pool]
    by_size = _minimal_counts(w, quota)
    found: list[Coalition] = []
    complete = True
    for size in range(1, max_size + 1):
        if not by_size.get(size):
            continue
        for members in _search(w, quota, size):
            if len(found) == limit:
                complete = False
                break
            found.append(Coalition(tuple(game.names[pool[j]] for j in members), sum(w[j] for j in members)))
        if not complete:
            break
    complete = complete and all(k <= max_size for k in by_size)
    return CoalitionList(quota, tuple(found), by_size, complete)


def _search(w: Sequence[int], quota: int, size: int) -> Iterator[tuple[int, ...]]:
    """Index sets of `size` players (weights `w`, heaviest first) that reach `quota` and fall short without
    their lightest member: the last one chosen, so every earlier partial sum stays below the quota."""
    n = len(w)
    prefix = [0]
    for x in w:
        prefix.append(prefix[-1] + x)
    chosen: list[int] = []

    def go(start: int, left: int, weight: int) -> Iterator[tuple[int, ...]]:
        for j in range(start, n - left + 1):
            total = weight + w[j]
            rest = left - 1
            if rest == 0:
                if total < quota:
                    return  # lighter players after j cannot do better
                chosen.append(j)
                yield tuple(chosen)
                chosen.pop()
                continue
            if total + prefix[j + 1 + rest] - prefix[j + 1] < quota:
                return  # even the heaviest players after j leave it short; later j are lighter
            if total >= quota:
                continue  # j would not be needed once the rest join: try a lighter one
            chosen.append(j)
            yield from go(j + 1, rest, total)
            chosen.pop()

    yield from go(0, size, 0)


def _minimal_counts(w: Sequence[int], quota: int) -> dict[int, int]:
    """size -> how many minimal winning coalitions, exactly: each counted once, by its lightest member i
    (the last in heaviest-first order), as the coalitions of players before i with a seat total in
    [quota - w_i, quota - 1]."""
    n = len(w)
    table = np.zeros((n + 1, quota), dtype=object)  # sizes x seat totals of coalitions of the players so far
    table[0, 0] = 1
    counts: dict[int, int] = {}
    for i, wi in enumerate(w):
        lo = max(0, quota - wi)
        if lo < quota:
            for k, c in enumerate(table[:i + 1, lo:quota].sum(axis=1)):
                if c:
                    counts[k + 1] = counts.get(k + 1, 0) + int(c)
        if wi < quota:
            table[1:i + 2, wi:] = table[1:i + 2, wi:] + table[0:i + 1, :quota - wi]
    return counts


def _connected(game: Game, quota: int, *, max_size: int, limit: int, order: Sequence[int],
               among: Sequence[int] | None) -> CoalitionList:
    w = [game.players[i].seats for i in order]
    allowed = [among is None or i in among for i in order]
    runs: list[tuple[int, int]] = []
    for a in range(len(order)):
        total = 0
        for b in range(a, len(order)):
            if not allowed[b]:
                break
            total += w[b]
            if total >= quota:
                if total - w[a] < quota and total - w[b] < quota:
                    runs.append((a, b))
                break  # longer runs from a are not minimal: b could go
    by_size: dict[int, int] = {}
    for a, b in runs:
        by_size[b - a + 1] = by_size.get(b - a + 1, 0) + 1
    runs.sort(key=lambda r: (r[1] - r[0], r[0]))
    shown = [r for r in runs if r[1] - r[0] + 1 <= max_size]
    listed = tuple(Coalition(tuple(game.names[order[j]] for j in range(a, b + 1)), sum(w[a:b + 1]))
                   for a, b in shown[:limit])
    return CoalitionList(quota, listed, by_size, len(listed) == len(runs))


def smallest_blocking(game: Game, quota: int, *, limit: int, order: Sequence[int] | None = None
                      ) -> CoalitionList:
    """The blocking coalitions with the fewest members (connected on `order` when given): each holds at least
    seats - quota + 1 seats. `by_size` counts the minimal blocking coalitions of every size."""
    need = blocking_seats(game.seats, quota)
    found = minimal_winning(game, need, max_size=len(game.players), limit=0, order=order)
    fewest = found.smallest
    if fewest is None:
        return found
    listed = minimal_winning(game, need, max_size=fewest, limit=limit, order=order)
    # complete: every blocking coalition of the fewest members is listed
    return CoalitionList(need, listed.coalitions, found.by_size,
                         len(listed.coalitions) == found.by_size[fewest])


@dataclass(frozen=True, slots=True)
class AllianceNeeds:
    """What an alliance (any player) lacks for one quota."""

    name: str
    seats: int
    quota: int
    lacks: int  # seats short of the quota (0: it reaches it alone)
    blocks: bool  # it alone can stop the quota
    lacks_to_block: int
    partners_needed: int | None  # the fewest other players that complete it (None: nobody can)
    completions: CoalitionList  # the minimal sets of others that complete it

    def to_dict(self) -> dict[str, Any]:
        return {"seats": self.seats, "quota": self.quota, "lacks": self.lacks, "blocks": self.blocks,
                "lacks_to_block": self.lacks_to_block, "partners_needed": self.partners_needed,
                "completions": [c.to_dict() for c in self.completions.coalitions],
                "completions_by_size": {str(k): str(v) for k, v in sorted(self.completions.by_size.items())},
                "completions_complete": self.completions.complete}


def alliance_needs(game: Game, name: str, quota: int, *, max_size: int, limit: int,
                   order: Sequence[int] | None = None) -> AllianceNeeds:
    """Seats `name` lacks for `quota` and the minimal sets of other players that would complete it (with at
    most `max_size` partners listed); on an ordering, the partners must make one connected run with it."""
    me = game.names.index(game.player(name).name)
    seats = game.players[me].seats
    lacks = max(0, quota - seats)
    need_block = blocking_seats(game.seats, quota)
    others = [i for i in range(len(game.players)) if i != me]
    if lacks == 0:
        completions = CoalitionList(0, (), {}, True)
    elif order is None:
        completions = minimal_winning(game, lacks, max_size=max_size, limit=limit, among=others)
    else:
        completions = _connected_completions(game, me, quota, max_size=max_size, limit=limit, order=order)
    return AllianceNeeds(game.players[me].name, seats, quota, lacks, seats >= need_block,
                         max(0, need_block - seats), completions.smallest if lacks else 0, completions)


def _connected_completions(game: Game, me: int, quota: int, *, max_size: int, limit: int,
                           order: Sequence[int]) -> CoalitionList:
    """Runs on the ordering through `me` that reach the quota and fall short without either end (other than
    `me`); the partners are the run without `me`."""
    at = order.index(me)
    w = [game.players[i].seats for i in order]
    runs = []
    for a in range(at, -1, -1):
        total = sum(w[a:at + 1])
        for b in range(at, len(order)):
            if b > at:
                total += w[b]
            if total >= quota:
                if (a == at or total - w[a] < quota) and (b == at or total - w[b] < quota):
                    runs.append((a, b))
                break
    by_size: dict[int, int] = {}
    for a, b in runs:
        by_size[b - a] = by_size.get(b - a, 0) + 1
    runs.sort(key=lambda r: (r[1] - r[0], r[0]))
    shown = [r for r in runs if r[1] - r[0] <= max_size][:limit]
    listed = tuple(Coalition(tuple(game.names[order[j]] for j in range(a, b + 1) if j != at),
                             sum(w[a:b + 1]) - w[at]) for a, b in shown)
    return CoalitionList(quota - w[at], listed, by_size, len(listed) == len(runs))


@dataclass(frozen=True, slots=True)
class Roles:
    """Who matters for one quota."""

    pivotal: tuple[str, ...]  # in some minimal winning coalition
    dummies: tuple[str, ...]  # in none: their seats never decide
    veto: tuple[str, ...]  # in every winning coalition

    def to_dict(self) -> dict[str, list[str]]:
        return {"pivotal": list(self.pivotal), "dummies": list(self.dummies), "veto": list(self.veto)}


def roles(game: Game, quota: int, swings: Sequence[int] | None = None, *,
          order: Sequence[int] | None = None) -> Roles:
    """Pivotal, dummy and veto players for `quota`. Without an ordering, pivotal means a swing count above 0
    (power.py's, given as `swings`, or counted here); on an ordering, a member of some minimal connected
    winning coalition (a player in the middle of the run is needed to hold it together)."""
    names = game.names
    if order is not None:
        runs = minimal_winning(game, quota, max_size=len(names), limit=len(names) ** 2, order=order)
        inside = {m for c in runs.coalitions for m in c.members}
        pivotal = tuple(n for n in names if n in inside)
    else:
        if swings is None:
            from .power import power_indices

            swings = power_indices(game, [quota])[quota].swings
        pivotal = tuple(n for n, s in zip(names, swings) if s > 0)
    veto = tuple(p.name for p in game.players if game.seats - p.seats < quota)
    return Roles(pivotal, tuple(n for n in names if n not in pivotal), veto)
