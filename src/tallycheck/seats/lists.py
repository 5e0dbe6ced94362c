"""Open lists: the seats a list won go to its candidates by personal votes, with a women's quota inside lists.

Within a list, candidates are ranked by personal votes; equal votes are ordered by the public lot (context
"`context` / list ID"), as IHEC's seat regulation No. 12 of 2018 orders ("If two or more candidates in the
same list are equal to the number of votes, the seats shall be allocated by lot",
idea.int/answer/ans130355941059621). Both tie rules come to the lot here: tied candidates have, by definition,
equal votes.

Two kinds of women's quota inside lists, every choice the record leaves open a parameter (docs/methods.md,
"Open lists and women's quotas inside lists"):

- By position (`WomenByPosition`): in the list's seat order, at least `women` women in every group of `every`
  seats. Iraq's Law No. 45 of 2013: "the candidate who secures the highest number of votes on the list shall
  be elected while ensuring that a woman candidate is elected after every three winning male candidates" (IPU
  PARLINE, archive.ipu.org/parline-e/reports/2151_B.htm; every=4); its 2009 provincial predecessor gave "the
  third seat of any winning party to a woman" (RFE/RL, 2009; every=3). Which groups count is `blocks`: EACH
  (seats 1-3, 4-6, …, complete groups only), CUMULATIVE (the first 3, the first 6, …) or WINDOW (any `every`
  consecutive seats: "a woman after every three men" read as no run of more than three men). The seats are
  filled in order: each seat goes to the highest-ranked candidate left, unless the rule can only still be met
  by giving it to a woman, in which case the highest-ranked woman left takes it. A man passed over stays in
  the running for the next seats, so the men who lose their seats are always the list's lowest-ranked winners.
- By count (`WomenByCount`): a list that won s seats must seat ⌊s / per⌋ women; if fewer won on votes, the
  highest-voted losing women of the list replace its lowest-voted male winners, each taking the seat of the
  man she displaces. Kurdistan Region 2024 (IHEC Regulation No. 9 of 2024, mass-org.com/index.php/2024/12/
  09/how-to-decide-the-final-women-in-the-kurdistan-parliamentary-elections): per=(3,). Iraq 2025 (IHEC,
  Shafaq News 2025-11-14, shafaq.com/en/Iraq/IHEC-sets-mechanism-for-quota-seats-and-replacements): first
  ⌊s/4⌋, and if the constituency's women's seats are still not met, ⌊s/3⌋: per=(4, 3) with `contest_minimum`.

`contest_minimum`: when the lists' winners on votes alone already include this many women, nothing changes
(Kurdistan 2024, step 1: "If the last woman is secured in any constituency, no change will be made").
Otherwise a position rule applies to every list in full, and count stages apply one after the other until the
minimum is met.

Women are candidates whose gender is Gender.FEMALE; every other candidate (men, others, gender not published)
is not counted as a woman and can lose a seat to one, as in seats/sntv.py. A list with fewer candidates than
seats fills what it can; the rest are `vacant`. Where too few women stand, `women_short` says how many the
rule missed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from ..model import Gender
from .result import Replacement
from .ties import Lot, Tie

__all__ = ["WOMEN_LIST_COUNT", "WOMEN_LIST_POSITION", "Blocks", "ListCandidate", "OpenListResult",
           "WomenByCount", "WomenByPosition", "WomenInLists", "fill_open_lists"]

# Replacement.rule values
WOMEN_LIST_POSITION = "women-list-position"
WOMEN_LIST_COUNT = "women-list-count"


@dataclass(frozen=True, slots=True)
class ListCandidate:
    candidate_id: str
    votes: int
    gender: Gender = Gender.UNKNOWN
    position: int = 0  # place on the ballot paper (1 = top); 0 when not published. Not used to rank.


class Blocks(str, Enum):
    """Which groups of `every` seats must hold `women` women."""

    EACH = "each"  # seats 1..every, every+1..2·every, …: each complete group
    CUMULATIVE = "cumulative"  # the first k·every seats hold k·women women, for each complete k
    WINDOW = "window"  # any `every` consecutive seats


def _positive(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a whole number >= 1; got {value!r}.")
    return value


def _minimum(value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"contest_minimum must be a whole number >= 0 or None; got {value!r}.")


@dataclass(frozen=True, slots=True)
class WomenByPosition:
    every: int = 3
    women: int = 1
    blocks: Blocks = Blocks.EACH
    contest_minimum: int | None = None

    def __post_init__(self) -> None:
        _positive(self.every, "every")
        w = self.women
        if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= self.every:
            raise ValueError(f"women must be a whole number from 0 to every ({self.every}); got {w!r}.")
        Blocks(self.blocks)
        _minimum(self.contest_minimum)


@dataclass(frozen=True, slots=True)
class WomenByCount:
    per: tuple[int, ...] = (3,)  # ⌊seats / per⌋ women per list, stage after stage
    contest_minimum: int | None = None

    def __post_init__(self) -> None:
        if not self.per:
            raise ValueError("per needs at least one stage, e.g. (3,).")
        for p in self.per:
            _positive(p, "each stage of per")
        _minimum(self.contest_minimum)


WomenInLists = WomenByPosition | WomenByCount


@dataclass(frozen=True, slots=True)
class OpenListResult:
    elected: Mapping[str, tuple[str, ...]]  # list id -> candidate ids in seat order, every list of list_seats
    replacements: tuple[Replacement, ...]  # a woman who took the seat a man had won on votes, and why
    ties: tuple[Tie, ...]  # every cut the lot decided between candidates with equal votes
    women_short: Mapping[str, int]  # list id -> women the rule required that the list could not supply
    vacant: Mapping[str, int]  # list id -> seats left empty: fewer candidates than seats
    quota_applied: bool  # False when there is no rule, or the contest minimum was met on votes alone

    def to_dict(self) -> dict[str, object]:
        return {"elected": {k: list(v) for k, v in self.elected.items()},
                "replacements": [r.to_dict() for r in self.replacements],
                "ties": [t.to_dict() for t in self.ties], "women_short": dict(self.women_short),
                "vacant": dict(self.vacant), "quota_applied": self.quota_applied}


def _woman(c: ListCandidate) -> bool:
    return c.gender == Gender.FEMALE


def _check(list_seats: Mapping[str, int], candidates: Mapping[str, Sequence[ListCandidate]]) -> None:
    seen: set[str] = set()
    for list_id, cands in candidates.items():
        for c in cands:
            if isinstance(c.votes, bool) or not isinstance(c.votes, int) or c.votes < 0:
                raise ValueError(f"The votes of candidate {c.candidate_id!r} (list {list_id!r}) must be a "
                                 f"whole number >= 0; got {c.votes!r}.")
            if isinstance(c.position, bool) or not isinstance(c.position, int) or c.position < 0:
                raise ValueError(f"The position of candidate {c.candidate_id!r} must be a whole number >= 0; "
                                 f"got {c.position!r}.")
            if c.candidate_id in seen:
                raise ValueError(f"Candidate {c.candidate_id!r} is given twice.")
            seen.add(c.candidate_id)
    for list_id, n in list_seats.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"The seats of list {list_id!r} must be a whole number >= 0; got {n!r}.")
        if n and list_id not in candidates:
            raise ValueError(f"List {list_id!r} won {n} seats but has no entry among the candidates.")


def _cut_tie(ranked: Sequence[ListCandidate], take: int, lot: Lot, context: str) -> Tie | None:
    """The tie the lot settled when the first `take` of `ranked` are chosen, if the cut splits equal votes."""
    if take <= 0 or take >= len(ranked) or ranked[take - 1].votes != ranked[take].votes:
        return None
    boundary = ranked[take].votes
    group = [c.candidate_id for c in ranked if c.votes == boundary]
    places = sum(c.votes == boundary for c in ranked[:take])
    return lot.draw(context, group, places)


def position_groups(rule: WomenByPosition, n: int) -> list[tuple[int, int, int]]:
    """(first seat, last seat, women required) of every group the rule constrains, seats 0-based, complete
    groups within the n seats only."""
    e, w = rule.every, rule.women
    if rule.blocks is Blocks.EACH:
        return [(a, a + e - 1, w) for a in range(0, n - e + 1, e)]
    if rule.blocks is Blocks.CUMULATIVE:
        return [(0, (k + 1) * e - 1, (k + 1) * w) for k in range(n // e)]
    return [(a, a + e - 1, w) for a in range(n - e + 1)]


def _fill_by_position(ranked: list[ListCandidate], n: int,
                      rule: WomenByPosition) -> tuple[list[ListCandidate], int]:
    """Seats 1..n in order: the best candidate left, or the best woman left when a group's women can only
    still be met with this seat. When no woman is left the seat goes to the best candidate left and counts
    as one woman short; later groups take that seat as settled, so a shortfall is counted once."""
    groups = position_groups(rule, n)
    seated: list[ListCandidate] = []
    settled = [0]  # seats 0..k-1 that went to a woman or were counted short
    left = list(ranked)
    short = 0
    for k in range(n):
        # forced when some group holding seat k still needs as many women as it has seats left
        forced = any(a <= k <= b and r - (settled[k] - settled[a]) >= b - k + 1 for a, b, r in groups)
        pick = next((c for c in left if _woman(c)), None) if forced else left[0]
        if pick is None:
            short, pick = short + 1, left[0]
        left.remove(pick)
        seated.append(pick)
        settled.append(settled[-1] + (forced or _woman(pick)))
    return seated, short


def _ranked(cands: Sequence[ListCandidate], lot: Lot, context: str) -> list[ListCandidate]:
    """Most votes first; equal votes in the lot's order."""
    return sorted(cands, key=lambda c: (-c.votes, lot.ticket(context, c.candidate_id), c.candidate_id))


def _replace_by_count(seated: list[ListCandidate], ranked: list[ListCandidate], required: int) -> int:
    """Bring the list's women up to `required`: the highest-ranked women not seated take, best first, the
    seats of the lowest-ranked men seated. Returns how many women are still missing."""
    need = required - sum(map(_woman, seated))
    if need <= 0:
        return 0
    ids = {c.candidate_id for c in seated}
    entrants = [c for c in ranked if _woman(c) and c.candidate_id not in ids][:need]
    men = [c for c in ranked if c.candidate_id in ids and not _woman(c)]
    for woman, man in zip(entrants, reversed(men)):
        seated[seated.index(man)] = woman
    return need - min(len(entrants), len(men))


def fill_open_lists(list_seats: Mapping[str, int], candidates: Mapping[str, Sequence[ListCandidate]],
                    women: WomenInLists | None = None, lot: Lot = Lot(), context: str = "") -> OpenListResult:
    """Who sits in each list's seats, in seat order. Raises ValueError for negative counts, a candidate id
    given twice, or a list with seats and no candidates entry."""
    _check(list_seats, candidates)
    ctx = {lid: f"{context} / list {lid}" if context else f"list {lid}" for lid in list_seats}
    ranked = {lid: _ranked(candidates.get(lid, ()), lot, ctx[lid]) for lid in list_seats}
    filled = {lid: min(n, len(ranked[lid])) for lid, n in list_seats.items()}
    on_votes = {lid: ranked[lid][:filled[lid]] for lid in list_seats}
    seated = {lid: list(on_votes[lid]) for lid in list_seats}
    short = dict.fromkeys(list_seats, 0)
    women_on_votes = sum(_woman(c) for s in on_votes.values() for c in s)
    applied = women is not None and (women.contest_minimum is None or women_on_votes < women.contest_minimum)
    rule = ""
    if applied and isinstance(women, WomenByPosition):
        rule = WOMEN_LIST_POSITION
        for lid in list_seats:
            seated[lid], short[lid] = _fill_by_position(ranked[lid], filled[lid], women)
    elif applied and isinstance(women, WomenByCount):
        rule = WOMEN_LIST_COUNT
        for per in women.per:
            for lid, n in list_seats.items():
                short[lid] = _replace_by_count(seated[lid], ranked[lid], n // per)
            if women.contest_minimum is not None and \
                    sum(_woman(c) for s in seated.values() for c in s) >= women.contest_minimum:
                break
    replacements: list[Replacement] = []
    ties: list[Tie] = []
    for lid in list_seats:
        ids = {c.candidate_id for c in seated[lid]}
        voted = {c.candidate_id for c in on_votes[lid]}
        entrants = [c.candidate_id for c in ranked[lid] if c.candidate_id in ids - voted]
        displaced = [c.candidate_id for c in on_votes[lid] if c.candidate_id not in ids]
        replacements += [Replacement(w, m, rule) for w, m in zip(entrants, reversed(displaced))]
        cuts = [_cut_tie(ranked[lid], filled[lid], lot, ctx[lid])]
        if entrants:
            for part in ([c for c in ranked[lid] if _woman(c)], [c for c in ranked[lid] if not _woman(c)]):
                cuts.append(_cut_tie(part, sum(c.candidate_id in ids for c in part), lot, ctx[lid]))
        ties += [t for i, t in enumerate(cuts) if t is not None and t not in cuts[:i]]
    return OpenListResult(
        MappingProxyType({lid: tuple(c.candidate_id for c in seated[lid]) for lid in list_seats}),
        tuple(replacements), tuple(ties), MappingProxyType(short),
        MappingProxyType({lid: n - filled[lid] for lid, n in list_seats.items()}), applied)
