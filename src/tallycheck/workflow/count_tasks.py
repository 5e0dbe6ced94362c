"""What a board must count, and what it found: double-blind hand-count entry.

A count task is one station's contests, assigned to one board (for an audit round or a recount order). Both
members of the board enter the counts on their own; when both have entered an attempt the entries are
compared: equal, the task is AGREED; different, it is a MISMATCH, the log names the contests and choices that
differ (never the numbers, so the recount stays blind) and a new attempt opens for both. Each member then
signs the agreed count with their own login; when both have, the task is SIGNED and its counts are what
`signed_counts` returns. After sign-off nothing is edited: a correction is an amendment, a new double-blind
round whose agreed and signed count supersedes the earlier one.

Every change is one `writing()` transaction that appends its event-log entry; the task's row is locked first
(PostgreSQL FOR UPDATE; SQLite's BEGIN IMMEDIATE locks the database), so two members entering at the same
moment are compared exactly once, and the unique key of an entry makes a double submit one entry.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.assertion import ChoiceKey
from ..audit.hand_count import HandCount
from ..evidence.canonical import canonical_json
from ..ingest.hand_counts import CountProblem, HandCountFileError, read_hand_counts
from ..model import ElectionData
from .audits import WorkflowError
from .database import writing
from .event_log import append, now
from .roles import Actor, Role
from .schema import count_amendments, count_entries, count_signatures, count_signoffs, count_tasks

TOTALS = ("ballots_cast", "invalid", "blank")


class TaskPurpose(str, Enum):
    AUDIT = "audit"
    RECOUNT = "recount"


class TaskState(str, Enum):
    OPEN = "open"  # waiting for both members' entries of the first attempt (of the count or of an amendment)
    MISMATCH = "mismatch"  # the last attempt's entries differed: a new attempt is open for both members
    AGREED = "agreed"  # both entries of an attempt are equal: waiting for both signatures
    SIGNED = "signed"  # both members signed: read-only; a correction is an amendment


@dataclass(frozen=True, slots=True)
class NewTask:
    """What the room part asks to be counted."""

    purpose: TaskPurpose
    station_id: str
    contest_ids: tuple[str, ...]
    board_id: int
    audit_id: int | None = None
    round: int | None = None
    complaint_id: int | None = None


@dataclass(frozen=True, slots=True)
class CountTask:
    task_id: int
    purpose: TaskPurpose
    station_id: str
    contest_ids: tuple[str, ...]
    board_id: int
    audit_id: int | None
    round: int | None
    complaint_id: int | None
    state: TaskState
    created: str
    amendment: int = 0  # 0: the first count; n: the n-th correction after sign-off
    attempt: int = 1  # the attempt open (or agreed) now


@dataclass(frozen=True, slots=True)
class BallotChoice:
    key: ChoiceKey  # (candidate_id, "") or ("", list_id)
    name: str  # as the commission spells it, in its own script
    party: str  # the candidate's party or list, "" for a list itself


@dataclass(frozen=True, slots=True)
class ContestBallot:
    contest_id: str
    name: str
    choices: tuple[BallotChoice, ...]  # in ballot order

    @property
    def keys(self) -> frozenset[ChoiceKey]:
        return frozenset(c.key for c in self.choices)


@dataclass(frozen=True, slots=True)
class Difference:
    """Where two entries of an attempt differ: the contest, the totals and the choices (never the numbers)."""

    contest_id: str
    fields: tuple[str, ...]  # "missing", "ballots_cast", "invalid", "blank"
    choices: tuple[ChoiceKey, ...]

    def as_json(self) -> dict[str, Any]:
        return {"contest_id": self.contest_id, "fields": list(self.fields),
                "choices": [list(c) for c in self.choices]}


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    task_id: int
    amendment: int
    attempt: int  # the attempt this entry belongs to
    state: TaskState  # the task's state after the entry
    waiting: bool  # the other member has not entered this attempt yet
    differences: tuple[Difference, ...] = ()  # where the attempt's two entries differ (state MISMATCH)


@dataclass(frozen=True, slots=True)
class AttemptResult:
    amendment: int
    attempt: int
    differences: tuple[Difference, ...]  # empty: the attempt agreed


@dataclass(frozen=True, slots=True)
class EntryView:
    """What a board member may see of a task: never the other member's entry, never the reported results."""

    task: CountTask
    own: tuple[HandCount, ...] | None  # my entry of the current attempt, if I made one
    other_entered: bool  # whether the other member has entered the current attempt (not what)
    agreed: tuple[HandCount, ...] | None  # the agreed counts, once AGREED or SIGNED
    signed_by: tuple[str, ...]  # members who signed the current amendment's agreed count
    i_signed: bool
    history: tuple[AttemptResult, ...]  # earlier attempts of every amendment: where they differed
    superseded_by: int | None = None  # the newer task, when the station was re-assigned to another board


class EntryFileError(WorkflowError):
    """An uploaded entry with problems: every problem names the file, row, column and rule."""

    def __init__(self, problems: Sequence[CountProblem]):
        self.problems = tuple(problems)
        shown = "\n".join(str(p) for p in self.problems[:8])
        more = len(self.problems) - 8
        super().__init__(shown + (f"\n... and {more} more problems." if more > 0 else ""))


# --- ballots ------------------------------------------------------------------------------------------------

def task_ballots(data: ElectionData, contest_ids: Sequence[str]) -> dict[str, ContestBallot]:
    """The ballot of each contest: its candidates, then its lists (the choices results may name), in the
    package's order. A contest the package does not know is left out (entries for it are then refused)."""
    return ballots_from_tables(data.table("contests"), data.table("candidates"), data.table("lists"),
                               contest_ids)


def ballots_from_tables(contests: pa.Table, candidates: pa.Table, lists: pa.Table, contest_ids: Sequence[str]
                        ) -> dict[str, ContestBallot]:
    """`task_ballots` from the three package tables alone (a server reads these, not the millions of
    results)."""
    wanted = set(contest_ids)
    names = {r["contest_id"]: r["name"] for r in contests.select(["contest_id", "name"]).to_pylist()
             if r["contest_id"] in wanted}
    list_rows = lists.select(["list_id", "contest_id", "name"]).to_pylist()
    list_names = {(r["contest_id"], r["list_id"]): r["name"] for r in list_rows}
    choices: dict[str, list[BallotChoice]] = {cid: [] for cid in names}
    for r in candidates.select(["candidate_id", "contest_id", "name", "party", "list_id"]).to_pylist():
        if r["contest_id"] in choices:
            party = list_names.get((r["contest_id"], r["list_id"] or ""), "") or r["party"] or ""
            choices[r["contest_id"]].append(BallotChoice((r["candidate_id"], ""), r["name"], party))
    for r in list_rows:
        if r["contest_id"] in choices:
            choices[r["contest_id"]].append(BallotChoice(("", r["list_id"]), r["name"], ""))
    return {cid: ContestBallot(cid, names[cid], tuple(choices[cid])) for cid in contest_ids if cid in names}


# --- tasks --------------------------------------------------------------------------------------------------

def _task(row: Any) -> CountTask:
    return CountTask(int(row.task_id), TaskPurpose(row.purpose), row.station_id,
                     tuple(json.loads(row.contest_ids)), int(row.board_id), row.audit_id, row.round,
                     row.complaint_id, TaskState(row.state), row.created, int(row.amendment),
                     int(row.attempt))


def _named(t: CountTask) -> str:
    return f"count task {t.task_id} (station {t.station_id})"


def _base(t: CountTask) -> dict[str, Any]:
    """What every log entry of a task's entry says: the task, its station, the amendment and attempt."""
    return {"task_id": t.task_id, "station_id": t.station_id, "amendment": t.amendment, "attempt": t.attempt}


def _task_payload(t: CountTask | NewTask) -> dict[str, Any]:
    return {"station_id": t.station_id, "contest_ids": list(t.contest_ids), "board_id": t.board_id,
            "purpose": TaskPurpose(t.purpose).value, "audit_id": t.audit_id, "round": t.round,
            "complaint_id": t.complaint_id}


def create_tasks(conn: Connection, actor: Actor, new: Sequence[NewTask]) -> list[int]:
    """Add count tasks inside the caller's writing() transaction; logs "count.assigned" per task. A station
    may be given again (to another board, when the room re-assigns it): the newest task counts, and the older
    one takes no more entries or signatures."""
    ids = []
    for t in new:
        if not t.station_id:
            raise WorkflowError("a count task names a station")
        if not t.contest_ids or len(set(t.contest_ids)) != len(t.contest_ids):
            raise WorkflowError(f"the task for station {t.station_id} must name its contests, each once "
                                f"(got {', '.join(t.contest_ids) or 'none'})")
        task_id = int(conn.execute(insert(count_tasks).values(
            purpose=TaskPurpose(t.purpose).value, station_id=t.station_id,
            contest_ids=json.dumps(list(t.contest_ids)), board_id=t.board_id, audit_id=t.audit_id,
            round=t.round, complaint_id=t.complaint_id, created=now(), state=TaskState.OPEN.value,
            amendment=0, attempt=1)).inserted_primary_key[0])
        append(conn, actor=actor.name, role=actor.role_name, event="count.assigned",
               payload={"task_id": task_id, **_task_payload(t)})
        ids.append(task_id)
    return ids


def tasks(engine: Engine, *, audit_id: int | None = None, round: int | None = None,
          board_id: int | None = None, purpose: TaskPurpose | None = None, complaint_id: int | None = None,
          state: TaskState | None = None, station_id: str | None = None) -> list[CountTask]:
    """Count tasks, oldest first, filtered by whichever arguments are given."""
    q = select(count_tasks).order_by(count_tasks.c.task_id)
    for col, value in (("audit_id", audit_id), ("round", round), ("board_id", board_id),
                       ("purpose", purpose.value if purpose is not None else None),
                       ("complaint_id", complaint_id), ("state", state.value if state is not None else None),
                       ("station_id", station_id)):
        if value is not None:
            q = q.where(count_tasks.c[col] == value)
    with engine.connect() as conn:
        return [_task(r) for r in conn.execute(q)]


def task(engine: Engine, task_id: int) -> CountTask:
    with engine.connect() as conn:
        row = conn.execute(select(count_tasks).where(count_tasks.c.task_id == task_id)).first()
    if row is None:
        raise WorkflowError(f"there is no count task {task_id}")
    return _task(row)


def _locked_task(conn: Connection, task_id: int) -> CountTask:
    """The task's row, locked until the transaction ends: entries, signatures and amendments of one task
    happen one after another, whatever the number of server processes."""
    row = conn.execute(select(count_tasks).where(count_tasks.c.task_id == task_id).with_for_update()).first()
    if row is None:
        raise WorkflowError(f"there is no count task {task_id}")
    return _task(row)


def _same_count(t: CountTask) -> tuple[Any, ...]:
    """The tasks that count what `t` counts: its station, purpose, audit round or complaint."""
    where = [count_tasks.c.station_id == t.station_id, count_tasks.c.purpose == t.purpose.value]
    for col, value in (("audit_id", t.audit_id), ("round", t.round), ("complaint_id", t.complaint_id)):
        c = count_tasks.c[col]
        where.append(c.is_(None) if value is None else c == value)
    return tuple(where)


def _refuse_superseded(conn: Connection, t: CountTask) -> None:
    """A station re-assigned to another board is counted by its newest task: the older one takes no entry and
    no signature (the room closes the newest task of each station)."""
    newer = conn.execute(select(count_tasks.c.task_id, count_tasks.c.board_id)
                         .where(*_same_count(t), count_tasks.c.task_id > t.task_id)
                         .order_by(count_tasks.c.task_id.desc())).first()
    if newer is not None:
        raise WorkflowError(f"{_named(t)} was re-assigned to board {newer.board_id} (count task "
                            f"{newer.task_id}); this task takes no more entries or signatures")


def superseded(engine: Engine, given: Sequence[CountTask]) -> dict[int, int]:
    """task_id -> the newer task that re-assigned its station, for those of `given` that were re-assigned."""
    stations = sorted({t.station_id for t in given})
    if not stations:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(count_tasks).where(count_tasks.c.station_id.in_(stations))
                            .order_by(count_tasks.c.task_id)).all()
    newest: dict[tuple[Any, ...], int] = {}
    for r in rows:
        newest[(r.station_id, r.purpose, r.audit_id, r.round, r.complaint_id)] = int(r.task_id)
    out = {}
    for t in given:
        n = newest.get((t.station_id, t.purpose.value, t.audit_id, t.round, t.complaint_id), t.task_id)
        if n != t.task_id:
            out[t.task_id] = n
    return out


def _own_board(actor: Actor, t: CountTask, action: str) -> None:
    """Only a member of the task's own board may enter, see or sign its counts (the object-level check)."""
    if actor.role != Role.BOARD or actor.user_id is None or actor.board_id is None:
        raise WorkflowError(f"only a member of an audit board can {action}; "
                            f"{actor.name} is {actor.role_name}")
    if actor.board_id != t.board_id:
        raise WorkflowError(f"count task {t.task_id} (station {t.station_id}) is assigned to another board; "
                            f"{actor.name} can {action} only for the tasks of their own board")


# --- sheets: checks and the canonical encoding
# ------------------------------------------------------------------

def _where(file: str | None, row: int) -> str:
    return f"{file} (row {row})" if file and row else (file or "the entry")


def check_sheets(t: CountTask, sheets: Sequence[HandCount], ballots: Mapping[str, ContestBallot],
                 file: str | None = None) -> list[CountProblem]:
    """Every problem of an entry against its task: the station, the task's contests (each once, all of them),
    the choices on each contest's ballot, the sheet totals. Rows and columns are named where the sheets came
    from a file."""
    name = file or "the entry"
    out: list[CountProblem] = []

    def add(row: int | None, column: str, rule: str, message: str) -> None:
        out.append(CountProblem(name, row or None, column, rule, message))

    seen: set[str] = set()
    for s in sheets:
        if s.station_id != t.station_id:
            add(s.row, "station_id", "entry.station",
                f"station {s.station_id} is not the station of count task {t.task_id} ({t.station_id})")
            continue
        if s.contest_id not in t.contest_ids:
            add(s.row, "contest_id", "entry.contest", f"count task {t.task_id} does not cover contest "
                f"{s.contest_id} (it covers {', '.join(t.contest_ids)})")
            continue
        if s.contest_id in seen:
            add(s.row, "contest_id", "entry.duplicate", f"contest {s.contest_id} is entered twice")
            continue
        seen.add(s.contest_id)
        if s.reads:
            add(s.row, "ballot", "entry.ballot", "a board's entry counts the whole sheet, not single ballots")
        ballot = ballots.get(s.contest_id)
        if ballot is None:
            add(s.row, "contest_id", "entry.contest",
                f"contest {s.contest_id} is not in the election package")
            continue
        if s.missing:
            if s.votes or any(getattr(s, f) is not None for f in TOTALS):
                add(s.row, "status", "entry.missing",
                    f"contest {s.contest_id} is entered both as missing and as counted")
            continue
        keys = ballot.keys
        for choice, n in s.votes.items():
            row = s.choice_rows.get(choice, s.row)
            what = f"{'candidate' if choice[0] else 'list'} {choice[0] or choice[1]!r}"
            if choice not in keys:
                add(row, "candidate_id" if choice[0] else "list_id", "entry.not-on-ballot",
                    f"{what} is not on the ballot of contest {s.contest_id}")
            elif not isinstance(n, int) or isinstance(n, bool) or n < 0:
                add(row, "votes", "entry.count", f"votes for {what} must be a whole number >= 0, got {n!r}")
        for f in TOTALS:
            v = getattr(s, f)
            if v is None:
                add(s.row, f, "entry.totals", f"contest {s.contest_id}: {f} is not entered (a counted sheet "
                    "has ballots cast, invalid and blank; materials not found are entered as missing)")
            elif not isinstance(v, int) or isinstance(v, bool) or v < 0:
                add(s.row, f, "entry.count",
                    f"contest {s.contest_id}: {f} must be a whole number >= 0, got {v!r}")
    entered = {s.contest_id for s in sheets if s.station_id == t.station_id}
    for cid in t.contest_ids:
        if cid not in entered:
            add(None, "contest_id", "entry.incomplete", f"contest {cid} of station {t.station_id} is not "
                "entered (enter its counts, or mark its materials missing)")
    return out


def _canonical(t: CountTask, sheets: Sequence[HandCount], ballots: Mapping[str, ContestBallot]) -> list[dict]:
    """An entry as plain JSON in the task's contest order, with every choice of the ballot (0 where not
    given), so that two equal counts encode to the same bytes however they were entered."""
    by = {s.contest_id: s for s in sheets}
    out = []
    for cid in t.contest_ids:
        s = by[cid]
        if s.missing:
            out.append({"contest_id": cid, "missing": True})
            continue
        votes = [[c[0], c[1], int(s.votes.get(c, 0))] for c in sorted(ballots[cid].keys)]
        out.append({"contest_id": cid, "missing": False, "ballots_cast": s.ballots_cast, "invalid": s.invalid,
                    "blank": s.blank, "votes": votes})
    return out


def _encode(doc: list[dict]) -> tuple[str, str]:
    text = canonical_json({"sheets": doc}).decode("utf-8")
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sheets(station_id: str, text: str, recording_id: int = 0) -> tuple[HandCount, ...]:
    out = []
    for s in json.loads(text)["sheets"]:
        if s["missing"]:
            out.append(HandCount(station_id, s["contest_id"], True, recording_id=recording_id))
        else:
            votes = MappingProxyType({(c, lst): n for c, lst, n in s["votes"]})
            out.append(HandCount(station_id, s["contest_id"], False, s["ballots_cast"], s["invalid"],
                                 s["blank"], votes, recording_id=recording_id))
    return tuple(out)


def _differences(a: str, b: str) -> tuple[Difference, ...]:
    sa = {s["contest_id"]: s for s in json.loads(a)["sheets"]}
    sb = {s["contest_id"]: s for s in json.loads(b)["sheets"]}
    out = []
    for cid in sa:
        x, y = sa[cid], sb[cid]
        if x["missing"] != y["missing"]:
            out.append(Difference(cid, ("missing",), ()))
            continue
        if x["missing"]:
            continue
        fields = tuple(f for f in TOTALS if x[f] != y[f])
        vx = {(c, lst): n for c, lst, n in x["votes"]}
        vy = {(c, lst): n for c, lst, n in y["votes"]}
        choices = tuple(sorted(k for k in vx.keys() | vy.keys() if vx.get(k, 0) != vy.get(k, 0)))
        if fields or choices:
            out.append(Difference(cid, fields, choices))
    return tuple(out)


# --- entering, signing, amending ----------------------------------------------------------------------------

def enter_count(engine: Engine, actor: Actor, task_id: int, sheets: Sequence[HandCount], *,
                ballots: Mapping[str, ContestBallot], file: str | None = None) -> EntryOutcome:
    """A board member's entry of one task's counts (every contest of the station), in one transaction. When
    both members have entered the attempt, the entries are compared: equal -> AGREED ("count.agreed");
    different -> MISMATCH ("count.mismatch", naming what differs, not the numbers) and the next attempt opens
    for both. WorkflowError (EntryFileError for problems of the sheets) when refused; nothing is written
    then."""
    with writing(engine) as conn:
        t = _locked_task(conn, task_id)
        _own_board(actor, t, "enter hand counts")
        _refuse_superseded(conn, t)
        if t.state == TaskState.SIGNED:
            raise WorkflowError(f"{_named(t)} is signed off and read-only; a correction is an amendment")
        if t.state == TaskState.AGREED:
            raise WorkflowError(f"{_named(t)}: both entries agree; it waits for the members' signatures, not "
                                "for another entry")
        problems = check_sheets(t, sheets, ballots, file)
        if problems:
            raise EntryFileError(problems)
        text, digest = _encode(_canonical(t, sheets, ballots))
        current = (count_entries.c.task_id == t.task_id, count_entries.c.amendment == t.amendment,
                   count_entries.c.attempt == t.attempt)
        others = conn.execute(select(count_entries.c.user_id, count_entries.c.member, count_entries.c.sheets)
                              .where(*current)).all()
        if any(r.user_id == actor.user_id for r in others):
            raise WorkflowError(f"{actor.name} has already entered attempt {t.attempt} of {_named(t)}; an "
                                "entry is never changed")
        if len(others) >= 2:
            raise WorkflowError(f"attempt {t.attempt} of {_named(t)} already has the entries of two members")
        try:  # the unique key settles a double submit, should one ever race past the check above
            conn.execute(insert(count_entries).values(
                task_id=t.task_id, amendment=t.amendment, attempt=t.attempt, user_id=actor.user_id,
                member=actor.name, entered=now(), sheets=text, sha256=digest))
        except IntegrityError:
            raise WorkflowError(f"{actor.name} has already entered attempt {t.attempt} of {_named(t)}; an "
                                "entry is never changed") from None
        base = _base(t)
        # no hash of the entry here: counts are small numbers, and a hash of them could be guessed back
        append(conn, actor=actor.name, role=actor.role_name, event="count.entered",
               payload={**base, "member": actor.name})
        if not others:
            return EntryOutcome(t.task_id, t.amendment, t.attempt, t.state, True)
        other = others[0]
        diffs = _differences(other.sheets, text)
        if not diffs:
            conn.execute(update(count_tasks).where(count_tasks.c.task_id == t.task_id)
                         .values(state=TaskState.AGREED.value))
            append(conn, actor=actor.name, role=actor.role_name, event="count.agreed",
                   payload={**base, "members": sorted([other.member, actor.name]), "sha256": digest})
            return EntryOutcome(t.task_id, t.amendment, t.attempt, TaskState.AGREED, False)
        conn.execute(update(count_tasks).where(count_tasks.c.task_id == t.task_id)
                     .values(state=TaskState.MISMATCH.value, attempt=t.attempt + 1))
        append(conn, actor=actor.name, role=actor.role_name, event="count.mismatch",
               payload={**base, "members": sorted([other.member, actor.name]), "next_attempt": t.attempt + 1,
                        "differences": [d.as_json() for d in diffs]})
        return EntryOutcome(t.task_id, t.amendment, t.attempt, TaskState.MISMATCH, False, diffs)


def entries_from_csv(engine: Engine, actor: Actor, task_id: int, content: bytes | Path,
                     name: str | None = None, *, ballots: Mapping[str, ContestBallot]) -> EntryOutcome:
    """A member's entry uploaded as a hand-count CSV (the format of `tallycheck audit record`). Every problem
    names the file, row, column and rule (EntryFileError); nothing is written unless every row is right."""
    if isinstance(content, Path):
        name = name or content.name
        content = content.read_bytes()
    name = Path(name or "entry.csv").name or "entry.csv"
    with tempfile.TemporaryDirectory(prefix="tallycheck-entry-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            sheets = read_hand_counts(path)
        except HandCountFileError as e:
            raise EntryFileError(e.problems) from None
    if not sheets:
        raise EntryFileError([CountProblem(name, None, None, "entry.empty", f"{name} has no counts")])
    return enter_count(engine, actor, task_id, sheets, ballots=ballots, file=name)


def _agreed_text(conn: Connection, t: CountTask) -> tuple[str, str, list[Any]]:
    rows = conn.execute(select(count_entries).where(
        count_entries.c.task_id == t.task_id, count_entries.c.amendment == t.amendment,
        count_entries.c.attempt == t.attempt).order_by(count_entries.c.entry_id)).all()
    return rows[0].sheets, rows[0].sha256, rows


def sign_off(engine: Engine, actor: Actor, task_id: int) -> TaskState:
    """One member signs the agreed count with their own login ("count.signature"); when both members who
    entered it have signed, the task is SIGNED ("count.signed", naming both)."""
    with writing(engine) as conn:
        t = _locked_task(conn, task_id)
        _own_board(actor, t, "sign off hand counts")
        _refuse_superseded(conn, t)
        if t.state == TaskState.SIGNED:
            raise WorkflowError(f"{_named(t)} is already signed off")
        if t.state != TaskState.AGREED:
            raise WorkflowError(f"{_named(t)} cannot be signed before both members' entries agree")
        _, digest, rows = _agreed_text(conn, t)
        members = {r.user_id: r.member for r in rows}
        if actor.user_id not in members:
            raise WorkflowError(f"{actor.name} did not enter {_named(t)}; the two members who counted it "
                                "sign it")
        signed = conn.execute(select(count_signatures).where(
            count_signatures.c.task_id == t.task_id, count_signatures.c.amendment == t.amendment)).all()
        if any(s.user_id == actor.user_id for s in signed):
            raise WorkflowError(f"{actor.name} has already signed count task {t.task_id}")
        when = now()
        conn.execute(insert(count_signatures).values(task_id=t.task_id, amendment=t.amendment,
                                                     user_id=actor.user_id, member=actor.name, signed=when,
                                                     sha256=digest))
        base = {**_base(t), "sha256": digest}
        append(conn, actor=actor.name, role=actor.role_name, event="count.signature",
               payload={**base, "member": actor.name})
        if not signed:
            return TaskState.AGREED
        first = signed[0]
        conn.execute(insert(count_signoffs).values(
            task_id=t.task_id, amendment=t.amendment, attempt=t.attempt, first_user_id=first.user_id,
            first_member=first.member, second_user_id=actor.user_id, second_member=actor.name, signed=when,
            sha256=digest))
        conn.execute(update(count_tasks).where(count_tasks.c.task_id == t.task_id)
                     .values(state=TaskState.SIGNED.value))
        append(conn, actor=actor.name, role=actor.role_name, event="count.signed",
               payload={**base, "members": [first.member, actor.name]})
        return TaskState.SIGNED


def amend(engine: Engine, actor: Actor, task_id: int, reason: str) -> int:
    """Open a correction of a signed-off task: a new double-blind round of entry for both members, logged
    "count.amendment-opened" with the reason. The administrator, or a member of the task's board, may open
    one. Returns the amendment's number."""
    reason = " ".join((reason or "").split())
    with writing(engine) as conn:
        t = _locked_task(conn, task_id)
        if actor.role != Role.ADMIN:
            _own_board(actor, t, "open an amendment")
        if not reason:
            raise WorkflowError("an amendment needs its reason")
        if t.state != TaskState.SIGNED:
            raise WorkflowError(f"{_named(t)} is not signed off; until it is, the members enter or re-enter "
                                "its counts")
        number = t.amendment + 1
        conn.execute(insert(count_amendments).values(task_id=t.task_id, amendment=number, opened=now(),
                                                     actor=actor.name, role=actor.role_name, reason=reason))
        conn.execute(update(count_tasks).where(count_tasks.c.task_id == t.task_id)
                     .values(state=TaskState.OPEN.value, amendment=number, attempt=1))
        append(conn, actor=actor.name, role=actor.role_name, event="count.amendment-opened",
               payload={"task_id": t.task_id, "station_id": t.station_id, "amendment": number,
                        "reason": reason})
        return number


# --- reading ------------------------------------------------------------------------------------------------

def signed_counts(engine: Engine, task_ids: Sequence[int]) -> dict[int, tuple[HandCount, ...]]:
    """The agreed, signed-off counts of each task (one HandCount per contest), the latest signed amendment
    superseding earlier ones. A task with no sign-off yet is left out. Each HandCount's recording_id is its
    sign-off's id, which grows with every sign-off (so a newer count has a higher id)."""
    ids = sorted(set(int(i) for i in task_ids))
    if not ids:
        return {}
    with engine.connect() as conn:
        offs = conn.execute(select(count_signoffs).where(count_signoffs.c.task_id.in_(ids))
                            .order_by(count_signoffs.c.task_id, count_signoffs.c.amendment)).all()
        latest = {o.task_id: o for o in offs}  # ordered by amendment: the last one wins
        if not latest:
            return {}
        stations = dict(conn.execute(select(count_tasks.c.task_id, count_tasks.c.station_id)
                                     .where(count_tasks.c.task_id.in_(sorted(latest)))).all())
        # one read of the tasks' entries (a few per task), not one query per task: a round has hundreds
        texts: dict[int, str] = {}
        for r in conn.execute(select(count_entries.c.task_id, count_entries.c.amendment,
                                     count_entries.c.attempt, count_entries.c.sha256, count_entries.c.sheets)
                              .where(count_entries.c.task_id.in_(sorted(latest)))):
            o = latest[r.task_id]
            if (r.amendment, r.attempt, r.sha256) == (o.amendment, o.attempt, o.sha256):
                texts[int(r.task_id)] = r.sheets
    return {int(tid): _sheets(stations[tid], texts[int(tid)], int(o.signoff_id)) for tid, o in latest.items()}


def entry_view(engine: Engine, actor: Actor, task_id: int) -> EntryView:
    """What a member of the task's board may see of it. Until the attempt agrees, only their own entry of the
    current attempt: never the other member's, never the reported results."""
    with engine.connect() as conn:
        row = conn.execute(select(count_tasks).where(count_tasks.c.task_id == task_id)).first()
        if row is None:
            raise WorkflowError(f"there is no count task {task_id}")
        t = _task(row)
        _own_board(actor, t, "see the entries")
        rows = conn.execute(select(count_entries).where(
            count_entries.c.task_id == t.task_id, count_entries.c.amendment == t.amendment,
            count_entries.c.attempt == t.attempt)).all()
        sigs = conn.execute(select(count_signatures.c.member, count_signatures.c.user_id)
                            .where(count_signatures.c.task_id == t.task_id,
                                   count_signatures.c.amendment == t.amendment)
                            .order_by(count_signatures.c.signed)).all()
        history = _history(conn, t)
        newer = conn.execute(select(count_tasks.c.task_id)
                             .where(*_same_count(t), count_tasks.c.task_id > t.task_id)
                             .order_by(count_tasks.c.task_id.desc())).scalar()
    own = next((r for r in rows if r.user_id == actor.user_id), None)
    agreed = None
    if t.state in (TaskState.AGREED, TaskState.SIGNED) and rows:
        agreed = _sheets(t.station_id, rows[0].sheets)
    return EntryView(t, _sheets(t.station_id, own.sheets) if own is not None else None,
                     any(r.user_id != actor.user_id for r in rows), agreed,
                     tuple(s.member for s in sigs), any(s.user_id == actor.user_id for s in sigs), history,
                     int(newer) if newer is not None else None)


def _history(conn: Connection, t: CountTask) -> tuple[AttemptResult, ...]:
    """Every completed attempt of the task and where its entries differed (never their numbers)."""
    rows = conn.execute(select(count_entries.c.amendment, count_entries.c.attempt, count_entries.c.sheets)
                        .where(count_entries.c.task_id == t.task_id)
                        .order_by(count_entries.c.amendment, count_entries.c.attempt,
                                  count_entries.c.entry_id)).all()
    by: dict[tuple[int, int], list[str]] = {}
    for r in rows:
        by.setdefault((r.amendment, r.attempt), []).append(r.sheets)
    return tuple(AttemptResult(a, n, _differences(*texts)) for (a, n), texts in sorted(by.items())
                 if len(texts) == 2)


def amendments(engine: Engine, task_id: int) -> list[dict[str, Any]]:
    """The corrections opened on a task: number, when, by whom, why."""
    with engine.connect() as conn:
        rows = conn.execute(select(count_amendments).where(count_amendments.c.task_id == task_id)
                            .order_by(count_amendments.c.amendment)).all()
    return [{"amendment": r.amendment, "opened": r.opened, "actor": r.actor, "role": r.role,
             "reason": r.reason} for r in rows]


def entry_counts(engine: Engine, task_ids: Collection[int] | None = None) -> dict[int, int]:
    """How many entries each task has, over all its attempts and amendments (for progress pages and load
    tests)."""
    q = select(count_entries.c.task_id, func.count()).group_by(count_entries.c.task_id)
    if task_ids is not None:
        q = q.where(count_entries.c.task_id.in_(sorted(task_ids)))
    with engine.connect() as conn:
        return {int(k): int(v) for k, v in conn.execute(q).all()}
