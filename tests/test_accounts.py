"""Accounts of the recount room (workflow/accounts.py): argon2id hashes, lockout and rate limit, session
expiry, revocation and logout, TOTP enrolment and login, boards of two. Time is injected (`now=`), never
slept."""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, inspect, select

from tallycheck.workflow import accounts, event_log
from tallycheck.workflow.accounts import LoginRefusal
from tallycheck.workflow.audits import WorkflowError
from tallycheck.workflow.database import open_workflow
from tallycheck.workflow.roles import Actor, Role, cli_actor
from tallycheck.workflow.schema import users

T0 = dt.datetime(2026, 5, 11, 9, 0, tzinfo=dt.timezone.utc)
PASSWORD = "correct horse battery staple"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id, fast enough for tests


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The workflow database on SQLite, and on PostgreSQL when TALLYCHECK_TEST_POSTGRES names one (CI)."""
    monkeypatch.setattr(accounts, "hasher", CHEAP)
    if request.param == "sqlite":
        yield open_workflow(tmp_path)
        return
    url = os.environ.get("TALLYCHECK_TEST_POSTGRES")
    if not url:
        pytest.skip("TALLYCHECK_TEST_POSTGRES is not set")
    from tallycheck.workflow.schema import metadata

    engine = open_workflow(tmp_path, url, create=False)
    with engine.begin() as conn:  # a clean database for each test
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    engine = open_workflow(tmp_path, url)
    assert metadata.tables.keys() <= set(inspect(engine).get_table_names())
    yield engine
    engine.dispose()


def _log_text(engine: Engine) -> str:
    return "".join(event_log.export_lines(engine))


def test_rfc6238_vector_with_pyotp() -> None:
    # RFC 6238 Appendix B: SHA-1 secret "12345678901234567890", T = 59 s, 8 digits -> 94287082
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert pyotp.TOTP(secret, digits=8).at(59) == "94287082"
    assert pyotp.TOTP(secret, digits=8).at(1111111109) == "07081804"  # the table's second SHA-1 row


def test_passwords_are_stored_as_argon2id_never_plain(tmp_path: Path) -> None:
    engine = open_workflow(tmp_path)  # the real parameters, once
    user_id, generated = accounts.add_user(engine, cli_actor(), "alice", Role.OBSERVER, password=PASSWORD)
    assert generated is None
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.user_id == user_id)).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PASSWORD not in stored
    assert PASSWORD not in _log_text(engine)
    db = (tmp_path / "workflow.sqlite").read_bytes() + (tmp_path / "workflow.sqlite-wal").read_bytes()
    assert PASSWORD.encode() not in db


def test_generated_password_is_returned_once_and_works(engine: Engine) -> None:
    _, generated = accounts.add_user(engine, cli_actor(), "bob", "agent")
    assert generated is not None and len(generated) >= 20
    assert accounts.authenticate(engine, "bob", generated, None, "10.0.0.1", T0).ok
    assert generated not in _log_text(engine)


def test_weak_or_odd_accounts_are_refused(engine: Engine) -> None:
    for kwargs, message in [
        ({"name": "x", "role": "admin", "password": "short"}, "at least 12 characters; this one has 5"),
        ({"name": "x y", "role": "admin"}, "no spaces"),
        ({"name": "x", "role": "king"}, "unknown role 'king'"),
        ({"name": "x", "role": "cli"}, "not cli"),
        ({"name": "x", "role": "board"}, "a board member needs a board"),
        ({"name": "x", "role": "agent", "board": "B1"}, "only board members belong to a board"),
    ]:
        with pytest.raises(WorkflowError, match=message):
            accounts.add_user(engine, cli_actor(), **kwargs)
    with pytest.raises(WorkflowError, match="only an administrator"):
        accounts.add_user(engine, Actor("o", Role.OBSERVER, 9), "x", "agent")
    assert accounts.list_users(engine) == []


def test_a_board_has_two_members_and_refuses_a_third(engine: Engine) -> None:
    accounts.add_user(engine, cli_actor(), "b1", "board", board="north-1")
    accounts.add_user(engine, cli_actor(), "b2", "board", board="north-1")
    with pytest.raises(WorkflowError, match=r"board north-1 already has its 2 members \(b1, b2\)"):
        accounts.add_user(engine, cli_actor(), "b3", "board", board="north-1")
    assert [u.name for u in accounts.list_users(engine)] == ["b1", "b2"]  # the refusal changed nothing
    accounts.disable_user(engine, cli_actor(), "b2")
    accounts.add_user(engine, cli_actor(), "b3", "board", board="north-1")  # a replacement
    members = {u.name: u.board for u in accounts.list_users(engine)}
    assert members == {"b1": "north-1", "b2": "north-1", "b3": "north-1"}


def test_rehash_on_login_when_parameters_rise(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    user_id, _ = accounts.add_user(engine, cli_actor(), "carol", "observer", password=PASSWORD)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(accounts, "hasher", stronger)
    assert accounts.authenticate(engine, "carol", PASSWORD, None, "10.0.0.1", T0).ok
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.user_id == user_id)).scalar_one()
    assert "$m=2048,t=2,p=1$" in stored and not stored.count(PASSWORD)


def test_lockout_after_five_failures_for_fifteen_minutes(engine: Engine) -> None:
    accounts.add_user(engine, cli_actor(), "dave", "agent", password=PASSWORD)
    for i in range(accounts.MAX_FAILURES):
        got = accounts.authenticate(engine, "dave", "wrong password!", None, f"10.0.1.{i}", T0)
        assert got.refusal is LoginRefusal.WRONG and got.reason == "wrong account name or password"
    locked = accounts.authenticate(engine, "dave", PASSWORD, None, "10.0.2.1", T0 + dt.timedelta(minutes=14))
    assert locked.refusal is LoginRefusal.LOCKED and "locked after 5 failed logins until" in locked.reason
    assert accounts.authenticate(engine, "dave", PASSWORD, None, "10.0.2.1", T0 + dt.timedelta(minutes=15)).ok
    assert accounts.list_users(engine)[0].failed_logins == 0  # a good login resets the count


def test_rate_limit_by_address_across_accounts(engine: Engine) -> None:
    accounts.add_user(engine, cli_actor(), "erin", "agent", password=PASSWORD)
    for i in range(accounts.ADDRESS_LIMIT):  # spraying many names from one address
        accounts.authenticate(engine, f"guess{i}", "x" * 12, None, "203.0.113.9", T0)
    refused = accounts.authenticate(engine, "erin", PASSWORD, None, "203.0.113.9",
                                    T0 + dt.timedelta(minutes=1))
    assert refused.refusal is LoginRefusal.RATE_LIMITED and "from this address" in refused.reason
    assert accounts.authenticate(engine, "erin", PASSWORD, None, "198.51.100.7", T0).ok  # another address
    later = T0 + accounts.ADDRESS_WINDOW + dt.timedelta(seconds=1)
    assert accounts.authenticate(engine, "erin", PASSWORD, None, "203.0.113.9", later).ok


def test_unknown_names_are_refused_like_wrong_passwords_and_not_logged(engine: Engine) -> None:
    accounts.add_user(engine, cli_actor(), "frank", "agent", password=PASSWORD)
    unknown = accounts.authenticate(engine, "my-secret-password", "x" * 12, None, "10.0.0.1", T0)
    wrong = accounts.authenticate(engine, "frank", "x" * 12, None, "10.0.0.1", T0)
    assert unknown.reason == wrong.reason and unknown.refusal is wrong.refusal is LoginRefusal.WRONG
    log = _log_text(engine)
    assert "my-secret-password" not in log and "(unknown account)" in log


def test_sessions_expire_idle_after_one_hour_and_absolutely_after_eight(engine: Engine) -> None:
    user_id, _ = accounts.add_user(engine, cli_actor(), "gina", "observer", password=PASSWORD)
    token = accounts.start_session(engine, user_id, totp_passed=True, now=T0)
    gina = Actor("gina", Role.OBSERVER, user_id, None)
    assert accounts.session_actor(engine, token, T0 + dt.timedelta(minutes=59)) == gina
    idle = accounts.start_session(engine, user_id, totp_passed=True, now=T0)
    assert accounts.session_actor(engine, idle, T0 + dt.timedelta(minutes=60)) is None
    t = T0 + dt.timedelta(minutes=59)
    while t < T0 + accounts.ABSOLUTE - dt.timedelta(minutes=50):  # active all day: each request resets idle
        t += dt.timedelta(minutes=50)
        assert accounts.session_actor(engine, token, t) is not None
    assert accounts.session_actor(engine, token, T0 + accounts.ABSOLUTE) is None
    assert accounts.session_actor(engine, "not-a-token", T0) is None


def test_revocation_and_logout_end_sessions(engine: Engine) -> None:
    h, _ = accounts.add_user(engine, cli_actor(), "hana", "agent", password=PASSWORD)
    i, _ = accounts.add_user(engine, cli_actor(), "ivan", "agent", password=PASSWORD)
    t1 = accounts.start_session(engine, h, totp_passed=True, user_agent="phone", address="10.0.0.5")
    t2 = accounts.start_session(engine, h, totp_passed=True, user_agent="laptop")
    t3 = accounts.start_session(engine, i, totp_passed=True)
    hana = accounts.session_actor(engine, t1)
    ivan = accounts.session_actor(engine, t3)
    assert hana is not None and ivan is not None
    mine = accounts.list_sessions(engine, user_id=h)
    assert {s.user_agent for s in mine} == {"phone", "laptop"} and all(s.live for s in mine)
    phone = next(s.session_id for s in mine if s.user_agent == "phone")
    with pytest.raises(WorkflowError, match="is not yours"):
        accounts.revoke_session(engine, ivan, phone)  # object-level check
    accounts.revoke_session(engine, hana, phone)
    assert accounts.session_actor(engine, t1) is None and accounts.session_actor(engine, t2) is not None
    assert accounts.end_session(engine, t2)
    assert accounts.session_actor(engine, t2) is None and not accounts.end_session(engine, t2)
    accounts.disable_user(engine, cli_actor(), "ivan")
    assert accounts.session_actor(engine, t3) is None
    assert accounts.authenticate(engine, "ivan", PASSWORD, None, "10.0.0.1").refusal is LoginRefusal.WRONG
    log = _log_text(engine)
    assert all(t not in log for t in (t1, t2, t3))
    assert all(accounts.token_sha256(t) not in log for t in (t1, t2, t3))


def test_password_change_ends_every_session(engine: Engine) -> None:
    j, _ = accounts.add_user(engine, cli_actor(), "jo", "agent", password=PASSWORD)
    token = accounts.start_session(engine, j, totp_passed=True)
    accounts.set_password(engine, Actor("jo", Role.AGENT, j), "jo", "another long passphrase")
    assert accounts.session_actor(engine, token) is None
    assert accounts.authenticate(engine, "jo", "another long passphrase", None, "10.0.0.1").ok
    with pytest.raises(WorkflowError, match="only an administrator"):
        accounts.set_password(engine, Actor("jo", Role.AGENT, j), "someone-else", "another long passphrase")


def test_administrator_enrols_totp_at_first_login_then_needs_a_code(engine: Engine) -> None:
    admin_id, _ = accounts.add_user(engine, cli_actor(), "kim", "admin", password=PASSWORD)
    first = accounts.authenticate(engine, "kim", PASSWORD, None, "10.0.0.1", T0)
    assert first.ok and first.enrol_totp
    token = accounts.start_session(engine, admin_id, totp_passed=False, now=T0)
    assert accounts.session_actor(engine, token, T0) is None  # not an administrator until enrolled
    assert accounts.pending_enrolment(engine, token, T0) == admin_id
    secret, uri = accounts.totp_secret_for_enrolment(engine, admin_id)
    assert accounts.totp_secret_for_enrolment(engine, admin_id)[0] == secret  # stable across reloads
    assert uri.startswith("otpauth://totp/tallycheck:kim?secret=" + secret)
    totp = pyotp.TOTP(secret)
    with pytest.raises(WorkflowError, match="wrong authenticator code"):
        accounts.finish_totp_enrolment(engine, token, "000000" if totp.at(T0) != "000000" else "111111", T0)
    actor = accounts.finish_totp_enrolment(engine, token, totp.at(T0), T0)
    assert actor.role is Role.ADMIN and accounts.session_actor(engine, token, T0) == actor
    later = T0 + dt.timedelta(minutes=5)
    assert accounts.authenticate(engine, "kim", PASSWORD, None, "10.0.0.1", later).refusal is \
        LoginRefusal.CODE_NEEDED
    assert accounts.authenticate(engine, "kim", PASSWORD, "12345x", "10.0.0.1", later).refusal is \
        LoginRefusal.WRONG_CODE
    code = totp.at(later)
    assert accounts.authenticate(engine, "kim", PASSWORD, code, "10.0.0.1", later).ok
    replay = accounts.authenticate(engine, "kim", PASSWORD, code, "10.0.0.1", later + dt.timedelta(seconds=5))
    assert replay.refusal is LoginRefusal.WRONG_CODE  # a code is good once (ASVS 2.8.4)
    next_step = later + dt.timedelta(seconds=30)
    assert accounts.authenticate(engine, "kim", PASSWORD, totp.at(next_step), "10.0.0.1", next_step).ok
    assert secret not in _log_text(engine)


def test_every_account_change_is_in_the_log(engine: Engine) -> None:
    user_id, _ = accounts.add_user(engine, cli_actor(), "lee", "board", password=PASSWORD, board="b-7")
    accounts.authenticate(engine, "lee", "wrong wrong wrong", None, "10.0.0.1", T0)
    accounts.authenticate(engine, "lee", PASSWORD, None, "10.0.0.1", T0)
    token = accounts.start_session(engine, user_id, totp_passed=True)
    accounts.end_session(engine, token)
    accounts.disable_user(engine, cli_actor(), "lee")
    events = [e.event for e in event_log.entries(engine)]
    assert events == ["board.created", "user.added", "refused", "login", "session.started", "logout",
                      "user.disabled"]
    assert event_log.entries(engine)[2].payload["action"] == "login"


def test_concurrent_failures_are_all_counted(engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    accounts.add_user(engine, cli_actor(), "max", "agent", password=PASSWORD)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: accounts.authenticate(engine, "max", f"wrong password {i}", None,
                                                            f"10.9.0.{i}", T0), range(10)))
    user = accounts.list_users(engine)[0]
    locked = sum(r.refusal is LoginRefusal.LOCKED for r in got)
    assert user.failed_logins + locked == 10 and user.locked_until is not None  # no lost increment
    assert [e.event for e in event_log.entries(engine)].count("refused") == 10
