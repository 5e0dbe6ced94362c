"""Benchmark: station-batch comparison audits, tallycheck's design against MACRO in the same process.

1. Stations to count when every hand count agrees with its report (α = 0.05): the mean number of distinct
   stations for tallycheck's design (PPEB and uniform draws without replacement, Kaplan-Markov g = 0) and for
   MACRO (exact: ⌈ln α / ln(1 − 1/U)⌉ PPEB draws with replacement), on two-candidate contests of 660
   stations with unequal sizes: Iraq-like (100-600 voters, uniform) and heavy-tailed (Pareto 1.5, ≤ 5,000),
   at several diluted margins.
2. The same with counting noise on an SNTV-like contest (3 winners, 6 losers: 18 pairwise assertions): every
   station's hand count moves 0-2 votes between random candidates. MACRO takes the maximum relative
   overstatement across the assertions; tallycheck tests each assertion on its own overstatements (one common
   sample). Audits are run to the risk limit (or all stations) on the same simulated truths.
3. Planning speed for 55,000 stations: `stations_needed` (200 simulated draw orders through the P-value code)
   against MACRO's closed form on the same stations.

    .venv/bin/python bench/bench_audit_batch.py --reps 200
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tallycheck.audit.assertion import Assertion
from tallycheck.audit.batch import (
    PairBatch,
    macro_bounds,
    macro_p_values,
    pair_assertion,
    ratio_p_values,
    sampling_weights,
    station_assertion,
    stations_needed,
)

ALPHA = 0.05


def two_candidate(rng, sizes, margin):
    base = rng.binomial(sizes, 0.3)
    lead = rng.multinomial(int(margin * sizes.sum()), sizes / sizes.sum())
    rows = [PairBatch(f"S{i}", int(b), int(w), int(lo))
            for i, (b, w, lo) in enumerate(zip(sizes, base + lead, rng.binomial(sizes, 0.3)))]
    return pair_assertion(rows)


def part_one(reps):
    rng = np.random.default_rng(1)
    shapes = {"Iraq-like 100-600": rng.integers(100, 601, 660),
              "heavy-tailed": np.minimum(5000, (rng.pareto(1.5, 660) + 1) * 100).astype(int)}
    print("| stations | diluted margin | U | MACRO | tallycheck PPEB | ratio | tallycheck uniform |")
    print("|---|---|---|---|---|---|---|")
    for label, sizes in shapes.items():
        for margin in (0.005, 0.01, 0.03, 0.05):
            sa = two_candidate(rng, sizes, margin)
            macro = stations_needed([sa], ALPHA, design="macro")
            ppeb = stations_needed([sa], ALPHA, design="ppeb", reps=reps)
            uniform = stations_needed([sa], ALPHA, design="uniform", reps=reps)
            print(f"| {label} | {sa.margin / sizes.sum():.4f} | {macro_bounds([sa]).sum():.1f} | {macro:.1f} | "
                  f"{ppeb:.1f} | {ppeb / macro:.3f} | {uniform:.1f} |")


def part_two(reps):
    rng = np.random.default_rng(5)
    n, k = 660, 9
    sizes = rng.integers(100, 601, n)
    shares = np.array([0.2, 0.17, 0.15, 0.14, 0.13, 0.08, 0.06, 0.04, 0.03])
    votes = np.array([rng.multinomial(int(s * 0.9), shares) for s in sizes])
    totals = votes.sum(axis=0)
    rank = np.argsort(-totals)
    choices = [(f"c{j}", "") for j in range(k)]
    winners, losers = rank[:3], rank[3:]
    assertions = []
    for i in winners:
        for j in losers:
            a = Assertion("d", f"{i}>{j}", "", ((choices[i], 1), (choices[j], -1)))
            assertions.append(station_assertion(a, [f"S{p}" for p in range(n)], choices, votes, sizes))
    weights = sampling_weights(assertions, "ppeb")
    u = macro_bounds(assertions)
    low = np.max([sa.understatement / sa.margin for sa in assertions], axis=0)
    ours, macro = [], []
    for _ in range(reps):
        hand = votes.copy()
        for p in range(n):  # move 0-2 votes between random candidates
            for _ in range(rng.integers(0, 3)):
                src, dst = rng.integers(0, k, 2)
                if hand[p, src] > 0:
                    hand[p, src] -= 1
                    hand[p, dst] += 1
        omegas = [sa.reported - (hand @ np.array(sa.weights)) for sa in assertions]
        order = np.argsort(rng.exponential(size=n) / weights)
        needed = 0
        for sa, om in zip(assertions, omegas):
            p = ratio_p_values(sa.bound, sa.understatement, sa.margin, order, np.minimum(om, sa.bound)[order],
                               weights=weights)
            hit = np.flatnonzero(p <= ALPHA)
            needed = max(needed, int(hit[0]) + 1 if len(hit) else n)
        ours.append(needed)
        e = np.max([om / sa.margin for sa, om in zip(assertions, omegas)], axis=0)
        draws = rng.choice(n, size=20 * n, p=u / u.sum())
        p = macro_p_values(u, low, draws, e[draws])
        hit = np.flatnonzero(p <= ALPHA)
        macro.append(len(np.unique(draws[: hit[0] + 1])) if len(hit) else n)
    m_ours, m_macro = float(np.mean(ours)), float(np.mean(macro))
    print(f"SNTV-like, 18 assertions, counting noise: MACRO {m_macro:.1f} stations, tallycheck PPEB "
          f"{m_ours:.1f}, ratio {m_ours / m_macro:.3f} ({reps} audits; full count = {n})")


def part_three(reps):
    rng = np.random.default_rng(9)
    sizes = rng.integers(100, 601, 55_000)
    sa = two_candidate(rng, sizes, 0.01)
    t0 = time.perf_counter()
    macro = stations_needed([sa], ALPHA, design="macro")
    t1 = time.perf_counter()
    ppeb = stations_needed([sa], ALPHA, design="ppeb", reps=reps)
    t2 = time.perf_counter()
    print(f"55,000 stations, diluted margin {sa.margin / sizes.sum():.4f}: MACRO closed form {t1 - t0:.4f} s "
          f"({macro:.1f} stations); tallycheck PPEB, {reps} draw orders, {t2 - t1:.3f} s ({ppeb:.1f} stations); "
          f"ratio {(t2 - t1) / (t1 - t0):.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    part_one(args.reps)
    print()
    part_two(max(20, args.reps // 4))
    print()
    part_three(args.reps)


if __name__ == "__main__":
    main()
