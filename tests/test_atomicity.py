"""All or nothing: a refused or interrupted import leaves the store byte for byte as it was (docs/format.md,
"Snapshots": "an interrupted or refused import leaves the store as it was"; "a later version never alters an
earlier one"; "Importing files whose content equals the latest version writes nothing")."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from package_builder import imported, tiny_text, tree_digest
from tallycheck.evidence import Store
from tallycheck.importing import import_package

pytestmark = pytest.mark.real_fsync  # the write path exactly as in production

ERRORS = {
    "error-in-results": ("results.csv", tiny_text("results").replace("0100101,D1,001,60", "0100101,D1,001,6o")),
    "missing-file": ("stations.csv", None),
    "schema": ("election.toml", 'name = ""\ndate = 2021-10-10\n[law]\nname = "iraq-2021"\n'),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_refused_import_writes_nothing_into_a_fresh_store(tiny: Path, case: str) -> None:
    name, content = ERRORS[case]
    if content is None:
        (tiny / name).unlink()
    else:
        (tiny / name).write_text(content, "utf-8")
    before = tree_digest(tiny)
    result = import_package(tiny)
    assert result.refused
    assert tree_digest(tiny) == before  # not even an empty .tallycheck folder
    assert not (tiny / ".tallycheck").exists()


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_refused_import_leaves_previous_versions_byte_for_byte(tiny: Path, case: str) -> None:
    imported(tiny)
    before = tree_digest(tiny / ".tallycheck")
    name, content = ERRORS[case]
    if content is None:
        (tiny / name).unlink()
    else:
        (tiny / name).write_text(content, "utf-8")
    assert import_package(tiny).refused
    assert tree_digest(tiny / ".tallycheck") == before
    assert [v.name for v in Store(tiny / ".tallycheck").versions()] == ["v1"]


def test_strict_import_with_warnings_is_refused_and_writes_nothing(tiny: Path) -> None:
    imported(tiny)
    before = tree_digest(tiny / ".tallycheck")
    # a sheet that does not add up: a warning (sheet.arithmetic), an error under --strict
    sheets = tiny / "sheets.csv"
    sheets.write_text(sheets.read_text("utf-8").replace("0100101,D1,160,4,", "0100101,D1,160,5,"), "utf-8")
    result = import_package(tiny, strict=True)
    assert result.refused
    assert {p.rule for p in result.problems} == {"sheet.arithmetic"}
    assert all(p.severity.value == "error" for p in result.problems)
    assert tree_digest(tiny / ".tallycheck") == before
    # without --strict the same files are accepted, with the warning recorded
    assert import_package(tiny).outcome.version.name == "v2"


def test_reimport_of_identical_files_is_a_no_op(tiny: Path) -> None:
    first = imported(tiny)
    before = tree_digest(tiny / ".tallycheck")
    again = imported(tiny)
    assert first.created and not again.created
    assert again.version.name == "v1"
    assert tree_digest(tiny / ".tallycheck") == before


def test_changed_file_makes_v2_and_leaves_v1_alone(tiny: Path) -> None:
    v1 = imported(tiny).version
    v1_files = tree_digest(v1.path)
    results = tiny / "results.csv"
    # a recount: station 0100101 gives candidate 002 one vote more and one invalid ballot less
    results.write_text(results.read_text("utf-8").replace("0100101,D1,002,50", "0100101,D1,002,51"), "utf-8")
    sheets = tiny / "sheets.csv"
    sheets.write_text(sheets.read_text("utf-8").replace("0100101,D1,160,4,", "0100101,D1,160,3,"), "utf-8")
    v2 = imported(tiny).version
    assert v2.name == "v2"
    assert v2.parent == "v1"
    assert v2.manifest["parent_snapshot_sha256"] == v1.snapshot_sha256
    assert v2.snapshot_sha256 != v1.snapshot_sha256
    assert tree_digest(v1.path) == v1_files
    store = Store(tiny / ".tallycheck")
    assert [v.name for v in store.versions()] == ["v1", "v2"]
    votes = {(r["station_id"], r["candidate_id"]): r["votes"] for r in store.load("v1").table("results").to_pylist()}
    assert votes[("0100101", "002")] == 50
    votes = {(r["station_id"], r["candidate_id"]): r["votes"] for r in store.load("v2").table("results").to_pylist()}
    assert votes[("0100101", "002")] == 51


def test_version_files_are_read_only(tiny: Path) -> None:
    v = imported(tiny).version
    files = sorted(p for p in v.path.iterdir())
    assert {p.name for p in files} >= {"manifest.json", "election.json", "problems.json", "results.parquet"}
    for p in files:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0, (p.name, oct(mode))
    if os.geteuid() != 0:  # root may write anything; elsewhere the mode is enforced
        with pytest.raises(PermissionError):
            (v.path / "results.parquet").write_bytes(b"")


def test_exception_mid_write_leaves_no_version_and_no_temp_folder(tiny: Path, monkeypatch) -> None:
    imported(tiny)
    before = tree_digest(tiny / ".tallycheck")
    sheets = tiny / "sheets.csv"
    sheets.write_text(sheets.read_text("utf-8").replace("0100101,D1,160,4,1,400", "0100101,D1,160,4,1,401"), "utf-8")
    real_write = pq.write_table
    written: list[str] = []

    def write_then_fail(table, where, *args, **kwargs):
        if written:
            raise OSError(28, "No space left on device (injected)")
        written.append(str(where))
        return real_write(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", write_then_fail)
    with pytest.raises(OSError, match="injected"):
        import_package(tiny)
    assert len(written) == 1  # it really failed after the first table
    assert tree_digest(tiny / ".tallycheck") == before  # no v2, no .v2-* temp folder
    assert sorted(p.name for p in (tiny / ".tallycheck" / "versions").iterdir()) == ["v1"]
    monkeypatch.undo()
    assert imported(tiny).version.name == "v2"  # and the store still works


def test_exception_mid_first_write_leaves_no_version(tiny: Path, monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while writing: BaseException, not Exception

    monkeypatch.setattr(pq, "write_table", fail)
    with pytest.raises(KeyboardInterrupt):
        import_package(tiny)
    versions = tiny / ".tallycheck" / "versions"
    assert not versions.exists() or list(versions.iterdir()) == []
    assert Store(tiny / ".tallycheck").versions() == []


def test_store_elsewhere_with_store_option(tiny: Path, tmp_path: Path) -> None:
    store = tmp_path / "evidence"
    outcome = import_package(tiny, store).outcome
    assert outcome is not None and outcome.version.path.parent == store / "versions"
    assert not (tiny / ".tallycheck").exists()
