"""Benchmark: planning a risk-limiting audit of every contest of an Iraq-shaped election (55,041 stations,
88 contests, ~9,900 assertions), against the seat allocation of the same election run in the same process.

Steps timed apart:
- population: each contest's station x choice matrix, the reported outcome (allocation), its assertions and
  every assertion's exact integer scores per station (`audit.population.audit_population`);
- plan: the expected stations and ballots of every contest — the exact-weight sampling sequence simulated
  8 times per contest through the same P-value code the audit runs (`audit.planning.plan_audit`);
- baseline: `seats.allocate.allocate_votes` (every seat of the election) from the same vote totals.

    .venv/bin/python bench/bench_audit_plan.py --stations 55041 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from tallycheck.audit.plan import AuditSettings
from tallycheck.audit.planning import plan_audit
from tallycheck.audit.population import audit_population, vote_totals_of
from tallycheck.audit.contest_counts import contest_counts
from tallycheck.importing import validate_package
from tallycheck.seats.allocate import allocate_votes
from tallycheck.synth import generate


def timed(fn, repeat: int):
    runs, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return min(runs), statistics.median(runs), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stations", type=int, default=55041)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--risk-limit", type=float, default=0.05)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        pkg = Path(tmp) / "pkg"
        generate(shape="iraq-2021", seed=args.seed, out=pkg, stations=args.stations)
        data = validate_package(pkg).validation.data
    counts = contest_counts(data)
    totals = vote_totals_of(counts)
    base = timed(lambda: allocate_votes(data, totals), args.repeat)
    pop = timed(lambda: audit_population(data, counts=counts), args.repeat)
    population = pop[2]
    settings = AuditSettings(args.risk_limit)
    plan = timed(lambda: plan_audit(population, settings), args.repeat)
    p = plan[2]
    result = {
        "stations": args.stations, "contests": len(p.contests), "assertions": p.assertions,
        "allocation_best_s": round(base[0], 4), "population_best_s": round(pop[0], 3),
        "population_median_s": round(pop[1], 3), "plan_best_s": round(plan[0], 3),
        "plan_median_s": round(plan[1], 3), "plan_over_allocation": round(plan[0] / base[0], 1),
        "population_over_allocation": round(pop[0] / base[0], 1),
        "expected_stations": p.expected_stations, "expected_ballots": p.expected_ballots,
        "full_count_contests": sum(1 for c in p.contests if c.full_count),
        "python": platform.python_version(), "machine": platform.machine(),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
