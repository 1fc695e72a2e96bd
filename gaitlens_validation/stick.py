"""A minimal stick figure on a treadmill with exactly known events (for unit tests).

Not a gait model (see ``gaitlens.synthetic`` for that): each foot is on the belt for
``duty_factor`` of the stride, carried backward at belt speed at constant height, then
swings forward on a smooth arc. The hip bounces twice per stride, lowest at midstance
for running (spring-mass, Blickhan 1989) or highest at midstance for walking (inverted
pendulum). Knees from two-link inverse kinematics. Output is a BlazePose-ordered
``PoseTrack`` in image pixels plus the true IC/TO times.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from gaitlens.io.track import PoseTrack
from gaitlens.pose.skeleton import INDEX, LANDMARK_NAMES, N_LANDMARKS


def _knee(hip, ankle, thigh, shank):
    """Knee position (n,2) for hip and ankle (n,2), bending forward (+x)."""
    d = ankle - hip
    r = np.clip(np.linalg.norm(d, axis=1), 1e-6, thigh + shank - 1e-6)
    a = (thigh**2 - shank**2 + r**2) / (2 * r)
    h = np.sqrt(np.maximum(thigh**2 - a**2, 0.0))
    u = d / r[:, None]
    perp = np.stack([-u[:, 1], u[:, 0]], axis=1)  # +90 deg
    perp = np.where(perp[:, :1] < 0, -perp, perp)  # knee in front
    return hip + a[:, None] * u + h[:, None] * perp


def stick_track(
    cadence_spm: float = 170.0,
    duty_factor: float = 0.36,
    speed_m_s: float = 3.0,
    fps: float = 60.0,
    duration_s: float = 8.0,
    gait: str = "running",
    facing: str = "right",
    near_side: Optional[str] = None,
    px_per_m: float = 400.0,
    image_size: tuple = (640, 720),
    bounce_m: float = 0.04,
    clearance_m: float = 0.12,
    front_view: bool = False,
    phase0: float = 0.13,
) -> tuple[PoseTrack, dict]:
    """Track and truth ``{"ic_s": {side: array}, "to_s": {...}, "cadence_spm",
    "contact_time_s", "duty_factor"}``. ``front_view`` projects the lateral axis onto the
    image x axis (a runner filmed from the front)."""
    near_side = near_side or facing  # an un-mirrored camera sees the leading side
    stride = 120.0 / cadence_spm
    t = np.arange(0, duration_s, 1.0 / fps)
    thigh, shank, leg = 0.45, 0.45, 0.9
    hip_h = 0.95
    step_len = speed_m_s * duty_factor * stride  # belt travel during stance
    pts = {}
    truth = {"ic_s": {}, "to_s": {}}
    for side, off in (("right", 0.0), ("left", 0.5)):
        ph = np.mod(t / stride + phase0 - off, 1.0)
        st = ph < duty_factor
        u = np.where(st, ph / duty_factor, (ph - duty_factor) / (1 - duty_factor))
        x_st = step_len / 2 - speed_m_s * ph * stride
        x_sw = -step_len / 2 + step_len * 0.5 * (1 - np.cos(np.pi * u))
        ax = np.where(st, x_st, x_sw) + 0.05
        ay = np.where(st, 0.08, 0.08 + clearance_m * np.sin(np.pi * u))
        ankle = np.stack([ax, ay], axis=1)
        pts[f"{side}_ankle"] = ankle
        pts[f"{side}_heel"] = ankle + [-0.06, -0.06]
        pts[f"{side}_foot_index"] = ankle + [0.15, -0.07]
        k0 = np.ceil(t[0] / stride) - 1
        ks = np.arange(k0, t[-1] / stride + 2)
        ic = (ks + off - phase0) * stride
        ic = ic[(ic > t[0]) & (ic < t[-1])]
        to = (ks + off - phase0 + duty_factor) * stride
        to = to[(to > t[0]) & (to < t[-1])]
        truth["ic_s"][side], truth["to_s"][side] = ic, to
    # hip: two bounces per stride; running lowest at each midstance, walking highest
    mid_phase = np.mod(t / stride + phase0 - duty_factor / 2, 0.5) * 2  # 0 at midstance
    sign = -1.0 if gait == "running" else 1.0
    hip_y = hip_h + sign * bounce_m * np.cos(2 * np.pi * mid_phase)
    hip = np.stack([np.zeros_like(t), hip_y], axis=1)
    for side in ("left", "right"):
        pts[f"{side}_hip"] = hip.copy()
        pts[f"{side}_knee"] = _knee(hip, pts[f"{side}_ankle"], thigh, shank)
        pts[f"{side}_shoulder"] = hip + [0.07, 0.5]
        pts[f"{side}_ear"] = hip + [0.07, 0.68]
    pts["nose"] = hip + [0.16, 0.66]

    w, h = image_size
    xy = np.full((len(t), N_LANDMARKS, 2), np.nan)
    vis = np.zeros((len(t), N_LANDMARKS))
    s = 1.0 if facing == "right" else -1.0
    lateral = {"shoulder": 0.2, "hip": 0.1, "knee": 0.1, "ankle": 0.1, "heel": 0.1,
               "foot_index": 0.1, "ear": 0.07}  # fmt: skip
    for name, p in pts.items():
        x, y = p[:, 0], p[:, 1]
        if front_view:
            part = name.split("_", 1)[-1]
            lat = lateral.get(part, 0.0) * (1 if name.startswith("right") else -1)
            x = lat + 0.0 * x
        u = w / 2 + s * px_per_m * x
        v = h - 40 - px_per_m * y
        xy[:, INDEX[name]] = np.stack([u, v], axis=1)
        far = name.startswith("left" if near_side == "right" else "right")
        vis[:, INDEX[name]] = 0.6 if far else 0.98
    track = PoseTrack(
        time_s=t, xy_px=xy, visibility=vis, frame_size_px=(w, h),
        landmark_names=LANDMARK_NAMES, video={"path": "stick", "synthetic": True},
        backend={"name": "stick"},
    )  # fmt: skip
    truth.update(
        cadence_spm=cadence_spm, contact_time_s=duty_factor * stride, duty_factor=duty_factor,
        stride_time_s=stride, leg_length_px=leg * px_per_m,
    )  # fmt: skip
    return track, truth
