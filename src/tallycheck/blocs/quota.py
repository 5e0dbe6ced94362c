"""Quotas: the seats a decision needs, and the seats that can stop it.

A quota is written as a number of seats (165), as `majority` (more than half: 165 of 329), or as a share
of all seats that must be reached (2/3 -> 220 of 329, since 219 < 2/3 x 329 = 219.33 <= 220; a decimal such as
0.6 is read exactly, never through a float).
"""

from __future__ import annotations

from fractions import Fraction


class QuotaError(ValueError):
    """A quota that cannot be read or met: the user's to fix."""


def resolve_quota(text: str | int, seats: int) -> int:
    """The seats needed out of `seats` for `text`."""
    if isinstance(text, int):
        q = text
    else:
        s = text.strip().lower()
        if s == "majority":
            q = seats // 2 + 1
        elif s.isdigit():
            q = int(s)
        else:
            try:
                share = Fraction(s)
            except (ValueError, ZeroDivisionError):
                raise QuotaError(f"A quota is a number of seats (165), 'majority' or a share of the seats "
                                 f"(2/3, 0.6); got {text!r}.") from None
            if not 0 < share <= 1:
                raise QuotaError(f"A share of the seats must be above 0 and at most 1; got {text!r}.")
            product = share * seats
            q = -(-product.numerator // product.denominator)  # the least whole number of seats >= the share
    if not 1 <= q <= seats:
        raise QuotaError(f"Quota {text!r} means {q} seats, but it must be between 1 and the {seats} seats "
                         "there are.")
    return q


def blocking_seats(seats: int, quota: int) -> int:
    """The fewest seats whose holders, by voting no or staying away, leave fewer than `quota` (Iraq: 110 of
    329 stop a two-thirds quorum of 220)."""
    return seats - quota + 1
