"""Complaints: a party agent files one against stations, with its grounds; the administrator accepts or rejects
it, with reasons, once; an accepted complaint is a recount order for its stations.

Every change is one write transaction that also appends its event-log entry; a refusal raises `WorkflowError`
with a message a person can act on (the web or CLI caller logs it with `event_log.log_refusal`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from ..evidence import Store
from .audits import WorkflowError
from .database import writing
from .event_log import append
from .roles import Actor
from .schema import complaint_decisions, complaint_stations, complaints as complaints_table, events

MAX_GROUNDS = 20_000  # characters: a page of text, not an attachment
MAX_STATIONS = 10_000


class ComplaintStatus(str, Enum):
    FILED = "filed"  # waiting for the administrator's decision
    ACCEPTED = "accepted"  # a recount order for its stations
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Complaint:
    complaint_id: int
    filed: str
    filed_by: str
    party: str
    grounds: str
    stations: tuple[str, ...]
    status: ComplaintStatus
    decided: str | None = None
    decided_by: str | None = None
    reasons: str | None = None


@dataclass(frozen=True, slots=True)
class RecountOrder:
    complaint_id: int
    party: str
    stations: tuple[str, ...]
    ordered: str  # when the complaint was accepted
    certified_version: str | None  # the results version its certified recount made (None: not yet certified)
    # every station counted in a closed audit round instead (the complaint-recount stratum): that round's number
    # and the results version it made; None while any of its stations is not
    audit_round: tuple[int, str] | None = None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def station_list(text: str | Sequence[str]) -> list[str]:
    """Station ids as typed in a form (separated by commas, spaces or lines) or given as a list: stripped, in
    the order given, each once."""
    parts = text.replace(",", " ").split() if isinstance(text, str) else [s.strip() for s in text]
    return list(dict.fromkeys(p for p in parts if p))


def file_complaint(engine: Engine, actor: Actor, stations: str | Sequence[str], grounds: str, party: str, *,
                   store: Store) -> int:
    """File a complaint against stations of the store's latest results version; returns its id."""
    ids = station_list(stations)
    grounds, party = grounds.strip(), party.strip()
    if not ids:
        raise WorkflowError("a complaint names at least one station (field stations: station ids separated by "
                            "commas or spaces)")
    if len(ids) > MAX_STATIONS:
        raise WorkflowError(f"a complaint names at most {MAX_STATIONS:,} stations; this one names {len(ids):,}")
    if not grounds:
        raise WorkflowError("a complaint states its grounds (field grounds: what went wrong at these stations)")
    if len(grounds) > MAX_GROUNDS:
        raise WorkflowError(f"the grounds are {len(grounds):,} characters; at most {MAX_GROUNDS:,} are accepted")
    if not party:
        raise WorkflowError("a complaint names the party that files it (field party)")
    info = store.resolve(None)
    known = set(store.load(info.name).table("stations").column("station_id").to_pylist())
    unknown = [s for s in ids if s not in known]
    if unknown:
        more = f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""
        raise WorkflowError(f"no station {', '.join(unknown[:5])}{more} in the results ({info.name}); check the "
                            "station ids (field stations)")
    with writing(engine) as conn:
        cid = int(conn.execute(insert(complaints_table).values(
            filed=_now(), filed_by=actor.name, party=party, grounds=grounds)).inserted_primary_key[0])
        conn.execute(insert(complaint_stations), [{"complaint_id": cid, "station_id": s} for s in ids])
        append(conn, actor=actor.name, role=actor.role_name, event="complaint.filed",
               payload={"complaint_id": cid, "party": party, "grounds": grounds, "stations": ids,
                        "version": info.name})
    return cid


def decide(engine: Engine, actor: Actor, complaint_id: int, accept: bool, reasons: str) -> None:
    """Accept (a recount order for the complaint's stations) or reject a complaint, with reasons; final."""
    reasons = reasons.strip()
    if not reasons:
        raise WorkflowError(f"a decision on complaint {complaint_id} states its reasons (field reasons)")
    if len(reasons) > MAX_GROUNDS:
        raise WorkflowError(f"the reasons are {len(reasons):,} characters; at most {MAX_GROUNDS:,} are accepted")
    try:
        with writing(engine) as conn:
            got = conn.execute(select(complaints_table.c.complaint_id)
                               .where(complaints_table.c.complaint_id == complaint_id)).first()
            if got is None:
                raise WorkflowError(f"there is no complaint {complaint_id}")
            done = conn.execute(select(complaint_decisions)
                                .where(complaint_decisions.c.complaint_id == complaint_id)).first()
            if done is not None:
                raise WorkflowError(f"complaint {complaint_id} was already "
                                    f"{'accepted' if done.accepted else 'rejected'} by {done.decided_by} on "
                                    f"{done.decided}; a decision is final")
            stations = _stations(conn, complaint_id)
            conn.execute(insert(complaint_decisions).values(complaint_id=complaint_id, decided=_now(),
                                                            decided_by=actor.name, accepted=accept,
                                                            reasons=reasons))
            append(conn, actor=actor.name, role=actor.role_name,
                   event="complaint.accepted" if accept else "complaint.rejected",
                   payload={"complaint_id": complaint_id, "reasons": reasons, "stations": stations,
                            "recount_order": accept})
    except IntegrityError:  # another administrator's decision committed first
        raise WorkflowError(f"complaint {complaint_id} was decided by someone else a moment ago; a decision is "
                            "final") from None


def _stations(conn, complaint_id: int) -> list[str]:
    return list(conn.execute(select(complaint_stations.c.station_id)
                             .where(complaint_stations.c.complaint_id == complaint_id)
                             .order_by(complaint_stations.c.station_id)).scalars())


def complaints(engine: Engine, *, status: ComplaintStatus | str | None = None,
               complaint_id: int | None = None) -> list[Complaint]:
    """Every complaint (or those of one status, or the one with this id), oldest first."""
    want = ComplaintStatus(status) if status is not None else None
    q = select(complaints_table, complaint_decisions.c.decided, complaint_decisions.c.decided_by,
               complaint_decisions.c.accepted, complaint_decisions.c.reasons).select_from(
        complaints_table.outerjoin(complaint_decisions,
                                   complaint_decisions.c.complaint_id == complaints_table.c.complaint_id))
    sq = select(complaint_stations.c.complaint_id, complaint_stations.c.station_id)
    if complaint_id is not None:
        q = q.where(complaints_table.c.complaint_id == complaint_id)
        sq = sq.where(complaint_stations.c.complaint_id == complaint_id)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(complaints_table.c.complaint_id)).all()
        stations: dict[int, list[str]] = {}
        for cid, sid in conn.execute(sq.order_by(complaint_stations.c.complaint_id, complaint_stations.c.station_id)):
            stations.setdefault(int(cid), []).append(sid)
    out = []
    for r in rows:
        st = (ComplaintStatus.FILED if r.accepted is None else
              ComplaintStatus.ACCEPTED if r.accepted else ComplaintStatus.REJECTED)
        if want is not None and st is not want:
            continue
        out.append(Complaint(int(r.complaint_id), r.filed, r.filed_by, r.party, r.grounds,
                             tuple(stations.get(int(r.complaint_id), ())), st, r.decided, r.decided_by, r.reasons))
    return out


def certified_versions(engine: Engine) -> dict[int, str]:
    """complaint id -> the results version its certified recount made (from the log's "recount.certified")."""
    with engine.connect() as conn:
        rows = conn.execute(select(events.c.payload).where(events.c.event == "recount.certified")
                            .order_by(events.c.seq)).scalars().all()
    out = {}
    for text in rows:
        p = json.loads(text)
        out[int(p["complaint_id"])] = str(p["version"])
    return out


def audit_counted(engine: Engine) -> dict[str, tuple[int, str]]:
    """station -> (round, results version) of the closed audit round whose signed counts included it (from the
    log's "round.closed"; the latest round wins)."""
    with engine.connect() as conn:
        rows = conn.execute(select(events.c.payload).where(events.c.event == "round.closed")
                            .order_by(events.c.seq)).scalars().all()
    out: dict[str, tuple[int, str]] = {}
    for text in rows:
        p = json.loads(text)
        for station in p.get("stations", ()):
            out[station] = (int(p["round"]), str(p["version"]))
    return out


def recount_orders(engine: Engine) -> list[RecountOrder]:
    """The accepted complaints: each orders its stations recounted, by a certified recount or in the audit."""
    certified = certified_versions(engine)
    counted = audit_counted(engine)
    out = []
    for c in complaints(engine, status=ComplaintStatus.ACCEPTED):
        rounds = [counted.get(s) for s in c.stations]
        in_audit = max(rounds) if rounds and all(rounds) else None  # type: ignore[type-var]
        out.append(RecountOrder(c.complaint_id, c.party, c.stations, c.decided or "", certified.get(c.complaint_id),
                                in_audit))
    return out


def complaint(engine: Engine, complaint_id: int) -> Complaint:
    got = complaints(engine, complaint_id=complaint_id)
    if not got:
        raise WorkflowError(f"there is no complaint {complaint_id}")
    return got[0]
