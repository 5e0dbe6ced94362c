"""One Russian federal election from the shared Kobak/Shpilkin data as a `StationTable`, for forensics tests.

The parquet (`../shared/data/russia-federal-2004-2024/russia_core_2004_2024.parquet`, see its README)
holds one row per polling station (UIK) for 2004–2024. Mapping, as in Kobak's notebooks:
registered = voters, ballots = given (ballots issued), share_base = received (valid + invalid),
leader = leader (United Russia or Putin; Medvedev 2008; "yes" 2020), region = region,
centre = tik (territorial commission), station_id = "region/tik/uik" (unique).
Rows without data (2,268 in 2024) are dropped; every other row is kept: the methods apply their own
inclusion rules. Tests call `russia_or_skip(year)`, which skips with a reason when the shared data folder
is absent.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tallycheck.forensics.stations import StationTable

RUSSIA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "russia-federal-2004-2024"
RUSSIA_PARQUET = RUSSIA_DIR / "russia_core_2004_2024.parquet"
YEARS = (2004, 2007, 2008, 2011, 2012, 2016, 2018, 2020, 2021, 2024)


def russia_available() -> bool:
    return RUSSIA_PARQUET.is_file()


@functools.lru_cache(maxsize=4)
def load_russia(year: int) -> StationTable:
    """Every station of the `year` election that has data, in file order (cached, so arrays are read-only)."""
    if year not in YEARS:
        raise ValueError(f"no Russian federal election in {year}; years: {YEARS}")
    columns = ["region", "tik", "uik", "voters", "given", "received", "leader", "leader_name"]
    t = pq.read_table(RUSSIA_PARQUET, filters=[("year", "=", year)], columns=columns)
    t = t.filter(pc.is_valid(t["voters"]))
    region = np.asarray(t["region"].to_pylist(), dtype=object)
    tik = np.asarray(t["tik"].to_pylist(), dtype=object)
    # 18 rows of 2021 (remote electronic voting, per region and district) have no UIK number: the row number
    # keeps their ids unique
    uik = np.asarray([u if u is not None else f"row{i}" for i, u in enumerate(t["uik"].to_pylist())],
                     dtype=object)
    station_id = np.asarray([f"{r}/{k}/{u}" for r, k, u in zip(region, tik, uik)], dtype=object)

    def counts(name: str) -> np.ndarray:
        a = t[name].to_numpy().astype(np.int64)
        a.flags.writeable = False
        return a

    for a in (region, tik, station_id):
        a.flags.writeable = False
    n = t.num_rows
    kind = np.full(n, "", dtype=object)
    kind.flags.writeable = False
    return StationTable(station_id=station_id, registered=counts("voters"), ballots=counts("given"),
                        share_base=counts("received"), leader=counts("leader"), region=region, centre=tik,
                        kind=kind, leader_name=str(t["leader_name"][0]) if n else "leader")


def russia_or_skip(year: int) -> StationTable:
    """`load_russia(year)`, or skip the calling test when the shared data is not beside the repository."""
    if not russia_available():
        pytest.skip(f"shared Russian data not found at {RUSSIA_PARQUET} (see /work/shared/data/README.md)")
    return load_russia(year)
