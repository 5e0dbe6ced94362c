"""CSV files (comma, semicolon, tab or pipe separated), already turned into UTF-8 bytes.

A fast path hands the bytes to Arrow's multi-threaded parser; it is taken only when the file has one line per row
(no blank lines, no line breaks inside quotes) and no control characters, so that data row i is file row i + 2 and
row numbers in problems stay exact. Anything odder goes through Python's csv module, which tracks every line.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..problems import Problem, problem
from .text_table import TOTAL_WORDS, TextTable

DELIMITERS = (",", ";", "\t", "|")
# Control characters a value may not hold (tab excepted).
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _first_line(data: bytes) -> bytes:
    end = data.find(b"\n")
    line = (data if end < 0 else data[:end]).rstrip(b"\r")
    return line.split(b"\r", 1)[0]  # classic Mac files end lines with a lone CR


def sniff_delimiter(header_line: str, known: frozenset[str]) -> str:
    """The separator that splits the header into the most known column names (then the most columns)."""
    def score(d: str) -> tuple[int, int]:
        names = [h.strip().strip('"').strip().lower() for h in header_line.split(d)]
        return (sum(n in known for n in names), len(names))
    return max(DELIMITERS, key=score)


def read_csv(data: bytes, file: str, encoding: str, known_columns: frozenset[str],
             count_columns: frozenset[str] = frozenset()) -> TextTable:
    first = _first_line(data)
    if not first.strip(b" \t\r,;|\""):
        return _read_slow(data, file, encoding, sniff_delimiter(_first_nonblank(data), known_columns))
    delimiter = sniff_delimiter(first.decode("utf-8", "replace"), known_columns)
    table = _read_fast(data, file, encoding, delimiter, count_columns)
    return table if table is not None else _read_slow(data, file, encoding, delimiter)


def _first_nonblank(data: bytes) -> str:
    for line in data.decode("utf-8", "replace").splitlines():
        if line.strip(" \t,;|\""):
            return line
    return ""


def _header(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _value_bytes(col: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's value bytes and offsets as numpy views (no copy)."""
    if col.type != pa.large_string():
        offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset: col.offset + len(col) + 1]
    else:
        offsets = np.frombuffer(col.buffers()[1], dtype=np.int64)[col.offset: col.offset + len(col) + 1]
    data = col.buffers()[2]
    return (np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)), offsets


def _scan(col: pa.Array | pa.ChunkedArray) -> tuple[bool, bool, bool]:
    """(holds a control character, is all ASCII, may need trimming), chunk by chunk over the value bytes."""
    control, ascii_only, trim = False, True, False
    for chunk in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        values, offsets = _value_bytes(chunk)
        used = values[offsets[0]: offsets[-1]] if len(offsets) else values[:0]
        if not len(used):
            continue
        low, high = int(used.min()), int(used.max())  # SIMD reductions: a clean column costs two passes
        control |= low < 0x20 and bool(np.count_nonzero((used < 0x20) & (used != 0x09)))
        control |= high >= 0x7F and bool(np.count_nonzero(used == 0x7F))
        ascii_only &= high < 0x80
        if not trim:
            # first and last byte of every value (an empty value reads a neighbour's: at worst a needless trim)
            first = values.take(offsets[:-1], mode="clip")
            last = values.take(offsets[1:] - 1, mode="clip")
            trim = bool(_TRIM_FIRST[first].any() or _TRIM_LAST[last].any())
    return control, ascii_only, trim


# Bytes that may start or end whitespace: ASCII space and tab, and the UTF-8 lead and last bytes of the Unicode
# spaces (U+00A0, U+1680, U+2000-U+200A, U+2028/9, U+202F, U+205F, U+3000). A hit only means "trim to be sure".
_TRIM_FIRST = np.zeros(256, dtype=bool)
_TRIM_FIRST[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xC2, 0xE1, 0xE2, 0xE3]] = True
_TRIM_LAST = np.zeros(256, dtype=bool)
_TRIM_LAST[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
            0x89, 0x8A, 0xA8, 0xA9, 0xAF, 0x9F]] = True


def _read_fast(data: bytes, file: str, encoding: str, delimiter: str,
               count_columns: frozenset[str] = frozenset()) -> TextTable | None:
    header = _header(_first_line(data).decode("utf-8"), delimiter)
    names = [f"c{i}" for i in range(len(header))]
    bad_rows: list[object] = []

    def on_invalid(row: object) -> str:
        bad_rows.append(row)
        return "skip"

    try:
        # Empty lines are not ignored and line breaks may not sit inside values: either one then breaks a row's
        # field count, which sends the file to the exact reader, so data row i is always file row i + 2 here.
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False,
                                             ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if bad_rows or len(header) < 2:
        return None  # blank lines, broken rows or line breaks in quotes: let the exact reader count lines
    columns = []
    for i in range(table.num_columns):
        col = table.column(i)  # chunked as parsed: combining 15M values would only copy them
        if header[i].strip().lower() in count_columns:
            columns.append(col)  # counts are trimmed as they are parsed, and refused if they hold anything else
            continue
        control, ascii_only, trim = _scan(col)
        if control:
            return None  # the exact reader names the row and column
        if not trim:
            columns.append(col)
        else:
            # the ASCII trim is three times faster than the Unicode one, which also removes no-break spaces
            columns.append(pc.ascii_trim_whitespace(col) if ascii_only else pc.utf8_trim_whitespace(col))
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return _finish(file, header, columns, rows, encoding, [])


def _read_slow(data: bytes, file: str, encoding: str, delimiter: str) -> TextTable:
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    cells: list[list[str]] = []
    rows: list[int] = []
    problems: list[Problem] = []
    previous_line = 0
    try:
        for record in reader:
            start = previous_line + 1
            previous_line = reader.line_num
            if not any(c.strip() for c in record):
                continue  # blank line, or a spreadsheet's ",,,," line: counted, not read
            if header is None:
                header = record
                continue
            if len(record) != len(header):
                problems.append(problem("row.field-count", file, start, None, len(record),
                                        f"Row {start} of {file} has {len(record)} fields; the header has "
                                        f"{len(header)}."))
                continue
            for j, value in enumerate(record):
                if _CONTROL_TEXT.search(value):
                    problems.append(problem("value.control-character", file, start, header[j].strip(),
                                            value.encode("unicode_escape").decode("ascii"),
                                            f"Row {start} of {file}, column {header[j].strip()}, holds a control "
                                            f"character (a line break, NUL or similar)."))
            cells.append(record)
            rows.append(start)
    except csv.Error as exc:
        problems.append(problem("file.unreadable", file, previous_line + 1, None, None,
                                f"{file} cannot be read as CSV near row {previous_line + 1}: {exc}."))
    if header is None:
        return TextTable(file, (), (), np.empty(0, np.int64), encoding,
                         tuple(problems) + (problem("file.empty", file, None, None, None, f"{file} has no header line."),))
    columns = [pa.array([r[j].strip() for r in cells], type=pa.string()) for j in range(len(header))]
    return _finish(file, header, columns, np.asarray(rows, dtype=np.int64), encoding, problems)


def _finish(file: str, header: list[str], columns: list[pa.Array], rows: np.ndarray, encoding: str,
            problems: list[Problem]) -> TextTable:
    # drop all-empty rows the fast reader kept (",,,," lines), then trailing total rows
    if len(columns) and len(rows) and pc.any(pc.equal(columns[0], "")).as_py():
        empty = np.ones(len(rows), dtype=bool)
        for col in columns:
            empty &= pc.equal(col, "").to_numpy(zero_copy_only=False)
        if empty.any():
            keep = pa.array(~empty)
            columns = [pc.filter(c, keep) for c in columns]
            rows = rows[~empty]
    columns, rows, skipped = drop_total_rows(file, columns, rows)
    return TextTable(file, tuple(h.strip().lstrip("\ufeff").strip() for h in header), tuple(columns), rows, encoding,
                     tuple(problems) + tuple(skipped))


def drop_total_rows(file: str, columns: list[pa.Array], rows: np.ndarray) -> tuple[list[pa.Array], np.ndarray, list[Problem]]:
    skipped: list[Problem] = []
    n = len(rows)
    while n and columns:
        first = columns[0][n - 1].as_py()
        if first.strip().lower() not in TOTAL_WORDS:
            break
        skipped.append(problem("row.total-skipped", file, int(rows[n - 1]), None, first,
                               f"Row {int(rows[n - 1])} of {file} is a total line ({first!r}); it is skipped."))
        n -= 1
    if skipped:
        columns = [c.slice(0, n) for c in columns]
        rows = rows[:n]
    return columns, rows, skipped[::-1]
