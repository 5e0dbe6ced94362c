"""Assertions for list-PR contests: the threshold, each list's seats (divisor methods, any first divisor; the
Hare largest-remainder method), and who holds a list's seats in an open list, with the women's rules inside
lists of seats/lists.py (by count, by position, with or without a contest minimum).

Lists' votes are counted as seats/allocate.py counts them: a list's list-only votes plus its candidates'
personal votes, so a list's Side holds all those choice keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..seats.divisor import DIVISOR_METHODS, divisor_at
from ..seats.lists import WomenByCount, WomenByPosition, WomenInLists, position_groups
from .assert_forms import Side, quotient_beats, share_above, share_below, weighted
from .assert_sntv import Cand, Unsupported, pairwise, sntv_assertions
from .assertion import Assertion


@dataclass(frozen=True, slots=True)
class ListInfo:
    list_id: str
    name: str
    members: tuple[Cand, ...]  # in ballot order
    votes: int  # as allocate counted it: list-only + members' personal votes
    seats: int

    @property
    def side(self) -> Side:
        keys = (("", self.list_id),) + tuple((c.candidate_id, "") for c in self.members)
        return Side(f"L{self.list_id}", f"list {self.list_id}" + (f" ({self.name})" if self.name else ""), keys)


def _divisor(method: str, s: int, first: Fraction | None) -> Fraction:
    num, den = divisor_at(method, s, first)
    if num == 0:
        raise Unsupported(f"{method}'s divisor for seat {s + 1} is 0 (an infinite quotient): no linear assertion "
                          "is derived for it")
    return Fraction(num, den)


def list_seat_assertions(contest_id: str, lists: Sequence[ListInfo], seats: int, method: str,
                         first_divisor: Fraction | None, threshold: Fraction | None) -> list[Assertion]:
    """Assertions that fix every list's seats: the threshold (in or out), then the method's comparisons among
    the lists that take part."""
    out: list[Assertion] = []
    total = sum(li.votes for li in lists)
    taking = list(lists)
    if threshold is not None:
        t = Fraction(threshold)
        taking = [li for li in lists if li.votes * t.denominator >= t.numerator * total]
        kept = {li.list_id for li in taking}
        for li in lists:
            if li.list_id in kept:
                out.append(share_above(contest_id, li.side, t, None, f"threshold: the list must reach {t} of "
                                       "the lists' votes to take part", base="lists' votes"))
            else:
                out.append(share_below(contest_id, li.side, t, None, f"threshold: the list must stay below "
                                       f"{t} of the lists' votes to be left out", base="lists' votes"))
    if method in DIVISOR_METHODS:
        if method == "huntington-hill":
            raise Unsupported("huntington-hill's quotients have irrational divisors: no assertion with exact "
                              "weights is derived")
        why = "divisor method: each list's last seat quotient must beat every other list's next quotient"
        for a in taking:
            if a.seats == 0:
                continue
            d_a = _divisor(method, a.seats - 1, first_divisor)
            for b in taking:
                if b is not a:
                    out.append(quotient_beats(contest_id, a.side, d_a, b.side,
                                              _divisor(method, b.seats, first_divisor), why))
        return out
    if method == "hare":
        return out + _hamilton(contest_id, lists, taking, seats)
    raise Unsupported(f"no assertions are derived for the {method} quota (its quota is not linear in the votes)")


def _hamilton(contest_id: str, lists: Sequence[ListInfo], taking: Sequence[ListInfo],
              seats: int) -> list[Assertion]:
    """Hare quota (Hamilton): s is the outcome iff (q_i - s_i) - (q_j - s_j) < 1 for every ordered pair, q_i =
    v_i S / V over the lists taking part (docs/methods.md proves it). Times V: (v_j - v_i) S + (1 + s_i - s_j)
    V > 0, linear in the votes."""
    out: list[Assertion] = []
    left_out = [k for li in lists if li not in taking for k in li.side.keys]
    for i in taking:
        for j in taking:
            if i is j:
                continue
            c = Fraction(1 + i.seats - j.seats)
            if c - seats >= 0:
                continue  # no negative weight: true whatever the votes
            weights = weighted((i.side.keys, c - seats), (j.side.keys, c + seats), (left_out, Fraction(0)))
            out.append(Assertion(
                contest_id, f"hare({i.side.label}:{i.seats},{j.side.label}:{j.seats})",
                f"{i.side.what}'s quota less its {i.seats} seats is less than one more than {j.side.what}'s "
                f"quota less its {j.seats} seats",
                weights, other=c, reason="Hare largest remainders: no list's remainder may pass another's by "
                                         "a whole seat"))
    return out


# -- open lists ---------------------------------------------------------------------------------------------

def _forced(picks: Sequence[Cand], rule: WomenByPosition) -> list[bool]:
    """Whether each seat of the run had to go to a woman (seats/lists.py `_fill_by_position`)."""
    groups = position_groups(rule, len(picks))
    settled = [0]
    out = []
    for k, p in enumerate(picks):
        forced = any(a <= k <= b and r - (settled[k] - settled[a]) >= b - k + 1 for a, b, r in groups)
        out.append(forced)
        settled.append(settled[-1] + (forced or p.woman))
    return out


def _position_run(contest_id: str, li: ListInfo, picks: Sequence[Cand], rule: WomenByPosition) -> list[Assertion]:
    """Each seat of the run goes to the best candidate left (or the best woman left when forced): the pick
    must beat the next pick of each gender it competes with, or every unseated candidate of that gender
    when no later pick has it. By induction the run, and so the seats, are the same."""
    seated = {c.candidate_id for c in picks}
    unseated_w = [c for c in li.members if c.candidate_id not in seated and c.woman]
    unseated_m = [c for c in li.members if c.candidate_id not in seated and not c.woman]
    out: list[Assertion] = []
    why = f"women by position in list {li.list_id}: the order of the seats the rule reads"
    for k, (p, forced) in enumerate(zip(picks, _forced(picks, rule))):
        later = picks[k + 1:]
        next_w = next((c for c in later if c.woman), None)
        next_m = next((c for c in later if not c.woman), None)
        against: list[Cand] = []
        if p.woman or not forced:
            against += [next_w] if next_w else unseated_w
        if not p.woman or not forced:
            against += [next_m] if next_m else unseated_m
        out += pairwise(contest_id, [p], against, why)
    return out


def open_list_assertions(contest_id: str, lists: Sequence[ListInfo], seated: Mapping[str, Sequence[str]],
                         rule: WomenInLists | None) -> list[Assertion]:
    """Who holds each list's seats, given the lists' seats. `seated`: list id -> candidate ids in seat order."""
    out: list[Assertion] = []
    minimum = rule.contest_minimum if rule is not None else None
    on_votes: dict[str, list[Cand]] = {}
    applied = rule is not None
    if minimum is not None:
        # whether the rule applies depends on who wins on votes in every list: fix those sets first
        for li in lists:
            ranked = sorted(li.members, key=lambda c: -c.votes)
            on_votes[li.list_id] = ranked[:min(li.seats, len(ranked))]
        applied = sum(c.woman for s in on_votes.values() for c in s) < minimum
        for li in lists:
            top = {c.candidate_id for c in on_votes[li.list_id]}
            out += pairwise(contest_id, on_votes[li.list_id], [c for c in li.members if c.candidate_id not in top],
                            f"the contest's women's minimum ({minimum}) is read from the winners on votes: "
                            f"list {li.list_id}'s winners on votes must beat its other candidates")
    for li in lists:
        by_id = {c.candidate_id: c for c in li.members}
        picks = [by_id[c] for c in seated.get(li.list_id, ())]
        ids = {c.candidate_id for c in picks}
        if len(li.members) <= li.seats:
            continue  # every candidate of the list holds a seat
        if not applied:
            if minimum is None:
                out += pairwise(contest_id, picks, [c for c in li.members if c.candidate_id not in ids],
                                f"open list {li.list_id}: its seats go to its highest-voted candidates")
            elif ids != {c.candidate_id for c in on_votes[li.list_id]}:
                raise Unsupported(f"list {li.list_id}'s seats differ from its winners on votes although the "
                                  "contest's women's minimum is met on votes")
            continue
        if isinstance(rule, WomenByPosition):
            out += _position_run(contest_id, li, picks, rule)
        elif isinstance(rule, WomenByCount) and minimum is None:
            required = max(li.seats // p for p in rule.per)
            out += sntv_assertions(contest_id, li.members, li.seats, required, ids)
        else:  # by count after the contest minimum: the winners on votes are fixed above
            top = on_votes[li.list_id]
            kept_m = [c for c in top if not c.woman and c.candidate_id in ids]
            out_m = [c for c in top if not c.woman and c.candidate_id not in ids]
            entrants = [c for c in picks if c.woman and c not in top]
            losing_w = [c for c in li.members if c.woman and c.candidate_id not in ids]
            out += pairwise(contest_id, kept_m, out_m, f"women by count in list {li.list_id}: the men who keep "
                                                       "their seats must beat the men displaced")
            out += pairwise(contest_id, entrants, losing_w, f"women by count in list {li.list_id}: the women who "
                                                            "enter must beat the women who do not")
    return out
