"""Assertions for contests of candidates: plurality and SNTV with a women's minimum per contest, seats held
area by area, absolute majority and run-off, and a region's women's minimum across contests.

Each function returns assertions that, all true on the real votes, give the reported winners under the rules
of seats/sntv.py and seats/allocate.py (docs/methods.md, "Audits: assertions", proves each set sufficient).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .assert_forms import Side, beats, share_above, share_below, votes_above
from .assertion import Assertion


@dataclass(frozen=True, slots=True)
class Cand:
    candidate_id: str
    votes: int
    woman: bool
    name: str = ""
    area: str = ""

    @property
    def side(self) -> Side:
        who = f"candidate {self.candidate_id}" + (f" ({self.name})" if self.name else "")
        return Side(self.candidate_id, who, ((self.candidate_id, ""),))


class Unsupported(ValueError):
    """The reported outcome cannot be confirmed by these assertions (the message says why)."""


def pairwise(contest_id: str, winners: Iterable[Cand], losers: Iterable[Cand], reason: str) -> list[Assertion]:
    losers = list(losers)
    return [beats(contest_id, w.side, l.side, reason) for w in winners for l in losers]


def sntv_assertions(contest_id: str, cands: Sequence[Cand], seats: int, women_seats: int,
                    winners: Collection[str]) -> list[Assertion]:
    """SNTV or plurality with k = `seats` seats and at least `women_seats` women where enough stand.

    The law's outcome is the top f women and the top k - f others, f = max(q', women among the top k), q' =
    min(q, women standing) (seats/sntv.py, reserve-first reading). Reported f_r women:
    f_r > q': every winner beats every loser. f_r = q' > 0: winning women beat losing women, winning others
    beat losing others and losing women; a winning woman need not beat a losing man (that is the quota).
    """
    if len(cands) <= seats:
        return []  # every candidate wins whatever the count
    won = [c for c in cands if c.candidate_id in winners]
    lost = [c for c in cands if c.candidate_id not in winners]
    women_standing = sum(c.woman for c in cands)
    q = min(women_seats, women_standing)
    f = sum(c.woman for c in won)
    if f < q:
        raise Unsupported(f"the reported winners hold {f} women where the contest's minimum asks for {q}")
    if f > q or q == 0:
        why = "plurality: every winner must beat every loser"
        return pairwise(contest_id, won, lost, why)
    won_w, won_m = [c for c in won if c.woman], [c for c in won if not c.woman]
    lost_w, lost_m = [c for c in lost if c.woman], [c for c in lost if not c.woman]
    return (pairwise(contest_id, won_w, lost_w, f"women's minimum ({q}): the winning women must be the "
                                                "highest-voted women")
            + pairwise(contest_id, won_m, lost_m, "women's minimum: the winning men must be the highest-voted "
                                                  "men")
            + pairwise(contest_id, won_m, lost_w, f"women's minimum: no losing woman may pass a winning man, or "
                                                  f"more than {q} women win on votes"))


def area_assertions(contest_id: str, cands: Sequence[Cand], seats_per_area: Mapping[str, int],
                    winners: Collection[str]) -> list[Assertion]:
    """A ballot whose seats are held area by area: in each area with seats, its winners beat its losers."""
    out: list[Assertion] = []
    for area in sorted(seats_per_area):
        running = [c for c in cands if c.area == area]
        if len(running) <= seats_per_area[area]:
            continue
        won = [c for c in running if c.candidate_id in winners]
        lost = [c for c in running if c.candidate_id not in winners]
        out += pairwise(contest_id, won, lost, f"seats of area {area}: its winners must beat its other "
                                               "candidates")
    return out


def majority_assertions(contest_id: str, cands: Sequence[Cand], share: Fraction, winner: str,
                        runoff: Sequence[str], cards: Callable[[], int]) -> list[Assertion]:
    """One seat to more than `share` of the valid votes (the sum of the candidates' votes), else a run-off
    between the two highest-voted. Other cards (invalid, blank, list-only) weigh 0: they are not valid votes.
    `cards()`: the contest's card count, read only for a lone candidate (who wins with a single vote)."""
    pool = [(c.candidate_id, "") for c in cands]
    by_id = {c.candidate_id: c for c in cands}
    f = Fraction(share)
    if winner:
        w = by_id[winner]
        if len(cands) == 1:  # v > f v iff v >= 1: on N cards that is v > 1/2
            return [votes_above(contest_id, w.side, Fraction(1, 2), cards(), "majority: the only candidate "
                                                                               "wins with any vote")]
        out = [share_above(contest_id, w.side, f, pool, f"majority: the winner needs more than "
                                                         f"{f} of the valid votes")]
        if f < Fraction(1, 2):  # a share below half does not make the winner the highest-voted
            out += pairwise(contest_id, [w], [c for c in cands if c is not w], "majority: the winner must be "
                                                                               "the highest-voted")
        return out
    if not runoff:
        return []
    pair = [by_id[c] for c in runoff]
    out = [share_below(contest_id, c.side, f, pool, f"run-off: nobody may have more than {f} of the valid "
                                                    "votes") for c in pair]
    if len(cands) > len(pair):
        out += pairwise(contest_id, pair, [c for c in cands if c.candidate_id not in runoff],
                        "run-off: the two in the run-off must be the two highest-voted")
    return out
