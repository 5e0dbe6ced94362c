"""The web core: the app starts over a package, answers /healthz with the log head, refuses to start with an
unguarded route, and puts the security headers and the log head on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient

from tallycheck.web.app import ROUTERS, create_app
from tallycheck.web.auth import PUBLIC, RouteGuardError, allow
from tallycheck.workflow import event_log
from tallycheck.workflow.roles import Actor, Role


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    package = tmp_path / "pkg"
    package.mkdir()
    return TestClient(create_app(package), base_url="https://testserver")


def test_healthz_answers_with_the_log_head(client: TestClient) -> None:
    got = client.get("/healthz")
    assert got.status_code == 200
    seq, sha = event_log.head(client.app.state.room.engine)
    assert got.json() == {"ok": True, "log_head": {"seq": seq, "sha256": sha}}


def _router(*guards: object) -> APIRouter:
    router = APIRouter()

    if not guards:
        @router.get("/unguarded")
        def unguarded(request: Request) -> dict[str, bool]:
            return {"ok": True}
    else:
        deps = [Depends(g) for g in guards]

        @router.get("/twice", dependencies=deps[1:])
        def twice(request: Request, actor: Actor = deps[0]) -> dict[str, bool]:
            return {"ok": True}
    return router


def test_an_unguarded_route_stops_the_app_from_starting(tmp_path: Path) -> None:
    with pytest.raises(RouteGuardError, match=r"GET /unguarded .*unguarded\) declares 0 role guards"):
        create_app(tmp_path, routers=[*ROUTERS, _router()])


def test_a_route_with_two_guards_stops_the_app_from_starting(tmp_path: Path) -> None:
    with pytest.raises(RouteGuardError, match=r"GET /twice .* declares 2 role guards"):
        create_app(tmp_path, routers=[*ROUTERS, _router(allow(*PUBLIC), allow(Role.ADMIN))])


def test_a_guarded_route_starts(tmp_path: Path) -> None:
    app = create_app(tmp_path, routers=[*ROUTERS, _router(allow(Role.ADMIN))])
    assert any(r.path == "/twice" and r.roles == {Role.ADMIN} for r in app.state.guarded_routes)


def test_no_openapi_or_docs_routes(client: TestClient) -> None:
    # FastAPI's /docs loads scripts from a CDN and /openapi.json has no guard: both are off
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_pages_carry_the_log_head_and_the_security_headers(client: TestClient) -> None:
    got = client.get("/no-such-page", headers={"accept": "text/html"})
    assert got.status_code == 404
    seq, sha = event_log.head(client.app.state.room.engine)
    assert f"#{seq}" in got.text and sha in got.text
    csp = got.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in got.text and not re.search(r"\son[a-z]+\s*=", got.text)


def test_plotly_is_served_from_the_installed_package(client: TestClient) -> None:
    import plotly

    got = client.get("/static/plotly.min.js")
    assert got.status_code == 200
    assert got.content == (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    assert client.get("/static/room.js").status_code == 200
    assert client.get("/static/room.css").status_code == 200


def test_arabic_pages_are_right_to_left(client: TestClient) -> None:
    got = client.get("/no-such-page?lang=ar", headers={"accept": "text/html"})
    assert '<html lang="ar" dir="rtl">' in got.text
    assert "نظرة عامة" in got.text and ">Overview<" not in got.text  # the nav, from locale/ar/.../web.po
    assert got.cookies.get("lang") == "ar"
    assert '<html lang="en" dir="ltr">' in client.get("/x", headers={"accept": "text/html",
                                                                    "cookie": "lang=en"}).text
    arabic_first = {"accept": "text/html", "accept-language": "ar-IQ,en;q=0.5"}
    assert 'dir="rtl"' in client.get("/x", headers=arabic_first).text
