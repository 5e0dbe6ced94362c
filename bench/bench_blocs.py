"""Benchmark: exact power indices (Banzhaf, Penrose, Shapley-Shubik) of Iraq's 2021 parliament, against
baselines run in the same process.

The game: the certified seats (IHEC, 30 Nov 2021) with the 16 one-seat parties and the 43 independents as
players of their own: 76 players, 329 seats, at the quotas 165 (absolute majority) and 220 (two-thirds
quorum).

- ours: `power_indices(game, [165, 220])`, every index of every player at both quotas, exact (Python ints and
  Fractions), including building the count table;
- baseline (a), plain enumeration: the 2^20 coalitions of the 20 largest players (their seats' majority as the
  quota), each coalition's seats and size in numpy int64, swings and Shapley-Shubik orders per player counted
  from them; ours on the same 20-player game is timed too;
- baseline (b), the same counts in fixed-width int64 (numpy), as code without big integers does them: faster,
  and wrong at 76 players (the counts pass 2^63); how many swing counts differ from the exact ones is printed.

    .venv/bin/python bench/bench_blocs.py --repeat 7
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from fractions import Fraction
from math import factorial

import numpy as np

from tallycheck.blocs import build_game, power_indices

IRAQ_2021 = [("Sadrist Movement", 73), ("Taqaddum", 37), ("State of Law", 33), ("KDP", 31),
             ("Kurdistan Alliance", 17), ("Fatah", 17), ("Azm", 14), ("New Generation", 9), ("Imtidad", 9),
             ("Ishraqat Kanoon", 6), ("Tasmim", 5), ("State Forces", 4), ("National Contract", 4),
             ("Babylon Movement", 4), ("Hasm Reform", 3), ("Our People's Identity", 3),
             ("Iraqi Turkmen Front", 1)] + [(f"One-seat party {k}", 1) for k in range(1, 17)]


def timed(fn, repeat: int) -> tuple[float, float, object]:
    runs, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return min(runs), statistics.median(runs), out


def enumerate_indices(weights: list[int], quota: int) -> tuple[list[int], list[Fraction]]:
    """Swings and Shapley-Shubik indices from every one of the 2^n coalitions (n <= ~24)."""
    n = len(weights)
    masks = np.arange(1 << n, dtype=np.int64)
    seats = np.zeros(1 << n, dtype=np.int64)
    size = np.zeros(1 << n, dtype=np.int64)
    for i, w in enumerate(weights):
        has = (masks >> i) & 1
        seats += has * w
        size += has
    swings, shapley = [], []
    for i, w in enumerate(weights):
        without = ((masks >> i) & 1) == 0
        decisive = without & (seats < quota) & (seats + w >= quota)
        by_size = np.bincount(size[decisive], minlength=n)
        swings.append(int(by_size.sum()))
        orders = sum(int(c) * factorial(k) * factorial(n - 1 - k) for k, c in enumerate(by_size))
        shapley.append(Fraction(orders, factorial(n)))
    return swings, shapley


def int64_swings(weights: list[int], quotas: list[int]) -> dict[int, list[int]]:
    """The count table and its per-player division in int64: the same algorithm, fixed-width."""
    below = max(quotas)
    n = len(weights)
    table = np.zeros((n + 1, below), dtype=np.int64)
    table[0, 0] = 1
    for added, w in enumerate(weights):
        if w < below:
            table[1:added + 2, w:] = table[1:added + 2, w:] + table[0:added + 1, :below - w]
    out: dict[int, list[int]] = {q: [] for q in quotas}
    cache: dict[int, np.ndarray] = {}
    for w in weights:
        if w not in cache:
            rest = table.copy()
            if w < below:
                for k in range(1, n + 1):
                    rest[k, w:] = table[k, w:] - rest[k - 1, :below - w]
            cache[w] = rest
        for q in quotas:
            out[q].append(int(cache[w][:, max(0, q - w):q].sum()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--small", type=int, default=20, help="players of the enumerated game")
    args = ap.parse_args()

    game = build_game(IRAQ_2021, [f"Independent {k}" for k in range(1, 44)])
    assert len(game.players) == 76 and game.seats == 329
    quotas = [165, 220]
    best, median, exact = timed(lambda: power_indices(game, quotas), args.repeat)

    small = build_game([(p.name, p.seats) for p in game.players[:args.small]])
    small_quota = small.seats // 2 + 1
    e_best, e_median, (e_swings, e_ss) = timed(lambda: enumerate_indices(list(small.weights), small_quota),
                                               max(1, args.repeat // 2))
    s_best, s_median, small_exact = timed(lambda: power_indices(small, [small_quota]), args.repeat)
    assert list(small_exact[small_quota].swings) == e_swings
    assert list(small_exact[small_quota].shapley_shubik) == e_ss

    i_best, i_median, wrapped = timed(lambda: int64_swings(list(game.weights), quotas), args.repeat)
    wrong = {q: sum(a != b for a, b in zip(wrapped[q], exact[q].swings)) for q in quotas}

    report = {
        "machine": f"{platform.machine()}, Python {sys.version.split()[0]}, numpy {np.__version__}",
        "players": len(game.players), "seats": game.seats, "quotas": quotas,
        "ours_76_best_s": round(best, 4), "ours_76_median_s": round(median, 4),
        "enumeration_players": args.small, "enumeration_best_s": round(e_best, 4),
        "enumeration_median_s": round(e_median, 4),
        "ours_small_best_s": round(s_best, 4), "ours_small_median_s": round(s_median, 4),
        "ours_76_over_enumeration_small_best": round(best / e_best, 3),
        "enumeration_small_over_ours_small_best": round(e_best / s_best, 1),
        "int64_76_best_s": round(i_best, 4), "int64_76_median_s": round(i_median, 4),
        "ours_over_int64_best": round(best / i_best, 2),
        "int64_swings_wrong": {str(q): f"{wrong[q]} of {len(game.players)}" for q in quotas},
        "largest_swing_count": str(max(exact[165].swings)),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
