"""What changed between two snapshot versions: per station and choice, per sheet, per station, per choice in total.

Queried with DuckDB straight from the versions' Parquet files, so a diff of two national snapshots streams rather
than loading both into memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from .store import Store, VersionInfo


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    old: VersionInfo
    new: VersionInfo
    results: pa.Table  # station_id, contest_id, candidate_id, list_id, old_votes, new_votes, change
    sheets: pa.Table  # station_id, contest_id, column, old, new
    stations: pa.Table  # station_id, column, old, new
    totals: pa.Table  # contest_id, candidate_id, list_id, old_votes, new_votes, change

    @property
    def empty(self) -> bool:
        return not (self.results.num_rows or self.sheets.num_rows or self.stations.num_rows)


def _q(path: object) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def diff_versions(store: Store, old_ref: str, new_ref: str) -> SnapshotDiff:
    old, new = store.resolve(old_ref), store.resolve(new_ref)
    con = duckdb.connect()
    try:
        for side, v in (("a", old), ("b", new)):
            for t in ("results", "sheets", "stations"):
                con.execute(f"CREATE VIEW {side}_{t} AS SELECT * FROM read_parquet({_q(v.path / (t + '.parquet'))})")
        results = con.sql("""
            SELECT coalesce(a.station_id, b.station_id) AS station_id, coalesce(a.contest_id, b.contest_id) AS contest_id,
                   coalesce(a.candidate_id, b.candidate_id) AS candidate_id, coalesce(a.list_id, b.list_id) AS list_id,
                   a.votes AS old_votes, b.votes AS new_votes, coalesce(b.votes, 0) - coalesce(a.votes, 0) AS change
            FROM a_results a FULL OUTER JOIN b_results b
              ON a.station_id = b.station_id AND a.contest_id = b.contest_id
             AND a.candidate_id = b.candidate_id AND a.list_id = b.list_id
            WHERE a.votes IS DISTINCT FROM b.votes OR a.station_id IS NULL OR b.station_id IS NULL
            ORDER BY 1, 2, 3, 4""").to_arrow_table()
        totals = con.sql("""
            WITH ta AS (SELECT contest_id, candidate_id, list_id, sum(votes) AS v FROM a_results GROUP BY ALL),
                 tb AS (SELECT contest_id, candidate_id, list_id, sum(votes) AS v FROM b_results GROUP BY ALL)
            SELECT coalesce(ta.contest_id, tb.contest_id) AS contest_id,
                   coalesce(ta.candidate_id, tb.candidate_id) AS candidate_id,
                   coalesce(ta.list_id, tb.list_id) AS list_id,
                   ta.v::BIGINT AS old_votes, tb.v::BIGINT AS new_votes,
                   (coalesce(tb.v, 0) - coalesce(ta.v, 0))::BIGINT AS change
            FROM ta FULL OUTER JOIN tb USING (contest_id, candidate_id, list_id)
            WHERE ta.v IS DISTINCT FROM tb.v ORDER BY 1, 2, 3""").to_arrow_table()
        sheet_cols = ("ballots_cast", "invalid", "blank", "ballots_received", "ballots_unused", "ballots_spoiled")
        sheets = con.sql(" UNION ALL ".join(f"""
            SELECT coalesce(a.station_id, b.station_id) AS station_id, coalesce(a.contest_id, b.contest_id) AS contest_id,
                   '{c}' AS "column", a.{c} AS old, b.{c} AS new
            FROM a_sheets a FULL OUTER JOIN b_sheets b USING (station_id, contest_id)
            WHERE a.{c} IS DISTINCT FROM b.{c}""" for c in sheet_cols) + " ORDER BY 1, 2, 3").to_arrow_table()
        station_cols = ("centre_id", "area", "registered", "kind")
        stations = con.sql(" UNION ALL ".join(f"""
            SELECT coalesce(a.station_id, b.station_id) AS station_id, '{c}' AS "column",
                   a.{c}::VARCHAR AS old, b.{c}::VARCHAR AS new
            FROM a_stations a FULL OUTER JOIN b_stations b USING (station_id)
            WHERE a.{c} IS DISTINCT FROM b.{c} OR a.station_id IS NULL OR b.station_id IS NULL""" for c in station_cols)
                               + " ORDER BY 1, 2").to_arrow_table()
    finally:
        con.close()
    return SnapshotDiff(old, new, results, sheets, stations, totals)
