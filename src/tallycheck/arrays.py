"""Arrow columns as numpy arrays: the two conversions every columnar module (validation, tabulation, the
report, the screen) makes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def as_numpy(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return a.to_numpy(zero_copy_only=False)


def int_counts(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A count column as int64, an empty cell as 0."""
    return as_numpy(pc.fill_null(a, 0)).astype(np.int64)
