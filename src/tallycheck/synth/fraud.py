"""Fraud and clerical errors injected into honest counts, with the truth kept for scoring detectors.

Three falsifications, each applied to a share of general-contest sheets at stations with a register (a share
of all stations), on disjoint sets of stations chosen whole centre by whole centre (fraud is organised per
centre):
- stuffing: extra ballots for the favoured candidate push turnout towards 100 % of the register; the fraudster
  takes them from the unused stock, so cast + unused + spoiled = received and the votes still add up.
- moved: votes taken from the other candidates and written for the favoured one; totals unchanged.
- rounded: the sheet is rewritten so that turnout (ballots cast / registered) and the favoured candidate's
  share of the valid votes are whole percentages, as in Kobak, Shpilkin & Pshenichnikov (2016), "Integer
  percentages as electoral falsification fingerprints", Ann. Appl. Stat. 10(1): 54-73. With a register of R
  voters a whole percentage T is hit as closely as integers allow: cast = round(R * T / 100), within 50 / R
  points of T.

Clerical errors (a share of all stations, chosen at random, disjoint from fraud) transpose the last two digits
of ballots cast or mis-add it by 1 or 10, so that the sheet no longer adds up.

The favoured candidate of a contest is the strongest nominee of its governorate's strongest major party (see
structure.py). Truth rows give, per sheet, the label, the favoured candidate, `votes_added` (reported minus
true ballots cast) and `votes_moved` (votes taken from the other candidates: true minus reported, summed over
them).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum

import numpy as np

from .polling import Polling, StationKind
from .seeding import rng_for
from .structure import BallotStructure
from .voting import SheetTally


class Label(str, Enum):
    CLEAN = "clean"
    STUFFING = "stuffing"
    MOVED = "moved"
    ROUNDED = "rounded"
    ERROR = "error"


LABELS = tuple(Label)  # code = position: 0 clean, 1 stuffing, 2 moved, 3 rounded, 4 error


@dataclass(frozen=True, slots=True)
class FraudSpec:
    """Shares of stations (in [0, 1)) whose general-contest sheet is falsified each way."""

    stuffing: float = 0.0
    moved: float = 0.0
    rounded: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
                raise ValueError(f"fraud share {f.name} must be a number from 0 up to (not including) 1; "
                                 f"got {value!r}")
        if self.total >= 1.0:
            raise ValueError(f"fraud shares must add up to less than 1; got {self.total:g}")

    @property
    def total(self) -> float:
        return self.stuffing + self.moved + self.rounded

    def spec_text(self) -> str:
        return ",".join(f"{f.name}={getattr(self, f.name):g}" for f in fields(self))


def parse_fraud_spec(text: str) -> FraudSpec:
    """Read "stuffing=0.02,moved=0.01,rounded=0.5%": labels in any order, each once at most; "" is none."""
    names = [f.name for f in fields(FraudSpec)]
    values: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        label, eq, raw = part.partition("=")
        label, raw = label.strip().lower(), raw.strip()
        if not eq:
            raise ValueError(f"Expected LABEL=SHARE in the fraud spec, e.g. stuffing=0.02; got {part!r}.")
        if label not in names:
            raise ValueError(f"Unknown fraud label {label!r} in the fraud spec; use {', '.join(names)}.")
        if label in values:
            raise ValueError(f"Fraud label {label!r} is given twice in the fraud spec.")
        try:
            value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        except ValueError:
            raise ValueError(f"Expected a share such as 0.02 or 2% for {label!r} in the fraud spec; "
                             f"got {raw!r}.") from None
        if not np.isfinite(value) or not 0.0 <= value < 1.0:
            raise ValueError(f"The share for {label!r} must be from 0 up to (not including) 1; got {raw!r}.")
        values[label] = value
    return FraudSpec(**values)


def choose_labels(seed: int, polling: Polling, fraud: FraudSpec, errors: float) -> np.ndarray:
    """Label code per station: fraud on whole centres in random order, errors on single stations at random."""
    n = polling.stations
    labels = np.zeros(n, dtype=np.int8)
    counts = [round(share * n) for share in (fraud.stuffing, fraud.moved, fraud.rounded)]
    rng = rng_for(seed, "fraud-stations")
    centre_rank = rng.permutation(polling.centres)
    eligible = np.flatnonzero(polling.station_kind == StationKind.REGULAR)
    if sum(counts) > len(eligible):
        raise ValueError(f"fraud shares ask for {sum(counts)} stations, but only {len(eligible)} of {n} "
                         "have a register; lower the shares")
    in_order = eligible[np.argsort(centre_rank[polling.station_centre[eligible]], kind="stable")]
    start = 0
    for code, k in enumerate(counts, start=1):
        labels[in_order[start:start + k]] = code
        start += k
    n_errors = round(errors * n)
    clean = np.flatnonzero(labels == 0)
    if n_errors > len(clean):
        raise ValueError(f"errors ask for {n_errors} stations, but only {len(clean)} are free of fraud")
    if n_errors:
        labels[rng.choice(clean, size=n_errors, replace=False)] = LABELS.index(Label.ERROR)
    return labels


@dataclass(frozen=True, slots=True)
class SheetTruth:
    label: np.ndarray  # label code per sheet
    favoured: np.ndarray  # global candidate index, -1 where none
    votes_added: np.ndarray
    votes_moved: np.ndarray


def falsify(seed: int, chunk: int, structure: BallotStructure, polling: Polling, honest: SheetTally,
            station_labels: np.ndarray) -> tuple[SheetTally, SheetTruth]:
    """The sheets as reported: honest counts with each labelled station's general sheet altered."""
    rng = rng_for(seed, "fraud", chunk)
    reported = honest.copy()
    n_sheets = honest.sheets
    general = np.array([c.district >= 0 for c in structure.contests])[honest.sheet_contest]
    label = np.where(general, station_labels[honest.sheet_station], 0).astype(np.int8)
    truth = SheetTruth(label, np.full(n_sheets, -1, np.int64), np.zeros(n_sheets, np.int64),
                       np.zeros(n_sheets, np.int64))
    registered = polling.station_registered[honest.sheet_station]
    minority = polling.minority_ballots[honest.sheet_station].sum(axis=1)

    for code in (1, 2, 3):
        idx = np.flatnonzero(label == code)
        if len(idx) == 0:
            continue
        for ci in np.unique(honest.sheet_contest[idx]).tolist():
            rows = idx[honest.sheet_contest[idx] == ci]
            n = int(structure.n_candidates[ci])
            fav = int(structure.favoured[ci])
            cells = honest.row_start[rows][:, None] + np.arange(n)
            block = honest.votes[cells]
            truth.favoured[rows] = structure.first_candidate[ci] + fav
            if code == 1:
                _stuff(rng, reported, truth, rows, block, fav, registered[rows], minority[rows])
            elif code == 2:
                _move(rng, truth, rows, block, fav)
            else:
                _round(rng, reported, truth, rows, block, fav, registered[rows], minority[rows])
            reported.votes[cells] = block

    idx = np.flatnonzero(label == LABELS.index(Label.ERROR))
    if len(idx):
        wrong = _clerical_error(rng, honest.cast[idx])
        truth.votes_added[idx] = wrong - honest.cast[idx]
        reported.cast[idx] = wrong  # unused stays as counted: the paper reconciliation fails too
    return reported, truth


def _stuff(rng: np.random.Generator, reported: SheetTally, truth: SheetTruth, rows: np.ndarray,
           block: np.ndarray, fav: int, registered: np.ndarray, minority: np.ndarray) -> None:
    cast = reported.cast[rows]
    room = registered - minority - cast  # ballots the register still allows in this box
    turnout = (cast + minority) / registered
    target = turnout + (0.99 - turnout) * rng.beta(3.0, 1.2, len(rows))
    added = np.floor(target * registered).astype(np.int64) - minority - cast
    added = np.where(room >= 1, np.clip(added, 1, np.maximum(room, 1)), 0)
    block[:, fav] += added
    reported.cast[rows] += added
    reported.unused[rows] -= added
    truth.votes_added[rows] = added


def _move(rng: np.random.Generator, truth: SheetTruth, rows: np.ndarray, block: np.ndarray, fav: int) -> None:
    share = rng.uniform(0.15, 0.6, len(rows))
    others = block.copy()
    others[:, fav] = 0
    taken = rng.binomial(others, share[:, None])
    block -= taken
    block[:, fav] += taken.sum(axis=1)
    truth.votes_moved[rows] = taken.sum(axis=1)


def _round_up_to_five(rng: np.random.Generator, percent: np.ndarray) -> np.ndarray:
    """Fraudsters favour round numbers: about a third of targets are multiples of 5 (Kobak et al. 2016)."""
    fives = rng.random(len(percent)) < 0.3
    return np.where(fives, -(-percent // 5) * 5, percent)


def _round(rng: np.random.Generator, reported: SheetTally, truth: SheetTruth, rows: np.ndarray,
           block: np.ndarray, fav: int, registered: np.ndarray, minority: np.ndarray) -> None:
    cast, invalid, blank = reported.cast[rows], reported.invalid[rows], reported.blank[rows]
    # turnout target: a whole percentage at or a little above the true one, within what the register allows
    turnout = -(-100 * cast // registered) + rng.integers(0, 8, len(rows))
    turnout = _round_up_to_five(rng, turnout)
    highest = 100 * (registered - minority) // registered
    lowest = -(-100 * (invalid + blank + 1) // registered)
    turnout = np.minimum(np.maximum(turnout, lowest), highest)
    new_cast = (registered * turnout + 50) // 100  # nearest whole ballot to T % of the register
    new_blank = np.minimum(blank, np.maximum(new_cast - 1, 0))
    new_invalid = np.minimum(invalid, np.maximum(new_cast - 1 - new_blank, 0))
    valid_new = new_cast - new_invalid - new_blank

    valid_old = block.sum(axis=1)
    share_old = np.where(valid_old > 0, 100 * block[:, fav] / np.maximum(valid_old, 1), 50.0)
    share = np.ceil(share_old).astype(np.int64) + rng.integers(0, 11, len(rows))
    share = np.minimum(_round_up_to_five(rng, share), 100)
    fav_new = (share * valid_new + 50) // 100

    others = block.copy()
    others[:, fav] = 0
    # the others keep their proportions (general contests have at least 6 candidates, so someone is left)
    weight = others.astype(np.float64) + (others.sum(axis=1, keepdims=True) == 0)  # all zero: spread evenly
    weight[:, fav] = 0.0
    weight /= weight.sum(axis=1, keepdims=True)
    new_others = rng.multinomial(valid_new - fav_new, weight)
    truth.votes_added[rows] = new_cast - cast
    truth.votes_moved[rows] = others.sum(axis=1) - new_others.sum(axis=1)
    block[:] = new_others
    block[:, fav] = fav_new
    reported.cast[rows] = new_cast
    reported.invalid[rows] = new_invalid
    reported.blank[rows] = new_blank
    reported.unused[rows] = reported.received[rows] - new_cast - reported.spoiled[rows]


def _clerical_error(rng: np.random.Generator, cast: np.ndarray) -> np.ndarray:
    tens, ones = cast // 10 % 10, cast % 10
    transposed = cast - 10 * tens - ones + 10 * ones + tens
    step = rng.choice(np.array([-10, -1, 1, 10]), len(cast))
    misadded = np.where(cast + step >= 0, cast + step, cast - step)
    use_transposed = (rng.random(len(cast)) < 0.5) & (cast >= 10) & (tens != ones)
    return np.where(use_transposed, transposed, misadded)
