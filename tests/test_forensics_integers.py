"""Integer percentages (Kobak, Shpilkin & Pshenichnikov 2016): exact chances, exact tails, the published
Russian figures, calibration on clean binomial elections, power on injected whole-percentage results."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from russia import russia_or_skip
from tallycheck.forensics.integers import (METHOD, integer_chance, integer_percentages, is_integer_percentage,
                                           poisson_binomial_sf, poisson_binomial_sfs)
from tallycheck.forensics.stations import StationTable

# Excess of integer polling stations ("either": turnout or leader share within ±0.05 pp of a whole
# percentage), observed minus the mean of 1,000 binomial resamples, as printed by `print(anomalies[:,0,0])` in
# the last cell of github.com/dkobak/elections analysis/2024/2024.ipynb (commit
# 94582207aa61f595185803274390446684b10865); the years are the x-ticks of that cell's figure "Excess of
# integer polling stations, Russian federal elections 2000–2024" (2000 and 2003 are not in the shared
# data). Same inclusion rule as ours (`anomaly()`: voters ≥ 100, received > 0, turnout and share ≤ 0.99),
# same data (the shared parquet is built from those CSV files).
KOBAK_EXCESS_EITHER = {2004: 933.748, 2007: 722.725, 2008: 1722.779, 2011: 1003.477, 2012: 1159.585,
                       2016: 1502.391, 2018: 1708.839, 2020: 3610.885, 2021: 1309.768, 2024: 2930.984}
KOBAK_DRAWS = 1000  # nrep in anomaly()
FAST_YEARS = (2011, 2012, 2024)  # the AoAS paper's two elections and the latest; the rest are marked slow


def table(registered, ballots, share_base, leader, region=None) -> StationTable:
    n = len(registered)
    region = np.asarray(region if region is not None else [""] * n, dtype=object)
    return StationTable(np.array([f"s{i}" for i in range(n)], dtype=object), np.asarray(registered, np.int64),
                        np.asarray(ballots, np.int64), np.asarray(share_base, np.int64),
                        np.asarray(leader, np.int64), region, np.full(n, "", dtype=object),
                        np.full(n, "", dtype=object))


def clean_election(rng: np.random.Generator, stations: int, regions: int = 1) -> StationTable:
    """Every count drawn from a binomial: no station writes down a chosen percentage."""
    registered = rng.integers(100, 3000, stations)
    turnout = rng.beta(12, 8, stations)
    ballots = rng.binomial(registered, turnout)
    share_base = ballots - rng.binomial(ballots, 0.02)
    leader = rng.binomial(share_base, rng.beta(10, 10, stations))
    return table(registered, ballots, share_base, leader, [f"r{i % regions}" for i in range(stations)])


def brute_force_chance(k: int, n: int, window: Fraction) -> float:
    """Sum of Binomial(n, k/n) probabilities over every j whose j/n is within `window` of a whole percent."""
    js = [j for j in range(n + 1)
          if abs(Fraction(j, n) - Fraction(round(Fraction(100 * j, n)), 100)) <= window]
    return float(stats.binom.pmf(js, n, k / n).sum())


def brute_force_tail(q: np.ndarray, x: int) -> float:
    pmf = np.zeros(len(q) + 1)
    pmf[0] = 1.0
    for qi in q:
        pmf[1:] = pmf[1:] * (1 - qi) + pmf[:-1] * qi
        pmf[0] *= 1 - qi
    return float(pmf[x:].sum())


# --- exact building blocks ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n", "integer"), [
    (801, 2000, True),    # 40.05%: on the window's edge, inclusive as in the notebooks (≤ binwidth/2)
    (802, 2000, False),   # 40.10%
    (799, 2000, True),    # 39.95%
    (400, 1000, True),    # 40.00%
    (401, 1000, False),   # 40.10%
    (1, 3, False),        # 33.33%
    (0, 150, True),       # 0%
    (150, 150, True),     # 100%
    (2001, 4001, True),   # 50.0125%
    (2003, 4001, False),  # 50.062%
])
def test_integer_percentage_is_decided_in_integers(k: int, n: int, integer: bool) -> None:
    assert bool(is_integer_percentage(np.array([k]), np.array([n]))[0]) is integer


def test_integer_percentage_matches_the_notebook_rule_away_from_float_ties() -> None:
    # anomaly(): np.abs(p - np.round(p)) <= 0.05 with p = 100*k/n in floats
    rng = np.random.default_rng(3)
    n = rng.integers(100, 5000, 20000)
    k = rng.integers(0, n + 1)
    p = 100 * k / n
    gap = np.abs(p - np.round(p))
    clear = np.abs(gap - 0.05) > 1e-9
    assert np.array_equal(is_integer_percentage(k, n)[clear], (gap <= 0.05)[clear])


def test_integer_chance_is_the_exact_binomial_sum() -> None:
    rng = np.random.default_rng(5)
    n = np.concatenate([rng.integers(100, 4000, 40), [100, 101, 150, 199, 1000, 2000, 3999]])
    k = rng.integers(0, n + 1)
    k[-3:] = [0, 2000, 3999]  # shares 0 and 1 put all mass on one count
    got = integer_chance(k, n)
    want = np.array([brute_force_chance(int(ki), int(ni), Fraction(1, 2000)) for ki, ni in zip(k, n)])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert got[list(n).index(100)] == pytest.approx(1.0)  # with 100 voters every count is a whole percentage


def test_integer_chance_for_another_window() -> None:
    k, n = np.array([517, 77, 1234]), np.array([1041, 240, 2500])
    got = integer_chance(k, n, window="0.002")
    want = [brute_force_chance(int(a), int(b), Fraction(1, 500)) for a, b in zip(k, n)]
    np.testing.assert_allclose(got, want, rtol=1e-9)
    with pytest.raises(ValueError, match="window"):
        integer_chance(k, n, window=0.005)


@pytest.mark.parametrize("x", [0, 1, 25, 40, 55, 80, 120, 200, 201])
def test_poisson_binomial_tail_is_exact_far_into_the_tail(x: int) -> None:
    q = np.random.default_rng(11).uniform(0, 0.35, 200)
    want = brute_force_tail(q, x) if x <= 200 else 0.0
    got = poisson_binomial_sf(q, x)
    # relative precision even at 1e-100 and below: the tilted tree keeps it where plain FFTs return noise
    assert got == pytest.approx(want, rel=1e-9, abs=0.0 if want < 1e-3 else 1e-12)


def test_poisson_binomial_tail_handles_certain_trials_and_batches() -> None:
    q = np.array([1.0, 1.0, 0.0, 0.5, 0.5])
    assert poisson_binomial_sf(q, 2) == 1.0
    assert poisson_binomial_sf(q, 3) == pytest.approx(0.75)
    assert poisson_binomial_sf(q, 4) == pytest.approx(0.25)
    assert poisson_binomial_sf(q, 5) == 0.0
    groups = [np.full(7, 0.2), np.full(700, 0.01), np.full(3, 0.9)]
    got = poisson_binomial_sfs(groups, [3, 15, 3])
    want = [stats.binom.sf(2, 7, 0.2), stats.binom.sf(14, 700, 0.01), 0.9 ** 3]
    np.testing.assert_allclose(got, want, rtol=1e-9)


# --- published Russian figures ------------------------------------------------------------------------------

@pytest.mark.parametrize("year", [pytest.param(y, marks=() if y in FAST_YEARS else pytest.mark.slow)
                                  for y in sorted(KOBAK_EXCESS_EITHER)])
def test_excess_of_integer_stations_matches_kobaks_notebook(year: int) -> None:
    t = russia_or_skip(year)
    s = integer_percentages(t, by_region=False).summary()
    # Kobak's expectation is the mean of 1,000 resamples: it misses the exact one by Monte Carlo error of
    # standard deviation sd/√1000 (sd: of the count itself, computed exactly here). Allow three of those.
    tolerance = 3 * s["sd_either"] / math.sqrt(KOBAK_DRAWS) + 0.0005
    assert s["excess_either"] == pytest.approx(KOBAK_EXCESS_EITHER[year], abs=tolerance)
    assert s["p_value_either"] < 1e-8  # every year from 2004 on is far outside chance (the paper's finding)


def test_russia_2011_summary_and_regions() -> None:
    t = russia_or_skip(2011)
    r = integer_percentages(t)
    s = r.summary()
    assert s["stations"] == int(r.tested.sum()) == 86718
    for metric in ("turnout", "leader", "either"):
        assert s[f"excess_{metric}"] == pytest.approx(s[f"observed_{metric}"] - s[f"expected_{metric}"])
    assert s["observed_either"] == int((r.integer_turnout | r.integer_leader).sum())
    assert s["observed_turnout"] + s["observed_leader"] >= s["observed_either"]
    assert sum(f["stations"] for f in r.regions.values()) == s["stations"]
    assert sum(f["observed_either"] for f in r.regions.values()) == s["observed_either"]
    assert sum(f["expected_either"] for f in r.regions.values()) == pytest.approx(s["expected_either"])
    # the paper (Section 5) finds the anomaly concentrated in a few regions: most regions are unremarkable
    p = np.array([f["p_value_either"] for f in r.regions.values()])
    assert (p < 1e-6).sum() >= 3
    assert (p > 0.01).sum() > len(p) / 2


# --- calibration and power on synthetic elections -----------------------------------------------------------

def test_clean_elections_are_not_flagged_more_often_than_nominal() -> None:
    rng = np.random.default_rng(2021)
    sets = 200
    p = np.array([[integer_percentages(clean_election(rng, 1000), by_region=False).summary()[f"p_value_{m}"]
                   for m in ("turnout", "leader", "either")] for _ in range(sets)])
    for alpha in (0.05, 0.2):
        rate = (p <= alpha).mean(axis=0)
        slack = 3 * math.sqrt(alpha * (1 - alpha) / sets)  # Monte Carlo error of a rate over 200 sets
        assert (rate <= alpha + slack).all(), (alpha, rate)
    # and the p-values are not degenerate: the null spreads them over [0, 1]
    assert 0.3 < np.median(p) < 0.7


def test_written_down_percentages_are_found_and_located() -> None:
    rng = np.random.default_rng(7)
    t = clean_election(rng, 6000, regions=6)
    ballots, leader = t.ballots.copy(), t.leader.copy()
    # in region r0, a third of the stations report a round turnout and leader share chosen in advance
    cooked = np.flatnonzero((t.region == "r0") & (rng.random(len(t)) < 1 / 3))
    ballots[cooked] = np.round(t.registered[cooked] * 0.81).astype(np.int64)
    base = ballots[cooked] - (t.ballots[cooked] - t.share_base[cooked]).clip(0, None)
    leader[cooked] = np.round(base * 0.7).astype(np.int64)
    share_base = t.share_base.copy()
    share_base[cooked] = base
    cooked_t = table(t.registered, ballots, share_base, leader, t.region)
    r = integer_percentages(cooked_t)
    # ~330 cooked stations among 6,000: the excess (~260) is about 9 standard deviations nationally and over
    # 20 in r0, whose 1,000 stations carry it all
    assert r.summary()["p_value_either"] < 1e-12
    assert r.regions["r0"]["p_value_either"] < 1e-50
    others = [r.regions[f"r{i}"]["p_value_either"] for i in range(1, 6)]
    assert min(others) > 1e-3
    e = r.evidence()
    assert np.nanmedian(e.p_value[cooked]) < np.nanmedian(e.p_value[~np.isin(np.arange(len(t)), cooked)])


def test_station_evidence() -> None:
    # registered, ballots, share base, leader
    rows = [(1000, 600, 590, 295),   # 60.00% turnout, 50.00% leader: both integer
            (1000, 600, 597, 300),   # turnout integer only (leader 50.25%)
            (1003, 602, 590, 296),   # 60.02% turnout (within 0.05 of 60), 50.17% leader
            (1000, 995, 990, 500),   # turnout 99.5% > 99%: not screened
            (99, 60, 60, 30),        # fewer than 100 registered: not screened
            (500, 0, 0, 0)]          # no share base: not screened
    t = table(*zip(*rows))
    r = integer_percentages(t)
    e = r.evidence()
    assert e.method == METHOD
    assert list(r.tested) == [True, True, True, False, False, False]
    assert np.isnan(e.p_value[3:]).all() and list(e.reasons[3:]) == ["", "", ""]
    ct, cl = r.chance_turnout, r.chance_leader
    assert e.p_value[0] == pytest.approx(ct[0] * cl[0])
    assert e.p_value[1] == pytest.approx(ct[1] + cl[1] - ct[1] * cl[1])
    assert "turnout 60.00% and leader 50.00% are whole percentages" in e.reasons[0]
    assert e.reasons[1].startswith("turnout 60.00% is a whole percentage (chance ")
    # 602/1003 = 60.019…%: within 0.05 of 60; 296/590 = 50.17%: not
    assert r.integer_turnout[2] and not r.integer_leader[2]
    assert 0 < e.p_value[2] < 1


def test_not_integer_station_gets_p_one() -> None:
    t = table([1000], [612], [600], [333])  # 61.2% and 55.5%
    e = integer_percentages(t).evidence()
    assert e.p_value[0] == 1.0 and e.reasons[0] == ""
