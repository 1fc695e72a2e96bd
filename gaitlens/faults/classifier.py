"""The three hamstring-loading faults: severity, score, confidence, evidence and advice.

``classify`` turns the per-stride table into one :class:`Finding` per fault of
``schema.FAULT_IDS`` (BIOMECHANICS.md sections 1 and 6). The rules (which metric feeds
which fault, direction, weight, thresholds and their sources) are data:
``gaitlens/data/fault_rules.json``, overridable from the config's ``[faults]`` table;
reference bands come from ``gaitlens.reference`` (healthy Fukuchi et al. 2017 runners,
PeerJ 5:e3298), overridable from ``[bands]``.

Method (docs/faults.md):

1. per stride and metric, the excess beyond the band edge in the bad direction, in
   reference SDs (negative = inside the band);
2. per side and metric, the ``1 - stride_share`` quantile of that excess (the median
   stride by default): a metric is *mild* when that quantile is beyond the band edge
   and *marked* when it is ``marked_excess_sd`` beyond it, so one bad stride does not
   make a fault and a consistent pattern does;
3. metric score = piecewise-linear map of the quantile (0 at the healthy mean, 1/3 at the
   band edge, 2/3 at marked, 1 at twice marked); fault score = the larger of the
   weighted mean over primary metrics and over all metrics (supporting metrics
   corroborate, never dilute); the severity is capped by the worst *primary* metric,
   so supporting metrics alone never assert a fault;
4. left and right are judged separately; the clip verdict comes from the judged sides;
5. confidence is measured (``gaitlens.faults.uncertainty``): the verdict is recomputed
   on bootstrap resamples of each side's strides, each metric shifted by its
   test-retest error, and on the two halves of the clip; ``high`` when 97.5 % of the
   replicates and both halves agree, ``medium`` from 80 %, else ``low`` and no verdict.
   Limits resampling cannot see cap it: too few strides, leg not visible, pelvis not
   seen, metrics missing, oblique view, more than a third of the strides set aside.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from .. import reference
from ..schema import FAULT_IDS, SIDES
from .judge import clip_confidence, combine_sides, judge_side
from .rules import load_rules, resolve_bands
from .text import explain


def classify(
    strides: pd.DataFrame,
    frames: Optional[pd.DataFrame],
    quality: Optional[dict],
    bands: Optional[pd.DataFrame],
    config=None,
    noise: Optional[pd.DataFrame] = None,
) -> list:
    """One :class:`Finding` per fault in ``schema.FAULT_IDS`` order.

    ``strides``: valid strides (``schema.STRIDE_COLUMNS``); ``frames``: per-frame signals
    (used for the per-stride pelvic-tilt confidence); ``quality``: the dict of
    ``quality.measurement_quality``; ``bands``: ``reference.load_bands()``; ``config``:
    an ``AnalysisConfig`` (its ``faults`` and ``bands`` dicts override rules and bands);
    ``noise``: the test-retest table of ``reference.measurement_noise()`` (loaded when
    not given), whose SEM widens each metric's bootstrap.
    """
    rules = load_rules(getattr(config, "faults", None) or None)
    if noise is None:
        noise = reference.measurement_noise()
    sem = noise["sem"].to_dict() if len(noise) else {}
    bt = resolve_bands(bands, rules, getattr(config, "bands", None) or None)
    quality = dict(quality or {})
    strides = strides if strides is not None else pd.DataFrame(columns=["side"])
    tilt_conf = _stride_tilt_confidence(strides, frames)
    if "pelvic_tilt_confidence" not in quality and np.isfinite(tilt_conf).any():
        quality["pelvic_tilt_confidence"] = float(np.nanmean(tilt_conf))
    findings = []
    for fid in FAULT_IDS:
        sides = {}
        for side in SIDES:
            is_side = (strides["side"] == side).to_numpy() if len(strides) else np.zeros(0, bool)
            sides[side] = judge_side(
                fid, side, strides[is_side], tilt_conf[is_side], quality, bt, rules, sem
            )
        g_level, g_reasons = clip_confidence(fid, quality, rules)
        finding = combine_sides(fid, sides, g_level, g_reasons, rules)
        finding.explanation, finding.advice = explain(finding, rules)
        findings.append(finding)
    return findings


def _stride_tilt_confidence(strides: pd.DataFrame, frames: Optional[pd.DataFrame]) -> np.ndarray:
    """Mean per-frame ``pelvic_tilt_confidence`` over each stride [ic_s, next_ic_s)."""
    n = len(strides)
    need = {"time_s", "pelvic_tilt_confidence"}
    if frames is None or not need <= set(frames) or not {"ic_s", "next_ic_s"} <= set(strides):
        return np.full(n, np.nan)
    t = frames["time_s"].to_numpy(float)
    c = frames["pelvic_tilt_confidence"].to_numpy(float)
    ok = np.isfinite(t)
    t, c = t[ok], c[ok]
    cs = np.concatenate([[0.0], np.cumsum(np.nan_to_num(c))])
    cn = np.concatenate([[0], np.cumsum(np.isfinite(c))])
    i0 = np.searchsorted(t, strides["ic_s"].to_numpy(float), side="left")
    i1 = np.searchsorted(t, strides["next_ic_s"].to_numpy(float), side="left")
    cnt = cn[i1] - cn[i0]
    return np.divide(cs[i1] - cs[i0], cnt, out=np.full(n, np.nan), where=cnt > 0)
