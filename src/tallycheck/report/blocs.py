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
from .charts import figure_html
from .html_page import ReportSection
from .markup import CellKind, Column, count, definition_list, esc, plural, table

CHART_PLAYERS = 12  # the largest players drawn one by one; the rest as one bar
TABLE_PLAYERS = 25
LISTED = 5  # coalitions named per kind and quota
_COLOURS = ("#999999", "#0072B2", "#E69F00")  # seat share, Banzhaf, Shapley-Shubik (Okabe & Ito 2008)


def _pct(x: Fraction) -> str:
    return f"{percent_text(x)}%"


def _quota_word(quota: int, seats: int) -> str:
    if quota == seats // 2 + 1:
        return "an absolute majority"
    if quota == -(-2 * seats // 3):
        return "two thirds"
    return f"{_pct(Fraction(quota, seats))} of the seats"


def power_figure(game: Game, part: QuotaAnalysis) -> str:
    return figure_html(power_chart(game, part), f"fig-blocs-{part.quota}")


def power_chart(game: Game, part: QuotaAnalysis) -> go.Figure:
    """Seat share, normalised Banzhaf and Shapley-Shubik index per player, the largest first; the smaller
    players summed into one bar (indices add up, so the bar is their joint share)."""
    p = part.power
    rows = list(zip(game.names, (Fraction(pl.seats, game.seats) for pl in game.players), p.banzhaf,
                    p.shapley_shubik))
    shown, rest = rows[:CHART_PLAYERS], rows[CHART_PLAYERS:]
    if rest:
        shown.append((f"{len(rest)} others", sum((r[1] for r in rest), Fraction(0)),
                      sum((r[2] for r in rest), Fraction(0)), sum((r[3] for r in rest), Fraction(0))))
    labels = [html.escape(r[0], quote=False) for r in shown]  # plotly.js reads some tags in text
    traces = []
    for k, (title, colour) in enumerate(zip(("Seat share", "Banzhaf", "Shapley-Shubik"), _COLOURS), start=1):
        values = [float(r[k]) * 100 for r in shown]
        traces.append(go.Bar(y=labels, x=values, name=title, orientation="h", marker=dict(color=colour),
                             customdata=[_pct(r[k]) for r in shown],
                             hovertemplate=f"%{{y}}: {title} %{{customdata}}<extra></extra>"))
    fig = go.Figure(traces)
    fig.update_layout(template="none", barmode="group", height=160 + 44 * len(shown),
                      margin=dict(l=10, r=20, t=50, b=40), paper_bgcolor="white", plot_bgcolor="white",
                      legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom"),
                      title=dict(text=f"Power at {part.quota} of {game.seats} seats", x=0.01, y=0.99))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="%", gridcolor="#eee", rangemode="tozero")
    return fig


def _coalitions(coalitions: Sequence[Coalition]) -> str:
    return "<br>".join(f"<bdi>{esc(' + '.join(c.members))}</bdi> ({count(c.seats)})" for c in coalitions)


def _sizes(by_size: Mapping[int, int]) -> str:
    k = min(by_size)
    return (f"{plural(by_size[k], 'coalition')} of {plural(k, 'member')}; "
            f"{count(sum(by_size.values()))} of any size")


def _facts(game: Game, part: QuotaAnalysis) -> str:
    rows: list[tuple[str, str]] = []
    mw, b, r = part.minimal_winning, part.blocking, part.roles
    rows.append(("Seats needed",
                 f"{count(part.quota)} of {count(game.seats)} ({_quota_word(part.quota, game.seats)})"))
    if mw.by_size:
        listed = [c for c in mw.coalitions if len(c.members) == mw.smallest]
        rows.append(("Smallest winning coalitions", _sizes(mw.by_size) + (
            f":<br>{_coalitions(listed)}" if listed else "")))
    rows.append(("Seats that block", f"{count(part.blocking_seats)}: any players holding them leave the rest "
                 "short, by voting no or staying away"))
    if b.by_size:
        rows.append(("Smallest blocking coalitions", f"{plural(b.by_size[b.smallest], 'coalition')} of "
                     f"{plural(b.smallest, 'member')}:<br>{_coalitions(b.coalitions)}"
                     + ("" if b.complete else " …")))
    for a in part.alliances:
        text = (f"{count(a.seats)} seats; " + ("reaches the quota alone" if not a.lacks else
                f"lacks {count(a.lacks)}" + (f", at least {plural(a.partners_needed, 'partner')} needed"
                                            if a.partners_needed else ", and no partners can complete it"))
                + "; " + ("can block alone" if a.blocks else f"lacks {count(a.lacks_to_block)} to block"))
        if a.completions.coalitions:
            text += f"<br>Completed by, for example:<br>{_coalitions(a.completions.coalitions[:LISTED])}"
        rows.append((f"Alliance {a.name}", text))
    rows.append(("Never decisive (dummies)", ", ".join(f"<bdi>{esc(n)}</bdi>" for n in r.dummies) or "none"))
    rows.append(("Veto players", ", ".join(f"<bdi>{esc(n)}</bdi>" for n in r.veto) or "none"))
    return definition_list(rows)


def _table(game: Game, part: QuotaAnalysis) -> str:
    p = part.power
    cols = [Column("Player", CellKind.NAME), Column("Seats", CellKind.COUNT), Column("Seat share"),
            Column("Banzhaf"), Column("Shapley-Shubik"), Column("Penrose")]
    rows = [(n, pl.seats, _pct(Fraction(pl.seats, game.seats)), _pct(b), _pct(s), _pct(pe))
            for n, pl, b, s, pe in zip(game.names, game.players, p.banzhaf, p.shapley_shubik, p.penrose)]
    body = table(cols, rows[:TABLE_PLAYERS])
    if len(rows) > TABLE_PLAYERS:
        body += (f"<details><summary>{count(len(rows) - TABLE_PLAYERS)} more players</summary>"
                 + table(cols, rows[TABLE_PLAYERS:]) + "</details>")
    return body


def blocs_section(result: SeatResult, quotas: Sequence[int | str] = ("majority", "2/3"), *,
                  independents: Independents = Independents.SINGLE,
                  alliances: Mapping[str, Sequence[str]] | None = None) -> ReportSection:
    """The blocs section for the parliament `result` (seats.allocate) elected, against each quota (seats,
    'majority' or a share such as '2/3')."""
    game = game_from_result(result, grouping=independents, alliances=alliances)
    if not game.players or game.seats == 0:
        return ReportSection("blocs", "Coalitions and power", "<p>No seat was filled: there is no parliament "
                             "to study.</p>")
    resolved = [resolve_quota(q, game.seats) for q in quotas]
    analysis = analyse(game, resolved, independents=independents, max_size=MAX_SIZE, limit=LISTED)
    who = ("each independent member singly" if independents is Independents.SINGLE
           else "the independents as one bloc")
    intro = (f"<p>The {count(game.seats)} seats as a weighted voting game of "
             f"{plural(len(game.players), 'player')} (parties{', alliances' if alliances else ''} and {who}"
             "). A party's seat share is not its power: the <em>Banzhaf</em> index is its share of the "
             "coalitions in which its votes decide (normalised over all players), the "
             "<em>Shapley-Shubik</em> index its share of the orders of joining in which it brings the "
             "deciding seats, and <em>Penrose</em> the chance that its votes decide when every other member "
             "votes yes or no at random. All are computed exactly (docs/methods.md, Blocs and power).</p>")
    parts = [intro]
    for part in analysis.quotas:
        parts.append(f"<h3>At {count(part.quota)} seats ({esc(_quota_word(part.quota, game.seats))})</h3>")
        parts.append(_facts(game, part))
        parts.append(f'<div class="chart">{power_figure(game, part)}</div>')
        parts.append(_table(game, part))
    return ReportSection("blocs", "Coalitions and power", "\n".join(parts))
