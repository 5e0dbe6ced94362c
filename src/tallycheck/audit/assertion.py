"""One audit assertion: a linear score g per card whose contest total is positive iff the assertion holds,
and SHANGRLA's assorter built from it (Stark 2020, "Sets of half-average nulls generate risk-limiting audits:
SHANGRLA", §2-3). Exact Fractions throughout; an assertion is true iff sum over the contest's cards of g > 0.

A card carries at most one valid vote for one choice; a card with no valid vote (invalid, blank, unmarked, or
no such card at all) scores `invalid`. The assorter a = (g - lower) / (-2 lower) maps g into [0, u] with
a > 1/2 exactly where g > 0 card for card, so mean(a) > 1/2 iff sum(g) > 0: the half-average null of SHANGRLA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

ChoiceKey = tuple[str, str]
"""(candidate_id, list_id) as in a results.csv row; one of the two is "" (a candidate or a list-only vote)."""


def batch_cards(votes: Mapping[ChoiceKey, int], ballots: int) -> tuple[int, int]:
    """(cards, cards without a valid vote) of a batch: a sheet whose votes exceed its ballots counts its votes."""
    valid = sum(votes.values())
    cards = max(ballots, valid)
    return cards, cards - valid


@dataclass(frozen=True, slots=True)
class Assertion:
    """True iff the sum over the contest's cards of g(card) > 0, strictly. Raises ValueError when no score is
    negative (the assertion would need no audit) or a choice is weighted twice."""

    contest_id: str
    name: str  # unique within the contest, stable, short: "12>7", "share(12)>0.5", "LA/1.7>LB/3"
    description: str  # words for a person
    weights: tuple[tuple[ChoiceKey, Fraction], ...]  # g of a card with a valid vote for that choice
    other: Fraction = Fraction(0)  # g of a card with a valid vote for any choice not in weights
    invalid: Fraction = Fraction(0)  # g of a card with no valid vote (invalid, blank, unmarked, no such card)
    reason: str = ""  # why it is needed
    _by_choice: dict[ChoiceKey, Fraction] = field(init=False, repr=False, compare=False, hash=False)
    _bounds: tuple[Fraction, Fraction] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        weights = tuple((tuple(key), w if type(w) is Fraction else Fraction(w)) for key, w in self.weights)
        object.__setattr__(self, "weights", weights)
        if type(self.other) is not Fraction:
            object.__setattr__(self, "other", Fraction(self.other))
        if type(self.invalid) is not Fraction:
            object.__setattr__(self, "invalid", Fraction(self.invalid))
        by_choice = dict(weights)
        if len(by_choice) != len(weights):
            raise ValueError(f"assertion {self.name!r} of contest {self.contest_id!r} names a choice twice")
        object.__setattr__(self, "_by_choice", by_choice)
        values = (self.other, self.invalid, *by_choice.values())
        object.__setattr__(self, "_bounds", (min(values), max(values)))
        if self._bounds[0] >= 0:
            raise ValueError(f"assertion {self.name!r} of contest {self.contest_id!r} has no negative score: "
                             "it holds whatever the cards say and needs no audit")

    def g(self, choice: ChoiceKey | None) -> Fraction:
        """The score of one card: a valid vote for `choice`, or None for a card with no valid vote."""
        if choice is None:
            return self.invalid
        return self._by_choice.get(choice, self.other)

    @property
    def lower(self) -> Fraction:
        return self._bounds[0]

    @property
    def upper(self) -> Fraction:
        return self._bounds[1]

    def assorter(self, choice: ChoiceKey | None) -> Fraction:
        """SHANGRLA's assorter value of a card: (g - lower) / (-2 lower), in [0, assorter_upper]."""
        low = self.lower
        return (self.g(choice) - low) / (-2 * low)

    @property
    def assorter_upper(self) -> Fraction:
        low = self.lower
        return (self.upper - low) / (-2 * low)

    def g_total(self, votes: Mapping[ChoiceKey, int], ballots: int) -> Fraction:
        """Sum of g over a batch's cards (the quantity whose contest total must be positive)."""
        valid = sum(votes.values())
        other = self.other
        # every valid vote scores `other`, corrected for the choices the assertion names
        total = other * valid if other else Fraction(0)
        for key, w in self.weights:
            n = votes.get(key)
            if n:
                total += (w - other) * n if other else w * n
        blank = max(ballots, valid) - valid
        return total + self.invalid * blank if blank and self.invalid else total

    def batch_total(self, votes: Mapping[ChoiceKey, int], ballots: int) -> Fraction:
        """Sum of the assorter over a batch's cards (cards without a valid vote score assorter(None))."""
        cards, _ = batch_cards(votes, ballots)
        low = self.lower
        return (self.g_total(votes, ballots) - low * cards) / (-2 * low)

    def batch_total_bounds(self, ballots: int) -> tuple[Fraction, Fraction]:
        """The least and greatest assorter total a batch of `ballots` cards can have, whatever they say."""
        return Fraction(0), self.assorter_upper * ballots

    def _totals(self, batches: Iterable[tuple[Mapping[ChoiceKey, int], int]]) -> tuple[Fraction, int]:
        total, cards = Fraction(0), 0
        for votes, ballots in batches:
            total += self.batch_total(votes, ballots)
            cards += batch_cards(votes, ballots)[0]
        return total, cards

    def margin(self, batches: Iterable[tuple[Mapping[ChoiceKey, int], int]]) -> Fraction:
        """The reported margin in assorter units: sum over cards of (2 a - 1), i.e. 2 * total - cards."""
        total, cards = self._totals(batches)
        return 2 * total - cards

    def diluted_margin(self, batches: Iterable[tuple[Mapping[ChoiceKey, int], int]]) -> Fraction:
        """2 * mean assorter - 1 over all the contest's cards (SHANGRLA's diluted margin v)."""
        total, cards = self._totals(batches)
        if cards == 0:
            return Fraction(0)
        return 2 * total / cards - 1

    def holds(self, batches: Iterable[tuple[Mapping[ChoiceKey, int], int]]) -> bool:
        """True iff the assertion holds on these counts: sum of g over the contest's cards > 0."""
        return sum((self.g_total(v, b) for v, b in batches), Fraction(0)) > 0


@dataclass(frozen=True, slots=True)
class AssertionSet:
    """The assertions of one contest. `full_count` is non-empty when no sample can confirm the contest (a tie
    at the seat boundary settled by lot, zero margin, a seat decided by a lot, ...): it says why."""

    contest_id: str
    assertions: tuple[Assertion, ...]
    full_count: str = ""
    notes: tuple[str, ...] = ()
