"""`tallycheck serve` (the recount room) and `tallycheck user ...` (its accounts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import PackageArg, StoreOpt, UsageProblem, check_package

DbOpt = Annotated[Optional[str], typer.Option(
    "--db", help="Workflow database URL, e.g. postgresql://user@host/db [default: SQLite in the store].")]


def serve(
    package: PackageArg,
    db: DbOpt = None,
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies",
        help="Session cookie without Secure and the __Host- prefix, for plain http on a host other than "
             "localhost. Not needed for http://127.0.0.1 or http://localhost (browsers accept Secure cookies "
             "there) nor behind HTTPS.")] = False,
) -> None:
    """Run the recount room: a web app over the package's results and its workflow database."""
    import uvicorn

    from .web.app import create_app

    check_package(package)
    try:
        app = create_app(package, db_url=db, store=store, secure_cookies=not insecure_cookies)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    # uvicorn's access log prints the method, path, query and status; no route takes a secret in its path or
    # query (sessions travel in a cookie, passwords and codes in POST bodies), so the log holds none.
    uvicorn.run(app, host=host, port=port, proxy_headers=False, server_header=False)


def register(app: typer.Typer) -> None:
    app.command()(serve)
