"""Known-answer synthetic tracks for the kinematics, pelvis and stride-metric tests.

A minimal stand-in for ``gaitlens.cleaning.CleanTrack`` / ``gaitlens.events.GaitEvents``
(the stages only read these attributes), built from prescribed segment angles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from gaitlens.pose import silhouette as sil


@dataclass
class FakeClean:
    time_s: np.ndarray
    points: dict
    visibility: dict
    facing: str = "right"
    near_side: str = "right"
    leg_length_px: float = float("nan")
    sampling_rate_hz: float = 60.0
    silhouette: Optional[np.ndarray] = None
    silhouette_names: tuple = ()
    warnings: list = field(default_factory=list)
    quality: dict = field(default_factory=dict)


@dataclass
class FakeEvents:
    ic_s: dict
    to_s: dict
    ic_interpolated: dict = field(default_factory=dict)
    to_interpolated: dict = field(default_factory=dict)


def unit(angle_from_down_deg):
    a = np.radians(angle_from_down_deg)
    return np.stack([np.sin(a), -np.cos(a)], axis=-1)


def make_track(
    fs=60.0,
    duration_s=4.0,
    stride_s=0.7,
    thigh_len=100.0,
    shank_len=100.0,
    lean_deg=10.0,
    pelvis_amp=5.0,
    drift_px_per_s=0.0,
    trunk_len=120.0,
):
    """Legs with known thigh/shank angles; returns (clean, truth dict)."""
    t = np.arange(int(round(duration_s * fs))) / fs
    w = 2 * np.pi / stride_s
    hip = np.stack([pelvis_amp * np.sin(2 * w * t) + drift_px_per_s * t, np.zeros_like(t)], 1)
    pts, vis, truth = {}, {}, {"time_s": t, "trunk_lean_deg": np.full_like(t, lean_deg)}
    for side, ph in (("right", 0.0), ("left", np.pi)):
        thigh = 5.0 + 30.0 * np.sin(w * t + ph)
        knee = 50.0 + 40.0 * np.sin(w * t + ph + 1.0)
        shank = thigh - knee
        h = hip + np.array([0.0, 0.0])
        k = h + thigh_len * unit(thigh)
        a = k + shank_len * unit(shank)
        foot = 10.0 * np.sin(w * t + ph)  # foot angle, + toe up
        fa = np.radians(foot)
        heel = a + np.stack([-5.0 * np.ones_like(t), -5.0 * np.ones_like(t)], 1)
        toe = heel + 25.0 * np.stack([np.cos(fa), np.sin(fa)], 1)
        for q, v in (("hip", h), ("knee", k), ("ankle", a), ("heel", heel),
                     ("foot_index", toe)):  # fmt: skip
            pts[f"{side}_{q}"] = v
            vis[f"{side}_{q}"] = np.full(len(t), 0.95 if side == "right" else 0.6)
        truth[f"{side}_thigh_angle_deg"] = thigh
        truth[f"{side}_shank_angle_deg"] = shank
        truth[f"{side}_knee_flexion_deg"] = knee
        truth[f"{side}_foot_angle_deg"] = foot
    lean = np.radians(lean_deg)
    sh = hip + trunk_len * np.array([np.sin(lean), np.cos(lean)])
    pts["left_shoulder"] = sh.copy()
    pts["right_shoulder"] = sh.copy()
    vis["left_shoulder"] = vis["right_shoulder"] = np.full(len(t), 0.9)
    clean = FakeClean(time_s=t, points=pts, visibility=vis, sampling_rate_hz=fs,
                      leg_length_px=thigh_len + shank_len)  # fmt: skip
    truth["hip"] = hip
    return clean, truth


def events_for(t, stride_s=0.7, duty=0.35, offsets=None):
    """IC/TO per side: right IC at 0.1 + k stride, left half a stride later."""
    offsets = offsets or {"right": 0.1, "left": 0.1 + stride_s / 2}
    ic, to = {}, {}
    for side, o in offsets.items():
        ics = np.arange(o, t[-1], stride_s)
        ic[side] = ics
        to[side] = ics + duty * stride_s
        to[side] = to[side][to[side] < t[-1]]
    return FakeEvents(ic_s=ic, to_s=to)


def add_silhouette(clean, theta_deg, protrusion=-0.02, concavity=0.1, noise_px=0.0, seed=0,
                   back_depth=40.0, front_depth=45.0):  # fmt: skip
    """Silhouette edge features: the back contour over ``pelvis.CONTOUR_LEVELS`` is a
    straight line at angle ``theta_deg`` from vertical-up (+ forward), with a lumbar
    concavity of depth ``concavity`` x trunk length above it; the front edge at
    ``pelvis.ABDOMEN_LEVELS`` sticks out ``protrusion`` trunk lengths beyond the chest."""
    from gaitlens import pelvis
    from gaitlens.kinematics import midpoint, trunk_lean_deg

    hip = midpoint(clean.points["left_hip"], clean.points["right_hip"])
    sho = midpoint(clean.points["left_shoulder"], clean.points["right_shoulder"])
    L = np.linalg.norm(sho - hip, axis=1)
    lean = trunk_lean_deg(hip, sho)
    theta = np.asarray(theta_deg, float)
    slope = np.tan(np.radians(lean - theta))  # d(back distance)/d(along axis)
    lev = sil.LEVELS_TRUNK
    a = lev[None, :] * L[:, None]
    back = back_depth + slope[:, None] * a
    # lumbar concavity above +0.2: a bump inwards peaking at 0.4
    bump = concavity * L[:, None] * np.clip(1 - np.abs(lev[None, :] - 0.4) / 0.2, 0, 1)
    back = np.where(lev[None, :] > 0.2, back - bump, back)
    front = np.full_like(back, front_depth)
    ab = np.isin(np.round(lev, 2), np.round(pelvis.ABDOMEN_LEVELS, 2))
    front[:, ab] = front_depth + np.asarray(protrusion, float) * L[:, None]
    rng = np.random.default_rng(seed)
    if noise_px:
        back = back + rng.normal(0, noise_px, back.shape)
    # image px: "pos" = image right; facing right -> back is "neg"
    if clean.facing == "right":
        neg, pos = back, front
    else:
        neg, pos = front, back
    clean.silhouette = np.concatenate([pos, neg], axis=1)
    clean.silhouette_names = sil.FEATURE_NAMES
    return clean
