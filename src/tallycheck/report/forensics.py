"""The report's forensic section: the screen's election-wide fingerprints, its charts and the stations it
ranks most suspicious, with the injected truth beside them for synthetic elections.

    section = forensics_section(screen(t), truth=synthetic_truth(package, t))
    build_report(data, tab, out=..., extra_sections=(section,))

Like the other builders it reads no files: the screen and the truth are values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..forensics.from_package import SyntheticTruth
from ..forensics.screen import Screen, ranking_score, roc_auc
from .charts import chart_title, figure_html
from .html_page import ReportSection
from .markup import CellKind, Column, count, definition_list, esc, name, percent, table
from .messages import ENGLISH, Messages

TOP_STATIONS = 50
FINE_BINS = 1000  # 0.1 percentage point: a whole percentage's spike is one bar high above its neighbours
_BAR = "#3b6ea5"
_TRUE = "#c0392b"
_CONFIG = {"displaylogo": False, "responsive": True}
_LAYOUT: dict[str, Any] = dict(
    template="none",
    paper_bgcolor="white",
    plot_bgcolor="white",
    showlegend=False,
    font=dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=12),
    margin=dict(l=60, r=20, t=40, b=50),
)

NOT_PROOF = (  # English; the section shows it through the report catalog
    "A flag is a reason to look, not proof. Each method measures a pattern that fraud leaves, and each "
    "pattern has innocent causes too: a barracks or hospital station, a village that votes as one, a "
    "register that was never cleaned, a clerk who rounds. The screen says where to look first; only the "
    "papers, the witnesses and a recount say what happened."
)


def _num(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    if isinstance(x, (int, np.integer)):
        return count(x)
    return f"{x:.{digits}g}"


def _votes(x: Any) -> str:
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:,.0f}"


def _fine_counts(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, int]:
    """Stations per 0.1-point bin of num / den over [0, 100 %] (integer arithmetic, 100 % in the last bin),
    and how many lie above 100 %."""
    ok = den > 0
    num, den = num[ok], den[ok]
    over = int(np.sum(num > den))
    inside = num <= den
    b = np.minimum((FINE_BINS * num[inside]) // den[inside], FINE_BINS - 1)
    return np.bincount(b, minlength=FINE_BINS), over


def _fine_histogram(num: np.ndarray, den: np.ndarray, what: str, div_id: str, m: Messages = ENGLISH) -> str:
    return figure_html(fine_histogram_chart(num, den, what, m), div_id)


def fine_histogram_chart(num: np.ndarray, den: np.ndarray, what: str, messages: Messages = ENGLISH) -> go.Figure:
    """Stations per 0.1-point bin of num / den (`what`: the quantity's name in the title and axis, in the
    language of `messages`); a spike at a whole percentage stands one bar above its neighbours."""
    m = messages
    counts, over = _fine_counts(num, den)
    x = (np.arange(FINE_BINS) + 0.5) / 10
    hover = m.gettext("{value}: {stations} stations", value="%{x:.2f}%", stations="%{y}")
    fig = go.Figure([dict(type="bar", x=x.tolist(), y=counts.tolist(), width=0.1, marker=dict(color=_BAR),
                          hovertemplate=f"{hover}<extra></extra>")])
    title = m.gettext("{what} per station, 0.1-point bins", what=what)
    if over:
        title += m.ngettext(" ({n} above 100% not drawn)", " ({n} above 100% not drawn)", over)
    fig.update_layout(**_LAYOUT, height=320, bargap=0, title=chart_title(title, m))
    fig.update_xaxes(title_text=m.gettext("{what}, %", what=what), range=[0, 100.2], dtick=10, gridcolor="#eee")
    fig.update_yaxes(title_text=m.gettext("stations"), gridcolor="#eee")
    return fig


def _fingerprint_heatmap(s: Screen, m: Messages = ENGLISH) -> str:
    return figure_html(fingerprint_chart(s, m), "fig-forensic-fingerprint")


def fingerprint_chart(s: Screen, messages: Messages = ENGLISH) -> go.Figure:
    """The election fingerprint: stations by turnout and the leader's share, on a log colour scale (the screen
    must have a fingerprint)."""
    m = messages
    fp = s.fingerprint
    if fp is None:
        raise ValueError("This screen has no fingerprint (it was run without one): there is nothing to draw.")
    centres = ((fp.edges[:-1] + fp.edges[1:]) / 2 * 100).round(2).tolist()
    z = np.log10(1 + fp.counts.T)  # rows: share, columns: turnout
    hover = m.gettext("turnout {turnout}, leader {share}: {stations} stations", turnout="%{x}%", share="%{y}%",
                      stations="%{customdata}")
    fig = go.Figure(
        go.Heatmap(
            x=centres,
            y=centres,
            z=z.round(3).tolist(),
            colorscale="Viridis",
            customdata=fp.counts.T.tolist(),
            showscale=True,
            colorbar=dict(title=dict(text=m.gettext("log10(1 + stations)"))),
            hovertemplate=f"{hover}<extra></extra>",
        )
    )
    fig.update_layout(**_LAYOUT, height=480,
                      title=chart_title(m.gettext("Election fingerprint: stations by turnout and the leader's share"),
                                        m))
    fig.update_xaxes(title_text=m.gettext("turnout, %"), range=[0, 100])
    fig.update_yaxes(title_text=m.gettext("leader's share, %"), range=[0, 100])
    return fig


def _last_digit_html(s: Screen, m: Messages = ENGLISH) -> str:
    return figure_html(last_digit_chart(s, m), "fig-forensic-digits")


def last_digit_chart(s: Screen, messages: Messages = ENGLISH) -> go.Figure:
    """The share of each last digit among the counts of ballots and of the leader's votes (10 and above)."""
    m = messages
    t = s.table
    traces = []
    hover = m.gettext("last digit {digit}: {share}", digit="%{x}", share="%{y:.2%}")
    for label, values, colour in ((m.gettext("ballots"), t.ballots, _BAR), (m.gettext("leader"), t.leader, "#e08a00")):
        v = values[values >= 10]
        share = np.bincount(v % 10, minlength=10) / max(len(v), 1)
        traces.append(dict(type="bar", name=m.gettext("{what} ({n} counts ≥ 10)", what=label, n=count(len(v))),
                           x=list(range(10)), y=share.round(5).tolist(), marker=dict(color=colour),
                           hovertemplate=f"{hover}<extra></extra>"))
    fig = go.Figure(traces)
    fig.add_hline(y=0.1, line=dict(color="#555", dash="dash"), annotation_text=m.gettext("uniform: 10%"))
    fig.update_layout(
        **{**_LAYOUT, "showlegend": True},
        height=320,
        barmode="group",
        title=chart_title(m.gettext("Last digits of the counts"), m),
        legend=dict(orientation="h", y=-0.25),
    )
    fig.update_xaxes(title_text=m.gettext("last digit"), dtick=1)
    fig.update_yaxes(title_text=m.gettext("share of counts"), tickformat=".0%", gridcolor="#eee")
    return fig


def _fingerprints_table(summary: dict[str, Any], m: Messages) -> str:
    rows: list[tuple[object, ...]] = []
    ip = summary["integer_percentages"]
    words = {"turnout": m.gettext("Integer percentages: turnout"),
             "leader": m.gettext("Integer percentages: leader's share"),
             "either": m.gettext("Integer percentages: either")}
    for what in ("turnout", "leader", "either"):
        if f"observed_{what}" in ip:
            rows.append(
                (
                    words[what],
                    m.gettext("{observed} stations observed, {expected} expected; excess {excess}",
                              observed=_num(ip[f"observed_{what}"]), expected=_num(ip[f"expected_{what}"], 6),
                              excess=_num(ip[f"excess_{what}"], 4)),
                    _num(ip.get(f"p_value_{what}"), 2),
                )
            )
    k = summary["klimek_fit"]
    if k:
        rows.append((m.gettext("Klimek et al. model"),
                     m.gettext("incremental fraud f_i = {f_i}, extreme fraud f_e = {f_e}, α = {alpha}",
                               f_i=_num(k["f_i"]), f_e=_num(k["f_e"]), alpha=_num(k["alpha"])), "—"))
    mx = summary["mixture"]
    if mx:
        rows.append((m.gettext("Finite-mixture model"),
                     m.gettext("no fraud {none}, incremental {incremental}, extreme {extreme} of stations; about "
                               "{votes} fraudulent votes", none=percent(mx["pi_none"]),
                               incremental=percent(mx["pi_incremental"]), extreme=percent(mx["pi_extreme"]),
                               votes=_votes(mx["fraudulent_votes"])), "—"))
    return table([Column(m.gettext("Fingerprint")), Column(m.gettext("Estimate")),
                  Column(m.gettext("p-value / interval"))], rows)


def _digits_html(summary: dict[str, Any], m: Messages) -> str:
    outside_word, inside_word = m.gettext("outside"), m.gettext("inside")
    rows = [(test, col, _num(v.get("value"), 4), _num(v.get("expected"), 4),
             f"{_num(v.get('ci_low'), 4)}–{_num(v.get('ci_high'), 4)}", _num(v.get("n")),
             outside_word if v.get("outside_ci") else inside_word)
            for test, by_col in summary["digits"].items() for col, v in by_col.items()]
    outside = sum(r[-1] == outside_word for r in rows)
    # the test names (2BL, LastC, C05s, P05s) and the columns tested are the toolkit's identifiers
    body = table([Column(m.gettext("Test")), Column(m.gettext("Counts of")), Column(m.gettext("Value")),
                  Column(m.gettext("Expected")), Column(m.gettext("95% interval (bootstrap)")),
                  Column(m.gettext("Counts")), Column(m.gettext("Expected value"))], rows)
    return (
        "<details><summary>"
        + m.gettext("Digit tests (Election Forensics Toolkit): {outside} of {total} statistics lie outside their "
                    "interval", outside=outside, total=len(rows))
        + '</summary><p class="muted">'
        + m.gettext("2BL: mean second digit (Benford: 4.187); LastC: mean last digit (4.5); C05s and P05s: shares "
                    "of counts and of whole percentages ending in 0 or 5 (0.2). Deckert, Myagkov &amp; Ordeshook "
                    "(2011) show that clean elections can fail these tests and fraudulent ones pass them: read them "
                    "as prompts, never as findings. Where many counts are small (a minor candidate's few votes, a "
                    "small contest's sheets), LastC and C05s fall away from 4.5 and 0.2 without any fraud: a clean "
                    "synthetic election fails them too (docs/methods.md).")
        + "</p>" + body + "</details>"
    )


def _stations_table(s: Screen, truth: SyntheticTruth | None, m: Messages) -> str:
    t = s.table
    idx = s.ranking()[:TOP_STATIONS]
    cols = [Column("#", CellKind.COUNT), Column(m.gettext("Station"), CellKind.CODE)]
    if t.contest is not None:
        cols.append(Column(m.gettext("Contest"), CellKind.CODE))
    cols += [
        Column(m.gettext("Region"), CellKind.NAME),
        Column(m.gettext("Score")),
        Column(m.gettext("q-value")),
        # the reasons are the methods' identifiers (docs/methods.md)
        Column(m.gettext("Reasons"), CellKind.NAME),
    ]
    if truth is not None:
        cols.append(Column(m.gettext("Injected (truth)"), CellKind.CODE))
    rows = []
    for rank, i in enumerate(idx.tolist(), start=1):
        row: list[object] = [rank, t.station_id[i]]
        if t.contest is not None:
            row.append(t.contest[i])
        row += [t.region[i], _num(s.score[i], 3), _num(s.q_value[i], 2), s.reasons[i] or "—"]
        if truth is not None:
            row.append(truth.label[i] or "—")
        rows.append(row)
    return table(cols, rows, caption=m.ngettext("The {n} highest-ranked station (by q-value, then combined p)",
                                                "The {n} highest-ranked stations (by q-value, then combined p)",
                                                len(rows)))


def _truth_html(s: Screen, truth: SyntheticTruth, m: Messages) -> str:
    flagged = s.flagged()
    labels = list(truth.labels)
    alpha = f"{s.alpha:g}"
    # the injected labels (clean, stuffing, moved, rounded) are tallycheck.synth's identifiers
    cols = [Column(m.gettext("Injected"), CellKind.CODE), Column(m.gettext("Stations"), CellKind.COUNT),
            Column(m.gettext("Flagged (q ≤ {alpha})", alpha=alpha), CellKind.COUNT),
            Column(m.gettext("Share flagged"), CellKind.PERCENT)]
    method_cols = [Column(f"{e.method} p ≤ {alpha}", CellKind.PERCENT) for e in s.evidence]
    rows = []
    for lab in labels:
        mask = truth.label == lab
        per_method = []
        for e in s.evidence:
            with np.errstate(invalid="ignore"):
                per_method.append(float(np.mean(e.p_value[mask] <= s.alpha)) if mask.any() else None)
        rows.append(
            (
                lab,
                int(mask.sum()),
                int((mask & flagged).sum()),
                float(np.mean(flagged[mask])) if mask.any() else None,
                *per_method,
            )
        )
    clean = truth.label == "clean"
    false_share = float(np.mean(clean[flagged])) if flagged.any() else None
    clean_flagged = float(np.mean(flagged[clean])) if clean.any() else None
    note = (
        "<p>"
        + m.gettext("This election is synthetic: tallycheck.synth injected the labels below, so the screen can be "
                    "scored. Of the {flagged} flagged stations, {false_share} were injected clean (the false "
                    "discovery proportion, which the screen keeps below {alpha} on average); {clean_flagged} of "
                    "the clean stations were flagged.", flagged=count(int(flagged.sum())),
                    false_share=percent(false_share), alpha=alpha, clean_flagged=percent(clean_flagged))
        + "</p>"
    )
    fraud = np.isin(truth.label, ("stuffing", "moved", "rounded"))
    scored = fraud | clean
    aucs = [(m.gettext("combined (the ranking)"), roc_auc(ranking_score(s.combined_p)[scored], fraud[scored]))]
    aucs += [(e.method, roc_auc(ranking_score(e.p_value)[scored], fraud[scored])) for e in s.evidence]
    auc_table = table(
        [Column(m.gettext("Ranking by")), Column(m.gettext("ROC AUC, injected fraud against clean"))],
        [(method, _num(a, 3)) for method, a in aucs],
        caption=m.gettext("How well each ranking puts falsified stations above clean ones (0.5: no better than "
                          "chance; 1: every falsified station first)"),
    )
    return (
        note
        + table(
            cols + method_cols,
            rows,
            caption=m.gettext("Detection by injected label: the whole screen, then each method on its own"),
        )
        + auc_table
    )


def forensics_section(screen: Screen, truth: SyntheticTruth | None = None, *,
                      messages: Messages = ENGLISH) -> ReportSection:
    """The forensic screen as a report section (charts embed no data beyond binned counts)."""
    m = messages
    s = screen
    t = s.table
    summary = s.summary(top=0)
    flagged = int(s.flagged().sum())
    alpha = f"{s.alpha:g}"
    methods = esc(", ".join(e.method for e in s.evidence))
    facts = [
        (m.gettext("Stations screened"), count(len(t))),
        (m.gettext("Screened choice"), name(t.leader_name)),
        (
            m.gettext("Flagged"),
            m.gettext("{n} at a false discovery rate of {alpha} (Benjamini–Hochberg over the stations' combined "
                      "p-values)", n=count(flagged), alpha=alpha),
        ),
        (
            m.gettext("Methods combined"),
            m.gettext("{methods} — per station Simes' combination of the p-values of the methods that tested it",
                      methods=methods)
            if s.combination == "simes" else
            m.gettext("{methods} — per station the smallest p-value times the number of methods that tested it "
                      "(Bonferroni)", methods=methods),
        ),
        (m.gettext("Seed"), str(s.seed)),
    ]
    not_proof = m.gettext(
        "A flag is a reason to look, not proof. Each method measures a pattern that fraud leaves, and each "
        "pattern has innocent causes too: a barracks or hospital station, a village that votes as one, a "
        "register that was never cleaned, a clerk who rounds. The screen says where to look first; only the "
        "papers, the witnesses and a recount say what happened.")
    parts = [f'<p class="flag">{esc(not_proof)}</p>', definition_list(facts)]
    for method, why in summary["not_applicable"].items():
        # the reason is the screen's own English (forensics.screen), like the validator's messages
        parts.append('<p class="muted">' + m.gettext("Not run: {method} — {why}.", method=code_text(method),
                                                     why=esc(why)) + "</p>")
    parts.append("<h3>" + m.gettext("Election-wide fingerprints") + "</h3>")
    parts.append(_fingerprints_table(summary, m))
    parts.append(_digits_html(summary, m))
    if s.fingerprint is not None and s.fingerprint.n_stations:
        parts.append(
            "<p>" + m.gettext("Clean elections draw one compact cloud; ballot stuffing and rewritten protocols smear "
                              "it towards the top right and pile stations up at 100% turnout and 100% for the "
                              "leader (Klimek et al. 2012).") + "</p>"
        )
        parts.append(f'<div class="chart">{_fingerprint_heatmap(s, m)}</div>')
    with_register = t.registered > 0
    if with_register.any():
        parts.append(
            "<p>" + m.gettext("At 0.1-point bins a spike at a whole percentage (or at multiples of 5) means "
                              "protocols written to a target rather than counted (Kobak, Shpilkin &amp; "
                              "Pshenichnikov 2016).") + "</p>"
        )
        turnout = _fine_histogram(t.ballots[with_register], t.registered[with_register], m.gettext("Turnout"),
                                  "fig-forensic-turnout", m)
        parts.append(f'<div class="chart">{turnout}</div>')
    share = _fine_histogram(t.leader, t.share_base, m.gettext("Leader share"), "fig-forensic-share", m)
    parts.append(f'<div class="chart">{share}</div>')
    parts.append(f'<div class="chart">{_last_digit_html(s, m)}</div>')
    parts.append("<h3>" + m.gettext("Methods") + "</h3>")
    parts.append(table([Column(m.gettext("Method"), CellKind.CODE),
                        Column(m.gettext("Stations tested"), CellKind.COUNT),
                        Column(f"p ≤ {alpha}", CellKind.COUNT)],
                       [(method, v["tested"], v["significant"]) for method, v in summary["methods"].items()]))
    if truth is not None:
        parts.append("<h3>" + m.gettext("Against the injected truth") + "</h3>")
        parts.append(_truth_html(s, truth, m))
    parts.append("<h3>" + m.gettext("Most suspicious stations") + "</h3>")
    parts.append("<p>" + m.ngettext(
        "{n} station flagged. The score is −log10 of the station's combined p-value; the reasons are the methods "
        "whose own p-value is at most {alpha}.",
        "{n} stations flagged. The score is −log10 of the station's combined p-value; the reasons are the methods "
        "whose own p-value is at most {alpha}.", flagged, alpha=alpha) + "</p>")
    parts.append(_stations_table(s, truth, m))
    regions = summary["regions"]
    if len(regions) > 1:
        parts.append("<details><summary>" + m.gettext("By region") + "</summary>")
        parts.append(
            table(
                [
                    Column(m.gettext("Region"), CellKind.NAME),
                    Column(m.gettext("Stations"), CellKind.COUNT),
                    Column(m.gettext("Flagged"), CellKind.COUNT),
                    Column(m.gettext("Turnout"), CellKind.PERCENT),
                    Column(m.gettext("Leader share"), CellKind.PERCENT),
                    Column(m.gettext("Integer-% excess (either)")),
                ],
                [
                    (
                        r["region"] or m.gettext("(none)"),
                        r["stations"],
                        r["flagged"],
                        r["turnout"],
                        r["leader_share"],
                        _num((r.get("integer_percentages") or {}).get("excess_either"), 4),
                    )
                    for r in regions
                ],
            )
        )
        parts.append("</details>")
    return ReportSection("forensics", m.gettext("Forensic screen"), "\n".join(parts))


def code_text(value: object) -> str:
    return f"<code>{esc(value)}</code>"
