"""One entry point for list PR and apportionment: seats to parties (or states) by any divisor or
largest-remainder method, with a threshold, minimum seats and ties settled by the public lot.

Rules this module fixes (docs/methods.md, "Divisor and largest-remainder methods"):
- Threshold: a party with votes < threshold × (all parties' votes + `blank`) is excluded and reported; a party
  exactly at the threshold stays in (Spain, LOREG art. 163: "al menos el 3 por 100"). The quota of a
  largest-remainder method is then counted on the votes of the parties that remain.
- Minimum seats: every party that is not excluded first gets `min_seats`, then bids from there (divisor
  methods only; no law gives largest remainders a minimum).
- Ties: when the last seat(s) go to one of several equal quotients (or remainders), the tie is reported and
  settled by the lot (`TieRule.LOT`), or first by more votes and then by the lot among parties still equal
  (`TieRule.MOST_VOTES_THEN_LOT`, as in Spain's LOREG art. 163 and Bolzano's law). The lot's context is
  "`context` / seats a-b" (the places in doubt), so it never depends on the order the parties are listed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from .divisor import DIVISOR_METHODS, check_first_divisor, divisor_allocation
from .remainder import QUOTA_METHODS, largest_remainder
from .ties import Lot, Tie, TieRule

__all__ = ["METHODS", "Apportionment", "apportion"]

METHODS = DIVISOR_METHODS + QUOTA_METHODS


@dataclass(frozen=True, slots=True)
class Apportionment:
    seats: Mapping[str, int]  # every input name, in input order, 0 if none
    ties: tuple[Tie, ...]  # every tie met for a last seat, with who tied and who was drawn
    excluded: tuple[str, ...]  # below the threshold, in input order
    notes: tuple[str, ...] = ()  # what the method did that its name does not say (Imperiali's quota overflow)

    def to_dict(self) -> dict[str, object]:
        return {"seats": dict(self.seats), "ties": [t.to_dict() for t in self.ties],
                "excluded": list(self.excluded)}


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a whole number >= 0; got {value!r}.")
    return value


def _check(votes: Mapping[str, int], seats: int, method: str, first_divisor: Fraction | None,
           threshold: Fraction | None, blank: int, min_seats: int) -> None:
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; known: {', '.join(METHODS)}.")
    _whole(seats, "seats")
    _whole(blank, "blank")
    _whole(min_seats, "min_seats")
    for name, v in votes.items():
        if not isinstance(name, str):
            raise ValueError(f"Party names must be text; got {name!r}.")
        _whole(v, f"The votes of {name!r}")
    for what, value in (("first_divisor", first_divisor), ("threshold", threshold)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, Fraction))):
            raise ValueError(f"{what} must be a Fraction or a whole number, never a float (write "
                             f"Fraction('1.7'), which is exactly 17/10); got {value!r}.")
    if threshold is not None and not 0 <= threshold <= 1:
        raise ValueError(f"threshold is a share of the votes, from 0 to 1; got {threshold}.")
    if method in QUOTA_METHODS:
        if first_divisor is not None:
            raise ValueError(f"first_divisor applies to divisor methods, not to {method}.")
        if min_seats:
            raise ValueError(f"min_seats applies to divisor methods, not to {method}: no law gives largest "
                             "remainders a minimum.")
    elif first_divisor is not None:
        check_first_divisor(method, first_divisor)


def _settle(names: Sequence[str], votes: Sequence[int], tied: Sequence[int], places: int, seats: int,
            lot: Lot, tie_rule: TieRule, context: str) -> tuple[list[int], Tie]:
    """Who of `tied` gets the `places` seats in doubt, and the Tie that says so."""
    first = seats - places + 1
    where = f"seat {seats}" if places == 1 else f"seats {first}-{seats}"
    ctx = f"{context} / {where}" if context else where
    group = [names[i] for i in tied]
    if tie_rule is TieRule.MOST_VOTES_THEN_LOT:
        drawn: list[str] = []
        for v in sorted({votes[i] for i in tied}, reverse=True):
            equal = [names[i] for i in tied if votes[i] == v]
            drawn += lot.order(ctx, equal)[:places - len(drawn)]
            if len(drawn) == places:
                break
    else:
        drawn = lot.order(ctx, group)[:places]
    index = {names[i]: i for i in tied}
    return [index[n] for n in drawn], Tie(ctx, tuple(sorted(group)), places, tuple(drawn), tie_rule)


def apportion(votes: Mapping[str, int], seats: int, method: str, *, first_divisor: Fraction | None = None,
              threshold: Fraction | None = None, blank: int = 0, min_seats: int = 0, lot: Lot = Lot(),
              tie_rule: TieRule = TieRule.LOT, context: str = "") -> Apportionment:
    """Seats per party by `method` (one of METHODS). Raises ValueError for negative votes or seats, an unknown
    method, more minimum seats than seats, a first divisor out of range, or seats to give and no votes."""
    _check(votes, seats, method, first_divisor, threshold, blank, min_seats)
    names = list(votes)
    excluded: list[str] = []
    if threshold is not None:
        base = sum(votes.values()) + blank
        t = Fraction(threshold)
        excluded = [n for n in names if votes[n] * t.denominator < t.numerator * base]
    out = dict.fromkeys(names, 0)
    left_out = set(excluded)
    taking = [n for n in names if n not in left_out]
    tv = [votes[n] for n in taking]
    if min_seats * len(taking) > seats:
        raise ValueError(f"{len(taking)} parties with {min_seats} minimum seats each need "
                         f"{min_seats * len(taking)} seats; there are {seats}.")
    if seats > min_seats * len(taking) and sum(tv) == 0:
        why = ("there are no parties" if not names else "every party is below the threshold" if not taking
               else "no party has any votes")
        raise ValueError(f"Cannot apportion {seats} seats: {why}.")
    ties: list[Tie] = []
    notes: tuple[str, ...] = ()
    if seats and taking:
        if method in QUOTA_METHODS:
            r = largest_remainder(tv, seats, method)
            alloc, tied, places, notes = list(r.seats), r.tied, r.places, r.notes
        else:
            first = Fraction(first_divisor) if first_divisor is not None else None
            d = divisor_allocation(tv, seats, method, first_divisor=first, min_seats=min_seats)
            alloc, tied, places = list(d.seats), d.tied, d.places
        if tied:
            won, tie = _settle(taking, tv, tied, places, seats, lot, tie_rule, context)
            for i in won:
                alloc[i] += 1
            ties.append(tie)
        out.update(zip(taking, alloc))
    return Apportionment(MappingProxyType(out), tuple(ties), tuple(excluded), notes)
