"""Benjamini–Hochberg and Benjamini–Yekutieli q-values: published reference values, nan handling, and the
false discovery rate they promise, by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tallycheck.forensics.fdr import benjamini_hochberg, benjamini_yekutieli

# Raw p-values and the BH and BY adjusted p-values that R computed (package multtest, mt.rawp2adjp, which
# gives the same "BH"/"BY" values as stats::p.adjust), as recorded in statsmodels'
# statsmodels/stats/tests/test_multi.py (res_multtest, columns rawp, BH, BY).
R_RAW = [5.23656777208e-05, 2.8140506198e-04, 1.49877310796e-02, 2.02732688798e-02, 1.77096952723e-01,
         6.42193923795e-01, 6.80845947633e-01, 7.1626938238e-01, 8.38541367553e-01, 9.67833824309e-01]
R_BH = [5.2365677720800005e-04, 1.4070253098999999e-03, 4.9959103598666670e-02, 5.0683172199499998e-02,
        3.5419390544599999e-01, 8.9533672797500008e-01, 8.9533672797500008e-01, 8.9533672797500008e-01,
        9.3171263061444454e-01, 9.6783382430900000e-01]
R_BY = [1.5337740764175588e-03, 4.1211324652269442e-03, 1.4632862843720582e-01, 1.4844940238274187e-01,
        1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
# Same source, res_multtest3 (five small and five moderate p-values)
R3_RAW = [0.001, 0.002, 0.003, 0.004, 0.005, 0.05, 0.06, 0.07, 0.08, 0.09]
R3_BH = [0.01] * 5 + [0.08333333333333334, 0.0857142857142857, 0.0875, 0.0888888888888889, 0.09]
R3_BY = [0.02928968253968254] * 5 + [0.2440806878306878, 0.2510544217687075, 0.2562847222222222,
                                     0.2603527336860670, 0.2636071428571428]
# Benjamini & Hochberg (1995), Section 4.2: the 15 p-values of Neuhaus et al. (1992); at q* = 0.05 their
# procedure rejects the four smallest (Bonferroni-type procedures reject three).
NEUHAUS = [0.0201, 0.7590, 0.0001, 0.0344, 0.0459, 0.3240, 0.0004, 0.4262, 0.0019, 0.5719, 0.0095, 0.6528,
           0.0278, 1.0000, 0.0298]


@pytest.mark.parametrize(("raw", "bh", "by"), [(R_RAW, R_BH, R_BY), (R3_RAW, R3_BH, R3_BY)])
def test_r_reference_values(raw: list[float], bh: list[float], by: list[float]) -> None:
    np.testing.assert_allclose(benjamini_hochberg(np.array(raw)), bh, rtol=1e-14)
    np.testing.assert_allclose(benjamini_yekutieli(np.array(raw)), by, rtol=1e-14)
    # order of the input does not matter
    perm = np.random.default_rng(0).permutation(len(raw))
    np.testing.assert_allclose(benjamini_hochberg(np.array(raw)[perm]), np.array(bh)[perm], rtol=1e-14)


def test_benjamini_hochberg_1995_example() -> None:
    q = benjamini_hochberg(np.array(NEUHAUS))
    rejected = sorted(np.array(NEUHAUS)[q <= 0.05])
    assert rejected == [0.0001, 0.0004, 0.0019, 0.0095]


def test_untested_stations_keep_nan_and_do_not_count() -> None:
    raw = np.array(R_RAW)
    with_gaps = np.insert(raw, [0, 3, 3, 10], np.nan)
    q = benjamini_hochberg(with_gaps)
    assert np.isnan(q[[0, 4, 5, 13]]).all()
    np.testing.assert_allclose(q[~np.isnan(q)], R_BH, rtol=1e-14)
    assert np.isnan(benjamini_yekutieli(np.full(3, np.nan))).all()
    assert benjamini_hochberg(np.array([])).shape == (0,)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        benjamini_hochberg(np.array([0.1, 1.2]))
    with pytest.raises(ValueError):
        benjamini_yekutieli(np.array([[0.1, 0.2]]))


def simulated_fdr(adjust, rng: np.random.Generator, correlation: float, runs: int = 300, m: int = 500,
                  false_share: float = 0.2, alpha: float = 0.1) -> tuple[float, float]:
    """Mean share of true nulls among the rejections (0 when nothing is rejected), and its standard error."""
    m1 = int(m * false_share)
    fdp = []
    for _ in range(runs):
        common = rng.standard_normal()
        z = math.sqrt(correlation) * common + math.sqrt(1 - correlation) * rng.standard_normal(m)
        z[:m1] += 3.0  # the stations that really differ
        q = adjust(stats.norm.sf(z))
        rejected = q <= alpha
        fdp.append(rejected[m1:].sum() / max(rejected.sum(), 1))
    return float(np.mean(fdp)), float(np.std(fdp) / math.sqrt(runs))


@pytest.mark.parametrize("correlation", [0.0, 0.5])
def test_false_discovery_rate_is_controlled(correlation: float) -> None:
    rng = np.random.default_rng(1995)
    alpha, null_share = 0.1, 0.8
    # BH: FDR = α·m0/m exactly for independent continuous p-values, ≤ under positive dependence (PRDS)
    fdr, se = simulated_fdr(benjamini_hochberg, rng, correlation)
    assert fdr <= alpha * null_share + 3 * se
    if correlation == 0.0:
        assert fdr == pytest.approx(alpha * null_share, abs=4 * se)  # and it is not trivially conservative
    fdr_by, se_by = simulated_fdr(benjamini_yekutieli, rng, correlation)
    assert fdr_by <= alpha * null_share + 3 * se_by
    assert fdr_by < fdr


def test_by_is_bh_times_harmonic_number() -> None:
    p = np.random.default_rng(4).uniform(0, 0.01, 50)
    c = sum(1 / i for i in range(1, 51))
    np.testing.assert_allclose(benjamini_yekutieli(p), np.minimum(benjamini_hochberg(p) * c, 1.0), rtol=1e-12)
