"""Adapter: Uganda's presidential elections of 2011, 2016 and 2021, per polling station, as election packages.

Writes the package of docs/format.md from the data described in docs/data-sources.md.

Source: the station files `uedp_<year>_stations.csv` of the Uganda Elections Data Portal (UEDP, International
Republican Institute with Keshif; github.com/bt-IRI/UEDP), IRI's conversion of the Electoral Commission's
per-station PDFs. No licence is stated: the data is never copied into this repository, nor is a package
written from it. The decisions that shape the numbers:

- Every number is copied as published: `registered` = `Reg.Voters`, `ballots_cast` = `T.Votes`, `invalid` =
  `Inv.Votes`, `blank` = 0 (no such line is published), one result row per station and candidate column.
  Nothing is recomputed, so published totals that disagree show as `sheet.arithmetic` or
  `sheet.over-registered` when the package is imported. `V.Votes` has no place in the package: the adapter
  compares it with the candidate columns and with `T.Votes - Inv.Votes` itself and names the stations where
  they differ (`PackageSummary`).
- A non-reported station (`NON_REP` = 1) keeps its station row and register but gets no sheet and no
  results, so the import lists it as `station.no-results`. Its count columns are blank or 0 in the source; a
  non-reported row with a vote is refused, never dropped.
- `station_id` is `Original_Station_ID_previous`. In 2021, 447 of those ids are on two or three rows (898
  rows): every row is kept as its own station, and each row of such a group gets the id with `#1`, `#2`, `#3`
  in file order, so no row looks like the "real" one. `station_sources.csv` (a side file, not a package
  table) maps every station to its source row and name.
- Areas are the name path district > constituency > sub-county > parish; an area id is the path of the
  names' slugs (`APAC/MARUZI-COUNTY/AKOKORO/AWILA`), so a name repeated under another parent is another area.
  Names are whitespace-normalised (double spaces; line breaks inside some 2016 station names). UEDP has no
  polling centres: a station's `centre_id` is its parish's id.
- Candidates are the year's candidate columns; the id is the name the column leads with, as a slug
  (`besigye`, `kyagulanyi`), and `museveni` for Yoweri Museveni in every year, so a candidate who ran more
  than once keeps one id. The display name is the column header as written. Party and gender are not in the
  source and are left empty.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..package_folder import check_free, staged_folder, toml_string, write_id_csv, write_small_csv

SOURCE_REPOSITORY = "https://github.com/bt-IRI/UEDP"
SOURCE_COMMIT = "d365e2f82c84e26a4a947ae08c9faba9aeea6c68"
SOURCE_PUBLISHER = ("Uganda Elections Data Portal (International Republican Institute with Keshif), from the "
                    "Electoral Commission of Uganda's per-station results")
COUNTRY = "UG"
COUNTRY_NAME = "Uganda"
LAW = "uganda-presidential"
STATION_SOURCES_FILE = "station_sources.csv"
DUPLICATE_MARK = "#"  # station ids of a repeated Original_Station_ID_previous: "<id>#1", "<id>#2", ...
AREA_SEPARATOR = "/"
LEVELS = ("district", "constituency", "subcounty", "parish")

_NAME_COLUMNS = ("Dist_name_previous", "Const_name_previous", "Sub_cty_name_previous", "Par_name_previous")
_ID_COLUMN = "Original_Station_ID_previous"
_STATION_NAME = "Station_string_previous"
_REGISTERED, _VALID, _INVALID, _CAST, _NON_REP = "Reg.Voters", "V.Votes", "Inv.Votes", "T.Votes", "NON_REP"
_MAP_COLUMNS = ("Map11.16_reg_name", "Map11.16_subreg_name", "Map11.16_dist_name", "Map11.16_cty_name",
                "Map11.16_subcyt_name", "Map11.16_par_name", "ID", "Map11.16_agg_code")
_STATION_ID = re.compile(r"O(-[0-9]+)+")
_NOT_SLUG = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True, slots=True)
class Year:
    """One election of the source: its file, polling day and ballot (candidate column -> candidate_id)."""

    year: int
    date: str
    archive: str  # the file's archive in the UEDP repository (README)
    candidates: tuple[tuple[str, str], ...]
    extra_columns: tuple[str, ...]  # columns between Reg.Voters and the candidates, not used
    map_columns: bool  # the trailing Map11.16_* geography columns (2011, 2016), not used

    @property
    def file(self) -> str:
        return f"uedp_{self.year}_stations.csv"

    @property
    def contest_id(self) -> str:
        return f"UG-PRES-{self.year}"

    @property
    def header(self) -> tuple[str, ...]:
        return ("Year", *_NAME_COLUMNS, _STATION_NAME, _ID_COLUMN, _REGISTERED, *self.extra_columns,
                *(c for c, _ in self.candidates), _VALID, _INVALID, _CAST, _NON_REP,
                *(_MAP_COLUMNS if self.map_columns else ()))


# Candidate ids: the name the column leads with (after the initial in 2011 and 2016; the first word in 2021,
# where names are written surname first), except Yoweri Museveni, whose 2021 column starts with his given
# name.
YEARS: dict[int, Year] = {y.year: y for y in (
    Year(2011, "2011-02-18", "UEDP Datasets/UEDP 2011 Dataset.7z",
         (("A.Bwanika", "bwanika"), ("K.Besigye", "besigye"), ("Y.Museveni", "museveni"),
          ("B.Namisango", "namisango"), ("B.Ssali", "ssali"), ("N.Mao", "mao"), ("O.Otunnu", "otunnu"),
          ("S.Lubega", "lubega")), (), True),
    Year(2016, "2016-02-18", "UEDP Datasets/UEDP 2016 Dataset.7z",
         (("A.Bwanika", "bwanika"), ("A.Mbabazi", "mbabazi"), ("V.Baryamureeba", "baryamureeba"),
          ("B.Biraaro", "biraaro"), ("K.Besigye", "besigye"), ("J.Mabirizi", "mabirizi"),
          ("M.Kyalya", "kyalya"), ("Y.Museveni", "museveni")),
         ("M_18.30", "M_31.up", "F_18.30", "F_31.up"), True),
    Year(2021, "2021-01-14", "Original File Conversions/2021 File Conversions/UEDP_2021_AllStations.7z",
         (("Amuriat Oboi Patrick", "amuriat"), ("Kabuleta Kiiza Joseph", "kabuleta"),
          ("Kalembe Nancy Linda", "kalembe"), ("Katumba John", "katumba"),
          ("Kyagulanyi Ssentamu Robert", "kyagulanyi"), ("Mao Norbert", "mao"),
          ("Mayambala Willy", "mayambala"), ("Mugisha Muntu Gregg", "mugisha"), ("Mwesigye Fred", "mwesigye"),
          ("Tumukunde Henry Kakurugu", "tumukunde"), ("Yoweri Museveni Tibuhaburwa Kaguta", "museveni")),
         (), False),
)}


class SourceDataError(ValueError):
    """The source file is not shaped as this adapter expects; the message names the cases."""


@dataclass(frozen=True, slots=True)
class PackageSummary:
    out: Path
    year: int
    contest_id: str
    areas: int
    candidates: int
    stations: int  # one per source row
    sheets: int  # one per reporting station
    results: int
    non_reporting: tuple[str, ...]  # NON_REP = 1: station kept, no sheet, no results
    duplicate_source_ids: tuple[str, ...]  # Original_Station_ID_previous values on more than one row
    identical_duplicate_rows: tuple[str, ...]  # of those, the ids whose rows are identical in every column
    # The published totals of reporting stations, checked (station ids). The first two involve V.Votes, which
    # the package does not hold; the import reports the last two as sheet.arithmetic, sheet.over-registered.
    candidates_not_valid: tuple[str, ...]  # the candidate columns do not sum to V.Votes
    cast_not_valid_plus_invalid: tuple[str, ...]  # T.Votes != V.Votes + Inv.Votes
    arithmetic: tuple[str, ...]  # T.Votes != candidate columns + Inv.Votes
    over_registered: tuple[str, ...]  # T.Votes > Reg.Voters


@dataclass(frozen=True, slots=True)
class _Row:
    number: int  # the source row, counted from 1 at the header as a spreadsheet shows it (records, not lines)
    source_id: str
    names: tuple[str, ...]  # district, constituency, sub-county, parish (whitespace-normalised)
    station_name: str
    registered: int
    counts: tuple[int, ...] | None  # candidates..., V.Votes, Inv.Votes, T.Votes; None: not reported
    raw: tuple[str, ...]


def available_years() -> tuple[int, ...]:
    return tuple(sorted(YEARS))


def write_package(source_dir: Path, out: Path, year: int) -> PackageSummary:
    """Write the package of the presidential election of `year` (2011, 2016 or 2021) into `out`.

    `out` must be missing or empty; the package is written into a sibling folder and renamed into place, so a
    failure leaves nothing behind. The output is deterministic: the same bytes on every run.
    """
    if isinstance(year, bool) or year not in YEARS:
        raise ValueError(f"No UEDP station file for the year {year!r}; the years are "
                         f"{', '.join(map(str, available_years()))}.")
    spec = YEARS[year]
    source_dir, out = Path(source_dir), Path(out)
    check_free(out)  # before the work, not only after it
    rows = _read(source_dir / spec.file, spec)
    ids = _station_ids(rows)
    tables = _tables(rows, ids, spec)
    summary = PackageSummary(out, year, spec.contest_id, len(tables["areas"]), len(spec.candidates),
                             *(tables[n].num_rows for n in ("stations", "sheets", "results")),
                             **_findings(rows, ids))
    candidates = sorted(((cid, spec.contest_id, column, "", "") for column, cid in spec.candidates),
                        key=lambda c: _bytes_key(c[0]))
    with staged_folder(out) as stage:
        _write_election_toml(stage / "election.toml", spec)
        write_small_csv(stage / "areas.csv", ("area_id", "name", "parent", "level"), tables["areas"])
        write_small_csv(stage / "contests.csv", ("contest_id", "name", "seats", "area"),
                         [(spec.contest_id, f"President of Uganda, {year}", 1, COUNTRY)])
        write_small_csv(stage / "candidates.csv", ("candidate_id", "contest_id", "name", "party", "gender"),
                         candidates)
        for name in ("stations", "sheets", "results"):
            write_id_csv(stage / f"{name}.csv", tables[name])
        write_small_csv(stage / STATION_SOURCES_FILE, ("station_id", "source_row", "source_id", "name"),
                         tables["station_sources"])
    return summary


# -- reading -------------------------------------------------------------------------------------------------

def _normalise(name: str) -> str:
    return " ".join(name.split())


@functools.cache
def _slug(name: str) -> str:
    return _NOT_SLUG.sub("-", name.upper()).strip("-")


def _count(value: str) -> int | None:
    if not (value.isascii() and value.isdigit()):
        value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _read(path: Path, spec: Year) -> list[_Row]:
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} is missing from {path.parent}; expected the station file of "
                                f"the UEDP {spec.year} dataset ({SOURCE_REPOSITORY}, {spec.archive}).")
    with path.open(encoding="utf-8-sig", newline="") as f:
        records = list(csv.reader(f))
    header = spec.header
    if not records or tuple(h.strip() for h in records[0]) != header:
        raise SourceDataError(f"{path.name} has the header {records[0] if records else []}; "
                              f"expected {list(header)}.")
    col = {name: i for i, name in enumerate(header)}
    count_cols = [*(col[c] for c, _ in spec.candidates), col[_VALID], col[_INVALID], col[_CAST]]
    rows: list[_Row] = []
    bad: defaultdict[str, list[int]] = defaultdict(list)
    for number, record in enumerate(records[1:], start=2):
        if len(record) != len(header):
            bad["a row with another number of fields than the header"].append(number)
            continue
        source_id = record[col[_ID_COLUMN]].strip()
        names = tuple(_normalise(record[col[c]]) for c in _NAME_COLUMNS)
        registered = _count(record[col[_REGISTERED]])
        non_rep = record[col[_NON_REP]].strip()
        counts = [_count(record[i]) for i in count_cols]
        if record[0].strip() != str(spec.year):
            bad["a Year other than the file's"].append(number)
        if not _STATION_ID.fullmatch(source_id):
            bad[f"an {_ID_COLUMN} not shaped like O-1-3-1-3-1"].append(number)
        if not all(_slug(n) for n in names):
            bad["an empty district, constituency, sub-county or parish name"].append(number)
        if registered is None:
            bad[f"a {_REGISTERED} that is not a whole number"].append(number)
        if non_rep not in ("0", "1"):
            bad[f"a {_NON_REP} other than 0 or 1"].append(number)
        elif non_rep == "0" and None in counts:
            bad["a reporting station with a vote count that is not a whole number"].append(number)
        elif non_rep == "1" and any(record[i].strip() not in ("", "0") for i in count_cols):
            bad["a non-reported station (NON_REP = 1) with votes"].append(number)
        rows.append(_Row(number, source_id, names, _normalise(record[col[_STATION_NAME]]), registered or 0,
                         tuple(counts) if non_rep == "0" else None, tuple(record)))
    if bad:
        raise SourceDataError(f"{path.name} is not as documented: " + "; ".join(
            f"{what} (rows {', '.join(map(str, numbers[:5]))}{', ...' if len(numbers) > 5 else ''})"
            for what, numbers in bad.items()))
    return rows


# -- the package's tables ------------------------------------------------------------------------------------

def _bytes_key(value: str) -> bytes:
    return value.encode("utf-8")  # the format's canonical order compares identifiers byte-wise


def _station_ids(rows: Sequence[_Row]) -> list[str]:
    """Original_Station_ID_previous; each row of an id on several rows gets #1, #2, ... in file order."""
    seen: defaultdict[str, int] = defaultdict(int)
    for r in rows:
        seen[r.source_id] += 1
    ordinal: defaultdict[str, int] = defaultdict(int)
    ids = []
    for r in rows:
        if seen[r.source_id] == 1:
            ids.append(r.source_id)
        else:
            ordinal[r.source_id] += 1
            ids.append(f"{r.source_id}{DUPLICATE_MARK}{ordinal[r.source_id]}")
    return ids


def _areas(rows: Sequence[_Row]) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """The area tree (the country, then the name path) and each row's parish id."""
    areas: dict[str, tuple[str, str, str, str]] = {COUNTRY: (COUNTRY, COUNTRY_NAME, "", "country")}
    collisions: set[tuple[str, ...]] = set()
    parishes = []
    for r in rows:
        parent, path = COUNTRY, ""
        for name, level in zip(r.names, LEVELS):
            path = f"{path}{AREA_SEPARATOR}{_slug(name)}" if path else _slug(name)
            known = areas.setdefault(path, (path, name, parent, level))
            if known[1] != name:  # two names, one id: never merged silently
                collisions.add((path, *sorted((known[1], name))))
            parent = path
        parishes.append(parent)
    if collisions:
        raise SourceDataError(f"Area names that give the same id: {sorted(collisions)[:5]}")
    return sorted(areas.values(), key=lambda a: _bytes_key(a[0])), parishes


def _tables(rows: Sequence[_Row], ids: Sequence[str], spec: Year) -> dict:
    areas, parishes = _areas(rows)
    order = sorted(range(len(rows)), key=lambda i: _bytes_key(ids[i]))
    parish = [parishes[i] for i in order]
    stations = pa.table({
        "station_id": pa.array([ids[i] for i in order], pa.string()),
        "centre_id": pa.array(parish, pa.string()),  # UEDP has no polling centres: the parish stands in
        "area": pa.array(parish, pa.string()),
        "registered": pa.array([rows[i].registered for i in order], pa.int64()),
    })
    reporting = [i for i in order if rows[i].counts is not None]
    n_cand = len(spec.candidates)
    counts = np.array([rows[i].counts for i in reporting], dtype=np.int64).reshape(len(reporting), n_cand + 3)
    reporting_ids = [ids[i] for i in reporting]
    sheets = pa.table({
        "station_id": pa.array(reporting_ids, pa.string()),
        "contest_id": pa.array([spec.contest_id] * len(reporting), pa.string()),
        "ballots_cast": counts[:, n_cand + 2], "invalid": counts[:, n_cand + 1],
        "blank": np.zeros(len(reporting), np.int64),
    })
    # one row per reporting station and candidate, candidates in id order within each station
    cand_order = sorted(range(n_cand), key=lambda j: _bytes_key(spec.candidates[j][1]))
    results = pa.table({
        "station_id": pa.array(np.repeat(np.array(reporting_ids, dtype=object), n_cand), pa.string()),
        "contest_id": pa.array([spec.contest_id] * (len(reporting) * n_cand), pa.string()),
        "candidate_id": pa.array([spec.candidates[j][1] for j in cand_order] * len(reporting), pa.string()),
        "votes": counts[:, cand_order].reshape(-1),
    })
    station_sources = [(ids[i], rows[i].number, rows[i].source_id, rows[i].station_name) for i in order]
    return {"areas": areas, "stations": stations, "sheets": sheets, "results": results,
            "station_sources": station_sources}


def _findings(rows: Sequence[_Row], ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """What the adapter reports about the source: repeated station ids, and published totals that disagree."""
    by_source: defaultdict[str, list[_Row]] = defaultdict(list)
    for r in rows:
        by_source[r.source_id].append(r)
    duplicates = [s for s, group in by_source.items() if len(group) > 1]
    found: dict[str, list[str]] = {k: [] for k in ("candidates_not_valid", "cast_not_valid_plus_invalid",
                                                   "arithmetic", "over_registered")}
    for r, station_id in zip(rows, ids):
        if r.counts is None:
            continue
        *votes, valid, invalid, cast = r.counts
        checks = {"candidates_not_valid": sum(votes) != valid,
                  "cast_not_valid_plus_invalid": cast != valid + invalid,
                  "arithmetic": cast != sum(votes) + invalid,
                  "over_registered": cast > r.registered}
        for name, failed in checks.items():
            if failed:
                found[name].append(station_id)
    return {
        "non_reporting": _sorted(i for r, i in zip(rows, ids) if r.counts is None),
        "duplicate_source_ids": _sorted(duplicates),
        "identical_duplicate_rows": _sorted(s for s in duplicates if len({r.raw for r in by_source[s]}) == 1),
        **{k: _sorted(v) for k, v in found.items()},
    }


def _sorted(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(values, key=_bytes_key))


# -- writing -------------------------------------------------------------------------------------------------

def _write_election_toml(path: Path, spec: Year) -> None:
    note = (f"Per-station presidential results from {spec.file} (extracted from {spec.archive}), "
            "converted by tallycheck.ingest.uganda_uedp. station_id = Original_Station_ID_previous (an id on "
            "several rows gets #1, #2, ... in file order; station_sources.csv maps every station to its "
            "source row); areas are the name path district/constituency/sub-county/parish, and a station's "
            "centre_id is its parish (UEDP has no polling centres). registered = Reg.Voters, ballots_cast = "
            "T.Votes, invalid = Inv.Votes, blank = 0 (not published); V.Votes is not carried. Stations with "
            "NON_REP = 1 have no sheet and no results. Candidate names are the column headers; party and "
            "gender are not in the source.")
    lines = [
        "# No licence is stated for the source data: do not redistribute this package.",
        f"name = {toml_string(f'Uganda presidential election {spec.year}')}",
        f"date = {spec.date}",
        f"country = {toml_string(COUNTRY)}",
        "",
        "[law]",
        f"name = {toml_string(LAW)}",
        # Constitution of Uganda, art. 103(4): elected with more than half of the valid votes, else a run-off
        f"system = {toml_string('majority')}",
        "",
        "[source]",
        f"publisher = {toml_string(SOURCE_PUBLISHER)}",
        f"url = {toml_string(f'{SOURCE_REPOSITORY}/tree/{SOURCE_COMMIT}')}",
        f"repository = {toml_string(SOURCE_REPOSITORY)}",
        f"commit = {toml_string(SOURCE_COMMIT)}",
        f"path = {toml_string(spec.archive)}",
        f"file = {toml_string(spec.file)}",
        f"licence = {toml_string('none stated')}",
        f"note = {toml_string(note)}",
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
