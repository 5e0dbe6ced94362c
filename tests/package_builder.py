"""Building election packages for tests: the `tiny` fixture with some of its files replaced, or one from rows.

`make_package(folder, results=..., sheets=None, ...)`: every table not named is copied from the tiny package;
a table given as text is written as UTF-8, as bytes exactly as given, as None left out. A name with an extension
("results.xlsx") is written under that name instead of NAME.csv.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pyarrow.parquet as pq

from tallycheck.importing import import_package, validate_package
from tallycheck.problems import Problem

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
TINY = FIXTURES / "packages" / "tiny"
ODD = FIXTURES / "odd"
TINY_FILES = ("election.toml", "areas.csv", "contests.csv", "candidates.csv", "stations.csv", "sheets.csv",
              "results.csv")


def tiny_text(name: str) -> str:
    """A file of the tiny package as text (name without extension = NAME.csv)."""
    return (TINY / (name if "." in name else f"{name}.csv")).read_text("utf-8")


def make_package(folder: Path, **files: str | bytes | None) -> Path:
    """The tiny package in `folder`, with the given files replaced (text/bytes) or removed (None)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    replaced = {(k if "." in k else ("election.toml" if k == "election" else f"{k}.csv")): v
                for k, v in ((k.replace("__", "."), v) for k, v in files.items())}
    stems = {name.split(".")[0] for name in replaced}
    for name in TINY_FILES:
        if name not in replaced and name.split(".")[0] not in stems:
            shutil.copyfile(TINY / name, folder / name)
    for name, content in replaced.items():
        if content is None:
            continue
        (folder / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return folder


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """RFC 4180 text, as a spreadsheet writes it (None and "" both as an empty cell)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def problems_of(folder: Path, **kw: object) -> tuple[Problem, ...]:
    return validate_package(folder, **kw).validation.problems  # type: ignore[arg-type]


def where(problems: Iterable[Problem]) -> set[tuple[str, str, int | None, str | None]]:
    """(rule, file, row, column) of each problem: what a test compares."""
    return {(p.rule, p.file, p.row, p.column) for p in problems}


def tree_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under a folder (relative path -> hash); folders are listed with an empty hash."""
    folder = Path(folder)
    if not folder.exists():
        return {}
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
    return out


def imported(folder: Path, **kw: object):
    """Import a package that must be accepted; the WriteOutcome."""
    result = import_package(folder, **kw)  # type: ignore[arg-type]
    assert result.outcome is not None, [p.message for p in result.problems]
    return result.outcome


def parquet_rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def rows_as_set(rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> set[tuple]:
    return {tuple(r[c] for c in columns) for r in rows}
