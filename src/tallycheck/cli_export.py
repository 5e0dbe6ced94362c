"""`tallycheck export ...`: a results version in a published interchange format (NIST SP 1500-100 v2 JSON)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .cli_common import (
    EXIT_PROBLEMS,
    PackageArg,
    StoreOpt,
    UsageProblem,
    VersionOpt,
    check_package,
    open_store,
)
from .export.nist_cdf import ElectionType, ResultsStatus
from .terminal import err

export_app = typer.Typer(help="Export a results version in a published format (NIST SP 1500-100 v2 JSON).",
                         no_args_is_help=True)


def _choice(enum: Any, option: str, text: str) -> Any:
    try:
        return enum(text)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise UsageProblem(f"{option} must be one of {allowed}; got {text!r}.") from None


def _fail(message: str) -> None:
    err.print(f"Error: {message}", markup=False, highlight=False)
    raise typer.Exit(EXIT_PROBLEMS)


def schema_problems(report: dict[str, Any], schema_file: Path) -> list[str]:
    """Every way `report` breaks the JSON Schema in `schema_file` (draft-04), each with its JSON path, then
    every broken reference or bad `@id` (export.nist_cdf.reference_problems)."""
    from jsonschema import Draft4Validator

    from .export.nist_cdf import reference_problems

    try:
        schema = json.loads(schema_file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageProblem(f"Cannot read the schema {schema_file}: {exc}.") from None
    validator = Draft4Validator(schema)
    found = []
    for error in sorted(validator.iter_errors(report), key=lambda e: [str(p) for p in e.absolute_path]):
        found.append(f"{error.json_path}: {error.message}")
    return found + reference_problems(report, schema)


def write_atomically(path: Path, text: str) -> None:
    """Write a temporary file beside `path` and rename it into place: a reader never sees half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def nist_command(package: PackageArg, store: StoreOpt = None, version: VersionOpt = None,
                 out_file: Annotated[Optional[Path], typer.Option(
                     "--out", "-o", help="Write the JSON to this file (atomically) instead of stdout.")]
                 = None,
                 per_station: Annotated[bool, typer.Option(
                     "--per-station", help="Also every polling station's counts (a precinct-level report).")]
                 = False,
                 status: Annotated[str, typer.Option(
                     "--status", help="The results' status: certified (only where the commission certified "
                     "them), unofficial-complete, unofficial-partial, recount, correction.")]
                 = "unofficial-complete",
                 election_type: Annotated[str, typer.Option(
                     "--election-type",
                     help="general, special, runoff, primary, ... (the CDF's ElectionType).")]
                 = "general",
                 issuer: Annotated[Optional[str], typer.Option(
                     help="Who issues the report (default: the publisher in election.toml, else the "
                          "election name).")] = None,
                 issuer_abbreviation: Annotated[Optional[str], typer.Option(
                     help="The issuer's abbreviation (default: the election's country code).")] = None,
                 language: Annotated[str, typer.Option(
                     help="Language tag of names not in Arabic script (those are tagged ar).")] = "en",
                 schema: Annotated[Optional[Path], typer.Option(
                     "--schema", help="Validate against this copy of NIST_V2_election_results_reporting.json "
                     "before writing; refuse (exit 1) naming each JSON path that fails.")] = None) -> None:
    """Certified (or unofficial) results of a version as NIST SP 1500-100 v2 JSON (an ElectionReport):
    contests, candidates with their vote counts per district (and per station with --per-station), winners,
    parties, the area tree, ballots cast and rejected."""
    from .export.nist_cdf import SnapshotInfo, election_report
    from .seats.allocate import allocate
    from .seats.laws import LawError
    from .tabulate import tabulate

    status_value = _choice(ResultsStatus, "--status", status)
    type_value = _choice(ElectionType, "--election-type", election_type)
    if schema is not None and not schema.is_file():
        raise UsageProblem(f"--schema {schema}: no such file.")
    if out_file is not None and not out_file.parent.is_dir():
        raise UsageProblem(f"--out {out_file}: the folder {out_file.parent} does not exist.")
    st = open_store(check_package(package), store)
    info = st.resolve(version)
    data = st.load(info.name)
    tabulation = tabulate(data)
    try:
        seats = allocate(data, tabulation)
    except (LawError, ValueError) as exc:
        _fail(str(exc))
    latest = st.latest()
    snapshot = SnapshotInfo(info.name, info.number, latest.number if latest else info.number,
                            info.snapshot_sha256)
    try:
        report = election_report(data, tabulation, seats, snapshot,
                                 generated=dt.datetime.now(dt.timezone.utc), status=status_value,
                                 issuer=issuer, issuer_abbreviation=issuer_abbreviation,
                                 election_type=type_value, per_station=per_station, language=language)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    if schema is not None:
        problems = schema_problems(report, schema)
        if problems:
            shown = "\n".join(f"  {p}" for p in problems[:50])
            more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
            _fail(f"The export does not validate against {schema.name} ({len(problems)} problem"
                  f"{'s' * (len(problems) != 1)}); nothing written:\n{shown}{more}")
    text = json.dumps(report, ensure_ascii=False, indent=1) + "\n"
    if out_file is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(out_file, text)
        err.print(f"Wrote {out_file} ({info.name}, status {status_value.value}"
                  f"{', validated' if schema is not None else ''}).", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    export_app.command("nist")(nist_command)
    app.add_typer(export_app, name="export")
