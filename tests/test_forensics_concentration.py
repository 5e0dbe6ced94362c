"""Vote concentration (forensics/concentration.py): the Herfindahl index against the US merger guidelines'
published example, the empirical upper-tail rank by brute force and its validity, exact figures from a package
against the truncated table's lower bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tallycheck.forensics.concentration import (VoteConcentration, concentration_test, from_package,
                                                from_table, upper_tail_rank)
from tallycheck.forensics.stations import StationTable


def table(votes, contest=None) -> StationTable:
    v = np.asarray(votes, np.int64)
    n = len(v)
    text = np.full(n, "", dtype=object)
    return StationTable(np.array([f"s{i}" for i in range(n)], dtype=object), np.full(n, -1, np.int64),
                        v.sum(axis=1), v.sum(axis=1), v[:, 0], text, text, text,
                        contest=None if contest is None else np.asarray(contest, dtype=object), votes=v,
                        candidates=tuple(f"c{j}" for j in range(v.shape[1])))


def test_herfindahl_reproduces_the_merger_guidelines_example() -> None:
    # US DOJ/FTC Horizontal Merger Guidelines (2010), section 5.3: "a market consisting of four firms with
    # market shares of thirty percent, twenty percent and twenty percent has an HHI of 2,600"
    # (30^2 + 30^2 + 20^2 + 20^2 = 2,600 on the guidelines' 0-10,000 scale).
    c = from_table(table([[30, 30, 20, 20], [100, 0, 0, 0], [25, 25, 25, 25]]))
    np.testing.assert_allclose(c.herfindahl() * 10_000, [2600, 10_000, 2500])
    np.testing.assert_allclose(c.top_share(), [0.3, 1.0, 0.25])
    assert c.exact.all()


def test_upper_tail_rank_by_brute_force() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(0, 6, 300).astype(float)  # many ties
    group = rng.integers(0, 4, 300)
    checked = rng.random(300) > 0.1
    p = upper_tail_rank(x, group, checked)
    for i in range(300):
        if not checked[i]:
            assert np.isnan(p[i])
            continue
        same = checked & (group == group[i])
        assert p[i] == pytest.approx(np.sum(x[same] >= x[i]) / same.sum())


def test_empirical_p_values_are_valid() -> None:
    rng = np.random.default_rng(9)
    votes = rng.multinomial(300, [0.4, 0.3, 0.2, 0.1], size=20_000)
    p = concentration_test(table(votes)).p_value
    for alpha in (0.001, 0.01, 0.05, 0.2):
        assert (p <= alpha).mean() <= alpha
    # never below 1 / n: a rank cannot be a discovery by itself
    assert p.min() >= 1 / len(p)


def test_reference_contest_or_election() -> None:
    # contest A has two candidates, B ten: B's most concentrated station tops B, not the election
    a = [[60, 40] + [0] * 8, [55, 45] + [0] * 8, [70, 30] + [0] * 8]
    b = [[10] * 10, [30] + [7] * 7 + [0, 0], [20] + [10] * 8 + [0]]
    t = table(a + b, contest=["A"] * 3 + ["B"] * 3)
    by_contest = concentration_test(t).p_value
    by_election = concentration_test(t, reference="election").p_value
    assert by_contest[4] == pytest.approx(1 / 3) and by_contest[5] == pytest.approx(2 / 3)
    assert by_election[4] == pytest.approx(4 / 6) and by_election[2] == pytest.approx(1 / 6)
    assert concentration_test(t, measure="herfindahl").method == "herfindahl"
    with pytest.raises(ValueError):
        concentration_test(t, reference="province")


def test_a_truncated_table_gives_lower_bounds_a_package_the_exact_figures(tmp_path: Path) -> None:
    from tallycheck.evidence import Store
    from tallycheck.forensics.from_package import package_table
    from tallycheck.importing import import_package
    from tallycheck.synth import generate

    package = tmp_path / "synth"
    generate(shape="iraq-2021", seed=3, out=package, stations=300)
    assert not import_package(package).refused
    data = Store(package / ".tallycheck").load()
    t = package_table(data)  # several contests: only the first K choices of each
    exact = from_package(data, t)
    lower = from_table(t)
    res = data.table("results").to_pylist()
    want: dict[tuple[str, str], list[int]] = {}
    for r in res:
        want.setdefault((r["station_id"], r["contest_id"]), []).append(r["votes"] or 0)
    for i in range(len(t)):
        v = np.array(want.get((t.station_id[i], t.contest[i]), [0]), np.int64)
        assert exact.top[i] == v.max() and exact.sum_squares[i] == int((v * v).sum())
    assert np.all(lower.top <= exact.top) and np.all(lower.sum_squares <= exact.sum_squares)
    assert np.array_equal(lower.top[lower.exact], exact.top[lower.exact])
    assert not lower.exact.all()  # the synthetic contests have more candidates than the table's columns
    assert isinstance(exact, VoteConcentration)
