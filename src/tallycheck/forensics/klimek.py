"""Klimek et al.'s fraud model: how much incremental and extreme ballot stuffing the fingerprint implies.

Klimek, Yegorov, Hanel & Thurner, "Statistical detection of systematic election irregularities", PNAS 109(41):
16469–16473 (2012), its fraud model and Fig. 4. Each station i with N_i registered voters gets an honest
turnout a_i ~ N(τ, σ_τ) and an honest leader share v_i ~ N(ν, σ_ν), both kept inside [0, 1]. With probability
f_i the station has *incremental* fraud: a fraction x_i of the non-voters' ballots is stuffed for the leader
and a fraction x_i^α of the opposition's votes is moved to the leader, x_i = |N(0, θ)|; with probability f_e
it has *extreme* fraud, the same mechanism with x_i = 1 − |N(0, 0.075)| (almost everything). α is the
"deviation" parameter: α > 1 means that less is stolen from the opposition than stuffed from the non-voters.

First stage (`klimek_first_stage`): fraud only ever raises turnout and the leader's share, so the location of
the main peak and the left half of it are taken as fraud-free. τ and ν are the medians of the station turnouts
and shares (the location of the main peak; for Russia the Mebane–Kalinin first-stage τ and ν lie within 0.013
of these medians in all six elections, see tests), σ_τ and σ_ν the root-mean-square distance below them. θ is
Klimek's plug-in as his code computes it (the square root of the RMS excess of the share over its modal 1 %
bin; the Election Forensics Toolkit's R port of Klimek's `ElectionFitter.m`, `ComputeKlimekModel`, function
`Estimate`). `fit_theta=True` fits θ on a grid instead, as Mebane and Kalinin evidently did (their θ values
are sd·√(2/π), the mean of |N(0, sd)|, for sd on a grid of ninths).

Second stage (`klimek_fit`): the paper simulates the model and minimises the squared difference between the
simulated and observed 2-D fingerprints (stations per 1 % × 1 % cell). The expected simulated histogram is
linear in (f_i, f_e): E[H] = (1 − f_i − f_e)·H₀ + f_i·H_inc + f_e·H_ext, where H₀, H_inc and H_ext are the
histograms of every station simulated honest, with incremental and with extreme fraud (`realizations` seeded
draws each, the same draws for every θ and α). So for each α on a grid (0.25 … 6 by 0.25, then refined by
0.05 around the best) the least-squares (f_i, f_e) with f ≥ 0 and f_i + f_e ≤ 1 is solved exactly, instead
of the paper's search over simulated realisations, after subtracting the simulation's own noise from the
distance (see `_best_shares`: without that, mixing independent noisy histograms looks like a better fit and
pulls f_i above 0 on clean data). The fit is stochastic through the draws: `tests/test_forensics_klimek.py`
records the spread over seeds. Stations with fewer than `min_registered` voters (special stations in
hospitals, ships, military units) are left out of both stages.

A known limit, measured on synthetic elections drawn from the model itself (20,000 stations, 20 % incremental
fraud with θ = 0.3, 5 % extreme): the plug-in first stage takes mild stuffing for part of the honest peak (the
medians move up with it), so f_i comes out near 0 while f_e is recovered; given the true honest distribution,
both are recovered to within 0.01. The finite-mixture model (`mixture.py`) estimates both jointly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .fingerprint import fingerprint_bins
from .stations import StationTable

EXTREME_WIDTH = 0.075  # Klimek et al.: extreme-fraud x = 1 − |N(0, 0.075)|
DEFAULT_ALPHAS = np.round(np.arange(0.25, 6.0001, 0.25), 6)
DEFAULT_THETAS = np.round(np.arange(0.05, 1.0001, 0.05), 6)
WEIGHTINGS = ("plain", "relative")


@dataclass(frozen=True, slots=True)
class KlimekFit:
    f_i: float  # share of stations with incremental fraud
    f_e: float  # share of stations with extreme fraud
    alpha: float
    theta: float
    tau: float
    nu: float
    sigma_tau: float
    sigma_nu: float
    residual: float  # weighted sum of squares, fitted model vs observed fingerprint
    fair_residual: float  # the same with f_i = f_e = 0 (everything else unchanged)
    n_stations: int
    bins: int
    seed: int
    weighting: str
    alpha_at_bound: bool  # the best α is the smallest or largest α tried
    theta_at_bound: bool
    observed: np.ndarray  # float64 (bins, bins): stations per turnout × share cell
    fitted: np.ndarray  # float64 (bins, bins): the fitted model's expected stations per cell
    fair: np.ndarray  # float64 (bins, bins): the same model without fraud

    def summary(self) -> dict[str, float | int | bool | str]:
        return {"f_i": self.f_i, "f_e": self.f_e, "alpha": self.alpha, "theta": self.theta, "tau": self.tau,
                "nu": self.nu, "sigma_tau": self.sigma_tau, "sigma_nu": self.sigma_nu,
                "residual": self.residual,
                "fair_residual": self.fair_residual, "n_stations": self.n_stations, "bins": self.bins,
                "seed": self.seed, "weighting": self.weighting, "alpha_at_bound": self.alpha_at_bound,
                "theta_at_bound": self.theta_at_bound}


def _usable(t: StationTable, min_registered: int) -> np.ndarray:
    return (t.registered >= max(min_registered, 1)) & (t.share_base > 0) & (t.ballots >= 0) & (t.leader >= 0)


def _rates(t: StationTable, used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    turnout = np.minimum(t.ballots[used] / t.registered[used], 1.0)
    share = np.minimum(t.leader[used] / t.share_base[used], 1.0)
    return turnout, share


def _left_rms(x: np.ndarray, centre: float) -> float:
    below = x[x < centre] - centre
    return float(np.sqrt(np.mean(below * below))) if len(below) else 0.0


def klimek_first_stage(t: StationTable, *, min_registered: int = 100) -> dict[str, float]:
    """τ, ν (medians), σ_τ, σ_ν (RMS below them) and Klimek's plug-in θ, from the stations with a register of
    at least `min_registered` and a share base above 0."""
    used = _usable(t, min_registered)
    if np.count_nonzero(used) < 2:
        raise ValueError(f"the Klimek model needs stations with at least {min_registered} registered voters "
                         f"and a share base above 0; found {np.count_nonzero(used)}")
    turnout, share = _rates(t, used)
    tau, nu = float(np.median(turnout)), float(np.median(share))
    counts = np.bincount(np.minimum((share * 100).astype(np.int64), 99), minlength=100)
    mode = np.argmax(counts) / 100.0
    above = share[share > mode] - mode
    theta = float(np.sqrt(np.sqrt(np.mean(above * above)))) if len(above) else 0.0
    return {"tau": tau, "nu": nu, "sigma_tau": _left_rms(turnout, tau), "sigma_nu": _left_rms(share, nu),
            "theta": theta}


def _truncated_normal(u: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """Inverse-CDF draw of N(mean, sd) kept inside [0, 1], from uniforms u (vectorised, no rejection loop)."""
    if sd <= 0:
        return np.full(len(u), min(max(mean, 0.0), 1.0))
    lo, hi = special.ndtr((0.0 - mean) / sd), special.ndtr((1.0 - mean) / sd)
    return np.clip(mean + sd * special.ndtri(lo + u * (hi - lo)), 0.0, 1.0)


def _half_normal_below_one(u: np.ndarray, width: float) -> np.ndarray:
    """|N(0, width)| kept below 1, by inverse CDF."""
    top = 2.0 * special.ndtr(1.0 / width) - 1.0
    return np.minimum(width * special.ndtri(0.5 + 0.5 * u * top), 1.0 - 1e-12)


@dataclass(frozen=True, slots=True)
class _Draw:
    """Seeded realisations of the honest election and of the fraud uniforms, shared by every (θ, α)."""

    registered: np.ndarray  # float64, the stations repeated once per realisation
    honest_votes: np.ndarray  # float64: rounded N·a
    honest_leader: np.ndarray  # float64: rounded N·a·v
    u_incremental: np.ndarray
    extreme_x: np.ndarray


def _draw(registered: np.ndarray, first: dict[str, float], rng: np.random.Generator,
          realizations: int) -> _Draw:
    """`realizations` independent simulated elections over the same stations, stacked end to end."""
    reg = np.tile(registered, realizations)
    n = len(reg)
    a = _truncated_normal(rng.random(n), first["tau"], first["sigma_tau"])
    v = _truncated_normal(rng.random(n), first["nu"], first["sigma_nu"])
    votes = np.rint(reg * a)
    return _Draw(reg, votes, np.rint(votes * v), rng.random(n),
                 1.0 - _half_normal_below_one(rng.random(n), EXTREME_WIDTH))


def _bin(numerator: np.ndarray, denominator: np.ndarray, bins: int) -> np.ndarray:
    # whole counts below 2^53: the float quotient never crosses an integer boundary, so this is ⌊bins·n/d⌋
    with np.errstate(invalid="ignore", divide="ignore"):
        q = bins * numerator / denominator
    return np.minimum(np.nan_to_num(q, nan=0.0), bins - 1).astype(np.int64)


@dataclass(frozen=True, slots=True)
class _Stuffed:
    """One draw with fraud of magnitude x applied to the turnout: what does not depend on α."""

    turnout_cell: np.ndarray  # int64: turnout bin × bins
    votes: np.ndarray
    leader_before_theft: np.ndarray
    log_x: np.ndarray
    opposition: np.ndarray


def _stuff(d: _Draw, x: np.ndarray, bins: int) -> _Stuffed:
    stuffed = np.floor(x * (d.registered - d.honest_votes))
    votes = d.honest_votes + stuffed
    with np.errstate(divide="ignore"):
        log_x = np.log(x)
    return _Stuffed(_bin(votes, d.registered, bins) * bins, votes, d.honest_leader + stuffed, log_x,
                    d.honest_votes - d.honest_leader)


def _histogram(s: _Stuffed, alpha: float, bins: int) -> np.ndarray:
    """Stations per cell once a fraction x^α of the opposition's votes is moved to the leader as well."""
    leader = s.leader_before_theft + np.rint(np.exp(alpha * s.log_x) * s.opposition)
    return np.bincount(s.turnout_cell + _bin(leader, s.votes, bins), minlength=bins * bins).astype(np.float64)


def _best_shares(observed: np.ndarray, h0: np.ndarray, hi: np.ndarray, he: np.ndarray, w: np.ndarray,
                 realizations: int) -> tuple[float, float, float]:
    """argmin over f_i, f_e ≥ 0, f_i + f_e ≤ 1 of the expected-histogram distance, exactly.

    The model histogram M = (1 − f_i − f_e)·h0 + f_i·hi + f_e·he is itself simulated, so Σ w·(observed − M)²
    also holds the simulation noise Σ w·Var(M), and that term alone would pull (f_i, f_e) away from 0 (mixing
    independent noisy histograms averages their noise out). Each class histogram is the mean of `realizations`
    independent draws, a cell's variance is its count / realizations (Poisson), so the noise is subtracted:
    cost(f) = Σ w·(observed − M)² − Σ w·((1 − f_i − f_e)²·h0 + f_i²·hi + f_e²·he) / realizations, a quadratic
    in (f_i, f_e) minimised over the triangle by checking its stationary points and vertices.
    """
    b, a1, a2 = observed - h0, hi - h0, he - h0
    r = float(realizations)
    s0, s1, s2 = float(np.dot(w, h0)) / r, float(np.dot(w, hi)) / r, float(np.dot(w, he)) / r
    g11 = float(np.dot(w * a1, a1)) - s0 - s1
    g22 = float(np.dot(w * a2, a2)) - s0 - s2
    g12 = float(np.dot(w * a1, a2)) - s0
    c1, c2 = float(np.dot(w * a1, b)) - s0, float(np.dot(w * a2, b)) - s0
    bb = float(np.dot(w * b, b)) - s0

    def cost(f1: float, f2: float) -> float:
        return bb - 2 * (f1 * c1 + f2 * c2) + f1 * f1 * g11 + 2 * f1 * f2 * g12 + f2 * f2 * g22

    candidates = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]
    det = g11 * g22 - g12 * g12
    if det > 0 and g11 > 0:
        candidates.append(((c1 * g22 - c2 * g12) / det, (c2 * g11 - c1 * g12) / det))
    if g11 > 0:
        candidates.append((c1 / g11, 0.0))
    if g22 > 0:
        candidates.append((0.0, c2 / g22))
    gd = g11 - 2 * g12 + g22  # along the edge f_i + f_e = 1, with f_i = s
    if gd > 0:
        s_edge = (c1 - c2 - g12 + g22) / gd
        candidates.append((s_edge, 1.0 - s_edge))
    best = (np.inf, 0.0, 0.0)
    for f1, f2 in candidates:
        if f1 < 0 or f2 < 0 or f1 + f2 > 1 + 1e-12:
            continue
        c = cost(f1, f2)
        if c < best[0]:
            best = (c, f1, f2)
    return best[1], best[2], best[0]


def klimek_fit(t: StationTable, *, seed: int = 0, bins: int = 100, min_registered: int = 100,
               alphas: np.ndarray | None = None, theta: float | None = None, fit_theta: bool = False,
               thetas: np.ndarray | None = None, weighting: str = "plain", refine: bool = True,
               first_stage: dict[str, float] | None = None, realizations: int = 4) -> KlimekFit:
    """Fit f_i, f_e, α and θ of Klimek et al.'s model to the station fingerprint (see the module docstring).

    weighting "plain" is the least-squares distance of the paper; "relative" divides each cell's difference by
    (observed + 1), the histogram statistic of Klimek's `ElectionFitter.m` as ported in the Election Forensics
    Toolkit, which lets sparse cells (the fraud tail) count as much as the crowded main peak.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    alphas = DEFAULT_ALPHAS if alphas is None else np.asarray(alphas, dtype=np.float64)
    first = klimek_first_stage(t, min_registered=min_registered) if first_stage is None else dict(first_stage)
    if fit_theta:
        thetas = DEFAULT_THETAS if thetas is None else np.asarray(thetas, dtype=np.float64)
    else:
        thetas = np.array([first["theta"] if theta is None else float(theta)])
    if len(alphas) == 0 or len(thetas) == 0 or (alphas <= 0).any() or (thetas <= 0).any():
        raise ValueError("alphas and thetas must be non-empty and positive")
    used = _usable(t, min_registered)
    # the observed fingerprint counts exactly the stations the model simulates
    sub = t.subset(used)
    _, tb, sb, _ = fingerprint_bins(sub, bins)
    observed = np.bincount(tb * bins + sb, minlength=bins * bins).astype(np.float64)
    weights = np.ones_like(observed) if weighting == "plain" else 1.0 / (observed + 1.0) ** 2

    if realizations < 1:
        raise ValueError(f"realizations must be at least 1, got {realizations}")
    # independent draws for the three classes, so that their noises add (see _best_shares); the same draws for
    # every (θ, α), so that the distance is a smooth function of them
    rng_fair, rng_inc, rng_ext = np.random.default_rng(seed).spawn(3)
    registered = sub.registered.astype(np.float64)
    d0 = _draw(registered, first, rng_fair, realizations)
    di = _draw(registered, first, rng_inc, realizations)
    de = _draw(registered, first, rng_ext, realizations)
    h0 = _histogram(_stuff(d0, np.zeros(len(d0.registered)), bins), 1.0, bins) / realizations
    extreme_stuffed = _stuff(de, de.extreme_x, bins)
    extreme: dict[float, np.ndarray] = {}
    incremental: dict[float, _Stuffed] = {}

    def score(theta: float, alpha: float) -> tuple[float, float, float]:
        if alpha not in extreme:
            extreme[alpha] = _histogram(extreme_stuffed, alpha, bins) / realizations
        if theta not in incremental:
            incremental[theta] = _stuff(di, _half_normal_below_one(di.u_incremental, theta), bins)
        hi = _histogram(incremental[theta], alpha, bins) / realizations
        f_i, f_e, cost = _best_shares(observed, h0, hi, extreme[alpha], weights, realizations)
        return cost, f_i, f_e

    best = (np.inf, 0.0, 0.0, float(alphas[0]), float(thetas[0]))
    for theta in thetas:
        for alpha in alphas:
            cost, f_i, f_e = score(float(theta), float(alpha))
            if cost < best[0]:
                best = (cost, f_i, f_e, float(alpha), float(theta))
    if refine and (len(alphas) > 1 or len(thetas) > 1):
        da = float(np.min(np.diff(np.sort(alphas)))) if len(alphas) > 1 else 0.0
        dt = float(np.min(np.diff(np.sort(thetas)))) if len(thetas) > 1 else 0.0
        steps = np.linspace(-1, 1, 11)
        fine_a = np.unique(np.round(np.clip(best[3] + da * steps, alphas.min(), alphas.max()), 6))
        fine_t = np.unique(np.round(np.clip(best[4] + dt * steps, thetas.min(), thetas.max()), 6))
        for theta in fine_t:
            for alpha in fine_a:
                cost, f_i, f_e = score(float(theta), float(alpha))
                if cost < best[0]:
                    best = (cost, f_i, f_e, float(alpha), float(theta))
    cost, f_i, f_e, alpha, theta = best
    alpha_at_bound = alpha in (float(alphas.min()), float(alphas.max()))
    theta_at_bound = fit_theta and theta in (float(thetas.min()), float(thetas.max()))
    hi = _histogram(incremental[theta], alpha, bins) / realizations
    fitted = (1.0 - f_i - f_e) * h0 + f_i * hi + f_e * extreme[alpha]
    # the same noise-corrected distance at f_i = f_e = 0
    fair_residual = (float(np.dot(weights * (observed - h0), observed - h0))
                     - float(np.dot(weights, h0)) / realizations)
    return KlimekFit(f_i=float(f_i), f_e=float(f_e), alpha=alpha, theta=theta, tau=first["tau"],
                     nu=first["nu"],
                     sigma_tau=first["sigma_tau"], sigma_nu=first["sigma_nu"], residual=float(cost),
                     fair_residual=fair_residual, n_stations=len(sub), bins=bins, seed=seed,
                     weighting=weighting,
                     alpha_at_bound=alpha_at_bound, theta_at_bound=theta_at_bound,
                     observed=observed.reshape(bins, bins), fitted=fitted.reshape(bins, bins),
                     fair=h0.reshape(bins, bins))
