"""Every rule of `problems.RULES` is triggered by at least one case, at the exact file, row and column.

Each case is the tiny package (tests/fixtures/packages/tiny) with one file changed. Row numbers are the physical
lines of that fixture (1 = header): contests D1 row 2, D2 row 3; candidates 001..007 rows 2..8; stations and
sheets 0100101, 0100102, 0200101, 0200102 rows 2..5; results rows 2..15 in file order; areas IQ, G1, D1, D2 rows 2..5.
The rule ids and severities are those of docs/format.md, "Problems and rules".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from package_builder import ODD, TESTS, make_package, problems_of, tiny_text
from tallycheck.importing import import_package
from tallycheck.problems import RULES, Severity

FORMAT_MD = TESTS.parent / "docs" / "format.md"


def _replace(name: str, old: str, new: str) -> str:
    text = tiny_text(name)
    assert old in text, (name, old)
    return text.replace(old, new, 1)


def _add_column(name: str, header: str, value: str = "") -> str:
    lines = tiny_text(name).splitlines()
    return "\n".join([lines[0] + "," + header] + [line + "," + value for line in lines[1:]]) + "\n"


def _drop_lines(name: str, *starts: str) -> str:
    return "".join(line for line in tiny_text(name).splitlines(keepends=True) if not line.startswith(starts))


def _empty_workbook() -> bytes:
    import io

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.add_worksheet()
    wb.close()
    return buf.getvalue()


_RUNAWAY_QUOTE = (tiny_text("results").replace("0100101,D1,002,50", '0100101,D1,"002,50', 1)
                  + "".join(f"0100101,D1,{i:03},1\n" for i in range(8, 10_000)))
_LISTS = "list_id,contest_id,name\nL1,D1,List One\nL2,D2,List Two\n"
_WITH_LIST_COLUMN = _add_column("results", "list_id")
_LIST_ONLY_ROW = "0100101,D1,,0,L1\n"

# rule -> [(case id, files for make_package, (file, row, column), value or ... for "any")]
RULE_CASES: dict[str, list[tuple[str, dict, tuple[str, int | None, str | None], object]]] = {
    "file.missing": [
        ("no-stations", {"stations": None}, ("stations.csv", None, None), None),
        ("no-election", {"election": None}, ("election.toml", None, None), None),
    ],
    "file.undecodable": [
        ("stray-byte", {"candidates": _replace("candidates", "Omar", "Om\udcffar").encode("utf-8", "surrogateescape")},
         ("candidates.csv", 4, None), "ff"),
    ],
    "file.unreadable": [
        ("toml-syntax", {"election": 'name = "x"\ndate = \n[law]\nname = "iraq-2021"\n'}, ("election.toml", 2, None),
         None),
        ("broken-xlsx", {"results": b"PK\x03\x04 this is not really a workbook"}, ("results.csv", None, None), None),
        # a quote that never closes swallows the rest of the file: refused at the row where it opens
        ("runaway-quote", {"results": _RUNAWAY_QUOTE}, ("results.csv", 3, None), None),
    ],
    "file.empty": [
        ("zero-bytes", {"sheets": b""}, ("sheets.csv", None, None), None),
        ("blank-lines-only", {"sheets": "\n\n,,,\n"}, ("sheets.csv", None, None), None),
        ("xlsx-no-rows", {"sheets": None, "sheets.xlsx": _empty_workbook()}, ("sheets.xlsx", None, None), None),
    ],
    "file.column-missing": [
        ("no-votes", {"results": "\n".join(line.rsplit(",", 1)[0] for line in tiny_text("results").splitlines())},
         ("results.csv", 1, "votes"), None),
    ],
    "file.column-duplicate": [
        ("votes-twice", {"results": _add_column("results", "Votes", "1")}, ("results.csv", 1, "Votes"), "Votes"),
    ],
    "file.column-ignored": [
        ("note-column", {"stations": _add_column("stations", "note", "x")}, ("stations.csv", 1, "note"), "note"),
    ],
    "row.field-count": [
        ("extra-field", {"results": _replace("results", "0200101,D2,006,45", "0200101,D2,006,45,")},
         ("results.csv", 11, None), "5"),
    ],
    "row.total-skipped": [
        ("total", {"results": tiny_text("results") + "Total,,,818\n"}, ("results.csv", 16, None), "Total"),
        ("grand-total", {"stations": tiny_text("stations") + "Grand total,,,1200,\n"}, ("stations.csv", 6, None),
         "Grand total"),
        ("arabic-total", {"stations": tiny_text("stations") + "الإجمالي,,,1200,\n"}, ("stations.csv", 6, None),
         "الإجمالي"),
    ],
    "value.required": [
        ("no-name", {"candidates": _replace("candidates", "Zainab Kareem", "")}, ("candidates.csv", 3, "name"), ""),
        ("no-ballots-cast", {"sheets": _replace("sheets", "0100102,D1,150,", "0100102,D1,,")},
         ("sheets.csv", 3, "ballots_cast"), ""),
        ("spaces-only-id", {"stations": _replace("stations", "0100101,01001", "0100101,   ")},
         ("stations.csv", 2, "centre_id"), ""),
    ],
    "value.not-a-count": [
        ("12a", {"results": _replace("results", "0100102,D1,003,35", "0100102,D1,003,12a")},
         ("results.csv", 8, "votes"), "12a"),
        ("seats", {"contests": _replace("contests", "D2,District Two,3", "D2,District Two,three")},
         ("contests.csv", 3, "seats"), "three"),
    ],
    "value.control-character": [
        ("nul", {"candidates": _replace("candidates", "Huda Jasim", "Huda\x00Jasim")}, ("candidates.csv", 5, "name"),
         ...),
        ("form-feed", {"stations": _replace("stations", "special", "spe\x0ccial")}, ("stations.csv", 5, "kind"), ...),
    ],
    "value.not-in-vocabulary": [
        ("gender", {"candidates": _replace("candidates", "Sara Abbas,Party C,F", "Sara Abbas,Party C,female?")},
         ("candidates.csv", 7, "gender"), "female?"),
    ],
    "value.numeric-id": [
        ("xlsx-number", {"stations": None, "stations.xlsx": (ODD / "stations.leading-zeros.xlsx").read_bytes()},
         ("stations.xlsx", 5, "centre_id"), "2001"),
    ],
    "id.duplicate": [
        ("candidate", {"candidates": tiny_text("candidates") + "003,D1,Someone Else,,M,,\n"},
         ("candidates.csv", 9, "candidate_id"), "003"),
        ("sheet", {"sheets": tiny_text("sheets") + "0100102,D1,150,3,2,380,229,1\n"}, ("sheets.csv", 6, "contest_id"),
         "D1"),
        ("result", {"results": tiny_text("results") + "0100101,D1,003,30\n"}, ("results.csv", 16, "candidate_id"),
         "003"),
        ("seat-area", {"seat_areas": "contest_id,area,seats\nD1,D1,2\nD1,D1,1\n"}, ("seat_areas.csv", 3, "area"), "D1"),
    ],
    "id.unknown": [
        ("station-in-results", {"results": _replace("results", "0200102,D2,006,28", "0200109,D2,006,28")},
         ("results.csv", 14, "station_id"), "0200109"),
        ("area-of-station", {"stations": _replace("stations", "0100102,01001,D1", "0100102,01001,D9")},
         ("stations.csv", 3, "area"), "D9"),
        ("candidate-in-results", {"results": _replace("results", "0100101,D1,004,15", "0100101,D1,04,15")},
         ("results.csv", 5, "candidate_id"), "04"),
        ("parent-area", {"areas": _replace("areas", "G1,Governorate One,IQ", "G1,Governorate One,XX")},
         ("areas.csv", 3, "parent"), "XX"),
    ],
    "election.schema": [
        ("no-name", {"election": 'date = 2021-10-10\n[law]\nname = "iraq-2021"\n'}, ("election.toml", None, "name"),
         None),
        ("bad-date", {"election": 'name = "x"\ndate = "2021-02-30"\n[law]\nname = "iraq-2021"\n'},
         ("election.toml", None, "date"), "2021-02-30"),
        ("bad-country", {"election": 'name = "x"\ndate = 2021-10-10\ncountry = "Iraq"\n[law]\nname = "iraq-2021"\n'},
         ("election.toml", None, "country"), "Iraq"),
    ],
    "contest.reserved-seats": [
        ("women-over-seats", {"contests": _replace("contests", "D1,District One,3,D1,1", "D1,District One,3,D1,4")},
         ("contests.csv", 2, "women_seats"), "4"),
        ("zero-seats", {"contests": _replace("contests", "D2,District Two,3,D2,1", "D2,District Two,0,D2,0")},
         ("contests.csv", 3, "seats"), "0"),
        ("seat-areas-sum", {"seat_areas": "contest_id,area,seats\nD1,D1,2\nD2,D2,3\n"}, ("seat_areas.csv", 2, "seats"),
         "2"),
    ],
    "candidate.list-contest": [
        ("list-of-other-contest", {"lists": _LISTS, "candidates": _add_column("candidates", "list_id").replace(
            "001,D1,Ali Hassan,Party A,M,,,", "001,D1,Ali Hassan,Party A,M,,,L2")},
         ("candidates.csv", 2, "list_id"), "L2"),
    ],
    "results.choice": [
        ("both", {"lists": _LISTS, "results": _WITH_LIST_COLUMN.replace("0100101,D1,002,50,", "0100101,D1,002,50,L1")},
         ("results.csv", 3, "candidate_id"), None),
        ("neither", {"results": _replace("results", "0200101,D2,007,40", "0200101,D2,,40")},
         ("results.csv", 12, "candidate_id"), None),
    ],
    "results.not-on-ballot": [
        ("candidate-of-other-contest", {"results": _replace("results", "0100102,D1,004,15", "0100102,D1,005,15")},
         ("results.csv", 9, "candidate_id"), "005"),
        ("list-of-other-contest", {"lists": _LISTS, "results": _WITH_LIST_COLUMN + "0200101,D2,,0,L1\n"},
         ("results.csv", 16, "list_id"), "L1"),
    ],
    "results.no-sheet": [
        # the group's first result row: tiny's results.csv holds 0200102/D2 in rows 13-15
        ("sheet-missing", {"sheets": _drop_lines("sheets", "0200102")}, ("results.csv", 13, "station_id"),
         "0200102/D2"),
    ],
    "sheet.arithmetic": [
        ("cast-off-by-one", {"sheets": _replace("sheets", "0100101,D1,160,", "0100101,D1,161,")},
         ("sheets.csv", 2, "ballots_cast"), "161"),
    ],
    "sheet.reconciliation": [
        ("received", {"sheets": _replace("sheets", "0200101,D2,170,5,0,420,", "0200101,D2,170,5,0,421,")},
         ("sheets.csv", 4, "ballots_received"), "421"),
    ],
    "sheet.over-registered": [
        ("register-too-small", {"stations": _replace("stations", "0100102,01001,D1,380", "0100102,01001,D1,149")},
         ("sheets.csv", 3, "ballots_cast"), "150"),
    ],
    "sheet.no-results": [
        ("results-missing", {"results": _drop_lines("results", "0200102")}, ("sheets.csv", 5, None), None),
        ("results-header-only", {"results": "station_id,contest_id,candidate_id,votes\n"}, ("sheets.csv", 2, None),
         None),
    ],
    "station.no-results": [
        ("idle-station", {"stations": tiny_text("stations") + "0200103,02001,D2,,special\n"},
         ("stations.csv", 6, "station_id"), "0200103"),
    ],
    "station.outside-area": [
        ("wrong-district", {"stations": _replace("stations", "0200102,02001,D2", "0200102,02001,D1")},
         ("sheets.csv", 5, "contest_id"), "D2"),
    ],
}

CASES = [(rule, *case) for rule, cases in RULE_CASES.items() for case in cases]


def test_every_rule_has_a_triggering_case() -> None:
    assert set(RULE_CASES) == set(RULES), {"without a case": set(RULES) - set(RULE_CASES),
                                           "not a rule": set(RULE_CASES) - set(RULES)}


@pytest.mark.parametrize(("rule", "files", "place", "value"), [(c[0], *c[2:]) for c in CASES],
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_rule_is_triggered_at_its_place(tmp_path: Path, rule: str, files: dict, place: tuple, value: object) -> None:
    package = make_package(tmp_path / "pkg", **files)
    result = import_package(package)
    found = [p for p in result.problems if p.rule == rule]
    assert found, [(p.rule, p.file, p.row, p.column, p.message) for p in result.problems]
    hits = [p for p in found if (p.file, p.row, p.column) == place]
    assert hits, [(p.file, p.row, p.column, p.message) for p in found]
    p = hits[0]
    assert p.severity is RULES[rule].severity
    if value is not ...:
        assert p.value == (None if value is None else str(value)) or (value is not None and str(value) in p.value)
    assert p.message and p.message[-1] in ".)", p.message  # a sentence a person can read
    if RULES[rule].severity is Severity.ERROR:
        assert result.refused and not (package / ".tallycheck").exists()


@pytest.mark.parametrize("rule", [r for r in RULES if RULES[r].severity is Severity.WARNING])
def test_warning_alone_is_recorded_with_the_snapshot(tmp_path: Path, rule: str) -> None:
    """Warnings do not refuse the import: they are stored in the version's problems.json."""
    from tallycheck.evidence import Store

    _, _, files, place, _ = next(c for c in CASES if c[0] == rule)
    package = make_package(tmp_path / "pkg", **files)
    result = import_package(package)
    assert not result.refused, [p.message for p in result.problems]
    stored = Store(package / ".tallycheck").problems()
    assert (rule, *place) in {(p.rule, p.file, p.row, p.column) for p in stored}
    assert import_package(package, strict=True).refused


def test_tiny_fixture_has_no_problem() -> None:
    from package_builder import TINY

    assert problems_of(TINY) == ()


# -- the rules and docs/format.md stay in step ------------------------------------------------------------------------

def _documented_rules() -> dict[str, tuple[str, str]]:
    """rule id -> (severity, meaning), from the table of docs/format.md."""
    text = FORMAT_MD.read_text("utf-8")
    rows = re.findall(r"^\| `([a-z]+\.[a-z-]+)` \| (error|warning) \| (.+?) \|$", text, flags=re.M)
    return {rule: (severity, meaning) for rule, severity, meaning in rows}


def test_every_rule_is_documented() -> None:
    text = FORMAT_MD.read_text("utf-8")
    missing = [r for r in RULES if f"`{r}`" not in text]
    assert not missing, f"rules not in docs/format.md: {missing}"


def test_documented_rules_table_matches_catalogue() -> None:
    documented = _documented_rules()
    assert documented == {r.id: (r.severity.value, r.summary) for r in RULES.values()}


def test_no_sheet_names_a_row_of_the_file_even_when_rows_come_unsorted(tmp_path: Path) -> None:
    lines = tiny_text("results").splitlines()
    shuffled = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    # reversed, 0200102's rows sit at file rows 2-4 (candidates 007, 006, 005); canonical order starts at 005
    pkg = make_package(tmp_path / "pkg", results=shuffled, sheets=_drop_lines("sheets", "0200102"))
    found = [p for p in problems_of(pkg) if p.rule == "results.no-sheet"]
    assert [(p.file, p.row, p.column) for p in found] == [("results.csv", 4, "station_id")]
