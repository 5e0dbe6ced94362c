"""A server killed mid-entry restarts consistent (issue 7, item 7).

A real server (`tallycheck serve`) on SQLite, then on PostgreSQL when TALLYCHECK_TEST_POSTGRES is set; four
board members enter and sign counts from threads; the server process gets SIGKILL (no clean shutdown, no
chance to finish a request) while requests are in flight; a new server starts on the same database. Then: the
log served by the new server verifies, the head row is its last entry, every entry and signature a client saw
acknowledged (303) is in the database, no change is half-written (entries, signatures and sign-offs and their
log entries come in pairs, task states agree with the log), and entering resumes until every task is agreed.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest
from argon2 import PasswordHasher
from package_builder import make_package
from room_server import free_port, start_server
from sqlalchemy import select

from tallycheck.evidence.chain import read_export, verify_entries
from tallycheck.evidence.store import Store
from tallycheck.importing import default_store, import_package
from tallycheck.workflow import accounts
from tallycheck.workflow import count_tasks as ct
from tallycheck.workflow.database import open_workflow, writing
from tallycheck.workflow.roles import Actor, Role, cli_actor
from tallycheck.workflow.schema import (
    count_entries,
    count_signatures,
    count_signoffs,
    count_tasks,
    events,
    log_head,
)

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
COOKIE = "__Host-tallycheck_session"
TASKS_PER_BOARD = 25
KILL_AFTER = 20  # acknowledged changes before the kill: mid-stream, with most of the work still to do


def _form(t: ct.CountTask, ballots) -> dict[str, str]:
    """A valid count of the task (both members type the same: the task agrees)."""
    form = {}
    for i, cid in enumerate(t.contest_ids):
        form.update({f"s{i}_ballots_cast": str(100 + t.task_id), f"s{i}_invalid": "2", f"s{i}_blank": "1"})
        form.update({f"s{i}_v{j}": str(j + t.task_id % 7) for j in range(len(ballots[cid].choices))})
    return form


@pytest.fixture(params=["sqlite", "postgres"])
def room(request, tmp_path, monkeypatch):
    db = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    package = make_package(tmp_path / "pkg")
    assert import_package(package).outcome is not None
    engine = open_workflow(default_store(package), db)
    request.addfinalizer(engine.dispose)
    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    ids = {}
    for name, board in (("ahmed", "b1"), ("batool", "b1"), ("chiya", "b2"), ("dara", "b2")):
        ids[name], _ = accounts.add_user(
            engine, cli_actor(), name, Role.BOARD, password=PASSWORD, board=board
        )
    admin, _ = accounts.add_user(engine, cli_actor(), "amal", Role.ADMIN, password=PASSWORD)
    boards = {
        name: accounts.session_actor(engine, accounts.start_session(engine, uid, totp_passed=True)).board_id
        for name, uid in ids.items()
    }
    data = Store(default_store(package)).load(None)
    sheets = data.table("sheets").select(["station_id", "contest_id"]).to_pylist()
    stations = sorted({r["station_id"] for r in sheets})
    contests = {s: tuple(sorted(r["contest_id"] for r in sheets if r["station_id"] == s)) for s in stations}
    # each task its own round: tasks of one station in one round would be a re-assignment (the newest counts)
    pairs = [(board, k) for board in sorted(set(boards.values())) for k in range(TASKS_PER_BOARD)]
    new = [
        ct.NewTask(
            ct.TaskPurpose.AUDIT,
            stations[k % len(stations)],
            contests[stations[k % len(stations)]],
            board,
            audit_id=1,
            round=i + 1,
        )
        for i, (board, k) in enumerate(pairs)
    ]
    with writing(engine) as conn:
        ct.create_tasks(conn, Actor("amal", Role.ADMIN, admin), new)
    ballots = ct.task_ballots(data, sorted({c for cs in contests.values() for c in cs}))
    return package, db, engine, ids, boards, ballots


def test_a_server_killed_mid_entry_restarts_consistent(room, tmp_path):
    package, db, engine, ids, boards, ballots = room
    all_tasks = ct.tasks(engine)
    tokens = {name: accounts.start_session(engine, uid, totp_passed=True) for name, uid in ids.items()}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(package, db, port, tmp_path / "server.log", append=True)

    acked: list[tuple[str, int, str]] = []  # ("entry" | "sign", task, member) answered 303
    lock = threading.Lock()
    stop = threading.Event()

    def member(name: str) -> None:
        mine = [t for t in all_tasks if t.board_id == boards[name]]
        c = httpx.Client(
            base_url=base,
            timeout=30,
            follow_redirects=False,
            headers={"cookie": f"{COOKIE}={tokens[name]}", "origin": base},
        )
        try:
            for k, t in enumerate(mine):
                for kind, path, data in (
                    ("entry", f"/board/tasks/{t.task_id}/entry", _form(t, ballots)),
                    ("sign", f"/board/tasks/{mine[k - 3].task_id}/sign", None),
                ):
                    if stop.is_set() or (kind == "sign" and k < 3):
                        continue
                    got = c.post(path, data=data)
                    if got.status_code == 303:
                        with lock:
                            acked.append((kind, int(path.split("/")[3]), name))
                    else:  # a sign-off before the other member's entry: refused, nothing else
                        assert (kind, got.status_code) == ("sign", 409), got.text[:1000]
        except httpx.TransportError:
            pass  # the server died under this request: its outcome is unknown, and must be all or nothing
        finally:
            c.close()

    threads = [threading.Thread(target=member, args=(name,)) for name in ids]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 120
    while len(acked) < KILL_AFTER and time.monotonic() < deadline and any(th.is_alive() for th in threads):
        time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)  # mid-stream: the four clients have requests in flight
    server.wait(30)
    stop.set()
    for th in threads:
        th.join(60)
    killed_at = len(acked)
    assert KILL_AFTER <= killed_at < 2 * len(all_tasks), "the kill did not land mid-stream"

    server = start_server(package, db, port, tmp_path / "server.log", append=True)
    try:
        # the log, as anyone downloads it from the restarted room, verifies
        entries, problem = read_export(httpx.get(f"{base}/log/export.jsonl", timeout=60).text)
        assert problem is None
        assert verify_entries(entries).ok
        with engine.connect() as conn:
            head = conn.execute(select(log_head)).one()
            last = conn.execute(select(events).order_by(events.c.seq.desc()).limit(1)).one()
            rows = conn.execute(select(count_entries)).all()
            sigs = conn.execute(select(count_signatures)).all()
            offs = conn.execute(select(count_signoffs)).all()
            states = {r.task_id: (r.state, r.attempt) for r in conn.execute(select(count_tasks))}
        assert (
            (head.seq, head.sha256) == (last.seq, last.sha256) == (entries[-1]["seq"], entries[-1]["sha256"])
        )
        by_event: dict[str, list[dict]] = {}
        for e in entries:
            by_event.setdefault(e["event"], []).append(e["payload"])

        # every acknowledged change is there
        have_entries = {(r.task_id, r.member) for r in rows}
        have_sigs = {(r.task_id, r.member) for r in sigs}
        for kind, task_id, name in acked:
            assert (task_id, name) in (have_entries if kind == "entry" else have_sigs), (kind, task_id, name)
        # nothing half-written: each row has its log entry and each log entry its row
        assert sorted((r.task_id, r.amendment, r.attempt, r.member) for r in rows) == sorted(
            (p["task_id"], p["amendment"], p["attempt"], p["member"])
            for p in by_event.get("count.entered", [])
        )
        assert sorted((r.task_id, r.member) for r in sigs) == sorted(
            (p["task_id"], p["member"]) for p in by_event.get("count.signature", [])
        )
        assert sorted(r.task_id for r in offs) == sorted(
            p["task_id"] for p in by_event.get("count.signed", [])
        )
        agreed = sorted(p["task_id"] for p in by_event.get("count.agreed", []))
        assert agreed == sorted(t for t, (state, _) in states.items() if state in ("agreed", "signed"))
        assert sorted(r.task_id for r in offs) == sorted(t for t, (s, _) in states.items() if s == "signed")
        per_task = {}
        for r in rows:
            per_task[r.task_id] = per_task.get(r.task_id, 0) + 1
        for task_id, (state, _) in states.items():
            assert per_task.get(task_id, 0) == (
                2 if state in ("agreed", "signed") else per_task.get(task_id, 0)
            )
            assert per_task.get(task_id, 0) <= 2

        # entering resumes where it stopped: every missing entry goes in, every task agrees
        clients = {
            name: httpx.Client(
                base_url=base,
                timeout=60,
                follow_redirects=False,
                headers={"cookie": f"{COOKIE}={tokens[name]}", "origin": base},
            )
            for name in ids
        }
        for t in all_tasks:
            for name in (n for n in ids if boards[n] == t.board_id):
                if (t.task_id, name) not in have_entries:
                    got = clients[name].post(f"/board/tasks/{t.task_id}/entry", data=_form(t, ballots))
                    assert got.status_code == 303, got.text[:1000]
        for c in clients.values():
            c.close()
        assert {t.state for t in ct.tasks(engine)} <= {ct.TaskState.AGREED, ct.TaskState.SIGNED}
        entries, problem = read_export(httpx.get(f"{base}/log/export.jsonl", timeout=60).text)
        assert problem is None and verify_entries(entries).ok
        print(
            f"\ncrash ({'postgres' if db else 'sqlite'}): SIGKILL after {killed_at} acknowledged changes; "
            f"{len(rows)} entries and {len(sigs)} signatures survived, consistent; resumed to "
            f"{len(all_tasks)} agreed tasks; log of {len(entries)} entries verifies"
        )
    finally:
        server.terminate()
        server.wait(30)
