"""The recount room's security over HTTP: login, TOTP enrolment, cookies, CSRF, headers, the upload limit, and
a route x role matrix over every route the app has (a route added by any part is covered once merged)."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from tallycheck.web.app import create_app
from tallycheck.web.auth import SESSION_COOKIE
from tallycheck.workflow import accounts, event_log
from tallycheck.workflow.roles import Role, cli_actor

ORIGIN = "https://testserver"
PASSWORD = "correct horse battery staple"
ROLES = ("anonymous", "admin", "board", "agent", "observer")


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    package = tmp_path / "pkg"
    package.mkdir()
    return create_app(package, max_body=64 * 1024)


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url=ORIGIN, follow_redirects=False)


def _post(client: TestClient, url: str, data: dict[str, str] | None = None, **headers: str) -> Response:
    same_origin = {"origin": ORIGIN, "sec-fetch-site": "same-origin"}
    return client.post(url, data=data or {}, headers={**same_origin, **headers})


def _refusals(app: FastAPI) -> list[dict]:
    return [e.payload for e in event_log.entries(app.state.room.engine) if e.event == "refused"]


def test_login_sets_a_host_prefixed_secure_strict_cookie_and_logout_ends_it(app: FastAPI) -> None:
    accounts.add_user(app.state.room.engine, cli_actor(), "olga", "observer", password=PASSWORD)
    client = _client(app)
    assert client.get("/login").status_code == 200
    bad = _post(client, "/login", {"name": "olga", "password": "wrong password!"})
    assert bad.status_code == 400 and "Wrong account name or password." in bad.text
    arabic = _post(client, "/login?lang=ar", {"name": "olga", "password": "wrong password!"})
    assert "اسم الحساب أو كلمة المرور غير صحيحة." in arabic.text
    got = _post(client, "/login", {"name": "olga", "password": PASSWORD, "next": "//evil.example/x"})
    assert got.status_code == 303 and got.headers["location"] == "/"  # no open redirect
    cookie = got.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE + "=")
    flags = {f.strip().lower() for f in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= flags
    assert not any(f.startswith(("domain", "max-age", "expires")) for f in flags)
    assert got.headers["cache-control"] == "no-store"
    page = client.get("/account/sessions")
    assert page.status_code == 200 and "olga" in page.text and page.headers["cache-control"] == "no-store"
    assert client.get("/healthz").headers["cache-control"] == "no-store"  # logged in: nothing is cached
    token = client.cookies.get(SESSION_COOKIE)
    assert token and token not in "".join(event_log.export_lines(app.state.room.engine))
    assert _post(client, "/logout").status_code == 303
    assert accounts.session_actor(app.state.room.engine, token) is None
    client.cookies.set(SESSION_COOKIE, token)  # a copy of the old cookie is worth nothing
    assert client.get("/account/sessions").status_code == 401


def test_administrator_enrols_totp_on_first_login_through_the_pages(app: FastAPI) -> None:
    accounts.add_user(app.state.room.engine, cli_actor(), "root", "admin", password=PASSWORD)
    client = _client(app)
    got = _post(client, "/login", {"name": "root", "password": PASSWORD})
    assert got.status_code == 303 and got.headers["location"] == "/totp/enrol"
    assert client.get("/admin/users").status_code == 401  # not an administrator before enrolment
    page = client.get("/totp/enrol")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    assert "otpauth://totp/tallycheck:root?secret=" + secret in page.text
    wrong = _post(client, "/totp/enrol", {"code": "abc"})
    assert wrong.status_code == 400 and "wrong authenticator code" in wrong.text
    assert _post(client, "/totp/enrol", {"code": pyotp.TOTP(secret).now()}).status_code == 303
    users = client.get("/admin/users")
    assert users.status_code == 200
    made = _post(client, "/admin/users", {"name": "b1", "role": "board", "board": "north"})
    password = re.search(r'id="new-password">([^<]+)<', made.text).group(1)
    assert made.status_code == 200
    assert accounts.authenticate(app.state.room.engine, "b1", password, None, "x").ok
    assert password not in "".join(event_log.export_lines(app.state.room.engine))
    refused = _post(client, "/admin/users", {"name": "b2", "role": "board"})
    assert refused.status_code == 400 and "needs a board" in refused.text
    assert _refusals(app)[-1]["reason"].startswith("a board member needs a board")
    # a later login needs a code
    client2 = _client(app)
    assert "needs the 6-digit code" in _post(client2, "/login", {"name": "root", "password": PASSWORD}).text


@pytest.mark.parametrize("headers, reason", [
    ({}, "no Origin header"),
    ({"origin": "https://evil.example"}, "Origin https://evil.example is not https://testserver"),
    ({"origin": ORIGIN, "sec-fetch-site": "cross-site"}, "Sec-Fetch-Site: cross-site"),
    ({"origin": ORIGIN, "sec-fetch-site": "same-site"}, "Sec-Fetch-Site: same-site"),
    ({"origin": "http://testserver"}, "is not https://testserver"),  # the scheme is part of the origin
])
def test_cross_site_posts_are_refused_and_logged(app: FastAPI, headers: dict[str, str],
                                                 reason: str) -> None:
    accounts.add_user(app.state.room.engine, cli_actor(), "pat", "agent", password=PASSWORD)
    got = _client(app).post("/login", data={"name": "pat", "password": PASSWORD}, headers=headers)
    assert got.status_code == 403 and reason in got.json()["error"]
    assert "set-cookie" not in got.headers
    assert _refusals(app)[-1]["check"] == "csrf" and reason in _refusals(app)[-1]["reason"]
    # the same post from the room's own page goes through (Sec-Fetch-Site absent: an older browser)
    ok = _client(app).post("/login", data={"name": "pat", "password": PASSWORD}, headers={"origin": ORIGIN})
    assert ok.status_code == 303


def test_every_response_carries_the_security_headers(app: FastAPI) -> None:
    client = _client(app)
    for got in (client.get("/login"), client.get("/healthz"), client.get("/static/room.css"),
                client.get("/nowhere"), _post(client, "/login", {})):
        csp = got.headers["content-security-policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
                          "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                          "form-action 'self'"):
            assert directive in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["referrer-policy"] == "same-origin"
        assert got.headers["x-frame-options"] == "DENY"


def test_no_inline_script_or_event_handler_in_any_template() -> None:
    templates = Path(__file__).parents[1] / "src" / "tallycheck" / "web" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text("utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, f"{path.name}: inline script {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{path.name}: an on*= attribute"


def test_large_bodies_are_refused_with_413_naming_the_limit(app: FastAPI) -> None:
    client = _client(app)
    big = {"name": "x" * (70 * 1024)}
    got = _post(client, "/login", big)
    assert got.status_code == 413
    assert "larger than the limit of 65,536 bytes (0.0625 MiB)" in got.json()["error"]
    assert got.json()["limit_bytes"] == 65536

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(80):
            yield b"a" * 1024

    form = {"origin": ORIGIN, "content-type": "application/x-www-form-urlencoded"}
    streamed = client.post("/login", content=chunks(), headers=form)
    assert streamed.status_code == 413
    page = _post(client, "/login", big, accept="text/html")
    assert page.status_code == 413 and "65,536 bytes" in page.text and "<html" in page.text
    assert [p["check"] for p in _refusals(app)] == ["upload", "upload", "upload"]


def test_sessions_page_revokes_only_ones_own(app: FastAPI) -> None:
    engine = app.state.room.engine
    q, _ = accounts.add_user(engine, cli_actor(), "quinn", "agent", password=PASSWORD)
    r, _ = accounts.add_user(engine, cli_actor(), "rosa", "agent", password=PASSWORD)
    other = accounts.start_session(engine, r, totp_passed=True)
    client = _client(app)
    client.cookies.set(SESSION_COOKIE, accounts.start_session(engine, q, totp_passed=True))
    rosa_sid = accounts.list_sessions(engine, user_id=r)[0].session_id
    assert rosa_sid not in client.get("/account/sessions").text
    denied = _post(client, f"/account/sessions/{rosa_sid}/revoke")
    assert denied.status_code == 403 and accounts.session_actor(engine, other) is not None
    spare = accounts.start_session(engine, q, totp_passed=True)
    spare_sid = accounts.session_id(accounts.token_sha256(spare))
    assert _post(client, f"/account/sessions/{spare_sid}/revoke").status_code == 303
    assert accounts.session_actor(engine, spare) is None


# ------------------------------------------------------------------------------------------------------------
# route x role matrix
# ------------------------------------------------------------------------------------------------------------

# A few routes stated by hand, so the matrix cannot pass by reading the guards back alone.
EXPECTED = {
    ("GET", "/healthz"): {"anonymous": 200, "admin": 200, "board": 200, "agent": 200, "observer": 200},
    ("GET", "/login"): {"anonymous": 200, "observer": 200},
    ("GET", "/account/sessions"): {"anonymous": 401, "admin": 200, "board": 200, "agent": 200,
                                   "observer": 200},
    ("GET", "/admin/users"): {"anonymous": 401, "admin": 200, "board": 403, "agent": 403, "observer": 403},
    ("POST", "/admin/users"): {"anonymous": 401, "board": 403, "agent": 403, "observer": 403},
    ("POST", "/admin/users/{user_id}/disable"): {"anonymous": 401, "board": 403, "agent": 403,
                                                 "observer": 403},
    ("POST", "/account/sessions/{sid}/revoke"): {"anonymous": 401},
}


GUARD_REASON = re.compile(r"log in first|the role \w+ may not do this")


def _fill(path: str) -> str:
    # any id will do: the guard answers before the object is looked up
    return re.sub(r"\{[^}:]+(:[^}]+)?\}", "1", path)


@pytest.fixture
def imported_app(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    """The room over a real (tiny) imported election, so every part's pages have results to show."""
    from tallycheck.importing import import_package

    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    assert import_package(tiny).outcome is not None
    return create_app(tiny)


def test_route_role_matrix(imported_app: FastAPI) -> None:
    app = imported_app
    engine = app.state.room.engine
    ids = {}
    for role in ROLES[1:]:
        ids[role], _ = accounts.add_user(engine, cli_actor(), f"m-{role}", role, password=PASSWORD,
                                         board="matrix" if role == "board" else None)
    checked = 0
    for route in app.state.guarded_routes:
        for method in route.methods:
            if method == "HEAD":
                continue
            for role in ROLES:
                client = _client(app)
                if role != "anonymous":  # a fresh session per request: a POST /logout must not spoil the next
                    token = accounts.start_session(engine, ids[role], totp_passed=True)
                    client.cookies.set(SESSION_COOKIE, token)
                before = len(_refusals(app))
                url = _fill(route.path)
                got = client.get(url) if method == "GET" else _post(client, url)
                where = f"{method} {route.path} as {role}: {got.status_code}"
                guard_refusals = [p for p in _refusals(app)[before:] if GUARD_REASON.match(p["reason"])]
                if Role(role) in route.roles:  # an object-level check may still refuse id 1: not the guard
                    assert got.status_code < 500 and not guard_refusals, where
                else:
                    assert got.status_code == (401 if role == "anonymous" else 403), where
                    assert len(guard_refusals) == 1, f"{where}: refusal not logged"
                expected = EXPECTED.get((method, route.path), {}).get(role)
                if expected is not None:
                    assert got.status_code == expected, where
                checked += 1
    assert checked >= 12 * 5
    covered = {(m, r.path) for r in app.state.guarded_routes for m in r.methods}
    assert set(EXPECTED) <= covered
