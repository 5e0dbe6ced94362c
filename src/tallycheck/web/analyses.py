"""What the public pages show, computed once per results version and kept while that version is the latest.

Tabulation, seats and their margins, the forensic screen (without the mixture model, the slowest step) and bloc
power take seconds for an Iraq-shaped election; a page must render in milliseconds. So `analyses_for` computes
them once per snapshot hash (the room's latest version changes when a round closes or a recount is certified),
reduces them to plain values and the charts' JSON, and every page only formats what is here.

No web framework here: plain values from the core, the report's figure builders and the evidence store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..areas import AreaTree
from ..evidence.store import Store, VersionInfo
from ..model import ElectionData
from ..report.messages import Messages, UnknownLanguage, report_messages
from ..tabulate import INDEPENDENT, Tabulation, tabulate

QUOTAS = ("majority", "2/3")  # the decisions bloc power is shown for: an absolute majority and two thirds
CACHED_VERSIONS = 2  # the latest and the one before it (pages being read while a round closes)


@dataclass(frozen=True, slots=True)
class PartyRow:
    party: str
    seats: int
    women: int
    votes: int


@dataclass(frozen=True, slots=True)
class PowerRow:
    player: str
    seats: int
    seat_share: float
    banzhaf: float
    shapley_shubik: float


class Chart:
    """One of a version's charts, built by the report's figure builder in each visitor's language: titles and axis
    words follow the report's catalog (English where a language has no report catalog), numbers stay as they
    are. Each language's JSON is built once and kept."""

    __slots__ = ("_build", "_json", "_lock")

    def __init__(self, build: Callable[[Messages], Any]) -> None:
        self._build = build
        self._json: dict[str, str] = {}
        self._lock = threading.Lock()

    def json(self, locale: str) -> str:
        got = self._json.get(locale)
        if got is None:
            with self._lock:
                got = self._json.get(locale)
                if got is None:
                    got = self._json[locale] = self._build(_messages(locale)).to_json()
        return got


def _messages(locale: str) -> Messages:
    try:
        return report_messages(locale)
    except UnknownLanguage:  # a language the room speaks but the report's catalog does not yet
        return report_messages()


@dataclass(frozen=True, slots=True)
class QuotaPower:
    quota: int  # seats a decision needs
    of_seats: int
    rows: tuple[PowerRow, ...]
    figure: Chart  # report.blocs.power_chart


@dataclass(frozen=True, slots=True)
class ContestLink:
    contest_id: str
    name: str
    area: str  # the area's name
    seats: int
    valid_votes: int
    stations: int


@dataclass(frozen=True, slots=True)
class Overview:
    election: str
    date: str
    stations: int
    registered: int
    ballots_cast: int
    turnout: float | None  # over the stations with a register
    valid_votes: int
    invalid: int
    blank: int
    seats: int
    women: int
    parties: tuple[PartyRow, ...]  # parties with seats, most first
    contests: tuple[ContestLink, ...]
    power: tuple[QuotaPower, ...]
    hemicycle: Chart | None  # None when no seat was allocated
    turnout_histogram: Chart | None
    notes: tuple[str, ...]  # what could not be computed, and why


@dataclass(frozen=True, slots=True)
class CandidateRow:
    candidate_id: str
    name: str
    party: str
    list_id: str
    gender: str
    votes: int
    share: float | None
    elected: bool


@dataclass(frozen=True, slots=True)
class SeatRow:
    seat_no: int
    candidate_id: str
    name: str
    party: str
    gender: str
    votes: int
    via: str
    margin: int | None  # fewest ballots after which its holder no longer holds it outright
    to_lose: int | None  # fewest after which it is lost whatever the lot draws
    taker: str  # who would hold it after that move ("" if nobody new)
    replaced: str  # the candidate a quota replacement displaced ("" if none)
    rule: str  # the quota rule that replaced them
    by_lot: bool


@dataclass(frozen=True, slots=True)
class ContestPage:
    contest_id: str
    name: str
    area: str
    seats: int
    women_seats: int
    group: str
    system: str
    registered: int
    ballots_cast: int
    valid_votes: int
    stations: int
    candidates: tuple[CandidateRow, ...]  # most votes first
    winners: tuple[SeatRow, ...]  # in seat order
    women_short: int
    vacant: int
    runoff: tuple[str, ...]  # names


@dataclass(frozen=True, slots=True)
class ChoiceVotes:
    name: str
    party: str
    votes: int


@dataclass(frozen=True, slots=True)
class Sheet:
    contest_id: str
    contest: str
    ballots_cast: int
    invalid: int
    blank: int
    votes: tuple[ChoiceVotes, ...]  # most votes first

    @property
    def valid(self) -> int:
        return sum(v.votes for v in self.votes)


@dataclass(frozen=True, slots=True)
class Flag:
    contest_id: str
    score: float | None
    q_value: float | None
    flagged: bool
    reasons: str


@dataclass(frozen=True, slots=True)
class StationPage:
    station_id: str
    centre_id: str
    area: str  # the area's name
    area_id: str
    registered: int | None  # None: no register (special voting)
    kind: str
    sheets: tuple[Sheet, ...]
    flags: tuple[Flag, ...]  # one per screened contest of the station


@dataclass(frozen=True, slots=True)
class RankedStation:
    rank: int
    station_id: str
    contest_id: str
    region: str  # name
    score: float | None
    q_value: float | None
    flagged: bool
    reasons: str


@dataclass(frozen=True, slots=True)
class StationQuery:
    region: str = ""  # area id at the breakdown tier
    contest: str = ""
    method: str = ""  # a screen method whose own p-value is at most alpha
    flagged_only: bool = False
    min_score: float | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True, slots=True)
class RankedPage:
    rows: tuple[RankedStation, ...]
    total: int  # rows matching the query
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class Forensics:
    """The screen reduced to what the forensics page shows, and the arrays its filters run over."""
    stations: int
    flagged: int
    alpha: float
    leader: str
    methods: tuple[str, ...]
    regions: tuple[tuple[str, str], ...]  # (area id, name) at the breakdown tier
    contests: tuple[str, ...]
    fingerprint: Chart | None
    turnout_spikes: Chart | None
    share_spikes: Chart
    not_applicable: tuple[tuple[str, str], ...]
    # ranked order and per-row arrays (row = one station's contest in the screen's table)
    _order: np.ndarray = field(repr=False)
    _station: np.ndarray = field(repr=False)
    _contest: np.ndarray = field(repr=False)
    _region: np.ndarray = field(repr=False)
    _score: np.ndarray = field(repr=False)
    _q: np.ndarray = field(repr=False)
    _reasons: np.ndarray = field(repr=False)
    _significant: dict[str, np.ndarray] = field(repr=False)  # method -> bool per row

    def ranked(self, query: StationQuery, region_names: dict[str, str]) -> RankedPage:
        """The ranked rows that match `query`, one page of them; rank = place in the whole ranking."""
        order = self._order
        keep = np.ones(len(order), bool)
        if query.region:
            keep &= self._region[order] == query.region
        if query.contest:
            keep &= self._contest[order] == query.contest
        if query.method in self._significant:
            keep &= self._significant[query.method][order]
        elif query.method:
            keep[:] = False
        with np.errstate(invalid="ignore"):
            if query.flagged_only:
                keep &= self._q[order] <= self.alpha
            if query.min_score is not None:
                keep &= self._score[order] >= query.min_score
        hits = np.flatnonzero(keep)
        per = max(1, query.per_page)
        pages = max(1, -(-len(hits) // per))
        page = min(max(1, query.page), pages)
        rows = []
        for at in hits[(page - 1) * per:page * per].tolist():
            i = int(order[at])
            rows.append(RankedStation(at + 1, str(self._station[i]), str(self._contest[i]),
                                      region_names.get(str(self._region[i]), str(self._region[i])),
                                      _float(self._score[i]), _float(self._q[i]),
                                      bool(self._q[i] <= self.alpha) if not np.isnan(self._q[i]) else False,
                                      str(self._reasons[i])))
        return RankedPage(tuple(rows), len(hits), page, pages)

    def rows_of(self, station_id: str) -> np.ndarray:
        return np.flatnonzero(self._station == station_id)

    def flags_of(self, station_id: str) -> tuple[Flag, ...]:
        out = []
        for i in self.rows_of(station_id).tolist():
            q = self._q[i]
            out.append(Flag(str(self._contest[i]), _float(self._score[i]), _float(q),
                            bool(not np.isnan(q) and q <= self.alpha), str(self._reasons[i])))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Analyses:
    version: str  # v1, v2, ...
    snapshot_sha256: str
    overview: Overview
    contests: dict[str, ContestPage]
    forensics: Forensics | None
    region_names: dict[str, str]
    _data: ElectionData = field(repr=False)
    _station_rows: dict[str, int] = field(repr=False)  # station id -> row in the stations table
    _sheet_span: dict[str, tuple[int, int]] = field(repr=False)  # station id -> rows of the sorted sheets
    _result_span: dict[str, tuple[int, int]] = field(repr=False)  # station id -> rows of the sorted results
    _sheets: pa.Table = field(repr=False)
    _results: pa.Table = field(repr=False)
    _choice_names: dict[tuple[str, str], tuple[str, str]] = field(repr=False)  # (contest, cand/list) -> name, party
    _area_names: dict[str, str] = field(repr=False)

    def has_station(self, station_id: str) -> bool:
        return station_id in self._station_rows

    def station(self, station_id: str) -> StationPage | None:
        """The station's sheets and the screen's verdicts, or None if the version has no such station."""
        row = self._station_rows.get(station_id)
        if row is None:
            return None
        st = self._data.table("stations").slice(row, 1).to_pylist()[0]
        votes: dict[str, list[ChoiceVotes]] = {}
        lo, hi = self._result_span.get(station_id, (0, 0))
        for r in self._results.slice(lo, hi - lo).to_pylist():
            key = r["candidate_id"] or r["list_id"]
            name, party = self._choice_names.get((r["contest_id"], key), (key, ""))
            votes.setdefault(r["contest_id"], []).append(ChoiceVotes(name, party, int(r["votes"])))
        lo, hi = self._sheet_span.get(station_id, (0, 0))
        sheets = []
        for s in self._sheets.slice(lo, hi - lo).to_pylist():
            cid = s["contest_id"]
            contest = self.contests.get(cid)
            sheets.append(Sheet(cid, contest.name if contest else cid, int(s["ballots_cast"]), int(s["invalid"]),
                                int(s["blank"]),
                                tuple(sorted(votes.get(cid, ()), key=lambda v: (-v.votes, v.name)))))
        flags = self.forensics.flags_of(station_id) if self.forensics is not None else ()
        return StationPage(station_id, st["centre_id"], self._area_names.get(st["area"], st["area"]), st["area"],
                           st["registered"], st["kind"] or "", tuple(sheets), flags)


def _float(x: Any) -> float | None:
    return None if x is None or np.isnan(x) else float(x)


def _spans(ids: pa.ChunkedArray) -> dict[str, tuple[int, int]]:
    """Row ranges of each id in a column sorted by it."""
    arr = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    values = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
    if len(values) == 0:
        return {}
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    stops = np.append(starts[1:], len(values))
    return {values[a]: (int(a), int(b)) for a, b in zip(starts.tolist(), stops.tolist())}


def _overview(data: ElectionData, tab: Tabulation, seats: Any, power: tuple[QuotaPower, ...],
              tree: AreaTree, notes: list[str]) -> Overview:
    from ..report.charts import turnout_histogram_chart
    from ..report.seats import hemicycle_chart
    from ..report.station_stats import station_stats

    stats = station_stats(data)
    c = tab.contests
    ints = {n: int(pc.sum(c.column(n)).as_py() or 0) for n in ("valid_votes", "invalid", "blank")}
    in_turnout = stats.in_turnout
    registered_t = int(stats.registered[in_turnout].sum())
    turnout = int(stats.ballots_cast[in_turnout].sum()) / registered_t if registered_t else None
    stations_per = dict(zip(c.column("contest_id").to_pylist(), c.column("stations_reporting").to_pylist()))
    valid_per = dict(zip(c.column("contest_id").to_pylist(), c.column("valid_votes").to_pylist()))
    links = tuple(ContestLink(k.contest_id, k.name, tree.name(k.area), k.seats, int(valid_per.get(k.contest_id) or 0),
                              int(stations_per.get(k.contest_id) or 0))
                  for k in sorted(data.contests, key=lambda k: k.contest_id))
    parties = () if seats is None else tuple(PartyRow(p.party, p.seats, p.women, p.votes) for p in seats.parties
                                             if p.seats)
    per_station = stats.turnout
    turnout_chart = (Chart(lambda m: turnout_histogram_chart(per_station, m)) if np.any(~np.isnan(per_station))
                     else None)
    return Overview(
        election=data.election.name, date=data.election.date.isoformat(), stations=stats.stations,
        registered=int(stats.registered.sum()), ballots_cast=int(stats.ballots_cast.sum()), turnout=turnout,
        valid_votes=ints["valid_votes"], invalid=ints["invalid"], blank=ints["blank"],
        seats=sum(k.seats for k in data.contests) if seats is None else seats.seats,
        women=0 if seats is None else seats.women, parties=parties, contests=links, power=power,
        hemicycle=None if seats is None or not seats.seats else Chart(lambda m: hemicycle_chart(seats, m)),
        turnout_histogram=turnout_chart, notes=tuple(notes))


def _power(seats: Any) -> tuple[QuotaPower, ...]:
    from ..blocs import Independents, analyse, game_from_result, resolve_quota
    from ..report.blocs import power_chart

    game = game_from_result(seats, grouping=Independents.SINGLE)
    if not game.players or game.seats == 0:
        return ()
    quotas = sorted({resolve_quota(q, game.seats) for q in QUOTAS})
    analysis = analyse(game, quotas, independents=Independents.SINGLE, limit=1)
    out = []
    for part in analysis.quotas:
        p = part.power
        rows = tuple(PowerRow(n, pl.seats, pl.seats / game.seats, float(b), float(s))
                     for n, pl, b, s in zip(game.names, game.players, p.banzhaf, p.shapley_shubik))
        out.append(QuotaPower(part.quota, game.seats, rows, Chart(lambda m, part=part: power_chart(game, part, m))))
    return tuple(out)


def _contest_pages(data: ElectionData, tab: Tabulation, seats: Any, margins: Sequence[Any],
                   tree: AreaTree) -> dict[str, ContestPage]:
    totals = {r["contest_id"]: r for r in tab.contests.to_pylist()}
    by_contest: dict[str, list[dict[str, Any]]] = {}
    for r in tab.choices.to_pylist():
        by_contest.setdefault(r["contest_id"], []).append(r)
    names = {(c.contest_id, c.candidate_id): (c.name or c.candidate_id, c.party or INDEPENDENT)
             for c in data.candidates}
    margin_of = {(m.contest_id, m.holder): m for m in margins}
    seated = {} if seats is None else {c.contest_id: c for c in seats.contests}
    pages = {}
    for k in data.contests:
        cs = seated.get(k.contest_id)
        won = set() if cs is None else set(cs.winner_ids)
        cands = tuple(CandidateRow(r["candidate_id"], r["name"] or r["candidate_id"], r["party"] or INDEPENDENT,
                                   r["list_id"] or "", r["gender"] or "", int(r["votes"] or 0), _float(r["share"]),
                                   r["candidate_id"] in won)
                      for r in sorted(by_contest.get(k.contest_id, []), key=lambda r: (-(r["votes"] or 0),
                                                                                      r["candidate_id"])))
        winners: list[SeatRow] = []
        if cs is not None:
            replaced = {r.elected: r for r in cs.replacements}
            lot = {n for t in cs.ties for n in t.drawn if t.places < len(t.candidates)}
            for s in cs.winners:
                m = margin_of.get((k.contest_id, s.candidate_id))
                r = replaced.get(s.candidate_id)
                taker = "" if m is None or not m.challenger else names.get((k.contest_id, m.challenger),
                                                                           (m.challenger, ""))[0]
                winners.append(SeatRow(s.seat_no, s.candidate_id, s.name or s.candidate_id, s.party or INDEPENDENT,
                                       s.gender.value, s.votes, s.via.value,
                                       None if m is None else m.ballots, None if m is None else m.ballots_to_lose,
                                       taker, "" if r is None else names.get((k.contest_id, r.displaced),
                                                                            (r.displaced, ""))[0],
                                       "" if r is None else r.rule, s.candidate_id in lot))
        t = totals.get(k.contest_id, {})
        pages[k.contest_id] = ContestPage(
            k.contest_id, k.name, tree.name(k.area), k.seats, k.women_seats, k.group or "",
            "" if cs is None else cs.system, int(t.get("registered") or 0), int(t.get("ballots_cast") or 0),
            int(t.get("valid_votes") or 0), int(t.get("stations_reporting") or 0), cands, tuple(winners),
            0 if cs is None else cs.women_short, 0 if cs is None else cs.vacant,
            () if cs is None else tuple(names.get((k.contest_id, c), (c, ""))[0] for c in cs.runoff))
    return pages


def _forensics(data: ElectionData, tree: AreaTree, seed: int) -> Forensics:
    from ..forensics.concentration import from_package
    from ..forensics.from_package import package_table
    from ..forensics.screen import screen
    from ..report.forensics import fine_histogram_chart, fingerprint_chart

    table = package_table(data)
    s = screen(table, mixture=False, seed=seed, concentration=from_package(data, table))
    t = s.table
    with np.errstate(invalid="ignore"):
        significant = {e.method: np.asarray(e.p_value <= s.alpha) for e in s.evidence}
    with_register = t.registered > 0
    regions = tuple((a, tree.name(a)) for a in sorted(set(t.region.astype(str).tolist())) if a)
    contest = t.contest if t.contest is not None else np.full(len(t), "", dtype=object)
    return Forensics(
        stations=len(t), flagged=int(s.flagged().sum()), alpha=s.alpha, leader=t.leader_name,
        methods=tuple(e.method for e in s.evidence), regions=regions,
        contests=tuple(sorted(set(contest.astype(str).tolist()) - {""})),
        fingerprint=(Chart(lambda m: fingerprint_chart(s, m)) if s.fingerprint is not None
                     and s.fingerprint.n_stations else None),
        turnout_spikes=(Chart(lambda m: fine_histogram_chart(t.ballots[with_register], t.registered[with_register],
                                                             m.gettext("Turnout"), m)) if with_register.any() else None),
        share_spikes=Chart(lambda m: fine_histogram_chart(t.leader, t.share_base, m.gettext("Leader share"), m)),
        not_applicable=tuple(s.not_applicable.items()),
        _order=s.ranking(), _station=t.station_id.astype(str), _contest=contest.astype(str),
        _region=t.region.astype(str), _score=np.asarray(s.score, float), _q=np.asarray(s.q_value, float),
        _reasons=s.reasons, _significant=significant)


def compute(data: ElectionData, version: VersionInfo, *, seed: str = "0", screen_seed: int = 0,
            forensics: bool = True) -> Analyses:
    """Every analysis of one version (seconds for 55,000 stations). `seed`: the public seed of the lot that
    breaks exact seat ties, as in `tallycheck report --seed`."""
    from ..seats.allocate import allocate
    from ..seats.laws import LawError
    from ..seats.margins import seat_margins
    from ..seats.ties import Lot

    tree = AreaTree.from_data(data)
    tab = tabulate(data)
    notes: list[str] = []
    seats, margins = None, ()
    try:
        seats = allocate(data, tab, lot=Lot(seed))
        margins = tuple(seat_margins(seats, data))
    except LawError as exc:
        notes.append(f"Seats not allocated: {exc}")
    power = _power(seats) if seats is not None else ()
    area_names = {a.area_id: a.name for a in data.areas}
    stations = data.table("stations")
    station_rows = {sid: i for i, sid in enumerate(stations.column("station_id").to_pylist())}
    sheets = data.table("sheets").sort_by([("station_id", "ascending"), ("contest_id", "ascending")])
    results = data.table("results").sort_by([("station_id", "ascending"), ("contest_id", "ascending"),
                                             ("votes", "descending")])
    choice_names: dict[tuple[str, str], tuple[str, str]] = {
        (c.contest_id, c.candidate_id): (c.name or c.candidate_id, c.party or INDEPENDENT) for c in data.candidates}
    choice_names.update({(x.contest_id, x.list_id): (x.name, "") for x in data.lists})
    return Analyses(
        version=version.name, snapshot_sha256=version.snapshot_sha256,
        overview=_overview(data, tab, seats, power, tree, notes),
        contests=_contest_pages(data, tab, seats, margins, tree),
        forensics=_forensics(data, tree, screen_seed) if forensics else None,
        region_names={a: tree.name(a) for a in tree.breakdown}, _data=data, _station_rows=station_rows,
        _sheet_span=_spans(sheets.column("station_id")), _result_span=_spans(results.column("station_id")),
        _sheets=sheets, _results=results, _choice_names=choice_names, _area_names=area_names)


class AnalysesCache:
    """The analyses of the latest versions, by snapshot hash; computed once even when many requests ask at once."""

    def __init__(self, keep: int = CACHED_VERSIONS, *, forensics: bool = True) -> None:
        self._keep = keep
        self._forensics = forensics
        self._lock = threading.Lock()
        self._ready: dict[str, Analyses] = {}
        self._building: dict[str, threading.Lock] = {}
        self._latest: tuple[int, VersionInfo] | None = None

    def latest_version(self, store: Store) -> VersionInfo:
        """The store's latest version, re-read only when its versions folder changes (a new version is a new
        folder in it)."""
        try:
            stamp = store.versions_dir.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = -1
        got = self._latest
        if got is not None and got[0] == stamp:
            return got[1]
        v = store.resolve(None)
        self._latest = (stamp, v)
        return v

    def get(self, store: Store, version: VersionInfo | None = None) -> Analyses:
        v = version or self.latest_version(store)
        key = v.snapshot_sha256
        hit = self._ready.get(key)
        if hit is not None:
            return hit
        with self._lock:
            build = self._building.setdefault(key, threading.Lock())
        with build:
            hit = self._ready.get(key)
            if hit is None:
                hit = compute(store.load(v.name), v, forensics=self._forensics)
                with self._lock:
                    self._ready[key] = hit
                    self._building.pop(key, None)
                    for old in list(self._ready)[:-self._keep]:
                        del self._ready[old]
        return hit
