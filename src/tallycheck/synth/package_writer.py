"""Writing a synthetic election package (docs/format.md) all or nothing.

The files go into a hidden sibling folder that is renamed to the requested name at the end, so a crash or an
interrupt leaves no half-written package, and an existing non-empty folder is never touched. CSV files are
UTF-8 without a byte-order mark, with `\\n` line ends, the exact column names of docs/format.md, and quotes
only where a value needs them. The large tables are streamed chunk by chunk through pyarrow; their values are
identifiers and counts, which never need quotes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..package_folder import ID_CSV_OPTIONS, toml_string

SHEET_COLUMNS = ("station_id", "contest_id", "ballots_cast", "invalid", "blank", "ballots_received",
                 "ballots_unused", "ballots_spoiled")
RESULT_COLUMNS = ("station_id", "contest_id", "candidate_id", "votes")
STATION_COLUMNS = ("station_id", "centre_id", "area", "registered", "kind")
TRUTH_STATION_COLUMNS = ("station_id", "contest_id", "label", "favoured_candidate_id", "votes_added",
                         "votes_moved")


def write_election_toml(path: Path, name: str, date: str, country: str, law: str,
                        source: Sequence[tuple[str, object]]) -> None:
    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return toml_string(str(v))

    lines = [
        "# Synthetic data written by tallycheck.synth: NOT the results of any real election.",
        f"name = {toml_string(name)}",
        f"date = {date}",
        f"country = {toml_string(country)}",
        "",
        "[law]",
        f"name = {toml_string(law)}",
        "# each voter casts one ballot, for a general or a minority contest: a station's ballots are its sheets' sum",
        "one_ballot_per_voter = true",
        "",
        "[source]",
        *(f"{key} = {value(v)}" for key, v in source),
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


class StreamedTable:
    """A CSV file written in chunks of pyarrow columns (identifiers and counts only)."""

    def __init__(self, path: Path, columns: Sequence[str]):
        self.columns = tuple(columns)
        self.rows = 0
        self._file = pa.OSFile(str(path), "wb")
        self._file.write((",".join(self.columns) + "\n").encode("utf-8"))

    def write(self, *arrays: pa.Array | np.ndarray) -> None:
        table = pa.table([a if isinstance(a, (pa.Array, pa.ChunkedArray)) else pa.array(a) for a in arrays],
                         names=list(self.columns))
        if table.num_rows:
            pacsv.write_csv(table, self._file, ID_CSV_OPTIONS)
        self.rows += table.num_rows

    def close(self) -> None:
        self._file.close()


def optional_counts(values: np.ndarray) -> pa.Array:
    """Counts with -1 written as an empty cell."""
    return pa.array(values, mask=values < 0)
