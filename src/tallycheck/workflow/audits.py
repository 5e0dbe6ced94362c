"""Audits in the workflow store: create one, enter its seed once, add rounds of draws, record hand counts.

Every write is one transaction, so a refused or interrupted command leaves the store as it was. Nothing is
updated in place except an audit's seed (set once, never changed) and `closed` (set once). Given the `actor`
(the CLI's user, a web account), a write appends its event-log entry in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from ..audit.hand_count import HandCount
from .database import open_workflow, workflow_url, writing  # noqa: F401 (re-exported)
from .event_log import append
from .roles import Actor
from .schema import (audit_draws, audit_escalations, audit_recounts, audit_rounds, audits, hand_sheets, hand_votes,
                     recordings)


class WorkflowError(Exception):
    """A request the audit's state does not allow (a second seed, counts for an undrawn station, ...)."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _log(conn: Connection, actor: Actor | None, event: str, payload: Mapping[str, Any],
         note: Mapping[str, Any] | None) -> None:
    if actor is not None:
        append(conn, actor=actor.name, role=actor.role_name, event=event, payload={**payload, **(note or {})})


@dataclass(frozen=True, slots=True)
class AuditRow:
    audit_id: int
    created: str
    version: str
    snapshot_sha256: str
    risk_limit: str
    design: str
    risk_function: str
    params: Mapping[str, Any]
    seed: str | None
    recounts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Draw:
    contest_id: str
    seq: int
    round: int
    item: str
    station_id: str
    ticket: str


def create_audit(engine: Engine, *, version: str, snapshot_sha256: str, risk_limit: str, design: str,
                 risk_function: str, params: Mapping[str, Any], recounts: Mapping[str, str],
                 replace: bool = False, actor: Actor | None = None, note: Mapping[str, Any] | None = None) -> int:
    with writing(engine) as conn:
        current = conn.execute(select(audits.c.audit_id, audits.c.seed).where(audits.c.closed.is_(None))).first()
        if current is not None:
            if not replace:
                raise WorkflowError(f"audit {current.audit_id} is already planned in this store; pass --replace "
                                    "to plan a new one before its seed is entered")
            if current.seed is not None:
                raise WorkflowError(f"audit {current.audit_id} has its seed and draws; it cannot be replaced")
            conn.execute(update(audits).where(audits.c.audit_id == current.audit_id).values(closed=_now()))
        audit_id = conn.execute(insert(audits).values(
            created=_now(), version=version, snapshot_sha256=snapshot_sha256, risk_limit=risk_limit,
            design=design, risk_function=risk_function, params=json.dumps(dict(params), sort_keys=True),
        )).inserted_primary_key[0]
        if recounts:
            conn.execute(insert(audit_recounts), [{"audit_id": audit_id, "station_id": s, "reason": r}
                                                  for s, r in sorted(recounts.items())])
        _log(conn, actor, "audit.planned", {
            "audit_id": int(audit_id), "version": version, "snapshot_sha256": snapshot_sha256,
            "risk_limit": risk_limit, "design": design, "risk_function": risk_function,
            "replaces": current.audit_id if current is not None else None, "stations": sorted(recounts)}, note)
    return int(audit_id)


def current_audit(engine: Engine) -> AuditRow | None:
    with engine.connect() as conn:
        row = conn.execute(select(audits).where(audits.c.closed.is_(None))
                           .order_by(audits.c.audit_id.desc())).first()
        if row is None:
            return None
        recounts = conn.execute(select(audit_recounts.c.station_id).where(audit_recounts.c.audit_id == row.audit_id)
                                .order_by(audit_recounts.c.station_id)).scalars().all()
    return AuditRow(row.audit_id, row.created, row.version, row.snapshot_sha256, row.risk_limit, row.design,
                    row.risk_function, MappingProxyType(json.loads(row.params)), row.seed, tuple(recounts))


def enter_seed(engine: Engine, audit_id: int, seed: str, actor: Actor | None = None,
               note: Mapping[str, Any] | None = None) -> bool:
    """Set the audit's seed; False when it already had this very seed (nothing changes, nothing is logged)."""
    with writing(engine) as conn:
        got = conn.execute(select(audits.c.seed).where(audits.c.audit_id == audit_id)).scalar_one()
        if got is not None:
            if got != seed:
                raise WorkflowError(f"audit {audit_id} already has its seed ({got}); a seed is entered once")
            return False
        done = conn.execute(update(audits).where(audits.c.audit_id == audit_id, audits.c.seed.is_(None))
                            .values(seed=seed, seed_recorded=_now()))
        if done.rowcount != 1:  # PostgreSQL: another ceremony's seed committed while this one waited
            raise WorkflowError(f"audit {audit_id} got its seed a moment ago; a seed is entered once")
        _log(conn, actor, "seed.entered", {"audit_id": audit_id, "seed": seed}, note)
    return True


def draws(engine: Engine, audit_id: int) -> tuple[Draw, ...]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_draws).where(audit_draws.c.audit_id == audit_id)
                            .order_by(audit_draws.c.contest_id, audit_draws.c.seq)).all()
    return tuple(Draw(r.contest_id, r.seq, r.round, r.item, r.station_id, r.ticket) for r in rows)


def rounds(engine: Engine, audit_id: int) -> int:
    with engine.connect() as conn:
        got = conn.execute(select(func.max(audit_rounds.c.round)).where(audit_rounds.c.audit_id == audit_id)).scalar()
    return int(got or 0)


def escalations(engine: Engine, audit_id: int) -> dict[str, str]:
    """contest_id -> why it went to a full hand count."""
    with engine.connect() as conn:
        rows = conn.execute(select(audit_escalations).where(audit_escalations.c.audit_id == audit_id)).all()
    return {r.contest_id: r.reason for r in rows}


def add_round(engine: Engine, audit_id: int, round_no: int, new_draws: Sequence[Draw],
              escalate: Mapping[str, str] | None = None, actor: Actor | None = None,
              note: Mapping[str, Any] | None = None) -> None:
    with writing(engine) as conn:
        last = conn.execute(select(func.max(audit_rounds.c.round)).where(audit_rounds.c.audit_id == audit_id)).scalar()
        if (last or 0) != round_no - 1:
            raise WorkflowError(f"round {round_no} cannot follow round {last or 0}")
        conn.execute(insert(audit_rounds).values(audit_id=audit_id, round=round_no, drawn=_now(),
                                                 draws=len(new_draws)))
        if escalate:
            conn.execute(insert(audit_escalations), [{"audit_id": audit_id, "contest_id": c, "round": round_no,
                                                      "reason": r} for c, r in sorted(escalate.items())])
        if new_draws:
            conn.execute(insert(audit_draws), [
                {"audit_id": audit_id, "contest_id": d.contest_id, "seq": d.seq, "round": d.round, "item": d.item,
                 "station_id": d.station_id, "ticket": d.ticket} for d in new_draws])
        per_contest: dict[str, int] = {}
        for d in new_draws:
            per_contest[d.contest_id] = per_contest.get(d.contest_id, 0) + 1
        _log(conn, actor, "round.drawn", {
            "audit_id": audit_id, "round": round_no, "draws": per_contest, "full_count": dict(escalate or {}),
            "stations": sorted({d.station_id for d in new_draws})}, note)


def record_counts(engine: Engine, audit_id: int, *, file_name: str, sha256: str, sheets: Iterable[HandCount],
                  amend: bool, actor: Actor | None = None, note: Mapping[str, Any] | None = None) -> int:
    """Add one recording (a counts file) in one transaction; returns its id."""
    with writing(engine) as conn:
        return insert_recording(conn, audit_id, file_name=file_name, sha256=sha256, sheets=sheets, amend=amend,
                                actor=actor, note=note)


def insert_recording(conn: Connection, audit_id: int, *, file_name: str, sha256: str, sheets: Iterable[HandCount],
                     amend: bool, actor: Actor | None = None, note: Mapping[str, Any] | None = None) -> int:
    """`record_counts` inside the caller's write transaction (the recount room records a round's signed counts
    and closes the round in one)."""
    sheets = list(sheets)
    if not amend:
        keys = {(s.station_id, s.contest_id) for s in sheets}
        done = conn.execute(
            select(hand_sheets.c.station_id, hand_sheets.c.contest_id)
            .join(recordings, recordings.c.recording_id == hand_sheets.c.recording_id)
            .where(recordings.c.audit_id == audit_id)).all()
        again = sorted(keys & {(r.station_id, r.contest_id) for r in done})
        if again:
            s, c = again[0]
            raise WorkflowError(f"station {s}, contest {c} already has a recorded hand count"
                                f"{f' (and {len(again) - 1} more)' if len(again) > 1 else ''}; a correction "
                                "is recorded with --amend")
    rows = sum(max(1, len(s.votes) + len(s.reads)) for s in sheets)
    rec = conn.execute(insert(recordings).values(audit_id=audit_id, recorded=_now(), file_name=file_name,
                                                 sha256=sha256, rows=rows, amends=amend)).inserted_primary_key[0]
    conn.execute(insert(hand_sheets), [
        {"recording_id": rec, "station_id": s.station_id, "contest_id": s.contest_id, "missing": s.missing,
         "ballots_cast": s.ballots_cast, "invalid": s.invalid, "blank": s.blank} for s in sheets])
    votes = [(rec, s.station_id, s.contest_id, c, lst, "", v) for s in sheets for (c, lst), v in s.votes.items()]
    votes += [(rec, s.station_id, s.contest_id, (ch or ("", ""))[0], (ch or ("", ""))[1], item, 1 if ch else 0)
              for s in sheets for item, ch in s.reads.items()]
    if votes:  # a full hand count is millions of rows: the driver's own executemany, positional
        table = hand_votes.name
        marks = ", ".join(["%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"] * 7)
        conn.exec_driver_sql(f"INSERT INTO {table} (recording_id, station_id, contest_id, candidate_id, "
                             f"list_id, item, votes) VALUES ({marks})", votes)
    _log(conn, actor, "counts.recorded", {
        "audit_id": audit_id, "recording_id": int(rec), "file_name": file_name, "sha256": sha256,
        "sheets": len(sheets), "amends": amend, "stations": sorted({s.station_id for s in sheets})}, note)
    return int(rec)


def hand_counts(engine: Engine, audit_id: int, known: Mapping[tuple[str, str], HandCount] | None = None,
                since: int = 0) -> dict[tuple[str, str], HandCount]:
    """The latest recording of each (station, contest) hand count of the audit. `known`: the result of an
    earlier call that had read every recording up to `since`; only the newer recordings are read then."""
    with engine.connect() as conn:
        sheet_rows = conn.execute(
            select(hand_sheets, recordings.c.recording_id.label("rec"))
            .join(recordings, recordings.c.recording_id == hand_sheets.c.recording_id)
            .where(recordings.c.audit_id == audit_id, recordings.c.recording_id > since)
            .order_by(recordings.c.recording_id)).all()
        latest: dict[tuple[str, str], Any] = {}
        for r in sheet_rows:
            latest[(r.station_id, r.contest_id)] = r  # later recordings supersede earlier ones
        wanted = {r.rec for r in latest.values()}
        vote_rows = conn.execute(
            select(hand_votes.c.recording_id, hand_votes.c.station_id, hand_votes.c.contest_id,
                   hand_votes.c.candidate_id, hand_votes.c.list_id, hand_votes.c.item, hand_votes.c.votes)
            .where(hand_votes.c.recording_id.in_(sorted(wanted)))).all() if wanted else []
    votes: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
    reads: dict[tuple[str, str], dict[str, tuple[str, str] | None]] = {}
    current = {key: r.rec for key, r in latest.items()}
    for rec_id, station, contest, cand, lst, item, n in vote_rows:
        key = (station, contest)
        if current.get(key) != rec_id:
            continue
        if item:
            reads.setdefault(key, {})[item] = (cand, lst) if n else None
        else:
            got = votes.setdefault(key, {})
            got[(cand, lst)] = got.get((cand, lst), 0) + n
    out = dict(known or {})
    out.update({key: HandCount(r.station_id, r.contest_id, bool(r.missing), r.ballots_cast, r.invalid, r.blank,
                               MappingProxyType(votes.get(key, {})), MappingProxyType(reads.get(key, {})), r.rec)
                for key, r in latest.items()})
    return out
