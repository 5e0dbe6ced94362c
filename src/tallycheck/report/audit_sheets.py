"""Printable sheets for the audit boards: which stations to pull, and blank tally sheets to count them on.

The tally sheets are blind: they list the choices on each contest's ballot but never the reported results, so a
board counts what is in the box, not what it expects to find. HTML carries names in any script (the browser
shapes Arabic); the PDF uses a Unicode font where the machine has one (DejaVu Sans), else the PDF core font, and
replaces each name it cannot draw — any name outside Latin-1 without that font, and right-to-left script unless
HarfBuzz shaping (uharfbuzz) is installed — by its identifier, with a pointer to the HTML sheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import re
from pathlib import Path

from ..audit.pull import PullItem, TallyChoice
from .markup import esc

_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")  # Hebrew, Arabic, Syriac, Thaana...
FONT_PATHS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
              Path("/usr/local/share/fonts/DejaVuSans.ttf"))


_CSS = """
body { font-family: system-ui, "Noto Sans", "Noto Naskh Arabic", "DejaVu Sans", Arial, sans-serif; margin: 1.5cm;
       color: #111; font-size: 11pt; }
h1 { font-size: 15pt; margin: 0 0 .2cm; } h2 { font-size: 13pt; margin: .4cm 0 .2cm; }
table { border-collapse: collapse; width: 100%; margin: .2cm 0 .4cm; }
th, td { border: 1px solid #444; padding: 4px 6px; text-align: start; vertical-align: top; }
td.box { width: 3.2cm; } .meta { font-size: 9pt; color: #333; } .hash { font-family: monospace; word-break: break-all; }
.page { page-break-after: always; break-after: page; } .sign td { height: 1.1cm; }
@media print { body { margin: 1cm; } }
"""


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
            f"<body>{body}</body></html>\n")


def _meta(audit_line: str) -> str:
    return f'<p class="meta">{esc(audit_line)}</p>'


def pull_sheets_html(title: str, audit_line: str, items: Sequence[PullItem]) -> str:
    boards = sorted({i.board for i in items})
    parts = []
    for b in boards:
        rows = "".join(
            f'<tr><td>{n}</td><td dir="auto">{esc(i.station_id)}</td><td dir="auto">{esc(i.centre_id)}</td>'
            f'<td dir="auto">{esc(i.area)}</td><td dir="auto">{esc(", ".join(i.contests))}</td>'
            f"<td>{esc(i.why)}</td><td></td></tr>"
            for n, i in enumerate((i for i in items if i.board == b), start=1))
        parts.append(f'<section class="page"><h1>{esc(title)}: pull sheet, board {b}</h1>{_meta(audit_line)}'
                     "<table><thead><tr><th>#</th><th>station</th><th>centre</th><th>area</th><th>contests</th>"
                     f"<th>why</th><th>retrieved (initials)</th></tr></thead><tbody>{rows}</tbody></table>"
                     '<table class="sign"><tr><td>board member 1 (name, signature)</td><td>board member 2 '
                     "(name, signature)</td></tr></table></section>")
    return _page(f"{title}: pull sheets", "".join(parts) or "<p>No stations to pull.</p>")


def tally_sheets_html(title: str, audit_line: str, items: Sequence[PullItem],
                      ballots: Mapping[str, Sequence[TallyChoice]], contest_names: Mapping[str, str]) -> str:
    parts = []
    for i in items:
        for contest in i.contests:
            rows = "".join(
                f'<tr><td dir="auto">{esc(c.candidate_id or c.list_id)}</td><td dir="auto">{esc(c.name)}</td>'
                f'<td dir="auto">{esc(c.party)}</td><td class="box"></td></tr>' for c in ballots.get(contest, ()))
            parts.append(
                f'<section class="page"><h1>{esc(title)}: tally sheet</h1>{_meta(audit_line)}'
                f'<h2>Station <bdi>{esc(i.station_id)}</bdi> · contest <bdi>{esc(contest_names.get(contest, contest))}'
                f"</bdi> ({esc(contest)}) · board {i.board}</h2><p class=\"meta\">{esc(i.why)}; round {i.round}. "
                "Count every ballot in the box; write 0 where a choice has no votes. If the materials cannot be "
                "found, write MISSING across this sheet.</p>"
                "<table><thead><tr><th>id</th><th>choice</th><th>party</th><th>votes</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>"
                '<table><tr><th>ballots cast</th><td class="box"></td><th>invalid</th><td class="box"></td>'
                '<th>blank</th><td class="box"></td></tr></table>'
                '<table class="sign"><tr><td>board member 1 (name, signature)</td><td>board member 2 '
                "(name, signature)</td></tr></table></section>")
    return _page(f"{title}: tally sheets", "".join(parts) or "<p>No stations to count.</p>")


class _Pdf:
    """A thin layer over fpdf2: a Unicode font where one exists, else the core font with a text fallback."""

    def __init__(self) -> None:
        from fpdf import FPDF  # only the sheet writer needs it

        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(True, margin=15)
        font = next((p for p in FONT_PATHS if p.is_file()), None)
        self.shaping = False
        if font is not None:
            self.pdf.add_font("sheet", "", str(font))
            self.family, self.unicode = "sheet", True
            try:  # fpdf2 shapes Arabic with HarfBuzz when the optional uharfbuzz package is installed
                import uharfbuzz  # noqa: F401

                self.pdf.set_text_shaping(True)
                self.shaping = True
            except ImportError:
                pass
        else:
            self.family, self.unicode = "helvetica", False

    def text(self, s: str, fallback: str = "") -> str:
        if self.unicode and not (_RIGHT_TO_LEFT.search(s) and not self.shaping):
            return s
        if self.unicode:  # Arabic script needs shaping (joined letters, right to left): the HTML sheet has it
            return fallback or "?"
        try:
            s.encode("latin-1")
            return s
        except UnicodeEncodeError:
            return fallback or s.encode("latin-1", "replace").decode("latin-1")

    def heading(self, s: str, size: int = 13) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(0, 7, self.text(s), new_x="LMARGIN", new_y="NEXT")

    def line(self, s: str, size: int = 9) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(0, 5, self.text(s), new_x="LMARGIN", new_y="NEXT")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
        self.pdf.set_font(self.family, size=9)
        for cells, bold in ((header, True), *((r, False) for r in rows)):
            for text, w in zip(cells, widths):
                self.pdf.cell(w, 7, text, border=1)
            self.pdf.ln(7)
        self.pdf.ln(3)


def sheets_pdf(title: str, audit_line: str, items: Sequence[PullItem],
               ballots: Mapping[str, Sequence[TallyChoice]], contest_names: Mapping[str, str]) -> bytes:
    """Pull sheets (one page per board) then tally sheets (one page per station and contest), as one PDF."""
    doc = _Pdf()
    note = "" if doc.unicode and doc.shaping else \
        " Names this PDF cannot draw (other scripts) are shown by identifier: see the HTML sheets."
    for b in sorted({i.board for i in items}):
        doc.pdf.add_page()
        doc.heading(f"{title}: pull sheet, board {b}")
        doc.line(audit_line + note)
        rows = [[str(n), doc.text(i.station_id, "?"), doc.text(i.centre_id, "?"), doc.text(i.area, "?"),
                 doc.text(", ".join(i.contests), "?"), i.why, ""]
                for n, i in enumerate((i for i in items if i.board == b), start=1)]
        doc.table(["#", "station", "centre", "area", "contests", "why", "retrieved"], rows,
                  [8, 28, 25, 30, 30, 40, 25])
        doc.line("Board member 1 (name, signature): ______________________   "
                 "Board member 2 (name, signature): ______________________")
    for i in items:
        for contest in i.contests:
            doc.pdf.add_page()
            doc.heading(f"{title}: tally sheet")
            doc.line(audit_line + note)
            doc.heading(f"Station {doc.text(i.station_id, '?')} - contest {doc.text(contest, '?')} - board "
                        f"{i.board} - round {i.round}", size=11)
            doc.line(f"{i.why}. Count every ballot; write 0 where a choice has no votes; write MISSING if the "
                     "materials cannot be found.")
            rows = [[doc.text(c.candidate_id or c.list_id, "?"), doc.text(c.name, c.candidate_id or c.list_id),
                     doc.text(c.party, "-"), ""] for c in ballots.get(contest, ())]
            doc.table(["id", "choice", "party", "votes"], rows, [20, 80, 55, 30])
            doc.table(["ballots cast", "invalid", "blank"], [["", "", ""]], [40, 40, 40])
            doc.line("Board member 1 (name, signature): ______________________   "
                     "Board member 2 (name, signature): ______________________")
    if not items:
        doc.pdf.add_page()
        doc.heading(f"{title}: no stations to pull")
    return bytes(doc.pdf.output())


def write_sheets(folder: Path, title: str, audit_line: str, items: Sequence[PullItem],
                 ballots: Mapping[str, Sequence[TallyChoice]], contest_names: Mapping[str, str]) -> list[Path]:
    """Write pull-sheets.html, tally-sheets.html and sheets.pdf into `folder`; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out = [folder / "pull-sheets.html", folder / "tally-sheets.html", folder / "sheets.pdf"]
    out[0].write_text(pull_sheets_html(title, audit_line, items), encoding="utf-8")
    out[1].write_text(tally_sheets_html(title, audit_line, items, ballots, contest_names), encoding="utf-8")
    out[2].write_bytes(sheets_pdf(title, audit_line, items, ballots, contest_names))
    return out
