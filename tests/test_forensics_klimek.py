"""Klimek et al.'s fraud model: the exact least-squares step, synthetic recovery, and Russia 2004–2016.

References: Klimek, Yegorov, Hanel & Thurner, PNAS 109(41):16469–16473 (2012), Fig. 4 (observed and fitted
fingerprints of Russia 2011 and 2012; the fair model f_i = f_e = 0 fails); and the Mebane–Kalinin fits of the
same model for Russia 2000–2016, supplied by Mebane to Kobak (github.com/dkobak/elections,
`mebane-kalinin.txt`, here `shared/data/russia-federal-2004-2024/mebane-kalinin-fits.tsv`).

The fit is stochastic through its seeded simulation. Run-to-run spread over seeds 0–4 (measured, Russia, the
default settings): 2011 f_i 0.1855–0.1932 (sd 0.003), f_e 0.0547–0.0565 (sd 0.0007), α 2.85–3.00; 2012 f_i
0.1191–0.1231 (sd 0.0014), f_e 0.0439–0.0443, α 3.45–3.50. Tolerances below are stated against that spread.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from russia import RUSSIA_DIR, russia_or_skip
from tallycheck.forensics.klimek import (
    _best_shares,
    _half_normal_below_one,
    _truncated_normal,
    klimek_first_stage,
    klimek_fit,
)
from tallycheck.forensics.stations import StationTable

YEARS = (2004, 2007, 2008, 2011, 2012, 2016)


def mebane_kalinin() -> dict[int, dict[str, float]]:
    path = RUSSIA_DIR / "mebane-kalinin-fits.tsv"
    if not path.is_file():
        pytest.skip(f"Mebane–Kalinin fits not found at {path}")
    rows = [line.rstrip("\n").split("\t") for line in path.read_text().splitlines()]
    years = [int(y) for y in rows[0][1:]]
    return {y: {r[0]: float(r[1 + i]) for r in rows[1:]} for i, y in enumerate(years)}


def klimek_election(n: int, f_i: float, f_e: float, *, alpha: float, theta: float, seed: int,
                    tau: float = 0.55, nu: float = 0.45, sd: float = 0.1) -> tuple[StationTable, np.ndarray]:
    """A synthetic election drawn from Klimek et al.'s model itself; returns it and each station's class
    (0 fair, 1 incremental, 2 extreme)."""
    rng = np.random.default_rng(seed)
    registered = rng.integers(500, 2001, n).astype(np.float64)
    votes = np.rint(registered * _truncated_normal(rng.random(n), tau, sd))
    leader = np.rint(votes * _truncated_normal(rng.random(n), nu, sd))
    u = rng.random(n)
    cls = np.where(u < f_i, 1, np.where(u < f_i + f_e, 2, 0))
    x = np.zeros(n)
    x[cls == 1] = _half_normal_below_one(rng.random(int((cls == 1).sum())), theta)
    x[cls == 2] = 1.0 - _half_normal_below_one(rng.random(int((cls == 2).sum())), 0.075)
    stuffed = np.floor(x * (registered - votes))
    stolen = np.rint(x ** alpha * (votes - leader))
    ballots = (votes + stuffed).astype(np.int64)
    blank = np.full(n, "", dtype=object)
    ids = np.array([f"s{i}" for i in range(n)], dtype=object)
    t = StationTable(ids, registered.astype(np.int64), ballots, ballots,
                     (leader + stuffed + stolen).astype(np.int64), blank, blank, blank)
    return t, cls


def test_first_stage_is_median_and_left_rms() -> None:
    # turnouts 0.2, 0.4, 0.6, 0.8, 1.0 (median 0.6: left RMS √((0.4² + 0.2²)/2)); shares 0.1 … 0.5 likewise
    rows = [(1000, 200, 100, 10), (1000, 400, 100, 20), (1000, 600, 100, 30), (1000, 800, 100, 40),
            (1000, 1000, 100, 50)]
    a = np.array(rows, dtype=np.int64)
    blank = np.full(5, "", dtype=object)
    ids = np.array(list("abcde"), dtype=object)
    t = StationTable(ids, a[:, 0], a[:, 1], a[:, 2], a[:, 3], blank, blank, blank)
    first = klimek_first_stage(t)
    assert first["tau"] == pytest.approx(0.6) and first["nu"] == pytest.approx(0.3)
    assert first["sigma_tau"] == pytest.approx(np.sqrt((0.4 ** 2 + 0.2 ** 2) / 2))
    assert first["sigma_nu"] == pytest.approx(np.sqrt((0.2 ** 2 + 0.1 ** 2) / 2))
    # Klimek's θ: √RMS of the shares above the modal 1 % bin (the bins hold one station each: the first, 0.10)
    assert first["theta"] == pytest.approx(np.sqrt(np.sqrt((0.1 ** 2 + 0.2 ** 2 + 0.3 ** 2 + 0.4 ** 2) / 4)))
    with pytest.raises(ValueError, match="at least 5000 registered"):
        klimek_first_stage(t, min_registered=5000)


def test_least_squares_step_is_exact_on_the_triangle() -> None:
    rng = np.random.default_rng(1)
    h0, hi, he = (rng.uniform(0, 50, 400) for _ in range(3))
    w = np.ones(400)
    big = 10 ** 12  # so many realisations that the noise correction vanishes
    for f_i, f_e in [(0.3, 0.1), (0.0, 0.2), (0.7, 0.0), (0.0, 0.0), (0.5, 0.5)]:
        observed = (1 - f_i - f_e) * h0 + f_i * hi + f_e * he
        got_i, got_e, cost = _best_shares(observed, h0, hi, he, w, big)
        assert (got_i, got_e) == (pytest.approx(f_i, abs=1e-9), pytest.approx(f_e, abs=1e-9))
        assert cost == pytest.approx(0.0, abs=1e-6)
    # outside the triangle the optimum is on its edge: an observation past "all extreme" is fitted by f_e = 1
    got_i, got_e, _ = _best_shares(h0 + 1.5 * (he - h0), h0, hi, he, w, big)
    assert (got_i, got_e) == (pytest.approx(0.0, abs=1e-9), pytest.approx(1.0, abs=1e-9))
    got_i, got_e, _ = _best_shares(h0 - (hi - h0), h0, hi, he, w, big)
    assert (got_i, got_e) == (pytest.approx(0.0, abs=1e-9), pytest.approx(0.0, abs=1e-9))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_synthetic_election_fits_no_fraud(seed: int) -> None:
    t, _ = klimek_election(20_000, 0.0, 0.0, alpha=2.0, theta=0.3, seed=seed)
    fit = klimek_fit(t, seed=0)
    # measured on seeds 1–3: f_i ≤ 0.0004, f_e = 0; 0.01 is 3.5 times the simulation sd on Russia (0.003)
    assert fit.f_i <= 0.01 and fit.f_e <= 0.001
    assert fit.residual <= fit.fair_residual


@pytest.mark.parametrize(("f_i", "f_e", "seed"), [(0.2, 0.05, 1), (0.2, 0.05, 2), (0.1, 0.02, 3)])
def test_injected_fraud_is_recovered_given_the_honest_distribution(f_i: float, f_e: float, seed: int) -> None:
    t, cls = klimek_election(20_000, f_i, f_e, alpha=2.0, theta=0.3, seed=seed)
    realised_i, realised_e = np.mean(cls == 1), np.mean(cls == 2)
    honest = {"tau": 0.55, "nu": 0.45, "sigma_tau": 0.1, "sigma_nu": 0.1, "theta": 0.3}
    fit = klimek_fit(t, seed=0, first_stage=honest)
    # tolerance: 3 × √(binomial SE² + simulation sd²) with n = 20,000: f_i √(0.2·0.8/n) = 0.0028 and 0.003
    # → 0.012; f_e √(0.05·0.95/n) = 0.0015 and 0.0007 → 0.005; α: one step of the coarse α grid (0.25)
    assert fit.f_i == pytest.approx(realised_i, abs=0.012)
    assert fit.f_e == pytest.approx(realised_e, abs=0.005)
    assert fit.alpha == pytest.approx(2.0, abs=0.25)


def test_plug_in_first_stage_still_recovers_extreme_fraud() -> None:
    # With τ, ν, σ and θ taken from the data (the paper's first stage), mild stuffing is absorbed into the
    # "honest" peak (the median moves up with it: f_i ≈ 0 here, see docs/methods.md), but extreme fraud is
    # recovered.
    t, cls = klimek_election(20_000, 0.2, 0.05, alpha=2.0, theta=0.3, seed=1)
    fit = klimek_fit(t, seed=0)
    assert fit.f_e == pytest.approx(np.mean(cls == 2), abs=0.005)


def test_arguments_are_checked() -> None:
    t, _ = klimek_election(500, 0.0, 0.0, alpha=2.0, theta=0.3, seed=1)
    with pytest.raises(ValueError, match="weighting"):
        klimek_fit(t, weighting="cubic")
    with pytest.raises(ValueError, match="realizations"):
        klimek_fit(t, realizations=0)
    with pytest.raises(ValueError, match="positive"):
        klimek_fit(t, alphas=[0.0, 1.0])


def test_first_stage_matches_mebane_kalinin_on_russia() -> None:
    mk = mebane_kalinin()
    for year in YEARS:
        first = klimek_first_stage(russia_or_skip(year))
        # τ and ν: measured |Δ| ≤ 0.0126 over the six elections; σ_τ ≤ 0.015, σ_ν ≤ 0.027. Mebane–Kalinin's
        # τ and ν are themselves ratios of one station's counts (9/13, 13/27, 71/94), i.e. order statistics
        # of their own station set, which sits at the 48th/52nd percentiles of ours (a different turnout and
        # share base), hence the gap.
        assert first["tau"] == pytest.approx(mk[year]["tau"], abs=0.015), year
        assert first["nu"] == pytest.approx(mk[year]["nu"], abs=0.015), year
        assert first["sigma_tau"] == pytest.approx(mk[year]["sigma_tau"], abs=0.02), year
        assert first["sigma_nu"] == pytest.approx(mk[year]["sigma_nu"], abs=0.03), year


@pytest.fixture(scope="module")
def russia_fits() -> dict[int, object]:
    return {year: klimek_fit(russia_or_skip(year), seed=0) for year in YEARS}


def test_incremental_fraud_agrees_with_mebane_kalinin_in_size_and_order(russia_fits: dict) -> None:
    mk = mebane_kalinin()
    ours = np.array([russia_fits[y].f_i for y in YEARS])
    theirs = np.array([mk[y]["f_i"] for y in YEARS])
    # measured: 0.000/0.049 (2004), 0.088/0.040, 0.029/0.013, 0.186/0.121 (2011), 0.121/0.084 (2012),
    # 0.257/0.222 (2016); largest gap 0.066. Seed spread is ≤ 0.008, so the gap is the first stage and the
    # implementation (their θ is a fitted grid value, ours Klimek's plug-in; their share of the 1-D or 2-D
    # histogram is not documented): agreement is at ±0.08 and in the order of the elections.
    assert np.max(np.abs(ours - theirs)) <= 0.08
    assert stats.spearmanr(ours, theirs).statistic >= 0.8  # measured 0.83: only 2004 is out of place
    assert ours[YEARS.index(2016)] == max(ours) and theirs[YEARS.index(2016)] == max(theirs)


def test_extreme_fraud_tracks_the_stations_in_the_corner(russia_fits: dict) -> None:
    # Mebane–Kalinin's f_e (2·10⁻⁶ – 0.022) is far below the share of stations the extreme mechanism produces
    # (turnout ≥ 95 % and leader ≥ 90 %: 3.2–6.9 % of stations here); ours follows that share (measured ratio
    # 0.97–1.23). This disagreement is reported in docs/methods.md rather than hidden.
    for year in YEARS:
        t = russia_or_skip(year)
        ok = (t.registered >= 100) & (t.share_base > 0)
        high = (t.ballots[ok] >= 0.95 * t.registered[ok]) & (t.leader[ok] >= 0.9 * t.share_base[ok])
        corner = np.mean(high)
        assert 0.8 * corner <= russia_fits[year].f_e <= 1.4 * corner, year


@pytest.mark.parametrize("year", [2011, 2012])
def test_russia_is_explained_by_fraud_not_by_the_fair_model(russia_fits: dict, year: int) -> None:
    # PNAS Fig. 4: the fitted fraud model reproduces Russia's fingerprint, the fair one (f_i = f_e = 0) not
    fit = russia_fits[year]
    assert fit.f_i > 0.05 and fit.f_e > 0.01
    assert fit.residual < 0.7 * fit.fair_residual  # measured 0.56 (2011), 0.62 (2012)
    assert fit.fitted.sum() == pytest.approx(fit.n_stations) and fit.observed.sum() == fit.n_stations


def test_russia_2011_run_to_run_spread(russia_fits: dict) -> None:
    t = russia_or_skip(2011)
    fits = [russia_fits[2011]] + [klimek_fit(t, seed=s) for s in (1, 2)]
    f_i = [f.f_i for f in fits]
    f_e = [f.f_e for f in fits]
    assert max(f_i) - min(f_i) <= 0.015  # measured 0.0077 over seeds 0–4
    assert max(f_e) - min(f_e) <= 0.004  # measured 0.0018
