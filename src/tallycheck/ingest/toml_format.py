"""election.toml: the election's name, date and law, checked against a JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from ..model import Election, Law
from ..problems import Problem, problem

FILE = "election.toml"


@cache
def election_schema() -> dict[str, Any]:
    return json.loads(resources.files("tallycheck.schemas").joinpath("election.schema.json").read_text("utf-8"))


def to_json_value(value: Any) -> Any:
    """TOML values as JSON values: dates and times become ISO 8601 strings."""
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class ElectionRead:
    election: Election | None
    document: dict[str, Any]  # the JSON form, hashed into the snapshot
    problems: tuple[Problem, ...]


def read_election_toml(data: bytes) -> ElectionRead:
    try:
        text = data.decode("utf-8-sig", errors="strict") if data else ""
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition: refuse, naming where, instead of crashing
        row, bad = data.count(b"\n", 0, exc.start) + 1, data[exc.start:exc.end].hex(" ")
        return ElectionRead(None, {}, (problem("file.undecodable", FILE, row, None, bad,
                                                f"Bytes {bad} in row {row} of {FILE} are not UTF-8; TOML files must "
                                                f"be saved as UTF-8."),))
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        return ElectionRead(None, {}, (problem("file.unreadable", FILE, int(m.group(1)) if m else None, None, None,
                                                f"{FILE} is not valid TOML: {exc}."),))
    return election_from_document(to_json_value(raw))


def _field(error: Any) -> str | None:
    """The dotted key a schema error is about; for a missing key, the key that is missing (e.g. `name`)."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        m = re.match(r"'([^']+)' is a required property", error.message)
        if m:
            path.append(m.group(1))
    return ".".join(path) or None


def election_from_document(doc: dict[str, Any]) -> ElectionRead:
    """The election from its JSON form (as read from election.toml, or as stored in a snapshot)."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(election_schema()).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        return ElectionRead(None, doc, tuple(
            problem("election.schema", FILE, None, _field(e),
                    None if isinstance(e.instance, (dict, list)) else e.instance,
                    f"{FILE}: {'.'.join(str(p) for p in e.absolute_path) or 'top level'}: {e.message}.")
            for e in errors))
    try:
        date = dt.date.fromisoformat(doc["date"])
    except ValueError:
        return ElectionRead(None, doc, (problem("election.schema", FILE, None, "date", doc["date"],
                                                f"{FILE}: date {doc['date']!r} is not a calendar date."),))
    law_doc = dict(doc["law"])
    law = Law(law_doc.pop("name", None), _freeze(law_doc))
    election = Election(doc["name"], date, law, doc.get("country"), _freeze(doc.get("source", {})))
    return ElectionRead(election, doc, ())
