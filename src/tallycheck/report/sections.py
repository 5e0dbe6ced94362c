"""The report's own sections: header and evidence, national summary, data quality, areas, parties, turnout.

Each builder takes plain values (the election, its tabulation, station statistics, the area tree) and returns
escaped markup; none of them reads files or the store. Their words come from `messages` (English by default).
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
from .markup import (CellKind, Column, code, count, definition_list, esc, level_word, ltr, name, party_name, percent,
                     ratio, table)
from .messages import ENGLISH, Messages
from .station_stats import StationStats, rule_words

EXAMPLES_PER_RULE = 5
PARTIES_SHOWN = 25


def header(data: ElectionData, version: VersionInfo | None, generated_at: dt.datetime, *,
           messages: Messages = ENGLISH) -> str:
    m = messages
    e = data.election
    params = ", ".join(f"{k} = {v}" for k, v in e.law.params.items())
    law = (code(e.law.name) + (f" ({esc(params)})" if params else "") if e.law.name
           else esc(params or m.gettext("not named")))
    facts = [(m.gettext("Date"), ltr(e.date.isoformat())), (m.gettext("Law"), law)]
    if e.country:
        facts.append((m.gettext("Country"), name(e.country)))
    source = _source_line(e.source, m)
    if source:
        facts.append((m.gettext("Source"), source))
    # tallycheck.synth marks its packages; a reader must never take them for real results
    synthetic = ('<p class="synthetic">' + m.gettext("Synthetic data: these are not the results of a real election.")
                 + "</p>" if e.source.get("synthetic") is True else "")
    kind = m.gettext("Election results report")
    return f"""<header class="report">
{synthetic}<h1><bdi>{esc(e.name)}</bdi></h1>
<p class="muted">{kind}</p>
{definition_list(facts)}
{_evidence(version, generated_at, m)}
</header>"""


_SOURCE_FIRST = ("publisher", "url", "retrieved")  # the keys docs/format.md names, then any others


def _source_line(source: Mapping[str, Any], m: Messages) -> str:
    # the URL is shown as text, never as a link: it comes from the package and the page stays offline
    known = {"publisher": m.gettext("publisher"), "url": m.gettext("url"), "retrieved": m.gettext("retrieved")}
    keys = [k for k in _SOURCE_FIRST if k in source] + [k for k in source if k not in _SOURCE_FIRST]
    parts = [f"{esc(known.get(k, k))}: {name(source[k]) if k == 'publisher' else esc(source[k])}"
             for k in keys if source[k] not in (None, "")]
    return "; ".join(parts)


def _evidence(version: VersionInfo | None, generated_at: dt.datetime, m: Messages) -> str:
    built = [("tallycheck", esc(__version__)),
             (m.gettext("Generated"), ltr(generated_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")))]
    if version is None:
        return ('<div class="evidence"><p class="warning">'
                + m.gettext("Not built from a stored snapshot: this report has no evidence hash. Import the package "
                            "(<code>tallycheck import PACKAGE</code>) and build the report from the snapshot.")
                + f"</p>{definition_list(built)}</div>")
    facts = [(m.gettext("Snapshot"), m.gettext("{name}, created {created}", name=name(version.name),
                                               created=ltr(version.created))),
             (m.gettext("Snapshot SHA-256"), f'<code class="hash">{esc(version.snapshot_sha256)}</code>'), *built]
    inputs = version.manifest.get("inputs") or []
    files = ""
    if inputs:
        files = ("<details><summary>" + m.gettext("Files the snapshot was imported from") + "</summary>"
                 + table([Column(m.gettext("File"), CellKind.NAME), Column(m.gettext("Bytes"), CellKind.COUNT),
                          Column("SHA-256", CellKind.CODE)],
                         [(i.get("file"), i.get("bytes"), i.get("sha256")) for i in inputs])
                 + "</details>")
    evidence = m.gettext("<strong>Evidence.</strong> Every number below comes from this snapshot of the election "
                         "package.")
    check = m.gettext("To check that the snapshot still holds what this report was built from, run "
                      "<code>tallycheck verify PACKAGE</code> on the election package: it recomputes every hash from "
                      "the stored rows, and the snapshot SHA-256 above must be listed as ok.")
    return f"""<div class="evidence">
<p>{evidence}</p>
{definition_list(facts)}
<p>{check}</p>
{files}
</div>"""


def summary_section(data: ElectionData, tab: Tabulation, stats: StationStats, *,
                    messages: Messages = ENGLISH) -> ReportSection:
    m = messages
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
        (m.gettext("Polling stations"),
         m.gettext("{stations} ({registered} with a register, {unregistered} without; {sheets} with a result "
                   "sheet)", stations=count(stats.stations), registered=count(n_reg),
                   unregistered=count(stats.stations - n_reg), sheets=count(int(stats.has_sheet.sum())))),
        (m.gettext("Registered voters"),
         m.gettext("{n} on the stations' registers", n=count(int(stats.registered.sum())))),
        (m.gettext("Ballots cast"),
         count(cast) + (m.gettext(" (per station: {rule}); {n} on all sheets", rule=esc(rule_words(stats.rule, m)),
                                  n=count(sheets_cast)) if stats.multi_sheet_stations else "")),
        (m.gettext("Turnout"),
         m.gettext("{turnout} — ballots cast at the {stations} stations with a register and a sheet, over their "
                   "{registered} registered voters", turnout=percent(ratio(cast_turnout, reg_turnout)),
                   stations=count(int(with_turnout.sum())), registered=count(reg_turnout))),
        (m.gettext("Valid votes"),
         m.gettext("{n} ({share} of ballots cast on all sheets)", n=count(valid),
                   share=percent(ratio(valid, sheets_cast)))),
        (m.gettext("Invalid ballots"), f"{count(invalid)} ({percent(ratio(invalid, sheets_cast))})"),
        (m.gettext("Blank ballots"), f"{count(blank)} ({percent(ratio(blank, sheets_cast))})"),
        (m.gettext("Result sheets"), count(data.table("sheets").num_rows)),
        (m.gettext("Contests"), count(contests.num_rows)),
        (m.gettext("Seats"), count(seats) + (m.gettext(" (at least {n} for women)", n=count(women_seats))
                                             if women_seats else "")),
        (m.gettext("Candidates"),
         m.gettext("{n}, of whom {women} women ({share})", n=count(cands.num_rows), women=count(women),
                   share=percent(ratio(women, cands.num_rows)))
         + (m.gettext("; gender not published for {n}", n=count(unknown_gender)) if unknown_gender else "")),
    ]
    if data.table("lists").num_rows:
        rows.append((m.gettext("Lists"), count(data.table("lists").num_rows)))
    notes = []
    if stats.multi_sheet_stations:
        notes.append(m.ngettext(
            "{n} station serves more than one contest. Ballots cast and turnout count each voter once, as the area "
            "totals do: per station, {rule} (the law's one_ballot_per_voter setting); valid, invalid and blank "
            "ballots are summed over all sheets ({cast} ballots cast).",
            "{n} stations serve more than one contest. Ballots cast and turnout count each voter once, as the area "
            "totals do: per station, {rule} (the law's one_ballot_per_voter setting); valid, invalid and blank "
            "ballots are summed over all sheets ({cast} ballots cast).",
            stats.multi_sheet_stations, rule=esc(rule_words(stats.rule, m)), cast=count(sheets_cast)))
    return ReportSection("summary", m.gettext("National summary"),
                         definition_list(rows) + "".join(f'<p class="muted">{n}</p>' for n in notes))


def quality_section(problems: Sequence[Problem], version: VersionInfo | None, *,
                    messages: Messages = ENGLISH) -> ReportSection:
    m = messages
    title = m.gettext("Data quality")
    if not problems:
        recorded = version.warnings if version is not None else 0
        if recorded:
            text = ('<p class="flag">' + m.ngettext("The snapshot records {n} warning, but none were passed to the "
                                                    "report.",
                                                    "The snapshot records {n} warnings, but none were passed to the "
                                                    "report.", recorded) + "</p>")
        else:
            text = ('<p class="none">' + m.gettext("No warnings were recorded with this snapshot: every sheet adds "
                                                   "up and every rule of docs/format.md holds.") + "</p>"
                    if version is not None
                    else '<p class="none">' + m.gettext("No warnings were given to the report.") + "</p>")
        return ReportSection("data-quality", title, text)
    by_rule: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        by_rule[p.rule].append(p)
    order = sorted(by_rule, key=lambda r: (-len(by_rule[r]), r))
    # rule summaries are the validator's own English (problems.RULES), shown as the docs name them
    overview = table([Column(m.gettext("Rule"), CellKind.CODE), Column(m.gettext("Severity")),
                      Column(m.gettext("What it means")), Column(m.gettext("Count"), CellKind.COUNT)],
                     [(r, by_rule[r][0].severity.value, RULES[r].summary if r in RULES else "", len(by_rule[r]))
                      for r in order], foot=("", "", m.gettext("all rules"), len(problems)))
    recorded = m.ngettext("{n} problem was recorded with the snapshot", "{n} problems were recorded with the snapshot",
                          len(problems))
    under = m.ngettext("under {n} rule.", "under {n} rules.", len(order))
    parts = [f"<p>{recorded} {under} "
             + m.gettext("Warnings do not stop an import: real commissions publish such sheets, and they are "
                         "analysed as published. The first {n} of each rule are listed.", n=EXAMPLES_PER_RULE)
             + "</p>", overview]
    for r in order:
        items = by_rule[r]
        parts.append(f"<details><summary><code>{esc(r)}</code> — {count(len(items))}</summary>")
        parts.append(table([Column(m.gettext("File"), CellKind.NAME), Column(m.gettext("Row"), CellKind.COUNT),
                            Column(m.gettext("Column"), CellKind.NAME), Column(m.gettext("Message"), CellKind.NAME)],
                           [(p.file, p.row, p.column or "", p.message) for p in items[:EXAMPLES_PER_RULE]]))
        parts.append("</details>")
    return ReportSection("data-quality", title, "\n".join(parts))


def areas_section(tab: Tabulation, tree: AreaTree, stats: StationStats, *,
                  messages: Messages = ENGLISH) -> ReportSection:
    m = messages
    word = level_word(tree.level_word, m)
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
                     r.get("turnout"), party_name(lead_party, m), lead_votes, ratio(lead_votes or 0, party_total.get(a, 0))))
    with_turnout = stats.in_turnout
    national_leader = tab.parties.slice(0, 1).to_pylist()
    nat_party, nat_votes = (national_leader[0]["party"], national_leader[0]["votes"]) if national_leader else ("", None)
    all_party_votes = int(_ints(tab.parties.column("votes")).sum())
    foot = (m.gettext("All"), stats.stations, int(stats.registered[stats.has_sheet].sum()),
            int(stats.ballots_cast.sum()),
            ratio(int(stats.ballots_cast[with_turnout].sum()), int(stats.registered[with_turnout].sum())),
            party_name(nat_party, m), nat_votes, ratio(nat_votes or 0, all_party_votes))
    # the level word ("governorate", "district") comes from the package, in its own language: not translated
    body = table([Column(word.capitalize(), CellKind.NAME), Column(m.gettext("Stations"), CellKind.COUNT),
                  Column(m.gettext("Registered"), CellKind.COUNT), Column(m.gettext("Ballots cast"), CellKind.COUNT),
                  Column(m.gettext("Turnout"), CellKind.PERCENT), Column(m.gettext("Leading party"), CellKind.NAME),
                  Column(m.gettext("Its votes"), CellKind.COUNT), Column(m.gettext("Its share"), CellKind.PERCENT)],
                 rows, foot=foot)
    note = ('<p class="muted">'
            + m.gettext("Registered voters at stations with a result sheet; ballots cast per station: {rule}; "
                        "turnout over stations with a register. The leading party's share is of the candidate votes "
                        "cast in the {level}.", rule=esc(rule_words(stats.rule, m)), level=name(word))
            + "</p>")
    return ReportSection("areas", m.gettext("By {level}", level=word), note + body)


def _string_array(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), pa.string())


def parties_section(tab: Tabulation, *, messages: Messages = ENGLISH) -> ReportSection:
    m = messages
    title = m.gettext("Parties")
    rows = [(i + 1, party_name(r["party"], m), r["votes"], r["share"], r["candidates"], r["women_candidates"],
             ratio(r["women_candidates"], r["candidates"])) for i, r in enumerate(tab.parties.to_pylist())]
    cols = [Column("#", CellKind.COUNT), Column(m.gettext("Party"), CellKind.NAME),
            Column(m.gettext("Votes"), CellKind.COUNT), Column(m.gettext("Share"), CellKind.PERCENT),
            Column(m.gettext("Candidates"), CellKind.COUNT), Column(m.gettext("Women candidates"), CellKind.COUNT),
            Column(m.gettext("Women %"), CellKind.PERCENT)]
    if not rows:
        return ReportSection("parties", title,
                             "<p>" + m.gettext("No candidate votes: there is nothing to total by party.") + "</p>")
    text = ("<p>" + m.gettext("Votes of each party's candidates nationally; share of all valid votes. Candidates "
                              "without a party are totalled as (independent).") + "</p>")
    body = table(cols, rows[:PARTIES_SHOWN])
    if len(rows) > PARTIES_SHOWN:
        more = m.ngettext("{n} more party", "{n} more parties", len(rows) - PARTIES_SHOWN)
        body += f"<details><summary>{more}</summary>" + table(cols, rows[PARTIES_SHOWN:]) + "</details>"
    return ReportSection("parties", title, text + body)


def turnout_section(stats: StationStats, tree: AreaTree, *, messages: Messages = ENGLISH) -> ReportSection:
    m = messages
    title = m.gettext("Turnout per station")
    t = stats.turnout
    plotted = int(np.sum(~np.isnan(t)))
    if plotted == 0:
        return ReportSection("turnout", title, "<p>" + m.gettext("No station has both a register and a result "
                                                                 "sheet: there is no turnout to draw.") + "</p>")
    no_register = int(np.sum(~stats.has_register))
    over = stats.over_registered
    intro = m.ngettext("Turnout of the {n} station with a register and a result sheet (one value per station: "
                       "{rule}); median {median}.",
                       "Turnout of the {n} stations with a register and a result sheet (one value per station: "
                       "{rule}); median {median}.", plotted, rule=esc(rule_words(stats.rule, m)),
                       median=percent(float(np.nanmedian(t))))
    undrawn = m.ngettext("{n} station without a register (special voting) is not drawn.",
                         "{n} stations without a register (special voting) are not drawn.", no_register)
    flag = (' <span class="flag">'
            + m.ngettext("{n} station reports more ballots cast than registered voters (red bar).",
                         "{n} stations report more ballots cast than registered voters (red bar).", over)
            + "</span>") if over else ""
    parts = [f"<p>{intro} {undrawn}{flag}</p>", f'<div class="chart">{turnout_histogram(t, m)}</div>']
    codes = tree.breakdown_codes(stats.area)
    if len(tree.breakdown) > 1:
        panels, left_out = turnout_small_multiples(t, codes, [tree.name(a) for a in tree.breakdown], m)
        if panels:
            level = name(level_word(tree.level_word, m))
            parts.append("<h3>" + m.gettext("Turnout per station, by {level}", level=level)
                         + "</h3>")
            parts.append('<p class="muted">' + m.gettext("2-point bins; each panel has its own vertical scale; the "
                                                         "number in brackets is the stations drawn.") + "</p>")
            if left_out:
                parts.append('<p class="muted">'
                             + m.ngettext("{n} smaller area is left out: at most {panels} panels are drawn.",
                                          "{n} smaller areas are left out: at most {panels} panels are drawn.",
                                          left_out, panels=MAX_PANELS) + "</p>")
            parts.append(f'<div class="chart">{panels}</div>')
    share = stats.leading_share
    with_votes = int(np.sum(~np.isnan(share)))
    if with_votes:
        parts.append("<h3>" + m.gettext("Leading candidate's share per station") + "</h3>")
        parts.append("<p>" + m.ngettext(
            "For the {n} station with votes: the votes of the choice that leads the station's largest sheet, over "
            "all votes on that sheet. A spike near 100% means stations where one candidate took (nearly) every vote.",
            "For each of the {n} stations with votes: the votes of the choice that leads the station's largest sheet, "
            "over all votes on that sheet. A spike near 100% means stations where one candidate took (nearly) every "
            "vote.", with_votes) + "</p>")
        parts.append(f'<div class="chart">{leading_share_histogram(share, m)}</div>')
    return ReportSection("turnout", title, "\n".join(parts))
