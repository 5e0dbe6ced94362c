"""Totals per contest, candidate, list, party and area, with turnout. Exact integer sums; shares are statistics.

Turnout is ballots cast over registered voters, counted only over stations that have a register (special,
displaced-persons and security-forces stations have none), so it never exceeds what the registers allow.
Where a station serves several contests (a general and a minority ballot), area totals count the station's
largest sheet: every voter there received that ballot.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .model import ElectionData


@dataclass(frozen=True, slots=True)
class Tabulation:
    contests: pa.Table
    choices: pa.Table
    lists: pa.Table
    parties: pa.Table
    areas: pa.Table
    party_areas: pa.Table

    def by(self, name: str) -> pa.Table:
        return {"contest": self.contests, "candidate": self.choices, "list": self.lists, "party": self.parties,
                "area": self.areas, "party-area": self.party_areas}[name]


VIEWS = ("contest", "candidate", "list", "party", "area", "party-area")


def _turnout(cast: np.ndarray, registered: np.ndarray) -> pa.Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(registered > 0, cast / np.maximum(registered, 1), np.nan)
    return pa.array(t, type=pa.float64(), from_pandas=True)


def _share(votes: np.ndarray, base: np.ndarray) -> pa.Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(base > 0, votes / np.maximum(base, 1), np.nan)
    return pa.array(s, type=pa.float64(), from_pandas=True)


def _sum_by(table: pa.Table, keys: list[str], values: list[str]) -> pa.Table:
    if table.num_rows == 0:
        return pa.table({**{k: pa.array([], pa.string()) for k in keys}, **{f"{v}_sum": pa.array([], pa.int64()) for v in values}})
    return table.group_by(keys, use_threads=False).aggregate([(v, "sum") for v in values])


def _station_frame(data: ElectionData) -> pa.Table:
    """Per sheet: the station's register (null where none) next to the sheet's totals."""
    sheets = data.table("sheets")
    stations = data.table("stations").select(["station_id", "area", "registered", "centre_id"])
    return sheets.join(stations, "station_id", join_type="left outer")


def tabulate(data: ElectionData) -> Tabulation:
    contests = data.table("contests")
    results = data.table("results")
    frame = _station_frame(data)
    has_reg = pc.is_valid(frame.column("registered"))
    frame = frame.append_column("cast_with_register", pc.if_else(has_reg, frame.column("ballots_cast"), 0))
    frame = frame.append_column("registered_n", pc.fill_null(frame.column("registered"), 0))
    frame = frame.append_column("one", pa.array(np.ones(frame.num_rows, np.int64)))
    per_contest = _sum_by(frame, ["contest_id"], ["ballots_cast", "invalid", "blank", "cast_with_register",
                                                  "registered_n", "one"])
    votes_by_contest = _sum_by(results.select(["contest_id", "votes"]), ["contest_id"], ["votes"])
    pairs = results.select(["contest_id", "station_id"]).group_by(["contest_id", "station_id"], use_threads=False).aggregate([])
    reporting = pairs.group_by(["contest_id"], use_threads=False).aggregate([("station_id", "count")]) \
        .rename_columns(["contest_id", "n_sum"])
    ct = (contests.select(["contest_id", "name", "seats", "area", "women_seats", "group"])
          .join(per_contest, "contest_id", join_type="left outer")
          .join(votes_by_contest, "contest_id", join_type="left outer")
          .join(reporting, "contest_id", join_type="left outer")
          .sort_by("contest_id"))

    def n(t: pa.Table, c: str) -> np.ndarray:
        return pc.fill_null(t.column(c), 0).to_numpy(zero_copy_only=False).astype(np.int64)

    contests_out = pa.table({
        "contest_id": ct.column("contest_id"), "name": ct.column("name"), "seats": ct.column("seats"),
        "area": ct.column("area"), "group": ct.column("group"),
        "sheets": n(ct, "one_sum"), "stations_reporting": n(ct, "n_sum"),
        "registered": n(ct, "registered_n_sum"), "ballots_cast": n(ct, "ballots_cast_sum"),
        "invalid": n(ct, "invalid_sum"), "blank": n(ct, "blank_sum"), "valid_votes": n(ct, "votes_sum"),
        "turnout": _turnout(n(ct, "cast_with_register_sum"), n(ct, "registered_n_sum")),
    })
    valid_of = dict(zip(contests_out.column("contest_id").to_pylist(), n(contests_out, "valid_votes").tolist()))

    # choices: candidates and list-only votes
    by_choice = _sum_by(results.select(["contest_id", "candidate_id", "list_id", "votes"]),
                        ["contest_id", "candidate_id", "list_id"], ["votes"])
    cands = data.table("candidates").select(["candidate_id", "name", "party", "gender", "list_id"]) \
        .rename_columns(["candidate_id", "name", "party", "gender", "cand_list"])
    ch = by_choice.join(cands, "candidate_id", join_type="left outer")
    lists = data.table("lists").select(["list_id", "name"]).rename_columns(["list_id", "list_name"])
    ch = ch.join(lists, "list_id", join_type="left outer")
    name = pc.if_else(pc.equal(ch.column("candidate_id"), ""), ch.column("list_name"), ch.column("name"))
    votes = n(ch, "votes_sum")
    base = np.array([valid_of.get(c, 0) for c in ch.column("contest_id").to_pylist()], dtype=np.int64)
    choices = pa.table({
        "contest_id": ch.column("contest_id"), "candidate_id": ch.column("candidate_id"),
        "list_id": pc.if_else(pc.equal(ch.column("list_id"), ""), pc.fill_null(ch.column("cand_list"), ""),
                              ch.column("list_id")),
        "name": pc.fill_null(name, ""), "party": pc.fill_null(ch.column("party"), ""),
        "gender": pc.fill_null(ch.column("gender"), ""), "votes": votes, "share": _share(votes, base),
    })
    # candidates with no votes at all still belong in the table: a zero is a result
    all_cands = data.table("candidates").select(["contest_id", "candidate_id", "list_id", "name", "party", "gender"])
    missing = all_cands.filter(pc.invert(pc.is_in(all_cands.column("candidate_id"), value_set=choices.column("candidate_id"))))
    if missing.num_rows:
        choices = pa.concat_tables([choices, missing.append_column("votes", pa.array(np.zeros(missing.num_rows, np.int64)))
                                    .append_column("share", pa.array(np.zeros(missing.num_rows)))])
    choices = choices.sort_by([("contest_id", "ascending"), ("votes", "descending"), ("candidate_id", "ascending"),
                               ("list_id", "ascending")])
    cid = choices.column("contest_id").to_numpy(zero_copy_only=False)
    rank = np.ones(len(cid), np.int64)
    for i in range(1, len(cid)):
        rank[i] = rank[i - 1] + 1 if cid[i] == cid[i - 1] else 1
    choices = choices.append_column("rank", pa.array(rank))

    # lists: list-only votes plus the personal votes of the list's candidates
    lv = _sum_by(choices.filter(pc.not_equal(choices.column("list_id"), "")).select(["list_id", "votes"]),
                 ["list_id"], ["votes"])
    lonly = _sum_by(choices.filter(pc.equal(choices.column("candidate_id"), "")).select(["list_id", "votes"]),
                    ["list_id"], ["votes"]).rename_columns(["list_id", "list_only_votes"])
    lt = data.table("lists").join(lv, "list_id", join_type="left outer").join(lonly, "list_id", join_type="left outer") \
        .sort_by("list_id")
    lists_out = pa.table({"contest_id": lt.column("contest_id"), "list_id": lt.column("list_id"),
                          "name": lt.column("name"), "votes": n(lt, "votes_sum"),
                          "list_only_votes": n(lt, "list_only_votes")})

    # parties, nationally
    cands_full = choices.filter(pc.not_equal(choices.column("candidate_id"), ""))
    party_col = pc.if_else(pc.equal(cands_full.column("party"), ""), "(independent)", cands_full.column("party"))
    pt = pa.table({"party": party_col, "votes": cands_full.column("votes"),
                   "candidates": pa.array(np.ones(cands_full.num_rows, np.int64)),
                   "women": pa.array(pc.equal(cands_full.column("gender"), "F").to_numpy(zero_copy_only=False)
                                     .astype(np.int64))})
    pg = _sum_by(pt, ["party"], ["votes", "candidates", "women"])
    total_valid = int(np.sum(n(contests_out, "valid_votes")))
    pv = n(pg, "votes_sum")
    parties = pa.table({"party": pg.column("party"), "candidates": n(pg, "candidates_sum"),
                        "women_candidates": n(pg, "women_sum"), "votes": pv,
                        "share": _share(pv, np.full(len(pv), total_valid))}) \
        .sort_by([("votes", "descending"), ("party", "ascending")])

    areas_out, party_areas = _areas(data, frame)
    return Tabulation(contests_out, choices, lists_out, parties, areas_out, party_areas)


def _ancestors(data: ElectionData) -> tuple[dict[str, list[str]], dict[str, tuple[str, str, str]]]:
    areas = data.table("areas").to_pylist()
    info = {a["area_id"]: (a["name"], a["level"], a["parent"]) for a in areas}
    chains: dict[str, list[str]] = {}

    def chain(a: str) -> list[str]:
        if a in chains:
            return chains[a]
        out, seen, cur = [], set(), a
        while cur and cur not in seen:
            seen.add(cur)
            out.append(cur)
            cur = info.get(cur, ("", "", ""))[2]
        chains[a] = out
        return out

    for a in list(info):
        chain(a)
    return chains, info


def _areas(data: ElectionData, frame: pa.Table) -> tuple[pa.Table, pa.Table]:
    # one row per station: its largest sheet (the ballot every voter there received)
    per_station = frame.group_by(["station_id", "area"], use_threads=False).aggregate([
        ("ballots_cast", "max"), ("cast_with_register", "max"), ("registered_n", "max")])
    stations = data.table("stations")
    leaf = per_station.group_by(["area"], use_threads=False).aggregate([
        ("ballots_cast_max", "sum"), ("cast_with_register_max", "sum"), ("registered_n_max", "sum")])
    station_count = stations.group_by(["area"], use_threads=False).aggregate([("station_id", "count")])
    chains, info = _ancestors(data)
    totals: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(4, np.int64))
    counts = dict(zip(station_count.column("area").to_pylist(), station_count.column("station_id_count").to_pylist()))
    for row in leaf.to_pylist():
        for a in chains.get(row["area"], [row["area"]]):
            totals[a] += np.array([row["ballots_cast_max_sum"], row["cast_with_register_max_sum"],
                                   row["registered_n_max_sum"], 0], np.int64)
    for a, c in counts.items():
        for anc in chains.get(a, [a]):
            totals[anc][3] += c
    ids = sorted(totals)
    arr = np.array([totals[a] for a in ids], np.int64).reshape(-1, 4)
    areas_out = pa.table({
        "area_id": ids, "name": [info.get(a, (a, "", ""))[0] for a in ids],
        "level": [info.get(a, ("", "", ""))[1] for a in ids], "parent": [info.get(a, ("", "", ""))[2] for a in ids],
        "stations": arr[:, 3], "registered": arr[:, 2], "ballots_cast": arr[:, 0],
        "turnout": _turnout(arr[:, 1], arr[:, 2]),
    })
    # party votes per area, rolled up the same way
    res = data.table("results").select(["station_id", "candidate_id", "votes"])
    res = res.filter(pc.not_equal(res.column("candidate_id"), ""))
    res = res.join(data.table("candidates").select(["candidate_id", "party"]), "candidate_id")
    res = res.join(stations.select(["station_id", "area"]), "station_id")
    pa_leaf = _sum_by(res.select(["area", "party", "votes"]), ["area", "party"], ["votes"]).to_pylist()
    pv: dict[tuple[str, str], int] = defaultdict(int)
    for row in pa_leaf:
        party = row["party"] or "(independent)"
        for a in chains.get(row["area"], [row["area"]]):
            pv[(a, party)] += row["votes_sum"]
    keys = sorted(pv, key=lambda k: (k[0], -pv[k], k[1]))
    party_areas = pa.table({"area_id": [k[0] for k in keys], "level": [info.get(k[0], ("", "", ""))[1] for k in keys],
                            "party": [k[1] for k in keys], "votes": pa.array([pv[k] for k in keys], pa.int64())})
    return areas_out, party_areas
