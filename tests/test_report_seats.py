"""report/seats.py: the seats section (hemicycle by party, winners with quota replacements marked, the closest
seats) and its place in the standalone report."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from package_builder import make_package

from tallycheck.importing import validate_package
from tallycheck.report import ReportSection, render_report
from tallycheck.report.seats import INNER_RADIUS, hemicycle, party_dots, seats_section
from tallycheck.seats.allocate import allocate
from tallycheck.seats.margins import seat_margins
from tallycheck.tabulate import tabulate
from test_seats_whatif import VOTES, files

HOSTILE = "<script>alert(1)</script>"


@pytest.mark.parametrize("seats", [1, 2, 3, 7, 83, 100, 329, 650])
def test_hemicycle_geometry(seats: int) -> None:
    dots = hemicycle(seats)
    assert len(dots) == seats
    assert len({(round(d.x, 9), round(d.y, 9)) for d in dots}) == seats  # no two seats on one spot
    for d in dots:
        r = math.hypot(d.x, d.y)
        assert INNER_RADIUS - 1e-9 <= r <= 1 + 1e-9 and d.y >= -1e-9
    angles = [math.atan2(d.y, d.x) for d in dots]
    assert all(a >= b - 1e-9 for a, b in zip(angles, angles[1:]))  # filled from the left end to the right
    # neighbouring seats on a ring sit about as far apart as the rings, so dots do not overlap
    rings = max(d.ring for d in dots) + 1
    if rings > 1 and seats > 20:
        gap = (1 - INNER_RADIUS) / (rings - 1)
        for ring in range(rings):
            on = sorted((d for d in dots if d.ring == ring), key=lambda d: math.atan2(d.y, d.x))
            steps = [math.dist((a.x, a.y), (b.x, b.y)) for a, b in zip(on, on[1:])]
            assert not steps or min(steps) > 0.7 * gap


def test_hemicycle_of_nothing() -> None:
    assert hemicycle(0) == []


@pytest.fixture
def package_data(tmp_path: Path):
    votes = {s: dict(row) for s, row in VOTES.items()}
    votes["S02"]["e"] = 0  # D1: a 110, b 100, c 80, d 15 (F), e 5 (F): d replaces c on the women's seat
    fs = files(votes)
    fs["candidates"] = fs["candidates"].replace("Candidate a,Party A", f"{HOSTILE},Party A")
    data = validate_package(make_package(tmp_path / "p", **fs)).validation.data
    assert data is not None
    return data


def test_party_dots_follow_the_seats(package_data) -> None:
    result = allocate(package_data)
    groups = party_dots(result)
    assert [(p, n) for p, n, _ in groups] == [(p.party, p.seats) for p in result.parties if p.seats]
    assert all(len(dots) == n for _, n, dots in groups)
    assert sum(n for _, n, _ in groups) == result.seats == 5


def test_seats_section_renders_winners_marks_and_margins(package_data) -> None:
    data = package_data
    result = allocate(data)
    margins = seat_margins(result, data)
    section = seats_section(data, result, margins)
    assert isinstance(section, ReportSection) and section.id == "seats"
    html = section.html
    assert 'id="fig-hemicycle"' in html and "Plotly.newPlot" in html
    # winners of both contests, by name, and the quota replacement highlighted with whom it displaced
    for name in ("Candidate b", "Candidate d", "Candidate p", "Candidate q"):
        assert name in html
    row = re.search(r"<tr class=quota>(.*?)</tr>", html)
    assert row and "Candidate d" in row.group(1) and "replaced c (women-contest)" in row.group(1)
    assert "1 quota replacement" in html
    # the closest seats table, closest first, with who would take the seat
    closest = html[html.index("The closest seats"):]
    first = margins[0]
    assert f'<td class="num">{first.ballots}</td>' in closest
    # names from the package are escaped everywhere, the chart's labels included
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_seats_section_in_the_report(package_data) -> None:
    data = package_data
    result = allocate(data)
    page = render_report(data, tabulate(data), extra_sections=(seats_section(data, result,
                                                                             seat_margins(result, data)),))
    assert '<a href="#seats">Seats</a>' in page and '<section id="seats">' in page
    assert page.count('id="fig-hemicycle"') == 1
    assert HOSTILE not in page
