"""Adapter: the IEC's preliminary 2010 Wolesi Jirga results (Afghanistan) as an election package.

Writes the package of docs/format.md from the data described in docs/data-sources.md.

Source: the per-station files and keys of github.com/colincookman/afghanistan_election_results_2018,
folder `past_elections/wj_2010/` (GPL-3.0 data; the package written here is a derived work under the same
licence). The decisions that shape the numbers:

- `Candidate` in the station files is the **ballot position** within the constituency; it is mapped to the
  candidate key's `candidate_code` by (constituency, ballot position). The station files' own `CandidateID`
  cannot be used: it differs from the key for 17 general candidates (typing errors, and two Urozgan positions
  sharing one code), and in `kuchi.csv` it (with `VoterID`, `Gender`, `PoliticalPartyId`) was joined from the
  *province's general* ballot at the same position, not from the Kuchi ballot.
- `prelim_votes` of `ps_votes_invalidated_net_change_2010.csv` (PRELIMINARY rows) is the station's **valid
  votes**: it equals the sum of the station's candidate rows in every station that has a row, and equals that
  sum plus the invalid votes only where there are none; `pre_prelim_invalidated_votes` equals
  `Total_Invalid_Votes`. So `ballots_cast` = `prelim_votes` + `pre_prelim_invalidated_votes`, both as
  published; a published total that disagreed with the candidate rows would show as `sheet.arithmetic`.
- A station with no PRELIMINARY row there (98 stations nationally) has no published total: it gets no sheet
  rather than an invented one, so its results show as a `results.no-sheet` warning.
- Rows flagged `Invalidated` are part of the preliminary results (the preliminary totals include them): they
  are kept, and listed in the side file `invalidated.csv` (not a package table) for forensic work.
- `blank` is 0: the station files have no blank-ballot line. `registered` is empty: no per-station register
  was published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import duckdb
import pyarrow as pa

from ..package_folder import check_free, staged_folder, toml_string, write_id_csv, write_table_csv

SOURCE_REPOSITORY = "https://github.com/colincookman/afghanistan_election_results_2018"
SOURCE_COMMIT = "39bbb90620319c91c4105e57f7ae0f1db3a525c7"
SOURCE_FOLDER = "past_elections/wj_2010"
STATIONS_FOLDER = "stations_preliminary"
KUCHI_FILE = "kuchi"  # the nationwide Kuchi constituency's station file
KUCHI_CONTEST = "K-01"
KUCHI_GROUP = "Kuchi"
COUNTRY = "AF"
LAW = "afghanistan-wolesi-jirga"
ELECTION_DATE = "2010-09-18"
INDEPENDENT = "Independent"  # candidate_party_eng of a candidate without a party: written as no party
INVALIDATED_FILE = "invalidated.csv"

_STATION_COLUMNS = ("PC", "PS", "Type_Of_Station", "Candidate", "Vote", "Total_Invalid_Votes", "DistrictID",
                    "District_EnglishName", "Province_EnglishName", "ProvinceId", "Invalidated", "Gender",
                    "PoliticalPartyId", "VoterID", "CandidateID")


class StationKind(str, Enum):
    """`Type_Of_Station` of the station files, as the word written to stations.csv `kind`."""

    MEN = "men"  # M
    WOMEN = "women"  # F
    KUCHI = "kuchi"  # K: Kuchi (nomad) voters, for the nationwide Kuchi constituency


_KIND_CODES = {"M": StationKind.MEN, "F": StationKind.WOMEN, "K": StationKind.KUCHI}


class SourceDataError(ValueError):
    """The source files are not shaped as this adapter expects; the message names the cases."""


@dataclass(frozen=True, slots=True)
class PackageSummary:
    out: Path
    provinces: tuple[str, ...]  # station files converted (file stems, e.g. "badghis", "kuchi")
    areas: int
    contests: int
    candidates: int
    stations: int
    sheets: int
    results: int
    invalidated_rows: int  # rows flagged Invalidated, listed in invalidated.csv
    stations_without_total: tuple[str, ...]  # no published preliminary total: no sheet written


def available_provinces(source_dir: Path) -> tuple[str, ...]:
    """The station files of the source folder, by file stem (33: Kabul and Herat were never published)."""
    folder = Path(source_dir) / STATIONS_FOLDER
    return tuple(sorted(p.stem for p in folder.glob("*.csv")))


def write_package(source_dir: Path, out: Path, provinces: Sequence[str] | None = None) -> PackageSummary:
    """Write the election package for the given station files (None: all of them) into `out`.

    `out` must be missing or empty; the package is written into a sibling folder and renamed into place, so a
    failure leaves nothing behind. The output is deterministic: the same bytes on every run.
    """
    source_dir, out = Path(source_dir), Path(out)
    stems = _select(source_dir, provinces)
    check_free(out)  # before the work, not only after it
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        _load(con, source_dir, stems)
        tables = _tables(con)
        invalidated = _to_table(con.sql("SELECT station_id, candidate_id, votes FROM rows WHERE invalidated "
                                        "ORDER BY station_id, candidate_id").arrow())
        no_total = tuple(r[0] for r in con.sql(
            "SELECT station_id FROM station WHERE ballots_cast IS NULL ORDER BY station_id").fetchall())
    finally:
        con.close()
    with staged_folder(out) as stage:
        _write_election_toml(stage / "election.toml", stems)
        write_table_csv(stage / "areas.csv", tables["areas"])
        write_table_csv(stage / "contests.csv", tables["contests"])
        write_table_csv(stage / "candidates.csv", tables["candidates"])
        for name in ("stations", "sheets", "results"):
            write_id_csv(stage / f"{name}.csv", tables[name])
        write_id_csv(stage / INVALIDATED_FILE, invalidated)
    return PackageSummary(out, stems, *(tables[n].num_rows for n in
                                        ("areas", "contests", "candidates", "stations", "sheets", "results")),
                          invalidated.num_rows, no_total)


def _select(source_dir: Path, provinces: Sequence[str] | None) -> tuple[str, ...]:
    available = available_provinces(source_dir)
    if not available:
        raise FileNotFoundError(f"No station files in {source_dir / STATIONS_FOLDER}; expected the folder "
                                f"{SOURCE_FOLDER} of {SOURCE_REPOSITORY}.")
    if provinces is None:
        return available
    if isinstance(provinces, str):
        provinces = [provinces]
    wanted = sorted({p.strip().lower().removesuffix(".csv") for p in provinces})
    unknown = [p for p in wanted if p not in available]
    if unknown:
        raise ValueError(f"No station file for {', '.join(unknown)}; the files are: {', '.join(available)}.")
    if not wanted:
        raise ValueError("Name at least one province (or None for all of them).")
    return tuple(wanted)


def _csv(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} is missing from {path.parent}.")
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
                [str(path)])


def _require_none(con: duckdb.DuckDBPyConnection, query: str, what: str) -> None:
    """Raise when the query returns rows: the source is not as documented (the first rows name the cases)."""
    rows = con.sql(query).limit(5).fetchall()
    if rows:
        raise SourceDataError(f"{what}: {rows}")


def _load(con: duckdb.DuckDBPyConnection, source_dir: Path, stems: tuple[str, ...]) -> None:
    files = [source_dir / STATIONS_FOLDER / f"{s}.csv" for s in stems]
    for path in files:  # the reader is given the columns (no sniffing: 3x faster), so check each header
        with path.open("rb") as f:
            header = f.readline().decode("utf-8-sig").strip().split(",")
        if tuple(h.strip().strip('"') for h in header) != _STATION_COLUMNS:
            raise SourceDataError(f"{path.name} has the header {header}; expected {list(_STATION_COLUMNS)}.")
    _csv(con, "candidate_key", source_dir / "candidate_key_2010.csv")
    _csv(con, "constituency_key", source_dir / "province_constituency_key_2010.csv")
    _csv(con, "totals", source_dir / "ps_votes_invalidated_net_change_2010.csv")
    _require_none(con, "SELECT candidate_code FROM candidate_key GROUP BY 1 HAVING count(*) > 1",
                  "Candidate codes given twice in candidate_key_2010.csv")
    con.execute("""
        CREATE TABLE ballot AS
        SELECT constituency_code AS contest_id, TRY_CAST(ballot_position AS INTEGER) AS ballot_position,
               candidate_code AS candidate_id, trim(candidate_name_eng) AS name,
               CASE WHEN trim(candidate_party_eng) IN (?, 'NA') THEN ''
                    ELSE trim(candidate_party_eng) END AS party,
               CASE candidate_gender WHEN 'Female' THEN 'F' WHEN 'Male' THEN 'M' ELSE '' END AS gender,
               CASE WHEN constituency_code = ? THEN ? ELSE '' END AS "group"
        FROM candidate_key""", [INDEPENDENT, KUCHI_CONTEST, KUCHI_GROUP])

    # One pass over the station files. PC is the centre code with its leading zero lost (provinces 01-09), PS
    # the station number in the centre; `Candidate` is the ballot position in the constituency.
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in _STATION_COLUMNS) + "}"
    con.execute(f"""
        CREATE TABLE rows AS
        WITH raw AS (
            SELECT *, parse_filename(filename, true) AS file, lpad(PC, 7, '0') AS pc7,
                   lpad(ProvinceId, 2, '0') AS province_id, TRY_CAST(Candidate AS INTEGER) AS position,
                   regexp_full_match(PC, '[0-9]{{6,7}}') AND regexp_full_match(PS, '[0-9]{{1,2}}')
                   AND regexp_full_match(Candidate, '[0-9]+') AND regexp_full_match(Vote, '[0-9]+')
                   AND regexp_full_match(Total_Invalid_Votes, '[0-9]+')
                   AND regexp_full_match(ProvinceId, '[0-9]{{1,2}}')
                   AND Type_Of_Station IN ('M', 'F', 'K') AND Invalidated IN ('TRUE', 'FALSE')
                   AS well_formed
            FROM read_csv(?, columns = {columns}, header = true, auto_detect = false, delim = ',',
                          quote = '"', filename = true))
        SELECT r.file, r.well_formed,
               r.pc7 || '-' || lpad(r.PS, 2, '0') AS station_id,
               r.pc7 AS centre_id,
               substr(r.pc7, 1, 4) AS district_id,
               trim(r.District_EnglishName) AS district_name,
               r.province_id,
               r.Type_Of_Station AS station_type,
               r.position AS ballot_position,
               TRY_CAST(r.Vote AS BIGINT) AS votes,
               TRY_CAST(r.Total_Invalid_Votes AS BIGINT) AS invalid,
               r.Invalidated = 'TRUE' AS invalidated,
               c.contest_id,
               b.candidate_id
        FROM raw r
        CROSS JOIN LATERAL (SELECT CASE WHEN r.file = ? THEN ?
                                   ELSE (SELECT constituency_code FROM constituency_key k
                                         WHERE k.province_code = r.province_id) END AS contest_id) c
        LEFT JOIN ballot b ON b.contest_id = c.contest_id AND b.ballot_position = r.position""",
                [[str(p) for p in files], KUCHI_FILE, KUCHI_CONTEST])
    _require_none(con, "SELECT file, station_id, ballot_position FROM rows WHERE NOT well_formed",
                  "Station rows with a malformed code, count, station type or Invalidated flag")
    _require_none(con, "SELECT DISTINCT file, province_id FROM rows WHERE contest_id IS NULL",
                  "Provinces without a constituency in province_constituency_key_2010.csv")
    _require_none(con, "SELECT contest_id, ballot_position, list(candidate_id) FROM ballot "
                       "WHERE contest_id IN (SELECT DISTINCT contest_id FROM rows) "
                       "GROUP BY ALL HAVING count(*) > 1", "Ballot positions held by two candidates")
    _require_none(con, "SELECT DISTINCT file, contest_id, ballot_position FROM rows "
                       "WHERE candidate_id IS NULL",
                  "Ballot positions of the station files missing from candidate_key_2010.csv")
    _require_none(con, "SELECT station_id, candidate_id FROM rows GROUP BY ALL HAVING count(*) > 1",
                  "A candidate given twice for one station")
    _require_none(con, "SELECT DISTINCT file, station_id, province_id FROM rows "
                       "WHERE substr(centre_id, 1, 2) <> province_id",
                  "Stations whose centre code lies outside their ProvinceId")
    _require_none(con, """
        SELECT station_id, list(DISTINCT file), list(DISTINCT invalid), list(DISTINCT station_type),
               list(DISTINCT district_name)
        FROM rows GROUP BY station_id
        HAVING count(DISTINCT file) > 1 OR count(DISTINCT invalid) > 1 OR count(DISTINCT station_type) > 1
            OR count(DISTINCT district_name) > 1""",
                  "Stations whose station-level columns differ between rows (or that are in two files)")
    _require_none(con, "SELECT district_id, list(DISTINCT district_name) FROM rows GROUP BY district_id "
                       "HAVING count(DISTINCT district_name) > 1", "Districts with two names")
    _require_none(con, "SELECT ps_code FROM totals WHERE results_status = 'PRELIMINARY' GROUP BY 1 "
                       "HAVING count(*) > 1", "Stations with two PRELIMINARY rows in the totals file")

    # The published preliminary station totals: prelim_votes are valid votes (see the module docstring)
    con.execute("""
        CREATE TABLE station AS
        SELECT s.*, t.prelim_votes + t.prelim_invalid AS ballots_cast
        FROM (SELECT station_id, any_value(contest_id) AS contest_id, any_value(centre_id) AS centre_id,
                     any_value(district_id) AS district_id, any_value(station_type) AS station_type,
                     any_value(invalid) AS invalid
              FROM rows GROUP BY station_id) s
        LEFT JOIN (SELECT ps_code, TRY_CAST(prelim_votes AS BIGINT) AS prelim_votes,
                          TRY_CAST(pre_prelim_invalidated_votes AS BIGINT) AS prelim_invalid
                   FROM totals WHERE results_status = 'PRELIMINARY') t ON t.ps_code = s.station_id""")


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    """Every package table, sorted by its key (byte-wise), as Arrow tables of the format's columns."""
    kinds = " ".join(f"WHEN '{code}' THEN '{kind.value}'" for code, kind in _KIND_CODES.items())
    q = {
        "areas": f"""
            SELECT '{COUNTRY}' AS area_id, 'Afghanistan' AS name, '' AS parent, 'country' AS level
            UNION ALL
            SELECT DISTINCT r.province_id, trim(k.province_name_eng), '{COUNTRY}', 'province'
            FROM rows r JOIN constituency_key k ON k.province_code = r.province_id
            UNION ALL
            SELECT DISTINCT district_id, district_name, province_id, 'district' FROM rows
            ORDER BY area_id""",
        "contests": f"""
            SELECT constituency_code AS contest_id,
                   CASE WHEN constituency_code = '{KUCHI_CONTEST}' THEN 'Wolesi Jirga, Kuchi (nationwide)'
                        ELSE 'Wolesi Jirga, ' || trim(province_name_eng) END AS name,
                   CAST(general_seats AS INTEGER) + CAST(female_seats AS INTEGER) AS seats,
                   CASE WHEN constituency_code = '{KUCHI_CONTEST}' THEN '{COUNTRY}'
                        ELSE province_code END AS area,
                   CAST(female_seats AS INTEGER) AS women_seats,
                   CASE WHEN constituency_code = '{KUCHI_CONTEST}' THEN '{KUCHI_GROUP}'
                        ELSE '' END AS "group"
            FROM constituency_key WHERE constituency_code IN (SELECT DISTINCT contest_id FROM rows)
            ORDER BY contest_id""",
        "candidates": """
            SELECT candidate_id, contest_id, name, party, gender, "group" FROM ballot
            WHERE contest_id IN (SELECT DISTINCT contest_id FROM rows) ORDER BY candidate_id""",
        "stations": f"""
            SELECT station_id, centre_id, district_id AS area, CAST(NULL AS BIGINT) AS registered,
                   CASE station_type {kinds} END AS kind
            FROM station ORDER BY station_id""",
        "sheets": """SELECT station_id, contest_id, ballots_cast, invalid, 0 AS blank FROM station
                     WHERE ballots_cast IS NOT NULL ORDER BY station_id, contest_id""",
        "results": """SELECT station_id, contest_id, candidate_id, votes FROM rows
                      ORDER BY station_id, contest_id, candidate_id""",
    }
    return {name: _to_table(con.sql(query).arrow()) for name, query in q.items()}


def _to_table(result: pa.Table | pa.RecordBatchReader) -> pa.Table:
    return result.read_all() if isinstance(result, pa.RecordBatchReader) else result


# -- writing ---------------------------------------------------------------------------------------------

def _write_election_toml(path: Path, stems: tuple[str, ...]) -> None:
    files = ", ".join(f"{s}.csv" for s in stems)
    note = ("Preliminary results per polling station and candidate (stations_preliminary/: " + files
            + "), converted by tallycheck.ingest.afghanistan_2010. Candidates and seats from "
            "candidate_key_2010.csv and province_constituency_key_2010.csv (candidates mapped by ballot "
            "position); station codes are PC (zero-padded to 7 digits) and "
            "PS (2 digits), as ps_code in the key files. ballots_cast = prelim_votes + "
            "pre_prelim_invalidated_votes of ps_votes_invalidated_net_change_2010.csv (PRELIMINARY rows; "
            "prelim_votes are valid votes); stations without such a row have no sheet. Rows flagged "
            "Invalidated are kept and listed in invalidated.csv. Kabul's and Herat's general constituencies "
            "(G-01, G-24) are absent: their station files were never published.")
    lines = [
        "# Derived from GPL-3.0 data: this package is distributed under the GPL-3.0 as well.",
        f"name = {toml_string('Afghanistan Wolesi Jirga 2010 (preliminary results)')}",
        f"date = {ELECTION_DATE}",
        f"country = {toml_string(COUNTRY)}",
        "",
        "[law]",
        f"name = {toml_string(LAW)}",
        "",
        "[source]",
        f"publisher = {toml_string('Independent Election Commission of Afghanistan (IEC)')}",
        f"url = {toml_string(f'{SOURCE_REPOSITORY}/tree/{SOURCE_COMMIT}/{SOURCE_FOLDER}')}",
        f"repository = {toml_string(SOURCE_REPOSITORY)}",
        f"commit = {toml_string(SOURCE_COMMIT)}",
        f"path = {toml_string(SOURCE_FOLDER)}",
        f"licence = {toml_string('GPL-3.0')}",
        f"results_status = {toml_string('PRELIMINARY')}",
        f"note = {toml_string(note)}",
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
