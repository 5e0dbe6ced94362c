"""The append-only, hash-chained event log in the workflow database (entries and hashes: evidence/chain.py).

Every mutation appends its entry inside its own write transaction (`append(conn, ...)` within
`database.writing`), so the change and its entry commit together or not at all. A refused attempt is logged in a
transaction of its own (`log_refusal`), since the refused change itself is rolled back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from ..evidence.canonical import canonical_json
from ..evidence.chain import GENESIS, LogEntry, export_line, next_entry
from .database import writing
from .schema import event_stations, events, log_head

# Never written to the log, whatever a caller passes: a log is public, and these are secrets (OWASP ASVS 7.1.1).
_SECRET_KEYS = frozenset({"password", "new_password", "token", "session", "session_id", "totp", "totp_secret",
                          "code", "secret", "csrf"})


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _secret_keys(value: Any, path: str = "") -> list[str]:
    """Keys naming a secret anywhere in the payload, nested objects and lists included."""
    found = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            where = f"{path}.{k}" if path else str(k)
            if str(k).lower() in _SECRET_KEYS:
                found.append(where)
            found += _secret_keys(v, where)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found += _secret_keys(v, f"{path}[{i}]")
    return found


def _clean(payload: Mapping[str, Any]) -> dict[str, Any]:
    bad = _secret_keys(payload)
    if bad:
        raise ValueError(f"the event log never holds secrets; remove {', '.join(bad)} from the payload")
    return json.loads(canonical_json(payload))  # exactly what will be hashed: plain JSON values only


def _head(conn: Connection) -> LogEntry | None:
    """The last entry, with the head row locked for the rest of the transaction (PostgreSQL: FOR UPDATE;
    SQLite: `writing` already holds the database's write lock)."""
    got = conn.execute(select(log_head.c.seq).where(log_head.c.id == 1).with_for_update()).first()
    if got is None or got.seq == 0:
        return None
    row = conn.execute(select(events).where(events.c.seq == got.seq)).one()
    return _entry(row)


def _entry(row: Any) -> LogEntry:
    return LogEntry(row.seq, row.time, row.actor, row.role, row.event, json.loads(row.payload),
                    row.payload_sha256, row.prev_sha256, row.sha256)


def stations_named(payload: Any) -> list[str]:
    """The stations an entry concerns: its payload's `station_id`, and every id in its `stations`."""
    if not isinstance(payload, Mapping):
        return []
    out = []
    one = payload.get("station_id")
    if isinstance(one, str):
        out.append(one)
    many = payload.get("stations")
    if isinstance(many, list):
        out += [s for s in many if isinstance(s, str)]
    return list(dict.fromkeys(out))


def append(conn: Connection, *, actor: str, role: str, event: str, payload: Mapping[str, Any]) -> LogEntry:
    """Append one entry in the caller's write transaction and return it."""
    prev = _head(conn)
    entry = next_entry(prev, time=now(), actor=actor, role=role, event=event, payload=_clean(payload))
    conn.execute(insert(events).values(
        seq=entry.seq, time=entry.time, actor=entry.actor, role=entry.role, event=entry.event,
        payload=canonical_json(entry.payload).decode("utf-8"), payload_sha256=entry.payload_sha256,
        prev_sha256=entry.prev_sha256, sha256=entry.sha256))
    named = stations_named(entry.payload)
    if named:
        conn.execute(insert(event_stations), [{"seq": entry.seq, "station_id": s} for s in named])
    conn.execute(update(log_head).where(log_head.c.id == 1).values(seq=entry.seq, sha256=entry.sha256))
    return entry


def log_event(engine: Engine, *, actor: str, role: str, event: str, payload: Mapping[str, Any]) -> LogEntry:
    """Append one entry in a transaction of its own (an event that changes nothing else: a refusal, a login)."""
    with writing(engine) as conn:
        return append(conn, actor=actor, role=role, event=event, payload=payload)


def log_refusal(engine: Engine, *, actor: str, role: str, action: str, reason: str,
                payload: Mapping[str, Any] | None = None) -> LogEntry:
    return log_event(engine, actor=actor, role=role, event="refused",
                     payload={"action": action, "reason": reason, **(payload or {})})


def head(engine: Engine) -> tuple[int, str]:
    """(entries, head hash); (0, 64 zeros) for an empty log."""
    with engine.connect() as conn:
        got = conn.execute(select(log_head.c.seq, log_head.c.sha256).where(log_head.c.id == 1)).first()
    return (0, GENESIS) if got is None else (int(got.seq), str(got.sha256))


def ensure_head(engine: Engine) -> None:
    """The head row exists before any append, so concurrent first appends lock it instead of racing to add it."""
    with writing(engine) as conn:
        if conn.execute(select(log_head.c.id).where(log_head.c.id == 1)).first() is None:
            conn.execute(insert(log_head).values(id=1, seq=0, sha256=GENESIS))


def entries(engine: Engine, *, after: int = 0, limit: int | None = None, newest_first: bool = False
            ) -> list[LogEntry]:
    q = select(events).where(events.c.seq > after)
    q = q.order_by(events.c.seq.desc() if newest_first else events.c.seq)
    if limit is not None:
        q = q.limit(limit)
    with engine.connect() as conn:
        return [_entry(r) for r in conn.execute(q)]


def export_lines(engine: Engine, batch: int = 5000) -> Iterator[str]:
    """The whole log as JSON Lines, oldest first, in batches (a national audit logs hundreds of thousands)."""
    after = 0
    while True:
        got = entries(engine, after=after, limit=batch)
        if not got:
            return
        for e in got:
            yield export_line(e) + "\n"
        after = got[-1].seq
