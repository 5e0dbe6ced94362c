"""docs/format.md cannot drift from the code: every table's columns, in order, with whether each is required."""

from __future__ import annotations

import re

import pytest

from package_builder import TESTS
from tallycheck.model import TABLES

FORMAT_MD = (TESTS.parent / "docs" / "format.md").read_text("utf-8")


def documented_columns(table: str) -> list[tuple[str, str]]:
    """(column, required) rows of the `## TABLE.csv` section's column table."""
    m = re.search(rf"^## {table}\.csv.*?\n(.*?)(?=^## |\Z)", FORMAT_MD, flags=re.S | re.M)
    assert m, f"docs/format.md has no section ## {table}.csv"
    return re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|", m.group(1), flags=re.M)


@pytest.mark.parametrize("spec", TABLES, ids=[t.name for t in TABLES])
def test_documented_columns_are_the_model_columns(spec) -> None:
    documented = documented_columns(spec.name)
    assert [c for c, _ in documented] == list(spec.column_names)
    for column, required in documented:
        # "yes" = the header must hold the column; "one of the two" (results' choice) and "no" = it may be absent
        assert (required == "yes") == spec.column(column).required, (spec.name, column, required)


def test_documented_optional_tables_are_optional() -> None:
    listing = re.search(r"```\nmy-election/\n(.*?)```", FORMAT_MD, flags=re.S)
    assert listing
    for spec in TABLES:
        line = next(line for line in listing.group(1).splitlines() if f"{spec.name}.csv" in line)
        assert ("(required" in line) == spec.required, line
