"""An election package's snapshot as the station table every screen reads: one row per result sheet.

    t = package_table(data)                       # every contest, each with its own leader
    t = package_table(data, contest="D1")         # one contest
    t = package_table(data, candidate="017", contest="D1")   # screen another candidate than the leader

The decisions that shape the numbers:
- A contest's leader is its top choice (candidate, or list for list-only votes) by votes contest-wide; ties go
  to the smaller id. `share_base` is the sheet's valid votes (the sum of its result rows), `leader` the
  leader's votes on that sheet.
- Turnout belongs to a station, not to a sheet, and is tested once per station: on the row of its principal
  sheet (the most ballots cast; ties: the smaller contest id), with the station's ballots counted as
  tabulation counts them (the sum of its sheets where each voter casts one ballot, else its largest sheet)
  over its register. Its other rows carry no register (NO_REGISTER), and neither do stations without one, so
  turnout methods skip them.
- `region` is the station's area at the report's breakdown tier (the children of the area tree's single root,
  e.g. governorates; the roots themselves when there are several); `centre` is the station's centre_id and
  `kind` its kind, so the within-centre test compares like with like.
- `votes` holds every choice of a single contest, strongest first (`candidates` are their ids). A table of
  several contests has no common ballot: it holds the first K choices of each contest by contest-wide rank
  (K = the fewest choices of any contest in it), named "rank 1" ... "rank K".
- `arithmetic_ok`: valid votes + invalid + blank = ballots cast, and, where all three are published, ballots
  received = cast + unused + spoiled (the rules sheet.arithmetic and sheet.reconciliation of docs/format.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..areas import AreaTree
from ..arrays import as_numpy as _np
from ..arrays import int_counts as _ints
from ..model import ElectionData
from ..tabulate import one_ballot_per_voter
from .stations import NO_REGISTER, StationTable

LIST_PREFIX = "list:"  # a list-only vote's choice id, so it cannot collide with a candidate's


class ChoiceNotFound(ValueError):
    """The requested contest or candidate is not in the package (the message says what is)."""




def _choice_column(results: pa.Table) -> pa.ChunkedArray:
    cand = results.column("candidate_id")
    lists = pc.binary_join_element_wise(LIST_PREFIX, pc.fill_null(results.column("list_id"), ""), "")
    has_cand = pc.and_(pc.is_valid(cand), pc.not_equal(pc.fill_null(cand, ""), ""))
    return pc.if_else(has_cand, cand, lists)


def choice_totals(data: ElectionData) -> pa.Table:
    """Votes per (contest_id, choice) with each choice's rank in its contest (0 = the leader)."""
    r = data.table("results")
    t = pa.table(
        {"contest_id": r.column("contest_id"), "choice": _choice_column(r), "votes": r.column("votes")}
    )
    g = t.group_by(["contest_id", "choice"], use_threads=False).aggregate([("votes", "sum")])
    g = g.rename_columns(["contest_id", "choice", "votes"])
    rows = sorted(zip(_np(g.column("contest_id")).tolist(), _np(g.column("choice")).tolist(),
                      _ints(g.column("votes")).tolist()), key=lambda r: (r[0], -r[2], r[1]))
    rank, prev, k = [], None, 0
    for c, _, _ in rows:
        k = k + 1 if c == prev else 0
        prev = c
        rank.append(k)
    return pa.table({"contest_id": pa.array([r[0] for r in rows], pa.string()),
                     "choice": pa.array([r[1] for r in rows], pa.string()),
                     "votes": pa.array([r[2] for r in rows], pa.int64()), "rank": pa.array(rank, pa.int64())})


def contest_leaders(data: ElectionData) -> dict[str, str]:
    """Each contest's top choice by votes contest-wide (ties: the smaller id)."""
    t = choice_totals(data)
    leaders = t.filter(pc.equal(t.column("rank"), 0))
    return dict(zip(_np(leaders.column("contest_id")).tolist(), _np(leaders.column("choice")).tolist()))


def _regions(data: ElectionData, areas: np.ndarray) -> np.ndarray:
    """Each area's breakdown area (the report's: the child of the single root that holds it, or its root)."""
    tree = AreaTree.from_data(data)
    lookup = {a: tree.breakdown_of(a) or "" for a in set(areas.tolist())}
    return np.array([lookup[a] for a in areas.tolist()], dtype=object)


def _resolve(data: ElectionData, totals: pa.Table, contest: str | None,
             candidate: str | None) -> tuple[list[str], Mapping[str, str]]:
    """The contests to screen and the screened choice of each."""
    contests = sorted(_np(data.table("contests").column("contest_id")).tolist())
    if contest is not None and contest not in contests:
        shown = ", ".join(contests[:20]) + (" ..." if len(contests) > 20 else "")
        raise ChoiceNotFound(f"No contest {contest!r} in this election; its contests are: {shown}.")
    by_contest: dict[str, list[str]] = {}
    for c, ch in zip(_np(totals.column("contest_id")).tolist(), _np(totals.column("choice")).tolist()):
        by_contest.setdefault(c, []).append(ch)  # in rank order
    wanted = [contest] if contest is not None else contests
    if candidate is None:
        return [c for c in wanted if by_contest.get(c)], {
            c: by_contest[c][0] for c in wanted if by_contest.get(c)
        }
    holding = [c for c in wanted if candidate in by_contest.get(c, [])]
    if not holding:
        where = f"contest {contest!r}" if contest is not None else "any contest"
        raise ChoiceNotFound(f"Candidate {candidate!r} has no votes in {where}: choose a candidate_id from "
                             "candidates.csv (for a list-only vote: list:LIST_ID).")
    if len(holding) > 1:
        raise ChoiceNotFound(f"Candidate id {candidate!r} is on the ballot of {len(holding)} contests "
                             f"({', '.join(holding[:10])}): name the contest too.")
    return holding, {holding[0]: candidate}


def package_table(
    data: ElectionData, *, contest: str | None = None, candidate: str | None = None
) -> StationTable:
    """The station table of one contest or of all (module doc). Raises ChoiceNotFound for an unknown contest,
    or a candidate that has no votes, or one whose id is on several contests' ballots when no contest is
    named."""
    totals = choice_totals(data)
    chosen, screened = _resolve(data, totals, contest, candidate)
    sheets = data.table("sheets")
    stations = data.table("stations")

    # the principal sheet of every station, over all its sheets (so one contest's table tests the same
    # turnout)
    sh_station, sh_contest = _np(sheets.column("station_id")), _np(sheets.column("contest_id"))
    cast_all = _ints(sheets.column("ballots_cast"))
    order = np.lexsort((sh_contest.astype(str), -cast_all, sh_station.astype(str)))
    first = np.r_[True, sh_station[order][1:] != sh_station[order][:-1]] if len(order) else np.zeros(0, bool)
    principal = np.zeros(len(sh_station), bool)
    principal[order[first]] = True
    st_codes, st_of_sheet = np.unique(sh_station.astype(str), return_inverse=True)
    agg = np.zeros(len(st_codes), np.int64)
    if one_ballot_per_voter(data):
        np.add.at(agg, st_of_sheet, cast_all)
    else:
        np.maximum.at(agg, st_of_sheet, cast_all)

    keep = (
        np.isin(sh_contest.astype(str), np.array(chosen, dtype=str))
        if len(chosen)
        else np.zeros(len(sh_contest), bool)
    )
    rows = np.flatnonzero(keep)
    n = len(rows)
    sid, cid = sh_station[rows], sh_contest[rows]

    # valid votes and the screened choice's votes per kept sheet
    res = data.table("results")
    res_choice = _choice_column(res)
    kept = pa.table({"station_id": pa.array(sid, pa.string()), "contest_id": pa.array(cid, pa.string()),
                     "row": pa.array(np.arange(n, dtype=np.int64))})
    joined = pa.table({"station_id": res.column("station_id"), "contest_id": res.column("contest_id"),
                       "i": pa.array(np.arange(res.num_rows, dtype=np.int64))}).join(
        kept, ["station_id", "contest_id"], join_type="inner", use_threads=False)
    r_row = np.full(res.num_rows, -1, np.int64)
    r_row[_np(joined.column("i")).astype(np.int64)] = _ints(joined.column("row"))
    r_votes = _ints(res.column("votes"))
    ok = r_row >= 0
    valid = np.zeros(n, np.int64)
    np.add.at(valid, r_row[ok], r_votes[ok])
    # each result row's choice as a row of `totals` (one join gives both its contest-wide rank and whether it
    # is the screened choice)
    at = pa.table({"contest_id": res.column("contest_id"), "choice": res_choice,
                   "i": pa.array(np.arange(res.num_rows))}).join(
        totals.select(["contest_id", "choice"]).append_column("t", pa.array(np.arange(totals.num_rows))),
        ["contest_id", "choice"], join_type="inner", use_threads=False)
    t_of = np.full(res.num_rows, -1, np.int64)
    t_of[_np(at.column("i")).astype(np.int64)] = _ints(at.column("t"))
    in_totals = t_of >= 0
    t_at = np.maximum(t_of, 0)
    t_pairs = zip(_np(totals.column("contest_id")).tolist(), _np(totals.column("choice")).tolist())
    is_screened = np.array([screened.get(c) == ch for c, ch in t_pairs], bool)
    hit_rows = np.flatnonzero(in_totals & is_screened[t_at] & ok)
    leader = np.zeros(n, np.int64)
    np.add.at(leader, r_row[hit_rows], r_votes[hit_rows])

    # the votes matrix: choices by contest-wide rank
    ranks = np.where(in_totals, _ints(totals.column("rank"))[t_at], -1)
    per_contest = {c: int(np.sum(_np(totals.column("contest_id")) == c)) for c in chosen}
    width = min(per_contest.values()) if per_contest else 0
    votes = np.zeros((n, width), np.int64)
    cell = ok & (ranks >= 0) & (ranks < width)
    np.add.at(votes, (r_row[cell], ranks[cell]), r_votes[cell])
    if len(chosen) == 1:
        names = tuple(
            _np(totals.filter(pc.equal(totals.column("contest_id"), chosen[0])).column("choice")).tolist()
        )
        candidates = names[:width]
    else:
        candidates = tuple(f"rank {k + 1}" for k in range(width))

    # station columns
    st_ids = _np(stations.column("station_id")).astype(str)
    st_pos = np.searchsorted(st_ids, sid.astype(str)) if len(st_ids) else np.zeros(n, np.int64)
    st_pos = np.minimum(st_pos, max(len(st_ids) - 1, 0))
    known = (st_ids[st_pos] == sid.astype(str)) if len(st_ids) else np.zeros(n, bool)
    has_reg = _np(pc.is_valid(stations.column("registered")))[st_pos] & known if len(st_ids) else known
    reg = _ints(stations.column("registered"))[st_pos] if len(st_ids) else np.zeros(n, np.int64)
    is_principal = principal[rows]
    registered = np.where(has_reg & is_principal, reg, NO_REGISTER).astype(np.int64)
    ballots = np.where(is_principal, agg[st_of_sheet[rows]], cast_all[rows]).astype(np.int64)

    def station_text(col: str) -> np.ndarray:
        if not len(st_ids):
            return np.full(n, "", dtype=object)
        v = _np(pc.fill_null(stations.column(col), ""))[st_pos]
        return np.where(known, v, "").astype(object)

    area = station_text("area")
    invalid = _ints(sheets.column("invalid"))[rows]
    blank = _ints(sheets.column("blank"))[rows]
    paper = [sheets.column(c).take(pa.array(rows)) for c in ("ballots_received", "ballots_unused",
                                                               "ballots_spoiled")]
    published = np.logical_and.reduce([_np(pc.is_valid(c)) for c in paper]) if n else np.zeros(0, bool)
    received, unused, spoiled = (_ints(c) for c in paper)
    recon = ~published | (received == cast_all[rows] + unused + spoiled)
    arithmetic_ok = (valid + invalid + blank == cast_all[rows]) & recon
    leader_name = next(iter(screened.values())) if len(screened) == 1 else "each contest's leader"
    return StationTable(sid.astype(object), registered, ballots, valid, leader, _regions(data, area),
                        station_text("centre_id"), station_text("kind"), leader_name,
                        contest=cid.astype(object), invalid=invalid, arithmetic_ok=arithmetic_ok, votes=votes,
                        candidates=candidates)


def contest_tables(data: ElectionData, *, candidate: str | None = None) -> dict[str, StationTable]:
    """One station table per contest (each with its own leader, or `candidate` where it is on the ballot)."""
    totals = choice_totals(data)
    contests = sorted(set(_np(totals.column("contest_id")).tolist()))
    out = {}
    for c in contests:
        if candidate is not None and candidate not in _np(
                totals.filter(pc.equal(totals.column("contest_id"), c)).column("choice")).tolist():
            continue
        out[c] = package_table(data, contest=c, candidate=candidate)
    return out


TRUTH_STATIONS = Path("truth") / "stations.csv"  # written by tallycheck.synth beside a synthetic package


@dataclass(frozen=True, slots=True)
class SyntheticTruth:
    """What tallycheck.synth injected, row for row with a station table: the label of each sheet ("clean",
    "stuffing", "moved", "rounded", "error"; "" where the truth has no row) and the votes it added or
    moved."""

    label: np.ndarray  # str per row
    votes_added: np.ndarray  # int64 per row
    votes_moved: np.ndarray  # int64 per row

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.label.tolist()) - {""}))


def synthetic_truth(package: Path, t: StationTable) -> SyntheticTruth | None:
    """The injected truth of a synthetic package (its truth/stations.csv), aligned with `t` by station and
    contest; None when the package has no truth folder (a real election)."""
    path = Path(package) / TRUTH_STATIONS
    if not path.is_file():
        return None
    text = {c: pa.string() for c in ("station_id", "contest_id", "label", "favoured_candidate_id")}
    truth = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=text))
    rows = {(s, c): i for i, (s, c) in enumerate(zip(_np(truth.column("station_id")).tolist(),
                                                     _np(truth.column("contest_id")).tolist()))}
    contest = t.contest if t.contest is not None else np.full(len(t), "", dtype=object)
    at = np.array([rows.get((s, c), -1) for s, c in zip(t.station_id.tolist(), contest.tolist())], np.int64)
    known = at >= 0
    pick = np.maximum(at, 0)
    label = np.where(known, _np(truth.column("label")).astype(object)[pick] if truth.num_rows else "", "")
    added = np.where(known, _ints(truth.column("votes_added"))[pick] if truth.num_rows else 0, 0)
    moved = np.where(known, _ints(truth.column("votes_moved"))[pick] if truth.num_rows else 0, 0)
    return SyntheticTruth(label.astype(object), added.astype(np.int64), moved.astype(np.int64))
