"""Benchmark: the finite-mixture fraud model and Klimek et al.'s fit on a Russian election, against baselines.

In one process, on the same stations (the shared Kobak/Shpilkin data in
../shared/data/russia-federal-2004-2024, stations with at least 100 registered voters):

Finite-mixture model (`fit_mixture`):
- loop pass: one log-likelihood and gradient evaluation computed station by station in Python (numpy over each
  station's own grid cells), against the same evaluation vectorised over all cells at once;
- numeric-gradient fit: the straightforward way to maximise the same likelihood, L-BFGS-B with scipy's
  finite-difference gradient on every station from the same start (no analytic gradient, no warm start),
  against `fit_mixture` (exact gradient by Fisher's identity, warm start on a 20,000-station sample);
  both must reach the same maximum (the log-likelihoods are printed).

Klimek et al.'s fit (`klimek_fit`, exact least squares for f_i, f_e at each α):
- Nelder–Mead: for each α of the same grid, Nelder–Mead over (f_i, f_e) on the squared distance between the
  observed fingerprint and one simulated election whose fraudulent stations are drawn with those shares from
  fixed uniforms (common random numbers), as the paper's simulate-and-compare search does.

    .venv/bin/python bench/bench_mixture.py --year 2011 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy import optimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from russia import load_russia, russia_available  # noqa: E402

from tallycheck.forensics import klimek, mixture  # noqa: E402
from tallycheck.forensics.fingerprint import fingerprint_bins  # noqa: E402


def proportions(t, min_registered: int = 100) -> tuple[np.ndarray, np.ndarray]:
    used = (t.registered >= min_registered) & (t.share_base > 0)
    reg, base = t.registered[used], t.share_base[used]
    return ((np.minimum(t.ballots[used], reg) + 0.5) / (reg + 1.0),
            (np.minimum(t.leader[used], base) + 0.5) / (base + 1.0))


def loop_pass(p: mixture._Params, d: mixture._Data) -> tuple[float, np.ndarray]:
    """Log-likelihood and gradient, one station at a time (the baseline of a vectorised pass)."""
    c, g = d.cells, d.grid
    node_prior = np.empty(len(g.x))
    inc = g.incremental
    node_prior[inc] = np.log(p.pi[1]) + mixture._node_weights(g.x[inc], g.width[inc], *p.iota)
    node_prior[~inc] = np.log(p.pi[2]) + mixture._node_weights(g.x[~inc], g.width[~inc], p.chi,
                                                               mixture.EXTREME_SD)
    log_keep = np.log(-np.expm1(p.alpha * g.log_x))
    ds = np.exp(p.alpha * g.log_x) * g.log_x / (-np.expm1(p.alpha * g.log_x))
    log_z = mixture._log_z(*p.tau) + mixture._log_z(*p.nu)
    (mt, st), (mv, sv) = p.tau, p.nu
    bounds = np.concatenate([[0], np.cumsum(np.bincount(c.station, minlength=len(d.t)))])
    ll, totals = 0.0, np.zeros(len(g.x))
    s_tau = np.zeros(3)
    s_nu = np.zeros(3)
    d_alpha = 0.0
    for i in range(len(d.t)):
        a, b = bounds[i], bounds[i + 1]
        node = c.node[a:b]
        nu = 1.0 - c.opposition[a:b] / np.exp(log_keep[node])
        lp = (node_prior[node] - log_keep[node] - log_z + c.log_jacobian[a:b]
              - 0.5 * ((c.tau[a:b] - mt) / st) ** 2 - 0.5 * ((nu - mv) / sv) ** 2)
        lp[nu < 0] = -np.inf
        lp0 = np.log(p.pi[0]) - log_z - 0.5 * ((d.t[i] - mt) / st) ** 2 - 0.5 * ((d.v[i] - mv) / sv) ** 2
        m = max(lp0, lp.max()) if len(lp) else lp0
        e, e0 = np.exp(lp - m), np.exp(lp0 - m)
        total = e0 + e.sum()
        ll += m + np.log(total)
        r, r0 = e / total, e0 / total
        np.add.at(totals, node, r)
        s_tau += [1.0, r0 * d.t[i] + r @ c.tau[a:b], r0 * d.t[i] ** 2 + r @ c.tau[a:b] ** 2]
        s_nu += [1.0, r0 * d.v[i] + r @ nu, r0 * d.v[i] ** 2 + r @ nu ** 2]
        d_alpha += float(r @ (ds[node] * (1.0 + (nu - mv) * (1.0 - nu) / sv ** 2)))
    n = len(d.t)
    grad = np.zeros(10)
    grad[0], grad[1] = totals[inc].sum() - n * p.pi[1], totals[~inc].sum() - n * p.pi[2]
    grad[2:4] = mixture._tn_gradient(*s_tau, *p.tau)
    grad[4:6] = mixture._tn_gradient(*s_nu, *p.nu)
    grad[6:8] = mixture._node_gradient(totals[inc], g.x[inc], g.width[inc], *p.iota)
    grad[8] = mixture._node_gradient(totals[~inc], g.x[~inc], g.width[~inc], p.chi, mixture.EXTREME_SD)[0]
    grad[9] = d_alpha
    return ll, grad


def vector_pass(p: mixture._Params, d: mixture._Data) -> tuple[float, np.ndarray]:
    q = mixture._posterior(p, d.cells, d.t, d.v, d.grid)
    return q.log_likelihood, mixture._gradient(p, q, d.cells, d.t, d.v, d.grid)


def numeric_gradient_fit(t, d: mixture._Data) -> dict:
    """L-BFGS-B with scipy's finite-difference gradient on the full likelihood, from fit_mixture's start."""
    first = klimek.klimek_first_stage(t)
    p0 = mixture._Params(np.array([0.8, 0.15, 0.05]), (first["tau"], first["sigma_tau"]),
                         (first["nu"], first["sigma_nu"]), (0.15, 0.1), 0.95, 2.0)
    n = len(d.t)
    calls = 0

    def f(vec: np.ndarray) -> float:
        nonlocal calls
        calls += 1
        ll = mixture._posterior(mixture._Params.of(vec), d.cells, d.t, d.v, d.grid).log_likelihood
        return -ll / n if np.isfinite(ll) else 1e300

    t0 = time.perf_counter()
    res = optimize.minimize(f, p0.vector(), method="L-BFGS-B", bounds=mixture._BOUNDS,
                            options={"maxiter": 1000, "ftol": 1e-9, "gtol": 1e-7, "maxcor": 20})
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "log_likelihood": -res.fun * n, "evaluations": calls,
            "iterations": int(res.nit), "pi": [round(float(x), 4) for x in mixture._Params.of(res.x).pi]}


def klimek_nelder_mead(t, seed: int = 0, bins: int = 100) -> dict:
    """For each α on klimek_fit's grid, Nelder–Mead over (f_i, f_e); every evaluation simulates the whole
    election afresh (honest turnout and share, which stations are fraudulent, their magnitudes), from the same
    seed each time so that the objective is a deterministic function of (f_i, f_e)."""
    first = klimek.klimek_first_stage(t)
    sub = t.subset(klimek._usable(t, 100))
    _, tb, sb, _ = fingerprint_bins(sub, bins)
    observed = np.bincount(tb * bins + sb, minlength=bins * bins).astype(np.float64)
    registered = sub.registered.astype(np.float64)
    n = len(registered)
    evaluations = 0

    def simulate(f_i: float, f_e: float, alpha: float) -> np.ndarray:
        rng = np.random.default_rng(seed)
        a = klimek._truncated_normal(rng.random(n), first["tau"], first["sigma_tau"])
        v = klimek._truncated_normal(rng.random(n), first["nu"], first["sigma_nu"])
        votes = np.rint(registered * a)
        leader = np.rint(votes * v)
        u = rng.random(n)
        x = np.zeros(n)
        inc, ext = u < f_i, (u >= f_i) & (u < f_i + f_e)
        x[inc] = klimek._half_normal_below_one(rng.random(n)[inc], first["theta"])
        x[ext] = 1.0 - klimek._half_normal_below_one(rng.random(n)[ext], klimek.EXTREME_WIDTH)
        stuffed = np.floor(x * (registered - votes))
        stolen = np.rint(x ** alpha * (votes - leader))
        votes, leader = votes + stuffed, leader + stuffed + stolen
        cell = klimek._bin(votes, registered, bins) * bins + klimek._bin(leader, votes, bins)
        return np.bincount(cell, minlength=bins * bins)

    t0 = time.perf_counter()
    best = (np.inf, 0.0, 0.0, 0.0)
    for alpha in klimek.DEFAULT_ALPHAS:
        def sse(f: np.ndarray) -> float:
            nonlocal evaluations
            evaluations += 1
            if f[0] < 0 or f[1] < 0 or f[0] + f[1] > 1:
                return 1e30
            return float(np.sum((simulate(f[0], f[1], float(alpha)) - observed) ** 2))

        res = optimize.minimize(sse, np.array([0.1, 0.02]), method="Nelder-Mead",
                                options={"xatol": 1e-3, "fatol": 1.0, "initial_simplex":
                                         np.array([[0.1, 0.02], [0.3, 0.02], [0.1, 0.08]])})
        if res.fun < best[0]:
            best = (float(res.fun), float(res.x[0]), float(res.x[1]), float(alpha))
    return {"seconds": time.perf_counter() - t0, "f_i": round(best[1], 4), "f_e": round(best[2], 4),
            "alpha": best[3], "evaluations": evaluations}


def best_of(fn, repeat: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--year", type=int, default=2011)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-numeric-gradient", action="store_true",
                    help="leave out the slowest baseline (minutes on 2 cores)")
    args = ap.parse_args()
    if not russia_available():
        sys.exit("the shared Russian data is not beside the repository (../shared/data)")
    t = load_russia(args.year)
    tt, vv = proportions(t)
    d = mixture._data(tt, vv, 0.05)
    report: dict = {"year": args.year, "stations": len(tt), "cells": len(d.cells.station),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                               f"{platform.python_version()}, numpy {np.__version__}, "
                               f"scipy {scipy.__version__}",
                    "load_average_at_start": os.getloadavg()}

    # mixture: our fit
    best, median, fit = best_of(lambda: mixture.fit_mixture(t), args.repeat)
    s = fit.summary()
    report["mixture"] = {"seconds_best": round(best, 2), "seconds_median": round(median, 2),
                         "log_likelihood": round(s["log_likelihood"], 2), "iterations": s["iterations"],
                         "pi": [round(s[k], 4) for k in ("pi_none", "pi_incremental", "pi_extreme")],
                         "fraudulent_votes": round(s["fraudulent_votes"])}
    # one evaluation: vectorised against a Python loop over stations, at the fitted parameters
    p = mixture._Params(np.array([s["pi_none"], s["pi_incremental"], s["pi_extreme"]]),
                        (fit.tau_mean, fit.tau_sd), (fit.nu_mean, fit.nu_sd), (fit.iota_mean, fit.iota_sd),
                        fit.chi_mean, fit.alpha)
    v_best, v_median, (ll_v, g_v) = best_of(lambda: vector_pass(p, d), args.repeat)
    l_best, _, (ll_l, g_l) = best_of(lambda: loop_pass(p, d), 1)
    assert abs(ll_v - ll_l) < 1e-6 * abs(ll_v) and np.allclose(g_v, g_l, rtol=1e-6, atol=1e-6)
    report["evaluation"] = {"vectorised_best": round(v_best, 3), "vectorised_median": round(v_median, 3),
                            "python_loop": round(l_best, 2), "ratio": round(l_best / v_best, 1)}
    if not args.skip_numeric_gradient:
        base = numeric_gradient_fit(t, d)
        report["mixture_numeric_gradient"] = {**base, "seconds": round(base["seconds"], 1),
                                              "log_likelihood": round(base["log_likelihood"], 2),
                                              "ratio": round(base["seconds"] / best, 1)}

    # Klimek
    k_best, k_median, kfit = best_of(lambda: klimek.klimek_fit(t), args.repeat)
    report["klimek"] = {"seconds_best": round(k_best, 2), "seconds_median": round(k_median, 2),
                        "f_i": round(kfit.f_i, 4), "f_e": round(kfit.f_e, 4), "alpha": kfit.alpha}
    nm = klimek_nelder_mead(t)
    report["klimek_nelder_mead"] = {**nm, "seconds": round(nm["seconds"], 2),
                                    "ratio": round(nm["seconds"] / k_best, 1)}
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
