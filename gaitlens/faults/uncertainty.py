"""How far a verdict could move: resampling a side's strides and splitting the clip.

A fault's verdict on one side is a function of that side's strides (per metric the
median stride's excess beyond the healthy band, ``gaitlens.faults.judge``). Its
uncertainty is measured, not asserted:

* **bootstrap over strides** (Efron & Tibshirani 1993, *An Introduction to the
  Bootstrap*, ch. 6 and 13): the strides are resampled with replacement, a stride being
  the unit (its metrics travel together), and the verdict is recomputed per replicate;
  the percentile interval of the score and the share of replicates that assert the
  fault follow;
* **clip-level measurement noise**: each replicate also shifts each metric by a draw
  from N(0, SEM), the metric's test-retest standard error of measurement of a clip
  median (Weir 2005, J Strength Cond Res 19:231-240; ``gaitlens.reference.
  measurement_noise``, measured on split clips by ``bench/test_retest.py``). The SEM
  partly repeats the stride-sampling spread the bootstrap already holds, so the
  interval errs on the wide side;
* **the measurement's accuracy**: for the decision (not the score's interval), each
  replicate also shifts each metric by a draw from N(0, u), its standard uncertainty
  against the truth (the rules' ``measurement_uncertainty``, which also sets the guard
  band; one draw per replicate and metric, shared by both legs, since the error
  belongs to the clip's camera, body and pose model), and is compared with the band
  edge itself: the combined standard uncertainty
  of JCGM 100:2008 (GUM, section 5) and the decision zones of ISO 14253-1:2017, so a
  median within the accuracy of the band edge proves neither verdict;
* **halves**: the verdict recomputed on the first and on the second half of the side's
  strides in time; a verdict that a half contradicts is not stable through the clip.

This module holds the array helpers; the rules that turn the replicates into a
confidence level live with the verdict (``gaitlens.faults.judge``).
"""

from __future__ import annotations

import numpy as np


def row_quantile(x: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile along the last axis, ignoring NaN (linear interpolation
    between order statistics, numpy's default method); NaN for a row without a finite
    value. Vectorised over the leading axes, unlike ``np.nanquantile``'s per-row loop."""
    x = np.sort(np.asarray(x, float), axis=-1)  # NaN sorts last
    k = np.isfinite(x).sum(axis=-1)
    pos = q * np.maximum(k - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(k - 1, 0))
    a = np.take_along_axis(x, lo[..., None], axis=-1)[..., 0]
    b = np.take_along_axis(x, hi[..., None], axis=-1)[..., 0]
    out = a + (pos - lo) * (b - a)
    return np.where(k > 0, out, np.nan)


def resample_indices(n: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """``(replicates, n)`` indices drawn with replacement from ``range(n)``."""
    return rng.integers(0, n, size=(replicates, n)) if n else np.zeros((replicates, 0), int)


def halves(order_key: np.ndarray, min_size: int) -> list:
    """Index arrays of the first and the second half of the strides in time (by
    ``order_key``, e.g. the IC time); empty when a half would hold fewer than
    ``min_size`` strides."""
    order = np.argsort(np.asarray(order_key, float), kind="stable")
    n = len(order)
    first, second = order[: (n + 1) // 2], order[(n + 1) // 2 :]
    if min(len(first), len(second)) < min_size:
        return []
    return [first, second]


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple:
    """The central ``level`` percentile interval of bootstrap replicates (NaN ignored)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if not len(v):
        return (float("nan"), float("nan"))
    a = 100.0 * (1.0 - level) / 2.0
    lo, hi = np.percentile(v, [a, 100.0 - a])
    return (float(lo), float(hi))
