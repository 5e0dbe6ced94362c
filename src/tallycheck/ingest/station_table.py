"""Any station-level table (CSV or Parquet, one row per polling station) as the screens' StationTable.

    t = read_station_table(Path("uiks.csv"), StationColumns(registered="voters", ballots="given",
                                                             share_base="received", leader="ur",
                                                             centre="tik"))

Columns are found by the names the mapping gives; the defaults are the StationTable's own field names. The
counts (ballots, share base, leader, and registered and invalid when mapped) must be whole numbers >= 0, read
as the package reader reads counts (Arabic-Indic digits and thousands separators accepted); an empty
`registered` cell means the station has no register. An unmapped optional column that is absent is simply not
used: no register anywhere, no centres (no within-centre test), one region, row numbers as station ids.

Every problem names the file, the row and the column: CSV rows are counted from 1 at the header line, as a
spreadsheet shows them; Parquet rows from 1 at the first data row (a Parquet file has no header line).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..forensics.stations import NO_REGISTER, StationTable
from .counts import parse_counts
from .csv_format import read_csv
from .encoding import to_utf8

MAX_LISTED = 5  # problems spelt out in one error message


@dataclass(frozen=True, slots=True)
class StationColumns:
    """Which column of the file holds each field (None: an optional field the file does not have)."""

    station: str | None = "station_id"
    registered: str | None = "registered"
    ballots: str = "ballots"
    share_base: str = "share_base"
    leader: str = "leader"
    region: str | None = "region"
    centre: str | None = "centre"
    kind: str | None = "kind"
    invalid: str | None = None


_REQUIRED = ("ballots", "share_base", "leader")
_COUNTS = ("registered", "ballots", "share_base", "leader", "invalid")
_OPTION = {"station": "--station", "registered": "--registered", "ballots": "--ballots",
           "share_base": "--share-base", "leader": "--leader", "region": "--region", "centre": "--centre",
           "kind": "--kind", "invalid": "--invalid"}


@dataclass(frozen=True, slots=True)
class CellProblem:
    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str


class StationTableError(ValueError):
    """The table cannot be read as asked; `problems` name file, row and column (the message lists the
    first)."""

    def __init__(self, problems: list[CellProblem]):
        self.problems = tuple(problems)
        shown = "\n".join(p.message for p in problems[:MAX_LISTED])
        more = len(problems) - MAX_LISTED
        super().__init__(shown + (f"\n... and {more} more problems of the same kind." if more > 0 else ""))


@dataclass(frozen=True, slots=True)
class _Raw:
    file: str
    header: tuple[str, ...]
    columns: dict[str, pa.Array | pa.ChunkedArray]
    rows: np.ndarray  # the row each data row is reported as
    is_parquet: bool


def _read(path: Path, encoding: str | None) -> _Raw:
    name = path.name
    if not path.is_file():
        raise StationTableError([CellProblem(name, None, None, None, f"{path} is not a file.")])
    data = path.read_bytes()
    if data[:4] == b"PAR1":
        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise StationTableError([CellProblem(name, None, None, None,
                                                 f"{name} cannot be read as Parquet: {exc}.")]) from None
        return _Raw(name, tuple(table.column_names), {c: table.column(c) for c in table.column_names},
                    np.arange(1, table.num_rows + 1, dtype=np.int64), True)
    decoded = to_utf8(data, name, encoding)
    if decoded.utf8 is None:
        p = decoded.problem
        raise StationTableError([CellProblem(name, p.row if p else None, None, p.value if p else None,
                                             p.message if p else f"{name} is not text.")])
    known = frozenset(v.lower() for v in _default_names())
    text = read_csv(decoded.utf8, name, decoded.encoding, known)
    errors = [p for p in text.problems if p.severity.value == "error"]
    if errors:
        raise StationTableError([CellProblem(p.file, p.row, p.column, p.value, p.message) for p in errors])
    if not text.header:
        raise StationTableError([CellProblem(name, None, None, None, f"{name} has no header line.")])
    return _Raw(name, text.header, dict(zip(text.header, text.columns)), text.rows, False)


def _default_names() -> list[str]:
    return [f.default for f in fields(StationColumns) if isinstance(f.default, str)]


def _where(raw: _Raw, row: int) -> str:
    return f"row {row} of {raw.file}" + (" (data rows counted from 1)" if raw.is_parquet else "")


def _counts(raw: _Raw, column: str, *, empty_ok: bool) -> tuple[np.ndarray, np.ndarray, list[CellProblem]]:
    """(values, empty mask, problems) of a count column."""
    col = raw.columns[column]
    n = len(raw.rows)
    if pa.types.is_integer(col.type):
        values = pc.fill_null(col, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        empty = pc.is_null(col).to_numpy(zero_copy_only=False)
        bad = np.flatnonzero((values < 0) & ~empty)
        text = [str(values[i]) for i in bad]
    elif pa.types.is_floating(col.type):
        f = pc.fill_null(col, np.nan).to_numpy(zero_copy_only=False).astype(np.float64)
        empty = np.isnan(f)
        whole = ~empty & (f >= 0) & (f == np.floor(f)) & (f < 2.0 ** 53)
        bad = np.flatnonzero(~empty & ~whole)
        values = np.where(whole, f, -1).astype(np.int64)
        text = [repr(float(f[i])) for i in bad]
    else:
        cells = pc.cast(col, pa.string())
        cells = cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells
        parsed = parse_counts(pc.fill_null(cells, ""))
        values = pc.fill_null(parsed.values, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        empty = np.zeros(n, bool)
        empty[parsed.empty] = True
        bad = parsed.malformed
        text = [cells[int(i)].as_py() for i in bad]
    problems = [
        CellProblem(
            raw.file,
            int(raw.rows[i]),
            column,
            v,
            f"Expected a whole number >= 0 in column {column}, {_where(raw, int(raw.rows[i]))}. Got: {v!r}.",
        )
        for i, v in zip(bad.tolist(), text)
    ]
    if not empty_ok:
        problems += [CellProblem(raw.file, int(raw.rows[i]), column, "",
                                 f"Column {column} is empty in {_where(raw, int(raw.rows[i]))}; a count is "
                                 "required there.") for i in np.flatnonzero(empty)]
    return values, empty, problems


def _texts(raw: _Raw, column: str) -> np.ndarray:
    col = pc.cast(raw.columns[column], pa.string())
    return np.asarray(pc.fill_null(col, "").to_pylist(), dtype=object)


def read_station_table(path: Path, columns: StationColumns = StationColumns(), *, encoding: str | None = None,
                       leader_name: str | None = None) -> StationTable:
    """Read a CSV or Parquet file of stations (module doc). Raises StationTableError naming file, row and
    column."""
    raw = _read(Path(path), encoding)
    present = {h: h for h in raw.header}
    lowered = {h.lower(): h for h in raw.header}
    problems: list[CellProblem] = []
    chosen: dict[str, str | None] = {}
    for f in fields(StationColumns):
        wanted = getattr(columns, f.name)
        explicit = wanted != f.default
        if wanted is None:
            chosen[f.name] = None
            continue
        found = present.get(wanted) or lowered.get(wanted.lower())
        if found is None and (explicit or f.name in _REQUIRED):
            problems.append(CellProblem(
                raw.file, 1 if not raw.is_parquet else None, wanted, None,
                f"{raw.file} has no column {wanted!r} for the {f.name.replace('_', ' ')}"
                f" (name the right one with {_OPTION[f.name]}). Its columns are: {', '.join(raw.header)}."))
        chosen[f.name] = found
    if problems:
        raise StationTableError(problems)
    if chosen["leader"] == chosen["share_base"]:
        raise StationTableError(
            [
                CellProblem(
                    raw.file,
                    None,
                    chosen["leader"],
                    None,
                    f"The leader and the share base are both column {chosen['leader']!r} "
                    f"of {raw.file}: every share would be 100%. Name the leader's votes "
                    "with --leader and the votes they are a share of with --share-base.",
                )
            ]
        )
    n = len(raw.rows)
    counts: dict[str, np.ndarray] = {}
    empty_register = np.zeros(n, bool)
    for name in _COUNTS:
        col = chosen.get(name)
        if col is None:
            continue
        values, empty, found = _counts(raw, col, empty_ok=name == "registered")
        problems += found
        counts[name] = values
        if name == "registered":
            empty_register = empty
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise StationTableError(problems)
    registered = np.where(empty_register, NO_REGISTER, counts["registered"]) if "registered" in counts \
        else np.full(n, NO_REGISTER, np.int64)
    station = _texts(raw, chosen["station"]) if chosen["station"] else \
        np.asarray([f"row {r}" for r in raw.rows.tolist()], dtype=object)

    def text_or_blank(name: str) -> np.ndarray:
        return _texts(raw, chosen[name]) if chosen[name] else np.full(n, "", dtype=object)

    return StationTable(
        station,
        registered.astype(np.int64),
        counts["ballots"],
        counts["share_base"],
        counts["leader"],
        text_or_blank("region"),
        text_or_blank("centre"),
        text_or_blank("kind"),
        leader_name or chosen["leader"] or "leader",
        invalid=counts.get("invalid"),
    )
