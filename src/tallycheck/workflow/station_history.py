"""A station's history read from the event log alone: every entry whose payload names it.

Every workflow part logs the stations an entry concerns as `"station_id"` (one) or `"stations"` (a list), so the
station page can show complaints, recount orders, assignments, counts and sign-offs without knowing those parts'
tables. The database narrows the log to entries whose payload text holds the id as a JSON string; each candidate
is then checked exactly (the id must be the payload's `station_id` or in its `stations`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from ..evidence.chain import LogEntry
from .schema import events


def names_station(payload: Any, station_id: str) -> bool:
    if not isinstance(payload, dict):
        return False
    if payload.get("station_id") == station_id:
        return True
    listed = payload.get("stations")
    return isinstance(listed, list) and station_id in listed


def station_history(engine: Engine, station_id: str, *, limit: int = 500) -> list[LogEntry]:
    """The entries that name `station_id`, oldest first (at most `limit`, the latest kept)."""
    needle = json.dumps(station_id, ensure_ascii=False)  # as canonical JSON writes it, quotes included
    q = (select(events).where(events.c.payload.contains(needle, autoescape=True))
         .order_by(events.c.seq.desc()))
    out: list[LogEntry] = []
    with engine.connect() as conn:
        for row in conn.execute(q):
            payload = json.loads(row.payload)
            if names_station(payload, station_id):
                out.append(LogEntry(row.seq, row.time, row.actor, row.role, row.event, payload,
                                    row.payload_sha256, row.prev_sha256, row.sha256))
                if len(out) >= limit:
                    break
    return out[::-1]
