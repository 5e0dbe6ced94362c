"""Ties and the public lot that breaks them.

Laws break exact ties by drawing lots (Iraq 2018, Regulation 12: IHEC draws in the presence of the candidates'
representatives). tallycheck's lot is reproducible by anyone from a public seed: each tied name gets the ticket
SHA-256(seed ‖ 0x1F ‖ context ‖ 0x1F ‖ name) (UTF-8), and the tickets are read in ascending byte order. The
context names the decision (e.g. "contest 12 / seat 3"), so one seed gives independent draws for different ties,
and the order never depends on the order in which the inputs were listed.

Every tie is reported (who tied, for how many places, who was drawn), whatever the rule that settled it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

DEFAULT_SEED = "0"


class TieRule(str, Enum):
    LOT = "lot"  # exact ties in the deciding quantity go straight to the lot
    MOST_VOTES_THEN_LOT = "most-votes-then-lot"  # the one with more votes first (e.g. equal quotients), then the lot


@dataclass(frozen=True, slots=True)
class Tie:
    """`candidates` tied for `places` places in `context`; `drawn` are those who got them."""

    context: str
    candidates: tuple[str, ...]
    places: int
    drawn: tuple[str, ...]
    rule: TieRule = TieRule.LOT

    def to_dict(self) -> dict[str, object]:
        return {"context": self.context, "candidates": list(self.candidates), "places": self.places,
                "drawn": list(self.drawn), "rule": self.rule.value}


@dataclass(frozen=True, slots=True)
class Lot:
    """A public seed (for instance the digits of dice rolled in public) from which every tie is drawn."""

    seed: str = DEFAULT_SEED

    def ticket(self, context: str, name: str) -> bytes:
        return hashlib.sha256("\x1f".join((self.seed, context, name)).encode("utf-8")).digest()

    def order(self, context: str, names: Iterable[str]) -> list[str]:
        """The names in the order the lot ranks them (first = drawn first)."""
        return sorted(names, key=lambda n: (self.ticket(context, n), n))

    def draw(self, context: str, names: Iterable[str], places: int) -> Tie:
        tied = tuple(sorted(names))
        return Tie(context, tied, places, tuple(self.order(context, tied)[:places]))
