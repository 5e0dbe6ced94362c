"""election.toml and its JSON Schema (src/tallycheck/schemas/election.schema.json; docs/format.md, "election.toml")."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from package_builder import TESTS, TINY, make_package, problems_of
from tallycheck.ingest.toml_format import read_election_toml, to_json_value

SCHEMA_PATH = TESTS.parent / "src" / "tallycheck" / "schemas" / "election.schema.json"
LAW = '\n[law]\nname = "iraq-2021"\n'


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_packaged_schema_is_the_source_file() -> None:
    from tallycheck.ingest.toml_format import election_schema

    assert election_schema() == json.loads(SCHEMA_PATH.read_text("utf-8"))


def test_tiny_election_validates() -> None:
    doc = to_json_value(tomllib.loads((TINY / "election.toml").read_text("utf-8")))
    Draft202012Validator(json.loads(SCHEMA_PATH.read_text("utf-8"))).validate(doc)
    read = read_election_toml((TINY / "election.toml").read_bytes())
    assert read.problems == ()
    assert read.election is not None and read.election.name == "Tiny test election"
    assert str(read.election.date) == "2021-10-10" and read.election.country == "IQ"
    assert read.election.law.name == "iraq-2021"


# The example of docs/format.md, "election.toml", with its ellipsis URL made concrete.
DOCS_EXAMPLE = '''
name = "Iraq Council of Representatives 2021"
date = 2021-10-10            # a TOML date or an ISO "YYYY-MM-DD" string
country = "IQ"               # optional, ISO 3166-1 alpha-2

[law]
name = "iraq-2021"
system = "sntv"
women_replacement = "lowest-voted-man"

[source]
publisher = "IHEC"
url = "https://ihec.iq/"
retrieved = 2021-10-12
'''

ACCEPTED = [
    ("docs-example", DOCS_EXAMPLE),
    ("date-as-string", 'name = "x"\ndate = "2021-10-10"' + LAW),
    ("law-by-parameters", 'name = "x"\ndate = 2021-10-10\n[law]\nsystem = "list-pr"\n'),
    ("no-country", 'name = "الانتخابات"\ndate = 2021-10-10' + LAW),
    ("utf8-bom", '\ufeffname = "x"\ndate = 2021-10-10' + LAW),
]


@pytest.mark.parametrize("text", [t for _, t in ACCEPTED], ids=[i for i, _ in ACCEPTED])
def test_accepted_election_files(text: str) -> None:
    read = read_election_toml(text.encode("utf-8"))
    assert read.problems == (), [p.message for p in read.problems]
    assert read.election is not None


# (case, election.toml, the field the problem names)
REFUSED = [
    ("missing-name", 'date = 2021-10-10' + LAW, "name"),
    ("empty-name", 'name = ""\ndate = 2021-10-10' + LAW, "name"),
    ("missing-date", 'name = "x"' + LAW, "date"),
    ("date-not-iso", 'name = "x"\ndate = "10/10/2021"' + LAW, "date"),
    ("date-not-a-day", 'name = "x"\ndate = "2021-02-30"' + LAW, "date"),
    ("date-time-not-date", 'name = "x"\ndate = 2021-10-10T08:00:00' + LAW, "date"),
    ("country-name", 'name = "x"\ndate = 2021-10-10\ncountry = "Iraq"' + LAW, "country"),
    ("country-lowercase", 'name = "x"\ndate = 2021-10-10\ncountry = "iq"' + LAW, "country"),
    ("country-alpha-3", 'name = "x"\ndate = 2021-10-10\ncountry = "IRQ"' + LAW, "country"),
    ("missing-law", 'name = "x"\ndate = 2021-10-10\n', "law"),
    ("law-unknown-system", 'name = "x"\ndate = 2021-10-10\n[law]\nsystem = "borda-count"\n', "law.system"),
    ("law-without-name-or-system", 'name = "x"\ndate = 2021-10-10\n[law]\nwomen_replacement = "x"\n', "law"),
    ("name-not-text", 'name = 2021\ndate = 2021-10-10' + LAW, "name"),
]


@pytest.mark.parametrize(("text", "field"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_election_files_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    package = make_package(tmp_path / "pkg", election=text)
    problems = [p for p in problems_of(package) if p.file == "election.toml"]
    assert problems, "refused without a problem"
    assert {p.rule for p in problems} == {"election.schema"}
    assert field in {p.column for p in problems}, [(p.column, p.message) for p in problems]
    assert all(p.severity.value == "error" for p in problems)
    assert any(field.split(".")[-1] in p.message for p in problems)


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    """additionalProperties: false at the top level: a typo like `nmae` is not silently ignored."""
    package = make_package(tmp_path / "pkg", election='name = "x"\nnmae = "y"\ndate = 2021-10-10' + LAW)
    problems = problems_of(package)
    assert [p.rule for p in problems] == ["election.schema"]
    assert "nmae" in problems[0].message


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    package = make_package(tmp_path / "pkg", election='name = "x"\ndate = 2021-10-10\ncountry = IQ\n' + LAW)
    [p] = problems_of(package)
    assert (p.rule, p.file, p.row) == ("file.unreadable", "election.toml", 3)


@pytest.mark.parametrize(("data", "row"), [
    ('name = "الانتخابات"\ndate = 2021-10-10\n'.encode("cp1256") + LAW.encode(), 1),  # saved by an Arabic-locale editor
    ('\n\nname = "Ñ"\n'.encode("cp1252") + LAW.encode(), 3),
    ('name = "x"\n'.encode("utf-16"), 1),  # Notepad's "Unicode"
])
def test_election_toml_not_utf8_is_refused_not_a_crash(tmp_path: Path, data: bytes, row: int) -> None:
    package = make_package(tmp_path / "pkg", election=data)
    problems = [p for p in problems_of(package) if p.file == "election.toml"]
    assert [(p.rule, p.row) for p in problems] == [("file.undecodable", row)]
    assert "UTF-8" in problems[0].message
