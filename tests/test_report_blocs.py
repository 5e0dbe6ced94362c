"""report/blocs.py: the coalitions-and-power section (seat share vs Banzhaf vs Shapley-Shubik chart, the
coalition facts) for an allocated parliament, its escaping of names, and its place in the report."""

from __future__ import annotations

import re
from pathlib import Path

from package_builder import make_package

from tallycheck.blocs import Independents
from tallycheck.importing import validate_package
from tallycheck.report import ReportSection, render_report
from tallycheck.report.blocs import CHART_PLAYERS, blocs_section
from tallycheck.seats.allocate import allocate
from tallycheck.tabulate import tabulate
from test_seats_whatif import VOTES, files

HOSTILE = "<script>alert(1)</script>"


def data_with_hostile_party(tmp_path: Path):
    fs = files({s: dict(row) for s, row in VOTES.items()})
    fs["candidates"] = fs["candidates"].replace("Party A", HOSTILE)
    data = validate_package(make_package(tmp_path / "p", **fs)).validation.data
    assert data is not None
    return data


def test_section_for_an_allocated_parliament(tmp_path: Path) -> None:
    data = data_with_hostile_party(tmp_path)
    result = allocate(data)
    section = blocs_section(result, ("majority", "2/3"))
    assert isinstance(section, ReportSection) and section.id == "blocs"
    seats = result.seats
    majority, two_thirds = seats // 2 + 1, -(-2 * seats // 3)
    h = section.html
    assert f"At {majority} seats (an absolute majority)" in h and f"At {two_thirds} seats (two thirds)" in h
    assert f'id="fig-blocs-{majority}"' in h and f'id="fig-blocs-{two_thirds}"' in h
    for trace in ("Seat share", "Banzhaf", "Shapley-Shubik"):
        assert f'"name":"{trace}"' in h
    assert HOSTILE not in h and "&lt;script&gt;" in h
    assert "Smallest blocking coalitions" in h and "Veto players" in h


def test_section_with_an_alliance_and_its_facts(tmp_path: Path) -> None:
    data = data_with_hostile_party(tmp_path)
    result = allocate(data)
    parties = [p.party for p in result.parties if p.seats]
    section = blocs_section(result, (result.seats,), alliances={"Front": parties[:2]},
                            independents=Independents.GROUPED)
    assert "Alliance Front" in section.html
    assert f"At {result.seats} seats" in section.html  # unanimity: every player a veto player


def test_chart_sums_the_smaller_players(tmp_path: Path) -> None:
    from tallycheck.blocs import analyse, build_game
    from tallycheck.report.blocs import power_figure

    game = build_game([(f"P{i}", 20 - i) for i in range(CHART_PLAYERS + 3)])
    part = analyse(game, [game.seats // 2 + 1]).quotas[0]
    fig = power_figure(game, part)
    assert '"3 others"' in fig and f'"P{CHART_PLAYERS - 1}"' in fig and f'"P{CHART_PLAYERS}"' not in fig
    # the "others" bar is their joint seat share: 7 + 6 + 5 of 225 seats
    share = (7 + 6 + 5) / game.seats * 100
    assert re.search(r'"x":\[[^\]]*' + re.escape(repr(share)), fig)


def test_section_in_the_report(tmp_path: Path) -> None:
    data = data_with_hostile_party(tmp_path)
    page = render_report(data, tabulate(data), extra_sections=(blocs_section(allocate(data)),))
    assert 'id="blocs"' in page and "Coalitions and power" in page
    assert HOSTILE not in page
