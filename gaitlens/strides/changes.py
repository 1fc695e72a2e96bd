"""Form changes within a clip: where a per-stride metric shifts and stays shifted.

A runner may change form during a clip (a coach asks for it, fatigue sets in, the
runner experiments): the per-stride series of a metric then steps from one level to
another. ``find_changes`` looks for such steps in every stride metric that has a
measured test-retest error (``gaitlens.reference.measurement_noise``):

* the series is the valid strides in time order, each side centred on its own median
  (left/right offsets, e.g. the far leg's bias, are not changes);
* its noise ``sigma`` is the robust SD of successive same-side differences over
  sqrt(2) (1.4826 x MAD; a step adds one outlying difference per side, which the MAD
  ignores);
* **binary segmentation** (Scott & Knott 1974, Biometrics 30:507; review: Truong,
  Oudre & Vayatis 2020, Signal Processing 167:107299) with the standardized
  difference of means ``T_k = sqrt(k (n - k) / n) |mean(x[:k]) - mean(x[k:])| / sigma``
  (the CUSUM statistic of a mean shift, Page 1954; Csorgo & Horvath 1997 ch. 1): the
  best split of a segment is kept when ``T_k`` exceeds the Bonferroni-corrected normal
  quantile over all candidate splits and metrics (family error ``FAMILY_ALPHA``), the
  shift of the medians is larger than the metric's MDC95 (a smaller one is within
  measurement noise, docs/reliability.md), at least one leg holds
  ``min_strides_per_side`` strides in each part (each part twice that in all), and every
  leg that does shifts the same way by at least ``per_side_mdc`` MDC95 (a leg with
  fewer strides on one side of the cut, often the far leg whose strides were set aside,
  is not asked to confirm); each part is then searched again;
* where no single cut passes, a change and its return are tested together: the middle
  stretch against the rest (circular binary segmentation, Olshen, Venkatraman, Lucito &
  Wigler 2004, Biostatistics 5:557-572), with the Bonferroni quantile over the
  n (n - 1) / 2 candidate stretches. A single cut leaves the longer outer part's median at
  the outer level when the middle holds fewer strides than the rest (the 60 fps
  trunk-lean render: 7 lean strides against 15 before and 14 after, docs/form_changes.md).

Change times of different metrics that fall within ``merge_strides`` strides of each
other are one change in form; ``segments`` cuts the clip there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Optional

import numpy as np
import pandas as pd

from ..io.jsonsafe import json_safe
from ..schema import SIDES
from .metrics import METRICS

#: family-wise false-change rate over every candidate split of every metric of a clip
FAMILY_ALPHA = 0.01


@dataclass(frozen=True)
class ChangeLimits:
    """Settings of the change search (config ``[changes]``)."""

    min_strides_per_side: int = 4  # in each part, per side (issue 21: about 4)
    merge_strides: float = 2.0  # change times of different metrics this close are one
    family_alpha: float = FAMILY_ALPHA
    shift_alpha: float = 0.05  # family error of the MDC comparison over metrics x splits
    per_side_mdc: float = 1.0  # each side's median must shift this many MDC95, same sign
    long_run: int = 5  # Bartlett lags of the noise estimate (0 = successive differences)
    # not searched: metrics resting on the per-frame pelvic-tilt estimate, whose changes
    # within a clip are not measured (docs/pelvis.md); on a steady render (r3, pelvis lag
    # knob) the modelled hamstring stretch stepped 3.9 -> 2.5 -> 3.9 % with the estimate
    skip_metrics: tuple = (
        "pelvic_tilt_mean_deg",
        "pelvic_tilt_rom_deg",
        "hamstring_stretch_peak_pct",
        "hamstring_stretch_peak_pct_cycle",
    )


@dataclass
class FormChange:
    """One metric's lasting shift: median before and after, in the column's unit."""

    metric: str
    time_s: float  # between the last stride before and the first stride after
    before: float
    after: float
    shift: float  # after - before
    mdc95: float
    statistic: float  # standardized difference of means (T_k)
    n_before: int
    n_after: int

    def to_dict(self) -> dict:
        return json_safe(asdict(self))


@dataclass
class Segment:
    """A stretch of the clip between form changes."""

    start_s: float
    end_s: float
    n_strides: int
    n_strides_by_side: dict

    def to_dict(self) -> dict:
        return json_safe(asdict(self))


def robust_noise(x: np.ndarray, side: np.ndarray, long_run: int = 0) -> float:
    """Stride-to-stride noise of a series: robust SD of successive same-side differences
    divided by sqrt(2) (NaN with fewer than 3 differences). With ``long_run`` lags the
    SD is inflated by the Bartlett-weighted autocorrelation of the series around a
    running median (Newey & West 1987), so a slowly wandering measurement is not taken
    for a precise one."""
    d = np.concatenate([np.diff(x[side == s]) for s in SIDES])
    d = d[np.isfinite(d)]
    if len(d) < 3:
        return float("nan")
    sd = float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))
    if long_run <= 0 or len(x) < 3 * long_run:
        return sd
    r = x - np.median(x)
    r = r / (np.std(r) or 1.0)
    factor = 1.0
    for lag in range(1, long_run + 1):
        rho = float(np.mean(r[lag:] * r[:-lag]))
        factor += 2.0 * (1.0 - lag / (long_run + 1)) * rho
    return sd * float(np.sqrt(max(factor, 1.0)))


def _best_split(x: np.ndarray, side: np.ndarray, min_per_side: int) -> tuple:
    """``(k, T_k)`` of the split of ``x`` with the largest standardized mean difference
    (unit noise), among splits leaving ``min_per_side`` strides of each side per part."""
    n = len(x)
    k = np.arange(1, n)
    cs = np.cumsum(x)
    mean_a = cs[:-1] / k
    mean_b = (cs[-1] - cs[:-1]) / (n - k)
    t = np.sqrt(k * (n - k) / n) * np.abs(mean_a - mean_b)
    # a leg counts where both parts hold ``min_per_side`` of its strides; at least one leg
    # must count and each part hold twice that many strides (the far leg's strides are
    # often set aside: its absence must not hide a change the near leg shows clearly)
    any_leg = np.zeros(n - 1, bool)
    for s in SIDES:
        before = np.cumsum(side == s)[:-1]
        after = int((side == s).sum()) - before
        any_leg |= (before >= min_per_side) & (after >= min_per_side)
    ok = any_leg & (k >= 2 * min_per_side) & (n - k >= 2 * min_per_side)
    if not ok.any():
        return -1, 0.0
    t = np.where(ok, t, -np.inf)
    j = int(np.argmax(t))
    return int(k[j]), float(t[j])


def _best_pair(x: np.ndarray, side: np.ndarray, min_per_side: int) -> tuple:
    """``(i, j, T)`` of the middle stretch ``x[i:j]`` whose mean differs most from the
    rest's (unit noise; the epidemic alternative of circular binary segmentation, Olshen
    et al. 2004, Biostatistics 5:557), among stretches that leave ``min_per_side``
    strides of one leg inside and outside and twice that many strides in each."""
    n = len(x)
    cs = np.r_[0.0, np.cumsum(x)]
    i, j = np.triu_indices(n + 1, k=1)  # middle = x[i:j]
    m = j - i
    ok = (m >= 2 * min_per_side) & (n - m >= 2 * min_per_side) & (i > 0) & (j < n)
    any_leg = np.zeros(len(i), bool)
    for s in SIDES:
        c = np.r_[0, np.cumsum(side == s)]
        inside = c[j] - c[i]
        any_leg |= (inside >= min_per_side) & (c[-1] - inside >= min_per_side)
    ok &= any_leg
    if not ok.any():
        return -1, -1, 0.0
    mid = (cs[j] - cs[i]) / np.maximum(m, 1)
    rest = (cs[-1] - (cs[j] - cs[i])) / np.maximum(n - m, 1)
    t = np.where(ok, np.sqrt(m * (n - m) / n) * np.abs(mid - rest), -np.inf)
    k = int(np.argmax(t))
    return int(i[k]), int(j[k]), float(t[k])


def _pair_shift_ok(x, side, a, i, j, b, mdc95, limits, mdc_factor) -> bool:
    """The middle stretch x[i:j] against the rest of x[a:b] (both outer parts together),
    as ``_shift_ok`` judges one cut."""
    rest = np.r_[x[a:i], x[j:b]]
    rest_side = np.r_[side[a:i], side[j:b]]
    joined = np.r_[rest, x[i:j]]
    joined_side = np.r_[rest_side, side[i:j]]
    return _shift_ok(joined, joined_side, 0, len(rest), len(joined), mdc95, limits, mdc_factor)


def _shift_ok(x, side, a, cut, b, mdc95, limits, mdc_factor) -> bool:
    """The shift between x[a:cut] and x[cut:b] is larger than ``mdc_factor`` MDC95
    pooled and ``per_side_mdc`` MDC95 on each leg alone (same sign), for each leg that
    has ``min_strides_per_side`` strides in both parts."""
    d = np.median(x[cut:b]) - np.median(x[a:cut])
    if abs(d) <= mdc_factor * mdc95:
        return False
    if limits.per_side_mdc > 0:
        for s in SIDES:
            u, v = x[a:cut][side[a:cut] == s], x[cut:b][side[cut:b] == s]
            if min(len(u), len(v)) < limits.min_strides_per_side:
                continue  # this leg is barely measured on one side of the cut
            ds = np.median(v) - np.median(u)
            if np.sign(ds) != np.sign(d) or abs(ds) <= limits.per_side_mdc * mdc95:
                return False
    return True


def metric_changes(values, side, mid_s, mdc95: float, limits: ChangeLimits,
                   z_crit: float, metric: str = "", mdc_factor: float = 1.0,
                   pair: Optional[tuple] = None) -> list:  # fmt: skip
    """The lasting shifts of one metric's stride series (binary segmentation): splits
    with ``T_k >= z_crit`` whose shift exceeds ``mdc_factor`` x MDC95. ``pair``:
    ``(z_crit, mdc_factor)`` for a change and its return tested together where no single
    split passes (``_best_pair``): a change up and back down whose middle holds fewer
    strides than the rest leaves each single split's later part at the outer level."""
    x = np.asarray(values, float)
    side = np.asarray(side, dtype=object)
    mid_s = np.asarray(mid_s, float)
    keep = np.isfinite(x)
    x, side, mid_s = x[keep], side[keep], mid_s[keep]
    order = np.argsort(mid_s, kind="stable")
    x, side, mid_s = x[order], side[order], mid_s[order]
    xc = x.copy()
    for s in SIDES:
        if (side == s).any():
            xc[side == s] -= np.median(x[side == s])
    sigma = robust_noise(xc, side, limits.long_run)
    if not np.isfinite(sigma) or not np.isfinite(mdc95):
        return []
    sigma = max(sigma, 1e-12)
    cuts, stack = [], [(0, len(x))]
    while stack:
        a, b = stack.pop()
        k, t = _best_split(xc[a:b] / sigma, side[a:b], limits.min_strides_per_side)
        if k >= 0 and t >= z_crit and _shift_ok(x, side, a, a + k, b, mdc95, limits, mdc_factor):
            cuts.append(a + k)
            stack += [(a, a + k), (a + k, b)]
            continue
        if pair is None:
            continue
        i, j, t = _best_pair(xc[a:b] / sigma, side[a:b], limits.min_strides_per_side)
        if i < 0 or t < pair[0]:
            continue
        if not _pair_shift_ok(x, side, a, a + i, a + j, b, mdc95, limits, pair[1]):
            continue
        cuts += [a + i, a + j]
        stack += [(a, a + i), (a + i, a + j), (a + j, b)]
    # final segments: each change is stated between its neighbouring segments' medians,
    # and a cut whose neighbours no longer differ by more than the MDC95 is dropped
    cuts = sorted(cuts)
    while cuts:
        edges = [0, *cuts, len(x)]
        shifts = [
            np.median(x[edges[i + 1] : edges[i + 2]]) - np.median(x[edges[i] : edges[i + 1]])
            for i in range(len(cuts))
        ]
        weakest = int(np.argmin(np.abs(shifts)))
        i = weakest
        if _shift_ok(x, side, edges[i], edges[i + 1], edges[i + 2], mdc95, limits, mdc_factor):
            break
        del cuts[weakest]
    found = []
    edges = [0, *cuts, len(x)]
    for i, cut in enumerate(cuts):
        a, b = edges[i], edges[i + 2]
        before, after = np.median(x[a:cut]), np.median(x[cut:b])
        na, nb = cut - a, b - cut
        t = np.sqrt(na * nb / (na + nb)) * abs(xc[a:cut].mean() - xc[cut:b].mean()) / sigma
        found.append(
            FormChange(
                metric=metric,
                time_s=float(0.5 * (mid_s[cut - 1] + mid_s[cut])),
                before=float(before),
                after=float(after),
                shift=float(after - before),
                mdc95=float(mdc95),
                statistic=float(t),
                n_before=int(na),
                n_after=int(nb),
            )
        )
    return found


def find_changes(table: pd.DataFrame, noise: pd.DataFrame,
                 limits: Optional[ChangeLimits] = None) -> list:  # fmt: skip
    """Lasting shifts in the stride metrics of ``table`` (valid strides with ``side``,
    ``ic_s``, ``next_ic_s``) that are larger than their MDC95 (``noise``:
    ``reference.measurement_noise()``), in time order."""
    limits = limits or ChangeLimits()
    if table is None or not len(table) or not {"side", "ic_s", "next_ic_s"} <= set(table):
        return []
    metrics = [
        m
        for m, spec in METRICS.items()
        if spec.kind in ("kinematic", "timing") and m in table and m in noise.index
        and m not in ("cadence_spm",)  # stride_time_s carries the rhythm
        and m not in limits.skip_metrics
    ]  # fmt: skip
    n = len(table)
    splits = max(n - 1, 1) * max(len(metrics), 1)
    z_crit = NormalDist().inv_cdf(1.0 - limits.family_alpha / (2.0 * splits))
    # MDC95 answers one comparison at 95 %; the search makes one per metric and split:
    # the shift must clear the Bonferroni-corrected quantile instead of 1.96
    mdc_factor = NormalDist().inv_cdf(1.0 - limits.shift_alpha / (2.0 * splits)) / 1.96
    # a change and its return tested together: n (n - 1) / 2 candidate pairs per metric
    pairs = max(n * (n - 1) // 2, 1) * max(len(metrics), 1)
    pair = (
        NormalDist().inv_cdf(1.0 - limits.family_alpha / (2.0 * pairs)),
        NormalDist().inv_cdf(1.0 - limits.shift_alpha / (2.0 * pairs)) / 1.96,
    )
    mid = 0.5 * (table["ic_s"].to_numpy(float) + table["next_ic_s"].to_numpy(float))
    side = table["side"].to_numpy(object)
    out = []
    for m in metrics:
        out += metric_changes(
            table[m].to_numpy(float),
            side,
            mid,
            float(noise.loc[m, "mdc95"]),
            limits,
            z_crit,
            m,
            mdc_factor,
            pair,
        )
    return sorted(out, key=lambda c: c.time_s)


def segments(table: pd.DataFrame, changes: list,
             limits: Optional[ChangeLimits] = None) -> list:  # fmt: skip
    """The clip cut at its form changes: change times closer than ``merge_strides``
    median strides are one cut (at their median time); a part with fewer than
    ``min_strides_per_side`` strides of a side is merged into its neighbour. One
    segment (the whole clip) without changes."""
    limits = limits or ChangeLimits()
    if table is None or not len(table):
        return []
    mid = 0.5 * (table["ic_s"].to_numpy(float) + table["next_ic_s"].to_numpy(float))
    stride_s = float(np.median(table["next_ic_s"] - table["ic_s"]))
    times = sorted(c.time_s for c in changes)
    cuts, group = [], []
    for t in times:
        if group and t - group[0] > limits.merge_strides * stride_s:
            cuts.append(float(np.median(group)))
            group = []
        group.append(t)
    if group:
        cuts.append(float(np.median(group)))
    side = table["side"].to_numpy(object)

    def enough(a, b) -> bool:
        inside = (mid >= a) & (mid < b)
        return all((side[inside] == s).sum() >= limits.min_strides_per_side for s in SIDES)

    edges = [-np.inf, *cuts, np.inf]
    changed = True
    while changed and len(edges) > 2:
        changed = False
        for i in range(1, len(edges) - 1):
            if not (enough(edges[i - 1], edges[i]) and enough(edges[i], edges[i + 1])):
                del edges[i]
                changed = True
                break
    out = []
    t0, t1 = float(table["ic_s"].min()), float(table["next_ic_s"].max())
    for a, b in zip(edges[:-1], edges[1:]):
        inside = (mid >= a) & (mid < b)
        out.append(
            Segment(
                start_s=max(a, t0),
                end_s=min(b, t1),
                n_strides=int(inside.sum()),
                n_strides_by_side={s: int((side[inside] == s).sum()) for s in SIDES},
            )
        )
    return out


def in_segment(table: pd.DataFrame, seg: Segment) -> np.ndarray:
    """Mask of the strides whose middle lies in ``seg``."""
    mid = 0.5 * (table["ic_s"].to_numpy(float) + table["next_ic_s"].to_numpy(float))
    last = np.isclose(seg.end_s, float(table["next_ic_s"].max()))
    return (mid >= seg.start_s) & ((mid < seg.end_s) | last)
