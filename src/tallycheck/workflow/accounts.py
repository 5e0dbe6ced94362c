"""Accounts of the recount room: users, boards, passwords, TOTP and server-side sessions (OWASP ASVS 4.0 L2,
chapters 2 and 3).

- Passwords: argon2id (argon2-cffi's RFC 9106 low-memory profile), rehashed at login when the parameters
  change; at least 12 characters, up to 128, no composition rules (ASVS 2.1.1, 2.1.2, 2.1.9).
- Lockout: after `MAX_FAILURES` consecutive failures an account is locked for `LOCKOUT`; an address with
  `ADDRESS_LIMIT` failures within `ADDRESS_WINDOW` is refused until they age out (ASVS 2.2.1). Attempts are
  rows in the database, so the limits hold across server processes.
- TOTP (RFC 6238, pyotp) for administrators: enrolled at their first login, then required at every login; a
  code is accepted once (ASVS 2.8.4).
- Sessions: the browser holds a random 256-bit token; the database keeps only its SHA-256. A session ends
  after 1 hour without a request (idle) or 8 hours after login (absolute), at logout, or when revoked (ASVS
  3.3).
- Every change is an event-log entry in the same transaction; no password, token or TOTP secret is ever
  logged. A login with an unknown account name is logged without the name (people type passwords into it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from .audits import WorkflowError
from .database import writing
from .event_log import append, log_refusal
from .roles import ACCOUNT_ROLES, Actor, Role
from .schema import boards, login_attempts, sessions, users

IDLE = dt.timedelta(hours=1)
ABSOLUTE = dt.timedelta(hours=8)
TOUCH_EVERY = dt.timedelta(seconds=60)  # last_seen is written at most once a minute per session
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
ADDRESS_LIMIT = 20
ADDRESS_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD, MAX_PASSWORD = 12, 128
BOARD_MEMBERS = 2  # an audit board is two people who count independently
TOTP_ISSUER = "tallycheck"
NAME_PATTERN = re.compile(r"^[^\s\x00-\x1f\x7f/]{1,64}$")

hasher = PasswordHasher()  # argon2id, RFC 9106 second recommended profile: t=3, m=64 MiB, p=4
_dummy: list[str] = []


def _dummy_hash() -> str:
    """Verified against for unknown names, so that a wrong name costs the same time as a wrong password; made
    with the current parameters when first needed."""
    if not _dummy or hasher.check_needs_rehash(_dummy[0]):
        _dummy[:] = [hasher.hash(secrets.token_urlsafe(16))]
    return _dummy[0]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def stamp(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_id(digest: str) -> str:
    """The public name of a session (in lists and revoke URLs): the first 16 hex digits of its token's
    SHA-256."""
    return digest[:16]


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    name: str
    role: Role
    board: str | None
    totp_enrolled: bool
    failed_logins: int
    locked_until: str | None
    created: str
    disabled: str | None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    session_id: str
    user_id: int
    user: str
    created: str
    last_seen: str
    expires_at: str
    user_agent: str
    address: str
    live: bool


class LoginRefusal(str, Enum):
    WRONG = "wrong"  # wrong name or password (never says which)
    LOCKED = "locked"
    RATE_LIMITED = "rate-limited"
    CODE_NEEDED = "code-needed"
    WRONG_CODE = "wrong-code"


@dataclass(frozen=True, slots=True)
class LoginResult:
    ok: bool
    reason: str  # a sentence a person can act on ("" when ok)
    refusal: LoginRefusal | None = None
    user_id: int | None = None
    name: str | None = None
    role: Role | None = None
    enrol_totp: bool = False  # an administrator's first login: enrolment must finish before anything else
    locked_until: str | None = None


# ------------------------------------------------------------------------------------------------------------
# users and boards
# ------------------------------------------------------------------------------------------------------------

def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise WorkflowError(f"a password needs at least {MIN_PASSWORD} characters; "
                            f"this one has {len(password)}")
    if len(password) > MAX_PASSWORD:
        raise WorkflowError(f"a password has at most {MAX_PASSWORD} characters; this one has {len(password)}")


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


def _board_id(conn: Connection, actor: Actor, name: str) -> int:
    got = conn.execute(select(boards.c.board_id).where(boards.c.name == name)).first()
    if got is not None:
        return int(got.board_id)
    board_id = conn.execute(insert(boards).values(name=name, created=stamp(utcnow()))).inserted_primary_key[0]
    append(conn, actor=actor.name, role=actor.role_name, event="board.created",
           payload={"board_id": board_id, "board": name})
    return int(board_id)


def add_user(engine: Engine, actor: Actor, name: str, role: Role | str, *, password: str | None = None,
             board: str | None = None) -> tuple[int, str | None]:
    """A new account; returns (user_id, the generated password or None when `password` was given). A board
    member joins board `board` (made on first use); a board has two members and refuses a third."""
    _need_admin(actor, "add an account")
    try:
        role = Role(role)
    except ValueError:
        raise WorkflowError(f"unknown role {role!r}; one of "
                            f"{', '.join(r.value for r in ACCOUNT_ROLES)}") from None
    if role not in ACCOUNT_ROLES:
        raise WorkflowError(f"an account's role is one of {', '.join(r.value for r in ACCOUNT_ROLES)}; "
                            f"not {role.value}")
    if not NAME_PATTERN.match(name):
        raise WorkflowError(f"account name {name!r}: 1 to 64 characters, no spaces, slashes or control "
                            "characters")
    if role is Role.BOARD and not board:
        raise WorkflowError("a board member needs a board: --board NAME (the two members share it)")
    if role is not Role.BOARD and board:
        raise WorkflowError(f"only board members belong to a board; {name} is {role.value}")
    if board is not None and not NAME_PATTERN.match(board):
        raise WorkflowError(f"board name {board!r}: 1 to 64 characters, no spaces, slashes or control "
                            "characters")
    generated = None
    if password is None:
        password = generated = generate_password()
    check_password(password)
    password_hash = hasher.hash(password)
    with writing(engine) as conn:
        if conn.execute(select(users.c.user_id).where(users.c.name == name)).first() is not None:
            raise WorkflowError(f"there is already an account named {name}")
        board_id = None
        if board is not None:
            board_id = _board_id(conn, actor, board)
            members = conn.execute(select(users.c.name).where(
                and_(users.c.board_id == board_id, users.c.disabled.is_(None)))).scalars().all()
            if len(members) >= BOARD_MEMBERS:
                raise WorkflowError(f"board {board} already has its {BOARD_MEMBERS} members "
                                    f"({', '.join(sorted(members))}); disable one first or use another board")
        user_id = int(conn.execute(insert(users).values(
            name=name, role=role.value, board_id=board_id, password_hash=password_hash, totp_enrolled=False,
            failed_logins=0, created=stamp(utcnow()))).inserted_primary_key[0])
        append(conn, actor=actor.name, role=actor.role_name, event="user.added",
               payload={"user_id": user_id, "user": name, "user_role": role.value, "board": board})
    return user_id, generated


def _need_admin(actor: Actor, what: str) -> None:
    if actor.role not in (Role.ADMIN, Role.CLI):
        raise WorkflowError(f"only an administrator may {what}")


def _user_row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        raise WorkflowError(f"there is no account named {name}")
    return row


def set_password(engine: Engine, actor: Actor, name: str, password: str) -> None:
    """A new password for `name` (its owner or an administrator); every session of the account ends."""
    if actor.name != name:
        _need_admin(actor, "set another person's password")
    check_password(password)
    password_hash = hasher.hash(password)
    now = stamp(utcnow())
    with writing(engine) as conn:
        row = _user_row(conn, name)
        conn.execute(update(users).where(users.c.user_id == row.user_id).values(
            password_hash=password_hash, failed_logins=0, locked_until=None))
        ended = _revoke_all(conn, row.user_id, now)
        append(conn, actor=actor.name, role=actor.role_name, event="user.password-set",
               payload={"user_id": row.user_id, "user": name, "sessions_ended": ended})


def disable_user(engine: Engine, actor: Actor, name: str) -> None:
    """The account can no longer log in; its sessions end. Its history stays."""
    _need_admin(actor, "disable an account")
    if actor.name == name:
        raise WorkflowError("you cannot disable your own account; ask another administrator")
    now = stamp(utcnow())
    with writing(engine) as conn:
        row = _user_row(conn, name)
        if row.disabled is not None:
            raise WorkflowError(f"{name} has been disabled since {row.disabled}")
        conn.execute(update(users).where(users.c.user_id == row.user_id).values(disabled=now))
        ended = _revoke_all(conn, row.user_id, now)
        append(conn, actor=actor.name, role=actor.role_name, event="user.disabled",
               payload={"user_id": row.user_id, "user": name, "sessions_ended": ended})


def list_users(engine: Engine) -> list[User]:
    q = (select(users, boards.c.name.label("board_name")).select_from(users.outerjoin(boards))
         .order_by(users.c.name))
    with engine.connect() as conn:
        return [User(r.user_id, r.name, Role(r.role), r.board_name, bool(r.totp_enrolled), r.failed_logins,
                     r.locked_until, r.created, r.disabled) for r in conn.execute(q)]


def find_user(engine: Engine, user_id: int) -> User | None:
    return next((u for u in list_users(engine) if u.user_id == user_id), None)


# ------------------------------------------------------------------------------------------------------------
# login
# ------------------------------------------------------------------------------------------------------------

def _totp_step(secret: str, code: str, now: dt.datetime, last_step: int | None) -> int | None:
    """The time step a code belongs to (the current one, or one either side for clock drift), if not used."""
    code = code.strip().replace(" ", "")
    if not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    for s in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(s * totp.interval), code) and (last_step is None or s > last_step):
            return s
    return None


def authenticate(engine: Engine, name: str, password: str, totp_code: str | None, address: str,
                 now: dt.datetime | None = None) -> LoginResult:
    """Check a login. A wrong name and a wrong password get the same answer after the same work; a locked
    account says so (its owner needs to know whom to ask), which the lockout itself would reveal anyway.

    The password is verified outside the write transaction (argon2 takes a few hundred milliseconds, and the
    write lock would queue every other change in the room behind it); the outcome is then recorded in one
    transaction that re-checks what a concurrent login could have changed (the failure count, the TOTP
    step)."""
    now = now or utcnow()
    with engine.connect() as conn:
        recent = conn.execute(select(func.count()).select_from(login_attempts).where(and_(
            login_attempts.c.address == address, login_attempts.c.ok.is_(False),
            login_attempts.c.time >= stamp(now - ADDRESS_WINDOW)))).scalar_one()
        row = conn.execute(select(users).where(users.c.name == name)).first()
    verdict = _check(row, password, totp_code, now, recent)
    with writing(engine) as conn:
        result = _record(conn, row, verdict, now)
        conn.execute(insert(login_attempts).values(time=stamp(now), name=name[:128], address=address[:64],
                                                   ok=result.ok))
        who = row.name if row is not None else "(unknown account)"
        if result.ok:
            append(conn, actor=who, role=row.role, event="login",
                   payload={"user_id": row.user_id, "totp_enrolment": result.enrol_totp})
        else:
            role = row.role if row is not None else Role.ANONYMOUS.value
            append(conn, actor=who, role=role, event="refused",
                   payload={"action": "login", "reason": result.reason,
                            "refusal": result.refusal.value if result.refusal else ""})
    return result


@dataclass(frozen=True, slots=True)
class _Verdict:
    result: LoginResult
    counts_as_failure: bool = False  # against the account's lockout count
    totp_step: int | None = None
    new_hash: str | None = None  # the password under raised parameters (made here, outside the transaction)


def _check(row: Any, password: str, code: str | None, now: dt.datetime, recent_failures: int) -> _Verdict:
    wrong = LoginResult(False, "wrong account name or password", LoginRefusal.WRONG)
    if recent_failures >= ADDRESS_LIMIT:
        return _Verdict(LoginResult(False, f"too many failed logins from this address; try again in "
                                           f"{int(ADDRESS_WINDOW.total_seconds() // 60)} minutes",
                                    LoginRefusal.RATE_LIMITED))
    if row is None or row.disabled is not None:
        _verify(_dummy_hash(), password)  # the same work as for a real account
        return _Verdict(wrong)
    if row.locked_until is not None and now < parse_stamp(row.locked_until):
        return _Verdict(_locked(row.locked_until))
    role = Role(row.role)
    if not _verify(row.password_hash, password):
        return _Verdict(wrong, counts_as_failure=True)
    if role is Role.ADMIN and row.totp_enrolled:
        if not code:
            return _Verdict(LoginResult(False, "an administrator's login needs the 6-digit code from the "
                                               "authenticator app", LoginRefusal.CODE_NEEDED), True)
        step = _totp_step(row.totp_secret, code, now, row.totp_last_step)
        if step is None:
            return _Verdict(LoginResult(False, "wrong or already used authenticator code",
                                        LoginRefusal.WRONG_CODE), True)
        return _Verdict(_welcome(row, role), totp_step=step, new_hash=_rehash(row.password_hash, password))
    return _Verdict(_welcome(row, role), new_hash=_rehash(row.password_hash, password))


def _rehash(password_hash: str, password: str) -> str | None:
    return hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None


def _locked(until: str) -> LoginResult:
    return LoginResult(False, f"this account is locked after {MAX_FAILURES} failed logins until "
                              f"{until[:19].replace('T', ' ')} UTC; wait, or ask for a new password",
                       LoginRefusal.LOCKED, locked_until=until)


def _welcome(row: Any, role: Role) -> LoginResult:
    return LoginResult(True, "", None, row.user_id, row.name, role,
                       enrol_totp=role is Role.ADMIN and not row.totp_enrolled)


def _record(conn: Connection, row: Any, verdict: _Verdict, now: dt.datetime) -> LoginResult:
    """Write what a login's verdict changes, inside the write transaction."""
    if row is None:
        return verdict.result
    where = users.c.user_id == row.user_id
    if verdict.counts_as_failure:
        conn.execute(update(users).where(where).values(failed_logins=users.c.failed_logins + 1))
        failures = conn.execute(select(users.c.failed_logins).where(where)).scalar_one()
        if failures >= MAX_FAILURES:
            conn.execute(update(users).where(where).values(locked_until=stamp(now + LOCKOUT)))
        return verdict.result
    if not verdict.result.ok:
        return verdict.result
    current = conn.execute(select(users.c.locked_until, users.c.totp_last_step, users.c.disabled,
                                  users.c.password_hash).where(where)).one()
    if current.disabled is not None or current.password_hash != row.password_hash:
        return LoginResult(False, "wrong account name or password", LoginRefusal.WRONG)  # changed meanwhile
    if current.locked_until is not None and now < parse_stamp(current.locked_until):
        return _locked(current.locked_until)  # locked by concurrent failures while this one was verified
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
    if verdict.totp_step is not None:
        if current.totp_last_step is not None and verdict.totp_step <= current.totp_last_step:
            return LoginResult(False, "wrong or already used authenticator code", LoginRefusal.WRONG_CODE)
        values["totp_last_step"] = verdict.totp_step
    if verdict.new_hash is not None:
        values["password_hash"] = verdict.new_hash  # parameters raised since: upgraded with the password
    conn.execute(update(users).where(where).values(**values))
    return verdict.result


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ------------------------------------------------------------------------------------------------------------
# TOTP enrolment (administrators, at their first login)
# ------------------------------------------------------------------------------------------------------------

def totp_secret_for_enrolment(engine: Engine, user_id: int) -> tuple[str, str]:
    """(secret, otpauth URI) for an administrator who has not enrolled yet; the same secret until enrolment
    finishes, so reloading the page does not invalidate the app already set up."""
    with writing(engine) as conn:
        row = conn.execute(select(users).where(users.c.user_id == user_id)).one()
        if row.totp_enrolled:
            raise WorkflowError(f"{row.name} has already enrolled an authenticator")
        secret = row.totp_secret
        if secret is None:
            secret = pyotp.random_base32()  # 160 bits (RFC 4226 section 4, R6)
            conn.execute(update(users).where(users.c.user_id == user_id).values(totp_secret=secret))
    return secret, pyotp.TOTP(secret).provisioning_uri(name=row.name, issuer_name=TOTP_ISSUER)


def finish_totp_enrolment(engine: Engine, token: str, code: str, now: dt.datetime | None = None) -> Actor:
    """Check the first code of a new authenticator; the account is enrolled and this session may go on."""
    now = now or utcnow()
    digest = token_sha256(token)
    with writing(engine) as conn:
        row = _session_row(conn, digest)
        if row is None or not _live(row, now):
            raise WorkflowError("this login has expired; log in again")
        if row.totp_enrolled or row.totp_secret is None:
            raise WorkflowError("there is no authenticator enrolment under way for this account")
        step = _totp_step(row.totp_secret, code, now, row.totp_last_step)
        if step is None:
            raise WorkflowError("wrong authenticator code: check the phone's clock and type the 6 digits "
                                "shown now")
        conn.execute(update(users).where(users.c.user_id == row.user_id).values(totp_enrolled=True,
                                                                                totp_last_step=step))
        conn.execute(update(sessions).where(sessions.c.token_sha256 == digest).values(totp_passed=True))
        append(conn, actor=row.name, role=row.role, event="totp.enrolled", payload={"user_id": row.user_id})
    return Actor(row.name, Role(row.role), row.user_id, row.board_id)


# ------------------------------------------------------------------------------------------------------------
# sessions
# ------------------------------------------------------------------------------------------------------------

def start_session(engine: Engine, user_id: int, *, totp_passed: bool, user_agent: str = "", address: str = "",
                  now: dt.datetime | None = None) -> str:
    """A new session; returns its token, the only time it exists outside the browser."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    digest = token_sha256(token)
    with writing(engine) as conn:
        row = conn.execute(select(users.c.name, users.c.role).where(users.c.user_id == user_id)).one()
        conn.execute(insert(sessions).values(
            token_sha256=digest, user_id=user_id, created=stamp(now), last_seen=stamp(now),
            expires_at=stamp(now + ABSOLUTE), totp_passed=totp_passed, user_agent=user_agent[:256],
            address=address[:64]))
        append(conn, actor=row.name, role=row.role, event="session.started",
               payload={"user_id": user_id, "session_ref": session_id(digest)})
    return token


def _session_row(conn: Connection, digest: str) -> Any:
    q = (select(sessions, users.c.name, users.c.role, users.c.board_id, users.c.disabled,
                users.c.totp_enrolled, users.c.totp_secret, users.c.totp_last_step)
         .join(users, users.c.user_id == sessions.c.user_id).where(sessions.c.token_sha256 == digest))
    return conn.execute(q).first()


def _live(row: Any, now: dt.datetime) -> bool:
    return (row.revoked is None and row.disabled is None and now < parse_stamp(row.expires_at)
            and now - parse_stamp(row.last_seen) < IDLE)


def session_actor(engine: Engine, token: str, now: dt.datetime | None = None) -> Actor | None:
    """The actor of a live session (not revoked, not idle for 1 h, under 8 h old, account enabled, and for an
    administrator the TOTP step passed), or None. Touches last_seen."""
    now = now or utcnow()
    digest = token_sha256(token)
    with engine.connect() as conn:
        row = _session_row(conn, digest)
    if row is None or not _live(row, now):
        return None
    role = Role(row.role)
    if role is Role.ADMIN and not row.totp_passed:
        return None  # half-way through login: only the TOTP enrolment page may use this session
    if now - parse_stamp(row.last_seen) >= TOUCH_EVERY:
        with writing(engine) as conn:
            conn.execute(update(sessions).where(sessions.c.token_sha256 == digest)
                         .values(last_seen=stamp(now)))
    return Actor(row.name, role, row.user_id, row.board_id)


def pending_enrolment(engine: Engine, token: str, now: dt.datetime | None = None) -> int | None:
    """The user id of a live session whose administrator has yet to enrol an authenticator, else None."""
    now = now or utcnow()
    with engine.connect() as conn:
        row = _session_row(conn, token_sha256(token))
    if (row is None or not _live(row, now) or row.totp_passed or row.role != Role.ADMIN.value
            or row.totp_enrolled):
        return None
    return int(row.user_id)


def list_sessions(engine: Engine, *, user_id: int | None = None, now: dt.datetime | None = None
                  ) -> list[SessionInfo]:
    """Sessions newest first (one user's, or everyone's), each saying whether it is still live."""
    now = now or utcnow()
    q = (select(sessions, users.c.name, users.c.disabled).join(users, users.c.user_id == sessions.c.user_id)
         .order_by(sessions.c.created.desc()))
    if user_id is not None:
        q = q.where(sessions.c.user_id == user_id)
    with engine.connect() as conn:
        return [SessionInfo(session_id(r.token_sha256), r.user_id, r.name, r.created, r.last_seen,
                            r.expires_at, r.user_agent, r.address, _live(r, now)) for r in conn.execute(q)]


def revoke_session(engine: Engine, actor: Actor, sid: str) -> None:
    """End a session by its public id: one's own, or anyone's for an administrator."""
    if not re.fullmatch(r"[0-9a-f]{16}", sid):
        raise WorkflowError(f"no session {sid!r}")
    now = stamp(utcnow())
    with writing(engine) as conn:
        rows = conn.execute(select(sessions.c.token_sha256, sessions.c.user_id, sessions.c.revoked)
                            .where(sessions.c.token_sha256.like(sid + "%"))).all()
        if len(rows) != 1:
            raise WorkflowError(f"no session {sid}")
        row = rows[0]
        if row.user_id != actor.user_id and actor.role not in (Role.ADMIN, Role.CLI):
            raise WorkflowError(f"session {sid} is not yours")
        if row.revoked is not None:
            raise WorkflowError(f"session {sid} already ended at {row.revoked}")
        conn.execute(update(sessions).where(sessions.c.token_sha256 == row.token_sha256).values(revoked=now))
        append(conn, actor=actor.name, role=actor.role_name, event="session.revoked",
               payload={"session_ref": sid, "user_id": row.user_id})


def end_session(engine: Engine, token: str) -> bool:
    """Logout: the session is revoked server-side (the cookie alone is no longer worth anything)."""
    digest = token_sha256(token)
    with writing(engine) as conn:
        row = _session_row(conn, digest)
        if row is None or row.revoked is not None:
            return False
        conn.execute(update(sessions).where(sessions.c.token_sha256 == digest)
                     .values(revoked=stamp(utcnow())))
        append(conn, actor=row.name, role=row.role, event="logout",
               payload={"user_id": row.user_id, "session_ref": session_id(digest)})
    return True


def _revoke_all(conn: Connection, user_id: int, now: str) -> int:
    live = and_(sessions.c.user_id == user_id, sessions.c.revoked.is_(None))
    return conn.execute(update(sessions).where(live).values(revoked=now)).rowcount


def refuse(engine: Engine, actor: Actor, action: str, error: WorkflowError) -> None:
    """Log a refused account action (the caller shows the error)."""
    log_refusal(engine, actor=actor.name, role=actor.role_name, action=action, reason=str(error))


__all__: Sequence[str] = (
    "add_user", "authenticate", "disable_user", "end_session", "finish_totp_enrolment", "list_sessions",
    "list_users", "pending_enrolment", "revoke_session", "session_actor", "set_password", "start_session",
    "totp_secret_for_enrolment", "LoginResult", "User", "SessionInfo")
