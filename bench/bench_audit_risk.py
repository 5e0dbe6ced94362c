"""Benchmark: the risk functions' sample sizes against the information limit, and their speed.

In one process:

- no-error card-level comparison over a grid of diluted margins (0.5 % … 20 %) and α ∈ {0.05, 0.1}: the cards
  the default betting function needs, divided by n* = ln(1/α)/−ln(1 − v/2) (what the all-in bet λ = 2
  attains; ⌈n*⌉ is the least any audit can need), beside Kaplan-Markov's (super-simple, γ = 1.03905) and
  ALPHA's ratios;
- correct outcomes with random 1-vote overstatements in 0.1 % of cards (v = 2 % and 5 %, α = 5 %): the average
  sample of `--audits` simulated audits (with replacement, numpy PCG64 seed 5) beside n*;
- speed: `p_values` on 10⁶ draws, each risk function, best of `--repeat`, as a ratio to a plain
  `np.cumprod` of 10⁶ betting terms timed in the same run.

    .venv/bin/python bench/bench_audit_risk.py
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np
import scipy

from tallycheck.audit.risk import comparison_upper, comparison_value, p_values
from tallycheck.audit.sample_size import card_comparison_sample_size

MARGINS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2)
ALPHAS = (0.05, 0.1)


def n_star(v: float, alpha: float) -> float:
    return math.log(1 / alpha) / -math.log1p(-v / 2)


def no_error_grid() -> list[dict]:
    rows = []
    for alpha in ALPHAS:
        for v in MARGINS:
            ns = n_star(v, alpha)
            row = {"risk_limit": alpha, "margin": v, "n_star": ns, "ceil_n_star": math.ceil(ns)}
            for rf in ("betting", "kaplan-markov", "alpha"):
                n = card_comparison_sample_size(v, alpha, risk_function=rf)
                row[rf] = n
                row[f"{rf}_ratio"] = n / ns
            rows.append(row)
    return rows


def correct_outcomes(audits: int) -> list[dict]:
    rows = []
    rng = np.random.Generator(np.random.PCG64(5))
    alpha, rate = 0.05, 0.001
    for v in (0.02, 0.05):
        ns = n_star(v, alpha)
        length = int(6 * ns)
        over = rng.random((audits, length)) < rate
        x = np.where(over, comparison_value(0.5, 1, v), comparison_value(0, 1, v))
        row = {"margin": v, "risk_limit": alpha, "error_rate": rate, "n_star": ns, "audits": audits}
        for rf in ("betting", "kaplan-markov", "alpha"):
            p = p_values(x, risk_function=rf, upper=comparison_upper(1, v), comparison=True)
            done = p <= alpha
            n = np.where(done.any(axis=1), np.argmax(done, axis=1) + 1, length)
            row[rf] = float(n.mean())
            row[f"{rf}_ratio"] = float(n.mean()) / ns
            row[f"{rf}_unfinished"] = int((~done.any(axis=1)).sum())
        rows.append(row)
    return rows


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def speed(repeat: int) -> dict:
    n = 10 ** 6
    v = 0.01
    comparison = np.full(n, comparison_value(0, 1, v))
    comparison[::997] = comparison_value(0.5, 1, v)  # a few 1-vote overstatements
    upper = comparison_upper(1, v)
    polling = np.random.Generator(np.random.PCG64(1)).choice([0.0, 0.5, 1.0], size=n, p=[0.45, 0.05, 0.5])
    with np.errstate(over="ignore"):  # the product of 10^6 winning bets overflows; the time is what counts
        baseline = best_of(lambda: np.cumprod(1 + 1.9 * (comparison - 0.5)), repeat)
    out = {"draws": n, "cumprod_seconds": baseline}
    for rf in ("betting", "alpha", "kaplan-markov"):
        t = best_of(lambda: p_values(comparison, risk_function=rf, upper=upper, comparison=True), repeat)
        out[f"comparison_{rf}"] = {"seconds": t, "ratio": t / baseline}
    for rf in ("betting", "alpha", "kaplan-markov", "bravo"):
        t = best_of(lambda: p_values(polling, risk_function=rf, upper=1.0, reported_mean=0.525), repeat)
        out[f"polling_{rf}"] = {"seconds": t, "ratio": t / baseline}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audits", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    grid = no_error_grid()
    print(f"{'alpha':>5} {'margin':>7} {'n*':>8} {'ceil':>5} {'betting':>8} {'ratio':>6} {'KM':>6} {'ratio':>6} "
          f"{'ALPHA':>6} {'ratio':>6}")
    for r in grid:
        print(f"{r['risk_limit']:>5} {r['margin']:>7.3f} {r['n_star']:>8.1f} {r['ceil_n_star']:>5} {r['betting']:>8} "
              f"{r['betting_ratio']:>6.3f} {r['kaplan-markov']:>6} {r['kaplan-markov_ratio']:>6.3f} "
              f"{r['alpha']:>6} {r['alpha_ratio']:>6.3f}")
    worst = max(r["betting"] / max(1.02 * r["n_star"], r["ceil_n_star"]) for r in grid)
    print(f"betting: largest n / max(1.02 n*, ceil n*) = {worst:.4f} (must be <= 1)")
    report = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
                    "platform": platform.platform()},
        "no_errors": grid, "betting_worst_vs_bound": worst,
        "correct_outcomes": correct_outcomes(args.audits), "speed": speed(args.repeat),
    }
    print(json.dumps({k: report[k] for k in ("machine", "correct_outcomes", "speed")}, indent=2))


if __name__ == "__main__":
    main()
