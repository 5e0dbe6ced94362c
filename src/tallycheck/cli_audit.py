"""`tallycheck audit ...`: plan a risk-limiting audit, enter the public seed and draw, record the boards' hand
counts, read the risk per assertion and contest, print pull and tally sheets; and the sample-size calculators."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import (EXIT_PROBLEMS, JsonOpt, PackageArg, StoreOpt, UsageProblem, VersionOpt, check_package,
                         open_store)
from .terminal import err, out, print_json, print_rows

audit_app = typer.Typer(help="Risk-limiting audits: plan, draw from dice rolls, record hand counts, status.",
                        no_args_is_help=True)

RiskLimitOpt = Annotated[str, typer.Option("--risk-limit", help="The risk limit as a fraction: 0.05 for 5 %.",
                                           show_default=False)]
RiskFunctionOpt = Annotated[Optional[str], typer.Option(
    "--risk-function", help="alpha | betting | kaplan-markov | bravo. Default: kaplan-markov for "
                            "batch-comparison (MACRO's bet), betting for ballot-polling and card-comparison.")]


def _risk_limit(text: str) -> tuple[float, str]:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UsageProblem(f"--risk-limit must be a fraction such as 0.05; got {text!r}.") from None
    if not 0 < value < 1:
        raise UsageProblem(f"--risk-limit is a fraction between 0 and 1 (0.05 for 5 %); got {text}.")
    return float(value), str(value)


def _risk_function(text: str | None):
    from .audit.risk import RiskFunction

    if text is None:
        return None
    try:
        return RiskFunction(text)
    except ValueError:
        raise UsageProblem(f"--risk-function must be one of {', '.join(r.value for r in RiskFunction)}; "
                           f"got {text!r}.") from None


def _design(text: str):
    from .audit.plan import Design

    try:
        return Design(text)
    except ValueError:
        raise UsageProblem(f"--design must be one of {', '.join(d.value for d in Design)}; got {text!r}.") from None


def _say_error(text: str) -> None:
    err.print(text, markup=False, highlight=False)  # rule names in [brackets] are text, not markup


def _log_refused(store, action: str, exc: Exception) -> None:
    """A refused change is logged like a change (the issue's rule: every refused attempt is in the log)."""
    from .workflow.audits import open_workflow
    from .workflow.event_log import log_refusal
    from .workflow.roles import cli_actor

    who = cli_actor()
    log_refusal(open_workflow(store.root), actor=who.name, role=who.role_name, action=action,
                reason=str(exc)[:2000])


def _workflow_error(exc: Exception) -> None:
    _say_error(f"Error: {exc}")
    raise typer.Exit(EXIT_PROBLEMS)


@audit_app.command("plan")
def audit_plan(package: PackageArg, risk_limit: RiskLimitOpt,
               design: Annotated[str, typer.Option(help="batch-comparison | ballot-polling | card-comparison.")] = "batch-comparison",
               risk_function: RiskFunctionOpt = None,
               error_rate: Annotated[float, typer.Option(help="Planning assumption: share of cards with a 1-vote "
                                                              "overstatement.")] = 0.0,
               escalate_at: Annotated[float, typer.Option(help="A contest whose sample would pass this share of "
                                                               "its stations goes to a full hand count.")] = 0.5,
               selection: Annotated[str, typer.Option(help="batch-comparison: draw stations with probability "
                                                           "proportional to their error bound (ppeb) or equally "
                                                           "(uniform).")] = "ppeb",
               recount: Annotated[Optional[Path], typer.Option(help="CSV with station_id (and optionally "
                                                                     "reason): stations that complaints put under a "
                                                                     "full recount.")] = None,
               cvrs: Annotated[Optional[Path], typer.Option(help="card-comparison: the cast-vote records "
                                                                  "(card_id, station_id, contest_id, "
                                                                  "candidate_id, list_id).")] = None,
               replace: Annotated[bool, typer.Option(help="Replace a planned audit whose seed is not yet "
                                                          "entered.")] = False,
               version: VersionOpt = None, store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Plan an audit of every contest: assertions, margins, expected stations and ballots to count."""
    from .audit.plan import AuditSettings, Design
    from .cli_seats import InputFileError, _read_rows
    from .ingest.hand_counts import HandCountFileError
    from .workflow.audit_run import plan
    from .workflow.audits import WorkflowError
    from .workflow.roles import cli_actor

    check_package(package)
    alpha, alpha_text = _risk_limit(risk_limit)
    d = _design(design)
    if d is Design.CARD_COMPARISON and cvrs is None:
        raise UsageProblem("card-comparison needs the cast-vote records: --cvrs CVRS.csv (card_id, station_id, "
                           "contest_id, candidate_id, list_id)")
    try:
        settings = AuditSettings(alpha, d, _risk_function(risk_function), error_rate, escalate_at, selection)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    recounts: dict[str, str] = {}
    if recount is not None:
        try:
            rows = _read_rows(recount, ("station_id",))
        except InputFileError as exc:
            _say_error(f"Error: {exc}")
            raise typer.Exit(EXIT_PROBLEMS) from None
        for row in rows:
            if not row.cells["station_id"]:
                _say_error(f"Error: {recount.name} (row {row.number}, column station_id): empty station id "
                          "[recount.required]")
                raise typer.Exit(EXIT_PROBLEMS)
            recounts[row.cells["station_id"]] = "complaint"
    s = open_store(package, store)
    info = s.resolve(version)
    try:
        audit_id, the_plan = plan(s, version=version, settings=settings, recounts=recounts, replace=replace,
                                  risk_limit_text=alpha_text, cvrs=cvrs, actor=cli_actor())
    except (WorkflowError, HandCountFileError) as exc:
        _log_refused(s, "audit plan", exc)
        _workflow_error(exc)
    if json_out:
        print_json({"audit_id": audit_id, "version": info.name, "snapshot_sha256": info.snapshot_sha256,
                    **the_plan.to_dict()})
        return
    out.print(f"Audit {audit_id} planned on {info.name} (snapshot sha256 {info.snapshot_sha256}): risk limit "
              f"{alpha_text}, {settings.design.value}, {settings.risk_function.value}; {the_plan.assertions:,} "
              f"assertions in {len(the_plan.contests)} contests.")
    rows = [[c.contest_id, c.name, str(c.seats), f"{c.stations:,}", f"{c.min_margin:.2%}",
             f"{c.expected_stations:,}", f"{c.expected_ballots:,}", c.full_count or ""] for c in the_plan.contests]
    print_rows(["contest", "name", "seats", "stations", "smallest margin", "expected stations",
                 "expected ballots", "full count because"], rows)
    out.print(f"Expected in total: {the_plan.expected_stations:,} stations, {the_plan.expected_ballots:,} ballots. "
              "Next: publish the snapshot hash, roll the dice, and run `tallycheck audit draw PACKAGE --seed "
              "DIGITS` (the hash above is the results the audit confirms).")


@audit_app.command("draw")
def audit_draw(package: PackageArg,
               seed: Annotated[Optional[str], typer.Option(help="The dice rolls, as a string of digits (entered "
                                                                "once, before round 1).")] = None,
               boards: Annotated[int, typer.Option(min=1, help="Audit boards to deal the stations to.")] = 1,
               sheets: Annotated[Optional[Path], typer.Option(help="Write pull and tally sheets (HTML, PDF) "
                                                                   "for this round to this folder.")] = None,
               store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Enter the seed and draw the next round: which stations each board counts."""
    from .report.audit_sheets import write_sheets
    from .workflow.audit_run import audit_line, draw_round, pull_items, tally_choices
    from .workflow.audits import WorkflowError
    from .workflow.roles import cli_actor

    check_package(package)
    s = open_store(package, store)
    try:
        ctx, round_no, counts, escalate = draw_round(s, seed, actor=cli_actor())
    except (WorkflowError, ValueError) as exc:
        _log_refused(s, "audit draw", exc)
        _workflow_error(exc)
    items = pull_items(ctx, boards)
    written = []
    if sheets is not None:
        names = {c.contest_id: c.name for c in ctx.data.contests}
        written = write_sheets(sheets, ctx.data.election.name, audit_line(ctx), items, tally_choices(ctx), names)
    if json_out:
        print_json({"audit_id": ctx.audit.audit_id, "seed": ctx.audit.seed, "round": round_no,
                    "draws": counts, "full_count": escalate,
                    "to_count": [{"board": i.board, "station_id": i.station_id, "contests": list(i.contests),
                                  "why": i.why} for i in items],
                    "sheets": [str(p) for p in written]})
        return
    if round_no == 0:
        out.print("Nothing to draw: every contest is confirmed, in a full count, or waiting for drawn stations "
                  "to be counted (see `tallycheck audit status`).")
    else:
        out.print(f"Round {round_no} drawn from seed {ctx.audit.seed}: {sum(counts.values()):,} draws in "
                  f"{len(counts)} contests; {len(escalate)} contests sent to a full hand count.")
    out.print(f"{len(items):,} stations to count now" + (f"; sheets in {sheets}" if sheets else "") + ".")
    print_rows(["board", "station", "contests", "why"],
                [[str(i.board), i.station_id, ", ".join(i.contests), i.why] for i in items[:40]])
    if len(items) > 40:
        out.print(f"... and {len(items) - 40:,} more (--json or --sheets for all).")


@audit_app.command("record")
def audit_record(package: PackageArg,
                 counts: Annotated[Path, typer.Argument(help="Hand counts: station_id, contest_id, candidate_id, "
                                                             "votes (+ ballots_cast, invalid, blank, status, "
                                                             "ballot). See docs/format.md.", show_default=False)],
                 amend: Annotated[bool, typer.Option(help="Correct stations already recorded (a new recording "
                                                          "supersedes the old; both are kept).")] = False,
                 encoding: Annotated[Optional[str], typer.Option(help="Encoding of a file without a BOM.")] = None,
                 store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Record the boards' hand counts (all or nothing) and show the updated risk."""
    from .ingest.hand_counts import HandCountFileError, read_hand_counts
    from .workflow.audit_run import HandCountsRefused, record
    from .workflow.audits import WorkflowError
    from .workflow.roles import cli_actor

    check_package(package)
    try:
        sheets = read_hand_counts(counts, encoding)
    except HandCountFileError as exc:
        _say_error(f"Error: {exc}\nNothing was recorded.")
        raise typer.Exit(EXIT_PROBLEMS) from None
    s = open_store(package, store)
    try:
        ctx, rec = record(s, counts, sheets, amend=amend, actor=cli_actor())
    except (HandCountsRefused, WorkflowError) as exc:
        _log_refused(s, "audit record", exc)
        _say_error(f"Error: {exc}\nNothing was recorded.")
        raise typer.Exit(EXIT_PROBLEMS) from None
    if json_out:
        print_json({"recording": rec, "sheets": len(sheets)})
        return
    out.print(f"Recorded {len(sheets):,} hand-counted sheets from {counts.name} (recording {rec}). "
              "Run `tallycheck audit status` for the risk.")


def _status_rows(statuses) -> list[list[str]]:
    return [[s.contest_id, s.state.value, "—" if s.risk >= 1 or s.state.value == "full count" else f"{s.risk:.4f}",
             f"{s.counted}/{s.drawn}",
             str(len(s.awaiting)), (s.outcome + "; " if s.outcome else "") + s.reason] for s in statuses]


@audit_app.command("status")
def audit_status(package: PackageArg, store: StoreOpt = None, json_out: JsonOpt = False,
                 assertions: Annotated[bool, typer.Option(help="List every assertion's risk.")] = False) -> None:
    """The risk per assertion and per contest: confirmed, continue, or full count."""
    from .workflow.audit_run import load, statuses_with_outcomes
    from .workflow.audits import WorkflowError

    check_package(package)
    try:
        ctx = load(open_store(package, store))
    except WorkflowError as exc:
        _workflow_error(exc)
    statuses = statuses_with_outcomes(ctx)
    summary = {st: sum(1 for s in statuses if s.state.value == st) for st in ("confirmed", "continue", "full count")}
    overturned = [s.contest_id for s in statuses if s.outcome == "overturned"]
    if json_out:
        print_json({"audit_id": ctx.audit.audit_id, "risk_limit": ctx.audit.risk_limit,
                    "design": ctx.audit.design, "risk_function": ctx.audit.risk_function,
                    "seed": ctx.audit.seed, "round": ctx.rounds, "summary": summary, "overturned": overturned,
                    "contests": [s.to_dict() for s in statuses]})
        return
    out.print(f"Audit {ctx.audit.audit_id}, risk limit {ctx.audit.risk_limit}, round {ctx.rounds}: "
              f"{summary['confirmed']} confirmed, {summary['continue']} continue, {summary['full count']} in a "
              "full hand count" + (f"; overturned by hand count: {', '.join(overturned)}" if overturned else "")
              + ".")
    print_rows(["contest", "state", "risk", "counted/drawn", "to count", "why"], _status_rows(statuses))
    if assertions:
        rows = [[s.contest_id, a.name, f"{a.risk:.4f}", a.description] for s in statuses for a in s.assertions]
        print_rows(["contest", "assertion", "risk", "says"], rows)


@audit_app.command("sheets")
def audit_sheets(package: PackageArg,
                 out_dir: Annotated[Path, typer.Option("--out", help="Folder for pull-sheets.html, "
                                                                      "tally-sheets.html and sheets.pdf.")],
                 boards: Annotated[int, typer.Option(min=1, help="Audit boards to deal the stations to.")] = 1,
                 round_no: Annotated[Optional[int], typer.Option("--round", help="Only this round's draws.")] = None,
                 store: StoreOpt = None) -> None:
    """Print the pull sheets and blind tally sheets for what is still to count."""
    from .report.audit_sheets import write_sheets
    from .workflow.audit_run import audit_line, load, pull_items, tally_choices
    from .workflow.audits import WorkflowError

    check_package(package)
    try:
        ctx = load(open_store(package, store))
    except WorkflowError as exc:
        _workflow_error(exc)
    items = pull_items(ctx, boards, round_no)
    names = {c.contest_id: c.name for c in ctx.data.contests}
    paths = write_sheets(out_dir, ctx.data.election.name, audit_line(ctx), items, tally_choices(ctx), names)
    out.print(f"{len(items):,} stations on {boards} board(s): " + ", ".join(str(p) for p in paths))


def _shares(text: str) -> list[float]:
    try:
        shares = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageProblem(f"--shares takes fractions separated by commas (0.52,0.48); got {text!r}.") from None
    if len(shares) < 2:
        raise UsageProblem("--shares needs at least two shares (winner, loser).")
    return shares


def _batches(path: Path):
    from .cli_seats import InputFileError, _read_rows

    try:
        rows = _read_rows(path, ("batch_id", "ballots", "winner_votes", "loser_votes"))
    except InputFileError as exc:
        _say_error(f"Error: {exc}")
        raise typer.Exit(EXIT_PROBLEMS) from None
    parsed, seen = [], set()
    for row in rows:
        cells = row.cells
        values = []
        for column in ("ballots", "winner_votes", "loser_votes"):
            text = cells[column]
            if not text.isdigit():
                _say_error(f"Error: {path.name} (row {row.number}, column {column}): expected a whole number >= 0, "
                          f"got {text!r} [batches.count]")
                raise typer.Exit(EXIT_PROBLEMS)
            values.append(int(text))
        if cells["batch_id"] in seen or not cells["batch_id"]:
            _say_error(f"Error: {path.name} (row {row.number}, column batch_id): empty or repeated batch id "
                      f"{cells['batch_id']!r} [batches.id]")
            raise typer.Exit(EXIT_PROBLEMS)
        if values[1] + values[2] > values[0]:
            _say_error(f"Error: {path.name} (row {row.number}, column ballots): winner and loser votes "
                      f"({values[1] + values[2]}) exceed the ballots ({values[0]}) [batches.arithmetic]")
            raise typer.Exit(EXIT_PROBLEMS)
        seen.add(cells["batch_id"])
        parsed.append((cells["batch_id"], *values))
    if not parsed:
        _say_error(f"Error: {path.name} has no batches [batches.empty]")
        raise typer.Exit(EXIT_PROBLEMS)
    return parsed


@audit_app.command("sample-size")
def audit_sample_size(
        design: Annotated[str, typer.Option(help="card-comparison | ballot-polling | batch-comparison.",
                                            show_default=False)],
        risk_limit: RiskLimitOpt,
        risk_function: RiskFunctionOpt = None,
        diluted_margin: Annotated[Optional[float], typer.Option(help="card-comparison: the diluted margin "
                                                                     "(fraction).")] = None,
        error_rate: Annotated[float, typer.Option(help="card-comparison: rate of 1-vote overstatements per card "
                                                       "(0: none expected).")] = 0.0,
        shares: Annotated[Optional[str], typer.Option(help="ballot-polling: vote shares S1,S2[,...] of all "
                                                           "ballots.")] = None,
        ballots: Annotated[Optional[int], typer.Option(help="ballot-polling: ballots cast.")] = None,
        batches: Annotated[Optional[Path], typer.Option(help="batch-comparison: CSV batch_id,ballots,"
                                                             "winner_votes,loser_votes.")] = None,
        json_out: JsonOpt = False) -> None:
    """Sample-size calculators: cards, ballots or stations to expect to count. Default risk function: betting
    (card-comparison, ballot-polling), kaplan-markov (batch-comparison)."""
    from .audit.plan import Design

    alpha, _ = _risk_limit(risk_limit)
    d = _design(design)
    rf = _risk_function(risk_function)
    if d is Design.CARD_COMPARISON:
        from .audit.sample_size import card_comparison_sample_size

        if diluted_margin is None:
            raise UsageProblem("card-comparison needs --diluted-margin.")
        try:
            n = card_comparison_sample_size(diluted_margin, alpha, error_rate=error_rate,
                                            **({"risk_function": rf} if rf else {}))
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
        n_star = math.log(1 / alpha) / -math.log1p(-diluted_margin / 2)
        result = {"sample_size": n, "n_star": math.ceil(n_star)}
        text = f"{n:,} cards (the information limit n* for no errors is {math.ceil(n_star):,})"
    elif d is Design.BALLOT_POLLING:
        from .audit.sample_size import ballot_polling_asn

        if shares is None or ballots is None:
            raise UsageProblem("ballot-polling needs --shares and --ballots.")
        try:
            result = ballot_polling_asn(_shares(shares), ballots, alpha, **({"risk_function": rf} if rf else {}))
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
        text = f"{result['asn']:,} ballots on average"
    else:
        from .audit.batch import PairBatch, batches_needed

        if batches is None:
            raise UsageProblem("batch-comparison needs --batches BATCHES.csv.")
        parsed = [PairBatch(*row) for row in _batches(batches)]
        try:
            n = batches_needed(parsed, alpha, **({"risk_function": rf} if rf else {}))
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
        result = {"batches": int(n), "of": len(parsed)}
        text = f"{n:,} of {len(parsed):,} batches"
    if json_out:
        print_json(result)
    else:
        out.print(f"Expected sample: {text}.")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")

