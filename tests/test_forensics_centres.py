"""Within-centre comparison (forensics/centres.py): the beta-binomial tail, the estimator of rho against a
published fit, calibration on clean synthetic centres and power against a stuffed station."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tallycheck.forensics.centres import (CHI2_1_MEDIAN, betabinom_upper_tail, equal_split_test,
                                          leave_one_out_test, within_centre)
from tallycheck.forensics.stations import NO_REGISTER, StationTable

# Geissler's (1889) Saxon families of 12 children by number of sons, as tabulated by Sokal & Rohlf (1969, p.
# 80) and used in Wikipedia's "Beta-binomial distribution" article (section "Example"), whose
# method-of-moments fit is alpha = 34.1350, beta = 31.6085 (so rho = 1 / (alpha + beta + 1) = 0.014983).
SAXONY_SONS = (3, 24, 104, 286, 670, 1033, 1343, 1112, 829, 478, 181, 45, 7)
SAXONY_ALPHA, SAXONY_BETA = 34.1350, 31.6085


def _direct_tail(x: int, n: int, a: float, b: float) -> float:
    """P(X >= x) by summing scipy's pmf term by term (no 1 - cdf cancellation)."""
    if x <= 0:
        return 1.0
    return float(np.sum(stats.betabinom.pmf(np.arange(x, n + 1), n, a, b)))


@pytest.mark.parametrize("x, n, a, b", [
    (0, 10, 2.0, 3.0),  # x <= 0: certain
    (11, 10, 2.0, 3.0),  # beyond n: impossible
    (1, 1, 1.0, 1.0),
    (5, 10, 2.0, 3.0),
    (600, 1000, 40.0, 60.0),  # above the mean: upper tail summed
    (300, 1000, 40.0, 60.0),  # below the mean: 1 - lower tail
    (990, 1000, 40.0, 60.0),  # far tail (about 1e-40)
    (1399, 1511, 81.1, 125.6),  # about 1e-68: 1 - cdf would give 0 or noise here
    (120, 1600, 0.9, 70.0),  # a < 1 (a small share with overdispersion): summed to n in full
    (1590, 1600, 70.0, 0.8),  # b < 1
    (3, 2000, 0.5, 0.5),  # U-shaped
])
def test_upper_tail_matches_the_summed_pmf(x: int, n: int, a: float, b: float) -> None:
    got = float(betabinom_upper_tail(np.array([x]), np.array([n]), np.array([a]), np.array([b]))[0])
    want = _direct_tail(x, n, a, b)
    assert got == pytest.approx(want, rel=1e-8, abs=1e-300)


def test_upper_tail_vectorised_matches_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(1, 1500, 400)
    a, b = rng.uniform(0.4, 150, 400), rng.uniform(0.4, 150, 400)
    x = rng.integers(-1, n + 2)
    got = betabinom_upper_tail(x, n, a, b)
    want = np.array([_direct_tail(int(x[i]), int(n[i]), a[i], b[i]) for i in range(400)])
    np.testing.assert_allclose(got, np.clip(want, 0, 1), rtol=1e-8, atol=1e-14)


def test_moment_estimator_reproduces_the_published_saxony_fit() -> None:
    # One "centre" of 6115 families, each a "station" of 12 children. The leave-one-out moment estimator
    # differs from the classical one only in estimating each family's deviation from the *other* families'
    # mean (and dividing by N rather than N - 1): with 6115 families the two agree to about 0.1 %.
    x = np.repeat(np.arange(13), SAXONY_SONS)
    n = np.full(len(x), 12)
    _, _, others, rho = leave_one_out_test(x, n, np.zeros(len(x), np.int64), np.full(len(x), ""),
                                           rho_method="moments", trim=None)
    assert rho[""] == pytest.approx(1 / (SAXONY_ALPHA + SAXONY_BETA + 1), rel=2e-3)
    assert others.max() == len(x) - 1


def test_median_estimator_is_consistent_with_many_voters() -> None:
    # The robust (median) estimator matches a normal approximation's median; with hundreds of voters per
    # station it recovers rho (within 5 % here), with 12 children per family it would not (it gives 0.0101
    # against 0.0150 on the Saxon data): the documented reason to use it only on station-sized counts.
    x, n, g = _centres(seed=5, n_centres=4000, rho=0.01, sizes=(4, 12))
    _, _, _, rho = leave_one_out_test(x, n, g, np.full(len(x), ""))
    assert rho[""] == pytest.approx(0.01, rel=0.05)
    assert CHI2_1_MEDIAN == pytest.approx(0.454936, abs=1e-6)


def _centres(seed: int, n_centres: int, rho: float, sizes: tuple[int, int] = (3, 12),
             voters: tuple[int, int] = (150, 1500)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clean centres: each station's turnout p_i ~ Beta(mean mu_c, intra-centre correlation rho), and
    x ~ Bin(n, p)."""
    rng = np.random.default_rng(seed)
    size = rng.integers(sizes[0], sizes[1] + 1, n_centres)
    g = np.repeat(np.arange(n_centres), size)
    mu = rng.beta(8, 6, n_centres)[g]
    n = rng.integers(voters[0], voters[1], len(g))
    p = mu if rho == 0 else rng.beta(mu * (1 / rho - 1), (1 - mu) * (1 / rho - 1))
    return rng.binomial(n, p), n, g


@pytest.mark.parametrize("rho, sizes", [(0.0, (3, 4)), (0.003, (3, 12)), (0.01, (3, 12)), (0.03, (10, 40))])
def test_p_values_are_calibrated_on_clean_centres(rho: float, sizes: tuple[int, int]) -> None:
    x, n, g = _centres(seed=11, n_centres=2500, rho=rho, sizes=sizes)
    p, _, _, _ = leave_one_out_test(x, n, g, np.full(len(x), ""))
    p = p[~np.isnan(p)]
    m = len(p)
    for level in (0.001, 0.01, 0.05, 0.2, 0.5):
        rate = float(np.mean(p <= level))
        se = np.sqrt(level * (1 - level) / m)
        assert rate <= level + 3 * se, (level, rate)  # never liberal beyond sampling error
        # and not much more conservative than the discreteness of counts makes a tail p-value (P(X >= x))
        assert rate >= 0.7 * level - 3 * se, (level, rate)
    # uniform within sampling error overall (Kolmogorov-Smirnov distance; the tail p of a count is
    # slightly super-uniform, hence the allowance beyond the 1 % critical value 1.63 / sqrt(m))
    ks = np.max(np.abs(np.sort(p) - np.arange(1, m + 1) / m))
    assert ks <= 1.63 / np.sqrt(m) + 0.012


def test_a_stuffed_station_stands_out_in_its_centre() -> None:
    x, n, g = _centres(seed=21, n_centres=2000, rho=0.01, sizes=(4, 10))
    rng = np.random.default_rng(22)
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    stuffed = rng.choice(first, 200, replace=False)
    x = x.copy()
    # the fraudster fills the box to 85-99 % of the register (as tallycheck.synth's stuffing does)
    x[stuffed] = np.floor(n[stuffed] * rng.uniform(0.85, 0.99, 200)).astype(np.int64)
    x[stuffed] = np.maximum(x[stuffed], x[stuffed])
    p, _, _, rho = leave_one_out_test(x, n, g, np.full(len(x), ""))
    clean = np.setdiff1d(np.arange(len(x)), stuffed)
    assert np.mean(p[stuffed] <= 0.001) >= 0.9  # power
    assert np.mean(p[clean] <= 0.001) <= 0.002  # the yardstick (rho) is not thrown by 10 % stuffed centres
    assert rho[""] == pytest.approx(0.01, rel=0.25)


def _table(x: np.ndarray, n: np.ndarray, centre: np.ndarray, kind: np.ndarray,
           registered: np.ndarray | None = None) -> StationTable:
    m = len(x)
    return StationTable(np.array([f"s{i}" for i in range(m)], dtype=object),
                        n if registered is None else registered, x, n, x, np.full(m, "R", dtype=object),
                        centre.astype(object), kind.astype(object))


def test_only_like_stations_are_compared_and_small_groups_are_not_tested() -> None:
    # centre C1: three men's stations at 50 % and two women's at 20 %. Compared with each other, the women's
    # stations are in line; compared with the men's they would look low (never high): kinds stay apart.
    x = np.array([500, 510, 490, 200, 210, 300])
    n = np.array([1000, 1000, 1000, 1000, 1000, 1000])
    centre = np.array(["C1", "C1", "C1", "C1", "C1", "C2"])
    kind = np.array(["men", "men", "men", "women", "women", "men"])
    c = within_centre(_table(x, n, centre, kind), min_stations=3)
    p = c.turnout.evidence.p_value
    assert not np.isnan(p[:3]).any()
    assert np.isnan(p[3:]).all()  # two women's stations, and C2's lone station: too few to compare
    assert list(c.turnout.others[:3]) == [2, 2, 2]
    c2 = within_centre(_table(x, n, centre, kind), min_stations=2)
    assert not np.isnan(c2.turnout.evidence.p_value[3:5]).any()
    assert np.isnan(c2.turnout.evidence.p_value[5])


def test_leave_one_out_keeps_a_stuffed_station_from_hiding() -> None:
    # 40 centres of five stations at about 40 %; in 10 of them the fifth station reports 95 %. With the
    # station in its own yardstick its centre's mean would be 51 % and the deviation smaller; left out, it is
    # compared with the other four (40.25 %).
    rng = np.random.default_rng(8)
    n = np.full(200, 1000)
    x = rng.binomial(n, 0.4)
    stuffed = np.arange(4, 50, 5)
    x[stuffed] = 950
    centre = np.repeat(np.arange(40).astype(str), 5)
    c = within_centre(_table(x, n, centre, np.full(200, "")))
    p = c.turnout.evidence.p_value
    assert (p[stuffed] < 1e-9).all()
    assert np.mean(np.delete(p, stuffed) <= 0.01) <= 0.03
    i = stuffed[0]
    assert c.turnout.expected[i] == pytest.approx(x[i - 4:i].sum() / 4000)
    reason = c.turnout.evidence.reasons[i]
    assert "95.0%" in reason and f"{x[i - 4:i].sum() / 4000:.1%}" in reason and "4 other" in reason


def test_stations_without_a_register_skip_the_turnout_test_only() -> None:
    x = np.array([400, 410, 395, 405, 420])
    n = np.full(5, 1000)
    registered = np.array([1000, NO_REGISTER, 1000, 1000, 1000])
    c = within_centre(_table(x, n, np.full(5, "C"), np.full(5, ""), registered))
    assert np.isnan(c.turnout.evidence.p_value[1])
    assert c.turnout.others[0] == 3  # the station without a register is not among the others either
    assert not np.isnan(c.share.evidence.p_value).any()


def test_rejects_a_nonsense_minimum() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        within_centre(_table(np.array([1]), np.array([2]), np.array(["C"]), np.array([""])), min_stations=1)


# -- ballots against an even split of a register-free centre -----------------------------------------------

def test_equal_split_without_overdispersion_is_the_conditional_binomial_test() -> None:
    # Groups of identical counts make rho 0; the tested station's p is then the exact conditional test of
    # equal Poisson rates (Przyborowski & Wilenski 1940, Biometrika 31: 313-323): X | T ~ binomial(T, 1/k),
    # here checked against scipy's independent binomial test.
    x = np.array([300] * 40 + [330, 300, 300, 300])
    group = np.array([g for g in range(10) for _ in range(4)] + [10] * 4)
    kind = np.full(len(x), "", dtype=object)
    p, share, others, rho = equal_split_test(x, group, kind, min_stations=3)
    assert rho == {"": 0.0} and share[-1] == 0.25 and others[-1] == 3
    want = stats.binomtest(330, 1230, 0.25, alternative="greater").pvalue
    assert p[40] == pytest.approx(want, rel=1e-8)


def test_equal_split_is_calibrated_on_clean_register_free_centres() -> None:
    # lists of about equal size (+-10 %) and turnouts varying around the centre's: every station honest
    rng = np.random.default_rng(12)
    sizes = rng.integers(3, 9, 3000)
    group = np.repeat(np.arange(len(sizes)), sizes)
    voters = rng.integers(360, 440, len(group))
    turnout = rng.beta(40, 60, len(sizes))[group]
    x = rng.binomial(voters, rng.beta(turnout * 150, (1 - turnout) * 150))
    p, _, _, _ = equal_split_test(x, group, np.full(len(x), "", dtype=object))
    for alpha in (0.01, 0.05, 0.1):
        rate = float(np.mean(p <= alpha))
        assert rate <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / len(p))
    # a station stuffed with 150 ballots (about 40 % more than its siblings) stands out
    stuffed = x.copy()
    stuffed[0] += 150
    assert equal_split_test(stuffed, group, np.full(len(x), "", dtype=object))[0][0] < 1e-3


def test_ballot_test_runs_only_where_no_station_of_the_group_has_a_register() -> None:
    x = np.array([300, 310, 305, 295, 300, 600] * 2)
    n = np.array([1000] * 12)
    centre = np.array(["A"] * 6 + ["B"] * 6)
    kind = np.array(["men"] * 12)
    registered = np.array([NO_REGISTER] * 6 + [1000] + [NO_REGISTER] * 5)
    c = within_centre(_table(x, n, centre, kind, registered=registered))
    p = c.ballots.evidence.p_value
    assert np.isnan(p[6:]).all() and (~np.isnan(p[:6])).all()
    assert p[5] < 0.01
    assert c.ballots.evidence.reasons[5].startswith("600 ballots, 28% of the 2110 of the centre's 6")
    assert [e.method for e in c.evidence()] == ["centre-turnout", "centre-share", "centre-ballots"]
    assert "ballots" in c.summary()
    assert within_centre(_table(x, n, centre, kind), ballots=False).ballots is None
