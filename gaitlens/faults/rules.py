"""Fault rules and reference bands as the classifier uses them.

``fault_rules.json`` (documented in ``gaitlens/data/FAULT_RULES.md``) says which metric
feeds which fault, in which direction, with what weight and thresholds, each with its
source; the config's ``[faults]`` table overrides it and ``[bands]`` overrides the
reference bands (``gaitlens.reference``, healthy runners of Fukuchi et al. 2017, PeerJ
5:e3298), with the literature values of BIOMECHANICS.md section 8 as fallback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..schema import FAULT_IDS

RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "fault_rules.json"


def load_rules(overrides: Optional[dict] = None, path: Optional[Path] = None) -> dict:
    """The fault rules (``fault_rules.json``) with the config's ``[faults]`` overrides.

    Override keys: any ``decision``/``confidence`` key at the top level (applies to all
    faults), or a fault id with ``mild_score``, ``marked_score``, ``max_confidence``, any
    decision key, ``weights = {metric: w}`` (0 drops a metric) and
    ``metrics = {metric: {direction, weight, role}}`` (adds or changes a metric).
    Unknown keys raise ``ConfigError``.
    """
    rules = json.loads(Path(path or RULES_PATH).read_text(encoding="utf-8"))
    for key, val in (overrides or {}).items():
        if key == "measurement_uncertainty" and isinstance(val, dict):
            mu = rules.setdefault("measurement_uncertainty", {})
            for metric, u in val.items():
                if metric == "reference_leg_length_px":
                    mu[metric] = u
                    continue
                mu[metric] = {**mu.get(metric, {}), **(u if isinstance(u, dict) else {"value": u})}
        elif key in rules["decision"] or key in rules["confidence"]:
            rules["decision" if key in rules["decision"] else "confidence"][key] = val
        elif key in rules["faults"] and isinstance(val, dict):
            _override_fault(rules, key, val)
        else:
            raise ConfigError(
                f"[faults] {key}: unknown; use a fault id ({', '.join(FAULT_IDS)}) or one of "
                f"{', '.join(sorted(k for k in rules['decision'] if not k.endswith('source')))}"
            )
    return rules


def fault_titles(kind: str = "title") -> dict:
    """``{fault id: text}``: the ``title`` (report headings), ``short_title`` (table
    columns, per-stride flags, the video) or ``code`` (the CLI's compact table) of each
    fault, from ``fault_rules.json`` (the one place they are written)."""
    return {fid: f[kind] for fid, f in load_rules()["faults"].items()}


def _override_fault(rules: dict, fid: str, val: dict) -> None:
    fault = rules["faults"][fid]
    by_metric = {m["metric"]: m for m in fault["metrics"]}
    for k, v in val.items():
        if k == "weights":
            for metric, w in v.items():
                if metric not in by_metric:
                    raise ConfigError(f"[faults.{fid}.weights] {metric}: not a metric of {fid}")
                by_metric[metric]["weight"] = float(w)
        elif k == "metrics":
            for metric, spec in v.items():
                if metric in by_metric:
                    by_metric[metric].update(spec)
                else:
                    if spec.get("direction") not in ("high", "low"):
                        raise ConfigError(f"[faults.{fid}.metrics.{metric}] needs direction")
                    new = {"weight": 1.0, "role": "supporting", "source": "user config"}
                    fault["metrics"].append({**new, **spec, "metric": metric})
        elif k in fault or k in rules["decision"]:
            fault[k] = v
        else:
            raise ConfigError(f"[faults.{fid}] {k}: unknown option")


def param(rules: dict, fid: str, key: str):
    v = rules["faults"][fid].get(key)
    return rules["decision"][key] if v is None else v


def resolve_bands(bands: Optional[pd.DataFrame], rules: dict, overrides: Optional[dict] = None):
    """Reference bands for the rule metrics: the band table, else the rules' fallback
    (BIOMECHANICS.md section 8), then ``[bands]`` overrides. Adds ``scale`` (the SD, else
    a quarter of the band width, else the literature SD, else 10 % of the band edge)
    and ``band_source``."""
    fb = {k: v for k, v in rules.get("fallback_bands", {}).items() if isinstance(v, dict)}
    metrics = {m["metric"] for f in rules["faults"].values() for m in f["metrics"]}
    rows = {}
    for metric in sorted(metrics | set(overrides or {})):
        row = {"low": np.nan, "high": np.nan, "mean": np.nan, "sd": np.nan, "source": ""}
        have = bands is not None and metric in bands.index
        if have:
            src = bands.loc[metric]
            row.update({k: src[k] for k in ("low", "high", "mean", "sd") if k in src.index})
            row["source"] = str(src.get("source", "reference bands"))
        if metric in fb and not (np.isfinite(row["low"]) or np.isfinite(row["high"])):
            row.update({k: fb[metric].get(k, np.nan) for k in ("low", "high", "mean", "sd")})
            row["source"] = "literature fallback: " + fb[metric]["source"]
        for k, v in (overrides or {}).get(metric, {}).items():
            if k in ("low", "high", "mean", "sd"):
                row[k] = float(v)
                row["source"] = (row["source"] + "; " if row["source"] else "") + "user config"
        rows[metric] = row
    out = pd.DataFrame.from_dict(rows, orient="index", dtype=object)
    for k in ("low", "high", "mean", "sd"):
        out[k] = pd.to_numeric(out[k], errors="coerce")
    width = (out["high"] - out["low"]) / 4.0  # mean +- 2 SD band
    out["scale"] = out["sd"].where(out["sd"] > 0, width.where(width > 0))
    # a one-sided band without SD (e.g. a user override of a metric with no stored band):
    # the literature SD if there is one, else 10 % of the edge value (stated in docs)
    fb_sd = pd.Series({m: fb.get(m, {}).get("sd", np.nan) for m in out.index}, dtype=float)
    edge = out["high"].abs().fillna(out["low"].abs())
    out["scale"] = out["scale"].fillna(fb_sd).fillna((0.1 * edge).where(edge > 0))
    out.index.name = "metric"
    return out


def excess(values: np.ndarray, band: pd.Series, direction: str, guard=0.0) -> np.ndarray:
    """Distance beyond the band edge plus the guard band, in the bad direction, in
    reference SDs (negative = inside)."""
    edge = band["high"] if direction == "high" else band["low"]
    sign = 1.0 if direction == "high" else -1.0
    return (sign * (np.asarray(values, float) - edge) - guard) / band["scale"]


def measurement_uncertainty(rules: dict, metric: str, strides: pd.DataFrame,
                            fps: Optional[float],
                            leg_length_px: Optional[float] = None) -> np.ndarray:  # fmt: skip
    """Per-stride standard uncertainty of the video measurement of ``metric`` against
    the truth (block ``measurement_uncertainty``), in the metric's units: ``value``,
    scaled up when the runner is smaller in the image than in the renders it was
    measured on (``reference_leg_length_px``: a keypoint error of a given size in pixels
    turns a shorter segment by more, first-order error propagation), plus ``frames``
    video frames (ms: 1000/fps; % of stride: 100/(fps x stride time); frames are ignored
    when the frame rate is unknown). Zeros for a metric without one."""
    block = rules.get("measurement_uncertainty", {})
    u = block.get(metric)
    n = len(strides)
    if not isinstance(u, dict):
        return np.zeros(n)
    size = 1.0
    ref = block.get("reference_leg_length_px")
    if ref and leg_length_px and np.isfinite(leg_length_px) and leg_length_px > 0:
        size = max(1.0, float(ref) / float(leg_length_px))
    g = np.full(n, float(u.get("value", 0.0)) * size)
    frames = float(u.get("frames", 0.0))
    if frames and fps and np.isfinite(fps) and fps > 0:
        if metric.endswith("_ms"):
            g = g + frames * 1000.0 / fps
        elif metric.endswith("_pct"):
            st = (
                strides["stride_time_s"].to_numpy(float)
                if "stride_time_s" in strides
                else (strides["next_ic_s"] - strides["ic_s"]).to_numpy(float)
            )
            g = g + np.nan_to_num(frames * 100.0 / (fps * st))
        elif metric.endswith("_s"):
            g = g + frames / fps
    return g


def _correlation(block: dict, a: str, b: str) -> Optional[float]:
    entry = block.get(a)
    return (entry.get("correlation") or {}).get(b) if isinstance(entry, dict) else None


def accuracy_correlation(rules: dict, metrics: list) -> np.ndarray:
    """Correlation matrix of the metrics' measurement errors (block
    ``measurement_uncertainty``, each metric's optional ``correlation = {other: r}``;
    identity where none is given), made positive definite for a Cholesky factor."""
    mu = rules.get("measurement_uncertainty", {})
    n = len(metrics)
    c = np.eye(n)
    for i, a in enumerate(metrics):
        for j, b in enumerate(metrics):
            if i != j:
                r = _correlation(mu, a, b)
                r = _correlation(mu, b, a) if r is None else r
                if r is not None:
                    c[i, j] = c[j, i] = float(r)
    w, v = np.linalg.eigh(c)
    if w.min() < 1e-6:  # inconsistent pairwise values: nearest valid correlation
        c = (v * np.maximum(w, 1e-6)) @ v.T
        d = np.sqrt(np.diag(c))
        c = c / np.outer(d, d)
    return c


def guard_band(rules: dict, metric: str, strides: pd.DataFrame, fps: Optional[float],
               leg_length_px: Optional[float] = None):  # fmt: skip
    """Per-stride guard band in the metric's units: ``guard_k`` x its measurement
    uncertainty (``measurement_uncertainty``; ISO 14253-1:2017 decision rule)."""
    k = float(rules["decision"].get("guard_k", 0.0))
    if not k:
        return np.zeros(len(strides))
    return k * measurement_uncertainty(rules, metric, strides, fps, leg_length_px)


def metric_score(q, rules: dict, fid: Optional[str] = None):
    """0 at ``inside_ramp_sd`` inside the edge, 1/3 at the edge, 2/3 at marked, 1 at 2x."""
    d = rules["decision"]
    marked = param(rules, fid, "marked_excess_sd") if fid else d["marked_excess_sd"]
    xp = [-d["inside_ramp_sd"], 0.0, marked, 2.0 * marked]
    return np.interp(q, xp, [0.0, 1 / 3, 2 / 3, 1.0])


def band_ok(band: Optional[pd.Series], direction: str) -> bool:
    if band is None:
        return False
    edge = band["high"] if direction == "high" else band["low"]
    return bool(np.isfinite(edge) and np.isfinite(band["scale"]) and band["scale"] > 0)


def active_metrics(rules: dict, fid: str) -> list:
    return [m for m in rules["faults"][fid]["metrics"] if float(m.get("weight", 0)) > 0]
