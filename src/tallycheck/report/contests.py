"""Per contest, the leading candidates (seats + 3 of them), grouped in collapsible parts per breakdown area.

This is a ranking by votes, not the seat allocation: quotas for women and minorities can seat a candidate ranked
below another (the seats capability adds its own section).
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow.compute as pc

from ..model import ElectionData
from ..tabulate import INDEPENDENT, Tabulation
from ..areas import AreaTree
from .html_page import ReportSection
from .markup import CellKind, Column, count, esc, gender_word, level_word, name, party_name, percent, table
from .messages import ENGLISH, Messages

RUNNERS_UP = 3  # shown beyond the seats, so a close race is visible


def _columns(m: Messages) -> list[Column]:
    return [Column("#", CellKind.COUNT), Column(m.gettext("Candidate or list"), CellKind.NAME),
            Column(m.gettext("Party"), CellKind.NAME), Column(m.gettext("Gender")),
            Column(m.gettext("Votes"), CellKind.COUNT), Column(m.gettext("Share"), CellKind.PERCENT)]


def _leading_choices(tab: Tabulation) -> dict[str, list[dict]]:
    seats = tab.contests.select(["contest_id", "seats"])
    ch = tab.choices.join(seats, "contest_id", join_type="left outer")
    keep = pc.less_equal(ch.column("rank"), pc.add(pc.fill_null(ch.column("seats"), 0), RUNNERS_UP))
    ch = ch.filter(keep).sort_by([("contest_id", "ascending"), ("rank", "ascending")])
    out: dict[str, list[dict]] = defaultdict(list)
    for r in ch.select(["contest_id", "candidate_id", "rank", "name", "party", "gender", "votes", "share"]).to_pylist():
        out[r["contest_id"]].append(r)
    return out


def _contest_block(c: dict, women_seats: int, choices: list[dict], m: Messages) -> str:
    facts = [m.ngettext("{n} seat", "{n} seats", c["seats"])
             + (m.gettext(" (at least {n} for women)", n=count(women_seats)) if women_seats else "")]
    if c["group"]:
        facts.append(m.gettext("reserved for {group}", group=name(c["group"])))
    facts += [m.ngettext("{n} sheet", "{n} sheets", c["sheets"]),
              m.ngettext("{n} ballot cast", "{n} ballots cast", c["ballots_cast"]),
              m.ngettext("{n} valid vote", "{n} valid votes", c["valid_votes"]),
              m.gettext("turnout {value}", value=percent(c["turnout"]))]
    independent = party_name(INDEPENDENT, m)
    rows = [(r["rank"], r["name"], r["party"] or (independent if r["candidate_id"] else ""),
             gender_word(r["gender"], m), r["votes"], r["share"]) for r in choices]
    body = table(_columns(m), rows) if rows else "<p>" + m.gettext("No candidates or votes.") + "</p>"
    return (f'<div class="contest"><h4><bdi>{esc(c["name"])}</bdi> <span class="muted">({esc(c["contest_id"])})'
            f'</span></h4><p class="contest-facts">{" · ".join(facts)}</p>{body}</div>')


def contests_section(data: ElectionData, tab: Tabulation, tree: AreaTree, *,
                     messages: Messages = ENGLISH) -> ReportSection:
    m = messages
    women_seats = {r["contest_id"]: r["women_seats"] or 0
                   for r in data.table("contests").select(["contest_id", "women_seats"]).to_pylist()}
    choices = _leading_choices(tab)
    groups: dict[str, list[dict]] = defaultdict(list)
    for c in tab.contests.to_pylist():
        groups[tree.breakdown_of(c["area"]) or c["area"]].append(c)
    # breakdown areas in their order, then contests above them (nationwide ballots) by area
    order = [a for a in tree.breakdown if a in groups] + sorted(a for a in groups if a not in set(tree.breakdown))
    parts = ["<p>" + m.gettext("The leading candidates of each contest by votes: the seats plus {n} more. This is a "
                               "ranking, not the seat allocation, which applies the law's quotas. Open a part to see "
                               "its contests.", n=RUNNERS_UP) + "</p>"]
    for a in order:
        cs = groups[a]
        seats = sum(c["seats"] or 0 for c in cs)
        label = (f"<bdi>{esc(tree.name(a))}</bdi>" if a in set(tree.breakdown)
                 else m.gettext("<bdi>{area}</bdi> (above the {level} level)", area=esc(tree.name(a)),
                                level=esc(level_word(tree.level_word, m))))
        n_contests = m.ngettext("{n} contest", "{n} contests", len(cs))
        n_seats = m.ngettext("{n} seat", "{n} seats", seats)
        parts.append(f"<details><summary>{label} — {n_contests}, {n_seats}</summary>")
        parts.extend(_contest_block(c, women_seats.get(c["contest_id"], 0), choices.get(c["contest_id"], []), m)
                     for c in cs)
        parts.append("</details>")
    return ReportSection("contests", m.gettext("Contests"), "\n".join(parts))
