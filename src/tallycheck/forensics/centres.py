"""Within-centre comparison: is a station's turnout or leader share out of line with the other stations of its
polling centre?

Stations of one centre draw on the same neighbourhood, so they should look alike up to chance. The model is
the beta-binomial of overdispersed counts (Skellam 1948, "A probability distribution derived from the binomial
distribution by regarding the probability of success as variable between the sets of trials", JRSS B 10:
257-261; its moments as in Williams 1975, "The analysis of binary responses from toxicological experiments
involving reproduction and teratogenicity", Biometrics 31: 949-952): within a centre, station i's probability
p_i is drawn from a beta distribution with mean mu (the centre's) and intra-centre correlation rho, and its
count is binomial(n_i, p_i). So Var(x_i / n_i) = mu (1 - mu) (1 + (n_i - 1) rho) / n_i.

The estimator, per quantity (turnout: x = ballots, n = registered; share: x = leader, n = share base):
- mu is estimated *leaving the station out*: the other stations' pooled ratio sum(x_j) / sum(n_j), so a
  stuffed station cannot pull the centre's mean towards itself and hide.
- rho is pooled over all centres of the same station kind (a centre of 3 stations cannot estimate its own
  dispersion). It is a robust method-of-moments estimate: the leave-one-out deviation d_i = x_i / n_i - mu_-i
  has variance mu (1 - mu) (A_i + B_i rho) with A_i = 1 / n_i + 1 / N_-i and B_i = (n_i - 1) / n_i
  + (S2_-i - N_-i) / N_-i^2 (N_-i, S2_-i: the others' sum of n_j and of n_j^2); rho solves
  median_i(d_i^2 / (mu (1 - mu) (A_i + B_i rho))) = 0.4549, the median of chi-square(1) (solved exactly: it is
  the median of the rho at which each station's term crosses 0.4549). A median rather than a mean, so that the
  stations being screened for (a minority) do not inflate the yardstick.
- The station's p-value is the upper tail P(X >= x_i) of the beta-binomial with mean mu_-i and a correlation
  widened to rho' = rho + n_i V_-i / (n_i - 1), V_-i = (N_-i + rho (S2_-i - N_-i)) / N_-i^2, so that the
  distribution's variance also carries the error of the estimated mean (a predictive, not a plug-in, tail).
  Upper tail: ballot stuffing raises turnout, and stuffing or moved votes raise the favoured
  candidate's share.
- Only stations of the same kind (Afghan men's and women's stations) in the same centre (and contest) are
  compared; groups of fewer than `min_stations` comparable stations are not tested (nan).

Without a register (Afghanistan 2010 published none per station) turnout cannot be tested, but its idea can:
voters are assigned to a centre's stations by list, so the k like stations of a centre split its electorate
about evenly and, with similar turnout, its ballots too. Conditional on the group's total T of ballots,
station i's ballots are then beta-binomial(T, 1/k, rho) (for two Poisson counts this conditional binomial is
the classical exact comparison; the beta widens it for unequal lists and turnouts). The mean 1/k is fixed by
design, not estimated, so a stuffed station cannot hide by inflating it; rho is pooled per station kind with
the same median estimator as above (A_i = 1 / T_i, B_i = (T_i - 1) / T_i), and the p-value is the upper tail.
It runs only on groups where no station has a register (with one, the turnout test is the sharper), with the
same `min_stations` (two stations that differ cannot say which of them is odd; with three the majority can).

What else produces the pattern: a station serving another population (barracks, hospital, a village polled at
the town's centre), a register that was not cleaned, or a candidate's home street. Whole-centre fraud is
invisible here: every station of the centre moves together (the other screens look for that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from .stations import StationEvidence, StationTable

CHI2_1_MEDIAN = float(stats.chi2.ppf(0.5, 1))  # 0.45494
MIN_P = 1e-300  # tails below this are reported as this (a float's floor, not a statement of precision)
_SUM_EPS = 1e-10  # relative size of the unsummed remainder of a tail
_RHO_MAX = 0.9
_BLOCK = 64  # terms summed per step of the tail sums
_CHUNK = 2048  # stations per block of tail sums
TRIM = 1e-3  # stations this far out leave the reference of the next pass
_PASSES = 3


def _log_pmf(k: np.ndarray, n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
            + special.betaln(k + a, n - k + b) - special.betaln(a, b))


def betabinom_upper_tail(x: np.ndarray, n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(X >= x) for X ~ beta-binomial(n, a, b), elementwise, by summing the probabilities.

    For a, b >= 1 the distribution is log-concave: the ratio of successive terms falls monotonically, so a
    tail is summed from x outwards and stopped once the geometric bound on the remainder is below 1e-10 of the
    sum. When x is above the mean the upper tail is summed; else 1 - P(X <= x - 1), the lower tail being the
    upper tail of n - X ~ beta-binomial(n, b, a). Other shapes (a tiny share with a large rho) are summed from
    x to n in full. (scipy's betabinom.sf computes 1 - cdf, which loses every digit below about 1e-12.)"""
    x, n = np.asarray(x, np.float64), np.asarray(n, np.float64)
    a, b = (
        np.broadcast_to(np.asarray(a, np.float64), x.shape),
        np.broadcast_to(np.asarray(b, np.float64), x.shape),
    )
    out = np.where(x <= 0, 1.0, 0.0)
    idx = np.flatnonzero((x > 0) & (x <= n))
    for lo in range(0, len(idx), _CHUNK):  # chunks small enough for the blocks below to stay in cache
        part = idx[lo:lo + _CHUNK]
        xi, ni, ai, bi = x[part], n[part], a[part], b[part]
        concave = (ai >= 1) & (bi >= 1)
        upward = (xi > ni * ai / (ai + bi)) | ~concave
        start = np.where(upward, xi, ni - xi + 1)
        tail = _upper_tail_sum(start, ni, np.where(upward, ai, bi), np.where(upward, bi, ai), concave)
        out[part] = np.where(upward, tail, 1.0 - tail)
    return np.clip(out, 0.0, 1.0)


def _upper_tail_sum(x: np.ndarray, n: np.ndarray, a: np.ndarray, b: np.ndarray,
                    stop_early: np.ndarray) -> np.ndarray:
    """sum_{k >= x} P(X = k), summed upwards from x a block of terms at a time; rows with stop_early (the
    log-concave ones) stop at the remainder bound, the others run to n."""
    total = np.ones(len(x))  # relative to the first term, times exp(log_scale)
    term = np.ones(len(x))
    log_scale = _log_pmf(x, n, a, b)
    k = x.copy()
    live = np.arange(len(x))
    offsets = np.arange(_BLOCK, dtype=np.float64)
    while len(live):
        # P(k + 1) / P(k) = (n - k)(k + a) / ((k + 1)(n - k - 1 + b)), for k = k0 + offsets
        k0, nl = k[live, None], n[live, None]
        left = nl - k0 - offsets
        ratio = left * (k0 + a[live, None] + offsets)
        with np.errstate(divide="ignore", invalid="ignore"):  # past n: masked just below
            ratio /= (k0 + 1 + offsets) * (left - 1 + b[live, None])
        if np.any(k[live] + _BLOCK > n[live]):
            ratio[left <= 0] = 0.0  # nothing beyond n
        terms = np.cumprod(ratio, axis=1)
        terms *= term[live, None]
        total[live] += terms.sum(axis=1)
        last = ratio[:, -1]
        term[live] = terms[:, -1]
        k[live] += _BLOCK
        big = total[live] > 1e200  # terms that grow (a start far below the mode): rescale, never overflow
        if big.any():
            j = live[big]
            log_scale[j] += np.log(total[j])
            term[j] /= total[j]
            total[j] = 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = np.where(last < 1, term[live] * last / (1 - last), np.inf)
        done = (k[live] > n[live]) | (stop_early[live] & (bound <= _SUM_EPS * total[live]))
        live = live[~done]
    return np.exp(log_scale + np.log(total))


def _group_codes(t: StationTable) -> np.ndarray:
    """One integer per comparable group (contest, region, centre, kind); -1 where the centre is unknown. The
    region is part of the key because a table's centre names may repeat across regions (Russia's TIK
    names)."""
    centre = t.centre.astype(str)
    parts = [t.region.astype(str), centre, t.kind.astype(str)]
    if t.contest is not None:
        parts.insert(0, t.contest.astype(str))
    key = parts[0]
    for p in parts[1:]:
        key = np.char.add(np.char.add(key, "\x1f"), p)
    _, codes = np.unique(key, return_inverse=True)
    return np.where(centre == "", -1, codes.astype(np.int64))


@dataclass(frozen=True, slots=True)
class CentreTest:
    """The within-centre test of one quantity (turnout or the leader's share)."""

    evidence: StationEvidence
    rho: dict[str, float]  # pooled intra-centre correlation per station kind
    expected: np.ndarray  # the other stations' ratio (the leave-one-out mean); nan where not tested
    others: np.ndarray  # int64: comparable other stations in the centre (0 where not tested)

    @property
    def tested(self) -> int:
        return int(np.sum(~np.isnan(self.evidence.p_value)))


@dataclass(frozen=True, slots=True)
class CentreComparison:
    turnout: CentreTest
    share: CentreTest
    min_stations: int
    ballots: CentreTest | None = None  # the register-free ballot-count test (None: not run)

    def evidence(self) -> list[StationEvidence]:
        extra = [self.ballots.evidence] if self.ballots is not None else []
        return [self.turnout.evidence, self.share.evidence, *extra]

    def summary(self, alpha: float = 0.01) -> dict:
        def one(test: CentreTest) -> dict:
            p = test.evidence.p_value
            return {"tested": test.tested, "rho": {k: round(v, 6) for k, v in test.rho.items()},
                    f"p_le_{alpha:g}": int(np.sum(p <= alpha))}
        out = {"min_stations": self.min_stations, "turnout": one(self.turnout), "share": one(self.share)}
        if self.ballots is not None:
            out["ballots"] = one(self.ballots)
        return out


def leave_one_out_test(x: np.ndarray, n: np.ndarray, group: np.ndarray, kind: np.ndarray, *,
                       min_stations: int = 3, rho_method: str = "median", trim: float | None = TRIM,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    """Upper-tail p-value of each station's count under its group's leave-one-out beta-binomial (module doc).

    x, n: counts (int64); a station with n <= 0 or group -1 takes no part. rho_method: "median" (robust, the
    default) or "moments" (the classical moment estimator: mean(d_i^2 / (mu (1 - mu))) = mean(A_i + B_i rho),
    unbiased for any n but pulled up by every outlier). trim: stations with p <= trim leave the reference (the
    others' mean and rho) and everything is recomputed, up to three passes; None: one pass, no trimming.
    Returns (p, mean of the others, number of others, rho per kind)."""
    if rho_method not in ("median", "moments"):
        raise ValueError(f"rho_method must be 'median' or 'moments'; got {rho_method!r}")
    x, n = np.asarray(x, np.int64), np.asarray(n, np.int64)
    m = len(x)
    usable = (n > 0) & (group >= 0) & (x >= 0)
    p = np.full(m, np.nan)
    mean_others = np.full(m, np.nan)
    others = np.zeros(m, np.int64)
    rhos: dict[str, float] = {}
    if not usable.any():
        return p, mean_others, others, rhos
    pos = np.flatnonzero(usable)
    g = group[usable]
    xf, nf = x[usable].astype(np.float64), n[usable].astype(np.float64)
    kinds = kind[usable].astype(str)
    reference = np.ones(len(g), bool)
    # the reference is settled with a normal approximation of the tail (cheap); the exact tails come last
    for _ in range(_PASSES if trim is not None else 0):
        pv, _, _, _ = _one_pass(xf, nf, g, kinds, reference, min_stations, rho_method, exact=False)
        with np.errstate(invalid="ignore"):
            clear = ~(pv <= trim)
        if np.array_equal(clear, reference):
            break
        reference = clear
    pv, mu, k, rhos = _one_pass(xf, nf, g, kinds, reference, min_stations, rho_method, exact=True)
    p[pos], mean_others[pos], others[pos] = np.where(np.isnan(pv), np.nan, np.maximum(pv, MIN_P)), mu, k
    return p, mean_others, others, rhos


def _one_pass(xf: np.ndarray, nf: np.ndarray, g: np.ndarray, kinds: np.ndarray, reference: np.ndarray,
              min_stations: int, rho_method: str, exact: bool,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    """Every station against the `reference` stations of its group (itself left out); `exact`: beta-binomial
    tails, else the normal approximation with the same mean and variance."""
    ng = int(g.max()) + 1
    w = reference.astype(np.float64)
    count = np.bincount(g, w, minlength=ng)
    sum_x = np.bincount(g, xf * w, minlength=ng)
    sum_n = np.bincount(g, nf * w, minlength=ng)
    sum_n2 = np.bincount(g, nf * nf * w, minlength=ng)
    n_o, x_o, s2_o = sum_n[g] - nf * w, sum_x[g] - xf * w, sum_n2[g] - nf * nf * w
    k = np.rint(count[g] - w).astype(np.int64)
    tested = (k >= min_stations - 1) & (n_o > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = np.where(tested, x_o / n_o, np.nan)
        # a centre whose other stations are all 0 % (or all 100 %) would make any other value impossible
        edge = 0.5 / (n_o + 1)
        mu_c = np.clip(mu, edge, 1 - edge)
        a_coef = 1 / nf + 1 / n_o
        b_coef = (nf - 1) / nf + (s2_o - n_o) / (n_o * n_o)
        z2 = (xf / nf - mu) ** 2 / (mu_c * (1 - mu_c))
    rho = np.zeros(len(g))
    rhos: dict[str, float] = {}
    for kind in np.unique(kinds[tested]).tolist():
        sel = tested & (kinds == kind)
        fit = sel & reference
        if rho_method == "median":
            r = _robust_rho(z2[fit], a_coef[fit], b_coef[fit])
        else:
            r = float(
                np.clip(np.sum(z2[fit] - a_coef[fit]) / max(np.sum(b_coef[fit]), 1e-300), 0.0, _RHO_MAX)
            )
        rhos[kind] = r
        rho[sel] = r
    p = np.full(len(g), np.nan)
    if not exact:
        with np.errstate(divide="ignore", invalid="ignore"):
            p[tested] = special.ndtr(-np.sqrt(z2[tested] / (a_coef[tested] + b_coef[tested] * rho[tested]))
                                     * np.sign(xf[tested] / nf[tested] - mu[tested]))
        return p, mu, k, rhos
    idx = np.flatnonzero(tested)
    nt, mut, rt = nf[idx], mu_c[idx], rho[idx]
    v_mean = (n_o[idx] + rt * (s2_o[idx] - n_o[idx])) / (n_o[idx] ** 2)
    widened = np.minimum(rt + np.where(nt > 1, nt * v_mean / np.maximum(nt - 1, 1), 0.0), _RHO_MAX)
    scale = 1 / np.maximum(widened, 1e-12) - 1
    p[idx] = betabinom_upper_tail(xf[idx], nt, mut * scale, (1 - mut) * scale)
    return p, np.where(tested, mu, np.nan), np.where(tested, k, 0), rhos


def equal_split_test(x: np.ndarray, group: np.ndarray, kind: np.ndarray, *, min_stations: int = 3,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    """Upper-tail p-value of each station's count x_i against an even split of its group's total among the
    group's k stations: beta-binomial(T, 1/k, rho), rho pooled per kind by the median rule (module doc).
    Groups of fewer than `min_stations` stations, group -1 and totals of 0 are not tested. Returns (p,
    expected share 1/k, number of other stations, rho per kind)."""
    x = np.asarray(x, np.int64)
    m = len(x)
    p, expected, others = np.full(m, np.nan), np.full(m, np.nan), np.zeros(m, np.int64)
    rhos: dict[str, float] = {}
    usable = (group >= 0) & (x >= 0)
    if not usable.any():
        return p, expected, others, rhos
    g = np.where(usable, group, 0)
    ng = int(g.max()) + 1
    k = np.bincount(g, usable, minlength=ng)[g]
    total = np.rint(np.bincount(g, np.where(usable, x, 0), minlength=ng)[g]).astype(np.int64)
    tested = usable & (k >= min_stations) & (total > 0)
    idx = np.flatnonzero(tested)
    xf, tf, share = x[idx].astype(np.float64), total[idx].astype(np.float64), 1.0 / k[idx]
    z2 = (xf / tf - share) ** 2 / (share * (1 - share))
    a_coef, b_coef = 1 / tf, (tf - 1) / tf
    rho = np.zeros(len(idx))
    kinds = kind[idx].astype(str)
    for kd in np.unique(kinds).tolist():
        sel = kinds == kd
        rhos[kd] = _robust_rho(z2[sel], a_coef[sel], b_coef[sel])
        rho[sel] = rhos[kd]
    # rho = 0 is the binomial itself (bdtrc: P(X > x - 1), an incomplete beta, not 1 - cdf)
    tail = np.where(xf <= 0, 1.0, special.bdtrc(np.maximum(x[idx] - 1, 0), total[idx], share))
    over = rho > 0
    scale = 1 / rho[over] - 1
    tail[over] = betabinom_upper_tail(xf[over], tf[over], share[over] * scale, (1 - share[over]) * scale)
    p[idx] = np.maximum(tail, MIN_P)
    expected[idx], others[idx] = share, k[idx] - 1
    return p, expected, others, rhos


def _robust_rho(z2: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """rho >= 0 solving median(z2 / (a + b rho)) = median of chi-square(1), exactly: z2_i / (a_i + b_i rho)
    exceeds the target c exactly when rho < r_i = (z2_i / c - a_i) / b_i, so the median crosses c at rho =
    median(r_i).
    0 when the stations vary no more than binomially."""
    if len(z2) == 0:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(b > 0, (z2 / CHI2_1_MEDIAN - a) / b, np.where(z2 / CHI2_1_MEDIAN > a, np.inf, -np.inf))
    return float(np.clip(np.median(r), 0.0, _RHO_MAX))


def _reasons(what: str, ratio: np.ndarray, mean: np.ndarray, others: np.ndarray, p: np.ndarray,
             centre: np.ndarray, kind: np.ndarray, level: float) -> np.ndarray:
    out = np.full(len(p), "", dtype=object)
    with np.errstate(invalid="ignore"):
        said = np.flatnonzero(p <= level)
    for i in said:
        kind_word = f"{kind[i]} " if kind[i] else ""
        out[i] = (
            f"{what} {ratio[i]:.1%} against {mean[i]:.1%} at the {others[i]} other {kind_word}stations of "
            f"centre {centre[i]} (p = {p[i]:.2g})"
        )
    return out


def within_centre(t: StationTable, *, min_stations: int = 3, rho_method: str = "median",
                  reason_level: float = 0.05, ballots: bool = True) -> CentreComparison:
    """Turnout and leader share of each station against the other stations of its centre (same kind, same
    contest): two StationEvidence, `centre-turnout` and `centre-share` (module doc). Stations with
    p <= reason_level get a reason (formatting one per station costs more than the test itself)."""
    if min_stations < 2:
        raise ValueError(f"min_stations must be at least 2 (the station and one other); got {min_stations}")
    group = _group_codes(t)
    kind = t.kind.astype(str)
    registered = np.where(t.has_register, t.registered, 0)
    tests = []
    for what, x, n, ratio in (("turnout", t.ballots, registered, t.turnout()),
                              ("leader share", t.leader, t.share_base, t.leader_share())):
        p, mean, others, rhos = leave_one_out_test(x, n, group, kind, min_stations=min_stations,
                                                   rho_method=rho_method)
        reasons = _reasons(what, ratio, mean, others, p, t.centre, kind, reason_level)
        name = "centre-turnout" if what == "turnout" else "centre-share"
        tests.append(CentreTest(StationEvidence(name, p, reasons), rhos, mean, others))
    ballot_test = None
    if ballots:
        group_reg = np.bincount(np.maximum(group, 0), t.has_register & (group >= 0),
                                minlength=int(group.max(initial=0)) + 1)
        register_free = np.where(group >= 0, group_reg[np.maximum(group, 0)] == 0, False)
        p, share, others, rhos = equal_split_test(t.ballots, np.where(register_free, group, -1), kind,
                                                  min_stations=min_stations)
        g = np.maximum(group, 0)
        total = np.bincount(g, np.where(group >= 0, t.ballots, 0), minlength=int(g.max(initial=0)) + 1)
        total = np.rint(total[g]).astype(np.int64)
        out = np.full(len(t), "", dtype=object)
        with np.errstate(invalid="ignore"):
            said = np.flatnonzero(p <= reason_level)
        for i in said:
            kind_word = f"{kind[i]} " if kind[i] else ""
            out[i] = (f"{t.ballots[i]} ballots, {t.ballots[i] / total[i]:.0%} of the {total[i]} of the "
                      f"centre's "
                      f"{others[i] + 1} {kind_word}stations (an even split: {share[i]:.0%}; p = {p[i]:.2g})")
        ballot_test = CentreTest(StationEvidence("centre-ballots", p, out), rhos, share, others)
    return CentreComparison(tests[0], tests[1], min_stations, ballot_test)
