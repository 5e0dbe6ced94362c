"""Benchmark: import + validate + snapshot + tabulate, against DuckDB's raw typed CSV scan of the same results file.

Each measured job runs in its own child process so that peak memory (ru_maxrss) belongs to that job alone; the
baseline and tallycheck run in the same command, one after the other, on the same files, and the figure that
matters is their ratio.

    .venv/bin/python bench/bench_ingest.py --stations 55000            # Iraq scale
    .venv/bin/python bench/bench_ingest.py --stations 1000000 --candidates 15 --no-minorities  # India scale, 15M rows
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child_baseline(package: Path) -> dict:
    """DuckDB's own typed scan of results.csv and a GROUP BY candidate: the floor any CSV tool stands on."""
    import duckdb

    path = package / "results.csv"
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    columns = ", ".join(f"'{c}': '{'BIGINT' if c == 'votes' else 'VARCHAR'}'" for c in header)
    t0 = time.perf_counter()
    con = duckdb.connect()
    rows = con.sql(f"""
        SELECT contest_id, candidate_id, sum(votes) FROM read_csv('{path}', header = true, columns = {{{columns}}})
        GROUP BY contest_id, candidate_id""").fetchall()
    return {"seconds": time.perf_counter() - t0, "groups": len(rows)}


def _child_tallycheck(package: Path, store: Path) -> dict:
    """import (read + validate + snapshot) then tabulate the election just stored, as `tallycheck demo` does;
    reading the snapshot back, as a separate `tallycheck tabulate` run would, is timed apart."""
    from tallycheck.evidence import Store
    from tallycheck.importing import import_package
    from tallycheck.tabulate import tabulate

    steps: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    result = import_package(package, store, progress=lambda s: steps.append((s, time.perf_counter() - t0)))
    assert result.outcome is not None and result.data is not None, [p.message for p in result.problems[:5]]
    t_import = time.perf_counter() - t0
    tab = tabulate(result.data)
    t_total = time.perf_counter() - t0
    t1 = time.perf_counter()
    loaded = Store(store).load()
    t_load = time.perf_counter() - t1
    t1 = time.perf_counter()
    tabulate(loaded)
    t_tab_loaded = time.perf_counter() - t1
    return {"seconds": t_total, "import_seconds": t_import, "tabulate_seconds": t_total - t_import,
            "load_seconds": t_load, "tabulate_from_store_seconds": t_tab_loaded, "steps": steps,
            "warnings": len(result.problems), "results_rows": result.data.tables["results"].num_rows,
            "contests": tab.contests.num_rows}


def _run_child(kind: str, package: Path, store: Path) -> dict:
    code = (f"import json, resource, sys; sys.path.insert(0, {str(HERE)!r}); import bench_ingest as b; "
            f"r = b._child_{kind}(__import__('pathlib').Path({str(package)!r})"
            + (f", __import__('pathlib').Path({str(store)!r})" if kind == "tallycheck" else "")
            + "); r['peak_rss_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(r))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=55_000)
    ap.add_argument("--candidates", type=int, default=None, help="cap on candidates per general contest")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-minorities", action="store_true",
                    help="leave out the minority ballots: one sheet per station (India-like scale runs)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each job; the best is reported")
    ap.add_argument("--workdir", type=Path, default=HERE / "out")
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args()

    from tallycheck.synth import generate

    name = f"iraq-{args.stations}-{args.candidates or 'all'}-s{args.seed}" + ("-general" if args.no_minorities else "")
    package = args.workdir / name
    if not (package / "results.csv").is_file():
        shutil.rmtree(package, ignore_errors=True)
        args.workdir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        generate(shape="iraq-2021", seed=args.seed, out=package, stations=args.stations,
                 candidates_per_contest=args.candidates, minorities=not args.no_minorities)
        print(f"generated {package} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    size = (package / "results.csv").stat().st_size
    base, ours = [], []
    for i in range(args.repeat):
        store = args.workdir / f"{name}-store"
        shutil.rmtree(store, ignore_errors=True)
        base.append(_run_child("baseline", package, store))
        ours.append(_run_child("tallycheck", package, store))
        shutil.rmtree(store, ignore_errors=True)
        print(f"run {i + 1}: baseline {base[-1]['seconds']:.2f} s, tallycheck {ours[-1]['seconds']:.2f} s",
              file=sys.stderr)
    b = min(base, key=lambda r: r["seconds"])
    o = min(ours, key=lambda r: r["seconds"])
    report = {
        "package": name, "results_rows": o["results_rows"], "results_csv_mib": round(size / 2**20, 1),
        "baseline_seconds": round(b["seconds"], 3), "baseline_peak_rss_mib": round(b["peak_rss_mib"]),
        "tallycheck_seconds": round(o["seconds"], 3), "tallycheck_peak_rss_mib": round(o["peak_rss_mib"]),
        "ratio": round(o["seconds"] / b["seconds"], 2),  # best against best
        "ratio_median_of_runs": round(statistics.median(x["seconds"] / y["seconds"] for x, y in zip(ours, base)), 2),
        "runs_seconds": [(round(y["seconds"], 3), round(x["seconds"], 3)) for x, y in zip(ours, base)],
        "import_seconds": round(o["import_seconds"], 3), "tabulate_seconds": round(o["tabulate_seconds"], 3),
        "load_snapshot_seconds": round(o["load_seconds"], 3),
        "tabulate_from_snapshot_seconds": round(o["tabulate_from_store_seconds"], 3),
        "steps": [(s, round(t, 2)) for s, t in o["steps"]],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "repeat": args.repeat,
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")


if __name__ == "__main__":
    main()
