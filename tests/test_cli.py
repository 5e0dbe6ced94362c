"""The `tallycheck` command: exit codes, JSON shapes and outputs (README.md "Commands"; docs/format.md, "Problems
and rules" for the problem shape and the exit codes 0 valid/imported, 1 refused, 2 usage error, 3 internal error).

Commands run in-process through `tallycheck.cli.main()` (the console-script entry point, which maps usage errors to
2 and bugs to 3), with `sys.argv` patched; one test runs the installed script in a subprocess.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

import tallycheck
from package_builder import ODD, TESTS, tiny_text
from tallycheck import cli

PROBLEM_KEYS = {"severity", "file", "row", "column", "rule", "value", "message"}






def _recount(package: Path) -> None:
    """A recount at station 0100101: candidate 002 gains a vote that had been counted invalid."""
    (package / "results.csv").write_text(tiny_text("results").replace("0100101,D1,002,50", "0100101,D1,002,51"),
                                         "utf-8")
    (package / "sheets.csv").write_text(tiny_text("sheets").replace("0100101,D1,160,4,", "0100101,D1,160,3,"),
                                        "utf-8")


# -- validate ---------------------------------------------------------------------------------------------------------

def test_validate_valid_package_json(tc, tiny: Path) -> None:
    code, out, _ = tc("validate", tiny, "--json")
    assert code == 0
    assert json.loads(out) == {"valid": True, "problems": []}
    assert not (tiny / ".tallycheck").exists()  # validate stores nothing


def test_validate_json_problem_shape(tc, tiny: Path) -> None:
    (tiny / "results.csv").write_text(tiny_text("results").replace("0100102,D1,003,35", "0100102,D1,003,12a"), "utf-8")
    (tiny / "stations.csv").write_text(tiny_text("stations").replace("0100102,01001,D1,380", "0100102,01001,D1,149"),
                                       "utf-8")
    code, out, _ = tc("validate", tiny, "--json")
    assert code == 1
    body = json.loads(out)
    assert set(body) == {"valid", "problems"} and body["valid"] is False
    for p in body["problems"]:
        assert set(p) == PROBLEM_KEYS
        assert p["severity"] in {"error", "warning"}
        assert p["row"] is None or isinstance(p["row"], int)
        assert p["value"] is None or isinstance(p["value"], str)
    # the example of docs/format.md, "Problems and rules", row for row
    assert {"severity": "error", "file": "results.csv", "row": 8, "column": "votes", "rule": "value.not-a-count",
            "value": "12a", "message": "Expected a whole number >= 0 in column votes, row 8 of results.csv. Got: '12a'."
            } in body["problems"]


def test_validate_warnings_only_is_valid(tc, tiny: Path) -> None:
    (tiny / "sheets.csv").write_text(tiny_text("sheets").replace("0100101,D1,160,4,", "0100101,D1,160,5,"), "utf-8")
    code, out, _ = tc("validate", tiny, "--json")
    assert code == 0
    body = json.loads(out)
    assert body["valid"] is True
    assert [(p["rule"], p["severity"], p["row"]) for p in body["problems"]] == [("sheet.arithmetic", "warning", 2)]
    code, out, _ = tc("validate", tiny, "--json", "--strict")
    assert code == 1
    assert [(p["rule"], p["severity"]) for p in json.loads(out)["problems"]] == [("sheet.arithmetic", "error")]


def test_validate_plain_output_in_a_pipe(tc, tiny: Path) -> None:
    (tiny / "results.csv").write_text(tiny_text("results").replace("0100102,D1,003,35", "0100102,D1,003,12a"), "utf-8")
    code, out, err = tc("validate", tiny)
    assert code == 1
    lines = [line.split("\t") for line in out.splitlines()]
    assert lines[0] == ["severity", "file", "row", "column", "rule", "value", "message"]
    assert ["error", "results.csv", "8", "votes", "value.not-a-count", "12a"] in [line[:6] for line in lines[1:]]
    # the vote that was lost makes sheet 0100102 (sheets.csv row 3) not add up: reported too, as a warning
    assert ["warning", "sheets.csv", "3", "ballots_cast", "sheet.arithmetic", "150"] in [line[:6] for line in lines]
    assert "refused" in err


def test_validate_legacy_encoding(tc, tiny: Path) -> None:
    (tiny / "candidates.csv").write_bytes((ODD / "candidates.cp1256.csv").read_bytes())
    code, out, _ = tc("validate", tiny, "--json")
    assert code == 1
    p = json.loads(out)["problems"][0]  # then every result row's candidate, unknown as candidates.csv is unread
    assert (p["rule"], p["file"], p["row"]) == ("file.undecodable", "candidates.csv", 2)
    assert "--encoding cp1256" in p["message"]
    assert tc("validate", tiny, "--json", "--encoding", "cp1256")[0] == 0


# -- exit code 2: usage errors ---------------------------------------------------------------------------------------

def test_usage_errors_exit_2(tc, tiny: Path, tmp_path: Path) -> None:
    cases = [
        ("not a folder", ["validate", tmp_path / "nowhere"]),
        ("a file, not a folder", ["import", tiny / "results.csv"]),
        ("unknown option", ["validate", tiny, "--bogus"]),
        ("unknown --by", ["tabulate", tiny, "--by", "colour"]),
        ("unknown --format", ["tabulate", tiny, "--format", "pdf"]),
        ("missing argument", ["validate"]),
        ("verify before any import", ["verify", tiny]),
        ("tabulate before any import", ["tabulate", tiny]),
        ("unknown encoding", ["validate", tiny, "--encoding", "klingon-1"]),
    ]
    for label, args in cases:
        code, _, err = tc(*args)
        assert code == 2, (label, code, err)
        assert err.strip(), label  # says why
        assert "Internal error" not in err, label


def test_unknown_version_exits_2_naming_the_known_ones(tc, tiny: Path) -> None:
    assert tc("import", tiny)[0] == 0
    for args in (["tabulate", tiny, "--version", "v9"], ["diff", "v1", "v9", "-p", tiny],
                 ["tabulate", tiny, "--version", "deadbeef"]):
        code, _, err = tc(*args)
        assert code == 2, args
        assert "Known versions: v1" in err


# -- exit code 3: a bug ------------------------------------------------------------------------------------------------

def test_internal_error_exits_3_with_a_trace(tc, tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("injected bug")

    monkeypatch.setattr(cli, "validate_package", broken)
    code, _, err = tc("validate", tiny)
    assert code == 3
    assert "Internal error" in err and "please report it" in err
    assert "RuntimeError: injected bug" in err  # the trace is kept


def test_internal_error_in_tabulate_exits_3(tc, tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tallycheck.tabulate

    assert tc("import", tiny)[0] == 0
    monkeypatch.setattr(tallycheck.tabulate, "tabulate", lambda data: 1 / 0)
    code, _, err = tc("tabulate", tiny)
    assert code == 3 and "ZeroDivisionError" in err


# -- import, versions, diff --------------------------------------------------------------------------------------------

def test_import_json_and_idempotence(tc, tiny: Path) -> None:
    code, out, _ = tc("import", tiny, "--json")
    assert code == 0
    body = json.loads(out)
    assert body["imported"] is True and body["version"] == "v1" and body["created"] is True
    assert re.fullmatch(r"[0-9a-f]{64}", body["snapshot_sha256"])
    assert body["problems"] == []
    code, out, _ = tc("import", tiny, "--json")
    again = json.loads(out)
    assert code == 0 and again["created"] is False and again["version"] == "v1"
    assert again["snapshot_sha256"] == body["snapshot_sha256"]
    code, out, _ = tc("import", tiny)
    assert code == 0 and "Nothing to do" in out


def test_import_refused_exits_1_and_writes_nothing(tc, tiny: Path) -> None:
    (tiny / "stations.csv").unlink()
    code, out, _ = tc("import", tiny, "--json")
    assert code == 1
    body = json.loads(out)
    assert body["imported"] is False and "version" not in body
    assert (body["problems"][0]["rule"], body["problems"][0]["file"]) == ("file.missing", "stations.csv")
    assert not (tiny / ".tallycheck").exists()
    code, _, err = tc("import", tiny)
    assert code == 1 and "Nothing was written" in err


def test_import_strict_with_warning_exits_1(tc, tiny: Path) -> None:
    (tiny / "stations.csv").write_text(tiny_text("stations") + "0200103,02001,D2,,special\n", "utf-8")
    assert tc("import", tiny, "--strict")[0] == 1
    assert not (tiny / ".tallycheck").exists()
    code, out, _ = tc("import", tiny, "--json")
    assert code == 0
    assert [p["rule"] for p in json.loads(out)["problems"]] == ["station.no-results"]


def test_import_to_another_store(tc, tiny: Path, tmp_path: Path) -> None:
    store = tmp_path / "evidence"
    assert tc("import", tiny, "--store", store)[0] == 0
    assert (store / "versions" / "v1" / "manifest.json").is_file()
    code, out, _ = tc("versions", tiny, "--store", store, "--json")
    assert code == 0 and [v["version"] for v in json.loads(out)] == ["v1"]


def test_versions_json(tc, tiny: Path) -> None:
    code, out, _ = tc("versions", tiny, "--json")
    assert code == 0 and json.loads(out) == []
    tc("import", tiny)
    _recount(tiny)
    tc("import", tiny)
    code, out, _ = tc("versions", tiny, "--json")
    assert code == 0
    versions = json.loads(out)
    assert [v["version"] for v in versions] == ["v1", "v2"]
    assert [v["parent"] for v in versions] == [None, "v1"]
    assert {"created", "snapshot_sha256", "warnings", "results_rows", "inputs"} <= set(versions[0])
    assert versions[0]["results_rows"] == 14  # results.csv of the tiny fixture has 14 rows
    assert {i["file"] for i in versions[0]["inputs"]} == {"election.toml", "areas.csv", "contests.csv",
                                                          "candidates.csv", "stations.csv", "sheets.csv", "results.csv"}


def test_diff_after_a_recount(tc, tiny: Path) -> None:
    tc("import", tiny)
    _recount(tiny)
    code, out, _ = tc("import", tiny, "--json")
    assert code == 0 and json.loads(out)["version"] == "v2"
    code, out, _ = tc("diff", "v1", "v2", "-p", tiny, "--json")
    assert code == 0
    body = json.loads(out)
    assert (body["from"], body["to"]) == ("v1", "v2")
    assert body["results"] == [{"station_id": "0100101", "contest_id": "D1", "candidate_id": "002", "list_id": "",
                                "old_votes": 50, "new_votes": 51, "change": 1}]
    assert body["sheets"] == [{"station_id": "0100101", "contest_id": "D1", "column": "invalid", "old": 4, "new": 3}]
    assert body["stations"] == []
    # candidate 002 had 50 + 40 = 90 votes (results.csv rows 3 and 7), now 91
    assert body["totals"] == [{"contest_id": "D1", "candidate_id": "002", "list_id": "", "old_votes": 90,
                               "new_votes": 91, "change": 1}]


def test_diff_by_hash_prefix_and_on_a_terminal_free_pipe(tc, tiny: Path) -> None:
    _, out, _ = tc("import", tiny, "--json")
    v1 = json.loads(out)["snapshot_sha256"]
    _recount(tiny)
    _, out, _ = tc("import", tiny, "--json")
    v2 = json.loads(out)["snapshot_sha256"]
    code, out, _ = tc("diff", v1[:8], v2[:10], "--package", tiny, "--json")
    assert code == 0 and (json.loads(out)["from"], json.loads(out)["to"]) == ("v1", "v2")
    code, out, _ = tc("diff", "v1", "v2", "-p", tiny)
    assert code == 0 and "1 result rows" in out.replace(",", "")


def test_diff_of_a_version_with_itself_is_empty(tc, tiny: Path) -> None:
    tc("import", tiny)
    body = json.loads(tc("diff", "v1", "v1", "-p", tiny, "--json")[1])
    assert body["results"] == body["sheets"] == body["stations"] == body["totals"] == []


# -- tabulate ---------------------------------------------------------------------------------------------------------

# Votes per party in the tiny fixture, summed by hand from results.csv and candidates.csv:
# Party A = 001 (60+55) + 003 (30+35) + 005 (80+30) = 290; Party B = 002 (50+40) + 007 (40+30) = 160;
# Party C = 006 (45+28) = 73; Huda Jasim (004, no party) = 15+15 = 30. Total 553.
TINY_PARTIES = {"Party A": 290, "Party B": 160, "Party C": 73, "(independent)": 30}


def test_tabulate_by_party_csv(tc, tiny: Path) -> None:
    tc("import", tiny)
    code, out, _ = tc("tabulate", tiny, "--by", "party", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["party"]: int(r["votes"]) for r in rows} == TINY_PARTIES
    assert [r["party"] for r in rows] == ["Party A", "Party B", "Party C", "(independent)"]  # by votes, descending


def test_tabulate_by_party_json_and_out_file(tc, tiny: Path, tmp_path: Path) -> None:
    tc("import", tiny)
    code, out, _ = tc("tabulate", tiny, "--by", "party", "--format", "json")
    assert code == 0
    assert {r["party"]: r["votes"] for r in json.loads(out)} == TINY_PARTIES
    target = tmp_path / "parties.json"
    assert tc("tabulate", tiny, "--by", "party", "--format", "json", "--out", target)[0] == 0
    assert json.loads(target.read_text("utf-8")) == json.loads(out)
    target = tmp_path / "parties.csv"
    assert tc("tabulate", tiny, "--by", "party", "--format", "csv", "--out", target)[0] == 0
    assert {r["party"]: int(r["votes"]) for r in csv.DictReader(io.StringIO(target.read_text("utf-8")))} == TINY_PARTIES


def test_tabulate_by_contest_json(tc, tiny: Path) -> None:
    tc("import", tiny)
    code, out, _ = tc("tabulate", tiny, "--format", "json")
    assert code == 0
    contests = {r["contest_id"]: r for r in json.loads(out)}
    # D1: sheets rows 2-3 (160 + 150 cast, 4 + 3 invalid, 1 + 2 blank), results 300 valid; D2: 170 + 90, 5 + 2, 0
    assert {k: (v["ballots_cast"], v["invalid"], v["blank"], v["valid_votes"]) for k, v in contests.items()} == {
        "D1": (310, 7, 3, 300), "D2": (260, 7, 0, 253)}
    # turnout only over stations with a register: 0200102 is a special station (stations.csv row 5)
    assert contests["D1"]["turnout"] == pytest.approx(310 / 780)
    assert contests["D2"]["turnout"] == pytest.approx(170 / 420)


def test_tabulate_candidates_of_one_contest_by_version(tc, tiny: Path) -> None:
    _, out, _ = tc("import", tiny, "--json")
    v1 = json.loads(out)["snapshot_sha256"]
    _recount(tiny)
    tc("import", tiny)
    for ref, votes_002 in (("v1", 90), (v1[:8], 90), ("v2", 91), (None, 91)):
        args = ["tabulate", tiny, "--by", "candidate", "--contest", "D1", "--format", "json"]
        code, out, _ = tc(*(args + (["--version", ref] if ref else [])))
        assert code == 0, ref
        rows = json.loads(out)
        assert {r["contest_id"] for r in rows} == {"D1"} and len(rows) == 4
        assert {r["candidate_id"]: r["votes"] for r in rows}["002"] == votes_002, ref


def test_tabulate_lists_candidates_without_any_result_row(tc, tiny: Path) -> None:
    (tiny / "candidates.csv").write_text(tiny_text("candidates") + "008,D2,Noor Ali,Party C,F,,\n", "utf-8")
    assert tc("import", tiny)[0] == 0
    code, out, _ = tc("tabulate", tiny, "--by", "candidate", "--format", "json", "--contest", "D2")
    assert code == 0
    assert {r["candidate_id"]: r["votes"] for r in json.loads(out)} == {"005": 110, "006": 73, "007": 70, "008": 0}


def test_tabulate_by_area_levels(tc, tiny: Path) -> None:
    tc("import", tiny)
    code, out, _ = tc("tabulate", tiny, "--by", "party-area", "--level", "district", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {r["level"] for r in rows} == {"district"}
    assert sum(r["votes"] for r in rows) == 553
    code, out, _ = tc("tabulate", tiny, "--by", "area", "--format", "json")
    areas = {r["area_id"]: r for r in json.loads(out)}
    assert areas["IQ"]["ballots_cast"] == 570 and areas["IQ"]["stations"] == 4


# -- verify ------------------------------------------------------------------------------------------------------------

def test_verify_fresh_then_tampered(tc, tiny: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tc("import", tiny)
    code, out, _ = tc("verify", tiny, "--json")
    assert code == 0
    body = json.loads(out)
    assert body["ok"] is True and [c["version"] for c in body["checks"]] == ["v1"]
    assert body["package_files_changed_since_latest"] == []
    path = tiny / ".tallycheck" / "versions" / "v1" / "results.parquet"
    table = pq.read_table(path)
    votes = table.column("votes").to_pylist()
    votes[3] += 100
    path.chmod(0o644)
    pq.write_table(table.set_column(table.schema.get_field_index("votes"), "votes", pa.array(votes, pa.int64())), path)
    code, out, err = tc("verify", tiny)
    assert code == 1
    assert "FAIL" in err and "v1" in err and "table results" in err
    assert "does NOT verify" in out


def test_verify_notes_changed_package_files(tc, tiny: Path) -> None:
    tc("import", tiny)
    _recount(tiny)
    code, out, _ = tc("verify", tiny, "--json")
    assert code == 0
    assert sorted(json.loads(out)["package_files_changed_since_latest"]) == ["results.csv", "sheets.csv"]


# -- the installed script, --version, --help, README --------------------------------------------------------------------

def test_installed_script_runs(tiny: Path) -> None:
    script = Path(sys.executable).parent / "tallycheck"
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    done = subprocess.run([script, "validate", tiny, "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"valid": True, "problems": []}
    done = subprocess.run([script, "validate", tiny / "missing"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "not a folder" in done.stderr


def test_version_flag(tc) -> None:
    code, out, _ = tc("--version")
    assert code == 0 and out.strip() == f"tallycheck {tallycheck.__version__}"


def _commands() -> list[str]:
    return sorted(typer.main.get_command(cli.app).commands)  # type: ignore[attr-defined]


def test_every_command_has_help(tc) -> None:
    for name in _commands():
        code, out, _ = tc(name, "--help")
        assert code == 0 and "Usage" in out, name


def test_every_command_is_in_the_readme() -> None:
    readme = (TESTS.parent / "README.md").read_text("utf-8")
    section = re.search(r"^## Commands\n(.*?)(?=^## )", readme + "\n## end", flags=re.S | re.M)
    if section is None:
        pytest.skip("README.md has no '## Commands' section yet")
    missing = [c for c in _commands() if not re.search(rf"tallycheck {re.escape(c)}\b", section.group(1))]
    assert not missing, f"commands missing from README.md, section Commands: {missing}"
