"""The whole screen: every method on one station table, the evidence combined per station, stations ranked.

    s = screen(t, mixture=True, seed=0)
    s.summary(top=50)      # the JSON document of `tallycheck screen --json`
    s.ranking()            # station indexes, most suspicious first

How evidence is combined (docs/methods.md, "Combining evidence and controlling false discoveries"):
- Per station, the p-values of the methods that tested it (integer percentages, the within-centre turnout,
  share and ballot tests, vote concentration, each sheet red flag, and any per-station digit evidence) are
  combined by Bonferroni's rule (the default; `combination="simes"` for Simes' rule) on
  the smallest: p = min(1, k * min_j p_j), k = the number of methods that tested the station. The methods are
  far from independent (a stuffed station has a high turnout, a turnout above 99 % and often a whole-number
  turnout, all from the same two counts), so Fisher's product would count one anomaly several times; Simes'
  rule needs positive dependence, which flag-type p-values (1 unless flagged) do not promise. Bonferroni holds
  under any dependence and costs little with k <= 10.
- Across stations, Benjamini-Hochberg controls the false discovery rate: `q_value` is the smallest FDR at
  which the station would be flagged; a station is flagged when q <= alpha (default 0.05). BH assumes
  independent or positively dependent p-values across stations, which is the reasonable reading for stations
  (neighbours share a centre's electorate and a commission's habits, both positively).
- `score` = -log10(combined p), capped at 300: the strength of the station's strongest signal after the
  discount for the number of looks.
- `reasons`: the reason of every method whose own p-value is <= alpha for the station, strongest first.
- The mixture model's per-station output is a posterior probability of fraud, not a p-value: it is reported
  beside the ranking (`fraud_posterior`) and named among the reasons from one half up, but it takes no part
  in the combined p-value.
The election-wide fingerprints (integer-percentage excess, Klimek's fit, the mixture's class shares, digit
means) are national statements, not per-station ones: they are summarised, not ranked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .centres import CentreComparison, within_centre
from .concentration import VoteConcentration, concentration_test
from .digits import DigitTests, digit_tests
from .fdr import benjamini_hochberg
from .fingerprint import Fingerprint, fingerprint
from .integers import IntegerPercentages, integer_percentages
from .klimek import KlimekFit, klimek_fit, klimek_first_stage
from .redflags import RedFlags, red_flags
from .stations import StationEvidence, StationTable

COMBINATION = "bonferroni-min"
COMBINATIONS = ("bonferroni-min", "simes")
SCORE_CAP = 300.0
MIN_FOR_MODELS = 100  # stations with a register below which the election-wide turnout models are not fitted
POSTERIOR_REASON = 0.5

Progress = Callable[[str], None]


def combine_simes(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row (nan = not tested): Simes' p = min_j k p_(j) / j over the row's k sorted p-values (Simes 1986,
    Biometrika 73: 751-754), and k. Never above Bonferroni's."""
    p = np.asarray(p, np.float64)
    k = np.sum(~np.isnan(p), axis=1)
    ordered = np.sort(np.where(np.isnan(p), np.inf, p), axis=1)
    j = np.arange(1, p.shape[1] + 1)
    with np.errstate(invalid="ignore"):
        combined = np.min(k[:, None] * ordered / j, axis=1) if p.shape[1] else np.full(len(p), np.inf)
        combined = np.where(k > 0, np.minimum(1.0, combined), np.nan)
    return combined, k.astype(np.int64)


def combine_bonferroni(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of p (stations x methods, nan = not tested): (min(1, k * min p), k). nan where k = 0."""
    p = np.asarray(p, np.float64)
    k = np.sum(~np.isnan(p), axis=1)
    smallest = np.min(np.where(np.isnan(p), np.inf, p), axis=1) if p.shape[1] else np.full(len(p), np.inf)
    with np.errstate(invalid="ignore"):
        combined = np.where(k > 0, np.minimum(1.0, k * smallest), np.nan)
    return combined, k.astype(np.int64)


def roc_auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve of ranking by `score` (higher = more suspicious) against the true `positive`
    stations: the Mann-Whitney probability that a positive outranks a negative, ties counted one half."""
    from scipy.stats import rankdata

    positive = np.asarray(positive, bool)
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(np.asarray(score, np.float64))
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def ranking_score(p: np.ndarray) -> np.ndarray:
    """A method's p-values as a ranking score: -p, with untested stations (nan) ranked as p = 1."""
    return -np.where(np.isnan(p), 1.0, p)


def score_of(p: np.ndarray) -> np.ndarray:
    """-log10(p), capped at SCORE_CAP; nan where p is nan."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.minimum(-np.log10(p), SCORE_CAP)


@dataclass(frozen=True, slots=True)
class Screen:
    table: StationTable
    evidence: tuple[StationEvidence, ...]  # the per-station methods that are combined
    combined_p: np.ndarray  # float per station; nan where no method tested it
    q_value: np.ndarray  # Benjamini-Hochberg over stations; nan where untested
    score: np.ndarray  # -log10(combined_p), capped
    methods_tested: np.ndarray  # int per station: k of the Bonferroni rule
    reasons: np.ndarray  # str per station
    integer: IntegerPercentages
    digits: DigitTests
    red_flags: RedFlags
    centres: CentreComparison
    fingerprint: Fingerprint | None
    klimek_first_stage: Mapping[str, float] | None
    klimek: KlimekFit | None
    mixture: Any | None  # forensics.mixture.MixtureFit
    fraud_posterior: np.ndarray | None  # the mixture's posterior probability of fraud per station
    alpha: float
    seed: int
    not_applicable: Mapping[str, str]  # method -> why it was not run
    seconds: Mapping[str, float] = field(default_factory=dict)
    combination: str = COMBINATION  # the rule that combined each station's p-values

    def flagged(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return self.q_value <= self.alpha

    def ranking(self) -> np.ndarray:
        """Station indexes by q-value, then combined p, then station id; untested stations last."""
        q = np.where(np.isnan(self.q_value), np.inf, self.q_value)
        p = np.where(np.isnan(self.combined_p), np.inf, self.combined_p)
        return np.lexsort((self.table.station_id.astype(str), p, q))

    def method_counts(self) -> dict[str, dict[str, int]]:
        """Per combined method: stations it tested and stations where its own p <= alpha."""
        out = {}
        for e in self.evidence:
            with np.errstate(invalid="ignore"):
                out[e.method] = {"tested": int(np.sum(~np.isnan(e.p_value))),
                                 "significant": int(np.sum(e.p_value <= self.alpha))}
        return out

    def station_rows(self, indexes: np.ndarray | None = None) -> list[dict[str, Any]]:
        t = self.table
        idx = self.ranking() if indexes is None else indexes
        rows = []
        for rank, i in enumerate(idx.tolist(), start=1):
            row: dict[str, Any] = {"rank": rank, "station_id": str(t.station_id[i])}
            if t.contest is not None:
                row["contest"] = str(t.contest[i])
            row.update(region=str(t.region[i]), centre=str(t.centre[i]), score=_num(self.score[i]),
                       p_value=_num(self.combined_p[i]), q_value=_num(self.q_value[i]),
                       methods=int(self.methods_tested[i]), reasons=str(self.reasons[i]))
            if self.fraud_posterior is not None:
                row["fraud_posterior"] = _num(self.fraud_posterior[i])
            rows.append(row)
        return rows

    def regions(self) -> list[dict[str, Any]]:
        """Per region: stations, tested, flagged, turnout and leader share (pooled), and the
        integer-percentage excess."""
        t = self.table
        names, codes = np.unique(t.region.astype(str), return_inverse=True)
        flagged = self.flagged()
        tested = ~np.isnan(self.combined_p)
        reg = t.has_register
        out = []
        for r, name in enumerate(names.tolist()):
            m = codes == r
            registered = int(t.registered[m & reg].sum())
            base = int(t.share_base[m].sum())
            row: dict[str, Any] = {
                "region": name, "stations": int(m.sum()), "tested": int((m & tested).sum()),
                "flagged": int((m & flagged).sum()),
                "turnout": _num(t.ballots[m & reg].sum() / registered) if registered else None,
                "leader_share": _num(t.leader[m].sum() / base) if base else None,
            }
            ip = self.integer.regions.get(name)
            if ip is not None:
                row["integer_percentages"] = {k: _num(v) for k, v in ip.items()}
            out.append(row)
        return out

    def summary(self, top: int | None = 50) -> dict[str, Any]:
        """The JSON document of the screen (plain Python values; nan as None)."""
        t = self.table
        flagged = self.flagged()
        ranked = self.ranking()
        shown = ranked if top is None else ranked[:top]
        return {
            "stations_screened": len(t),
            "leader": t.leader_name,
            "alpha": self.alpha,
            "seed": self.seed,
            "combination": self.combination,
            "flagged": int(flagged.sum()),
            "tested": int(np.sum(~np.isnan(self.combined_p))),
            "methods": self.method_counts(),
            "integer_percentages": _plain(self.integer.summary()),
            "klimek_first_stage": _plain(self.klimek_first_stage) if self.klimek_first_stage else None,
            "klimek_fit": _plain(self.klimek.summary()) if self.klimek is not None else None,
            "mixture": _plain(self.mixture.summary()) if self.mixture is not None else None,
            "digits": _plain(self.digits.summary()),
            "red_flags": self.red_flags.counts(),
            "within_centre": _plain(self.centres.summary(self.alpha)),
            "not_applicable": dict(self.not_applicable),
            "regions": self.regions(),
            "stations": self.station_rows(shown),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def _num(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    return v


def _plain(value: Any) -> Any:
    """JSON-ready: dicts, lists, numbers (nan/inf as None), strings."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return _num(value)


def _join_reasons(evidence: list[StationEvidence], alpha: float, extra: np.ndarray | None) -> np.ndarray:
    n = len(evidence[0].p_value) if evidence else 0
    if not evidence:
        return np.full(n, "", dtype=object)
    p = np.column_stack([e.p_value for e in evidence])
    with np.errstate(invalid="ignore"):
        hit = p <= alpha
    out = np.full(n, "", dtype=object)
    for i in np.flatnonzero(hit.any(axis=1) | (extra != "" if extra is not None else False)):
        cols = np.flatnonzero(hit[i])
        cols = cols[np.argsort(p[i, cols], kind="stable")]
        parts = [f"{evidence[j].method}: {evidence[j].reasons[i] or f'p = {p[i, j]:.2g}'}" for j in cols]
        if extra is not None and extra[i]:
            parts.append(extra[i])
        out[i] = "; ".join(parts)
    return out


def screen(t: StationTable, *, mixture: bool = True, seed: int = 0, alpha: float = 0.05, n_boot: int = 1000,
           min_centre_stations: int = 3, progress: Progress | None = None,
           concentration: VoteConcentration | None = None, concentration_reference: str = "contest",
           allocation: int | np.ndarray | None = None, combination: str = COMBINATION) -> Screen:
    """Run every method on `t`, combine, rank and summarise (module doc). `mixture=False` skips the mixture
    model (the slowest step); `seed` seeds every simulation and bootstrap. `concentration`: every sheet's
    exact top-candidate votes (concentration.from_package; default: from `t.votes`, a lower bound where the
    table holds only each contest's first choices); `allocation`: ballots allocated per station, for the
    over-allocation flag (off when None); `combination`: "bonferroni-min" or "simes"."""
    if combination not in COMBINATIONS:
        raise ValueError(f"combination must be one of {', '.join(COMBINATIONS)}; got {combination!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1; got {alpha}")
    say = progress or (lambda step: None)
    seconds: dict[str, float] = {}
    not_applicable: dict[str, str] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        say(name)
        t0 = time.perf_counter()
        value = fn()
        seconds[name] = time.perf_counter() - t0
        return value

    with_register = int(np.sum(t.has_register & (t.share_base > 0)))
    ip = timed("integer percentages", lambda: integer_percentages(t))
    # national bootstraps only: per-region ones would multiply the cost by the number of regions
    dg = timed("digit tests", lambda: digit_tests(t, n_boot=n_boot, seed=seed, by_region=False))
    flags = timed("red flags", lambda: red_flags(t, concentration=concentration, allocation=allocation))
    conc = timed("vote concentration", lambda: concentration_test(t, concentration,
                                                                  reference=concentration_reference))
    cc = timed("within-centre comparison",
               lambda: within_centre(t, min_stations=min_centre_stations, reason_level=alpha))
    fp = first = kf = mx = None
    if with_register >= MIN_FOR_MODELS:
        fp = timed("fingerprint", lambda: fingerprint(t))
        first = timed("Klimek first stage", lambda: klimek_first_stage(t))
        kf = timed("Klimek fit", lambda: klimek_fit(t, seed=seed, first_stage=first))
    else:
        why = (f"only {with_register} stations have both a register and votes (at least {MIN_FOR_MODELS} are "
               "needed): turnout cannot be modelled")
        for name in ("fingerprint", "klimek", "mixture"):
            not_applicable[name] = why
    posterior = None
    if mixture and "mixture" not in not_applicable:
        from .mixture import fit_mixture

        mx = timed("mixture model", lambda: fit_mixture(t, seed=seed))
        posterior = np.where(mx.fitted, mx.p_fraud, np.nan)
    elif not mixture:
        not_applicable["mixture"] = "not run (--no-mixture)"

    say("combining the evidence")
    t0 = time.perf_counter()
    per_station = [ip.evidence(), *cc.evidence(), conc, *flags.evidence()]
    digit_evidence = getattr(dg, "evidence", None)
    if callable(digit_evidence):
        e = digit_evidence()
        if e is not None:
            per_station.append(e)
    matrix = np.column_stack([e.p_value for e in per_station]) if per_station else np.empty((len(t), 0))
    combined, k = (combine_simes if combination == "simes" else combine_bonferroni)(matrix)
    q = np.asarray(benjamini_hochberg(combined), np.float64)
    extra = None
    if posterior is not None:
        with np.errstate(invalid="ignore"):
            extra = np.where(posterior >= POSTERIOR_REASON, mx.evidence().reasons, "").astype(object)
    reasons = _join_reasons(per_station, alpha, extra)
    seconds["combining"] = time.perf_counter() - t0
    return Screen(
        t,
        tuple(per_station),
        combined,
        q,
        score_of(combined),
        k,
        reasons,
        ip,
        dg,
        flags,
        cc,
        fp,
        first,
        kf,
        mx,
        posterior,
        alpha,
        seed,
        not_applicable,
        seconds,
        combination,
    )
