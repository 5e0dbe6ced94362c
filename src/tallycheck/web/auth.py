"""Who is asking, and whether they may: one `RoleGuard` per route, deny by default.

Every route declares exactly one guard (`actor: Actor = Depends(allow(...))`); `create_app` refuses to start
otherwise (`check_guards`). The guard resolves the request's actor from the session cookie (or `ANONYMOUS`),
and answers 401 to an anonymous visitor on a route that needs a login and 403 to a logged-in user whose role
is not allowed; both refusals are written to the event log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from ..workflow.event_log import log_refusal
from ..workflow.roles import ANONYMOUS, Actor, Role

# `__Host-` makes the browser refuse the cookie unless it is Secure, has Path=/ and no Domain (RFC 6265bis
# 4.1.3.2), so a sibling subdomain cannot plant or overwrite it. Plain-http use (--insecure-cookies) cannot
# have the prefix.
SESSION_COOKIE = "__Host-tallycheck_session"
INSECURE_SESSION_COOKIE = "tallycheck_session"

SIGNED_IN = (Role.ADMIN, Role.BOARD, Role.AGENT, Role.OBSERVER)
PUBLIC = (Role.ANONYMOUS, *SIGNED_IN)  # results, forensics, audit progress, the log: anyone can verify
STATIC_MOUNT = "static"  # the one route without a guard: /static (CSS, JS), public by nature


# What a refused visitor reads (translated by the error page; msgids of the web catalog)
NEEDS_LOGIN = "Log in first: this page needs an account."
ROLE_REFUSED = "Your account's role may not do this."


class RouteGuardError(RuntimeError):
    """A route without exactly one role guard: the app refuses to start."""


def session_cookie_name(secure_cookies: bool) -> str:
    return SESSION_COOKIE if secure_cookies else INSECURE_SESSION_COOKIE


def current_actor(request: Request) -> Actor:
    """The actor behind a request, resolved once per request from its session cookie."""
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    room = request.app.state.room
    token = request.cookies.get(session_cookie_name(room.secure_cookies))
    actor = ANONYMOUS
    if token:
        from ..workflow.accounts import session_actor

        actor = session_actor(room.engine, token) or ANONYMOUS
    request.state.actor = actor
    return actor


class RoleGuard:
    """A FastAPI dependency that returns the request's actor if its role is one of `roles`, else refuses."""

    __slots__ = ("roles",)

    def __init__(self, roles: Iterable[Role]):
        self.roles = frozenset(Role(r) for r in roles)
        if not self.roles:
            raise ValueError("allow() needs at least one role")

    def __call__(self, request: Request) -> Actor:
        actor = current_actor(request)
        if actor.role in self.roles:
            return actor
        if actor.role is Role.ANONYMOUS:
            status, reason, shown = 401, "log in first: this page needs an account", NEEDS_LOGIN
        else:
            status, reason, shown = 403, f"the role {actor.role_name} may not do this", ROLE_REFUSED
        log_refusal(request.app.state.room.engine, actor=actor.name, role=actor.role_name,
                    action=f"{request.method} {request.url.path}", reason=reason)
        raise HTTPException(status_code=status, detail=shown)

    def __repr__(self) -> str:
        return f"allow({', '.join(sorted(r.value for r in self.roles))})"


def allow(*roles: Role) -> RoleGuard:
    """The guard of a route: `actor: Actor = Depends(allow(Role.ADMIN))`; `allow(*PUBLIC)` for public
    pages."""
    return RoleGuard(roles)


def _guards(dependant: Dependant) -> list[RoleGuard]:
    found = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, RoleGuard):
            found.append(dep.call)
        found += _guards(dep)
    return found


@dataclass(frozen=True, slots=True)
class GuardedRoute:
    path: str
    methods: tuple[str, ...]
    name: str
    roles: frozenset[Role]


def _flat_routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[BaseRoute, Any]]:
    """(the route as declared, the route as mounted: with the prefix and dependencies of the routers that
    include it). FastAPI >= 0.16x includes routers lazily; older versions copy their routes into the app."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        yield from ((r, r) for r in routes)
        return
    for context in iter_route_contexts(list(routes)):
        yield context.original_route, context


def check_guards(routes: Iterable[BaseRoute]) -> list[GuardedRoute]:
    """Every route and its roles; raises `RouteGuardError` naming the first route without exactly one
    guard."""
    out = []
    for original, mounted in _flat_routes(routes):
        if isinstance(original, Mount) and original.name == STATIC_MOUNT:
            continue
        path = getattr(mounted, "path", None) or getattr(original, "path", repr(original))
        if not isinstance(original, APIRoute):
            raise RouteGuardError(f"route {path!r} is not a FastAPI route with a role guard; add it through "
                                  "an APIRouter with Depends(allow(...))")
        dependant = getattr(mounted, "dependant", None) or original.dependant
        guards = _guards(dependant)
        methods = tuple(sorted(getattr(mounted, "methods", None) or original.methods or ()))
        if len(guards) != 1:
            raise RouteGuardError(
                f"route {'/'.join(methods)} {path} ({original.endpoint.__module__}.{original.name}) declares "
                f"{len(guards)} role guards; every route declares exactly one: "
                "actor: Actor = Depends(allow(...)) (allow(*PUBLIC) for a public page)")
        out.append(GuardedRoute(path, methods, original.name, guards[0].roles))
    return out
