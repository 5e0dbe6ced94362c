"""A station's history read from the event log alone: every entry whose payload names it.

Every workflow part logs the stations an entry concerns as `"station_id"` (one) or `"stations"` (a list), so the
station page can show complaints, recount orders, assignments, counts and sign-offs without knowing those parts'
tables. The log indexes those ids as each entry is appended (`event_stations`), so a station's history is found
by index, not by reading the whole log.
"""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from ..evidence.chain import LogEntry
from .schema import event_stations, events


def station_history(engine: Engine, station_id: str, *, limit: int = 500) -> list[LogEntry]:
    """The entries that name `station_id`, oldest first (at most `limit`, the latest kept)."""
    q = (select(events).join(event_stations, event_stations.c.seq == events.c.seq)
         .where(event_stations.c.station_id == station_id).order_by(events.c.seq.desc()).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [LogEntry(r.seq, r.time, r.actor, r.role, r.event, json.loads(r.payload), r.payload_sha256,
                     r.prev_sha256, r.sha256) for r in reversed(rows)]
