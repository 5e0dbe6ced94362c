"""Writing a new election package folder all or nothing: used by every writer of packages (synth, adapters)."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

# Identifiers and counts are written by Arrow without quotes; it refuses a value that would need them.
ID_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16)


def check_free(out: Path) -> None:
    """Refuse anything but a missing or empty folder: a user's data is never overwritten."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise FileExistsError(f"{out} exists and is not a folder; choose a new folder for the election "
                              "package.")
    if out.is_dir() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new or empty folder for the election package.")


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A fresh sibling folder to write into; renamed to `out` when the block ends without an exception."""
    check_free(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    stage.mkdir()
    try:
        yield stage
        check_free(out)
        if out.is_dir():
            out.rmdir()
        stage.rename(out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def write_small_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Tables with names: quoted only where a value needs it (csv module), UTF-8, `\n` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def write_table_csv(path: Path, table: pa.Table) -> None:
    """A small Arrow table through `write_small_csv` (null as an empty cell)."""
    columns = [c.to_pylist() for c in table.columns]
    write_small_csv(path, table.column_names, (("" if v is None else v for v in row) for row in zip(*columns)))


def write_id_csv(path: Path, table: pa.Table) -> None:
    """Identifiers and counts only: Arrow's writer, never quoted."""
    with pa.OSFile(str(path), "wb") as f:
        f.write((",".join(table.column_names) + "\n").encode("utf-8"))
        if table.num_rows:
            pacsv.write_csv(table, f, ID_CSV_OPTIONS)


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON's escapes are all valid in a TOML basic string
