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
4. left and right are judged separately; a side whose measurement cannot support a
   judgement (too few strides, leg not visible, pelvis not seen, metrics missing) gets
   confidence ``low`` and no verdict; the clip verdict comes from the judged sides.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import numpy as np
import pandas as pd

from .fault_rules import (  # noqa: F401  (re-exported)
    RULES_PATH,
    _active_metrics,
    _band_ok,
    _excess,
    _metric_score,
    _param,
    guard_band,
    load_rules,
    resolve_bands,
)
from .faults_text import explain
from .schema import FAULT_IDS, SEVERITIES, SIDES

CONF_LEVELS = ("low", "medium", "high")

LABELS = {
    "pelvis_lag_ms": "pelvis lag behind the swing thigh [ms]",
    "pelvis_lag_pct": "pelvis lag behind the swing thigh [% of stride]",
    "pelvis_late_swing_excursion_legs": "forward pelvis travel in late swing [leg lengths]",
    "hamstring_stretch_peak_pct": "peak hamstring stretch [% of standing length]",
    "overstride_legs": "overstride at foot strike [leg lengths]",
    "hip_flexion_ic_deg": "hip flexion at foot strike [deg]",
    "hip_flexion_midstance_deg": "hip flexion at midstance [deg]",
    "hip_extension_to_deg": "thigh behind vertical at toe-off [deg]",
    "trunk_lean_mean_deg": "forward trunk lean [deg]",
    "knee_flexion_midstance_deg": "knee flexion at midstance [deg]",
    "pelvic_tilt_mean_deg": "estimated forward pelvic tilt [deg]",
    "pelvic_tilt_rom_deg": "estimated pelvic tilt range in a stride [deg]",
}
_UNITS = (("_ms", "ms"), ("_pct", "%"), ("_deg", "deg"), ("_legs", "legs"), ("_s", "s"))


def _unit(metric: str) -> str:
    return next((u for suf, u in _UNITS if metric.endswith(suf)), "")


def _label(metric: str) -> str:
    return LABELS.get(metric, metric.replace("_", " "))


# ---------------------------------------------------------------- containers
@dataclass
class Evidence:
    """One metric on one side: its median value, the band and the strides outside it."""

    metric: str
    label: str
    value: float  # median over the side's strides
    unit: str
    band_low: Optional[float]
    band_high: Optional[float]
    side: str
    strides_outside: list = field(default_factory=list)  # stride numbers outside, bad direction
    n_strides: int = 0  # strides where the metric was measured
    direction: str = "high"  # 'high' or 'low' is bad
    role: str = "primary"  # 'primary' or 'supporting'
    weight: float = 1.0
    share_outside: float = 0.0
    excess_sd: float = float("nan")  # stride-quantile excess beyond the band edge, in SD
    score: float = 0.0
    severity: str = "none"
    band_source: str = ""

    def to_dict(self) -> dict:
        return _json_safe(asdict(self))


@dataclass
class Finding:
    """One fault's verdict for a clip (BIOMECHANICS.md section 1)."""

    id: str
    title: str
    severity: str = "none"  # 'none' | 'mild' | 'marked'
    score: float = 0.0  # 0..1
    confidence: str = "low"  # 'low' | 'medium' | 'high'
    confidence_reasons: list = field(default_factory=list)
    evidence: list = field(default_factory=list)  # list[Evidence]
    explanation: str = ""
    advice: str = ""
    per_side: dict = field(default_factory=dict)  # side -> {severity, score, n_strides, ...}
    judged: bool = False  # False when the measurement could not support a verdict

    def to_dict(self) -> dict:
        d = asdict(self)
        d["evidence"] = [e.to_dict() for e in self.evidence]
        return _json_safe(d)


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


# ---------------------------------------------------------------- per-stride flags
def stride_flags(
    strides: pd.DataFrame,
    bands: Optional[pd.DataFrame],
    rules: Optional[dict] = None,
    sampling_rate_hz: Optional[float] = None,
    config=None,
) -> pd.DataFrame:
    """Per stride: ``{metric}_outside`` (beyond its band plus the guard band, in a
    direction that counts against a fault), and per fault ``{fault}`` (the stride shows
    the pattern: its weighted score reaches ``mild_score`` with a primary metric
    outside) and ``{fault}_score``. For ``analysis.json``. ``config`` applies the same
    ``[faults]``/``[bands]`` overrides as ``classify``."""
    if rules is None:
        rules = load_rules(getattr(config, "faults", None) or None)
    bt = resolve_bands(bands, rules, getattr(config, "bands", None) or None)
    out = pd.DataFrame({"side": strides["side"].to_numpy(), "stride": _stride_ids(strides)})
    n = len(strides)
    for fid in FAULT_IDS:
        num, den = np.zeros(n), np.zeros(n)
        pnum, pden = np.zeros(n), np.zeros(n)
        primary_out = np.zeros(n, bool)
        for m in _active_metrics(rules, fid):
            metric, direction = m["metric"], m["direction"]
            band = bt.loc[metric] if metric in bt.index else None
            if metric not in strides or not _band_ok(band, direction):
                continue
            g = guard_band(rules, metric, strides, sampling_rate_hz)
            x = _excess(strides[metric].to_numpy(float), band, direction, g)
            ok = np.isfinite(x)
            col = f"{metric}_outside"
            prev = out[col].to_numpy(bool) if col in out else np.zeros(n, bool)
            out[col] = prev | (ok & (x > 0))
            w = float(m["weight"])
            ws = np.where(ok, w * _metric_score(np.where(ok, x, 0.0), rules, fid), 0.0)
            num, den = num + ws, den + np.where(ok, w, 0.0)
            if m.get("role") == "primary":
                primary_out |= ok & (x > 0)
                pnum, pden = pnum + ws, pden + np.where(ok, w, 0.0)
        score = np.fmax(
            np.divide(pnum, pden, out=np.full(n, np.nan), where=pden > 0),
            np.divide(num, den, out=np.full(n, np.nan), where=den > 0),
        )
        out[f"{fid}_score"] = score
        out[fid] = (np.nan_to_num(score) >= _param(rules, fid, "mild_score")) & primary_out
    return out


def _stride_ids(strides: pd.DataFrame) -> np.ndarray:
    if "stride" in strides:
        return strides["stride"].to_numpy()
    return strides.groupby("side").cumcount().to_numpy()


# ---------------------------------------------------------------- classification
def classify(
    strides: pd.DataFrame,
    frames: Optional[pd.DataFrame],
    quality: Optional[dict],
    bands: Optional[pd.DataFrame],
    config=None,
) -> list:
    """One :class:`Finding` per fault in ``schema.FAULT_IDS`` order.

    ``strides``: valid strides (``schema.STRIDE_COLUMNS``); ``frames``: per-frame signals
    (used for the per-stride pelvic-tilt confidence); ``quality``: the dict of
    ``analysis.measurement_quality``; ``bands``: ``reference.load_bands()``; ``config``:
    an ``AnalysisConfig`` (its ``faults`` and ``bands`` dicts override rules and bands).
    """
    rules = load_rules(getattr(config, "faults", None) or None)
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
                fid, side, strides[is_side], tilt_conf[is_side], quality, bt, rules
            )
        g_level, g_reasons = clip_confidence(fid, quality, rules)
        finding = combine_sides(fid, sides, g_level, g_reasons, rules)
        finding.explanation, finding.advice = explain(finding, rules)
        findings.append(finding)
    return findings


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
    view = quality.get("view")
    if isinstance(view, str) and view.lower() not in {v.lower() for v in cq["side_views"]}:
        limit("low", f"the camera view looks {view}, not a side view")
    score = view.get("side_view_score") if isinstance(view, dict) else None
    if score is not None and np.isfinite(score):
        if score < cq["min_side_view_score"]:
            limit("low", f"the camera does not film from the side (side-view score {score:.2f})")
        elif score < cq["good_side_view_score"]:
            limit("medium", f"the camera view is oblique (side-view score {score:.2f})")
    if fault.get("uses_pelvic_tilt"):
        tc = quality.get("pelvic_tilt_confidence")
        if tc is None or not np.isfinite(tc):
            limit("low", "the pelvic tilt could not be estimated")
        elif tc < cq["min_pelvic_tilt_confidence"]:
            limit(
                "low",
                f"the pelvis was not seen well enough to estimate its tilt (confidence {tc:.2f})",
            )
        elif tc < cq["good_pelvic_tilt_confidence"]:
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
    min_n = int(_param(rules, fid, "min_strides_per_side"))
    share = float(_param(rules, fid, "stride_share"))
    marked_x = float(_param(rules, fid, "marked_excess_sd"))
    reasons: list = []
    conf = "high"

    def limit(level: str, why: str) -> None:
        nonlocal conf
        reasons.append(why)
        conf = _cap(conf, level)

    # ---- measurement quality of this side
    if n < min_n:
        limit("low", f"only {n} valid {side} strides (at least {min_n} needed)")
    elif n < int(_param(rules, fid, "good_strides_per_side")):
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
        tilt_ok = ~(np.nan_to_num(tilt_conf, nan=1.0) < cq["min_pelvic_tilt_confidence"])

    # ---- metrics
    evidence, num, den, pnum, pden = [], 0.0, 0.0, 0.0, 0.0
    prim_sev, n_prim, missing = [], 0, []
    stride_ids = _stride_ids(sub) if n else np.array([])
    for m in _active_metrics(rules, fid):
        metric, direction, w = m["metric"], m["direction"], float(m["weight"])
        band = bt.loc[metric] if metric in bt.index else None
        vals = sub[metric].to_numpy(float) if (metric in sub and n) else np.full(n, np.nan)
        if m.get("tilt"):
            vals = np.where(tilt_ok, vals, np.nan)
        ok = np.isfinite(vals)
        if not _band_ok(band, direction):
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
        x = _excess(vals[ok], band, direction, g)
        q = float(np.quantile(x, 1.0 - share))
        s = float(_metric_score(q, rules, fid))
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
                unit=_unit(metric),
                band_low=_f(band["low"]),
                band_high=_f(band["high"]),
                side=side,
                strides_outside=[_py(i) for i in stride_ids[ok][x > 0]],
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
        if score >= _param(rules, fid, "marked_score")
        else "mild"
        if score >= _param(rules, fid, "mild_score")
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


def findings_table(findings: list) -> pd.DataFrame:
    """fault, severity, score, confidence: one row per finding (CLI summary, notebooks)."""
    rows = [(f.id, f.severity, f.score, f.confidence) for f in findings]
    return pd.DataFrame(rows, columns=["fault", "severity", "score", "confidence"])
