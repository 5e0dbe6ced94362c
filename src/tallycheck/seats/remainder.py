"""Largest-remainder (quota) methods, exactly: each party gets ⌊v/q⌋ seats for a quota q, and the seats left
go one each to the largest remainders v/q − ⌊v/q⌋ (compared as fractions; equal ones come back as a tie).

Quotas, V being the votes of the parties that take part:

    hare             V / S                  (Hamilton, Hare-Niemeyer)
    droop            ⌊V / (S+1)⌋ + 1        (the issue's definition; a whole number of votes)
    imperiali-quota  V / (S+2)

With Hare and Droop the quotas never give more than S seats (Σ v/q ≤ S). Imperiali's can: Σ v/q = S + 2.
The Italian rule then repeats the count with the divisor lowered by one, V/(S+1) (Hagenbach-Bischoff), and
again if need be: the Chamber of Deputies before 1993 (Lijphart Elections Archive, Italy: "If this results in
more seats being distributed than there are seats in the constituency, then each list gets as many seats as
there are full Hagenbach-Bischoff quotas contained in its vote", libraries.ucsd.edu/ssds/lij/lijmatrix/
italymatrix.html), and in so many words Bolzano's provincial election law ("le operazioni si ripetono con un
nuovo quoziente elettorale ottenuto diminuendo di un'unità il divisore", civis.bz.it/vote/landtag2003).
Those laws also drop the quota's fractional part; tallycheck keeps the exact V/(S+2) the method names.

A Droop quota so small that more seats are left over than there are parties (fewer votes than seats, roughly)
has no rule in any law: it raises ValueError rather than invent one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["QUOTA_METHODS", "RemainderOutcome", "largest_remainder", "quota"]

QUOTA_METHODS = ("hare", "droop", "imperiali-quota")


@dataclass(frozen=True, slots=True)
class RemainderOutcome:
    """Seats per party (index order); `tied` and `places` as in divisor.DivisorOutcome. `quota` is the quota
    the seats were counted with, and `notes` say when it is not the method's own (Imperiali's overflow)."""

    seats: tuple[int, ...]
    quota: Fraction
    tied: tuple[int, ...] = ()
    places: int = 0
    notes: tuple[str, ...] = ()


def quota(method: str, total: int, seats: int) -> Fraction:
    if method == "hare":
        return Fraction(total, seats)
    if method == "droop":
        return Fraction(total // (seats + 1) + 1)
    if method == "imperiali-quota":
        return Fraction(total, seats + 2)
    raise ValueError(f"Unknown quota method {method!r}; known: {', '.join(QUOTA_METHODS)}.")


def largest_remainder(votes: Sequence[int], seats: int, method: str) -> RemainderOutcome:
    """Seats per party by the largest remainders under `method`'s quota. The caller ensures seats > 0 and at
    least one vote."""
    total = sum(votes)
    q = quota(method, total, seats)
    notes: list[str] = []
    whole = [v * q.denominator // q.numerator for v in votes]
    divisor = seats + 2
    while sum(whole) > seats:  # only the Imperiali quota gets here (see the module's docstring)
        divisor -= 1
        lowered = Fraction(total, divisor)
        notes.append(f"the quota {q} gives {sum(whole)} seats of {seats}: counted again with V/{divisor} = "
                     f"{lowered} (Italian rule: the divisor lowered by one)")
        q = lowered
        whole = [v * q.denominator // q.numerator for v in votes]
    left = seats - sum(whole)
    if left == 0:
        return RemainderOutcome(tuple(whole), q, notes=tuple(notes))
    if left > len(votes):
        raise ValueError(f"The {method} quota {q} leaves {left} seats for the remainders of {len(votes)} "
                         f"parties: too few votes ({total}) for {seats} seats; no law says how to fill them.")
    # remainders v/q − ⌊v/q⌋ share the denominator q.numerator: compare their numerators as integers
    rem = [v * q.denominator - w * q.numerator for v, w in zip(votes, whole)]
    cut = sorted(rem, reverse=True)[left - 1]
    above = [i for i, r in enumerate(rem) if r > cut]
    at = [i for i, r in enumerate(rem) if r == cut]
    for i in above:
        whole[i] += 1
    places = left - len(above)
    if places == len(at):
        for i in at:
            whole[i] += 1
        return RemainderOutcome(tuple(whole), q, notes=tuple(notes))
    return RemainderOutcome(tuple(whole), q, tuple(at), places, tuple(notes))
