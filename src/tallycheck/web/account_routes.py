"""Login, logout, TOTP enrolment, one's sessions, and the administrator's accounts page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..workflow import accounts
from ..workflow.audits import WorkflowError
from ..workflow.roles import ACCOUNT_ROLES, Actor, Role
from .auth import PUBLIC, SIGNED_IN, allow, session_cookie_name
from .templating import render, translate

router = APIRouter()

# What the login page says for each refusal, in the visitor's language (the log keeps the English reason).
LOGIN_MESSAGES = {
    accounts.LoginRefusal.WRONG: "Wrong account name or password.",
    accounts.LoginRefusal.LOCKED: "This account is locked after %(failures)s failed logins until %(until)s "
                                  "UTC: wait, or ask an administrator for a new password.",
    accounts.LoginRefusal.RATE_LIMITED: "Too many failed logins from this address: try again in %(minutes)s "
                                        "minutes.",
    accounts.LoginRefusal.CODE_NEEDED: "An administrator's login needs the 6-digit code from the "
                                       "authenticator app.",
    accounts.LoginRefusal.WRONG_CODE: "Wrong or already used authenticator code.",
}


def _login_message(request: Request, result: accounts.LoginResult) -> str:
    if result.refusal is None:
        return result.reason
    return translate(request, LOGIN_MESSAGES[result.refusal]) % {
        "failures": accounts.MAX_FAILURES, "until": (result.locked_until or "")[:16].replace("T", " "),
        "minutes": int(accounts.ADDRESS_WINDOW.total_seconds() // 60)}


def _room(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.room


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _token(request: Request) -> str | None:
    return request.cookies.get(session_cookie_name(_room(request).secure_cookies))


def _local(target: str | None) -> str:
    """Only a path on this site is a place to go after login (no open redirect to //evil.example)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _set_session(request: Request, response: Response, token: str) -> None:
    # No Max-Age: the browser forgets it when closed; the server ends it after 1 h idle or 8 h in any case.
    response.set_cookie(session_cookie_name(_room(request).secure_cookies), token, path="/", httponly=True,
                        secure=_room(request).secure_cookies, samesite="strict")


@router.get("/login")
def login_page(request: Request, next: str = "/", actor: Actor = Depends(allow(*PUBLIC))) -> Response:
    return render(request, "login.html", next=_local(next), error=None, name="")


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""), code: str = Form(""),
          next: str = Form("/"), actor: Actor = Depends(allow(*PUBLIC))) -> Response:
    room = _room(request)
    result = accounts.authenticate(room.engine, name.strip(), password, code or None, _address(request))
    if not result.ok:  # 401/403 are the guards' answers; a refused login form is a 400 (429 when throttled)
        status = 429 if result.refusal is accounts.LoginRefusal.RATE_LIMITED else 400
        return render(request, "login.html", status_code=status, next=_local(next),
                      error=_login_message(request, result),
                      name=name.strip())
    assert result.user_id is not None
    old = _token(request)
    if old:
        accounts.end_session(room.engine, old)  # a new login never reuses a session (ASVS 3.2.1)
    token = accounts.start_session(room.engine, result.user_id, totp_passed=not result.enrol_totp,
                                   user_agent=request.headers.get("user-agent", ""),
                                   address=_address(request))
    response = _see_other("/totp/enrol" if result.enrol_totp else _local(next))
    _set_session(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> Response:
    token = _token(request)
    if token:
        accounts.end_session(_room(request).engine, token)
    response = _see_other("/")
    room = _room(request)
    response.delete_cookie(session_cookie_name(room.secure_cookies), path="/", secure=room.secure_cookies,
                           httponly=True, samesite="strict")
    return response


def _pending(request: Request) -> int | None:
    token = _token(request)
    return accounts.pending_enrolment(_room(request).engine, token) if token else None


@router.get("/totp/enrol")
def totp_enrol_page(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> Response:
    user_id = _pending(request)
    if user_id is None:  # nothing to enrol: not half-way through an administrator's first login
        return _see_other("/" if actor.role is not Role.ANONYMOUS else "/login")
    secret, uri = accounts.totp_secret_for_enrolment(_room(request).engine, user_id)
    return render(request, "totp_enrol.html", secret=secret, uri=uri, error=None)


@router.post("/totp/enrol")
def totp_enrol(request: Request, code: str = Form(""), actor: Actor = Depends(allow(*PUBLIC))) -> Response:
    room = _room(request)
    user_id = _pending(request)
    token = _token(request)
    if user_id is None or token is None:
        return _see_other("/" if actor.role is not Role.ANONYMOUS else "/login")
    try:
        accounts.finish_totp_enrolment(room.engine, token, code)
    except WorkflowError as exc:
        user = accounts.find_user(room.engine, user_id)
        accounts.refuse(room.engine, Actor(user.name, user.role, user.user_id) if user else actor,
                        "totp enrolment", exc)
        secret, uri = accounts.totp_secret_for_enrolment(room.engine, user_id)
        return render(request, "totp_enrol.html", status_code=400, secret=secret, uri=uri, error=str(exc))
    return _see_other("/")


def _sessions_page(request: Request, actor: Actor, *, error: str | None = None, status_code: int = 200
                   ) -> Response:
    room = _room(request)
    everyone = actor.role is Role.ADMIN
    listed = accounts.list_sessions(room.engine, user_id=None if everyone else actor.user_id)
    token = _token(request)
    current = accounts.session_id(accounts.token_sha256(token)) if token else None
    return render(request, "sessions.html", status_code=status_code, sessions=listed, current=current,
                  everyone=everyone, error=error)


@router.get("/account/sessions")
def sessions_page(request: Request, actor: Actor = Depends(allow(*SIGNED_IN))) -> Response:
    return _sessions_page(request, actor)


@router.post("/account/sessions/{sid}/revoke")
def revoke(request: Request, sid: str, actor: Actor = Depends(allow(*SIGNED_IN))) -> Response:
    room = _room(request)
    mine = {s.session_id for s in accounts.list_sessions(room.engine, user_id=actor.user_id)}
    if actor.role is not Role.ADMIN and sid not in mine:  # object-level check: only one's own sessions
        exc = WorkflowError(f"session {sid} is not one of yours")
        accounts.refuse(room.engine, actor, "revoke session", exc)
        return _sessions_page(request, actor, error=str(exc), status_code=403)
    try:
        accounts.revoke_session(room.engine, actor, sid)
    except WorkflowError as exc:
        accounts.refuse(room.engine, actor, "revoke session", exc)
        return _sessions_page(request, actor, error=str(exc), status_code=400)
    return _see_other("/account/sessions")


def _users_page(request: Request, *, error: str | None = None, created: dict[str, str] | None = None,
                status_code: int = 200) -> Response:
    return render(request, "admin_users.html", status_code=status_code, users=accounts.list_users(
        _room(request).engine), roles=[r.value for r in ACCOUNT_ROLES], error=error, created=created)


@router.get("/admin/users")
def users_page(request: Request, actor: Actor = Depends(allow(Role.ADMIN))) -> Response:
    return _users_page(request)


@router.post("/admin/users")
def add_user(request: Request, name: str = Form(""), role: str = Form(""), board: str = Form(""),
             password: str = Form(""), actor: Actor = Depends(allow(Role.ADMIN))) -> Response:
    room = _room(request)
    try:
        _, generated = accounts.add_user(room.engine, actor, name.strip(), role, password=password or None,
                                         board=board.strip() or None)
    except WorkflowError as exc:
        accounts.refuse(room.engine, actor, "add account", exc)
        return _users_page(request, error=str(exc), status_code=400)
    # Not a redirect: a generated password is shown once, on this response only (never stored or logged).
    return _users_page(request, created={"name": name.strip(), "password": generated or ""})


@router.post("/admin/users/{user_id}/disable")
def disable(request: Request, user_id: int, actor: Actor = Depends(allow(Role.ADMIN))) -> Response:
    room = _room(request)
    user = accounts.find_user(room.engine, user_id)
    try:
        if user is None:
            raise WorkflowError(f"there is no account number {user_id}")
        accounts.disable_user(room.engine, actor, user.name)
    except WorkflowError as exc:
        accounts.refuse(room.engine, actor, "disable account", exc)
        return _users_page(request, error=str(exc), status_code=400)
    return _see_other("/admin/users")
