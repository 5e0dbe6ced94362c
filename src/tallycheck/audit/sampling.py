"""Samples drawn from a public seed (dice rolls) with SHA-256, so that anyone can redraw them.

Every draw here is a pure function of (seed, ids, weights): it does not depend on the order in which the ids are
given, and a longer draw extends a shorter one (round 2 continues round 1). numpy's generators are for
simulations only.

- Rivest's consistent sampler (Rivest 2018, "Consistent sampling with replacement", arXiv:1808.10016; the
  `consistent_sampler` package 1.0, which Arlo uses): each id gets a *ticket* in (0, 1), a decimal string made
  from SHA-256(SHA-256(seed) + str(id)); ids are drawn in increasing ticket order. With replacement, a drawn
  id gets its next ticket, uniform in (previous ticket, 1). Reproduces the package's published examples.
- Rivest's 2011 counter-mode sampler (`sampler.py`, 2011-11-14; pick = a + SHA-256(seed + "," + i) mod N),
  kept for the published test vectors and for checking samples drawn with it or with Stark's web tool.
- Weighted draws (probability proportional to a weight w, e.g. PPEB: proportional to an error bound) built on
  the same tickets: with E = -ln(1 - ticket), an id's successive tickets give E-values that form a rate-1
  Poisson process (each next ticket is uniform above the last, so each increment of E is Exp(1)). Dividing by
  w gives a rate-w process; merging all ids' processes and drawing in increasing E/w gives draws that are
  independent with P(id) = w/W (with replacement), and the first arrivals alone give successive sampling
  without replacement (each draw proportional to w among those not yet drawn; Efraimidis and Spirakis 2006,
  "Weighted random sampling with a reservoir"). With equal weights both reduce exactly to Rivest's order.
  The order is that of the exact values E/w: floats only shortlist, and near-ties are settled in 40-digit
  decimal arithmetic (Python's `decimal`, whose ln is correctly rounded), so the draw is the same everywhere.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction

RECOMMENDED_SEED_DIGITS = 20
"""Fewer dice digits than this are accepted but give an adversary fewer seeds to search (20 digits: 10^20)."""

_CLOSE = 1e-9  # floats closer than this (relative) are ordered by their exact decimal values
_EXACT = Context(prec=40)
_LN10 = math.log(10)


def seed_from_dice(digits: str) -> str:
    """The public seed: the digits rolled, with any spaces removed. Refuses anything but ASCII digits."""
    text = "".join(digits.split())
    if not text:
        raise ValueError(f"The seed needs at least one digit ({RECOMMENDED_SEED_DIGITS} or more dice rolls are "
                         "recommended). Got nothing.")
    if not (text.isascii() and text.isdigit()):
        bad = next(ch for ch in text if not (ch.isascii() and ch.isdigit()))
        raise ValueError(f"The seed is the digits of the dice rolls, 0-9 only. Got {bad!r} in {digits!r}.")
    return text


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_uniform(text: str) -> str:
    """Rivest's decimal fraction of a SHA-256 hash: the hash as a decimal integer of at least 64 digits, digits
    reversed (the low-order digits are the unbiased ones), after "0."."""
    return "0." + format(int(sha256_hex(text), 16), "064d")[::-1]


def id_text(item_id: Hashable) -> str:
    """The text hashed for an id: Python's str(), as in Rivest's package and Arlo ("('pct 2', 3)" for a tuple)."""
    return str(item_id)


def first_ticket_number(seed: str, item_id: Hashable) -> str:
    return sha256_uniform(sha256_hex(str(seed)) + id_text(item_id))


def _first_tickets(seed: str, ids: Iterable[Hashable]) -> Iterator[str]:
    prefix, sha = sha256_hex(str(seed)), hashlib.sha256
    for item in ids:
        digest = sha((prefix + id_text(item)).encode("utf-8")).hexdigest()
        yield "0." + format(int(digest, 16), "064d")[::-1]


def next_ticket_number(number: str) -> str:
    """A ticket uniform in (number, 1): keep the leading 9s, redraw the rest until larger (Rivest 2018)."""
    if not number.startswith("0."):
        raise ValueError(f"A ticket number looks like '0.123...'. Got: {number!r}")
    padded = number + "0"  # so that a run of 9s always ends
    keep = next(i for i in range(2, len(padded)) if padded[i] < "9")
    candidate, counter = "0.", 0
    while candidate <= padded:
        counter += 1
        candidate = padded[:keep] + sha256_uniform(f"{number}:{counter}")[2:]
    return candidate


def trim(number: str, digits: int) -> str:
    """A ticket number cut (not rounded) to `digits` significant digits after its leading 9s, as Rivest prints."""
    padded = number + "0"
    keep = next(i for i in range(2, len(padded)) if padded[i] < "9")
    return number[:keep + digits]


@dataclass(frozen=True, slots=True)
class Ticket:
    """One draw: the id, its ticket number (a decimal string in (0, 1)) and how many times the id has been
    drawn so far including this draw (always 1 without replacement)."""

    number: str
    item_id: Hashable
    generation: int = 1


def ticket(seed: str, item_id: Hashable, generation: int = 1) -> Ticket:
    """The ticket an id holds at a given generation (its generation-th draw when sampling with replacement)."""
    if generation < 1:
        raise ValueError(f"generation counts draws from 1. Got: {generation}")
    number = first_ticket_number(seed, item_id)
    for _ in range(generation - 1):
        number = next_ticket_number(number)
    return Ticket(number, item_id, generation)


def _distinct(ids: Iterable[Hashable]) -> list[Hashable]:
    ids = list(ids)
    texts = [id_text(i) for i in ids]
    if len(set(texts)) != len(texts):
        seen: set[str] = set()
        dupes = sorted({t for t in texts if t in seen or seen.add(t)})
        raise ValueError(f"Each id must be drawn from once; these appear more than once: {dupes[:5]}")
    return ids


def consistent_sample(seed: str, ids: Iterable[Hashable], *, with_replacement: bool = False, drop: int = 0,
                      take: int | None = None) -> Iterator[Ticket]:
    """Rivest's consistent sampler: tickets in increasing order, skipping the first `drop` draws and yielding
    the next `take` (all, or forever with replacement, when None). Ids must have distinct str()."""
    items = _distinct(ids)
    heap = [(number, id_text(i), 1, i) for number, i in zip(_first_tickets(seed, items), items, strict=True)]
    heapq.heapify(heap)
    count = 0
    while heap and (take is None or count < drop + take):
        number, text, generation, item = heapq.heappop(heap)
        if with_replacement:
            heapq.heappush(heap, (next_ticket_number(number), text, generation + 1, item))
        count += 1
        if count > drop:
            yield Ticket(number, item, generation)


def draw_uniform(seed: str, items: Iterable[Hashable], n: int, *, drop: int = 0,
                 with_replacement: bool = False) -> tuple[Ticket, ...]:
    """Draws drop+1 .. drop+n of Rivest's consistent sampler: uniform, order-free, extendable."""
    _check_counts(n, drop)
    if not with_replacement:
        ids = _distinct(items)
        tickets = ((number, id_text(i), i) for number, i in zip(_first_tickets(seed, ids), ids, strict=True))
        best = heapq.nsmallest(drop + n, tickets)
        return tuple(Ticket(number, item) for number, _, item in best[drop:])
    return tuple(consistent_sample(seed, items, with_replacement=True, drop=drop, take=n))


def _check_counts(n: int, drop: int) -> None:
    if n < 0 or drop < 0:
        raise ValueError(f"A draw takes a count of 0 or more after skipping 0 or more. Got n={n}, drop={drop}")


def counter_mode_sample(seed: str, low: int, high: int, n: int, *, with_replacement: bool = True,
                        skip: int = 0) -> tuple[list[int], list[int]]:
    """Rivest's 2011 `sampler.py`: the i-th pick is low + SHA-256(seed + "," + i) mod (high - low + 1),
    duplicates rejected without replacement. Returns (the first `skip` picks, the next n picks)."""
    if low > high or n < 0 or skip < 0:
        raise ValueError(f"Need low <= high and counts >= 0. Got low={low}, high={high}, n={n}, skip={skip}")
    size = high - low + 1
    if not with_replacement and n + skip > size:
        raise ValueError(f"Cannot draw {n + skip} distinct values from {size} without replacement")
    old: list[int] = []
    new: list[int] = []
    seen: set[int] = set()
    count = 0
    while len(old) + len(new) < skip + n:
        count += 1
        pick = low + int(sha256_hex(f"{seed},{count}"), 16) % size
        if not with_replacement:
            if pick in seen:
                continue
            seen.add(pick)
        (old if len(old) < skip else new).append(pick)
    return old, new


def _weight(value: int | Fraction | float) -> int | Fraction:
    weight = value if type(value) is int else Fraction(value)
    if weight < 0:
        raise ValueError(f"Weights must be 0 or more. Got: {value}")
    return weight


class _ArrivalKey:
    """-ln(1 - ticket) / weight, ordered by its exact value: a float compares when it decides, else 40 digits."""

    __slots__ = ("approx", "number", "weight", "text", "_exact")

    def __init__(self, number: str, weight: int | Fraction, text: str) -> None:
        if not number.startswith("0.99999"):  # 1 - float(ticket) keeps 11+ significant digits
            e_value = -math.log1p(-float(number))
        else:  # later tickets are 0.999...: take 1 - ticket exactly, and its exponent apart (floats underflow)
            one_minus = Context(prec=len(number) + 2).subtract(Decimal(1), Decimal(number))
            exponent = one_minus.adjusted()
            e_value = -(math.log(float(one_minus.scaleb(-exponent))) + exponent * _LN10)
        self.approx = e_value / float(weight)
        self.number, self.weight, self.text = number, weight, text
        self._exact: Decimal | None = None

    def exact(self) -> Decimal:
        if self._exact is None:
            one_minus = Context(prec=len(self.number) + 2).subtract(Decimal(1), Decimal(self.number))
            e_value = -one_minus.ln(_EXACT)
            self._exact = _EXACT.divide(_EXACT.multiply(e_value, Decimal(self.weight.denominator)),
                                        Decimal(self.weight.numerator))
        return self._exact

    def __lt__(self, other: _ArrivalKey) -> bool:
        a, b = self.approx, other.approx
        if abs(a - b) > _CLOSE * max(abs(a), abs(b)):
            return a < b
        mine, theirs = self.exact(), other.exact()
        if mine != theirs:
            return mine < theirs
        return self.text < other.text


@dataclass(frozen=True, slots=True)
class WeightedDraw:
    """One weighted draw: the id, its Rivest ticket for this generation, and its arrival time -ln(1-ticket)/w
    (a float for display; the order uses the exact value)."""

    item_id: Hashable
    ticket: str
    arrival: float
    generation: int = 1


def draw_pps(seed: str, items: Sequence[Hashable], weights: Sequence[int | Fraction | float], n: int, *,
             drop: int = 0, with_replacement: bool = False) -> tuple[WeightedDraw, ...]:
    """Draws drop+1 .. drop+n with probability proportional to weight (ids of weight 0 are never drawn).

    Without replacement this is successive sampling (each draw proportional to weight among the ids not yet
    drawn); with replacement each draw is independent with P(id) = w / sum(w) (PPEB for MACRO)."""
    _check_counts(n, drop)
    ids = _distinct(items)
    if len(ids) != len(weights):
        raise ValueError(f"One weight per id: {len(ids)} ids, {len(weights)} weights")
    keyed = [(_ArrivalKey(number, w, id_text(i)), 1, i)
             for i, w, number in zip(ids, map(_weight, weights), _first_tickets(seed, ids), strict=True) if w > 0]
    if not with_replacement:
        best = heapq.nsmallest(drop + n, keyed, key=lambda entry: entry[0])
        return tuple(WeightedDraw(item, key.number, key.approx) for key, _, item in best[drop:])
    heap = [(key, item_index, generation) for item_index, (key, generation, _) in enumerate(keyed)]
    heapq.heapify(heap)
    draws: list[WeightedDraw] = []
    count = 0
    while heap and count < drop + n:
        key, index, generation = heapq.heappop(heap)
        item = keyed[index][2]
        count += 1
        if count > drop:
            draws.append(WeightedDraw(item, key.number, key.approx, generation))
        heapq.heappush(heap, (_ArrivalKey(next_ticket_number(key.number), key.weight, key.text), index,
                              generation + 1))
    return tuple(draws)


@dataclass(frozen=True, slots=True)
class BallotDraw:
    station_id: str
    ballot: int  # 1-based position of the card in the station's manifest count
    ticket: str


def draw_ballots(seed: str, manifest: Mapping[str, int], n: int, *, drop: int = 0) -> tuple[BallotDraw, ...]:
    """Cards drawn uniformly without replacement from a manifest (station id -> number of cards): each card is
    the id (station_id, k), k = 1..cards, as Arlo names ballots, and takes its Rivest ticket."""
    _check_counts(n, drop)
    total = 0
    for station, cards in manifest.items():
        if not isinstance(station, str) or isinstance(cards, bool) or not isinstance(cards, int) or cards < 0:
            raise ValueError(f"A manifest maps a station id (text) to its number of cards (0 or more). "
                             f"Got: {station!r} -> {cards!r}")
        total += cards
    if drop + n > total:
        raise ValueError(f"The manifest has {total} cards; cannot draw {drop + n} without replacement")
    prefix = sha256_hex(str(seed))

    def tickets() -> Iterator[tuple[str, str, int]]:
        sha = hashlib.sha256
        for station, cards in manifest.items():
            head = "(" + repr(station) + ", "  # str((station, k)) without building the tuple
            for k in range(1, cards + 1):
                digest = sha(f"{prefix}{head}{k})".encode()).hexdigest()
                yield "0." + format(int(digest, 16), "064d")[::-1], station, k

    best = heapq.nsmallest(drop + n, tickets())
    return tuple(BallotDraw(station, k, number) for number, station, k in best[drop:])


class SeededStream:
    """A SHA-256 counter-mode stream of numbers for draws that are not samples of ids (e.g. breaking a tie):
    block i is SHA-256(SHA-256(seed) + ":" + context + ":" + i), i = 1, 2, ...; `context` names the use so
    that two uses of one seed never share numbers."""

    __slots__ = ("_prefix", "_counter")

    def __init__(self, seed: str, context: str) -> None:
        self._prefix = f"{sha256_hex(str(seed))}:{context}:"
        self._counter = 0

    def block(self) -> int:
        """The next 256-bit integer."""
        self._counter += 1
        return int(sha256_hex(f"{self._prefix}{self._counter}"), 16)

    def uniform(self) -> float:
        """A float in [0, 1) from the top 53 bits of the next block."""
        return (self.block() >> 203) / float(1 << 53)

    def below(self, n: int) -> int:
        """An integer uniform on 0 .. n-1 (rejection sampling, so no modulo bias)."""
        if n < 1:
            raise ValueError(f"below(n) needs n >= 1. Got: {n}")
        limit = (1 << 256) - (1 << 256) % n
        while True:
            value = self.block()
            if value < limit:
                return value % n
