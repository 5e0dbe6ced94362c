"""The audit as the recount room runs it, on top of `audit_run` (the CLI's audit): plan it with the accepted
complaints as its recount stratum, publish the snapshot hash, hold the seed ceremony, deal the stations to the
boards, close rounds (the boards' signed counts become one recording of the audit and a new results version), and
certify recounts ordered outside the audit's rounds.

Every change is one write transaction that appends its event-log entry; refusals raise `WorkflowError`. The log is
also where the ceremony's record lives (who witnessed, the dice as typed, when the hash was published, what each
closing decided): the state shown in the room is read back from entries anyone can re-check.

The double-blind entry (`count_tasks`) is reached through `tasks_api` (default: the `count_tasks` module), so a
test can stand in for it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from types import ModuleType
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, select

from ..audit.hand_count import HandCount
from ..audit.plan import AuditPlan, AuditSettings, Design
from ..audit.progress import ContestStatus, State
from ..audit.risk import RiskFunction
from ..evidence import Store
from ..evidence.canonical import canonical_json
from ..evidence.store import WriteOutcome
from ..model import TABLE_SPECS, ElectionData
from . import audit_run
from .audits import AuditRow, WorkflowError, current_audit, insert_recording
from .complaints import ComplaintStatus, complaint, complaints, recount_orders
from .database import writing
from .event_log import append
from .roles import Actor
from .schema import audit_rounds, events, log_head
from .schema import boards as board_table


def _api(tasks_api: Any) -> ModuleType | Any:
    if tasks_api is not None:
        return tasks_api
    try:
        return importlib.import_module("tallycheck.workflow.count_tasks")
    except ModuleNotFoundError as exc:
        if exc.name != "tallycheck.workflow.count_tasks":
            raise
        raise WorkflowError("this build has no double-blind count entry (tallycheck.workflow.count_tasks): "
                            "boards cannot be dealt stations or sign off counts") from None


def audit_boards(engine: Engine) -> list[tuple[int, str]]:
    """(board id, name) of every audit board (made with the board members' accounts)."""
    with engine.connect() as conn:
        return [(int(r.board_id), r.name) for r in conn.execute(select(board_table.c.board_id, board_table.c.name)
                                                                  .order_by(board_table.c.board_id))]


# -- what the log says ---------------------------------------------------------------------------------------

class Logged(NamedTuple):
    seq: int
    time: str
    actor: str
    event: str
    payload: dict[str, Any]


def _logged(source: Engine | Connection, *names: str) -> list[Logged]:
    """The entries with one of these event names, oldest first."""
    q = select(events.c.seq, events.c.time, events.c.actor, events.c.event, events.c.payload) \
        .where(events.c.event.in_(names)).order_by(events.c.seq)
    if isinstance(source, Connection):
        rows = source.execute(q).all()
    else:
        with source.connect() as conn:
            rows = conn.execute(q).all()
    return [Logged(int(r.seq), r.time, r.actor, r.event, json.loads(r.payload)) for r in rows]


def _lock(conn: Connection) -> None:
    """Hold the event log's head row for the rest of the transaction (PostgreSQL; SQLite's `writing` already
    holds the write lock), so a check made after it cannot race another room change: two closings, two
    publications and two dealings are serialised."""
    conn.execute(select(log_head.c.seq).where(log_head.c.id == 1).with_for_update())


def _of_audit(entries: Iterable[Logged], audit_id: int) -> list[Logged]:
    return [e for e in entries if e.payload.get("audit_id") == audit_id]


def _closed_tasks(source: Engine | Connection, audit_id: int) -> set[int]:
    done: set[int] = set()
    for *_, p in _of_audit(_logged(source, "round.closed"), audit_id):
        done.update(int(t) for t in p.get("tasks", ()))
        done.update(int(t) for t in p.get("superseded", ()))
    return done


def _the_audit(engine: Engine) -> AuditRow:
    audit = current_audit(engine)
    if audit is None:
        raise WorkflowError("no audit is planned: the administrator plans one first (risk limit)")
    return audit


# -- plan, publication, seed ---------------------------------------------------------------------------------

def risk_limit_of(text: str) -> tuple[float, str]:
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise WorkflowError(f"the risk limit is a fraction such as 0.05 (field risk_limit); got {text!r}") from None
    if not 0 < value < 1:
        raise WorkflowError(f"the risk limit is a fraction between 0 and 1, 0.05 for 5 % (field risk_limit); "
                            f"got {text}")
    return float(value), str(value)


def plan_audit(engine: Engine, store: Store, actor: Actor, risk_limit: str, design: str = "batch-comparison",
               risk_function: str | None = None, *, error_rate: float = 0.0, escalate_at: float = 0.5,
               selection: str = "ppeb", replace_planned: bool = False) -> tuple[int, AuditPlan]:
    """Plan an audit of the latest results version; the accepted complaints' stations (not yet certified
    outside an audit) are its complaint-recount stratum. Logged "audit.planned" with the complaints."""
    alpha, alpha_text = risk_limit_of(risk_limit)
    try:
        d = Design(design)
    except ValueError:
        raise WorkflowError(f"the design is one of {', '.join(x.value for x in Design)} (field design); got "
                            f"{design!r}") from None
    if d is not Design.BATCH_COMPARISON:  # the boards enter whole stations' counts, not single ballots
        raise WorkflowError(f"the room's boards count whole stations, so its audits are batch-comparison; a "
                            f"{d.value} audit reads single ballots: run it with `tallycheck audit plan --design "
                            f"{d.value}` and record the reads with `tallycheck audit record`")
    try:
        rf = RiskFunction(risk_function) if risk_function else None
    except ValueError:
        raise WorkflowError(f"the risk function is one of {', '.join(r.value for r in RiskFunction)} (field "
                            f"risk_function); got {risk_function!r}") from None
    try:
        settings = AuditSettings(alpha, d, rf, error_rate, escalate_at, selection)
    except ValueError as exc:
        raise WorkflowError(str(exc)) from None
    recounts: dict[str, str] = {}
    used: list[int] = []
    for order in recount_orders(engine):
        if order.certified_version is not None:
            continue  # its counts are in the results version being audited
        used.append(order.complaint_id)
        for s in order.stations:
            recounts.setdefault(s, f"complaint {order.complaint_id}")
    return audit_run.plan(store, version=None, settings=settings, recounts=recounts, replace=replace_planned,
                          risk_limit_text=alpha_text, engine=engine, actor=actor, note={"complaints": used})


def _publication(source: Engine | Connection, audit_id: int) -> Logged | None:
    got = _of_audit(_logged(source, "snapshot.published"), audit_id)
    return got[0] if got else None


def publish_snapshot(engine: Engine, actor: Actor) -> str:
    """Publish the hash of the results snapshot the audit will confirm (before the dice are rolled, so nobody
    can pick results to suit the sample). Returns the hash."""
    audit = _the_audit(engine)
    with writing(engine) as conn:
        _lock(conn)
        done = _publication(conn, audit.audit_id)
        if done is not None:
            raise WorkflowError(f"the snapshot hash of audit {audit.audit_id} was published on {done.time} by "
                                f"{done.actor}; it is published once")
        append(conn, actor=actor.name, role=actor.role_name, event="snapshot.published",
               payload={"audit_id": audit.audit_id, "version": audit.version,
                        "snapshot_sha256": audit.snapshot_sha256})
    return audit.snapshot_sha256


def enter_seed(engine: Engine, store: Store, actor: Actor, dice: str, witnesses: str
               ) -> tuple[int, dict[str, int], dict[str, str]]:
    """The seed ceremony: the dice rolls as typed and who witnessed them, entered once, only after the snapshot
    hash is published; then round 1 is drawn. Returns (round, draws per contest, contests sent to a full
    count)."""
    audit = _the_audit(engine)
    if _publication(engine, audit.audit_id) is None:
        raise WorkflowError(f"the snapshot hash of audit {audit.audit_id} is not published yet: publish it "
                            "before the seed ceremony, so the results cannot change after the dice are seen")
    if audit.seed is not None:
        got = _of_audit(_logged(engine, "seed.entered"), audit.audit_id)
        when = f" on {got[0].time} by {got[0].actor}" if got else ""
        raise WorkflowError(f"the seed of audit {audit.audit_id} was entered{when} ({audit.seed}); a seed is "
                            "entered once")
    witnesses = " ".join(witnesses.split())
    if not witnesses:
        raise WorkflowError("name the witnesses of the dice rolls (field witnesses)")
    if len(witnesses) > 2000:
        raise WorkflowError("the witnesses' names are at most 2,000 characters")
    try:
        _, round_no, counts, escalate = audit_run.draw_round(store, dice, engine=engine, actor=actor,
                                                             seed_note={"witnesses": witnesses})
    except ValueError as exc:  # dice that are not digits
        raise WorkflowError(f"{exc} (field dice)") from None
    return round_no, counts, escalate


# -- boards --------------------------------------------------------------------------------------------------

def _boards(boards: Sequence[int]) -> list[int]:
    out = list(dict.fromkeys(int(b) for b in boards))
    if not out or any(b < 1 for b in out):
        raise WorkflowError("deal the stations to one or more boards, numbered from 1 (field boards)")
    return out


def _live(all_tasks: Sequence[Any], closed: set[int]) -> tuple[dict[str, Any], list[int]]:
    """The newest task of each station that no closing has taken yet, and the older ones it supersedes (a
    re-assignment)."""
    live: dict[str, Any] = {}
    superseded = []
    for t in sorted(all_tasks, key=lambda t: t.task_id):
        if t.task_id in closed:
            continue
        if t.station_id in live:
            superseded.append(live[t.station_id].task_id)
        live[t.station_id] = t
    return live, superseded


def _state(t: Any) -> str:
    return getattr(t.state, "value", t.state)


def _recount_complaint(engine: Engine) -> dict[str, int]:
    """station -> the first accepted complaint that ordered it recounted."""
    out: dict[str, int] = {}
    for order in recount_orders(engine):
        for s in order.stations:
            out.setdefault(s, order.complaint_id)
    return out


def assign(engine: Engine, actor: Actor, boards: Sequence[int], *, store: Store, tasks_api: Any = None
           ) -> list[int]:
    """Deal what the boards must count now (the round's drawn stations, the complaint recounts not yet counted,
    every station of a contest in a full count) to `boards` in turn, as count tasks. A station already dealt
    to another board and not yet counted is re-assigned (its old task is superseded, logged); one dealt to the
    same board, or counted and awaiting the round's closing, is left as it is. Returns the new tasks' ids."""
    api = _api(tasks_api)
    wanted = _boards(boards)
    ctx = audit_run.load(store, engine=engine)
    aid = ctx.audit.audit_id
    if ctx.audit.seed is None:
        raise WorkflowError(f"audit {aid} has no seed yet: the seed ceremony draws round 1 before stations are "
                            "dealt to boards")
    items = audit_run.pull_items(ctx, len(wanted))
    complaint_of = _recount_complaint(engine)
    recounts = set(ctx.audit.recounts)
    with writing(engine) as conn:
        _lock(conn)  # the tasks read below are then every task committed: two dealings cannot both deal
        live, _ = _live(api.tasks(engine, audit_id=aid), _closed_tasks(conn, aid))
        new, reassigned = [], {}
        for item in items:
            board = wanted[item.board - 1]
            old = live.get(item.station_id)
            if old is not None and (old.board_id == board or _state(old) in ("agreed", "signed")):
                continue
            if old is not None:
                reassigned[item.station_id] = {"task": old.task_id, "from_board": old.board_id, "to_board": board}
            recount = item.station_id in recounts
            new.append(api.NewTask(purpose=api.TaskPurpose.RECOUNT if recount else api.TaskPurpose.AUDIT,
                                   station_id=item.station_id, contest_ids=tuple(item.contests), board_id=board,
                                   audit_id=aid, round=ctx.rounds,
                                   complaint_id=complaint_of.get(item.station_id) if recount else None))
        if not new:
            raise WorkflowError(f"nothing to deal in round {ctx.rounds} of audit {aid}: every station to count "
                                "has a task on these boards or is counted")
        ids = api.create_tasks(conn, actor, new)
        append(conn, actor=actor.name, role=actor.role_name, event="audit.assigned",
               payload={"audit_id": aid, "round": ctx.rounds, "tasks": list(ids),
                        "stations": [t.station_id for t in new],
                        "boards": {t.station_id: t.board_id for t in new}, "reassigned": reassigned})
    return list(ids)


def assign_recount(engine: Engine, store: Store, actor: Actor, complaint_id: int, boards: Sequence[int], *,
                   tasks_api: Any = None) -> list[int]:
    """Deal an accepted complaint's stations (every contest of each) to boards, for a recount outside the
    audit's rounds (certified with `certify_recount`)."""
    api = _api(tasks_api)
    wanted = _boards(boards)
    order = _open_order(engine, complaint_id)
    data = store.load(None)
    sheets = data.table("sheets")
    contests: dict[str, list[str]] = {}
    for s, c in zip(sheets.column("station_id").to_pylist(), sheets.column("contest_id").to_pylist()):
        if s in order:
            contests.setdefault(s, []).append(c)
    with writing(engine) as conn:
        _lock(conn)
        live, _ = _live([t for t in api.tasks(engine, complaint_id=complaint_id) if t.audit_id is None],
                        _certified_tasks(conn))
        new, reassigned = [], {}
        for n, station in enumerate(order):
            board = wanted[n % len(wanted)]
            old = live.get(station)
            if old is not None and (old.board_id == board or _state(old) in ("agreed", "signed")):
                continue
            if old is not None:
                reassigned[station] = {"task": old.task_id, "from_board": old.board_id, "to_board": board}
            new.append(api.NewTask(purpose=api.TaskPurpose.RECOUNT, station_id=station,
                                   contest_ids=tuple(sorted(contests.get(station, ()))), board_id=board,
                                   complaint_id=complaint_id))
        if not new:
            raise WorkflowError(f"nothing to deal for complaint {complaint_id}: every station has a task on these "
                                "boards or is counted")
        ids = api.create_tasks(conn, actor, new)
        append(conn, actor=actor.name, role=actor.role_name, event="recount.assigned",
               payload={"complaint_id": complaint_id, "tasks": list(ids), "stations": [t.station_id for t in new],
                        "boards": {t.station_id: t.board_id for t in new}, "reassigned": reassigned})
    return list(ids)


def _open_order(engine: Engine, complaint_id: int) -> tuple[str, ...]:
    """The stations of an accepted complaint whose recount is not certified and not part of the audit."""
    c = complaint(engine, complaint_id)
    if c.status is not ComplaintStatus.ACCEPTED:
        raise WorkflowError(f"complaint {complaint_id} is {c.status.value}, not accepted: only an accepted "
                            "complaint orders a recount")
    certified = [o for o in recount_orders(engine) if o.complaint_id == complaint_id and o.certified_version]
    if certified:
        raise WorkflowError(f"the recount of complaint {complaint_id} is certified already "
                            f"({certified[0].certified_version})")
    audit = current_audit(engine)
    if audit is not None and set(c.stations) & set(audit.recounts):
        raise WorkflowError(f"the stations of complaint {complaint_id} are the complaint recounts of audit "
                            f"{audit.audit_id}: they are counted and closed in its rounds")
    return c.stations


def _certified_tasks(source: Engine | Connection) -> set[int]:
    return {int(t) for *_, p in _logged(source, "recount.certified") for t in p.get("tasks", ())}


def _unsigned(live: Mapping[str, Any], limit: int = 10) -> str:
    bad = [t for t in sorted(live.values(), key=lambda t: t.station_id) if _state(t) != "signed"]
    text = "; ".join(f"station {t.station_id} (task {t.task_id}, board {t.board_id}, {_state(t)})"
                     for t in bad[:limit])
    return text + (f"; and {len(bad) - limit} more" if len(bad) > limit else "") if bad else ""


def _signed(api: Any, engine: Engine, live: Mapping[str, Any]) -> list[HandCount]:
    ids = sorted(t.task_id for t in live.values())
    got = api.signed_counts(engine, ids)
    lacking = [i for i in ids if not got.get(i)]
    if lacking:
        raise WorkflowError(f"task(s) {', '.join(map(str, lacking[:10]))} are signed but have no counts")
    counts = [h for i in ids for h in got[i]]
    seen = Counter(h.key for h in counts)
    twice = sorted(k for k, n in seen.items() if n > 1)
    if twice:
        s, c = twice[0]
        raise WorkflowError(f"station {s}, contest {c} is counted by more than one task being closed; re-assign "
                            "it to one board")
    return counts


def _counts_sha256(counts: Sequence[HandCount]) -> str:
    doc = [{"station_id": h.station_id, "contest_id": h.contest_id, "missing": h.missing,
            "ballots_cast": h.ballots_cast, "invalid": h.invalid, "blank": h.blank,
            "votes": sorted([c, lst, v] for (c, lst), v in h.votes.items()),
            "reads": sorted([item, list(ch) if ch else None] for item, ch in h.reads.items())}
           for h in sorted(counts, key=lambda h: h.key)]
    return hashlib.sha256(canonical_json({"counts": doc})).hexdigest()


# -- new results versions ------------------------------------------------------------------------------------

def hand_counted_data(data: ElectionData, counts: Iterable[HandCount]) -> tuple[ElectionData, list[str]]:
    """The election with each hand-counted station and contest's results (and the sheet totals the board
    counted) replaced by the board's. Counts of single ballots (polling, card reads) and stations whose
    materials are missing change nothing: they are not a count of the station. Returns the new data and the
    "station/contest" keys it replaced."""
    by_key = {h.key: h for h in counts if not h.missing and not h.reads}
    if not by_key:
        return data, []
    keys = pa.array(sorted(f"{s}\x1f{c}" for s, c in by_key))

    def mask(table: pa.Table) -> pa.Array:
        joined = pc.binary_join_element_wise(table.column("station_id"), table.column("contest_id"), "\x1f")
        return pc.is_in(joined, value_set=keys)

    results = data.table("results")
    hit = mask(results)
    old = results.filter(hit).to_pylist()
    rows = []
    present: set[tuple[str, str, str, str]] = set()
    for r in old:
        h = by_key[(r["station_id"], r["contest_id"])]
        present.add((r["station_id"], r["contest_id"], r["candidate_id"], r["list_id"]))
        rows.append({**r, "votes": int(h.votes.get((r["candidate_id"], r["list_id"]), 0))})
    for (s, c), h in by_key.items():
        for (cand, lst), v in h.votes.items():
            if v and (s, c, cand, lst) not in present:
                rows.append({"station_id": s, "contest_id": c, "candidate_id": cand, "list_id": lst, "votes": v})
    results = pa.concat_tables([results.filter(pc.invert(hit)),
                                pa.Table.from_pylist(rows, schema=results.schema)])
    sheets = data.table("sheets")
    hit = mask(sheets)
    changed = []
    for r in sheets.filter(hit).to_pylist():
        h = by_key[(r["station_id"], r["contest_id"])]
        for col in ("ballots_cast", "invalid", "blank"):
            if getattr(h, col) is not None:
                r[col] = getattr(h, col)
        changed.append(r)
    sheets = pa.concat_tables([sheets.filter(pc.invert(hit)), pa.Table.from_pylist(changed, schema=sheets.schema)])
    tables = dict(data.tables)
    for name, table in (("results", results), ("sheets", sheets)):
        order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in TABLE_SPECS[name].key])
        tables[name] = table.take(order)
    return ElectionData(data.election, tables, data.codes), [f"{s}/{c}" for s, c in sorted(by_key)]


def write_counted_version(store: Store, counts: Sequence[HandCount], source: Mapping[str, Any]
                          ) -> tuple[WriteOutcome, str, list[str]]:
    """A new results version: the latest one with the hand counts in (never an edit of an old version). Its
    manifest's input names the version it derives from and `source` (the recording, the tasks). Returns the
    outcome (created False: the counts equal the latest version, which stays the latest), the parent's name and
    the replaced keys."""
    parent = store.resolve(None)
    data, replaced = hand_counted_data(store.load(parent.name), counts)
    inputs = [{"derived_from": parent.name, "derived_from_snapshot_sha256": parent.snapshot_sha256,
               "hand_counted": replaced, **source}]
    outcome = store.write(data, store.election_document(parent.name), inputs, store.problems(parent.name))
    return outcome, parent.name, replaced


# -- closing a round, certifying a recount ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RoundClosed:
    round: int
    recording_id: int
    version: str  # the results version with the round's counts in (the latest, if they changed nothing)
    new_version: bool
    statuses: tuple[ContestStatus, ...]
    next_round: int  # the round drawn at once for contests that continue (0: none)


def close_round(engine: Engine, store: Store, actor: Actor, *, tasks_api: Any = None) -> RoundClosed:
    """Close the current round: every task dealt since the last closing must be signed off (refused, naming
    them, otherwise); their counts become one recording of the audit and a new results version; the contests'
    statuses update, and those that continue get their next round drawn at once. Logged "round.closed"."""
    api = _api(tasks_api)
    ctx = audit_run.load(store, engine=engine)
    aid, round_no = ctx.audit.audit_id, ctx.rounds
    if ctx.audit.seed is None:
        raise WorkflowError(f"audit {aid} has no seed yet: nothing to close before the seed ceremony")
    live, superseded = _live(api.tasks(engine, audit_id=aid), _closed_tasks(engine, aid))
    if not live:
        raise WorkflowError(f"nothing to close in audit {aid}: no task was dealt to a board since the last "
                            "closing")
    unsigned = _unsigned(live)
    if unsigned:
        raise WorkflowError(f"round {round_no} cannot close: not signed off yet: {unsigned}")
    counts = _signed(api, engine, live)
    label = f"round {round_no} signed counts"
    problems = audit_run.check_hand_counts(ctx, counts, label) + \
        audit_run.frozen_recount_problems(ctx, counts, label)
    if problems:
        raise WorkflowError("\n".join(problems[:8]) + (f"\n... and {len(problems) - 8} more"
                                                        if len(problems) > 8 else ""))
    task_ids = sorted(t.task_id for t in live.values())
    sha = _counts_sha256(counts)
    outcome, parent, replaced = write_counted_version(
        store, counts, {"audit_id": aid, "round": round_no, "tasks": task_ids, "counts_sha256": sha})
    info = outcome.version
    with writing(engine) as conn:
        _lock(conn)
        if set(task_ids) & _closed_tasks(conn, aid):
            raise WorkflowError(f"round {round_no} was closed a moment ago by someone else")
        amend = any(h.key in ctx.hand for h in counts)
        rec = insert_recording(conn, aid, file_name=f"recount room, {label}", sha256=sha, sheets=counts,
                               amend=amend, actor=actor, note={"round": round_no, "tasks": task_ids})
        extra = {h.key: replace(h, recording_id=rec) for h in counts}
        after = audit_run.load(store, ctx, engine=engine, extra_hand=extra)
        statuses = tuple(audit_run.statuses_with_outcomes(after))
        append(conn, actor=actor.name, role=actor.role_name, event="round.closed", payload={
            "audit_id": aid, "round": round_no, "tasks": task_ids, "superseded": sorted(superseded),
            "recording_id": rec, "version": info.name, "snapshot_sha256": info.snapshot_sha256,
            "new_version": outcome.created, "derived_from": parent, "hand_counted": replaced,
            "stations": sorted({h.station_id for h in counts}),
            "contests": {s.contest_id: {"state": s.state.value, "risk": s.risk, "outcome": s.outcome}
                         for s in statuses}})
    next_round = 0
    if any(s.state is State.CONTINUE for s in statuses):  # draws only for contests with nothing left to count
        _, next_round, _, _ = audit_run.draw_round(store, None, engine=engine, actor=actor)
    return RoundClosed(round_no, rec, info.name, outcome.created, statuses, next_round)


@dataclass(frozen=True, slots=True)
class RecountCertified:
    complaint_id: int
    version: str
    new_version: bool
    hand_counted: tuple[str, ...]


def certify_recount(engine: Engine, store: Store, actor: Actor, complaint_id: int, *, tasks_api: Any = None
                    ) -> RecountCertified:
    """A recount ordered by an accepted complaint and counted outside the audit's rounds: its stations' signed
    counts become a new results version. Logged "recount.certified"."""
    api = _api(tasks_api)
    stations = _open_order(engine, complaint_id)
    live, superseded = _live([t for t in api.tasks(engine, complaint_id=complaint_id) if t.audit_id is None],
                             _certified_tasks(engine))
    lacking = [s for s in stations if s not in live]
    if lacking:
        raise WorkflowError(f"the recount of complaint {complaint_id} cannot be certified: station(s) "
                            f"{', '.join(lacking[:10])} have no count task; deal them to a board first")
    unsigned = _unsigned(live)
    if unsigned:
        raise WorkflowError(f"the recount of complaint {complaint_id} cannot be certified: not signed off yet: "
                            f"{unsigned}")
    counts = _signed(api, engine, live)
    data = store.load(None)
    problems = _count_problems(data, counts, f"complaint {complaint_id} signed counts")
    if problems:
        raise WorkflowError("\n".join(problems[:8]))
    task_ids = sorted(t.task_id for t in live.values())
    sha = _counts_sha256(counts)
    outcome, parent, replaced = write_counted_version(
        store, counts, {"complaint_id": complaint_id, "tasks": task_ids, "counts_sha256": sha})
    with writing(engine) as conn:
        _lock(conn)
        if set(task_ids) & _certified_tasks(conn):
            raise WorkflowError(f"the recount of complaint {complaint_id} was certified a moment ago")
        append(conn, actor=actor.name, role=actor.role_name, event="recount.certified", payload={
            "complaint_id": complaint_id, "tasks": task_ids, "superseded": sorted(superseded),
            "counts_sha256": sha, "version": outcome.version.name,
            "snapshot_sha256": outcome.version.snapshot_sha256, "new_version": outcome.created,
            "derived_from": parent, "hand_counted": replaced, "stations": list(stations)})
    return RecountCertified(complaint_id, outcome.version.name, outcome.created, tuple(replaced))


def _count_problems(data: ElectionData, counts: Sequence[HandCount], label: str) -> list[str]:
    sheets = data.table("sheets")
    has = set(zip(sheets.column("station_id").to_pylist(), sheets.column("contest_id").to_pylist()))
    results = data.table("results")
    ballot = {(c, cand, lst) for c, cand, lst in zip(results.column("contest_id").to_pylist(),
                                                     results.column("candidate_id").to_pylist(),
                                                     results.column("list_id").to_pylist())}
    ballot |= {(c.contest_id, c.candidate_id, "") for c in data.candidates}
    problems = []
    for h in counts:
        if h.key not in has:
            problems.append(f"{label}: station {h.station_id} has no sheet for contest {h.contest_id} "
                            "[counts.unknown-station]")
            continue
        for cand, lst in h.votes:
            if (h.contest_id, cand, lst) not in ballot:
                problems.append(f"{label}: station {h.station_id}, contest {h.contest_id}: {cand or lst!r} is not "
                                "on the ballot [counts.not-on-ballot]")
    return problems


# -- progress ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RoundSample:
    round: int
    draws: Mapping[str, int]  # contest -> draws this round
    stations: tuple[str, ...]
    boards: Mapping[str, int]  # station -> board it was dealt to (last dealing)
    closed: bool


@dataclass(frozen=True, slots=True)
class ContestProgress:
    contest_id: str
    name: str
    state: str  # confirmed | continue | full count
    risk: float
    risks: tuple[float, ...]  # the contest's risk after each closed round
    outcome: str
    reason: str


@dataclass(frozen=True, slots=True)
class NewVersion:
    version: str
    snapshot_sha256: str
    derived_from: str
    source: str  # "round 2" / "complaint 7"
    time: str


@dataclass(frozen=True, slots=True)
class AuditProgress:
    audit_id: int
    version: str
    snapshot_sha256: str
    risk_limit: str
    design: str
    risk_function: str
    recounts: tuple[str, ...]
    published: str | None  # when the snapshot hash was published
    seed: str | None
    dice: str | None
    witnesses: str | None
    seed_entered: str | None
    rounds: int
    samples: tuple[RoundSample, ...]
    tasks: Mapping[str, int]  # task state -> tasks of the audit
    contests: tuple[ContestProgress, ...]
    versions: tuple[NewVersion, ...]


# The events after which the audit's recorded state (plan, seed, draws, hand counts, escalations) differs: what
# `audit_run.load` reads. Entering and signing counts do not change it until a round closes.
AUDIT_STATE_EVENTS = ("audit.planned", "seed.entered", "round.drawn", "counts.recorded", "round.closed",
                      "recount.certified")
_loaded: dict[tuple[str, int], tuple[Any, audit_run.AuditContext, list[ContestStatus]]] = {}
_loaded_lock = threading.Lock()
_LOADED_KEPT = 4  # audits kept loaded (one per database a process serves, in practice)


def audit_statuses(engine: Engine, store: Store, audit_id: int) -> tuple[audit_run.AuditContext,
                                                                        list[ContestStatus]]:
    """The audit's context and its contests' statuses, recomputed only after an event that changes what they
    are computed from (`AUDIT_STATE_EVENTS`), and then from the previous context (only newer hand counts read, the
    population reused): an Iraq-sized audit takes seconds to load from nothing, and the audit page is read after
    every count a board enters."""
    with engine.connect() as conn:
        # the last such entry, by number and hash (the hash pins the whole history before it)
        mark = tuple(conn.execute(select(events.c.seq, events.c.sha256).where(events.c.event.in_(AUDIT_STATE_EVENTS))
                                  .order_by(events.c.seq.desc()).limit(1)).first() or ())
    where = (engine.url.render_as_string(hide_password=True), audit_id)
    with _loaded_lock:
        got = _loaded.get(where)
        if got is not None and got[0] == mark:
            return got[1], got[2]
        previous = got[1] if got is not None and got[1].audit.audit_id == audit_id else None
        ctx = audit_run.load(store, previous, engine=engine)
        statuses = audit_run.statuses_with_outcomes(ctx)
        _loaded.pop(where, None)
        _loaded[where] = (mark, ctx, statuses)
        while len(_loaded) > _LOADED_KEPT:
            _loaded.pop(next(iter(_loaded)))
        return ctx, statuses


def audit_progress(engine: Engine, store: Store, *, tasks_api: Any = None) -> AuditProgress | None:
    """Everything the audit page shows, as plain values (None: no audit planned)."""
    audit = current_audit(engine)
    if audit is None:
        return None
    aid = audit.audit_id
    ctx, statuses = audit_statuses(engine, store, aid)
    entries = _logged(engine, "snapshot.published", "seed.entered", "audit.assigned", "round.closed",
                      "recount.certified")
    mine = _of_audit(entries, aid)
    published = next((e.time for e in mine if e.event == "snapshot.published"), None)
    seed_entry = next((e for e in mine if e.event == "seed.entered"), None)
    risks: dict[str, list[float]] = {}
    closed_rounds = set()
    versions = []
    boards: dict[int, dict[str, int]] = {}
    for e in entries:
        p = e.payload
        if e.event == "round.closed" and p.get("audit_id") == aid:
            closed_rounds.add(int(p["round"]))
            for cid, st in p["contests"].items():
                risks.setdefault(cid, []).append(float(st["risk"]))
        if e.event == "audit.assigned" and p.get("audit_id") == aid:
            boards.setdefault(int(p["round"]), {}).update({k: int(v) for k, v in p["boards"].items()})
        if e.event in ("round.closed", "recount.certified") and p.get("new_version"):
            source = f"round {p['round']}" if e.event == "round.closed" else f"complaint {p['complaint_id']}"
            versions.append(NewVersion(p["version"], p["snapshot_sha256"], p["derived_from"], source, e.time))
    with engine.connect() as conn:
        round_rows = conn.execute(select(audit_rounds.c.round).where(audit_rounds.c.audit_id == aid)
                                  .order_by(audit_rounds.c.round)).scalars().all()
    per_round: dict[int, dict[str, int]] = {}
    stations_of: dict[int, list[str]] = {}
    for (cid, _item), rnd in ctx.rounds_of.items():
        per_round.setdefault(rnd, {})
        per_round[rnd][cid] = per_round[rnd].get(cid, 0) + 1
    for cid, ds in ctx.draws.items():
        for d in ds:
            rnd = ctx.rounds_of.get((cid, d.item), 0)
            got = stations_of.setdefault(rnd, [])
            if d.station_id not in got:
                got.append(d.station_id)
    samples = tuple(RoundSample(r, dict(sorted(per_round.get(r, {}).items())), tuple(sorted(stations_of.get(r, ()))),
                                boards.get(r, {}), r in closed_rounds) for r in round_rows)
    try:
        states = Counter(_state(t) for t in _api(tasks_api).tasks(engine, audit_id=aid))
    except WorkflowError:  # no double-blind entry in this build: no tasks to count
        states = Counter()
    names = {c.contest_id: c.name for c in ctx.data.contests}
    contests = tuple(ContestProgress(s.contest_id, names.get(s.contest_id, s.contest_id), s.state.value, s.risk,
                                     tuple(risks.get(s.contest_id, ())), s.outcome, s.reason) for s in statuses)
    return AuditProgress(aid, audit.version, audit.snapshot_sha256, audit.risk_limit, audit.design,
                         audit.risk_function, audit.recounts, published,
                         audit.seed, seed_entry.payload.get("dice") if seed_entry else None,
                         seed_entry.payload.get("witnesses") if seed_entry else None,
                         seed_entry.time if seed_entry else None, ctx.rounds, samples, dict(states), contests,
                         tuple(versions))

