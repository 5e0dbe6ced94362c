"""A table as read from a file, before it is typed: every cell is text, every row knows its line in the file."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..problems import Problem

# First cells that mark a spreadsheet's total line rather than a data row.
TOTAL_WORDS = frozenset({"total", "totals", "grand total", "sum", "المجموع", "الإجمالي", "الاجمالي", "المجموع الكلي"})


@dataclass(frozen=True, slots=True)
class TextTable:
    file: str
    header: tuple[str, ...]
    columns: tuple[pa.Array, ...]  # one string array per header column, cells trimmed
    rows: np.ndarray  # int64: the file row (1 = header line) of each data row
    encoding: str
    problems: tuple[Problem, ...] = ()
    # per column index, the data-row indices whose cell was a number in a spreadsheet (ids may have lost zeros)
    numeric_cells: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def num_rows(self) -> int:
        return len(self.rows)
