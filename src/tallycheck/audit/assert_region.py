"""Assertions for a region's women's minimum across contests (Iraq 2021: 25 % of a governorate's general seats),
split into single-contest assertions.

seats/sntv.py `women_region_minimum`: while the region is short, its losing woman ranked first (by votes, or by
her share of her own contest's votes) whose contest still seats a man replaces that contest's lowest-voted male
winner. Given each contest's own outcome O_j (its winners before the region acted), the region's entrants E
are the same when (docs/methods.md, "Audits: assertions", proves it):
1. every O_j is confirmed by its contest's own assertions (so the region's women and its shortfall are fixed);
2. in each contest, the men who keep their seats beat the men the region's entrants displaced;
3. every entrant ranks above every losing woman of a contest that still seats a man: one threshold c between
   the lowest-ranked entrant and the highest-ranked such woman, asserted per candidate in her own contest
   (votes > c, or share > c), c chosen so that the closest pair's two assertions have equal margins per card;
4. a losing woman of a contest whose men were all displaced ranks below every entrant of her own contest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ..seats.result import WOMEN_REGION, ContestSeats
from ..seats.sntv import RegionRank
from .assert_forms import balanced_threshold, number_text, share_above, share_below, votes_above, votes_below
from .assert_sntv import Cand, pairwise
from .assertion import Assertion


@dataclass(slots=True)
class RegionPart:
    """What the region adds to one contest: its own outcome before the region acted, assertions, and a reason
    for a full count (a tie between women of different contests settled by the region's lot)."""

    own_winners: frozenset[str]
    assertions: list[Assertion] = field(default_factory=list)
    full_count: str = ""
    notes: list[str] = field(default_factory=list)


def region_assertions(area: str, contests: Sequence[ContestSeats], cands: Mapping[str, Sequence[Cand]],
                      rank: RegionRank, cards: Callable[[], Mapping[str, int]]) -> dict[str, RegionPart]:
    """Per contest of the region (general contests only): its own outcome and the region's assertions.
    `cards()` gives each contest's card count (the manifest), read only when a threshold on votes is needed."""
    parts: dict[str, RegionPart] = {}
    entrants: list[tuple[str, Cand]] = []
    for cs in contests:
        regional = [r for r in cs.replacements if r.rule == WOMEN_REGION]
        won = set(cs.winner_ids)
        own = (won - {r.elected for r in regional}) | {r.displaced for r in regional}
        parts[cs.contest_id] = RegionPart(frozenset(own))
        by_id = {c.candidate_id: c for c in cands[cs.contest_id]}
        entrants += [(cs.contest_id, by_id[r.elected]) for r in regional]
    if not entrants:
        return parts  # the region's minimum did not act: each contest's own assertions fix its women
    open_women: list[tuple[str, Cand]] = []  # losing women of contests that still seat a man
    for cs in contests:
        cid, part = cs.contest_id, parts[cs.contest_id]
        by_id = {c.candidate_id: c for c in cands[cid]}
        won = set(cs.winner_ids)
        own_men = [by_id[c] for c in part.own_winners if not by_id[c].woman]
        displaced = [c for c in own_men if c.candidate_id not in won]
        kept = [c for c in own_men if c.candidate_id in won]
        part.assertions += pairwise(cid, kept, displaced, f"women's minimum of region {area}: the men who keep "
                                                          "their seats must beat the men the region displaced")
        losing_w = [c for c in cands[cid] if c.woman and c.candidate_id not in won]
        if kept:
            open_women += [(cid, c) for c in losing_w]
        elif own_men:  # every man displaced: her contest closed to her only after its own entrants came in
            mine = [c for k, c in entrants if k == cid]
            part.assertions += pairwise(cid, mine, losing_w, f"women's minimum of region {area}: the women who "
                                                             "entered here must rank above those who did not")
    if not open_women:
        return parts
    totals = {cs.contest_id: sum(c.votes for c in cands[cs.contest_id]) for cs in contests}

    def key(cid: str, c: Cand) -> Fraction:
        return Fraction(c.votes) if rank is RegionRank.VOTES else Fraction(c.votes, totals[cid] or 1)

    low_cid, low = min(entrants, key=lambda p: key(*p))
    high_cid, high = max(open_women, key=lambda p: key(*p))
    if key(low_cid, low) <= key(high_cid, high):
        why = (f"a tie for the women's minimum of region {area} between candidate {low.candidate_id} of contest "
               f"{low_cid} and candidate {high.candidate_id} of contest {high_cid}, settled by the region's lot")
        if key(low_cid, low) < key(high_cid, high):
            why = (f"the women's minimum of region {area} seated candidate {low.candidate_id} of contest "
                   f"{low_cid} above candidate {high.candidate_id} of contest {high_cid}, who ranks higher")
        for part in parts.values():  # the region's lot decided who entered: every seat of the region hangs on it
            part.full_count = why
        return parts
    n = cards()
    if rank is RegionRank.VOTES:
        c = balanced_threshold(low.votes, Fraction(1), n[low_cid], high.votes, Fraction(1), n[high_cid])
    else:
        c = balanced_threshold(low.votes, Fraction(totals[low_cid]), n[low_cid], high.votes,
                               Fraction(totals[high_cid]), n[high_cid])
    what = "votes" if rank is RegionRank.VOTES else "share of her contest's votes"
    note = (f"region {area}: the women's minimum is confirmed through the threshold {number_text(c)} on {what}, "
            f"between candidate {low.candidate_id} of contest {low_cid} (the lowest-ranked entrant) and candidate "
            f"{high.candidate_id} of contest {high_cid} (the highest-ranked woman left out)")
    for cid, w in entrants:
        pool = [(x.candidate_id, "") for x in cands[cid]]
        parts[cid].assertions.append(
            votes_above(cid, w.side, c, n[cid], f"women's minimum of region {area}: an entrant must rank above "
                                                "the threshold") if rank is RegionRank.VOTES else
            share_above(cid, w.side, c, pool, f"women's minimum of region {area}: an entrant must rank above "
                                              "the threshold", base="contest's candidate votes"))
    for cid, w in open_women:
        if rank is RegionRank.VOTES and c >= n[cid]:
            continue  # her contest has too few cards to reach c: true whatever they say
        pool = [(x.candidate_id, "") for x in cands[cid]]
        parts[cid].assertions.append(
            votes_below(cid, w.side, c, n[cid], f"women's minimum of region {area}: a woman left out must rank "
                                                "below the threshold") if rank is RegionRank.VOTES else
            share_below(cid, w.side, c, pool, f"women's minimum of region {area}: a woman left out must rank "
                                              "below the threshold", base="contest's candidate votes"))
    for cid in {cid for cid, _ in entrants} | {cid for cid, _ in open_women}:
        parts[cid].notes.append(note)
    return parts
