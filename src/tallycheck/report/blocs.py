"""The report's blocs section: how much power the elected parliament gives each party for each quota (seat
share beside the Banzhaf and Shapley-Shubik indices, as a chart and a table), the smallest coalitions that can
pass or block, what each alliance lacks, and who never decides.

    section = blocs_section(allocate(data), ("majority", "2/3"))
    build_report(data, tabulate(data), out=..., extra_sections=(seats_section(...), section))
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from fractions import Fraction

import plotly.graph_objects as go

from ..blocs import Game, Independents, analyse, game_from_result, resolve_quota
from ..blocs.analysis import MAX_SIZE, QuotaAnalysis
from ..blocs.coalitions import Coalition
from ..seats.result import SeatResult, percent_text
from .charts import chart_title, figure_html
from .html_page import ReportSection
from .markup import CellKind, Column, count, definition_list, esc, party_name, table
from .messages import ENGLISH, Messages

CHART_PLAYERS = 12  # the largest players drawn one by one; the rest as one bar
TABLE_PLAYERS = 25
LISTED = 5  # coalitions named per kind and quota
_COLOURS = ("#999999", "#0072B2", "#E69F00")  # seat share, Banzhaf, Shapley-Shubik (Okabe & Ito 2008)


def _pct(x: Fraction) -> str:
    return f"{percent_text(x)}%"


def _quota_word(quota: int, seats: int, m: Messages = ENGLISH) -> str:
    if quota == seats // 2 + 1:
        return m.gettext("an absolute majority")
    if quota == -(-2 * seats // 3):
        return m.gettext("two thirds")
    return m.gettext("{share} of the seats", share=_pct(Fraction(quota, seats)))


def power_figure(game: Game, part: QuotaAnalysis, messages: Messages = ENGLISH) -> str:
    return figure_html(power_chart(game, part, messages), f"fig-blocs-{part.quota}")


def power_chart(game: Game, part: QuotaAnalysis, messages: Messages = ENGLISH) -> go.Figure:
    """Seat share, normalised Banzhaf and Shapley-Shubik index per player, the largest first; the smaller
    players summed into one bar (indices add up, so the bar is their joint share)."""
    m = messages
    p = part.power
    rows = list(zip(game.names, (Fraction(pl.seats, game.seats) for pl in game.players), p.banzhaf,
                    p.shapley_shubik))
    shown, rest = rows[:CHART_PLAYERS], rows[CHART_PLAYERS:]
    labels = [html.escape(party_name(r[0], m), quote=False) for r in shown]  # plotly.js reads some tags in text
    if rest:
        shown.append(("", sum((r[1] for r in rest), Fraction(0)),
                      sum((r[2] for r in rest), Fraction(0)), sum((r[3] for r in rest), Fraction(0))))
        labels.append(m.ngettext("{n} other", "{n} others", len(rest)))
    traces = []
    # the indices' names are the authors' (Banzhaf 1965, Shapley & Shubik 1954), the same in every language
    titles = (m.gettext("Seat share"), "Banzhaf", "Shapley-Shubik")
    for k, (title, colour) in enumerate(zip(titles, _COLOURS), start=1):
        values = [float(r[k]) * 100 for r in shown]
        traces.append(go.Bar(y=labels, x=values, name=title, orientation="h", marker=dict(color=colour),
                             customdata=[_pct(r[k]) for r in shown],
                             hovertemplate=f"%{{y}}: {title} %{{customdata}}<extra></extra>"))
    fig = go.Figure(traces)
    fig.update_layout(template="none", barmode="group", height=160 + 44 * len(shown),
                      margin=dict(l=10, r=20, t=50, b=40), paper_bgcolor="white", plot_bgcolor="white",
                      legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom"),
                      title=chart_title(m.gettext("Power at {quota} of {seats} seats", quota=part.quota,
                                                  seats=game.seats), m, y=0.99))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="%", gridcolor="#eee", rangemode="tozero")
    return fig


def _coalitions(coalitions: Sequence[Coalition], m: Messages = ENGLISH) -> str:
    return "<br>".join(f"<bdi>{esc(' + '.join(party_name(p, m) for p in c.members))}</bdi> ({count(c.seats)})"
                       for c in coalitions)


def _sizes(by_size: Mapping[int, int], m: Messages) -> str:
    k = min(by_size)
    return m.gettext("{coalitions} of {members}; {total} of any size",
                     coalitions=m.ngettext("{n} coalition", "{n} coalitions", by_size[k]),
                     members=m.ngettext("{n} member", "{n} members", k), total=count(sum(by_size.values())))


def _facts(game: Game, part: QuotaAnalysis, m: Messages) -> str:
    rows: list[tuple[str, str]] = []
    mw, b, r = part.minimal_winning, part.blocking, part.roles
    rows.append((m.gettext("Seats needed"),
                 m.gettext("{quota} of {seats} ({what})", quota=count(part.quota), seats=count(game.seats),
                           what=esc(_quota_word(part.quota, game.seats, m)))))
    if mw.by_size:
        listed = [c for c in mw.coalitions if len(c.members) == mw.smallest]
        rows.append((m.gettext("Smallest winning coalitions"), _sizes(mw.by_size, m) + (
            f":<br>{_coalitions(listed, m)}" if listed else "")))
    rows.append((m.gettext("Seats that block"),
                 m.gettext("{n}: any players holding them leave the rest short, by voting no or staying away",
                           n=count(part.blocking_seats))))
    if b.by_size:
        rows.append((m.gettext("Smallest blocking coalitions"),
                     m.gettext("{coalitions} of {members}", coalitions=m.ngettext("{n} coalition", "{n} coalitions",
                                                                                  b.by_size[b.smallest]),
                               members=m.ngettext("{n} member", "{n} members", b.smallest))
                     + f":<br>{_coalitions(b.coalitions, m)}" + ("" if b.complete else " …")))
    for a in part.alliances:
        if not a.lacks:
            reach = m.gettext("reaches the quota alone")
        elif a.partners_needed:
            reach = m.ngettext("lacks {lacks}, at least {n} partner needed",
                               "lacks {lacks}, at least {n} partners needed", a.partners_needed,
                               lacks=count(a.lacks))
        else:
            reach = m.gettext("lacks {lacks}, and no partners can complete it", lacks=count(a.lacks))
        block = (m.gettext("can block alone") if a.blocks
                 else m.gettext("lacks {n} to block", n=count(a.lacks_to_block)))
        text = m.ngettext("{n} seat; {reach}; {block}", "{n} seats; {reach}; {block}", a.seats, reach=reach,
                          block=block)
        if a.completions.coalitions:
            text += ("<br>" + m.gettext("Completed by, for example:")
                     + f"<br>{_coalitions(a.completions.coalitions[:LISTED], m)}")
        rows.append((m.gettext("Alliance {name}", name=a.name), text))
    none = esc(m.gettext("none"))
    rows.append((m.gettext("Never decisive (dummies)"), ", ".join(f"<bdi>{esc(n)}</bdi>" for n in r.dummies) or none))
    rows.append((m.gettext("Veto players"), ", ".join(f"<bdi>{esc(n)}</bdi>" for n in r.veto) or none))
    return definition_list(rows)


def _table(game: Game, part: QuotaAnalysis, m: Messages) -> str:
    p = part.power
    cols = [Column(m.gettext("Player"), CellKind.NAME), Column(m.gettext("Seats"), CellKind.COUNT),
            Column(m.gettext("Seat share")), Column("Banzhaf"), Column("Shapley-Shubik"), Column("Penrose")]
    rows = [(party_name(n, m), pl.seats, _pct(Fraction(pl.seats, game.seats)), _pct(b), _pct(s), _pct(pe))
            for n, pl, b, s, pe in zip(game.names, game.players, p.banzhaf, p.shapley_shubik, p.penrose)]
    body = table(cols, rows[:TABLE_PLAYERS])
    if len(rows) > TABLE_PLAYERS:
        more = m.ngettext("{n} more player", "{n} more players", len(rows) - TABLE_PLAYERS)
        body += f"<details><summary>{more}</summary>" + table(cols, rows[TABLE_PLAYERS:]) + "</details>"
    return body


def blocs_section(result: SeatResult, quotas: Sequence[int | str] = ("majority", "2/3"), *,
                  independents: Independents = Independents.SINGLE,
                  alliances: Mapping[str, Sequence[str]] | None = None,
                  messages: Messages = ENGLISH) -> ReportSection:
    """The blocs section for the parliament `result` (seats.allocate) elected, against each quota (seats,
    'majority' or a share such as '2/3')."""
    m = messages
    title = m.gettext("Coalitions and power")
    game = game_from_result(result, grouping=independents, alliances=alliances)
    if not game.players or game.seats == 0:
        return ReportSection("blocs", title,
                             "<p>" + m.gettext("No seat was filled: there is no parliament to study.") + "</p>")
    resolved = [resolve_quota(q, game.seats) for q in quotas]
    analysis = analyse(game, resolved, independents=independents, max_size=MAX_SIZE, limit=LISTED)
    single = independents is Independents.SINGLE
    if alliances:
        who = (m.gettext("parties, alliances and each independent member singly") if single
               else m.gettext("parties, alliances and the independents as one bloc"))
    else:
        who = (m.gettext("parties and each independent member singly") if single
               else m.gettext("parties and the independents as one bloc"))
    intro = ("<p>" + m.ngettext(
        "The {seats} seats as a weighted voting game of {n} player ({who}). A party's seat share is not its power: "
        "the <em>Banzhaf</em> index is its share of the coalitions in which its votes decide (normalised over all "
        "players), the <em>Shapley-Shubik</em> index its share of the orders of joining in which it brings the "
        "deciding seats, and <em>Penrose</em> the chance that its votes decide when every other member votes yes "
        "or no at random. All are computed exactly (docs/methods.md, Blocs and power).",
        "The {seats} seats as a weighted voting game of {n} players ({who}). A party's seat share is not its "
        "power: the <em>Banzhaf</em> index is its share of the coalitions in which its votes decide (normalised "
        "over all players), the <em>Shapley-Shubik</em> index its share of the orders of joining in which it "
        "brings the deciding seats, and <em>Penrose</em> the chance that its votes decide when every other member "
        "votes yes or no at random. All are computed exactly (docs/methods.md, Blocs and power).",
        len(game.players), seats=count(game.seats), who=who) + "</p>")
    parts = [intro]
    for part in analysis.quotas:
        parts.append("<h3>" + m.gettext("At {n} seats ({what})", n=count(part.quota),
                                         what=esc(_quota_word(part.quota, game.seats, m))) + "</h3>")
        parts.append(_facts(game, part, m))
        parts.append(f'<div class="chart">{power_figure(game, part, m)}</div>')
        parts.append(_table(game, part, m))
    return ReportSection("blocs", title, "\n".join(parts))
