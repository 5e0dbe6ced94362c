"""The snapshot hashes of docs/format.md ("Snapshot hashes"), implemented from the text alone in plain Python.

Kept apart from tallycheck's own code (evidence/canonical.py) so that a test comparing the two checks the docs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq

US, RS = "\x1f", "\x1e"
# "the column names in the order of the tables above" and the keys, copied from the docs
DOCUMENTED_TABLES = {
    "areas": (["area_id", "name", "parent", "level"], ["area_id"]),
    "contests": (["contest_id", "name", "seats", "area", "women_seats", "group"], ["contest_id"]),
    "seat_areas": (["contest_id", "area", "seats"], ["contest_id", "area"]),
    "lists": (["list_id", "contest_id", "name"], ["contest_id", "list_id"]),
    "candidates": (["candidate_id", "contest_id", "name", "party", "gender", "group", "area", "list_id"],
                   ["contest_id", "candidate_id"]),
    "stations": (["station_id", "centre_id", "area", "registered", "kind"], ["station_id"]),
    "sheets": (["station_id", "contest_id", "ballots_cast", "invalid", "blank", "ballots_received", "ballots_unused",
                "ballots_spoiled"], ["station_id", "contest_id"]),
    "results": (["station_id", "contest_id", "candidate_id", "list_id", "votes"],
                ["station_id", "contest_id", "candidate_id", "list_id"]),
}


def documented_table_hash(rows: list[dict], columns: list[str], key: list[str]) -> str:
    """Step 1: a header row, then the rows sorted by key comparing UTF-8 bytes; U+001F between values, U+001E after
    each row; counts in plain decimal, absent values empty."""
    def text(v: object) -> str:
        return "" if v is None else str(v)

    ordered = sorted(rows, key=lambda r: tuple(text(r[k]).encode("utf-8") for k in key))
    body = US.join(columns) + RS + "".join(US.join(text(r[c]) for c in columns) + RS for r in ordered)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def documented_snapshot_hash(version_dir: Path) -> tuple[str, str, dict[str, str]]:
    """Steps 2 and 3 over a stored version folder: (snapshot hash, election hash, table hashes)."""
    election = hashlib.sha256((version_dir / "election.json").read_bytes()).hexdigest()
    tables = {}
    for name, (columns, key) in DOCUMENTED_TABLES.items():
        rows = pq.read_table(version_dir / f"{name}.parquet").to_pylist()
        tables[name] = documented_table_hash(rows, columns, key)
    text = "tallycheck-snapshot/1\n" + f"election {election}\n" + "".join(
        f"{name} {digest}\n" for name, digest in tables.items())
    return hashlib.sha256(text.encode("ascii")).hexdigest(), election, tables
