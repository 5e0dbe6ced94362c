"""`tallycheck log export` and `tallycheck log verify`: an export of the room's event log verifies, and every kind
of tampering is caught at the first entry it touches (the chain: docs/recount-room.md, "The event log")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tallycheck.evidence.chain import GENESIS
from tallycheck.workflow.database import open_workflow
from tallycheck.workflow.event_log import head, log_event

from cli_runner import run

ENTRIES = 6


@pytest.fixture()
def logged(tmp_path: Path) -> tuple[Path, str]:
    """A package folder whose workflow database holds ENTRIES log entries, and the head hash."""
    package = tmp_path / "pkg"
    package.mkdir()
    engine = open_workflow(package / ".tallycheck")
    for i in range(ENTRIES):
        log_event(engine, actor="cli:clerk", role="cli", event="complaint.filed",
                  payload={"station_id": f"S{i}", "grounds": "صناديق محشوة"})  # non-ASCII: UTF-8 end to end
    _, sha = head(engine)
    engine.dispose()
    return package, sha


def _export(monkeypatch, capsys, package: Path, out: Path) -> list[str]:
    code, stdout, stderr = run(monkeypatch, capsys, "log", "export", package, "--out", out)
    assert code == 0, stderr
    return out.read_text(encoding="utf-8").splitlines()


def test_export_verifies_and_names_the_head(tmp_path, monkeypatch, capsys, logged) -> None:
    package, sha = logged
    lines = _export(monkeypatch, capsys, package, tmp_path / "log.jsonl")
    assert len(lines) == ENTRIES and [json.loads(x)["seq"] for x in lines] == list(range(1, ENTRIES + 1))
    code, stdout, stderr = run(monkeypatch, capsys, "log", "verify", tmp_path / "log.jsonl")
    assert code == 0, stderr
    assert f"{ENTRIES} entries verified; head {sha}" in stdout


def _rewrite(entry: dict, **fields) -> str:
    return json.dumps({**entry, **fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# (tampering, the entry it must name, its line): each edits the export of 6 entries
TAMPERINGS = {
    "payload changed": (lambda es: [*es[:2], _rewrite(json.loads(es[2]), payload={"station_id": "S9",
                                                                                   "grounds": "x"}), *es[3:]],
                        3, 3, "payload was changed"),
    "entry removed": (lambda es: [*es[:3], *es[4:]], 5, 4, "removed, inserted or reordered"),
    "entries reordered": (lambda es: [es[0], es[2], es[1], *es[3:]], 3, 2, "removed, inserted or reordered"),
    "hash edited": (lambda es: [*es[:4], _rewrite(json.loads(es[4]), sha256="f" * 64), *es[5:]], 5, 5,
                    "does not hash to its sha256"),
    "actor edited": (lambda es: [es[0], _rewrite(json.loads(es[1]), actor="cli:someone"), *es[2:]], 2, 2,
                     "a field was changed"),
    "entry removed and renumbered": (  # a careful forger renumbers: the broken link still gives it away
        lambda es: [*es[:2], *(_rewrite(json.loads(e), seq=json.loads(e)["seq"] - 1) for e in es[3:])], 3, 3,
        "the chain is broken"),
    "last entry edited and rehashed payload": (  # a new payload with its own payload hash: the entry hash fails
        lambda es: [*es[:5], _rewrite(json.loads(es[5]), payload=json.loads(es[0])["payload"],
                                      payload_sha256=json.loads(es[0])["payload_sha256"])], 6, 6,
        "does not hash to its sha256"),
}


@pytest.mark.parametrize("kind", list(TAMPERINGS))
def test_verify_names_the_first_tampered_entry(tmp_path, monkeypatch, capsys, logged, kind) -> None:
    package, _ = logged
    lines = _export(monkeypatch, capsys, package, tmp_path / "log.jsonl")
    tamper, seq, line, why = TAMPERINGS[kind]
    bad = tmp_path / "tampered.jsonl"
    bad.write_text("\n".join(tamper(lines)) + "\n", encoding="utf-8")
    code, stdout, stderr = run(monkeypatch, capsys, "log", "verify", bad)
    assert code == 1, (stdout, stderr)
    assert f"entry {seq} (line {line})" in stderr and why in stderr
    assert "verified" not in stdout


def test_verify_names_a_line_that_is_not_json(tmp_path, monkeypatch, capsys, logged) -> None:
    package, _ = logged
    lines = _export(monkeypatch, capsys, package, tmp_path / "log.jsonl")
    bad = tmp_path / "cut.jsonl"
    bad.write_text("\n".join([*lines[:3], lines[3][:40], *lines[4:]]) + "\n", encoding="utf-8")
    code, _, stderr = run(monkeypatch, capsys, "log", "verify", bad)
    assert code == 1 and "line 4: not JSON" in stderr


def test_empty_log_exports_and_verifies(tmp_path, monkeypatch, capsys) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    open_workflow(package / ".tallycheck").dispose()
    assert _export(monkeypatch, capsys, package, tmp_path / "log.jsonl") == []
    code, stdout, _ = run(monkeypatch, capsys, "log", "verify", tmp_path / "log.jsonl")
    assert code == 0 and f"0 entries verified; head {GENESIS}" in stdout


def test_usage_errors(tmp_path, monkeypatch, capsys) -> None:
    code, _, stderr = run(monkeypatch, capsys, "log", "verify", tmp_path / "missing.jsonl")
    assert code == 2 and "is not a file" in stderr
    package = tmp_path / "pkg"
    package.mkdir()
    code, _, stderr = run(monkeypatch, capsys, "log", "export", package, "--out", tmp_path / "x.jsonl")
    assert code == 2 and "no workflow database" in stderr
    assert not (tmp_path / "x.jsonl").exists()
