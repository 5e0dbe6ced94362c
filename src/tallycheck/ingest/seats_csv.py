"""Reading a parliament's seats from a `party,seats` CSV file (one row per party; a row named `(independent)`
holds the seats won without a party).

Every error names the file, the row (counted from 1 at the header line, as a spreadsheet shows it), the column
and the rule (the rule ids of tallycheck.problems), and quotes the value. UTF-8 with or without a byte-order
mark and UTF-16 with one are read; the delimiter may be a comma, semicolon, tab or pipe; seats may be written
in Arabic-Indic digits or with thousands separators (ingest.counts).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..problems import Problem, problem
from .counts import parse_count
from .encoding import to_utf8

COLUMNS = ("party", "seats")


class SeatsFileError(ValueError):
    """The file cannot be read as party,seats rows; `problem` says where and by which rule."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class SeatRow:
    party: str  # as written (NFC), in its own script
    seats: int
    row: int


def _fail(rule: str, file: str, row: int | None, column: str | None, value: object, message: str) -> None:
    raise SeatsFileError(problem(rule, file, row, column, value, message))


def read_seats_csv(path: Path) -> list[SeatRow]:
    """The rows of a party,seats file, in file order; blank lines are skipped (and counted)."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail("file.missing", name, None, None, None, f"Cannot read {path}: {exc.strerror}.")
    decoded = to_utf8(data, name)
    if decoded.utf8 is None:
        assert decoded.problem is not None
        raise SeatsFileError(decoded.problem)
    text = decoded.utf8.decode("utf-8")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        _fail("file.empty", name, 1, None, None,
              f"{name} is empty: expected a header line with the columns {','.join(COLUMNS)}.")

    def known(d: str) -> int:
        return sum(h.strip().strip('"').lower() in COLUMNS for h in lines[0].split(d))

    delimiter = max(",;\t|", key=known)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        _fail("file.unreadable", name, None, None, None, f"{name} cannot be read as CSV: {exc}.")
    header = [h.strip().lower() for h in rows[0]]
    for column in COLUMNS:
        if header.count(column) == 0:
            _fail("file.column-missing", name, 1, column, delimiter.join(header),
                  f"{name} has no column {column!r} (rule file.column-missing): its header is "
                  f"{delimiter.join(header)!r}; expected the columns {','.join(COLUMNS)}.")
        if header.count(column) > 1:
            _fail("file.column-duplicate", name, 1, column, column,
                  f"Column {column!r} appears twice in the header of {name} (rule file.column-duplicate).")
    at = {c: header.index(c) for c in COLUMNS}
    out: list[SeatRow] = []
    first: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        party = unicodedata.normalize("NFC", cells[at["party"]].strip())
        raw = cells[at["seats"]]
        where = f"row {number} of {name}"
        if not party:
            _fail("value.required", name, number, "party", "",
                  f"Expected a party name in column party, {where} (rule value.required). Got an empty cell.")
        seats = parse_count(raw)
        if seats is None:
            _fail("value.not-a-count", name, number, "seats", raw,
                  f"Expected a whole number >= 0 in column seats, {where} (rule value.not-a-count). "
                  f"Got: {raw!r}.")
        if party in first:
            _fail("id.duplicate", name, number, "party", party,
                  f"Duplicate party {party!r} in column party, {where} (rule id.duplicate; first given in "
                  f"row {first[party]}).")
        first[party] = number
        out.append(SeatRow(party, seats, number))  # type: ignore[arg-type]
    if not out:
        _fail("file.empty", name, None, None, None, f"{name} has a header but no party rows.")
    return out
