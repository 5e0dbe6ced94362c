"""The choices on each contest's ballot, and which choice each result row names.

A choice is a candidate, or a list for a list-only vote. Identifiers are scoped by contest: candidate `1` of one
district and candidate `1` of another are different people, as commissions often number candidates by ballot
position. A choice is therefore the triple (contest_id, candidate_id, list_id) with exactly one of the last two
given, and choices are numbered in that triple's byte-wise order, which is the canonical order of results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import as_numpy as _np


def lookup(values: pa.Array | pa.ChunkedArray, sorted_values: pa.Array) -> np.ndarray:
    """Index of each value in sorted_values (-1 where absent), looking up each run of equal values once.

    Result files come grouped by station, so most columns are long runs of one value: a 15M-row column then costs
    little more than one comparison pass.
    """
    n = len(values)
    if n == 0:
        return np.empty(0, np.int64)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()  # one copy is cheaper than comparing slices across chunk boundaries
    if n == len(sorted_values) and values.equals(sorted_values):
        return np.arange(n, dtype=np.int64)  # the very ids, in order (one sheet per station, say): nothing to hash
    if n > 4096:
        change = np.empty(n, dtype=bool)
        change[0] = True
        change[1:] = _np(pc.not_equal(values.slice(1), values.slice(0, n - 1)))
        starts = np.flatnonzero(change)
        if len(starts) * 4 < n:
            run_values = pc.take(values, pa.array(starts))
            if len(run_values) == len(sorted_values) and run_values.equals(sorted_values):
                # every id appears, in order (a results file sorted by station): no hashing needed
                run_ranks = np.arange(len(run_values), dtype=np.int64)
            else:
                run_ranks = _np(pc.fill_null(pc.index_in(run_values, value_set=sorted_values), -1)).astype(np.int64)
            return np.repeat(run_ranks, np.diff(np.append(starts, n)))
    return _np(pc.fill_null(pc.index_in(values, value_set=sorted_values), -1)).astype(np.int64)


def sorted_distinct(*columns: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The distinct values of the columns with the empty string, sorted byte-wise ("" first)."""
    values = {""}
    for col in columns:
        values.update(pc.unique(col).to_pylist())
    return pa.array(sorted(values, key=lambda s: s.encode("utf-8")), type=pa.string())


@dataclass(frozen=True, slots=True)
class Ballots:
    """Every choice, in canonical order. `source_row` indexes the candidates table for a candidate, and the lists
    table (offset by the number of candidates) for a list."""

    contest_ids: pa.Array  # sorted distinct contest ids the choices are numbered against
    candidate_values: pa.Array  # sorted distinct candidate ids, "" first
    list_values: pa.Array  # sorted distinct list ids, "" first
    codes: np.ndarray  # per choice: its (contest, candidate, list) code, ascending
    contest: np.ndarray  # per choice: index into contest_ids (-1 for an unknown contest)
    source_row: np.ndarray  # per choice: candidates row, or n_candidates + lists row
    n_candidates: int

    def __len__(self) -> int:
        return len(self.codes)

    def _code(self, contest: np.ndarray, cand: np.ndarray, lst: np.ndarray) -> np.ndarray:
        a, l = len(self.candidate_values), len(self.list_values)
        return (contest * a + cand) * l + lst

    def choice_of(self, contest_rank: np.ndarray, candidate_col: pa.Array | pa.ChunkedArray,
                  list_col: pa.Array | pa.ChunkedArray, dense_limit: int = 50_000_000
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: the choice index (-1 if not on that contest's ballot), and the rows' candidate and list value
        codes (-1 where the identifier exists in no contest at all)."""
        cand = lookup(candidate_col, self.candidate_values)
        lst = lookup(list_col, self.list_values) if len(self.list_values) > 1 else np.zeros(len(cand), np.int64)
        known = (contest_rank >= 0) & (cand >= 0) & (lst >= 0)
        code = self._code(np.where(known, contest_rank, 0), np.where(known, cand, 0), np.where(known, lst, 0))
        space = len(self.contest_ids) * len(self.candidate_values) * len(self.list_values)
        if space == 0 or len(self.codes) == 0:
            return np.full(len(cand), -1, dtype=np.int64), cand, lst
        valid_codes = self.codes < space  # choices of unknown contests carry an out-of-range code
        if space <= dense_limit:
            # a dense table from code to choice: one gather instead of a binary search per row
            table = np.full(space, -1, dtype=np.int64)
            table[self.codes[valid_codes][::-1]] = np.flatnonzero(valid_codes)[::-1]  # first of duplicates wins
            found = table[code]
            return np.where(known, found, -1), cand, lst
        pos = np.minimum(np.searchsorted(self.codes, code), max(len(self.codes) - 1, 0))
        found = known & (len(self.codes) > 0)
        if len(self.codes):
            found &= self.codes[pos] == code
        return np.where(found, pos, -1), cand, lst


def ballot_choices(contest_ids: pa.Array, candidates: pa.Table, lists: pa.Table) -> Ballots:
    """Number the choices of every ballot: candidates (contest_id, candidate_id, "") and lists (contest_id, "", list_id)."""
    cand_values = sorted_distinct(candidates.column("candidate_id"), lists.column("list_id").slice(0, 0))
    list_values = sorted_distinct(lists.column("list_id"))
    n_c, n_l = candidates.num_rows, lists.num_rows
    contest = np.concatenate([lookup(candidates.column("contest_id"), contest_ids),
                              lookup(lists.column("contest_id"), contest_ids)]).astype(np.int64)
    cand = np.concatenate([lookup(candidates.column("candidate_id"), cand_values), np.zeros(n_l, np.int64)])
    lst = np.concatenate([np.zeros(n_c, np.int64), lookup(lists.column("list_id"), list_values)])
    a, l = len(cand_values), len(list_values)
    # choices of an unknown contest sort last and can never match a result row
    code = np.where(contest >= 0, (contest * a + cand) * l + lst, np.iinfo(np.int64).max)
    order = np.argsort(code, kind="stable")
    return Ballots(contest_ids, cand_values, list_values, code[order], contest[order], order.astype(np.int64), n_c)
