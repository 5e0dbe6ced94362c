"""Vote concentration: how much of a station's valid vote went to one candidate, against the other stations.

Two measures per result sheet, from its valid votes v_1 ... v_m (m choices, V = sum v_j):
- top share: max_j v_j / V, the share of the station's own top candidate (any candidate, not only the
  contest's leader: in SNTV with hundreds of candidates a local strongman need not lead the province);
- Herfindahl index: sum_j v_j^2 / V^2 (Herfindahl 1950, "Concentration in the steel industry", PhD thesis,
  Columbia; Hirschman 1945), 1 when every vote went to one candidate, 1/m when they are spread evenly.
Ballot stuffing for one candidate and votes moved onto one candidate both raise them; it is the variable of
the Afghan complaints commission's audit trigger "one candidate with 95 % or more of the valid votes" (ECC
order of 8 September 2009; redflags.py).

The p-value is the station's empirical upper-tail rank among the reference stations: p_i = #{j: c_j >= c_i} /
n (the high-turnout flag's rule). It is valid (P(p <= a) <= a) when the station is exchangeable with its
reference, and it can never be smaller than 1 / n: a station's rank among its own election's stations ranks
it, it cannot by itself be a discovery after Benjamini-Hochberg. The reference is, by default, the stations of
the same contest: concentration depends mechanically on the number of candidates on the ballot (a contest of 5
has higher top shares than one of 500), so only one contest's stations are exchangeable.
`reference="election"` ranks against every station of the table (the Afghan baseline of docs/methods.md,
"Validation on real elections").

What else produces the pattern: a candidate's home village, a one-tribe settlement, a small station (three
voters for one candidate is a 100 % share), a party that asks its voters to vote for one name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import ElectionData
from .stations import StationEvidence, StationTable

REFERENCES = ("contest", "election")


@dataclass(frozen=True, slots=True)
class VoteConcentration:
    """Per row of a station table: the valid votes, its top choice's votes and the sum of squared votes."""

    base: np.ndarray  # int64: valid votes (the table's share_base)
    top: np.ndarray  # int64: votes of the row's own top choice
    sum_squares: np.ndarray  # int64: sum over choices of votes^2
    exact: np.ndarray  # bool: from every choice (False: a lower bound from the table's first columns)

    def top_share(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.base > 0, self.top / np.maximum(self.base, 1), np.nan)

    def herfindahl(self) -> np.ndarray:
        b = self.base.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.base > 0, self.sum_squares / (b * b), np.nan)


def from_table(t: StationTable) -> VoteConcentration:
    """From the table's `votes` columns. A table of several contests holds only each contest's first K choices
    (from_package.py): where the columns do not hold all the row's valid votes, top and sum of squares are the
    columns' (lower bounds) and `exact` is False; without `votes`, the leader's votes stand in."""
    base = np.asarray(t.share_base, np.int64)
    if t.votes is None or t.votes.shape[1] == 0:
        leader = np.asarray(t.leader, np.int64)
        return VoteConcentration(base, leader, leader * leader, leader == base)
    v = np.asarray(t.votes, np.int64)
    return VoteConcentration(base, v.max(axis=1), (v * v).sum(axis=1), v.sum(axis=1) == base)


def from_package(data: ElectionData, t: StationTable) -> VoteConcentration:
    """Exactly, from the package's result rows, aligned with `t`'s rows by (station, contest)."""
    res = data.table("results")
    votes = pc.cast(pc.fill_null(res.column("votes"), 0), pa.int64())
    g = pa.table({"station_id": res.column("station_id"), "contest_id": res.column("contest_id"),
                  "v": votes, "sq": pc.multiply(votes, votes)}).group_by(
        ["station_id", "contest_id"], use_threads=False).aggregate([("v", "max"), ("sq", "sum")])
    contest = t.contest if t.contest is not None else None
    keys = g.column("station_id").to_pylist()
    if contest is not None:
        lookup = dict(zip(zip(keys, g.column("contest_id").to_pylist()),
                          zip(g.column("v_max").to_pylist(), g.column("sq_sum").to_pylist())))
        rows = [lookup.get((s, c), (0, 0)) for s, c in zip(t.station_id.tolist(), contest.tolist())]
    else:
        lookup = dict(zip(keys, zip(g.column("v_max").to_pylist(), g.column("sq_sum").to_pylist())))
        rows = [lookup.get(s, (0, 0)) for s in t.station_id.tolist()]
    arr = np.array(rows, np.int64).reshape(-1, 2)
    return VoteConcentration(np.asarray(t.share_base, np.int64), arr[:, 0], arr[:, 1], np.ones(len(t), bool))


def upper_tail_rank(x: np.ndarray, group: np.ndarray, checked: np.ndarray) -> np.ndarray:
    """p_i = #{j in i's group, checked: x_j >= x_i} / #{checked in the group}; nan where not checked."""
    p = np.full(len(x), np.nan)
    idx = np.flatnonzero(checked)
    if not len(idx):
        return p
    g, xv = group[idx], x[idx]
    order = np.lexsort((xv, g))
    gs, xs = g[order], xv[order]
    starts = np.searchsorted(gs, gs, side="left")
    ends = np.searchsorted(gs, gs, side="right")
    first = _first_at_least(gs, xs)  # ties count as 'at least as high'
    p[idx[order]] = (ends - first) / (ends - starts)
    return p


def _first_at_least(gs: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """For sorted (group, value) pairs: the position of the first pair of the same group and value."""
    new = np.r_[True, (gs[1:] != gs[:-1]) | (xs[1:] != xs[:-1])]
    pos = np.flatnonzero(new)
    return pos[np.cumsum(new) - 1]


def _groups(t: StationTable, reference: str) -> np.ndarray:
    if reference not in REFERENCES:
        raise ValueError(f"reference must be one of {', '.join(REFERENCES)}; got {reference!r}")
    if reference == "election" or t.contest is None:
        return np.zeros(len(t), np.int64)
    return np.unique(t.contest.astype(str), return_inverse=True)[1].astype(np.int64)


def concentration_test(t: StationTable, conc: VoteConcentration | None = None, *, measure: str = "top-share",
                       reference: str = "contest", min_votes: int = 1) -> StationEvidence:
    """The empirical upper-tail p-value of each row's concentration (module doc), method "concentration" for
    the top share or "herfindahl". Rows with fewer than `min_votes` valid votes are not tested (nan)."""
    conc = from_table(t) if conc is None else conc
    if measure == "top-share":
        value, name, word = conc.top_share(), "concentration", "top candidate"
    elif measure == "herfindahl":
        value, name, word = conc.herfindahl(), "herfindahl", "Herfindahl index"
    else:
        raise ValueError(f"measure must be 'top-share' or 'herfindahl'; got {measure!r}")
    checked = (conc.base >= max(min_votes, 1)) & ~np.isnan(value)
    group = _groups(t, reference)
    p = upper_tail_rank(np.where(checked, value, 0.0), group, checked)
    reasons = np.full(len(t), "", dtype=object)
    where = "its contest's" if reference == "contest" and t.contest is not None else "the"
    for i in np.flatnonzero(p <= 0.05):
        what = (f"{conc.top[i]} of {conc.base[i]} valid votes ({value[i]:.0%}) for one candidate"
                if measure == "top-share" else f"{word} {value[i]:.2f} over {conc.base[i]} valid votes")
        reasons[i] = f"{what}; top {p[i]:.2%} of {where} stations"
    return StationEvidence(name, p, reasons)
