"""NIST SP 1500-100 v2 export (tallycheck.export.nist_cdf, `tallycheck export nist`).

Every export here is validated against NIST's published JSON Schema (draft-04), read from
../shared/schemas/nist-1500-100-v2/ beside the repository (github.com/usnistgov/ElectionResultsReporting,
commit 20fde50; never copied into the package), with every error listed on failure, and against the
references the schema marks with `refTypes` (which JSON Schema itself does not check).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from package_builder import TINY, make_package, tiny_text

from tallycheck.evidence import Store
from tallycheck.export import (
    CountItemType,
    ElectionType,
    PostElectionStatus,
    ReportDetailLevel,
    ReportingUnitType,
    ResultsStatus,
    SnapshotInfo,
    VoteVariation,
    election_report,
    object_id,
    reference_problems,
)
from tallycheck.export.nist_cdf import IdentifierType
from tallycheck.importing import import_package
from tallycheck.model import ElectionData
from tallycheck.seats.allocate import allocate
from tallycheck.seats.result import SeatResult
from tallycheck.tabulate import Tabulation, tabulate

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCHEMA_FILE = SHARED / "schemas" / "nist-1500-100-v2" / "NIST_V2_election_results_reporting.json"
AFGHANISTAN = SHARED / "data" / "afghanistan-2010-wolesi-jirga"
pytestmark = pytest.mark.skipif(not SCHEMA_FILE.is_file(),
                                reason=f"the published NIST schema is not at {SCHEMA_FILE} (shared/ beside "
                                       "the repository)")
T = "ElectionResults."
WHEN = dt.datetime(2021, 10, 17, 9, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text("utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft4Validator

    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def assert_valid(report: dict[str, Any], validator: Any, schema: dict[str, Any]) -> None:
    """Valid by the published schema and by its references; on failure, every error with its JSON path."""
    errors = [f"{e.json_path}: {e.message[:300]}"
              for e in sorted(validator.iter_errors(report), key=lambda e: [str(p) for p in e.absolute_path])]
    assert not errors, f"{len(errors)} schema errors:\n" + "\n".join(errors)
    problems = reference_problems(report, schema)
    assert not problems, f"{len(problems)} reference problems:\n" + "\n".join(problems)


@dataclass(frozen=True)
class Version:
    data: ElectionData
    tabulation: Tabulation
    seats: SeatResult
    snapshot: SnapshotInfo

    def report(self, **kw: Any) -> dict[str, Any]:
        return election_report(self.data, self.tabulation, self.seats, self.snapshot, generated=WHEN, **kw)


def load_version(package: Path, ref: str | None = None) -> Version:
    st = Store(package / ".tallycheck")
    info = st.resolve(ref)
    data = st.load(info.name)
    tab = tabulate(data)
    latest = st.latest()
    assert latest is not None
    return Version(data, tab, allocate(data, tab),
                   SnapshotInfo(info.name, info.number, latest.number, info.snapshot_sha256))


def imported_copy(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".tallycheck"))
    assert import_package(dest).outcome is not None
    return dest


@pytest.fixture(scope="module")
def tiny_version(tmp_path_factory: pytest.TempPathFactory) -> Version:
    return load_version(imported_copy(TINY, tmp_path_factory.mktemp("nist") / "tiny"))


def generated(tmp: Path, names: str) -> Version:
    from tallycheck.synth import generate

    # the smallest Iraq-shaped election: 100 stations, 6 candidates per general contest (88 contests)
    generate(shape="iraq-2021", seed=5, out=tmp / "pkg", stations=100, candidates_per_contest=6, names=names)
    assert import_package(tmp / "pkg").outcome is not None
    return load_version(tmp / "pkg")


@pytest.fixture(scope="module")
def iraq(tmp_path_factory: pytest.TempPathFactory) -> Version:
    return generated(tmp_path_factory.mktemp("iraq_latin"), "latin")


@pytest.fixture(scope="module")
def iraq_arabic(tmp_path_factory: pytest.TempPathFactory) -> Version:
    return generated(tmp_path_factory.mktemp("iraq_arabic"), "arabic")


# -- reading an export back ---------------------------------------------------------------------------------

def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            if "@id" in v:
                out[v["@id"]] = v
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(report)
    return out


def code(obj: dict[str, Any]) -> str:
    """The commission's own id of an exported object."""
    (ext,) = [e for e in obj["ExternalIdentifier"] if e["Type"] == IdentifierType.NATIONAL_LEVEL.value]
    return ext["Value"]


def candidate_counts(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, int]]:
    """(contest id, candidate id) -> {GpUnit @id: count} of every CandidateSelection's total counts."""
    ids = by_id(report)
    out: dict[tuple[str, str], dict[str, int]] = {}
    for contest in report["Election"][0]["Contest"]:
        if contest["@type"] != T + "CandidateContest":
            continue
        for sel in contest["ContestSelection"]:
            (cand,) = sel["CandidateIds"]
            counts = {vc["GpUnitId"]: vc["Count"] for vc in sel["VoteCounts"] if vc["Type"] == "total"}
            assert len(counts) == len([vc for vc in sel["VoteCounts"] if vc["Type"] == "total"])
            out[(code(contest), code(ids[cand]))] = counts
    return out


def statuses(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(contest id, candidate id) -> PostElectionStatus."""
    ids = by_id(report)
    out = {}
    for contest in report["Election"][0]["Contest"]:
        for sel in contest.get("ContestSelection", ()):
            for cand in sel.get("CandidateIds", ()):
                out[(code(contest), code(ids[cand]))] = ids[cand]["PostElectionStatus"]
    return out


def tabulated_votes(version: Version) -> dict[tuple[str, str], int]:
    ch = version.tabulation.choices
    columns = (ch.column(n).to_pylist() for n in ("contest_id", "candidate_id", "votes"))
    return {(c, k): v for c, k, v in zip(*columns) if k}


def winners_by_status(report: dict[str, Any], status: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for (contest, cand), s in statuses(report).items():
        if s == status:
            out[contest].add(cand)
    return dict(out)


# -- the vocabulary is the schema's --------------------------------------------------------------------------

@pytest.mark.parametrize("enum, definition, complete", [
    (ResultsStatus, "ResultsStatus", True), (ReportDetailLevel, "ReportDetailLevel", True),
    (ElectionType, "ElectionType", True), (PostElectionStatus, "CandidatePostElectionStatus", True),
    (CountItemType, "CountItemType", False), (VoteVariation, "VoteVariation", False),
    (ReportingUnitType, "ReportingUnitType", False), (IdentifierType, "IdentifierType", False)])
def test_every_enumeration_value_is_the_schemas(schema: dict[str, Any], enum: Any, definition: str,
                                                complete: bool) -> None:
    published = set(schema["definitions"][T + definition]["enum"])
    ours = {e.value for e in enum}
    assert ours <= published, ours - published
    if complete:  # the vocabularies a caller chooses from offer every published value
        assert ours == published


# -- the tiny fixture, checked by hand ----------------------------------------------------------------------

def test_tiny_package_by_hand(tiny_version: Version, validator: Any, schema: dict[str, Any]) -> None:
    report = tiny_version.report(status=ResultsStatus.CERTIFIED)
    assert_valid(report, validator, schema)
    assert (report["Format"], report["Status"], report["SequenceStart"], report["SequenceEnd"]) == \
        ("summary-contest", "certified", 1, 1)
    assert report["GeneratedDate"] == "2021-10-17T09:30:00Z"
    assert report["IssuerAbbreviation"] == "IQ" and report["VendorApplicationId"].startswith("tallycheck ")
    assert report["ExternalIdentifier"][0]["Value"] == tiny_version.snapshot.snapshot_sha256
    election = report["Election"][0]
    assert (election["StartDate"], election["EndDate"], election["Type"]) == \
        ("2021-10-10", "2021-10-10", "general")
    assert election["ElectionScopeId"] == "area-IQ"
    # tests/fixtures/packages/tiny/results.csv summed by hand: D1 001 60+55, 002 50+40, 003 30+35, 004 15+15;
    # D2 005 80+30, 006 45+28, 007 40+30
    assert {k: c[f"area-{k[0]}"] for k, c in candidate_counts(report).items()} == {
        ("D1", "001"): 115, ("D1", "002"): 90, ("D1", "003"): 65, ("D1", "004"): 30,
        ("D2", "005"): 110, ("D2", "006"): 73, ("D2", "007"): 70}
    # 3 seats each (contests.csv): the three highest-voted, a woman (002, 006) among them
    assert statuses(report) == {("D1", "001"): "winner", ("D1", "002"): "winner", ("D1", "003"): "winner",
                                ("D1", "004"): "defeated", ("D2", "005"): "winner", ("D2", "006"): "winner",
                                ("D2", "007"): "winner"}
    contests = {code(c): c for c in election["Contest"]}
    assert {k: (c["@type"], c["NumberElected"], c["VotesAllowed"], c["ElectionDistrictId"])
            for k, c in contests.items()} == {"D1": (T + "CandidateContest", 3, 1, "area-D1"),
                                              "D2": (T + "CandidateContest", 3, 1, "area-D2")}
    # sheets.csv: blank D1 1+2, D2 0+0; every station reports
    assert [c["OtherCounts"] for c in contests.values()] == [
        [{"@type": T + "OtherCounts", "GpUnitId": "area-D1", "Undervotes": 3}],
        [{"@type": T + "OtherCounts", "GpUnitId": "area-D2", "Undervotes": 0}]]
    assert [(c["TotalSubUnits"], c["SubUnitsReported"]) for c in contests.values()] == [(2, 2), (2, 2)]
    # sheets.csv ballots_cast and invalid: D1 160+150, 4+3; D2 170+90, 5+2; stations.csv registers:
    # D1 400+380, D2 420 (0200102 is a special station without a register)
    ballots = {b["GpUnitId"]: (b["BallotsCast"], b.get("BallotsRejected")) for b in election["BallotCounts"]}
    assert ballots == {"area-D1": (310, 7), "area-D2": (260, 7), "area-G1": (570, 14), "area-IQ": (570, 14)}
    units = by_id(report)
    assert [units[f"area-{a}"].get("VotersRegistered") for a in ("D1", "D2", "G1", "IQ")] == \
        [780, 420, 1200, 1200]
    assert (units["area-IQ"]["Type"], units["area-G1"]["Type"], units["area-G1"]["OtherType"]) == \
        ("country", "other", "governorate")
    assert units["area-G1"]["ComposingGpUnitIds"] == ["area-D1", "area-D2"]
    parties = {p["Name"]["Text"][0]["Content"]: p["@id"] for p in report["Party"]}
    assert sorted(parties) == ["Party A", "Party B", "Party C"]
    assert units["cand-D1-004"].get("PartyId") is None  # 004 stands without a party
    assert units["cand-D1-001"]["PartyId"] == parties["Party A"]
    assert units[units["cand-D1-002"]["PersonId"]]["Gender"] == "female"


def test_tiny_per_station(tiny_version: Version, validator: Any, schema: dict[str, Any]) -> None:
    report = tiny_version.report(per_station=True)
    assert_valid(report, validator, schema)
    assert report["Format"] == "precinct-level"
    counts = candidate_counts(report)
    assert counts[("D1", "001")] == {"area-D1": 115, "station-0100101": 60, "station-0100102": 55}
    assert counts[("D2", "007")] == {"area-D2": 70, "station-0200101": 40, "station-0200102": 30}
    units = by_id(report)
    special = units["station-0200102"]
    assert special["Type"] == "polling-place" and "VotersRegistered" not in special
    assert units["area-D2"]["ComposingGpUnitIds"] == ["station-0200101", "station-0200102"]
    ballots = {b["GpUnitId"]: (b["BallotsCast"], b.get("BallotsRejected"))
               for b in report["Election"][0]["BallotCounts"]}
    assert ballots["station-0100101"] == (160, 4) and ballots["station-0200102"] == (90, 2)
    # not certified: the law's winners are projected, not official
    assert set(statuses(report).values()) == {"projected-winner", "defeated"}


# -- Iraq-shaped generated packages -------------------------------------------------------------------------

def test_iraq_shaped_export_validates_sums_and_winners(iraq: Version, validator: Any,
                                                      schema: dict[str, Any]) -> None:
    report = iraq.report(status=ResultsStatus.CERTIFIED)
    assert_valid(report, validator, schema)
    assert report["IsTest"] is True  # synthetic data says so
    areas = {c.contest_id: object_id("area", c.area) for c in iraq.data.contests}
    district = {k: c[areas[k[0]]] for k, c in candidate_counts(report).items()}
    assert district == tabulated_votes(iraq)  # every candidate, exactly
    assert winners_by_status(report, "winner") == {c.contest_id: set(c.winner_ids)
                                                   for c in iraq.seats.contests if c.winners}
    assert sum(len(w) for w in winners_by_status(report, "winner").values()) == iraq.seats.seats == 329


def test_iraq_shaped_station_counts_add_up_to_the_district(iraq: Version) -> None:
    areas = {c.contest_id: object_id("area", c.area) for c in iraq.data.contests}
    counts = candidate_counts(iraq.report(per_station=True))
    assert len(counts) == len(tabulated_votes(iraq))
    for (contest, cand), per_unit in counts.items():
        district = per_unit.pop(areas[contest])
        assert all(unit.startswith("station-") for unit in per_unit)
        assert sum(per_unit.values()) == district == tabulated_votes(iraq)[(contest, cand)], (contest, cand)


def test_arabic_names_are_kept_in_their_script(iraq_arabic: Version, validator: Any,
                                               schema: dict[str, Any]) -> None:
    report = iraq_arabic.report()
    assert_valid(report, validator, schema)
    text = json.dumps(report, ensure_ascii=False)
    assert json.loads(text) == report
    units = by_id(report)
    names = {(c.contest_id, c.candidate_id): c.name for c in iraq_arabic.data.candidates}
    arabic = re.compile("[\u0600-\u06ff]")
    seen = 0
    for (contest, cand), name in names.items():
        (ballot_name,) = units[object_id("cand", contest, cand)]["BallotName"]["Text"]
        assert ballot_name["Content"] == name
        assert ballot_name["Language"] == ("ar" if arabic.search(name) else "en")
        seen += ballot_name["Language"] == "ar"
    assert seen == len(names)  # every candidate of the Arabic-named package
    (country,) = [u for u in report["GpUnit"] if u["Type"] == "country"]
    assert country["Name"]["Text"][0] == \
        {"@type": T + "LanguageString", "Content": "العراق", "Language": "ar"}


# -- real data: one Afghan province -------------------------------------------------------------------------

@pytest.mark.skipif(not (AFGHANISTAN / "stations_preliminary").is_dir(),
                    reason=f"the Afghanistan 2010 data (GPL-3.0, never copied into the repository) is not at "
                           f"{AFGHANISTAN}")
def test_afghanistan_2010_province_exports_with_the_seat_engines_winners(
        tmp_path: Path, validator: Any, schema: dict[str, Any]) -> None:
    from tallycheck.ingest.afghanistan_2010 import write_package

    write_package(AFGHANISTAN, tmp_path / "af", ("badghis",))
    assert import_package(tmp_path / "af").outcome is not None
    version = load_version(tmp_path / "af")
    report = version.report()  # the data are the IEC's preliminary results: not certified
    assert_valid(report, validator, schema)
    assert report["Status"] == "unofficial-complete"
    assert report["Issuer"] == "Independent Election Commission of Afghanistan (IEC)"
    assert report["Election"][0]["ElectionScopeId"] == "area-AF"
    projected = winners_by_status(report, "projected-winner")
    assert projected == {c.contest_id: set(c.winner_ids) for c in version.seats.contests}
    # and the IEC's own preliminary winner flags for Badghis (G-23, 4 seats, one reserved for a woman):
    # final_af_candidate_province_data_2010.csv, column winner
    with (AFGHANISTAN / "final_af_candidate_province_data_2010.csv").open(encoding="utf-8", newline="") as f:
        flagged = {r["candidate_code"] for r in csv.DictReader(f)
                   if r["constituency_code"] == "G-23" and r["winner"] == "Yes"}
    assert len(flagged) == 4 and projected["G-23"] == flagged
    district = {k: next(iter(c.values())) for k, c in candidate_counts(report).items()}
    assert district == tabulated_votes(version)


# -- list PR ------------------------------------------------------------------------------------------------

def test_list_pr_contest_is_a_party_contest_with_the_lists_votes_and_seats(
        tmp_path: Path, validator: Any, schema: dict[str, Any]) -> None:
    from test_seats_laws import list_package  # the hand-checked Iraq 2018 list package

    data = list_package(tmp_path / "p", 'name = "iraq-2018"')
    tab = tabulate(data)
    version = Version(data, tab, allocate(data, tab), SnapshotInfo("v1", 1, 1, "0" * 64))
    report = version.report(status=ResultsStatus.CERTIFIED, per_station=True)
    assert_valid(report, validator, schema)
    party_contest, personal = report["Election"][0]["Contest"]
    assert (party_contest["@type"], party_contest["VoteVariation"]) == (T + "PartyContest", "proportional")
    units = by_id(report)
    # test_seats_laws.py: L1 1000, L2 620, L3 150 + 40 list-only = 190 votes; seats 4, 3, 0 (modified
    # Sainte-Lague, first divisor 1.7)
    got = {units[s["PartyIds"][0]]["Name"]["Text"][0]["Content"]:
           sorted((vc["Type"], vc["GpUnitId"], vc["Count"]) for vc in s["VoteCounts"])
           for s in party_contest["ContestSelection"]}
    assert got == {
        "One": [("seats", "area-G1", 4), ("total", "area-G1", 1000), ("total", "station-S01", 1000)],
        "Two": [("seats", "area-G1", 3), ("total", "area-G1", 620), ("total", "station-S01", 620)],
        "Three": [("seats", "area-G1", 0), ("total", "area-G1", 190), ("total", "station-S01", 190)]}
    assert personal["@type"] == T + "CandidateContest"
    assert winners_by_status(report, "winner") == {"G1": {"a1", "a2", "a3", "a5", "b1", "b3", "b2"}}
    assert units["cand-G1-a5"]["PartyId"] == "list-G1-L1"


def test_majority_contest_without_a_majority_sends_two_to_the_runoff(
        tmp_path: Path, validator: Any, schema: dict[str, Any]) -> None:
    from test_seats_laws import package

    # a 45, b 40, c 15: no one has more than half of the 100 valid votes, so a and b go to a run-off
    data = package(tmp_path / "p", law='name = "majority"', contests=[("P", 1, "IQ", 0)],
                   candidates=[(k, "P", "M", "", "") for k in "abc"],
                   votes={"S01": {("P", "a"): 30, ("P", "b"): 25, ("P", "c"): 5},
                          "S02": {("P", "a"): 15, ("P", "b"): 15, ("P", "c"): 10}})
    tab = tabulate(data)
    report = Version(data, tab, allocate(data, tab), SnapshotInfo("v1", 1, 1, "0" * 64)).report()
    assert_valid(report, validator, schema)
    (contest,) = report["Election"][0]["Contest"]
    assert (contest["VoteVariation"], contest["NumberElected"], contest["NumberRunoff"]) == ("majority", 1, 2)
    assert statuses(report) == {("P", "a"): "advanced-to-runoff", ("P", "b"): "advanced-to-runoff",
                                ("P", "c"): "defeated"}
    assert {k: c["area-IQ"] for k, c in candidate_counts(report).items()} == \
        {("P", "a"): 45, ("P", "b"): 40, ("P", "c"): 15}


# -- identifiers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [(("cand", "a-b", "c"), ("cand", "a", "b-c")),
                                  (("cand", "a_2d_b", "c"), ("cand", "a-b", "c")),
                                  (("area", "D 1"), ("area", "D_1")), (("area", "١٢"), ("area", "12"))])
def test_object_ids_are_ncnames_and_never_collide(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    ncname = re.compile(r"[A-Za-z_][A-Za-z0-9._\-]*")
    assert ncname.fullmatch(object_id(*a)) and ncname.fullmatch(object_id(*b))
    assert object_id(*a) != object_id(*b)
    assert object_id("area", "IQ-BG") == "area-IQ_2d_BG"


def test_ids_are_stable_across_versions(tmp_path: Path) -> None:
    package = imported_copy(TINY, tmp_path / "tiny")
    first = load_version(package).report()
    # a recount version: station 0100101's votes for 003 corrected from 30 to 40
    make_package(package, results=tiny_text("results").replace("0100101,D1,003,30", "0100101,D1,003,40"),
                 sheets=tiny_text("sheets").replace("0100101,D1,160,", "0100101,D1,170,"))
    assert import_package(package).outcome is not None
    second = load_version(package, "v2").report()
    assert set(by_id(first)) == set(by_id(second))
    assert (second["SequenceStart"], second["SequenceEnd"]) == (2, 2)
    assert candidate_counts(second)[("D1", "003")] == {"area-D1": 75}
    assert load_version(package, "v1").report()["SequenceEnd"] == 2  # v1 is report 1 of 2 now


def test_reference_checker_names_each_broken_reference(tiny_version: Version, schema: dict[str, Any]) -> None:
    report = copy.deepcopy(tiny_version.report())
    election = report["Election"][0]
    election["Candidate"][0]["PartyId"] = "party-Nobody"
    election["Candidate"][1]["PartyId"] = "area-D1"  # an object of the wrong type
    election["Contest"][0]["@id"] = "1-not-an-ncname"
    report["GpUnit"][1]["@id"] = report["GpUnit"][0]["@id"]
    problems = reference_problems(report, schema)
    assert "$.Election[0].Candidate[0].PartyId: no object has @id 'party-Nobody'" in problems
    wrong = "$.Election[0].Candidate[1].PartyId: 'area-D1' is a ElectionResults.ReportingUnit"
    assert any(p.startswith(wrong) for p in problems)
    assert "$.Election[0].Contest[0].@id: '1-not-an-ncname' is not an NCName (xsd:ID)" in problems
    assert any(p.startswith("$.GpUnit[1].@id:") and p.endswith("is used twice") for p in problems)


def test_naive_time_and_bad_language_are_refused(tiny_version: Version) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        election_report(tiny_version.data, tiny_version.tabulation, tiny_version.seats, tiny_version.snapshot,
                        generated=dt.datetime(2021, 10, 17))
    with pytest.raises(ValueError, match="language tag"):
        tiny_version.report(language="not a tag")


# -- the command --------------------------------------------------------------------------------------------

def test_cli_writes_a_validated_file(tc, tiny: Path, tmp_path: Path) -> None:
    assert import_package(tiny).outcome is not None
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "results.json"
    code, stdout, stderr = tc("export", "nist", tiny, "--out", out, "--status", "certified", "--per-station",
                              "--schema", SCHEMA_FILE)
    assert code == 0, stderr
    assert "validated" in stderr and stdout == ""
    report = json.loads(out.read_text("utf-8"))
    assert (report["Status"], report["Format"]) == ("certified", "precinct-level")
    assert [p.name for p in out.parent.iterdir()] == ["results.json"]  # no temporary file left beside it
    code, stdout, _ = tc("export", "nist", tiny, "--version", "v1")
    assert code == 0 and json.loads(stdout)["Status"] == "unofficial-complete"


def test_cli_refuses_an_export_the_schema_rejects_and_writes_nothing(tc, tiny: Path, tmp_path: Path,
                                                                     schema: dict[str, Any]) -> None:
    assert import_package(tiny).outcome is not None
    stricter = copy.deepcopy(schema)  # a schema that also requires Notes and caps Issuer at 5 characters
    stricter["definitions"][T + "ElectionReport"]["required"].append("Notes")
    stricter["definitions"][T + "ElectionReport"]["properties"]["Issuer"]["maxLength"] = 5
    schema_file = tmp_path / "stricter.json"
    schema_file.write_text(json.dumps(stricter), "utf-8")
    out = tmp_path / "results.json"
    code, _, stderr = tc("export", "nist", tiny, "--out", out, "--schema", schema_file)
    assert code == 1
    assert "2 problems" in stderr and "nothing written" in stderr
    assert "$: 'Notes' is a required property" in stderr
    assert "$.Issuer: 'Tiny test election' is too long" in stderr
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (("--status", "final"), "--status must be one of certified"),
    (("--election-type", "mid-term"), "--election-type must be one of"),
    (("--language", "two words"), "language must be a language tag")])
def test_cli_usage_errors(tc, tiny: Path, args: tuple[str, ...], message: str) -> None:
    assert import_package(tiny).outcome is not None
    code, _, stderr = tc("export", "nist", tiny, *args)
    assert code == 2 and message in stderr


# -- per-station validation of the larger exports (slow: the schema's oneOf checks every branch) -----------

@pytest.mark.slow
def test_iraq_shaped_per_station_export_validates(iraq: Version, iraq_arabic: Version, validator: Any,
                                                  schema: dict[str, Any]) -> None:
    for version in (iraq, iraq_arabic):
        assert_valid(version.report(per_station=True, status=ResultsStatus.CERTIFIED), validator, schema)
