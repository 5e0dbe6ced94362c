"""A small election package for the audit tests: contest W (2 seats, clear winners A and B), contest T (1 seat,
a near tie that no sample can settle at these sizes), stations of unequal sizes. Deterministic."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

CANDIDATES = {"W": ["A", "B", "C", "D"], "T": ["E", "F"]}
SHARES = {"W": [0.40, 0.30, 0.18, 0.07], "T": [0.501, 0.499]}


def write_package(folder: Path, stations: int = 300, seed: int = 7) -> dict[tuple[str, str], dict[str, int]]:
    """Write the package; returns the reported votes per (station, contest)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    (folder / "election.toml").write_text('name = "Audit test election"\ndate = 2021-10-10\ncountry = "IQ"\n\n'
                                          '[law]\nname = "sntv"\n', encoding="utf-8")
    with (folder / "contests.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["contest_id", "name", "seats", "area", "women_seats", "group"])
        w.writerow(["W", "Wide district", 2, "R1", "", ""])
        w.writerow(["T", "Tight district", 1, "R2", "", ""])
    with (folder / "candidates.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["candidate_id", "contest_id", "name", "party", "gender", "group", "area"])
        for c, names in CANDIDATES.items():
            for n in names:
                w.writerow([n, c, f"Candidate {n}", f"Party {n}", "M", "", ""])
    reported: dict[tuple[str, str], dict[str, int]] = {}
    stations_rows, sheets, results = [], [], []
    for i in range(stations):
        contest = "W" if i % 3 else "T"
        sid = f"{contest}{i:04d}"
        size = int(rng.integers(100, 600))
        votes = rng.multinomial(size - 5, SHARES[contest])
        stations_rows.append([sid, f"C{i // 10:03d}", "R1" if contest == "W" else "R2", size * 2, "regular"])
        sheets.append([sid, contest, size, 5, 0])
        reported[(sid, contest)] = dict(zip(CANDIDATES[contest], map(int, votes)))
        results += [[sid, contest, c, int(v)] for c, v in zip(CANDIDATES[contest], votes)]
    for name, header, rows in (("stations", ["station_id", "centre_id", "area", "registered", "kind"], stations_rows),
                               ("sheets", ["station_id", "contest_id", "ballots_cast", "invalid", "blank"], sheets),
                               ("results", ["station_id", "contest_id", "candidate_id", "votes"], results)):
        with (folder / f"{name}.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
    return reported


def write_counts(path: Path, counts: dict[tuple[str, str], dict[str, int]], ballots: dict | None = None) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["station_id", "contest_id", "candidate_id", "votes", "ballots_cast"])
        for (sid, contest), votes in counts.items():
            for k, (cand, v) in enumerate(votes.items()):
                w.writerow([sid, contest, cand, v, (ballots or {}).get(sid, "") if k == 0 else ""])
    return path
