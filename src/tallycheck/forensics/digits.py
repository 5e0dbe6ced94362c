"""Digit tests of the Election Forensics Toolkit: second-digit Benford mean, last-digit mean, 0/5 shares.

Hicken & Mebane, "A Guide to Election Forensics" (University of Michigan / USAID DRG, 2015–2017), Table 1,
and the toolkit's R code by Kalinin & Mebane (github.com/kkalininMI/EFToolkit, `BasicElectionForensics`),
whose rules this module follows:

- 2BL: mean second digit of the counts with at least two digits (≥ 10); Benford's law for second digits
  gives 4.187 (exactly Σ d·Σ_k log10(1 + 1/(10k + d))).
- LastC: mean last digit of every count (counts below 10 included, as in the toolkit); 4.5 if uniform.
- C05s: share of counts whose last digit is 0 or 5 (every count); 0.2 if uniform.
- P05s: share of percentages, rounded to whole percent (half to even, as R's round), whose last digit is 0 or
  5; 0.2 if uniform. Percentages above 100 count as 100, as in the toolkit.

Columns: "ballots" (with turnout as its percentage, the toolkit's "Turnout" row), "leader" (leader share of
the share base), and every candidate column of `t.votes` (its share of the share base; the toolkit divides by
all ballots cast instead). Confidence intervals are nonparametric bootstrap "basic" intervals over stations,
as the toolkit's `boot.ci(type = "basic")`, from a seeded numpy generator.

Known weakness: Deckert, Myagkov & Ordeshook, "Benford's Law and the Detection of Election Fraud", Political
Analysis 19(3):245–268 (2011), show that 2BL rejects clean elections and passes fraudulent ones, depending on
how counts are distributed; a digit deviation is a prompt to look, never evidence of fraud on its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy import stats

from tallycheck.forensics.stations import StationEvidence, StationTable

METHOD = "last-digits"
TESTS = ("2BL", "LastC", "C05s", "P05s")
BENFORD_SECOND_DIGIT_MEAN = sum(d * sum(math.log10(1 + 1 / (10 * k + d)) for k in range(1, 10))
                                for d in range(10))
EXPECTED = MappingProxyType({"2BL": BENFORD_SECOND_DIGIT_MEAN, "LastC": 4.5, "C05s": 0.2, "P05s": 0.2})
STATION_MIN_COUNT = 10  # per-station last digits are only near uniform for counts with two digits or more

# per column, the sums whose ratios are the four statistics: (numerator, denominator) feature indexes
_FEATURES = ("second_digit", "has_second", "last_digit", "has_count", "count_05", "percent_05", "has_percent")
_RATIOS = {"2BL": (0, 1), "LastC": (2, 3), "C05s": (4, 3), "P05s": (5, 6)}
Figures = Mapping[str, Mapping[str, Mapping[str, float | int | bool]]]  # test → column → figure → value


@dataclass(frozen=True, slots=True)
class DigitTests:
    """Digit statistics nationally and per region: {test: {column: {value, expected, ci_low, ci_high, n,
    outside_ci}}}, and the per-station 0/5 last-digit evidence."""

    n_boot: int
    seed: int
    columns: tuple[str, ...]
    national: Figures
    regions: Mapping[str, Figures]
    station_p: np.ndarray
    station_reasons: np.ndarray

    def summary(self) -> dict[str, dict[str, dict[str, float | int | bool]]]:
        return {test: {col: dict(v) for col, v in by_col.items()} for test, by_col in self.national.items()}

    def evidence(self) -> StationEvidence:
        """Per station: of its m counts ≥ 10, how many end in 0 or 5; p = P(Binomial(m, 1/5) ≥ that many).

        The null is that a count's last digit is uniform and independent of the station's other counts; it
        holds approximately for counts that vary over much more than ten. Weak evidence: a station has only a
        few counts, and clean stations end in 0 or 5 one time in five.
        """
        return StationEvidence(METHOD, self.station_p, self.station_reasons)


def digit_tests(t: StationTable, *, n_boot: int = 1000, seed: int = 0, by_region: bool = True,
                confidence: float = 0.95) -> DigitTests:
    """The toolkit's 2BL, LastC, C05s and P05s for ballots, the leader and every candidate column of `t`."""
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    columns, counts, numerators, denominators = _columns(t)
    features = np.concatenate([_features(c, num, den)
                               for c, num, den in zip(counts, numerators, denominators)], axis=1)
    rng = np.random.default_rng(seed)
    national = _scope(features, columns, np.arange(len(t)), n_boot, rng, confidence)
    regions: dict[str, Figures] = {}
    if by_region and len(t):
        names, codes = np.unique(t.region.astype(str), return_inverse=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        for r, name in enumerate(names.tolist()):
            members = order[bounds[r]:bounds[r + 1]]
            regions[name] = _scope(features, columns, members, n_boot, rng, confidence)
    p, reasons = _station_last_digits(t)
    return DigitTests(n_boot, seed, columns, national, MappingProxyType(regions), p, reasons)


def _columns(t: StationTable) -> tuple[tuple[str, ...], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Names, counts and percentage numerators/denominators of every column tested."""
    names = ["ballots", "leader"]
    counts = [t.ballots, t.leader]
    numerators = [t.ballots, t.leader]
    denominators = [t.registered, t.share_base]
    if t.votes is not None:
        for j, name in enumerate(t.candidates):
            names.append(name if name not in ("ballots", "leader") else f"candidate:{name}")
            counts.append(t.votes[:, j])
            numerators.append(t.votes[:, j])
            denominators.append(t.share_base)
    return tuple(names), counts, numerators, denominators


_POWERS_OF_TEN = 10 ** np.arange(19, dtype=np.int64)


def second_digit(counts: np.ndarray) -> np.ndarray:
    """The second digit of each count ≥ 10 (−1 for counts below 10), in integers."""
    c = np.asarray(counts, dtype=np.int64)
    digits = np.searchsorted(_POWERS_OF_TEN, c, side="right")  # number of digits of c ≥ 1
    return np.where(c >= 10, (c // _POWERS_OF_TEN[np.maximum(digits - 2, 0)]) % 10, -1)


def rounded_percent(numerators: np.ndarray, denominators: np.ndarray) -> np.ndarray:
    """round(100·num/den) half to even, capped at 100, in integers; −1 where den ≤ 0."""
    num = np.minimum(np.asarray(numerators, dtype=np.int64), np.asarray(denominators, dtype=np.int64))
    den = np.asarray(denominators, dtype=np.int64)
    ok = den > 0
    safe = np.where(ok, den, 1)
    whole, rest = np.divmod(100 * num, safe)
    up = (2 * rest > safe) | ((2 * rest == safe) & (whole % 2 == 1))
    return np.where(ok, whole + up, -1)


def _features(counts: np.ndarray, numerators: np.ndarray, denominators: np.ndarray) -> np.ndarray:
    c = np.asarray(counts, dtype=np.int64)
    d2 = second_digit(c)
    last = c % 10
    pct = rounded_percent(numerators, denominators)
    has_pct = pct >= 0
    return np.column_stack([np.where(d2 >= 0, d2, 0), d2 >= 0, last, np.ones(len(c), bool),
                            (last == 0) | (last == 5), has_pct & ((pct % 10 == 0) | (pct % 10 == 5)),
                            has_pct]).astype(np.float64)


def _scope(features: np.ndarray, columns: tuple[str, ...], members: np.ndarray, n_boot: int,
           rng: np.random.Generator, confidence: float) -> Figures:
    f = features[members]
    n = len(members)
    point = f.sum(axis=0)
    boot = np.empty((n_boot, f.shape[1]))
    if n:
        chunk = max(1, 4_000_000 // n)
        for start in range(0, n_boot, chunk):
            reps = min(chunk, n_boot - start)
            # each replicate draws n stations with replacement; its weights are how often each was drawn
            draws = rng.integers(0, n, size=(reps, n)) + (np.arange(reps) * n)[:, None]
            weights = np.bincount(draws.ravel(), minlength=reps * n).reshape(reps, n).astype(np.float64)
            boot[start:start + reps] = weights @ f
    tail = (1 - confidence) / 2
    width = len(_FEATURES)
    out: dict[str, dict[str, Mapping[str, float | int | bool]]] = {test: {} for test in TESTS}
    for ci, column in enumerate(columns):
        for test, (a, b) in _RATIOS.items():
            num, den = ci * width + a, ci * width + b
            used = int(point[den])
            value = point[num] / point[den] if used else math.nan
            low = high = math.nan
            if used and n:
                with np.errstate(invalid="ignore", divide="ignore"):
                    reps = boot[:, num] / boot[:, den]
                reps = reps[~np.isnan(reps)]
                if len(reps):
                    # basic bootstrap interval: (2θ̂ − θ*_(1−α/2), 2θ̂ − θ*_(α/2))
                    q_low, q_high = np.quantile(reps, [tail, 1 - tail])
                    low, high = 2 * value - q_high, 2 * value - q_low
            expected = EXPECTED[test]
            out[test][column] = MappingProxyType({
                "value": float(value), "expected": expected, "ci_low": float(low), "ci_high": float(high),
                "n": used, "outside_ci": bool(used and not (low <= expected <= high))})
    return MappingProxyType({test: MappingProxyType(v) for test, v in out.items()})


def _station_last_digits(t: StationTable) -> tuple[np.ndarray, np.ndarray]:
    names = ["ballots"]
    cols = [t.ballots]
    if t.votes is not None and t.votes.shape[1]:
        names += list(t.candidates)
        cols += [t.votes[:, j] for j in range(t.votes.shape[1])]
    else:
        names.append(t.leader_name or "leader")
        cols.append(t.leader)
    c = np.column_stack(cols).astype(np.int64)
    eligible = c >= STATION_MIN_COUNT
    round_ = eligible & ((c % 10 == 0) | (c % 10 == 5))
    m = eligible.sum(axis=1)
    k = round_.sum(axis=1)
    p = np.where(m > 0, stats.binom.sf(k - 1, m, 0.2), np.nan)
    reasons = np.full(len(t), "", dtype=object)
    for i in np.flatnonzero(k > 0):
        listed = ", ".join(f"{names[j]} {c[i, j]}" for j in np.flatnonzero(round_[i]))
        reasons[i] = f"{k[i]} of {m[i]} counts ≥ {STATION_MIN_COUNT} end in 0 or 5 ({listed})"
    p.flags.writeable = False
    reasons.flags.writeable = False
    return p, reasons
