"""The complaints page and the audit page, with the administrator's and the party agents' actions on them.

Every POST is a plain same-origin form: success answers 303 back to the page; a refusal is logged
(`log_refusal`) and the page is shown again with the error, the form as typed, and 400 (404 for an unknown
complaint).
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..workflow import audit_room
from ..workflow.audits import WorkflowError
from ..workflow.complaints import complaints, decide, file_complaint, recount_orders
from ..workflow.event_log import head, log_refusal
from ..workflow.roles import Actor, Role
from .auth import PUBLIC, allow
from .templating import render

router = APIRouter()

ADMIN = allow(Role.ADMIN)


def _room(request: Request) -> Any:
    return request.app.state.room


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _refused(request: Request, actor: Actor, action: str, exc: WorkflowError) -> None:
    log_refusal(_room(request).engine, actor=actor.name, role=actor.role_name, action=action, reason=str(exc))


def _status(exc: WorkflowError) -> int:
    return 404 if str(exc).startswith("there is no complaint") else 400


# -- complaints ----------------------------------------------------------------------------------------------

def _complaints_page(request: Request, *, error: str | None = None, status_code: int = 200,
                     form: dict[str, str] | None = None, failed: int | None = None) -> Response:
    engine = _room(request).engine
    orders = {o.complaint_id: o for o in recount_orders(engine)}
    return render(request, "complaints.html", status_code=status_code, complaints=complaints(engine),
                  orders=orders, boards=audit_room.audit_boards(engine), error=error, failed=failed,
                  form=form or {})


@router.get("/complaints")
def complaints_page(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> Response:
    return _complaints_page(request)


@router.post("/complaints")
def complaint_file(request: Request, stations: str = Form(""), grounds: str = Form(""), party: str = Form(""),
                   actor: Actor = Depends(allow(Role.AGENT))) -> Response:
    room = _room(request)
    try:
        cid = file_complaint(room.engine, actor, stations, grounds, party, store=room.store)
    except WorkflowError as exc:
        _refused(request, actor, "file complaint", exc)
        return _complaints_page(request, error=str(exc), status_code=400,
                                form={"stations": stations, "grounds": grounds, "party": party})
    return _see_other(f"/complaints#complaint-{cid}")


@router.post("/complaints/{complaint_id}/decide")
def complaint_decide(request: Request, complaint_id: int, decision: str = Form(""), reasons: str = Form(""),
                     actor: Actor = Depends(ADMIN)) -> Response:
    try:
        if decision not in ("accept", "reject"):
            raise WorkflowError(f"choose accept or reject for complaint {complaint_id} (field decision)")
        decide(_room(request).engine, actor, complaint_id, decision == "accept", reasons)
    except WorkflowError as exc:
        _refused(request, actor, f"decide complaint {complaint_id}", exc)
        return _complaints_page(request, error=str(exc), status_code=_status(exc), failed=complaint_id,
                                form={"reasons": reasons})
    return _see_other(f"/complaints#complaint-{complaint_id}")


def _board_ids(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values if v.strip()]
    except ValueError:
        raise WorkflowError("boards are chosen from the list (field boards)") from None


@router.post("/complaints/{complaint_id}/assign")
def complaint_assign(request: Request, complaint_id: int, boards: list[str] = Form([]),
                     actor: Actor = Depends(ADMIN)) -> Response:
    room = _room(request)
    try:
        audit_room.assign_recount(room.engine, room.store, actor, complaint_id, _board_ids(boards))
    except WorkflowError as exc:
        _refused(request, actor, f"assign recount of complaint {complaint_id}", exc)
        return _complaints_page(request, error=str(exc), status_code=_status(exc), failed=complaint_id)
    return _see_other(f"/complaints#complaint-{complaint_id}")


@router.post("/complaints/{complaint_id}/certify")
def complaint_certify(request: Request, complaint_id: int, actor: Actor = Depends(ADMIN)) -> Response:
    room = _room(request)
    try:
        audit_room.certify_recount(room.engine, room.store, actor, complaint_id)
    except WorkflowError as exc:
        _refused(request, actor, f"certify recount of complaint {complaint_id}", exc)
        return _complaints_page(request, error=str(exc), status_code=_status(exc), failed=complaint_id)
    return _see_other(f"/complaints#complaint-{complaint_id}")


# -- the audit -----------------------------------------------------------------------------------------------

def risk_figure(progress: audit_room.AuditProgress) -> dict[str, Any]:
    """Each contest's risk after each closed round (log scale: risks fall by orders of magnitude), with the
    risk limit as a dashed line."""
    rounds = max((len(c.risks) for c in progress.contests), default=0)
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines+markers", "name": c.contest_id, "x": list(range(1, len(c.risks) + 1)),
         "y": [max(r, 1e-6) for r in c.risks], "hovertemplate": f"{c.name}<br>%{{y:.4f}}<extra></extra>"}
        for c in progress.contests if c.risks]
    if rounds:
        limit = float(progress.risk_limit)
        data.append({"type": "scatter", "mode": "lines", "name": f"risk limit {progress.risk_limit}",
                     "x": [0.5, rounds + 0.5], "y": [limit, limit], "line": {"dash": "dash", "color": "#444"},
                     "hoverinfo": "skip"})
    return {"data": data, "layout": {
        "xaxis": {"title": {"text": "round"}, "dtick": 1}, "yaxis": {"title": {"text": "risk"}, "type": "log"},
        "margin": {"t": 20, "r": 10}, "height": 360, "showlegend": len(data) <= 30}}


_progress_lock = threading.Lock()


def _progress(request: Request) -> Any:
    """The audit's progress, recomputed only when the workflow changed: every change appends to the event log in
    its own transaction, so the log head (with the latest results version) names the state exactly. Reading an
    Iraq-sized audit takes seconds; the page is read far more often than anything changes."""
    room = _room(request)
    versions = room.store.versions()
    key = (head(room.engine), versions[-1].snapshot_sha256 if versions else "")
    state = request.app.state
    with _progress_lock:
        cached = getattr(state, "audit_progress", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        progress = audit_room.audit_progress(room.engine, room.store)
        state.audit_progress = (key, progress)
        return progress


def _audit_page(request: Request, *, error: str | None = None, status_code: int = 200,
                form: dict[str, str] | None = None) -> Response:
    room = _room(request)
    try:
        progress = _progress(request)
    except WorkflowError as exc:  # e.g. the audited version's snapshot no longer matches
        progress, error = None, error or str(exc)
    summary: dict[str, int] = {}
    if progress is not None:
        for c in progress.contests:
            summary[c.state] = summary.get(c.state, 0) + 1
    return render(request, "audit.html", status_code=status_code, progress=progress, summary=summary,
                  figure=risk_figure(progress) if progress is not None else None,
                  boards=audit_room.audit_boards(room.engine), error=error, form=form or {},
                  designs=("batch-comparison",),
                  risk_functions=("", "kaplan-markov", "alpha", "betting", "bravo"))


@router.get("/audit")
def audit_page(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> Response:
    return _audit_page(request)


@router.post("/audit/plan")
def audit_plan(request: Request, risk_limit: str = Form(""), design: str = Form("batch-comparison"),
               risk_function: str = Form(""), replace: str = Form(""),
               actor: Actor = Depends(ADMIN)) -> Response:
    room = _room(request)
    try:
        audit_room.plan_audit(room.engine, room.store, actor, risk_limit, design, risk_function or None,
                              replace_planned=bool(replace))
    except WorkflowError as exc:
        _refused(request, actor, "plan audit", exc)
        return _audit_page(request, error=str(exc), status_code=400,
                           form={"risk_limit": risk_limit, "design": design, "risk_function": risk_function})
    return _see_other("/audit")


@router.post("/audit/publish")
def audit_publish(request: Request, actor: Actor = Depends(ADMIN)) -> Response:
    try:
        audit_room.publish_snapshot(_room(request).engine, actor)
    except WorkflowError as exc:
        _refused(request, actor, "publish snapshot", exc)
        return _audit_page(request, error=str(exc), status_code=400)
    return _see_other("/audit#publication")


@router.post("/audit/seed")
def audit_seed(request: Request, dice: str = Form(""), witnesses: str = Form(""),
               actor: Actor = Depends(ADMIN)) -> Response:
    room = _room(request)
    try:
        audit_room.enter_seed(room.engine, room.store, actor, dice, witnesses)
    except WorkflowError as exc:
        _refused(request, actor, "enter seed", exc)
        return _audit_page(request, error=str(exc), status_code=400, form={"dice": dice, "witnesses": witnesses})
    return _see_other("/audit#ceremony")


@router.post("/audit/assign")
def audit_assign(request: Request, boards: list[str] = Form([]), actor: Actor = Depends(ADMIN)) -> Response:
    room = _room(request)
    try:
        audit_room.assign(room.engine, actor, _board_ids(boards), store=room.store)
    except WorkflowError as exc:
        _refused(request, actor, "assign stations", exc)
        return _audit_page(request, error=str(exc), status_code=400)
    return _see_other("/audit#sample")


@router.post("/audit/close-round")
def audit_close_round(request: Request, actor: Actor = Depends(ADMIN)) -> Response:
    room = _room(request)
    try:
        audit_room.close_round(room.engine, room.store, actor)
    except WorkflowError as exc:
        _refused(request, actor, "close round", exc)
        return _audit_page(request, error=str(exc), status_code=400)
    return _see_other("/audit#progress")
