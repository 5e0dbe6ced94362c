"""Highest-averages (divisor) methods, exactly: integers and fractions, never a float in a comparison.

A party holding s seats bids for its next seat with the quotient v / d(s); the seats go to the highest
quotients (Balinski & Young, *Fair Representation*, 2nd ed. 2001, ch. 6 and Appendix A; Pukelsheim,
*Proportional Representation*, 2nd ed. 2017, ch. 3). The divisor sequences d(0), d(1), ...:

    dhondt           s + 1                  1, 2, 3, ...        (Jefferson)
    sainte-lague     2s + 1                 1, 3, 5, ...        (Webster; the same as s + 1/2)
    imperiali        s + 2                  2, 3, 4, ...
    danish           3s + 1                 1, 4, 7, ...
    adams            s                      0, 1, 2, ...        (the first seat is free)
    dean             s(s+1) / (s + 1/2)     0, 4/3, 12/5, ...   (harmonic mean of s and s+1)
    huntington-hill  sqrt(s(s+1))           0, sqrt 2, sqrt 6   (geometric mean; US House since 1941)

`first_divisor` replaces d(0) on the method's own scale (Sainte-Laguë 1.4 in Norway, 1.2 in Sweden since 2018,
1.7 in Iraq 2018/2023/2025). Huntington-Hill is compared exactly by squaring: v²/(s(s+1)). A divisor of 0
makes the quotient infinite; infinite quotients are ranked by votes (the limit of a first divisor that tends
to 0), so with fewer seats than parties the largest parties take the free first seats, and a party with no
votes never takes a seat on a quotient.

The allocation: start from an exact threshold λ = V/S and give each party every quotient above λ (a guess made
with floats, corrected by exact integer comparisons), then add the highest remaining quotients or remove the
lowest awarded ones until S seats are given ("jump and step", Pukelsheim §4.6). Because the start is a genuine
threshold allocation, the greedy steps end exactly at the highest-averages result. Equal quotients for the
last seat(s) are not decided here: they come back as a tie for the caller's tie rule.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["DIVISOR_METHODS", "DivisorOutcome", "divisor_allocation", "divisor_at"]

# d(s) = a·s + b
_LINEAR = {"dhondt": (1, 1), "sainte-lague": (2, 1), "imperiali": (1, 2), "danish": (3, 1), "adams": (1, 0)}
DIVISOR_METHODS = ("dhondt", "sainte-lague", "imperiali", "danish", "adams", "dean", "huntington-hill")


@dataclass(frozen=True, slots=True)
class DivisorOutcome:
    """Seats per party (index order). When equal quotients compete for the last seats, `seats` holds every
    seat that is not in doubt, `tied` the indices of the parties whose quotient equals the boundary, and
    `places` how many of them get one more seat."""

    seats: tuple[int, ...]
    tied: tuple[int, ...] = ()
    places: int = 0


def divisor_at(method: str, s: int, first_divisor: Fraction | None = None) -> tuple[int, int]:
    """(numerator, denominator) of d(s) — of d(s)² for Huntington-Hill."""
    if s == 0 and first_divisor is not None:
        if method == "huntington-hill":
            return first_divisor.numerator ** 2, first_divisor.denominator ** 2
        return first_divisor.numerator, first_divisor.denominator
    if method in _LINEAR:
        a, b = _LINEAR[method]
        return a * s + b, 1
    if method == "dean":
        return 2 * s * (s + 1), 2 * s + 1
    if method == "huntington-hill":
        return s * (s + 1), 1
    raise ValueError(f"Unknown divisor method {method!r}; known: {', '.join(DIVISOR_METHODS)}.")


def check_first_divisor(method: str, first_divisor: Fraction) -> None:
    """A replaced first divisor must keep the sequence increasing, or a party's second seat would outbid its
    first and one party could hold two equal quotients."""
    num, den = divisor_at(method, 0, first_divisor)
    num1, den1 = divisor_at(method, 1)
    if first_divisor < 0 or num * den1 >= num1 * den:
        second = f"sqrt({num1})" if method == "huntington-hill" else str(Fraction(num1, den1))
        raise ValueError(f"first_divisor must be >= 0 and below the method's second divisor ({second}) for "
                         f"{method}; got {first_divisor}.")


class _Bid:
    """One quotient n/d (d > 0) of party i, ordered exactly by cross-multiplying: no Fraction normalisation
    and no tuple comparison on the hot path. A min-heap of _Bid(-n, d, i) pops the highest quotient."""

    __slots__ = ("n", "d", "i")

    def __init__(self, n: int, d: int, i: int = -1) -> None:
        self.n, self.d, self.i = n, d, i

    def __lt__(self, other: _Bid) -> bool:
        return self.n * other.d < other.n * self.d

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bid) and self.n * other.d == other.n * self.d

    __hash__ = None  # type: ignore[assignment]


class _Quotients:
    """Exact quotients of one method: bid(v, s) is v / d(s) (v² / d(s)² for Huntington-Hill)."""

    __slots__ = ("method", "first", "power", "a", "b", "infinite", "_cache")

    def __init__(self, method: str, first: Fraction | None, votes: Sequence[int], seats: int) -> None:
        self.method, self.first = method, first
        self.power = 2 if method == "huntington-hill" else 1
        # d(s) ≈ a·s + b: exact for the linear methods, asymptotic for Dean and Huntington-Hill
        a, b = _LINEAR.get(method, (1, Fraction(1, 2)))
        self.a, self.b = Fraction(a), Fraction(b)
        # A divisor of 0 makes the quotient infinite, ranked by votes: v + `infinite` exceeds every finite
        # quotient v^p·den/num (num >= 1; den <= 2S + 1 for Dean, first_divisor's denominator^p otherwise).
        den = max(2 * seats + 1, first.denominator ** self.power if first is not None else 1)
        self.infinite = sum(votes) ** self.power * den + 1
        self._cache: dict[int, tuple[int, int]] = {}

    def div(self, s: int) -> tuple[int, int]:
        d = self._cache.get(s)
        if d is None:
            d = self._cache[s] = divisor_at(self.method, s, self.first)
        return d

    def bid(self, v: int, s: int) -> tuple[int, int]:
        """(n, d) with n/d = v / d(s); no votes bid 0, a divisor of 0 bids `infinite` + v."""
        if v == 0:
            return 0, 1
        num, den = self.div(s)
        if num == 0:
            return self.infinite + v, 1
        return v ** self.power * den, num

    def above(self, v: int, s: int, lam_num: int, lam_den: int) -> bool:
        """v / d(s) > λ, with λ = lam_num / lam_den already raised to the method's power."""
        if v == 0:
            return False
        num, den = self.div(s)
        return v ** self.power * den * lam_den > lam_num * num

    def start(self, votes: Sequence[int], seats: int) -> tuple[int, int]:
        """λ (as numerator, denominator) at which about `seats` quotients lie above it: each party then holds
        about v/(aλ) − b/a + 1/2 of them, so λ = V / (a·S − n·(a/2 − b)) (Pukelsheim §4.6, "jump")."""
        a, b = self.a, self.b
        share = a * seats - len(votes) * (a / 2 - b)
        if share <= 0:  # more parties than seats for divisors from 0: any λ will do
            share = Fraction(seats)
        lam = sum(votes) / share
        return lam.numerator, lam.denominator


def divisor_allocation(votes: Sequence[int], seats: int, method: str, *,
                       first_divisor: Fraction | None = None, min_seats: int = 0) -> DivisorOutcome:
    """Seats per party by `method`; every party first gets `min_seats` (US House: one per state) and then bids
    from there. Votes must be whole numbers >= 0, and some party must have votes when seats remain after the
    minimums (the caller checks)."""
    n = len(votes)
    q = _Quotients(method, first_divisor, votes, seats)
    free = seats - n * min_seats
    if free <= 0:
        return DivisorOutcome(tuple([min_seats] * n))
    if q.div(min_seats)[0] == 0:  # every party with votes bids infinitely for its next seat
        bidders = sorted((i for i, v in enumerate(votes) if v), key=lambda i: -votes[i])
        if len(bidders) >= free:  # the free seats all go on infinite bids: to the largest parties, one each
            alloc = [min_seats] * n
            for i in bidders[:free]:
                alloc[i] += 1
            return _boundary(votes, alloc, q, min_seats)
    num, den = q.start(votes, seats)
    lam_num, lam_den = num ** q.power, den ** q.power
    # roughly how many divisors lie below v/λ (floats: a starting point only, corrected exactly below)
    scale, b, a = den / num, float(q.b), float(q.a)
    alloc = []
    for v in votes:
        t = max(0, math.ceil((v * scale - b) / a)) if v else 0
        while t > 0 and not q.above(v, t - 1, lam_num, lam_den):
            t -= 1
        while q.above(v, t, lam_num, lam_den):
            t += 1
        alloc.append(max(min_seats, t))
    given = sum(alloc)
    if given < seats:  # add the highest quotients not yet awarded
        heap = []
        for i, (v, s) in enumerate(zip(votes, alloc)):
            n_, d_ = q.bid(v, s)
            heap.append(_Bid(-n_, d_, i))
        heapq.heapify(heap)
        for _ in range(seats - given):
            i = heap[0].i
            alloc[i] += 1
            n_, d_ = q.bid(votes[i], alloc[i])
            heapq.heapreplace(heap, _Bid(-n_, d_, i))
    elif given > seats:  # take back the lowest quotients awarded (above the minimum)
        heap = [_Bid(*q.bid(votes[i], alloc[i] - 1), i) for i in range(n) if alloc[i] > min_seats]
        heapq.heapify(heap)
        for _ in range(given - seats):
            i = heapq.heappop(heap).i
            alloc[i] -= 1
            if alloc[i] > min_seats:
                heapq.heappush(heap, _Bid(*q.bid(votes[i], alloc[i] - 1), i))
    return _boundary(votes, alloc, q, min_seats)


def _boundary(votes: Sequence[int], alloc: list[int], q: _Quotients, min_seats: int) -> DivisorOutcome:
    """Equal quotients at the boundary: the lowest quotient awarded equals the highest one not awarded."""
    last = [_Bid(*q.bid(votes[i], alloc[i] - 1), i) for i in range(len(votes)) if alloc[i] > min_seats]
    nxt = [_Bid(*q.bid(v, a), i) for i, (v, a) in enumerate(zip(votes, alloc))]
    if not last:
        return DivisorOutcome(tuple(alloc))
    low = min(last)
    if not low == max(nxt):
        return DivisorOutcome(tuple(alloc))
    holding = [b.i for b in last if b == low]
    for i in holding:
        alloc[i] -= 1
    tied = sorted(set(holding) | {b.i for b in nxt if b == low})
    return DivisorOutcome(tuple(alloc), tuple(tied), len(holding))
