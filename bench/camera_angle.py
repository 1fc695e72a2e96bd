"""Camera angle: how every stride metric degrades when the camera is turned (issue 21).

Renders two synthetic runners (``gaitlens.synthetic``, solid body so a turned camera sees
the chest or the back, ``Style.solid``) with the camera turned about the vertical axis
(yaw 0, +-10, +-20, +-30, +-45 deg; + = towards the runner's front) and pitched
(+-10 deg; + = raised, looking down), runs MediaPipe once per clip (tracks cached under
``--cache``) and every later stage, and compares the clip medians of every stride metric
with the truth of the model's dense cycle (``gaitlens.synthetic.truth``: the body's
sagittal plane, independent of the camera). Also records the camera-angle estimate of
``gaitlens.cleaning.checks.CameraAngle`` (from the pose alone), the side-view score,
the strides kept and set aside, the warnings and the findings.

Writes ``bench/results/camera_angle.json`` (every clip) and ``camera_angle.md`` (the
tables of docs/robustness.md). Usage::

    python bench/camera_angle.py [--quick] [--cache /work/cache/camera_angle]

About 22 clips x (8 s render + 25 s pose) on 2 cores; re-runs reuse the cached tracks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: the runners: A healthy, 60 fps, facing right; B sitting-posture fault
#: (pelvis_back_hips_flexed 0.8), 30 fps, facing left, shorter and faster; C pelvis_lag
#: fault 0.8, 60 fps, facing left, tall and fast; D healthy, 30 fps, facing right, short
#: and slow, camera 3 m away and the runner smaller in the frame (more perspective)
RUNNERS = {
    "A": dict(facing="right", fps=60.0, seed=11, height_m=1.75, speed_m_s=3.0),
    "B": dict(
        facing="left",
        fps=30.0,
        seed=12,
        height_m=1.66,
        speed_m_s=3.4,
        cadence_spm=176.0,
        pelvis_back_hips_flexed=0.8,
    ),
    "C": dict(
        facing="left",
        fps=60.0,
        seed=13,
        height_m=1.86,
        speed_m_s=3.7,
        cadence_spm=172.0,
        pelvis_lag=0.8,
    ),
    "D": dict(
        facing="right",
        fps=30.0,
        seed=14,
        height_m=1.62,
        speed_m_s=2.7,
        cadence_spm=166.0,
        camera_distance_m=3.0,
        runner_height_frac=0.6,
    ),
}
#: camera settings: (name, yaw deg, pitch deg)
ANGLES = [("yaw0", 0.0, 0.0)] + [
    (f"yaw{s}{a}", float(a if s == "+" else -a), 0.0) for a in (10, 20, 30, 45) for s in "+-"
] + [("pitch+10", 0.0, 10.0), ("pitch-10", 0.0, -10.0)]  # fmt: skip

#: sagittal angles (deg) and the rest, compared with the truth
ANGLE_METRICS = (
    "hip_flexion_ic_deg",
    "hip_flexion_midstance_deg",
    "hip_extension_to_deg",
    "hip_flexion_swing_peak_deg",
    "knee_flexion_ic_deg",
    "knee_flexion_midstance_deg",
    "knee_flexion_swing_peak_deg",
    "shank_angle_ic_deg",
    "trunk_lean_mean_deg",
)
OTHER_METRICS = (
    "overstride_legs",
    "vertical_oscillation_legs",
    "pelvis_lag_pct",
    "pelvis_lag_ms",
    "pelvis_surge_legs_per_s",
    "pelvis_late_swing_excursion_legs",
    "contact_time_s",
    "duty_factor",
    "cadence_spm",
    "pelvic_tilt_mean_deg",
)
METRICS = ANGLE_METRICS + OTHER_METRICS
#: per-frame signals compared with the truth frame by frame
FRAME_SIGNALS = ("thigh_angle_deg", "knee_flexion_deg", "hip_flexion_deg", "trunk_lean_deg")


def clip_params(runner: str, yaw: float, pitch: float, quick: bool = False):
    from gaitlens.synthetic.samples import BASE

    p = replace(
        BASE,
        duration_s=6.0 if quick else 8.0,
        motion_blur_subframes=1,
        camera_yaw_deg=yaw,
        camera_pitch_deg=pitch,
        **RUNNERS[runner],
    )
    return p


def pose_track(runner: str, name: str, yaw: float, pitch: float, cache: Path, quick=False):
    """Render (cached) and run the pose stage (cached); returns (run, track)."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pose.runner import run_pose
    from gaitlens.synthetic import simulate
    from gaitlens.synthetic.renderer import Style, render

    run = simulate(clip_params(runner, yaw, pitch, quick))
    cfg = AnalysisConfig(annotated_video=False, pose_workers=1)
    stem = f"{runner}_{name}{'_quick' if quick else ''}"
    npz = cache / f"{stem}-{cfg.pose_backend}.npz"
    if npz.is_file():
        return run, PoseTrack.load(npz)
    mp4 = cache / f"{stem}.mp4"
    if not mp4.is_file():
        render(run, mp4, write_truth=True, style=Style(solid=True))
    track = run_pose(mp4, cfg, progress=False)
    track.save(npz)
    return run, track


def measure(runner: str, name: str, yaw: float, pitch: float, run, track) -> dict:
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import analyze_track
    from gaitlens.synthetic.truth import cycle_truth

    truth = cycle_truth(run)
    row = {"runner": runner, "clip": name, "yaw_deg": yaw, "pitch_deg": pitch,
           "fps": run.params.fps, "facing": run.params.facing}  # fmt: skip
    a = None
    for cfg in (
        AnalysisConfig(annotated_video=False),
        # refused as a front view: measured anyway, to see how far the metrics are off
        AnalysisConfig(annotated_video=False, cleaning={"raise_on_front_view": False}),
    ):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                a = analyze_track(track, cfg)
            break
        except Exception as exc:  # a clip the stages refuse is a result too
            row.setdefault("error", f"{type(exc).__name__}: {exc}")
    if a is None:
        return row
    st = a.strides
    near = a.clean.near_side
    row["n_valid"] = int(len(st))
    row["n_rejected"] = int(len(a.rejected_strides))
    view = a.clean.view or {}
    for k in ("side_view_score", "verdict", "shoulder_spread_legs", "hip_spread_legs",
              "foot_length_legs", "camera_yaw_deg", "camera_yaw_abs_deg",
              "camera_yaw_verdict", "segment_aspect"):  # fmt: skip
        if k in view:
            row[f"view_{k}"] = view[k]
    for m in METRICS:
        tr = float(truth[m]) if m in truth else np.nan
        row[f"{m}_truth"] = tr
        v_all = st[m].to_numpy(float) if m in st else np.array([])
        v_near = st.loc[st.side == near, m].to_numpy(float) if m in st else np.array([])
        for role, v in (("all", v_all), ("near", v_near)):
            v = v[np.isfinite(v)]
            row[f"{m}_{role}"] = float(np.median(v)) if len(v) else np.nan
            row[f"{m}_{role}_rmse"] = float(np.sqrt(np.mean((v - tr) ** 2))) if len(v) else np.nan
    # per-frame angles against the truth (what README's angle accuracy states)
    fr, tru = a.frames, run.signals
    n = min(len(fr), len(tru))
    for sig in FRAME_SIGNALS:
        for role, sides in (("near", (near,)), ("all", ("left", "right"))):
            cols = [f"{sd}_{sig}" for sd in sides] if sig != "trunk_lean_deg" else [sig]
            e = np.concatenate(
                [fr[c].to_numpy(float)[:n] - tru[c].to_numpy(float)[:n] for c in cols]
            )
            row[f"frame_{sig}_{role}_rmse"] = float(np.sqrt(np.nanmean(e**2)))
    row["warnings"] = list(a.warnings)
    for f in a.findings:
        row[f"finding_{f.id}"] = f"{f.severity}/{f.confidence}"
        row[f"finding_{f.id}_reasons"] = list(f.confidence_reasons)
    return row


def errors(df: pd.DataFrame, role: str = "all") -> pd.DataFrame:
    """Clip median minus truth per metric, and its change from the same runner's 0 deg clip."""
    out = df[["runner", "clip", "yaw_deg", "pitch_deg"]].copy()
    for m in METRICS:
        out[m] = df[f"{m}_{role}"] - df[f"{m}_truth"]
    base = out[out["clip"] == "yaw0"].set_index("runner")[list(METRICS)]
    delta = out.copy()
    for m in METRICS:
        delta[m] = out[m] - out["runner"].map(base[m])
    return out, delta


def _fmt(v, m):
    if not np.isfinite(v):
        return "–"
    if m.endswith("_deg"):
        return f"{v:+.1f}"
    if m.endswith("_s"):
        return f"{1000 * v:+.0f} ms"
    if m.endswith("_pct") or m.endswith("_spm"):
        return f"{v:+.1f}"
    if m.endswith("_ms"):
        return f"{v:+.0f}"
    return f"{v:+.3f}"


def markdown(df: pd.DataFrame) -> str:
    err, delta = errors(df)
    lines = ["# Camera angle: metric error against the camera's yaw and pitch", ""]
    lines.append(
        "Clip median over valid strides minus the truth (body's sagittal plane); "
        "per runner (A: 60 fps, facing right, healthy; B: 30 fps, facing left, sitting "
        "posture fault). `bench/camera_angle.py`."
    )
    for title, tab in (("Error (clip median - truth)", err),
                       ("Change from the same runner's 0 deg clip", delta)):  # fmt: skip
        lines += ["", f"## {title}", ""]
        cols = ["runner", "clip"] + list(METRICS)
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "---|" * len(cols))
        for _, r in tab.iterrows():
            cells = [r["runner"], r["clip"]] + [_fmt(r[m], m) for m in METRICS]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Strides, view, estimate, findings", ""]
    cols = ["runner", "clip", "n_valid", "n_rejected", "view_side_view_score",
            "view_camera_yaw_deg", "view_camera_yaw_verdict"]  # fmt: skip
    cols += [c for c in df.columns if c.startswith("finding_") and not c.endswith("_reasons")]
    lines.append("| " + " | ".join(c.replace("view_", "") for c in cols) + " |")
    lines.append("|" + "---|" * len(cols))
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r.get(c)
            cells.append(f"{v:.2f}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/camera_angle.json")
    ap.add_argument("--cache", type=Path, default=Path("/work/cache/camera_angle"))
    ap.add_argument("--quick", action="store_true", help="6 s clips")
    ap.add_argument("--runners", default="".join(RUNNERS))
    a = ap.parse_args(argv)
    a.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for runner in a.runners:
        for name, yaw, pitch in ANGLES:
            t0 = time.time()
            run, track = pose_track(runner, name, yaw, pitch, a.cache, a.quick)
            rows.append(measure(runner, name, yaw, pitch, run, track))
            r = rows[-1]
            score = r.get("view_side_view_score", np.nan)
            print(f"{runner} {name}: {time.time() - t0:.0f} s, valid {r.get('n_valid')} "
                  f"rejected {r.get('n_rejected')} score {score:.2f} "
                  f"est {r.get('view_camera_yaw_deg', np.nan):+.1f} {r.get('error', '')}",
                  flush=True)  # fmt: skip
    df = pd.DataFrame(rows)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"clips": json.loads(df.to_json(orient="records"))}, indent=1))
    a.out.with_suffix(".md").write_text(markdown(df), encoding="utf-8")
    print(markdown(df))
    return 0


if __name__ == "__main__":
    sys.exit(main())
