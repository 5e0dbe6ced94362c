"""Reading counts (votes, ballots, registered voters) as written by commissions and spreadsheets.

Accepted: ASCII, Arabic-Indic (U+0660..) and Eastern Arabic-Indic (U+06F0..) digits; thousands separators between
groups of three digits; a trailing ".0" left by spreadsheet exports. A dot is never a thousands separator, because
"1.234" may as well be a decimal that was never a count: refusing it beats guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_GROUPED = re.compile(r"[0-9]{1,3}(?:([,٬' \u00a0\u202f])[0-9]{3})(?:\1[0-9]{3})*")
_PLAIN = re.compile(r"[0-9]+")
_TRAILING_ZERO_DECIMAL = re.compile(r"([0-9]+)\.0+")
_INT64_MAX = 2**63 - 1


def parse_count(text: str) -> int | None:
    """A count from one cell, or None when the cell is not a whole number >= 0 (empty text included)."""
    s = text.strip().translate(_DIGITS)
    m = _TRAILING_ZERO_DECIMAL.fullmatch(s)
    if m:
        s = m.group(1)
    if _PLAIN.fullmatch(s):
        digits = s.lstrip("0") or "0"
    elif _GROUPED.fullmatch(s):
        digits = re.sub(r"[^0-9]", "", s).lstrip("0") or "0"
    else:
        return None
    # beyond a 64-bit integer (or int()'s digit limit) no count is meant: refuse rather than overflow
    return int(digits) if len(digits) <= 19 and int(digits) <= _INT64_MAX else None


@dataclass(frozen=True, slots=True)
class ParsedCounts:
    values: pa.Array  # int64, null where empty or malformed
    empty: np.ndarray  # indices of empty cells
    malformed: np.ndarray  # indices of cells that are not counts


def _only_ascii_digits(cells: pa.Array | pa.ChunkedArray) -> bool:
    """Every byte of every cell is 0-9 (two SIMD reductions over the value bytes; no cell is empty after a cast)."""
    for chunk in (cells.chunks if isinstance(cells, pa.ChunkedArray) else [cells]):
        if len(chunk) == 0:
            continue
        width = np.int64 if chunk.type == pa.large_string() else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset: chunk.offset + len(chunk) + 1]
        data = chunk.buffers()[2]
        if data is None or offsets[-1] == offsets[0]:
            return False
        used = np.frombuffer(data, dtype=np.uint8)[offsets[0]: offsets[-1]]
        if int(used.min()) < 0x30 or int(used.max()) > 0x39:
            return False
    return True


def parse_counts(cells: pa.Array) -> ParsedCounts:
    """Parse a column of text cells. Vectorised: the common all-ASCII column costs one Arrow cast."""
    none = np.empty(0, dtype=np.int64)
    try:
        values = pc.cast(cells, pa.int64())
        if len(values) == 0 or _only_ascii_digits(cells):
            # only plain digits: Arrow's cast alone also takes '-0' and hex ('0x10'), which parse_count refuses
            return ParsedCounts(values, none, none)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Slow path: parse each distinct spelling once (counts repeat a lot), then map back.
    distinct = pc.unique(cells)
    parsed = [parse_count(s) for s in distinct.to_pylist()]
    lookup = pc.index_in(cells, value_set=distinct)
    values = pc.take(pa.array(parsed, type=pa.int64()), lookup)
    is_empty = pc.equal(pc.utf8_trim_whitespace(cells), "").to_numpy(zero_copy_only=False)
    is_null = values.is_null().to_numpy(zero_copy_only=False)
    return ParsedCounts(values, np.flatnonzero(is_empty), np.flatnonzero(is_null & ~is_empty))
