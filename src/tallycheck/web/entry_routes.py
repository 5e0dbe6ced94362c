"""The audit board's pages: my board's count tasks, the blank tally form of a task (or my own entry of it),
entry by form or by CSV upload, sign-off, and amendments after sign-off (workflow/count_tasks.py does the
work).

A board member sees only their own board's tasks (the object-level check, refused and logged otherwise) and,
until both entries of an attempt agree, only their own entry: never the other member's, never the reported
results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow.parquet as pq
from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..audit.hand_count import HandCount
from ..evidence import StoreError
from ..ingest.counts import parse_count
from ..workflow import count_tasks as ct
from ..workflow.audits import WorkflowError
from ..workflow.event_log import log_refusal
from ..workflow.roles import Actor, Role
from .auth import allow
from .templating import error_response, render, translate

router = APIRouter()

MAX_ENTRY_CSV_BYTES = 1024 * 1024  # a station's hand count is a few kB; a megabyte is a wrong file


def _room(request: Request) -> Any:
    return request.app.state.room


# The ballots of a results version, read once per version (contests, candidates and lists only: a server never
# needs the millions of result rows to draw a tally form).
_ballot_cache: dict[tuple[str, str], tuple[Any, Any, Any]] = {}


def _ballots(request: Request, contest_ids: tuple[str, ...]) -> dict[str, ct.ContestBallot]:
    store = _room(request).store
    try:
        version = store.resolve(None)
    except StoreError:
        return {}
    key = (str(store.root), version.snapshot_sha256)
    tables = _ballot_cache.get(key)
    if tables is None:
        tables = tuple(pq.read_table(store.parquet_path(name, version.name)) for name in
                       ("contests", "candidates", "lists"))
        _ballot_cache.clear()  # one version at a time: a newer version replaces the older
        _ballot_cache[key] = tables
    return ct.ballots_from_tables(*tables, contest_ids)


def _refuse(request: Request, actor: Actor, action: str, error: WorkflowError,
            task: ct.CountTask | None) -> None:
    log_refusal(_room(request).engine, actor=actor.name, role=actor.role_name, action=action,
                reason=str(error),
                payload={"task_id": task.task_id, "station_id": task.station_id} if task else None)


def _task_or_refuse(request: Request, actor: Actor, task_id: int, action: str) -> ct.CountTask | Response:
    """The task if it is one of the actor's board's; otherwise the refusal, logged (404 for no such task, 403
    for another board's: its station is public, its entries are not)."""
    engine = _room(request).engine
    try:
        t = ct.task(engine, task_id)
    except WorkflowError as e:
        _refuse(request, actor, action, e, None)
        return error_response(request, 404, str(e))
    if actor.role == Role.BOARD and actor.board_id != t.board_id:
        e = WorkflowError(f"count task {t.task_id} (station {t.station_id}) is assigned to another board; "
                          f"{actor.name} can act only on the tasks of their own board")
        _refuse(request, actor, action, e, t)
        return error_response(request, 403, str(e))
    return t


@dataclass(frozen=True, slots=True)
class FormSheet:
    """One contest of the tally form as the member filled it in (text, so a wrong value is shown back)."""

    ballot: ct.ContestBallot
    index: int
    missing: bool
    totals: Mapping[str, str]
    votes: Mapping[int, str]


def _blank_form(ballots: Mapping[str, ct.ContestBallot], t: ct.CountTask) -> list[FormSheet]:
    return [FormSheet(ballots[cid], i, False, {f: "" for f in ct.TOTALS}, {})
            for i, cid in enumerate(t.contest_ids) if cid in ballots]


def _task_page(request: Request, actor: Actor, t: ct.CountTask, *, status_code: int = 200,
               error: str | None = None, problems: list[str] | None = None,
               form: list[FormSheet] | None = None) -> Response:
    view = ct.entry_view(_room(request).engine, actor, t.task_id)
    ballots = _ballots(request, view.task.contest_ids)
    names = {cid: {c.key: c for c in b.choices} for cid, b in ballots.items()}
    can_enter = (view.task.state in (ct.TaskState.OPEN, ct.TaskState.MISMATCH) and view.own is None
                 and view.superseded_by is None)
    return render(request, "board_task.html", status_code=status_code, view=view, task=view.task,
                  ballots=ballots, names=names, can_enter=can_enter,
                  form=form or _blank_form(ballots, view.task), error=error, problems=problems or [],
                  max_upload_kib=MAX_ENTRY_CSV_BYTES // 1024, totals=ct.TOTALS)


@router.get("/board")
def board_page(request: Request, actor: Actor = Depends(allow(Role.BOARD))) -> Response:
    engine = _room(request).engine
    mine = ct.tasks(engine, board_id=actor.board_id) if actor.board_id is not None else []
    moved = ct.superseded(engine, mine)  # re-assigned to another board: done, as far as this board goes
    waiting = {ct.TaskState.OPEN, ct.TaskState.MISMATCH, ct.TaskState.AGREED}
    return render(request, "board.html", tasks=mine, moved=moved,
                  open_tasks=[t for t in mine if t.state in waiting and t.task_id not in moved],
                  done_tasks=[t for t in mine if t.state not in waiting or t.task_id in moved])


@router.get("/board/tasks/{task_id}")
def task_page(request: Request, task_id: int, actor: Actor = Depends(allow(Role.BOARD))) -> Response:
    got = _task_or_refuse(request, actor, task_id, "count.view")
    if isinstance(got, Response):
        return got
    return _task_page(request, actor, got)


def _read_form(form: Mapping[str, Any], ballots: Mapping[str, ct.ContestBallot], t: ct.CountTask,
               request: Request) -> tuple[list[FormSheet], list[HandCount], list[str]]:
    """The form's sheets as the member typed them, the counts they make, and every value that is not a count
    (named by contest, choice and field). An empty vote box counts 0; the sheet totals must be given."""
    shown: list[FormSheet] = []
    sheets: list[HandCount] = []
    problems: list[str] = []
    msg_number = translate(request,
                           "%(contest)s, %(field)s: expected a whole number (0 or more), got %(value)s")
    msg_total = translate(request, "%(contest)s, %(field)s: enter the number (0 if none)")
    labels = {"ballots_cast": translate(request, "Ballots cast"),
              "invalid": translate(request, "Invalid ballots"), "blank": translate(request, "Blank ballots")}
    for i, cid in enumerate(t.contest_ids):
        ballot = ballots.get(cid)
        if ballot is None:
            continue
        prefix = f"s{i}"
        missing = form.get(f"{prefix}_missing") == "on"
        totals = {f: str(form.get(f"{prefix}_{f}", "")).strip() for f in ct.TOTALS}
        votes = {j: str(form.get(f"{prefix}_v{j}", "")).strip() for j in range(len(ballot.choices))}
        shown.append(FormSheet(ballot, i, missing, MappingProxyType(totals), MappingProxyType(votes)))
        if missing:
            sheets.append(HandCount(t.station_id, cid, True))
            continue
        where = f"{ballot.name} ({cid})"
        numbers: dict[str, int | None] = {}
        for f, text in totals.items():
            if not text:
                problems.append(msg_total % {"contest": where, "field": labels[f]})
                numbers[f] = None
                continue
            numbers[f] = parse_count(text)
            if numbers[f] is None:
                problems.append(msg_number % {"contest": where, "field": labels[f], "value": repr(text)})
        counted: dict[tuple[str, str], int] = {}
        for j, text in votes.items():
            choice = ballot.choices[j]
            n = parse_count(text) if text else 0
            if n is None:
                problems.append(msg_number % {"contest": where, "field": choice.name, "value": repr(text)})
                continue
            counted[choice.key] = n
        sheets.append(HandCount(t.station_id, cid, False, numbers.get("ballots_cast"), numbers.get("invalid"),
                                numbers.get("blank"), MappingProxyType(counted)))
    return shown, sheets, problems


def _entered(request: Request, actor: Actor, t: ct.CountTask, call: Any, form: list[FormSheet] | None
             ) -> Response:
    """Run an entry (form or file); on refusal log it and show the task again with every problem."""
    try:
        call()
    except ct.EntryFileError as e:
        _refuse(request, actor, "count.enter", e, t)
        return _task_page(request, actor, t, status_code=422, error=translate(request, "Nothing was saved."),
                          problems=[str(p) for p in e.problems], form=form)
    except WorkflowError as e:
        _refuse(request, actor, "count.enter", e, t)
        return _task_page(request, actor, t, status_code=409, error=str(e), form=form)
    return RedirectResponse(f"/board/tasks/{t.task_id}", status_code=303)


@router.post("/board/tasks/{task_id}/entry")
async def enter_page(request: Request, task_id: int, actor: Actor = Depends(allow(Role.BOARD))) -> Response:
    got = await run_in_threadpool(_task_or_refuse, request, actor, task_id, "count.enter")
    if isinstance(got, Response):
        return got
    t = got
    form = await request.form()
    ballots = await run_in_threadpool(_ballots, request, t.contest_ids)
    shown, sheets, problems = _read_form(form, ballots, t, request)
    if problems:
        await run_in_threadpool(_refuse, request, actor, "count.enter", WorkflowError("; ".join(problems)), t)
        return await run_in_threadpool(lambda: _task_page(
            request, actor, t, status_code=422, error=translate(request, "Nothing was saved."),
            problems=problems, form=shown))
    engine = _room(request).engine
    return await run_in_threadpool(
        _entered, request, actor, t,
        lambda: ct.enter_count(engine, actor, t.task_id, sheets, ballots=ballots), shown)


@router.post("/board/tasks/{task_id}/upload")
async def upload_page(request: Request, task_id: int, file: UploadFile,
                      actor: Actor = Depends(allow(Role.BOARD))) -> Response:
    got = await run_in_threadpool(_task_or_refuse, request, actor, task_id, "count.upload")
    if isinstance(got, Response):
        return got
    t = got
    content = await file.read(MAX_ENTRY_CSV_BYTES + 1)
    name = Path(file.filename or "entry.csv").name or "entry.csv"
    if len(content) > MAX_ENTRY_CSV_BYTES:
        message = translate(request, "%(name)s is larger than %(kib)s KiB: a station's hand count is a "
                                     "few kB; check that it is the right file.")
        e = WorkflowError(message % {"name": name, "kib": MAX_ENTRY_CSV_BYTES // 1024})
        await run_in_threadpool(_refuse, request, actor, "count.upload", e, t)
        return await run_in_threadpool(lambda: _task_page(request, actor, t, status_code=413, error=str(e)))
    ballots = await run_in_threadpool(_ballots, request, t.contest_ids)
    engine = _room(request).engine
    return await run_in_threadpool(
        _entered, request, actor, t,
        lambda: ct.entries_from_csv(engine, actor, t.task_id, content, name, ballots=ballots), None)


@router.post("/board/tasks/{task_id}/sign")
def sign_page(request: Request, task_id: int, actor: Actor = Depends(allow(Role.BOARD))) -> Response:
    got = _task_or_refuse(request, actor, task_id, "count.sign")
    if isinstance(got, Response):
        return got
    try:
        ct.sign_off(_room(request).engine, actor, got.task_id)
    except WorkflowError as e:
        _refuse(request, actor, "count.sign", e, got)
        return _task_page(request, actor, got, status_code=409, error=str(e))
    return RedirectResponse(f"/board/tasks/{got.task_id}", status_code=303)


def _local(target: str | None, default: str) -> str:
    """Only a path on this site (no open redirect to //elsewhere)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@router.post("/board/tasks/{task_id}/amend")
def amend_page(request: Request, task_id: int, reason: str = Form(""), next: str = Form(""),
               actor: Actor = Depends(allow(Role.ADMIN, Role.BOARD))) -> Response:
    got = _task_or_refuse(request, actor, task_id, "count.amend")
    if isinstance(got, Response):
        return got
    back = f"/board/tasks/{got.task_id}" if actor.role == Role.BOARD else _local(next, "/audit")
    try:
        ct.amend(_room(request).engine, actor, got.task_id, reason)
    except WorkflowError as e:
        _refuse(request, actor, "count.amend", e, got)
        if actor.role == Role.BOARD:
            return _task_page(request, actor, got, status_code=409, error=str(e))
        return error_response(request, 409, str(e))
    return RedirectResponse(back, status_code=303)
