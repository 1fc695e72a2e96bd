"""Pose model against rendered truth: detection rate and keypoint error.

Errors are Euclidean pixel distances between the pose model's landmark and the true
joint centre, in % of the near leg's length in pixels (thigh + shank at the hip's
depth). Reported per landmark group (hips, knees, ankles, heels, toes), per side
(near/far), as median and 95th percentile over detected frames, two ways:

* ``raw``: MediaPipe's left/right labels taken as they come;
* ``swap_fixed``: per frame, the left/right assignment of the leg landmarks that
  fits the truth best (what a cleaning stage that repairs L/R swaps can reach).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

GROUPS = ("hip", "knee", "ankle", "heel", "foot_index")
_TRUTH_NAME = {"foot_index": "toe"}


def keypoint_errors(track, truth: pd.DataFrame, near_side: str, leg_length_px: float):
    """Per-frame errors (% leg length) for each side x group, raw and swap-fixed."""
    n = min(len(track), len(truth))
    sides = ("left", "right")
    est = {}
    tru = {}
    for s in sides:
        for g in GROUPS:
            est[s, g] = track.point(f"{s}_{g}")[:n]
            tn = f"{s}_{_TRUTH_NAME.get(g, g)}"
            tru[s, g] = truth[[f"{tn}_x_px", f"{tn}_y_px"]].to_numpy()[:n]
    err_raw = {k: np.hypot(*(est[k] - tru[k]).T) for k in est}
    err_sw = {
        (s, g): np.hypot(*(est[("right" if s == "left" else "left"), g] - tru[s, g]).T)
        for s in sides
        for g in GROUPS
    }
    tot_raw = np.sum([err_raw[k] for k in err_raw], axis=0)
    tot_sw = np.sum([err_sw[k] for k in err_sw], axis=0)
    swapped = tot_sw < tot_raw
    rows = {}
    for s in sides:
        role = "near" if s == near_side else "far"
        for g in GROUPS:
            e = err_raw[s, g]
            rows[f"{role}_{g}_raw"] = 100 * e / leg_length_px
            rows[f"{role}_{g}_fixed"] = 100 * np.where(swapped, err_sw[s, g], e) / leg_length_px
    df = pd.DataFrame(rows)
    df["swapped"] = swapped
    return df


def summarize(track, truth: pd.DataFrame, near_side: str, leg_length_px: float) -> dict:
    det = track.detected
    n = min(len(track), len(truth))
    e = keypoint_errors(track, truth, near_side, leg_length_px)[det[:n]]
    out = {
        "frames": int(n),
        "detection_rate": float(det[:n].mean()),
        "lr_swapped_frac": float(e["swapped"].mean()) if len(e) else float("nan"),
    }
    for col in e.columns:
        if col == "swapped":
            continue
        v = e[col].to_numpy()
        v = v[np.isfinite(v)]
        out[f"{col}_median_pct"] = float(np.median(v)) if len(v) else float("nan")
        out[f"{col}_p95_pct"] = float(np.percentile(v, 95)) if len(v) else float("nan")
    return out


def evaluate_clip(video_path, **options) -> dict:
    """Detection rate and keypoint error of the pose stage on a synthetic clip with
    truth; ``options`` are ``AnalysisConfig`` fields (e.g. ``model_complexity=2``)."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import run_pose
    from gaitlens.synthetic.truth import load_truth

    meta, truth = load_truth(video_path)
    track = run_pose(video_path, AnalysisConfig(**options), progress=False)
    res = summarize(track, truth, meta["near_side"], meta["leg_length_px"])
    res["clip"] = Path(video_path).name
    return res
