"""The report's audit section: each contest's state after the hand counts, and its risk as counting proceeds."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from ..audit.progress import ContestStatus, State
from .charts import _LAYOUT, figure_html
from .html_page import ReportSection
from .markup import CellKind, Column, code, count, esc, plural, table

CHART_CONTESTS = 24  # lines drawn; the contests that needed the most draws


def risk_figure(statuses: Sequence[ContestStatus], risk_limit: float) -> str:
    """The contest's risk (the largest over its assertions) after each counted draw, on a log scale."""
    drawn = sorted((s for s in statuses if s.risk_by_draw), key=lambda s: -len(s.risk_by_draw))[:CHART_CONTESTS]
    fig = go.Figure()
    for s in drawn:
        fig.add_trace(go.Scatter(x=list(range(1, len(s.risk_by_draw) + 1)), y=[max(r, 1e-6) for r in s.risk_by_draw],
                                 mode="lines", name=s.contest_id, line=dict(width=1.4),
                                 hovertemplate=f"{esc(s.contest_id)}: risk %{{y:.4f}} after %{{x}} stations"
                                               "<extra></extra>"))
    fig.add_hline(y=risk_limit, line=dict(color="#c0392b", dash="dash"),
                  annotation_text=f"risk limit {risk_limit:g}", annotation_position="top right")
    fig.update_layout(**{**_LAYOUT, "showlegend": True}, height=420,
                      title="Risk per contest as stations are counted (largest over its assertions)",
                      xaxis_title="stations counted, in draw order", yaxis_title="risk (P-value)",
                      yaxis_type="log")
    return figure_html(fig, "audit-risk")


def audit_section(statuses: Sequence[ContestStatus], *, risk_limit: float, seed: str, design: str,
                  risk_function: str, rounds: int, stations_counted: int, recounts: int,
                  expected_stations: int, names: dict[str, str] | None = None) -> ReportSection:
    names = names or {}
    confirmed = sum(s.state is State.CONFIRMED for s in statuses)
    full = [s for s in statuses if s.state is State.FULL_COUNT]
    overturned = [s for s in statuses if s.outcome == "overturned"]
    intro = (f"<p>A risk-limiting audit of every contest at risk limit {risk_limit:g} ({esc(design)}, "
             f"{esc(risk_function)}): stations drawn from the public seed {code(seed)} with probability "
             "proportional to the share of a contest's margin they could hide, counted by hand, and compared "
             f"with their sheets. {plural(recounts, 'complaint recount')} counted in full first; "
             f"{plural(rounds, 'round')}, {count(stations_counted)} stations counted in all (the plan expected "
             f"{count(expected_stations)}). <strong>{plural(confirmed, 'contest')} confirmed</strong>, "
             f"{plural(len(full), 'contest')} sent to a full hand count"
             + (f", <strong class=\"flag\">{plural(len(overturned), 'contest')} overturned by the hand count"
                "</strong>" if overturned else "") + ".</p>"
             "<p>A confirmed contest's reported winners are right, unless an event of probability at most the "
             "risk limit occurred. A full count decides by the hand counts themselves. docs/methods.md "
             "(Audits) gives the assertions, the risk functions and the sampling.</p>")
    rows = [(s.contest_id, names.get(s.contest_id, ""), s.state.value,
             "—" if s.risk >= 1 or s.state is State.FULL_COUNT else f"{s.risk:.4f}",
             s.counted, s.outcome, s.reason) for s in statuses]
    cols = [Column("Contest", CellKind.CODE), Column("Name", CellKind.NAME), Column("State"), Column("Risk"),
            Column("Stations counted (sample)", CellKind.COUNT), Column("Full count says"), Column("Why")]
    html = "\n".join([intro, f'<div class="chart">{risk_figure(statuses, risk_limit)}</div>',
                      "<h3>Every contest</h3>", table(cols, rows)])
    return ReportSection("audit", "Risk-limiting audit", html)
