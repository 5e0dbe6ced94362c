"""The election package folder: find each file, read it in its format, and type its columns.

Cross-table rules (identifiers, ballots, sheet arithmetic) live in `tallycheck.validate`; this module only turns
files into typed tables and reports what cannot be read as meant.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import TABLES, ColumnKind, Election, TableSpec
from ..problems import Problem, problem
from . import toml_format
from .counts import parse_counts
from .csv_format import read_csv
from .encoding import to_utf8
from .text_table import TextTable
from .xlsx_format import is_xlsx, read_xlsx

EXTENSIONS = (".csv", ".xlsx")

_GENDERS = {"": "", "f": "F", "female": "F", "woman": "F", "w": "F", "أنثى": "F", "انثى": "F", "m": "M",
            "male": "M", "man": "M", "ذكر": "M", "x": "X", "other": "X"}


@dataclass(frozen=True, slots=True)
class InputFile:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class TypedTable:
    """A package table with typed columns, in file order, with the file row of each data row."""

    spec: TableSpec
    file: str | None  # None: optional table not given
    table: pa.Table
    rows: np.ndarray

    def row(self, i: int) -> int:
        return int(self.rows[i])


@dataclass(frozen=True, slots=True)
class PackageFiles:
    folder: Path
    election: Election | None
    election_document: dict
    tables: dict[str, TypedTable]
    inputs: tuple[InputFile, ...]
    problems: tuple[Problem, ...]
    encodings: dict[str, str] = field(default_factory=dict)


def find_table_file(folder: Path, name: str) -> Path | None:
    for ext in EXTENSIONS:
        p = folder / f"{name}{ext}"
        if p.is_file():
            return p
    return None


def read_package_files(folder: Path, *, encoding: str | None = None,
                       progress: Callable[[str], None] | None = None) -> PackageFiles:
    folder = Path(folder)
    problems: list[Problem] = []
    inputs: list[InputFile] = []
    toml_path = folder / toml_format.FILE
    election, document = None, {}
    if not toml_path.is_file():
        problems.append(problem("file.missing", toml_format.FILE, None, None, None,
                                f"{toml_format.FILE} is missing from {folder}."))
    else:
        raw = toml_path.read_bytes()
        inputs.append(InputFile(toml_format.FILE, hashlib.sha256(raw).hexdigest(), len(raw)))
        read = toml_format.read_election_toml(raw)
        election, document = read.election, read.document
        problems.extend(read.problems)
    tables: dict[str, TypedTable] = {}
    encodings: dict[str, str] = {}
    # Each file's SHA-256 runs in a thread while the file is parsed: hashlib and Arrow both leave the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashes = []
        _read_tables(folder, encoding, progress, pool, hashes, tables, encodings, problems)
        inputs.extend(InputFile(name, future.result(), size) for name, size, future in hashes)
    return PackageFiles(folder, election, document, tables, tuple(inputs), tuple(problems), encodings)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_tables(folder: Path, encoding: str | None, progress: Callable[[str], None] | None,
                 pool: ThreadPoolExecutor, hashes: list, tables: dict[str, TypedTable], encodings: dict[str, str],
                 problems: list[Problem]) -> None:
    for spec in TABLES:
        path = find_table_file(folder, spec.name)
        if path is None:
            if spec.required:
                problems.append(problem("file.missing", f"{spec.name}.csv", None, None, None,
                                        f"{spec.name}.csv (or .xlsx) is missing from {folder}."))
            tables[spec.name] = TypedTable(spec, None, spec.arrow_schema.empty_table(), np.empty(0, np.int64))
            continue
        if progress:
            progress(f"reading {path.name}")
        data = path.read_bytes()
        hashes.append((path.name, len(data), pool.submit(_sha256, data)))
        text = read_text_table(data, path.name, encoding, spec)
        encodings[path.name] = text.encoding
        del data
        typed, found = type_table(text, spec)
        problems.extend(found)
        tables[spec.name] = typed


def read_text_table(data: bytes, file: str, encoding: str | None, spec: TableSpec) -> TextTable:
    if is_xlsx(data):
        return read_xlsx(data, file)
    decoded = to_utf8(data, file, encoding)
    if decoded.utf8 is None:
        assert decoded.problem is not None
        return TextTable(file, (), (), np.empty(0, np.int64), decoded.encoding, (decoded.problem,))
    if not decoded.utf8[:4096].strip() and not decoded.utf8.strip():
        return TextTable(file, (), (), np.empty(0, np.int64), decoded.encoding,
                         (problem("file.empty", file, None, None, None, f"{file} is empty: no header line."),))
    counts = frozenset(c.name for c in spec.columns if c.kind is ColumnKind.COUNT)
    return read_csv(decoded.utf8, file, decoded.encoding, frozenset(spec.column_names), counts)


def type_table(text: TextTable, spec: TableSpec) -> tuple[TypedTable, list[Problem]]:
    file = text.file
    problems = list(text.problems)
    empty = TypedTable(spec, file, spec.arrow_schema.empty_table(), np.empty(0, np.int64))
    if not text.header:
        return empty, problems
    index: dict[str, int] = {}
    seen: set[str] = set()
    for j, name in enumerate(text.header):
        key = name.lower()
        if key in seen and key in spec.column_names:  # an ignored column may repeat; one that is read may not
            problems.append(problem("file.column-duplicate", file, 1, name, name,
                                    f"Column {name} appears twice in the header of {file}."))
            continue
        seen.add(key)
        if key in spec.column_names:
            index[key] = j
        elif key:
            problems.append(problem("file.column-ignored", file, 1, name, name,
                                    f"Column {name!r} of {file} is not part of the {spec.name} table; it is ignored."))
    missing = [c.name for c in spec.columns if c.required and c.name not in index]
    for name in missing:
        problems.append(problem("file.column-missing", file, 1, name, None,
                                f"{file} has no column {name}; its header is: {', '.join(text.header)}."))
    if missing or any(p.rule == "file.column-duplicate" for p in problems):
        return empty, problems
    n = text.num_rows
    rows = text.rows
    arrays: list[pa.Array] = []
    for col in spec.columns:
        if col.name not in index:
            arrays.append(pa.nulls(n, pa.int64()) if col.kind is ColumnKind.COUNT else empty_strings(n))
            continue
        j = index[col.name]
        cells = text.columns[j]
        header_name = text.header[j]
        if col.kind is ColumnKind.COUNT:
            parsed = parse_counts(cells)
            for i in parsed.malformed:
                value = cells[int(i)].as_py()
                problems.append(problem("value.not-a-count", file, int(rows[i]), header_name, value,
                                        f"Expected a whole number >= 0 in column {header_name}, row {int(rows[i])} "
                                        f"of {file}. Got: {value!r}."))
            if col.required and not col.nullable:
                for i in parsed.empty:
                    problems.append(_required(file, int(rows[i]), header_name))
            arrays.append(parsed.values)
            continue
        if col.required:
            for i in np.flatnonzero(pc.equal(cells, "").to_numpy(zero_copy_only=False)):
                problems.append(_required(file, int(rows[i]), header_name))
        if col.kind is ColumnKind.ID and j in text.numeric_cells:
            for i in text.numeric_cells[j][:1]:
                problems.append(problem(
                    "value.numeric-id", file, int(rows[i]), header_name, cells[int(i)].as_py(),
                    f"Column {header_name} of {file} holds identifiers stored as numbers (first at row "
                    f"{int(rows[i])}); leading zeros may have been lost. Format the column as text."))
        if col.kind is ColumnKind.GENDER:
            cells, bad = _genders(cells)
            for i in bad:
                value = text.columns[j][int(i)].as_py()
                problems.append(problem("value.not-in-vocabulary", file, int(rows[i]), header_name, value,
                                        f"Gender in row {int(rows[i])} of {file} must be F, M, X or empty. "
                                        f"Got: {value!r}."))
        arrays.append(cells)
    table = pa.Table.from_arrays(arrays, schema=spec.arrow_schema)
    return TypedTable(spec, file, table, rows), problems


def empty_strings(n: int) -> pa.Array:
    """n empty strings, built from buffers: an absent optional column of a 15M-row file costs nothing."""
    return pa.StringArray.from_buffers(n, pa.py_buffer(np.zeros(n + 1, np.int32).tobytes()), pa.py_buffer(b""))


def _required(file: str, row: int, column: str) -> Problem:
    return problem("value.required", file, row, column, "", f"Column {column}, row {row} of {file} is empty; "
                                                          f"a value is required.")


def _genders(cells: pa.Array) -> tuple[pa.Array, np.ndarray]:
    distinct = pc.unique(cells).to_pylist()
    mapped = [_GENDERS.get(v.strip().lower()) for v in distinct]
    codes = pc.index_in(cells, value_set=pa.array(distinct, type=pa.string()))
    out = pc.take(pa.array(mapped, type=pa.string()), codes)
    bad = np.flatnonzero(out.is_null().to_numpy(zero_copy_only=False))
    return pc.fill_null(out, ""), bad
