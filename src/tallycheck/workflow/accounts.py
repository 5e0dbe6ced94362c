"""Accounts of the recount room: users, boards, passwords, TOTP and server-side sessions.

Sessions: the browser holds a random token; the database keeps only its SHA-256. A session ends after 1 hour
without a request (idle) or 8 hours after login (absolute), at logout, or when revoked (OWASP ASVS 3.3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import Engine, select, update

from .roles import Actor, Role
from .schema import sessions, users

IDLE = dt.timedelta(hours=1)
ABSOLUTE = dt.timedelta(hours=8)
TOUCH_EVERY = dt.timedelta(seconds=60)  # last_seen is written at most once a minute per session


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def stamp(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _live(row: Any, now: dt.datetime) -> bool:
    return (row.revoked is None and row.disabled is None and now < parse_stamp(row.expires_at)
            and now - parse_stamp(row.last_seen) < IDLE)


def session_actor(engine: Engine, token: str, now: dt.datetime | None = None) -> Actor | None:
    """The actor of a live session (not revoked, not idle for 1 h, under 8 h old, account enabled, and for an
    administrator the TOTP step passed), or None. Touches last_seen."""
    now = now or utcnow()
    digest = token_sha256(token)
    q = (select(sessions.c.last_seen, sessions.c.expires_at, sessions.c.revoked, sessions.c.totp_passed,
                users.c.user_id, users.c.name, users.c.role, users.c.board_id, users.c.disabled)
         .join(users, users.c.user_id == sessions.c.user_id).where(sessions.c.token_sha256 == digest))
    with engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None or not _live(row, now):
        return None
    role = Role(row.role)
    if role is Role.ADMIN and not row.totp_passed:
        return None  # half-way through login: only the TOTP pages may see this session
    if now - parse_stamp(row.last_seen) >= TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.token_sha256 == digest).values(last_seen=stamp(now)))
    return Actor(row.name, role, row.user_id, row.board_id)
