"""`tallycheck log ...`: export the recount room's event log as JSON Lines, and verify an export's hash chain.

Verification needs nothing but the export (and no database): anyone who downloaded `/log/export.jsonl` from the
room re-checks it with `tallycheck log verify` and compares the head hash with the one the room shows.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import EXIT_PROBLEMS, PackageArg, StoreOpt, UsageProblem, check_package, open_store
from .terminal import err, out

log_app = typer.Typer(help="The recount room's event log: export it, verify an export's hash chain.",
                      no_args_is_help=True)

DbOpt = Annotated[Optional[str], typer.Option(
    "--db", help="Workflow database URL (postgresql://...) [default: SQLite in the package's store].")]


def _say(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _fail(text: str) -> None:
    err.print(f"Error: {text}", markup=False, highlight=False)
    raise typer.Exit(EXIT_PROBLEMS)


@log_app.command("verify")
def verify_command(export: Annotated[Path, typer.Argument(help="A JSON Lines export of the log.",
                                                          show_default=False)]) -> None:
    """Recompute the hash chain of a log export: exit 0 and the head hash, or exit 1 naming the first bad entry
    and its line."""
    from .evidence.chain import read_export, verify_entries

    if not export.is_file():
        raise UsageProblem(f"{export} is not a file. Download the log from the room's /log/export.jsonl or write "
                           "it with `tallycheck log export PACKAGE --out FILE`.")
    try:
        text = export.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        _fail(f"{export} is not UTF-8 text (byte {exc.start}); a log export is JSON Lines in UTF-8.")
    entries, problem = read_export(text)
    if problem is not None:
        _fail(f"{export}, {problem}; {len(entries)} entries before it were read.")
    result = verify_entries(entries)
    if not result.ok:
        _fail(f"{export}: {result.message}. Entries before it that verify: {result.entries}, head "
              f"{result.head}.")
    _say(result.message)


@log_app.command("export")
def export_command(package: PackageArg,
                   out_file: Annotated[Path, typer.Option("--out", help="JSON Lines file to write.",
                                                          show_default=False)],
                   store: StoreOpt = None, db: DbOpt = None) -> None:
    """Write the whole event log, oldest entry first, as JSON Lines (what the room serves at /log/export.jsonl)."""
    from sqlalchemy.exc import SQLAlchemyError

    from .evidence.chain import GENESIS
    from .workflow.database import DATABASE, open_workflow
    from .workflow.event_log import export_lines

    check_package(package)
    root = open_store(package, store).root
    if db is None and not (root / DATABASE).is_file():
        raise UsageProblem(f"{package} has no workflow database ({root / DATABASE}): nothing has been logged yet. "
                           "Give --db if the room runs on PostgreSQL.")
    try:
        engine = open_workflow(root, db, create=False)
    except (SQLAlchemyError, ValueError) as exc:
        raise UsageProblem(f"cannot open the workflow database {db}: {exc}") from None
    out_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_file.name}.", suffix=".tmp", dir=out_file.parent)
    n, last = 0, ""
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            for line in export_lines(engine):
                fh.write(line)
                n, last = n + 1, line
        os.chmod(tmp, 0o644)  # an export is meant to be published
        os.replace(tmp, out_file)
    except SQLAlchemyError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageProblem(f"cannot read the event log from the workflow database: {exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    # the head of what was written (entries appended meanwhile go in the next export), from the last line itself
    head = json.loads(last)["sha256"] if last else GENESIS
    _say(f"{n} entries exported to {out_file}; head {head}. Check it with `tallycheck log verify {out_file}`.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `tallycheck` app."""
    app.add_typer(log_app, name="log")
