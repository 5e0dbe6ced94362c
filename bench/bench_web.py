"""Benchmark: the recount room's read pages on the Iraq-shaped election (issue 7, item 10: server-side render
of the overview and contest pages <= 300 ms each; read pages >= 200 requests/s on 2 cores).

(a) In-process render (httpx ASGITransport on the app `create_app` makes, no network), best and median of
    `--repeat` requests per page, in four states measured in the same process:
    - cold: the app's first request, which computes the results version's analyses (seat allocation and
      margins of every contest, the forensic screen, bloc power) before rendering: what a visitor waits for
      when nobody has asked since the server started (the server starts this work in the background at
      start-up);
    - analyses warm, page cold: the analyses cached, every page body rendered from its template anew (the
      page-fragment cache emptied before each request);
    - warm: what every later visitor gets (analyses and page body cached; the frame, the log head and the
      language rendered per request);
    - the JSON twin (/api/overview, /api/contests/X): the same numbers without HTML, the floor of the route.
(b) Throughput: `tallycheck serve PACKAGE --workers W` (each value of `--workers`, one after another), then
    `wrk -t2 -c32 -d15s --latency` against /healthz (the cheapest route: the server's ceiling, the baseline),
    /, /contests/X, /stations/Y and /log, one after another in the same run.

    .venv/bin/tallycheck generate --shape iraq-2021 --seed 7 --out /tmp/iraq7
    .venv/bin/tallycheck import /tmp/iraq7
    .venv/bin/python bench/bench_web.py /tmp/iraq7 --repeat 20 --duration 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tallycheck.web import pages
from tallycheck.web.app import create_app
from tallycheck.workflow import event_log

LOG_ENTRIES = 1000  # a log with some history, so /log reads real rows (the bench package's own log is empty)


async def _timed(client: httpx.AsyncClient, path: str) -> float:
    t = time.perf_counter()
    got = await client.get(path)
    elapsed = time.perf_counter() - t
    assert got.status_code == 200, f"{path}: {got.status_code} {got.text[:300]}"
    return elapsed


async def render_times(package: Path, contest: str | None, repeat: int) -> dict:
    app = create_app(package, secure_cookies=False)
    out: dict = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        # cold: the first request computes the analyses (no lifespan here, so no background warm-up)
        out["cold_overview_s"] = round(await _timed(c, "/"), 3)
        a = pages.page_analyses(type("R", (), {"app": app})())
        if contest is None:  # the contest with the most candidates
            contest = max(a.contests.values(), key=lambda k: len(k.candidates)).contest_id
        out["contest"] = contest
        out["contest_candidates"] = len(a.contests[contest].candidates)
        out["stations"] = a.overview.stations
        for name, path in (
            ("overview", "/"),
            ("contest", f"/contests/{contest}"),
            ("api_overview", "/api/overview"),
            ("api_contest", f"/api/contests/{contest}"),
        ):
            for _ in range(2):  # warm-up
                await _timed(c, path)
            warm = [await _timed(c, path) for _ in range(repeat)]
            out[f"{name}_warm_best_ms"] = round(min(warm) * 1000, 1)
            out[f"{name}_warm_median_ms"] = round(statistics.median(warm) * 1000, 1)
            if not name.startswith("api"):
                page_cold = []
                for _ in range(repeat):
                    pages.fragments.clear()  # the page body rendered anew from its template
                    page_cold.append(await _timed(c, path))
                out[f"{name}_page_cold_best_ms"] = round(min(page_cold) * 1000, 1)
                out[f"{name}_page_cold_median_ms"] = round(statistics.median(page_cold) * 1000, 1)
    app.state.room.engine.dispose()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wrk(url: str, duration: int, connections: int) -> dict:
    text = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(value: str) -> float:
        n, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
        return round(float(n) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)

    got = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))}
    for p in ("50", "90", "99"):
        got[f"p{p}_ms"] = ms(re.search(rf"^\s+{p}%\s+(\S+)", text, re.M).group(1))
    got["requests"] = int(re.search(r"(\d+) requests in", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: (.*)", text)
    got["non_2xx"] = int(errors.group(1)) if errors else 0
    got["socket_errors"] = sock.group(1).strip() if sock else ""
    return got


def throughput(package: Path, contest: str, station: str, duration: int, connections: int,
               workers: int = 1) -> dict:
    port = _free_port()
    exe = Path(sys.executable).with_name("tallycheck")
    proc = subprocess.Popen(
        [str(exe), "serve", str(package), "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:  # up, and the analyses computed (the overview answers fast)
            try:
                t = time.perf_counter()
                if httpx.get(f"{base}/", timeout=600).status_code == 200 and time.perf_counter() - t < 1:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "the server did not come up"
            time.sleep(0.5)
        for path in ("/", f"/contests/{contest}", f"/stations/{station}", "/log"):
            for _ in range(4 * workers):  # every worker computes its own analyses: warm them all
                assert httpx.get(base + path, timeout=600).status_code == 200, path
        return {
            path: _wrk(base + path, duration, connections)
            for path in ("/healthz", "/", f"/contests/{contest}", f"/stations/{station}", "/log")
        }
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "package", type=Path, help="an imported package (tallycheck generate + tallycheck import)"
    )
    ap.add_argument("--contest", help="the contest page to time (default: the one with the most candidates)")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--duration", type=int, default=15, help="seconds of wrk per route")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--no-wrk", action="store_true", help="only the in-process render times")
    ap.add_argument("--workers", type=int, nargs="+", default=[1],
                    help="server processes (tallycheck serve --workers); several values: one run each, in order")
    args = ap.parse_args()

    probe = create_app(args.package, secure_cookies=False)
    engine = probe.state.room.engine
    have = event_log.head(engine)[0]
    for i in range(have, LOG_ENTRIES):
        event_log.log_event(
            engine, actor="bench", role="cli", event="bench.filler", payload={"n": i, "station_id": "bench"}
        )
    station = probe.state.room.store.load(None).table("sheets").column("station_id")[0].as_py()
    engine.dispose()

    result: dict = {"package": str(args.package)}
    result["render"] = asyncio.run(render_times(args.package, args.contest, args.repeat))
    if not args.no_wrk:
        if shutil.which("wrk") is None:
            sys.exit(
                "wrk is not installed (Debian: apt-get install wrk); --no-wrk for the render times alone"
            )
        result["wrk"] = {
            f"workers={w}": throughput(
                args.package, result["render"]["contest"], station, args.duration, args.connections, w
            )
            for w in args.workers
        }
        result["wrk_settings"] = f"wrk -t2 -c{args.connections} -d{args.duration}s --latency"
    result.update(
        {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        }
    )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
