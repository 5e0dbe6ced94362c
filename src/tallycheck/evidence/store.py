"""The store: a folder of immutable snapshot versions v1, v2, ... (Parquet + a manifest of SHA-256 hashes).

A version is written to a temporary folder and renamed into place in one step, under a lock, so a crash or a
refused import never leaves a half-written version, and an existing version is never rewritten. Each manifest names
its parent's snapshot hash, so the versions form a chain.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..ingest.toml_format import election_from_document
from ..model import TABLE_SPECS, TABLES, ElectionData
from ..problems import Problem
from .canonical import canonical_json, election_digest, snapshot_digest, table_digest

MANIFEST = "manifest.json"
PROBLEMS = "problems.json"
ELECTION = "election.json"
_VERSION_NAME = re.compile(r"v([1-9][0-9]*)")


class StoreError(Exception):
    """The store cannot answer: an unknown version, or a store that is not a tallycheck store."""


@dataclass(frozen=True, slots=True)
class VersionInfo:
    name: str
    number: int
    path: Path
    manifest: Mapping[str, Any]

    @property
    def snapshot_sha256(self) -> str:
        return self.manifest["snapshot_sha256"]

    @property
    def created(self) -> str:
        return self.manifest["created"]

    @property
    def parent(self) -> str | None:
        return self.manifest.get("parent")

    @property
    def warnings(self) -> int:
        return int(self.manifest.get("warnings", 0))

    def rows(self, table: str) -> int:
        return int(self.manifest["tables"][table]["rows"])


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    version: VersionInfo
    created: bool  # False: identical to the latest version, nothing written


@dataclass(frozen=True, slots=True)
class Digests:
    election: str
    tables: Mapping[str, str]
    snapshot: str


def compute_digests(data: ElectionData, election_document: Mapping[str, Any]) -> Digests:
    tables = {spec.name: table_digest(data.tables[spec.name], spec) for spec in TABLES}
    election = election_digest(election_document)
    return Digests(election, tables, snapshot_digest(election, tables, [s.name for s in TABLES]))


class Store:
    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    def versions(self) -> list[VersionInfo]:
        if not self.versions_dir.is_dir():
            return []
        found = []
        for p in self.versions_dir.iterdir():
            m = _VERSION_NAME.fullmatch(p.name)
            if m and (p / MANIFEST).is_file():
                manifest = json.loads((p / MANIFEST).read_text("utf-8"))
                found.append(VersionInfo(p.name, int(m.group(1)), p, manifest))
        return sorted(found, key=lambda v: v.number)

    def latest(self) -> VersionInfo | None:
        versions = self.versions()
        return versions[-1] if versions else None

    def resolve(self, ref: str | None = None) -> VersionInfo:
        """A version by name (v2), by snapshot hash or a prefix of it (at least 8 hex digits), or the latest."""
        versions = self.versions()
        if not versions:
            raise StoreError(f"No snapshot in {self.root}: run `tallycheck import` first.")
        if ref is None or ref == "latest":
            return versions[-1]
        for v in versions:
            if v.name == ref:
                return v
        if re.fullmatch(r"[0-9a-fA-F]{8,64}", ref):
            hits = [v for v in versions if v.snapshot_sha256.startswith(ref.lower())]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise StoreError(f"Hash prefix {ref} matches several versions: {', '.join(v.name for v in hits)}.")
        names = ", ".join(v.name for v in versions)
        raise StoreError(f"No version {ref!r} in {self.root}. Known versions: {names}.")

    def load(self, ref: str | None = None) -> ElectionData:
        v = self.resolve(ref)
        document = json.loads((v.path / ELECTION).read_text("utf-8"))
        election = election_from_document(document).election
        if election is None:
            raise StoreError(f"{v.path / ELECTION} does not hold a valid election.")
        tables = {spec.name: pq.read_table(v.path / f"{spec.name}.parquet", schema=spec.arrow_schema)
                  for spec in TABLES}
        return ElectionData(election, tables)

    def election_document(self, ref: str | None = None) -> dict[str, Any]:
        return json.loads((self.resolve(ref).path / ELECTION).read_text("utf-8"))

    def problems(self, ref: str | None = None) -> list[Problem]:
        path = self.resolve(ref).path / PROBLEMS
        return [Problem.from_dict(d) for d in json.loads(path.read_text("utf-8"))] if path.is_file() else []

    def parquet_path(self, table: str, ref: str | None = None) -> Path:
        if table not in TABLE_SPECS:
            raise KeyError(table)
        return self.resolve(ref).path / f"{table}.parquet"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def write(self, data: ElectionData, election_document: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]],
              problems: Sequence[Problem], *, encodings: Mapping[str, str] | None = None,
              digests: Digests | None = None) -> WriteOutcome:
        with self._locked():
            latest = self.latest()
            number = latest.number + 1 if latest else 1
            name = f"v{number}"
            self.versions_dir.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=self.versions_dir))
            try:
                # Hashing and Parquet encoding both run outside the GIL: overlap them on two cores.
                with ThreadPoolExecutor(max_workers=1) as pool:
                    pending = pool.submit(compute_digests, data, election_document) if digests is None else None
                    for spec in TABLES:
                        pq.write_table(data.tables[spec.name], tmp / f"{spec.name}.parquet",
                                       **_parquet_options(data.tables[spec.name]))
                    digests = pending.result() if pending is not None else digests
                assert digests is not None
                if latest is not None and latest.snapshot_sha256 == digests.snapshot:
                    shutil.rmtree(tmp, ignore_errors=True)
                    return WriteOutcome(latest, False)
                (tmp / ELECTION).write_bytes(canonical_json(election_document))
                (tmp / PROBLEMS).write_text(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=1),
                                            "utf-8")
                manifest = {
                    "format": "tallycheck-snapshot/1",
                    "version": name,
                    "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                    "tallycheck": __version__,
                    "snapshot_sha256": digests.snapshot,
                    "election_sha256": digests.election,
                    "tables": {spec.name: {"sha256": digests.tables[spec.name],
                                           "rows": data.tables[spec.name].num_rows} for spec in TABLES},
                    "inputs": list(inputs),
                    "encodings": dict(encodings or {}),
                    "warnings": len(problems),
                    "parent": latest.name if latest else None,
                    "parent_snapshot_sha256": latest.snapshot_sha256 if latest else None,
                }
                (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
                for f in tmp.iterdir():
                    with open(f, "rb") as fh:
                        os.fsync(fh.fileno())
                    f.chmod(0o444)  # a snapshot is evidence: nobody edits it in place
                tmp.chmod(0o755)  # mkdtemp makes it private; a snapshot is evidence meant to be read by all
                final = self.versions_dir / name
                os.rename(tmp, final)
                _fsync_dir(self.versions_dir)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return WriteOutcome(VersionInfo(name, number, final, manifest), True)


def _parquet_options(table: pa.Table) -> dict[str, Any]:
    """Snappy, and dictionary encoding only for columns with few distinct values (ids of contests, candidates):
    a dictionary of a million station ids overflows Parquet's dictionary page and costs more than it saves."""
    low = [f.name for f in table.schema if f.name in ("contest_id", "candidate_id", "list_id", "area", "party",
                                                       "gender", "group", "kind", "level", "parent")]
    # Statistics (min/max per row group) only for the leading keys: rows are sorted by them, so DuckDB can skip row
    # groups when asked for one station; on every column they cost a third of the writing time.
    keys = [f.name for f in table.schema if f.name in ("station_id", "contest_id", "area_id")]
    return {"compression": "snappy", "use_dictionary": low or False, "write_statistics": keys or False}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
