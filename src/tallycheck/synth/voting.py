"""Honest counts: result sheets and candidate votes for a run of whole polling centres.

Preferences are drawn per centre from a Dirichlet around the candidates' expected shares in the governorate,
then each station's valid votes are a multinomial draw from its centre's preferences (a Dirichlet-multinomial
per centre). Small concentration parameters give candidates local strongholds and many exact zeros, as real
SNTV tallies have. Rows come out in id order: by station, then contest, then ballot position.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .polling import Polling
from .seeding import rng_for
from .structure import BallotStructure

GENERAL_CONCENTRATION = 40.0  # Dirichlet concentration of centre preferences around the governorate's shares
MINORITY_CONCENTRATION = 20.0
SPOILED_RATE = 0.003  # ballots spoiled and replaced, per ballot cast
BALLOT_PAD = 50  # ballots arrive in pads of 50 (illustrative)
GENERAL_RESERVE = 1.05  # a station receives its register plus 5 %, rounded up to whole pads (illustrative)


@dataclass(frozen=True, slots=True)
class SheetTally:
    """The sheets and results rows of a run of stations (copy() before altering counts)."""

    sheet_station: np.ndarray  # global station index per sheet
    sheet_contest: np.ndarray  # contest index per sheet
    cast: np.ndarray
    invalid: np.ndarray
    blank: np.ndarray
    received: np.ndarray
    unused: np.ndarray
    spoiled: np.ndarray
    row_start: np.ndarray  # first results row of each sheet; len = sheets + 1
    row_candidate: np.ndarray  # global candidate index per results row
    votes: np.ndarray  # per results row

    @property
    def sheets(self) -> int:
        return len(self.sheet_station)

    def copy(self) -> SheetTally:
        return replace(self, cast=self.cast.copy(), invalid=self.invalid.copy(), blank=self.blank.copy(),
                       received=self.received.copy(), unused=self.unused.copy(), spoiled=self.spoiled.copy(),
                       votes=self.votes.copy())


def count_stations(seed: int, chunk: int, structure: BallotStructure, polling: Polling,
                   first_centre: int, end_centre: int) -> SheetTally:
    """Honest sheets and results of the stations of centres [first_centre, end_centre)."""
    rng = rng_for(seed, "votes", chunk)
    s0, s1 = int(polling.centre_start[first_centre]), int(polling.centre_start[end_centre])
    stations = np.arange(s0, s1)
    district_contest = np.array([d.contest for d in structure.districts])
    general_contest = district_contest[polling.centre_district[polling.station_centre[stations]]]

    parts_station, parts_contest, parts_cast = [stations], [general_contest], [polling.general_ballots[s0:s1]]
    for j, ci in enumerate(polling.minority_contests):
        served = np.flatnonzero(polling.minority_served[s0:s1, j])
        parts_station.append(stations[served])
        parts_contest.append(np.full(len(served), ci))
        parts_cast.append(polling.minority_ballots[s0 + served, j])
    sheet_station = np.concatenate(parts_station)
    sheet_contest = np.concatenate(parts_contest)
    cast = np.concatenate(parts_cast).astype(np.int64)
    order = np.lexsort((sheet_contest, sheet_station))
    sheet_station, sheet_contest, cast = sheet_station[order], sheet_contest[order], cast[order]

    centre = polling.station_centre[sheet_station]
    invalid = rng.binomial(cast, polling.centre_invalid_rate[centre])
    blank = rng.binomial(cast - invalid, polling.centre_blank_rate[centre])
    valid = cast - invalid - blank

    general = np.isin(sheet_contest, district_contest)
    stock = polling.station_stock[sheet_station]
    spoiled = rng.binomial(cast, SPOILED_RATE)
    # spoiled ballots stay within the reserve, so cast + spoiled never exceeds what was received
    spoiled_cap = (stock * (GENERAL_RESERVE - 1.0) * 0.8).astype(np.int64)
    spoiled = np.where(general, np.minimum(spoiled, spoiled_cap), spoiled)
    received = np.where(general, BALLOT_PAD * np.ceil(stock * GENERAL_RESERVE / BALLOT_PAD).astype(np.int64),
                        (cast + spoiled) // BALLOT_PAD * BALLOT_PAD + BALLOT_PAD)
    unused = received - cast - spoiled

    n_cand = structure.n_candidates[sheet_contest]
    row_start = np.concatenate([[0], np.cumsum(n_cand)])
    rows = int(row_start[-1])
    row_sheet = np.repeat(np.arange(len(sheet_station)), n_cand)
    place = np.arange(rows) - row_start[row_sheet]  # position on the ballot
    row_candidate = structure.first_candidate[sheet_contest][row_sheet] + place
    votes = np.zeros(rows, dtype=np.int64)

    by_contest = np.argsort(sheet_contest, kind="stable")
    bounds = np.searchsorted(sheet_contest[by_contest], np.arange(len(structure.contests) + 1))
    for ci in range(len(structure.contests)):
        idx = by_contest[bounds[ci]:bounds[ci + 1]]
        if len(idx) == 0:
            continue
        n = int(structure.n_candidates[ci])
        general_contest = structure.contests[ci].district >= 0
        concentration = GENERAL_CONCENTRATION if general_contest else MINORITY_CONCENTRATION
        centres, which = np.unique(centre[idx], return_inverse=True)
        expected = structure.shares[ci][polling.centre_governorate[centres]]
        pref = rng.gamma(concentration * expected + 1e-9)
        total = pref.sum(axis=1, keepdims=True)
        pref = np.where(total > 0, pref / np.where(total > 0, total, 1.0), expected)
        block = rng.multinomial(valid[idx], pref[which])
        votes[row_start[idx][:, None] + np.arange(n)] = block
    return SheetTally(sheet_station, sheet_contest, cast, invalid, blank, received, unused, spoiled,
                      row_start, row_candidate, votes)
