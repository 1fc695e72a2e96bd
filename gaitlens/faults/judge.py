"""Judging one fault: per side from that side's strides (``judge_side``), limits that
apply to the whole clip (``clip_confidence``), and the clip verdict from the judged
sides (``combine_sides``). Method: ``gaitlens.faults`` and docs/faults.md."""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
import pandas as pd

from ..pelvis import TILT_GOOD_CONFIDENCE, TILT_SEEN_CONFIDENCE
from ..schema import CONFIDENCES, SEVERITIES
from ..strides.metrics import label_of
from ..units import stored_unit
from .finding import Evidence, Finding
from .rules import active_metrics, band_ok, excess, guard_band, metric_score, param

CONF_LEVELS = CONFIDENCES


def _label(metric: str) -> str:
    return label_of(metric).text


def clip_confidence(fid: str, quality: dict, rules: dict) -> tuple:
    """Limits that apply to both sides: frame rate, detection, view, pelvis seen."""
    cq, fault = rules["confidence"], rules["faults"][fid]
    level, reasons = "high", []

    def limit(lv: str, why: str) -> None:
        nonlocal level
        reasons.append(why)
        level = _cap(level, lv)

    fps = quality.get("sampling_rate_hz")
    if fps is not None and np.isfinite(fps):
        if fps < cq["min_sampling_rate_hz"]:
            limit("low", f"frame rate {fps:.0f} frames/s is too low to time strides")
        elif fault.get("timing") and fps < cq["good_sampling_rate_hz"]:
            limit(
                "medium",
                f"at {fps:.0f} frames/s one frame is {1000 / fps:.0f} ms, coarse for this timing",
            )
    det = quality.get("detection_rate")
    if det is not None and np.isfinite(det) and det < cq["min_detection_rate"]:
        limit("medium", f"the runner was found in only {det:.0%} of frames")
    view = quality.get("view") or {}
    score = view.get("side_view_score", float("nan"))
    if view.get("verdict") == "front":
        limit("low", f"the camera does not film from the side (side-view score {score:.2f})")
    elif view.get("verdict") == "oblique":
        limit("medium", f"the camera view is oblique (side-view score {score:.2f})")
    if fault.get("uses_pelvic_tilt"):
        tc = quality.get("pelvic_tilt_confidence")
        if tc is None or not np.isfinite(tc):
            limit("low", "the pelvic tilt could not be estimated")
        elif tc < TILT_SEEN_CONFIDENCE:
            limit(
                "low",
                f"the pelvis was not seen well enough to estimate its tilt (confidence {tc:.2f})",
            )
        elif tc < TILT_GOOD_CONFIDENCE:
            limit("medium", f"pelvic tilt estimated with moderate confidence ({tc:.2f})")
    cap = fault.get("max_confidence", "high")
    if cap != "high" and level != "low" and CONF_LEVELS.index(cap) < CONF_LEVELS.index(level):
        limit(cap, "pelvic tilt is estimated from the body outline, not measured")
    return level, reasons


def combine_sides(fid: str, sides: dict, g_level: str, g_reasons: list, rules: dict) -> Finding:
    """Clip verdict from the judged sides: the worse side decides severity and score."""
    fault = rules["faults"][fid]
    per_side, evidence, reasons = {}, [], list(g_reasons)
    judged = []
    for side, r in sides.items():
        conf = _cap(r["confidence"], g_level)
        ok = r["judged"] and conf != "low"
        per_side[side] = {
            "severity": r["severity"] if ok else "none",
            "score": round(r["score"], 4),
            "n_strides": r["n_strides"],
            "confidence": conf,
            "judged": ok,
            "reasons": list(r["reasons"]),
        }
        evidence += r["evidence"]
        if ok:
            judged.append((side, r, conf))
    if not judged:
        for r in sides.values():
            _extend_unique(reasons, r["reasons"])
        return Finding(
            fid,
            fault["title"],
            "none",
            0.0,
            "low",
            reasons or ["no usable strides"],
            evidence,
            per_side=per_side,
            judged=False,
        )
    rank = lambda item: (SEVERITIES.index(item[1]["severity"]), item[1]["score"])  # noqa: E731
    side, worst, conf = max(judged, key=rank)
    severity = worst["severity"]
    if severity == "none":
        conf = min((c for _, _, c in judged), key=CONF_LEVELS.index)
    for _, r, _ in judged:
        _extend_unique(reasons, r["reasons"])
    for s, r in sides.items():
        if not per_side[s]["judged"]:
            why = "; ".join(r["reasons"]) or "measurement insufficient"
            reasons.append(f"{s} side not judged ({why})")
            if severity == "none":
                conf = _cap(conf, "medium")
    return Finding(
        fid,
        fault["title"],
        severity,
        round(float(worst["score"]), 4),
        conf,
        reasons,
        evidence,
        per_side=per_side,
        judged=True,
    )


def _extend_unique(out: list, items) -> None:
    for x in items:
        if x not in out:
            out.append(x)


def _cap(level: str, cap: str) -> str:
    return CONF_LEVELS[min(CONF_LEVELS.index(level), CONF_LEVELS.index(cap))]


def judge_side(
    fid: str,
    side: str,
    sub: pd.DataFrame,
    tilt_conf: np.ndarray,
    quality: dict,
    bt: pd.DataFrame,
    rules: dict,
) -> dict:
    """Verdict of one fault on one side's strides: severity, score, confidence, evidence."""
    dec, cq, fault = rules["decision"], rules["confidence"], rules["faults"][fid]
    n = len(sub)
    min_n = int(param(rules, fid, "min_strides_per_side"))
    share = float(param(rules, fid, "stride_share"))
    marked_x = float(param(rules, fid, "marked_excess_sd"))
    reasons: list = []
    conf = "high"

    def limit(level: str, why: str) -> None:
        nonlocal conf
        reasons.append(why)
        conf = _cap(conf, level)

    # ---- measurement quality of this side
    if n < min_n:
        limit("low", f"only {n} valid {side} strides (at least {min_n} needed)")
    elif n < int(param(rules, fid, "good_strides_per_side")):
        limit("medium", f"{n} valid {side} strides (a longer clip gives a firmer verdict)")
    vis = quality.get(f"{side}_leg_visibility")
    if vis is None and "visibility_mean" in sub and n:
        vis = float(np.nanmedian(sub["visibility_mean"].to_numpy(float)))
    if vis is not None and np.isfinite(vis):
        if vis < cq["min_leg_visibility"]:
            far = quality.get("near_side") not in (None, side)
            limit(
                "low",
                f"{side}{' (far-side)' if far else ''} leg hardly visible (visibility {vis:.2f})",
            )
        elif vis < cq["good_leg_visibility"]:
            limit("medium", f"{side} leg partly hidden (visibility {vis:.2f})")
    if "events_interpolated" in sub and n:
        interp = np.nanmean(sub["events_interpolated"].to_numpy(float))
        if interp > 0.5:
            limit("medium", f"most {side} strides needed interpolated gait events")
    tilt_ok = np.ones(n, bool)
    if fault.get("uses_pelvic_tilt"):
        tilt_ok = ~(np.nan_to_num(tilt_conf, nan=1.0) < TILT_SEEN_CONFIDENCE)

    # ---- metrics
    evidence, num, den, pnum, pden = [], 0.0, 0.0, 0.0, 0.0
    prim_sev, n_prim, missing = [], 0, []
    ids = stride_ids(sub) if n else np.array([])
    for m in active_metrics(rules, fid):
        metric, direction, w = m["metric"], m["direction"], float(m["weight"])
        band = bt.loc[metric] if metric in bt.index else None
        vals = sub[metric].to_numpy(float) if (metric in sub and n) else np.full(n, np.nan)
        if m.get("tilt"):
            vals = np.where(tilt_ok, vals, np.nan)
        ok = np.isfinite(vals)
        if not band_ok(band, direction):
            if m.get("role") == "primary":
                missing.append(f"no reference band for {_label(metric)}")
            continue
        if ok.sum() < max(min_n, math.ceil(dec["min_metric_share"] * n)):
            if m.get("role") == "primary":
                k = int(ok.sum())
                missing.append(
                    f"{_label(metric)} not measured"
                    if k == 0
                    else f"{_label(metric)} measured in only {k} of {n} strides"
                )
            continue
        g = guard_band(rules, metric, sub, quality.get("sampling_rate_hz"))[ok]
        x = excess(vals[ok], band, direction, g)
        q = float(np.quantile(x, 1.0 - share))
        s = float(metric_score(q, rules, fid))
        sev = "marked" if q >= marked_x else "mild" if q > 0 else "none"
        num, den = num + w * s, den + w
        if m.get("role") == "primary":
            pnum, pden = pnum + w * s, pden + w
            n_prim += 1
            prim_sev.append(sev)
        evidence.append(
            Evidence(
                metric=metric,
                label=_label(metric),
                value=float(np.median(vals[ok])),
                unit=stored_unit(metric),
                band_low=_f(band["low"]),
                band_high=_f(band["high"]),
                side=side,
                strides_outside=[_py(i) for i in ids[ok][x > 0]],
                n_strides=int(ok.sum()),
                direction=direction,
                role=m.get("role", "primary"),
                weight=w,
                share_outside=float(np.mean(x > 0)),
                excess_sd=q,
                score=s,
                severity=sev,
                band_source=str(band.get("source", "")),
            )
        )
    if n >= min_n and missing:
        limit("low" if n_prim == 0 else "medium", "; ".join(missing))
    # supporting metrics corroborate (raise the score) but do not dilute the primaries
    score = max(pnum / pden if pden > 0 else 0.0, num / den if den > 0 else 0.0)
    by_score = (
        "marked"
        if score >= param(rules, fid, "marked_score")
        else "mild"
        if score >= param(rules, fid, "mild_score")
        else "none"
    )
    worst_primary = max(prim_sev, key=SEVERITIES.index) if prim_sev else "none"
    severity = min(by_score, worst_primary, key=SEVERITIES.index)
    return {
        "side": side,
        "severity": severity,
        "score": float(score),
        "n_strides": int(n),
        "confidence": conf,
        "reasons": reasons,
        "evidence": evidence,
        "judged": conf != "low" and n_prim > 0,
    }


def _f(v) -> Optional[float]:
    return float(v) if v is not None and np.isfinite(v) else None


def _py(v):
    return v.item() if hasattr(v, "item") else v


def stride_ids(strides: pd.DataFrame) -> np.ndarray:
    """The stride numbers of a stride table (its ``stride`` column, else per-side counts)."""
    if "stride" in strides:
        return strides["stride"].to_numpy()
    return strides.groupby("side").cumcount().to_numpy()
