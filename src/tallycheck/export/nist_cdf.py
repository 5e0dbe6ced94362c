"""A results version as a NIST SP 1500-100 v2 `ElectionReport` (Election Results Reporting Common Data
Format, JSON).

Pure: the election package's values, its tabulation and its seat result in; a JSON-ready dict out. No file,
store or clock access (the caller gives the generation time). docs/export.md maps every field; the published
schema (github.com/usnistgov/ElectionResultsReporting, `NIST_V2_election_results_reporting.json`, draft-04) is
what the tests validate against. Every enumeration value used here is one of the schema's
(tests/test_export_nist.py compares each Enum below with the schema file).

Identifiers: the CDF's `@id` is an XML `xsd:ID` in the XML form (an NCName, unique in the whole document), so
every `@id` here is a kind prefix ("area-", "cand-", ...) followed by the package's own ids, with each
character outside [A-Za-z0-9.] written as `_HEX_` (its code point in hexadecimal). The mapping is reversible
and depends on the ids alone, so the same object keeps the same `@id` in every version's export.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .. import __version__
from ..areas import AreaTree
from ..model import Candidate, ElectionData, Gender
from ..seats.result import ContestSeats, SeatResult
from ..tabulate import Tabulation, one_ballot_per_voter, station_ballots

T = "ElectionResults."  # every @type is this namespace plus the class name


class ResultsStatus(str, Enum):
    """ElectionResults.ResultsStatus."""

    CERTIFIED = "certified"
    CORRECTION = "correction"
    PRE_ELECTION = "pre-election"
    RECOUNT = "recount"
    UNOFFICIAL_COMPLETE = "unofficial-complete"
    UNOFFICIAL_PARTIAL = "unofficial-partial"


class ReportDetailLevel(str, Enum):
    """ElectionResults.ReportDetailLevel."""

    PRECINCT_LEVEL = "precinct-level"
    SUMMARY_CONTEST = "summary-contest"


class ElectionType(str, Enum):
    """ElectionResults.ElectionType."""

    GENERAL = "general"
    OTHER = "other"
    PARTISAN_PRIMARY_CLOSED = "partisan-primary-closed"
    PARTISAN_PRIMARY_OPEN = "partisan-primary-open"
    PRIMARY = "primary"
    RUNOFF = "runoff"
    SPECIAL = "special"


class PostElectionStatus(str, Enum):
    """ElectionResults.CandidatePostElectionStatus."""

    ADVANCED_TO_RUNOFF = "advanced-to-runoff"
    DEFEATED = "defeated"
    PROJECTED_WINNER = "projected-winner"
    WINNER = "winner"
    WITHDRAWN = "withdrawn"


class CountItemType(str, Enum):
    """The values of ElectionResults.CountItemType this export writes."""

    TOTAL = "total"
    SEATS = "seats"


class VoteVariation(str, Enum):
    """The values of ElectionResults.VoteVariation this export writes."""

    MAJORITY = "majority"
    OTHER = "other"
    PLURALITY = "plurality"
    PROPORTIONAL = "proportional"


class ReportingUnitType(str, Enum):
    """The values of ElectionResults.ReportingUnitType this export writes (an area level with no CDF value is
    `other`, the level's own word in OtherType)."""

    COUNTRY = "country"
    STATE = "state"
    COUNTY = "county"
    MUNICIPALITY = "municipality"
    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"
    WARD = "ward"
    PRECINCT = "precinct"
    POLLING_PLACE = "polling-place"
    OTHER = "other"


class IdentifierType(str, Enum):
    """The values of ElectionResults.IdentifierType this export writes."""

    NATIONAL_LEVEL = "national-level"
    OTHER = "other"


# areas.csv `level` words that are CDF ReportingUnitType values as they stand
_LEVEL_TYPES = {t.value: t for t in ReportingUnitType if t not in (ReportingUnitType.OTHER,
                                                                   ReportingUnitType.POLLING_PLACE)}
# the CDF has no word for SNTV: seats go to the k highest-voted (then the women's minimum), one vote each
_VARIATION = {"sntv": (VoteVariation.OTHER, "single-non-transferable-vote"),
              "plurality": (VoteVariation.PLURALITY, None), "majority": (VoteVariation.MAJORITY, None),
              "list-pr": (VoteVariation.PROPORTIONAL, None)}
_GENDER_WORD = {Gender.FEMALE: "female", Gender.MALE: "male", Gender.OTHER: "other"}
_NCNAME_SAFE = re.compile(r"[A-Za-z0-9.]")
# Arabic script blocks: Arabic, Arabic Supplement, Arabic Extended-A, Presentation Forms A and B
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LANGUAGE_TAG = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")  # xsd:language


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """The results version being exported: its name and number, the store's latest number (the report is
    number `number` of `latest` in the CDF's report sequence), and its snapshot hash."""

    version: str
    number: int
    latest: int
    snapshot_sha256: str


def object_id(kind: str, *parts: str) -> str:
    """A stable, valid `@id` (an NCName): `kind-part1-part2`, each part's characters outside [A-Za-z0-9.]
    written as `_HEX_` (a `-` or `_` inside a part too), so `-` only ever separates parts and different
    (kind, parts) give different ids."""
    def escape(text: str) -> str:
        return "".join(ch if _NCNAME_SAFE.fullmatch(ch) else f"_{ord(ch):x}_" for ch in text)

    if not re.fullmatch(r"[a-z]+", kind):
        raise ValueError(f"object_id kind must be lower-case letters; got {kind!r}")
    return "-".join([kind, *map(escape, parts)])


def language_of(text: str, default: str) -> str:
    """"ar" for a name written in Arabic script, else `default` (the package's language for other names)."""
    return "ar" if _ARABIC.search(text or "") else default


def _text(content: str, default_language: str) -> dict[str, Any]:
    """InternationalizedText with one LanguageString."""
    return {"@type": T + "InternationalizedText",
            "Text": [{"@type": T + "LanguageString", "Content": content,
                      "Language": language_of(content, default_language)}]}


def _external(value: str) -> list[dict[str, str]]:
    """The commission's own code for an object, kept verbatim."""
    return [{"@type": T + "ExternalIdentifier", "Type": IdentifierType.NATIONAL_LEVEL.value, "Value": value}]


def _votes(gp_unit: str, count: int, kind: CountItemType = CountItemType.TOTAL) -> dict[str, Any]:
    return {"@type": T + "VoteCounts", "GpUnitId": gp_unit, "Type": kind.value, "Count": int(count)}


def _area_unit_type(level: str) -> tuple[ReportingUnitType, str | None]:
    word = (level or "").strip().lower()
    if word in _LEVEL_TYPES:
        return _LEVEL_TYPES[word], None
    return ReportingUnitType.OTHER, word or "area"


@dataclass(frozen=True, slots=True)
class _StationSheets:
    """Per station: ballots cast (each voter once, as tabulate counts it), invalid ballots where they are
    ballots rejected, and each contest's blank ballots."""

    registered: Mapping[str, int | None]
    area: Mapping[str, str]
    ballots: Mapping[str, int]
    rejected: Mapping[str, int | None]
    blank_of: Mapping[str, Sequence[tuple[str, int]]]  # contest -> [(station, blank ballots)]
    holding: Mapping[str, int]  # contest -> stations with a sheet or result rows for it


def _station_sheets(data: ElectionData) -> _StationSheets:
    st = station_ballots(data)
    sheets = data.table("sheets")
    invalid: dict[str, int] = defaultdict(int)
    n_sheets: dict[str, int] = defaultdict(int)
    blank: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for sid, cid, inv, bl in zip(*(sheets.column(c).to_pylist()
                                   for c in ("station_id", "contest_id", "invalid", "blank"))):
        invalid[sid] += int(inv or 0)
        n_sheets[sid] += 1
        blank[cid].append((sid, int(bl or 0)))
    pairs = set(zip(sheets.column("station_id").to_pylist(), sheets.column("contest_id").to_pylist()))
    res = data.table("results").select(["station_id", "contest_id"])
    res_pairs = res.group_by(["station_id", "contest_id"], use_threads=False).aggregate([])
    pairs |= set(zip(res_pairs.column("station_id").to_pylist(), res_pairs.column("contest_id").to_pylist()))
    holding: dict[str, int] = defaultdict(int)
    for _, c in pairs:
        holding[c] += 1
    # A voter with one ballot for one of several contests (Iraq: general or minority) makes the sum of the
    # sheets' invalid ballots the station's rejected ballots; with a ballot per contest it is not, unless the
    # station has one sheet.
    once = one_ballot_per_voter(data)
    ids = st.column("station_id").to_pylist()
    return _StationSheets(
        registered=dict(zip(ids, st.column("registered").to_pylist())),
        area=dict(zip(ids, st.column("area").to_pylist())),
        ballots={s: int(b) for s, b in zip(ids, st.column("ballots_cast").to_pylist()) if b is not None},
        rejected={s: (invalid[s] if (once or n_sheets[s] <= 1) and n_sheets[s] else None) for s in ids},
        blank_of=blank, holding=holding)


def _ballot_counts(gp_unit: str, cast: int, rejected: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": T + "BallotCounts", "GpUnitId": gp_unit,
                           "Type": CountItemType.TOTAL.value, "BallotsCast": int(cast)}
    if rejected is not None:
        out["BallotsRejected"] = int(rejected)
    return out


def _sorted_ids(ids: Iterable[str]) -> list[str]:
    return sorted(ids, key=lambda s: s.encode("utf-8"))


def election_report(data: ElectionData, tabulation: Tabulation, seats: SeatResult, snapshot: SnapshotInfo, *,
                    generated: dt.datetime, status: ResultsStatus = ResultsStatus.UNOFFICIAL_COMPLETE,
                    issuer: str | None = None, issuer_abbreviation: str | None = None,
                    election_type: ElectionType = ElectionType.GENERAL, per_station: bool = False,
                    language: str = "en") -> dict[str, Any]:
    """The version's results as a CDF `ElectionReport` (a dict ready for json.dumps).

    status: ResultsStatus.CERTIFIED only where the commission has certified these results; winners are then
    `winner`, otherwise `projected-winner`. generated: when the report is made (timezone-aware).
    issuer / issuer_abbreviation: default the election.toml [source] publisher and the country code.
    per_station: also every polling station as a GpUnit with its own counts (Format precinct-level).
    language: the language tag of names not written in Arabic script (those are "ar").
    Raises ValueError for a naive `generated` or a malformed language tag."""
    if generated.tzinfo is None or generated.utcoffset() is None:
        raise ValueError("generated must be timezone-aware (the CDF's DateTimeWithZone requires a zone)")
    if not _LANGUAGE_TAG.fullmatch(language):
        raise ValueError(f"language must be a language tag such as en or ar; got {language!r}")
    status = ResultsStatus(status)
    election = data.election
    tree = AreaTree.from_data(data)
    sheets = _station_sheets(data)

    # -- the area tree, the election's scope and the stations ---------------------------------------------
    area_id = {a: object_id("area", a) for a in tree.names}
    children: dict[str, list[str]] = defaultdict(list)
    for a, parent in tree.parents.items():
        if parent:
            children[parent].append(a)
    station_ids = list(sheets.area)  # station_ballots sorts them
    stations_in: dict[str, list[str]] = defaultdict(list)
    for s in station_ids:
        stations_in[sheets.area[s]].append(s)
    if len(tree.roots) == 1:
        scope_id = area_id[tree.roots[0]]
        scope_unit = None
    else:  # several top-level areas (or none): the election's scope is a unit above them
        scope_id = object_id("scope", election.country or "election")
        scope_unit = {"@id": scope_id, "@type": T + "ReportingUnit",
                      "Type": (ReportingUnitType.COUNTRY if election.country
                               else ReportingUnitType.OTHER).value,
                      "Name": _text(election.country or election.name, language),
                      "ComposingGpUnitIds": [area_id[r] for r in tree.roots]}
        if not election.country:
            scope_unit["OtherType"] = "election"
    contest_areas = {c.area for c in data.contests}

    area_rows = {r["area_id"]: r for r in tabulation.areas.to_pylist()}
    # rejected ballots per area: only where every station under it knows its own
    rejected_in: dict[str, int | None] = defaultdict(int)
    for s in station_ids:
        for a in tree.chain(sheets.area[s]):
            prev, here = rejected_in[a], sheets.rejected[s]
            rejected_in[a] = None if prev is None or here is None else prev + here

    gp_units: list[dict[str, Any]] = [] if scope_unit is None else [scope_unit]
    ballot_counts: list[dict[str, Any]] = []
    for a in _sorted_ids(tree.names):
        unit_type, other = _area_unit_type(tree.levels.get(a, ""))
        unit: dict[str, Any] = {"@id": area_id[a], "@type": T + "ReportingUnit", "Type": unit_type.value}
        if other is not None:
            unit["OtherType"] = other
        unit["Name"] = _text(tree.name(a), language)
        unit["ExternalIdentifier"] = _external(a)
        composing = [area_id[c] for c in _sorted_ids(children.get(a, ()))]
        if per_station:
            composing += [object_id("station", s) for s in stations_in.get(a, ())]
        if composing:
            unit["ComposingGpUnitIds"] = composing
        if a in contest_areas:
            unit["IsDistricted"] = True
        row = area_rows.get(a)
        if row is not None and row["registered"]:
            # the sum over stations that have a register (special stations have none: docs/export.md)
            unit["VotersRegistered"] = int(row["registered"])
        gp_units.append(unit)
        if row is not None and row["stations"]:
            ballot_counts.append(_ballot_counts(area_id[a], row["ballots_cast"], rejected_in.get(a)))
    if per_station:
        for s in station_ids:
            sid = object_id("station", s)
            unit = {"@id": sid, "@type": T + "ReportingUnit", "Type": ReportingUnitType.POLLING_PLACE.value,
                    "Name": _text(s, language), "Number": s, "ExternalIdentifier": _external(s)}
            if sheets.registered[s] is not None:
                unit["VotersRegistered"] = int(sheets.registered[s])
            gp_units.append(unit)
            if s in sheets.ballots:
                ballot_counts.append(_ballot_counts(sid, sheets.ballots[s], sheets.rejected[s]))

    # -- parties and lists -------------------------------------------------------------------------------
    parties: list[dict[str, Any]] = []
    party_id: dict[str, str] = {}
    for name in _sorted_ids({c.party for c in data.candidates if c.party}):
        party_id[name] = object_id("party", name)
        parties.append({"@id": party_id[name], "@type": T + "Party", "Name": _text(name, language)})
    list_id: dict[tuple[str, str], str] = {}
    for lst in data.lists:
        list_id[(lst.contest_id, lst.list_id)] = pid = object_id("list", lst.contest_id, lst.list_id)
        parties.append({"@id": pid, "@type": T + "Party", "Name": _text(lst.name, language),
                        "ExternalIdentifier": _external(lst.list_id)})

    votes = _Votes(data, tabulation, per_station)
    contest_rows = {r["contest_id"]: r for r in tabulation.contests.to_pylist()}

    # -- contests and candidates -------------------------------------------------------------------------
    # the law's winners are official only in certified results; before that they are projected
    won = (PostElectionStatus.WINNER if status is ResultsStatus.CERTIFIED
           else PostElectionStatus.PROJECTED_WINNER)
    candidates_of: dict[str, list[Candidate]] = defaultdict(list)
    for cand in data.candidates:
        candidates_of[cand.contest_id].append(cand)
    contests: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    for cs in seats.contests:
        district = area_id[cs.area]
        row = contest_rows.get(cs.contest_id, {})
        winners, runoff = set(cs.winner_ids), set(cs.runoff)
        for cand in candidates_of.get(cs.contest_id, ()):
            cand_id = object_id("cand", cand.contest_id, cand.candidate_id)
            entry: dict[str, Any] = {"@id": cand_id, "@type": T + "Candidate",
                                     "BallotName": _text(cand.name, language),
                                     "ExternalIdentifier": _external(cand.candidate_id)}
            party = list_id.get((cand.contest_id, cand.list_id)) if cand.list_id else party_id.get(cand.party)
            if party is not None:
                entry["PartyId"] = party
            if cand.gender in _GENDER_WORD:
                person = object_id("person", cand.contest_id, cand.candidate_id)
                people.append({"@id": person, "@type": T + "Person", "FullName": _text(cand.name, language),
                               "Gender": _GENDER_WORD[cand.gender]})
                entry["PersonId"] = person
            entry["PostElectionStatus"] = (
                won if cand.candidate_id in winners
                else PostElectionStatus.ADVANCED_TO_RUNOFF if cand.candidate_id in runoff
                else PostElectionStatus.DEFEATED).value
            candidates.append(entry)
        contests += _contest_entries(cs, row, district, candidates_of.get(cs.contest_id, ()), votes, list_id,
                                     data, sheets, per_station, language)

    report: dict[str, Any] = {
        "@type": T + "ElectionReport",
        "Format": (ReportDetailLevel.PRECINCT_LEVEL if per_station
                   else ReportDetailLevel.SUMMARY_CONTEST).value,
        "GeneratedDate": generated.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Issuer": issuer or str(election.source.get("publisher") or election.name),
        "IssuerAbbreviation": issuer_abbreviation or election.country or "",
        "SequenceStart": snapshot.number,
        "SequenceEnd": max(snapshot.latest, snapshot.number),
        "Status": status.value,
        "VendorApplicationId": f"tallycheck {__version__}",
        "ExternalIdentifier": [{"@type": T + "ExternalIdentifier", "Type": IdentifierType.OTHER.value,
                                "OtherType": "tallycheck-snapshot-sha256", "Label": snapshot.version,
                                "Value": snapshot.snapshot_sha256}],
        "Election": [{
            "@type": T + "Election",
            "Name": _text(election.name, language),
            "Type": ElectionType(election_type).value,
            "StartDate": election.date.isoformat(),
            "EndDate": election.date.isoformat(),
            "ElectionScopeId": scope_id,
            "BallotCounts": ballot_counts,
            "Candidate": candidates,
            "Contest": contests,
        }],
        "GpUnit": gp_units,
        "Party": parties,
        "Person": people,
    }
    if not report["IssuerAbbreviation"]:
        report["IssuerAbbreviation"] = "".join(w[0] for w in report["Issuer"].split() if w[:1].isalnum())[:8]
    if election.source.get("synthetic"):
        report["IsTest"] = True
        report["TestType"] = "synthetic data (tallycheck synth), not real results"
    return report


def _contest_entries(cs: ContestSeats, row: Mapping[str, Any], district: str, cands: Sequence[Candidate],
                     votes: _Votes, list_id: Mapping[tuple[str, str], str], data: ElectionData,
                     sheets: _StationSheets, per_station: bool, language: str) -> list[dict[str, Any]]:
    """One contest's CDF contests: a CandidateContest; a list-PR contest is a PartyContest (the lists' votes
    and seats) plus a CandidateContest of its candidates' personal votes (who fills the lists' seats)."""
    variation, other = _VARIATION.get(cs.system, (VoteVariation.OTHER, cs.system))

    def common(cid: str, name: str) -> dict[str, Any]:
        out: dict[str, Any] = {"@id": cid, "Name": name, "BallotTitle": _text(cs.name, language),
                               "ElectionDistrictId": district, "ExternalIdentifier": _external(cs.contest_id)}
        if row:
            out["TotalSubUnits"] = int(sheets.holding.get(cs.contest_id, 0))
            out["SubUnitsReported"] = int(row["stations_reporting"])
            # a blank ballot in a one-vote contest is one undervote; invalid ballots are not overvotes alone
            other_counts = [{"@type": T + "OtherCounts", "GpUnitId": district,
                             "Undervotes": int(row["blank"])}]
            if per_station:
                other_counts += [{"@type": T + "OtherCounts", "GpUnitId": object_id("station", s),
                                  "Undervotes": b} for s, b in sheets.blank_of.get(cs.contest_id, ())]
            out["OtherCounts"] = other_counts
        return out

    selections = []
    for order, cand in enumerate(cands, start=1):
        selections.append({
            "@id": object_id("sel", cand.contest_id, cand.candidate_id), "@type": T + "CandidateSelection",
            "CandidateIds": [object_id("cand", cand.contest_id, cand.candidate_id)], "SequenceOrder": order,
            "VoteCounts": votes.candidate(cs.contest_id, cand.candidate_id, district)})
    contest_id = object_id("contest", cs.contest_id)
    if cs.system != "list-pr":
        entry = {**common(contest_id, cs.name), "@type": T + "CandidateContest",
                 "ContestSelection": selections, "NumberElected": cs.seats, "VotesAllowed": 1,
                 "VoteVariation": variation.value}
        if other:
            entry["OtherVoteVariation"] = other
        if cs.runoff:
            entry["NumberRunoff"] = len(cs.runoff)
        return [entry]
    members: dict[str, list[str]] = defaultdict(list)
    for cand in cands:
        if cand.list_id:
            members[cand.list_id].append(cand.candidate_id)
    party_selections = []
    for order, lst in enumerate((x for x in data.lists if x.contest_id == cs.contest_id), start=1):
        vc = votes.list(cs.contest_id, lst.list_id, members.get(lst.list_id, ()), district)
        vc.append(_votes(district, cs.list_seats.get(lst.list_id, 0), CountItemType.SEATS))
        party_selections.append({"@id": object_id("psel", cs.contest_id, lst.list_id),
                                 "@type": T + "PartySelection",
                                 "PartyIds": [list_id[(cs.contest_id, lst.list_id)]],
                                 "SequenceOrder": order, "VoteCounts": vc})
    party_contest = {**common(contest_id, cs.name), "@type": T + "PartyContest",
                     "ContestSelection": party_selections, "VoteVariation": VoteVariation.PROPORTIONAL.value}
    personal = {**common(object_id("personal", cs.contest_id), f"{cs.name} (personal votes)"),
                "@type": T + "CandidateContest", "ContestSelection": selections, "NumberElected": cs.seats,
                "VotesAllowed": 1, "VoteVariation": VoteVariation.OTHER.value,
                "OtherVoteVariation": "open-list-personal-votes"}
    return [party_contest, personal]


class _Votes:
    """Each choice's votes: the whole contest's from the tabulation, each station's from the result rows."""

    def __init__(self, data: ElectionData, tabulation: Tabulation, per_station: bool):
        ch = tabulation.choices
        self.candidates = {(c, k): int(v) for c, k, v in zip(ch.column("contest_id").to_pylist(),
                                                             ch.column("candidate_id").to_pylist(),
                                                             ch.column("votes").to_pylist()) if k}
        ls = tabulation.lists
        self.lists = {(c, k): int(v) for c, k, v in zip(ls.column("contest_id").to_pylist(),
                                                        ls.column("list_id").to_pylist(),
                                                        ls.column("votes").to_pylist())}
        # (contest, candidate or "", list or "") -> [(station, votes)], stations in canonical order
        self.by_station: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
        if per_station:
            res = data.table("results")
            for s, c, k, lst, v in zip(*(res.column(n).to_pylist() for n in
                                         ("station_id", "contest_id", "candidate_id", "list_id", "votes"))):
                self.by_station[(c, k or "", "" if k else (lst or ""))].append((s, int(v or 0)))

    def candidate(self, contest: str, candidate: str, district: str) -> list[dict[str, Any]]:
        out = [_votes(district, self.candidates.get((contest, candidate), 0))]
        out += [_votes(object_id("station", s), v)
                for s, v in self.by_station.get((contest, candidate, ""), ())]
        return out

    def list(self, contest: str, lst: str, members: Iterable[str], district: str) -> list[dict[str, Any]]:
        """A list's votes: its list-only votes plus its candidates' personal votes (as tabulate counts)."""
        out = [_votes(district, self.lists.get((contest, lst), 0))]
        per: dict[str, int] = defaultdict(int)
        for key in [(contest, "", lst), *((contest, k, "") for k in members)]:
            for s, v in self.by_station.get(key, ()):
                per[s] += v
        out += [_votes(object_id("station", s), per[s]) for s in _sorted_ids(per)]
        return out


def reference_problems(report: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot check: every `@id` is an NCName and unique in the document, and every reference
    (a property the schema marks with `refTypes`) names an object of one of those types. Each problem names
    its JSON path."""
    definitions = schema.get("definitions", {})
    seen: dict[str, str] = {}  # @id -> @type
    problems: list[str] = []
    for path, obj in _objects(report, "$"):
        oid = obj.get("@id")
        if oid is None:
            continue
        if not isinstance(oid, str) or not _NCNAME.fullmatch(oid):
            problems.append(f"{path}.@id: {oid!r} is not an NCName (xsd:ID)")
        elif oid in seen:
            problems.append(f"{path}.@id: {oid!r} is used twice")
        else:
            seen[oid] = str(obj.get("@type", ""))
    for path, obj in _objects(report, "$"):
        props = definitions.get(str(obj.get("@type", "")), {}).get("properties", {})
        for name, spec in props.items():
            if name not in obj:
                continue
            kinds = spec.get("refTypes") or spec.get("items", {}).get("refTypes")
            if not kinds:
                continue
            values = obj[name] if isinstance(obj[name], list) else [obj[name]]
            for i, ref in enumerate(values):
                where = f"{path}.{name}" + (f"[{i}]" if isinstance(obj[name], list) else "")
                if ref not in seen:
                    problems.append(f"{where}: no object has @id {ref!r}")
                elif seen[ref] not in kinds:
                    problems.append(f"{where}: {ref!r} is a {seen[ref]}, expected one of {', '.join(kinds)}")
    return problems


_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9._\-]*")


def _objects(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, dict):
        yield path, value
        for k, v in value.items():
            yield from _objects(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _objects(v, f"{path}[{i}]")
