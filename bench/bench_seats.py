"""Benchmark: seat allocation and seat margins at Iraq's scale, each against a baseline run in the same
process.

The election is an Iraq-shaped synthetic package (tallycheck.synth: 83 districts of 3-5 seats with one women's
seat each, the 25 % governorate check, 9 minority seats incl. the nationwide Christian ballot, 3,249
candidates). Seats depend on the vote totals only, so the totals are made once (timed apart) and every job
starts from them.

- allocation: `allocate_votes` (every contest under iraq-2021: SNTV with the women's minimum, per-area and
  minority seats, the governorate check, party totals, the lot) against the floor any SNTV count stands on:
  sorting each contest's candidates by votes and taking the top k (no quotas, no lot, no result objects).
- margins: `seat_margins` for all 329 seats (closed forms here) against (a) the same margins found by
  re-running each contest's real allocation (`sntv`) in a binary search over x per recipient
  (`search_margin`), and (b) the naive definition: the whole election re-allocated (`allocate_votes`) at every
  x = 0, 1, 2, ... for every recipient, both readings of ties. (b) is too slow for all seats, so it runs on
  the closest seats only and is compared per seat with the closed forms of the same seats.
- optionally (--binding-region), the margins when the governorate minimum can act (a third of each
  governorate's seats for women, more than its districts' own seats), where every district is searched.

    .venv/bin/python bench/bench_seats.py --stations 55041 --repeat 5 --naive-seats 3
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tallycheck.importing import validate_package
from tallycheck.model import Law
from tallycheck.seats.allocate import VoteTotals, allocate_votes, contest_context, vote_totals
from tallycheck.seats.margins import INF, _perturbed, search_margin, seat_margins, sntv_margins
from tallycheck.seats.sntv import SntvCandidate, sntv
from tallycheck.seats.ties import Lot
from tallycheck.synth import generate


def timed(fn, repeat: int) -> tuple[float, float, object]:
    runs = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return min(runs), statistics.median(runs), out


def plain_sort(by_contest: dict[str, list[tuple[str, int]]], seats: dict[str, int]) -> dict[str, list[str]]:
    return {c: [k for k, _ in sorted(rows, key=lambda r: -r[1])[:seats[c]]] for c, rows in by_contest.items()}


def naive_margin(data, totals: VoteTotals, contest: str, holder: str, law: Law | None) -> tuple[int, int]:
    """The definition, literally: re-allocate the whole election at every x for every recipient, until the
    holder is out (ties against it, then ties for it); recipients tried in order of votes, stopping at the
    best so far."""
    mine = {k: v for (c, k), v in totals.candidates.items() if c == contest}
    out = []
    for strict in (False, True):
        best = INF
        for to in sorted((k for k in mine if k != holder), key=lambda k: -mine[k]):
            for x in range(min(mine[holder], best - 1) + 1):
                moved = _perturbed(mine, holder, to, x, strict)
                cands = {key: (moved[key[1]] if key[0] == contest else 2 * v + (0 if strict else 1))
                         for key, v in totals.candidates.items()}
                if holder not in allocate_votes(data, VoteTotals(cands, totals.list_only),
                                                law=law).contest(contest).winner_ids:
                    best = x
                    break
        out.append(best)
    return out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stations", type=int, default=55_041)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--naive-seats", type=int, default=3, help="closest seats the naive search is timed on")
    ap.add_argument("--binding-region", action="store_true", help="also time margins when the governorate "
                                                                  "minimum can act (searched)")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-seats-") as tmp:
        pkg = Path(tmp) / "iraq"
        t0 = time.perf_counter()
        generate(shape="iraq-2021", seed=args.seed, out=pkg, stations=args.stations)
        t_generate = time.perf_counter() - t0
        data = validate_package(pkg).validation.data
        assert data is not None
    t0 = time.perf_counter()
    totals = vote_totals(data)
    t_totals = time.perf_counter() - t0

    # -- allocation ------------------------------------------------------------------------------------------
    contests = {c.contest_id: c for c in data.contests}
    by_contest: dict[str, list[tuple[str, int]]] = {c: [] for c in contests}
    for (c, k), v in totals.candidates.items():
        by_contest[c].append((k, v))
    seats = {c: contests[c].seats for c in contests}
    alloc_best, alloc_median, result = timed(lambda: allocate_votes(data, totals), args.repeat)
    sort_best, sort_median, _ = timed(lambda: plain_sort(by_contest, seats), args.repeat)
    assert result.seats == 329

    # -- margins ---------------------------------------------------------------------------------------------
    margins_best, margins_median, margins = timed(lambda: seat_margins(result, data), args.repeat)
    assert len(margins) == 329 and all(m.method.value == "closed-form" for m in margins)

    genders = {(c.contest_id, c.candidate_id): c.gender for c in data.candidates}
    areas = {(c.contest_id, c.candidate_id): c.area for c in data.candidates}
    seat_areas = {r["contest_id"] for r in data.table("seat_areas").to_pylist()}

    def searched() -> list:
        out = []
        lot = Lot(result.seed)
        for cs in result.contests:
            if cs.contest_id in seat_areas:
                continue  # per-area ballot: its closed form is checked in tests; not an SNTV re-run
            cands = [SntvCandidate(k, v, genders[(cs.contest_id, k)], areas[(cs.contest_id, k)])
                     for k, v in cs.votes.items()]
            gender = {c.candidate_id: c.gender for c in cands}

            def rerun(v, strict, cs=cs, gender=gender):
                return sntv([SntvCandidate(k, n, gender[k]) for k, n in v.items()], cs.seats,
                            women_seats=cs.women_seats, lot=lot,
                            context=contest_context(cs.contest_id)).winners

            for h in cs.winner_ids:
                out.append(search_margin(dict(cs.votes), h, rerun, cs.winner_ids, contest_id=cs.contest_id))
        return out

    search_best, search_median, found = timed(searched, max(1, min(args.repeat, 2)))
    by_seat = {(m.contest_id, m.holder): (m.ballots, m.ballots_to_lose) for m in margins}
    assert all(by_seat[(m.contest_id, m.holder)] == (m.ballots, m.ballots_to_lose) for m in found)

    # the naive definition on the closest seats, against the closed forms of the same seats
    sample = [m for m in margins if m.contest_id not in seat_areas][:args.naive_seats]
    naive_runs = []
    closed_runs = []
    for m in sample:
        t0 = time.perf_counter()
        got = naive_margin(data, totals, m.contest_id, m.holder, None)
        naive_runs.append(time.perf_counter() - t0)
        assert got == (m.ballots, m.ballots_to_lose), (m, got)
        cs = result.contest(m.contest_id)
        cands = [SntvCandidate(k, v, genders[(cs.contest_id, k)]) for k, v in cs.votes.items()]
        best, _, _ = timed(lambda: sntv_margins(cands, cs.seats, [m.holder], women_seats=cs.women_seats,
                                                lot=Lot(result.seed),
                                                context=contest_context(cs.contest_id)), 5)
        closed_runs.append(best)

    report = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "command": " ".join(["bench/bench_seats.py", *sys.argv[1:]]),
        "stations": args.stations, "generate_s": t_generate, "vote_totals_s": t_totals,
        "allocation": {"tallycheck_best_s": alloc_best, "tallycheck_median_s": alloc_median,
                       "plain_sort_best_s": sort_best, "plain_sort_median_s": sort_median,
                       "ratio_best": alloc_best / sort_best},
        "margins": {"closed_form_best_s": margins_best, "closed_form_median_s": margins_median,
                    "search_best_s": search_best, "search_median_s": search_median,
                    "search_seats": len(found), "ratio_search_over_closed": search_best / margins_best,
                    "naive_seats": [(m.contest_id, m.holder, m.ballots, m.ballots_to_lose) for m in sample],
                    "naive_per_seat_s": naive_runs, "closed_form_per_seat_s": closed_runs,
                    "ratio_naive_over_closed_per_seat": [n / c for n, c in zip(naive_runs, closed_runs)]},
    }
    if args.binding_region:
        law = Law("iraq-2021", {"women_region_share": "1/3"})
        bound = allocate_votes(data, totals, law=law)
        b_best, _, b_margins = timed(lambda: seat_margins(bound, data, law=law), 1)
        report["binding_region"] = {"seconds": b_best,
                                    "searched_seats": sum(m.method.value == "search" for m in b_margins)}
    print(json.dumps(report, indent=1))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1), "utf-8")


if __name__ == "__main__":
    main()
