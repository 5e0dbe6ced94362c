"""Benchmark: the whole screen but the mixture model on one Russian election, against a straightforward
per-station implementation of the same methods, in one process on the same stations.

- tallycheck: `screen(t, mixture=False)` (integer percentages, digit tests with their bootstrap, red flags,
  the within-centre test, the fingerprint, Klimek's first stage and fit, the combination, ranking and
  reasons); best and median of `--repeat` runs after a warm-up.
- per-station: the same computations written one station at a time, as a first implementation would be:
  each station's integer-percentage chance from scipy's binomial CDF over the whole-percentage windows; its
  digits from its decimal string, and a bootstrap that draws every replicate's stations in turn; each red flag
  in a loop; the within-centre test with centre sums in a dict, the same pooled robust rho and trimming
  passes, and scipy's `betabinom.sf` per station; the Bonferroni combination and the reasons in a loop.
  Klimek's fit has no per-station form: the library's fit is timed in both. The national integer-percentage
  p-value is taken from the normal approximation (the exact Poisson-binomial tail is not a per-station
computation). The results are compared: the same integer-percentage expectation, digit statistics, red-flag
counts, and within-centre p-values (where above 1e-8: scipy's sf is 1 - cdf, accurate to about 1e-12
absolute).

    .venv/bin/python bench/bench_screen.py --year 2011
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import scipy
from scipy import special, stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from russia import load_russia, russia_available  # noqa: E402

from tallycheck.forensics.centres import CHI2_1_MEDIAN, TRIM  # noqa: E402
from tallycheck.forensics.fdr import benjamini_hochberg  # noqa: E402
from tallycheck.forensics.klimek import klimek_fit, klimek_first_stage  # noqa: E402
from tallycheck.forensics.screen import screen  # noqa: E402

BENFORD_2ND = [sum(np.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)]


# -- per-station implementations -----------------------------------------------------------------------------

def _window_chance(k: int, n: int) -> float:
    """P(Binomial(n, k/n) / n within 0.05 points of a whole percentage), window by window."""
    m = np.arange(101)
    lo = np.maximum(np.ceil(n * (20 * m - 1) / 2000), 0)
    hi = np.minimum(np.floor(n * (20 * m + 1) / 2000), n)
    ok = hi >= lo
    return float((stats.binom.cdf(hi[ok], n, k / n) - stats.binom.cdf(lo[ok] - 1, n, k / n)).sum())


def _is_integer(k: int, n: int) -> bool:
    return abs(100 * k / n - round(100 * k / n)) <= 0.05 + 1e-12


def loop_integer(t) -> dict:
    n_st = len(t)
    p = np.full(n_st, np.nan)
    observed = expected = 0.0
    var = 0.0
    for i in range(n_st):
        reg, bal, base, lead = int(t.registered[i]), int(t.ballots[i]), int(t.share_base[i]), int(t.leader[i])
        if reg < 100 or base <= 0 or 100 * bal > 99 * reg or 100 * lead > 99 * base:
            continue
        a, b = _window_chance(bal, reg), _window_chance(lead, base)
        either = a + b - a * b
        it, il = _is_integer(bal, reg), _is_integer(lead, base)
        observed += it or il
        expected += either
        var += either * (1 - either)
        p[i] = a * b if (it and il) else either if (it or il) else 1.0
    return {"observed_either": observed, "expected_either": expected,
            "p_value_either": float(stats.norm.sf((observed - 0.5 - expected) / np.sqrt(var))), "p": p}


def loop_digits(t, n_boot: int, seed: int) -> dict:
    columns = {"ballots": (t.ballots, t.registered), "leader": (t.leader, t.share_base)}
    rows = []
    for i in range(len(t)):
        row = []
        for counts, base in columns.values():
            c = int(counts[i])
            s = str(c)
            second = int(s[1]) if c >= 10 else None
            last = c % 10
            pct = round(100 * min(c, int(base[i])) / int(base[i])) if base[i] > 0 else None
            row += [second or 0, second is not None, last, 1, last in (0, 5),
                    pct is not None and pct % 5 == 0, pct is not None]
        rows.append(row)
    f = np.array(rows, dtype=np.float64)
    rng = np.random.default_rng(seed)
    boot = np.empty((n_boot, f.shape[1]))
    for r in range(n_boot):  # one replicate at a time
        boot[r] = f[rng.integers(0, len(f), len(f))].sum(axis=0)
    point = f.sum(axis=0)
    out = {}
    for c, name in enumerate(columns):
        for test, (a, b) in {"2BL": (0, 1), "LastC": (2, 3), "C05s": (4, 3), "P05s": (5, 6)}.items():
            out[f"{test} {name}"] = point[7 * c + a] / point[7 * c + b]
    # per station: counts >= 10 ending in 0 or 5, binomial tail at 1/5
    p = np.full(len(t), np.nan)
    for i in range(len(t)):
        cs = [int(t.ballots[i]), int(t.leader[i])]
        m = sum(c >= 10 for c in cs)
        k = sum(c >= 10 and c % 5 == 0 for c in cs)
        if m:
            p[i] = stats.binom.sf(k - 1, m, 0.2)
    out["p"] = p
    out["boot"] = boot
    return out


def loop_red_flags(t) -> list[np.ndarray]:
    n = len(t)
    turnout = [t.ballots[i] / t.registered[i] for i in range(n) if t.registered[i] > 0]
    ranked = sorted(turnout)
    high = np.full(n, np.nan)
    one = np.full(n, np.nan)
    zero = np.full(n, np.nan)
    rnd = np.full(n, np.nan)
    one_hits, one_checked = [], 0
    for i in range(n):
        if t.registered[i] > 0:
            high[i] = 1.0
            if 100 * t.ballots[i] >= 99 * t.registered[i]:
                x = t.ballots[i] / t.registered[i]
                high[i] = (len(ranked) - np.searchsorted(ranked, x, side="left")) / len(ranked)
        if t.share_base[i] >= 10:
            one_checked += 1
            one[i] = 1.0
            if t.leader[i] == t.share_base[i]:
                one_hits.append(i)
        score = eligible = 0
        for c in (int(t.ballots[i]), int(t.leader[i])):
            if c >= 100:
                eligible += 1
                score += 2 if c % 100 == 0 else 1 if c % 50 == 0 else 0
        if eligible:
            dist = np.ones(1)
            for _ in range(eligible):
                dist = np.convolve(dist, [0.98, 0.01, 0.01])
            rnd[i] = 1.0 if score == 0 else min(dist[score:].sum(), 1.0)
    for i in one_hits:
        one[i] = len(one_hits) / one_checked
    return [high, one, zero, rnd]


def _rho(z2: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    if len(z2) == 0 or np.median(z2 / a) <= CHI2_1_MEDIAN:
        return 0.0
    lo, hi = 0.0, 0.9
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.median(z2 / (a + b * mid)) > CHI2_1_MEDIAN else (lo, mid)
    return (lo + hi) / 2


def loop_centre(x: np.ndarray, n: np.ndarray, key: list[str], min_stations: int = 3) -> np.ndarray:
    """The within-centre test one station at a time (same model, same trimming; scipy's tail)."""
    usable = [i for i in range(len(x)) if n[i] > 0 and x[i] >= 0 and key[i]]

    def one_pass(reference: dict[int, bool], exact: bool) -> dict[int, float]:
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        for i in usable:
            if reference[i]:
                s = sums[key[i]]
                s[0], s[1], s[2], s[3] = s[0] + 1, s[1] + x[i], s[2] + n[i], s[3] + float(n[i]) ** 2
        rows = []
        for i in usable:
            s = sums[key[i]]
            w = 1.0 if reference[i] else 0.0
            k, x_o, n_o, s2_o = s[0] - w, s[1] - w * x[i], s[2] - w * n[i], s[3] - w * float(n[i]) ** 2
            if k < min_stations - 1 or n_o <= 0:
                continue
            mu = x_o / n_o
            edge = 0.5 / (n_o + 1)
            mu_c = min(max(mu, edge), 1 - edge)
            a = 1 / n[i] + 1 / n_o
            b = (n[i] - 1) / n[i] + (s2_o - n_o) / n_o ** 2
            rows.append((i, mu, mu_c, a, b, (x[i] / n[i] - mu) ** 2 / (mu_c * (1 - mu_c)), n_o, s2_o))
        fit = [r for r in rows if reference[r[0]]]
        rho = _rho(
            np.array([r[5] for r in fit]), np.array([r[3] for r in fit]), np.array([r[4] for r in fit])
        )
        out = {}
        for i, mu, mu_c, a, b, z2, n_o, s2_o in rows:
            if not exact:
                out[i] = float(special.ndtr(-np.sqrt(z2 / (a + b * rho)) * np.sign(x[i] / n[i] - mu)))
            else:
                v = (n_o + rho * (s2_o - n_o)) / n_o ** 2
                r = min(rho + (n[i] * v / (n[i] - 1) if n[i] > 1 else 0.0), 0.9)
                scale = 1 / max(r, 1e-12) - 1
                out[i] = max(
                    float(stats.betabinom.sf(x[i] - 1, n[i], mu_c * scale, (1 - mu_c) * scale)), 1e-300
                )
        return out

    reference = {i: True for i in usable}
    for _ in range(3):
        approx = one_pass(reference, exact=False)
        clear = {i: not (approx.get(i, np.nan) <= TRIM) for i in usable}
        if clear == reference:
            break
        reference = clear
    p = np.full(len(x), np.nan)
    for i, v in one_pass(reference, exact=True).items():
        p[i] = v
    return p


def loop_screen(t, seed: int, n_boot: int) -> tuple[dict, dict]:
    seconds = {}

    def timed(name, fn):
        t0 = time.perf_counter()
        value = fn()
        seconds[name] = time.perf_counter() - t0
        return value

    ip = timed("integer percentages", lambda: loop_integer(t))
    dg = timed("digit tests", lambda: loop_digits(t, n_boot, seed))
    flags = timed("red flags", lambda: loop_red_flags(t))
    key = [f"{t.region[i]}\x1f{t.centre[i]}\x1f{t.kind[i]}" if t.centre[i] else "" for i in range(len(t))]
    reg = np.where(t.registered > 0, t.registered, 0)
    ct = timed("within-centre turnout", lambda: loop_centre(t.ballots, reg, key))
    cs = timed("within-centre share", lambda: loop_centre(t.leader, t.share_base, key))
    first = timed("Klimek first stage", lambda: klimek_first_stage(t))
    timed("Klimek fit", lambda: klimek_fit(t, seed=seed, first_stage=first))

    def combine():
        methods = [ip["p"], ct, cs, *flags, dg["p"]]
        combined = np.full(len(t), np.nan)
        for i in range(len(t)):
            ps = [m[i] for m in methods if not np.isnan(m[i])]
            if ps:
                combined[i] = min(1.0, len(ps) * min(ps))
        q = benjamini_hochberg(combined)
        reasons = []
        for i in range(len(t)):
            reasons.append(
                "; ".join(f"method {j}: p = {m[i]:.2g}" for j, m in enumerate(methods) if m[i] <= 0.05)
            )
        return combined, q
    combined, q = timed("combining", combine)
    return seconds, {"integer": ip, "digits": dg, "flags": flags, "centre_turnout": ct, "centre_share": cs,
                     "combined": combined, "q": q}


# -- the run -------------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--year", type=int, default=2011)
    ap.add_argument("--repeat", type=int, default=3, help="tallycheck runs (best and median reported)")
    ap.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates of the digit tests")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stations", type=int, default=None, help="only the first N stations (a quick try)")
    args = ap.parse_args()
    if not russia_available():
        sys.exit(
            "the shared Russian data is not beside the repository (../shared/data/russia-federal-2004-2024)"
        )
    t = load_russia(args.year)
    if args.stations:
        t = t.subset(np.arange(len(t)) < args.stations)
    print(f"Russia {args.year}: {len(t):,} stations", flush=True)
    screen(t.subset(np.arange(len(t)) < 2000), mixture=False, n_boot=10)  # warm-up: imports, caches
    runs, steps = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        s = screen(t, mixture=False, seed=args.seed, n_boot=args.n_boot)
        runs.append(time.perf_counter() - t0)
        steps.append(dict(s.seconds))
        print(f"tallycheck: {runs[-1]:.2f} s", flush=True)
    best = int(np.argmin(runs))
    print("per-station implementation ...", flush=True)
    t0 = time.perf_counter()
    loop_seconds, loop = loop_screen(t, args.seed, args.n_boot)
    loop_total = time.perf_counter() - t0
    print(f"per-station: {loop_total:.1f} s", flush=True)

    # agreement
    summary = s.summary(top=0)
    ip = summary["integer_percentages"]
    ours_ct, ours_cs = s.centres.turnout.evidence.p_value, s.centres.share.evidence.p_value

    def log_gap(a: np.ndarray, b: np.ndarray) -> float:
        both = ~np.isnan(a) & ~np.isnan(b) & (a > 1e-8) & (b > 1e-8)
        return float(np.max(np.abs(np.log10(a[both]) - np.log10(b[both])))) if both.any() else 0.0

    flags_ours = [e.p_value for e in s.red_flags.evidence()]
    agreement = {
        "integer_expected_either": [ip["expected_either"], loop["integer"]["expected_either"]],
        "integer_observed_either": [ip["observed_either"], loop["integer"]["observed_either"]],
        "digits_2BL_ballots": [summary["digits"]["2BL"]["ballots"]["value"], loop["digits"]["2BL ballots"]],
        "digits_P05s_leader": [summary["digits"]["P05s"]["leader"]["value"], loop["digits"]["P05s leader"]],
        "red_flags_high_turnout_flagged": [int(np.sum(flags_ours[0] < 1)), int(np.sum(loop["flags"][0] < 1))],
        "red_flags_round_totals_flagged": [int(np.sum(flags_ours[4] < 1)), int(np.sum(loop["flags"][3] < 1))],
        "centre_turnout_tested": [
            int(np.sum(~np.isnan(ours_ct))),
            int(np.sum(~np.isnan(loop["centre_turnout"]))),
        ],
        "centre_turnout_max_abs_log10_gap_above_1e-8": log_gap(ours_ct, loop["centre_turnout"]),
        "centre_share_max_abs_log10_gap_above_1e-8": log_gap(ours_cs, loop["centre_share"]),
        "flagged": [int(s.flagged().sum()), int(np.sum(loop["q"] <= 0.05))],
    }
    report = {
        "year": args.year, "stations": len(t), "n_boot": args.n_boot,
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
                    "platform": platform.platform(), "cpus": __import__("os").cpu_count()},
        "tallycheck": {"best": runs[best], "median": statistics.median(runs), "runs": runs,
                       "steps_of_best": steps[best]},
        "per_station": {"total": loop_total, "steps": loop_seconds},
        "ratio_per_station_over_tallycheck_best": loop_total / runs[best],
        "ratio_per_station_over_tallycheck_median": loop_total / statistics.median(runs),
        "agreement": agreement,
    }
    print(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
