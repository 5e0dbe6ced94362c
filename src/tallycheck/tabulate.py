"""Totals per contest, candidate, list, party and area, with turnout. Exact integer sums; shares are statistics.

Turnout is ballots cast over registered voters, counted only over stations that have a register (special,
displaced-persons and security-forces stations have none), so it never exceeds what the registers allow.
Where a station serves several contests, area totals count each voter once: the sum of the station's sheets
when each voter casts one ballot for one of the contests (`one_ballot_per_voter = true` in the law, as in Iraq,
where a voter picks a general or a minority candidate), else the station's largest sheet (every voter received
each contest's ballot).

The result rows (tens of millions nationally) are reduced once, by integer codes, to votes per (area, choice);
everything else is computed from that small table and from the sheets.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import as_numpy as _np
from .arrays import int_counts as _ints
from .choices import ballot_choices, lookup
from .model import ElectionData

VIEWS = ("contest", "candidate", "list", "party", "area", "party-area")
INDEPENDENT = "(independent)"


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




def _ratio(num: np.ndarray, den: np.ndarray) -> pa.Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(den > 0, num / np.maximum(den, 1), np.nan)
    return pa.array(r, type=pa.float64(), from_pandas=True)


def _group_sum(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact integer sums of values per distinct key (no floats): dense numpy bins when the key space is small,
    Arrow's hash aggregation otherwise."""
    if len(keys) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    top = int(keys.max()) + 1
    if top <= 32_000_000:
        out = np.zeros(top, np.int64)
        np.add.at(out, keys, values)
        seen = np.zeros(top, bool)
        seen[keys] = True
        k = np.flatnonzero(seen)
        return k.astype(np.int64), out[k]
    g = pa.table({"k": keys, "v": values}).group_by("k", use_threads=False).aggregate([("v", "sum")])
    return _np(g.column("k")).astype(np.int64), _np(g.column("v_sum")).astype(np.int64)


def tabulate(data: ElectionData) -> Tabulation:
    contests = data.table("contests").sort_by("contest_id")
    stations = data.table("stations")
    sheets = data.table("sheets")
    results = data.table("results")
    cands = data.table("candidates")
    lists = data.table("lists")
    areas_t = data.table("areas")

    # -- choices: candidates first, then lists (list-only votes) -------------------------------------------------
    n_c, n_l = cands.num_rows, lists.num_rows
    contest_index = pa.array(sorted(_np(contests.column("contest_id")).tolist(), key=lambda v: v.encode("utf-8")),
                             type=pa.string())
    ballots = ballot_choices(contest_index, cands, lists)
    if data.codes is not None:  # validation looked every row up already
        choice_pos = data.codes.choice
    else:
        choice_pos, _, _ = ballots.choice_of(lookup(results.column("contest_id"), contest_index),
                                             results.column("candidate_id"), results.column("list_id")) \
            if results.num_rows else (np.empty(0, np.int64),) * 3
    # in the candidates-then-lists numbering used below; n_c + n_l stands for "no known choice" (never in a
    # validated snapshot)
    choice = np.where(choice_pos >= 0, ballots.source_row[np.maximum(choice_pos, 0)], n_c + n_l)
    votes = _ints(results.column("votes"))
    # station -> area, so the same pass gives votes per (area, choice) for the party map
    station_ids = stations.column("station_id").combine_chunks()
    station_code = data.codes.station if data.codes is not None else lookup(results.column("station_id"), station_ids)
    area_ids = sorted(set(_np(stations.column("area")).tolist()) | set(_np(areas_t.column("area_id")).tolist()))
    area_index = pa.array(area_ids, type=pa.string())
    station_area = _np(pc.fill_null(pc.index_in(stations.column("area"), value_set=area_index), -1)).astype(np.int64)
    row_area = station_area[station_code] if len(station_code) else np.empty(0, np.int64)
    n_choices = n_c + n_l + 1
    keys, sums = _group_sum(row_area * n_choices + choice, votes)
    area_of_key, choice_of_key = keys // n_choices, keys % n_choices
    choice_votes = np.zeros(n_choices, np.int64)
    np.add.at(choice_votes, choice_of_key, sums)  # small: one entry per (area, choice)

    # -- contests -------------------------------------------------------------------------------------------------
    choice_contest = np.array(_np(cands.column("contest_id")).tolist() + _np(lists.column("contest_id")).tolist() + [""],
                              dtype=object)
    contest_ids = _np(contests.column("contest_id")).tolist()
    cpos = {c: i for i, c in enumerate(contest_ids)}
    valid = np.zeros(len(contest_ids), np.int64)
    for ch, v in enumerate(choice_votes):
        if v and choice_contest[ch] in cpos:
            valid[cpos[choice_contest[ch]]] += v
    # each sheet's station register, by index (sheets and stations are both in station order)
    sh = sheets
    sheet_station = lookup(sheets.column("station_id"), station_ids)
    station_has_reg = _np(pc.is_valid(stations.column("registered"))) if stations.num_rows else np.zeros(0, bool)
    station_reg = _ints(stations.column("registered"))
    known_station = sheet_station >= 0
    has_reg = np.where(known_station, station_has_reg[np.maximum(sheet_station, 0)], False) \
        if len(station_reg) else np.zeros(len(sheet_station), bool)
    reg = np.where(known_station, station_reg[np.maximum(sheet_station, 0)], 0) \
        if len(station_reg) else np.zeros(len(sheet_station), np.int64)
    sh_contest = lookup(sh.column("contest_id"), pa.array(contest_ids, pa.string()))
    cast, inv, blank = (_ints(sh.column(c)) for c in ("ballots_cast", "invalid", "blank"))

    def per_contest(x: np.ndarray) -> np.ndarray:
        out = np.zeros(len(contest_ids), np.int64)
        ok = sh_contest >= 0
        np.add.at(out, sh_contest[ok], x[ok])
        return out

    reporting = np.zeros(len(contest_ids), np.int64)
    if results.num_rows:  # a station reports a contest when it has result rows for it (rows come grouped)
        # the contest of each row's choice (ballot_choices numbers contests in this same sorted order)
        rc = np.where(choice_pos >= 0, ballots.contest[np.maximum(choice_pos, 0)], -1)
        pair = station_code * max(len(contest_ids), 1) + rc
        starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
        np.add.at(reporting, rc[starts][rc[starts] >= 0], 1)
    contests_out = pa.table({
        "contest_id": contests.column("contest_id"), "name": contests.column("name"), "seats": contests.column("seats"),
        "area": contests.column("area"), "group": contests.column("group"),
        "sheets": per_contest(np.ones(len(cast), np.int64)), "stations_reporting": reporting,
        "registered": per_contest(np.where(has_reg, reg, 0)), "ballots_cast": per_contest(cast),
        "invalid": per_contest(inv), "blank": per_contest(blank), "valid_votes": valid,
        "turnout": _ratio(per_contest(np.where(has_reg, cast, 0)), per_contest(np.where(has_reg, reg, 0))),
    })

    # -- candidates and list-only votes ---------------------------------------------------------------------------
    valid_of = dict(zip(contest_ids, valid.tolist()))
    cand_votes = choice_votes[:n_c]
    ch_cand = pa.table({
        "contest_id": cands.column("contest_id"), "candidate_id": cands.column("candidate_id"),
        "list_id": cands.column("list_id"), "name": cands.column("name"), "party": cands.column("party"),
        "gender": cands.column("gender"), "votes": cand_votes})
    ch_list = pa.table({
        "contest_id": lists.column("contest_id"), "candidate_id": pa.array([""] * n_l, pa.string()),
        "list_id": lists.column("list_id"), "name": lists.column("name"), "party": pa.array([""] * n_l, pa.string()),
        "gender": pa.array([""] * n_l, pa.string()), "votes": choice_votes[n_c:n_c + n_l]})
    # a list appears as a choice only where it received list-only votes
    ch_list = ch_list.filter(pc.greater(ch_list.column("votes"), 0)) if n_l else ch_list
    choices = pa.concat_tables([ch_cand, ch_list]).sort_by(
        [("contest_id", "ascending"), ("votes", "descending"), ("candidate_id", "ascending"), ("list_id", "ascending")])
    cv = _ints(choices.column("votes"))
    base = np.array([valid_of.get(c, 0) for c in _np(choices.column("contest_id")).tolist()], np.int64)
    cid = _np(choices.column("contest_id"))
    starts = np.flatnonzero(np.r_[True, cid[1:] != cid[:-1]]) if len(cid) else np.empty(0, np.int64)
    rank = np.arange(len(cid)) - np.repeat(starts, np.diff(np.append(starts, len(cid)))) + 1
    choices = choices.append_column("share", _ratio(cv, base)).append_column("rank", pa.array(rank.astype(np.int64)))

    # -- lists: list-only votes plus the personal votes of the list's candidates -----------------------------------
    list_ids = _np(lists.column("list_id")).tolist()
    lpos = {x: i for i, x in enumerate(list_ids)}
    personal = np.zeros(n_l, np.int64)
    for lid, v in zip(_np(cands.column("list_id")).tolist(), cand_votes.tolist()):
        if lid in lpos:
            personal[lpos[lid]] += v
    list_only_votes = choice_votes[n_c:n_c + n_l]
    lists_out = pa.table({"contest_id": lists.column("contest_id"), "list_id": lists.column("list_id"),
                          "name": lists.column("name"), "votes": personal + list_only_votes,
                          "list_only_votes": list_only_votes})

    # -- parties, nationally ----------------------------------------------------------------------------------------
    party_of = [p or INDEPENDENT for p in _np(cands.column("party")).tolist()]
    women = _np(pc.equal(cands.column("gender"), "F")).astype(np.int64) if n_c else np.zeros(0, np.int64)
    pvotes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for p, v, w in zip(party_of, cand_votes.tolist(), women.tolist()):
        acc = pvotes[p]
        acc[0] += v
        acc[1] += 1
        acc[2] += w
    total_valid = int(valid.sum())
    names = sorted(pvotes, key=lambda p: (-pvotes[p][0], p))
    pv = np.array([pvotes[p][0] for p in names], np.int64)
    parties = pa.table({"party": pa.array(names, pa.string()),
                        "candidates": pa.array([pvotes[p][1] for p in names], pa.int64()),
                        "women_candidates": pa.array([pvotes[p][2] for p in names], pa.int64()),
                        "votes": pv, "share": _ratio(pv, np.full(len(pv), total_valid))})

    areas_out, party_areas = _areas(data, sheet_station, station_area, has_reg, cast, area_ids, area_of_key,
                                    choice_of_key, sums, party_of, n_c)
    return Tabulation(contests_out, choices, lists_out, parties, areas_out, party_areas)


def _area_tree(areas: pa.Table) -> tuple[dict[str, list[str]], dict[str, tuple[str, str, str]]]:
    info = {a["area_id"]: (a["name"], a["level"], a["parent"]) for a in areas.to_pylist()}
    chains: dict[str, list[str]] = {}
    for start in info:
        out, seen, cur = [], set(), start
        while cur and cur not in seen:
            seen.add(cur)
            out.append(cur)
            cur = info.get(cur, ("", "", ""))[2]
        chains[start] = out
    return chains, info


def one_ballot_per_voter(data: ElectionData) -> bool:
    return bool(data.election.law.params.get("one_ballot_per_voter", False))


def station_ballots(data: ElectionData) -> pa.Table:
    """Per station: registered (null without a register) and ballots cast, each voter counted once."""
    sheets = data.table("sheets")
    agg = "sum" if one_ballot_per_voter(data) else "max"
    per = sheets.select(["station_id", "ballots_cast"]).group_by("station_id", use_threads=False) \
        .aggregate([("ballots_cast", agg)]).rename_columns(["station_id", "ballots_cast"])
    st = data.table("stations").select(["station_id", "centre_id", "area", "registered", "kind"])
    return st.join(per, "station_id", join_type="left outer").sort_by("station_id")


def _areas(data: ElectionData, sheet_station: np.ndarray, station_area: np.ndarray, has_reg: np.ndarray,
           cast: np.ndarray, area_ids: list[str], area_of_key: np.ndarray, choice_of_key: np.ndarray,
           sums: np.ndarray, party_of: list[str], n_c: int) -> tuple[pa.Table, pa.Table]:
    stations = data.table("stations")
    chains, info = _area_tree(data.table("areas"))
    n_st = stations.num_rows
    # one value per station, each voter counted once (see the module's docstring)
    st_cast = np.zeros(n_st, np.int64)
    st_cast_reg = np.zeros(n_st, np.int64)
    ok = sheet_station >= 0
    at = np.add.at if one_ballot_per_voter(data) else np.maximum.at
    at(st_cast, sheet_station[ok], cast[ok])
    at(st_cast_reg, sheet_station[ok], np.where(has_reg, cast, 0)[ok])
    st_reg = _ints(stations.column("registered"))
    n_areas = len(area_ids)
    leaf = np.zeros((n_areas, 4), np.int64)  # stations, registered, cast, cast at stations with a register
    known = station_area >= 0
    for j, values in enumerate((np.ones(n_st, np.int64), st_reg, st_cast, st_cast_reg)):
        np.add.at(leaf[:, j], station_area[known], values[known])
    leaf_rows = [{"area": area_ids[a], "stations_sum": int(leaf[a, 0]), "registered_sum": int(leaf[a, 1]),
                  "cast_sum": int(leaf[a, 2]), "cast_reg_sum": int(leaf[a, 3])}
                 for a in np.flatnonzero(leaf[:, 0] > 0)]
    totals: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(4, np.int64))
    for row in leaf_rows:
        vec = np.array([row["stations_sum"], row["registered_sum"], row["cast_sum"], row["cast_reg_sum"]], np.int64)
        for a in chains.get(row["area"], [row["area"]]):
            totals[a] += vec
    ids = sorted(totals)
    arr = np.array([totals[a] for a in ids], np.int64).reshape(-1, 4)
    blank = ("", "", "")
    areas_out = pa.table({
        "area_id": pa.array(ids, pa.string()), "name": [info.get(a, (a, "", ""))[0] for a in ids],
        "level": [info.get(a, blank)[1] for a in ids], "parent": [info.get(a, blank)[2] for a in ids],
        "stations": arr[:, 0], "registered": arr[:, 1], "ballots_cast": arr[:, 2], "turnout": _ratio(arr[:, 3], arr[:, 1]),
    })
    # party votes per area, rolled up through the area tree (list-only votes have no party here)
    pv: dict[tuple[str, str], int] = defaultdict(int)
    for a, ch, v in zip(area_of_key.tolist(), choice_of_key.tolist(), sums.tolist()):
        if ch >= n_c or a < 0:
            continue
        for anc in chains.get(area_ids[a], [area_ids[a]]):
            pv[(anc, party_of[ch])] += v
    keys = sorted(pv, key=lambda k: (k[0], -pv[k], k[1]))
    party_areas = pa.table({"area_id": pa.array([k[0] for k in keys], pa.string()),
                            "level": pa.array([info.get(k[0], blank)[1] for k in keys], pa.string()),
                            "party": pa.array([k[1] for k in keys], pa.string()),
                            "votes": pa.array([pv[k] for k in keys], pa.int64())})
    return areas_out, party_areas
