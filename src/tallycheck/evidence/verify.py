"""Recompute every stored hash from the rows and say whether the store still holds what it claims."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from ..model import TABLES
from .canonical import election_digest, snapshot_digest, table_digest
from .store import ELECTION, Store, VersionInfo


@dataclass(frozen=True, slots=True)
class Check:
    version: str
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    checks: tuple[Check, ...]


def verify_version(v: VersionInfo, previous: VersionInfo | None) -> list[Check]:
    checks: list[Check] = []
    m = v.manifest
    try:
        document = json.loads((v.path / ELECTION).read_text("utf-8"))
        e = election_digest(document)
        tables = {spec.name: table_digest(pq.read_table(v.path / f"{spec.name}.parquet", schema=spec.arrow_schema), spec)
                  for spec in TABLES}
    except (OSError, ValueError) as exc:
        return [Check(v.name, False, f"{v.name}: cannot be read: {exc}")]
    ok_tables = True
    if e != m["election_sha256"]:
        ok_tables = False
        checks.append(Check(v.name, False, f"{v.name}: election.json hashes to {e}, manifest says {m['election_sha256']}"))
    for name, digest in tables.items():
        if digest != m["tables"][name]["sha256"]:
            ok_tables = False
            checks.append(Check(v.name, False, f"{v.name}: table {name} hashes to {digest}, manifest says "
                                               f"{m['tables'][name]['sha256']}"))
    snap = snapshot_digest(e, tables, [s.name for s in TABLES])
    if snap != m["snapshot_sha256"]:
        checks.append(Check(v.name, False, f"{v.name}: snapshot hashes to {snap}, manifest says {m['snapshot_sha256']}"))
    elif ok_tables:
        checks.append(Check(v.name, True, f"{v.name}: snapshot {snap} recomputed from its rows"))
    expected_parent = previous.snapshot_sha256 if previous else None
    if m.get("parent_snapshot_sha256") != expected_parent:
        checks.append(Check(v.name, False, f"{v.name}: names parent {m.get('parent_snapshot_sha256')}, but the "
                                           f"previous version is {expected_parent}"))
    return checks


def verify_store(store: Store) -> Verification:
    checks: list[Check] = []
    previous = None
    for v in store.versions():
        checks.extend(verify_version(v, previous))
        previous = v
    return Verification(all(c.ok for c in checks), tuple(checks))


def changed_inputs(package: Path, v: VersionInfo) -> list[str]:
    """Package files whose bytes differ from those the version was imported from (informational)."""
    changed = []
    for entry in v.manifest.get("inputs", []):
        path = Path(package) / entry["file"]
        if not path.is_file():
            changed.append(f"{entry['file']} (missing)")
            continue
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                h.update(chunk)
        if h.hexdigest() != entry["sha256"]:
            changed.append(entry["file"])
    return changed
