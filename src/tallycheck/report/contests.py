"""Per contest, the leading candidates (seats + 3 of them), grouped in collapsible parts per breakdown area.

This is a ranking by votes, not the seat allocation: quotas for women and minorities can seat a candidate ranked
below another (the seats capability adds its own section).
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow.compute as pc

from ..model import ElectionData
from ..tabulate import Tabulation
from ..areas import AreaTree
from .html_page import ReportSection
from .markup import CellKind, Column, count, esc, gender_word, name, percent, plural, table

RUNNERS_UP = 3  # shown beyond the seats, so a close race is visible

_COLUMNS = (Column("#", CellKind.COUNT), Column("Candidate or list", CellKind.NAME), Column("Party", CellKind.NAME),
            Column("Gender"), Column("Votes", CellKind.COUNT), Column("Share", CellKind.PERCENT))


def _leading_choices(tab: Tabulation) -> dict[str, list[dict]]:
    seats = tab.contests.select(["contest_id", "seats"])
    ch = tab.choices.join(seats, "contest_id", join_type="left outer")
    keep = pc.less_equal(ch.column("rank"), pc.add(pc.fill_null(ch.column("seats"), 0), RUNNERS_UP))
    ch = ch.filter(keep).sort_by([("contest_id", "ascending"), ("rank", "ascending")])
    out: dict[str, list[dict]] = defaultdict(list)
    for r in ch.select(["contest_id", "candidate_id", "rank", "name", "party", "gender", "votes", "share"]).to_pylist():
        out[r["contest_id"]].append(r)
    return out


def _contest_block(c: dict, women_seats: int, choices: list[dict]) -> str:
    facts = [plural(c["seats"], "seat") + (f" (at least {count(women_seats)} for women)" if women_seats else "")]
    if c["group"]:
        facts.append(f"reserved for {name(c['group'])}")
    facts += [plural(c["sheets"], "sheet"), f"{count(c['ballots_cast'])} ballots cast",
              f"{count(c['valid_votes'])} valid votes", f"turnout {percent(c['turnout'])}"]
    rows = [(r["rank"], r["name"], r["party"] or ("(independent)" if r["candidate_id"] else ""),
             gender_word(r["gender"]), r["votes"], r["share"]) for r in choices]
    body = table(_COLUMNS, rows) if rows else "<p>No candidates or votes.</p>"
    return (f'<div class="contest"><h4><bdi>{esc(c["name"])}</bdi> <span class="muted">({esc(c["contest_id"])})'
            f'</span></h4><p class="contest-facts">{" · ".join(facts)}</p>{body}</div>')


def contests_section(data: ElectionData, tab: Tabulation, tree: AreaTree) -> ReportSection:
    women_seats = {r["contest_id"]: r["women_seats"] or 0
                   for r in data.table("contests").select(["contest_id", "women_seats"]).to_pylist()}
    choices = _leading_choices(tab)
    groups: dict[str, list[dict]] = defaultdict(list)
    for c in tab.contests.to_pylist():
        groups[tree.breakdown_of(c["area"]) or c["area"]].append(c)
    # breakdown areas in their order, then contests above them (nationwide ballots) by area
    order = [a for a in tree.breakdown if a in groups] + sorted(a for a in groups if a not in set(tree.breakdown))
    parts = [f"<p>The leading candidates of each contest by votes: the seats plus {RUNNERS_UP} more. This is a "
             "ranking, not the seat allocation, which applies the law's quotas. Open a part to see its contests.</p>"]
    for a in order:
        cs = groups[a]
        seats = sum(c["seats"] or 0 for c in cs)
        label = tree.name(a) if a in set(tree.breakdown) else f"{tree.name(a)} (above the {tree.level_word} level)"
        parts.append(f"<details><summary><bdi>{esc(label)}</bdi> — {plural(len(cs), 'contest')}, "
                     f"{plural(seats, 'seat')}"
                     "</summary>")
        parts.extend(_contest_block(c, women_seats.get(c["contest_id"], 0), choices.get(c["contest_id"], []))
                     for c in cs)
        parts.append("</details>")
    return ReportSection("contests", "Contests", "\n".join(parts))
