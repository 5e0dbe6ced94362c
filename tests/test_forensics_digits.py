"""Digit tests (Election Forensics Toolkit): the toolkit's rules and constants, exact values on small tables,
exact expectations on counts built digit by digit, bootstrap coverage, the per-station 0/5 evidence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from russia import russia_or_skip
from tallycheck.forensics.digits import (BENFORD_SECOND_DIGIT_MEAN, EXPECTED, METHOD, TESTS, digit_tests,
                                         rounded_percent, second_digit)
from tallycheck.forensics.stations import StationTable

# Hicken & Mebane, "A Guide to Election Forensics" (2015), Table 1 "Distribution and Digit Tests": values
# expected in the absence of fraud or strategic behaviour.
GUIDE_TABLE_1 = {"2BL": 4.187, "LastC": 4.5, "P05s": 0.2, "C05s": 0.2}

# Benford's law for the second significant digit: P(d) = Σ_{k=1..9} log10(1 + 1/(10k + d))
BENFORD_SECOND = np.array([sum(math.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)])


def table(registered, ballots, share_base, leader, votes=None, candidates=(), region=None) -> StationTable:
    n = len(registered)
    return StationTable(np.array([f"s{i}" for i in range(n)], dtype=object), np.asarray(registered, np.int64),
                        np.asarray(ballots, np.int64), np.asarray(share_base, np.int64),
                        np.asarray(leader, np.int64),
                        np.asarray(region if region is not None else [""] * n, dtype=object),
                        np.full(n, "", dtype=object), np.full(n, "", dtype=object),
                        votes=None if votes is None else np.asarray(votes, np.int64),
                        candidates=tuple(candidates))


def digit_built_counts(rng: np.random.Generator, n: int, second: np.ndarray) -> np.ndarray:
    """Counts of 3–5 digits whose second digit follows `second` and whose later digits are uniform."""
    length = rng.integers(3, 6, n)
    first = rng.integers(1, 10, n)
    d2 = rng.choice(10, n, p=second)
    rest = rng.integers(0, 10 ** (length - 2))
    return first * 10 ** (length - 1) + d2 * 10 ** (length - 2) + rest


def test_expected_values_are_the_guides() -> None:
    assert round(BENFORD_SECOND_DIGIT_MEAN, 3) == GUIDE_TABLE_1["2BL"]
    mean = float((np.arange(10) * BENFORD_SECOND).sum())
    assert BENFORD_SECOND_DIGIT_MEAN == pytest.approx(mean, rel=1e-15)
    assert {k: round(v, 3) for k, v in EXPECTED.items()} == GUIDE_TABLE_1


@pytest.mark.parametrize(("count", "digit"), [(0, -1), (7, -1), (10, 0), (19, 9), (100, 0), (123, 2),
                                              (1000, 0), (99999, 9), (10 ** 15 + 3 * 10 ** 14, 3)])
def test_second_digit(count: int, digit: int) -> None:
    assert second_digit(np.array([count]))[0] == digit


@pytest.mark.parametrize(("num", "den", "percent"), [
    (1, 8, 12),      # 12.5 → 12: half to even, as R's round()
    (3, 8, 38),      # 37.5 → 38
    (1, 200, 0),     # 0.5 → 0
    (299, 400, 75),  # 74.75 → 75
    (101, 100, 100),  # above 100 counts as 100, as the toolkit caps turnout at 1
    (5, 0, -1),      # no denominator: no percentage
])
def test_rounded_percent(num: int, den: int, percent: int) -> None:
    assert rounded_percent(np.array([num]), np.array([den]))[0] == percent


def test_values_on_a_small_table_follow_the_toolkits_rules() -> None:
    # registered, ballots, share base, leader
    t = table([200, 400, 1000, 50, -1], [105, 300, 617, 7, 25], [100, 290, 600, 7, 25], [55, 200, 301, 5, 10])
    s = digit_tests(t, n_boot=50, seed=1, by_region=False).summary()
    # ballots: 105, 300, 617, 7, 25 → second digits of those ≥ 10: 0, 0, 1, 5; last digits 5, 0, 7, 7, 5
    assert s["2BL"]["ballots"]["value"] == pytest.approx((0 + 0 + 1 + 5) / 4)
    assert s["2BL"]["ballots"]["n"] == 4
    assert s["LastC"]["ballots"]["value"] == pytest.approx((5 + 0 + 7 + 7 + 5) / 5)
    assert s["C05s"]["ballots"]["value"] == pytest.approx(3 / 5)
    # turnout 52.5 → 52, 75, 61.7 → 62, 14; the station without a register has none
    assert s["P05s"]["ballots"]["value"] == pytest.approx(1 / 4) and s["P05s"]["ballots"]["n"] == 4
    # leader: 55, 200, 301, 5, 10; shares 55%, 68.97 → 69, 50.17 → 50, 71.4 → 71, 40
    assert s["2BL"]["leader"]["value"] == pytest.approx((5 + 0 + 0 + 0) / 4)
    assert s["LastC"]["leader"]["value"] == pytest.approx((5 + 0 + 1 + 5 + 0) / 5)
    assert s["P05s"]["leader"]["value"] == pytest.approx(3 / 5)
    for test in TESTS:
        assert s[test]["ballots"]["expected"] == EXPECTED[test]


def test_candidate_columns_are_tested_when_votes_are_published() -> None:
    votes = [[60, 30, 10], [120, 55, 25]]
    t = table([200, 400], [100, 200], [100, 200], [60, 120], votes, ("A", "B", "leader"))
    s = digit_tests(t, n_boot=20).summary()
    assert list(s["LastC"]) == ["ballots", "leader", "A", "B", "candidate:leader"]
    assert s["LastC"]["B"]["value"] == pytest.approx((0 + 5) / 2)
    assert s["P05s"]["B"]["value"] == pytest.approx(0.5)  # 30% and 27.5 → 28%


def test_benford_built_counts_meet_expectations_and_uniform_second_digits_do_not() -> None:
    rng = np.random.default_rng(42)
    n = 20000
    benford = digit_built_counts(rng, n, BENFORD_SECOND)
    uniform = digit_built_counts(rng, n, np.full(10, 0.1))
    registered = np.full(n, 10 ** 6)
    t = table(registered, benford, registered, uniform)
    s = digit_tests(t, n_boot=400, seed=3, by_region=False).summary()
    b2, u2 = s["2BL"]["ballots"], s["2BL"]["leader"]
    assert b2["ci_low"] <= BENFORD_SECOND_DIGIT_MEAN <= b2["ci_high"] and not b2["outside_ci"]
    assert u2["value"] == pytest.approx(4.5, abs=0.06) and u2["outside_ci"]  # 4.5 against 4.187: found
    for column in ("ballots", "leader"):
        assert s["LastC"][column]["ci_low"] <= 4.5 <= s["LastC"][column]["ci_high"]
        assert s["C05s"][column]["ci_low"] <= 0.2 <= s["C05s"][column]["ci_high"]


def test_heaped_counts_are_outside_the_interval() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    registered = rng.integers(500, 3000, n)
    ballots = rng.binomial(registered, 0.6)
    heaped = ballots.copy()
    heaped[: n // 4] = np.round(heaped[: n // 4], -1)  # a quarter of the stations round to tens
    s = digit_tests(table(registered, heaped, heaped, heaped // 2), n_boot=300, seed=0).summary()
    assert s["C05s"]["ballots"]["value"] > 0.3 and s["C05s"]["ballots"]["outside_ci"]
    assert s["LastC"]["ballots"]["outside_ci"]


def test_bootstrap_intervals_cover_at_about_their_level() -> None:
    rng = np.random.default_rng(2015)
    sets, covered = 150, 0
    for i in range(sets):
        counts = rng.integers(10, 5000, 400)  # last digits uniform: LastC is 4.5 in expectation
        s = digit_tests(table(counts + 5000, counts, counts, counts), n_boot=300, seed=i,
                        by_region=False).summary()
        covered += s["LastC"]["ballots"]["ci_low"] <= 4.5 <= s["LastC"]["ballots"]["ci_high"]
    # nominal 95% (basic intervals from 300 replicates run a little under it); the Monte Carlo standard error
    # of the coverage over 150 sets is ~2 points
    assert covered / sets >= 0.88


def test_seeded_and_per_region() -> None:
    rng = np.random.default_rng(1)
    reg = rng.integers(300, 2000, 900)
    ballots = rng.binomial(reg, 0.5)
    t = table(reg, ballots, ballots, ballots // 3, region=[f"r{i % 3}" for i in range(900)])
    a = digit_tests(t, n_boot=100, seed=9)
    b = digit_tests(t, n_boot=100, seed=9)
    c = digit_tests(t, n_boot=100, seed=10)
    assert a.summary() == b.summary() != c.summary()
    assert sorted(a.regions) == ["r0", "r1", "r2"]
    per_region = sum(a.regions[r]["LastC"]["ballots"]["n"] for r in a.regions)
    assert per_region == a.summary()["LastC"]["ballots"]["n"]
    assert a.regions["r1"]["LastC"]["ballots"]["value"] == pytest.approx(float((ballots[1::3] % 10).mean()))


def test_station_evidence_counts_round_endings() -> None:
    votes = [[450, 300, 5], [451, 299, 17], [8, 3, 2]]
    t = table([1000, 1000, 20], [760, 770, 13], [755, 767, 13], [450, 451, 8], votes, ("A", "B", "C"))
    e = digit_tests(t, n_boot=10).evidence()
    assert e.method == METHOD
    # station 0: ballots 760, A 450, B 300 end in 0 (C = 5 is below 10): 3 of 3 → 0.2³
    assert e.p_value[0] == pytest.approx(0.2 ** 3)
    assert e.reasons[0] == "3 of 3 counts ≥ 10 end in 0 or 5 (ballots 760, A 450, B 300)"
    # station 1: ballots 770 only, of 4 counts ≥ 10 → P(Binomial(4, 0.2) ≥ 1)
    assert e.p_value[1] == pytest.approx(1 - 0.8 ** 4)
    # station 2: ballots 13 is its only count ≥ 10 and does not end in 0 or 5
    assert e.p_value[2] == 1.0 and e.reasons[2] == ""
    t0 = table([5], [3], [3], [2])
    assert np.isnan(digit_tests(t0, n_boot=10).evidence().p_value[0])  # no count ≥ 10: not tested


def test_russia_2011_turnout_heaps_on_multiples_of_five() -> None:
    # Kobak, Shpilkin & Pshenichnikov (2016, Fig. 1): turnout piles up on whole percentages, most of all on
    # multiples of 5 and 10; the toolkit's P05s sees it as a share of round-ending turnouts above 0.2
    t = russia_or_skip(2011)
    s = digit_tests(t, n_boot=50, seed=0, by_region=False).summary()
    assert s["P05s"]["ballots"]["value"] > 0.2 and s["P05s"]["ballots"]["ci_low"] > 0.2
    assert s["P05s"]["ballots"]["n"] == int((t.registered > 0).sum())
