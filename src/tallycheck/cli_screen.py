"""Commands of the screen capability: `tallycheck screen` runs every forensic method on a package or a station
table and ranks the stations. Thin: parse, call tallycheck.forensics.screen, print."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .cli_common import EXIT_PROBLEMS, JsonOpt, StoreOpt, UsageProblem, VersionOpt, check_encoding, open_store
from .terminal import err, out, print_json, print_rows, progress_steps

_TABLE_OPTIONS = ("registered", "ballots", "share_base", "leader", "region", "centre", "kind", "station")


def _column(flag: str, field: str) -> Any:
    return Annotated[Optional[str], typer.Option(flag, help=f"Table only: the column holding the {field}.",
                                                 show_default=False)]


RegisteredCol = _column("--registered", "registered voters (an empty cell: no register)")
BallotsCol = _column("--ballots", "ballots cast (turnout = ballots / registered)")
ShareBaseCol = _column("--share-base", "votes the leader's share is taken of")
LeaderCol = _column("--leader", "screened candidate's votes")
RegionCol = _column("--region", "region (summaries per region)")
CentreCol = _column("--centre", "polling centre (stations are compared within it)")
KindCol = _column("--kind", "station kind (only stations of one kind are compared)")
StationCol = _column("--station", "station id")


def _percent(x: Any) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _number(x: Any, digits: int = 3) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool) or isinstance(x, int):
        return f"{x:,}" if not isinstance(x, bool) else str(x)
    return f"{x:.{digits}g}"


def _load_table(source: Path, store: Path | None, version: str | None, columns: dict[str, str | None],
                candidate: str | None, contest: str | None, encoding: str | None) -> tuple[Any, str, Any]:
    """The station table, a name for what was screened, and (for a package) every sheet's exact vote
    concentration (a table's candidate columns may hold only the leading candidates)."""
    from .forensics.from_package import ChoiceNotFound, package_table
    from .ingest.station_table import StationColumns, StationTableError, read_station_table

    if source.is_dir():
        given = [f"--{k.replace('_', '-')}" for k, v in columns.items() if v is not None]
        if given or encoding:
            raise UsageProblem(
                f"{', '.join(given + (['--encoding'] if encoding else []))} name columns of a CSV or "
                f"Parquet table; {source} is an election package, whose columns are known."
            )
        st = open_store(source, store)
        if not st.versions():
            raise UsageProblem(f"No snapshot in {st.root}: run `tallycheck import {source}` first.")
        data = st.load(version)
        from .forensics.concentration import from_package

        try:
            t = package_table(data, contest=contest, candidate=candidate)
        except ChoiceNotFound as exc:
            raise UsageProblem(str(exc)) from None
        return t, data.election.name, from_package(data, t)
    if not source.exists():
        raise UsageProblem(
            f"{source} does not exist: give an election package folder or a CSV/Parquet table."
        )
    for flag, value in (("--store", store), ("--version", version), ("--candidate", candidate),
                        ("--contest", contest)):
        if value is not None:
            raise UsageProblem(
                f"{flag} applies to an election package; {source} is a table (name its columns "
                "with --registered, --ballots, --share-base, --leader, ...)."
            )
    mapping = StationColumns(**{k: v for k, v in columns.items() if v is not None})
    try:
        return read_station_table(source, mapping, encoding=check_encoding(encoding)), source.name, None
    except StationTableError as exc:
        err.print(f"Error: {exc}")
        raise typer.Exit(EXIT_PROBLEMS) from None


def _print_summary(name: str, s: Any, summary: dict[str, Any], top: int) -> None:
    out.print(f"Screened {summary['stations_screened']:,} stations of {name} (leader: {summary['leader']}): "
              f"{summary['flagged']:,} flagged at a false discovery rate of {s.alpha:g} "
              f"({summary['tested']:,} tested by at least one method).")
    out.print(
        "A flag is a reason to look, not proof: every method has innocent explanations (docs/methods.md)."
    )
    ip = summary["integer_percentages"]
    for what in ("turnout", "leader", "either"):
        if f"observed_{what}" in ip:
            out.print(
                f"Integer percentages, {what}: {_number(ip[f'observed_{what}'])} stations observed, "
                f"{_number(ip[f'expected_{what}'], 6)} expected (excess {_number(ip[f'excess_{what}'], 4)}, "
                f"p = {_number(ip[f'p_value_{what}'], 2)})."
            )
    k = summary["klimek_fit"]
    if k:
        out.print(f"Klimek model: incremental fraud f_i = {_number(k['f_i'])}, extreme fraud f_e = "
                  f"{_number(k['f_e'])}, alpha = {_number(k['alpha'])}.")
    m = summary["mixture"]
    if m:
        votes = "—" if m["fraudulent_votes"] is None else format(m["fraudulent_votes"], ",.0f")
        out.print(
            f"Mixture model: no fraud {_percent(m['pi_none'])}, incremental {_percent(m['pi_incremental'])}, "
            f"extreme {_percent(m['pi_extreme'])} of stations; about {votes} fraudulent votes."
        )
    for method, why in summary["not_applicable"].items():
        out.print(f"Not run: {method}: {why}.")
    print_rows(("method", "stations tested", f"p ≤ {s.alpha:g}"),
               [(k2, v["tested"], v["significant"]) for k2, v in summary["methods"].items()], title="Methods")
    rows = summary["stations"][:top]
    with_contest = any("contest" in r for r in rows)
    cols = ["rank", "station", *(["contest"] if with_contest else []), "region", "score", "q", "reasons"]
    print_rows(
        cols,
        [
            (
                r["rank"],
                r["station_id"],
                *([r.get("contest", "")] if with_contest else []),
                r["region"],
                _number(r["score"]),
                _number(r["q_value"], 2),
                r["reasons"],
            )
            for r in rows
        ],
        title=f"The {len(rows)} most suspicious stations",
    )


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        if not rows:
            return
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `tallycheck` app."""

    @app.command()
    def screen(
        source: Annotated[
            Path,
            typer.Argument(
                help="An election package folder, or a CSV/Parquet table with one row per station.",
                show_default=False,
            ),
        ],
        store: StoreOpt = None,
        version: VersionOpt = None,
        registered: RegisteredCol = None,
        ballots: BallotsCol = None,
        share_base: ShareBaseCol = None,
        leader: LeaderCol = None,
        region: RegionCol = None,
        centre: CentreCol = None,
        kind: KindCol = None,
        station: StationCol = None,
        candidate: Annotated[
            Optional[str],
            typer.Option(help="Package only: screen this candidate_id instead of each contest's leader."),
        ] = None,
        contest: Annotated[Optional[str], typer.Option(help="Package only: only this contest.")] = None,
        no_mixture: Annotated[
            bool, typer.Option("--no-mixture", help="Skip the mixture model (the slowest step).")
        ] = False,
        seed: Annotated[int, typer.Option(help="Seed of every simulation and bootstrap.")] = 0,
        alpha: Annotated[
            float, typer.Option(help="False discovery rate at which stations are flagged.")
        ] = 0.05,
        top: Annotated[int, typer.Option(help="Stations listed (most suspicious first).")] = 20,
        out_csv: Annotated[
            Optional[Path], typer.Option("--out-csv", help="Write every station, ranked, to this CSV.")
        ] = None,
        encoding: Annotated[
            Optional[str],
            typer.Option(help="Table only: encoding of a CSV without a byte-order mark (default UTF-8)."),
        ] = None,
        allocation: Annotated[Optional[int], typer.Option(
            help="Ballots allocated to each station (e.g. 600 in Afghanistan 2010): flags stations at or above it "
                 "(off unless given).")] = None,
        combination: Annotated[str, typer.Option(
            help="How a station's p-values are combined: bonferroni-min (default) or simes.")] = "bonferroni-min",
        json: JsonOpt = False,
    ) -> None:
        """Screen every station for the statistical fingerprints of fraud and rank them (a flag is a reason to
        look, not proof)."""
        from .forensics.screen import screen as run_screen

        if not 0 < alpha < 1:
            raise UsageProblem(f"--alpha must lie strictly between 0 and 1; got {alpha}.")
        if top < 0:
            raise UsageProblem(f"--top must be 0 or more; got {top}.")
        columns = dict(
            zip(_TABLE_OPTIONS, (registered, ballots, share_base, leader, region, centre, kind, station))
        )
        from .forensics.screen import COMBINATIONS

        if combination not in COMBINATIONS:
            raise UsageProblem(f"--combination must be one of {', '.join(COMBINATIONS)}; got {combination!r}.")
        if allocation is not None and allocation <= 0:
            raise UsageProblem(f"--allocation must be a positive number of ballots; got {allocation}.")
        t, name, concentration = _load_table(source, store, version, columns, candidate, contest, encoding)
        if len(t) == 0:
            err.print(f"Error: {name} has no stations to screen.")
            raise typer.Exit(EXIT_PROBLEMS)
        with progress_steps(not json) as step:
            s = run_screen(
                t, mixture=not no_mixture, seed=seed, alpha=alpha, progress=lambda what: step(what),
                concentration=concentration, allocation=allocation, combination=combination,
            )
        summary = s.summary(top=top)
        if out_csv is not None:
            _write_csv(out_csv, s.station_rows())
        if json:
            print_json(summary)
        else:
            _print_summary(name, s, summary, top)
            if out_csv is not None:
                out.print(f"Every station, ranked: {out_csv}")
