"""The report's own sections: header and evidence, national summary, data quality, areas, parties, turnout.

Each builder takes plain values (the election, its tabulation, station statistics, the area tree) and returns
escaped markup; none of them reads files or the store.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import __version__
from ..areas import AreaTree
from ..arrays import int_counts as _ints
from ..evidence.store import VersionInfo
from ..model import ElectionData
from ..problems import RULES, Problem
from ..tabulate import Tabulation
from .charts import MAX_PANELS, leading_share_histogram, turnout_histogram, turnout_small_multiples
from .html_page import ReportSection
from .markup import CellKind, Column, code, count, definition_list, esc, name, percent, plural, ratio, table
from .station_stats import StationStats

EXAMPLES_PER_RULE = 5
PARTIES_SHOWN = 25


def header(data: ElectionData, version: VersionInfo | None, generated_at: dt.datetime) -> str:
    e = data.election
    params = ", ".join(f"{k} = {v}" for k, v in e.law.params.items())
    law = code(e.law.name) + (f" ({esc(params)})" if params else "") if e.law.name else esc(params or "not named")
    facts = [("Date", esc(e.date.isoformat())), ("Law", law)]
    if e.country:
        facts.append(("Country", esc(e.country)))
    source = _source_line(e.source)
    if source:
        facts.append(("Source", source))
    # tallycheck.synth marks its packages; a reader must never take them for real results
    synthetic = ('<p class="synthetic">Synthetic data: these are not the results of a real election.</p>'
                 if e.source.get("synthetic") is True else "")
    return f"""<header class="report">
{synthetic}<h1 dir="auto">{esc(e.name)}</h1>
<p class="muted">Election results report</p>
{definition_list(facts)}
{_evidence(version, generated_at)}
</header>"""


_SOURCE_FIRST = ("publisher", "url", "retrieved")  # the keys docs/format.md names, then any others


def _source_line(source: Mapping[str, Any]) -> str:
    # the URL is shown as text, never as a link: it comes from the package and the page stays offline
    keys = [k for k in _SOURCE_FIRST if k in source] + [k for k in source if k not in _SOURCE_FIRST]
    parts = [f"{esc(k)}: {name(source[k]) if k == 'publisher' else esc(source[k])}"
             for k in keys if source[k] not in (None, "")]
    return "; ".join(parts)


def _evidence(version: VersionInfo | None, generated_at: dt.datetime) -> str:
    built = [("tallycheck", esc(__version__)),
             ("Generated", esc(generated_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")))]
    if version is None:
        return ('<div class="evidence"><p class="warning">Not built from a stored snapshot: this report has no '
                "evidence hash. Import the package (<code>tallycheck import PACKAGE</code>) and build the report "
                f"from the snapshot.</p>{definition_list(built)}</div>")
    facts = [("Snapshot", f"{esc(version.name)}, created {esc(version.created)}"),
             ("Snapshot SHA-256", f'<code class="hash">{esc(version.snapshot_sha256)}</code>'), *built]
    inputs = version.manifest.get("inputs") or []
    files = ""
    if inputs:
        files = ("<details><summary>Files the snapshot was imported from</summary>"
                 + table([Column("File", CellKind.NAME), Column("Bytes", CellKind.COUNT),
                          Column("SHA-256", CellKind.CODE)],
                         [(i.get("file"), i.get("bytes"), i.get("sha256")) for i in inputs])
                 + "</details>")
    return f"""<div class="evidence">
<p><strong>Evidence.</strong> Every number below comes from this snapshot of the election package.</p>
{definition_list(facts)}
<p>To check that the snapshot still holds what this report was built from, run
<code>tallycheck verify PACKAGE</code> on the election package: it recomputes every hash from the stored rows, and
the snapshot SHA-256 above must be listed as ok.</p>
{files}
</div>"""



def summary_section(data: ElectionData, tab: Tabulation, stats: StationStats) -> ReportSection:
    c = tab.contests
    sheets_cast = int(_ints(c.column("ballots_cast")).sum())
    invalid, blank = int(_ints(c.column("invalid")).sum()), int(_ints(c.column("blank")).sum())
    valid = int(_ints(c.column("valid_votes")).sum())
    with_turnout = stats.in_turnout
    reg_turnout = int(stats.registered[with_turnout].sum())
    cast_turnout = int(stats.ballots_cast[with_turnout].sum())
    cast = int(stats.ballots_cast.sum())
    cands = data.table("candidates")
    women = int(pc.sum(pc.equal(cands.column("gender"), "F")).as_py() or 0)
    unknown_gender = int(pc.sum(pc.equal(cands.column("gender"), "")).as_py() or 0)
    contests = data.table("contests")
    seats = int(_ints(contests.column("seats")).sum())
    women_seats = int(_ints(contests.column("women_seats")).sum())
    n_reg = int(stats.has_register.sum())
    rows: list[tuple[str, str]] = [
        ("Polling stations", f"{count(stats.stations)} ({count(n_reg)} with a register, "
                             f"{count(stats.stations - n_reg)} without; {count(int(stats.has_sheet.sum()))} with a "
                             "result sheet)"),
        ("Registered voters", f"{count(int(stats.registered.sum()))} on the stations' registers"),
        ("Ballots cast", count(cast) + (f" (per station: {stats.rule}); {count(sheets_cast)} on all sheets"
                                        if stats.multi_sheet_stations else "")),
        ("Turnout", f"{percent(ratio(cast_turnout, reg_turnout))} — ballots cast at the "
                    f"{count(int(with_turnout.sum()))} stations with a register and a sheet, over their "
                    f"{count(reg_turnout)} registered voters"),
        ("Valid votes", f"{count(valid)} ({percent(ratio(valid, sheets_cast))} of ballots cast on all sheets)"),
        ("Invalid ballots", f"{count(invalid)} ({percent(ratio(invalid, sheets_cast))})"),
        ("Blank ballots", f"{count(blank)} ({percent(ratio(blank, sheets_cast))})"),
        ("Result sheets", count(data.table("sheets").num_rows)),
        ("Contests", count(contests.num_rows)),
        ("Seats", count(seats) + (f" (at least {count(women_seats)} for women)" if women_seats else "")),
        ("Candidates", f"{count(cands.num_rows)}, of whom {count(women)} women "
                       f"({percent(ratio(women, cands.num_rows))})"
                       + (f"; gender not published for {count(unknown_gender)}" if unknown_gender else "")),
    ]
    if data.table("lists").num_rows:
        rows.append(("Lists", count(data.table("lists").num_rows)))
    notes = []
    if stats.multi_sheet_stations:
        m = stats.multi_sheet_stations
        notes.append(f"{plural(m, 'station')} {'serves' if m == 1 else 'serve'} more than one contest. Ballots "
                     f"cast and turnout count each voter once, as the area totals do: per station, {stats.rule} "
                     "(the law's one_ballot_per_voter setting); valid, invalid and blank ballots are summed over "
                     f"all sheets ({count(sheets_cast)} ballots cast).")
    return ReportSection("summary", "National summary",
                         definition_list(rows) + "".join(f'<p class="muted">{n}</p>' for n in notes))


def quality_section(problems: Sequence[Problem], version: VersionInfo | None) -> ReportSection:
    if not problems:
        recorded = version.warnings if version is not None else 0
        if recorded:
            text = (f'<p class="flag">The snapshot records {count(recorded)} warnings, but none were passed to the '
                    "report.</p>")
        else:
            text = ('<p class="none">No warnings were recorded with this snapshot: every sheet adds up and every '
                    "rule of docs/format.md holds.</p>" if version is not None
                    else '<p class="none">No warnings were given to the report.</p>')
        return ReportSection("data-quality", "Data quality", text)
    by_rule: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        by_rule[p.rule].append(p)
    order = sorted(by_rule, key=lambda r: (-len(by_rule[r]), r))
    overview = table([Column("Rule", CellKind.CODE), Column("Severity"), Column("What it means"),
                      Column("Count", CellKind.COUNT)],
                     [(r, by_rule[r][0].severity.value, RULES[r].summary if r in RULES else "", len(by_rule[r]))
                      for r in order], foot=("", "", "all rules", len(problems)))
    parts = [f"<p>{plural(len(problems), 'problem')} {'was' if len(problems) == 1 else 'were'} recorded with the "
             f"snapshot under {plural(len(order), 'rule')}. "
             "Warnings do not stop an import: real commissions publish such sheets, and they are analysed as "
             f"published. The first {EXAMPLES_PER_RULE} of each rule are listed.</p>", overview]
    for r in order:
        items = by_rule[r]
        parts.append(f"<details><summary><code>{esc(r)}</code> — {count(len(items))}</summary>")
        parts.append(table([Column("File", CellKind.NAME), Column("Row", CellKind.COUNT),
                            Column("Column", CellKind.NAME), Column("Message", CellKind.NAME)],
                           [(p.file, p.row, p.column or "", p.message) for p in items[:EXAMPLES_PER_RULE]]))
        parts.append("</details>")
    return ReportSection("data-quality", "Data quality", "\n".join(parts))


def areas_section(tab: Tabulation, tree: AreaTree, stats: StationStats) -> ReportSection:
    word = tree.level_word
    areas = tab.areas.filter(pc.is_in(tab.areas.column("area_id"), value_set=_string_array(tree.breakdown)))
    by_id = {r["area_id"]: r for r in areas.to_pylist()}
    pa_rows = tab.party_areas.filter(pc.is_in(tab.party_areas.column("area_id"),
                                              value_set=_string_array(tree.breakdown))).to_pylist()
    leader: dict[str, tuple[str, int]] = {}
    party_total: dict[str, int] = defaultdict(int)
    for r in pa_rows:  # sorted by area, then votes descending
        leader.setdefault(r["area_id"], (r["party"], r["votes"]))
        party_total[r["area_id"]] += r["votes"]
    rows = []
    for a in tree.breakdown:
        r = by_id.get(a, {})
        lead_party, lead_votes = leader.get(a, ("", None))
        rows.append((tree.name(a), r.get("stations", 0), r.get("registered", 0), r.get("ballots_cast", 0),
                     r.get("turnout"), lead_party, lead_votes, ratio(lead_votes or 0, party_total.get(a, 0))))
    with_turnout = stats.in_turnout
    national_leader = tab.parties.slice(0, 1).to_pylist()
    nat_party, nat_votes = (national_leader[0]["party"], national_leader[0]["votes"]) if national_leader else ("", None)
    all_party_votes = int(_ints(tab.parties.column("votes")).sum())
    foot = ("All", stats.stations, int(stats.registered[stats.has_sheet].sum()), int(stats.ballots_cast.sum()),
            ratio(int(stats.ballots_cast[with_turnout].sum()), int(stats.registered[with_turnout].sum())),
            nat_party, nat_votes, ratio(nat_votes or 0, all_party_votes))
    body = table([Column(word.capitalize(), CellKind.NAME), Column("Stations", CellKind.COUNT),
                  Column("Registered", CellKind.COUNT), Column("Ballots cast", CellKind.COUNT),
                  Column("Turnout", CellKind.PERCENT), Column("Leading party", CellKind.NAME),
                  Column("Its votes", CellKind.COUNT), Column("Its share", CellKind.PERCENT)], rows, foot=foot)
    note = ("<p class=\"muted\">Registered voters at stations with a result sheet; ballots cast per station: "
            f"{esc(stats.rule)}; turnout over stations with a register. The leading party's share is of the candidate "
            f"votes cast in the {esc(word)}.</p>")
    return ReportSection("areas", f"By {word}", note + body)


def _string_array(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), pa.string())


def parties_section(tab: Tabulation) -> ReportSection:
    rows = [(i + 1, r["party"], r["votes"], r["share"], r["candidates"], r["women_candidates"],
             ratio(r["women_candidates"], r["candidates"])) for i, r in enumerate(tab.parties.to_pylist())]
    cols = [Column("#", CellKind.COUNT), Column("Party", CellKind.NAME), Column("Votes", CellKind.COUNT),
            Column("Share", CellKind.PERCENT), Column("Candidates", CellKind.COUNT),
            Column("Women candidates", CellKind.COUNT), Column("Women %", CellKind.PERCENT)]
    if not rows:
        return ReportSection("parties", "Parties", "<p>No candidate votes: there is nothing to total by party.</p>")
    text = ("<p>Votes of each party's candidates nationally; share of all valid votes. Candidates without a party "
            "are totalled as (independent).</p>")
    body = table(cols, rows[:PARTIES_SHOWN])
    if len(rows) > PARTIES_SHOWN:
        body += (f"<details><summary>{count(len(rows) - PARTIES_SHOWN)} more parties</summary>"
                 + table(cols, rows[PARTIES_SHOWN:]) + "</details>")
    return ReportSection("parties", "Parties", text + body)


def turnout_section(stats: StationStats, tree: AreaTree) -> ReportSection:
    t = stats.turnout
    plotted = int(np.sum(~np.isnan(t)))
    if plotted == 0:
        return ReportSection("turnout", "Turnout per station",
                             "<p>No station has both a register and a result sheet: there is no turnout to draw.</p>")
    no_register = int(np.sum(~stats.has_register))
    over = stats.over_registered
    parts = [f"<p>Turnout of the {count(plotted)} stations with a register and a result sheet (one value per "
             f"station: {esc(stats.rule)}); median {percent(float(np.nanmedian(t)))}. "
             f"{plural(no_register, 'station')} without a register (special voting) "
             f"{'is' if no_register == 1 else 'are'} not drawn."
             + (f' <span class="flag">{plural(over, "station")} {"reports" if over == 1 else "report"} more '
                "ballots cast than registered voters (red bar).</span>" if over else "") + "</p>",
             f'<div class="chart">{turnout_histogram(t)}</div>']
    codes = tree.breakdown_codes(stats.area)
    if len(tree.breakdown) > 1:
        panels, left_out = turnout_small_multiples(t, codes, [tree.name(a) for a in tree.breakdown])
        if panels:
            parts.append(f"<h3>Turnout per station, by {esc(tree.level_word)}</h3>")
            parts.append("<p class=\"muted\">2-point bins; each panel has its own vertical scale; the number in "
                         "brackets is the stations drawn.</p>")
            if left_out:
                parts.append(f"<p class=\"muted\">{count(left_out)} smaller areas are left out: at most "
                             f"{MAX_PANELS} panels are drawn.</p>")
            parts.append(f'<div class="chart">{panels}</div>')
    share = stats.leading_share
    with_votes = int(np.sum(~np.isnan(share)))
    if with_votes:
        parts.append("<h3>Leading candidate's share per station</h3>")
        parts.append(f"<p>For each of the {count(with_votes)} stations with votes: the votes of the choice that "
                     "leads the station's largest sheet, over all votes on that sheet. A spike near 100% means "
                     "stations where one candidate took (nearly) every vote.</p>")
        parts.append(f'<div class="chart">{leading_share_histogram(share)}</div>')
    return ReportSection("turnout", "Turnout per station", "\n".join(parts))
