"""Page assembly: one self-contained HTML file with its CSS, plotly.js (embedded once) and a table of contents.

The page never reaches the network: no fonts, stylesheets or scripts are fetched, and a Content-Security-Policy
forbids any fetch, so it opens the same on an air-gapped laptop as in a newsroom.

The page takes the language and direction of its `Messages` (`<html lang="ar" dir="rtl">`); the CSS uses logical
properties (inline-start, text-align: start) so an Arabic page mirrors without a second stylesheet. Numbers,
identifiers and commands stay left to right inside right-to-left text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from plotly.offline import get_plotlyjs

from .markup import esc
from .messages import ENGLISH, Messages

_SECTION_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
PLOTLY_SCRIPT_ID = "plotly-js"

# No network: 'none' by default. Inline scripts and styles are the page itself; plotly.js injects styles and
# exports PNGs through blob: and data: URLs.
_CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'")


@dataclass(frozen=True, slots=True)
class ReportSection:
    """A part of the report. `html` is markup the capability built itself and trusts: every value it took from a
    package must already be escaped (`tallycheck.report.markup.esc`). Figures: `fig.to_html(full_html=False,
    include_plotlyjs=False)`, since the page embeds plotly.js once."""

    id: str
    title: str
    html: str

    def __post_init__(self) -> None:
        if not _SECTION_ID.fullmatch(self.id):
            raise ValueError(f"Report section id {self.id!r} must start with a letter and hold only letters, digits, "
                             f"'-' and '_' (at most 64 characters): it becomes the section's anchor.")


CSS = """
:root { --ink: #1d232b; --muted: #5b6673; --rule: #d5dbe1; --band: #f4f6f8; --accent: #3b6ea5; --warn: #8a4b00; }
* { box-sizing: border-box; }
html { font-size: 15px; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Naskh Arabic", Tahoma, Arial,
       sans-serif; color: var(--ink); background: #fff; margin: 0; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid var(--rule); }
h3 { font-size: 1.08rem; margin: 1.4rem 0 .4rem; }
h4 { font-size: 1rem; margin: 1rem 0 .3rem; }
p { margin: .4rem 0 .7rem; }
.muted, caption { color: var(--muted); }
code, .hash { unicode-bidi: isolate; direction: ltr;
              font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
              font-size: .88em; }
.hash { word-break: break-all; background: var(--band); padding: .1rem .3rem; border-radius: 3px; }
header.report { border-bottom: 3px solid var(--accent); padding-bottom: .8rem; margin-bottom: 1rem; }
.evidence { background: var(--band); border: 1px solid var(--rule); border-radius: 6px; padding: .6rem .9rem;
            margin: .8rem 0; }
.evidence .warning { color: var(--warn); font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .3rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
nav.toc ol { columns: 2; margin: .3rem 0; padding-inline-start: 1.4rem; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
table.data { border-collapse: collapse; margin: .4rem 0 1rem; font-variant-numeric: tabular-nums; }
table.data caption { text-align: start; font-size: .9rem; padding: .2rem 0; caption-side: top; }
table.data th, table.data td { padding: .25rem .6rem; border-bottom: 1px solid var(--rule); text-align: start;
                               vertical-align: top; }
table.data th { background: var(--band); font-weight: 600; }
table.data tbody tr:nth-child(even) { background: #fafbfc; }
table.data tfoot td { font-weight: 600; border-top: 2px solid var(--rule); }
/* numbers align on their last digit and read left to right in both directions, as on the published sheets */
table.data .num { text-align: right; direction: ltr; white-space: nowrap; }
table.summary td:first-child { color: var(--muted); }
details { border: 1px solid var(--rule); border-radius: 6px; margin: .45rem 0; padding: .3rem .8rem; }
details > summary { cursor: pointer; font-weight: 600; padding: .2rem 0; }
details[open] > summary { margin-bottom: .3rem; }
.contest { margin-bottom: 1rem; }
.contest-facts { color: var(--muted); font-size: .92rem; }
.synthetic { background: #fff3cd; border: 1px solid #e0b100; border-radius: 6px; padding: .4rem .8rem;
             font-weight: 700; }
.none { color: #256029; font-weight: 600; }
.flag { color: var(--warn); font-weight: 600; }
.chart { margin: .5rem 0 1.2rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--rule);
         padding-top: .6rem; }
@media print {
  html { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav.toc ol { columns: 2; }
  h2 { break-after: avoid; }
  table.data, .chart, details, .contest { break-inside: avoid; }
  details { border: none; padding: 0; }
  .modebar-container { display: none !important; }
}
"""

# Printing shows every collapsed part: open all <details> before the print dialogue renders the page.
_PRINT_SCRIPT = ("window.addEventListener('beforeprint', function () {"
                 " document.querySelectorAll('details').forEach(function (d) { d.open = true; }); });")


def toc(sections: Sequence[ReportSection], messages: Messages = ENGLISH) -> str:
    items = "".join(f'<li><a href="#{esc(s.id)}">{esc(s.title)}</a></li>' for s in sections)
    contents = esc(messages.gettext("Contents"))
    return f'<nav class="toc" aria-label="{contents}"><h2 id="contents">{contents}</h2><ol>{items}</ol></nav>'


def page(title: str, header_html: str, sections: Sequence[ReportSection], footer_html: str, generator: str, *,
         messages: Messages = ENGLISH) -> str:
    seen: set[str] = {"contents"}
    for s in sections:
        if s.id in seen:
            raise ValueError(f"Two report sections share the id {s.id!r}: each needs its own anchor.")
        seen.add(s.id)
    body = "\n".join(f'<section id="{esc(s.id)}">\n<h2>{esc(s.title)}</h2>\n{s.html}\n</section>' for s in sections)
    return f"""<!DOCTYPE html>
<html lang="{esc(messages.locale.replace('_', '-'))}" dir="{messages.direction}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="generator" content="{esc(generator)}">
<title>{esc(title)}</title>
<style>{CSS}</style>
<script id="{PLOTLY_SCRIPT_ID}">{get_plotlyjs()}</script>
<script>{_PRINT_SCRIPT}</script>
</head>
<body>
<main>
{header_html}
{toc(sections, messages)}
{body}
<footer>{footer_html}</footer>
</main>
</body>
</html>
"""
