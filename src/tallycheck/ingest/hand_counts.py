"""A hand-count file (`tallycheck audit record PACKAGE COUNTS.csv`): what the audit boards counted.

Columns (docs/format.md, "Hand counts"): station_id, contest_id, candidate_id, list_id, votes — one row per
choice of a counted sheet — and, where the board counted them, the sheet totals ballots_cast, invalid and blank
(on any row of the sheet; repeated values must agree). `status` = "missing" on a row of its own records a
sheet whose materials could not be found. For ballot polling and card comparison, `ballot` names the ballot
(station_id#number) or card read, with its vote in candidate_id / list_id (both empty: no valid vote).

Every problem names the file, the row (the header is row 1, as a spreadsheet shows it), the column and the rule;
nothing is recorded unless the whole file is right.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..audit.hand_count import HandCount
from .counts import parse_count, parse_counts
from .csv_format import read_csv
from .encoding import to_utf8
from .text_table import TextTable

COLUMNS = ("station_id", "contest_id", "candidate_id", "list_id", "votes", "ballots_cast", "invalid", "blank",
           "status", "ballot")
REQUIRED = ("station_id", "contest_id")
TOTALS = ("ballots_cast", "invalid", "blank")
STATUSES = ("", "counted", "missing")


@dataclass(frozen=True, slots=True)
class CountProblem:
    file: str
    row: int | None
    column: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(x for x in (f"row {self.row}" if self.row else "",
                                      f"column {self.column}" if self.column else "") if x)
        return f"{self.file}{f' ({where})' if where else ''}: {self.message} [{self.rule}]"


class HandCountFileError(ValueError):
    def __init__(self, problems: list[CountProblem]):
        self.problems = tuple(problems)
        shown = "\n".join(str(p) for p in problems[:8])
        more = len(problems) - 8
        super().__init__(shown + (f"\n... and {more} more problems." if more > 0 else ""))


def read_small_table(path: Path, encoding: str | None, columns: tuple[str, ...], required: tuple[str, ...],
                     rule: str, error: type[HandCountFileError]) -> tuple[TextTable, list[str]]:
    """A CSV file the audit reads (hand counts, cast-vote records) as text cells with its lower-cased header;
    `error` lists every problem of reading it (file, encoding, header), each rule named `<rule>.<what>`."""
    name = path.name
    if not path.is_file():
        raise error([CountProblem(name, None, None, f"{rule}.file", f"{path} is not a file.")])
    decoded = to_utf8(path.read_bytes(), name, encoding)
    if decoded.utf8 is None:
        p = decoded.problem
        raise error([CountProblem(name, p.row if p else None, None, f"{rule}.encoding",
                                  p.message if p else f"{name} is not text.")])
    table = read_csv(decoded.utf8, name, decoded.encoding, frozenset(columns))
    problems = [CountProblem(p.file, p.row, p.column, p.rule, p.message)
                for p in table.problems if p.severity.value == "error"]
    header = [h.strip().lower() for h in table.header]
    problems += [CountProblem(name, 1, c, f"{rule}.header", f"the header has no column {c!r} (expected: "
                              f"{', '.join(columns)})") for c in required if c not in header]
    if problems:
        raise error(problems)
    return table, header


def read_hand_counts(path: Path, encoding: str | None = None) -> tuple[HandCount, ...]:
    """The sheets of a hand-count file, in file order of first appearance; HandCountFileError lists every
    problem."""
    name = path.name
    table, header = read_small_table(path, encoding, COLUMNS, REQUIRED, "counts", HandCountFileError)
    problems: list[CountProblem] = []
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise HandCountFileError([CountProblem(name, 1, h, "counts.header", f"unknown column {h!r} "
                                               f"(known: {', '.join(COLUMNS)})") for h in unknown])
    cols = {h: table.columns[i].to_pylist() for i, h in enumerate(header) if h}
    # counts parsed column-wise (a full hand count is a million rows): value, or None where empty or malformed
    numbers: dict[str, list[int | None]] = {}
    for col in ("votes", *TOTALS):
        if col in cols:
            parsed = parse_counts(table.columns[header.index(col)])
            numbers[col] = parsed.values.to_pylist()

    n = table.num_rows
    blank = [""] * n
    # cells come trimmed from the reader; None (an empty cell) reads as ""
    cells_of = {c: ([v or "" for v in cols[c]] if c in cols else blank) for c in COLUMNS}

    def cell(col: str, i: int) -> str:
        return cells_of[col][i]

    has_totals = [any(t) for t in zip(*(cells_of[c] for c in TOTALS))]

    def count(col: str, i: int) -> int | None:
        got = numbers[col][i] if col in numbers else None
        return got if got is not None else parse_count(cell(col, i))

    sheets: dict[tuple[str, str], dict] = {}
    for i, (row, station, contest, status_text, cand, lst, ballot, votes_text) in enumerate(zip(
            table.rows.tolist(), cells_of["station_id"], cells_of["contest_id"], cells_of["status"],
            cells_of["candidate_id"], cells_of["list_id"], cells_of["ballot"], cells_of["votes"])):
        if not station or not contest:
            for col, value in (("station_id", station), ("contest_id", contest)):
                if not value:
                    problems.append(CountProblem(name, row, col, "counts.required", f"{col} is empty"))
            continue
        sheet = sheets.setdefault((station, contest), {"row": row, "missing": False, "totals": {}, "votes": {},
                                                       "reads": {}, "rows": {}})
        status = status_text.lower()
        if status not in STATUSES:
            problems.append(CountProblem(name, row, "status", "counts.status",
                                         f"status must be 'counted' or 'missing', not {cell('status', i)!r}"))
            continue
        if status == "missing":
            if cand or lst or votes_text or ballot:
                problems.append(CountProblem(name, row, "status", "counts.missing",
                                             "a row with status 'missing' records no votes"))
            sheet["missing"] = True
            continue
        for col in (TOTALS if has_totals[i] else ()):
            text = cell(col, i)
            if not text:
                continue
            value = count(col, i)
            if value is None:
                problems.append(CountProblem(name, row, col, "counts.count",
                                             f"expected a whole number >= 0, got {text!r}"))
            elif sheet["totals"].setdefault(col, value) != value:
                problems.append(CountProblem(name, row, col, "counts.totals-conflict",
                                             f"{col} {value} differs from {sheet['totals'][col]} given earlier "
                                             f"for station {station}, contest {contest}"))
        if cand and lst:
            problems.append(CountProblem(name, row, "list_id", "counts.choice",
                                         "name a candidate or a list, not both"))
            continue
        if ballot:
            if ballot in sheet["reads"]:
                problems.append(CountProblem(name, row, "ballot", "counts.duplicate",
                                             f"ballot {ballot!r} is read twice"))
                continue
            if votes_text and count("votes", i) not in (0, 1):
                problems.append(CountProblem(name, row, "votes", "counts.count",
                                             "a ballot read one at a time has votes 1 (or empty)"))
                continue
            sheet["reads"][ballot] = (cand, lst) if (cand or lst) else None
            if cand or lst:
                sheet["rows"].setdefault((cand, lst), row)
            continue
        if not cand and not lst:
            if votes_text:
                problems.append(CountProblem(name, row, "candidate_id", "counts.choice",
                                             "votes need a candidate_id or a list_id"))
            continue  # a row that carries only the sheet totals
        value = count("votes", i)
        if value is None:
            problems.append(CountProblem(name, row, "votes", "counts.count",
                                         f"expected a whole number >= 0, got {votes_text!r}"))
            continue
        if (cand, lst) in sheet["votes"]:
            problems.append(CountProblem(name, row, "candidate_id" if cand else "list_id", "counts.duplicate",
                                         f"{'candidate' if cand else 'list'} {cand or lst} of station {station}, "
                                         f"contest {contest} appears twice"))
            continue
        sheet["votes"][(cand, lst)] = value
        sheet["rows"][(cand, lst)] = row
    for (station, contest), s in sheets.items():
        if s["missing"] and (s["votes"] or s["reads"] or s["totals"]):
            problems.append(CountProblem(name, s["row"], "status", "counts.missing",
                                         f"station {station}, contest {contest} is recorded both as missing "
                                         "and as counted"))
    if problems:
        raise HandCountFileError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    return tuple(HandCount(station, contest, s["missing"], s["totals"].get("ballots_cast"),
                           s["totals"].get("invalid"), s["totals"].get("blank"),
                           MappingProxyType(dict(s["votes"])), MappingProxyType(dict(s["reads"])),
                           row=s["row"], choice_rows=MappingProxyType(dict(s["rows"])))
                 for (station, contest), s in sheets.items())
