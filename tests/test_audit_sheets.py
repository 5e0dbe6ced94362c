"""Pull and tally sheets: blind (no reported results), every name escaped, Arabic drawn in HTML and never
mis-drawn in the PDF."""

from __future__ import annotations

import re

from tallycheck.audit.pull import PullItem, TallyChoice
from tallycheck.report.audit_sheets import _Pdf, pull_sheets_html, sheets_pdf, tally_sheets_html, write_sheets

ITEMS = [PullItem(1, "0101", "C1", "بغداد", ("D1",), 1, "sample, draw 1"),
         PullItem(2, "<0102>", "C1", "Baghdad", ("D1",), 1, "complaint recount")]
BALLOTS = {"D1": [TallyChoice("007", "", "علي حسن", "Party A"), TallyChoice("008", "", "Omar <b>", "")]}


def test_pull_sheet_one_page_per_board():
    html = pull_sheets_html("Audit", "risk limit 0.05", ITEMS)
    assert html.count("pull sheet, board") == 2 and "بغداد" in html
    assert "&lt;0102&gt;" in html and "<0102>" not in html


def test_tally_sheet_is_blind_and_escaped():
    html = tally_sheets_html("Audit", "risk limit 0.05", ITEMS, BALLOTS, {"D1": "District 1"})
    assert html.count("<section") == 2 and "علي حسن" in html and "Omar &lt;b&gt;" in html
    assert "votes</th>" in html and "MISSING" in html  # boxes to fill, and what to write when nothing is found


def test_pdf_has_a_page_per_board_and_sheet(tmp_path):
    pdf = sheets_pdf("Audit", "risk limit 0.05", ITEMS, BALLOTS, {"D1": "District 1"})
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 4  # two pull sheets, two tally sheets
    paths = write_sheets(tmp_path, "Audit", "x", ITEMS, BALLOTS, {"D1": "District 1"})
    assert [p.name for p in paths] == ["pull-sheets.html", "tally-sheets.html", "sheets.pdf"]


def test_pdf_never_draws_unshaped_arabic():
    doc = _Pdf()
    assert doc.text("Omar", "008") == "Omar"
    if not doc.shaping:  # without HarfBuzz, Arabic letters would print unjoined and left to right
        assert doc.text("علي حسن", "007") == "007"
