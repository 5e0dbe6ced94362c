"""Running an audit against a package's store: plan it, enter the seed and draw rounds, record hand counts,
read its status. The CLI's `audit` commands (and later the web app) call these; the statistics live in
tallycheck.audit, the state in the workflow database.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine

from ..audit.cards import CastVoteRecord, cvr_tallies
from ..audit.hand_count import HandCount
from ..audit.plan import AuditPlan, AuditSettings, Design, Drawn
from ..audit.planning import plan_audit
from ..audit.population import Population, audit_population, substitute, vote_totals_of
from ..audit.progress import ContestAudit, ContestStatus, State, contest_status, first_draws, next_draws
from ..audit.pull import PullItem, TallyChoice
from ..audit.sampling import seed_from_dice
from ..evidence import Store
from ..ingest.cvr_csv import read_cvrs
from ..model import ElectionData
from ..seats.allocate import allocate_votes
from .audits import (AuditRow, Draw, WorkflowError, add_round, create_audit, current_audit, draws, enter_seed,
                     escalations, hand_counts, open_workflow, record_counts, rounds)
from .roles import Actor


@dataclass(frozen=True, slots=True)
class AuditContext:
    engine: Engine
    audit: AuditRow
    data: ElectionData
    settings: AuditSettings
    population: Population
    draws: Mapping[str, tuple[Drawn, ...]]  # contest_id -> draws in order
    rounds_of: Mapping[tuple[str, str], int]  # (contest_id, item) -> round it was drawn in
    hand: Mapping[tuple[str, str], HandCount]
    escalated: Mapping[str, str]
    rounds: int
    cards: Mapping[str, Mapping[str, CastVoteRecord]] | None = None  # card-comparison: contest -> card -> record
    # contest -> (what its status was computed from, the status): shared by the contexts of one audit and
    # population, so a round recomputes only the contests whose draws, counts or escalation changed
    status_cache: dict[str, tuple[tuple, ContestStatus]] = field(default_factory=dict, compare=False)

    def contest(self, contest_id: str) -> ContestAudit:
        return ContestAudit(self.population.contests[contest_id], self.settings, self.draws.get(contest_id, ()),
                            self.escalated.get(contest_id, ""), self.hand,
                            (self.cards or {}).get(contest_id, {}) if self.cards is not None else None)

    def statuses(self) -> list[ContestStatus]:
        seen: dict[str, list[int]] = {}
        for (_, contest), h in self.hand.items():  # one pass: how many counts each contest has, the newest
            got = seen.setdefault(contest, [0, 0])
            got[0] += 1
            got[1] = max(got[1], h.recording_id)
        out = []
        for cid in sorted(self.population.contests, key=lambda s: s.encode("utf-8")):
            key = (len(self.draws.get(cid, ())), self.escalated.get(cid, ""), tuple(seen.get(cid, (0, 0))))
            cached = self.status_cache.get(cid)
            if cached is None or cached[0] != key:
                cached = self.status_cache[cid] = (key, contest_status(self.contest(cid)))
            out.append(cached[1])
        return out


def settings_of(audit: AuditRow) -> AuditSettings:
    p = audit.params
    return AuditSettings(float(audit.risk_limit), Design(audit.design), audit.risk_function,
                         float(p.get("error_rate", 0.0)), float(p.get("escalate_at", 0.5)),
                         str(p.get("selection", "ppeb")))


CVR_FILE = "cvrs.csv"


def check_cvrs(population: Population, cvrs: Sequence[CastVoteRecord], file: str) -> list[str]:
    """The records must add up to the reported results, station by station: the audit confirms the outcome the
    records give, so it must be the reported one."""
    problems = []
    tallies = cvr_tallies(cvrs)
    for cid, pop in population.contests.items():
        cc = pop.reported
        for i, station in enumerate(cc.stations):
            got = tallies.get((station, cid), {})
            want = {c: int(v) for c, v in zip(cc.choices, cc.votes[i]) if v}
            if got != want:
                diff = sorted(set(got) | set(want), key=str)
                first = next(c for c in diff if got.get(c, 0) != want.get(c, 0))
                problems.append(f"{file}: the records of station {station}, contest {cid} give "
                                f"{first[0] or first[1]} {got.get(first, 0)} votes; results.csv says "
                                f"{want.get(first, 0)} [cvr.tally]")
    known = {(s, c) for c, pop in population.contests.items() for s in pop.reported.stations}
    for r in cvrs:
        if (r.station_id, r.contest_id) not in known:
            problems.append(f"{file} (row {r.row}, column station_id): station {r.station_id} has no sheet for "
                            f"contest {r.contest_id} [cvr.unknown-sheet]")
    return problems


def plan(store: Store, *, version: str | None, settings: AuditSettings, recounts: Mapping[str, str],
         replace: bool, risk_limit_text: str, cvrs: Path | None = None, engine: Engine | None = None,
         actor: Actor | None = None, note: Mapping[str, object] | None = None) -> tuple[int, AuditPlan]:
    """Plan an audit of a results version and record it in the workflow database (the store's own unless
    `engine` names another; logged as `actor`), with a copy of the cast-vote records for a card-level
    comparison."""
    info = store.resolve(version)
    data = store.load(info.name)
    known = set(data.table("stations").column("station_id").to_pylist())
    unknown = sorted(set(recounts) - known)
    if unknown:
        raise WorkflowError(f"recount station(s) {', '.join(unknown[:5])} are not in stations.csv")
    population = audit_population(data, recounts=recounts)
    params = settings.to_params()
    records: Sequence[CastVoteRecord] = ()
    if settings.design is Design.CARD_COMPARISON:
        if cvrs is None:
            raise WorkflowError("a card-level comparison needs the cast-vote records: --cvrs CVRS.csv")
        if recounts:
            raise WorkflowError("complaint recounts with a card-level comparison: import the recounted results as "
                                "a new version, and audit that version")
        records = read_cvrs(cvrs)
        problems = check_cvrs(population, records, cvrs.name)
        if problems:
            raise WorkflowError("\n".join(problems[:8]) + (f"\n... and {len(problems) - 8} more"
                                                            if len(problems) > 8 else ""))
        params["cvr_sha256"] = hashlib.sha256(cvrs.read_bytes()).hexdigest()
    the_plan = plan_audit(population, settings, cards=_by_contest(records) if records else None)
    engine = engine if engine is not None else open_workflow(store.root)
    audit_id = create_audit(engine, version=info.name, snapshot_sha256=info.snapshot_sha256,
                            risk_limit=risk_limit_text, design=settings.design.value,
                            risk_function=settings.risk_function.value, params=params,
                            recounts=recounts, replace=replace, actor=actor, note=note)
    if records:
        folder = store.root / "audits" / str(audit_id)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cvrs, folder / CVR_FILE)
    return audit_id, the_plan


def _by_contest(records: Sequence[CastVoteRecord]) -> dict[str, dict[str, CastVoteRecord]]:
    out: dict[str, dict[str, CastVoteRecord]] = {}
    for r in records:
        out.setdefault(r.contest_id, {})[r.card_id] = r
    return out


def _recount_key(audit: AuditRow, hand: Mapping[tuple[str, str], HandCount]) -> tuple:
    recounts = set(audit.recounts)
    return tuple(sorted((k, h.recording_id) for k, h in hand.items() if k[0] in recounts))


def load(store: Store, previous: AuditContext | None = None, *, engine: Engine | None = None,
         extra_hand: Mapping[tuple[str, str], HandCount] | None = None) -> AuditContext:
    """The current audit and everything recorded for it. `previous`: a context of the same audit whose
    population (outcome, assertions, scores) is reused when no complaint recount has been recorded since.
    `engine`: the workflow database (default: the previous context's, else the store's own). `extra_hand`: counts
    being recorded in a transaction not yet committed, read as if they were (the room closes a round in one)."""
    if engine is None:
        engine = previous.engine if previous is not None else open_workflow(store.root)
    audit = current_audit(engine)
    if audit is None:
        raise WorkflowError("no audit is planned in this store: run `tallycheck audit plan` first")
    if previous is not None and previous.audit.audit_id == audit.audit_id:
        since = max((h.recording_id for h in previous.hand.values()), default=0)
        hand = hand_counts(engine, audit.audit_id, previous.hand, since)
    else:
        hand = hand_counts(engine, audit.audit_id)
    if extra_hand:
        hand = {**hand, **extra_hand}
    settings = settings_of(audit)
    if (previous is not None and previous.audit.audit_id == audit.audit_id
            and _recount_key(previous.audit, previous.hand) == _recount_key(audit, hand)):
        data, population = previous.data, previous.population
    else:
        info = store.resolve(audit.version)
        if info.snapshot_sha256 != audit.snapshot_sha256:
            raise WorkflowError(f"version {audit.version} no longer has the snapshot the audit was planned on")
        data = store.load(audit.version)
        population = audit_population(data, recounts=audit.recounts, hand=hand)
    by_contest: dict[str, list[Drawn]] = defaultdict(list)
    rounds_of = {}
    for d in draws(engine, audit.audit_id):
        by_contest[d.contest_id].append(Drawn(d.item, d.station_id, d.ticket))
        rounds_of[(d.contest_id, d.item)] = d.round
    cards = previous.cards if previous is not None and previous.audit.audit_id == audit.audit_id else None
    if cards is None and settings.design is Design.CARD_COMPARISON:
        path = store.root / "audits" / str(audit.audit_id) / CVR_FILE
        if hashlib.sha256(path.read_bytes()).hexdigest() != audit.params.get("cvr_sha256"):
            raise WorkflowError(f"{path} is not the cast-vote record file the audit was planned on")
        cards = _by_contest(read_cvrs(path))
    cache = previous.status_cache if previous is not None and previous.population is population else {}
    return AuditContext(engine, audit, data, settings, population,
                        {k: tuple(v) for k, v in by_contest.items()}, rounds_of, hand,
                        escalations(engine, audit.audit_id), rounds(engine, audit.audit_id), cards, cache)


def draw_round(store: Store, dice: str | None, ctx: AuditContext | None = None, *, engine: Engine | None = None,
               actor: Actor | None = None, seed_note: Mapping[str, object] | None = None
               ) -> tuple[AuditContext, int, dict[str, int], dict[str, str]]:
    """Enter the seed (first time) and draw the next round for every contest that needs one. Returns the new
    context, the round number (0 when nothing needed drawing), draws per contest and new escalations. Given the
    `actor`, the seed and the round are logged in their transactions (`seed_note`: more for the seed's entry)."""
    ctx = load(store, ctx, engine=engine)
    seed = ctx.audit.seed
    if seed is None:
        if dice is None:
            raise WorkflowError("the first round needs the seed: --seed with the dice rolls")
        seed = seed_from_dice(dice)
        enter_seed(ctx.engine, ctx.audit.audit_id, seed, actor=actor, note={"dice": dice, **(seed_note or {})})
    elif dice is not None and seed_from_dice(dice) != seed:
        raise WorkflowError(f"this audit's seed is {seed}; a seed is entered once")
    round_no = ctx.rounds + 1
    new: list[Draw] = []
    escalate: dict[str, str] = {}
    counts: dict[str, int] = {}
    now = {st.contest_id: st for st in ctx.statuses()}
    for cid in sorted(ctx.population.contests, key=lambda s: s.encode("utf-8")):
        ca = ctx.contest(cid)
        if ca.escalated:
            continue
        if ca.recounts_pending() and not ca.full_count_reason():
            # the complaint recounts decide the outcome, hence the assertions and the sampling weights:
            # nothing is drawn for the contest until they are in (and they are frozen once it is)
            continue
        got, reason = first_draws(ca, seed) if not ca.drawn else next_draws(ca, seed, now[cid])
        if reason:
            escalate[cid] = reason
            continue
        start = len(ca.drawn)
        for k, d in enumerate(got, start=start + 1):
            new.append(Draw(cid, k, round_no, d.item, d.station_id, d.ticket))
        if got:
            counts[cid] = len(got)
    if not new and not escalate:
        return ctx, 0, {}, {}
    add_round(ctx.engine, ctx.audit.audit_id, round_no, new, escalate, actor=actor)
    return load(store, ctx), round_no, counts, escalate


def check_hand_counts(ctx: AuditContext, counts: Sequence[HandCount], file: str) -> list[str]:
    """Problems that make a hand-count file wrong for this audit (file, row, column and rule named)."""
    problems = []
    wanted: set[tuple[str, str]] = set()
    for cid, ds in ctx.draws.items():
        wanted.update((d.station_id, cid) for d in ds)
    for cid in ctx.escalated:
        wanted.update((s, cid) for s in ctx.population.contests[cid].reported.stations)
    for cid, pop in ctx.population.contests.items():
        if pop.assertions.full_count:
            wanted.update((s, cid) for s in pop.reported.stations)
        wanted.update((s, cid) for s, samp in zip(pop.reported.stations, pop.sampled) if not samp)
    for c in counts:
        where = f"{file} (row {c.row}"
        pop = ctx.population.contests.get(c.contest_id)
        if pop is None:
            problems.append(f"{where}, column contest_id): no contest {c.contest_id!r} in this election "
                            "[counts.unknown-contest]")
            continue
        if not pop.reported.has(c.station_id):
            problems.append(f"{where}, column station_id): station {c.station_id!r} has no sheet for contest "
                            f"{c.contest_id} [counts.unknown-station]")
            continue
        if c.key not in wanted:
            problems.append(f"{where}, column station_id): station {c.station_id} was not drawn, is not a "
                            f"complaint recount and is not in a full count of contest {c.contest_id} "
                            "[counts.not-drawn]")
        on_ballot = set(pop.reported.choices)
        for choice, row in c.choice_rows.items():
            if choice not in on_ballot:
                column = "candidate_id" if choice[0] else "list_id"
                problems.append(f"{file} (row {row}, column {column}): {choice[0] or choice[1]!r} is not on the "
                                f"ballot of contest {c.contest_id} [counts.not-on-ballot]")
        if ctx.settings.design is not Design.BATCH_COMPARISON and pop.sampled[pop.reported.row(c.station_id)]:
            drawn = {d.item for d in ctx.draws.get(c.contest_id, ())}
            for item in c.reads:
                if item not in drawn:
                    problems.append(f"{where}, column ballot): ballot {item!r} was not drawn [counts.not-drawn]")
    return problems


def frozen_recount_problems(ctx: AuditContext, counts: Sequence[HandCount], file: str) -> list[str]:
    """A recount's count fixed the outcome the sample was drawn for: it cannot move after."""
    problems = []
    recounts = set(ctx.population.recounts)
    for c in counts:
        if c.station_id in recounts and c.key in ctx.hand and ctx.draws.get(c.contest_id):
            problems.append(f"{file} (row {c.row}, column station_id): complaint recount {c.station_id} "
                            f"of contest {c.contest_id} was the basis of the sample already drawn; it cannot be "
                            "amended now [counts.recount-frozen]")
    return problems


def record(store: Store, path: Path, counts: Sequence[HandCount], *, amend: bool,
           ctx: AuditContext | None = None, actor: Actor | None = None) -> tuple[AuditContext, int]:
    ctx = load(store, ctx)
    problems = check_hand_counts(ctx, counts, path.name) + frozen_recount_problems(ctx, counts, path.name)
    if problems:
        raise HandCountsRefused(problems)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    rec = record_counts(ctx.engine, ctx.audit.audit_id, file_name=path.name, sha256=sha, sheets=counts,
                        amend=amend, actor=actor)
    return load(store, ctx), rec


class HandCountsRefused(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems[:8]) + (f"\n... and {len(problems) - 8} more" if len(problems) > 8
                                                    else ""))


def pull_items(ctx: AuditContext, boards: int, only_round: int | None = None) -> list[PullItem]:
    """What the boards must count now: drawn stations not yet counted (of `only_round`, or all), complaint
    recounts not yet counted, and every station of a contest in a full count; dealt to boards in turn."""
    stations = ctx.data.table("stations")
    centre = dict(zip(stations.column("station_id").to_pylist(), stations.column("centre_id").to_pylist()))
    area = dict(zip(stations.column("station_id").to_pylist(), stations.column("area").to_pylist()))
    need: dict[str, dict[str, object]] = {}

    def add(station: str, contest: str, why: str, rnd: int, item: str = "") -> None:
        if (station, contest) in ctx.hand:
            return
        e = need.setdefault(station, {"contests": [], "why": why, "round": rnd, "items": []})
        if contest not in e["contests"]:
            e["contests"].append(contest)
        if item:
            e["items"].append(item)

    for cid, pop in sorted(ctx.population.contests.items()):
        for s, samp in zip(pop.reported.stations, pop.sampled):
            if not samp:
                add(s, cid, "complaint recount", 0)
        if cid in ctx.escalated or pop.assertions.full_count:
            for s in pop.reported.stations:
                add(s, cid, "full hand count", ctx.rounds)
            continue
        for k, d in enumerate(ctx.draws.get(cid, ()), start=1):
            rnd = ctx.rounds_of.get((cid, d.item), 0)
            if only_round is None or rnd == only_round:
                if ctx.settings.design is Design.BATCH_COMPARISON:
                    add(d.station_id, cid, f"sample, draw {k}", rnd)
                else:  # single ballots or cards: the board pulls these from the station's materials
                    add(d.station_id, cid, "read", rnd, d.item)
    items = []
    for n, (station, e) in enumerate(sorted(need.items())):
        why = str(e["why"]) if not e["items"] else f"read ballots/cards: {', '.join(e['items'])}"
        items.append(PullItem(n % max(boards, 1) + 1, station, centre.get(station, ""), area.get(station, ""),
                              tuple(e["contests"]), int(e["round"]), why))
    return sorted(items, key=lambda i: (i.board, i.station_id))


def tally_choices(ctx: AuditContext) -> dict[str, list[TallyChoice]]:
    cands = {(c.contest_id, c.candidate_id): c for c in ctx.data.candidates}
    lists = {(lst.contest_id, lst.list_id): lst for lst in ctx.data.lists}
    out: dict[str, list[TallyChoice]] = {}
    for cid, pop in ctx.population.contests.items():
        rows = []
        for cand, lst in pop.reported.choices:
            if cand:
                c = cands.get((cid, cand))
                rows.append(TallyChoice(cand, "", c.name if c else cand, c.party if c else ""))
            else:
                e = lists.get((cid, lst))
                rows.append(TallyChoice("", lst, e.name if e else lst, ""))
        out[cid] = rows
    return out


def audit_line(ctx: AuditContext) -> str:
    a = ctx.audit
    return (f"Audit {a.audit_id} of {a.version} (snapshot {a.snapshot_sha256[:16]}…), risk limit {a.risk_limit}, "
            f"{a.design}, seed {a.seed or '(not yet entered)'}, round {ctx.rounds}.")


def outcome_note(status: ContestStatus) -> str:
    if status.state is State.CONFIRMED:
        return "confirmed"
    return status.state.value


def full_count_outcomes(ctx: AuditContext, contest_ids: Sequence[str]) -> dict[str, tuple[str, tuple[str, ...],
                                                                                   tuple[str, ...]]]:
    """For contests whose every station is hand-counted: contest -> ("confirmed" | "overturned", reported
    winners, winners by the hand counts). One allocation with all of them counted by hand (and the complaint
    recounts in), since rules such as a region's women's minimum couple contests."""
    if not contest_ids:
        return {}
    counts = {cid: pop.reported for cid, pop in ctx.population.contests.items()}  # as published, already read
    merged = substitute(counts, ctx.hand, ctx.population.recounts) if ctx.population.recounts else dict(counts)
    merged.update(substitute({c: counts[c] for c in contest_ids}, ctx.hand))
    result = allocate_votes(ctx.data, vote_totals_of(merged))
    by_hand = {c.contest_id: c for c in result.contests}
    out = {}
    for reported in ctx.population.result.contests:
        if reported.contest_id in contest_ids:
            counted = by_hand[reported.contest_id]
            same = sorted(reported.winner_ids) == sorted(counted.winner_ids)
            out[reported.contest_id] = ("confirmed" if same else "overturned", reported.winner_ids,
                                        counted.winner_ids)
    return out


def statuses_with_outcomes(ctx: AuditContext) -> list[ContestStatus]:
    """The contests' statuses, with the verdict of every full count that is complete."""
    statuses = ctx.statuses()
    done = [s.contest_id for s in statuses
            if s.state is State.FULL_COUNT and not s.awaiting and not s.lost]
    key = (tuple(done), max((h.recording_id for h in ctx.hand.values()), default=0))
    cached = ctx.status_cache.get("\x00outcomes")  # not a contest id: ids are printable text
    if cached is None or cached[0] != key:
        cached = ctx.status_cache["\x00outcomes"] = (key, full_count_outcomes(ctx, done))  # type: ignore[assignment]
    outcomes = cached[1]
    out = []
    for s in statuses:
        if s.contest_id in outcomes:
            verdict, rep, hand = outcomes[s.contest_id]
            note = "" if verdict == "confirmed" else f"; by hand: {', '.join(hand)} instead of {', '.join(rep)}"
            s = replace(s, outcome=verdict, risk=0.0, reason=f"{s.reason}; full hand count complete{note}")
        out.append(s)
    return out
