"""The `blocs` command: exit codes (0 done, 1 a bad seats file or a package that cannot be allocated, 2 a
usage error such as an unknown party in an alliance), text and JSON outputs, on a party,seats file (Iraq's
certified 2021 seats, IHEC 30 Nov 2021) and on a package. Run in-process on a Typer app with only this
command, as tallycheck.cli.main() runs it (UsageProblem -> exit 2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import typer

from tallycheck import cli_blocs
from tallycheck.cli_common import EXIT_USAGE, UsageProblem
from test_blocs_power import IRAQ_2021


@pytest.fixture
def blocs(monkeypatch, capsys):
    """`blocs(ARGS)` runs `tallycheck blocs ARGS`: (exit code, stdout, stderr)."""
    app = typer.Typer()
    cli_blocs.register(app)
    app.command("version")(lambda: None)  # a second command keeps `blocs` a subcommand, as in tallycheck

    def run(*args: object) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["tallycheck", "blocs", *map(str, args)])
        code = 0
        try:
            app()
        except UsageProblem as exc:
            sys.stderr.write(f"Error: {exc}\n")
            code = EXIT_USAGE
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def iraq_csv(tmp_path: Path) -> Path:
    path = tmp_path / "iraq-2021.csv"
    rows = ["party,seats"] + [f"{p},{s}" for p, s in IRAQ_2021] + ["(independent),43"]
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


STH = "--alliance=Save the Homeland=Sadrist Movement,Taqaddum,KDP"


def test_json_shape_and_save_the_homeland(blocs, iraq_csv: Path) -> None:
    code, out, err = blocs(iraq_csv, "--quota", "165", "--quota", "2/3", STH, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["seats_total"] == 329 and len(body["players"]) == 74  # 76 less the alliance's 3, plus it
    assert body["players"][0] == {"name": "Save the Homeland", "seats": 141, "kind": "alliance",
                                  "members": ["Sadrist Movement", "Taqaddum", "KDP"]}
    assert body["quotas"] == [165, 220]
    for q in ("165", "220"):
        part = body[q]
        for key in ("banzhaf", "shapley_shubik", "penrose"):
            assert len(part[key]) == 74 and all(isinstance(v, float) for v in part[key].values())
            exact = part[f"{key}_exact"]
            num, den = map(int, exact["State of Law"].split("/"))
            assert part[key]["State of Law"] == pytest.approx(num / den)
        assert sum(part["shapley_shubik"].values()) == pytest.approx(1)
        assert {"minimal_winning", "blocking", "alliances", "pivotal", "dummies", "veto"} <= set(part)
    sth165 = body["165"]["alliances"]["Save the Homeland"]
    sth220 = body["220"]["alliances"]["Save the Homeland"]
    assert (sth165["seats"], sth165["lacks"], sth165["blocks"], sth165["partners_needed"]) == (141, 24, False,
                                                                                               1)
    assert sth165["completions"][0] == {"members": ["State of Law"], "seats": 33}
    assert (sth220["lacks"], sth220["blocks"], sth220["lacks_to_block"]) == (79, True, 0)
    assert body["220"]["blocking_seats"] == 110
    assert body["220"]["blocking"] == [{"members": ["Save the Homeland"], "seats": 141}]
    assert body["220"]["veto"] == ["Save the Homeland"]


def test_text_output(blocs, iraq_csv: Path) -> None:
    code, out, err = blocs(iraq_csv, "--quota", "220", "--independents", "grouped")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "329 seats, 34 players (independents grouped)."
    assert "Quota 220 of 329 seats; 110 seats block it." in lines
    assert "player\tseats\tseat share\tBanzhaf\tShapley-Shubik\tPenrose" in lines
    assert any(line.startswith("(independent)\t43\t13.07%\t") for line in lines)
    assert "Smallest blocking coalitions (110 seats or more): 2 of 2 members." in lines
    assert "  Sadrist Movement + (independent) (116)" in lines


def test_default_quota_is_a_majority(blocs, iraq_csv: Path) -> None:
    code, out, _ = blocs(iraq_csv, "--json")
    assert code == 0 and json.loads(out)["quotas"] == [165]


def test_connected_on_an_order(blocs, tmp_path: Path) -> None:
    seats = tmp_path / "s.csv"
    seats.write_text("party,seats\nA,40\nB,20\nC,30\nD,10\n", "utf-8")
    code, out, err = blocs(seats, "--quota", "51", "--order", "A,B,C,D", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["connected"] and body["order"] == ["A", "B", "C", "D"]
    assert [c["members"] for c in body["51"]["minimal_winning"]] == [["A", "B"], ["B", "C", "D"]]
    code, _, err = blocs(seats, "--quota", "51", "--order", "A,B,C")
    assert code == 2 and "missing: D" in err


def test_names_in_arabic_script(blocs, tmp_path: Path) -> None:
    seats = tmp_path / "مقاعد.csv"
    seats.write_text("party,seats\nالتيار الصدري,73\nتقدم,37\nالحزب الديمقراطي الكردستاني,31\n"
                     "دولة القانون,33\n", "utf-8")
    code, out, err = blocs(seats, "--alliance", "إنقاذ وطن=التيار الصدري,تقدم,الحزب الديمقراطي الكردستاني",
                           "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["players"][0]["name"] == "إنقاذ وطن" and body["players"][0]["seats"] == 141
    assert body["88"]["veto"] == ["إنقاذ وطن"]  # a majority of 174 is 88; دولة القانون has 33
    code, _, err = blocs(seats, "--alliance", "x=تقدم,حزب مجهول")
    assert code == 2 and "'حزب مجهول'" in err


@pytest.mark.parametrize("args, message", [
    (["--alliance", "X=Sadrist Movement,Nobody"], "'X' names 'Nobody', which is not a player"),
    (["--alliance", "no equals sign"], "write NAME=PARTY1,PARTY2"),
    (["--quota", "330"], "between 1 and the 329 seats"),
    (["--quota", "most"], "A quota is a number of seats"),
    (["--independents", "some"], "single or grouped"),
    (["--order", "KDP,Nobody"], "'Nobody', which is not a player"),
])
def test_usage_errors(blocs, iraq_csv: Path, args, message) -> None:
    code, out, err = blocs(iraq_csv, *args)
    assert code == 2 and out == ""
    assert message in " ".join(err.split())


@pytest.mark.parametrize("text, message", [
    ("party,seats\nA,3\nB,x2\n", "Expected a whole number >= 0 in column seats, row 3 of bad.csv "
                                 "(rule value.not-a-count). Got: 'x2'."),
    ("party,seats\nA,3\n,2\n", "Expected a party name in column party, row 3 of bad.csv "
                               "(rule value.required)"),
    ("party,seats\nA,3\n\nA,2\n", "Duplicate party 'A' in column party, row 4 of bad.csv (rule id.duplicate; "
                                   "first given in row 2)"),
    ("name,seats\nA,3\n", "bad.csv has no column 'party' (rule file.column-missing)"),
    ("", "bad.csv is empty"),
])
def test_bad_seats_files(blocs, tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(text, "utf-8")
    code, out, err = blocs(bad)
    assert code == 1 and out == ""
    assert message in " ".join(err.split())


def test_seats_file_in_arabic_digits_with_bom_and_semicolons(blocs, tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_bytes("\ufeffParty;Seats\nA;٧٣\nB;٣٧\n".encode("utf-8"))
    code, out, err = blocs(f, "--json")
    assert code == 0, err
    assert json.loads(out)["players"][0] == {"name": "A", "seats": 73, "kind": "party", "members": []}


def test_package(blocs, tc, tiny: Path) -> None:
    # tiny: D1 elects 001 and 003 (Party A) and 002 (Party B); D2 elects 005 (A), 006 (C) and 007 (B)
    assert tc("import", tiny)[0] == 0
    code, out, err = blocs(tiny, "--quota", "majority", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert [(p["name"], p["seats"]) for p in body["players"]] == [("Party A", 3), ("Party B", 2),
                                                                   ("Party C", 1)]
    # 4 of 6: A with either B or C; B and C together hold 3: A is a veto player, B and C equal
    assert body["4"]["shapley_shubik_exact"] == {"Party A": "2/3", "Party B": "1/6", "Party C": "1/6"}
    assert body["4"]["veto"] == ["Party A"]


def test_package_without_a_snapshot_is_refused(blocs, tiny: Path) -> None:
    from tallycheck.evidence import StoreError

    with pytest.raises(StoreError):  # tallycheck.cli.main() turns it into exit 2 with the message
        blocs(tiny)
