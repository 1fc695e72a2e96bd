"""Mocap-driven mode: the figure moved by real treadmill running (Fukuchi et al. 2017).

Marker trajectories of the Running Biomechanics Data Set (Fukuchi, Fukuchi & Duarte
2017, PeerJ 5:e3298, CC BY 4.0) are loaded with ``gaitlens_validation.fukuchi`` (joint
centres from the markers and the static trial: Harrington hip, cluster-fitted knee and
ankle; heel marker; metatarsal heads), projected to the sagittal plane and drawn with
the same renderer as the parametric model. What comes from the data: hips, knees,
ankles, heels, the foot's direction, the pelvis (midpoints of the two ASIS and the two
PSIS markers, hence the pelvic tilt), the belt speed and, where a force file exists, IC
and TO from the vertical ground reaction force. What is assumed (no markers above the
pelvis): trunk lean (``gaitlens_validation.fukuchi.TRUNK_LEAN_DEG``), the arms (swinging
opposite the thighs, as in the parametric model), head and face, and the toe tip
(the shoe's tip, one foot length from the heel along the heel -> metatarsal line).

The result duck-types ``SyntheticRun`` for ``render`` and the truth writer, so
``render(mocap_run(...), "out.mp4")`` writes the clip with its truth files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from gaitlens.synthetic.model import RunnerParams, rotate
from gaitlens.synthetic.run import (
    SIDES,
    Camera,
    ProjectedRun,
    make_camera,
    near_side,
    pelvis_points,
    upper_body_points,
)

SOLE_BELOW_HEEL_MARKER_M = 0.012  # marker centre above the shoe's sole (marker radius + shell)


@dataclass
class MocapRun(ProjectedRun):
    """A rendered-ready run driven by a Fukuchi marker file (see module docstring)."""

    params: RunnerParams
    camera: Camera
    time_s: np.ndarray  # clip time (0 = first frame)
    points_m: dict
    depth_m: dict
    signals: pd.DataFrame
    events: pd.DataFrame
    strides: pd.DataFrame
    source: dict = field(default_factory=dict)
    _sampler: object = None
    lordosis_m: float = 0.025

    @property
    def leg_length_m(self) -> float:
        return float(self.source["leg_length_m"])

    def sample(self, time_s):
        pts, _, sig = self._sampler(np.asarray(time_s, float))
        return pts, sig

    def to_pose_track(self, noise_px: float = 0.0, seed: Optional[int] = None):
        from gaitlens.synthetic.run import SyntheticRun

        return SyntheticRun.to_pose_track(self, noise_px=noise_px, seed=seed)


def _interp3(t_src, arr, t_dst):
    out = np.empty((len(t_dst), arr.shape[1]))
    for j in range(arr.shape[1]):
        ok = np.isfinite(arr[:, j])
        out[:, j] = np.interp(t_dst, t_src[ok], arr[ok, j])
    return out


def mocap_run(
    markers_path,
    *,
    start_s: float = 2.0,
    duration_s: float = 8.0,
    fps: float = 60.0,
    facing: str = "right",
    image_size_px=(480, 640),
    force_threshold_n: float = 30.0,
    **render_options,
) -> MocapRun:
    """Build a renderable run from a Fukuchi ``RBDSnnnrunTssmarkers.txt`` file.

    ``render_options`` go to ``RunnerParams`` (noise, crf, camera distance, ...).
    """
    from . import fukuchi as fk

    trial = fk.load_trial(markers_path)
    height = trial.height_m if np.isfinite(trial.height_m) else 1.75
    p = RunnerParams(
        height_m=height,
        speed_m_s=trial.belt_speed_m_s,
        fps=fps,
        duration_s=duration_s,
        facing=facing,
        image_size_px=image_size_px,
        **render_options,
    )
    jc = trial.joint_centres
    near = near_side(facing)
    hip_mid3 = 0.5 * (jc["left_hip"] + jc["right_hip"])
    x0 = float(np.nanmedian(hip_mid3[:, 0]))
    z0 = float(np.nanmedian(hip_mid3[:, 2]))
    foot_low = np.fmin(
        np.fmin(jc["left_heel"][:, 1], jc["right_heel"][:, 1]),
        np.fmin(jc["left_toe"][:, 1], jc["right_toe"][:, 1]),
    )
    belt_y = float(np.nanpercentile(foot_low, 1)) - SOLE_BELOW_HEEL_MARKER_M
    # camera on the near side: +depth away from the camera; z points to the right
    zsgn = 1.0 if near == "left" else -1.0
    lean_deg = fk.TRUNK_LEAN_DEG
    lf = p.seg("foot")
    leg_len = float(
        np.mean(
            [
                np.nanmedian(np.linalg.norm(jc[f"{s}_hip"] - jc[f"{s}_knee"], axis=1))
                + np.nanmedian(np.linalg.norm(jc[f"{s}_knee"] - jc[f"{s}_ankle"], axis=1))
                for s in SIDES
            ]
        )
    )
    t_trial = trial.time_s

    def sampler(t_clip):
        t = start_s + t_clip
        n = len(t)
        P3 = {k: _interp3(t_trial, v, t) for k, v in jc.items()}
        pts, depth, sig = {}, {}, {}

        def sag(a):
            return np.stack([a[:, 0] - x0, a[:, 1] - belt_y], axis=1)

        thighs = {}
        for s in SIDES:
            for q in ("hip", "knee", "ankle", "heel"):
                pts[f"{s}_{q}"] = sag(P3[f"{s}_{q}"])
                depth[f"{s}_{q}"] = float(np.nanmedian(zsgn * (P3[f"{s}_{q}"][:, 2] - z0)))
            heel, mt = pts[f"{s}_heel"], sag(P3[f"{s}_toe"])
            u = mt - heel
            u /= np.linalg.norm(u, axis=1, keepdims=True)
            down = rotate(u, -np.pi / 2)
            pts[f"{s}_sole"] = heel + SOLE_BELOW_HEEL_MARKER_M * down
            pts[f"{s}_toe"] = pts[f"{s}_sole"] + lf * u
            pts[f"{s}_mt_heads"] = mt
            for q in ("sole", "toe", "mt_heads"):
                depth[f"{s}_{q}"] = depth[f"{s}_heel"]
            th_v = pts[f"{s}_knee"] - pts[f"{s}_hip"]
            sh_v = pts[f"{s}_ankle"] - pts[f"{s}_knee"]
            ft_v = pts[f"{s}_toe"] - pts[f"{s}_sole"]
            th = np.degrees(np.arctan2(th_v[:, 0], -th_v[:, 1]))
            shk = np.degrees(np.arctan2(sh_v[:, 0], -sh_v[:, 1]))
            ft = np.degrees(np.arctan2(ft_v[:, 0], -ft_v[:, 1]))
            thighs[s] = th
            sig[f"{s}_thigh_angle_deg"] = th
            sig[f"{s}_shank_angle_deg"] = shk
            sig[f"{s}_foot_angle_deg"] = ft
            sig[f"{s}_knee_flexion_deg"] = th - shk
            sig[f"{s}_hip_flexion_deg"] = th + lean_deg
        asis = sag(0.5 * (P3["left_asis"] + P3["right_asis"]))
        psis = sag(0.5 * (P3["left_psis"] + P3["right_psis"]))
        v = asis - psis
        tilt = np.degrees(np.arctan2(-v[:, 1], v[:, 0]))
        hip = 0.5 * (pts["left_hip"] + pts["right_hip"])
        lean = np.full(n, lean_deg)
        mean_th = float(np.nanmean(np.concatenate(list(thighs.values()))))
        upper_body_points(p, hip, lean, thighs, mean_th, near, pts, depth, sig)
        # modelled pelvis outline follows the measured tilt; landmarks are the measured ones
        pelvis_points(p, hip, tilt, near, pts, depth)
        pts["asis"], pts["psis"] = asis, psis
        sig["trunk_lean_deg"] = lean
        sig["pelvic_tilt_deg"] = tilt
        sig["pelvis_x_m"] = hip[:, 0]
        sig["pelvis_y_m"] = hip[:, 1]
        return pts, depth, sig

    n = int(round(min(duration_s, t_trial[-1] - start_s) * fps))
    t = np.arange(n) / fps
    pts, depth, sig = sampler(t)
    signals = pd.DataFrame({"frame": np.arange(n), "time_s": t, **sig})
    events = pd.DataFrame(columns=["side", "event", "time_s", "frame"])
    if trial.forces is not None:
        fc = fk.force_contacts(trial, threshold_n=force_threshold_n)
        rows = []
        for _, c in fc["contacts"].iterrows():
            for ev, tt in (("IC", c.ic_s), ("TO", c.to_s)):
                tc = tt - start_s
                if 0 <= tc <= t[-1]:
                    rows.append((c.side, ev, tc, int(round(tc * fps))))
        events = pd.DataFrame(rows, columns=["side", "event", "time_s", "frame"])
        events = events.sort_values("time_s", ignore_index=True)
    cam = make_camera(p, x_m=0.02 * p.height_m)
    run = MocapRun(
        p,
        cam,
        t,
        pts,
        depth,
        signals,
        events,
        pd.DataFrame(),
        source={
            "markers": str(markers_path),
            "subject": trial.subject,
            "belt_speed_m_s": trial.belt_speed_m_s,
            "start_s": start_s,
            "leg_length_m": leg_len,
            "height_m": height,
            "events_from": "force plate" if len(events) else "none",
            "assumed": "trunk lean, arms, head, toe tip",
        },
        _sampler=sampler,
    )
    run.strides = mocap_strides(run)
    return run


def mocap_strides(run: MocapRun) -> pd.DataFrame:
    """Per-stride truth from force events and the projected markers (frame precision)."""
    ev, sig = run.events, run.signals
    if ev is None or not len(ev):
        return pd.DataFrame()
    t = sig.time_s.to_numpy()
    rows = []
    L = run.leg_length_m
    for s in SIDES:
        ic = ev[(ev.side == s) & (ev.event == "IC")].time_s.to_numpy()
        to = ev[(ev.side == s) & (ev.event == "TO")].time_s.to_numpy()
        for a, b in zip(ic[:-1], ic[1:]):
            tos = to[(to > a) & (to < b)]
            if not len(tos):
                continue
            w = (t >= a) & (t < b)
            tilt = sig.pelvic_tilt_deg.to_numpy()[w]

            def at(col, tt):
                return float(np.interp(tt, t, sig[col].to_numpy()))

            heel_x = float(np.interp(a, t, run.points_m[f"{s}_heel"][:, 0]))
            rows.append(
                {
                    "side": s,
                    "ic_s": a,
                    "to_s": tos[0],
                    "next_ic_s": b,
                    "stride_time_s": b - a,
                    "cadence_spm": 120.0 / (b - a),
                    "contact_time_s": tos[0] - a,
                    "duty_factor": (tos[0] - a) / (b - a),
                    "overstride_legs": (heel_x - at("pelvis_x_m", a)) / L,
                    "knee_flexion_ic_deg": at(f"{s}_knee_flexion_deg", a),
                    "knee_flexion_midstance_deg": float(
                        sig[f"{s}_knee_flexion_deg"].to_numpy()[(t >= a) & (t <= tos[0])].max()
                    ),
                    "hip_flexion_ic_deg": at(f"{s}_hip_flexion_deg", a),
                    "hip_extension_to_deg": -at(f"{s}_thigh_angle_deg", tos[0]),
                    "trunk_lean_mean_deg": float(sig.trunk_lean_deg.to_numpy()[w].mean()),
                    "pelvic_tilt_mean_deg": float(tilt.mean()),
                    "pelvic_tilt_rom_deg": float(np.ptp(tilt)),
                    "pelvic_tilt_p5_p95_deg": float(np.subtract(*np.percentile(tilt, [95, 5]))),
                }
            )
    df = pd.DataFrame(rows)
    return df.sort_values("ic_s", ignore_index=True) if len(df) else df
