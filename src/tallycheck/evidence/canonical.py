"""The canonical encoding that snapshot hashes are taken over (docs/format.md, "Snapshot hashes").

Hashes are taken over the rows, not over Parquet bytes, so that anyone can recompute them from the documented
encoding with any tool: a table's rows in key order, each value as UTF-8 text (integers in plain decimal, an absent
value as nothing), values separated by U+001F and each row, the header row first, ended by U+001E.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..model import TableSpec

FIELD_SEP = "\x1f"
ROW_END = "\x1e"
SNAPSHOT_PREFIX = b"tallycheck-snapshot/1\n"
_BATCH = 1 << 20


def _value_bytes(arr: pa.Array) -> memoryview:
    """The concatenated bytes of a string array's values (no copy)."""
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[arr.offset: arr.offset + len(arr) + 1]
    if len(arr) == 0:
        return memoryview(b"")
    return memoryview(buffers[2])[offsets[0]: offsets[-1]]


_WRITE = pacsv.WriteOptions(include_header=False, delimiter=FIELD_SEP, quoting_style="none", eol=ROW_END,
                            batch_size=1 << 16)


def encoded_rows(table: pa.Table) -> Iterable[bytes | memoryview]:
    """The canonical bytes of the table's rows, batch by batch, without a header."""
    for batch in table.to_batches(max_chunksize=_BATCH):
        # Arrow's CSV writer with these separators and no quoting writes exactly the canonical encoding, in C++;
        # it refuses a value holding a quote, and such (rare) batches are joined column by column instead.
        out = pa.BufferOutputStream()
        try:
            pacsv.write_csv(batch, out, _WRITE)
        except pa.ArrowInvalid:
            yield _joined(batch)
            continue
        yield out.getvalue()


def _joined(batch: pa.RecordBatch) -> memoryview:
    cols = []
    for col in batch.columns:
        text = col if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) else pc.cast(col, pa.string())
        cols.append(pc.fill_null(text, ""))
    line = pc.binary_join_element_wise(*cols, FIELD_SEP)
    # joining each row with an empty string appends exactly one row end
    line = pc.binary_join_element_wise(line, pa.scalar("", pa.string()), ROW_END)
    return _value_bytes(line)


def header_bytes(spec: TableSpec) -> bytes:
    return (FIELD_SEP.join(spec.column_names) + ROW_END).encode("utf-8")


def table_digest(table: pa.Table, spec: TableSpec) -> str:
    """SHA-256 of the header row and every row of a table already in canonical (key) order."""
    h = hashlib.sha256(header_bytes(spec))
    for chunk in encoded_rows(table.select(list(spec.column_names))):
        h.update(chunk)
    return h.hexdigest()


def canonical_json(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def election_digest(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


def snapshot_digest(election_sha256: str, table_sha256: Mapping[str, str], order: Iterable[str]) -> str:
    h = hashlib.sha256(SNAPSHOT_PREFIX)
    h.update(f"election {election_sha256}\n".encode("ascii"))
    for name in order:
        h.update(f"{name} {table_sha256[name]}\n".encode("ascii"))
    return h.hexdigest()
