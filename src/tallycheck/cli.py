"""The `tallycheck` command. Thin: parse the arguments, call the core, print.

Exit codes: 0 done / valid, 1 refused / problems found, 2 usage error, 3 internal error (a bug: please report it).
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import numpy as np

import pyarrow.csv as pacsv
import typer

from . import __version__
from .evidence import Store, StoreError
from .seats.ties import Lot
from .importing import default_store, import_package, validate_package
from .cli_common import (EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EncodingOpt, JsonOpt,  # noqa: F401
                         PackageArg, StoreOpt, StrictOpt, UsageProblem, VersionOpt, check_encoding, check_package,
                         open_store)
from .terminal import (err, out, print_json, print_problems, print_rows, print_table, progress_steps,
                       summarise_problems)

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="tallycheck: settle disputed elections with evidence.")


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"tallycheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    """tallycheck: settle disputed elections with evidence."""


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the package to (must not exist or be empty).")],
    shape: Annotated[str, typer.Option(help="Shape of the election.")] = "iraq-2021",
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 1,
    stations: Annotated[Optional[int], typer.Option(help="Number of polling stations (default: as in the shape).")] = None,
    candidates: Annotated[Optional[int], typer.Option(help="At most this many candidates per general contest.")] = None,
    fraud: Annotated[str, typer.Option(help="Injected fraud: stuffing=R,moved=R,rounded=R (shares of stations).")] = "",
    errors: Annotated[float, typer.Option(help="Share of stations with clerical errors (sheets that do not add up).")] = 0.0,
    names: Annotated[str, typer.Option(help="Candidate names: latin or arabic.")] = "latin",
) -> None:
    """Write a synthetic election package, with injected fraud labelled under truth/."""
    from .synth import SHAPES, generate as synth_generate, parse_fraud_spec

    if shape not in SHAPES:
        raise UsageProblem(f"Unknown shape {shape!r}; known: {', '.join(SHAPES)}.")
    try:
        spec = parse_fraud_spec(fraud) if fraud else None
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    with progress_steps() as step:
        try:
            g = synth_generate(shape=shape, seed=seed, out=out_dir, stations=stations, candidates_per_contest=candidates,
                               fraud=spec, errors=errors, names=names, progress=lambda s, d, t: step(s, d, t))
        except FileExistsError as exc:
            raise UsageProblem(f"{out_dir} exists and is not empty: choose a new folder ({exc}).") from None
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
    out.print(f"Wrote {out_dir}: {g.stations:,} stations, {g.candidates:,} candidates, {g.seats} seats, "
              f"{g.results_rows:,} result rows.")


ADAPTERS = {
    "afghanistan-2010": "IEC station results of the 2010 Wolesi Jirga election (SNTV with women's seats)",
    "uganda-2011": "Uganda presidential election 2011, station results (UEDP)",
    "uganda-2016": "Uganda presidential election 2016, station results (UEDP)",
    "uganda-2021": "Uganda presidential election 2021, station results (UEDP)",
}


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help=f"What to convert: {', '.join(ADAPTERS)}.", show_default=False)],
    source_dir: Annotated[Path, typer.Argument(help="The folder of the published files.", show_default=False)],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the package to (must not exist or be empty).")],
    province: Annotated[Optional[list[str]], typer.Option(
        help="afghanistan-2010 only: only these station files (repeatable).")] = None,
) -> None:
    """Turn a commission's published files into an election package (then `tallycheck import` it)."""
    if source not in ADAPTERS:
        raise UsageProblem(f"Unknown source {source!r}; known: {', '.join(f'{k} ({v})' for k, v in ADAPTERS.items())}.")
    if source == "afghanistan-2010":
        from .ingest import afghanistan_2010 as adapter

        def write() -> object:
            return adapter.write_package(source_dir, out_dir, province or None)
    else:
        from .ingest import uganda_uedp as adapter  # type: ignore[no-redef]

        if province:
            raise UsageProblem("--province applies to afghanistan-2010 only.")

        def write() -> object:
            return adapter.write_package(source_dir, out_dir, int(source.rsplit("-", 1)[1]))
    try:
        summary = write()
    except adapter.SourceDataError as exc:  # before ValueError, of which it is one
        err.print(f"The source files are not as expected: {exc}")
        raise typer.Exit(EXIT_PROBLEMS) from None
    except (FileExistsError, FileNotFoundError, ValueError) as exc:
        raise UsageProblem(str(exc)) from None
    out.print(f"Wrote {out_dir}: {summary.candidates:,} candidates, {summary.stations:,} stations, "  # type: ignore[attr-defined]
              f"{summary.results:,} result rows. Next: tallycheck import {out_dir}")  # type: ignore[attr-defined]


@app.command()
def validate(package: PackageArg, encoding: EncodingOpt = None, strict: StrictOpt = False, json: JsonOpt = False) -> None:
    """Check every rule of the package without storing anything."""
    with progress_steps(not json) as step:
        check = validate_package(check_package(package), encoding=check_encoding(encoding), strict=strict, progress=step)
    problems = check.validation.problems
    refused = check.validation.data is None
    if json:
        print_json({"valid": not refused, "problems": [p.to_dict() for p in problems]})
    else:
        print_problems(problems)
        verdict = "refused" if refused else "valid"
        err.print(f"{package}: {verdict} ({summarise_problems(problems)}).")
    raise typer.Exit(EXIT_PROBLEMS if refused else EXIT_OK)


@app.command("import")
def import_(package: PackageArg, store: StoreOpt = None, encoding: EncodingOpt = None, strict: StrictOpt = False,
            json: JsonOpt = False) -> None:
    """Check the package and store it as a new immutable snapshot version (all or nothing)."""
    pkg = check_package(package)
    with progress_steps(not json) as step:
        result = import_package(pkg, store, encoding=check_encoding(encoding), strict=strict, progress=step)
    problems = result.problems
    if json:
        body: dict = {"imported": not result.refused, "problems": [p.to_dict() for p in problems]}
        if result.outcome:
            v = result.outcome.version
            body.update(version=v.name, created=result.outcome.created, snapshot_sha256=v.snapshot_sha256)
        print_json(body)
    else:
        print_problems(problems)
        if result.outcome is None:
            err.print(f"Import refused: {summarise_problems(problems)}. Nothing was written.")
        else:
            v = result.outcome.version
            if result.outcome.created:
                out.print(f"Imported {package} as {v.name} ({summarise_problems(problems)}).")
            else:
                out.print(f"Nothing to do: the files are identical to {v.name}.")
            out.print(f"snapshot sha256 {v.snapshot_sha256}")
    raise typer.Exit(EXIT_PROBLEMS if result.refused else EXIT_OK)


@app.command()
def verify(package: PackageArg, store: StoreOpt = None, json: JsonOpt = False) -> None:
    """Recompute every snapshot hash from the stored rows and check the chain of versions."""
    from .evidence.verify import changed_inputs, verify_store

    st = open_store(check_package(package), store)
    if not st.versions():
        raise UsageProblem(f"No snapshot in {st.root}: run `tallycheck import {package}` first.")
    result = verify_store(st)
    latest = st.latest()
    changed = changed_inputs(package, latest) if latest else []
    if json:
        print_json({"ok": result.ok, "checks": [{"version": c.version, "ok": c.ok, "message": c.message}
                                                 for c in result.checks], "package_files_changed_since_latest": changed})
    else:
        for c in result.checks:
            (out if c.ok else err).print(("ok   " if c.ok else "FAIL ") + c.message)
        if changed:
            out.print(f"Note: these package files differ from those {latest.name} was imported from: "
                      f"{', '.join(changed)}. Import them to make a new version.")
        out.print("Store verified." if result.ok else "Store does NOT verify.")
    raise typer.Exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


@app.command()
def versions(package: Annotated[Path, typer.Argument(help="The election package folder.")] = Path("."),
             store: StoreOpt = None, json: JsonOpt = False) -> None:
    """List the snapshot versions of a package."""
    st = open_store(check_package(package), store)
    vs = st.versions()
    if json:
        print_json([{"version": v.name, "created": v.created, "snapshot_sha256": v.snapshot_sha256,
                     "parent": v.parent, "warnings": v.warnings, "results_rows": v.rows("results"),
                     "inputs": v.manifest.get("inputs", [])} for v in vs])
        return
    if not vs:
        err.print(f"No snapshot in {st.root}: run `tallycheck import` first.")
        return
    print_rows(("version", "created", "snapshot sha256", "stations", "result rows", "warnings"),
               [(v.name, v.created, v.snapshot_sha256, v.rows("stations"), v.rows("results"), v.warnings) for v in vs])


@app.command()
def diff(v1: Annotated[str, typer.Argument(help="The earlier version (name or hash).")],
         v2: Annotated[str, typer.Argument(help="The later version (name or hash).")],
         package: Annotated[Path, typer.Option("--package", "-p", help="The election package folder.")] = Path("."),
         store: StoreOpt = None, json: JsonOpt = False,
         limit: Annotated[int, typer.Option(help="Rows shown per table on a terminal.")] = 50) -> None:
    """What changed between two versions, per station and candidate, and per candidate in total."""
    from .evidence.diff import diff_versions

    st = open_store(check_package(package), store)
    d = diff_versions(st, v1, v2)
    if json:
        print_json({"from": d.old.name, "to": d.new.name, "results": d.results.to_pylist(),
                    "sheets": d.sheets.to_pylist(), "stations": d.stations.to_pylist(), "totals": d.totals.to_pylist()})
        return
    out.print(f"{d.old.name} → {d.new.name}: {d.results.num_rows:,} result rows, {d.sheets.num_rows:,} sheets and "
              f"{d.stations.num_rows:,} stations changed.")
    if d.totals.num_rows:
        print_table(d.totals, title="Totals per candidate that changed", limit=limit)
    if d.results.num_rows:
        print_table(d.results, title="Per station and candidate", limit=limit)
    if d.sheets.num_rows:
        print_table(d.sheets, title="Sheets", limit=limit)
    if d.stations.num_rows:
        print_table(d.stations, title="Stations", limit=limit)


class TabulateBy(str, Enum):
    contest = "contest"
    candidate = "candidate"
    list = "list"
    party = "party"
    area = "area"
    party_area = "party-area"


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def tabulate(package: PackageArg, store: StoreOpt = None, version: VersionOpt = None,
             by: Annotated[TabulateBy, typer.Option(help="What to total by.")] = TabulateBy.contest,
             level: Annotated[Optional[str], typer.Option(help="Only areas of this level (e.g. governorate).")] = None,
             contest: Annotated[Optional[str], typer.Option(help="Only this contest.")] = None,
             format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
             out_file: Annotated[Optional[Path], typer.Option("--out", help="Write to this file instead of stdout.")] = None,
             ) -> None:
    """Totals per contest, candidate, list, party or area, with turnout."""
    import pyarrow.compute as pc

    from .tabulate import tabulate as run_tabulate

    data = open_store(check_package(package), store).load(version)
    table = run_tabulate(data).by(by.value)
    if level and "level" in table.column_names:
        table = table.filter(pc.equal(table.column("level"), level))
    if contest and "contest_id" in table.column_names:
        table = table.filter(pc.equal(table.column("contest_id"), contest))
    if format is OutputFormat.csv:
        target = out_file if out_file else sys.stdout.buffer
        pacsv.write_csv(table, target, pacsv.WriteOptions(quoting_style="needed"))
    elif format is OutputFormat.json:
        if out_file:
            import json as _json
            out_file.write_text(_json.dumps(table.to_pylist(), ensure_ascii=False, indent=1), "utf-8")
        else:
            print_json(table.to_pylist())
    else:
        print_table(table, title=f"{data.election.name}: by {by.value}")


@app.command()
def report(package: PackageArg, store: StoreOpt = None, version: VersionOpt = None,
           out_file: Annotated[Optional[Path], typer.Option("--out", help="HTML file to write [default: PACKAGE/report.html].")] = None,
           seed: Annotated[str, typer.Option(help="Public seed of the lot that breaks exact seat ties.")] = "0",
           screen: Annotated[bool, typer.Option("--screen/--no-screen", help="Screen every station (forensics).")] = True,
           mixture: Annotated[bool, typer.Option("--mixture/--no-mixture", help="Fit the mixture fraud model (slowest step).")] = True,
           lang: Annotated[str, typer.Option("--lang", help="Language of the report: en, ar, or any language with a report catalog (docs/translating.md).")] = "en",
           ) -> None:
    """Write a standalone HTML report (works offline): totals, seats and margins, and the forensic screen."""
    from .report.messages import UnknownLanguage, report_messages

    try:
        messages = report_messages(lang)
    except UnknownLanguage as exc:
        raise typer.BadParameter(str(exc), param_hint="--lang") from None
    check_package(package)
    st = open_store(package, store)
    with progress_steps() as step:
        path = _write_report(package, st, version, out_file or package / "report.html", Lot(seed), screen, mixture, step,
                             messages=messages)
    out.print(f"Report written to {path}")


@dataclass(frozen=True, slots=True)
class _Analyses:
    """What the report shows beyond the totals; None where it could not be computed (the note says why)."""

    seats: Any
    margins: Any
    screen: Any
    truth: Any
    notes: tuple[str, ...]
    audit: Any = None  # workflow.audit_demo.DemoAudit, in the demo


def _analyse(package: Path, data: Any, tab: Any, lot: Any, screen: bool, mixture: bool, step: Any,
             seed: int = 0) -> _Analyses:
    from .forensics.from_package import package_table, synthetic_truth
    from .forensics.screen import screen as run_screen
    from .seats.allocate import allocate
    from .seats.laws import LawError
    from .seats.margins import seat_margins

    notes: list[str] = []
    seats = margins = screened = truth = None
    step("allocating seats")
    try:
        seats = allocate(data, tab, lot=lot)
        step("seat margins")
        margins = seat_margins(seats, data)
    except LawError as exc:
        notes.append(f"Seats not allocated: {exc}")
    if screen:
        from .forensics.concentration import from_package

        table = package_table(data)
        screened = run_screen(table, mixture=mixture, seed=seed, progress=lambda name: step(f"screening: {name}"),
                              concentration=from_package(data, table))
        truth = synthetic_truth(package, table)
    return _Analyses(seats, margins, screened, truth, tuple(notes))


def _sections(data: Any, a: _Analyses, messages: Any = None) -> tuple[Any, ...]:
    from .report.blocs import blocs_section
    from .report.forensics import forensics_section
    from .report.messages import ENGLISH
    from .report.seats import seats_section

    m = messages or ENGLISH

    sections = []
    if a.seats is not None:
        sections.append(seats_section(data, a.seats, a.margins, messages=m))
        sections.append(blocs_section(a.seats, ("majority", "2/3"), messages=m))
    if a.screen is not None:
        sections.append(forensics_section(a.screen, a.truth, messages=m))
    if a.audit is not None:
        from .report.audit import audit_section

        d = a.audit
        sections.append(audit_section(d.final, risk_limit=d.risk_limit, seed=d.seed, design="batch-comparison",
                                      risk_function="kaplan-markov", rounds=len(d.rounds),
                                      stations_counted=d.stations_counted, recounts=d.recounts,
                                      expected_stations=d.expected_stations,
                                      names={c.contest_id: c.name for c in data.contests}, messages=m))
    return tuple(sections)


def _write_report(package: Path, st: Store, version: str | None, out_file: Path, lot: Any, screen: bool,
                  mixture: bool, step: Any, messages: Any = None) -> Path:
    from .report import build_report
    from .tabulate import tabulate as run_tabulate

    v = st.resolve(version)
    data = st.load(v.name)
    step("tabulating")
    tab = run_tabulate(data)
    a = _analyse(package, data, tab, lot, screen, mixture, step)
    for note in a.notes:
        err.print(note)
    step("writing the report")
    from .report.messages import ENGLISH

    m = messages or ENGLISH
    return build_report(data, tab, out=out_file, version=v, problems=st.problems(v.name),
                        extra_sections=_sections(data, a, m), messages=m)


@app.command()
def demo(out_dir: Annotated[Path, typer.Option("--out", help="Working folder for the demo.")] = Path("demo-out"),
         seed: Annotated[int, typer.Option(help="Random seed.")] = 2021,
         stations: Annotated[Optional[int], typer.Option(help="Polling stations (default: Iraq's ~55,000).")] = None,
         ) -> None:
    """Generate an Iraq-shaped election with injected fraud, import, validate, tabulate and report on it."""
    import shutil
    import time

    from .synth import FraudSpec, generate as synth_generate
    from .tabulate import tabulate as run_tabulate

    package = out_dir / "iraq-2021-synthetic"
    if package.exists():
        shutil.rmtree(package)  # the demo owns this folder; a user's own data never lives there
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with progress_steps() as step:
        step("generating an Iraq-shaped election")
        g = synth_generate(shape="iraq-2021", seed=seed, out=package, stations=stations,
                           fraud=FraudSpec(stuffing=0.02, moved=0.02, rounded=0.01), errors=0.005, names="latin",
                           progress=lambda s, d, t: step(s, d, t))
        out.print(f"1. Generated {g.stations:,} stations, {g.candidates:,} candidates, {g.seats} seats "
                  f"({g.results_rows:,} result rows) in {package}")
        result = import_package(package, progress=step)
        if result.outcome is None:
            print_problems(result.problems)
            raise typer.Exit(EXIT_PROBLEMS)
        v = result.outcome.version
        out.print(f"2. Imported and validated as {v.name} with {summarise_problems(result.problems)}; "
                  f"snapshot sha256 {v.snapshot_sha256}")
        st = Store(default_store(package))
        data = st.load(v.name)
        step("tabulating")
        tab = run_tabulate(data)
        for r in (r for r in tab.areas.to_pylist() if not r["parent"]):  # the top of the area tree
            out.print(f"3. Tabulated: {r['name']}: {r['registered']:,} registered, {r['ballots_cast']:,} ballots cast, "
                      f"turnout {r['turnout']:.1%}")
        a = _analyse(package, data, tab, Lot(str(seed)), True, True, step, seed=seed)
        for note in a.notes:
            err.print(note)
        if a.seats is not None:
            replaced = sum(len(c.replacements) for c in a.seats.contests)
            near = a.margins[0] if a.margins else None
            out.print(f"4. Seats under {a.seats.law}: {a.seats.seats} seats, {a.seats.women} women "
                      f"({replaced} by quota replacement), {len(a.seats.ties)} ties drawn by lot"
                      + (f"; closest seat: {near.holder} in {near.contest_id}, "
                         f"{near.ballots:,} ballot{'' if near.ballots == 1 else 's'} from changing hands"
                         if near is not None and near.ballots is not None else ""))
        s = a.screen
        if s is not None:
            flagged = int(np.sum(s.flagged()))
            line = (f"5. Screened {len(s.table):,} station sheets: {flagged:,} flagged at a false discovery rate of "
                    f"{s.alpha:g}")
            if a.truth is not None:
                injected = np.isin(a.truth.label, ("stuffing", "moved", "rounded"))
                hit = int(np.sum(s.flagged() & injected))
                line += (f"; {hit:,} of them carry injected fraud ({int(np.sum(injected)):,} sheets were "
                         f"tampered with)")
            out.print(line + ". A flag is a reason to look, not proof.")
        if a.truth is not None:
            a = _demo_audit(package, st, a, seed, out_dir, step)
        step("writing the report")
        from .report import build_report
        path = build_report(data, tab, out=out_dir / "report.html", version=v, problems=st.problems(v.name),
                            extra_sections=_sections(data, a))
    out.print(f"7. Report: {path.resolve()}")
    if a.audit is not None:
        from .workflow.database import open_workflow
        from .workflow.event_log import head

        engine = open_workflow(st.root)
        seq, sha = head(engine)
        engine.dispose()
        out.print(f"8. Event log: {seq:,} entries, head {sha}. Open the recount room on this election: "
                  f"tallycheck user add {package} admin --role admin; tallycheck serve {package}")
    out.print(f"Done in {time.perf_counter() - t0:.1f} s. Verify the evidence with: tallycheck verify {package}; "
              f"seats and margins: tallycheck seats {package}; the screen: tallycheck screen {package}")


DEMO_RECOUNTS = 50  # complaints: the screen's most suspicious stations, recounted in full before the sample


def _demo_audit(package: Path, st: Store, a: _Analyses, seed: int, out_dir: Path, step: Any) -> _Analyses:
    """Step 6 of the demo: complaints recount the most suspicious stations, then a risk-limiting audit draws
    from dice rolls (the demo's seed, repeated to 20 digits) and the boards' counts come from the truth."""
    import dataclasses

    from .workflow.audit_demo import run_demo_audit

    s = a.screen
    recounts: list[str] = []
    if s is not None:
        flagged = s.flagged()
        for i in s.ranking():
            sid = str(s.table.station_id[i])
            if flagged[i] and sid not in recounts:
                recounts.append(sid)
            if len(recounts) == DEMO_RECOUNTS:
                break
    dice = (str(seed) * 20)[:20]
    d = run_demo_audit(package, st, risk_limit=0.05, seed=dice, recounts=recounts, folder=out_dir / "audit",
                       step=step)
    full = [c for c in d.final if c.state.value == "full count"]
    confirmed = sum(c.state.value == "confirmed" for c in d.final)
    out.print(f"6. Audited at risk limit 0.05 from dice {dice}: {len(recounts)} complaint recounts, then "
              f"{len(d.rounds)} round(s), {d.stations_counted:,} stations counted by hand: {confirmed} contests "
              f"confirmed, {len(full)} sent to a full hand count"
              + (f", overturned by the hand count: {', '.join(d.overturned)}" if d.overturned else
                 ", none overturned") + f". Hand counts and state: {d.folder}, {package / '.tallycheck'}")
    return dataclasses.replace(a, audit=d)


def _register_commands() -> None:
    """Commands of the later capabilities live in their own modules; each adds itself to `app`."""
    from . import cli_apportion, cli_audit, cli_blocs, cli_db, cli_export, cli_log, cli_screen, cli_seats, cli_web

    cli_apportion.register(app)
    cli_seats.register(app)
    cli_screen.register(app)
    cli_blocs.register(app)
    cli_audit.register(app)
    cli_log.register(app)
    cli_web.register(app)
    cli_db.register(app)
    cli_export.register(app)


_register_commands()


def main() -> None:
    try:
        app()
    except UsageProblem as exc:
        err.print(f"Error: {exc}")
        sys.exit(EXIT_USAGE)
    except StoreError as exc:
        err.print(f"Error: {exc}")
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # a bug, not the user's fault: say so and keep the trace
        err.print("Internal error: this is a bug in tallycheck; please report it with the trace below.")
        traceback.print_exc(file=sys.stderr)
        sys.exit(EXIT_INTERNAL)
