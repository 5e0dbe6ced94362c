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
    workers: Annotated[int, typer.Option(
        min=1, help="Server processes. Each computes the results' analyses once (about 10 s for 55,000 "
                    "stations); all share the workflow database, whose writes are serialised.")] = 1,
) -> None:
    """Run the recount room: a web app over the package's results and its workflow database."""
    import json
    import os

    import uvicorn

    from .web.app import WORKER_SETTINGS, create_app

    check_package(package)
    try:
        app = create_app(package, db_url=db, store=store, secure_cookies=not insecure_cookies)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    # uvicorn's access log prints the method, path, query and status; no route takes a secret in its path or
    # query (sessions travel in a cookie, passwords and codes in POST bodies), so the log holds none.
    if workers == 1:
        uvicorn.run(app, host=host, port=port, proxy_headers=False, server_header=False)
        return
    # the app above checked the settings (and migrated the database) once; each worker builds its own
    os.environ[WORKER_SETTINGS] = json.dumps({"package": str(package.resolve()), "db": db,
                                              "store": str(store.resolve()) if store else None,
                                              "secure_cookies": not insecure_cookies})
    uvicorn.run("tallycheck.web.app:app_from_environment", factory=True, workers=workers, host=host, port=port,
                proxy_headers=False, server_header=False)


user_app = typer.Typer(help="Accounts of the recount room: add, list, disable.", no_args_is_help=True)


def _engine(package: Path, store: Path | None, db: str | None):  # type: ignore[no-untyped-def]
    from .importing import default_store
    from .workflow.database import open_workflow

    check_package(package)
    return open_workflow(store if store is not None else default_store(package), db)


@user_app.command("add")
def user_add(
    package: PackageArg,
    name: Annotated[str, typer.Argument(help="The account name (no spaces).", show_default=False)],
    role: Annotated[str, typer.Option("--role", help="admin | board | agent | observer.",
                                      show_default=False)],
    board: Annotated[Optional[str], typer.Option(
        "--board", help="The board of a board member (made on first use; two members per board).")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (at least 12 characters); "
                                 "without it a password is generated and printed once.")] = False,
    db: DbOpt = None,
    store: StoreOpt = None,
) -> None:
    """Add an account. An administrator enrols an authenticator app (TOTP) at their first login."""
    import sys

    from .terminal import err, out
    from .workflow import accounts
    from .workflow.audits import WorkflowError
    from .workflow.roles import cli_actor

    engine = _engine(package, store, db)
    actor = cli_actor()
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user_id, generated = accounts.add_user(engine, actor, name, role, password=password, board=board)
    except WorkflowError as exc:
        accounts.refuse(engine, actor, "add account", exc)
        err.print(f"Refused: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    out.print(f"Added {name} ({role}{f', board {board}' if board else ''}), account {user_id}.", markup=False,
              highlight=False)
    if generated:
        out.print(f"Password (shown once, give it to its owner): {generated}", markup=False, highlight=False)


@user_app.command("list")
def user_list(package: PackageArg, db: DbOpt = None, store: StoreOpt = None,
              json_out: Annotated[bool, typer.Option("--json",
                                                     help="Machine-readable JSON on stdout.")] = False
              ) -> None:
    """List the accounts: name, role, board, authenticator, created, disabled."""
    from .terminal import print_json, print_rows
    from .workflow import accounts

    rows = [{"name": u.name, "role": u.role.value, "board": u.board or "", "totp": u.totp_enrolled,
             "created": u.created, "disabled": u.disabled or ""}
            for u in accounts.list_users(_engine(package, store, db))]
    if json_out:
        print_json(rows)
    else:
        columns = ["name", "role", "board", "totp", "created", "disabled"]
        print_rows(columns, [[r[c] for c in columns] for r in rows])


@user_app.command("password")
def user_password(
    package: PackageArg,
    name: Annotated[str, typer.Argument(help="The account.", show_default=False)],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the new password from the first line of stdin; without it one is "
                                 "generated and printed once.")] = False,
    db: DbOpt = None,
    store: StoreOpt = None,
) -> None:
    """Set a new password (forgotten, or a locked account): the lockout is lifted, every session ends."""
    import sys

    from .terminal import err, out
    from .workflow import accounts
    from .workflow.audits import WorkflowError
    from .workflow.roles import cli_actor

    engine = _engine(package, store, db)
    actor = cli_actor()
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else accounts.generate_password()
    try:
        accounts.set_password(engine, actor, name, password)
    except WorkflowError as exc:
        accounts.refuse(engine, actor, "set password", exc)
        err.print(f"Refused: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    out.print(f"New password set for {name}; its sessions have ended.", markup=False, highlight=False)
    if not password_stdin:
        out.print(f"Password (shown once, give it to its owner): {password}", markup=False, highlight=False)


@user_app.command("disable")
def user_disable(package: PackageArg,
                 name: Annotated[str, typer.Argument(help="The account to disable.", show_default=False)],
                 db: DbOpt = None, store: StoreOpt = None) -> None:
    """Disable an account: it can no longer log in and its sessions end. Its history stays in the log."""
    from .terminal import err, out
    from .workflow import accounts
    from .workflow.audits import WorkflowError
    from .workflow.roles import cli_actor

    engine = _engine(package, store, db)
    actor = cli_actor()
    try:
        accounts.disable_user(engine, actor, name)
    except WorkflowError as exc:
        accounts.refuse(engine, actor, "disable account", exc)
        err.print(f"Refused: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    out.print(f"Disabled {name}; its sessions have ended.", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(user_app, name="user")
