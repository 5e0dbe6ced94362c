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

from .ingest.package import PackageFiles, TypedTable
from .model import TABLES, ElectionData
from .problems import Problem, has_errors, problem


@dataclass(frozen=True, slots=True)
class Validation:
    data: ElectionData | None  # None when an error refuses the package
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.data is not None


def _np(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return a.to_numpy(zero_copy_only=False)


def _ranks(values: pa.Array | pa.ChunkedArray, sorted_ids: pa.Array) -> np.ndarray:
    """Index of each value in sorted_ids, -1 where absent.

    Result files come grouped by station, so most columns are long runs of one value: looking up each run once
    instead of each row makes the lookup of a 15M-row column cost little more than one comparison pass.
    """
    n = len(values)
    if n == 0:
        return np.empty(0, np.int64)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if n > 4096:
        change = np.empty(n, dtype=bool)
        change[0] = True
        change[1:] = _np(pc.not_equal(values.slice(1), values.slice(0, n - 1)))
        starts = np.flatnonzero(change)
        if len(starts) * 4 < n:
            run_values = pc.take(values, pa.array(starts))
            run_ranks = _np(pc.fill_null(pc.index_in(run_values, value_set=sorted_ids), -1)).astype(np.int64)
            return np.repeat(run_ranks, np.diff(np.append(starts, n)))
    return _np(pc.fill_null(pc.index_in(values, value_set=sorted_ids), -1)).astype(np.int64)


class _Checker:
    def __init__(self, files: PackageFiles):
        self.t = files.tables
        self.problems: list[Problem] = []
        self.sorted: dict[str, pa.Table] = {}

    def add(self, *args: object) -> None:
        self.problems.append(problem(*args))  # type: ignore[arg-type]

    # -- identifiers ------------------------------------------------------------------------------------------
    def unique_ids(self, name: str) -> pa.Array:
        """Sort a single-key table, report duplicate ids, and return its sorted distinct ids."""
        tt = self.t[name]
        key = tt.spec.key[0]
        if tt.table.num_rows == 0:
            self.sorted[name] = tt.table
            return pa.array([], type=pa.string())
        order = pc.sort_indices(tt.table, sort_keys=[(key, "ascending")])
        ids = pc.take(tt.table.column(key), order).combine_chunks()
        ordered = _np(order)
        ids_np = _np(ids)
        dup = np.flatnonzero(ids_np[1:] == ids_np[:-1]) + 1
        first_row: dict[str, int] = {}
        for i in dup:
            value = ids_np[i]
            first = first_row.setdefault(value, tt.row(ordered[i - 1]))
            row = tt.row(ordered[i])
            self.add("id.duplicate", tt.file, row, key, value,
                     f"{key} {value!r} in row {row} of {tt.file} was already given in row {first}.")
        self.sorted[name] = pc.take(tt.table, order)
        return pa.array(np.unique(ids_np), type=pa.string()) if len(dup) else ids

    def references(self, tt: TypedTable, column: str, target_ids: pa.Array, target: str,
                   optional: bool = False) -> np.ndarray:
        values = tt.table.column(column)
        ranks = _ranks(values, target_ids)
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
    area_ids = c.unique_ids("areas")
    contest_ids = c.unique_ids("contests")
    list_ids = c.unique_ids("lists")
    candidate_ids = c.unique_ids("candidates")
    station_ids = c.unique_ids("stations")

    if have_areas:
        c.references(t["areas"], "parent", area_ids, "areas.csv", optional=True)
        c.references(t["contests"], "area", area_ids, "areas.csv")
        c.references(t["stations"], "area", area_ids, "areas.csv")
        c.references(t["candidates"], "area", area_ids, "areas.csv", optional=True)
        c.references(t["seat_areas"], "area", area_ids, "areas.csv")
    _check_contest_seats(c, contest_ids)
    c.references(t["lists"], "contest_id", contest_ids, "contests.csv")
    cand_contest = c.references(t["candidates"], "contest_id", contest_ids, "contests.csv")
    cand_list = c.references(t["candidates"], "list_id", list_ids, "lists.csv", optional=True)
    _check_candidate_lists(c, cand_contest, cand_list, contest_ids)

    sheets_key, sheet_order = _check_sheets(c, station_ids, contest_ids)
    results_order, results_sheet_key, votes = _check_results(c, station_ids, contest_ids, candidate_ids, list_ids)
    _check_arithmetic(c, station_ids, contest_ids, sheets_key, sheet_order, results_sheet_key, votes)
    if have_areas:
        _check_station_areas(c)

    order = {spec.name: i for i, spec in enumerate(TABLES)}
    file_order = {f"{spec.name}{ext}": i for i, spec in enumerate(TABLES) for ext in (".csv", ".xlsx")}
    problems = sorted([*files.problems, *c.problems],
                      key=lambda p: (file_order.get(p.file, -1), p.row or 0, p.column or "", p.rule))
    del order
    if has_errors(problems) or files.election is None:
        return Validation(None, tuple(problems))
    tables = dict(c.sorted)
    tables["seat_areas"] = _sorted_by(t["seat_areas"].table, ("contest_id", "area"))
    tables["sheets"] = t["sheets"].table.take(pa.array(sheet_order))
    tables["results"] = t["results"].table.take(pa.array(results_order)) if results_order is not None \
        else t["results"].table
    tables = {spec.name: tables[spec.name] for spec in TABLES}
    return Validation(ElectionData(files.election, tables), tuple(problems))


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


def _check_candidate_lists(c: _Checker, cand_contest: np.ndarray, cand_list: np.ndarray, contest_ids: pa.Array) -> None:
    cands, lists = c.t["candidates"], c.t["lists"]
    if lists.table.num_rows == 0 or not (cand_list >= 0).any():
        return
    list_sorted = c.sorted["lists"]
    list_contest = _ranks(list_sorted.column("contest_id"), contest_ids)
    on_list = np.flatnonzero(cand_list >= 0)
    mismatch = on_list[(cand_contest[on_list] >= 0) & (list_contest[cand_list[on_list]] != cand_contest[on_list])]
    for i in mismatch:
        r = cands.table.slice(int(i), 1).to_pylist()[0]
        c.add("candidate.list-contest", cands.file, cands.row(i), "list_id", r["list_id"],
              f"Candidate {r['candidate_id']!r} (row {cands.row(i)} of {cands.file}) runs in contest "
              f"{r['contest_id']!r} on list {r['list_id']!r}, which belongs to another contest.")


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


def _check_results(c: _Checker, station_ids: pa.Array, contest_ids: pa.Array, candidate_ids: pa.Array,
                   list_ids: pa.Array) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
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
    # Choices: candidates, then list-only votes, numbered in canonical (contest_id, candidate_id, list_id) order.
    cands, lists = c.sorted["candidates"], c.sorted["lists"]
    choice = pa.table({
        "contest_id": pa.concat_arrays([cands.column("contest_id").combine_chunks(), lists.column("contest_id").combine_chunks()]),
        "candidate_id": pa.concat_arrays([cands.column("candidate_id").combine_chunks(),
                                          pa.array([""] * lists.num_rows, type=pa.string())]),
        "list_id": pa.concat_arrays([pa.array([""] * cands.num_rows, type=pa.string()),
                                     lists.column("list_id").combine_chunks()]),
    })
    choice_order = _np(pc.sort_indices(choice, sort_keys=[("contest_id", "ascending"), ("candidate_id", "ascending"),
                                                          ("list_id", "ascending")])) if choice.num_rows else np.empty(0, np.int64)
    rank_of_choice = np.empty(len(choice_order), np.int64)
    rank_of_choice[choice_order] = np.arange(len(choice_order))
    choice_contest = _ranks(choice.column("contest_id"), contest_ids)
    n_cands = cands.num_rows
    cand_rank = np.full(n, -1, np.int64)
    if has_cand.any():
        idx = np.flatnonzero(has_cand)
        r = _ranks(tab.column("candidate_id"), candidate_ids) if len(idx) == n else \
            _ranks(pc.take(tab.column("candidate_id"), pa.array(idx)), candidate_ids)
        cand_rank[idx] = r
        for i in idx[r < 0]:
            value = tab.column("candidate_id")[int(i)].as_py()
            c.add("id.unknown", res.file, res.row(i), "candidate_id", value,
                  f"candidate_id {value!r} in row {res.row(i)} of {res.file} is not in candidates.csv.")
    choice_idx = np.where(cand_rank >= 0, cand_rank, -1)
    only_list = has_list & ~has_cand
    if only_list.any():
        idx = np.flatnonzero(only_list)
        r = _ranks(pc.take(tab.column("list_id"), pa.array(idx)), list_ids)
        choice_idx[idx] = np.where(r >= 0, r + n_cands, -1)
        for i in idx[r < 0]:
            value = tab.column("list_id")[int(i)].as_py()
            c.add("id.unknown", res.file, res.row(i), "list_id", value,
                  f"list_id {value!r} in row {res.row(i)} of {res.file} is not in lists.csv.")
    valid_choice = choice_idx >= 0
    # no candidates and no lists (e.g. candidates.csv unreadable): no choice is valid, and nothing to index
    wrong = np.flatnonzero(valid_choice & (k_rank >= 0) &
                           (choice_contest[np.where(valid_choice, choice_idx, 0)] != k_rank)) \
        if len(choice_contest) else np.empty(0, np.int64)
    for i in wrong:
        r = tab.slice(int(i), 1).to_pylist()[0]
        who = f"candidate {r['candidate_id']!r}" if r["candidate_id"] else f"list {r['list_id']!r}"
        c.add("results.not-on-ballot", res.file, res.row(i), "candidate_id" if r["candidate_id"] else "list_id",
              r["candidate_id"] or r["list_id"],
              f"Row {res.row(i)} of {res.file}: {who} is not on the ballot of contest {r['contest_id']!r}.")
    ok = valid_choice & (s_rank >= 0) & (k_rank >= 0)
    ok[wrong] = False
    n_choices = max(len(choice_order), 1)
    key = np.where(ok, s_rank * n_choices + rank_of_choice[np.where(valid_choice, choice_idx, 0)] if len(choice_order) else -1, -1)
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
    sheet_key = np.where(ok, s_rank * n_contests + k_rank, -1)
    votes = _np(pc.fill_null(tab.column("votes"), 0)).astype(np.int64) if n else np.empty(0, np.int64)
    if order is not None:
        sheet_key, votes = sheet_key[order], votes[order]
    return order, sheet_key, votes


def _check_arithmetic(c: _Checker, station_ids: pa.Array, contest_ids: pa.Array, sheets_key: np.ndarray,
                      sheet_order: np.ndarray, results_sheet_key: np.ndarray, votes: np.ndarray) -> None:
    """Sheet totals against the votes (exact integer sums), ballots, and registered voters."""
    sheets, res = c.t["sheets"], c.t["results"]
    # votes per (station, contest): results are sorted by that key, so each group is one contiguous run
    valid = results_sheet_key >= 0
    rk, rv = results_sheet_key[valid], votes[valid]
    if len(rk) and not np.all(rk[1:] >= rk[:-1]):
        o = np.argsort(rk, kind="stable")
        rk, rv = rk[o], rv[o]
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
            c.add("results.no-sheet", res.file, None, None, f"{station}/{contest}",
                  f"Results are given for station {station!r} and contest {contest!r}, but sheets has no row for them.")
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


def _check_station_areas(c: _Checker) -> None:
    """A station may serve a contest only inside the contest's area (areas.csv gives the tree)."""
    areas = c.t["areas"].table
    parent = dict(zip(_np(areas.column("area_id")), _np(areas.column("parent")))) if areas.num_rows else {}

    def ancestors(a: str) -> set[str]:
        seen: set[str] = set()
        while a and a not in seen:
            seen.add(a)
            a = parent.get(a, "")
        return seen

    sheets = c.t["sheets"]
    if sheets.table.num_rows == 0:
        return
    station_area = dict(zip(_np(c.t["stations"].table.column("station_id")), _np(c.t["stations"].table.column("area"))))
    contest_area = dict(zip(_np(c.t["contests"].table.column("contest_id")), _np(c.t["contests"].table.column("area"))))
    pairs = pa.table({"s": sheets.table.column("station_id"), "c": sheets.table.column("contest_id")})
    s_np, c_np = _np(pairs.column("s")), _np(pairs.column("c"))
    verdict: dict[tuple[str, str], bool] = {}
    for i in range(len(s_np)):
        sa, ca = station_area.get(s_np[i]), contest_area.get(c_np[i])
        if sa is None or ca is None:
            continue
        k = (sa, ca)
        if k not in verdict:
            verdict[k] = ca in ancestors(sa)
        if not verdict[k]:
            c.add("station.outside-area", sheets.file, sheets.row(i), "contest_id", c_np[i],
                  f"Station {s_np[i]!r} lies in area {sa!r}, outside contest {c_np[i]!r}'s area {ca!r} "
                  f"(row {sheets.row(i)} of {sheets.file}).")
