"""Benchmark: the integer-percentage screen on one Russian election, against per-station Python loops.

In one process, on the same stations (the shared Kobak/Shpilkin data in
../shared/data/russia-federal-2004-2024):

- notebook: the published notebooks' approach (github.com/dkobak/elections, `anomaly()`): a Python loop over
  stations drawing `--draws` binomial resamples of ballots and leader votes each, then counting integer
  stations in every resample; the expected count is the resamples' mean.
- loop-exact: the same exact computation as tallycheck, one station at a time (scipy's binomial CDF over each
  whole-percentage window near the station's ratio).
- tallycheck: `integer_percentages` (exact expectations, exact Poisson-binomial p-values), nationally only and
  with the 80-odd regions; best and median of `--repeat` runs.

    .venv/bin/python bench/bench_integers.py --year 2011
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from russia import load_russia, russia_available  # noqa: E402

from tallycheck.forensics.integers import integer_percentages  # noqa: E402


def screened(t) -> tuple[np.ndarray, ...]:
    """The stations anomaly() screens: voters ≥ 100, received > 0, turnout and share ≤ 0.99."""
    keep = (t.share_base > 0) & (t.registered >= 100)
    keep &= (100 * t.ballots <= 99 * t.registered) & (100 * t.leader <= 99 * t.share_base)
    return t.registered[keep], t.ballots[keep], t.share_base[keep], t.leader[keep]


def integer(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    p = 100 * k / n
    return np.abs(p - np.round(p)) <= 0.05


def notebook_baseline(voters, given, received, leader, draws: int, seed: int = 42) -> dict:
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    leader_draws = np.zeros((draws, len(voters)), dtype=np.int32)
    given_draws = np.zeros((draws, len(voters)), dtype=np.int32)
    for i in range(len(voters)):  # one station at a time, as the notebook does
        leader_draws[:, i] = rng.binomial(received[i], leader[i] / received[i], size=draws)
        given_draws[:, i] = rng.binomial(voters[i], given[i] / voters[i], size=draws)
    resampled = np.concatenate([(integer(leader_draws[r:r + 50], received)
                                 | integer(given_draws[r:r + 50], voters)).sum(axis=1)
                                for r in range(0, draws, 50)])  # 50 resamples at a time bounds the memory
    observed = int((integer(leader, received) | integer(given, voters)).sum())
    return {"seconds": time.perf_counter() - t0, "observed": observed,
            "expected": float(resampled.mean()), "excess": observed - float(resampled.mean()),
            "sd": float(resampled.std())}


def window_chance(k: int, n: int) -> float:
    """P(Binomial(n, k/n)/n within 0.05 pp of a whole percentage), summed window by window."""
    ms = np.arange(101)
    lo = np.maximum(np.ceil(n * (20 * ms - 1) / 2000), 0)
    hi = np.minimum(np.floor(n * (20 * ms + 1) / 2000), n)
    ok = hi >= lo
    cdf = stats.binom.cdf
    return float((cdf(hi[ok], n, k / n) - cdf(lo[ok] - 1, n, k / n)).sum())


def loop_exact_baseline(voters, given, received, leader) -> dict:
    t0 = time.perf_counter()
    chance = np.empty(len(voters))
    for i in range(len(voters)):
        a = window_chance(int(given[i]), int(voters[i]))
        b = window_chance(int(leader[i]), int(received[i]))
        chance[i] = a + b - a * b
    observed = int((integer(leader, received) | integer(given, voters)).sum())
    return {"seconds": time.perf_counter() - t0, "observed": observed, "expected": float(chance.sum()),
            "excess": observed - float(chance.sum())}


def tallycheck_runs(t, repeat: int, by_region: bool) -> dict:
    seconds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = integer_percentages(t, by_region=by_region)
        seconds.append(time.perf_counter() - t0)
    s = result.summary()
    return {"best": min(seconds), "median": statistics.median(seconds), "runs": seconds,
            "observed": s["observed_either"], "expected": s["expected_either"], "excess": s["excess_either"],
            "sd": s["sd_either"], "p_value": s["p_value_either"], "regions": len(result.regions)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--year", type=int, default=2011)
    ap.add_argument("--draws", type=int, default=1000, help="resamples per station in the notebook baseline")
    ap.add_argument("--repeat", type=int, default=5, help="tallycheck runs (best and median reported)")
    ap.add_argument("--skip-loop-exact", action="store_true")
    args = ap.parse_args()
    if not russia_available():
        sys.exit("the shared Russian data is not beside the repository "
                 "(../shared/data/russia-federal-2004-2024)")
    t = load_russia(args.year)
    voters, given, received, leader = screened(t)
    print(f"Russia {args.year}: {len(t):,} stations, {len(voters):,} screened", flush=True)

    integer_percentages(t)  # warm-up: imports, FFT plans, the log-factorial table
    ours_national = tallycheck_runs(t, args.repeat, by_region=False)
    ours_regions = tallycheck_runs(t, args.repeat, by_region=True)
    print(f"tallycheck national: best {ours_national['best']:.3f} s, median {ours_national['median']:.3f} s",
          flush=True)
    print(f"tallycheck with {ours_regions['regions']} regions: best {ours_regions['best']:.3f} s, "
          f"median {ours_regions['median']:.3f} s", flush=True)
    notebook = notebook_baseline(voters, given, received, leader, args.draws)
    print(f"notebook loop ({args.draws} draws): {notebook['seconds']:.1f} s", flush=True)
    exact = None if args.skip_loop_exact else loop_exact_baseline(voters, given, received, leader)
    if exact:
        print(f"exact per-station loop: {exact['seconds']:.1f} s", flush=True)

    report = {
        "year": args.year, "stations": len(t), "screened": len(voters),
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
                    "platform": platform.platform()},
        "tallycheck_national": ours_national, "tallycheck_regions": ours_regions,
        "notebook": notebook, "loop_exact": exact,
        "ratio_notebook_over_tallycheck_national": notebook["seconds"] / ours_national["best"],
        "ratio_notebook_over_tallycheck_regions": notebook["seconds"] / ours_regions["best"],
        "ratio_loop_exact_over_tallycheck_national":
            exact["seconds"] / ours_national["best"] if exact else None,
        # the notebook's expectation is a Monte Carlo mean: within a few sd/√draws of the exact one
        "notebook_minus_exact_expected_in_mc_errors": (notebook["expected"] - ours_national["expected"])
        / (ours_national["sd"] / math.sqrt(args.draws)),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
