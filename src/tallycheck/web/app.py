"""The recount room's FastAPI app: `create_app(package)` opens the package's evidence store and workflow
database and mounts every part's router (the list `ROUTERS`).

Deny by default: every route declares exactly one role guard (`auth.allow`), and the app refuses to start if
one does not. The only unguarded path is the static mount (/static: CSS and JS, public by nature).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException  # FastAPI's is a subclass; routing's 404 is Starlette's

from ..evidence import Store, StoreError
from ..importing import default_store
from ..workflow import event_log
from ..workflow.database import open_workflow
from ..workflow.roles import Actor
from .account_routes import router as account_router
from .room_routes import router as room_router
from .auth import PUBLIC, STATIC_MOUNT, allow, check_guards, session_cookie_name
from .entry_routes import router as entry_router
from .pages import router as pages_router
from .security import DEFAULT_MAX_BODY, SecurityMiddleware
from .templating import error_response, translate

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True, slots=True)
class Room:
    """What every request works on: the package, its immutable results versions and the workflow database."""

    package: Path
    store: Store
    engine: Engine
    election_name: str
    secure_cookies: bool = True
    max_body: int = DEFAULT_MAX_BODY


core_router = APIRouter()


@core_router.get("/healthz")
def healthz(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> JSONResponse:
    seq, sha = event_log.head(request.app.state.room.engine)
    return JSONResponse({"ok": True, "log_head": {"seq": seq, "sha256": sha}})


@core_router.get("/static/plotly.min.js")
def plotly_js(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> FileResponse:
    """plotly.js from the installed plotly package: no CDN, and the version the report uses."""
    return FileResponse(plotly_js_path(), media_type="text/javascript",
                        headers={"cache-control": "public, max-age=86400"})


def plotly_js_path() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


# ------------------------------------------------------------------------------------------------------------
# ROUTERS: every part of the room adds its APIRouter here (import it above the list). Each route in it needs
# exactly one `Depends(allow(...))` guard, or create_app refuses to start.
# ------------------------------------------------------------------------------------------------------------
ROUTERS: list[APIRouter] = [
    core_router,
    pages_router,
    account_router,
    entry_router,
    room_router,
]


def _election_name(store: Store, package: Path) -> str:
    try:
        return str(store.election_document().get("name") or package.name)
    except (StoreError, FileNotFoundError, ValueError):
        return package.name  # not imported yet: the pages say so


def create_app(package: Path, *, db_url: str | None = None, store: Path | None = None,
               secure_cookies: bool = True, max_body: int = DEFAULT_MAX_BODY,
               routers: list[APIRouter] | None = None) -> FastAPI:
    """The recount room for `package`: its store (PACKAGE/.tallycheck unless `store`), its workflow database
    (SQLite in the store unless `db_url`). `secure_cookies=False` only for plain-http use on a private
    machine. `max_body` limits request bodies (bytes); `routers` replaces ROUTERS (tests)."""
    package = Path(package)
    store_root = Path(store) if store is not None else default_store(package)
    evidence = Store(store_root)
    engine = open_workflow(store_root, db_url)
    app = FastAPI(title="tallycheck recount room", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.room = Room(package=package, store=evidence, engine=engine,
                          election_name=_election_name(evidence, package), secure_cookies=secure_cookies,
                          max_body=max_body)
    for router in (ROUTERS if routers is None else routers):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name=STATIC_MOUNT)
    app.state.guarded_routes = check_guards(app.routes)  # refuses to start on a route without one guard

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        from starlette.concurrency import run_in_threadpool

        message = str(exc.detail) if exc.status_code != 404 else "There is no page at this address."
        response = await run_in_threadpool(error_response, request, exc.status_code,
                                           translate(request, message))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    app.add_middleware(SecurityMiddleware, max_body=max_body,
                       session_cookie=session_cookie_name(secure_cookies), https_only=secure_cookies)
    return app


WORKER_SETTINGS = "TALLYCHECK_SERVE"  # what `tallycheck serve --workers N` hands its worker processes


def app_from_environment() -> FastAPI:
    """The app of one worker process of `tallycheck serve --workers N` (uvicorn starts each worker from this
    factory): the command's settings travel as JSON in the environment."""
    s = json.loads(os.environ[WORKER_SETTINGS])
    return create_app(Path(s["package"]), db_url=s.get("db"), store=Path(s["store"]) if s.get("store") else None,
                      secure_cookies=bool(s.get("secure_cookies", True)))
