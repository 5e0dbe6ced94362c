"""generate(): draw a synthetic election and write it as an election package with its truth."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pyarrow as pa

from .. import __version__
from ..package_folder import check_free, staged_folder, write_small_csv
from . import iraq_2021 as facts
from .fraud import LABELS, FraudSpec, Label, choose_labels, falsify
from .names import NameScript
from .package_writer import (
    RESULT_COLUMNS,
    SHEET_COLUMNS,
    STATION_COLUMNS,
    TRUTH_STATION_COLUMNS,
    StreamedTable,
    optional_counts,
    write_election_toml,
)
from .polling import KIND_WORDS, Polling, build_polling
from .structure import MIN_CANDIDATES_PER_CONTEST, BallotStructure, build_structure
from .voting import count_stations

SHAPES: Mapping[str, str] = MappingProxyType({
    "iraq-2021": "Iraq's October 2021 Council of Representatives election: 18 governorates, 83 SNTV "
                 "districts of 3-5 seats, 9 minority seats, about 3,250 candidates and 55,000 polling "
                 "stations",
})
CHUNK_STATIONS = 32_768  # stations per chunk (whole centres); part of the output's definition, keep fixed

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class GeneratedElection:
    out: Path
    shape: str
    seed: int
    contests: int
    seats: int
    candidates: int
    women_candidates: int
    centres: int
    stations: int
    registered: int  # voters on the registers of stations that have one
    ballots_cast: int  # as reported, all sheets
    sheets_rows: int
    results_rows: int
    stuffing: int  # stations per truth label
    moved: int
    rounded: int
    errors: int

    @property
    def labels(self) -> dict[str, int]:
        return {Label.STUFFING.value: self.stuffing, Label.MOVED.value: self.moved,
                Label.ROUNDED.value: self.rounded, Label.ERROR.value: self.errors}


def generate(shape: str, seed: int, out: str | os.PathLike[str], stations: int | None = None,
             candidates_per_contest: int | None = None, fraud: FraudSpec | None = None, errors: float = 0.0,
             names: str | NameScript = NameScript.LATIN, progress: Progress | None = None,
             minorities: bool = True) -> GeneratedElection:
    """Write a synthetic election package to `out` (a new or empty folder) and return its counts.

    shape: a key of SHAPES. seed: a whole number >= 0; same seed and tallycheck version, same bytes.
    stations: polling stations (default 55,041 as in 2021); centres, registers and minority votes scale.
    candidates_per_contest: caps the candidates of each general contest (minority contests keep theirs).
    fraud: shares of stations whose general sheet is falsified; errors: share with a clerical error.
    names: "latin" or "arabic" script for the names of candidates, parties, areas and contests.
    progress: called as progress(step, done, total) with step "structure", "stations", "sheets", "finish".
    minorities: False leaves out the 9 minority seats and their ballots (one ballot per station: benchmarks).
    Raises ValueError for a bad argument and FileExistsError when `out` is a file or a non-empty folder.
    """
    if shape not in SHAPES:
        raise ValueError(f"Unknown shape {shape!r}; available: {', '.join(SHAPES)}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"The seed must be a whole number >= 0; got {seed!r}.")
    seed = int(seed)
    n_stations = facts.STATIONS if stations is None else stations
    if isinstance(n_stations, bool) or not isinstance(n_stations, (int, np.integer)) or n_stations < 100:
        raise ValueError(f"stations must be a whole number >= 100; got {stations!r}.")
    n_stations = int(n_stations)
    k = candidates_per_contest
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer))
                          or k < MIN_CANDIDATES_PER_CONTEST):
        raise ValueError(f"candidates_per_contest must be a whole number >= {MIN_CANDIDATES_PER_CONTEST} "
                         f"(more candidates than the 5 seats of the largest district); got {k!r}.")
    fraud = fraud or FraudSpec()
    if isinstance(errors, bool) or not isinstance(errors, (int, float)) or not 0.0 <= errors < 1.0:
        raise ValueError(f"errors must be a share from 0 up to (not including) 1; got {errors!r}.")
    if fraud.total + errors >= 1.0:
        raise ValueError(f"fraud shares and errors label disjoint stations, so they must add up to less "
                         f"than 1; got {fraud.total + errors:g}.")
    try:
        script = NameScript(names)
    except ValueError:
        choices = ", ".join(s.value for s in NameScript)
        raise ValueError(f"names must be one of {choices}; got {names!r}.") from None
    check_free(Path(out))  # fail before the work, not after it; checked again before the final rename
    report = progress or (lambda step, done, total: None)

    structure = build_structure(seed, candidates_per_contest, script, minorities)
    report("structure", 1, 1)
    polling = build_polling(seed, structure, n_stations)
    labels = choose_labels(seed, polling, fraud, float(errors))
    report("stations", 1, 1)

    with staged_folder(Path(out)) as folder:
        source = [
            ("publisher", "tallycheck synth: synthetic data, not real results"),
            ("note", f"Synthetic election shaped like {facts.ELECTION_NAME}; see tallycheck.synth."),
            ("synthetic", True),
            ("generator", "tallycheck.synth"),
            ("generator_version", __version__),
            ("shape", shape),
            ("seed", seed),
            ("stations", n_stations),
            *([("candidates_per_contest", int(candidates_per_contest))] if candidates_per_contest else []),
            ("fraud", fraud.spec_text()),
            ("errors", f"{float(errors):g}"),
            ("names", script.value),
        ]
        write_election_toml(folder / "election.toml", f"Synthetic {facts.ELECTION_NAME} (seed {seed})",
                            facts.ELECTION_DATE, facts.COUNTRY, facts.LAW, source)
        _write_structure(folder, structure)
        _write_stations(folder, structure, polling)
        totals = _write_counts(folder, seed, structure, polling, labels, report)
        report("finish", 1, 1)

    counts = np.bincount(labels, minlength=len(LABELS))
    return GeneratedElection(
        out=Path(out), shape=shape, seed=seed, contests=len(structure.contests), seats=structure.seats,
        candidates=len(structure.candidates),
        women_candidates=sum(c.gender == "F" for c in structure.candidates),
        centres=polling.centres, stations=polling.stations,
        registered=int(polling.station_registered[polling.station_registered >= 0].sum()),
        ballots_cast=totals[0], sheets_rows=totals[1], results_rows=totals[2],
        stuffing=int(counts[LABELS.index(Label.STUFFING)]), moved=int(counts[LABELS.index(Label.MOVED)]),
        rounded=int(counts[LABELS.index(Label.ROUNDED)]), errors=int(counts[LABELS.index(Label.ERROR)]))


def _write_structure(folder: Path, s: BallotStructure) -> None:
    write_small_csv(folder / "areas.csv", ("area_id", "name", "parent", "level"),
                    ((a.area_id, a.name, a.parent, a.level) for a in s.areas))
    write_small_csv(folder / "contests.csv", ("contest_id", "name", "seats", "area", "women_seats", "group"),
                    ((c.contest_id, c.name, c.seats, c.area, c.women_seats, c.group) for c in s.contests))
    write_small_csv(folder / "seat_areas.csv", ("contest_id", "area", "seats"),
                    sorted((a.contest_id, a.area, a.seats) for a in s.seat_areas))
    write_small_csv(folder / "candidates.csv",
                    ("candidate_id", "contest_id", "name", "party", "gender", "group", "area"),
                    ((c.candidate_id, c.contest_id, c.name, c.party, c.gender, c.group, c.area)
                     for c in s.candidates))


def _write_stations(folder: Path, s: BallotStructure, p: Polling) -> None:
    district_area = pa.array([d.area_id for d in s.districts])
    table = StreamedTable(folder / "stations.csv", STATION_COLUMNS)
    centre = pa.array(p.station_centre)
    area = district_area.take(pa.array(p.centre_district[p.station_centre]))
    table.write(p.station_ids, p.centre_ids.take(centre), area, optional_counts(p.station_registered),
                pa.array(KIND_WORDS).take(pa.array(p.station_kind)))
    table.close()


def _chunks(p: Polling) -> list[tuple[int, int]]:
    """Runs of whole centres of about CHUNK_STATIONS stations each."""
    cuts = np.unique(np.searchsorted(p.centre_start, np.arange(0, p.stations, CHUNK_STATIONS), side="left"))
    bounds = [*cuts.tolist(), p.centres]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _write_counts(folder: Path, seed: int, s: BallotStructure, p: Polling, labels: np.ndarray,
                  report: Progress) -> tuple[int, int, int]:
    (folder / "truth").mkdir()
    contest_ids = pa.array([c.contest_id for c in s.contests])
    candidate_ids = pa.array([c.candidate_id for c in s.candidates])
    label_words = pa.array([label.value for label in LABELS])
    tables = {
        "sheets": StreamedTable(folder / "sheets.csv", SHEET_COLUMNS),
        "results": StreamedTable(folder / "results.csv", RESULT_COLUMNS),
        "truth_sheets": StreamedTable(folder / "truth" / "sheets.csv", SHEET_COLUMNS),
        "truth_results": StreamedTable(folder / "truth" / "results.csv", RESULT_COLUMNS),
        "truth_stations": StreamedTable(folder / "truth" / "stations.csv", TRUTH_STATION_COLUMNS),
    }
    ballots = 0
    chunks = _chunks(p)
    try:
        for k, (c0, c1) in enumerate(chunks):
            honest = count_stations(seed, k, s, p, c0, c1)
            reported, truth = falsify(seed, k, s, p, honest, labels)
            station = p.station_ids.take(pa.array(honest.sheet_station))
            contest = contest_ids.take(pa.array(honest.sheet_contest))
            for name, tally in (("sheets", reported), ("truth_sheets", honest)):
                tables[name].write(station, contest, tally.cast, tally.invalid, tally.blank, tally.received,
                                   tally.unused, tally.spoiled)
            row_sheet = pa.array(np.repeat(np.arange(honest.sheets), np.diff(honest.row_start)))
            row_station, row_contest = station.take(row_sheet), contest.take(row_sheet)
            row_candidate = candidate_ids.take(pa.array(honest.row_candidate))
            tables["results"].write(row_station, row_contest, row_candidate, reported.votes)
            tables["truth_results"].write(row_station, row_contest, row_candidate, honest.votes)
            favoured = candidate_ids.take(pa.array(truth.favoured, mask=truth.favoured < 0))
            label = label_words.take(pa.array(truth.label))
            tables["truth_stations"].write(station, contest, label, favoured, truth.votes_added,
                                           truth.votes_moved)
            ballots += int(reported.cast.sum())
            report("sheets", k + 1, len(chunks))
    finally:
        for table in tables.values():
            table.close()
    return ballots, tables["sheets"].rows, tables["results"].rows
