"""The hash-chained event log in the workflow database, on SQLite and PostgreSQL (`workflow_engine`, conftest.py):
entries recomputed from the documented encoding alone, every kind of tampering named at its first bad entry and
line, secrets refused with nothing written, concurrent appends numbered without gaps, and a writer killed
mid-append leaving a log that verifies.

The encoding (evidence/chain.py, docs/recount-room.md "The event log"): payload_sha256 = SHA-256 of the payload's
canonical JSON; sha256 = SHA-256 of b"tallycheck-log/1\\n" + the canonical JSON array [seq, time, actor, role,
event, payload_sha256, prev_sha256]; the first entry's prev_sha256 is 64 zeros.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from tallycheck.evidence.chain import read_export, verify_entries
from tallycheck.workflow.audits import create_audit, current_audit
from tallycheck.workflow.database import writing
from tallycheck.workflow.event_log import append, entries, export_lines, head, log_event, log_refusal
from tallycheck.workflow.schema import audits, events

ZEROS = "0" * 64


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _by_hand(e: dict) -> tuple[str, str]:
    """payload_sha256 and sha256 of an exported entry, from the documented encoding (not tallycheck's code)."""
    p = hashlib.sha256(_canonical(e["payload"])).hexdigest()
    fields = [e["seq"], e["time"], e["actor"], e["role"], e["event"], p, e["prev_sha256"]]
    return p, hashlib.sha256(b"tallycheck-log/1\n" + _canonical(fields)).hexdigest()


def _export(engine: Engine) -> list[dict]:
    got, problem = read_export("".join(export_lines(engine)))
    assert problem is None
    return got


def _fill(engine: Engine, n: int) -> None:
    names = ["مفوضية", "agent:ḥasan", "board-3", "observer", "cli:admin"]  # Arabic and accents: UTF-8 hashed as is
    for i in range(n):
        log_event(engine, actor=names[i % len(names)], role="cli", event=f"test.step-{i}",
                  payload={"i": i, "stations": [f"S{i:04d}", "0007"], "note": "شكوى" if i % 2 else None,
                           "share": "0.05"})


def test_appended_entries_verify_and_match_the_documented_encoding(workflow_engine):
    _fill(workflow_engine, 7)
    got = _export(workflow_engine)
    assert [e["seq"] for e in got] == list(range(1, 8))
    prev = ZEROS
    for e in got:
        assert e["prev_sha256"] == prev
        assert (e["payload_sha256"], e["sha256"]) == _by_hand(e)
        prev = e["sha256"]
    v = verify_entries(got)
    assert v.ok and v.entries == 7 and v.head == prev
    assert head(workflow_engine) == (7, prev)  # the head row is the last entry
    assert got[0]["actor"] == "مفوضية" and got[1]["payload"]["note"] == "شكوى"
    assert [e.seq for e in entries(workflow_engine, after=5)] == [6, 7]
    assert [e.seq for e in entries(workflow_engine, limit=2, newest_first=True)] == [7, 6]


def test_an_empty_log_verifies_with_the_genesis_head(workflow_engine):
    assert head(workflow_engine) == (0, ZEROS) and list(export_lines(workflow_engine)) == []
    v = verify_entries([])
    assert v.ok and v.entries == 0 and v.head == ZEROS


def test_export_comes_in_batches_without_loss(workflow_engine):
    _fill(workflow_engine, 12)
    lines = list(export_lines(workflow_engine, batch=5))
    assert [json.loads(x)["seq"] for x in lines] == list(range(1, 13)) and all(x.endswith("\n") for x in lines)


# --- Tampering ------------------------------------------------------------------------------------------------
# Six entries; each edit below is made to an export, and verification must name the first entry that does not
# fit and the line it stands on (1-based, as an editor shows it).

def _edit_payload(es):
    es[2]["payload"]["i"] = 99


def _remove(es):
    del es[2]


def _swap(es):
    es[2], es[3] = es[3], es[2]


def _edit_hash(es):
    es[2]["sha256"] = "f" * 64


def _edit_hash_and_relink(es):  # a forger who also fixes the next entry's link is caught one entry later
    es[2]["sha256"] = "f" * 64
    es[3]["prev_sha256"] = "f" * 64


def _edit_field(es):
    es[2]["actor"] = "someone-else"


def _edit_time(es):
    es[2]["time"] = es[2]["time"].replace("20", "19", 1)


def _edit_prev(es):
    es[2]["prev_sha256"] = ZEROS


def _insert_copy(es):
    es.insert(2, copy.deepcopy(es[1]))


def _renumber(es):
    es[2]["seq"] = "3"


def _drop_field(es):
    del es[2]["payload_sha256"]


def _payload_not_object(es):
    es[2]["payload"] = [1, 2]


TAMPERING = [
    # (edit, first bad seq, its line, what the message says)
    (_edit_payload, 3, 3, "payload was changed"),
    (_remove, 4, 3, "sequence number 4 where 3 was due"),
    (_swap, 4, 3, "sequence number 4 where 3 was due"),
    (_edit_hash, 3, 3, "does not hash to its sha256"),
    (_edit_hash_and_relink, 3, 3, "does not hash to its sha256"),
    (_edit_field, 3, 3, "a field was changed"),
    (_edit_time, 3, 3, "a field was changed"),
    (_edit_prev, 3, 3, "chain is broken"),
    (_insert_copy, 2, 3, "sequence number 2 where 3 was due"),
    (_renumber, None, 3, "sequence number '3' where 3 was due"),  # text, not a number: no seq to name
    (_drop_field, 3, 3, "missing field(s) payload_sha256"),
    (_payload_not_object, 3, 3, "payload is not a JSON object"),
]


@pytest.fixture(scope="module")
def six_entries(tmp_path_factory) -> list[dict]:
    from tallycheck.workflow.database import open_workflow

    engine = open_workflow(tmp_path_factory.mktemp("log"))
    _fill(engine, 6)
    got = _export(engine)
    engine.dispose()
    return got


@pytest.mark.parametrize("edit, seq, line, why", TAMPERING, ids=[t[0].__name__.strip("_") for t in TAMPERING])
def test_tampering_is_named_at_the_first_bad_entry(six_entries, edit, seq, line, why):
    es = copy.deepcopy(six_entries)
    edit(es)
    v = verify_entries(es)
    assert not v.ok and (v.bad_seq, v.bad_line) == (seq, line) and why in v.message
    assert v.message.startswith(f"entry {es[line - 1]['seq']} (line {line}):")
    assert v.entries == 2 and v.head == six_entries[1]["sha256"]  # what still verifies: the two entries before


def test_a_truncated_log_verifies_but_not_to_the_published_head(six_entries):
    """Dropping the newest entries leaves a valid chain; only the head published on every page shows it."""
    v = verify_entries(six_entries[:4])
    assert v.ok and v.head != six_entries[-1]["sha256"] and v.head == six_entries[3]["sha256"]


def test_a_line_that_is_not_json_is_named(six_entries):
    lines = [json.dumps(e, ensure_ascii=False) for e in six_entries]
    lines[2] = lines[2][:-7]  # cut short, as a half-copied file would be
    got, problem = read_export("\n".join(lines) + "\n")
    assert problem is not None and problem.startswith("line 3: not JSON") and len(got) == 2


def test_a_row_edited_in_the_database_is_caught_in_the_export(workflow_engine):
    """Someone with write access to the database changes an entry's payload: the export no longer verifies."""
    _fill(workflow_engine, 4)
    with workflow_engine.begin() as conn:
        conn.execute(text("UPDATE events SET payload = :p WHERE seq = 2"), {"p": '{"i":1,"note":"edited"}'})
    v = verify_entries(_export(workflow_engine))
    assert not v.ok and (v.bad_seq, v.bad_line) == (2, 2) and "payload was changed" in v.message


# --- Secrets --------------------------------------------------------------------------------------------------

SECRETS = ["password", "Password", "new_password", "totp", "totp_secret", "session_id", "token", "secret", "csrf"]


def test_secrets_are_refused_and_nothing_is_written(workflow_engine):
    log_event(workflow_engine, actor="admin", role="admin", event="test.first", payload={})
    before = head(workflow_engine)
    for key in SECRETS:
        with pytest.raises(ValueError, match=f"never holds secrets; remove {key}"):
            log_event(workflow_engine, actor="admin", role="admin", event="user.added",
                      payload={"name": "amal", key: "hunter2-s3cret"})
    assert head(workflow_engine) == before
    with workflow_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 1
        assert "hunter2" not in "".join(conn.execute(select(events.c.payload)).scalars())


@pytest.mark.parametrize("payload, where", [
    ({"user": {"name": "amal", "password": "x"}}, "user.password"),
    ({"users": [{"name": "a"}, {"Token": "x"}]}, r"users\[1\].Token"),
])
def test_secrets_nested_in_the_payload_are_refused_too(workflow_engine, payload, where):
    with pytest.raises(ValueError, match=f"remove {where}"):
        log_event(workflow_engine, actor="admin", role="admin", event="user.added", payload=payload)
    assert head(workflow_engine)[0] == 0


def test_a_refused_entry_rolls_back_the_change_it_came_with(workflow_engine):
    """The change and its entry are one transaction: an entry refused for a secret takes the change with it."""
    with pytest.raises(ValueError, match="never holds secrets"):
        with writing(workflow_engine) as conn:
            conn.execute(audits.insert().values(created="t", version="v1", snapshot_sha256="ab" * 32,
                                                risk_limit="0.05", design="batch-comparison",
                                                risk_function="betting", params="{}"))
            append(conn, actor="admin", role="admin", event="audit.planned", payload={"code": "123456"})
    assert current_audit(workflow_engine) is None and head(workflow_engine) == (0, ZEROS)


def test_a_refusal_is_logged_in_a_transaction_of_its_own(workflow_engine):
    create_audit(workflow_engine, version="v1", snapshot_sha256="ab" * 32, risk_limit="0.05",
                 design="batch-comparison", risk_function="betting", params={}, recounts={})
    entry = log_refusal(workflow_engine, actor="observer-1", role="observer", action="audit.seed",
                        reason="an observer cannot enter the seed", payload={"audit_id": 1})
    got = _export(workflow_engine)
    assert entry.seq == 1 and got[0]["event"] == "refused"
    assert got[0]["payload"] == {"action": "audit.seed", "reason": "an observer cannot enter the seed", "audit_id": 1}


# --- Concurrency and crashes ------------------------------------------------------------------------------------

def test_concurrent_appends_are_numbered_without_gaps(workflow_engine):
    """8 threads x 50 appends, each its own transaction: SQLite's BEGIN IMMEDIATE and PostgreSQL's FOR UPDATE on
    the head row serialise them, so there are 400 entries, seq 1..400, one chain, and each writer's own entries
    in its own order."""
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(k: int) -> None:
        try:
            start.wait()
            for i in range(50):
                log_event(workflow_engine, actor=f"board-{k}", role="board", event="test.count", payload={"i": i})
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = _export(workflow_engine)
    assert [e["seq"] for e in got] == list(range(1, 401))
    v = verify_entries(got)
    assert v.ok and v.entries == 400 and head(workflow_engine) == (400, v.head)
    for k in range(8):
        assert [e["payload"]["i"] for e in got if e["actor"] == f"board-{k}"] == list(range(50))


# The child appends committed entries, then opens a transaction with two more appends and waits inside it: the
# parent kills it there, so the kill lands mid-append by construction, not by luck.
_CHILD = """
import sys, time
from pathlib import Path
from tallycheck.workflow.database import open_workflow, writing
from tallycheck.workflow.event_log import append, log_event
engine = open_workflow(Path(sys.argv[2]), sys.argv[1])
for i in range(int(sys.argv[3])):
    log_event(engine, actor="board-1", role="board", event="test.committed", payload={"i": i})
with writing(engine) as conn:
    append(conn, actor="board-1", role="board", event="test.lost", payload={"i": -1})
    append(conn, actor="board-1", role="board", event="test.lost", payload={"i": -2})
    print("inside", flush=True)
    time.sleep(120)
"""


def test_a_writer_killed_mid_append_leaves_a_log_that_verifies(workflow_engine, tmp_path):
    _fill(workflow_engine, 3)
    url = workflow_engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(tmp_path / "unused"), "25"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline()
        assert line == "inside\n", child.stderr.read()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    # PostgreSQL rolls the dead connection's transaction back (and frees the head row) when it sees the socket
    # close; SQLite's next writer finds the WAL's uncommitted frames and ignores them.
    log_event(workflow_engine, actor="admin", role="admin", event="test.after-kill", payload={})
    got = _export(workflow_engine)
    v = verify_entries(got)
    assert v.ok and v.entries == 3 + 25 + 1
    assert [e["event"] for e in got].count("test.committed") == 25 and "test.lost" not in {e["event"] for e in got}
    assert head(workflow_engine) == (got[-1]["seq"], got[-1]["sha256"])
