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

from .stations import StationEvidence, StationTable

METHOD = "last-digits"
TESTS = ("2BL", "LastC", "C05s", "P05s")
BENFORD_SECOND_DIGIT_MEAN = sum(d * sum(math.log10(1 + 1 / (10 * k + d)) for k in range(1, 10))
                                for d in range(10))
EXPECTED = MappingProxyType({"2BL": BENFORD_SECOND_DIGIT_MEAN, "LastC": 4.5, "C05s": 0.2, "P05s": 0.2})
STATION_MIN_COUNT = 10  # per-station last digits are only near uniform for counts with two digits or more

# per column, the sums whose ratios are the four statistics: (numerator, denominator) feature indexes
# Each statistic is a ratio of sums over stations of a few kinds. Per test: (numerator, denominator) of each
# kind, and the kind of a station is its code. 2BL: second digit + 1 (0 = below 10, no second digit); LastC:
# last digit; C05s: 1 if the last digit is 0 or 5; P05s: 0 without a percentage, 1 for one not ending in 0 or
# 5, 2 for one ending in 0 or 5.
_D2 = np.arange(11) - 1
_KIND_SUMS = MappingProxyType({
    "2BL": (np.maximum(_D2, 0).astype(np.float64), (_D2 >= 0).astype(np.float64)),
    "LastC": (np.arange(10, dtype=np.float64), np.ones(10)),
    "C05s": (np.array([0.0, 1.0]), np.ones(2)),
    "P05s": (np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0])),
})
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
    kinds = [_kinds(c, num, den) for c, num, den in zip(counts, numerators, denominators)]
    rng = np.random.default_rng(seed)
    national = _scope(kinds, columns, np.arange(len(t)), n_boot, rng, confidence)
    regions: dict[str, Figures] = {}
    if by_region and len(t):
        names, codes = np.unique(t.region.astype(str), return_inverse=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        for r, name in enumerate(names.tolist()):
            members = order[bounds[r]:bounds[r + 1]]
            regions[name] = _scope(kinds, columns, members, n_boot, rng, confidence)
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


def _kinds(counts: np.ndarray, numerators: np.ndarray, denominators: np.ndarray) -> dict[str, np.ndarray]:
    c = np.asarray(counts, dtype=np.int64)
    pct = rounded_percent(numerators, denominators)
    return {"2BL": second_digit(c) + 1, "LastC": c % 10, "C05s": (c % 5 == 0).astype(np.int64),
            "P05s": np.where(pct < 0, 0, np.where(pct % 5 == 0, 2, 1))}


def _scope(kinds: list[dict[str, np.ndarray]], columns: tuple[str, ...], members: np.ndarray, n_boot: int,
           rng: np.random.Generator, confidence: float) -> Figures:
    """Values and bootstrap intervals over the stations `members` (indexes), per test and column.

    Resampling n stations with replacement and summing their contributions to one statistic is the same, in
    distribution, as drawing how many resampled stations are of each kind: Multinomial(n, kind shares), over
    at most 11 kinds. The intervals are marginal (one per test and column), so each draws its own counts: the
    toolkit's bootstrap, exactly in distribution, without drawing n·n_boot station indexes.
    """
    n = len(members)
    tail = (1 - confidence) / 2
    out: dict[str, dict[str, Mapping[str, float | int | bool]]] = {test: {} for test in TESTS}
    for test in TESTS:
        num_of, den_of = _KIND_SUMS[test]
        for column, column_kinds in zip(columns, kinds):
            per_kind = np.bincount(column_kinds[test][members], minlength=len(num_of))
            used = int(per_kind @ den_of)
            value = float(per_kind @ num_of) / used if used else math.nan
            low = high = math.nan
            if used:
                boot = rng.multinomial(n, per_kind / n, size=n_boot)
                with np.errstate(invalid="ignore", divide="ignore"):
                    reps = (boot @ num_of) / (boot @ den_of)
                reps = reps[~np.isnan(reps)]
                if len(reps):
                    # basic bootstrap interval: (2θ̂ − θ*_(1−α/2), 2θ̂ − θ*_(α/2))
                    q_low, q_high = np.quantile(reps, [tail, 1 - tail])
                    low, high = 2 * value - q_high, 2 * value - q_low
            expected = EXPECTED[test]
            out[test][column] = MappingProxyType({
                "value": value, "expected": expected, "ci_low": float(low), "ci_high": float(high),
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
    rows = np.flatnonzero(k > 0)
    for i, row, marks, kk, mm in zip(rows.tolist(), c[rows].tolist(), round_[rows].tolist(), k[rows].tolist(),
                                     m[rows].tolist()):
        listed = ", ".join(f"{names[j]} {row[j]}" for j, mark in enumerate(marks) if mark)
        reasons[i] = f"{kk} of {mm} counts ≥ {STATION_MIN_COUNT} end in 0 or 5 ({listed})"
    p.flags.writeable = False
    reasons.flags.writeable = False
    return p, reasons
