"""Integer percentages: too many stations whose turnout or leader share is a whole percentage.

Kobak, Shpilkin & Pshenichnikov, "Integer percentages as electoral falsification fingerprints", Annals of
Applied Statistics 10(1):54–73 (2016). A commission that writes down the result it was told to reach (80%
turnout, 70% for the leader) produces counts whose ratio is a whole percentage more often than chance allows.
Which stations are screened follows the paper's notebooks (github.com/dkobak/elections, `anomaly()`): at least
100 registered voters, a share base above 0, and neither turnout nor leader share above 99%. A station is
"integer" when its turnout or leader share lies within ±0.05 percentage points of a whole percentage
(inclusive, decided in integers).

Where the paper resamples every station 1,000 times (ballots ~ Binomial(registered, turnout), leader votes ~
Binomial(share base, share)) to estimate how many integer stations chance alone makes, this module computes
the same expectation exactly: a station's probability of being integer is a sum of binomial probabilities over
the counts whose ratio falls in a whole-percentage window, and the number of integer stations is
Poisson-binomial, whose upper tail is the p-value. The null is that resampling, not a model of voters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

import numpy as np
from scipy import fft, optimize, special

from .stations import StationEvidence, StationTable

METHOD = "integer-percentages"
DEFAULT_WINDOW = Fraction(1, 2000)  # ±0.05 percentage points, as a fraction of 1
METRICS = ("turnout", "leader", "either")

# Mass a station's binomial may carry outside the counts summed (two-sided Hoeffding/Bernstein bound): the
# expected count of integer stations is exact to 1e-15 × stations, far below anything printed.
_IGNORED_MASS = 1e-15
_LOG_FACTORIAL_TABLE_LIMIT = 5_000_000


def _fraction(x: Fraction | int | float | str) -> Fraction:
    # str() first so 0.0005 means 1/2000, not the nearest double
    return x if isinstance(x, Fraction) else Fraction(str(x))


def _window(window: Fraction | float | str) -> Fraction:
    w = _fraction(window)
    if not 0 < w < Fraction(1, 200):  # wider windows of neighbouring percentages would overlap
        raise ValueError(f"window must be above 0 and below half a percentage point (0.005), got {w}")
    return w


def is_integer_percentage(successes: np.ndarray, trials: np.ndarray,
                          window: Fraction | float | str = DEFAULT_WINDOW) -> np.ndarray:
    """True where successes/trials is within `window` (a fraction of 1) of a whole percentage; trials > 0."""
    w = _window(window)
    k = np.asarray(successes, dtype=np.int64)
    n = np.asarray(trials, dtype=np.int64)
    a, b = w.numerator, w.denominator
    nearest = (200 * k + n) // (2 * n)  # whole percentage nearest to 100·k/n (windows are under half of one)
    # |k/n − m/100| ≤ a/b  ⇔  |100·b·k − b·m·n| ≤ 100·a·n, all in integers
    return np.abs(100 * b * k - b * nearest * n) <= 100 * a * n


def integer_chance(successes: np.ndarray, trials: np.ndarray,
                   window: Fraction | float | str = DEFAULT_WINDOW) -> np.ndarray:
    """P(K/n within `window` of a whole percentage) for K ~ Binomial(n, k/n), per station; n > 0, 0 ≤ k ≤ n.

    Exact up to the mass a tail bound leaves out (≤ 1e-15 per station): for every whole percentage m near k/n,
    the counts j with |j/n − m/100| ≤ window are found exactly and their binomial probabilities summed.
    """
    w = _window(window)
    k = np.asarray(successes, dtype=np.int64)
    n = np.asarray(trials, dtype=np.int64)
    if k.shape != n.shape or k.ndim != 1:
        raise ValueError("successes and trials must be one-dimensional arrays of the same length")
    if len(n) == 0:
        return np.zeros(0)
    if (n <= 0).any() or (k < 0).any() or (k > n).any():
        raise ValueError("every station needs trials > 0 and 0 ≤ successes ≤ trials")
    p = k / n
    # the deviation |K/n − p| that has probability ≤ _IGNORED_MASS: Hoeffding's bound, or Bernstein's where it
    # is tighter (shares far from one half)
    log_term = math.log(2 / _IGNORED_MASS) / n
    bernstein = log_term / 3 + np.sqrt((log_term / 3) ** 2 + 2 * p * (1 - p) * log_term)
    reach = np.minimum(np.sqrt(log_term / 2), bernstein) + float(w)
    m_lo = np.clip(np.floor(100 * (p - reach)) - 1, 0, 100).astype(np.int64)
    m_hi = np.clip(np.ceil(100 * (p + reach)) + 1, 0, 100).astype(np.int64)

    # every (station, whole percentage m) pair, then every count j with |j/n − m/100| ≤ a/b, i.e.
    # (b·m − 100·a)·n ≤ 100·b·j ≤ (b·m + 100·a)·n. The bounds are ratios of integers below 2^53, so the
    # correctly rounded float quotient is exact whenever the ratio is whole and otherwise stays on the right
    # side of it (the gap to the next integer, ≥ 1/(100·b), is far above one ulp): floor and ceil are exact.
    a, b = w.numerator, w.denominator
    station, m = _expand(m_lo, m_hi - m_lo + 1)
    nn = n[station].astype(np.float64)
    lo = np.maximum(np.ceil((b * m - 100 * a) * nn / (100 * b)), 0)
    hi = np.minimum(np.floor((b * m + 100 * a) * nn / (100 * b)), nn)
    some = hi >= lo  # below 1,000 trials most windows hold no count at all
    lo = lo[some].astype(np.int64)
    station, j = _expand(lo, hi[some].astype(np.int64) - lo + 1, station[some])

    # log C(n, j) + j·log p + (n − j)·log(1 − p), with the per-station terms gathered once; a share of 0 or 1
    # puts all mass on j = 0 or j = n (a huge finite negative log keeps 0·log 0 at 0)
    with np.errstate(divide="ignore"):
        log_p = np.where(k > 0, np.log(p), -1e300)
        log_q = np.where(k < n, np.log1p(-p), -1e300)
    per_station = _log_factorial(n) + n * log_q
    log_pmf = (per_station[station] - _log_factorial(j) - _log_factorial(n[station] - j)
               + j * (log_p - log_q)[station])
    return np.minimum(np.bincount(station, weights=np.exp(log_pmf), minlength=len(n)), 1.0)


def _expand(start: np.ndarray, count: np.ndarray,
            owner: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For row r, the values start[r] … start[r]+count[r]−1, each with its owner (r, or owner[r])."""
    rows = np.repeat(np.arange(len(count)), count)
    values = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count - start, count)
    return (rows if owner is None else owner[rows]), values


def _log_factorial(x: np.ndarray) -> np.ndarray:
    top = int(x.max()) if x.size else 0
    if top <= _LOG_FACTORIAL_TABLE_LIMIT:
        return _log_factorial_table(top)[x]
    return special.gammaln(x + 1.0)


_TABLE: list[np.ndarray] = [np.zeros(1)]


def _log_factorial_table(top: int) -> np.ndarray:
    if len(_TABLE[0]) <= top:
        _TABLE[0] = special.gammaln(np.arange(max(top + 1, 2 * len(_TABLE[0])), dtype=np.float64) + 1.0)
    return _TABLE[0]


def poisson_binomial_sf(probabilities: np.ndarray, observed: int) -> float:
    """P(X ≥ observed) for X the number of successes among independent Bernoulli(p_i) trials, exactly.

    The distribution is the product of the trials' generating polynomials, multiplied out by FFT in a balanced
    tree. Far in the upper tail those values fall below the FFT's rounding, so the trials are first tilted
    exponentially (p_i → p_i·e^θ / (1 − p_i + p_i·e^θ), θ chosen so the tilted mean is `observed`); the
    tilted distribution is well resolved around `observed`, and P(X = k) = P_θ(X = k)·M(θ)·e^(−θk) maps it
    back, so the p-value keeps its relative precision down to the smallest double (below that it is 0.0).
    """
    return poisson_binomial_sfs([probabilities], [observed])[0]


def poisson_binomial_sfs(groups: Sequence[np.ndarray], observed: Sequence[int]) -> list[float]:
    """`poisson_binomial_sf` of several groups at once (one batched FFT tree: regions cost one call)."""
    results: list[float] = [1.0] * len(groups)
    pending: list[tuple[int, np.ndarray, int, float, float]] = []  # group, tilted p, x, log M(θ), θ
    for g, (probabilities, count) in enumerate(zip(groups, observed, strict=True)):
        q = np.asarray(probabilities, dtype=np.float64)
        if q.ndim != 1 or ((q < 0) | (q > 1) | np.isnan(q)).any():
            raise ValueError("probabilities must be a one-dimensional array of values in [0, 1]")
        x = int(count) - int((q == 1).sum())
        q = q[(q > 0) & (q < 1)]
        if x <= 0:
            continue
        if x > len(q):
            results[g] = 0.0
            continue
        if x == len(q):
            results[g] = float(np.exp(np.log(q).sum()))
            continue
        theta = 0.0
        logit = special.logit(q)
        if x > q.sum():
            def tilted_mean_minus_x(th: float) -> float:
                return float(special.expit(logit + th).sum()) - x
            upper = 1.0
            while tilted_mean_minus_x(upper) < 0:
                upper *= 2
            theta = optimize.brentq(tilted_mean_minus_x, 0.0, upper, xtol=1e-13, rtol=1e-13)
        log_mgf = float(np.log1p(q * np.expm1(theta)).sum())
        pending.append((g, special.expit(logit + theta), x, log_mgf, theta))
    pmfs = _pmfs_of_sums([item[1] for item in pending])
    for (g, q, x, log_mgf, theta), pmf in zip(pending, pmfs, strict=True):
        tail = float((pmf[x:] * np.exp(-theta * np.arange(len(q) + 1 - x))).sum())
        results[g] = min(1.0, math.exp(log_mgf - theta * x) * tail) if tail > 0 else 0.0
    return results


def _pmfs_of_sums(groups: list[np.ndarray]) -> list[np.ndarray]:
    """For each group, the distribution of its number of successes: ∏(1 − q_i + q_i·z) multiplied out.

    Groups of the same power-of-two size share one batched FFT tree (few large FFTs instead of many small).
    """
    pmfs: list[np.ndarray] = [np.ones(1)] * len(groups)
    by_size: dict[int, list[int]] = {}
    for g, q in enumerate(groups):
        by_size.setdefault(1 << max(0, (len(q) - 1).bit_length()), []).append(g)
    for size, members in by_size.items():
        poly = np.zeros((len(members), size, 2))
        poly[:, :, 0] = 1.0  # padding trials never succeed
        for row, g in enumerate(members):
            poly[row, :len(groups[g]), 0] = 1.0 - groups[g]
            poly[row, :len(groups[g]), 1] = groups[g]
        while poly.shape[1] > 1:
            left, right = poly[:, 0::2], poly[:, 1::2]
            width = left.shape[2]
            out_width = 2 * width - 1
            if width <= 8:  # tiny polynomials: direct products are cheaper than FFTs
                out = np.zeros(left.shape[:2] + (out_width,))
                for i in range(width):
                    out[:, :, i:i + width] += left[:, :, i:i + 1] * right
            else:
                # polynomials of degree 2^l multiply to degree 2^(l+1): a circular product of length 2^(l+1)
                # folds only the top coefficient onto the constant one, so take it out and put it on top
                nfft = out_width - 1
                spectrum = fft.rfft(left, nfft, axis=2) * fft.rfft(right, nfft, axis=2)
                top = left[:, :, -1] * right[:, :, -1]
                out = np.empty(left.shape[:2] + (out_width,))
                out[:, :, :nfft] = fft.irfft(spectrum, nfft, axis=2)
                out[:, :, 0] -= top
                out[:, :, nfft] = top
            poly = out
        for row, g in enumerate(members):
            pmf = np.clip(poly[row, 0, :len(groups[g]) + 1], 0.0, None)
            pmfs[g] = pmf / pmf.sum()
    return pmfs


@dataclass(frozen=True, slots=True)
class IntegerPercentages:
    """The integer-percentage screen of one station table: counts nationally and per region, chances.

    `chance_turnout` / `chance_leader` are each tested station's probability, under binomial resampling, of
    showing an integer turnout / leader share (nan for stations outside the screen).
    """

    window: Fraction
    min_registered: int
    max_ratio: Fraction
    tested: np.ndarray  # bool per station
    integer_turnout: np.ndarray  # bool per station (False where not tested)
    integer_leader: np.ndarray
    chance_turnout: np.ndarray  # float per station, nan where not tested
    chance_leader: np.ndarray
    turnout_percent: np.ndarray  # float per station, for reasons; nan where not tested
    leader_percent: np.ndarray
    national: Mapping[str, float | int]
    regions: Mapping[str, Mapping[str, float | int]]

    @property
    def chance_either(self) -> np.ndarray:
        # the paper resamples ballots and leader votes independently, so "either" is 1 − P(neither)
        return self.chance_turnout + self.chance_leader - self.chance_turnout * self.chance_leader

    def summary(self) -> dict[str, float | int]:
        """National figures: stations; observed_, expected_, excess_, sd_, p_value_ of each metric."""
        return dict(self.national)

    def evidence(self) -> StationEvidence:
        """Per station: T = how many of its two percentages are integer; p = P(T ≥ observed) under resampling.

        A station with no integer percentage gets p = 1; one with one gets 1 − P(neither); one with both gets
        P(both). This is weak evidence by design: about one station in five is integer by chance, so the
        fingerprint is the national excess, and a single station's p-value only ranks stations within it.
        """
        p = np.full(len(self.tested), np.nan)
        reasons = np.full(len(self.tested), "", dtype=object)
        t = self.tested
        both = t & self.integer_turnout & self.integer_leader
        one = t & (self.integer_turnout ^ self.integer_leader)
        p[t] = 1.0
        p[one] = self.chance_either[one]
        p[both] = (self.chance_turnout * self.chance_leader)[both]
        for i in np.flatnonzero(one | both):
            parts = []
            if self.integer_turnout[i]:
                parts.append(f"turnout {self.turnout_percent[i]:.2f}%")
            if self.integer_leader[i]:
                parts.append(f"leader {self.leader_percent[i]:.2f}%")
            verb = " are whole percentages" if len(parts) == 2 else " is a whole percentage"
            what = " and ".join(parts) + verb
            reasons[i] = f"{what} (chance {_percent(p[i])})"
        return StationEvidence(METHOD, p, reasons)


def _percent(x: float) -> str:
    return f"{100 * x:.1f}%" if x >= 0.001 else f"{100 * x:.2g}%"


def integer_percentages(t: StationTable, *, window: Fraction | float | str = DEFAULT_WINDOW,
                        min_registered: int = 100, max_ratio: Fraction | float | str = Fraction(99, 100),
                        by_region: bool = True) -> IntegerPercentages:
    """Screen `t` for integer turnout and leader shares (Kobak, Shpilkin & Pshenichnikov 2016).

    Stations screened: registered ≥ `min_registered`, share base > 0, ballots/registered ≤ `max_ratio` and
    leader/share base ≤ `max_ratio` (the paper's notebooks). Expected counts are exact under binomial
    resampling; p-values are exact upper tails of the Poisson-binomial count. `by_region=False` skips regions.
    """
    w = _window(window)
    r = _fraction(max_ratio)
    reg, bal, base, lead = t.registered, t.ballots, t.share_base, t.leader
    tested = (reg >= max(min_registered, 1)) & (base > 0)
    tested &= (r.denominator * bal <= r.numerator * reg) & (r.denominator * lead <= r.numerator * base)
    tested &= (bal >= 0) & (lead >= 0)
    idx = np.flatnonzero(tested)

    def flags(values: np.ndarray) -> np.ndarray:
        out = np.zeros(len(t), dtype=bool)
        out[idx] = values
        return out

    def floats(values: np.ndarray) -> np.ndarray:
        out = np.full(len(t), np.nan)
        out[idx] = values
        return out

    n_t, k_t, n_l, k_l = reg[idx], bal[idx], base[idx], lead[idx]
    int_t, int_l = flags(is_integer_percentage(k_t, n_t, w)), flags(is_integer_percentage(k_l, n_l, w))
    chance_t, chance_l = floats(integer_chance(k_t, n_t, w)), floats(integer_chance(k_l, n_l, w))
    pct_t, pct_l = floats(100 * k_t / n_t), floats(100 * k_l / n_l)

    national = _scope_figures([idx], int_t, int_l, chance_t, chance_l)[0]
    regions: dict[str, Mapping[str, float | int]] = {}
    if by_region and len(idx):
        names, codes = np.unique(t.region[idx].astype(str), return_inverse=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        members = [idx[order[bounds[r]:bounds[r + 1]]] for r in range(len(names))]
        for name, fig in zip(names.tolist(), _scope_figures(members, int_t, int_l, chance_t, chance_l)):
            regions[name] = MappingProxyType(fig)
    for a in (tested, int_t, int_l, chance_t, chance_l, pct_t, pct_l):
        a.flags.writeable = False
    return IntegerPercentages(w, min_registered, r, tested, int_t, int_l, chance_t, chance_l, pct_t, pct_l,
                              MappingProxyType(national), MappingProxyType(regions))


def _scope_figures(scopes: list[np.ndarray], int_t: np.ndarray, int_l: np.ndarray, chance_t: np.ndarray,
                   chance_l: np.ndarray) -> list[dict[str, float | int]]:
    """Counts, expectations and p-values over each set of stations in `scopes` (indexes)."""
    figures: list[dict[str, float | int]] = [{"stations": len(scope)} for scope in scopes]
    chances, counts, slots = [], [], []
    for scope, fig in zip(scopes, figures):
        ct, cl = chance_t[scope], chance_l[scope]
        it, il = int_t[scope], int_l[scope]
        for metric, observed, chance in (("turnout", it, ct), ("leader", il, cl),
                                         ("either", it | il, ct + cl - ct * cl)):
            count, expected = int(observed.sum()), float(chance.sum())
            fig[f"observed_{metric}"] = count
            fig[f"expected_{metric}"] = expected
            fig[f"excess_{metric}"] = count - expected
            fig[f"sd_{metric}"] = float(np.sqrt((chance * (1 - chance)).sum()))
            chances.append(chance)
            counts.append(count)
            slots.append((fig, f"p_value_{metric}"))
    for (fig, key), p in zip(slots, poisson_binomial_sfs(chances, counts)):  # one batched tree for all scopes
        fig[key] = p
    # keys in reading order: stations, then each metric's figures with its p-value last
    return [{"stations": f["stations"], **{f"{k}_{m}": f[f"{k}_{m}"] for m in METRICS
                                           for k in ("observed", "expected", "excess", "sd", "p_value")}}
            for f in figures]
