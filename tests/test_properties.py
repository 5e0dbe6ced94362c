"""Property tests (Hypothesis) over random small valid packages: import is lossless, tabulation conserves votes,
and sheet arithmetic warnings point exactly at the sheets that do not add up.

Packages are shaped like Iraq's: a country, governorates, districts; one contest per governorate; stations in
districts, each serving its governorate's contest. Identifiers carry leading zeros and Arabic text; names carry
Arabic, commas and quotes (so the CSV writer must quote them); rows are written in random order.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from package_builder import csv_text
from snapshot_recipe import documented_snapshot_hash
from tallycheck.evidence import Store
from tallycheck.importing import import_package
from tallycheck.ingest.counts import parse_count, parse_counts
from tallycheck.model import TABLE_SPECS
from tallycheck.tabulate import tabulate

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآةى"
TO_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ELECTION = 'name = "انتخابات تجريبية"\ndate = 2021-10-10\ncountry = "IQ"\n\n[law]\nname = "iraq-2021"\n'

# an identifier: optional prefix, a number with leading zeros, sometimes in Arabic-Indic digits
identifier = st.builds(
    lambda prefix, n, width, arabic: prefix + (f"{n:0{width}d}".translate(TO_ARABIC_INDIC) if arabic
                                               else f"{n:0{width}d}"),
    st.sampled_from(["", "0", "00", "م", "مركز-", "ST-"]), st.integers(0, 99_999), st.integers(1, 7), st.booleans())
name = st.text(alphabet=ARABIC + "abcXYZ ,\"'-،", min_size=1, max_size=10).map(str.strip).filter(bool)
party = st.sampled_from(["", "تحالف الفتح", "الكتلة الصدرية", "Party, \"A\"", "تقدم"])


def unique_ids(n: int):
    return st.lists(identifier, min_size=n, max_size=n, unique=True)


@dataclass
class Package:
    tables: dict[str, list[dict]]  # table name -> rows (every column of the spec)


@st.composite
def packages(draw) -> Package:
    n_gov = draw(st.integers(1, 2))
    areas = [{"area_id": "IQ", "name": "العراق", "parent": "", "level": "country"}]
    districts: dict[str, list[str]] = {}
    for g in range(n_gov):
        gid = f"G{g + 1:02d}"
        areas.append({"area_id": gid, "name": draw(name), "parent": "IQ", "level": "governorate"})
        districts[gid] = [f"{gid}D{d + 1}" for d in range(draw(st.integers(1, 2)))]
        areas += [{"area_id": d, "name": draw(name), "parent": gid, "level": "district"} for d in districts[gid]]
    contest_ids = draw(unique_ids(n_gov))
    contests, candidates = [], []
    n_cands = [draw(st.integers(1, 4)) for _ in range(n_gov)]
    cand_ids = iter(draw(unique_ids(sum(n_cands))))
    for (gid, cid), k in zip(zip(districts, contest_ids), n_cands):
        seats = draw(st.integers(1, 3))
        contests.append({"contest_id": cid, "name": draw(name), "seats": seats, "area": gid,
                         "women_seats": draw(st.integers(0, seats)), "group": ""})
        for _ in range(k):
            candidates.append({"candidate_id": next(cand_ids), "contest_id": cid, "name": draw(name),
                               "party": draw(party), "gender": draw(st.sampled_from(["F", "M", "X", ""])),
                               "group": "", "area": "", "list_id": ""})
    # many commissions publish no row for a zero: then a candidate may have no result row at all
    zero_rows = draw(st.booleans())
    station_areas = [d for ds in districts.values() for d in ds for _ in range(draw(st.integers(1, 3)))]
    station_ids = draw(unique_ids(len(station_areas)))
    stations, sheets, results = [], [], []
    contest_of = {c["area"]: c["contest_id"] for c in contests}
    for sid, area in zip(station_ids, station_areas):
        cid = contest_of[area[:3]]
        votes = {c["candidate_id"]: draw(st.integers(0, 500) | st.just(0)) for c in candidates if c["contest_id"] == cid}
        invalid, blank = draw(st.integers(0, 20)), draw(st.integers(0, 5))
        cast = sum(votes.values()) + invalid + blank
        registered = draw(st.one_of(st.none(), st.integers(cast, cast + 1000)))
        stations.append({"station_id": sid, "centre_id": draw(identifier), "area": area, "registered": registered,
                         "kind": "special" if registered is None else "regular"})
        reconciled = draw(st.booleans())
        unused, spoiled = draw(st.integers(0, 300)), draw(st.integers(0, 3))
        sheets.append({"station_id": sid, "contest_id": cid, "ballots_cast": cast, "invalid": invalid, "blank": blank,
                       "ballots_received": cast + unused + spoiled if reconciled else None,
                       "ballots_unused": unused if reconciled else None,
                       "ballots_spoiled": spoiled if reconciled else None})
        results += [{"station_id": sid, "contest_id": cid, "candidate_id": k, "list_id": "", "votes": v}
                    for j, (k, v) in enumerate(votes.items()) if v or zero_rows or j == 0]  # a sheet has rows
    return Package({"areas": areas, "contests": contests, "candidates": candidates, "stations": stations,
                    "sheets": sheets, "results": results})


@contextmanager
def written(package: Package, shuffle: random.Random):
    """The package as a folder of CSV files, rows shuffled; yields (folder, file row of each sheet by key)."""
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(os, "fsync", lambda fd: None):
        folder = Path(tmp) / "pkg"
        folder.mkdir()
        (folder / "election.toml").write_text(ELECTION, "utf-8")
        sheet_rows = {}
        for table, rows in package.tables.items():
            columns = TABLE_SPECS[table].column_names
            rows = list(rows)
            shuffle.shuffle(rows)
            if table == "sheets":
                sheet_rows = {(r["station_id"], r["contest_id"]): i + 2 for i, r in enumerate(rows)}
            (folder / f"{table}.csv").write_text(csv_text(columns, [[r[c] for c in columns] for r in rows]), "utf-8")
        yield folder, sheet_rows


def as_set(rows: list[dict], columns: tuple[str, ...]) -> set[tuple]:
    return {tuple(r[c] for c in columns) for r in rows}


@SETTINGS
@given(packages(), st.randoms(use_true_random=False))
def test_import_then_load_is_lossless(package: Package, shuffle: random.Random) -> None:
    with written(package, shuffle) as (folder, _):
        result = import_package(folder)
        assert result.problems == (), [p.message for p in result.problems]
        store = Store(folder / ".tallycheck")
        data = store.load()
        for table, rows in package.tables.items():
            columns = TABLE_SPECS[table].column_names
            loaded = data.table(table)
            assert loaded.num_rows == len(rows)
            assert as_set(loaded.to_pylist(), columns) == as_set(rows, columns), table
        assert data.table("lists").num_rows == 0 and data.table("seat_areas").num_rows == 0
        assert data.election.name == "انتخابات تجريبية"
        # stored in canonical order, hashed as the docs say
        v = store.latest()
        assert v.snapshot_sha256 == documented_snapshot_hash(v.path)[0]


@SETTINGS
@given(packages(), st.randoms(use_true_random=False))
def test_tabulation_conserves_votes(package: Package, shuffle: random.Random) -> None:
    with written(package, shuffle) as (folder, _):
        assert not import_package(folder).refused
        tab = tabulate(Store(folder / ".tallycheck").load())
    results, sheets = package.tables["results"], package.tables["sheets"]
    total = sum(r["votes"] for r in results)
    per_contest: dict[str, int] = defaultdict(int)
    for r in results:
        per_contest[r["contest_id"]] += r["votes"]
    contests = {r["contest_id"]: r for r in tab.contests.to_pylist()}
    choices = tab.choices.to_pylist()
    for c in package.tables["contests"]:
        cid = c["contest_id"]
        assert contests[cid]["valid_votes"] == per_contest[cid]
        assert sum(r["votes"] for r in choices if r["contest_id"] == cid) == per_contest[cid]
        assert contests[cid]["ballots_cast"] == sum(s["ballots_cast"] for s in sheets if s["contest_id"] == cid)
        assert contests[cid]["invalid"] == sum(s["invalid"] for s in sheets if s["contest_id"] == cid)
        ranked = [r for r in choices if r["contest_id"] == cid]
        assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
        assert [r["votes"] for r in ranked] == sorted((r["votes"] for r in ranked), reverse=True)
    # every candidate is listed, including those with no votes at all
    assert {r["candidate_id"] for r in choices} == {c["candidate_id"] for c in package.tables["candidates"]}
    assert sum(r["votes"] for r in tab.parties.to_pylist()) == total
    assert sum(r["candidates"] for r in tab.parties.to_pylist()) == len(package.tables["candidates"])
    # party votes per area, at every level of the tree, add up to the same total
    party_areas = tab.party_areas.to_pylist()
    for level in ("country", "governorate", "district"):
        assert sum(r["votes"] for r in party_areas if r["level"] == level) == total, level
    areas = {r["area_id"]: r for r in tab.areas.to_pylist()}
    assert areas["IQ"]["ballots_cast"] == sum(s["ballots_cast"] for s in sheets)
    assert areas["IQ"]["stations"] == len(package.tables["stations"])
    assert areas["IQ"]["registered"] == sum(s["registered"] or 0 for s in package.tables["stations"])
    for a in package.tables["areas"]:
        children = [c["area_id"] for c in package.tables["areas"] if c["parent"] == a["area_id"]]
        if children:
            assert areas[a["area_id"]]["ballots_cast"] == sum(areas[c]["ballots_cast"] for c in children)


@SETTINGS
@given(packages(), st.randoms(use_true_random=False), st.data())
def test_arithmetic_warnings_exactly_for_perturbed_sheets(package: Package, shuffle: random.Random, data) -> None:
    sheets = package.tables["sheets"]
    perturbed = data.draw(st.sets(st.integers(0, len(sheets) - 1), max_size=len(sheets)))
    for i in perturbed:
        # one invalid ballot more on the sheet: ballots cast no longer = votes + invalid + blank
        sheets[i] = {**sheets[i], "invalid": sheets[i]["invalid"] + data.draw(st.integers(1, 9))}
    with written(package, shuffle) as (folder, sheet_rows):
        result = import_package(folder)
    assert not result.refused  # warnings do not refuse
    expected = {("sheet.arithmetic", "sheets.csv", sheet_rows[(sheets[i]["station_id"], sheets[i]["contest_id"])],
                 "ballots_cast") for i in perturbed}
    assert {(p.rule, p.file, p.row, p.column) for p in result.problems} == expected


# -- counts: every documented spelling reads as its number, whichever parser path takes it ----------------------------

def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    return digits[:head] + "".join(sep + digits[i:i + 3] for i in range(head, len(digits), 3))


@st.composite
def count_spellings(draw) -> tuple[str, int]:
    n = draw(st.integers(0, 10**15))
    s = str(n)
    if n >= 1000 and draw(st.booleans()):
        s = _group(s, draw(st.sampled_from([",", "\u066c", "'", " ", "\u00a0"])))
    digits = draw(st.sampled_from(["ascii", "arabic-indic", "eastern"]))
    if digits == "arabic-indic":
        s = s.translate(TO_ARABIC_INDIC)
    elif digits == "eastern":
        s = s.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    if draw(st.booleans()) and not any(sep in s for sep in ",\u066c' \u00a0"):
        s += ".0"
    return s, n


@settings(max_examples=200, deadline=None)
@given(count_spellings())
def test_documented_count_spellings_read_as_their_number(spelled: tuple[str, int]) -> None:
    text, n = spelled
    assert parse_count(text) == n


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(count_spellings().map(lambda t: t[0]),
                          st.text(alphabet="0123456789+-.,x ٠١", max_size=6)), min_size=1, max_size=8))
def test_column_parser_agrees_with_cell_parser(cells: list[str]) -> None:
    """The vectorised column parser (with its fast path) gives each cell what parse_count gives it alone."""
    cells = [c.strip() for c in cells]  # cells arrive trimmed
    parsed = parse_counts(pa.array(cells, pa.string()))
    assert parsed.values.to_pylist() == [parse_count(c) if c else None for c in cells]
    empty = {i for i, c in enumerate(cells) if not c}
    assert set(parsed.empty.tolist()) == empty
    assert set(parsed.malformed.tolist()) == {i for i, c in enumerate(cells) if c and parse_count(c) is None}


# -- the two CSV readers: Arrow's fast path and the exact line-counting reader give the same table -------------------

cell = st.text(alphabet="ab1 ٠\u00a0\u3000,;\"'é", max_size=5)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=6), st.sampled_from([",", ";", "\t"]))
def test_fast_and_exact_csv_readers_agree(rows: list[list[str]], delimiter: str) -> None:
    import csv
    import io

    from hypothesis import assume

    from tallycheck.ingest import csv_format

    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows([["station_id", "contest_id", "votes"], *rows])
    data = buf.getvalue().encode("utf-8")
    fast = csv_format._read_fast(data, "t.csv", "utf-8", delimiter)
    assume(fast is not None)  # the fast path may decline; then only the exact reader runs anyway
    exact = csv_format._read_slow(data, "t.csv", "utf-8", delimiter)
    assert fast.header == exact.header
    assert [c.to_pylist() for c in fast.columns] == [c.to_pylist() for c in exact.columns]
    assert fast.rows.tolist() == exact.rows.tolist()
    assert [(p.rule, p.row) for p in fast.problems] == [(p.rule, p.row) for p in exact.problems]
