"""Domain values of an election and the columns of the election package.

Small entity tables (contests, candidates, lists, areas) are exposed as frozen dataclasses; the bulk tables
(stations, sheets, results) stay columnar (Arrow) because a national election has tens of millions of result rows.
Votes and ballots are integers everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa


class Gender(str, Enum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"
    UNKNOWN = ""


_GENDERS = {g.value: g for g in Gender}


class ColumnKind(str, Enum):
    ID = "id"  # identifier: text, compared byte for byte
    TEXT = "text"
    COUNT = "count"  # whole number >= 0
    GENDER = "gender"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    kind: ColumnKind
    required: bool
    # a required column whose cells may still be empty (e.g. `registered` is required only as data, never as a header)
    nullable: bool = False

    @property
    def arrow_type(self) -> pa.DataType:
        return pa.int64() if self.kind is ColumnKind.COUNT else pa.string()


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    required: bool
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type, nullable=c.kind is ColumnKind.COUNT) for c in self.columns])


def _c(name: str, kind: ColumnKind, required: bool = False, nullable: bool = False) -> ColumnSpec:
    return ColumnSpec(name, kind, required, nullable)


ID, TEXT, COUNT, GENDER = ColumnKind.ID, ColumnKind.TEXT, ColumnKind.COUNT, ColumnKind.GENDER

# The package's tables in the order they are read, checked and hashed (docs/format.md). Candidate and list ids
# are scoped by contest (commissions often number candidates by ballot position), so their keys include it.
TABLES: tuple[TableSpec, ...] = (
    TableSpec("areas", False, (_c("area_id", ID, True), _c("name", TEXT, True), _c("parent", ID), _c("level", TEXT)),
              ("area_id",)),
    TableSpec("contests", True, (_c("contest_id", ID, True), _c("name", TEXT, True), _c("seats", COUNT, True),
                                 _c("area", ID, True), _c("women_seats", COUNT), _c("group", TEXT)),
              ("contest_id",)),
    TableSpec("seat_areas", False, (_c("contest_id", ID, True), _c("area", ID, True), _c("seats", COUNT, True)),
              ("contest_id", "area")),
    TableSpec("lists", False, (_c("list_id", ID, True), _c("contest_id", ID, True), _c("name", TEXT, True)),
              ("contest_id", "list_id")),
    TableSpec("candidates", True, (_c("candidate_id", ID, True), _c("contest_id", ID, True), _c("name", TEXT, True),
                                   _c("party", TEXT), _c("gender", GENDER), _c("group", TEXT), _c("area", ID),
                                   _c("list_id", ID)),
              ("contest_id", "candidate_id")),
    TableSpec("stations", True, (_c("station_id", ID, True), _c("centre_id", ID, True), _c("area", ID, True),
                                 _c("registered", COUNT, nullable=True), _c("kind", TEXT)),
              ("station_id",)),
    TableSpec("sheets", True, (_c("station_id", ID, True), _c("contest_id", ID, True), _c("ballots_cast", COUNT, True),
                               _c("invalid", COUNT, True), _c("blank", COUNT, True), _c("ballots_received", COUNT),
                               _c("ballots_unused", COUNT), _c("ballots_spoiled", COUNT)),
              ("station_id", "contest_id")),
    TableSpec("results", True, (_c("station_id", ID, True), _c("contest_id", ID, True), _c("candidate_id", ID),
                                _c("list_id", ID), _c("votes", COUNT, True)),
              ("station_id", "contest_id", "candidate_id", "list_id")),
)
TABLE_SPECS: Mapping[str, TableSpec] = MappingProxyType({t.name: t for t in TABLES})


@dataclass(frozen=True, slots=True)
class Law:
    """A named rule set and/or explicit parameters (issue: seats); kept verbatim from election.toml."""

    name: str | None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Election:
    name: str
    date: dt.date
    law: Law
    country: str | None = None
    source: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Area:
    area_id: str
    name: str
    parent: str
    level: str


@dataclass(frozen=True, slots=True)
class Contest:
    contest_id: str
    name: str
    seats: int
    area: str
    women_seats: int
    group: str


@dataclass(frozen=True, slots=True)
class Candidate:
    candidate_id: str
    contest_id: str
    name: str
    party: str
    gender: Gender
    group: str
    area: str
    list_id: str


@dataclass(frozen=True, slots=True)
class ElectoralList:
    list_id: str
    contest_id: str
    name: str


@dataclass(frozen=True, slots=True)
class ResultCodes:
    """Indexes of the result rows that validation has already computed, so tabulation need not look up tens of
    millions of identifiers again. Derived data: never stored, never hashed."""

    station: np.ndarray  # per result row: index into the stations table
    choice: np.ndarray  # per result row: position in `choices.ballot_choices` order


@dataclass(frozen=True, slots=True)
class ElectionData:
    """One election: its metadata and every package table, typed, in canonical (key) order."""

    election: Election
    tables: Mapping[str, pa.Table]
    codes: ResultCodes | None = field(default=None, compare=False, repr=False)
    # The entity tuples below, built once: the tables are immutable, so the tuples never go stale (a new
    # ElectionData, e.g. from dataclasses.replace, starts with an empty cache). Seat margins and what-ifs
    # re-allocate many times, and rebuilding 3,000 candidates each time was a third of an allocation.
    _entities: dict[str, tuple[Any, ...]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def table(self, name: str) -> pa.Table:
        return self.tables[name]

    def _cached(self, name: str, build: Any) -> tuple[Any, ...]:
        got = self._entities.get(name)
        if got is None:
            got = self._entities[name] = build()
        return got

    @property
    def contests(self) -> tuple[Contest, ...]:
        return self._cached("contests", lambda: tuple(
            Contest(r["contest_id"], r["name"], r["seats"], r["area"], r["women_seats"] or 0, r["group"])
            for r in self.tables["contests"].to_pylist()))

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        def build() -> tuple[Candidate, ...]:
            t = self.tables["candidates"]
            cols = [t.column(n).to_pylist() for n in ("candidate_id", "contest_id", "name", "party", "gender",
                                                      "group", "area", "list_id")]
            cols[4] = [_GENDERS[g] for g in cols[4]]  # a dict look-up: Gender(value) per row is the slow part
            return tuple(map(Candidate, *cols))
        return self._cached("candidates", build)

    @property
    def lists(self) -> tuple[ElectoralList, ...]:
        return self._cached("lists", lambda: tuple(
            ElectoralList(r["list_id"], r["contest_id"], r["name"]) for r in self.tables["lists"].to_pylist()))

    @property
    def areas(self) -> tuple[Area, ...]:
        return self._cached("areas", lambda: tuple(
            Area(r["area_id"], r["name"], r["parent"], r["level"]) for r in self.tables["areas"].to_pylist()))


def empty_table(spec: TableSpec) -> pa.Table:
    return spec.arrow_schema.empty_table()
