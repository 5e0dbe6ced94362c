"""Each contest's reported results as a station × choice matrix of integers: the population an audit samples.

A station is a batch: its sheet for the contest, `ballots` its ballots cast (the manifest's card count), its
votes per choice. 55,000 stations and millions of result rows are reduced once, by integer codes, so every
assertion's reported totals are one matrix-vector product (`assertion_scores`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

import numpy as np
import pyarrow as pa

from ..arrays import as_numpy as _np
from ..arrays import int_counts as _ints
from ..choices import ballot_choices, lookup
from ..model import ElectionData
from .assertion import Assertion, ChoiceKey


@dataclass(frozen=True, slots=True)
class ContestCounts:
    contest_id: str
    stations: tuple[str, ...]  # station ids, in the package's station order
    choices: tuple[ChoiceKey, ...]
    votes: np.ndarray  # int64, stations × choices
    ballots: np.ndarray  # int64 per station: ballots cast on its sheet (0 where a station has votes but no sheet)
    _row: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def cards(self) -> np.ndarray:
        """Cards per station: ballots cast, or the valid votes where a sheet does not add up."""
        return np.maximum(self.ballots, self.votes.sum(axis=1)) if len(self.ballots) else self.ballots

    def _rows(self) -> dict[str, int]:
        if not self._row:  # built on first use: most contests are never looked up by station
            self._row.update({s: i for i, s in enumerate(self.stations)})
        return self._row

    def row(self, station_id: str) -> int:
        return self._rows()[station_id]

    def has(self, station_id: str) -> bool:
        return station_id in self._rows()

    def batch(self, station_id: str) -> tuple[Mapping[ChoiceKey, int], int]:
        i = self.row(station_id)
        return (MappingProxyType({c: int(v) for c, v in zip(self.choices, self.votes[i]) if v}),
                int(self.ballots[i]))

    def totals(self) -> dict[ChoiceKey, int]:
        return {c: int(v) for c, v in zip(self.choices, self.votes.sum(axis=0))}


def contest_counts(data: ElectionData) -> dict[str, ContestCounts]:
    """Every contest's station × choice matrix (contests without sheets or results get empty matrices)."""
    contests = data.table("contests")
    contest_ids = sorted(_np(contests.column("contest_id")).tolist(), key=lambda s: s.encode("utf-8"))
    contest_index = pa.array(contest_ids, type=pa.string())
    cands, lists = data.table("candidates"), data.table("lists")
    results, sheets, stations = data.table("results"), data.table("sheets"), data.table("stations")
    ballots = ballot_choices(contest_index, cands, lists)
    station_ids = stations.column("station_id").combine_chunks()
    station_names = _np(station_ids).tolist() if len(station_ids) else []
    if results.num_rows:
        if data.codes is not None:
            choice_pos, row_station = data.codes.choice, data.codes.station
        else:
            choice_pos, _, _ = ballots.choice_of(lookup(results.column("contest_id"), contest_index),
                                                 results.column("candidate_id"), results.column("list_id"))
            row_station = lookup(results.column("station_id"), station_ids)
        known = (choice_pos >= 0) & (row_station >= 0)
        choice_pos, row_station = choice_pos[known], row_station[known]
        row_votes = _ints(results.column("votes"))[known]
        row_contest = ballots.contest[choice_pos]
    else:
        choice_pos = row_station = row_votes = row_contest = np.empty(0, np.int64)
    sheet_station = lookup(sheets.column("station_id"), station_ids)
    sheet_contest = lookup(sheets.column("contest_id"), contest_index)
    sheet_cast = _ints(sheets.column("ballots_cast"))
    cand_ids = _np(cands.column("candidate_id")).tolist() if cands.num_rows else []
    list_ids = _np(lists.column("list_id")).tolist() if lists.num_rows else []
    n_c = ballots.n_candidates

    def key_of(source_row: int) -> ChoiceKey:
        return (cand_ids[source_row], "") if source_row < n_c else ("", list_ids[source_row - n_c])

    row_order = np.argsort(row_contest, kind="stable")
    row_bounds = np.searchsorted(row_contest[row_order], np.arange(len(contest_ids) + 1))
    sheet_order = np.argsort(sheet_contest, kind="stable")
    sheet_bounds = np.searchsorted(sheet_contest[sheet_order], np.arange(len(contest_ids) + 1))
    choice_bounds = np.searchsorted(ballots.contest, np.arange(len(contest_ids) + 1))  # choices sort by contest
    out: dict[str, ContestCounts] = {}
    for ci, cid in enumerate(contest_ids):
        rows = row_order[row_bounds[ci]: row_bounds[ci + 1]]
        srows = sheet_order[sheet_bounds[ci]: sheet_bounds[ci + 1]]
        srows = srows[sheet_station[srows] >= 0]
        st = np.union1d(sheet_station[srows], row_station[rows]).astype(np.int64)
        cast = np.zeros(len(st), np.int64)
        cast[np.searchsorted(st, sheet_station[srows])] = sheet_cast[srows]
        first = choice_bounds[ci]
        n_choices = choice_bounds[ci + 1] - first
        matrix = np.zeros((len(st), n_choices), np.int64)
        if len(rows):
            np.add.at(matrix, (np.searchsorted(st, row_station[rows]), choice_pos[rows] - first), row_votes[rows])
        keys = tuple(key_of(int(ballots.source_row[first + j])) for j in range(n_choices))
        out[cid] = ContestCounts(cid, tuple(station_names[i] for i in st), keys, matrix, cast)
    return out


def _scale(values: list[Fraction]) -> int:
    return math.lcm(*(v.denominator for v in values)) if values else 1


@dataclass(frozen=True, slots=True)
class Scores:
    """One assertion over one contest's stations, exactly: g totals scaled to integers, and assorter totals.

    `g[p]` = scale × Σ g over station p's cards (integer); the assertion holds iff g.sum() > 0. The assorter
    total of station p is (g[p] − scale·lower·cards[p]) / (−2·scale·lower) = `assorter[p]` (float, for the
    statistics) — exact as `assorter_num[p] / denominator`."""

    g: np.ndarray
    cards: np.ndarray
    assorter_num: np.ndarray
    denominator: int
    upper: float  # SHANGRLA's u: the largest assorter value of one card
    # the integer scores themselves (scale × g): per choice, of a valid vote for another choice, of a card
    # without a valid vote, and the least and greatest score of one card
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    other: int = 0
    invalid: int = 0
    lower: int = -1
    upper_g: int = 1

    @property
    def assorter(self) -> np.ndarray:
        return self.assorter_num / self.denominator

    @property
    def margin(self) -> Fraction:
        """Σ (2a − 1) over the contest's cards, exactly."""
        return Fraction(2 * int(self.assorter_num.sum()), self.denominator) - int(self.cards.sum())

    @property
    def diluted_margin_float(self) -> float:
        """The diluted margin for display and planning (the exact value: diluted_margin)."""
        n = int(self.cards.sum())
        return 2 * float(self.assorter_num.sum()) / self.denominator / n - 1 if n else 0.0

    @property
    def diluted_margin(self) -> Fraction:
        n = int(self.cards.sum())
        return self.margin / n if n else Fraction(0)


def _int_weights(assertion: Assertion, at: Mapping[ChoiceKey, int], n: int
                 ) -> tuple[np.ndarray, int, int, int, int]:
    """(integer g per choice, of a card without a valid vote, least and greatest g of a card, g of another
    valid choice), all × the scale that makes them integers. `at`: choice -> column."""
    named = assertion.weights
    scale = math.lcm(*(w.denominator for _, w in named), assertion.other.denominator,
                     assertion.invalid.denominator)

    def whole(x: Fraction) -> int:
        return x.numerator * (scale // x.denominator)

    other = whole(assertion.other)
    w = np.full(n, other, dtype=np.int64)
    for c, x in named:
        j = at.get(c)
        if j is not None:
            w[j] = whole(x)
    return w, whole(assertion.invalid), whole(assertion.lower), whole(assertion.upper), other


def contest_scores(assertions: Sequence[Assertion], counts: ContestCounts, votes: np.ndarray | None = None,
                   ballots: np.ndarray | None = None) -> dict[str, Scores]:
    """Every assertion's integer scores per station of `counts` (or of another matrix on the same choices,
    e.g. hand counts), by one integer matrix product per contest."""
    votes = counts.votes if votes is None else votes
    ballots = counts.ballots if ballots is None else ballots
    if not assertions:
        return {}
    at = {c: j for j, c in enumerate(counts.choices)}
    parts = [_int_weights(a, at, len(counts.choices)) for a in assertions]
    W = np.stack([p[0] for p in parts], axis=1) if counts.choices else np.zeros((0, len(parts)), np.int64)
    valid = votes.sum(axis=1) if votes.size else np.zeros(len(ballots), np.int64)
    cards = np.maximum(ballots, valid)
    blank = cards - valid
    G = votes @ W if votes.size else np.zeros((len(ballots), len(parts)), np.int64)
    out = {}
    for k, (a, (w, inv, low, up, other)) in enumerate(zip(assertions, parts)):
        g = G[:, k] + inv * blank
        out[a.name] = Scores(g, cards, g - low * cards, -2 * low, float(a.assorter_upper), w, other, inv, low, up)
    return out


def assertion_scores(assertion: Assertion, counts: ContestCounts, votes: np.ndarray | None = None,
                     ballots: np.ndarray | None = None) -> Scores:
    """One assertion's scores (see contest_scores)."""
    return contest_scores([assertion], counts, votes, ballots)[assertion.name]
