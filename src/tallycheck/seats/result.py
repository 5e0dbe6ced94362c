"""What a seat allocation decided: per contest, who sits in which seat and why; per party, how many seats.

Plain values (frozen dataclasses) that the allocation code returns and the margins, what-if, CLI and report
code read. Votes and seats are integers; `to_dict()` gives the JSON shape of `tallycheck seats --json`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from ..model import Gender
from .ties import Tie, TieRule

# Replacement.rule values: a woman entering on a contest's own minimum, or on a region's minimum
WOMEN_CONTEST = "women-contest"
WOMEN_REGION = "women-region"


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


class SeatVia(str, Enum):
    """Why a seat went to its holder."""

    VOTES = "votes"  # among the highest-voted of an SNTV or plurality contest
    WOMEN_QUOTA = "women-quota"  # a woman who entered on a women's minimum, displacing a man
    MINORITY = "minority"  # a seat reserved for a community (a contest with a `group`)
    LIST = "list"  # a seat won by a list (list PR), held by one of its candidates


@dataclass(frozen=True, slots=True)
class Replacement:
    """`elected` took the seat that `displaced` had won on votes, because of `rule` (WOMEN_CONTEST, ...)."""

    elected: str
    displaced: str
    rule: str

    def to_dict(self) -> dict[str, str]:
        return {"elected": self.elected, "displaced": self.displaced, "rule": self.rule}


@dataclass(frozen=True, slots=True)
class SntvResult:
    """One SNTV contest: candidate ids in seat order (by votes; a quota entrant in the seat she took), the
    replacements that put quota entrants there, and every tie the lot settled."""

    winners: tuple[str, ...]
    replacements: tuple[Replacement, ...]
    ties: tuple[Tie, ...]


@dataclass(frozen=True, slots=True)
class Seat:
    contest_id: str
    seat_no: int  # 1-based, in the contest's seat order
    candidate_id: str
    name: str
    party: str
    gender: Gender
    votes: int  # the holder's personal votes (a list seat: the candidate's, not the list's)
    via: SeatVia
    list_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"contest_id": self.contest_id, "seat_no": self.seat_no, "candidate_id": self.candidate_id,
                "name": self.name, "party": self.party, "gender": self.gender.value, "votes": self.votes,
                "via": self.via.value, "list_id": self.list_id}


@dataclass(frozen=True, slots=True)
class ContestSeats:
    """One contest's outcome and the vote totals it was computed from."""

    contest_id: str
    name: str
    seats: int
    area: str
    group: str
    system: str  # the law's system that filled it: "sntv", "plurality", "list-pr", "majority"
    winners: tuple[Seat, ...]
    replacements: tuple[Replacement, ...] = ()
    ties: tuple[Tie, ...] = ()
    votes: Mapping[str, int] = field(default_factory=_frozen)  # candidate_id -> votes used
    list_votes: Mapping[str, int] = field(default_factory=_frozen)  # list_id -> votes used (list PR)
    list_seats: Mapping[str, int] = field(default_factory=_frozen)  # list_id -> seats won (list PR)
    women_seats: int = 0  # the contest's women's minimum (contests.csv)
    women_short: int = 0  # how far the winners fall short of it: too few women stood
    vacant: int = 0  # seats left empty: fewer eligible candidates than seats
    # majority system without a winner: the seat waits for a run-off between these two (the highest-voted
    # first; a tie for second place is in `ties`); such a seat is not counted as vacant
    runoff: tuple[str, ...] = ()

    @property
    def valid_votes(self) -> int:
        """The contest's valid votes as the majority rule reads them: the sum of its candidates' votes."""
        return sum(self.votes.values())

    def share(self, candidate_id: str) -> Fraction:
        """A candidate's exact share of the contest's valid votes (0 when there are none)."""
        total = self.valid_votes
        return Fraction(self.votes.get(candidate_id, 0), total) if total else Fraction(0)

    @property
    def women(self) -> int:
        return sum(s.gender is Gender.FEMALE for s in self.winners)

    @property
    def winner_ids(self) -> tuple[str, ...]:
        return tuple(s.candidate_id for s in self.winners)

    def to_dict(self) -> dict[str, Any]:
        return {"contest_id": self.contest_id, "name": self.name, "seats": self.seats, "area": self.area,
                "group": self.group, "system": self.system, "women_seats": self.women_seats,
                "women": self.women, "women_short": self.women_short, "vacant": self.vacant,
                "winners": [s.to_dict() for s in self.winners],
                "replacements": [r.to_dict() for r in self.replacements],
                "ties": [t.to_dict() for t in self.ties],
                "votes": dict(self.votes), "list_votes": dict(self.list_votes),
                "list_seats": dict(self.list_seats), "runoff": list(self.runoff)}


def percent_text(share: Fraction, places: int = 2) -> str:
    """A share as a percentage with `places` decimals, rounded half up exactly (2/3 -> "66.67")."""
    scaled = share * 100 * 10 ** places
    whole = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    text = str(whole).rjust(places + 1, "0")
    return f"{text[:-places]}.{text[-places:]}" if places else text


def majority_text(contest: ContestSeats, share: Fraction, name_of: Mapping[str, str]) -> str:
    """What a majority contest decided, in words: "A wins with 58.38% of 10,350,819 valid votes (more than half
    needed)." or "Run-off between A (45.00%) and B (40.00%): no candidate has more than half of ..."."""
    def who(cid: str) -> str:
        return name_of.get(cid) or cid

    needed = "half" if share == Fraction(1, 2) else f"{percent_text(share)}%"
    valid = f"{contest.valid_votes:,} valid vote{'s' * (contest.valid_votes != 1)}"
    if contest.winners:
        w = contest.winners[0].candidate_id
        return f"{who(w)} wins with {percent_text(contest.share(w))}% of {valid} (more than {needed} needed)."
    if contest.runoff:
        pair = " and ".join(f"{who(c)} ({percent_text(contest.share(c))}%)" for c in contest.runoff)
        return f"Run-off between {pair}: no candidate has more than {needed} of {valid}."
    return "No candidate stood: the seat is vacant."


@dataclass(frozen=True, slots=True)
class RegionWomen:
    """A region's women's minimum across its contests (Iraq: 25 % of a governorate's general seats)."""

    area: str
    seats: int  # general seats of the region's contests
    required: int
    women: int  # women among those seats' holders, after any regional replacement
    short: int  # required - women where positive: no eligible woman was left to enter
    ties: tuple[Tie, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"area": self.area, "seats": self.seats, "required": self.required, "women": self.women,
                "short": self.short, "ties": [t.to_dict() for t in self.ties]}


@dataclass(frozen=True, slots=True)
class PartySeats:
    party: str  # tabulate.INDEPENDENT for candidates without a party
    seats: int
    women: int
    votes: int  # personal votes of the party's candidates in the contests allocated

    def to_dict(self) -> dict[str, Any]:
        return {"party": self.party, "seats": self.seats, "women": self.women, "votes": self.votes}


@dataclass(frozen=True, slots=True)
class SeatResult:
    """A whole election's seats under one law, from one set of vote totals."""

    law: str  # the resolved law's name
    law_params: Mapping[str, Any]  # every parameter of the resolved law (JSON-ready values)
    contests: tuple[ContestSeats, ...]  # in contest_id order
    parties: tuple[PartySeats, ...]  # most seats first
    regions: tuple[RegionWomen, ...] = ()
    annulled: tuple[str, ...] = ()  # stations whose results were struck out, sorted
    seed: str = ""  # the public seed of the lot
    tie_rule: TieRule = TieRule.LOT

    @property
    def seats(self) -> int:
        return sum(len(c.winners) for c in self.contests)

    @property
    def women(self) -> int:
        return sum(c.women for c in self.contests)

    @property
    def winners(self) -> tuple[Seat, ...]:
        return tuple(s for c in self.contests for s in c.winners)

    @property
    def ties(self) -> tuple[Tie, ...]:
        regional = tuple(t for r in self.regions for t in r.ties)
        return tuple(t for c in self.contests for t in c.ties) + regional

    def contest(self, contest_id: str) -> ContestSeats:
        for c in self.contests:
            if c.contest_id == contest_id:
                return c
        raise KeyError(contest_id)

    def to_dict(self) -> dict[str, Any]:
        return {"law": self.law, "law_params": dict(self.law_params), "seats": self.seats,
                "women": self.women,
                "seed": self.seed, "tie_rule": self.tie_rule.value, "annulled": list(self.annulled),
                "parties": [p.to_dict() for p in self.parties],
                "regions": [r.to_dict() for r in self.regions],
                "contests": [c.to_dict() for c in self.contests]}
