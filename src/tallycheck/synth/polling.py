"""Polling centres and stations: where they are, who is registered, how many vote and on which ballot.

Everything is drawn per centre first and per station around it, so stations of one centre share their turnout,
their ballot-paper habits (invalid and blank rates) and, in voting.py, their preferences: the correlation that
centre-level forensics look for. All draws are vectorised; a million stations take well under a second or two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import iraq_2021 as facts
from .seeding import rng_for
from .structure import BallotStructure, largest_remainder


class StationKind(IntEnum):
    REGULAR = 0
    SPECIAL = 1  # security forces: no register at the station
    IDP = 2  # displaced persons: no register at the station


KIND_WORDS = ("regular", "special", "idp")
SPECIAL_CENTRE_SHARE = 0.022  # GAP: illustrative; special and IDP voting ran in separate centres
IDP_CENTRE_SHARE = 0.008  # GAP: illustrative
# GAP: where displaced persons voted in 2021 is illustrative (camps in Nineveh, Duhok, Erbil, Anbar,
# Salahaddin).
IDP_WEIGHT = {"IQ-NI": 5.0, "IQ-DA": 4.0, "IQ-AR": 2.0, "IQ-AN": 2.0, "IQ-SD": 2.0, "IQ-SU": 1.0,
              "IQ-KI": 1.0, "IQ-DI": 1.0, "IQ-BG": 0.5}
# Mean registered voters per station of a centre before the centre's last (smaller) station; gives the
# national mean of about 413 (22 million over about 53,300 regular stations).
REGISTERED_MEAN = 440.0
# GAP: where Christian voters live, relative weights for the nationwide Christian ballot (illustrative).
CHRISTIAN_WEIGHT = {"IQ-BG": 0.5, "IQ-NI": 2.0, "IQ-KI": 1.0, "IQ-AR": 1.5, "IQ-DA": 2.0}
INVALID_RATE, BLANK_RATE = 0.035, 0.006  # shares of ballots cast; invalid ~2-5 % in 2021 reporting


@dataclass(frozen=True, slots=True)
class Polling:
    centre_ids: pa.Array  # string, per centre, in id order
    centre_district: np.ndarray  # index into structure.districts
    centre_governorate: np.ndarray
    centre_kind: np.ndarray  # StationKind
    centre_start: np.ndarray  # first station of each centre; len = centres + 1
    centre_invalid_rate: np.ndarray
    centre_blank_rate: np.ndarray
    station_ids: pa.Array  # string, per station, in id order
    station_centre: np.ndarray
    station_registered: np.ndarray  # -1: no register at the station
    station_stock: np.ndarray  # voters the station is supplied for: its register, or its expected voters
    station_voters: np.ndarray  # ballots cast in all of the station's boxes together
    minority_contests: tuple[int, ...]  # contest indexes, in contest order
    minority_ballots: np.ndarray  # (stations, minority contests): ballots per minority sheet, 0 if not served
    minority_served: np.ndarray  # (stations, minority contests) bool

    @property
    def stations(self) -> int:
        return len(self.station_centre)

    @property
    def centres(self) -> int:
        return len(self.centre_district)

    @property
    def station_kind(self) -> np.ndarray:
        return self.centre_kind[self.station_centre]

    @property
    def station_governorate(self) -> np.ndarray:
        return self.centre_governorate[self.station_centre]

    @property
    def general_ballots(self) -> np.ndarray:
        return self.station_voters - self.minority_ballots.sum(axis=1)


def _beta(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    mean = np.clip(mean, 1e-4, 1 - 1e-4)
    return rng.beta(mean * concentration, (1 - mean) * concentration)


def build_polling(seed: int, structure: BallotStructure, stations: int) -> Polling:
    govs = facts.GOVERNORATES
    n_districts = len(structure.districts)
    if stations < n_districts:
        raise ValueError(f"stations must be at least {n_districts} (one per district); got {stations}")
    district_gov = np.array([d.governorate for d in structure.districts])
    district_seats = np.array([d.seats for d in structure.districts], dtype=float)

    # Centres: about 8,273 per 55,041 stations (UNAMI No. 9), at least one regular centre per district.
    rng = rng_for(seed, "centres")
    n_centres = int(min(stations, max(n_districts, round(stations * facts.CENTRES / facts.STATIONS))))
    n_special = round(n_centres * SPECIAL_CENTRE_SHARE)
    n_idp = round(n_centres * IDP_CENTRE_SHARE)
    spare = n_centres - n_districts
    n_special = min(n_special, spare)
    n_idp = min(n_idp, spare - n_special)
    n_regular = n_centres - n_special - n_idp
    regular_per_district = largest_remainder(
        n_regular, district_seats * rng.lognormal(0.0, 0.1, n_districts), minimum=1)
    idp_weight = district_seats * np.array([IDP_WEIGHT.get(govs[g].iso, 0.05) for g in district_gov])
    centre_district = np.concatenate([
        np.repeat(np.arange(n_districts), regular_per_district),
        rng.choice(n_districts, size=n_special, p=district_seats / district_seats.sum()),
        rng.choice(n_districts, size=n_idp, p=idp_weight / idp_weight.sum()),
    ])
    centre_kind = np.concatenate([np.zeros(n_regular, np.int8),
                                  np.full(n_special, StationKind.SPECIAL, np.int8),
                                  np.full(n_idp, StationKind.IDP, np.int8)])
    # ids number centres governorate by governorate, district by district, in random order within a district
    order = np.lexsort((rng.random(n_centres), centre_district))
    centre_district, centre_kind = centre_district[order], centre_kind[order]
    centre_gov = district_gov[centre_district]
    gov_first = np.searchsorted(centre_gov, np.arange(len(govs)))
    centre_seq = np.arange(n_centres) - gov_first[centre_gov] + 1
    seq_width = max(5, len(str(int(centre_seq.max()))))
    gov_codes = pa.array([f"{g.code:02d}" for g in govs])
    centre_ids = pc.binary_join_element_wise(
        gov_codes.take(pa.array(centre_gov)),
        pc.utf8_lpad(pc.cast(pa.array(centre_seq), pa.string()), seq_width, "0"), "")

    # Stations: every centre has one, the rest spread with gamma weights (centres hold 1 to ~30 stations).
    per_centre = 1 + rng.multinomial(stations - n_centres, _normalised(rng.gamma(2.0, 1.0, n_centres)))
    centre_start = np.concatenate([[0], np.cumsum(per_centre)])
    station_centre = np.repeat(np.arange(n_centres), per_centre)
    number = np.arange(stations) - centre_start[station_centre] + 1
    number_width = max(2, len(str(int(per_centre.max()))))
    station_ids = pc.binary_join_element_wise(
        centre_ids.take(pa.array(station_centre)),
        pc.utf8_lpad(pc.cast(pa.array(number), pa.string()), number_width, "0"), "")

    # Registers: a few hundred voters each; a centre's last station takes the remainder and is smaller.
    rng = rng_for(seed, "registered")
    centre_mean = np.clip(rng.normal(REGISTERED_MEAN, 50.0, n_centres), 250.0, 560.0)
    stock = np.clip(np.rint(rng.normal(centre_mean[station_centre], 30.0)), 60, 600)
    last = (number == per_centre[station_centre]) & (per_centre[station_centre] > 1)
    stock[last] = np.maximum(40, np.rint(stock[last] * rng.uniform(0.25, 1.0, int(last.sum()))))
    stock = stock.astype(np.int64)
    station_kind = centre_kind[station_centre]
    registered = np.where(station_kind == StationKind.REGULAR, stock, -1)

    # Turnout: governorate mean, district shift, centre beta, station beta around the centre.
    rng = rng_for(seed, "turnout")
    gov_turnout = np.array([g.turnout for g in govs])
    district_shift = rng.normal(0.0, 0.15, n_districts)
    logit = np.log(gov_turnout[district_gov] / (1 - gov_turnout[district_gov])) + district_shift
    centre_mean_turnout = 1 / (1 + np.exp(-logit[centre_district]))
    centre_mean_turnout = np.select(
        [centre_kind == StationKind.SPECIAL, centre_kind == StationKind.IDP],
        [np.full(n_centres, facts.SPECIAL_TURNOUT), np.full(n_centres, facts.IDP_TURNOUT)],
        centre_mean_turnout)
    centre_turnout = _beta(rng, centre_mean_turnout, 30.0)
    station_turnout = _beta(rng, centre_turnout[station_centre], 300.0)
    voters = rng.binomial(stock, station_turnout).astype(np.int64)

    # Minority ballots: voters choosing a minority ballot are few and clustered (a few centres hold most).
    rng = rng_for(seed, "minority")
    station_gov = centre_gov[station_centre]
    minority = [i for i, c in enumerate(structure.contests) if c.district < 0]
    ballots = np.zeros((stations, len(minority)), dtype=np.int64)
    served = np.zeros((stations, len(minority)), dtype=bool)
    remaining = voters.copy()
    by_id = {m.contest_id: m for m in facts.MINORITY_CONTESTS}
    scale = stations / facts.STATIONS
    for j, ci in enumerate(minority):
        contest = structure.contests[ci]
        spec = by_id[contest.contest_id]
        mask = np.isin(station_gov, contest.governorates)
        served[:, j] = mask
        gov_weight = np.array([CHRISTIAN_WEIGHT.get(g.iso, 1.0) if spec.nationwide else 1.0 for g in govs])
        w = gov_weight[station_gov] * mask
        exposure = float((w * voters).sum())
        rate = spec.votes * scale / (1 - INVALID_RATE - BLANK_RATE) / exposure if exposure > 0 else 0.0
        centre_factor = rng.gamma(0.3, 1 / 0.3, n_centres)
        p = np.minimum(rate * w * centre_factor[station_centre], 0.5)
        ballots[:, j] = rng.binomial(remaining, p)
        remaining -= ballots[:, j]

    rng = rng_for(seed, "sheet-rates")
    invalid_rate = _beta(rng, np.full(n_centres, INVALID_RATE), 40.0)
    blank_rate = _beta(rng, np.full(n_centres, BLANK_RATE), 60.0)
    return Polling(centre_ids, centre_district, centre_gov, centre_kind, centre_start, invalid_rate,
                   blank_rate, station_ids, station_centre, registered, stock, voters, tuple(minority),
                   ballots, served)


def _normalised(w: np.ndarray) -> np.ndarray:
    return w / w.sum()
