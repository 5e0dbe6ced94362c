"""Station-level turnout and leading-choice share, vectorised over Arrow and numpy.

One value per station, each voter counted once exactly as `tabulate` counts areas (`tabulate.station_ballots`:
the sum of a station's sheets where each voter casts one ballot, else its largest sheet). The leading choice's
share is read from the station's largest sheet (its general contest). Turnout is
ballots cast over registered voters and exists only for stations with a register (special, displaced-persons and
security-forces stations have none). Floats here are statistics for charts, never totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import ElectionData
from ..tabulate import one_ballot_per_voter, station_ballots
from .messages import ENGLISH, Messages


@dataclass(frozen=True, slots=True)
class StationStats:
    station_id: pa.ChunkedArray  # the order of every array below (not the file's order)
    area: pa.ChunkedArray  # each station's area
    has_register: np.ndarray  # bool
    registered: np.ndarray  # int64, 0 where the station has no register
    has_sheet: np.ndarray  # bool
    ballots_cast: np.ndarray  # int64, each voter counted once (tabulate's rule); 0 where the station has no sheet
    turnout: np.ndarray  # float64, NaN where there is no register, no sheet or a register of 0
    leading_share: np.ndarray  # float64: the leading choice's share of the sheet's votes; NaN where no votes
    multi_sheet_stations: int  # stations with more than one sheet
    rule: str  # how a station's ballots were counted, in words

    @property
    def stations(self) -> int:
        return len(self.has_register)

    @property
    def in_turnout(self) -> np.ndarray:
        """Stations whose ballots count towards turnout: a register and a sheet (tabulate's rule)."""
        return self.has_register & self.has_sheet

    @property
    def over_registered(self) -> int:
        with np.errstate(invalid="ignore"):
            return int(np.sum(self.turnout > 1.0))


def _largest_sheets(sheets: pa.Table) -> tuple[pa.Table, int]:
    """Each station's largest sheet (ties: the lowest contest_id) and the count of stations with several sheets."""
    if sheets.num_rows == 0:
        return sheets, 0
    s = sheets.sort_by([("station_id", "ascending"), ("ballots_cast", "descending"), ("contest_id", "ascending")])
    sid = s.column("station_id").combine_chunks()
    same_as_previous = pc.equal(sid.slice(1), sid.slice(0, len(sid) - 1))
    first = pa.concat_arrays([pa.array([True]), pc.invert(same_as_previous)])
    multi = pc.count_distinct(sid.slice(1).filter(same_as_previous)).as_py()
    return s.filter(first), int(multi)


def _sheet_votes(results: pa.Table) -> pa.Table:
    """Per station and contest: the votes of all choices and of the leading one."""
    r = results.select(["station_id", "contest_id", "votes"])
    return r.group_by(["station_id", "contest_id"]).aggregate([("votes", "sum"), ("votes", "max")])


def station_stats(data: ElectionData) -> StationStats:
    stations = data.table("stations").select(["station_id", "area", "registered"])
    largest, multi = _largest_sheets(data.table("sheets").select(["station_id", "contest_id", "ballots_cast"]))
    largest = largest.join(_sheet_votes(data.table("results")), ["station_id", "contest_id"], join_type="left outer")
    largest = largest.drop_columns(["ballots_cast"])
    counted = station_ballots(data).select(["station_id", "ballots_cast"])
    frame = stations.join(largest, "station_id", join_type="left outer").join(counted, "station_id",
                                                                              join_type="left outer")
    frame = frame.sort_by("station_id")

    def ints(col: str) -> np.ndarray:
        return pc.fill_null(frame.column(col), 0).to_numpy().astype(np.int64)

    has_register = pc.is_valid(frame.column("registered")).to_numpy(zero_copy_only=False)
    has_sheet = pc.is_valid(frame.column("ballots_cast")).to_numpy(zero_copy_only=False)
    registered, cast = ints("registered"), ints("ballots_cast")
    votes_sum, votes_max = ints("votes_sum"), ints("votes_max")
    with np.errstate(divide="ignore", invalid="ignore"):
        turnout = np.where(has_register & has_sheet & (registered > 0), cast / np.maximum(registered, 1), np.nan)
        leading = np.where(votes_sum > 0, votes_max / np.maximum(votes_sum, 1), np.nan)
    return StationStats(frame.column("station_id"), frame.column("area"), has_register, registered, has_sheet, cast,
                        turnout, leading, multi,
                        SUM_OF_SHEETS if one_ballot_per_voter(data) else LARGEST_SHEET)


SUM_OF_SHEETS = "the sum of its sheets (each voter casts one ballot)"
LARGEST_SHEET = "its largest sheet (every voter receives each ballot)"


def rule_words(rule: str, messages: Messages = ENGLISH) -> str:
    """`StationStats.rule` in the report's language."""
    if rule == SUM_OF_SHEETS:
        return messages.gettext("the sum of its sheets (each voter casts one ballot)")
    if rule == LARGEST_SHEET:
        return messages.gettext("its largest sheet (every voter receives each ballot)")
    return rule
