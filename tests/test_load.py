"""The load test of issue 7, item 7: 50 audit boards (100 members, each with a session of their own) enter the
hand counts of an Iraq-shaped audit at the same time, through the HTTP routes of a real server (`tallycheck
serve`, uvicorn, one process: serve has no --workers option) on loopback against PostgreSQL.

Some pairs disagree on purpose (the second member mistypes one candidate's votes), then both count again; some
members post the same form twice at once (a double submit). Afterwards the database holds exactly the entries,
signatures and sign-offs expected (rows counted, none lost, none duplicated), every task is signed, the
administrator closes the round over HTTP, and `tallycheck log export` + `tallycheck log verify` verify the
whole chain. The numbers (requests, wall time, errors) are printed and recorded in docs/benchmarks.md
("Reliability").

Size: `tallycheck generate --shape iraq-2021 --seed 11 --stations 250`. With 250 stations over Iraq's 83
districts every contest has 1 to 6 stations, so the audit at a 5 % risk limit sends every contest to a full
hand count: 250 count tasks, 5 per board (the brief: "several stations" per board). More stations only make
the set-up (import, plan, draw) and the closing (a new results version) longer, not the concurrency higher:
100 members is the concurrency.

Accounts: made with `tallycheck user add ... --password-stdin` (in-process, as tests/cli_runner.py runs the
CLI), with a cheap argon2 profile for the test's accounts: the room's profile costs about 1 s per hash on a
loaded 2-core machine, and 100 hashes plus 100 verifications would be the whole time budget. The members'
sessions are started in the database (`accounts.start_session`, exactly what POST /login does after the
password check); two members and the administrator log in through POST /login to show that path works under
the same server.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyotp
import pytest
from argon2 import PasswordHasher
from room_server import free_port, start_server
from sqlalchemy import func, select

from tallycheck import cli
from tallycheck.evidence.store import Store
from tallycheck.importing import default_store
from tallycheck.workflow import accounts
from tallycheck.workflow import count_tasks as ct
from tallycheck.workflow.database import open_workflow
from tallycheck.workflow.schema import (
    count_entries,
    count_signatures,
    count_signoffs,
    count_tasks,
    events,
    users,
)

pytestmark = pytest.mark.slow

STATIONS = 250
BOARDS = 50
PASSWORD = "correct horse battery staple"
COOKIE = "__Host-tallycheck_session"  # the server runs with Secure cookies, as deployed


def tallycheck(*args: object, stdin: str | None = None) -> None:
    """`tallycheck ARGS` in this process, as the console script runs it (stdin given); fails on a non-zero
    exit."""
    argv, sin = sys.argv, sys.stdin
    sys.argv = ["tallycheck", *map(str, args)]
    sys.stdin = io.StringIO(stdin or "")
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.stdin = argv, sin
    assert code == 0, f"tallycheck {' '.join(map(str, args))} exited {code}"


def reported_counts(package: Path) -> dict[tuple[str, str], dict]:
    """What each station's sheet says (the boards find the reported numbers, except where told to mistype)."""
    out: dict[tuple[str, str], dict] = {}
    with (package / "sheets.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out[(r["station_id"], r["contest_id"])] = {
                "ballots_cast": int(r["ballots_cast"]),
                "invalid": int(r["invalid"] or 0),
                "blank": int(r["blank"] or 0),
                "votes": {},
            }
    with (package / "results.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            key = (r.get("candidate_id") or "", r.get("list_id") or "")
            out[(r["station_id"], r["contest_id"])]["votes"][key] = int(r["votes"])
    return out


def entry_form(t: ct.CountTask, ballots, reported, *, mistype: bool) -> dict[str, str]:
    form: dict[str, str] = {}
    for i, cid in enumerate(t.contest_ids):
        sheet = reported[(t.station_id, cid)]
        for f in ("ballots_cast", "invalid", "blank"):
            form[f"s{i}_{f}"] = str(sheet[f])
        for j, choice in enumerate(ballots[cid].choices):
            n = sheet["votes"].get(choice.key, 0)
            if mistype and i == 0 and j == 0:
                n += 1
            form[f"s{i}_v{j}"] = str(n)
    return form


class Tally:
    """Every response the clients got, by route and status (what the test prints and asserts on)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: Counter = Counter()
        self.unexpected: list[str] = []

    def note(self, what: str, got: httpx.Response, expected: tuple[int, ...]) -> None:
        with self.lock:
            self.codes[(what, got.status_code)] += 1
            if got.status_code not in expected:
                self.unexpected.append(f"{what} {got.request.url.path}: {got.status_code} {got.text[:300]!r}")


def session_cookie(got: httpx.Response) -> str:
    """The session token a login set (read from Set-Cookie: a client's jar would not send a Secure cookie over
    plain http, and these clients send the Cookie header themselves)."""
    for header in got.headers.get_list("set-cookie"):
        if header.startswith(COOKIE + "="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no session cookie in {got.headers.get_list('set-cookie')}")


def state_of(page: str) -> str:
    m = re.search(r"<strong>([^<]*)</strong>", page)
    return m.group(1) if m else ""


def test_fifty_boards_enter_an_iraq_shaped_audit_at_once(tmp_path, postgres_url, monkeypatch):
    t0 = time.monotonic()
    package = tmp_path / "iraq"
    tallycheck("generate", "--shape", "iraq-2021", "--seed", 11, "--stations", STATIONS, "--out", package)
    tallycheck("import", package)
    db = postgres_url
    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    tallycheck(
        "user",
        "add",
        package,
        "amal",
        "--role",
        "admin",
        "--password-stdin",
        "--db",
        db,
        stdin=PASSWORD + "\n",
    )
    members: list[tuple[str, int]] = []  # (name, board number)
    for b in range(1, BOARDS + 1):
        for side in "ab":
            tallycheck(
                "user",
                "add",
                package,
                f"m{b:02d}{side}",
                "--role",
                "board",
                "--board",
                f"board-{b:02d}",
                "--password-stdin",
                "--db",
                db,
                stdin=PASSWORD + "\n",
            )
            members.append((f"m{b:02d}{side}", b))
    engine = open_workflow(default_store(package), db)
    ids = {r.name: (r.user_id, r.board_id) for r in engine.connect().execute(select(users)).all()}

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    origin = {"origin": base}
    server = start_server(package, db, port, tmp_path / "server.log")
    try:
        # the administrator logs in through the form (TOTP enrolled at the first login), then runs the audit
        admin = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
        got = admin.post("/login", data={"name": "amal", "password": PASSWORD}, headers=origin)
        assert got.status_code == 303 and got.headers["location"] == "/totp/enrol", got.text[:500]
        admin.headers["cookie"] = f"{COOKIE}={session_cookie(got)}"
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', admin.get("/totp/enrol").text).group(1)
        assert (
            admin.post("/totp/enrol", data={"code": pyotp.TOTP(secret).now()}, headers=origin).status_code
            == 303
        )
        for path, data in (
            ("/audit/plan", {"risk_limit": "0.05"}),
            ("/audit/publish", {}),
            ("/audit/seed", {"dice": "31415926535897932384", "witnesses": "load test"}),
            ("/audit/assign", {"boards": sorted({str(bid) for _, bid in ids.values() if bid})}),
        ):
            got = admin.post(path, data=data, headers=origin)
            assert got.status_code == 303, f"{path}: {got.status_code} {got.text[:1500]}"
        all_tasks = ct.tasks(engine)
        by_board = defaultdict(list)
        for t in all_tasks:
            by_board[t.board_id].append(t)
        assert len(all_tasks) == STATIONS and len(by_board) == BOARDS
        assert min(len(v) for v in by_board.values()) >= 4  # several stations per board
        setup_s = time.monotonic() - t0

        data = Store(default_store(package)).load(None)
        ballots = ct.task_ballots(data, sorted({c for t in all_tasks for c in t.contest_ids}))
        reported = reported_counts(package)
        mismatch = {t.task_id for t in all_tasks if t.task_id % 5 == 0}  # the second member mistypes
        double = {t.task_id for t in all_tasks if t.task_id % 7 == 0 and t.task_id not in mismatch}

        # two members log in through the form (argon2 verification of the cheap test hash on the server)
        tokens = {}
        for name in ("m01a", "m01b"):
            got = httpx.post(f"{base}/login", data={"name": name, "password": PASSWORD}, headers=origin)
            assert got.status_code == 303, got.text[:500]
            tokens[name] = session_cookie(got)
        for name, _ in members:
            if name not in tokens:
                tokens[name] = accounts.start_session(engine, ids[name][0], totp_passed=True)

        tally = Tally()
        start = threading.Barrier(len(members))

        def wait_for(c: httpx.Client, url: str, states: tuple[str, ...]) -> None:
            """Poll the task's page until it shows one of `states` (the other member acts meanwhile)."""
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                page = c.get(url)
                tally.note("GET task", page, (200,))
                if state_of(page.text) in states:
                    return
                time.sleep(0.2)
            raise AssertionError(f"{url} did not reach {states} in 120 s")

        def member(name: str, board: int) -> None:
            second = name.endswith("b")
            c = httpx.Client(
                base_url=base,
                timeout=120,
                follow_redirects=False,
                headers={"cookie": f"{COOKIE}={tokens[name]}", **origin},
            )
            start.wait()
            listing = c.get("/board")
            tally.note("GET /board", listing, (200,))
            mine = sorted(int(x) for x in set(re.findall(r'href="/board/tasks/(\d+)"', listing.text)))
            my_tasks = [t for t in by_board[ids[name][1]]]
            assert mine == [t.task_id for t in my_tasks]
            for t in my_tasks:
                url = f"/board/tasks/{t.task_id}"
                form = entry_form(t, ballots, reported, mistype=second and t.task_id in mismatch)
                if t.task_id in double and not second:
                    with ThreadPoolExecutor(2) as pool:  # the same form posted twice at once
                        twice = list(pool.map(lambda _: c.post(f"{url}/entry", data=form), range(2)))
                    assert sorted(r.status_code for r in twice) == [303, 409], [r.status_code for r in twice]
                    for r in twice:
                        tally.note("POST entry (double)", r, (303, 409))
                else:
                    tally.note("POST entry", c.post(f"{url}/entry", data=form), (303,))
                if t.task_id in mismatch:  # wait for the comparison, then count again
                    wait_for(c, url, ("Entries differed: count again",))
                    form = entry_form(t, ballots, reported, mistype=False)
                    tally.note("POST entry (again)", c.post(f"{url}/entry", data=form), (303,))
                wait_for(c, url, ("Entries agree: sign off", "Signed off"))
                tally.note("POST sign", c.post(f"{url}/sign"), (303,))
            c.close()

        t1 = time.monotonic()
        with ThreadPoolExecutor(len(members)) as pool:
            for f in [pool.submit(member, name, b) for name, b in members]:
                f.result()
        entry_s = time.monotonic() - t1
        requests = sum(tally.codes.values())
        errors = sum(n for (_, code), n in tally.codes.items() if code >= 500)
        print(
            f"\nload: {STATIONS} stations, {len(all_tasks)} tasks, {BOARDS} boards x 2 members; "
            f"set-up {setup_s:.1f} s; entry phase {requests} requests in {entry_s:.1f} s "
            f"({requests / entry_s:.1f} req/s), 5xx: {errors}, unexpected: {len(tally.unexpected)}"
        )
        for (what, code), n in sorted(tally.codes.items()):
            print(f"  {what:22s} {code}: {n}")
        assert not tally.unexpected, "\n".join(tally.unexpected[:20])

        # the database: exactly the rows expected, none lost, none duplicated
        with engine.connect() as conn:
            per_task = dict(
                conn.execute(
                    select(count_entries.c.task_id, func.count()).group_by(count_entries.c.task_id)
                ).all()
            )
            keys = conn.execute(
                select(
                    count_entries.c.task_id,
                    count_entries.c.amendment,
                    count_entries.c.attempt,
                    count_entries.c.user_id,
                )
            ).all()
            signatures = dict(
                conn.execute(
                    select(count_signatures.c.task_id, func.count()).group_by(count_signatures.c.task_id)
                ).all()
            )
            signoffs = dict(
                conn.execute(
                    select(count_signoffs.c.task_id, func.count()).group_by(count_signoffs.c.task_id)
                ).all()
            )
            states = Counter(conn.execute(select(count_tasks.c.state)).scalars())
            logged = Counter(conn.execute(select(events.c.event)).scalars())
        assert len(keys) == len(set(keys))
        assert per_task == {t.task_id: 4 if t.task_id in mismatch else 2 for t in all_tasks}
        assert signatures == {t.task_id: 2 for t in all_tasks}
        assert signoffs == {t.task_id: 1 for t in all_tasks}
        assert states == {"signed": len(all_tasks)}
        assert logged["count.entered"] == sum(per_task.values())
        assert logged["count.mismatch"] == len(mismatch)
        assert logged["count.agreed"] == logged["count.signed"] == len(all_tasks)
        assert logged["count.signature"] == 2 * len(all_tasks)
        assert logged["refused"] == len(double)  # each double submit's second copy, refused and logged

        t2 = time.monotonic()
        got = admin.post("/audit/close-round", headers=origin)
        assert got.status_code == 303, got.text[:2000]
        close_s = time.monotonic() - t2
        admin.close()
    finally:
        server.terminate()
        server.wait(30)
    export = tmp_path / "log.jsonl"
    tallycheck("log", "export", package, "--db", db, "--out", export)
    tallycheck("log", "verify", export)
    lines = export.read_text(encoding="utf-8").splitlines()
    with engine.connect() as conn:
        assert len(lines) == conn.execute(select(func.count()).select_from(events)).scalar_one()
    engine.dispose()
    print(
        f"load: round closed in {close_s:.1f} s; log of {len(lines)} entries verifies; "
        f"whole test {time.monotonic() - t0:.1f} s"
    )
