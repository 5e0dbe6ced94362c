"""The station table every screening method reads, and the per-station evidence every method returns.

One row per polling station (per station and contest for an election package). Counts are int64; a station with
no register has `registered` = -1 (turnout methods skip it). `votes` (stations × candidates) is optional: digit
tests and within-centre share comparisons use it when present.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NO_REGISTER = -1


@dataclass(frozen=True, slots=True)
class StationTable:
    station_id: np.ndarray  # str (object) per station
    registered: np.ndarray  # int64; NO_REGISTER where the station has no register
    ballots: np.ndarray  # int64: ballots cast (turnout numerator)
    share_base: np.ndarray  # int64: the leader share's denominator (valid votes, or valid + invalid)
    leader: np.ndarray  # int64: votes of the screened candidate
    region: np.ndarray  # str per station ('' if unknown)
    centre: np.ndarray  # str per station ('' if unknown): stations of one centre share an electorate
    kind: np.ndarray  # str per station ('' if unknown): compare like with like (Afghan men's / women's stations)
    leader_name: str = "leader"
    contest: np.ndarray | None = None  # str per station where a package has several contests
    invalid: np.ndarray | None = None  # int64 invalid ballots, if published
    arithmetic_ok: np.ndarray | None = None  # bool: the sheet adds up (None: not checked / not available)
    votes: np.ndarray | None = None  # int64 (stations × candidates), all candidates' votes, if available
    candidates: tuple[str, ...] = field(default=())  # column names of `votes`

    def __len__(self) -> int:
        return len(self.station_id)

    @property
    def has_register(self) -> np.ndarray:
        return self.registered > 0

    def turnout(self) -> np.ndarray:
        """ballots / registered (nan without a register)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.registered > 0, self.ballots / np.maximum(self.registered, 1), np.nan)

    def leader_share(self) -> np.ndarray:
        """leader / share_base (nan where the base is 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.share_base > 0, self.leader / np.maximum(self.share_base, 1), np.nan)

    def subset(self, mask: np.ndarray) -> StationTable:
        """The stations where `mask` is true (same columns)."""
        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[mask]
        return StationTable(self.station_id[mask], self.registered[mask], self.ballots[mask], self.share_base[mask],
                            self.leader[mask], self.region[mask], self.centre[mask], self.kind[mask],
                            self.leader_name, pick(self.contest), pick(self.invalid), pick(self.arithmetic_ok),
                            pick(self.votes), self.candidates)


@dataclass(frozen=True, slots=True)
class StationEvidence:
    """One method's verdict on every station: a one-sided p-value (small = more suspicious; nan = not tested)
    and, for stations it tested, a short human reason ("turnout 100.0% (≥ 99%)")."""

    method: str
    p_value: np.ndarray  # float64 per station
    reasons: np.ndarray  # str (object) per station; '' where nothing to say
