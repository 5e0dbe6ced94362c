"""The seats of a whole election package under its law: every contest, the regional women's minimum, the
parties' totals.

`allocate(data)` reads the law from election.toml ([law], resolved by laws.resolve_law), totals each
candidate's votes from the results table (integer sums; result rows of `annulled` stations left out first),
and fills every contest:

- a contest with a `group` (a community's reserved seats) by its highest-voted candidates, per area where
  seat_areas.csv assigns its seats area by area (Iraq's nationwide Christian ballot);
- an SNTV or plurality contest by sntv.sntv with the contest's `women_seats`;
- a majority contest (one seat) by `majority`: the highest-voted if they have more than the law's share of
  the contest's valid votes, else no winner and a run-off between the two highest-voted;
- a list-PR contest by apportioning the lists' votes (list-only votes plus their candidates' personal votes)
  and filling each list's seats from its candidates;

then applies the law's regional women's minimum (Iraq 2021: 25 % of a governorate's general seats) across the
general SNTV contests of each region. Each decision draws from the lot with a context that names it
("contest ID", "region AREA"), so one public seed gives every draw, and anyone can redo each one.

`vote_totals` and `allocate_votes` split the two halves, so that what-if and margin calculations can
re-allocate changed totals without reading the results table again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

import pyarrow as pa
import pyarrow.compute as pc

from ..model import Candidate, Contest, ElectionData, Gender, Law
from ..tabulate import INDEPENDENT, Tabulation
from .apportion import apportion
from .laws import LawError, SeatLaw, System, WomenInListsRule, resolve_law
from .lists import ListCandidate, WomenByCount, WomenByPosition, WomenInLists, fill_open_lists
from .result import ContestSeats, PartySeats, RegionWomen, Seat, SeatResult, SeatVia, SntvResult
from .sntv import RegionContest, SntvCandidate, sntv, sntv_by_area, women_region_minimum
from .ties import Lot, Tie, TieRule


@dataclass(frozen=True, slots=True)
class VoteTotals:
    """(contest_id, candidate_id) -> a candidate's own votes; (contest_id, list_id) -> list-only votes."""

    candidates: Mapping[tuple[str, str], int]
    list_only: Mapping[tuple[str, str], int]


def contest_context(contest_id: str) -> str:
    return f"contest {contest_id}"


def region_context(area: str) -> str:
    return f"region {area}"


def vote_totals(data: ElectionData, tabulation: Tabulation | None = None,
                annulled: Iterable[str] = frozenset()) -> VoteTotals:
    """Each choice's votes, summed as integers from the results table after leaving out the rows of `annulled`
    stations. A tabulation of the same data is reused when nothing is annulled. Raises ValueError for an
    annulled station id that the package does not hold."""
    annulled = frozenset(annulled)
    if annulled:
        known = set(data.table("stations").column("station_id").to_pylist())
        unknown = sorted(annulled - known)
        if unknown:
            more = " ..." if len(unknown) > 5 else ""
            raise ValueError(f"No station {', '.join(map(repr, unknown[:5]))}{more} in stations.csv: "
                             "annulled stations must be stations of the package.")
    if tabulation is not None and not annulled:
        ch = tabulation.choices.filter(pc.not_equal(tabulation.choices.column("candidate_id"), ""))
        cands = dict(zip(zip(ch.column("contest_id").to_pylist(), ch.column("candidate_id").to_pylist()),
                         ch.column("votes").to_pylist()))
        ls = tabulation.lists
        lists = dict(zip(zip(ls.column("contest_id").to_pylist(), ls.column("list_id").to_pylist()),
                         ls.column("list_only_votes").to_pylist()))
        return VoteTotals(MappingProxyType(cands), MappingProxyType(lists))
    results = data.table("results").select(["station_id", "contest_id", "candidate_id", "list_id", "votes"])
    if annulled:
        struck = pc.is_in(results.column("station_id"), value_set=pa.array(sorted(annulled), pa.string()))
        results = results.filter(pc.invert(struck))
    summed = results.group_by(["contest_id", "candidate_id", "list_id"], use_threads=False) \
        .aggregate([("votes", "sum")])
    cands: dict[tuple[str, str], int] = {}
    lists: dict[tuple[str, str], int] = {}
    for contest, cand, lst, votes in zip(*(summed.column(c).to_pylist() for c in
                                           ("contest_id", "candidate_id", "list_id", "votes_sum"))):
        if cand:
            cands[(contest, cand)] = int(votes or 0)
        else:
            lists[(contest, lst)] = int(votes or 0)
    return VoteTotals(MappingProxyType(cands), MappingProxyType(lists))


def allocate(data: ElectionData, tabulation: Tabulation | None = None, *, lot: Lot = Lot(),
             tie_rule: TieRule = TieRule.LOT, law: Law | None = None,
             annulled: frozenset[str] = frozenset()) -> SeatResult:
    """Every seat of the election under its law (or `law`, overriding election.toml's [law]).
    Raises LawError when the law cannot be resolved or applied to this package, ValueError for an annulled
    station the package does not hold."""
    return allocate_votes(data, vote_totals(data, tabulation, annulled), lot=lot, tie_rule=tie_rule,
                          law=law, annulled=annulled)


def allocate_votes(data: ElectionData, totals: VoteTotals, *, lot: Lot = Lot(),
                   tie_rule: TieRule = TieRule.LOT, law: Law | SeatLaw | None = None,
                   annulled: Iterable[str] = ()) -> SeatResult:
    """allocate() from given vote totals (the package supplies contests, candidates, lists, areas)."""
    seat_law = law if isinstance(law, SeatLaw) else resolve_law(law if law is not None else data.election.law)
    contests = sorted(data.contests, key=lambda c: c.contest_id.encode("utf-8"))
    by_contest: dict[str, list[Candidate]] = defaultdict(list)
    for cand in data.candidates:
        by_contest[cand.contest_id].append(cand)
    lists_of: dict[str, list[str]] = defaultdict(list)
    for lst in data.lists:
        lists_of[lst.contest_id].append(lst.list_id)
    seat_areas: dict[str, dict[str, int]] = defaultdict(dict)
    for row in data.table("seat_areas").to_pylist():
        seat_areas[row["contest_id"]][row["area"]] = row["seats"]

    outcomes: dict[str, _Outcome] = {}
    for contest in contests:
        cid = contest.contest_id
        if seat_law.system is System.MAJORITY and not contest.group:
            outcomes[cid] = _majority_contest(contest, by_contest[cid], totals, seat_areas.get(cid), lot,
                                              tie_rule, seat_law)
        elif contest.group or seat_law.system in (System.SNTV, System.PLURALITY):
            outcomes[cid] = _candidate_contest(contest, by_contest[cid], totals, seat_areas.get(cid), lot,
                                               tie_rule, seat_law)
        else:
            outcomes[cid] = _list_contest(contest, by_contest[cid], lists_of[cid], totals, lot, tie_rule,
                                          seat_law)
    regions = _regional_women(data, contests, by_contest, outcomes, lot, tie_rule, seat_law)
    seats = tuple(_contest_seats(c, by_contest[c.contest_id], outcomes[c.contest_id]) for c in contests)
    return SeatResult(seat_law.name, MappingProxyType(seat_law.params()), seats, _parties(seats, by_contest),
                      regions, tuple(sorted(set(annulled))), lot.seed, tie_rule)


@dataclass(slots=True)
class _Outcome:
    candidates: tuple[SntvCandidate, ...]
    result: SntvResult
    system: str
    via: SeatVia
    list_votes: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    list_seats: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    list_of: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # candidate -> list seat
    runoff: tuple[str, ...] = ()


def _sntv_candidates(cands: list[Candidate], totals: VoteTotals) -> tuple[SntvCandidate, ...]:
    return tuple(SntvCandidate(c.candidate_id, totals.candidates.get((c.contest_id, c.candidate_id), 0),
                               c.gender, c.area) for c in cands)


def _candidate_contest(contest: Contest, cands: list[Candidate], totals: VoteTotals,
                       per_area: dict[str, int] | None, lot: Lot, tie_rule: TieRule,
                       law: SeatLaw) -> _Outcome:
    sc = _sntv_candidates(cands, totals)
    context = contest_context(contest.contest_id)
    if per_area:
        if contest.women_seats:
            raise LawError(f"Contest {contest.contest_id!r} assigns its seats per area (seat_areas.csv) and "
                           f"also reserves {contest.women_seats} women's seats; no law tallycheck knows "
                           "combines the two.")
        result = sntv_by_area(sc, per_area, lot=lot, tie_rule=tie_rule, context=context)
    else:
        result = sntv(sc, contest.seats, women_seats=contest.women_seats, lot=lot, tie_rule=tie_rule,
                      context=context)
    system = System.SNTV.value if contest.group or law.system is System.LIST_PR else law.system.value
    return _Outcome(sc, result, system, SeatVia.MINORITY if contest.group else SeatVia.VOTES)


@dataclass(frozen=True, slots=True)
class MajorityOutcome:
    """A majority contest: its winner, or (no winner) the two highest-voted who go to a run-off, and the ties
    the lot settled to say who is first or second."""

    winner: str  # "" when nobody has more than the required share
    runoff: tuple[str, ...]
    ties: tuple[Tie, ...]
    valid_votes: int


def majority(candidates: Sequence[SntvCandidate], share: Fraction = Fraction(1, 2), *, lot: Lot = Lot(),
             tie_rule: TieRule = TieRule.LOT, context: str = "") -> MajorityOutcome:
    """One seat by absolute majority: the highest-voted candidate wins when their votes are strictly more than
    `share` of the valid votes (the sum of the candidates' votes, as Uganda's Constitution, art. 103(4),
    counts "valid votes cast"); otherwise the two highest-voted go to a run-off (art. 103(5)). Equal votes
    are ranked by the lot as in SNTV (a tie for first place can only arise when `share` < 1/2)."""
    valid = sum(c.votes for c in candidates)
    first = sntv(candidates, 1, lot=lot, tie_rule=tie_rule, context=context)
    if first.winners:
        top = next(c for c in candidates if c.candidate_id == first.winners[0])
        if top.votes > share * valid:  # strictly more: exactly the share goes to a run-off
            return MajorityOutcome(top.candidate_id, (), first.ties, valid)
    two = sntv(candidates, 2, lot=lot, tie_rule=tie_rule, context=context)
    return MajorityOutcome("", two.winners, two.ties, valid)


def _majority_contest(contest: Contest, cands: list[Candidate], totals: VoteTotals,
                      per_area: dict[str, int] | None, lot: Lot, tie_rule: TieRule, law: SeatLaw) -> _Outcome:
    cid = contest.contest_id
    if contest.seats != 1:
        raise LawError(f"Contest {cid!r} has {contest.seats} seats, but law {law.name!r} ({law.system.value}) "
                       "fills one seat per contest by absolute majority: give the contest seats = 1, or a law "
                       "for several seats (sntv, plurality, list-pr).")
    if contest.women_seats or per_area:
        what = "reserves women's seats" if contest.women_seats else "assigns its seats per area"
        raise LawError(f"Contest {cid!r} {what}, but law {law.name!r} fills a single seat by absolute "
                       "majority, with no quota and no seats per area.")
    sc = _sntv_candidates(cands, totals)
    outcome = majority(sc, law.majority_share, lot=lot, tie_rule=tie_rule, context=contest_context(cid))
    winners = (outcome.winner,) if outcome.winner else ()
    return _Outcome(sc, SntvResult(winners, (), outcome.ties), System.MAJORITY.value, SeatVia.VOTES,
                    runoff=outcome.runoff)


def ballot_position(candidate_id: str) -> tuple[int, int | str]:
    """The list order the package implies: numeric ids by number, others byte-wise after them."""
    return (0, int(candidate_id)) if candidate_id.isdigit() else (1, candidate_id)


def women_rule(law: SeatLaw, contest: Contest) -> WomenInLists | None:
    minimum = contest.women_seats if law.women_list_contest_minimum and contest.women_seats else None
    if law.women_lists is WomenInListsRule.POSITION:
        return WomenByPosition(law.women_list_every, law.women_list_women, law.women_list_blocks, minimum)
    if law.women_lists is WomenInListsRule.COUNT:
        return WomenByCount(law.women_list_per, minimum)
    return None


def _list_contest(contest: Contest, cands: list[Candidate], list_ids: list[str], totals: VoteTotals, lot: Lot,
                  tie_rule: TieRule, law: SeatLaw) -> _Outcome:
    """Seats to lists by the law's method on each list's votes (list-only votes + its candidates' personal
    votes), then to candidates: by personal votes (open lists, with the law's women's rule inside lists) or by
    list order (closed lists: the order of candidate ids, numeric ids by number)."""
    cid = contest.contest_id
    if not list_ids:
        raise LawError(f"Contest {cid!r} is filled by list PR ({law.name}) but lists.csv gives it no lists.")
    loose = [c.candidate_id for c in cands if c.list_id not in list_ids]
    if loose:
        raise LawError(f"Candidate {loose[0]!r} of list-PR contest {cid!r} stands on no list of that "
                       "contest: give each independent a list of their own in lists.csv.")
    sc = _sntv_candidates(cands, totals)
    members: dict[str, list[ListCandidate]] = {lid: [] for lid in list_ids}
    for c, s in sorted(zip(cands, sc), key=lambda p: ballot_position(p[0].candidate_id)):
        on_list = members[c.list_id]
        on_list.append(ListCandidate(c.candidate_id, s.votes, c.gender, len(on_list) + 1))
    list_votes = {lid: totals.list_only.get((cid, lid), 0) + sum(m.votes for m in members[lid])
                  for lid in list_ids}
    context = contest_context(cid)
    try:
        shares = apportion(list_votes, contest.seats, law.method, first_divisor=law.first_divisor,
                           threshold=law.threshold, lot=lot, tie_rule=tie_rule, context=context)
    except ValueError as exc:
        raise LawError(f"Contest {cid!r}: {exc}") from None
    if law.open_lists:
        filled = fill_open_lists(shares.seats, members, women_rule(law, contest), lot, context)
        elected, replacements, ties = filled.elected, filled.replacements, shares.ties + filled.ties
    else:
        if law.women_lists is not WomenInListsRule.NONE:
            raise LawError(f"Law {law.name!r}: a women's rule inside lists applies to open lists; a closed "
                           "list's order already holds it (set women_lists = \"none\").")
        elected = {lid: tuple(m.candidate_id for m in members[lid][:n]) for lid, n in shares.seats.items()}
        replacements, ties = (), shares.ties
    order = sorted(list_ids, key=lambda lid: (-shares.seats[lid], -list_votes[lid], lid))
    winners = tuple(w for lid in order for w in elected.get(lid, ()))
    list_of = {w: lid for lid in order for w in elected.get(lid, ())}
    return _Outcome(sc, SntvResult(winners, tuple(replacements), tuple(ties)), System.LIST_PR.value,
                    SeatVia.LIST, MappingProxyType(list_votes), MappingProxyType(dict(shares.seats)),
                    MappingProxyType(list_of))


def regions_at_level(data: ElectionData, level: str) -> dict[str, str]:
    """area_id -> the area of the given level that holds it (itself included), where there is one."""
    parent = {a.area_id: a.parent for a in data.areas}
    levels = {a.area_id: a.level for a in data.areas}
    out: dict[str, str] = {}
    for area in parent:
        cur, seen = area, set()
        while cur and cur not in seen:
            seen.add(cur)
            if levels.get(cur) == level:
                out[area] = cur
                break
            cur = parent.get(cur, "")
    return out


def _regional_women(data: ElectionData, contests: list[Contest], by_contest: Mapping[str, list[Candidate]],
                    outcomes: dict[str, _Outcome], lot: Lot, tie_rule: TieRule,
                    law: SeatLaw) -> tuple[RegionWomen, ...]:
    """The law's women's minimum per region over the region's general SNTV contests (minority seats excluded:
    Iraq counts the 25 % over general seats only, thenationalcontext.com); updates `outcomes` in place."""
    share = law.women_region_share
    if share is None or law.system is System.LIST_PR:
        return ()
    general = [c for c in contests if not c.group]
    region_of = regions_at_level(data, law.women_region_level)
    outside = [c.contest_id for c in general if c.area not in region_of]
    if outside:
        more = " ..." if len(outside) > 5 else ""
        raise LawError(f"Law {law.name!r} checks women per {law.women_region_level}, but areas.csv places no "
                       f"area of level {law.women_region_level!r} above contest "
                       f"{', '.join(map(repr, outside[:5]))}{more}. Give the areas "
                       f"(areas.csv, with `level`), set women_region_level, or switch the check off with "
                       f"women_region_share = \"none\" in [law].")
    regions: dict[str, list[Contest]] = defaultdict(list)
    for c in general:
        regions[region_of[c.area]].append(c)
    out = []
    for area in sorted(regions):
        members = regions[area]
        seats = sum(c.seats for c in members)
        required = law.women_region_rounding.apply(share * seats)
        outcome = women_region_minimum(
            [RegionContest(c.contest_id, outcomes[c.contest_id].candidates, outcomes[c.contest_id].result,
                           contest_context(c.contest_id)) for c in members],
            required, rank=law.women_region_rank, lot=lot, tie_rule=tie_rule, context=region_context(area))
        for contest_id, result in outcome.results.items():
            outcomes[contest_id].result = result
        out.append(RegionWomen(area, seats, required, outcome.women, outcome.short, outcome.ties))
    return tuple(out)


def _contest_seats(contest: Contest, cands: list[Candidate], outcome: _Outcome) -> ContestSeats:
    info = {c.candidate_id: c for c in cands}
    votes = {c.candidate_id: c.votes for c in outcome.candidates}
    entrants = {r.elected for r in outcome.result.replacements}
    seats = []
    for no, cid in enumerate(outcome.result.winners, start=1):
        c = info.get(cid)
        via = SeatVia.WOMEN_QUOTA if cid in entrants else outcome.via
        seats.append(Seat(contest.contest_id, no, cid, c.name if c else "", c.party if c else "",
                          c.gender if c else Gender.UNKNOWN, votes.get(cid, 0), via,
                          outcome.list_of.get(cid, c.list_id if c else "")))
    women = sum(s.gender is Gender.FEMALE for s in seats)
    return ContestSeats(
        contest.contest_id, contest.name, contest.seats, contest.area, contest.group, outcome.system,
        tuple(seats), outcome.result.replacements, outcome.result.ties, MappingProxyType(votes),
        outcome.list_votes, outcome.list_seats, contest.women_seats,
        max(0, min(contest.women_seats, contest.seats) - women),
        0 if outcome.runoff else contest.seats - len(seats), outcome.runoff)


def _parties(seats: tuple[ContestSeats, ...],
             by_contest: Mapping[str, list[Candidate]]) -> tuple[PartySeats, ...]:
    won: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # seats, women, votes
    for contest in seats:
        for cand in by_contest.get(contest.contest_id, ()):
            won[cand.party or INDEPENDENT][2] += contest.votes.get(cand.candidate_id, 0)
        for seat in contest.winners:
            acc = won[seat.party or INDEPENDENT]
            acc[0] += 1
            acc[1] += seat.gender is Gender.FEMALE
    order = sorted(won, key=lambda p: (-won[p][0], -won[p][2], p))
    return tuple(PartySeats(p, *won[p]) for p in order)
