"""The public pages of the recount room: overview, contest, station, forensics and the event log (with its
export). Anonymous visitors and every role read them; none changes anything.

The analyses behind them are computed once per results version (`analyses.AnalysesCache`, kept on the app's
state); a page only picks and formats. Charts travel as Plotly JSON in data blocks that static/room.js draws.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from markupsafe import Markup

from ..evidence.store import StoreError
from ..workflow import event_log
from ..workflow.roles import Actor
from ..workflow.station_history import station_history
from .analyses import Analyses, AnalysesCache, StationQuery
from .auth import PUBLIC, allow
from .templating import environment, render

LOG_PAGE = 50
STATIONS_PAGE = 50
FRAGMENTS = 512  # rendered page bodies kept (every contest in two languages, and then some)
_cache_lock = threading.Lock()


@asynccontextmanager
async def _warm(app: Any) -> AsyncIterator[None]:
    """At server start, compute the latest version's analyses in the background (seconds for 55,000 stations),
    so the first visitor does not wait for them."""
    class _AppOnly:  # page_analyses reads request.app only
        def __init__(self, app: Any) -> None:
            self.app = app

    def build() -> None:
        try:
            page_analyses(_AppOnly(app))  # type: ignore[arg-type]
        except HTTPException:
            pass  # nothing imported yet: the pages say so

    threading.Thread(target=build, name="tallycheck-page-analyses", daemon=True).start()
    yield


router = APIRouter(lifespan=_warm)


class Memo:
    """A bounded cache of values computed on a miss (least recently used dropped first), safe across the
    server's threads. Read pages must sustain hundreds of requests a second; what they show changes only with
    the results version, the language or the event log's head, which their keys name."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._got: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._got:
                self._got.move_to_end(key)
                return self._got[key]
        value = compute()  # outside the lock: two threads may compute the same value once each, never wrongly
        with self._lock:
            self._got[key] = value
            while len(self._got) > self._keep:
                self._got.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._got.clear()


class Fragments:
    """Page bodies that depend only on the results version and the language, rendered once: the overview and
    the contest pages format hundreds of rows. The page around them (who is logged in, the log head) is
    rendered on every request."""

    def __init__(self, keep: int = FRAGMENTS) -> None:
        self._memo = Memo(keep)

    def __call__(self, template: str, key: Hashable, **context: Any) -> Markup:
        # rendered inside the page's own render, so in the visitor's language
        return self._memo.get((template, key),
                              lambda: Markup(environment.get_template(template).render(**context)))

    def clear(self) -> None:
        self._memo.clear()


fragments = Fragments()
# a station's sheets and flags (one per station visited and language), and the log's rows (an entry never
# changes: keyed by its hash, which also tells two databases' entries of the same number apart)
station_bodies = Fragments(keep=4096)
log_rows = Fragments(keep=4096)
# a log page's entries, by head hash and page: read from the database once while the log stands still
log_tables = Fragments(keep=256)
# a station's page values, by version; its history, by log head (an entry naming it moves the head)
station_pages = Memo(keep=4096)
station_histories = Memo(keep=4096)


def page_analyses(request: Request) -> Analyses:
    """The latest version's analyses (computed on first use, then cached on the app)."""
    state = request.app.state
    cache = getattr(state, "page_analyses", None)
    if cache is None:
        with _cache_lock:
            cache = getattr(state, "page_analyses", None)
            if cache is None:
                cache = state.page_analyses = AnalysesCache()
    try:
        return cache.get(state.room.store)
    except StoreError as exc:  # nothing imported yet: say what to do, not a server error
        raise HTTPException(503, f"No results to show yet: {exc}") from None


class Numbers:
    """Number formats for the templates (Western digits in every language: ids and hashes are compared by eye
    against the published files)."""

    @staticmethod
    def count(n: Any) -> str:
        return "—" if n is None else f"{int(n):,}"

    @staticmethod
    def pct(x: Any, digits: int = 1) -> str:
        return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x * 100:.{digits}f}%"

    @staticmethod
    def num(x: Any, digits: int = 3) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "—"
        return f"{x:.{digits}g}" if x != 0 else "0"


NUMBERS = Numbers()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> HTMLResponse:
    a = page_analyses(request)
    return render(request, "overview.html", a=a, o=a.overview, n=NUMBERS, fragment=fragments)


@router.get("/contests/{contest_id}", response_class=HTMLResponse)
def contest(request: Request, contest_id: str, actor: Actor = Depends(allow(*PUBLIC))) -> HTMLResponse:
    a = page_analyses(request)
    c = a.contests.get(contest_id)
    if c is None:
        raise HTTPException(404, f"No contest {contest_id!r} in results version {a.version}; the overview lists "
                                 "every contest.")
    return render(request, "contest.html", a=a, c=c, n=NUMBERS, fragment=fragments)


@router.get("/stations/{station_id}", response_class=HTMLResponse)
def station(request: Request, station_id: str, actor: Actor = Depends(allow(*PUBLIC))) -> HTMLResponse:
    a = page_analyses(request)
    s = station_pages.get((a.snapshot_sha256, station_id), lambda: a.station(station_id))
    if s is None:
        raise HTTPException(404, f"No station {station_id!r} in results version {a.version}; the forensics page "
                                 "lists every station.")
    engine = request.app.state.room.engine
    head = event_log.head(engine)
    history = station_histories.get((head, station_id), lambda: station_history(engine, station_id))
    return render(request, "station.html", head=head, a=a, s=s, history=history, log_page=LOG_PAGE, n=NUMBERS,
                  station_body=station_bodies)


def _query(request: Request) -> StationQuery:
    q = request.query_params

    def number(name: str) -> float | None:
        text = q.get(name, "").strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            raise HTTPException(400, f"{name} must be a number (e.g. 2 for p ≤ 0.01); got {text!r}.") from None
        if math.isnan(value):
            raise HTTPException(400, f"{name} must be a number; got {text!r}.")
        return value

    page = number("page")
    return StationQuery(region=q.get("region", ""), contest=q.get("contest", ""), method=q.get("method", ""),
                        flagged_only=q.get("flagged", "") in ("1", "on", "true"),
                        min_score=number("min_score"), page=1 if page is None else max(1, int(page)),
                        per_page=STATIONS_PAGE)


@router.get("/forensics", response_class=HTMLResponse)
def forensics(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> HTMLResponse:
    a = page_analyses(request)
    query = _query(request)
    # the pager's links keep the query's filters, in the order StationQuery reads them (one page, one key)
    keep = {k: request.query_params[k] for k in ("region", "contest", "method", "min_score", "flagged")
            if request.query_params.get(k)}
    return render(request, "forensics.html", a=a, f=a.forensics, query=query, keep=keep, n=NUMBERS,
                  fragment=fragments)


@router.get("/log", response_class=HTMLResponse)
def log(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> HTMLResponse:
    engine = request.app.state.room.engine
    seq, sha = event_log.head(engine)
    pages = max(1, -(-seq // LOG_PAGE))
    try:
        page = min(max(1, int(request.query_params.get("page", "1"))), pages)
    except ValueError:
        raise HTTPException(400, "page must be a whole number.") from None
    # seqs run 1..head without a gap: page p (newest first) holds head-p*LOG_PAGE+1 .. head-(p-1)*LOG_PAGE
    after = max(0, seq - page * LOG_PAGE)
    limit = min(LOG_PAGE, seq - (page - 1) * LOG_PAGE - after)

    def load_entries() -> list[event_log.LogEntry]:  # only when this head's page is not rendered yet
        return event_log.entries(engine, after=after, limit=limit)[::-1]

    return render(request, "log.html", head=(seq, sha), load_entries=load_entries, head_seq=seq, head_sha=sha,
                  page=page, pages=pages, n=NUMBERS, log_table=log_tables, log_row=log_rows)


@router.get("/log/export.jsonl")
def log_export(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> StreamingResponse:
    engine = request.app.state.room.engine
    return StreamingResponse(event_log.export_lines(engine), media_type="application/jsonl; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="tallycheck-log.jsonl"'})


@router.get("/api/overview")
def api_overview(request: Request, actor: Actor = Depends(allow(*PUBLIC))) -> JSONResponse:
    a = page_analyses(request)
    o = a.overview
    return JSONResponse({
        "version": a.version, "snapshot_sha256": a.snapshot_sha256, "election": o.election, "date": o.date,
        "stations": o.stations, "registered": o.registered, "ballots_cast": o.ballots_cast, "turnout": o.turnout,
        "valid_votes": o.valid_votes, "invalid": o.invalid, "blank": o.blank, "seats": o.seats,
        "parties": [{"party": p.party, "seats": p.seats, "women": p.women, "votes": p.votes} for p in o.parties],
        "power": [{"quota": q.quota, "seats": q.of_seats,
                   "players": [{"player": r.player, "seats": r.seats, "banzhaf": r.banzhaf,
                                "shapley_shubik": r.shapley_shubik} for r in q.rows]} for q in o.power],
        "contests": [{"contest_id": c.contest_id, "name": c.name, "seats": c.seats} for c in o.contests],
        "notes": list(o.notes)})


@router.get("/api/contests/{contest_id}")
def api_contest(request: Request, contest_id: str, actor: Actor = Depends(allow(*PUBLIC))) -> JSONResponse:
    a = page_analyses(request)
    c = a.contests.get(contest_id)
    if c is None:
        raise HTTPException(404, f"No contest {contest_id!r} in results version {a.version}.")
    return JSONResponse({
        "version": a.version, "snapshot_sha256": a.snapshot_sha256, "contest_id": c.contest_id, "name": c.name,
        "seats": c.seats, "valid_votes": c.valid_votes,
        "candidates": [{"candidate_id": r.candidate_id, "name": r.name, "party": r.party, "votes": r.votes,
                        "elected": r.elected} for r in c.candidates],
        "winners": [{"seat": w.seat_no, "candidate_id": w.candidate_id, "name": w.name, "party": w.party,
                     "votes": w.votes, "via": w.via, "margin": w.margin, "to_lose": w.to_lose,
                     "would_go_to": w.taker, "replaced": w.replaced, "rule": w.rule, "by_lot": w.by_lot}
                    for w in c.winners]})
