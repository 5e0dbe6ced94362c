"""The finite-mixture fraud model: which stations look stuffed, and how many of the leader's votes are false.

After Mebane's finite mixture model of election frauds (Mebane, "Election forensics: frauds tests and
observation-level frauds probabilities", 2016) as implemented in the `eforensics` R package (Ferrari,
McAlister, Mebane & Wu; github.com/UMeforensics/eforensics_public, `R/ef_models.R`, model "rn", the
restricted-normal model with the exponent α), which makes Klimek et al.'s fraud mechanism (PNAS 109(41), 2012)
a likelihood. Every station is in one of three classes:

- no fraud: turnout t = τ_i and leader share v = ν_i, with τ_i ~ N(μ_τ, σ_τ) and ν_i ~ N(μ_ν, σ_ν), both
  truncated to [0, 1];
- incremental fraud: a fraction x of the non-voters' ballots is added for the leader and a fraction x^α of the
  opposition's votes is moved to the leader, so t = τ + x(1 − τ) and t·v = τν + x(1 − τ) + x^α τ(1 − ν), with
  the magnitude x ~ N(μ_ι, σ_ι) truncated to (0, k);
- extreme fraud: the same with x ~ N(μ_χ, 0.075) truncated to [k, 1);

with k = 0.7 and σ_χ = 0.075 the constants of `eforensics` (and 0.075 that of Klimek et al.), in proportions
π_none, π_incremental, π_extreme.

The likelihood, exactly. A station's proportions are taken from its counts with a continuity correction, t =
(ballots + ½)/(registered + 1) and v = (leader + ½)/(share base + 1), so that a station at 100 % is not forced
to an honest turnout of exactly 100 %. The magnitude x takes values on a fixed grid x_j = 1 − e^{−h·j}, j = 1,
2, … (h = `grid_step`; x spaced evenly in −log(1 − x), which resolves the magnitudes near 1 that turn a 60 %
turnout into 99.9 %); the class distributions of x are the truncated normals above discretised on that grid
(P(x_j) ∝ φ((x_j − μ)/σ)·Δx_j with Δx_j = h·(1 − x_j) the grid's spacing there, normalised within the class's
part of the grid). Given x, the mechanism is inverted, τ = (t − x)/(1 − x) and ν = 1 − t(1 − v)/(τ(1 − x^α)),
and the density of (t, v) is

    f(t, v | x) = TN(τ; μ_τ, σ_τ) · TN(ν; μ_ν, σ_ν) · t / ((1 − x) · τ · (1 − x^α)),

(the last factor is the Jacobian of the inversion; x = 0 gives the no-fraud density TN(t)·TN(v)), zero where τ
or ν leaves [0, 1]. The station's likelihood is π_none·f(t, v | 0) + Σ_j π_class(j)·P(x_j)·f(t, v | x_j); the
log-likelihood is the sum over stations. It is maximised directly (L-BFGS-B over π, μ_τ, σ_τ, μ_ν, σ_ν, μ_ι,
σ_ι, μ_χ and α, within bounds), not by MCMC; the exact gradient comes from the same posterior responsibilities
an EM step would compute (Fisher's identity), so one evaluation costs one E-step.

How it differs from `eforensics`: that package samples each station's x (and τ, ν) by MCMC under priors; here
x is summed out over the grid and the rest maximised, which gives the maximum-likelihood counterpart of the
same model; there are no covariates; proportions come from counts with the continuity correction
above (the rn model takes proportions as given).

Outputs: the class shares, each station's posterior probability of fraud (1 − P(no fraud | its t, v)), and
each station's expected number of fraudulent votes for the leader, E[leader·(1 − τν/(t·v)) | t, v] (the
stuffed and the stolen votes), summed nationally or by region. `evidence()` turns the posterior into the
screen's StationEvidence as p = P(no fraud | data): it is a posterior probability under this model, not a
p-value, so the screen should read it as a score (rank by it, show it) and not feed it to a false-discovery
procedure as if it were uniform under the null. Stations with fewer than `min_registered` voters are not
fitted (p = nan). When the BIC prefers the no-fraud model (a clean election, see `fit_mixture`), that model is
reported: π_none = 1, every posterior 0, no fraudulent votes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .klimek import klimek_first_stage
from .stations import StationEvidence, StationTable

METHOD = "mixture"
SPLIT = 0.7  # eforensics' k: incremental magnitudes below, extreme ones above
EXTREME_SD = 0.075  # eforensics' sigma.chi, Klimek et al.'s extreme-fraud width
ALPHA_BOUNDS = (0.2, 10.0)
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


@dataclass(frozen=True, slots=True)
class MixtureFit:
    pi_none: float
    pi_incremental: float
    pi_extreme: float
    tau_mean: float  # honest turnout ~ N(tau_mean, tau_sd) on [0, 1]
    tau_sd: float
    nu_mean: float  # honest leader share ~ N(nu_mean, nu_sd) on [0, 1]
    nu_sd: float
    # the magnitudes and α are the three-class fit's even when the no-fraud model is selected
    iota_mean: float  # incremental magnitude ~ N(iota_mean, iota_sd) on (0, SPLIT)
    iota_sd: float
    chi_mean: float  # extreme magnitude ~ N(chi_mean, EXTREME_SD) on [SPLIT, 1)
    alpha: float  # a fraction x of non-voters stuffed, x^alpha of the opposition stolen
    log_likelihood: float  # of the three-class fit
    iterations: int
    converged: bool
    station_id: np.ndarray
    region: np.ndarray
    leader_name: str
    fitted: np.ndarray  # bool: the station was in the fit
    p_fraud: np.ndarray  # posterior P(incremental or extreme | data); nan where not fitted
    p_extreme: np.ndarray  # posterior P(extreme | data); nan where not fitted
    fraud_votes: np.ndarray  # expected fraudulent leader votes; 0 where not fitted
    leader_votes: int  # leader votes of the fitted stations
    turnout: np.ndarray  # ballots / registered (nan where not fitted), for reasons
    share: np.ndarray  # leader / share base
    no_fraud_log_likelihood: float  # the best fit with π_none = 1 (independent truncated normals)
    standard_errors: dict[str, float]  # from the observed information, when asked for; else empty
    model: str  # "three classes", or "no fraud" when the BIC prefers it (π_none = 1, no fraudulent votes)

    @property
    def n_fitted(self) -> int:
        return int(np.count_nonzero(self.fitted))

    @property
    def fraudulent_votes(self) -> float:
        return float(self.fraud_votes.sum())

    def summary(self) -> dict[str, float | int | bool | str]:
        return {"pi_none": self.pi_none, "pi_incremental": self.pi_incremental, "pi_extreme": self.pi_extreme,
                "fraudulent_votes": self.fraudulent_votes,
                "fraudulent_share": self.fraudulent_votes / self.leader_votes if self.leader_votes else 0.0,
                "stations_likely_fraudulent": int(np.count_nonzero(self.p_fraud > 0.5)),
                "tau_mean": self.tau_mean, "tau_sd": self.tau_sd, "nu_mean": self.nu_mean,
                "nu_sd": self.nu_sd,
                "iota_mean": self.iota_mean, "iota_sd": self.iota_sd, "chi_mean": self.chi_mean,
                "alpha": self.alpha, "log_likelihood": self.log_likelihood,
                "lr_fraud": 2.0 * (self.log_likelihood - self.no_fraud_log_likelihood),
                "bic_gain": _bic_gain(self.log_likelihood, self.no_fraud_log_likelihood, self.n_fitted),
                "model": self.model, "iterations": self.iterations, "converged": self.converged,
                "n_stations": self.n_fitted,
                **{f"se_{k}": v for k, v in self.standard_errors.items()}}

    def fraudulent_votes_by_region(self) -> dict[str, float]:
        """Expected fraudulent leader votes per region, summed over the region's fitted stations."""
        names, index = np.unique(self.region.astype(str), return_inverse=True)
        totals = np.bincount(index, weights=self.fraud_votes, minlength=len(names))
        return {str(n): float(v) for n, v in zip(names, totals)}

    def evidence(self) -> StationEvidence:
        """p = P(no fraud | data): a posterior under this model, not a p-value (see the module docstring)."""
        p = np.where(self.fitted, 1.0 - self.p_fraud, np.nan)
        reasons = np.full(len(p), "", dtype=object)
        for i in np.flatnonzero(self.fitted & (self.p_fraud >= 0.5)):
            kind = "extreme" if self.p_extreme[i] >= self.p_fraud[i] - self.p_extreme[i] else "incremental"
            reasons[i] = (f"mixture model: P(fraud) {self.p_fraud[i]:.2f}, mostly {kind}; turnout "
                          f"{self.turnout[i]:.1%}, {self.leader_name} {self.share[i]:.1%}")
        return StationEvidence(METHOD, p, reasons)


def _tn_gradient(w: float, s1: float, s2: float, mean: float, sd: float) -> tuple[float, float]:
    """d/d(mean) and d/d(log sd) of Σ w·log TN(y; mean, sd), from Σw, Σw·y, Σw·y²."""
    b, a = (1.0 - mean) / sd, -mean / sd
    z = special.ndtr(b) - special.ndtr(a)
    phi_b, phi_a = np.exp(-0.5 * b * b) / np.sqrt(2 * np.pi), np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)
    d_mean = (s1 - mean * w) / sd ** 2 - w * (phi_a - phi_b) / (sd * z)
    squares = s2 - 2 * mean * s1 + mean * mean * w
    d_log_sd = squares / sd ** 2 - w - w * (a * phi_a - b * phi_b) / z
    return float(d_mean), float(d_log_sd)


def _node_weights(x: np.ndarray, width: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """log P(x_j) of N(mean, sd) discretised on the nodes x (widths `width`), normalised over them."""
    lw = -0.5 * ((x - mean) / sd) ** 2 + np.log(width)
    return lw - special.logsumexp(lw)


def _node_gradient(totals: np.ndarray, x: np.ndarray, width: np.ndarray, mean: float, sd: float
                   ) -> tuple[float, float]:
    """d/d(mean) and d/d(log sd) of Σ_j totals_j·log P(x_j)."""
    w = np.exp(_node_weights(x, width, mean, sd))
    total = totals.sum()
    d_mean = (totals @ x - total * (w @ x)) / sd ** 2
    dev2 = (x - mean) ** 2
    d_log_sd = (totals @ dev2 - total * (w @ dev2)) / sd ** 2
    return float(d_mean), float(d_log_sd)


@dataclass(frozen=True, slots=True)
class _Cells:
    """Every (station, grid node) pair with x_node < t: the fixed part of the likelihood."""

    station: np.ndarray  # int64 per cell
    node: np.ndarray  # int64 per cell
    starts: np.ndarray  # first cell of each station that has cells
    with_cells: np.ndarray  # indices of those stations
    tau: np.ndarray  # honest turnout implied by the cell
    opposition: np.ndarray  # t(1 − v)/τ: ν = 1 − opposition/(1 − x^α)
    log_jacobian: np.ndarray  # log t − log τ − log(1 − x), without the α part


def _cells(t: np.ndarray, v: np.ndarray, u: np.ndarray) -> _Cells:
    """The cells that can carry probability: x < t (else the honest turnout would be ≤ 0), and an honest share
    ν ≥ 0 for some α within ALPHA_BOUNDS (ν = 1 − opposition/(1 − x^α) grows with α), about a third fewer."""
    counts = np.searchsorted(u, -np.log1p(-t), side="left")
    station = np.repeat(np.arange(len(t)), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    node = np.arange(len(station)) - np.repeat(offsets, counts)
    ts = t[station]
    tau = 1.0 - (1.0 - ts) * np.exp(u[node])
    opposition = ts * (1.0 - v[station]) / tau
    keep = opposition <= -np.expm1(ALPHA_BOUNDS[1] * np.log(-np.expm1(-u)))[node]
    station, node, ts, tau, opposition = station[keep], node[keep], ts[keep], tau[keep], opposition[keep]
    counts = np.bincount(station, minlength=len(t))
    with_cells = np.flatnonzero(counts > 0)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[with_cells]
    return _Cells(station, node, starts, with_cells, tau, opposition, np.log(ts) - np.log(tau) + u[node])


@dataclass(frozen=True, slots=True)
class _Params:
    pi: np.ndarray  # (none, incremental, extreme)
    tau: tuple[float, float]
    nu: tuple[float, float]
    iota: tuple[float, float]
    chi: float
    alpha: float

    def vector(self) -> np.ndarray:
        logits = np.log(self.pi[1:] / self.pi[0])
        return np.array([logits[0], logits[1], self.tau[0], np.log(self.tau[1]), self.nu[0],
                         np.log(self.nu[1]), self.iota[0], np.log(self.iota[1]), self.chi, self.alpha])

    @staticmethod
    def of(v: np.ndarray) -> _Params:
        e = np.exp(np.array([0.0, v[0], v[1]]) - max(0.0, v[0], v[1]))
        return _Params(e / e.sum(), (float(v[2]), float(np.exp(v[3]))), (float(v[4]), float(np.exp(v[5]))),
                       (float(v[6]), float(np.exp(v[7]))), float(v[8]), float(v[9]))


_BOUNDS = [(-40.0, 40.0), (-40.0, 40.0), (-0.5, 1.5), (np.log(0.005), np.log(2.0)), (-0.5, 1.5),
           (np.log(0.005), np.log(2.0)), (0.0, SPLIT), (np.log(0.01), np.log(1.0)), (SPLIT, 1.0),
           ALPHA_BOUNDS]


@dataclass(frozen=True, slots=True)
class _Grid:
    x: np.ndarray
    log_x: np.ndarray
    width: np.ndarray
    incremental: np.ndarray  # bool per node


@dataclass(frozen=True, slots=True)
class _Posterior:
    log_likelihood: float
    r_none: np.ndarray  # per station
    r: np.ndarray  # per cell
    nu: np.ndarray  # per cell


def _log_z(mean: float, sd: float) -> float:
    """log of the normalising constant of N(mean, sd) on [0, 1], plus log sd + log √(2π)."""
    z = special.ndtr((1.0 - mean) / sd) - special.ndtr(-mean / sd)
    return float(np.log(max(z, 1e-300)) + np.log(sd) + _LOG_SQRT_2PI)


def _posterior(p: _Params, c: _Cells, t: np.ndarray, v: np.ndarray, g: _Grid) -> _Posterior:
    inc = g.incremental
    with np.errstate(divide="ignore"):
        node_prior = np.empty(len(g.x))
        node_prior[inc] = np.log(p.pi[1]) + _node_weights(g.x[inc], g.width[inc], *p.iota)
        node_prior[~inc] = np.log(p.pi[2]) + _node_weights(g.x[~inc], g.width[~inc], p.chi, EXTREME_SD)
        log_keep = np.log(-np.expm1(p.alpha * g.log_x))  # log(1 − x^α) per node
        log_z = _log_z(*p.tau) + _log_z(*p.nu)
        (mt, st), (mv, sv) = p.tau, p.nu
        lp_none = (np.log(p.pi[0]) - log_z - 0.5 * np.square((t - mt) / st) - 0.5 * np.square((v - mv) / sv))
    # per cell, in place: lp = node term + Jacobian − ½z_τ² − ½z_ν²
    lp = (node_prior - log_keep - log_z)[c.node]
    lp += c.log_jacobian
    z = c.tau - mt
    z *= z
    z *= 0.5 / (st * st)
    lp -= z
    nu = np.exp(-log_keep)[c.node]
    nu *= c.opposition
    np.subtract(1.0, nu, out=nu)
    np.subtract(nu, mv, out=z)
    z *= z
    z *= 0.5 / (sv * sv)
    lp -= z
    np.copyto(lp, -np.inf, where=nu < 0.0)  # the honest share would be below 0: impossible
    m = lp_none.copy()
    if len(lp):
        m[c.with_cells] = np.maximum(m[c.with_cells], np.maximum.reduceat(lp, c.starts))
    lp -= m[c.station]
    e = np.exp(lp, out=lp)
    total = np.exp(lp_none - m)
    if len(e):
        total[c.with_cells] += np.add.reduceat(e, c.starts)
    lse = m + np.log(total)
    e /= total[c.station]
    return _Posterior(float(lse.sum()), np.exp(lp_none - lse), e, nu)


def _gradient(p: _Params, q: _Posterior, c: _Cells, t: np.ndarray, v: np.ndarray, g: _Grid) -> np.ndarray:
    """d log-likelihood / d parameter vector, by Fisher's identity: the expected complete-data score under the
    posterior, computed from the responsibilities."""
    n = len(t)
    r, r0, nu = q.r, q.r_none, q.nu
    totals = np.bincount(c.node, weights=r, minlength=len(g.x))
    inc = g.incremental
    grad = np.zeros(10)
    grad[0], grad[1] = totals[inc].sum() - n * p.pi[1], totals[~inc].sum() - n * p.pi[2]
    r_tau = r * c.tau
    grad[2:4] = _tn_gradient(float(n), float(r0 @ t + r_tau.sum()), float(r0 @ (t * t) + r_tau @ c.tau),
                             *p.tau)
    r_nu = r * nu
    grad[4:6] = _tn_gradient(float(n), float(r0 @ v + r_nu.sum()), float(r0 @ (v * v) + r_nu @ nu), *p.nu)
    grad[6:8] = _node_gradient(totals[inc], g.x[inc], g.width[inc], *p.iota)
    grad[8] = _node_gradient(totals[~inc], g.x[~inc], g.width[~inc], p.chi, EXTREME_SD)[0]
    # α: Σ r·d/dα[log TN(ν) − log(1 − x^α)] = Σ r·ds·(1 + (ν − μ_ν)(1 − ν)/σ_ν²), ds = x^α ln x / (1 − x^α)
    ds = np.exp(p.alpha * g.log_x) * g.log_x / (-np.expm1(p.alpha * g.log_x))
    mv, sv = p.nu
    grad[9] = float(ds @ totals + (r_nu - r * mv) @ ((1.0 - nu) * ds[c.node]) / sv ** 2)
    return grad


def _no_fraud(t: np.ndarray, v: np.ndarray) -> tuple[float, tuple[float, float], tuple[float, float]]:
    """The no-fraud model alone (independent truncated normals for t and v): maximised log-likelihood and the
    (mean, sd) of each."""
    total, params = 0.0, []
    for y in (t, v):
        w, s1, s2 = float(len(y)), float(y.sum()), float(y @ y)

        def nll(p: np.ndarray) -> tuple[float, np.ndarray]:
            mean, sd = p[0], np.exp(p[1])
            value = (s2 - 2 * mean * s1 + mean * mean * w) / (2 * sd * sd) + w * _log_z(mean, sd)
            return value, -np.array(_tn_gradient(w, s1, s2, mean, sd))

        start = np.array([y.mean(), np.log(max(y.std(), 0.01))])
        res = optimize.minimize(nll, start, jac=True, method="L-BFGS-B",
                                bounds=[(-0.5, 1.5), (np.log(0.005), np.log(2.0))])
        total -= float(res.fun)
        params.append((float(res.x[0]), float(np.exp(res.x[1]))))
    return total, params[0], params[1]


def _bic_gain(log_likelihood: float, no_fraud: float, n: int) -> float:
    """BIC(no fraud) − BIC(three classes): positive when the fraud classes earn their 6 extra parameters."""
    return 2.0 * (log_likelihood - no_fraud) - 6.0 * np.log(max(n, 1))


@dataclass(frozen=True, slots=True)
class _Data:
    t: np.ndarray
    v: np.ndarray
    cells: _Cells
    grid: _Grid


def _data(t: np.ndarray, v: np.ndarray, grid_step: float) -> _Data:
    u = grid_step * np.arange(1, int(np.ceil(-np.log(1e-5) / grid_step)) + 1)
    x = -np.expm1(-u)
    return _Data(t, v, _cells(t, v, u), _Grid(x, np.log(x), np.exp(-u) * grid_step, x < SPLIT))


def _maximise(d: _Data, start: np.ndarray, max_iter: int, tol: float) -> optimize.OptimizeResult:
    n = len(d.t)

    def objective(vec: np.ndarray) -> tuple[float, np.ndarray]:
        p = _Params.of(vec)
        q = _posterior(p, d.cells, d.t, d.v, d.grid)
        if not np.isfinite(q.log_likelihood):
            return np.inf, np.zeros(len(vec))
        return -q.log_likelihood / n, -_gradient(p, q, d.cells, d.t, d.v, d.grid) / n

    return optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=_BOUNDS,
                             options={"maxiter": max_iter, "ftol": tol, "gtol": 1e-7, "maxcor": 20})


def _station_fraud_votes(q: _Posterior, d: _Data, leader: np.ndarray) -> np.ndarray:
    """E[leader·(1 − τν/(t·v)) | t, v] per station: the stuffed and stolen share of the leader's votes."""
    c = d.cells
    honest = np.where(q.r > 0, c.tau * q.nu, 0.0) / (d.t * d.v)[c.station]
    return leader * np.bincount(c.station, weights=q.r * (1.0 - honest), minlength=len(d.t))


def _standard_errors(d: _Data, vec: np.ndarray, leader: np.ndarray, step: float = 1e-5) -> dict[str, float]:
    """Standard errors from the observed information: the Hessian of the log-likelihood by central differences
    of its exact gradient, inverted, and carried to π and the fraudulent votes by the delta method. nan where
    a parameter sits on a bound or the information is not positive definite."""
    k = len(vec)
    hessian = np.zeros((k, k))
    votes = np.zeros(k)
    for i in range(k):
        h = np.zeros(k)
        h[i] = step
        sides = []
        for sign in (1.0, -1.0):
            p = _Params.of(vec + sign * h)
            q = _posterior(p, d.cells, d.t, d.v, d.grid)
            sides.append((_gradient(p, q, d.cells, d.t, d.v, d.grid),
                          _station_fraud_votes(q, d, leader).sum()))
        hessian[:, i] = (sides[0][0] - sides[1][0]) / (2 * step)
        votes[i] = (sides[0][1] - sides[1][1]) / (2 * step)
    hessian = 0.5 * (hessian + hessian.T)
    names = ("pi_none", "pi_incremental", "pi_extreme", "alpha", "fraudulent_votes")
    on_bound = any(abs(vec[i] - lo) < 1e-6 or abs(vec[i] - hi) < 1e-6 for i, (lo, hi) in enumerate(_BOUNDS))
    try:
        cov = np.linalg.inv(-hessian)
    except np.linalg.LinAlgError:
        return {name: float("nan") for name in names}
    if on_bound or np.any(np.diag(cov) <= 0):
        return {name: float("nan") for name in names}
    pi = _Params.of(vec).pi
    # d π / d (logit_incremental, logit_extreme) for π = softmax(0, a1, a2)
    jac = np.array([[-pi[0] * pi[1], -pi[0] * pi[2]], [pi[1] * (1 - pi[1]), -pi[1] * pi[2]],
                    [-pi[2] * pi[1], pi[2] * (1 - pi[2])]])
    se_pi = np.sqrt(np.diag(jac @ cov[:2, :2] @ jac.T))
    return {"pi_none": float(se_pi[0]), "pi_incremental": float(se_pi[1]), "pi_extreme": float(se_pi[2]),
            "alpha": float(np.sqrt(cov[9, 9])), "fraudulent_votes": float(np.sqrt(votes @ cov @ votes))}


def fit_mixture(t: StationTable, *, seed: int = 0, min_registered: int = 100, grid_step: float = 0.05,
                max_iter: int = 1000, tol: float = 1e-9, starts: int = 1, warm_start: int = 20000,
                standard_errors: bool = False, select: bool = True) -> MixtureFit:
    """Fit the three-class mixture by maximum likelihood (see the module docstring).

    The log-likelihood and its exact gradient (Fisher's identity: the gradient is the posterior expectation of
    the complete-data score, so it costs one pass over the responsibilities, as an EM step does) go to
    L-BFGS-B over the bounded parameters. To save passes over millions of cells, the optimiser first runs on a
    seeded random sample of `warm_start` stations with a grid twice as coarse, then finishes on every station
    from there (0 skips the warm start). `starts` > 1 adds restarts from seeded random starting points and
    keeps the highest likelihood; `converged` is the optimiser's verdict on the final run (relative change of
    the log-likelihood per station below `tol`, or a projected gradient near 0). `standard_errors` adds
    standard errors of the class shares, α and the fraudulent votes from the observed information (20 more
    gradient passes).

    With `select`, the no-fraud model (π_none = 1) is reported instead when its BIC is lower: the six fraud
    parameters must raise the log-likelihood by more than 3·log(stations) to be kept. The BIC is a consistent
    choice of the number of mixture components (Keribin, Sankhyā A 62:49–66, 2000); it is how a clean election
    gets exactly no fraud rather than a small incremental class at magnitude ≈ 0, which fits as well.
    """
    if not 0 < grid_step <= 0.25:
        raise ValueError(f"grid_step must be in (0, 0.25]; got {grid_step}")
    used = (t.registered >= max(min_registered, 1)) & (t.share_base > 0) & (t.ballots >= 0) & (t.leader >= 0)
    if np.count_nonzero(used) < 10:
        raise ValueError(f"the mixture model needs at least 10 stations with {min_registered} or more "
                         f"registered voters and a share base above 0; found {np.count_nonzero(used)}")
    registered, base = t.registered[used], t.share_base[used]
    ballots, leader = np.minimum(t.ballots[used], registered), np.minimum(t.leader[used], base)
    tt = (ballots + 0.5) / (registered + 1.0)
    vv = (leader + 0.5) / (base + 1.0)
    n = len(tt)
    rng = np.random.default_rng(seed)
    full = _data(tt, vv, grid_step)
    if 0 < warm_start < n:
        pick = np.sort(rng.choice(n, size=warm_start, replace=False))
        warm = _data(tt[pick], vv[pick], 2 * grid_step)
    else:
        warm = None

    first = klimek_first_stage(t, min_registered=min_registered)
    best = None
    for start in range(max(starts, 1)):
        p0 = _Params(np.array([0.8, 0.15, 0.05]), (first["tau"], max(first["sigma_tau"], 0.02)),
                     (first["nu"], max(first["sigma_nu"], 0.02)), (0.15, 0.1), 0.95, 2.0)
        if start > 0:
            p0 = _Params(rng.dirichlet([8.0, 2.0, 1.0]), p0.tau, p0.nu,
                         (float(rng.uniform(0.02, 0.5)), float(rng.uniform(0.03, 0.3))),
                         float(rng.uniform(0.8, 1.0)), float(rng.uniform(0.5, 5.0)))
        x0 = p0.vector()
        if warm is not None:
            x0 = _maximise(warm, x0, max_iter, tol).x
        res = _maximise(full, x0, max_iter, tol)
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    p = _Params.of(best.x)
    cells, grid = full.cells, full.grid
    q = _posterior(p, cells, tt, vv, grid)

    no_fraud_ll, no_fraud_tau, no_fraud_nu = _no_fraud(tt, vv)
    clean = select and _bic_gain(q.log_likelihood, no_fraud_ll, n) <= 0
    size = len(t)
    p_fraud = np.full(size, np.nan)
    p_extreme = np.full(size, np.nan)
    fraud_votes = np.zeros(size)
    idx = np.flatnonzero(used)
    if clean:
        pi, tau, nu = np.array([1.0, 0.0, 0.0]), no_fraud_tau, no_fraud_nu
        p_fraud[idx] = 0.0
        p_extreme[idx] = 0.0
    else:
        pi, tau, nu = p.pi, p.tau, p.nu
        p_fraud[idx] = 1.0 - q.r_none
        p_extreme[idx] = np.bincount(cells.station, weights=np.where(grid.incremental[cells.node], 0.0, q.r),
                                     minlength=n)
        fraud_votes[idx] = _station_fraud_votes(q, full, leader)
    turnout = np.full(size, np.nan)
    share = np.full(size, np.nan)
    turnout[idx], share[idx] = t.ballots[used] / registered, t.leader[used] / base
    errors = _standard_errors(full, best.x, leader) if standard_errors and not clean else {}
    return MixtureFit(pi_none=float(pi[0]), pi_incremental=float(pi[1]), pi_extreme=float(pi[2]),
                      tau_mean=tau[0], tau_sd=tau[1], nu_mean=nu[0], nu_sd=nu[1], iota_mean=p.iota[0],
                      iota_sd=p.iota[1], chi_mean=p.chi, alpha=p.alpha, log_likelihood=q.log_likelihood,
                      iterations=int(best.nit), converged=bool(best.success), station_id=t.station_id,
                      region=t.region, leader_name=t.leader_name, fitted=used, p_fraud=p_fraud,
                      p_extreme=p_extreme, fraud_votes=fraud_votes, leader_votes=int(leader.sum()),
                      turnout=turnout, share=share, no_fraud_log_likelihood=no_fraud_ll,
                      standard_errors=errors, model="no fraud" if clean else "three classes")
