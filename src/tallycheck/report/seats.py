"""The report's seats section: the parliament as a hemicycle by party, the winners of every contest with quota
replacements and lot-drawn seats marked, the regional women's minimums, and the closest seats.

    section = seats_section(data, allocate(data), seat_margins(result, data))
    build_report(data, tabulate(data), out=..., extra_sections=(section,))

The hemicycle is laid out here (`hemicycle`): seats as dots on concentric half-rings, each ring holding seats
in proportion to its length, parties filling the dots from left to right, largest party first. The layout is
geometry for a picture; the seats it draws are the integers of the allocation.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import plotly.graph_objects as go

from ..model import ElectionData
from ..seats.margins import SeatMargin
from ..seats.margins import MarginKind
from ..seats.result import ContestSeats, SeatResult, SeatVia, percent_text
from ..tabulate import INDEPENDENT
from ..areas import AreaTree
from .charts import chart_title, figure_html
from .html_page import ReportSection
from .markup import CellKind, Column, code, count, esc, gender_word, level_word, name, party_name, table
from .messages import ENGLISH, Messages

CLOSEST_SHOWN = 25
PARTIES_SHOWN = 25
INNER_RADIUS = 0.4  # the innermost ring's radius, as a share of the outermost

# a qualitative palette that stays apart in print and for the common colour-vision deficiencies (Okabe & Ito
# 2008, then Paul Tol's "muted"); parties beyond it cycle
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288", "#88CCEE",
           "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499")
OTHER = "#BBBBBB"

_STYLE = ("<style>tr.quota td { background: #fff3cd; } tr.lot td { background: #e8f0fb; } "
          ".key-quota { background: #fff3cd; padding: 0 .3rem; } "
          ".key-lot { background: #e8f0fb; padding: 0 .3rem; }</style>")


@dataclass(frozen=True, slots=True)
class SeatDot:
    x: float
    y: float
    ring: int  # 0 = innermost


def _rings_for(seats: int) -> int:
    """Enough rings that neighbouring dots on a ring sit about as far apart as the rings (Iraq's 329: 9)."""
    rings = 1
    while _capacity(rings) < seats:
        rings += 1
    return rings


def _capacity(rings: int) -> int:
    # a ring of radius r holds about pi * r / gap dots, gap being the distance between rings
    if rings == 1:
        return 12
    gap = (1 - INNER_RADIUS) / (rings - 1)
    return sum(int(math.pi * (INNER_RADIUS + i * gap) / gap) + 1 for i in range(rings))


def _split(seats: int, weights: Sequence[int]) -> list[int]:
    """`seats` split over the rings in proportion to `weights` (largest remainders, in integers)."""
    total = sum(weights)
    base = [seats * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(seats * weights[i] % total), -i))
    for i in order[:seats - sum(base)]:
        base[i] += 1
    return base


def hemicycle(seats: int) -> list[SeatDot]:
    """`seats` dots on concentric half-rings (radius INNER_RADIUS to 1, above the x axis), in the order
    parties fill them: from the left end of the arc to the right, each angle's dots from the inner ring
    outwards."""
    if seats <= 0:
        return []
    rings = _rings_for(seats)
    radii = ([INNER_RADIUS + (1 - INNER_RADIUS) * i / (rings - 1) for i in range(rings)] if rings > 1
             else [1.0])
    per_ring = _split(seats, [round(r * 1000) for r in radii])
    dots = []
    for ring, (r, n) in enumerate(zip(radii, per_ring)):
        for j in range(n):
            theta = math.pi / 2 if n == 1 else math.pi * (1 - j / (n - 1))
            dots.append((theta, ring, SeatDot(r * math.cos(theta), r * math.sin(theta), ring)))
    dots.sort(key=lambda d: (-d[0], d[1]))
    return [d for _, _, d in dots]


def party_colours(parties: Sequence[str]) -> dict[str, str]:
    return {p: (OTHER if p == INDEPENDENT else PALETTE[i % len(PALETTE)]) for i, p in enumerate(parties)}


LEGEND_PARTIES = 16  # a longer legend buries the chart; the table below lists every party


def party_dots(result: SeatResult) -> list[tuple[str, int, list[SeatDot]]]:
    """(party, seats, its dots) for every party with seats, most seats first, filling the hemicycle from the
    left."""
    parties = [p for p in result.parties if p.seats > 0]
    dots = hemicycle(sum(p.seats for p in parties))
    out, at = [], 0
    for p in parties:
        out.append((p.party, p.seats, dots[at:at + p.seats]))
        at += p.seats
    return out


def hemicycle_figure(result: SeatResult, messages: Messages = ENGLISH) -> str:
    return figure_html(hemicycle_chart(result, messages), "fig-hemicycle")


def hemicycle_chart(result: SeatResult, messages: Messages = ENGLISH) -> go.Figure:
    """The parliament by party as a Plotly scatter, one trace per party (the legend doubles as a key)."""
    m = messages
    groups = party_dots(result)
    colours = party_colours([p for p, _, _ in groups])
    rings = max((d.ring for _, _, ds in groups for d in ds), default=0) + 1
    size = max(5, min(18, int(300 / rings / 2.2)))
    traces = []
    for i, (party, seats, mine) in enumerate(groups):
        shown = html.escape(party_name(party, m), quote=False)  # plotly.js reads some tags in text
        label = f"{shown}: {seats}"
        hover = m.ngettext("{party}: {n} seat", "{party}: {n} seats", seats, party=shown)
        traces.append(go.Scatter(x=[d.x for d in mine], y=[d.y for d in mine], mode="markers", name=label,
                                 showlegend=i < LEGEND_PARTIES,
                                 marker=dict(size=size, color=colours[party],
                                             line=dict(width=0.5, color="#333")),
                                 hovertemplate=f"{hover}<extra></extra>"))
    fig = go.Figure(traces)
    fig.update_layout(template="none", height=520, margin=dict(l=10, r=10, t=40, b=10), showlegend=True,
                      legend=dict(orientation="h", y=-0.02, x=0.5, xanchor="center", yanchor="top"),
                      title=chart_title(m.ngettext("{n} seat by party", "{n} seats by party", result.seats), m),
                      paper_bgcolor="white", plot_bgcolor="white",
                      annotations=[dict(x=0, y=0.12, text=f"<b>{result.seats}</b>", showarrow=False,
                                        font=dict(size=22))])
    fig.update_xaxes(visible=False, range=[-1.05, 1.05])
    fig.update_yaxes(visible=False, range=[-0.03, 1.05], scaleanchor="x", scaleratio=1)
    return fig


def _lot_winners(contest: ContestSeats) -> set[str]:
    return {n for t in contest.ties for n in t.drawn if t.places < len(t.candidates)}


def via_word(via: SeatVia, m: Messages = ENGLISH) -> str:
    """Why a seat went to its holder, in words."""
    words = {
        # TRANSLATORS: how a seat was won (column "Via"): among the highest-voted candidates
        SeatVia.VOTES: m.gettext("votes"),
        # TRANSLATORS: how a seat was won (column "Via"): a woman entered on the women's minimum
        SeatVia.WOMEN_QUOTA: m.gettext("women-quota"),
        # TRANSLATORS: how a seat was won (column "Via"): a seat reserved for a minority community
        SeatVia.MINORITY: m.gettext("minority"),
        # TRANSLATORS: how a seat was won (column "Via"): a seat won by a list (proportional representation)
        SeatVia.LIST: m.gettext("list"),
    }
    return words.get(via, via.value)


def _kind_word(kind: MarginKind, m: Messages) -> str:
    words = {
        # TRANSLATORS: column "Moved between": ballots moved between candidates of one ballot
        MarginKind.CANDIDATE: m.gettext("candidate"),
        # TRANSLATORS: column "Moved between": ballots moved from the holder's list to another list
        MarginKind.LIST: m.gettext("list"),
        # TRANSLATORS: column "Moved between": personal votes moved within the holder's own open list
        MarginKind.PERSONAL: m.gettext("personal"),
    }
    return words.get(kind, kind.value)


def _contest_block(contest: ContestSeats, margins: dict[tuple[str, str], SeatMargin], m: Messages) -> str:
    replaced = {r.elected: r for r in contest.replacements}
    by_lot = _lot_winners(contest)
    rows = []
    for s in contest.winners:
        notes = []
        css = ""
        if s.candidate_id in replaced:
            r = replaced[s.candidate_id]
            notes.append(m.gettext("women's seat: replaced {displaced} ({rule})", displaced=esc(r.displaced),
                                   rule=esc(r.rule)))
            css = "quota"
        if s.candidate_id in by_lot:
            notes.append(m.gettext("won a tie by lot"))
            css = css or "lot"
        mg = margins.get((contest.contest_id, s.candidate_id))
        rows.append((css, [s.seat_no, name(s.name or s.candidate_id), name(party_name(s.party or INDEPENDENT, m)),
                           esc(gender_word(s.gender.value, m)), count(s.votes), esc(via_word(s.via, m)),
                           "" if mg is None or mg.ballots is None else count(mg.ballots), "; ".join(notes)]))
    head = "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in
                   (m.gettext("Seat"), m.gettext("Winner"), m.gettext("Party"), m.gettext("Gender"),
                    m.gettext("Votes"), m.gettext("Via"), m.gettext("Margin (ballots)"), m.gettext("Note")))
    body = "".join(f"<tr{f' class={css}' if css else ''}>" + "".join(f"<td>{v}</td>" for v in cells) + "</tr>"
                   for css, cells in rows)
    facts = [m.ngettext("{n} seat", "{n} seats", contest.seats)]
    if contest.women_seats:
        facts.append(m.ngettext("at least {n} woman", "at least {n} women", contest.women_seats))
    if contest.group:
        facts.append(m.gettext("reserved for {group}", group=name(contest.group)))
    if contest.women_short:
        facts.append('<span class="flag">' + m.ngettext("{n} women's seat unfilled: too few women stood",
                                                        "{n} women's seats unfilled: too few women stood",
                                                        contest.women_short) + "</span>")
    if contest.vacant:
        facts.append('<span class="flag">' + m.ngettext("{n} seat vacant", "{n} seats vacant", contest.vacant)
                     + "</span>")
    if contest.runoff:
        facts.append('<span class="flag">' + m.gettext("no majority: run-off between {candidates}",
                                                       candidates=m.gettext(" and ").join(
                                                           name(c) for c in contest.runoff)) + "</span>")
    return (f'<div class="contest"><h4><bdi>{esc(contest.name)}</bdi> <span class="muted">'
            f'({esc(contest.contest_id)})</span></h4><p class="contest-facts">{" · ".join(facts)}</p>'
            f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')


def _winners_html(data: ElectionData, result: SeatResult, margins: dict[tuple[str, str], SeatMargin],
                  m: Messages) -> str:
    tree = AreaTree.from_data(data)
    groups: dict[str, list[ContestSeats]] = defaultdict(list)
    for c in result.contests:
        groups[tree.breakdown_of(c.area) or c.area].append(c)
    breakdown = set(tree.breakdown)
    order = [a for a in tree.breakdown if a in groups] + sorted(a for a in groups if a not in breakdown)
    parts = []
    for a in order:
        cs = groups[a]
        quota = sum(len(c.replacements) for c in cs)
        label = (f"<bdi>{esc(tree.name(a))}</bdi>" if a in breakdown
                 else m.gettext("<bdi>{area}</bdi> (above the {level} level)", area=esc(tree.name(a)),
                                level=esc(level_word(tree.level_word, m))))
        n_contests = m.ngettext("{n} contest", "{n} contests", len(cs))
        n_seats = m.ngettext("{n} seat", "{n} seats", sum(len(c.winners) for c in cs))
        extra = ", " + m.ngettext("{n} quota replacement", "{n} quota replacements", quota) if quota else ""
        parts.append(f"<details><summary>{label} — {n_contests}, {n_seats}{extra}</summary>")
        parts.extend(_contest_block(c, margins, m) for c in cs)
        parts.append("</details>")
    return "\n".join(parts)


def _with_party(name: str, party: str) -> str:
    """"Name (Party)"; "(independent)" already carries its brackets."""
    if not name:
        return ""
    if not party:
        return name
    return f"{name} {party}" if party.startswith("(") else f"{name} ({party})"


def _closest_html(data: ElectionData, result: SeatResult, margins: Sequence[SeatMargin], m: Messages) -> str:
    names = {(c.contest_id, c.candidate_id): (c.name or c.candidate_id, party_name(c.party or INDEPENDENT, m))
             for c in data.candidates}
    contest_name = {c.contest_id: c.name for c in result.contests}
    rows = []
    for mg in margins[:CLOSEST_SHOWN]:
        # a majority contest going to a run-off has no holder: its margin gives someone the outright win
        holder, party = (names.get((mg.contest_id, mg.holder), (mg.holder, "")) if mg.holder
                         else (m.gettext("(run-off)"), ""))
        taker, taker_party = names.get((mg.contest_id, mg.challenger), (mg.challenger, ""))
        rows.append((contest_name.get(mg.contest_id, mg.contest_id), holder, party, mg.ballots,
                     mg.ballots_to_lose, _with_party(taker, taker_party), _kind_word(mg.kind, m)))
    cols = [Column(m.gettext("Contest"), CellKind.NAME), Column(m.gettext("Holder"), CellKind.NAME),
            Column(m.gettext("Party"), CellKind.NAME), Column(m.gettext("Ballots"), CellKind.COUNT),
            Column(m.gettext("To lose"), CellKind.COUNT), Column(m.gettext("Would go to"), CellKind.NAME),
            Column(m.gettext("Moved between"))]
    return table(cols, rows)


def _regions_html(result: SeatResult, tree: AreaTree, m: Messages) -> str:
    if not result.regions:
        return ""
    rows = [(tree.name(r.area), r.seats, r.required, r.women, r.short) for r in result.regions]
    return ("<h3>" + m.gettext("Women per region") + "</h3><p>"
            + m.gettext("The law's regional minimum, counted over each region's general seats.") + "</p>"
            + table([Column(m.gettext("Region"), CellKind.NAME), Column(m.gettext("Seats"), CellKind.COUNT),
                     Column(m.gettext("Women required"), CellKind.COUNT),
                     Column(m.gettext("Women seated"), CellKind.COUNT), Column(m.gettext("Short"), CellKind.COUNT)],
                    rows))


def majority_words(contest: ContestSeats, share: Fraction, name_of: dict[str, str], m: Messages = ENGLISH) -> str:
    """What a majority contest decided, in words (seats.result.majority_text, in the report's language); names are
    escaped and isolated here."""
    def who(cid: str) -> str:
        return name(name_of.get(cid) or cid)

    needed = (m.gettext("half") if share == Fraction(1, 2)
              else m.gettext("{share}%", share=percent_text(share)))
    valid = m.ngettext("{n} valid vote", "{n} valid votes", contest.valid_votes)
    if contest.winners:
        w = contest.winners[0].candidate_id
        return m.gettext("{winner} wins with {share}% of {valid} (more than {needed} needed).", winner=who(w),
                         share=percent_text(contest.share(w)), valid=valid, needed=needed)
    if contest.runoff:
        pair = m.gettext(" and ").join(m.gettext("{candidate} ({share}%)", candidate=who(c),
                                                 share=percent_text(contest.share(c))) for c in contest.runoff)
        return m.gettext("Run-off between {candidates}: no candidate has more than {needed} of {valid}.",
                         candidates=pair, needed=needed, valid=valid)
    return m.gettext("No candidate stood: the seat is vacant.")


def _majority_html(data: ElectionData, result: SeatResult, m: Messages) -> str:
    """Majority contests in words: the winner's share of the valid votes, or the run-off's two candidates."""
    names = {(c.contest_id, c.candidate_id): c.name for c in data.candidates}
    share = Fraction(result.law_params.get("majority_share", "1/2"))
    lines = [f"<p><strong><bdi>{esc(c.name)}</bdi></strong>: "
             + majority_words(c, share, {cid: names.get((c.contest_id, cid), "") for cid in c.votes}, m)
             + "</p>" for c in result.contests if c.system == "majority"]
    return "".join(lines)


def seats_section(data: ElectionData, result: SeatResult, margins: Sequence[SeatMargin], *,
                  messages: Messages = ENGLISH) -> ReportSection:
    """The seats section of the report for `result` (from seats.allocate) and its `margins` (seats.margins,
    closest first)."""
    m = messages
    by_seat = {(mg.contest_id, mg.holder): mg for mg in margins}
    tree = AreaTree.from_data(data)
    replacements = sum(len(c.replacements) for c in result.contests)
    by_lot = sum(len(_lot_winners(c)) for c in result.contests)
    intro = ("<p>" + m.ngettext(
        "{n} seat under the law {law}, allocated exactly from the snapshot's vote totals: {women} women, "
        "{replacements} (<span class=\"key-quota\">highlighted</span>), {lot} won in a tie by the public lot "
        "(<span class=\"key-lot\">highlighted</span>; seed {seed}, rule {rule}).",
        "{n} seats under the law {law}, allocated exactly from the snapshot's vote totals: {women} women, "
        "{replacements} (<span class=\"key-quota\">highlighted</span>), {lot} won in a tie by the public lot "
        "(<span class=\"key-lot\">highlighted</span>; seed {seed}, rule {rule}).",
        result.seats, law=code(result.law), women=count(result.women),
        replacements=m.ngettext("{n} quota replacement", "{n} quota replacements", replacements),
        lot=m.ngettext("{n} seat", "{n} seats", by_lot), seed=code(result.seed), rule=code(result.tie_rule.value))
        + "</p>")
    if result.annulled:
        intro += ('<p class="flag">' + m.ngettext("{n} station struck out before the totals were made.",
                                                  "{n} stations struck out before the totals were made.",
                                                  len(result.annulled)) + "</p>")
    cols = [Column(m.gettext("Party"), CellKind.NAME), Column(m.gettext("Seats"), CellKind.COUNT),
            Column(m.gettext("Women"), CellKind.COUNT), Column(m.gettext("Votes"), CellKind.COUNT)]
    rows = [(party_name(p.party, m), p.seats, p.women, p.votes) for p in result.parties if p.seats]
    parties = table(cols, rows[:PARTIES_SHOWN], foot=(m.gettext("All"), result.seats, result.women,
                                                       sum(p.votes for p in result.parties)))
    if len(rows) > PARTIES_SHOWN:
        more = m.ngettext("{n} more party", "{n} more parties", len(rows) - PARTIES_SHOWN)
        parties += f"<details><summary>{more}</summary>" + table(cols, rows[PARTIES_SHOWN:]) + "</details>"
    shown = min(CLOSEST_SHOWN, len(margins))
    closest = ("<h3>" + m.gettext("The closest seats") + "</h3><p>"
               + m.gettext("For each seat, the fewest ballots that would have to have been recorded for another "
                           "candidate (or list) for its holder no longer to hold it outright: it loses the seat, or "
                           "keeps it only by the lot. <em>To lose</em>: the fewest after which it loses the seat "
                           "whatever the lot draws. The {shown} closest of {total} seats; docs/methods.md (Seat "
                           "margins and what-ifs) says how each is computed.", shown=shown,
                           total=count(len(margins)))
               + "</p>" + _closest_html(data, result, margins, m))
    html = "\n".join([
        _STYLE, intro, _majority_html(data, result, m), f'<div class="chart">{hemicycle_figure(result, m)}</div>',
        "<h3>" + m.gettext("Seats per party") + "</h3><p>"
        + m.gettext("Votes: the personal votes of the party's candidates in the contests allocated.") + "</p>",
        parties, closest, _regions_html(result, tree, m), "<h3>" + m.gettext("Winners per contest") + "</h3>",
        "<p>" + m.gettext("Open a part to see its contests' winners in seat order, with each seat's margin in "
                          "ballots.") + "</p>",
        _winners_html(data, result, by_seat, m)])
    return ReportSection("seats", m.gettext("Seats"), html)
