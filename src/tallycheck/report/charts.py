"""Plotly figures for the report, as HTML fragments that rely on the page's one embedded copy of plotly.js.

Each chart has a builder that returns the figure itself (`*_chart`), so the recount room's pages send the same
figure as JSON (`fig.to_json()`) instead of a second copy of the chart; the report wraps it into HTML.

Histograms are binned here with numpy and drawn as bars, so the page carries a hundred counts per chart rather
than one number per station (55,000 stations would otherwise add megabytes). Labels that come from the package
are escaped: plotly.js reads a few HTML-like tags in text, and an area name must never be read as markup.
Titles, axis titles and hover words come from `messages` (English by default); axes keep their direction in
every language (numbers grow left to right), and titles stay at the left (see chart_title).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from .messages import ENGLISH, Messages

MAX_PANELS = 36  # small multiples beyond this stop being readable; the largest areas are shown
_BAR = "#3b6ea5"
_OVER = "#c0392b"
_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
_LAYOUT = dict(template="none", font=dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=12),
               paper_bgcolor="white", plot_bgcolor="white", bargap=0.05, showlegend=False,
               margin=dict(l=60, r=20, t=40, b=50))


def chart_title(text: str, messages: Messages = ENGLISH, **extra: object) -> dict:
    """A figure title, at the left in every language: a chart keeps its left-to-right axes on a right-to-left
    page, and plotly's mode bar sits at the top right, where a right-aligned title would run under it."""
    return dict(text=text, x=0.01, **extra)


def _label(text: str) -> str:
    return html.escape(text, quote=False)


def figure_html(fig: go.Figure, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_CONFIG)


def _bins(values: np.ndarray, width_points: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Counts in bins of `width_points` percentage points over [0 %, 100 %] (100 % falls in the last bin), and
    the count above 100 % (ballots cast beyond the register)."""
    v = values[~np.isnan(values)]
    edges = np.arange(0, 100 + width_points, width_points) / 100.0
    counts, _ = np.histogram(v, bins=edges)
    return counts, edges, int(np.sum(v > 1.0))


def _bars(counts: np.ndarray, edges: np.ndarray, over: int, m: Messages = ENGLISH) -> list[dict]:
    """Bar traces as plain dicts (plotly's trace objects validate every key, which is slow for many panels)."""
    lo, hi = edges[:-1] * 100, edges[1:] * 100
    width = float(hi[0] - lo[0]) if len(lo) else 1.0
    ranges = [f"{a:.0f}–{b:.0f}%" for a, b in zip(lo, hi)]
    text = [m.ngettext("{range}: {n} station", "{range}: {n} stations", int(c), range=r)
            for r, c in zip(ranges, counts)]
    hover = "%{customdata}<extra></extra>"
    bars = [dict(type="bar", x=((lo + hi) / 2).tolist(), y=counts.tolist(), width=width, marker=dict(color=_BAR),
                 customdata=text, hovertemplate=hover)]
    if over:
        bars.append(dict(type="bar", x=[100 + width / 2 + width], y=[over], width=width, marker=dict(color=_OVER),
                         customdata=[m.ngettext("above 100%: {n} station", "above 100%: {n} stations", over)],
                         hovertemplate=hover))
    return bars


def turnout_histogram(turnout: np.ndarray, messages: Messages = ENGLISH) -> str:
    return figure_html(turnout_histogram_chart(turnout, messages), "fig-turnout")


def turnout_histogram_chart(turnout: np.ndarray, messages: Messages = ENGLISH) -> go.Figure:
    """Stations per 1-point turnout bin, those above 100 % as one red bar."""
    m = messages
    counts, edges, over = _bins(turnout, 1)
    fig = go.Figure(_bars(counts, edges, over, m))
    fig.update_layout(**_LAYOUT, height=380, title=chart_title(m.gettext("Turnout per station (1-point bins)"), m))
    fig.update_xaxes(title_text=m.gettext("turnout (ballots cast ÷ registered), %"),
                     range=[0, 104 if over else 100.5], gridcolor="#eee")
    fig.update_yaxes(title_text=m.gettext("stations"), gridcolor="#eee")
    return fig


def turnout_small_multiples(turnout: np.ndarray, codes: np.ndarray, titles: Sequence[str],
                            messages: Messages = ENGLISH) -> tuple[str, int]:
    """One panel per breakdown area (`codes` index into `titles`); returns the HTML and how many areas were left
    out because there are more than MAX_PANELS."""
    fig, left_out = turnout_small_multiples_chart(turnout, codes, titles, messages)
    if fig is None:
        return "", left_out
    html_div = pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id="fig-turnout-areas", config=_CONFIG,
                           validate=False)
    return html_div, left_out


def turnout_small_multiples_chart(turnout: np.ndarray, codes: np.ndarray, titles: Sequence[str],
                                  messages: Messages = ENGLISH) -> tuple[dict | None, int]:
    """The panels of `turnout_small_multiples` as a plotly figure dict (None when no area has a station), and
    how many areas were left out. A dict, not a go.Figure: json.dumps(fig) is its JSON.

    The grid is laid out here as a plain figure dict rather than with make_subplots, whose per-trace validation
    costs a second for 18 panels; the dict uses only documented layout keys (axis domain, anchor, matches)."""
    valid = ~np.isnan(turnout) & (codes >= 0)
    n_per = np.bincount(codes[valid], minlength=len(titles))
    shown = sorted(int(i) for i in np.argsort(-n_per, kind="stable")[:MAX_PANELS] if n_per[i] > 0)
    left_out = int(np.sum(n_per > 0)) - len(shown)
    if not shown:
        return None, left_out
    cols = min(3, len(shown))
    rows = math.ceil(len(shown) / cols)
    height = 170 * rows + 80
    hgap, vgap = 0.06, min(0.08, 0.45 / rows)
    w, h = (1 - hgap * (cols - 1)) / cols, (1 - vgap * (rows - 1)) / rows
    traces: list[dict] = []
    # no "template": a figure dict skips plotly.py's template resolution, and plotly.js's defaults are plain
    layout: dict = {**{k: v for k, v in _LAYOUT.items() if k != "template"}, "height": height,
                    "margin": dict(l=40, r=10, t=50, b=40), "annotations": []}
    for k, i in enumerate(shown):
        r, c = divmod(k, cols)
        x0, y1 = c * (w + hgap), 1 - r * (h + vgap)
        suffix = "" if k == 0 else str(k + 1)
        counts, edges, over = _bins(turnout[valid & (codes == i)], 2)
        for bar in _bars(counts, edges, over, messages):
            traces.append({**bar, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
        layout[f"xaxis{suffix}"] = dict(domain=[x0, x0 + w], anchor=f"y{suffix}", range=[0, 105], gridcolor="#eee",
                                        **({"matches": "x"} if k else {}))
        layout[f"yaxis{suffix}"] = dict(domain=[y1 - h, y1], anchor=f"x{suffix}", gridcolor="#eee", rangemode="tozero")
        layout["annotations"].append(dict(text=_label(f"{titles[i]} ({n_per[i]:,})"), x=x0 + w / 2, y=y1,
                                          xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                                          showarrow=False, font=dict(size=12)))
    return {"data": traces, "layout": layout}, left_out


def leading_share_histogram(share: np.ndarray, messages: Messages = ENGLISH) -> str:
    return figure_html(leading_share_chart(share, messages), "fig-leading-share")


def leading_share_chart(share: np.ndarray, messages: Messages = ENGLISH) -> go.Figure:
    """Stations per 1-point bin of the leading choice's share of the station's votes."""
    m = messages
    counts, edges, _ = _bins(share, 1)
    fig = go.Figure(_bars(counts, edges, 0, m))
    fig.update_layout(**_LAYOUT, height=340,
                      title=chart_title(m.gettext("Leading candidate's (or list's) share of the votes per station"),
                                        m))
    fig.update_xaxes(title_text=m.gettext("share of the station's votes, %"), range=[0, 100.5], gridcolor="#eee")
    fig.update_yaxes(title_text=m.gettext("stations"), gridcolor="#eee")
    return fig
