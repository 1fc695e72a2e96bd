"""Fukuchi trials through the gaitlens stages, and marker-based truth (shared by
``bench/validate_kinematics.py`` and ``scripts/derive_reference_bands.py``).

Truth is computed from the 3-D joint centres of ``gaitlens_validation.fukuchi`` in the
sagittal (x travel, y up) plane; pelvic tilt from the ASIS/PSIS markers (angle of the
mid-PSIS -> mid-ASIS line below the forward horizontal, + anterior).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from gaitlens import kinematics
from gaitlens_validation import fukuchi

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
FUKUCHI = DATA / "mocap" / "fukuchi2017"
NORMS = DATA / "norms" / "bmc_ric_running_strides.csv.gz"


def tilt_from_asis_psis(asis_l, asis_r, psis_l, psis_r) -> np.ndarray:
    """Sagittal pelvic tilt (deg, + anterior = ASIS lower than PSIS), x forward, y up."""
    a = 0.5 * (np.asarray(asis_l) + np.asarray(asis_r))
    p = 0.5 * (np.asarray(psis_l) + np.asarray(psis_r))
    d = a - p
    return np.degrees(np.arctan2(-d[..., 1], d[..., 0]))


def standing_tilt_deg(trial_or_path) -> float:
    """Tilt in the subject's static trial, in the running trial's lab frame (a loaded
    ``MocapTrial`` or the path of a running trial, text or C3D)."""
    trial = trial_or_path
    if not isinstance(trial, fukuchi.MocapTrial):
        trial = fukuchi.load_trial(trial_or_path)
    st = trial.static_markers
    if not st or not all(k in st for k in ("L.ASIS", "R.ASIS", "L.PSIS", "R.PSIS")):
        return float("nan")
    tilt = tilt_from_asis_psis(st["L.ASIS"], st["R.ASIS"], st["L.PSIS"], st["R.PSIS"])
    return float(np.nanmedian(tilt))


def resample(t_src, arr, t_dst):
    return fukuchi._resample(t_src, np.asarray(arr, float).reshape(len(t_src), -1), t_dst)


def truth_signals(trial: fukuchi.MocapTrial, t: np.ndarray, t0: float = 0.0) -> pd.DataFrame:
    """Marker-based sagittal truth at times ``t`` (track time; trial time = t + t0)."""
    jc = {k: resample(trial.time_s, v, t + t0) for k, v in trial.joint_centres.items()}
    out = {"time_s": t}
    lean = fukuchi.TRUNK_LEAN_DEG  # assumed upper body: no trunk markers in the data set
    for side in ("left", "right"):
        hip, knee, ank = (jc[f"{side}_{q}"][:, :2] for q in ("hip", "knee", "ankle"))
        thigh = kinematics.segment_angle_deg(hip, knee)
        shank = kinematics.segment_angle_deg(knee, ank)
        out[f"{side}_thigh_angle_deg"] = thigh
        out[f"{side}_shank_angle_deg"] = shank
        out[f"{side}_knee_flexion_deg"] = thigh - shank
        out[f"{side}_hip_flexion_deg"] = thigh + lean
        out[f"{side}_foot_angle_deg"] = kinematics.foot_angle_deg(
            jc[f"{side}_heel"][:, :2], jc[f"{side}_toe"][:, :2]
        )
    out["pelvic_tilt_deg"] = tilt_from_asis_psis(
        jc["left_asis"], jc["right_asis"], jc["left_psis"], jc["right_psis"]
    )
    return pd.DataFrame(out)


@dataclass
class TrialRun:
    name: str
    subject: str
    belt_speed_m_s: float
    clean: object
    events: object
    strides: pd.DataFrame
    frames: pd.DataFrame
    table: pd.DataFrame
    truth: pd.DataFrame
    standing_tilt_deg: float
    event_source: str


def run_trial(
    markers_path: Path,
    fps: float = 30.0,
    camera_side: str = "left",
    noise=None,
    seed: int = 0,
    duration_s: Optional[float] = None,
    config=None,
    events_from: str = "gaitlens",
    cache_dir=None,
) -> TrialRun:
    """Project a trial to a side view and run cleaning -> events -> strides ->
    kinematics -> stride metrics. ``events_from="force"`` uses the treadmill force
    contacts (where a force file exists) instead of ``gaitlens.events``.
    ``markers_path``: a trial file (text or C3D) or an already loaded ``MocapTrial``;
    ``cache_dir`` is passed to ``fukuchi.load_trial``."""
    from gaitlens import cleaning, events, strides
    from gaitlens.config import AnalysisConfig

    cfg = config or AnalysisConfig()
    trial = (
        markers_path
        if isinstance(markers_path, fukuchi.MocapTrial)
        else fukuchi.load_trial(markers_path, cache_dir=cache_dir)
    )
    track, truth = fukuchi.to_side_view(
        trial, fps=fps, camera_side=camera_side, noise=noise, seed=seed, duration_s=duration_s
    )
    clean = cleaning.clean(track, cfg)
    src = "gaitlens.events"
    if events_from == "force" and truth["events"] is not None:
        ev = events.GaitEvents(
            ic_s=dict(truth["events"]["ic_s"]),
            to_s=dict(truth["events"]["to_s"]),
            method="force_plate",
        )
        src = "force"
    else:
        ev = events.detect(clean, cfg)
    st = strides.segment(ev, clean, cfg)
    frames = kinematics.compute(clean, ev, cfg)
    table = strides.measure(st.valid, frames, ev, clean, cfg)
    tr = truth_signals(trial, frames["time_s"].to_numpy(), t0=0.0)
    return TrialRun(
        name=trial.name,
        subject=trial.subject,
        belt_speed_m_s=trial.belt_speed_m_s,
        clean=clean,
        events=ev,
        strides=st.valid,
        frames=frames,
        table=table,
        truth=tr,
        standing_tilt_deg=standing_tilt_deg(trial),
        event_source=src,
    )


def truth_stride_tilt(run: TrialRun) -> pd.DataFrame:
    """Per-stride mean and 5-95 % range of the marker-based tilt (same strides)."""
    t = run.truth["time_s"].to_numpy()
    y = run.truth["pelvic_tilt_deg"].to_numpy()
    rows = []
    for r in run.table.itertuples(index=False):  # strides
        w = (t >= r.ic_s) & (t <= r.next_ic_s) & np.isfinite(y)
        x = y[w]
        rows.append(
            {
                "tilt_mean_deg": float(x.mean()) if len(x) else np.nan,
                "tilt_rom_deg": float(np.percentile(x, 95) - np.percentile(x, 5))
                if len(x) > 3
                else np.nan,
            }
        )
    return pd.DataFrame(rows)
