"""Problems found in an election package: one shape for every rule, error or warning.

Every rule has a stable id listed in docs/format.md (a test keeps the two in step). A problem names the file, the
row (counted from 1 at the header line, as a spreadsheet shows it), the column, the rule and the offending value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from types import MappingProxyType


class Severity(str, Enum):
    ERROR = "error"  # the files cannot be read as meant: the import is refused whole
    WARNING = "warning"  # recorded with the snapshot; `--strict` makes it an error


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    summary: str


E, W = Severity.ERROR, Severity.WARNING
_RULES = (
    Rule("file.missing", E, "a required file of the package is absent"),
    Rule("file.undecodable", E, "the bytes are not text in the detected or named encoding"),
    Rule("file.unreadable", E, "the file cannot be parsed (broken XLSX, TOML syntax, CSV quoting)"),
    Rule("file.empty", E, "the file has no header line"),
    Rule("file.column-missing", E, "a required column is absent"),
    Rule("file.column-duplicate", E, "a column tallycheck reads appears twice in the header"),
    Rule("file.column-ignored", W, "a column tallycheck does not know is ignored"),
    Rule("row.field-count", E, "a row has more or fewer fields than the header"),
    Rule("row.total-skipped", W, "a trailing total row is skipped: it is a sum, not a station"),
    Rule("value.required", E, "a required value is empty"),
    Rule("value.not-a-count", E, "a count is not a whole number >= 0"),
    Rule("value.control-character", E, "a value holds a control character (tab, line break, ...)"),
    Rule("value.not-in-vocabulary", E, "a value is not one of the allowed words (e.g. gender F, M, X)"),
    Rule("value.numeric-id", W, "an XLSX identifier is stored as a number: leading zeros may have been lost"),
    Rule("id.duplicate", E, "an identifier or key appears twice in its table"),
    Rule("id.unknown", E, "a reference names an identifier that its table does not hold"),
    Rule("election.schema", E, "election.toml does not follow its JSON Schema"),
    Rule("contest.reserved-seats", E, "reserved or per-area seats do not fit the contest's seats"),
    Rule("candidate.list-contest", E, "a candidate's list belongs to another contest"),
    Rule("results.choice", E, "a results row must name exactly one of candidate_id and list_id"),
    Rule("results.not-on-ballot", E, "the candidate or list is not on the ballot of the row's contest"),
    Rule("results.no-sheet", W, "results are given for a station and contest that have no sheet"),
    Rule("sheet.arithmetic", W, "candidate and list votes + invalid + blank differ from ballots cast"),
    Rule("sheet.reconciliation", W, "ballots received differ from ballots cast + unused + spoiled"),
    Rule("sheet.over-registered", W, "ballots cast exceed the station's registered voters"),
    Rule("sheet.no-results", W, "a sheet has no result rows"),
    Rule("station.no-results", W, "a station has neither a sheet nor results"),
    Rule("station.outside-area", W, "a station serves a contest whose area does not contain the station's area"),
)
RULES: Mapping[str, Rule] = MappingProxyType({r.id: r for r in _RULES})


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    file: str
    row: int | None
    column: str | None
    rule: str
    value: str | None
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"severity": self.severity.value, "file": self.file, "row": self.row, "column": self.column,
                "rule": self.rule, "value": self.value, "message": self.message}

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Problem:
        return cls(Severity(d["severity"]), str(d["file"]), d["row"], d["column"], str(d["rule"]),  # type: ignore[arg-type]
                   d["value"], str(d["message"]))  # type: ignore[arg-type]

    def where(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


def problem(rule: str, file: str, row: int | None, column: str | None, value: object, message: str) -> Problem:
    r = RULES[rule]  # KeyError here is a bug: every rule must be catalogued
    return Problem(r.severity, file, row, column, rule, None if value is None else str(value), message)


def escalate(problems: Iterable[Problem]) -> list[Problem]:
    """`--strict`: every warning becomes an error."""
    return [replace(p, severity=Severity.ERROR) for p in problems]


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)
