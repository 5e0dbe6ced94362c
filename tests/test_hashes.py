"""Snapshot hashes can be recomputed from docs/format.md ("Snapshot hashes") alone, and catch any tampering."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from package_builder import TESTS, imported, make_package, tiny_text
from snapshot_recipe import DOCUMENTED_TABLES, documented_snapshot_hash
from tallycheck.evidence import Store, StoreError
from tallycheck.evidence.verify import verify_store
from tallycheck.model import TABLES

FORMAT_MD = TESTS.parent / "docs" / "format.md"


def test_documented_tables_are_the_model_tables() -> None:
    """Table order, column order and keys of the docs are those tallycheck hashes."""
    assert {s.name: (list(s.column_names), list(s.key)) for s in TABLES} == DOCUMENTED_TABLES
    assert [s.name for s in TABLES] == list(DOCUMENTED_TABLES)


def test_hashes_recomputed_from_the_docs_alone(tiny: Path) -> None:
    v = imported(tiny).version
    snapshot, election, tables = documented_snapshot_hash(v.path)
    assert v.manifest["election_sha256"] == election
    assert {name: t["sha256"] for name, t in v.manifest["tables"].items()} == tables
    assert v.snapshot_sha256 == snapshot


def test_election_json_is_canonical(tiny: Path) -> None:
    v = imported(tiny).version
    raw = (v.path / "election.json").read_bytes()
    doc = json.loads(raw)
    assert raw == json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert doc["date"] == "2021-10-10"  # a TOML date, written YYYY-MM-DD


def test_canonical_order_compares_utf8_bytes(tmp_path: Path) -> None:
    """Ids that sort differently by locale, by number or by case: byte-wise they are 'B' < 'a' < '\u00e9' < '\u0628'."""
    ids = ["\u0628", "a", "B", "10", "9", "\u00e9", "00"]
    stations = "station_id,centre_id,area,registered,kind\n" + "".join(f"{s},C,D1,,\n" for s in ids)
    sheets = "station_id,contest_id,ballots_cast,invalid,blank\n" + "".join(f"{s},D1,1,0,0\n" for s in ids)
    results = "station_id,contest_id,candidate_id,votes\n" + "".join(f"{s},D1,001,1\n" for s in ids)
    package = make_package(tmp_path / "pkg", stations=stations, sheets=sheets, results=results)
    v = imported(package).version
    stored = pq.read_table(v.path / "stations.parquet").column("station_id").to_pylist()
    assert stored == ["00", "10", "9", "B", "a", "\u00e9", "\u0628"]
    assert v.snapshot_sha256 == documented_snapshot_hash(v.path)[0]


# -- the DuckDB recipe printed in the docs --------------------------------------------------------------------------

def _documented_duckdb_sql() -> tuple[str, str]:
    text = FORMAT_MD.read_text("utf-8")
    m = re.search(r'duckdb -noheader -list -c "(.*?)" \| tr -d', text, flags=re.S)
    assert m, "the DuckDB recipe is gone from docs/format.md"
    sql = m.group(1)
    path = re.search(r"FROM '([^']+\.parquet)'", sql)
    assert path
    return sql, path.group(1)


def _duckdb_value(sql: str) -> str:
    con = duckdb.connect()
    try:
        [(value,)] = con.execute(sql).fetchall()
    finally:
        con.close()
    return value


def test_documented_duckdb_recipe_reproduces_the_results_hash(tiny: Path) -> None:
    v = imported(tiny).version
    sql, relative = _documented_duckdb_sql()
    assert relative == ".tallycheck/versions/v1/results.parquet"
    absolute = (tiny / relative).as_posix().replace("'", "''")
    value = _duckdb_value(sql.replace(f"'{relative}'", f"'{absolute}'"))
    # `tr -d '\n'`: the recipe's shell pipeline strips line ends before sha256sum
    digest = hashlib.sha256(value.replace("\n", "").encode("utf-8")).hexdigest()
    assert digest == v.manifest["tables"]["results"]["sha256"]


def test_documented_duckdb_recipe_with_list_votes_and_arabic_ids(tmp_path: Path) -> None:
    stations = tiny_text("stations").replace("0200102,02001", "م٠٢,02001")
    sheets = tiny_text("sheets").replace("0200102,D2", "م٠٢,D2")
    results = tiny_text("results").replace("0200102,D2", "م٠٢,D2").replace("\n", ",\n").replace(
        "candidate_id,votes,", "candidate_id,votes,list_id") + "0200101,D2,,0,L2\n"
    package = make_package(tmp_path / "pkg", stations=stations, sheets=sheets, results=results,
                           lists="list_id,contest_id,name\nL1,D1,List One\nL2,D2,List Two\n")
    v = imported(package).version
    sql, relative = _documented_duckdb_sql()
    value = _duckdb_value(sql.replace(f"'{relative}'", f"'{(v.path / 'results.parquet').as_posix()}'"))
    assert hashlib.sha256(value.replace("\n", "").encode("utf-8")).hexdigest() == \
        v.manifest["tables"]["results"]["sha256"]


# -- row order, verify, tampering -------------------------------------------------------------------------------------

def test_snapshot_hash_is_independent_of_input_row_order(tiny: Path) -> None:
    first = imported(tiny).version
    for name in ("results.csv", "candidates.csv", "stations.csv", "sheets.csv", "areas.csv"):
        lines = (tiny / name).read_text("utf-8").splitlines(keepends=True)
        body = lines[1:]
        random.Random(2021).shuffle(body)
        (tiny / name).write_text(lines[0] + "".join(body), "utf-8")
    again = imported(tiny)
    assert not again.created  # the re-import is a no-op
    assert again.version.snapshot_sha256 == first.snapshot_sha256


def test_snapshot_hash_is_independent_of_column_order(tiny: Path) -> None:
    first = imported(tiny).version
    rows = [line.split(",") for line in (tiny / "results.csv").read_text("utf-8").splitlines()]
    (tiny / "results.csv").write_text("".join(",".join([r[3], r[2], r[0], r[1]]) + "\n" for r in rows), "utf-8")
    assert imported(tiny).version.snapshot_sha256 == first.snapshot_sha256


def test_verify_passes_on_a_fresh_store(tiny: Path) -> None:
    imported(tiny)
    (tiny / "results.csv").write_text(tiny_text("results").replace(",60\n", ",61\n"), "utf-8")
    (tiny / "sheets.csv").write_text(tiny_text("sheets").replace("0100101,D1,160,4", "0100101,D1,160,3"), "utf-8")
    imported(tiny)
    result = verify_store(Store(tiny / ".tallycheck"))
    assert result.ok
    assert [c.version for c in result.checks] == ["v1", "v2"]


def _rewrite_parquet(path: Path, change) -> None:
    table = pq.read_table(path)
    path.chmod(0o644)  # versions are read-only: a tamperer has to chmod first
    pq.write_table(change(table), path)


def _one_more_vote(table: pa.Table) -> pa.Table:
    votes = table.column("votes").to_pylist()
    votes[0] += 1
    return table.set_column(table.schema.get_field_index("votes"), "votes", pa.array(votes, pa.int64()))


def test_verify_names_the_version_and_table_after_tampering(tiny: Path) -> None:
    imported(tiny)
    (tiny / "results.csv").write_text(tiny_text("results").replace(",60\n", ",59\n"), "utf-8")
    (tiny / "sheets.csv").write_text(tiny_text("sheets").replace("0100101,D1,160,4", "0100101,D1,160,5"), "utf-8")
    imported(tiny)
    _rewrite_parquet(tiny / ".tallycheck/versions/v1/results.parquet", _one_more_vote)
    result = verify_store(Store(tiny / ".tallycheck"))
    assert not result.ok
    failed = [c for c in result.checks if not c.ok]
    assert {c.version for c in failed} == {"v1"}
    assert any("table results" in c.message for c in failed)
    assert any(c.ok and c.version == "v2" for c in result.checks)


def test_verify_fails_a_table_not_in_canonical_order(tiny: Path) -> None:
    """Tables are stored in canonical order (docs); a reordered copy is not the snapshot that was hashed."""
    imported(tiny)
    _rewrite_parquet(tiny / ".tallycheck/versions/v1/stations.parquet", lambda t: t.take(pa.array([1, 0, 2, 3])))
    result = verify_store(Store(tiny / ".tallycheck"))
    assert not result.ok and any("table stations" in c.message for c in result.checks if not c.ok)


def test_verify_catches_edited_election_and_manifest(tiny: Path) -> None:
    v1 = imported(tiny).version
    (tiny / "results.csv").write_text(tiny_text("results").replace(",60\n", ",59\n"), "utf-8")
    (tiny / "sheets.csv").write_text(tiny_text("sheets").replace("0100101,D1,160,4", "0100101,D1,160,5"), "utf-8")
    imported(tiny)
    election = v1.path / "election.json"
    election.chmod(0o644)
    election.write_text(election.read_text("utf-8").replace("Tiny", "Tinier"), "utf-8")
    result = verify_store(Store(tiny / ".tallycheck"))
    assert not result.ok and any(c.version == "v1" and "election.json" in c.message for c in result.checks)
    # a forger who also rewrites v1's manifest breaks the chain: v2 names v1's old snapshot hash
    election.write_text(election.read_text("utf-8").replace("Tinier", "Tiny"), "utf-8")
    manifest = v1.path / "manifest.json"
    manifest.chmod(0o644)
    m = json.loads(manifest.read_text("utf-8"))
    m["snapshot_sha256"] = "0" * 64
    manifest.write_text(json.dumps(m), "utf-8")
    result = verify_store(Store(tiny / ".tallycheck"))
    failed = {c.version: c.message for c in result.checks if not c.ok}
    assert set(failed) == {"v1", "v2"} and "parent" in failed["v2"]


def test_verify_reports_an_unreadable_table(tiny: Path) -> None:
    v = imported(tiny).version
    path = v.path / "sheets.parquet"
    path.chmod(0o644)
    path.write_bytes(b"not parquet")
    result = verify_store(Store(tiny / ".tallycheck"))
    assert not result.ok and result.checks[0].version == "v1" and "cannot be read" in result.checks[0].message


# -- --version: names and hash prefixes -------------------------------------------------------------------------------

def test_version_references_resolve(tiny: Path) -> None:
    v1 = imported(tiny).version
    (tiny / "results.csv").write_text(tiny_text("results").replace(",60\n", ",59\n"), "utf-8")
    (tiny / "sheets.csv").write_text(tiny_text("sheets").replace("0100101,D1,160,4", "0100101,D1,160,5"), "utf-8")
    v2 = imported(tiny).version
    store = Store(tiny / ".tallycheck")
    table = [
        (None, "v2"), ("latest", "v2"), ("v1", "v1"), ("v2", "v2"),
        (v1.snapshot_sha256, "v1"), (v1.snapshot_sha256[:8], "v1"), (v2.snapshot_sha256[:12], "v2"),
        (v1.snapshot_sha256[:8].upper(), "v1"),
    ]
    for ref, name in table:
        assert store.resolve(ref).name == name, ref
    assert store.load(v1.snapshot_sha256[:8]).table("results").column("votes")[0].as_py() == 60


@pytest.mark.parametrize("ref", ["v3", "v0", "V1", "1", "abc", "0123456", "zzzzzzzz", "ffffffffffff"])
def test_unknown_version_references_are_refused_with_the_known_ones(tiny: Path, ref: str) -> None:
    v1 = imported(tiny).version
    store = Store(tiny / ".tallycheck")
    if v1.snapshot_sha256.startswith(ref.lower()):
        pytest.skip("the random hash happens to start with this prefix")
    with pytest.raises(StoreError, match="Known versions: v1"):
        store.resolve(ref)


def test_too_short_hash_prefix_is_not_accepted(tiny: Path) -> None:
    v1 = imported(tiny).version
    with pytest.raises(StoreError):
        Store(tiny / ".tallycheck").resolve(v1.snapshot_sha256[:7])


def test_empty_store_says_to_import_first(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="tallycheck import"):
        Store(tmp_path / ".tallycheck").resolve()
