"""The assertions that imply each reported seat outcome: `contest_assertions(data, result)`, one AssertionSet
per contest of the result, in contest_id order.

Each contest gets the assertions of its system (audit/assert_sntv.py, assert_lists.py, assert_region.py): if
all hold on the real votes, the law's allocation of the real votes gives every contest the reported seat
holders (docs/methods.md, "Audits: assertions"). A contest that no sample can confirm, because an assertion
it needs has no margin on the reported counts (a tie settled by the lot, a list exactly at the threshold) or
because no assertions are derived for its rule, gets `full_count` with the reason: it is counted in full.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ..model import ElectionData, Gender, Law
from ..seats.allocate import regions_at_level, women_rule
from ..seats.laws import NAMED_LAWS, LawError, SeatLaw, System, resolve_law
from ..seats.result import ContestSeats, SeatResult
from .assert_lists import ListInfo, list_seat_assertions, open_list_assertions
from .assert_region import RegionPart, region_assertions
from .assert_sntv import Cand, Unsupported, area_assertions, majority_assertions, sntv_assertions
from .assertion import Assertion, AssertionSet, ChoiceKey

__all__ = ["contest_assertions", "contest_card_counts", "law_of_result"]


def law_of_result(data: ElectionData, result: SeatResult) -> SeatLaw:
    """The resolved law the result was allocated under: the package's [law], or the parameters the result
    records where they differ from it (allocate(..., law=...))."""
    params = dict(result.law_params)
    try:
        law = resolve_law(data.election.law)
        if law.params() == params:
            return law
    except LawError:
        pass
    name = result.law if result.law in NAMED_LAWS else None
    system = System(params["system"])
    base = NAMED_LAWS[name] if name else SeatLaw("custom", system)  # without a name: the parameters' defaults
    # a parameter switched off reads back as "none" (law_params keeps it as None)
    changed = {k: "none" if v is None else v for k, v in params.items()
               if k != "name" and base.params().get(k) != v}
    if name is None:
        changed["system"] = system.value
    return resolve_law(Law(name, changed))


def contest_card_counts(data: ElectionData, annulled: Sequence[str] = ()) -> dict[str, int]:
    """Cards per contest as the audit counts them: per station, its sheet's ballots_cast, or the sum of its
    votes where that is larger (a sheet that does not add up); annulled stations left out."""
    sheets = data.table("sheets").select(["station_id", "contest_id", "ballots_cast"])
    results = data.table("results").select(["station_id", "contest_id", "votes"])
    if annulled:
        struck = pa.array(sorted(annulled), pa.string())
        sheets = sheets.filter(pc.invert(pc.is_in(sheets.column("station_id"), value_set=struck)))
        results = results.filter(pc.invert(pc.is_in(results.column("station_id"), value_set=struck)))
    cast: dict[tuple[str, str], int] = defaultdict(int)
    for s, c, n in zip(*(sheets.column(k).to_pylist() for k in ("station_id", "contest_id", "ballots_cast"))):
        cast[(s, c)] += n or 0
    summed = results.group_by(["station_id", "contest_id"], use_threads=False).aggregate([("votes", "sum")])
    voted = dict(zip(zip(summed.column("station_id").to_pylist(), summed.column("contest_id").to_pylist()),
                     summed.column("votes_sum").to_pylist()))
    out: dict[str, int] = defaultdict(int)
    for key in set(cast) | set(voted):
        out[key[1]] += max(cast.get(key, 0), voted.get(key) or 0)
    return dict(out)


def _reported_totals(cs: ContestSeats, lists: Sequence[ListInfo]) -> dict[ChoiceKey, int]:
    out: dict[ChoiceKey, int] = {(c, ""): v for c, v in cs.votes.items()}
    for li in lists:
        out[("", li.list_id)] = li.votes - sum(c.votes for c in li.members)
    return out


def _check(assertions: Sequence[Assertion], totals: Mapping[ChoiceKey, int], cards: int) -> str:
    """A reason for a full count when an assertion does not hold strictly on the reported counts."""
    for a in assertions:
        total = a.g_total(totals, cards)
        if total == 0:
            return (f"zero margin: {a.description} is an exact tie on the reported counts ({a.name}), settled "
                    "by the lot or by the letter of the rule; no sample can confirm it")
        if total < 0:
            return (f"the reported outcome does not follow from the reported counts: {a.description} is false "
                    f"({a.name})")
    return ""


def _dedupe(assertions: Sequence[Assertion]) -> tuple[Assertion, ...]:
    seen: dict[str, Assertion] = {}
    for a in assertions:
        seen.setdefault(a.name, a)
    return tuple(seen.values())


def contest_assertions(data: ElectionData, result: SeatResult) -> tuple[AssertionSet, ...]:
    """One AssertionSet per contest of `result` (contest_id order): assertions that, all true, imply its
    reported seat holders; or `full_count` with the reason no sample can confirm it."""
    law = law_of_result(data, result)
    model = {c.contest_id: c for c in data.contests}
    cands_of: dict[str, list] = defaultdict(list)
    for c in data.candidates:
        cands_of[c.contest_id].append(c)
    list_names: dict[str, dict[str, str]] = defaultdict(dict)
    for li in data.lists:
        list_names[li.contest_id][li.list_id] = li.name
    seat_areas: dict[str, dict[str, int]] = defaultdict(dict)
    for row in data.table("seat_areas").to_pylist():
        seat_areas[row["contest_id"]][row["area"]] = row["seats"]
    card_cache: dict[str, int] = {}

    def cards() -> Mapping[str, int]:
        if not card_cache:
            card_cache.update(contest_card_counts(data, result.annulled))
        return card_cache

    cands: dict[str, list[Cand]] = {}
    for cs in result.contests:
        cands[cs.contest_id] = [Cand(c.candidate_id, cs.votes.get(c.candidate_id, 0), c.gender is Gender.FEMALE,
                                     c.name, c.area) for c in cands_of[cs.contest_id]]
    regions = _regions(data, result, law, cands, cards)
    out = []
    for cs in result.contests:
        cid = cs.contest_id
        part = regions.get(cid)
        assertions: list[Assertion] = []
        notes: list[str] = list(part.notes) if part else []
        lists: list[ListInfo] = []
        full = part.full_count if part else ""
        try:
            if law.system is System.MAJORITY and not cs.group:
                share = law.majority_share
                winner = cs.winner_ids[0] if cs.winner_ids else ""
                assertions = majority_assertions(cid, cands[cid], share, winner, cs.runoff,
                                                 lambda: cards().get(cid, 0))
            elif cs.group or law.system in (System.SNTV, System.PLURALITY):
                if seat_areas.get(cid):
                    assertions = area_assertions(cid, cands[cid], seat_areas[cid], set(cs.winner_ids))
                else:
                    own = part.own_winners if part else frozenset(cs.winner_ids)
                    assertions = sntv_assertions(cid, cands[cid], cs.seats, cs.women_seats, own)
            else:
                by_list: dict[str, list[Cand]] = defaultdict(list)
                for c, info in zip(cands[cid], cands_of[cid]):
                    by_list[info.list_id].append(c)
                lists = [ListInfo(lid, list_names[cid].get(lid, ""), tuple(by_list[lid]), cs.list_votes[lid],
                                  cs.list_seats.get(lid, 0)) for lid in cs.list_votes]
                assertions = list_seat_assertions(cid, lists, cs.seats, law.method, law.first_divisor,
                                                  law.threshold)
                if law.open_lists:
                    seated: dict[str, list[str]] = defaultdict(list)
                    for seat in cs.winners:
                        seated[seat.list_id].append(seat.candidate_id)
                    assertions += open_list_assertions(cid, lists, seated, women_rule(law, model[cid]))
        except Unsupported as exc:
            full = full or f"no assertions confirm this contest: {exc}"
        if part:
            assertions += part.assertions
        assertions = list(_dedupe(assertions))
        if not full:
            needs_cards = any(a.invalid for a in assertions)
            full = _check(assertions, _reported_totals(cs, lists), cards().get(cid, 0) if needs_cards else 0)
        if not assertions and not full:
            notes.append("uncontested: every candidate who stood holds a seat whatever the count")
        if cs.ties and not full:
            notes.append("the lot settled a tie here that decides no seat holder: " +
                         "; ".join(f"{', '.join(t.candidates)} for {t.places}" for t in cs.ties))
        out.append(AssertionSet(cid, tuple(assertions), full, tuple(notes)))
    return tuple(out)


def _regions(data: ElectionData, result: SeatResult, law: SeatLaw, cands: Mapping[str, Sequence[Cand]],
             cards) -> dict[str, RegionPart]:
    if law.women_region_share is None or law.system in (System.LIST_PR, System.MAJORITY) or not result.regions:
        return {}
    region_of = regions_at_level(data, law.women_region_level)
    members: dict[str, list[ContestSeats]] = defaultdict(list)
    for cs in result.contests:
        if not cs.group and cs.area in region_of:
            members[region_of[cs.area]].append(cs)
    parts: dict[str, RegionPart] = {}
    for area in sorted(members):
        parts.update(region_assertions(area, members[area], cands, law.women_region_rank, cards))
    return parts

