"""Rules that span the package's tables: identifiers, ballots, and the arithmetic of every result sheet.

Works column-wise (Arrow and numpy) so that a national election's tens of millions of result rows are checked in
seconds. Every rule is catalogued in `tallycheck.problems` and documented in docs/format.md. The output is the
election in canonical order (every table sorted by its key, byte-wise), which is what a snapshot stores and hashes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import as_numpy as _np
from .choices import Ballots, ballot_choices, lookup
from .ingest.package import PackageFiles, TypedTable
from .model import TABLES, ElectionData, ResultCodes
from .problems import Problem, Severity, has_errors, problem


@dataclass(frozen=True, slots=True)
class Validation:
    data: ElectionData | None  # None when an error refuses the package
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.data is not None



_ranks = lookup  # index of each value in sorted ids, -1 where absent


class _Checker:
    def __init__(self, files: PackageFiles):
        self.t = files.tables
        self.problems: list[Problem] = []
        self.sorted: dict[str, pa.Table] = {}
        self.codes: ResultCodes | None = None
        # Tables that could not be read at all: references to them are not checked, or one unreadable
        # candidates.csv would bury its own error under an id.unknown for every result row.
        self.unreadable = {spec.name for spec in TABLES
                           if any(p.severity is Severity.ERROR and p.rule.startswith("file.")
                                  and p.file.rsplit(".", 1)[0] == spec.name for p in files.problems)}

    def add(self, *args: object) -> None:
        self.problems.append(problem(*args))  # type: ignore[arg-type]

    # -- identifiers ------------------------------------------------------------------------------------------
    def unique_keys(self, name: str) -> pa.Array:
        """Sort a table by its key (byte-wise, as Arrow compares strings), report duplicate keys, and return the
        sorted distinct values of the key's last column (for a single-key table: its sorted distinct ids)."""
        tt = self.t[name]
        keys = tt.spec.key
        n = tt.table.num_rows
        if n == 0:
            self.sorted[name] = tt.table
            return pa.array([], type=pa.string())
        order = pc.sort_indices(tt.table, sort_keys=[(k, "ascending") for k in keys])
        table = pc.take(tt.table, order)
        cols = [table.column(k).combine_chunks() for k in keys]
        same = np.ones(n - 1, dtype=bool)
        for col in cols:
            same &= _np(pc.equal(col.slice(1), col.slice(0, n - 1)))
        ordered = _np(order)
        first_row: dict[tuple[str, ...], int] = {}
        last = keys[-1]
        for i in np.flatnonzero(same) + 1:
            value = tuple(col[int(i)].as_py() for col in cols)
            first = first_row.setdefault(value, tt.row(ordered[i - 1]))
            row = tt.row(ordered[i])
            scope = "".join(f" in {k} {v!r}" for k, v in zip(keys[:-1], value[:-1]))
            self.add("id.duplicate", tt.file, row, last, value[-1],
                     f"{last} {value[-1]!r}{scope} in row {row} of {tt.file} was already given in row {first}.")
        self.sorted[name] = table
        if len(keys) == 1:
            return cols[0].filter(pa.array(np.r_[True, ~same])) if same.any() else cols[0]
        distinct = pc.unique(cols[-1])
        return pc.take(distinct, pc.sort_indices(distinct))

    def references(self, tt: TypedTable, column: str, target_ids: pa.Array, target: str,
                   optional: bool = False) -> np.ndarray:
        values = tt.table.column(column)
        ranks = _ranks(values, target_ids)
        if target.rsplit(".", 1)[0] in self.unreadable:
            return ranks
        bad = np.flatnonzero(ranks < 0)
        if optional and len(bad):
            bad = bad[_np(values)[bad] != ""]
        for i in bad:
            value = values[int(i)].as_py()
            if value == "" and not optional:
                continue  # already reported as value.required
            self.add("id.unknown", tt.file, tt.row(i), column, value,
                     f"{column} {value!r} in row {tt.row(i)} of {tt.file} is not in {target}.")
        return ranks


def validate_files(files: PackageFiles) -> Validation:
    c = _Checker(files)
    t = files.tables
    have_areas = t["areas"].file is not None
    area_ids = c.unique_keys("areas")
    contest_ids = c.unique_keys("contests")
    c.unique_keys("lists")
    c.unique_keys("candidates")
    station_ids = c.unique_keys("stations")

    if have_areas:
        c.references(t["areas"], "parent", area_ids, "areas.csv", optional=True)
        c.references(t["contests"], "area", area_ids, "areas.csv")
        c.references(t["stations"], "area", area_ids, "areas.csv")
        c.references(t["candidates"], "area", area_ids, "areas.csv", optional=True)
        c.references(t["seat_areas"], "area", area_ids, "areas.csv")
    _check_contest_seats(c, contest_ids)
    c.references(t["lists"], "contest_id", contest_ids, "contests.csv")
    c.references(t["candidates"], "contest_id", contest_ids, "contests.csv")
    _check_candidate_lists(c)
    ballots = ballot_choices(contest_ids, c.sorted["candidates"], c.sorted["lists"])

    sheets_key, sheet_order = _check_sheets(c, station_ids, contest_ids)
    results_order, results_sheet_key, votes = _check_results(c, station_ids, contest_ids, ballots)
    _check_arithmetic(c, station_ids, contest_ids, sheets_key, sheet_order, results_sheet_key, votes, results_order)
    if have_areas:
        _check_station_areas(c, station_ids, contest_ids, sheets_key)

    file_order = {f"{spec.name}{ext}": i for i, spec in enumerate(TABLES) for ext in (".csv", ".xlsx")}
    problems = sorted([*files.problems, *c.problems],
                      key=lambda p: (file_order.get(p.file, -1), p.row or 0, p.column or "", p.rule))
    if has_errors(problems) or files.election is None:
        return Validation(None, tuple(problems))
    tables = dict(c.sorted)
    tables["seat_areas"] = _sorted_by(t["seat_areas"].table, ("contest_id", "area"))
    tables["sheets"] = t["sheets"].table.take(pa.array(sheet_order))
    tables["results"] = t["results"].table.take(pa.array(results_order)) if results_order is not None \
        else t["results"].table
    tables = {spec.name: tables[spec.name] for spec in TABLES}
    return Validation(ElectionData(files.election, tables, c.codes), tuple(problems))


def _sorted_by(table: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    if table.num_rows == 0:
        return table
    return table.take(pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys]))


def _check_contest_seats(c: _Checker, contest_ids: pa.Array) -> None:
    contests = c.t["contests"]
    seats = {r["contest_id"]: r["seats"] for r in contests.table.select(["contest_id", "seats"]).to_pylist()}
    for i, r in enumerate(contests.table.select(["contest_id", "seats", "women_seats"]).to_pylist()):
        if r["seats"] is not None and r["seats"] < 1:
            c.add("contest.reserved-seats", contests.file, contests.row(i), "seats", r["seats"],
                  f"Contest {r['contest_id']!r} (row {contests.row(i)} of {contests.file}) must fill at least one seat.")
        if r["women_seats"] is not None and r["seats"] is not None and r["women_seats"] > r["seats"]:
            c.add("contest.reserved-seats", contests.file, contests.row(i), "women_seats", r["women_seats"],
                  f"Contest {r['contest_id']!r} reserves {r['women_seats']} seats for women but fills only "
                  f"{r['seats']} (row {contests.row(i)} of {contests.file}).")
    sa = c.t["seat_areas"]
    if sa.file is None:
        return
    c.references(sa, "contest_id", contest_ids, "contests.csv")
    keys = list(zip(_np(sa.table.column("contest_id")), _np(sa.table.column("area"))))
    seen: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = {}
    last_row: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in seen:
            c.add("id.duplicate", sa.file, sa.row(i), "area", k[1],
                  f"Contest {k[0]!r} and area {k[1]!r} in row {sa.row(i)} of {sa.file} were already given in "
                  f"row {seen[k]}.")
        seen.setdefault(k, sa.row(i))
        totals[k[0]] = totals.get(k[0], 0) + (sa.table.column("seats")[i].as_py() or 0)
        last_row[k[0]] = sa.row(i)
    for contest, total in totals.items():
        if contest in seats and seats[contest] is not None and total != seats[contest]:
            c.add("contest.reserved-seats", sa.file, last_row[contest], "seats", total,
                  f"The per-area seats of contest {contest!r} in {sa.file} add up to {total}, but the contest "
                  f"fills {seats[contest]}.")


def _check_candidate_lists(c: _Checker) -> None:
    """A candidate's list must be a list of the candidate's own contest (list ids are scoped by contest)."""
    cands, lists = c.t["candidates"], c.t["lists"]
    if cands.table.num_rows == 0:
        return
    pairs = set(zip(_np(lists.table.column("contest_id")).tolist(), _np(lists.table.column("list_id")).tolist()))
    anywhere = {lid for _, lid in pairs}
    contest = _np(cands.table.column("contest_id")).tolist()
    list_id = _np(cands.table.column("list_id")).tolist()
    cid = _np(cands.table.column("candidate_id")).tolist()
    for i, (k, lid) in enumerate(zip(contest, list_id)):
        if not lid or (k, lid) in pairs:
            continue
        if lid in anywhere:
            c.add("candidate.list-contest", cands.file, cands.row(i), "list_id", lid,
                  f"Candidate {cid[i]!r} (row {cands.row(i)} of {cands.file}) runs in contest {k!r} on list "
                  f"{lid!r}, which belongs to another contest.")
        else:
            c.add("id.unknown", cands.file, cands.row(i), "list_id", lid,
                  f"list_id {lid!r} in row {cands.row(i)} of {cands.file} is not in lists.csv.")


def _check_sheets(c: _Checker, station_ids: pa.Array, contest_ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    sheets = c.t["sheets"]
    s_rank = c.references(sheets, "station_id", station_ids, "stations.csv")
    k_rank = c.references(sheets, "contest_id", contest_ids, "contests.csv")
    n_contests = max(len(contest_ids), 1)
    key = np.where((s_rank >= 0) & (k_rank >= 0), s_rank * n_contests + k_rank, -1)
    order = np.argsort(key, kind="stable") if len(key) and not np.all(key[1:] > key[:-1]) else np.arange(len(key))
    skey = key[order]
    for j in np.flatnonzero((skey[1:] == skey[:-1]) & (skey[1:] >= 0)) + 1:
        i, first = int(order[j]), int(order[j - 1])
        r = sheets.table.slice(i, 1).to_pylist()[0]
        c.add("id.duplicate", sheets.file, sheets.row(i), "contest_id", r["contest_id"],
              f"Station {r['station_id']!r} has a second sheet for contest {r['contest_id']!r} in row "
              f"{sheets.row(i)} of {sheets.file} (first in row {sheets.row(first)}).")
    return key, order


def _check_results(c: _Checker, station_ids: pa.Array, contest_ids: pa.Array,
                   ballots: Ballots) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    res = c.t["results"]
    tab = res.table
    n = tab.num_rows
    s_rank = c.references(res, "station_id", station_ids, "stations.csv")
    k_rank = c.references(res, "contest_id", contest_ids, "contests.csv")
    has_cand = _np(pc.not_equal(tab.column("candidate_id"), "")) if n else np.zeros(0, bool)
    has_list = _np(pc.not_equal(tab.column("list_id"), "")) if n else np.zeros(0, bool)
    for i in np.flatnonzero(has_cand == has_list):
        both = bool(has_cand[i])
        c.add("results.choice", res.file, res.row(i), "candidate_id", None,
              f"Row {res.row(i)} of {res.file} names {'both a candidate and a list' if both else 'neither a candidate nor a list'}; "
              f"give exactly one of candidate_id and list_id.")
    choice, cand_code, list_code = ballots.choice_of(k_rank, tab.column("candidate_id"), tab.column("list_id")) \
        if n else (np.empty(0, np.int64),) * 3
    single = has_cand != has_list
    unchecked = c.unreadable & {"candidates", "lists"}
    for i in np.flatnonzero(single & (choice < 0)) if not unchecked else ():
        column = "candidate_id" if has_cand[i] else "list_id"
        value = tab.column(column)[int(i)].as_py()
        if (cand_code[i] if has_cand[i] else list_code[i]) < 0:
            table = "candidates.csv" if has_cand[i] else "lists.csv"
            c.add("id.unknown", res.file, res.row(i), column, value,
                  f"{column} {value!r} in row {res.row(i)} of {res.file} is not in {table}.")
        elif k_rank[i] >= 0:
            contest = tab.column("contest_id")[int(i)].as_py()
            who = "candidate" if has_cand[i] else "list"
            c.add("results.not-on-ballot", res.file, res.row(i), column, value,
                  f"Row {res.row(i)} of {res.file}: {who} {value!r} is not on the ballot of contest {contest!r}.")
    valid_choice = single & (choice >= 0)
    choice_idx = choice
    ok = valid_choice & (s_rank >= 0) & (k_rank >= 0)
    n_choices = max(len(ballots), 1)
    key = np.where(ok, s_rank * n_choices + choice_idx, -1)
    order = None if (n == 0 or np.all(key[1:] > key[:-1])) else np.argsort(key, kind="stable")
    skey = key if order is None else key[order]
    for j in np.flatnonzero((skey[1:] == skey[:-1]) & (skey[1:] >= 0)) + 1:
        i = int(j if order is None else order[j])
        first = int(j - 1 if order is None else order[j - 1])
        r = tab.slice(i, 1).to_pylist()[0]
        c.add("id.duplicate", res.file, res.row(i), "candidate_id" if r["candidate_id"] else "list_id",
              r["candidate_id"] or r["list_id"],
              f"Row {res.row(i)} of {res.file} repeats station {r['station_id']!r}, contest {r['contest_id']!r} and "
              f"{'candidate ' + repr(r['candidate_id']) if r['candidate_id'] else 'list ' + repr(r['list_id'])} "
              f"of row {res.row(first)}.")
    n_contests = max(len(contest_ids), 1)
    # with candidates or lists unreadable the votes still belong to their sheets: check the arithmetic anyway
    for_sheets = ok if not unchecked else (s_rank >= 0) & (k_rank >= 0)
    sheet_key = np.where(for_sheets, s_rank * n_contests + k_rank, -1)
    votes = _np(pc.fill_null(tab.column("votes"), 0)).astype(np.int64) if n else np.empty(0, np.int64)
    if order is not None:
        sheet_key, votes, s_rank, choice = sheet_key[order], votes[order], s_rank[order], choice[order]
    c.codes = ResultCodes(s_rank, choice)
    return order, sheet_key, votes


def _check_arithmetic(c: _Checker, station_ids: pa.Array, contest_ids: pa.Array, sheets_key: np.ndarray,
                      sheet_order: np.ndarray, results_sheet_key: np.ndarray, votes: np.ndarray,
                      results_order: np.ndarray | None) -> None:
    """Sheet totals against the votes (exact integer sums), ballots, and registered voters."""
    sheets, res = c.t["sheets"], c.t["results"]
    # votes per (station, contest): results are sorted by that key, so each group is one contiguous run
    valid = results_sheet_key >= 0
    if valid.all():  # the usual case: no copies of 15M-row arrays
        rk, rv, source = results_sheet_key, votes, np.arange(len(votes))
    else:
        rk, rv = results_sheet_key[valid], votes[valid]
        source = np.flatnonzero(valid)  # position in results_sheet_key of each rk entry
    if len(rk) and not np.all(rk[1:] >= rk[:-1]):
        o = np.argsort(rk, kind="stable")
        rk, rv, source = rk[o], rv[o], source[o]
    starts = np.flatnonzero(np.r_[True, rk[1:] != rk[:-1]]) if len(rk) else np.empty(0, np.int64)
    group_keys = rk[starts]
    group_votes = np.add.reduceat(rv, starts) if len(rk) else np.empty(0, np.int64)

    skey = sheets_key[sheet_order]
    pos = np.searchsorted(group_keys, skey)
    pos_c = np.minimum(pos, max(len(group_keys) - 1, 0))
    # no result rows at all (or none valid): every sheet lacks results, and group_keys cannot be indexed
    has_results = (group_keys[pos_c] == skey) if len(skey) and len(group_keys) else np.zeros(len(skey), bool)
    sum_votes = np.where(has_results, group_votes[pos_c] if len(group_votes) else 0, 0)
    tab = sheets.table.take(pa.array(sheet_order)) if len(sheet_order) else sheets.table
    rows = sheets.rows[sheet_order] if len(sheet_order) else sheets.rows

    def col(name: str) -> np.ndarray:
        a = tab.column(name)
        return _np(pc.fill_null(a, -1)).astype(np.int64)

    cast, invalid, blank = col("ballots_cast"), col("invalid"), col("blank")
    known = (skey >= 0) & (cast >= 0) & (invalid >= 0) & (blank >= 0)
    st = _np(tab.column("station_id")) if len(skey) else np.empty(0, object)
    ct = _np(tab.column("contest_id")) if len(skey) else np.empty(0, object)
    for i in np.flatnonzero(known & has_results & (sum_votes + invalid + blank != cast)):
        c.add("sheet.arithmetic", sheets.file, int(rows[i]), "ballots_cast", int(cast[i]),
              f"Station {st[i]!r}, contest {ct[i]!r} (row {int(rows[i])} of {sheets.file}): votes {int(sum_votes[i])} "
              f"+ invalid {int(invalid[i])} + blank {int(blank[i])} = {int(sum_votes[i] + invalid[i] + blank[i])}, "
              f"but ballots cast = {int(cast[i])}.")
    for i in np.flatnonzero((skey >= 0) & ~has_results):
        c.add("sheet.no-results", sheets.file, int(rows[i]), None, None,
              f"Station {st[i]!r}, contest {ct[i]!r} (row {int(rows[i])} of {sheets.file}) has a sheet but no rows "
              f"in results.")
    received, unused, spoiled = col("ballots_received"), col("ballots_unused"), col("ballots_spoiled")
    rec = (received >= 0) & (unused >= 0) & (spoiled >= 0) & (cast >= 0)
    for i in np.flatnonzero(rec & (received != cast + unused + spoiled)):
        c.add("sheet.reconciliation", sheets.file, int(rows[i]), "ballots_received", int(received[i]),
              f"Station {st[i]!r}, contest {ct[i]!r} (row {int(rows[i])} of {sheets.file}): received "
              f"{int(received[i])}, but cast {int(cast[i])} + unused {int(unused[i])} + spoiled {int(spoiled[i])} = "
              f"{int(cast[i] + unused[i] + spoiled[i])}.")
    stations = c.sorted["stations"]
    registered = _np(pc.fill_null(stations.column("registered"), -1)).astype(np.int64) if stations.num_rows else np.empty(0, np.int64)
    n_contests = max(len(contest_ids), 1)
    s_rank = np.where(skey >= 0, skey // n_contests, -1)
    if len(registered):
        reg = np.where(s_rank >= 0, registered[np.maximum(s_rank, 0)], -1)
        for i in np.flatnonzero((reg >= 0) & (cast > reg)):
            c.add("sheet.over-registered", sheets.file, int(rows[i]), "ballots_cast", int(cast[i]),
                  f"Station {st[i]!r}, contest {ct[i]!r} (row {int(rows[i])} of {sheets.file}): {int(cast[i])} ballots "
                  f"cast but only {int(reg[i])} voters registered.")
    # results without a sheet, and stations with neither
    sheet_set = skey[skey >= 0]
    if len(group_keys):
        p = np.searchsorted(sheet_set, group_keys)
        p = np.minimum(p, max(len(sheet_set) - 1, 0))
        orphan = ~((len(sheet_set) > 0) & (sheet_set[p] == group_keys)) if len(sheet_set) else np.ones(len(group_keys), bool)
        for g in np.flatnonzero(orphan):
            k = int(group_keys[g])
            station, contest = station_ids[k // n_contests].as_py(), contest_ids[k % n_contests].as_py()
            j = int(source[starts[g]])
            row = res.row(int(results_order[j]) if results_order is not None else j)  # the group's first row
            c.add("results.no-sheet", res.file, row, "station_id", f"{station}/{contest}",
                  f"Results are given for station {station!r} and contest {contest!r} (from row {row} of "
                  f"{res.file}), but sheets has no row for them.")
    served = np.zeros(len(station_ids), bool)
    served[s_rank[s_rank >= 0]] = True
    if len(group_keys):
        served[group_keys // n_contests] = True
    if stations.num_rows:
        srows = c.t["stations"]
        row_of = dict(zip(_np(srows.table.column("station_id")), srows.rows.tolist()))
        for k in np.flatnonzero(~served[: len(station_ids)]):
            sid = station_ids[int(k)].as_py()
            c.add("station.no-results", srows.file, row_of.get(sid), "station_id", sid,
                  f"Station {sid!r} (row {row_of.get(sid)} of {srows.file}) has neither a sheet nor results.")


def _check_station_areas(c: _Checker, station_ids: pa.Array, contest_ids: pa.Array, sheets_key: np.ndarray) -> None:
    """A station may serve a contest only inside the contest's area (areas.csv gives the tree). Each sheet's
    station and contest come from `sheets_key` (station rank * contests + contest rank, -1 if unknown), which
    _check_sheets has already computed."""
    areas = c.t["areas"].table
    parent = dict(zip(_np(areas.column("area_id")).tolist(), _np(areas.column("parent")).tolist())) \
        if areas.num_rows else {}

    def ancestors(a: str) -> set[str]:
        seen: set[str] = set()
        while a and a not in seen:
            seen.add(a)
            a = parent.get(a, "")
        return seen

    sheets = c.t["sheets"]
    if sheets.table.num_rows == 0:
        return
    stations, contests = c.sorted["stations"], c.sorted["contests"]
    if stations.num_rows == 0 or contests.num_rows == 0:
        return
    area_index = pc.unique(pa.concat_arrays([stations.column("area").combine_chunks(),
                                             contests.column("area").combine_chunks()]))
    # areas by station and contest rank (a duplicated id takes its first row's area, as index_in does)
    station_area = _ranks(stations.column("area"), area_index)[
        _ranks(station_ids, stations.column("station_id").combine_chunks())]
    contest_area = _ranks(contests.column("area"), area_index)[
        _ranks(contest_ids, contests.column("contest_id").combine_chunks())]
    n_contests = max(len(contest_ids), 1)
    known = sheets_key >= 0
    s_rank, k_rank = np.where(known, sheets_key // n_contests, 0), np.where(known, sheets_key % n_contests, 0)
    n_areas = max(len(area_index), 1)
    pair = np.where(known, station_area[np.maximum(s_rank, 0)] * n_areas + contest_area[np.maximum(k_rank, 0)], -1)
    names = area_index.to_pylist()
    bad_pairs = [p for p in np.unique(pair[pair >= 0]).tolist()
                 if names[p % n_areas] not in ancestors(names[p // n_areas])]
    if not bad_pairs:
        return
    for i in np.flatnonzero(np.isin(pair, bad_pairs)):
        sid = sheets.table.column("station_id")[int(i)].as_py()
        cid = sheets.table.column("contest_id")[int(i)].as_py()
        sa, ca = names[pair[i] // n_areas], names[pair[i] % n_areas]
        c.add("station.outside-area", sheets.file, sheets.row(i), "contest_id", cid,
              f"Station {sid!r} lies in area {sa!r}, outside contest {cid!r}'s area {ca!r} "
              f"(row {sheets.row(i)} of {sheets.file}).")
