"""Exact a priori voting power in a weighted voting game: Banzhaf (normalised), Penrose (absolute Banzhaf) and
Shapley-Shubik, from counts of coalitions by size and seat total.

The count table N[k][t] (how many coalitions of k players hold t seats) is the generating function
prod_i (1 + y x^{w_i}) (Brams & Affuso 1976; Mann & Shapley 1962 for the Shapley-Shubik form), built one
player at a time. A player's view of the others is the same table with that player divided out again,
C[k][t] = N[k][t] - C[k-1][t - w] (exact: the division by 1 + y x^w leaves no remainder), so every player
costs one pass over the table, and players with equal seats share one. Then for player i of weight w and
quota q:

- swings eta_i = sum over t in [q - w, q - 1] of sum_k C[k][t]: coalitions of the others that i turns from
  losing to winning;
- Penrose psi_i = eta_i / 2^(n-1); Banzhaf beta_i = eta_i / sum_j eta_j;
- Shapley-Shubik phi_i = sum_k sum_t C[k][t] k! (n-k-1)! / n!: the share of the n! orders of arrival in which
  i brings the seats that reach the quota.

Only seat totals below the largest quota are ever needed, so the table stops there. Every count is a Python
int: at 76 players they pass 2^63 (2^75 coalitions of the others, swings of the order of 10^22), where
fixed-width integer code overflows silently. The numpy arrays hold Python ints (dtype object); numpy only
loops over them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import factorial
from typing import Any

import numpy as np

from .game import Game
from .quota import QuotaError


@dataclass(frozen=True, slots=True)
class PowerIndices:
    """The indices of every player for one quota, in the game's player order."""

    quota: int
    players: tuple[str, ...]
    swings: tuple[int, ...]  # coalitions of the others in which the player is decisive
    banzhaf: tuple[Fraction, ...]  # normalised: swings over all players' swings
    penrose: tuple[Fraction, ...]  # absolute Banzhaf: swings over the 2^(n-1) coalitions of the others
    shapley_shubik: tuple[Fraction, ...]
    winning: int  # how many of the 2^n coalitions reach the quota

    def of(self, name: str) -> dict[str, Fraction | int]:
        i = self.players.index(name)
        return {"swings": self.swings[i], "banzhaf": self.banzhaf[i], "penrose": self.penrose[i],
                "shapley_shubik": self.shapley_shubik[i]}

    def to_dict(self) -> dict[str, Any]:
        """Indices as JSON numbers, with the exact fractions beside them as "p/q" strings."""
        def floats(values: Sequence[Fraction]) -> dict[str, float]:
            return {p: float(v) for p, v in zip(self.players, values)}

        def exact(values: Sequence[Fraction]) -> dict[str, str]:
            return {p: f"{v.numerator}/{v.denominator}" for p, v in zip(self.players, values)}

        return {"banzhaf": floats(self.banzhaf), "shapley_shubik": floats(self.shapley_shubik),
                "penrose": floats(self.penrose), "banzhaf_exact": exact(self.banzhaf),
                "shapley_shubik_exact": exact(self.shapley_shubik), "penrose_exact": exact(self.penrose),
                "swings": {p: str(s) for p, s in zip(self.players, self.swings)},
                "winning_coalitions": str(self.winning)}


def coalition_counts(weights: Sequence[int], below: int) -> np.ndarray:
    """N[k][t]: the coalitions of k of the players (weights) that hold t seats, for t < `below`."""
    n = len(weights)
    table = np.zeros((n + 1, below), dtype=object)
    table[0, 0] = 1
    for added, w in enumerate(weights):
        if w < below:  # a coalition with this player holds >= w seats: beyond the table otherwise
            rows = slice(1, added + 2)  # sizes a coalition of the players added so far can have, plus one
            table[rows, w:] = table[rows, w:] + table[0:added + 1, :below - w]
    return table


def without_player(table: np.ndarray, w: int) -> np.ndarray:
    """The counts of `table` with one player of weight `w` taken out again."""
    below = table.shape[1]
    if w >= below:
        return table
    rest = table.copy()
    for k in range(1, table.shape[0]):
        rest[k, w:] = table[k, w:] - rest[k - 1, :below - w]
    return rest


def power_indices(game: Game, quotas: Iterable[int]) -> dict[int, PowerIndices]:
    """Exact Banzhaf, Penrose and Shapley-Shubik indices of every player of `game` for each quota
    (1 <= quota <= the game's seats)."""
    quotas = sorted(set(quotas))
    weights = game.weights
    n = len(weights)
    for q in quotas:
        if not 1 <= q <= sum(weights):
            raise QuotaError(f"Quota {q} must be between 1 and the {sum(weights)} seats there are.")
    if not quotas:
        return {}
    below = quotas[-1]
    table = coalition_counts(weights, below)
    losing_by_total = table.sum(axis=0)  # coalitions of any size, per seat total
    # k! (n-1-k)!: the orders in which a given k others come first, then i, then the rest
    orders = [factorial(k) * factorial(n - 1 - k) for k in range(n)]
    swings: dict[int, dict[int, int]] = {q: {} for q in quotas}  # quota -> weight -> swings
    ss_orders: dict[int, dict[int, int]] = {q: {} for q in quotas}  # quota -> weight -> pivotal orders
    for w in sorted(set(weights)):
        others = without_player(table, w)
        for q in quotas:
            lo = max(0, q - w)
            if lo >= q:  # a player without seats turns no coalition into a winning one
                swings[q][w], ss_orders[q][w] = 0, 0
                continue
            by_size = others[:n, lo:q].sum(axis=1)
            swings[q][w] = int(sum(by_size))
            ss_orders[q][w] = sum(int(c) * o for c, o in zip(by_size, orders))
    out: dict[int, PowerIndices] = {}
    for q in quotas:
        eta = tuple(swings[q][w] for w in weights)
        total = sum(eta)  # > 0: the grand coalition wins, so someone is decisive somewhere
        out[q] = PowerIndices(
            quota=q, players=game.names, swings=eta,
            banzhaf=tuple(Fraction(e, total) for e in eta),
            penrose=tuple(Fraction(e, 2 ** (n - 1)) for e in eta),
            shapley_shubik=tuple(Fraction(ss_orders[q][w], factorial(n)) for w in weights),
            winning=2 ** n - int(sum(losing_by_total[:q])))
    return out
