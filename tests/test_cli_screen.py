"""`tallycheck screen`: a package or a station table in, the ranking out; exit codes 0 screened, 1 the table
cannot be read (file, row and column named), 2 a usage error."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tallycheck.importing import import_package
from tallycheck.synth import FraudSpec, generate






@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Iraq-shaped election with stuffed and moved stations, imported."""
    package = tmp_path_factory.mktemp("synth") / "pkg"
    generate(shape="iraq-2021", seed=4, out=package, stations=400, fraud=FraudSpec(stuffing=0.03, moved=0.03))
    assert not import_package(package).refused
    return package


TABLE = ("uik,tik,region,voters,given,received,ur\n"
         + "".join(f"{i},T{i // 6},R{i // 40},{1000 + 7 * i},{500 + (i * 37) % 101},{490 + (i * 37) % 101},"
                   f"{200 + (i * 53) % 97}\n" for i in range(120))
         + "120,T19,R2,1000,990,985,970\n")
TABLE_OPTIONS = ("--station", "uik", "--centre", "tik", "--registered", "voters", "--ballots", "given",
                 "--share-base", "received", "--leader", "ur")


def test_screens_a_package_as_json(tc, synthetic: Path) -> None:
    code, out, err = tc("screen", synthetic, "--json", "--no-mixture", "--top", "5", "--seed", "2")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["leader"] == "each contest's leader" and doc["seed"] == 2
    assert len(doc["stations"]) == 5 and doc["stations"][0]["rank"] == 1
    assert {"station_id", "contest", "score", "q_value", "reasons"} <= set(doc["stations"][0])
    assert {"f_i", "f_e", "alpha"} <= set(doc["klimek_fit"])
    assert doc["mixture"] is None
    assert doc["stations_screened"] > 400  # one row per sheet: general and minority contests


def test_screens_a_package_as_text_and_writes_every_station(tc, synthetic: Path, tmp_path: Path) -> None:
    out_csv = tmp_path / "ranked.csv"
    code, out, err = tc("screen", synthetic, "--no-mixture", "--top", "3", "--out-csv", out_csv)
    assert code == 0, err
    assert "A flag is a reason to look, not proof" in out
    assert "Integer percentages, turnout:" in out and "Klimek model:" in out
    assert "Not run: mixture: not run (--no-mixture)." in out
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    _, js, _ = tc("screen", synthetic, "--json", "--no-mixture", "--top", "0")
    assert len(rows) == json.loads(js)["stations_screened"]
    assert [int(r["rank"]) for r in rows[:3]] == [1, 2, 3]
    assert {"station_id", "contest", "region", "centre", "score", "p_value", "q_value", "reasons"} <= set(
        rows[0]
    )


def test_one_contest_and_another_candidate(tc, synthetic: Path) -> None:
    code, out, err = tc("screen", synthetic, "--json", "--no-mixture", "--contest", "BG-01")
    assert code == 0, err
    doc = json.loads(out)
    assert {r["contest"] for r in doc["stations"]} == {"BG-01"}
    candidate = "BG-01-002"
    code, out, err = tc("screen", synthetic, "--json", "--no-mixture", "--candidate", candidate)
    assert code == 0, err
    assert json.loads(out)["leader"] == candidate
    code, _, err = tc("screen", synthetic, "--no-mixture", "--contest", "XX-99")
    assert code == 2 and "No contest 'XX-99'" in err
    code, _, err = tc("screen", synthetic, "--no-mixture", "--candidate", "nobody")
    assert code == 2 and "'nobody' has no votes" in err


def test_screens_a_csv_table(tc, tmp_path: Path) -> None:
    path = tmp_path / "uiks.csv"
    path.write_text(TABLE, "utf-8")
    code, out, err = tc("screen", path, *TABLE_OPTIONS, "--json", "--no-mixture", "--top", "3")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["stations_screened"] == 121 and doc["leader"] == "ur"
    assert doc["stations"][0]["station_id"] == "120"  # 99 % turnout, 98.5 % for the leader
    assert "contest" not in doc["stations"][0]
    assert [r["region"] for r in doc["regions"]] == ["R0", "R1", "R2"]


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("5,T0,R0,1035,", "5,T0,R0,1O35,"), "column voters, row 7 of uiks.csv. Got: '1O35'"),
    (lambda t: t.replace("given", "issued", 1), "uiks.csv has no column 'given' for the ballots"),
    (lambda t: t.replace(",970\n", ",\n"), "Column ur is empty in row 122 of uiks.csv"),
])
def test_a_table_that_cannot_be_read_exits_1_naming_file_row_and_column(tc, tmp_path: Path, edit,
                                                                         message: str) -> None:
    path = tmp_path / "uiks.csv"
    path.write_text(edit(TABLE), "utf-8")
    code, out, err = tc("screen", path, *TABLE_OPTIONS, "--no-mixture")
    assert code == 1
    assert message in " ".join(err.split())
    assert out == ""


def test_usage_errors_exit_2(tc, tmp_path: Path, synthetic: Path, tiny: Path) -> None:
    path = tmp_path / "uiks.csv"
    path.write_text(TABLE, "utf-8")
    cases = [
        (("screen", tmp_path / "missing.csv"), "does not exist"),
        (
            ("screen", synthetic, "--registered", "voters"),
            "--registered name columns of a CSV or Parquet table",
        ),
        (("screen", path, *TABLE_OPTIONS, "--contest", "D1"), "--contest applies to an election package"),
        (("screen", path, *TABLE_OPTIONS, "--alpha", "1.5"), "--alpha must lie strictly between 0 and 1"),
        (("screen", tiny), "No snapshot in"),  # a package that was never imported
    ]
    for args, message in cases:
        code, _, err = tc(*args)
        assert code == 2, (args, err)
        assert message in " ".join(err.split()), (args, err)


def test_combination_rule_and_ballot_allocation_reach_the_screen(tc, synthetic: Path) -> None:
    code, out, err = tc("screen", synthetic, "--no-mixture", "--combination", "simes", "--allocation", "400",
                        "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["combination"] == "simes"
    assert summary["methods"]["red-flag:over-allocation"]["tested"] > 0
    assert tc("screen", synthetic, "--combination", "fisher")[0] == 2
    assert tc("screen", synthetic, "--allocation", "0")[0] == 2
