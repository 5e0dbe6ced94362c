"""tallycheck.synth: structure facts, determinism, national figures, arithmetic, fraud truth, scaling."""

from __future__ import annotations

import ast
import hashlib
import json
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import tallycheck.synth
from tallycheck.synth import SHAPES, FraudSpec, GeneratedElection, generate, parse_fraud_spec
from tallycheck.synth import iraq_2021 as facts
from tallycheck.synth.structure import build_structure, largest_remainder

REFERENCE = (Path(__file__).resolve().parents[2]
             / "shared/data/seat-oracles/iraq_2021_structure_reference.json")
TEXT_COLUMNS = {"station_id", "centre_id", "contest_id", "candidate_id", "area", "area_id", "parent",
                "favoured_candidate_id", "name", "party", "group", "label", "kind", "level", "gender"}
FRAUD = FraudSpec(stuffing=0.02, moved=0.02, rounded=0.01)
SHEET_HEADER = ("station_id,contest_id,ballots_cast,invalid,blank,ballots_received,ballots_unused,"
                "ballots_spoiled")


def read(path: Path) -> pa.Table:
    header = path.open(encoding="utf-8").readline().strip().split(",")
    types = {c: pa.string() for c in header if c in TEXT_COLUMNS}
    options = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False)
    return pacsv.read_csv(path, convert_options=options)


def col(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False)


def file_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class Package:
    out: Path
    summary: GeneratedElection
    seconds: float
    tables: dict[str, pa.Table]

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name]


@pytest.fixture(scope="module")
def pkg(tmp_path_factory: pytest.TempPathFactory) -> Package:
    """A default-size package with every kind of fraud and error, generated once for the module."""
    out = tmp_path_factory.mktemp("synth") / "iraq"
    started = time.perf_counter()
    summary = generate(shape="iraq-2021", seed=7, out=out, fraud=FRAUD, errors=0.01)
    seconds = time.perf_counter() - started
    names = ["stations", "sheets", "results", "candidates", "contests", "areas", "seat_areas"]
    tables = {n: read(out / f"{n}.csv") for n in names}
    tables |= {f"truth_{n}": read(out / "truth" / f"{n}.csv") for n in ("stations", "sheets", "results")}
    return Package(out, summary, seconds, tables)


def sheet_bounds(sheets: pa.Table, candidates: pa.Table) -> np.ndarray:
    """Each sheet's first results row, then the end (results: in sheet order, one row per candidate)."""
    per_contest: dict[str, int] = {}
    for c in col(candidates, "contest_id"):
        per_contest[c] = per_contest.get(c, 0) + 1
    counts = np.array([per_contest[c] for c in col(sheets, "contest_id")])
    return np.concatenate([[0], np.cumsum(counts)])


def sheet_vote_sums(sheets: pa.Table, results: pa.Table, candidates: pa.Table) -> np.ndarray:
    bounds = sheet_bounds(sheets, candidates)
    assert bounds[-1] == results.num_rows  # zero-vote rows included
    starts = bounds[:-1]
    assert np.array_equal(col(results, "contest_id")[starts], col(sheets, "contest_id"))
    assert np.array_equal(col(results, "station_id")[starts], col(sheets, "station_id"))
    return np.add.reduceat(col(results, "votes"), starts)


# ---------------------------------------------------------------- structure

def test_embedded_structure_matches_reference() -> None:
    if not REFERENCE.exists():
        pytest.skip("the shared seat reference is not available")
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    ours = {g.name: g for g in facts.GOVERNORATES}
    assert len(reference["governorates"]) == len(ours) == 18
    for ref in reference["governorates"]:
        g = ours[ref["name"].split(" (")[0]]  # "Sulaymaniyah (incl. Halabja)" -> "Sulaymaniyah"
        assert (g.general_seats, g.districts) == (ref["general_seats"], ref["districts"]), g.name
        assert g.districts == ref["women_quota_seats"]
        assert dict(g.minority_seats) == ref["minority_seats"], g.name
        assert g.general_seats + sum(n for _, n in g.minority_seats) == ref["total_seats"], g.name
    assert reference["totals"] == {"general": 320, "minority": 9, "house": 329, "women_quota": 83}


def test_minority_facts_agree_with_governorates() -> None:
    by_gov = {(iso, m.group): n for m in facts.MINORITY_CONTESTS for iso, n in m.seats_by_governorate}
    assert by_gov == {(g.iso, group): n for g in facts.GOVERNORATES for group, n in g.minority_seats}
    assert sum(m.candidates for m in facts.MINORITY_CONTESTS) == 67  # UNAMI No. 10
    assert sum(m.votes for m in facts.MINORITY_CONTESTS) == 96_076  # Kurdistan24: all minority candidates
    assert sum(g.general_seats for g in facts.GOVERNORATES) == facts.GENERAL_SEATS == 320
    assert sum(g.districts for g in facts.GOVERNORATES) == 83


@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_structure_seats(seed: int) -> None:
    s = build_structure(seed)
    general = [c for c in s.contests if c.district >= 0]
    assert s.seats == 329
    assert len(general) == 83 and sum(c.seats for c in general) == 320
    assert all(3 <= c.seats <= 5 and c.women_seats == 1 for c in general)
    for gi, g in enumerate(facts.GOVERNORATES):
        mine = [d for d in s.districts if d.governorate == gi]
        assert len(mine) == g.districts and sum(d.seats for d in mine) == g.general_seats, g.name
    minority = [c for c in s.contests if c.district < 0]
    assert {c.group: (c.seats, c.area) for c in minority} == {
        "Christian": (5, "IQ"), "Yazidi": (1, "IQ-NI"), "Shabak": (1, "IQ-NI"),
        "Sabean-Mandaean": (1, "IQ-BG"), "Feyli Kurd": (1, "IQ-WA")}
    assert sorted((a.area, a.seats) for a in s.seat_areas) == [
        ("IQ-AR", 1), ("IQ-BG", 1), ("IQ-DA", 1), ("IQ-KI", 1), ("IQ-NI", 1)]


def test_candidates_match_2021() -> None:
    s = build_structure(7)
    assert len(s.candidates) == 3_249  # UNAMI No. 10
    assert sum(c.gender == "F" for c in s.candidates) == 951
    by_group: dict[str, int] = {}
    for c in s.candidates:
        if c.group:
            by_group[c.group] = by_group.get(c.group, 0) + 1
    assert by_group == {"Christian": 34, "Sabean-Mandaean": 8, "Feyli Kurd": 10, "Shabak": 8, "Yazidi": 7}
    christian = [c for c in s.candidates if c.group == "Christian"]
    assert sum(c.gender == "F" for c in christian) == 13  # Kurdistan24
    assert {c.area for c in christian} == {"IQ-BG", "IQ-NI", "IQ-KI", "IQ-AR", "IQ-DA"}
    assert len({c.candidate_id for c in s.candidates}) == len(s.candidates)
    for ci, c in enumerate(s.contests):  # every contest has women and more candidates than seats
        mine = s.candidates[s.first_candidate[ci]:s.first_candidate[ci] + s.n_candidates[ci]]
        assert all(x.contest_id == c.contest_id for x in mine)
        assert len(mine) > c.seats and any(x.gender == "F" for x in mine)
        assert np.allclose(s.shares[ci][list(c.governorates)].sum(axis=1), 1.0)


@pytest.mark.parametrize("total, weights, minimum, expected", [
    (10, [1, 1, 1], 0, [4, 3, 3]),  # remainder ties go to the lower index
    (7, [5, 1], 2, [5, 2]),
    (3, [1, 1, 1], 1, [1, 1, 1]),
])
def test_largest_remainder(total: int, weights: list[float], minimum: int, expected: list[int]) -> None:
    assert largest_remainder(total, np.array(weights, float), minimum).tolist() == expected


# ---------------------------------------------------------------- the written package

def test_package_files_and_format(pkg: Package) -> None:
    assert sorted(file_hashes(pkg.out)) == sorted([
        "election.toml", "areas.csv", "contests.csv", "seat_areas.csv", "candidates.csv", "stations.csv",
        "sheets.csv", "results.csv", "truth/stations.csv", "truth/sheets.csv", "truth/results.csv"])
    headers = {
        "areas.csv": "area_id,name,parent,level",
        "contests.csv": "contest_id,name,seats,area,women_seats,group",
        "seat_areas.csv": "contest_id,area,seats",
        "candidates.csv": "candidate_id,contest_id,name,party,gender,group,area",
        "stations.csv": "station_id,centre_id,area,registered,kind",
        "sheets.csv": SHEET_HEADER,
        "results.csv": "station_id,contest_id,candidate_id,votes",
        "truth/sheets.csv": SHEET_HEADER,
        "truth/results.csv": "station_id,contest_id,candidate_id,votes",
        "truth/stations.csv": "station_id,contest_id,label,favoured_candidate_id,votes_added,votes_moved",
    }
    for name, header in headers.items():
        with (pkg.out / name).open("rb") as f:
            head = f.read(4096)
        assert not head.startswith(b"\xef\xbb\xbf") and b"\r" not in head and b'"' not in head, name
        assert head.split(b"\n")[0].decode() == header, name
    assert pkg.summary.out == pkg.out and pkg.summary.shape in SHAPES


def test_election_toml(pkg: Package) -> None:
    doc = tomllib.loads((pkg.out / "election.toml").read_text(encoding="utf-8"))
    assert doc["law"] == {"name": "iraq-2021", "one_ballot_per_voter": True} and str(doc["date"]) == "2021-10-10" and doc["country"] == "IQ"
    source = doc["source"]
    assert source["synthetic"] is True and source["seed"] == 7 and source["shape"] == "iraq-2021"
    assert source["generator_version"] == tallycheck.__version__
    assert source["fraud"] == "stuffing=0.02,moved=0.02,rounded=0.01" and source["errors"] == "0.01"


def test_rows_sorted_and_ids_text(pkg: Package) -> None:
    keys_of = {"stations": ["station_id"], "sheets": ["station_id", "contest_id"],
               "results": ["station_id", "contest_id", "candidate_id"], "candidates": ["candidate_id"],
               "contests": ["contest_id"], "areas": ["area_id"],
               "truth_stations": ["station_id", "contest_id"]}
    for name, keys in keys_of.items():
        t = pkg[name].slice(0, 400_000)  # results: a deterministic slice is enough
        key = list(zip(*(col(t, k).tolist() for k in keys), strict=True))
        assert key == sorted(key) and len(set(key)) == len(key), name
    station_ids, centre_ids = col(pkg["stations"], "station_id"), col(pkg["stations"], "centre_id")
    assert station_ids[0].startswith("0") and len({len(s) for s in station_ids}) == 1
    assert all(s.startswith(c) for s, c in zip(station_ids[:1000], centre_ids[:1000], strict=True))


def test_area_tree(pkg: Package) -> None:
    ids = col(pkg["areas"], "area_id")
    level = dict(zip(ids, col(pkg["areas"], "level"), strict=True))
    parent = dict(zip(ids, col(pkg["areas"], "parent"), strict=True))
    assert sorted(level.values()).count("governorate") == 18
    assert sorted(level.values()).count("district") == 83
    assert all(level[parent[a]] == "governorate" for a, v in level.items() if v == "district")
    general = col(pkg["contests"], "group") == ""
    assert all(level[a] == "district" for a in col(pkg["contests"], "area")[general])
    assert set(col(pkg["stations"], "area")) <= {a for a, v in level.items() if v == "district"}


def test_national_figures(pkg: Package) -> None:
    s = pkg.summary
    assert abs(s.stations - 55_041) <= 0.05 * 55_041  # UNAMI No. 9
    assert abs(s.centres - 8_273) <= 0.05 * 8_273
    assert abs(s.candidates - 3_249) <= 0.05 * 3_249  # UNAMI No. 10
    assert 0.27 <= s.women_candidates / s.candidates <= 0.32
    assert abs(s.registered - 22_000_000) <= 0.10 * 22_000_000  # IHEC: "22 million"
    assert (s.contests, s.seats) == (88, 329)

    registered = col(pkg["stations"], "registered")
    regular = col(pkg["stations"], "kind") == "regular"
    assert 0.0 < (~regular).mean() < 0.06  # special and IDP stations have no register
    assert np.isnan(registered[~regular]).all() and not np.isnan(registered[regular]).any()
    assert registered[regular].max() <= 600 and 380 <= registered[regular].mean() <= 440
    truth = pkg["truth_sheets"]
    cast = pa.table({"station_id": truth.column("station_id"), "cast": truth.column("ballots_cast")})
    per_station = cast.group_by("station_id").aggregate([("cast", "sum")]).sort_by("station_id")
    assert per_station.num_rows == s.stations
    station_cast = col(per_station, "cast_sum")
    assert 0.36 <= station_cast[regular].sum() / registered[regular].sum() <= 0.46  # IHEC: 41 %
    invalid = col(truth, "invalid").sum() / col(truth, "ballots_cast").sum()
    assert 0.02 <= invalid <= 0.05
    # turnout differs by region: the spread between governorates is several points
    gov = np.array([sid[:2] for sid in col(pkg["stations"], "station_id")])
    by_gov = [station_cast[regular & (gov == g)].sum() / registered[regular & (gov == g)].sum()
              for g in np.unique(gov)]
    assert max(by_gov) - min(by_gov) > 0.08


def test_sheets_add_up(pkg: Package) -> None:
    label = col(pkg["truth_stations"], "label")
    assert np.array_equal(col(pkg["truth_stations"], "station_id"), col(pkg["sheets"], "station_id"))
    everything = np.ones(len(label), bool)
    for sheets, results, clean in [(pkg["truth_sheets"], pkg["truth_results"], everything),
                                   (pkg["sheets"], pkg["results"], label != "error")]:
        votes = sheet_vote_sums(sheets, results, pkg["candidates"])
        cast, invalid, blank = (col(sheets, c) for c in ("ballots_cast", "invalid", "blank"))
        received, unused, spoiled = (col(sheets, c) for c in
                                     ("ballots_received", "ballots_unused", "ballots_spoiled"))
        assert np.array_equal((votes + invalid + blank)[clean], cast[clean])
        assert np.array_equal((cast + unused + spoiled)[clean], received[clean])
        assert (np.stack([cast, invalid, blank, unused, spoiled]) >= 0).all()
        assert clean.all() or not np.array_equal(votes + invalid + blank, cast)  # the errors show
    # a station's sheets together stay within its register, fraudsters' sheets included
    reg = dict(zip(col(pkg["stations"], "station_id"), col(pkg["stations"], "registered"), strict=True))
    sheets = pkg["sheets"]
    grouped = (pa.table({"s": sheets.column("station_id"), "c": sheets.column("ballots_cast")})
               .filter(pa.array(label != "error")).group_by("s").aggregate([("c", "sum")]))
    assert [s for s, c in zip(col(grouped, "s"), col(grouped, "c_sum"), strict=True) if c > reg[s]] == []


def test_fraud_labels_and_truth(pkg: Package) -> None:
    s = pkg.summary
    n = s.stations
    assert (s.stuffing, s.moved, s.rounded, s.errors) == (
        round(0.02 * n), round(0.02 * n), round(0.01 * n), round(0.01 * n))
    truth = pkg["truth_stations"]
    label = col(truth, "label")
    assert {k: int((label == k).sum()) for k in ("stuffing", "moved", "rounded", "error")} == s.labels
    general = np.array([not c.startswith("MIN-") for c in col(truth, "contest_id")])
    assert (label[~general] == "clean").all()  # only general sheets are tampered with
    fraud = np.isin(label, ["stuffing", "moved", "rounded"])
    assert (col(truth, "favoured_candidate_id")[fraud] != "").all()
    assert (col(truth, "favoured_candidate_id")[~fraud] == "").all()
    kind = dict(zip(col(pkg["stations"], "station_id"), col(pkg["stations"], "kind"), strict=True))
    assert {kind[sid] for sid in col(truth, "station_id")[fraud]} == {"regular"}

    differs = np.zeros(truth.num_rows, bool)
    for c in SHEET_HEADER.split(",")[2:]:
        differs |= col(pkg["sheets"], c) != col(pkg["truth_sheets"], c)
    assert np.array_equal(col(pkg["results"], "candidate_id"), col(pkg["truth_results"], "candidate_id"))
    changed_rows = col(pkg["results"], "votes") != col(pkg["truth_results"], "votes")
    starts = sheet_bounds(truth, pkg["candidates"])[:-1]
    differs |= np.add.reduceat(changed_rows.astype(np.int64), starts) > 0
    assert (label[differs] != "clean").all()  # truth differs from reported only at labelled sheets
    assert differs[label != "clean"].mean() > 0.99

    added, moved = col(truth, "votes_added"), col(truth, "votes_moved")
    cast, true_cast = col(pkg["sheets"], "ballots_cast"), col(pkg["truth_sheets"], "ballots_cast")
    assert np.array_equal(cast - true_cast, added)
    assert (added[label == "stuffing"] > 0).mean() > 0.99 and (moved[label == "stuffing"] == 0).all()
    assert (added[label == "moved"] == 0).all() and (moved[label == "moved"] > 0).mean() > 0.99
    assert (added[label == "error"] != 0).all()
    assert (added[label == "clean"] == 0).all() and (moved[label == "clean"] == 0).all()
    # stuffing pushes turnout high
    reg = dict(zip(col(pkg["stations"], "station_id"), col(pkg["stations"], "registered"), strict=True))
    stuffed = np.flatnonzero(label == "stuffing")
    turnout = cast[stuffed] / np.array([reg[sid] for sid in col(truth, "station_id")[stuffed]])
    assert np.median(turnout) > 0.75


def test_rounded_sheets_hit_whole_percentages(pkg: Package) -> None:
    truth, sheets = pkg["truth_stations"], pkg["sheets"]
    label = col(truth, "label")
    reg = dict(zip(col(pkg["stations"], "station_id"), col(pkg["stations"], "registered"), strict=True))
    rows = np.flatnonzero(label == "rounded")
    registered = np.array([reg[s] for s in col(truth, "station_id")[rows]])
    turnout = 100 * col(sheets, "ballots_cast")[rows] / registered
    # as close to a whole percentage as whole ballots allow: within 50 / registered points
    assert (np.abs(turnout - np.rint(turnout)) <= 50 / registered + 1e-9).all()

    # the favoured candidate's row: the sheet's first row plus the candidate's place on the ballot
    cand_ids, cand_contest = col(pkg["candidates"], "candidate_id"), col(pkg["candidates"], "contest_id")
    first = {c: i for i, c in reversed(list(enumerate(cand_contest)))}
    place = {cid: i - first[c] for i, (cid, c) in enumerate(zip(cand_ids, cand_contest, strict=True))}
    favoured = col(truth, "favoured_candidate_id")[rows]
    fav_rows = sheet_bounds(sheets, pkg["candidates"])[rows] + np.array([place[c] for c in favoured])
    assert np.array_equal(col(pkg["results"], "candidate_id")[fav_rows], favoured)
    valid = sheet_vote_sums(sheets, pkg["results"], pkg["candidates"])[rows]
    share = 100 * col(pkg["results"], "votes")[fav_rows] / valid
    assert (np.abs(share - np.rint(share)) <= 50 / valid + 1e-9).all()

    # the fingerprint: far more whole turnout percentages than on honest sheets
    general = np.array([not c.startswith("MIN-") for c in col(truth, "contest_id")])
    clean = np.flatnonzero((label == "clean") & general)[:20_000]
    clean_reg = np.array([reg[s] for s in col(truth, "station_id")[clean]])
    known = ~np.isnan(clean_reg)
    honest = 100 * col(sheets, "ballots_cast")[clean][known] / clean_reg[known]
    whole = (np.abs(honest - np.rint(honest)) < 0.05).mean()
    assert whole < 0.25 < (np.abs(turnout - np.rint(turnout)) < 0.05).mean()


def test_default_generation_time(pkg: Package) -> None:
    assert pkg.seconds < 30  # about 2 s on a 2-core machine


# ---------------------------------------------------------------- determinism, scaling, options

def test_same_seed_same_bytes(tmp_path: Path) -> None:
    def run(folder: str, seed: int) -> dict[str, str]:
        generate(shape="iraq-2021", seed=seed, out=tmp_path / folder, stations=3_000, fraud=FRAUD,
                 errors=0.02)
        return file_hashes(tmp_path / folder)

    a, b, c = run("a", 11), run("b", 11), run("c", 12)
    assert a == b and len(a) == 11
    assert a["results.csv"] != c["results.csv"] and a["candidates.csv"] != c["candidates.csv"]


def test_scaling(tmp_path: Path) -> None:
    steps: list[tuple[str, int, int]] = []
    s = generate(shape="iraq-2021", seed=3, out=tmp_path / "x", stations=40_000, candidates_per_contest=8,
                 progress=lambda step, done, total: steps.append((step, done, total)))
    assert s.stations == read(tmp_path / "x" / "stations.csv").num_rows == 40_000
    assert abs(s.centres - 40_000 * 8_273 / 55_041) <= 2
    assert s.candidates == 83 * 8 + 67  # minority contests keep their 2021 candidates
    assert s.sheets_rows == read(tmp_path / "x" / "sheets.csv").num_rows
    assert ("sheets", 2, 2) in steps and steps[-1] == ("finish", 1, 1)
    assert s.registered == pytest.approx(22_000_000 * 40_000 / 55_041, rel=0.1)


def test_arabic_names(tmp_path: Path) -> None:
    generate(shape="iraq-2021", seed=5, out=tmp_path / "ar", stations=500, names="arabic")
    candidates = read(tmp_path / "ar" / "candidates.csv")
    names = col(candidates, "name")
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in n) for n in names)
    assert not any(any("a" <= ch.lower() <= "z" for ch in n) for n in names)
    assert col(candidates, "candidate_id")[0].isascii() and set(col(candidates, "gender")) == {"F", "M"}


def test_out_must_be_new_or_empty(tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate(shape="iraq-2021", seed=1, out=busy, stations=500)
    assert [p.name for p in busy.iterdir()] == ["mine.txt"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(FileExistsError):
        generate(shape="iraq-2021", seed=1, out=a_file, stations=500)
    empty = tmp_path / "empty"
    empty.mkdir()
    generate(shape="iraq-2021", seed=1, out=empty, stations=500)
    assert (empty / "results.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "empty", "file"]  # no staging left behind


def test_crash_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tallycheck.synth.election as election

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(election, "_write_counts", boom)
    with pytest.raises(RuntimeError):
        generate(shape="iraq-2021", seed=1, out=tmp_path / "pkg", stations=500)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"shape": "france-2022"}, "Unknown shape"),
    ({"stations": 10}, "stations"),
    ({"candidates_per_contest": 3}, "candidates_per_contest"),
    ({"errors": 1.0}, "errors"),
    ({"fraud": FraudSpec(stuffing=0.5, moved=0.3), "errors": 0.3}, "less than 1"),
    ({"names": "cyrillic"}, "names"),
    ({"seed": -1}, "seed"),
])
def test_generate_rejects(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"shape": "iraq-2021", "seed": 1, "out": tmp_path / "x", "stations": 500}
    with pytest.raises(ValueError, match=message):
        generate(**(args | kwargs))  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("text, expected", [
    ("stuffing=0.02,moved=0.01", FraudSpec(stuffing=0.02, moved=0.01)),
    (" rounded = 0.5% , Stuffing=0.1 ", FraudSpec(stuffing=0.1, rounded=0.005)),
    ("", FraudSpec()),
    ("moved=0", FraudSpec()),
])
def test_parse_fraud_spec(text: str, expected: FraudSpec) -> None:
    assert parse_fraud_spec(text) == expected


@pytest.mark.parametrize("text, message", [
    ("stuffing", "Expected LABEL=SHARE"),
    ("ballot_stuffing=0.1", "Unknown fraud label 'ballot_stuffing'"),
    ("moved=0.1,moved=0.2", "given twice"),
    ("moved=lots", "Expected a share"),
    ("moved=1", r"up to \(not including\) 1"),
    ("moved=-0.1", r"up to \(not including\) 1"),
    ("moved=nan", r"up to \(not including\) 1"),
    ("stuffing=0.6,moved=0.5", "less than 1"),
])
def test_parse_fraud_spec_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fraud_spec(text)


def test_package_passes_tallycheck_validation(tmp_path: Path) -> None:
    validate = pytest.importorskip("tallycheck.importing").validate_package
    generate(shape="iraq-2021", seed=2, out=tmp_path / "p", stations=2_000, fraud=FRAUD, errors=0.01)
    check = validate(tmp_path / "p")
    assert check.validation.data is not None
    injected = {"sheet.arithmetic", "sheet.reconciliation", "sheet.over-registered"}
    assert {p.rule for p in check.validation.problems} <= injected
    labels = read(tmp_path / "p" / "truth" / "stations.csv")
    errors = set(col(labels, "station_id")[col(labels, "label") == "error"])
    assert {p.message.split("'")[1] for p in check.validation.problems} == errors


def test_core_imports_no_shell_libraries() -> None:
    banned = {"typer", "rich", "duckdb"}
    for path in Path(tallycheck.synth.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = {node.module.split(".")[0]}
            else:
                continue
            assert not names & banned, path.name


@pytest.mark.slow
def test_million_stations(tmp_path: Path) -> None:
    started = time.perf_counter()
    s = generate(shape="iraq-2021", seed=1, out=tmp_path / "big", stations=1_000_000,
                 candidates_per_contest=15, fraud=FRAUD, errors=0.01)
    elapsed = time.perf_counter() - started
    assert s.stations == 1_000_000 and s.results_rows > 15_000_000
    assert elapsed < 120, elapsed
