"""In a real browser (Debian's Chromium, headless, through Playwright) against a real server on loopback:
the `__Host-` Secure session cookie is kept on http://127.0.0.1 (a potentially trustworthy origin), and a page
with a plotly chart draws under the room's Content-Security-Policy with no violation, while the same page
without the style exception reports one (the reason for `style-src 'unsafe-inline'`, docs/recount-room.md)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from tallycheck.web import app as web_app
from tallycheck.web import security, templating
from tallycheck.web.auth import PUBLIC, SESSION_COOKIE, allow
from tallycheck.workflow import accounts
from tallycheck.workflow.roles import Actor, cli_actor

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"
CHART_PAGE = ('{% extends "base.html" %}{% block title %}chart{% endblock %}{% block content %}'
              '<script type="application/json" class="chart-data" id="fig">{{ fig|chart_json }}</script>'
              '{% endblock %}')


def _chart_router() -> APIRouter:
    import plotly.graph_objects as go

    router = APIRouter()

    @router.get("/test-chart")
    def chart(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> HTMLResponse:
        figure = go.Figure(go.Bar(x=["a", "b"], y=[3, 5]), layout={"title": {"text": "</script><b>x"}})
        html = templating.environment.from_string(CHART_PAGE)
        ctx = templating.page_context(request)
        return HTMLResponse(html.render(**ctx, fig=figure))

    return router


@pytest.fixture
def server(tiny: Path) -> Iterator[tuple[str, FastAPI]]:
    import uvicorn

    from tallycheck.importing import import_package

    pytest.importorskip("playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    assert import_package(tiny).outcome is not None
    app = web_app.create_app(tiny, routers=[*web_app.ROUTERS, _chart_router()])
    accounts.add_user(app.state.room.engine, cli_actor(), "olga", "observer", password=PASSWORD)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    thread.join(10)


def _browse(base: str, path: str, csp: str | None = None) -> tuple[list[dict], list[str], int]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        messages: list[str] = []
        page.on("console", lambda m: messages.append(m.text))
        if csp is not None:  # the same page under another policy
            def swap_policy(route) -> None:  # type: ignore[no-untyped-def]
                response = route.fetch()
                route.fulfill(response=response, headers={**response.headers, "content-security-policy": csp})

            page.route("**/test-chart", swap_policy)
        page.goto(base + "/login")
        page.fill("#name", "olga")
        page.fill("#password", PASSWORD)
        page.click("form.stacked button[type=submit]")
        page.wait_for_load_state()
        cookies = page.context.cookies()
        page.goto(base + path)
        page.wait_for_selector("#fig-chart .main-svg", timeout=20000)
        page.wait_for_timeout(500)
        bars = page.locator("#fig-chart .bars path").count()
        browser.close()
    return cookies, messages, bars


def test_secure_host_cookie_on_loopback_and_the_chart_under_the_csp(server: tuple[str, FastAPI]) -> None:
    base, app = server
    cookies, messages, bars = _browse(base, "/test-chart")
    session = [c for c in cookies if c["name"] == SESSION_COOKIE]
    assert len(session) == 1 and session[0]["secure"] and session[0]["httpOnly"]
    assert session[0]["sameSite"] == "Strict"
    assert bars == 2  # the figure travelled as JSON and room.js drew it
    assert not [m for m in messages if "Content Security Policy" in m or "strict CSP" in m], messages


def test_without_the_style_exception_plotly_is_blocked(server: tuple[str, FastAPI]) -> None:
    base, _ = server
    strict = security.CONTENT_SECURITY_POLICY.replace(" 'unsafe-inline'", "")
    _, messages, _ = _browse(base, "/test-chart", csp=strict)
    blocked = [m for m in messages if "style-src 'self'" in m or "strict CSP" in m]
    assert blocked, messages
