"""The demo's audit: complaints put the screen's most suspicious stations under recount, a sample is drawn from
dice rolls, and the boards' hand counts are simulated from the synthetic election's truth (truth/ holds what the
ballots really say, before the injected fraud), round after round, until every contest is confirmed or counted
in full. Only a synthetic package has a truth to count from."""

from __future__ import annotations

import csv
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..audit.plan import AuditSettings
from ..audit.progress import ContestStatus, State
from ..evidence import Store
from ..ingest.hand_counts import read_hand_counts
from .audit_run import AuditContext, draw_round, load, plan, pull_items, record, statuses_with_outcomes
from .roles import cli_actor

TRUTH_RESULTS = Path("truth") / "results.csv"
TRUTH_SHEETS = Path("truth") / "sheets.csv"
MAX_ROUNDS = 6


@dataclass(frozen=True, slots=True)
class RoundSummary:
    round: int
    stations_counted: int  # this round
    confirmed: int
    continuing: int
    full_count: int
    statuses: tuple[ContestStatus, ...]


@dataclass(frozen=True, slots=True)
class DemoAudit:
    audit_id: int
    seed: str
    risk_limit: float
    recounts: int
    expected_stations: int
    rounds: tuple[RoundSummary, ...]
    final: tuple[ContestStatus, ...]
    stations_counted: int
    folder: Path

    @property
    def overturned(self) -> list[str]:
        return [s.contest_id for s in self.final if s.outcome == "overturned"]


class _Truth:
    """truth/results.csv and truth/sheets.csv, looked up by (station, contest)."""

    def __init__(self, package: Path):
        text = {c: pa.string() for c in ("station_id", "contest_id", "candidate_id")}
        self.results = pacsv.read_csv(package / TRUTH_RESULTS,
                                      convert_options=pacsv.ConvertOptions(column_types=text))
        self.sheets = pacsv.read_csv(package / TRUTH_SHEETS, convert_options=pacsv.ConvertOptions(
            column_types={"station_id": pa.string(), "contest_id": pa.string()}))

    def write_counts(self, keys: Collection[tuple[str, str]], path: Path) -> int:
        """The hand counts of `keys` as a counts file a board would fill in; returns the sheets written."""
        keys = set(keys)
        stations = pa.array(sorted({s for s, _ in keys}), pa.string())
        res = self.results.filter(pc.is_in(self.results.column("station_id"), value_set=stations))
        sh = self.sheets.filter(pc.is_in(self.sheets.column("station_id"), value_set=stations))
        totals = {(r["station_id"], r["contest_id"]): r for r in sh.to_pylist()}
        written: set[tuple[str, str]] = set()
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["station_id", "contest_id", "candidate_id", "votes", "ballots_cast", "invalid", "blank"])
            for r in res.to_pylist():
                key = (r["station_id"], r["contest_id"])
                if key not in keys:
                    continue
                t = totals.get(key)
                first = key not in written
                written.add(key)
                w.writerow([*key, r["candidate_id"], r["votes"],
                            *((t["ballots_cast"], t["invalid"], t["blank"]) if t and first else ("", "", ""))])
            for key in sorted(keys - written):  # a sheet with no votes at all: its totals alone
                t = totals.get(key)
                if t is not None:
                    w.writerow([*key, "", "", t["ballots_cast"], t["invalid"], t["blank"]])
                    written.add(key)
        return len(written)


def _to_count(ctx: AuditContext) -> set[tuple[str, str]]:
    keys = set()
    for item in pull_items(ctx, 1):
        keys.update((item.station_id, c) for c in item.contests)
    return keys


def run_demo_audit(package: Path, store: Store, *, risk_limit: float, seed: str, recounts: Collection[str],
                   folder: Path, step: Callable[..., None] = lambda *a: None) -> DemoAudit:
    truth = _Truth(package)
    folder.mkdir(parents=True, exist_ok=True)
    step("audit: planning")
    actor = cli_actor()  # the demo's commands are the command line's: logged as such, like `tallycheck audit`
    audit_id, the_plan = plan(store, version=None, settings=AuditSettings(risk_limit),
                              recounts={s: "complaint (demo: flagged by the screen)" for s in recounts},
                              replace=True, risk_limit_text=f"{risk_limit:g}", actor=actor)
    rounds: list[RoundSummary] = []
    counted = 0
    dice = seed
    ctx = load(store)
    # complaint recounts first: their counts enter the outcome the sample then confirms
    if recounts:
        keys = _to_count(ctx)
        path = folder / "recount-counts.csv"
        truth.write_counts({k for k in keys if k[0] in set(recounts)}, path)
        ctx, _ = record(store, path, read_hand_counts(path), amend=False, ctx=ctx, actor=actor)
    for _ in range(MAX_ROUNDS):
        step(f"audit: round {len(rounds) + 1}")
        ctx, round_no, _, _ = draw_round(store, dice if ctx.audit.seed is None else None, ctx, actor=actor)
        keys = _to_count(ctx)
        if round_no == 0 and not keys:
            break
        path = folder / f"round-{max(round_no, len(rounds) + 1)}-counts.csv"
        n = truth.write_counts(keys, path)
        ctx, _ = record(store, path, read_hand_counts(path), amend=False, ctx=ctx, actor=actor)
        counted += len({s for s, _ in keys})
        statuses = statuses_with_outcomes(ctx)
        rounds.append(RoundSummary(round_no, len({s for s, _ in keys}),
                                   sum(s.state is State.CONFIRMED for s in statuses),
                                   sum(s.state is State.CONTINUE for s in statuses),
                                   sum(s.state is State.FULL_COUNT for s in statuses), tuple(statuses)))
        if n == 0:
            break
    final = tuple(statuses_with_outcomes(ctx))
    return DemoAudit(audit_id, ctx.audit.seed or dice, risk_limit, len(recounts), the_plan.expected_stations,
                     tuple(rounds), final, counted, folder)
