"""The `seats` and `sntv` commands: exit codes (0 done, 1 refused or a bad input file, 2 usage error), outputs
and JSON shapes. Run in-process through `tallycheck.cli.main()` as the console script does.

Figures: tests/fixtures/packages/tiny, D1 (3 seats, one for a woman): 001 115, 002 (F) 90, 003 65, 004 (F) 30.
003's seat goes to 004 once 18 of 003's ballots are hers: 65 - 18 = 47 < 30 + 18 = 48 (at 17: 48 vs 47).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from package_builder import csv_text, make_package

from tallycheck.seats.ties import Lot
from test_seats_whatif import VOTES, files






@pytest.fixture
def imported(tc, tiny: Path) -> Path:
    assert tc("import", tiny)[0] == 0
    return tiny


@pytest.fixture
def whatif_package(tc, tmp_path: Path) -> Path:
    pkg = make_package(tmp_path / "w", **files(VOTES))
    assert tc("import", pkg)[0] == 0
    return pkg


# -- tallycheck seats ----------------------------------------------------------------------------------------

def test_seats_text(tc, imported: Path) -> None:
    code, out, err = tc("seats", imported)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Tiny test election: 6 seats under iraq-2021, 2 women (seed '0', ties by lot)."
    assert "D1\t3\t003\tOmar Saleh\tParty A\tM\t65\tvotes\t" in lines
    assert "Party A\t3\t0\t290" in lines
    # the closest seat first: 18 ballots from 003 to 004 (to lose it too: 47 < 48)
    header = lines.index("contest\tholder\tname\tparty\tballots\tto lose\twould go to\tballots to\tkind")
    assert lines[header + 1] == "D1\t003\tOmar Saleh\tParty A\t18\t18\t004\t004\tcandidate"
    # D2: three candidates for three seats, nobody can take a seat
    assert "D2\t005\tKarim Nouri\tParty A\tnone\tnone\t\t\tcandidate" in lines


def test_seats_json(tc, imported: Path) -> None:
    code, out, _ = tc("seats", imported, "--json", "--closest", "2")
    assert code == 0
    body = json.loads(out)
    assert {"law", "law_params", "seats", "women", "parties", "contests", "margins", "closest"} <= set(body)
    assert body["seats"] == 6 and body["law"] == "iraq-2021"
    assert [c["contest_id"] for c in body["contests"]] == ["D1", "D2"]
    assert [w["candidate_id"] for w in body["contests"][0]["winners"]] == ["001", "002", "003"]
    assert len(body["margins"]) == 6 and len(body["closest"]) == 2
    assert body["closest"][0] == {"contest_id": "D1", "holder": "003", "ballots": 18, "ballots_to_lose": 18,
                                  "challenger": "004", "to": "004", "kind": "candidate",
                                  "method": "closed-form", "list_id": ""}
    assert "what_if" not in body


def test_seats_marks_quota_replacements_and_lot_draws(tc, tmp_path: Path) -> None:
    votes = {s: dict(row) for s, row in VOTES.items()}
    votes["S02"]["e"] = 0  # D1: a 110, b 100, c 80, d 15 (F), e 5 (F): d replaces c
    votes["S01"]["r"] = 40  # D2: p 65, q 45 (F), r 45: q holds the women's seat, nothing tied for it
    pkg = make_package(tmp_path / "p", **files(votes))
    assert tc("import", pkg)[0] == 0
    code, out, _ = tc("seats", pkg)
    assert code == 0
    row = "D1\t3\td\tCandidate d\tParty C\tF\t15\twomen-quota\treplaced c (women-contest)"
    assert row in out.splitlines()
    tied = {s: dict(row) for s, row in VOTES.items()}
    tied["S01"].update(p=45, q=40, r=40)  # D2: p 50, q 45 (F), r 45 tie for the second seat
    tied["S02"].update(q=5, r=5)
    pkg2 = make_package(tmp_path / "t", **{**files(tied), "contests": files(tied)["contests"].replace(
        "D2,District 2,2,D2,1", "D2,District 2,2,D2,0")})
    assert tc("import", pkg2)[0] == 0
    for seed in ("1", "2", "3"):
        code, out, _ = tc("seats", pkg2, "--seed", seed, "--json")
        body = json.loads(out)
        (tie,) = body["contests"][1]["ties"]
        assert tie["candidates"] == ["q", "r"] and body["seed"] == seed
        drawn = Lot(seed).order("contest D2", ["q", "r"])[0]
        assert tie["drawn"] == [drawn]
        code, out, _ = tc("seats", pkg2, "--seed", seed)
        assert f"D2\t2\t{drawn}\tCandidate {drawn}" in out and "won a tie by lot" in out
        assert "Tie (contest D2): q, r tied for 1 place; the lot (seed " in out


def test_seats_annul(tc, whatif_package: Path, tmp_path: Path) -> None:
    stations = tmp_path / "struck.csv"
    stations.write_text("station_id,reason\nS02,ballot stuffing\n", "utf-8")
    code, out, err = tc("seats", whatif_package, "--annul", stations)
    assert code == 0, err
    assert "With 1 station struck out: 1 seat change hands in 1 contest; 1 contests keep their winners." \
        in out
    assert "D1\tout\te\tCandidate e\tParty B\t90\t5" in out
    assert "D1\tin\td\tCandidate d\tParty C\t15\t10" in out
    assert "Party C\t1\t2\t+1" in out
    code, out, _ = tc("seats", whatif_package, "--annul", stations, "--json")
    body = json.loads(out)["what_if"]
    assert body["annulled"] == ["S02"] and body["against"] is None
    assert body["changes"]["seats_changed"] == 1
    assert body["after"]["contests"][0]["winners"][2]["candidate_id"] == "d"


@pytest.mark.parametrize("content, message", [
    ("station,x\nS02,1\n", "struck.csv has no column 'station_id': its header is 'station,x'"),
    ("station_id,note\nS01,x\n\n,oops\n",
     "Expected a station id in column station_id, row 4 of struck.csv. Got an empty cell."),
    ("", "struck.csv is empty: expected a header line with the columns station_id."),
    ("station_id\nS99\nS01\nS77\n", "2 stations in struck.csv not in the package's stations: S77, S99."),
])
def test_seats_annul_errors(tc, whatif_package: Path, tmp_path: Path, content: str, message: str) -> None:
    stations = tmp_path / "struck.csv"
    stations.write_text(content, "utf-8")
    code, out, err = tc("seats", whatif_package, "--annul", stations)
    assert code == 1 and out == ""
    assert message in " ".join(err.split())


def test_seats_annul_file_not_utf8(tc, whatif_package: Path, tmp_path: Path) -> None:
    stations = tmp_path / "struck.csv"
    stations.write_bytes("station_id\nS0\xe9\n".encode("cp1252"))
    code, _, err = tc("seats", whatif_package, "--annul", stations)
    assert code == 1 and "struck.csv is not UTF-8 text" in err


def test_seats_against_a_recount(tc, whatif_package: Path) -> None:
    recount = {s: dict(row) for s, row in VOTES.items()}
    recount["S01"]["r"], recount["S01"]["p"] = 61, 29
    make_package(whatif_package, **files(recount))
    assert tc("import", whatif_package)[0] == 0
    code, out, _ = tc("seats", whatif_package, "--version", "v1", "--against", "v2")
    assert code == 0
    assert "v1 against v2: 1 seat change hands in 1 contest" in out
    assert "D2\tout\tp\tCandidate p\tParty A\t65\t34" in out
    assert "D2\tin\tr\tCandidate r\tParty B\t35\t66" in out
    body = json.loads(tc("seats", whatif_package, "--version", "v1", "--against", "v2", "--json")[1])
    assert body["what_if"]["against"] == "v2" and body["what_if"]["changes"]["seats_changed"] == 1


def test_seats_usage_errors(tc, whatif_package: Path, tmp_path: Path, tiny: Path) -> None:
    stations = tmp_path / "s.csv"
    stations.write_text("station_id\nS01\n", "utf-8")
    code, _, err = tc("seats", whatif_package, "--annul", stations, "--against", "v1")
    assert code == 2 and "Give --annul or --against, not both" in err
    code, _, err = tc("seats", whatif_package, "--against", "v9")
    assert code == 2 and "No version 'v9'" in err
    code, _, err = tc("seats", tiny)  # never imported
    assert code == 2 and "No snapshot" in err
    code, _, err = tc("seats", tmp_path / "nowhere")
    assert code == 2 and "is not a folder" in err
    code, _, err = tc("seats", whatif_package, "--tie-rule", "coin")
    assert code == 2


def test_seats_law_that_cannot_apply_is_refused(tc, tmp_path: Path) -> None:
    # iraq-2021 checks women per governorate, and this package has no areas.csv to say where they are
    pkg = make_package(tmp_path / "p", areas=None)
    assert tc("import", pkg)[0] == 0
    code, out, err = tc("seats", pkg)
    assert code == 1 and out == ""
    assert "checks women per governorate" in err


# -- tallycheck sntv -----------------------------------------------------------------------------------------

def candidates_file(tmp_path: Path, rows: list[tuple], header: tuple = ("id", "votes", "gender")) -> Path:
    path = tmp_path / "candidates.csv"
    path.write_text(csv_text(header, rows), "utf-8")
    return path


def test_sntv_json_shape(tc, tmp_path: Path) -> None:
    # no woman among the three highest-voted: d, the highest-voted woman, replaces c, the lowest-voted man
    path = candidates_file(tmp_path, [("a", 100, "M"), ("b", 90, "M"), ("c", 80, "M"), ("d", 70, "F"),
                                      ("e", 60, "M")])
    code, out, _ = tc("sntv", "--seats", 3, "--women-seats", 1, "--json", path)
    assert code == 0
    body = json.loads(out)
    assert body["winners"] == ["a", "b", "d"]
    assert [{k: r[k] for k in ("in", "out")} for r in body["replacements"]] == [{"in": "d", "out": "c"}]
    assert body["ties"] == []
    # d keeps the women's seat whatever happens to the men; b loses hers... to c coming back: 90 - x < 80 + x
    margins = {m["holder"]: m for m in body["margins"]}
    b = margins["b"]
    assert (b["ballots"], b["ballots_to_lose"], b["challenger"]) == (5, 6, "c")
    assert margins["d"]["ballots"] is None


def test_sntv_ties_json(tc, tmp_path: Path) -> None:
    path = candidates_file(tmp_path, [("a", 50, "M"), ("b", 50, "F"), ("c", 10, "M")])
    for seed in ("0", "1", "dice 3 5"):
        body = json.loads(tc("sntv", "--seats", 1, "--seed", seed, "--json", path)[1])
        drawn = Lot(seed).order("", ["a", "b"])[0]
        assert body["winners"] == [drawn]
        (tie,) = body["ties"]
        assert (tie["candidates"], tie["drawn"]) == (["a", "b"], drawn)


def test_sntv_text(tc, tmp_path: Path) -> None:
    path = candidates_file(tmp_path, [("a", 100, "M"), ("b", 90, "M"), ("c", 80, "M"), ("d", 70, "F")])
    code, out, _ = tc("sntv", "--seats", 3, "--women-seats", 1, path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "seat\tid\tvotes\tgender\tquota\tmargin (ballots)\twould go to"
    # a (100) loses once two men stand level with or above him: b at 90 and c, given 10 of a's ballots: 90 =
    # 90
    assert lines[1:] == ["1\ta\t100\tM\t\t10\tc", "2\tb\t90\tM\t\t5\tc",
                         "3\td\t70\tF\twomen's seat, replaced c\tnone\t"]
    code, out, _ = tc("sntv", "--seats", 3, "--women-seats", 2, path)
    assert "Only 1 women won: too few stood to fill the 2 women's seats." in out
    code, out, _ = tc("sntv", "--seats", 6, path)
    assert "2 seat(s) stay empty: fewer candidates than seats." in out


@pytest.mark.parametrize("rows, header, message", [
    ([("a", 5, "M")], ("id", "votes"), "candidates.csv has no column 'gender'"),
    ([("a", 5, "M"), ("b", "12a", "F")], ("id", "votes", "gender"),
     "Expected a whole number >= 0 in column votes, row 3 of candidates.csv. Got: '12a'."),
    ([("a", 5, "Q")], ("id", "votes", "gender"),
     "Expected F, M, X or an empty cell in column gender, row 2 of candidates.csv. Got: 'Q'."),
    ([("a", 5, "M"), ("a", 6, "F")], ("id", "votes", "gender"),
     "Duplicate id 'a' in column id, row 3 of candidates.csv (first given in row 2)."),
    ([("", 5, "M")], ("id", "votes", "gender"),
     "Expected a candidate id in column id, row 2 of candidates.csv."),
])
def test_sntv_file_errors(tc, tmp_path: Path, rows: list, header: tuple, message: str) -> None:
    code, out, err = tc("sntv", "--seats", 1, candidates_file(tmp_path, rows, header))
    assert code == 1 and out == ""
    assert message in " ".join(err.split())


def test_sntv_usage_errors(tc, tmp_path: Path) -> None:
    path = candidates_file(tmp_path, [("a", 5, "M")])
    code, _, err = tc("sntv", "--seats", 1, "--women-seats", 2, path)
    assert code == 2 and "--women-seats (2) cannot exceed --seats (1)" in err
    assert tc("sntv", "--seats", 1, tmp_path / "missing.csv")[0] == 2
    assert tc("sntv", path)[0] == 2  # --seats is required
    assert tc("sntv", "--seats", -1, path)[0] == 2
