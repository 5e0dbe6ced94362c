"""The report's audit section: each contest's state after the hand counts, and its risk as counting proceeds."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from ..audit.progress import ContestStatus, State
from .charts import _LAYOUT, figure_html
from .html_page import ReportSection
from .markup import CellKind, Column, code, count, esc, table
from .messages import ENGLISH, Messages

CHART_CONTESTS = 24  # lines drawn; the contests that needed the most draws


def risk_figure(statuses: Sequence[ContestStatus], risk_limit: float, messages: Messages = ENGLISH) -> str:
    """The contest's risk (the largest over its assertions) after each counted draw, on a log scale."""
    m = messages
    drawn = sorted((s for s in statuses if s.risk_by_draw), key=lambda s: -len(s.risk_by_draw))[:CHART_CONTESTS]
    fig = go.Figure()
    for s in drawn:
        hover = m.gettext("{contest}: risk {risk} after {n} stations", contest=esc(s.contest_id), risk="%{y:.4f}",
                          n="%{x}")
        fig.add_trace(go.Scatter(x=list(range(1, len(s.risk_by_draw) + 1)), y=[max(r, 1e-6) for r in s.risk_by_draw],
                                 mode="lines", name=s.contest_id, line=dict(width=1.4),
                                 hovertemplate=f"{hover}<extra></extra>"))
    limit = f"{risk_limit:g}"
    fig.add_hline(y=risk_limit, line=dict(color="#c0392b", dash="dash"),
                  annotation_text=m.gettext("risk limit {limit}", limit=limit),
                  annotation_position="top right")
    title = m.gettext("Risk per contest as stations are counted (largest over its assertions)")
    fig.update_layout(**{**_LAYOUT, "showlegend": True}, height=420,
                      title=title,
                      xaxis_title=m.gettext("stations counted, in draw order"),
                      yaxis_title=m.gettext("risk (P-value)"),
                      yaxis_type="log")
    return figure_html(fig, "audit-risk")


def _state_word(state: State, m: Messages) -> str:
    words = {
        # TRANSLATORS: an audited contest's state: the hand counts confirm the reported winners
        State.CONFIRMED: m.gettext("confirmed"),
        # TRANSLATORS: an audited contest's state: more stations must be drawn and counted
        State.CONTINUE: m.gettext("continue"),
        # TRANSLATORS: an audited contest's state: every station is counted by hand
        State.FULL_COUNT: m.gettext("full count"),
    }
    return words.get(state, state.value)


def _outcome_word(outcome: str, m: Messages) -> str:
    # TRANSLATORS: what a full hand count found: the reported winners "confirmed" or "overturned"
    words = {"confirmed": m.gettext("confirmed"), "overturned": m.gettext("overturned")}
    return words.get(outcome, outcome)


def audit_section(statuses: Sequence[ContestStatus], *, risk_limit: float, seed: str, design: str,
                  risk_function: str, rounds: int, stations_counted: int, recounts: int,
                  expected_stations: int, names: dict[str, str] | None = None,
                  messages: Messages = ENGLISH) -> ReportSection:
    m = messages
    names = names or {}
    confirmed = sum(s.state is State.CONFIRMED for s in statuses)
    full = [s for s in statuses if s.state is State.FULL_COUNT]
    overturned = [s for s in statuses if s.outcome == "overturned"]
    overturned_text = (", <strong class=\"flag\">"
                       + m.ngettext("{n} contest overturned by the hand count",
                                    "{n} contests overturned by the hand count", len(overturned))
                       + "</strong>") if overturned else ""
    limit = f"{risk_limit:g}"
    # the design and the risk function are identifiers of the audit's plan (docs/methods.md, Audits)
    intro = ("<p>" + m.gettext(
        "A risk-limiting audit of every contest at risk limit {limit} ({design}, {risk_function}): stations drawn "
        "from the public seed {seed} with probability proportional to the share of a contest's margin they could "
        "hide, counted by hand, and compared with their sheets. {recounts} counted in full first; {rounds}, "
        "{counted} stations counted in all (the plan expected {expected}). <strong>{confirmed}</strong>, "
        "{full}{overturned}.", limit=limit, design=code(design), risk_function=code(risk_function),
        seed=code(seed), recounts=m.ngettext("{n} complaint recount", "{n} complaint recounts", recounts),
        rounds=m.ngettext("{n} round", "{n} rounds", rounds), counted=count(stations_counted),
        expected=count(expected_stations),
        confirmed=m.ngettext("{n} contest confirmed", "{n} contests confirmed", confirmed),
        full=m.ngettext("{n} contest sent to a full hand count", "{n} contests sent to a full hand count",
                        len(full)),
        overturned=overturned_text) + "</p>"
        "<p>" + m.gettext("A confirmed contest's reported winners are right, unless an event of probability at most "
                          "the risk limit occurred. A full count decides by the hand counts themselves. "
                          "docs/methods.md (Audits) gives the assertions, the risk functions and the sampling.")
        + "</p>")
    # the reasons are the audit's own English (audit.progress), like the validator's messages
    rows = [(s.contest_id, names.get(s.contest_id, ""), _state_word(s.state, m),
             "—" if s.risk >= 1 or s.state is State.FULL_COUNT else f"{s.risk:.4f}",
             s.counted, _outcome_word(s.outcome, m), s.reason) for s in statuses]
    cols = [Column(m.gettext("Contest"), CellKind.CODE), Column(m.gettext("Name"), CellKind.NAME),
            Column(m.gettext("State")), Column(m.gettext("Risk")),
            Column(m.gettext("Stations counted (sample)"), CellKind.COUNT), Column(m.gettext("Full count says")),
            Column(m.gettext("Why"))]
    html = "\n".join([intro, f'<div class="chart">{risk_figure(statuses, risk_limit, m)}</div>',
                      "<h3>" + m.gettext("Every contest") + "</h3>", table(cols, rows)])
    return ReportSection("audit", m.gettext("Risk-limiting audit"), html)
