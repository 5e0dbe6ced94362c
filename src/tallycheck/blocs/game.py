"""Weighted voting games built from a parliament's seats: who the players are and how many seats each holds.

A player is a party, an alliance of parties voting as one (its seats the sum of its members'), one independent
member, or all independents as one bloc (the user's choice: independents rarely vote as one, but a study may
ask what they could do if they did). Names are kept exactly as published, in their own script; they are
compared after Unicode NFC normalisation only, so a name typed on another keyboard still matches.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from ..seats.result import SeatResult
from ..tabulate import INDEPENDENT


class GameError(ValueError):
    """The game asked for cannot be built (an alliance names an unknown party, ...): the user's to fix."""


class Independents(str, Enum):
    """How members elected without a party take part."""

    SINGLE = "single"  # each is a player with one seat
    GROUPED = "grouped"  # all of them are one player, named INDEPENDENT


class PlayerKind(str, Enum):
    PARTY = "party"
    INDEPENDENT = "independent"  # one member elected without a party
    INDEPENDENTS = "independents"  # all of them as one bloc
    ALLIANCE = "alliance"


@dataclass(frozen=True, slots=True)
class Player:
    name: str
    seats: int
    kind: PlayerKind = PlayerKind.PARTY
    members: tuple[str, ...] = ()  # an alliance's parties or the bloc's independents, as given

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "seats": self.seats, "kind": self.kind.value,
                "members": list(self.members)}


@dataclass(frozen=True, slots=True)
class Game:
    """Players most seats first (ties in the order given). A quota is not part of the game: one parliament is
    studied against several (a majority to form a government, two thirds for a quorum)."""

    players: tuple[Player, ...]

    def __post_init__(self) -> None:
        names = [p.name for p in self.players]
        if len(set(names)) != len(names):
            raise GameError(f"Two players share a name: {sorted({n for n in names if names.count(n) > 1})}.")
        if any(p.seats < 0 for p in self.players):
            raise GameError("A player cannot hold fewer than 0 seats.")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.players)

    @property
    def weights(self) -> tuple[int, ...]:
        return tuple(p.seats for p in self.players)

    @property
    def seats(self) -> int:
        return sum(p.seats for p in self.players)

    def player(self, name: str) -> Player:
        key = normal(name)
        for p in self.players:
            if normal(p.name) == key:
                return p
        raise KeyError(name)

    def to_dict(self) -> dict[str, object]:
        return {"players": [p.to_dict() for p in self.players], "seats_total": self.seats}


def normal(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip())


def build_game(parties: Sequence[tuple[str, int]], independents: Sequence[str] = (), *,
               grouping: Independents = Independents.SINGLE,
               alliances: Mapping[str, Sequence[str]] | None = None) -> Game:
    """The game of `parties` (name, seats) and the members elected without a party (`independents`, one name
    each), with `alliances` (name -> member names) merged into single players.

    An alliance member is a party, an independent member's name, or INDEPENDENT for every independent (in
    either grouping). Refused (GameError, naming what is wrong): an unknown member, a player in two alliances,
    an alliance named like a player outside it, an alliance without members."""
    base: list[Player] = [Player(normal(n), s) for n, s in parties]
    singles = [Player(normal(n), 1, PlayerKind.INDEPENDENT) for n in independents]
    if grouping is Independents.GROUPED and singles:
        base.append(Player(INDEPENDENT, len(singles), PlayerKind.INDEPENDENTS,
                           tuple(p.name for p in singles)))
    else:
        base.extend(singles)
    by_name = {p.name: p for p in base}
    if len(by_name) != len(base):
        raise GameError(f"Two players share a name: "
                        f"{sorted({p.name for p in base if sum(q.name == p.name for q in base) > 1})}.")
    taken: dict[str, str] = {}  # player -> the alliance it joined
    merged: list[Player] = []
    for raw_name, raw_members in (alliances or {}).items():
        name = normal(raw_name)
        if not name:
            raise GameError("An alliance needs a name: NAME=P1,P2,...")
        members: list[Player] = []
        for raw in raw_members:
            for p in _resolve(normal(raw), by_name, singles, name):
                if p.name in taken and taken[p.name] != name:
                    raise GameError(f"{p.name!r} cannot join both {taken[p.name]!r} and {name!r}.")
                if p not in members:
                    members.append(p)
                    taken[p.name] = name
        if not members:
            raise GameError(f"Alliance {name!r} names no member.")
        if name in by_name and by_name[name] not in members:
            raise GameError(f"Alliance {name!r} has the name of a player outside it: give it another name.")
        if any(m.name == name for m in merged):
            raise GameError(f"Two alliances are named {name!r}.")
        names = tuple(n for m in members for n in (m.members or (m.name,)))
        merged.append(Player(name, sum(m.seats for m in members), PlayerKind.ALLIANCE, names))
    players = merged + [p for p in base if p.name not in taken]
    order = {id(p): i for i, p in enumerate(players)}
    return Game(tuple(sorted(players, key=lambda p: (-p.seats, order[id(p)]))))


def _resolve(member: str, by_name: Mapping[str, Player], singles: Sequence[Player], alliance: str
             ) -> list[Player]:
    if member in by_name:
        return [by_name[member]]
    if member == INDEPENDENT and singles:
        return list(singles)
    if not member:
        raise GameError(f"Alliance {alliance!r} has an empty member name (two commas in a row?).")
    raise GameError(f"Alliance {alliance!r} names {member!r}, which is not a player: the players are "
                    f"{', '.join(repr(n) for n in list(by_name)[:30])}{' ...' if len(by_name) > 30 else ''}.")


def independent_names(result: SeatResult) -> list[str]:
    """One name per seat won without a party: "Name (independent)", with the contest in brackets where two
    independents share a name."""
    seats = [s for s in result.winners if not s.party or s.party == INDEPENDENT]
    names = [f"{normal(s.name or s.candidate_id)} {INDEPENDENT}" for s in seats]
    return [n if names.count(n) == 1 else f"{n} [{s.contest_id}]" for n, s in zip(names, seats)]


def game_from_result(result: SeatResult, *, grouping: Independents = Independents.SINGLE,
                     alliances: Mapping[str, Sequence[str]] | None = None) -> Game:
    """The parliament that `result` (seats.allocate) elected: every party with a seat, and the
    independents."""
    parties = [(p.party, p.seats) for p in result.parties if p.seats > 0 and p.party != INDEPENDENT]
    return build_game(parties, independent_names(result), grouping=grouping, alliances=alliances)


def game_from_rows(rows: Sequence[tuple[str, int]], *, grouping: Independents = Independents.SINGLE,
                   alliances: Mapping[str, Sequence[str]] | None = None) -> Game:
    """The game of a party,seats table; a row named INDEPENDENT holds the independents' seats, one member
    each, named "(independent) 1", "(independent) 2", ... when they play singly."""
    parties = [(n, s) for n, s in rows if normal(n) != INDEPENDENT]
    count = sum(s for n, s in rows if normal(n) == INDEPENDENT)
    return build_game(parties, [f"{INDEPENDENT} {k}" for k in range(1, count + 1)], grouping=grouping,
                      alliances=alliances)
