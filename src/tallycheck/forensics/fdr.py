"""False discovery rate over thousands of stations: which flags survive screening every station at once.

Benjamini & Hochberg, "Controlling the false discovery rate", JRSS B 57(1):289–300 (1995): rejecting every
station whose q-value is ≤ α keeps the expected share of false flags among all flags at most α when the
stations' p-values are independent or positively dependent (PRDS). Benjamini & Yekutieli, "The control of the
false discovery rate in multiple testing under dependency", Annals of Statistics 29(4):1165–1188 (2001):
multiplying by c(m) = 1 + 1/2 + … + 1/m keeps that guarantee under any dependence, e.g. stations of one centre
that share a register and a commission. Both return the adjusted p-values R's `p.adjust` calls "BH" and "BY".

Stations a method did not test (p = nan) are not hypotheses: they keep q = nan and do not count in m.
"""

from __future__ import annotations

import numpy as np


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """BH q-values: q_(i) = min over j ≥ i of m·p_(j)/j, capped at 1 (m = number of non-nan p-values)."""
    return _step_up(p_values, dependence_factor=False)


def benjamini_yekutieli(p_values: np.ndarray) -> np.ndarray:
    """BY q-values: the BH q-values times c(m) = Σ_{i≤m} 1/i, capped at 1; valid under any dependence."""
    return _step_up(p_values, dependence_factor=True)


def _step_up(p_values: np.ndarray, *, dependence_factor: bool) -> np.ndarray:
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("p-values must be a one-dimensional array")
    tested = ~np.isnan(p)
    if ((p[tested] < 0) | (p[tested] > 1)).any():
        raise ValueError("p-values must lie in [0, 1] (or be nan for stations not tested)")
    q = np.full(p.shape, np.nan)
    m = int(tested.sum())
    if m == 0:
        return q
    order = np.argsort(p[tested], kind="stable")
    ranked = p[tested][order]
    factor = float(np.sum(1.0 / np.arange(1, m + 1))) if dependence_factor else 1.0
    adjusted = ranked * (m * factor) / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(adjusted[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = adjusted
    q[tested] = out
    return q
