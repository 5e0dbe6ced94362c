"""What every request and response of the recount room goes through (an ASGI middleware, outermost):

- security headers on every response, including a Content-Security-Policy whose `script-src 'self'` forbids
  any inline script (pages carry chart data as JSON blocks that `static/room.js` draws);
- CSRF: a state-changing request (POST, PUT, PATCH, DELETE) must come from the room's own pages: its `Origin`
  must equal the server's origin, and `Sec-Fetch-Site`, when the browser sends it, must be `same-origin`
  (OWASP CSRF cheat sheet, "Verifying origin with standard headers" and "Fetch Metadata"). SameSite=Strict
  cookies are the second line. A refusal is a 403 and an event-log entry;
- a request body limit (413 naming the limit) checked on the Content-Length and again while the body streams
  in.

`Cache-Control: no-store` goes on every response to a request that carries a session cookie (and on the one
that sets it), so a logged-in page is never kept by a browser or a proxy. Static files are public and cached.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# 'unsafe-inline' for styles only: plotly.js adds its own <style> element at run time (mode bar, hover labels,
# cursors), which a style-src without it blocks: Chromium reports the violation and plotly logs "Cannot
# addRelatedStyleRule, probably due to strict CSP" (checked with Debian's Chromium). Styles cannot run code;
# scripts stay 'self' only. data: images: plotly's "download as PNG" and its modebar logo.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "frame-ancestors 'none'; form-action 'self'")

HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers without CSP level 2
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)

DEFAULT_MAX_BODY = 16 * 1024 * 1024  # bytes: a national hand-count file is a few MB


class BodyTooLarge(BaseException):
    """Raised from `receive` when a body outgrows the limit. A BaseException because FastAPI turns any
    Exception met while it parses a form into a 400; this one must reach the middleware, which answers 413."""


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return v.decode("latin-1")
    return None


def own_origin(scope: Scope) -> str:
    """scheme://host[:port] as the client addressed this server (the Host header)."""
    host = _header(scope, b"host")
    if host is None:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    scheme = scope.get("scheme", "http")
    host = host.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and host.endswith(default):
        host = host[: -len(default)]
    return f"{scheme}://{host}"


def csrf_refusal(scope: Scope) -> str | None:
    """Why a state-changing request is refused as cross-site, or None if it is same-origin."""
    origin = _header(scope, b"origin")
    site = _header(scope, b"sec-fetch-site")
    if site is not None and site != "same-origin":
        return f"cross-site request refused (Sec-Fetch-Site: {site}); use the room's own forms"
    if origin is None:
        return "request refused: no Origin header (a browser sends one with every form post)"
    if origin.lower().rstrip("/") != own_origin(scope):
        return f"cross-origin request refused (Origin {origin} is not {own_origin(scope)})"
    return None


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int = DEFAULT_MAX_BODY, session_cookie: str,
                 https_only: bool = False):
        self.app = app
        self.max_body = max_body
        self.session_cookie = session_cookie
        self.hsts = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        method = scope["method"]
        if method in UNSAFE_METHODS:
            reason = csrf_refusal(scope)
            if reason is not None:
                await self._refuse(scope, receive, send, 403, reason, action="csrf")
                return
            length = _header(scope, b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body:
                await self._refuse(scope, receive, send, 413, self._too_large(), action="upload",
                                   limit_bytes=self.max_body)
                return
        authenticated = self.session_cookie in request.cookies
        static = scope["path"].startswith("/static/")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", ()))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                sets_session = any(k.lower() == b"set-cookie" and v.startswith(self.session_cookie.encode())
                                   for k, v in headers)
                if (authenticated or sets_session) and not static:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                    headers.append((b"vary", b"Cookie"))
                message["headers"] = headers
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, 413, self._too_large(), action="upload",
                               limit_bytes=self.max_body)

    def _too_large(self) -> str:
        mib = self.max_body / (1024 * 1024)
        return f"the request body is larger than the limit of {self.max_body:,} bytes ({mib:g} MiB)"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, reason: str, *,
                      action: str, **extra: Any) -> None:
        from starlette.concurrency import run_in_threadpool

        from ..workflow.event_log import log_refusal
        from .auth import current_actor
        from .templating import error_response

        request = Request(scope, receive)

        def refuse() -> Any:  # database work: off the event loop
            actor = current_actor(request)
            log_refusal(scope["app"].state.room.engine, actor=actor.name, role=actor.role_name,
                        action=f"{scope['method']} {scope['path']}", reason=reason, payload={"check": action})
            return error_response(request, status, reason, **extra)

        response = await run_in_threadpool(refuse)
        await self._send_with_headers(response, scope, receive, send)

    async def _send_with_headers(self, response: Any, scope: Scope, receive: Receive, send: Send) -> None:
        async def add(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", ())) + list(HEADERS) + [
                    (b"cache-control", b"no-store")]
            await send(message)

        await response(scope, receive, add)
