"""The single non-transferable vote (SNTV) with women's and minority reserved seats, exactly.

Each voter votes for one candidate; in a k-seat contest the k highest-voted candidates win.

Ties. The lot ranks a contest's candidates once: candidates with equal votes are ordered by their lot tickets
(`ties.Lot`, context = the contest's context), and every decision in that contest (the last seats on votes,
which losing women enter on a quota, which male winners they displace) reads that one order. A tie is reported
where a decision's cut falls inside a group of equal votes. `TieRule.MOST_VOTES_THEN_LOT` is the same as the
lot here: in SNTV the deciding quantity is the votes themselves, so "most votes first" leaves exactly the
equal-vote ties.

Women's reserved seats, per contest (`women_seats`; Afghanistan's Wolesi Jirga, Iraq 2021: one per district).
Replace afterwards, the reading of the IEC's and IHEC's practice: when fewer than `women_seats` women are
among the k highest-voted, the highest-voted losing woman replaces the lowest-voted male winner and takes his
seat, then the next one the next-lowest, until the minimum is met (IHEC commissioner al-Jabri via NINA: women
who win on votes need no quota; "the highest loser" replaces a male winner; see docs/methods.md). Candidates
whose gender is not published count as not women: a quota can only be met by candidates known to be women, and
they can be displaced. When too few women stand, every woman who stood wins and the rest of the minimum stays
unmet (the caller reports the shortfall); no seat is left empty for it. `sntv_reserve_first` computes the same
winners the other way round: the reserved seats to the highest-voted women, then the other seats by votes
among everyone else. Both read the same lot order, so they agree even on ties (tests/test_seats_sntv.py proves
it for arbitrary contests with Hypothesis).

A nationwide minority ballot whose seats are assigned per area (Iraq's five Christian seats: one each for the
best-placed candidate running in Baghdad, Nineveh, Kirkuk, Erbil and Duhok) is `sntv_by_area`; a candidate
whose area holds no seats cannot win.

A women's minimum per region across contests (Chatham House on Iraq 2021: when women hold fewer than 25 % of a
governorate's seats, the next highest-voted woman of the governorate enters) is `women_region_minimum`: the
region's losing woman ranked first by votes (or by her share of her own contest's votes) replaces the
lowest-voted male winner of her own contest, until the minimum is met.

Everything is integers and `fractions.Fraction`; no floats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from types import MappingProxyType

from ..model import Gender
from .result import WOMEN_CONTEST, WOMEN_REGION, Replacement, SntvResult
from .ties import Lot, Tie, TieRule

__all__ = ["RegionContest", "RegionOutcome", "RegionRank", "SntvCandidate", "SntvResult", "sntv",
           "sntv_by_area", "sntv_reserve_first", "women_region_minimum"]


@dataclass(frozen=True, slots=True)
class SntvCandidate:
    candidate_id: str
    votes: int
    gender: Gender = Gender.UNKNOWN
    area: str = ""  # where the candidate runs, for seats assigned per area


class RegionRank(str, Enum):
    """Which losing woman of a region enters first on the region's minimum."""

    VOTES = "votes"  # the most votes
    SHARE = "share"  # the largest share of her own contest's votes (districts of unequal size)


def _is_woman(c: SntvCandidate) -> bool:
    return c.gender == Gender.FEMALE


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a whole number >= 0; got {value!r}.")
    return value


def _checked(candidates: Sequence[SntvCandidate], seats: int, women_seats: int) -> None:
    _whole(seats, "seats")
    _whole(women_seats, "women_seats")
    if women_seats > seats:
        raise ValueError(f"women_seats ({women_seats}) cannot exceed seats ({seats}).")
    seen: set[str] = set()
    for c in candidates:
        if type(c.votes) is not int or c.votes < 0:  # the message is formatted only for a bad value
            _whole(c.votes, f"The votes of candidate {c.candidate_id!r}")
        if c.candidate_id in seen:
            raise ValueError(f"Candidate {c.candidate_id!r} is given twice.")
        seen.add(c.candidate_id)


def _ranked(candidates: Sequence[SntvCandidate], lot: Lot, context: str) -> list[SntvCandidate]:
    """Most votes first; equal votes in the lot's order (as Lot.order ranks them). Tickets are drawn only inside
    groups of equal votes (hashing every candidate was a quarter of a national allocation)."""
    by_votes = sorted(candidates, key=lambda c: -c.votes)
    i, n = 0, len(by_votes)
    while i < n:
        j = i + 1
        while j < n and by_votes[j].votes == by_votes[i].votes:
            j += 1
        if j - i > 1:
            by_votes[i:j] = sorted(by_votes[i:j], key=lambda c: (lot.ticket(context, c.candidate_id), c.candidate_id))
        i = j
    return by_votes


def _cut_tie(ranked: Sequence[SntvCandidate], take: int, lot: Lot, context: str, rule: TieRule) -> Tie | None:
    """The tie the lot settled when the first `take` of `ranked` are chosen, if the cut splits equal votes."""
    if take <= 0 or take >= len(ranked) or ranked[take - 1].votes != ranked[take].votes:
        return None
    boundary = ranked[take].votes
    group = [c.candidate_id for c in ranked if c.votes == boundary]
    places = sum(c.votes == boundary for c in ranked[:take])
    drawn = lot.draw(context, group, places)
    return Tie(context, drawn.candidates, places, drawn.drawn, rule)


def _replace_in_seats(seat_order: list[str], entrants: Sequence[SntvCandidate],
                      displaced: Sequence[SntvCandidate], rule: str) -> list[Replacement]:
    """Pair the best entrant with the lowest displaced winner, the next with the next-lowest (the sequential
    reading: each time the highest-voted losing woman replaces the lowest-voted man still holding a seat);
    each entrant takes the seat of the man she displaced."""
    out = []
    for woman, man in zip(entrants, reversed(displaced)):
        seat_order[seat_order.index(man.candidate_id)] = woman.candidate_id
        out.append(Replacement(woman.candidate_id, man.candidate_id, rule))
    return out


def sntv(candidates: Sequence[SntvCandidate], seats: int, *, women_seats: int = 0, lot: Lot = Lot(),
         tie_rule: TieRule = TieRule.LOT, context: str = "") -> SntvResult:
    """The winners of a `seats`-seat SNTV contest with at least `women_seats` women where enough women stand.

    Fewer candidates than seats: every candidate wins and the rest of the seats stay empty.
    Raises ValueError for negative counts, women_seats > seats or a candidate id given twice.
    """
    _checked(candidates, seats, women_seats)
    ranked = _ranked(candidates, lot, context)
    ties: list[Tie | None] = [_cut_tie(ranked, seats, lot, context, tie_rule)]
    top, rest = ranked[:seats], ranked[seats:]
    seat_order = [c.candidate_id for c in top]
    need = women_seats - sum(map(_is_woman, top))
    replacements: list[Replacement] = []
    if need > 0:
        losing_women = [c for c in rest if _is_woman(c)]
        entrants = losing_women[:need]
        ties.append(_cut_tie(losing_women, len(entrants), lot, context, tie_rule))
        men = [c for c in top if not _is_woman(c)]  # at least `need` of them: top holds fewer women than that
        keep = len(men) - len(entrants)
        ties.append(_cut_tie(men, keep, lot, context, tie_rule))
        replacements = _replace_in_seats(seat_order, entrants, men[keep:], WOMEN_CONTEST)
    return SntvResult(tuple(seat_order), tuple(replacements), tuple(t for t in ties if t is not None))


def sntv_reserve_first(candidates: Sequence[SntvCandidate], seats: int, *, women_seats: int = 0,
                       lot: Lot = Lot(), tie_rule: TieRule = TieRule.LOT, context: str = "") -> SntvResult:
    """The same contest filled the other way round: the reserved seats first, to the highest-voted women, then
    the remaining seats by votes among all other candidates. Winners in vote order; `replacements` pair the
    women who would not have won on votes with the men who would have."""
    _checked(candidates, seats, women_seats)
    ranked = _ranked(candidates, lot, context)
    women = [c for c in ranked if _is_woman(c)]
    reserved = women[:women_seats]
    ties: list[Tie | None] = [_cut_tie(women, len(reserved), lot, context, tie_rule)]
    reserved_ids = {c.candidate_id for c in reserved}
    others = [c for c in ranked if c.candidate_id not in reserved_ids]
    general = others[:seats - len(reserved)]
    ties.append(_cut_tie(others, len(general), lot, context, tie_rule))
    won = reserved_ids | {c.candidate_id for c in general}
    on_votes = {c.candidate_id for c in ranked[:seats]}
    entrants = [c for c in reserved if c.candidate_id not in on_votes]
    displaced = [c for c in ranked[:seats] if c.candidate_id not in won]
    replacements = [Replacement(w.candidate_id, m.candidate_id, WOMEN_CONTEST)
                    for w, m in zip(entrants, reversed(displaced))]
    return SntvResult(tuple(c.candidate_id for c in ranked if c.candidate_id in won), tuple(replacements),
                      tuple(t for t in ties if t is not None))


def sntv_by_area(candidates: Sequence[SntvCandidate], seats_per_area: Mapping[str, int], *, lot: Lot = Lot(),
                 tie_rule: TieRule = TieRule.LOT, context: str = "") -> SntvResult:
    """One ballot whose seats are held area by area: each area's seats go to the highest-voted candidates
    running there (`SntvCandidate.area`), whatever their rank among the candidates of other areas. Winners in
    vote order. A candidate whose area holds no seats cannot win."""
    _checked(candidates, sum(_whole(n, f"seats of area {a!r}") for a, n in seats_per_area.items()), 0)
    ranked = _ranked(candidates, lot, context)
    won: set[str] = set()
    ties: list[Tie | None] = []
    for area in sorted(seats_per_area):
        running = [c for c in ranked if c.area == area]
        take = seats_per_area[area]
        won.update(c.candidate_id for c in running[:take])
        ties.append(_cut_tie(running, take, lot, context, tie_rule))
    return SntvResult(tuple(c.candidate_id for c in ranked if c.candidate_id in won), (),
                      tuple(t for t in ties if t is not None))


# -- a women's minimum per region, across contests -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RegionContest:
    """One contest of a region, as allocated (with the lot context it was allocated with)."""

    contest_id: str
    candidates: tuple[SntvCandidate, ...]
    result: SntvResult
    context: str = ""


@dataclass(frozen=True, slots=True)
class RegionOutcome:
    results: Mapping[str, SntvResult] = field(default_factory=lambda: MappingProxyType({}))  # by contest_id
    women: int = 0  # women among the region's winners, after the replacements
    short: int = 0  # how far `women` still falls short of the minimum: no eligible woman was left
    ties: tuple[Tie, ...] = ()  # ties between women of different contests (lot context: the region's)


def region_lot_name(contest_id: str, candidate_id: str) -> str:
    """The name a candidate draws under in a region's lot: candidate ids are scoped by contest."""
    return f"{contest_id}/{candidate_id}"


def women_region_minimum(contests: Sequence[RegionContest], required: int, *,
                         rank: RegionRank = RegionRank.VOTES, lot: Lot = Lot(),
                         tie_rule: TieRule = TieRule.LOT, context: str = "") -> RegionOutcome:
    """Raise the women among the region's winners to `required`: while short, the region's losing woman ranked
    first by `rank` replaces the lowest-voted male winner of her own contest and takes his seat. A woman whose
    contest has no male winner left cannot enter. Equal ranks between contests go to the region's lot
    (`context`, names `contest_id/candidate_id`); the displaced man follows the contest's own lot order.
    """
    _whole(required, "required")
    winners = {rc.contest_id: list(rc.result.winners) for rc in contests}
    added: dict[str, list[Replacement]] = {rc.contest_id: [] for rc in contests}
    contest_ties: dict[str, list[Tie]] = {rc.contest_id: [] for rc in contests}
    women = sum(_is_woman(c) for rc in contests for c in rc.candidates
                if c.candidate_id in winners[rc.contest_id])
    # ranked only when the minimum acts (in Iraq 2021 the districts' own seats always meet it)
    ranked = {rc.contest_id: _ranked(rc.candidates, lot, rc.context) for rc in contests} if women < required else {}
    region_ties: list[Tie] = []
    while women < required:
        pool: list[tuple[Fraction, RegionContest, SntvCandidate]] = []
        for rc in contests:
            seated = set(winners[rc.contest_id])
            if all(_is_woman(c) for c in rc.candidates if c.candidate_id in seated):
                continue  # no man left to displace in her contest
            total = sum(c.votes for c in rc.candidates)
            for c in rc.candidates:
                if _is_woman(c) and c.candidate_id not in seated:
                    key = Fraction(c.votes) if rank is RegionRank.VOTES else Fraction(c.votes, total or 1)
                    pool.append((key, rc, c))
        if not pool:
            break
        best = max(key for key, _, _ in pool)
        group = {region_lot_name(rc.contest_id, c.candidate_id): (rc, c)
                 for key, rc, c in pool if key == best}
        name = lot.order(context, group)[0]
        if len(group) > 1:
            draw = lot.draw(context, group, 1)
            region_ties.append(Tie(context, draw.candidates, 1, draw.drawn, tie_rule))
        rc, woman = group[name]
        seated = set(winners[rc.contest_id])
        men = [c for c in ranked[rc.contest_id] if c.candidate_id in seated and not _is_woman(c)]
        tie = _cut_tie(men, len(men) - 1, lot, rc.context, tie_rule)
        if tie is not None:
            contest_ties[rc.contest_id].append(tie)
        added[rc.contest_id] += _replace_in_seats(winners[rc.contest_id], [woman], men[-1:], WOMEN_REGION)
        women += 1
    results = {rc.contest_id: SntvResult(tuple(winners[rc.contest_id]),
                                         rc.result.replacements + tuple(added[rc.contest_id]),
                                         rc.result.ties + tuple(contest_ties[rc.contest_id]))
               for rc in contests}
    return RegionOutcome(MappingProxyType(results), women, max(0, required - women), tuple(region_ties))
