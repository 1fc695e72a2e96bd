"""Per-frame sagittal kinematics: segment and joint angles, pelvis motion, hamstring stretch.

Input is the cleaned track (``gaitlens.cleaning.CleanTrack``: points in the analysis
frame, x = direction of travel, y = up, pixels) and the gait events; output is one
DataFrame row per frame with every column of ``gaitlens.schema.frame_columns()``.
Sign conventions follow BIOMECHANICS.md section 2 (docs/kinematics.md):

- segment angle (thigh, shank): proximal -> distal vector from vertical-down, + when the
  distal end is in front;
- foot angle: heel -> toe from the forward horizontal, + toe up;
- trunk lean: hip midpoint -> shoulder midpoint from vertical-up, + forward;
- knee flexion = thigh - shank; hip flexion (trunk-referenced) = thigh + trunk lean;
  hip flexion (pelvis-referenced) = thigh + estimated pelvic tilt - standing tilt.

Lengths are in leg lengths (``_legs``: median thigh + shank of the near leg) and, when
``config.runner_height_m`` or ``config.belt_speed_m_s`` gives a scale, also in metres.
All signal code is vectorised over frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from . import landmark_bias, pelvis, schema, signals
from .pose.skeleton import LEG_POINTS
from .schema import SIDES
from .signals import (
    angular_rate_deg_per_s,
    derivative,
    foot_angle_deg,
    midpoint,
    point,
    running_median,
    segment_angle_deg,
    trunk_lean_deg,
    visibility,
    wrap_deg,
)

#: Running-median window that defines the treadmill frame for the pelvis position:
#: at least two strides at any running cadence (stride time <= 0.9 s at >= 135 spm).
RUNNING_MEDIAN_S = 2.0

#: Hip-to-ankle (thigh + shank) length as a fraction of body height: greater trochanter
#: 0.530 H minus lateral malleolus 0.039 H (Winter 2009, Biomechanics and Motor Control
#: of Human Movement, 4th ed., fig. 4.1); the motion-capture validation uses the same value.
LEG_LENGTH_PER_HEIGHT = 0.491

#: Visibility under which the far hip is not used for the pelvis point.
FAR_HIP_MIN_VISIBILITY = 0.5


# --------------------------------------------------------------------------- hamstrings
@dataclass(frozen=True)
class HamstringModel:
    """2-D straight-line musculotendon model of the biarticular hamstrings.

    Attachment points (metres, sagittal x anterior / y superior) are the mean of
    semimembranosus and biceps femoris long head in the lower-limb model of Rajagopal
    et al. (2016, IEEE Trans Biomed Eng 63:2068-2079), whose muscle paths come from
    Arnold et al. (2010, Ann Biomed Eng 38:269-279):

    - origin (ischial tuberosity) relative to the hip centre, pelvis frame: SM
      (-0.0987, -0.1140) and BFlh (-0.1040, -0.1191) minus hip_r (-0.0563, -0.0785);
    - insertion relative to the knee centre, tibia frame: SM (-0.0290, -0.0417), BFlh
      (-0.0287, -0.0455);
    - thigh length 0.4044 m (knee_r in the femur frame), shank 0.400 m (ankle_r).

    Length changes with hip flexion (pelvis-referenced) and knee extension. The moment
    arms that follow from this geometry (``moment_arms_m``): hip 2.7 cm at 20 deg
    extension, 4.5 cm at 0 deg, 5.6-5.9 cm at 20-40 deg flexion; knee 3.2 cm at 0 deg,
    4.7-5.2 cm at 30-60 deg and 4.2 cm at 90 deg flexion (hip 30 deg), i.e. about the
    hip 5-7 cm / knee 2-4 cm of
    BIOMECHANICS.md section 4 over the late-swing range (hip flexed, knee extending)
    where the stretch peaks (Thelen et al. 2005, Med Sci Sports Exerc 37:108-114), and
    smaller at the hip in extension.
    No wrapping surface is modelled (the paths of Arnold et al. wrap over the condyles
    only in deep knee flexion). Lengths scale with the runner; the stretch in % of the
    standing length does not depend on the scale.
    """

    origin_m: tuple = (-0.0451, -0.0381)
    insertion_m: tuple = (-0.0289, -0.0436)
    thigh_m: float = 0.4044
    shank_m: float = 0.400

    def length_m(self, hip_flexion_deg, knee_flexion_deg) -> np.ndarray:
        """Origin-insertion distance (m) for hip flexion (pelvis-ref.) and knee flexion."""
        phi = np.radians(np.asarray(hip_flexion_deg, float))
        kap = np.radians(np.asarray(knee_flexion_deg, float))
        ox, oy = self.origin_m
        ix, iy = self.insertion_m
        kx = self.thigh_m * np.sin(phi)
        ky = -self.thigh_m * np.cos(phi)
        s = phi - kap  # shank orientation in the pelvis frame (CCW = distal end forward)
        px = kx + ix * np.cos(s) - iy * np.sin(s)
        py = ky + ix * np.sin(s) + iy * np.cos(s)
        return np.hypot(px - ox, py - oy)

    @property
    def standing_length_m(self) -> float:
        return float(self.length_m(0.0, 0.0))

    def stretch_pct(self, hip_flexion_deg, knee_flexion_deg) -> np.ndarray:
        """Length change relative to standing (hip and knee at 0 deg), % of standing."""
        return 100.0 * (
            self.length_m(hip_flexion_deg, knee_flexion_deg) / self.standing_length_m - 1
        )

    def moment_arms_m(self, hip_flexion_deg, knee_flexion_deg, h_deg: float = 0.01):
        """(hip extensor, knee flexor) moment arms in m = dL/d(angle), central differences."""
        h = h_deg
        d_hip = (
            self.length_m(np.add(hip_flexion_deg, h), knee_flexion_deg)
            - self.length_m(np.subtract(hip_flexion_deg, h), knee_flexion_deg)
        ) / np.radians(2 * h)
        d_knee = (
            self.length_m(hip_flexion_deg, np.add(knee_flexion_deg, h))
            - self.length_m(hip_flexion_deg, np.subtract(knee_flexion_deg, h))
        ) / np.radians(2 * h)
        return d_hip, -d_knee


HAMSTRINGS = HamstringModel()


def contact_mask(time_s: np.ndarray, ic_s, to_s) -> np.ndarray:
    """1 for frames within IC..TO of one foot, else 0 (vectorised over frames)."""
    t = np.asarray(time_s, float)
    ic = np.sort(np.asarray(ic_s, float))
    to = np.sort(np.asarray(to_s, float))
    if len(ic) == 0 or len(to) == 0:
        return np.zeros(len(t), dtype=int)
    # the last IC at or before t, and the last TO at or before t: in contact if IC later
    i_ic = np.searchsorted(ic, t, side="right") - 1
    i_to = np.searchsorted(to, t, side="right") - 1
    last_ic = np.where(i_ic >= 0, ic[np.maximum(i_ic, 0)], -np.inf)
    last_to = np.where(i_to >= 0, to[np.maximum(i_to, 0)], -np.inf)
    # a stance that began before the first IC (TO with no IC before it)
    first_to_open = (i_ic < 0) & (to[0] < (ic[0] if len(ic) else np.inf)) & (t <= to[0])
    return ((last_ic > last_to) & np.isfinite(last_ic) | first_to_open).astype(int)


def leg_length_px(clean) -> float:
    """Leg length (px): the clean track's value, else median thigh + shank of its near leg."""
    v = getattr(clean, "leg_length_px", None)
    if v is not None and np.isfinite(v) and v > 0:
        return float(v)
    side = getattr(clean, "near_side", None) or "left"
    pts = {f"{side}_{q}": point(clean, f"{side}_{q}") for q in ("hip", "knee", "ankle")}
    return signals.leg_length_px(pts, side)


def pelvis_point(clean) -> tuple[np.ndarray, np.ndarray]:
    """P = hip midpoint; the near hip plus the clip's median (mid - near) offset where the
    far hip is missing or its visibility is below ``FAR_HIP_MIN_VISIBILITY``.

    Returns (P (n, 2), used_near_only (n,) bool).
    """
    near = getattr(clean, "near_side", None) or "left"
    far = "right" if near == "left" else "left"
    pn, pf = point(clean, f"{near}_hip"), point(clean, f"{far}_hip")
    vf = visibility(clean, f"{far}_hip")
    far_ok = np.isfinite(pf).all(axis=1) & ~(vf < FAR_HIP_MIN_VISIBILITY)
    mid = 0.5 * (pn + pf)
    both = far_ok & np.isfinite(pn).all(axis=1)
    off = np.nanmedian(mid[both] - pn[both], axis=0) if both.sum() >= 5 else np.zeros(2)
    p = np.where(both[:, None], mid, pn + off)
    return p, ~both


# --------------------------------------------------------------------------- scale
@dataclass
class Scale:
    """Metres per leg length and where it came from (None when unknown)."""

    m_per_leg: Optional[float]
    source: str
    belt_speed_m_s: Optional[float] = None


def estimate_scale(clean, events, config, legs_px: float) -> Scale:
    """Metres per leg length from the runner's height (Winter 2009 proportions) or from
    the belt speed: during mid-stance the foot moves backwards with the belt, so
    m/px = belt speed / |foot horizontal speed| (median over the middle half of every
    contact of the near foot).
    """
    height = getattr(config, "runner_height_m", None) if config is not None else None
    belt = getattr(config, "belt_speed_m_s", None) if config is not None else None
    foot_speed_legs = _stance_foot_speed_legs(clean, events, legs_px)
    if height:
        m_per_leg = LEG_LENGTH_PER_HEIGHT * float(height)
        belt_est = belt if belt else (foot_speed_legs * m_per_leg if foot_speed_legs else None)
        return Scale(m_per_leg, "runner_height_m (Winter 2009: leg = 0.491 x height)", belt_est)
    if belt and foot_speed_legs:
        return Scale(float(belt) / foot_speed_legs, "belt_speed_m_s / stance foot speed", belt)
    return Scale(None, "none", belt if belt else None)


def _stance_foot_speed_legs(clean, events, legs_px: float) -> Optional[float]:
    if events is None or not np.isfinite(legs_px):
        return None
    t = np.asarray(clean.time_s, float)
    near = getattr(clean, "near_side", None) or "left"
    ic = np.asarray(events.ic_s.get(near, []), float)
    to = np.asarray(events.to_s.get(near, []), float)
    if len(ic) == 0 or len(to) == 0:
        return None
    j = np.searchsorted(to, ic)  # first TO after each IC
    ok = j < len(to)
    ic, to = ic[ok], to[j[ok]]
    a, b = ic + 0.25 * (to - ic), ic + 0.75 * (to - ic)
    i0 = np.searchsorted(t, a)
    i1 = np.searchsorted(t, b)
    sel = np.zeros(len(t), dtype=int)
    np.add.at(sel, i0[i1 > i0], 1)
    np.add.at(sel, np.minimum(i1[i1 > i0], len(t) - 1), -1)
    mid_stance = np.cumsum(sel) > 0
    ank = point(clean, f"{near}_ankle")
    vx = derivative(ank[:, 0], t)
    v = vx[mid_stance & np.isfinite(vx)]
    if len(v) < 3:
        return None
    speed = float(np.median(-v)) / legs_px
    return speed if speed > 0 else None


# --------------------------------------------------------------------------- compute
def compute(clean, events, config=None) -> pd.DataFrame:
    """Per-frame signals (every column of ``schema.frame_columns()``).

    ``clean``: ``CleanTrack`` (analysis frame, px); ``events``: ``GaitEvents`` (or None:
    contact columns are then 0); ``config``: ``AnalysisConfig`` (or None).
    Metre columns ``pelvis_x_m``, ``pelvis_vx_m_per_s``, ``pelvis_y_m`` are added when a
    scale is known. The pelvis columns are advanced by ``clean.hip_landmark_delay_s``
    when set (``gaitlens.landmark_bias.apply``: MediaPipe's hip landmarks trail the hip).
    ``DataFrame.attrs`` records the leg length, scale, pelvic-tilt method, which hip
    flexion drove the hamstring model and the pelvis time advance.
    """
    t = np.asarray(clean.time_s, float)
    n = len(t)
    fs = getattr(clean, "sampling_rate_hz", None) or (
        1.0 / np.median(np.diff(t)) if n > 1 else 30.0
    )
    legs = leg_length_px(clean)
    out: dict[str, np.ndarray] = {"frame": np.arange(n), "time_s": t}

    # trunk
    lh, rh = point(clean, "left_hip"), point(clean, "right_hip")
    ls, rs = point(clean, "left_shoulder"), point(clean, "right_shoulder")
    hip_mid, sh_mid = midpoint(lh, rh), midpoint(ls, rs)
    lean = trunk_lean_deg(hip_mid, sh_mid)
    out["trunk_lean_deg"] = lean

    # pelvis point, treadmill frame; advanced by the pose model's hip-landmark delay
    # (gaitlens.landmark_bias; 0 unless the pipeline recorded one for the backend)
    delay = float(getattr(clean, "hip_landmark_delay_s", 0.0) or 0.0)
    p = landmark_bias.advance(pelvis_point(clean)[0], t, delay)
    win = int(round(RUNNING_MEDIAN_S * fs))
    px = (p[:, 0] - running_median(p[:, 0], win)) / legs
    py = (p[:, 1] - running_median(p[:, 1], win)) / legs
    px[~np.isfinite(p[:, 0])] = np.nan
    py[~np.isfinite(p[:, 1])] = np.nan
    out["pelvis_x_legs"] = px
    out["pelvis_vx_legs_per_s"] = derivative(px, t)
    out["pelvis_y_legs"] = py

    # pelvic tilt (estimated)
    tilt = pelvis.estimate_tilt(clean, config)
    out["pelvic_tilt_est_deg"] = tilt.tilt_deg
    out["pelvic_tilt_confidence"] = tilt.confidence
    standing = pelvis.standing_tilt_deg(config)

    per_side = {}
    use_pelvis_ref = (
        bool(np.nanmedian(tilt.confidence) >= pelvis.TILT_GOOD_CONFIDENCE)
        if (np.isfinite(tilt.confidence).any())
        else False
    )
    for side in SIDES:
        hip, knee, ank = (point(clean, f"{side}_{q}") for q in ("hip", "knee", "ankle"))
        heel, toe = point(clean, f"{side}_heel"), point(clean, f"{side}_foot_index")
        thigh = segment_angle_deg(hip, knee)
        shank = segment_angle_deg(knee, ank)
        knee_flex = wrap_deg(thigh - shank)
        hip_flex = wrap_deg(thigh + lean)
        hip_flex_pelvis = wrap_deg(thigh + tilt.tilt_deg - standing)
        hip_for_ham = hip_flex_pelvis if use_pelvis_ref else hip_flex
        ham = HAMSTRINGS.stretch_pct(hip_for_ham, knee_flex)
        if events is not None:
            contact = contact_mask(t, events.ic_s.get(side, []), events.to_s.get(side, []))
        else:
            contact = np.zeros(n, dtype=int)
        vis = (
            np.nanmean(np.stack([visibility(clean, f"{side}_{q}") for q in LEG_POINTS]), axis=0)
            if (
                any(f"{side}_{q}" in (getattr(clean, "visibility", None) or {}) for q in LEG_POINTS)
            )
            else np.full(n, np.nan)
        )
        per_side[side] = {
            "thigh_angle_deg": thigh,
            "shank_angle_deg": shank,
            "foot_angle_deg": foot_angle_deg(heel, toe),
            "knee_flexion_deg": knee_flex,
            "hip_flexion_deg": hip_flex,
            "hip_flexion_pelvis_deg": hip_flex_pelvis,
            "thigh_angular_velocity_deg_per_s": angular_rate_deg_per_s(thigh, t),
            "hamstring_stretch_pct": ham,
            "contact": contact,
            "visibility": vis,
        }
    for side in SIDES:
        for col in schema.FRAME_SIDE_COLUMNS:
            key = col.format(side=side)
            out[key] = per_side[side][key[len(side) + 1 :]]

    df = pd.DataFrame(out)
    scale = estimate_scale(clean, events, config, legs)
    if scale.m_per_leg is not None:
        df["pelvis_x_m"] = df["pelvis_x_legs"] * scale.m_per_leg
        df["pelvis_vx_m_per_s"] = df["pelvis_vx_legs_per_s"] * scale.m_per_leg
        df["pelvis_y_m"] = df["pelvis_y_legs"] * scale.m_per_leg
    df.attrs.update(
        leg_length_px=legs,
        m_per_leg=scale.m_per_leg,
        scale_source=scale.source,
        belt_speed_m_s=scale.belt_speed_m_s,
        pelvic_tilt_method=tilt.method,
        pelvic_tilt_notes=list(tilt.notes),
        pelvic_tilt_dynamic=bool(tilt.dynamic),
        hamstring_hip_reference="pelvis" if use_pelvis_ref else "trunk",
        standing_pelvic_tilt_deg=standing,
        pelvis_time_advance_s=delay,
    )
    return df
