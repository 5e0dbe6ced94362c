"""XLSX workbooks (the first worksheet), recognised by their bytes, not their name."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import numpy as np
import pyarrow as pa

from ..problems import problem
from .csv_format import drop_total_rows
from .text_table import TextTable

ZIP_MAGIC = b"PK\x03\x04"


def is_xlsx(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


def _cell_text(value: object) -> tuple[str, bool]:
    """The cell as text, and whether the spreadsheet stored it as a number."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        # whole floats are how spreadsheets store counts; anything else stays visible as malformed
        return (str(int(value)) if value.is_integer() else repr(value)), True
    if isinstance(value, dt.datetime):
        return value.isoformat(), False
    if isinstance(value, dt.date):
        return value.isoformat(), False
    return str(value).strip(), False


def read_xlsx(data: bytes, file: str) -> TextTable:
    from openpyxl import load_workbook  # imported here: only XLSX input pays for it

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return TextTable(file, (), (), np.empty(0, np.int64), "xlsx", (problem(
            "file.unreadable", file, None, None, None, f"{file} looks like an XLSX workbook but cannot be opened: {exc}."),))
    try:
        ws = wb.worksheets[0]
        header: list[str] | None = None
        cells: list[list[str]] = []
        numeric: list[list[bool]] = []
        rows: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            texts = [_cell_text(v) for v in values]
            if not any(t for t, _ in texts):
                continue
            if header is None:
                header = [t for t, _ in texts]
                while header and not header[-1]:
                    header.pop()  # formatting can stretch a sheet past its last real column
                continue
            width = len(header)
            texts = (texts + [("", False)] * width)[:width]
            cells.append([t for t, _ in texts])
            numeric.append([n for _, n in texts])
            rows.append(number)
    finally:
        wb.close()
    if header is None:
        return TextTable(file, (), (), np.empty(0, np.int64), "xlsx",
                         (problem("file.empty", file, None, None, None, f"{file} has no header row."),))
    columns = [pa.array([r[j] for r in cells], type=pa.string()) for j in range(len(header))]
    row_numbers = np.asarray(rows, dtype=np.int64)
    columns, row_numbers, skipped = drop_total_rows(file, columns, row_numbers)
    numeric_cells = {j: np.flatnonzero([numeric[i][j] for i in range(len(row_numbers))]) for j in range(len(header))}
    return TextTable(file, tuple(h.strip() for h in header), tuple(columns), row_numbers, "xlsx", tuple(skipped),
                     {j: v for j, v in numeric_cells.items() if len(v)})
