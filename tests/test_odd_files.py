"""Odd real-world files: each one is imported exactly as meant, or refused with its rule, file, row and column.

Expected values come from docs/format.md, "Reading rules", and from the bytes of the fixture (see
tests/fixtures/odd/regenerate.py for how each odd file was written). Rows count from 1 at the header line and are
the file's physical lines (blank lines and line breaks inside quotes included), or the worksheet's rows in XLSX.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from package_builder import ODD, imported, make_package, problems_of, tiny_text, where
from tallycheck.evidence import Store
from tallycheck.importing import import_package
from tallycheck.problems import Severity

ARABIC_NAMES = {"001": "علي حسن", "002": "زينب كريم", "004": "هدى جاسم", "007": "يوسف عادل"}
ARABIC_PARTIES = {"001": "تحالف الفتح", "004": "", "006": "تقدم"}


def odd(name: str) -> bytes:
    return (ODD / name).read_bytes()


@dataclass(frozen=True)
class Stored:
    """Accepted: table.column holds these values (by key); the warnings are exactly these (rule, file, row, column)."""

    table: str
    key: tuple[str, ...]
    column: str
    values: dict
    warnings: frozenset = field(default_factory=frozenset)


@dataclass(frozen=True)
class Refused:
    """Refused whole: this error, at this place, is among the problems; the message holds `says`."""

    rule: str
    file: str
    row: int | None
    column: str | None
    says: str = ""


def _results_with(old: str, new: str) -> str:
    text = tiny_text("results")
    assert old in text
    return text.replace(old, new, 1)


def _unused(spelling: str) -> str:
    """sheets.csv with ballots_unused of file row 5 (station 0200102: no received/spoiled, so never reconciled)."""
    text = tiny_text("sheets")
    assert text.splitlines()[4] == "0200102,D2,90,2,0,,,"
    return text.replace("0200102,D2,90,2,0,,,", f'0200102,D2,90,2,0,,"{spelling}",')


def _xlsx(rows: list[list[object]]) -> bytes:
    """A workbook whose first worksheet holds `rows` from A1; None leaves a cell (or a whole row) empty."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is None:
                continue
            ws.write_number(i, j, v) if isinstance(v, (int, float)) else ws.write_string(i, j, v)
    wb.close()
    return buf.getvalue()


TINY_RESULTS = [line.split(",") for line in tiny_text("results").splitlines()]
RESULTS_KEY = ("station_id", "contest_id", "candidate_id")
SHEETS_KEY = ("station_id", "contest_id")

CASES: list[tuple[str, dict, str | None, Stored | Refused]] = [
    # -- encodings ------------------------------------------------------------------------------------------------
    ("utf8-bom", {"candidates": odd("candidates.utf8-bom.csv")}, None,
     Stored("candidates", ("candidate_id",), "name", ARABIC_NAMES)),
    ("utf8-bom-party", {"candidates": odd("candidates.utf8-bom.csv")}, None,
     Stored("candidates", ("candidate_id",), "party", ARABIC_PARTIES)),
    # "A byte-order mark always wins over --encoding"
    ("bom-wins-over-encoding", {"candidates": odd("candidates.utf8-bom.csv")}, "cp1256",
     Stored("candidates", ("candidate_id",), "name", ARABIC_NAMES)),
    ("utf16le-bom-tab", {"candidates": odd("candidates.utf16le.txt")}, None,
     Stored("candidates", ("candidate_id",), "name", ARABIC_NAMES)),
    ("utf16le-bom-wins", {"candidates": odd("candidates.utf16le.txt")}, "cp1252",
     Stored("candidates", ("candidate_id",), "gender", {"001": "M", "002": "F"})),
    ("utf16be-bom", {"candidates": codecs.BOM_UTF16_BE + odd("candidates.utf8-bom.csv")[3:].decode("utf-8")
                     .encode("utf-16-be")}, None, Stored("candidates", ("candidate_id",), "name", ARABIC_NAMES)),
    ("utf32-bom", {"candidates": odd("candidates.utf8-bom.csv")[3:].decode("utf-8").encode("utf-32")}, None,
     Stored("candidates", ("candidate_id",), "name", ARABIC_NAMES)),
    # ASCII in UTF-16 without a BOM is valid UTF-8 full of NULs: refused as such, not read as garbled columns
    ("utf16le-no-bom", {"candidates": tiny_text("candidates").encode("utf-16-le")}, None,
     Refused("file.undecodable", "candidates.csv", 1, None, says="UTF-16 without a byte-order mark")),
    ("cp1256-named", {"candidates": odd("candidates.cp1256.csv")}, "cp1256",
     Stored("candidates", ("candidate_id",), "name", ARABIC_NAMES)),
    # row 2 holds the first non-ASCII byte (the first name); the message tells the person what to type
    ("cp1256-unnamed", {"candidates": odd("candidates.cp1256.csv")}, None,
     Refused("file.undecodable", "candidates.csv", 2, None, says="--encoding cp1256")),
    ("cp1252-named", {"candidates": odd("candidates.cp1252.csv")}, "cp1252",
     Stored("candidates", ("candidate_id",), "name", {"001": "José Muñoz", "002": "Renée Façade",
                                                      "004": "Zoë Brontë"})),
    ("cp1252-party", {"candidates": odd("candidates.cp1252.csv")}, "cp1252",
     Stored("candidates", ("candidate_id",), "party", {"001": "Partido Ñ", "006": "Über Liste"})),
    ("cp1252-unnamed", {"candidates": odd("candidates.cp1252.csv")}, None,
     Refused("file.undecodable", "candidates.csv", 2, None, says="--encoding")),
    # the stray 0xFF is on file row 4 (row 3 holds valid UTF-8 "Zoë Brontë")
    ("undecodable-utf8", {"candidates": odd("candidates.undecodable.csv")}, None,
     Refused("file.undecodable", "candidates.csv", 4, None, says="ff")),
    # 0x81 is undefined in Windows-1252: even a named single-byte encoding can refuse, with the row
    ("undecodable-cp1252", {"candidates": tiny_text("candidates").replace("Omar", "Om\x00ar").encode("ascii")
                            .replace(b"\x00", b"\x81")}, "cp1252",
     Refused("file.undecodable", "candidates.csv", 4, None, says="cp1252")),
    # -- XLSX -------------------------------------------------------------------------------------------------------
    # "A file is read as XLSX when its bytes say so, whatever its name"
    ("xlsx-named-csv", {"results": odd("results.xlsx-as.csv")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0100101", "D1", "001"): 60, ("0200102", "D2", "007"): 30})),
    # ids stored as text keep their zeros; the centre id of worksheet row 5 was stored as the number 2001
    ("xlsx-leading-zeros", {"stations": None, "stations.xlsx": odd("stations.leading-zeros.xlsx")}, None,
     Stored("stations", ("station_id",), "centre_id", {"0100101": "01001", "0200101": "02001", "0200102": "2001"},
            frozenset({("value.numeric-id", "stations.xlsx", 5, "centre_id")}))),
    ("xlsx-counts", {"stations": None, "stations.xlsx": odd("stations.leading-zeros.xlsx")}, None,
     Stored("stations", ("station_id",), "registered", {"0100101": 400, "0200102": None},
            frozenset({("value.numeric-id", "stations.xlsx", 5, "centre_id")}))),
    # empty worksheet rows 3 and 6 are skipped but counted: the bad count is on worksheet row 8
    ("xlsx-rows-are-worksheet-rows",
     {"results": None, "results.xlsx": _xlsx([TINY_RESULTS[0], TINY_RESULTS[1], [], TINY_RESULTS[2], TINY_RESULTS[3],
                                              [None, None, None, None], TINY_RESULTS[4],
                                              TINY_RESULTS[5][:3] + ["12a"], *TINY_RESULTS[6:]])},
     None, Refused("value.not-a-count", "results.xlsx", 8, "votes", says="12a")),
    ("xlsx-fraction", {"results": None, "results.xlsx": _xlsx([TINY_RESULTS[0], TINY_RESULTS[1][:3] + [60.5],
                                                               *TINY_RESULTS[2:]])},
     None, Refused("value.not-a-count", "results.xlsx", 2, "votes", says="60.5")),
    ("xlsx-total-row", {"results": None, "results.xlsx": _xlsx([*TINY_RESULTS, ["Total", None, None, 818]])}, None,
     Stored("results", RESULTS_KEY, "votes", {("0100101", "D1", "001"): 60},
            frozenset({("row.total-skipped", "results.xlsx", 16, None)}))),
    # -- rows -------------------------------------------------------------------------------------------------------
    # 14 result rows on file rows 2..15; the total line is file row 16
    ("total-row", {"results": tiny_text("results") + "Total,,,818\n"}, None,
     Stored("results", RESULTS_KEY, "votes", {("0200102", "D2", "007"): 30},
            frozenset({("row.total-skipped", "results.csv", 16, None)}))),
    ("total-row-arabic", {"sheets": tiny_text("sheets") + "المجموع,,570,14,3,,,\n"}, None,
     Stored("sheets", SHEETS_KEY, "ballots_cast", {("0200102", "D2"): 90},
            frozenset({("row.total-skipped", "sheets.csv", 6, None)}))),
    ("total-row-case-and-plural", {"results": tiny_text("results") + "TOTALS,,,818\n"}, None,
     Stored("results", RESULTS_KEY, "votes", {("0200102", "D2", "007"): 30},
            frozenset({("row.total-skipped", "results.csv", 16, None)}))),
    # a subtotal in the middle is not a trailing total row: it is read, and refused as a station named "Total"
    ("total-row-in-the-middle", {"results": _results_with("0100102,D1,001,55\n", "Total,,,155\n0100102,D1,001,55\n")},
     None, Refused("id.unknown", "results.csv", 6, "station_id", says="'Total'")),
    ("blank-and-comma-lines",
     {"results": _results_with("0100102,D1,001,55\n", "\n0100102,D1,001,55\n,,,\n")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0100102", "D1", "001"): 55, ("0100102", "D1", "002"): 40}))
    ,
    # file rows: 1 header, 2-5 data, 6 blank, 7-10 data, 11 ",,,", 12 data, 13 spaces only, 14 data with 12a
    ("blank-lines-keep-physical-rows",
     {"results": _results_with("0100102,D1,001,55\n", "\n0100102,D1,001,55\n")
      .replace("0100102,D1,004,15\n", "0100102,D1,004,15\n,,,\n")
      .replace("0200101,D2,005,80\n", "0200101,D2,005,80\n   \n")
      .replace("0200101,D2,006,45", "0200101,D2,006,12a")}, None,
     Refused("value.not-a-count", "results.csv", 14, "votes", says="'12a'")),
    ("field-count-too-many", {"results": _results_with("0100101,D1,003,30", "0100101,D1,003,30,7")}, None,
     Refused("row.field-count", "results.csv", 4, None, says="5 fields")),
    ("field-count-too-few", {"results": _results_with("0100101,D1,003,30", "0100101,D1,003")}, None,
     Refused("row.field-count", "results.csv", 4, None, says="3 fields")),
    # the quoted name spans file rows 3 and 4; the next candidate's bad gender is on file row 5
    ("quoted-line-break", {"candidates": tiny_text("candidates").replace("Zainab Kareem", '"Zainab\nKareem"')}, None,
     Refused("value.control-character", "candidates.csv", 3, "name")),
    ("row-after-quoted-line-break",
     {"candidates": tiny_text("candidates").replace("Zainab Kareem", '"Zainab\nKareem"').replace("Omar Saleh,Party A,M",
                                                                                                 "Omar Saleh,Party A,Q")},
     None, Refused("value.not-in-vocabulary", "candidates.csv", 5, "gender", says="'Q'")),
    # -- identifiers ------------------------------------------------------------------------------------------------
    ("leading-zero-ids", {"stations": tiny_text("stations").replace("0100101,01001", "0100101,00123")}, None,
     Stored("stations", ("station_id",), "centre_id", {"0100101": "00123", "0100102": "01001"})),
    ("leading-zero-candidate-ids", {}, None,
     Stored("results", RESULTS_KEY, "votes", {("0100101", "D1", "001"): 60, ("0200101", "D2", "005"): 80})),
    ("arabic-digit-ids-stay-text",
     {"stations": tiny_text("stations").replace("0100101,01001", "0100101,٠١٠٠١")}, None,
     Stored("stations", ("station_id",), "centre_id", {"0100101": "٠١٠٠١"})),
    # -- separators and line ends -------------------------------------------------------------------------------
    ("semicolons", {"results": tiny_text("results").replace(",", ";")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0100101", "D1", "002"): 50})),
    ("pipes", {"results": tiny_text("results").replace(",", "|")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0100101", "D1", "002"): 50})),
    ("semicolons-with-decimal-commas-refused", {"results": tiny_text("results").replace(",", ";").replace(";60", ";60,5")},
     None, Refused("value.not-a-count", "results.csv", 2, "votes", says="'60,5'")),
    ("tabs", {"results": tiny_text("results").replace(",", "\t")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0100101", "D1", "002"): 50})),
    ("crlf", {"results": tiny_text("results").replace("\n", "\r\n")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0200102", "D2", "007"): 30})),
    ("crlf-with-blank-line-and-error",
     {"results": _results_with("0100102,D1,001,55\n", "\n0100102,D1,001,-3\n").replace("\n", "\r\n")}, None,
     Refused("value.not-a-count", "results.csv", 7, "votes", says="'-3'")),
    # classic Mac OS line ends (Excel for Mac "CSV (Macintosh)")
    ("cr-only", {"results": tiny_text("results").replace("\n", "\r")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0200102", "D2", "007"): 30})),
    ("no-final-line-end", {"results": tiny_text("results").rstrip("\n")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0200102", "D2", "007"): 30})),
    # "Headers are matched case-insensitively after trimming"
    ("header-case-and-spaces", {"results": tiny_text("results").replace(
        "station_id,contest_id,candidate_id,votes", " Station_ID ,CONTEST_ID,Candidate_Id , Votes")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0100101", "D1", "001"): 60})),
    ("values-trimmed", {"results": _results_with("0100101,D1,001,60", " 0100101 , D1,001 ,  60 ")}, None,
     Stored("results", RESULTS_KEY, "votes", {("0100101", "D1", "001"): 60})),
]

# -- counts: one cell (sheets.csv, file row 5, ballots_unused) spelled many ways --------------------------------------
COUNT_SPELLINGS = [
    ("١٢٣", 123),  # Arabic-Indic digits
    ("۱۲۳", 123),  # Eastern Arabic-Indic digits
    ("١٢٬٣٤٥", 12345),  # Arabic thousands separator U+066C
    ("12,345", 12345),
    ("1,234,567", 1234567),
    ("1 234", 1234),
    ("1\u00a0234", 1234),  # no-break space
    ("1'234", 1234),
    ("12.0", 12),  # spreadsheet export
    ("0", 0),
    ("007", 7),
]
NOT_COUNTS = ["1.234", "12a", "-3", "1,23", "12,3456", "1,234 567", "1.5", "+5", "-0", "12 345 6",
              "0x10", "9" * 5000, "99999999999999999999"]  # the last two: beyond a 64-bit count, refused, not a crash

CASES += [(f"count-{s!r}", {"sheets": _unused(s)}, None,
           Stored("sheets", SHEETS_KEY, "ballots_unused", {("0200102", "D2"): v})) for s, v in COUNT_SPELLINGS]
CASES += [(f"not-a-count-{s!r}", {"sheets": _unused(s)}, None,
           Refused("value.not-a-count", "sheets.csv", 5, "ballots_unused", says=repr(s))) for s in NOT_COUNTS]


@pytest.mark.parametrize(("files", "encoding", "expected"), [c[1:] for c in CASES], ids=[c[0][:40] for c in CASES])
def test_odd_file(tmp_path: Path, files: dict, encoding: str | None, expected: Stored | Refused) -> None:
    package = make_package(tmp_path / "pkg", **files)
    result = import_package(package, encoding=encoding)
    if isinstance(expected, Refused):
        assert result.refused
        hits = [p for p in result.problems if (p.rule, p.file, p.row, p.column) ==
                (expected.rule, expected.file, expected.row, expected.column)]
        assert hits, [(p.rule, p.file, p.row, p.column, p.message) for p in result.problems]
        assert hits[0].severity is Severity.ERROR
        assert expected.says in hits[0].message
        assert not (package / ".tallycheck").exists()
        return
    assert not result.refused, [(p.rule, p.file, p.row, p.column, p.message) for p in result.problems]
    assert where(result.problems) == set(expected.warnings)
    # what was stored is what is read back from the snapshot
    table = Store(package / ".tallycheck").load().table(expected.table).to_pylist()
    stored = {tuple(r[k] for k in expected.key) if len(expected.key) > 1 else r[expected.key[0]]: r[expected.column]
              for r in table}
    assert {k: stored.get(k, "<absent>") for k in expected.values} == expected.values


def test_same_count_read_the_same_whatever_its_neighbours(tmp_path: Path) -> None:
    """A cell's reading may not depend on whether another cell of the column needs the slow parser."""
    plain = make_package(tmp_path / "plain", sheets=_unused("+5"))
    mixed = make_package(tmp_path / "mixed", sheets=_unused("+5").replace("0100101,D1,160,4,1,400,240,0",
                                                                           "0100101,D1,160,4,1,400,٢٤٠,0"))
    assert where(problems_of(plain)) == where(problems_of(mixed))


def test_undecodable_message_is_actionable(tmp_path: Path) -> None:
    package = make_package(tmp_path / "pkg", candidates=odd("candidates.cp1256.csv"))
    [p] = [p for p in problems_of(package) if p.rule == "file.undecodable"]
    assert "cp1256" in p.message and "cp1252" in p.message and "row 2" in p.message


def test_unknown_encoding_name_is_a_usage_error(tmp_path: Path) -> None:
    package = make_package(tmp_path / "pkg", candidates=odd("candidates.cp1256.csv"))
    with pytest.raises(ValueError, match="Unknown encoding"):
        import_package(package, encoding="klingon-1")


def test_encoding_recorded_in_manifest(tmp_path: Path) -> None:
    package = make_package(tmp_path / "pkg", candidates=odd("candidates.cp1256.csv"))
    outcome = imported(package, encoding="cp1256")
    assert outcome.version.manifest["encodings"]["candidates.csv"] == "cp1256"
    # a file that is valid UTF-8 stays UTF-8 whatever --encoding names (docs/format.md, "Encodings")
    assert outcome.version.manifest["encodings"]["results.csv"] == "utf-8"


def test_fixture_bytes_are_what_they_claim() -> None:
    """Guard the fixtures themselves: if a tool rewrote them as UTF-8, the tests above would prove nothing."""
    assert odd("candidates.utf8-bom.csv").startswith(codecs.BOM_UTF8)
    assert odd("candidates.utf16le.txt").startswith(codecs.BOM_UTF16_LE)
    cp1256 = odd("candidates.cp1256.csv")
    assert not cp1256.startswith(codecs.BOM_UTF8) and "علي".encode("cp1256") in cp1256
    with pytest.raises(UnicodeDecodeError):
        cp1256.decode("utf-8")
    assert "Muñoz".encode("cp1252") in odd("candidates.cp1252.csv")
    assert b"\xff" in odd("candidates.undecodable.csv")
    assert odd("results.xlsx-as.csv").startswith(b"PK\x03\x04")


def test_mixed_package_keeps_utf8_files_under_a_named_legacy_encoding(tmp_path: Path) -> None:
    """--encoding cp1256 for one legacy file must not garble a UTF-8 Arabic file beside it."""
    utf8 = tiny_text("candidates").replace("Ali Hassan", "علي حسن")
    package = make_package(tmp_path / "pkg", candidates=utf8)
    outcome = imported(package, encoding="cp1256")
    names = Store(outcome.version.path.parent.parent).load().tables["candidates"].column("name").to_pylist()
    assert "علي حسن" in names
