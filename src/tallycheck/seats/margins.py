"""Seat margins: for every seat, the fewest ballots whose recorded choice would have to change for someone
else to hold it, and who that would be. Exact integers; no floats.

One changed ballot moves one vote from one choice to another. The margin of a seat is the least number x of
ballots moved from its holder h to one other choice c (minimised over c) after which h no longer holds a seat.
Ties are explicit: equal votes are settled by the public lot, so a margin comes in two readings:

- `ballots`: the least x after which h no longer keeps the seat outright, i.e. loses it when every tie with
  h's own votes goes against h. It is 0 when the seat was already won by the lot. This is the number a
  complaints body needs: at x ballots the seat is no longer safe.
- `ballots_to_lose`: the least x after which h loses the seat even when every such tie goes h's way.

Ties among other candidates are read as the lot draws them. How each margin is found:

- SNTV and plurality contests, with or without a women's minimum per contest, and ballots whose seats are held
  area by area: closed forms (`sntv_margins`). With k seats and a minimum of w women (w' = min(w, women
  standing)), the reserve-first reading of the law (seats/sntv.py) gives: a woman h keeps a seat unless at
  least w' other women and at least k other candidates are above her; any other h keeps it unless at least k -
  w' other non-women are above h, or at least w' other women and k other candidates are. Moving x ballots from
  h to c lowers h to v_h - x and raises c to v_c + x; each count is a step function of x whose first crossing
  is given by order statistics (`_least_x`), so every (h, c) pair costs O(1) after one sort.
- Contests coupled by a regional women's minimum that can act, and list PR between lists: the real allocation
  is re-run (`search_margin`, `list_margins`) in a binary search over x, exact because the holder's standing
  can only get worse as x grows (docs/methods.md, "Seat margins and what-ifs", gives the argument per rule).
- Majority contests (one seat, more than a share q of the V valid votes, else a run-off): closed forms
  (`majority_margins`). The winner (w votes) stops winning outright at the least x with w - x <= q V, i.e.
  x = w - floor(q V), or, when q < 1/2, sooner if the runner-up (r votes) catches up: r + x >= w - x. A contest
  that goes to a run-off has no holder: its margin is the fewest ballots changed to its highest-voted
  candidate (a votes, from any others) that give an outright win, floor(q V) + 1 - a.
- Open lists with a women's rule inside lists, which need not be monotone: the allocation is re-run at every x
  where the list's order changes (exhaustive). tests/test_seats_margins.py checks every search against
  scanning every x.

References: the pairwise bound for highest-averages methods is equation 7 of P. B. Stark and V. Teague,
"Verifiable European Elections: Risk-limiting Audits for D'Hondt and Its Relatives", USENIX JETS 3(1), 2014;
the margin as the fewest changed ballots follows T. R. Magrino, R. L. Rivest, E. Shen, D. Wagner, "Computing
the Margin of Victory in IRV Elections", EVT/WOTE 2011.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Any

from ..model import Candidate, Contest, ElectionData, Gender, Law
from .allocate import ballot_position, regions_at_level, women_rule, contest_context, region_context
from .laws import SeatLaw, System, resolve_law
from .lists import ListCandidate, fill_open_lists
from .result import ContestSeats, SeatResult
from .sntv import RegionContest, SntvCandidate, sntv, sntv_by_area, women_region_minimum
from .ties import Lot, Tie, TieRule

__all__ = ["ListMargin", "MarginKind", "Method", "SeatMargin", "closest", "list_margins", "majority_margins",
           "search_margin", "seat_margins", "sntv_area_margins", "sntv_margins"]

INF = 1 << 62  # "no such x": larger than any vote count


class MarginKind(str, Enum):
    CANDIDATE = "candidate"  # ballots moved between candidates of one ballot (SNTV, plurality, with quotas)
    LIST = "list"  # ballots moved from the holder's list to another list: the list loses its last seat
    PERSONAL = "personal"  # personal votes moved between candidates of the holder's own open list


class Method(str, Enum):
    CLOSED_FORM = "closed-form"
    SEARCH = "search"  # the allocation re-run: a binary search over x, or every x where an order changes


@dataclass(frozen=True, slots=True)
class SeatMargin:
    """How close one seat is. `ballots` and `ballots_to_lose` are None where no move of the holder's ballots
    to a single other choice can take the seat (the only woman standing for a reserved seat, fewer candidates
    than seats). A majority contest that goes to a run-off has no holder (`holder` is ""): `ballots` is then
    the fewest changed ballots that give `challenger` (= `to`) the outright win."""

    contest_id: str
    holder: str  # the candidate holding the seat
    ballots: int | None  # fewest ballots moved from the holder (to `to`) after which it is not kept outright
    challenger: str  # the candidate who holds the seat after that move ("" if nobody new does)
    kind: MarginKind
    to: str = ""  # the choice the ballots are moved to (a candidate; a list for kind LIST)
    ballots_to_lose: int | None = None  # fewest after which the seat is lost whatever the lot draws
    method: Method = Method.CLOSED_FORM
    list_id: str = ""  # the holder's list (list PR)

    def to_dict(self) -> dict[str, Any]:
        return {"contest_id": self.contest_id, "holder": self.holder, "ballots": self.ballots,
                "ballots_to_lose": self.ballots_to_lose, "challenger": self.challenger, "to": self.to,
                "kind": self.kind.value, "method": self.method.value, "list_id": self.list_id}


def closest(margins: Iterable[SeatMargin]) -> tuple[SeatMargin, ...]:
    """Closest first; seats that no single move can take come last."""
    return tuple(sorted(margins, key=lambda m: (m.ballots is None, m.ballots or 0,
                                                m.ballots_to_lose is None, m.ballots_to_lose or 0,
                                                m.contest_id.encode("utf-8"), m.holder.encode("utf-8"))))


# -- closed forms for SNTV -----------------------------------------------------------------------------------

def _least_x(values: Sequence[int], p_c: int, j: int, c_in: bool, v_h: int, v_c: int, strict: bool) -> int:
    """Least x >= 0 at which at least j members of a class stand above the holder once x ballots moved from
    the holder (v_h) to c (v_c). `values`: the class's votes without the holder, most first; c sits at index
    p_c of it when `c_in`. Above = more votes (strict: ties go the holder's way) or at least as many."""
    if j <= 0:
        return 0
    bump = 1 if strict else 0
    n = len(values)

    # the x from which the i-th (1-based) highest member other than c is above: a member with u votes is
    # above once x >= v_h - u (+1)
    def kth(i: int) -> int:
        if c_in and p_c <= i - 1:
            i += 1
        return v_h - values[i - 1] + bump if i <= n else INF

    x = kth(j)
    if c_in:
        # c is above once v_c + x > v_h - x (strict) or >=: 2x > v_h - v_c, 2x >= v_h - v_c
        cross = (v_h - v_c) // 2 + 1 if strict else -((v_c - v_h) // 2)
        x = min(x, cross if j == 1 else max(kth(j - 1), cross))
    return max(x, 0)


@dataclass(frozen=True, slots=True)
class _Contest:
    """One SNTV ballot prepared for closed forms: candidate ids most-voted first, split into women and
    others."""

    votes: Mapping[str, int]
    woman: Mapping[str, bool]
    seats: int
    women_min: int  # w' = min(women_seats, women standing)
    order: tuple[str, ...]

    @classmethod
    def of(cls, candidates: Sequence[SntvCandidate], seats: int, women_seats: int) -> _Contest:
        votes = {c.candidate_id: c.votes for c in candidates}
        woman = {c.candidate_id: c.gender == Gender.FEMALE for c in candidates}
        order = tuple(sorted(votes, key=lambda cid: (-votes[cid], cid.encode())))
        return cls(votes, woman, seats, min(women_seats, sum(woman.values())), order)

    def margin_of(self, h: str) -> tuple[int, str, int]:
        """(least x with ties against h, its recipient, least x with ties for h) over every recipient c; INF
        where no move of h's ballots to one candidate unseats h.

        A woman h keeps a seat unless at least w' other women (class W) and k other candidates (class A) stand
        above her; any other h unless k - w' other non-women (class N) do, or both of the former hold. Each
        count's first crossing is `_least_x`; "and" is a max, "or" a min."""
        k, w, v_h, h_w = self.seats, self.women_min, self.votes[h], self.woman[h]
        everyone = [c for c in self.order if c != h]
        women = [c for c in everyone if self.woman[c]]
        others = [c for c in everyone if not self.woman[c]]
        pos_all = {c: i for i, c in enumerate(everyone)}
        pos_cls = {c: i for i, c in enumerate(women)} | {c: i for i, c in enumerate(others)}
        vals_all = [self.votes[c] for c in everyone]
        vals_w = [self.votes[c] for c in women]
        vals_n = [self.votes[c] for c in others]
        # Past the first j members of every class it is in, a recipient's x depends only on its own votes, and
        # more votes never need more ballots: of those, only the highest-voted of each gender can be best.
        recipients = set(everyone[:k + 1]) | set(women[:w + 1]) | set(others[:k - w + 1])
        for cls, j in ((women, w), (others, k - w)):
            recipients.update(next(([c] for c in cls[max(j, 0):] if pos_all[c] >= k), []))

        def least(c: str, strict: bool) -> int:
            v_c, c_w = self.votes[c], self.woman[c]
            p_c = pos_cls[c]
            x = max(_least_x(vals_w, p_c, w, c_w, v_h, v_c, strict),
                    _least_x(vals_all, pos_all[c], k, True, v_h, v_c, strict))
            if not h_w:
                x = min(x, _least_x(vals_n, p_c, k - w, not c_w, v_h, v_c, strict))
            return x if x <= v_h else INF

        best, to, best_lose, to_lose = INF, "", INF, INF
        # equal x: the recipient with which the seat is also lost soonest, then the higher-voted, then the id
        # (the order of `everyone`), whatever the input order
        for c in sorted(recipients, key=pos_all.__getitem__):
            x, x_lose = least(c, False), least(c, True)
            if (x, x_lose) < (best, to_lose):
                best, to, to_lose = x, c, x_lose
            best_lose = min(best_lose, x_lose)
        return best, to, best_lose


def _perturbed(votes: Mapping[str, int], holder: str, to: str, x: int, strict: bool,
               scale: int = 2) -> dict[str, int]:
    """Votes after moving x ballots from `holder` to `to`, multiplied by `scale`, with one added to everyone
    else (ties with the holder go against it) or to the holder alone (`strict`: they go its way). Comparisons
    that were strict stay as they were; only ties with the holder are resolved."""
    other = 0 if strict else 1
    out = {cid: scale * v + other for cid, v in votes.items()}
    out[holder] = scale * (votes[holder] - x) + (1 - other)
    if to:
        out[to] = scale * (votes[to] + x) + other
    return out


def sntv_margins(candidates: Sequence[SntvCandidate], seats: int, winners: Sequence[str], *,
                 women_seats: int = 0, contest_id: str = "", lot: Lot = Lot(),
                 context: str = "") -> tuple[SeatMargin, ...]:
    """Margins of the seats of one SNTV contest (`winners`: its holders, as `sntv` elected them) by closed
    form. Who takes a seat is found by re-running `sntv` once at the margin, with the same lot."""
    contest = _Contest.of(candidates, seats, women_seats)
    genders = {c.candidate_id: c.gender for c in candidates}

    def rerun(votes: Mapping[str, int]) -> Collection[str]:
        return sntv([SntvCandidate(cid, v, genders[cid]) for cid, v in votes.items()], seats,
                    women_seats=women_seats, lot=lot, context=context).winners

    out = []
    for h in winners:
        x, to, x_lose = contest.margin_of(h)
        out.append(_margin(contest_id, h, x, to, x_lose, contest.votes, winners, rerun, MarginKind.CANDIDATE,
                           Method.CLOSED_FORM))
    return tuple(out)


def sntv_area_margins(candidates: Sequence[SntvCandidate], seats_per_area: Mapping[str, int],
                      winners: Sequence[str], *, contest_id: str = "", lot: Lot = Lot(),
                      context: str = "") -> tuple[SeatMargin, ...]:
    """Margins of a ballot whose seats are held area by area (`sntv_by_area`): each area is a plain SNTV
    contest among the candidates running there, and ballots given to a candidate of another area change
    nothing."""
    by_area: dict[str, list[SntvCandidate]] = {}
    for c in candidates:
        by_area.setdefault(c.area, []).append(c)
    area_of = {c.candidate_id: c.area for c in candidates}
    votes = {c.candidate_id: c.votes for c in candidates}

    def rerun(v: Mapping[str, int]) -> Collection[str]:
        return sntv_by_area([SntvCandidate(cid, n, Gender.UNKNOWN, area_of[cid]) for cid, n in v.items()],
                            seats_per_area, lot=lot, context=context).winners

    contests = {a: _Contest.of(cs, seats_per_area.get(a, 0), 0) for a, cs in by_area.items()}
    out = []
    for h in winners:
        x, to, x_lose = contests[area_of[h]].margin_of(h)
        out.append(_margin(contest_id, h, x, to, x_lose, votes, winners, rerun, MarginKind.CANDIDATE,
                           Method.CLOSED_FORM))
    return tuple(out)


def _margin(contest_id: str, h: str, x: int, to: str, x_lose: int, votes: Mapping[str, int],
            winners: Collection[str], rerun: Callable[[Mapping[str, int]], Collection[str]], kind: MarginKind,
            method: Method, list_id: str = "") -> SeatMargin:
    if x >= INF:
        return SeatMargin(contest_id, h, None, "", kind, "", None if x_lose >= INF else x_lose, method,
                          list_id)
    before = set(winners)
    entered = [c for c in rerun(_perturbed(votes, h, to, x, strict=False)) if c not in before]
    # the recipient if it entered, else whoever entered with the most votes (several can enter when a quota
    # seat changes hands too)
    challenger = to if to in entered else min(entered, key=lambda c: (-votes[c], c.encode()), default="")
    return SeatMargin(contest_id, h, x, challenger, kind, to, None if x_lose >= INF else x_lose, method,
                      list_id)


# -- absolute majority -----------------------------------------------------------------------------------------

def majority_margins(votes: Mapping[str, int], share: Fraction, winner: str, *,
                     contest_id: str = "") -> tuple[SeatMargin, ...]:
    """The margin of a majority contest (seats/allocate.py `majority`) with the given vote totals, `share` q
    and `winner` ("" when it went to a run-off), by closed form.

    The valid votes V stay fixed when a ballot moves between candidates, and so does the bar q V. The winner
    (w votes) keeps an outright win while w - x > q V and w - x stays above everyone else, so the least x that
    ends it is min(w - floor(q V), x_r), with x_r the least x that brings the runner-up (r) level: ceil((w -
    r) / 2) when the tie is lost, floor((w - r) / 2) + 1 when the lot would give it to the winner. With q >=
    1/2 the first term always comes first (r + x > w - x needs w - x < V / 2 <= q V). Moving ballots to blank
    or invalid instead lowers the bar with them and needs (w - q V) / (1 - q) ballots, never fewer.

    A run-off contest: its highest-voted candidate (a votes) wins outright once a + x > q V; votes taken from
    the others only lower them, so x = floor(q V) + 1 - a, and no one else can do it with fewer."""
    valid = sum(votes.values())
    bar = share.numerator * valid // share.denominator  # floor(q V)
    order = sorted(votes, key=lambda c: (-votes[c], c.encode()))
    if not winner:
        if not valid or not order:
            return ()
        top = order[0]
        x = bar + 1 - votes[top]
        return (SeatMargin(contest_id, "", x, top, MarginKind.CANDIDATE, top, x, Method.CLOSED_FORM),)
    w = votes[winner]
    runner = next((c for c in order if c != winner), "")
    if not runner:  # the only candidate: no other choice to move ballots to
        return (SeatMargin(contest_id, winner, None, "", MarginKind.CANDIDATE),)
    r = votes[runner]
    to_runoff = w - bar
    level_lost, level_won = (w - r + 1) // 2, (w - r) // 2 + 1
    x, x_lose = min(to_runoff, level_lost), min(to_runoff, level_won)
    # at x the runner-up wins outright if above the bar and level (ties read against the winner), else the
    # seat goes to a run-off and nobody holds it
    challenger = runner if r + x > bar and r + x >= w - x else ""
    return (SeatMargin(contest_id, winner, x, challenger, MarginKind.CANDIDATE, runner, x_lose,
                       Method.CLOSED_FORM),)


# -- the general search --------------------------------------------------------------------------------------

# (votes of the holder's ballot, perturbed; strict) -> who holds a seat on that ballot
Rerun = Callable[[Mapping[str, int], bool], Collection[str]]


def _least_by_search(out_at: Callable[[int], bool], upper: int, below: int) -> int:
    """Least x in [0, min(upper, below - 1)] with out_at(x), for out_at False ... False True ... True; INF if
    there is none. `below` skips a recipient that cannot beat a margin already found (one call settles it)."""
    hi = min(upper, below - 1)
    if hi < 0 or not out_at(hi):
        return INF
    lo = 0
    while lo < hi:
        mid = (lo + hi) // 2
        if out_at(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _breakpoints(votes: Mapping[str, int], holder: str, to: str) -> list[int]:
    """Every x in [0, v_holder] at which moving x ballots from `holder` to `to` changes how some pair of
    candidates compares (either reading of ties): where the holder passes below another, where `to` reaches or
    passes another, where the two pass each other. Between two of them an ordinal allocation cannot change."""
    v_h, v_c = votes[holder], votes[to]
    xs = {0, v_h}
    for o, v in votes.items():
        if o not in (holder, to):
            xs.update((v_h - v, v_h - v + 1, v - v_c, v - v_c + 1))
    half = (v_h - v_c) // 2
    xs.update(range(half - 1, half + 3))
    return sorted(x for x in xs if 0 <= x <= v_h)


def search_margin(votes: Mapping[str, int], holder: str, winners_of: Rerun, winners: Collection[str], *,
                  challengers: Iterable[str] | None = None, contest_id: str = "",
                  kind: MarginKind = MarginKind.CANDIDATE, list_id: str = "", scale: int = 2,
                  monotone: bool = True) -> SeatMargin:
    """The margin of `holder`'s seat by re-running the allocation: `winners_of(votes, strict)` gets the
    holder's ballot with x ballots moved and ties with the holder resolved (`_perturbed`; other ballots of the
    same allocation must be scaled alike: `scale * v + (0 if strict else 1)`), and says who holds a seat.

    The allocation must depend only on how the counts compare (as SNTV with quotas, regional minimums and open
    lists do). If moving ballots away from the holder never helps it (`monotone`), whether the holder is out
    is False ... False True ... True in x and a binary search per recipient finds the least x; docs/methods.md
    argues it for each rule this is used with. Otherwise (`monotone=False`) every x at which some comparison
    changes is tried in turn (`_breakpoints`): exhaustive, since the outcome cannot change in between.
    tests/test_seats_margins.py checks both against scanning every x."""
    recipients = sorted((c for c in (votes if challengers is None else challengers) if c != holder),
                        key=lambda c: (-votes[c], c.encode()))
    v_h = votes[holder]

    def least(strict: bool) -> tuple[int, str]:
        best, to = INF, ""
        for c in recipients:
            def out_at(x: int, c: str = c) -> bool:
                return holder not in winners_of(_perturbed(votes, holder, c, x, strict, scale), strict)
            if monotone:
                x = _least_by_search(out_at, v_h, best)
            else:
                x = next((x for x in _breakpoints(votes, holder, c) if x < best and out_at(x)), INF)
            if x < best:
                best, to = x, c
        return best, to

    x, to = least(strict=False)
    x_lose, _ = least(strict=True)
    return _margin(contest_id, holder, x, to, x_lose, votes, winners,
                   lambda v: winners_of(_scaled_again(v, scale), False), kind, Method.SEARCH, list_id)


def _scaled_again(doubled: Mapping[str, int], scale: int) -> dict[str, int]:
    """`_margin` perturbs with scale 2; a rerun that needs `scale` gets the same order at that scale."""
    if scale == 2:
        return dict(doubled)
    return {cid: (v // 2) * scale + (v % 2) for cid, v in doubled.items()}


# -- list PR -------------------------------------------------------------------------------------------------

def _tie_lost(ties: Sequence[Tie], name: str) -> bool:
    return any(name in t.candidates and name not in t.drawn and t.places < len(t.candidates) for t in ties)


def _tie_won(ties: Sequence[Tie], name: str) -> bool:
    return any(name in t.drawn and t.places < len(t.candidates) for t in ties)


@dataclass(frozen=True, slots=True)
class ListMargin:
    """A list's `seat`-th seat (its last, unless asked for one above): the fewest ballots moved from the list
    to `to` after which it no longer keeps that seat (`ballots`; lost whatever the lot draws:
    `ballots_to_lose`), and the list that gains a seat."""

    list_id: str
    seats: int
    ballots: int | None
    to: str
    gainer: str
    ballots_to_lose: int | None
    seat: int = 0  # which of the list's seats, counted from its first


def list_margins(votes: Mapping[str, int], seats: int, method: str, *, first_divisor: Fraction | None = None,
                 threshold: Fraction | None = None, blank: int = 0, min_seats: int = 0, lot: Lot = Lot(),
                 tie_rule: TieRule = TieRule.LOT, context: str = "", depth: int = 0) -> dict[str, ListMargin]:
    """For each list that won a seat under `apportion` (any divisor or largest-remainder method, thresholds
    included): the fewest ballots moved from it to one other list after which it no longer keeps its last
    seat, and the list that gains that seat. `depth` > 0 asks instead for the seat that many places above each
    list's last (lists with fewer seats are left out): a closed list's seats fall from the bottom of its
    order.

    Exact by binary search, because moving ballots from list A to list B never gives A a seat: divisor methods
    are population-monotone (Balinski and Young, Fair Representation, 1982, ch. 6); under largest remainders
    with the total fixed, A's quota falls, and a seat freed by A's floor dropping goes back to A only if its
    remainder leads; a threshold on a fixed total can only drop A or lift B. Ties read the lot's report: a
    seat won by the lot is not kept outright, and a seat lost by the lot is not lost whatever the lot
    draws."""
    from .apportion import Apportionment, apportion

    def run(v: Mapping[str, int]) -> Any:
        return apportion(dict(v), seats, method, first_divisor=first_divisor, threshold=threshold,
                         blank=blank, min_seats=min_seats, lot=lot, tie_rule=tie_rule, context=context)

    base = run(votes)

    def run_moved(v: Mapping[str, int]) -> Any:
        try:
            return run(v)
        except ValueError:  # e.g. every list below the threshold now: no list keeps any seat
            return Apportionment(dict.fromkeys(v, 0), (), tuple(v))

    names = list(votes)
    out: dict[str, ListMargin] = {}
    for a in names:
        s_a = base.seats[a] - depth
        if s_a <= 0:
            continue

        def moved(b: str, x: int, a: str = a) -> Any:
            v = dict(votes)
            v[a] -= x
            v[b] += x
            return run_moved(v)

        def not_kept(b: str, x: int, a: str = a, s_a: int = s_a) -> bool:
            r = moved(b, x)
            return r.seats[a] < s_a or (r.seats[a] == s_a and _tie_won(r.ties, a))

        def lost(b: str, x: int, a: str = a, s_a: int = s_a) -> bool:
            r = moved(b, x)
            return r.seats[a] < s_a - 1 or (r.seats[a] == s_a - 1 and not _tie_lost(r.ties, a))

        def least(pred: Callable[[str, int], bool], a: str = a) -> tuple[int, str]:
            best, best_to = INF, ""
            for b in sorted((n for n in names if n != a), key=lambda n: (-votes[n], n.encode())):
                x = _least_by_search(lambda x: pred(b, x), votes[a], best)
                if x < best:
                    best, best_to = x, b
            return best, best_to

        x, to = least(not_kept)
        x_lose, _ = least(lost)
        gainer = ""
        if x < INF:
            after = moved(to, x)
            gained = [n for n in names if after.seats[n] > base.seats[n]]
            gainer = to if to in gained else min(gained, key=lambda n: (-votes[n], n.encode()), default="")
        out[a] = ListMargin(a, base.seats[a], None if x >= INF else x, to if x < INF else "", gainer,
                            None if x_lose >= INF else x_lose, s_a)
    return out


# -- a whole election ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Region:
    area: str
    required: int
    contests: tuple[str, ...]


def _binding_regions(data: ElectionData, law: SeatLaw, by_contest: Mapping[str, Sequence[Candidate]]
                     ) -> dict[str, _Region]:
    """contest_id -> its region, for regions whose women's minimum can act for some votes. A region cannot act
    when its contests' own minimums already guarantee enough women whatever the votes: each contest seats at
    least min(women_seats, women standing) women. (Iraq 2021: one district per women's seat, so 25 % of a
    governorate's seats is met by the districts' own seats, and every district keeps its closed form.)"""
    share = law.women_region_share
    if share is None or law.system is System.LIST_PR:
        return {}
    region_of = regions_at_level(data, law.women_region_level)
    groups: dict[str, list[Contest]] = {}
    for c in data.contests:
        if not c.group and c.area in region_of:
            groups.setdefault(region_of[c.area], []).append(c)
    out: dict[str, _Region] = {}
    for area, members in groups.items():
        required = law.women_region_rounding.apply(share * sum(c.seats for c in members))
        guaranteed = sum(min(c.women_seats, sum(x.gender == Gender.FEMALE
                                                for x in by_contest.get(c.contest_id, ()))) for c in members)
        if guaranteed < required:
            region = _Region(area, required, tuple(sorted((c.contest_id for c in members), key=str.encode)))
            out.update({cid: region for cid in region.contests})
    return out


class _RememberingLot(Lot):
    """The same lot, remembering each ticket it has computed: a search re-runs the allocation thousands of
    times with the same names and contexts, and SHA-256 per name per run would dominate it. Same tickets, same
    draws (`Lot.order` and `Lot.draw` read `ticket`)."""

    __slots__ = ("_tickets",)

    def __init__(self, seed: str) -> None:
        super().__init__(seed)
        object.__setattr__(self, "_tickets", {})

    def ticket(self, context: str, name: str) -> bytes:
        key = (context, name)
        t = self._tickets.get(key)
        if t is None:
            t = self._tickets[key] = Lot.ticket(self, context, name)
        return t


def _region_rerun(region: _Region, contest_id: str, ballots: Mapping[str, Sequence[SntvCandidate]],
                  seats: Mapping[str, tuple[int, int]], law: SeatLaw, lot: Lot, tie_rule: TieRule,
                  scale: int) -> Rerun:
    """Who holds a seat in `contest_id` when its votes change: the contest re-run by `sntv`, then the region's
    minimum (`women_region_minimum`) over the region's contests, the others at their own votes (scaled alike).

    The other contests do not change, so each is filled once per reading of ties and handed to the regional
    step with only what that step reads: its winners, its losing women, and one stand-in, never seated and not
    a woman, holding the rest of its votes (so that a share of the contest's votes stays the same)."""
    def contest_result(cid: str, cands: Sequence[SntvCandidate]) -> RegionContest:
        n, w = seats[cid]
        ctx = contest_context(cid)
        return RegionContest(cid, tuple(cands), sntv(cands, n, women_seats=w, lot=lot, tie_rule=tie_rule,
                                                     context=ctx), ctx)

    def reduced(cid: str, other: int) -> RegionContest:
        full = contest_result(cid, [SntvCandidate(c.candidate_id, scale * c.votes + other, c.gender, c.area)
                                    for c in ballots[cid]])
        seated = set(full.result.winners)
        keep = [c for c in full.candidates if c.candidate_id in seated or c.gender == Gender.FEMALE]
        rest = sum(c.votes for c in full.candidates) - sum(c.votes for c in keep)
        stand_in = SntvCandidate("\x00rest", rest, Gender.UNKNOWN)
        return RegionContest(cid, (*keep, stand_in), full.result, full.context)

    others = {strict: [reduced(cid, 0 if strict else 1) for cid in region.contests if cid != contest_id]
              for strict in (False, True)}
    where = region.contests.index(contest_id)

    def rerun(votes: Mapping[str, int], strict: bool) -> Collection[str]:
        mine = contest_result(contest_id, [SntvCandidate(c.candidate_id, votes[c.candidate_id], c.gender,
                                                         c.area) for c in ballots[contest_id]])
        members = list(others[strict])
        members.insert(where, mine)
        outcome = women_region_minimum(members, region.required, rank=law.women_region_rank, lot=lot,
                                       tie_rule=tie_rule, context=region_context(region.area))
        return outcome.results[contest_id].winners

    return rerun


def _list_contest_margins(cs: ContestSeats, cands: Sequence[Candidate], contest: Contest, law: SeatLaw,
                          lot: Lot, tie_rule: TieRule) -> list[SeatMargin]:
    """A list-PR contest: each list's last seat by ballots moved between lists, every seat by personal votes
    moved inside its open list; a seat's margin is the smaller of the two."""
    cid = cs.contest_id
    context = contest_context(cid)
    members: dict[str, list[ListCandidate]] = {lid: [] for lid in cs.list_votes}
    for c in sorted(cands, key=lambda c: ballot_position(c.candidate_id)):
        if c.list_id in members:
            members[c.list_id].append(ListCandidate(c.candidate_id, cs.votes.get(c.candidate_id, 0), c.gender,
                                                    len(members[c.list_id]) + 1))
    women = women_rule(law, contest) if law.open_lists else None

    def elected(list_seats: Mapping[str, int],
                people: Mapping[str, Sequence[ListCandidate]]) -> dict[str, tuple]:
        if law.open_lists:
            return dict(fill_open_lists(list_seats, people, women, lot, context).elected)
        return {lid: tuple(m.candidate_id for m in people[lid][:n]) for lid, n in list_seats.items()}

    by_list = elected(cs.list_seats, members)
    best: dict[str, SeatMargin] = {}
    if law.open_lists:
        for lid, seated in by_list.items():
            if not seated:
                continue
            votes = {m.candidate_id: m.votes for m in members[lid]}
            genders = {m.candidate_id: m.gender for m in members[lid]}

            def rerun(v: Mapping[str, int], strict: bool, lid: str = lid) -> Collection[str]:
                people = dict(members)
                people[lid] = [ListCandidate(m.candidate_id, v[m.candidate_id], m.gender, m.position)
                               for m in members[lid]]
                return elected(cs.list_seats, people)[lid]

            if women is None:  # plain: the list's seats go to its highest-voted candidates, an SNTV contest
                ballot = _Contest.of([SntvCandidate(c, n, genders[c]) for c, n in votes.items()], len(seated),
                                     0)
                for h in seated:
                    x, to, x_lose = ballot.margin_of(h)
                    best[h] = _margin(cid, h, x, to, x_lose, votes, seated, lambda v, r=rerun: r(v, False),
                                      MarginKind.PERSONAL, Method.CLOSED_FORM, lid)
            else:
                for h in seated:
                    # a women's rule by position need not be monotone (a "window" rule can seat a man again
                    # when a woman climbs): try every x where the list's order changes
                    best[h] = search_margin(votes, h, rerun, seated, contest_id=cid, kind=MarginKind.PERSONAL,
                                            list_id=lid, monotone=False)
    # a list's last seat; under closed lists every seat, each falling when the list drops to fewer than its
    # rank
    depths = range(max(cs.list_seats.values(), default=0)) if not law.open_lists else range(1)
    found = [list_margins(dict(cs.list_votes), cs.seats, law.method, first_divisor=law.first_divisor,
                          threshold=law.threshold, lot=lot, tie_rule=tie_rule, context=context, depth=d)
             for d in depths]
    for lid, m in ((lid, m) for lm in found for lid, m in lm.items()):
        if m.ballots is None or not by_list.get(lid):
            continue
        fewer = elected({**cs.list_seats, lid: m.seat - 1}, members)
        dropped = [c for c in by_list[lid][:m.seat] if c not in set(fewer[lid])]
        challenger = ""
        if m.gainer:
            more = elected({**cs.list_seats, m.gainer: cs.list_seats[m.gainer] + 1}, members)
            challenger = next((c for c in more[m.gainer] if c not in set(by_list.get(m.gainer, ()))), "")
        for h in dropped:
            current = best.get(h)
            if current is None or current.ballots is None or m.ballots < current.ballots:
                best[h] = SeatMargin(cid, h, m.ballots, challenger, MarginKind.LIST, m.to, m.ballots_to_lose,
                                     Method.SEARCH, lid)
    return [best[s.candidate_id] for s in cs.winners if s.candidate_id in best]


def seat_margins(result: SeatResult, data: ElectionData, *, law: Law | SeatLaw | None = None
                 ) -> tuple[SeatMargin, ...]:
    """The margin of every seat of `result` (as `allocate(data, law=law, ...)` returned it), closest first.

    The lot (seed) and tie rule are the result's own. Closed forms where a contest stands alone; the real
    allocation re-run where a regional women's minimum can act or a women's rule applies inside open lists."""
    seat_law = law if isinstance(law, SeatLaw) else resolve_law(law if law is not None else data.election.law)
    lot, tie_rule = Lot(result.seed), result.tie_rule
    by_contest: dict[str, list[Candidate]] = {}
    for cand in data.candidates:
        by_contest.setdefault(cand.contest_id, []).append(cand)
    contests = {c.contest_id: c for c in data.contests}
    seat_areas: dict[str, dict[str, int]] = {}
    for row in data.table("seat_areas").to_pylist():
        seat_areas.setdefault(row["contest_id"], {})[row["area"]] = row["seats"]
    regions = _binding_regions(data, seat_law, by_contest)
    remembering = _RememberingLot(lot.seed)
    ballots = {cs.contest_id: [SntvCandidate(c.candidate_id, cs.votes.get(c.candidate_id, 0), c.gender,
                                             c.area) for c in by_contest.get(cs.contest_id, ())]
               for cs in result.contests}
    out: list[SeatMargin] = []
    for cs in result.contests:
        cid = cs.contest_id
        holders = [s.candidate_id for s in cs.winners if s.candidate_id]
        if cs.system == System.MAJORITY.value:
            out += majority_margins(cs.votes, seat_law.majority_share, holders[0] if holders else "",
                                    contest_id=cid)
        elif cs.system == System.LIST_PR.value:
            out += _list_contest_margins(cs, by_contest.get(cid, ()), contests[cid], seat_law, lot, tie_rule)
        elif cid in seat_areas:
            out += sntv_area_margins(ballots[cid], seat_areas[cid], holders, contest_id=cid, lot=lot,
                                     context=contest_context(cid))
        elif cid in regions:
            region = regions[cid]
            scale = 2 * (sum(len(ballots[r]) for r in region.contests) + 1) * \
                (max(sum(c.votes for c in ballots[r]) for r in region.contests) + 1)
            seats = {r: (contests[r].seats, contests[r].women_seats) for r in region.contests}
            rerun = _region_rerun(region, cid, ballots, seats, seat_law, remembering, tie_rule, scale)
            votes = {c.candidate_id: c.votes for c in ballots[cid]}
            out += [search_margin(votes, h, rerun, holders, contest_id=cid, scale=scale) for h in holders]
        else:
            out += sntv_margins(ballots[cid], cs.seats, holders, women_seats=cs.women_seats, contest_id=cid,
                                lot=lot, context=contest_context(cid))
    return closest(out)
