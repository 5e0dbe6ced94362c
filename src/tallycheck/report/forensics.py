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
from .charts import figure_html
from .html_page import ReportSection
from .markup import CellKind, Column, count, definition_list, esc, percent, plural, table

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

NOT_PROOF = (
    "A flag is a reason to look, not proof. Each method measures a pattern that fraud leaves, and each "
    "pattern has innocent causes too: a barracks or hospital station, a village that votes as one, a "
    "register that was never cleaned, a clerk who rounds. The screen says where to look first; only the "
    "papers, the witnesses and a recount say what happened."
)


def _num(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
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


def _fine_histogram(num: np.ndarray, den: np.ndarray, what: str, div_id: str) -> str:
    return figure_html(fine_histogram_chart(num, den, what), div_id)


def fine_histogram_chart(num: np.ndarray, den: np.ndarray, what: str) -> go.Figure:
    """Stations per 0.1-point bin of num / den (`what`: the quantity's name in the title and axis); a spike at a
    whole percentage stands one bar above its neighbours."""
    counts, over = _fine_counts(num, den)
    x = (np.arange(FINE_BINS) + 0.5) / 10
    fig = go.Figure([dict(type="bar", x=x.tolist(), y=counts.tolist(), width=0.1, marker=dict(color=_BAR),
                          hovertemplate="%{x:.2f}%: %{y} stations<extra></extra>")])
    fig.update_layout(**_LAYOUT, height=320, bargap=0,
                      title=dict(text=f"{what} per station, 0.1-point bins"
                                 + (f" ({over:,} above 100% not drawn)" if over else ""), x=0.01))
    fig.update_xaxes(title_text=f"{what}, %", range=[0, 100.2], dtick=10, gridcolor="#eee")
    fig.update_yaxes(title_text="stations", gridcolor="#eee")
    return fig


def _fingerprint_heatmap(s: Screen) -> str:
    return figure_html(fingerprint_chart(s), "fig-forensic-fingerprint")


def fingerprint_chart(s: Screen) -> go.Figure:
    """The election fingerprint: stations by turnout and the leader's share, on a log colour scale (the screen
    must have a fingerprint)."""
    fp = s.fingerprint
    if fp is None:
        raise ValueError("This screen has no fingerprint (it was run without one): there is nothing to draw.")
    centres = ((fp.edges[:-1] + fp.edges[1:]) / 2 * 100).round(2).tolist()
    z = np.log10(1 + fp.counts.T)  # rows: share, columns: turnout
    fig = go.Figure(
        go.Heatmap(
            x=centres,
            y=centres,
            z=z.round(3).tolist(),
            colorscale="Viridis",
            customdata=fp.counts.T.tolist(),
            showscale=True,
            colorbar=dict(title=dict(text="log10(1 + stations)")),
            hovertemplate="turnout %{x}%, leader %{y}%: %{customdata} stations<extra></extra>",
        )
    )
    fig.update_layout(**_LAYOUT, height=480, title=dict(text="Election fingerprint: stations by turnout and "
                                                             "the leader's share", x=0.01))
    fig.update_xaxes(title_text="turnout, %", range=[0, 100])
    fig.update_yaxes(title_text="leader's share, %", range=[0, 100])
    return fig


def _last_digit_html(s: Screen) -> str:
    return figure_html(last_digit_chart(s), "fig-forensic-digits")


def last_digit_chart(s: Screen) -> go.Figure:
    """The share of each last digit among the counts of ballots and of the leader's votes (10 and above)."""
    t = s.table
    traces = []
    for name, values, colour in (("ballots", t.ballots, _BAR), ("leader", t.leader, "#e08a00")):
        v = values[values >= 10]
        share = np.bincount(v % 10, minlength=10) / max(len(v), 1)
        traces.append(dict(type="bar", name=f"{name} ({len(v):,} counts ≥ 10)", x=list(range(10)),
                           y=share.round(5).tolist(), marker=dict(color=colour),
                           hovertemplate="last digit %{x}: %{y:.2%}<extra></extra>"))
    fig = go.Figure(traces)
    fig.add_hline(y=0.1, line=dict(color="#555", dash="dash"), annotation_text="uniform: 10%")
    fig.update_layout(
        **{**_LAYOUT, "showlegend": True},
        height=320,
        barmode="group",
        title=dict(text="Last digits of the counts", x=0.01),
        legend=dict(orientation="h", y=-0.25),
    )
    fig.update_xaxes(title_text="last digit", dtick=1)
    fig.update_yaxes(title_text="share of counts", tickformat=".0%", gridcolor="#eee")
    return fig


def _fingerprints_table(summary: dict[str, Any]) -> str:
    rows: list[tuple[object, ...]] = []
    ip = summary["integer_percentages"]
    for what, word in (("turnout", "turnout"), ("leader", "leader's share"), ("either", "either")):
        if f"observed_{what}" in ip:
            rows.append(
                (
                    f"Integer percentages: {word}",
                    f"{_num(ip[f'observed_{what}'])} stations observed, "
                    f"{_num(ip[f'expected_{what}'], 6)} expected; excess {_num(ip[f'excess_{what}'], 4)}",
                    _num(ip.get(f"p_value_{what}"), 2),
                )
            )
    k = summary["klimek_fit"]
    if k:
        rows.append(("Klimek et al. model", f"incremental fraud f_i = {_num(k['f_i'])}, extreme fraud f_e = "
                     f"{_num(k['f_e'])}, α = {_num(k['alpha'])}", "—"))
    m = summary["mixture"]
    if m:
        rows.append(("Finite-mixture model", f"no fraud {percent(m['pi_none'])}, incremental "
                     f"{percent(m['pi_incremental'])}, extreme {percent(m['pi_extreme'])} of stations; "
                     f"about {_votes(m['fraudulent_votes'])} fraudulent votes", "—"))
    return table([Column("Fingerprint"), Column("Estimate"), Column("p-value / interval")], rows)


def _digits_html(summary: dict[str, Any]) -> str:
    rows = [(test, col, _num(v.get("value"), 4), _num(v.get("expected"), 4),
             f"{_num(v.get('ci_low'), 4)}–{_num(v.get('ci_high'), 4)}", _num(v.get("n")),
             "outside" if v.get("outside_ci") else "inside")
            for test, by_col in summary["digits"].items() for col, v in by_col.items()]
    outside = sum(r[-1] == "outside" for r in rows)
    body = table([Column("Test"), Column("Counts of"), Column("Value"), Column("Expected"),
                  Column("95% interval (bootstrap)"), Column("Counts"), Column("Expected value")], rows)
    return (
        f"<details><summary>Digit tests (Election Forensics Toolkit): {outside} of {len(rows)} statistics "
        'lie outside their interval</summary><p class="muted">2BL: mean second digit (Benford: 4.187); '
        "LastC: mean last digit (4.5); C05s and P05s: shares of counts and of whole percentages ending in 0 "
        "or 5 (0.2). Deckert, Myagkov &amp; Ordeshook (2011) show that clean elections can fail these tests "
        "and fraudulent ones pass them: read them as prompts, never as findings. Where many counts are small "
        "(a minor candidate's few votes, a small contest's sheets), LastC and C05s fall away from 4.5 and 0.2 "
        "without any fraud: a clean synthetic election fails them too (docs/methods.md).</p>" + body + "</details>"
    )


def _stations_table(s: Screen, truth: SyntheticTruth | None) -> str:
    t = s.table
    idx = s.ranking()[:TOP_STATIONS]
    cols = [Column("#", CellKind.COUNT), Column("Station", CellKind.CODE)]
    if t.contest is not None:
        cols.append(Column("Contest", CellKind.CODE))
    cols += [
        Column("Region", CellKind.NAME),
        Column("Score"),
        Column("q-value"),
        Column("Reasons", CellKind.NAME),
    ]
    if truth is not None:
        cols.append(Column("Injected (truth)"))
    rows = []
    for rank, i in enumerate(idx.tolist(), start=1):
        row: list[object] = [rank, t.station_id[i]]
        if t.contest is not None:
            row.append(t.contest[i])
        row += [t.region[i], _num(s.score[i], 3), _num(s.q_value[i], 2), s.reasons[i] or "—"]
        if truth is not None:
            row.append(truth.label[i] or "—")
        rows.append(row)
    return table(cols, rows, caption=f"The {len(rows)} highest-ranked stations (by q-value, then combined p)")


def _truth_html(s: Screen, truth: SyntheticTruth) -> str:
    flagged = s.flagged()
    labels = list(truth.labels)
    cols = [Column("Injected"), Column("Stations", CellKind.COUNT), Column(f"Flagged (q ≤ {s.alpha:g})",
                                                                            CellKind.COUNT),
            Column("Share flagged", CellKind.PERCENT)]
    method_cols = [Column(f"{e.method} p ≤ {s.alpha:g}", CellKind.PERCENT) for e in s.evidence]
    rows = []
    for lab in labels:
        m = truth.label == lab
        per_method = []
        for e in s.evidence:
            with np.errstate(invalid="ignore"):
                per_method.append(float(np.mean(e.p_value[m] <= s.alpha)) if m.any() else None)
        rows.append(
            (
                lab,
                int(m.sum()),
                int((m & flagged).sum()),
                float(np.mean(flagged[m])) if m.any() else None,
                *per_method,
            )
        )
    clean = truth.label == "clean"
    false_share = float(np.mean(clean[flagged])) if flagged.any() else None
    clean_flagged = float(np.mean(flagged[clean])) if clean.any() else None
    note = (
        f"<p>This election is synthetic: tallycheck.synth injected the labels below, so the screen can be "
        f"scored. Of the {count(int(flagged.sum()))} flagged stations, {percent(false_share)} were injected "
        f"clean (the false discovery proportion, which the screen keeps below {s.alpha:g} on average); "
        f"{percent(clean_flagged)} of the clean stations were flagged.</p>"
    )
    fraud = np.isin(truth.label, ("stuffing", "moved", "rounded"))
    scored = fraud | clean
    aucs = [("combined (the ranking)", roc_auc(ranking_score(s.combined_p)[scored], fraud[scored]))]
    aucs += [(e.method, roc_auc(ranking_score(e.p_value)[scored], fraud[scored])) for e in s.evidence]
    auc_table = table(
        [Column("Ranking by"), Column("ROC AUC, injected fraud against clean")],
        [(m, _num(a, 3)) for m, a in aucs],
        caption="How well each ranking puts falsified stations above clean ones (0.5: no better "
        "than chance; 1: every falsified station first)",
    )
    return (
        note
        + table(
            cols + method_cols,
            rows,
            caption="Detection by injected label: the whole screen, then each method on its own",
        )
        + auc_table
    )


def forensics_section(screen: Screen, truth: SyntheticTruth | None = None) -> ReportSection:
    """The forensic screen as a report section (charts embed no data beyond binned counts)."""
    s = screen
    t = s.table
    summary = s.summary(top=0)
    flagged = int(s.flagged().sum())
    facts = [
        ("Stations screened", count(len(t))),
        ("Screened choice", esc(t.leader_name)),
        (
            "Flagged",
            f"{count(flagged)} at a false discovery rate of {s.alpha:g} "
            f"(Benjamini–Hochberg over the stations' combined p-values)",
        ),
        (
            "Methods combined",
            esc(", ".join(e.method for e in s.evidence)) + (
                " — per station Simes' combination of the p-values of the methods that tested it"
                if s.combination == "simes" else
                " — per station the smallest p-value times the number of methods that tested it (Bonferroni)"),
        ),
        ("Seed", str(s.seed)),
    ]
    parts = [f'<p class="flag">{esc(NOT_PROOF)}</p>', definition_list(facts)]
    for method, why in summary["not_applicable"].items():
        parts.append(f'<p class="muted">Not run: {esc(method)} — {esc(why)}.</p>')
    parts.append("<h3>Election-wide fingerprints</h3>")
    parts.append(_fingerprints_table(summary))
    parts.append(_digits_html(summary))
    if s.fingerprint is not None and s.fingerprint.n_stations:
        parts.append(
            "<p>Clean elections draw one compact cloud; ballot stuffing and rewritten protocols smear it "
            "towards the top right and pile stations up at 100% turnout and 100% for the leader "
            "(Klimek et al. 2012).</p>"
        )
        parts.append(f'<div class="chart">{_fingerprint_heatmap(s)}</div>')
    with_register = t.registered > 0
    if with_register.any():
        parts.append(
            "<p>At 0.1-point bins a spike at a whole percentage (or at multiples of 5) means protocols "
            "written to a target rather than counted (Kobak, Shpilkin &amp; Pshenichnikov 2016).</p>"
        )
        turnout = _fine_histogram(t.ballots[with_register], t.registered[with_register], "Turnout",
                                  "fig-forensic-turnout")
        parts.append(f'<div class="chart">{turnout}</div>')
    share = _fine_histogram(t.leader, t.share_base, "Leader share", "fig-forensic-share")
    parts.append(f'<div class="chart">{share}</div>')
    parts.append(f'<div class="chart">{_last_digit_html(s)}</div>')
    parts.append("<h3>Methods</h3>")
    parts.append(table([Column("Method"), Column("Stations tested", CellKind.COUNT),
                        Column(f"p ≤ {s.alpha:g}", CellKind.COUNT)],
                       [(m, v["tested"], v["significant"]) for m, v in summary["methods"].items()]))
    if truth is not None:
        parts.append("<h3>Against the injected truth</h3>")
        parts.append(_truth_html(s, truth))
    parts.append("<h3>Most suspicious stations</h3>")
    parts.append(f"<p>{plural(flagged, 'station')} flagged. The score is −log10 of the station's combined "
                 "p-value; the reasons are the methods whose own p-value is at most "
                 f"{s.alpha:g}.</p>")
    parts.append(_stations_table(s, truth))
    regions = summary["regions"]
    if len(regions) > 1:
        parts.append("<details><summary>By region</summary>")
        parts.append(
            table(
                [
                    Column("Region", CellKind.NAME),
                    Column("Stations", CellKind.COUNT),
                    Column("Flagged", CellKind.COUNT),
                    Column("Turnout", CellKind.PERCENT),
                    Column("Leader share", CellKind.PERCENT),
                    Column("Integer-% excess (either)"),
                ],
                [
                    (
                        r["region"] or "(none)",
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
    return ReportSection("forensics", "Forensic screen", "\n".join(parts))
