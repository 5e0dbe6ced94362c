"""The linear forms every seat assertion is built from (Blom, Budurushi, Rivest, Stark, Stuckey, Teague and
Vukcevic, "Assertion-based approaches to auditing complex elections, with application to party-list
proportional elections", E-Vote-ID 2021, §3: a linear inequality in the tallies, sum over cards of g > 0).

A `Side` is one tally: a candidate (one choice key) or a list (its list-only key and its candidates' keys, as
seats/allocate.py counts a list's votes). Weights are exact Fractions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .assertion import Assertion, ChoiceKey


_ONE, _MINUS_ONE = Fraction(1), Fraction(-1)


@dataclass(frozen=True, slots=True)
class Side:
    label: str  # short, for names: "12", "L3"
    what: str  # words: "candidate 12 (Ali)", "list 3 (Unity)"
    keys: tuple[ChoiceKey, ...]


def number_text(x: Fraction) -> str:
    """A Fraction as short stable text: 17/10 -> "1.7", 3 -> "3", 4/3 -> "4/3"."""
    if x.denominator == 1:
        return str(x.numerator)
    den, twos, fives = x.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return f"{x.numerator}/{x.denominator}"
    places = max(twos, fives)
    scaled = abs(x) * 10 ** places
    digits = str(scaled.numerator // scaled.denominator).rjust(places + 1, "0")
    sign = "-" if x < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def weighted(*groups: tuple[Iterable[ChoiceKey], Fraction]) -> tuple[tuple[ChoiceKey, Fraction], ...]:
    """Weights from (keys, weight) groups; a key named twice keeps the sum (a list against itself never
    happens, but a candidate in two groups must not be listed twice)."""
    out: dict[ChoiceKey, Fraction] = {}
    for keys, w in groups:
        for k in keys:
            out[k] = out.get(k, Fraction(0)) + Fraction(w)
    return tuple(out.items())


def beats(contest_id: str, a: Side, b: Side, reason: str) -> Assertion:
    """a's tally > b's tally: g = +1 for a card for a, -1 for b, 0 otherwise (SHANGRLA's plurality assorter,
    Stark 2020 §2.1, after the affine map: 1, 0, 1/2)."""
    weights = tuple((k, _ONE) for k in a.keys) + tuple((k, _MINUS_ONE) for k in b.keys)
    return Assertion(contest_id, f"{a.label}>{b.label}", f"{a.what} has more votes than {b.what}", weights,
                     reason=reason)


def quotient_beats(contest_id: str, a: Side, d_a: Fraction, b: Side, d_b: Fraction, reason: str) -> Assertion:
    """a's tally / d_a > b's tally / d_b: Blom et al. (2021) §5.2, g = b_A/d(W_A) - b_B/d(L_B)."""
    return Assertion(contest_id, f"{a.label}/{number_text(d_a)}>{b.label}/{number_text(d_b)}",
                     f"{a.what}'s votes divided by {number_text(d_a)} exceed {b.what}'s divided by "
                     f"{number_text(d_b)}",
                     weighted((a.keys, 1 / d_a), (b.keys, -1 / d_b)), reason=reason)


def share_above(contest_id: str, a: Side, f: Fraction, pool: Sequence[ChoiceKey] | None, reason: str,
                base: str = "valid votes") -> Assertion:
    """a's tally > f x (the pool's votes): g = 1 - f for a, -f for a vote in the pool, 0 for any other card
    (SHANGRLA's super-majority assorter, Stark 2020 §2.3: 1/(2f), 0, 1/2). pool None: every valid vote."""
    own = set(a.keys)
    rest = () if pool is None else [k for k in pool if k not in own]
    return Assertion(contest_id, f"share({a.label})>{number_text(f)}",
                     f"{a.what} has more than {number_text(f)} of the {base}",
                     weighted((a.keys, 1 - f), (rest, -f)), other=-f if pool is None else Fraction(0),
                     reason=reason)


def share_below(contest_id: str, a: Side, f: Fraction, pool: Sequence[ChoiceKey] | None, reason: str,
                base: str = "valid votes") -> Assertion:
    """a's tally < f x (the pool's votes): g = f - 1 for a, f for a vote in the pool, 0 otherwise."""
    own = set(a.keys)
    rest = () if pool is None else [k for k in pool if k not in own]
    return Assertion(contest_id, f"share({a.label})<{number_text(f)}",
                     f"{a.what} has less than {number_text(f)} of the {base}",
                     weighted((a.keys, f - 1), (rest, f)), other=f if pool is None else Fraction(0),
                     reason=reason)


def votes_above(contest_id: str, a: Side, c: Fraction, cards: int, reason: str) -> Assertion:
    """a's tally > c, on a contest of `cards` cards (the manifest): g = 1 - c/N for a, -c/N for every other
    card, so the sum over the N cards is v_a - c."""
    t = c / cards
    return Assertion(contest_id, f"votes({a.label})>{number_text(c)}",
                     f"{a.what} has more than {number_text(c)} votes (of {cards:,} cards)",
                     weighted((a.keys, 1 - t)), other=-t, invalid=-t, reason=reason)


def votes_below(contest_id: str, a: Side, c: Fraction, cards: int, reason: str) -> Assertion:
    """a's tally < c on a contest of `cards` cards: g = c/N - 1 for a, c/N for every other card."""
    t = c / cards
    return Assertion(contest_id, f"votes({a.label})<{number_text(c)}",
                     f"{a.what} has fewer than {number_text(c)} votes (of {cards:,} cards)",
                     weighted((a.keys, t - 1)), other=t, invalid=t, reason=reason)


def balanced_threshold(a1: int, b1: Fraction, cards1: int, a2: int, b2: Fraction, cards2: int) -> Fraction:
    """The c that splits "a1 - c b1 > 0 (contest 1) and c b2 - a2 > 0 (contest 2)" so that both have the same
    margin per card in units of their assorter's range: (a1 - c b1)/N1 = (c b2 - a2)/N2. Each form has g's
    range 1, so this is the margin a comparison audit sees (v / 2u, v the diluted margin, u the assorter's
    upper bound), and both assertions then need about the same sample."""
    return Fraction(a1 * cards2 + a2 * cards1) / (b1 * cards2 + b2 * cards1)
