"""Test fixture: a small synthetic ``Analysis`` with known signals, built from the real
containers (``PoseTrack``, ``CleanTrack``, ``GaitEvents``, ``Finding``, ``Evidence``).

It stands in for the upstream stages (cleaning, events, kinematics, strides, faults)
so that the report layer can be tested on its own: a stick-figure runner
whose segment angles follow smooth periodic curves shaped like treadmill running
(thigh +25 deg forward at foot strike, -20 deg behind at toe-off, knee 20/40/100 deg at
IC/midstance/swing peak, BIOMECHANICS.md section 8), the per-frame signal table with
``schema.frame_columns()``, the stride table with ``strides.STRIDE_COLUMNS``, three
findings and a reference-band table. ``write_demo_video`` renders the figure to a
small H.264 clip with the same frame times as the track.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from gaitlens import quality, reference, schema
from gaitlens.analysis import Analysis
from gaitlens.cleaning import CleanTrack
from gaitlens.config import AnalysisConfig
from gaitlens.events import GaitEvents
from gaitlens.faults import Evidence, Finding
from gaitlens.io.track import PoseTrack
from gaitlens.pose.skeleton import INDEX, LANDMARK_NAMES
from gaitlens.strides import STRIDE_COLUMNS


def _per_side(left: str, right: str, conf: str) -> dict:
    return {
        s: {"severity": sev, "score": 0.0, "n_strides": 0, "confidence": conf, "judged": True,
            "reasons": []}
        for s, sev in (("left", left), ("right", right))
    }  # fmt: skip


def _phase_curves(phi: np.ndarray) -> dict:
    """Segment angles over the gait cycle phase ``phi`` (0 = foot strike)."""
    p = np.mod(phi, 1.0)
    thigh = 5.0 + 25.0 * np.cos(2 * np.pi * (p - 0.9))
    knee = (
        20.0
        + 20.0 * np.exp(-(((p - 0.15) / 0.08) ** 2))
        + 80.0 * np.exp(-(((p - 0.6) / 0.12) ** 2))
    )
    return {"thigh": thigh, "knee": knee, "shank": thigh - knee, "contact": p < 0.35}


def demo_analysis(
    n_strides: int = 6,
    fps: float = 30.0,
    frame_size_px: tuple = (320, 240),
    stride_time_s: float = 0.72,
    seed: int = 0,
    video_path: Optional[str] = None,
):
    """A synthetic ``Analysis`` of a runner facing image-right, right side nearest."""
    rng = np.random.default_rng(seed)
    duration = (n_strides + 1.2) * stride_time_s
    n = int(round(duration * fps))
    t = np.arange(n) / fps
    t0 = {"left": 0.1, "right": 0.1 + stride_time_s / 2}
    w, h = frame_size_px
    leg_px = 0.42 * h
    cx, cy = 0.5 * w, 0.42 * h

    sig = {}
    for side in schema.SIDES:
        phi = (t - t0[side]) / stride_time_s
        c = _phase_curves(phi)
        sig[side] = c
    phi_l = (t - t0["left"]) / stride_time_s
    trunk = 8.0 + 1.5 * np.sin(4 * np.pi * phi_l)
    tilt = 12.0 + 3.0 * np.sin(4 * np.pi * phi_l + 0.5)
    px_legs = 0.02 * np.sin(4 * np.pi * phi_l - 0.8)
    py_legs = 0.04 * np.cos(4 * np.pi * phi_l)

    # ---- pixel keypoints (image y down), runner faces +x
    k = len(LANDMARK_NAMES)
    xy = np.full((n, k, 2), np.nan)
    vis = np.zeros((n, k))
    hip_mid = np.stack([cx + px_legs * leg_px, cy - py_legs * leg_px], axis=1)

    def put(name, pts, v):
        xy[:, INDEX[name]] = pts
        vis[:, INDEX[name]] = v

    lean = np.radians(trunk)
    shoulder = hip_mid + 0.55 * leg_px * np.stack([np.sin(lean), -np.cos(lean)], axis=1)
    head = shoulder + 0.22 * leg_px * np.stack([np.sin(lean), -np.cos(lean)], axis=1)
    for name in LANDMARK_NAMES[:11]:
        put(name, head + rng.normal(0, 1.0, (n, 2)), 0.9)
    for side, dz in (("left", -2.0), ("right", 2.0)):
        c = sig[side]
        v = 0.95 if side == "right" else 0.7
        th, sh = np.radians(c["thigh"]), np.radians(c["shank"])
        hip = hip_mid + [dz, 0.0]
        knee = hip + 0.5 * leg_px * np.stack([np.sin(th), np.cos(th)], axis=1)
        ankle = knee + 0.5 * leg_px * np.stack([np.sin(sh), np.cos(sh)], axis=1)
        put(f"{side}_shoulder", shoulder + [dz, 0.0], v)
        arm = np.radians(-c["thigh"] * 1.2)
        elbow = shoulder + 0.3 * leg_px * np.stack([np.sin(arm), np.cos(arm)], axis=1)
        fore = arm + np.radians(80)
        wrist = elbow + 0.28 * leg_px * np.stack([np.sin(fore), np.cos(fore)], axis=1)
        put(f"{side}_elbow", elbow, v)
        put(f"{side}_wrist", wrist, v)
        for p in ("pinky", "index", "thumb"):
            put(f"{side}_{p}", wrist + [3.0, 2.0], v)
        put(f"{side}_hip", hip, v)
        put(f"{side}_knee", knee, v)
        put(f"{side}_ankle", ankle, v)
        put(f"{side}_heel", ankle + [-0.08 * leg_px, 0.05 * leg_px], v)
        put(f"{side}_foot_index", ankle + [0.18 * leg_px, 0.07 * leg_px], v)
    xy += rng.normal(0, 0.4, xy.shape)

    track = PoseTrack(
        time_s=t,
        xy_px=xy,
        visibility=vis,
        frame_size_px=(w, h),
        video={
            "path": str(video_path or "demo.mp4"),
            "width_px": w,
            "height_px": h,
            "nominal_fps": fps,
            "frame_count": n,
            "duration_s": n / fps,
            "codec": "h264",
            "rotation_deg": 0,
            "size_bytes": 0,
        },
        backend={"name": "demo", "model": "synthetic stick figure"},
    )

    # ---- per-frame signals
    cols = {"frame": np.arange(n), "time_s": t, "trunk_lean_deg": trunk}
    cols["pelvis_x_legs"] = px_legs
    cols["pelvis_vx_legs_per_s"] = np.gradient(px_legs, t)
    cols["pelvis_y_legs"] = py_legs
    cols["pelvic_tilt_est_deg"] = tilt
    cols["pelvic_tilt_confidence"] = np.clip(0.55 + 0.1 * np.sin(2 * np.pi * t / 3), 0, 1)
    for side in schema.SIDES:
        c = sig[side]
        hip_flex = c["thigh"] + trunk
        cols[f"{side}_thigh_angle_deg"] = c["thigh"]
        cols[f"{side}_shank_angle_deg"] = c["shank"]
        cols[f"{side}_foot_angle_deg"] = 5.0 * np.cos(2 * np.pi * phi_l)
        cols[f"{side}_knee_flexion_deg"] = c["knee"]
        cols[f"{side}_hip_flexion_deg"] = hip_flex
        cols[f"{side}_hip_flexion_pelvis_deg"] = c["thigh"] + tilt - 10.0
        cols[f"{side}_thigh_angular_velocity_deg_per_s"] = np.gradient(c["thigh"], t)
        # 2-D hamstring model, moment arms 5 cm hip / 3 cm knee, 40 cm standing length
        stretch = (0.05 * np.radians(hip_flex) - 0.03 * np.radians(c["knee"])) / 0.40 * 100
        cols[f"{side}_hamstring_stretch_pct"] = stretch
        cols[f"{side}_contact"] = c["contact"].astype(int)
        cols[f"{side}_visibility"] = np.full(n, 0.95 if side == "right" else 0.7)
    frames = pd.DataFrame(cols)[schema.frame_columns()]

    # ---- events and strides
    ic, to = {}, {}
    for side in schema.SIDES:
        ics = t0[side] + stride_time_s * np.arange(n_strides + 2)
        ics = ics[ics < t[-1]]
        ic[side] = ics
        to[side] = ics + 0.35 * stride_time_s
        to[side] = to[side][to[side] < t[-1]]
    events = GaitEvents(ic_s=ic, to_s=to, method="demo")
    rows = []
    for side in schema.SIDES:
        for i in range(len(ic[side]) - 1):
            a, b = ic[side][i], ic[side][i + 1]
            st = b - a
            ct = 0.35 * st
            r = dict.fromkeys(STRIDE_COLUMNS, np.nan)
            jit = rng.normal(0, 1, 20)
            r.update(
                side=side,
                stride=i,
                ic_s=a,
                to_s=a + ct,
                next_ic_s=b,
                stride_time_s=st,
                cadence_spm=120.0 / st,
                contact_time_s=ct,
                flight_time_s=st / 2 - ct,
                duty_factor=ct / st,
                overstride_legs=0.10 + 0.01 * jit[0],
                shank_angle_ic_deg=6 + jit[1],
                knee_flexion_ic_deg=20.6 + jit[2],
                knee_flexion_midstance_deg=38 + jit[3],
                knee_flexion_swing_peak_deg=100 + 2 * jit[4],
                hip_flexion_ic_deg=33 + jit[5],
                hip_flexion_midstance_deg=20 + jit[6],
                hip_flexion_swing_peak_deg=38 + jit[7],
                hip_extension_to_deg=18 + jit[8],
                trunk_lean_mean_deg=8 + 0.5 * jit[9],
                pelvic_tilt_mean_deg=12 + 0.5 * jit[10],
                pelvic_tilt_rom_deg=6 + 0.5 * jit[11],
                pelvis_lag_ms=85 + 10 * jit[12],
                pelvis_lag_pct=(85 + 10 * jit[12]) / st / 10,
                pelvis_late_swing_excursion_legs=0.01 + 0.005 * jit[13],
                pelvis_surge_legs_per_s=0.25 + 0.02 * jit[17],
                # the thigh angle is a pure cosine: its angular velocity peaks at 65 %
                thigh_phase_pct_cycle=65 + 0.2 * jit[18],
                pelvis_phase_pct_cycle=65 + 0.2 * jit[18] + (85 + 10 * jit[12]) / st / 10,
                hamstring_stretch_peak_pct=7.5 + 0.3 * jit[14],
                hamstring_stretch_peak_pct_cycle=88 + jit[15],
                vertical_oscillation_legs=0.08 + 0.004 * jit[16],
                quality="ok",
                visibility_mean=0.95 if side == "right" else 0.7,
                events_interpolated=False,
            )
            rows.append(r)
    strides = pd.DataFrame(rows)[list(STRIDE_COLUMNS)]
    rejected = strides.iloc[:0].assign(reason=pd.Series(dtype=str))

    bands = pd.DataFrame(
        [
            ("cadence_spm", 160, 185, 172, 8, 46, "spm", "coaching bands"),
            ("contact_time_s", 0.18, 0.32, 0.25, 0.035, 46, "s", "literature bands"),
            ("duty_factor", 0.25, 0.48, 0.36, 0.05, 46, "", "literature bands"),
            ("overstride_legs", None, 0.08, None, None, None, "legs", "coaching bands"),
            ("knee_flexion_ic_deg", 12, 26, 19, 3.5, 28, "deg", "Fukuchi 2017"),
            ("knee_flexion_midstance_deg", 30, 50, 40, 5, 28, "deg", "Fukuchi 2017"),
            ("hip_flexion_ic_deg", 20, 40, 30, 5, 28, "deg", "Fukuchi 2017"),
            ("hip_extension_to_deg", 10, 31, 20, 5, 28, "deg", "Fukuchi 2017"),
            ("trunk_lean_mean_deg", 5, 12, 8, 2, None, "deg", "coaching bands"),
            ("pelvic_tilt_mean_deg", 9, 15, 12, 2, 2, "deg", "Fukuchi ASIS/PSIS"),
            ("pelvic_tilt_rom_deg", 4, 10, 7, 1.5, 2, "deg", "Fukuchi ASIS/PSIS"),
            ("pelvis_lag_ms", -40, 60, 10, 25, 5, "ms", "Fukuchi 2017, mean ± 2 SD"),
            ("hamstring_stretch_peak_pct", 4, 10, 7, 1.5, 5, "%", "Fukuchi 2017"),
        ],
        columns=["metric", "low", "high", "mean", "sd", "n", "unit", "source"],
    ).set_index("metric")

    lag_out = [int(s) for s in strides.query("side == 'right' and pelvis_lag_ms > 60")["stride"]]
    n_right = int((strides["side"] == "right").sum())
    findings = [
        Finding(
            id="pelvis_lag",
            title="Pulling the hip back",
            severity="mild",
            score=0.45,
            confidence="medium",
            confidence_reasons=["30 frames/s limits timing precision to about ±17 ms"],
            evidence=[
                Evidence(
                    "pelvis_lag_ms",
                    "pelvis lag",
                    85.0,
                    "ms",
                    -40,
                    60,
                    "right",
                    lag_out,
                    n_right,
                    "high",
                )
            ],  # fmt: skip
            explanation="The pelvis reaches its top forward speed late, after the swing thigh.",
            advice="Warm up the core and hips; think 'hips travel forward with the knee'.",
            per_side=_per_side("none", "mild", "medium"),
            judged=True,
        ),
        Finding(
            id="pelvis_back_hips_flexed",
            title="Pelvis left behind / hips too flexed",
            severity="none",
            score=0.1,
            confidence="high",
            confidence_reasons=[],
            evidence=[
                Evidence(
                    "hip_flexion_ic_deg",
                    "hip flexion at IC",
                    33.0,
                    "deg",
                    20,
                    40,
                    None,
                    [],
                    len(strides),
                    "high",
                )
            ],  # fmt: skip
            explanation="Hips and pelvis are within the healthy range through stance.",
            advice="Nothing to change.",
            per_side=_per_side("none", "none", "high"),
            judged=True,
        ),
        Finding(
            id="pelvic_tilt_suppressed",
            title="Pelvic tilt gone awry",
            severity="none",
            score=0.2,
            confidence="low",
            confidence_reasons=["pelvic tilt is estimated from the silhouette (loose clothing)"],
            evidence=[
                Evidence(
                    "pelvic_tilt_mean_deg",
                    "pelvic tilt (est.)",
                    12.0,
                    "deg",
                    9,
                    15,
                    None,
                    [],
                    len(strides),
                    "low",
                )
            ],  # fmt: skip
            explanation="The estimated anterior tilt is in the usual range.",
            advice="Nothing to change.",
            per_side=_per_side("none", "none", "low"),
            judged=False,
        ),
    ]
    clean = CleanTrack(
        time_s=t, sampling_rate_hz=fps, points={}, visibility={}, facing="right",
        near_side="right", leg_length_px=leg_px, activity="running",
        view={"side_view_score": 0.9}, swaps_repaired=np.zeros(0, int), gaps_filled=0,
        outliers_removed=0, cutoff_hz=10.0, frame_size_px=(w, h),
    )  # fmt: skip
    measured = quality.measurement_quality(track, clean, strides, frames)
    return Analysis(
        video=dict(track.video),
        track=track,
        clean=clean,
        events=events,
        frames=frames,
        strides=strides,
        rejected_strides=rejected,
        summary={
            "cadence_spm": float(strides["cadence_spm"].mean()),
            "contact_time_s": float(strides["contact_time_s"].mean()),
            "n_strides": int(len(strides)),
            "measurement_noise": reference.measurement_noise().to_dict("index"),
        },
        findings=findings,
        quality=measured,
        config=AnalysisConfig(),
        bands=bands,
        warnings=["demo data: synthetic stick figure, not a real runner"],
    )


def write_demo_video(analysis, path, fps: Optional[float] = None) -> Path:
    """Render the demo track as a plain figure on a grey background (H.264, same times)."""
    import cv2

    from gaitlens.io.video import VideoWriter
    from gaitlens.pose.skeleton import BONES

    track = analysis.track
    w, h = track.frame_size_px
    fps = fps or track.sampling_rate_hz
    path = Path(path)
    with VideoWriter(path, w, h, fps=fps) as vw:
        for i, ts in enumerate(track.time_s):
            img = np.full((h, w, 3), 90, np.uint8)
            cv2.rectangle(img, (0, int(0.86 * h)), (w, h), (40, 40, 40), -1)
            for a, b in BONES:
                pa, pb = track.xy_px[i, INDEX[a]], track.xy_px[i, INDEX[b]]
                if np.isfinite(pa).all() and np.isfinite(pb).all():
                    cv2.line(img, tuple(map(int, pa)), tuple(map(int, pb)), (200, 170, 150), 7)
            hd = track.xy_px[i, INDEX["nose"]]
            cv2.circle(img, tuple(map(int, hd)), int(0.05 * h), (200, 170, 150), -1)
            vw.write(img, float(ts))
    return path
