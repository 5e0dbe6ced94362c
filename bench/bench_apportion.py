"""Benchmark: tallycheck's exact divisor methods against the `apportionment` package (PyPI, martinlackner) on
the same inputs, in the same process, as a ratio per method (tallycheck time / package time; below 1 is
faster).

Cases:
- iraq-districts: 83 districts of 3-5 seats, 20 lists each (Iraq-shaped; votes drawn from a seeded Pareto
  distribution), every district allocated once per run;
- us-house-2010: the 50 states' 2010 apportionment populations, 435 seats (../shared/data/seat-oracles);
- large: 650 seats among 40 parties.

The package is timed as it is meant to be called, `compute(method, votes, seats)`: floating point, and with
`fractions=True` (exact quotients, except for Huntington-Hill and modified Sainte-Laguë, which it keeps in
floats). Every allocation is checked to agree before anything is timed; the inputs are drawn so that no case
has a tie for the last seat. Each figure is the best of --repeat runs of the whole case.

    .venv/bin/python bench/bench_apportion.py --repeat 7 --json-out /tmp/bench-apportion.json
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORACLES = HERE.parents[1] / "shared" / "data" / "seat-oracles"

# ours -> the package's name
METHODS = {"dhondt": "dhondt", "sainte-lague": "saintelague", "huntington-hill": "huntington",
           "adams": "adams", "dean": "dean"}


def _pareto_votes(rng: random.Random, n: int) -> list[int]:
    return [int(rng.paretovariate(1.1) * 1000) for _ in range(n)]


def build_cases(seed: int) -> dict[str, list[tuple[list[int], int]]]:
    """Each case: a list of (votes, seats) allocations, tie-free under every method benchmarked."""
    from tallycheck.seats.apportion import apportion

    rng = random.Random(seed)

    def tie_free(votes: list[int], seats: int) -> bool:
        named = {f"p{i}": v for i, v in enumerate(votes)}
        return all(not apportion(named, seats, m).ties for m in METHODS)

    def draw(n: int, seats: int) -> tuple[list[int], int]:
        while True:
            votes = _pareto_votes(rng, n)
            if tie_free(votes, seats):
                return votes, seats

    cases: dict[str, list[tuple[list[int], int]]] = {
        "iraq-districts": [draw(20, rng.choice((3, 4, 5))) for _ in range(83)],
        "large": [draw(40, 650)],
    }
    us = ORACLES / "us_house_2010_huntington_hill.json"
    if us.is_file():
        population = list(json.loads(us.read_text("utf-8"))["inputs"]["apportionment_population"].values())
        assert tie_free(population, 435)
        cases["us-house-2010"] = [(population, 435)]
    else:
        print(f"note: {us} is absent; the us-house-2010 case is skipped", file=sys.stderr)
    return cases


def ours(case: list[tuple[list[int], int]], method: str) -> list[list[int]]:
    from tallycheck.seats.apportion import apportion

    return [list(apportion({f"p{i}": v for i, v in enumerate(votes)}, seats, method).seats.values())
            for votes, seats in case]


def theirs(case: list[tuple[list[int], int]], method: str, fractions: bool) -> list[list[int]]:
    from apportionment import methods as app

    return [app.compute(METHODS[method], votes, seats, fractions=fractions) for votes, seats in case]


def best_of(repeat: int, job) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        job()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best is kept")
    parser.add_argument("--seed", type=int, default=2021, help="seed of the drawn votes")
    parser.add_argument("--json-out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    try:
        import apportionment
        import numpy
    except ImportError:
        sys.exit("the baseline is the `apportionment` package: pip install 'apportionment==1.0' "
                 "(the [bench] extra)")

    cases = build_cases(args.seed)
    rows = []
    print(f"{'case':<16} {'method':<16} {'tallycheck':>11} {'package':>11} {'ratio':>7} {'pkg exact':>11} "
          f"{'ratio':>7}")
    for name, case in cases.items():
        for method in METHODS:
            mine = ours(case, method)
            if mine != theirs(case, method, False) or mine != theirs(case, method, True):
                raise SystemExit(f"{name}/{method}: the allocations differ; nothing timed")
            t_ours = best_of(args.repeat, lambda: ours(case, method))
            t_float = best_of(args.repeat, lambda: theirs(case, method, False))
            t_exact = best_of(args.repeat, lambda: theirs(case, method, True))
            rows.append({"case": name, "method": method, "allocations": len(case),
                         "seats": sum(s for _, s in case), "parties": sum(len(v) for v, _ in case),
                         "tallycheck_s": t_ours, "package_s": t_float, "package_fractions_s": t_exact,
                         "ratio": t_ours / t_float, "ratio_fractions": t_ours / t_exact})
            print(f"{name:<16} {method:<16} {t_ours * 1e3:>9.2f}ms {t_float * 1e3:>9.2f}ms "
                  f"{t_ours / t_float:>6.2f}x {t_exact * 1e3:>9.2f}ms {t_ours / t_exact:>6.2f}x", flush=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "numpy": numpy.__version__,
            "apportionment": getattr(apportionment, "__version__", "1.0"), "repeat": args.repeat,
            "seed": args.seed, "command": " ".join([Path(sys.executable).name, *sys.argv])}
    print(json.dumps(meta))
    if args.json_out:
        args.json_out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1, default=str), "utf-8")


if __name__ == "__main__":
    main()
