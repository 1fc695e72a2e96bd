"""Parametric sagittal running model with fault knobs.

The model produces one gait cycle on a fine phase grid and repeats it (both legs
identical, half a stride apart). It is built so that the stance foot never slides on
the belt and the two feet never touch the ground together:

* Stance (IC -> TO): the foot is a rigid heel-toe segment that rolls about the heel
  (after heel strike) and then about the toe (heel rise); the pivot is glued to the
  belt and travels backward at belt speed. The pelvis' fore-aft path in the treadmill
  frame is prescribed (a step-periodic oscillation, whose phase is the ``pelvis_lag``
  knob), the knee flexion curve is prescribed, and the thigh angle is solved in closed
  form from the horizontal closure hip -> knee -> ankle. The hip height follows.
* Swing (TO -> next IC): thigh angle is a clamped cubic spline from the stance
  solution at TO (angle and angular velocity) through a peak flexion to the IC angle;
  knee flexion is one periodic spline for the whole cycle; foot pitch is a clamped
  spline back to heel-strike pitch.
* Flight: hip height is a cubic Hermite curve between the two stances.

Curve shapes follow the published running kinematics: knee flexion about 15-20 deg at
IC, about 40 deg at midstance and 90-117 deg peak in swing; thigh angle
+28/+34/+41 deg forward and -20/-26/-31 deg behind at 2.5/3.5/4.5 m/s (Fukuchi et al.
2017, PeerJ 5:e3298, RBDS processed curves; ../shared/BIOMECHANICS.md section 8).
Segment proportions are Winter's (Winter 2009, Biomechanics and Motor Control of Human
Movement, 4th ed., table 4.1). Pelvic landmarks relative to the hip joint centre follow
Bell et al. 1989 (J Biomech 22:473), hip centre about 19 % of the inter-ASIS width
posterior and 30 % inferior to the ASIS midpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np
from scipy.interpolate import CubicSpline

# Winter (2009) table 4.1, segment lengths as a fraction of body height.
WINTER = {
    "thigh": 0.245,  # greater trochanter -> knee (hip centre -> knee here)
    "shank": 0.246,  # knee -> ankle
    "foot": 0.152,  # heel -> toe tip
    "ankle_height": 0.039,
    "trunk": 0.288,  # hip centre -> shoulder (0.818 - 0.530)
    "neck": 0.052,  # shoulder -> chin level
    "head": 0.130,  # chin -> vertex
    "upper_arm": 0.186,
    "forearm": 0.146,
    "hand": 0.108,
}

#: speeds (m/s) of the reference table and per-speed defaults (Fukuchi 2017, derived;
#: contact times: mid-range of the 180-320 ms band, shorter at speed)
_SPEEDS = np.array([2.5, 3.5, 4.5])
_THIGH_PEAK = np.array([28.0, 34.0, 41.0])  # deg forward in late swing
_CONTACT_S = np.array([0.275, 0.235, 0.205])


@dataclass
class RunnerParams:
    """Everything that defines a synthetic run. Defaults: a healthy recreational runner."""

    # gait
    cadence_spm: float = 170.0
    speed_m_s: float = 3.0
    height_m: float = 1.75
    proportions: dict = field(default_factory=lambda: dict(WINTER))
    contact_time_s: Optional[float] = None  # default from speed (table above)
    trunk_lean_deg: float = 7.0  # mean, forward (coaching band 5-12 deg)
    trunk_lean_range_deg: float = 2.0  # in-stride oscillation, two peaks per stride
    pelvic_tilt_mean_deg: float = 12.0  # anterior (Fukuchi ASIS/PSIS: about 9-15 deg)
    pelvic_tilt_range_deg: float = 7.0  # in-stride range (about 6-8 deg), biphasic
    standing_pelvic_tilt_deg: float = 10.0
    lumbar_lordosis_m: float = 0.025  # depth of the lower-back curve at the normal tilt
    knee_flexion_ic_deg: float = 17.0
    knee_flexion_midstance_deg: float = 40.0
    knee_flexion_swing_peak_deg: float = 100.0
    thigh_peak_deg: Optional[float] = None  # default from speed
    foot_strike_pitch_deg: float = 12.0  # toe-up pitch of the foot at IC (heel strike)
    toe_off_pitch_deg: float = -40.0  # toe-down pitch at TO
    pelvis_velocity_amp_frac: float = 0.13  # fore-aft pelvis velocity swing / belt speed
    arm_swing_gain: float = 0.7
    elbow_flexion_deg: float = 85.0
    # camera and image
    facing: str = "right"  # direction of travel in the image
    fps: float = 60.0
    duration_s: float = 8.0
    image_size_px: tuple = (480, 640)  # (width, height)
    camera_distance_m: float = 4.0
    camera_height_m: float = 0.85
    runner_height_frac: float = 0.70  # standing height / image height at the body plane
    # camera turned away from the side view (``run.Camera``): yaw about the vertical
    # axis, > 0 towards the runner's front; pitch, > 0 raised and looking down
    camera_yaw_deg: float = 0.0
    camera_pitch_deg: float = 0.0
    phase_offset: float = 0.1  # stride phase of the first frame (0 = right IC)
    # noise (render)
    sensor_noise_std: float = 0.0  # gaussian, 8-bit levels
    motion_blur_subframes: int = 1  # >1 averages sub-frame renders over the shutter
    shutter_frac: float = 0.5
    crf: int = 23  # H.264 quality (higher = more compression)
    # faults, 0..1, combinable
    pelvis_lag: float = 0.0
    pelvis_back_hips_flexed: float = 0.0
    pelvic_tilt_suppressed: float = 0.0
    # form changes within the clip: ((time_s, {param: value}), ...), each a new regime
    # from that time on (only CHANGEABLE parameters: the gait rhythm stays), blended
    # over ``change_blend_s`` centred on the time (a runner changes form over a stride)
    changes: tuple = ()
    change_blend_s: float = 0.6
    seed: int = 0

    def __post_init__(self):
        if self.facing not in ("left", "right"):
            raise ValueError("facing must be 'left' or 'right'")
        for k in ("pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed"):
            v = float(getattr(self, k))
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{k} must be within 0..1, got {v}")
            setattr(self, k, v)
        self.image_size_px = tuple(int(v) for v in self.image_size_px)
        changes = []
        for t, values in self.changes:
            bad = set(values) - set(CHANGEABLE)
            if bad:
                raise ValueError(
                    f"changes: {sorted(bad)} cannot change within a clip (allowed: "
                    f"{', '.join(CHANGEABLE)})"
                )
            changes.append((float(t), dict(values)))
        self.changes = tuple(sorted(changes, key=lambda c: c[0]))
        gaps = np.diff([t for t, _ in self.changes])
        if len(gaps) and gaps.min() < self.change_blend_s:
            raise ValueError(
                f"changes must be at least change_blend_s = {self.change_blend_s} s apart"
            )

    def regimes(self) -> list:
        """``[(start_s, params)]``: the parameters in force from each change on (the
        first from -inf), each without ``changes``."""
        from dataclasses import replace

        cur = replace(self, changes=())
        out = [(float("-inf"), cur)]
        for t, values in self.changes:
            cur = replace(cur, **values)
            out.append((t, cur))
        return out

    # derived quantities
    @property
    def stride_time_s(self) -> float:
        return 120.0 / self.cadence_spm

    @property
    def contact_s(self) -> float:
        if self.contact_time_s is not None:
            return float(self.contact_time_s)
        return float(np.interp(self.speed_m_s, _SPEEDS, _CONTACT_S))

    @property
    def duty_factor(self) -> float:
        return self.contact_s / self.stride_time_s

    def seg(self, name: str) -> float:
        return self.proportions[name] * self.height_m

    @property
    def leg_length_m(self) -> float:
        return self.seg("thigh") + self.seg("shank")

    def faults(self) -> dict:
        return {
            "pelvis_lag": self.pelvis_lag,
            "pelvis_back_hips_flexed": self.pelvis_back_hips_flexed,
            "pelvic_tilt_suppressed": self.pelvic_tilt_suppressed,
        }

    def to_dict(self) -> dict:
        d = asdict(self)
        d["image_size_px"] = list(self.image_size_px)
        d["changes"] = [[t, dict(v)] for t, v in self.changes]
        return d


#: Parameters that may change within a clip (``RunnerParams.changes``): form, not the
#: gait rhythm (cadence, speed and contact time set the events of every regime alike)
CHANGEABLE = (
    "pelvis_lag",
    "pelvis_back_hips_flexed",
    "pelvic_tilt_suppressed",
    "trunk_lean_deg",
    "pelvic_tilt_mean_deg",
    "knee_flexion_ic_deg",
    "knee_flexion_midstance_deg",
    "arm_swing_gain",
)


# --------------------------------------------------------------------------- fault maps
# How each knob moves the model (full magnitude = 1). The signatures are those of
# ../shared/BIOMECHANICS.md section 6.
# Pelvis fore-aft velocity over a step (0 = IC of either foot, 1 = the next IC), as knots
# (step phase, velocity / amplitude) of a periodic spline. Normal: braking after IC, the
# forward surge peaking before toe-off (step phase 0.59, i.e. about 160 ms after the swing
# thigh's peak angular velocity, the Fukuchi-derived mean of gaitlens' reference band) and
# still forward in flight, so the pelvis comes forward in late swing. Fault: the surge
# comes late (just before IC) and the pelvis is held back through late swing.
PELVIS_V_KNOTS_NORMAL = (
    (0.0, 0.35),
    (0.22, -1.0),
    (0.45, 0.2),
    (0.59, 1.0),
    (0.72, 0.8),
    (0.86, 0.6),
)
PELVIS_V_KNOTS_LAG = (
    (0.0, 0.3),
    (0.22, -0.5),
    (0.50, 0.1),
    (0.72, -0.8),
    (0.84, -0.9),
    (0.95, 1.0),
)
PELVIS_V_NORMAL_SHIFT = 0.11  # the normal surge also drifts later as the fault grows
PELVIS_V_LAG_SHIFT = 0.04  # and the late surge moves towards IC


BACK_TRUNK_LEAN_DEG = 9.0  # pelvis behind shoulders: more forward lean from the hips
BACK_THIGH_IC_DEG = 9.0  # foot lands further ahead: more hip flexion at IC, overstride
BACK_KNEE_MID_DEG = 16.0  # "sitting": more knee flexion at midstance
BACK_PELVIS_X_M = -0.03  # pelvis mean held back relative to the feet (treadmill frame)
TILT_MEAN_DROP_DEG = 11.0  # anterior tilt mean lowered
TILT_RANGE_SCALE = 0.65  # in-stride range shrinks by this fraction
TILT_TRUNK_UPRIGHT_DEG = 5.0  # trunk more upright
TILT_LORDOSIS_SCALE = 0.85  # lower back flattened


@dataclass
class Cycle:
    """One stride of the right leg on a phase grid (0 = right IC, 1 = next right IC)."""

    phase: np.ndarray  # (m,)
    duty: float
    thigh_deg: np.ndarray
    knee_deg: np.ndarray
    foot_pitch_deg: np.ndarray  # heel->toe above the horizontal, positive toe-up
    hip_x_m: np.ndarray  # hip centre, treadmill frame (step-periodic)
    hip_y_m: np.ndarray
    trunk_lean_deg: np.ndarray
    pelvic_tilt_deg: np.ndarray
    lordosis_m: float


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _foot_geometry(p: RunnerParams):
    """Foot points in the foot frame (x heel->toe, y up), origin at the heel contact."""
    lf = p.seg("foot")
    ankle = np.array([0.22 * lf, p.seg("ankle_height") * 1.55])  # lateral malleolus
    heel = np.array([0.0, 0.012 * p.height_m / 1.75])  # back of heel, a little up
    toe = np.array([lf, 0.0])
    return lf, ankle, heel, toe


def rotate(v, ang_rad):
    """Rotate (..., 2) vectors by angle (counter-clockwise, x forward, y up)."""
    c, s = np.cos(ang_rad), np.sin(ang_rad)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], axis=-1)


def build_cycle(p: RunnerParams, n: int = 2000) -> Cycle:
    """Solve one stride of the model (see module docstring)."""
    T = p.stride_time_s
    d = p.duty_factor
    if not 0.15 < d < 0.48:
        raise ValueError(f"duty factor {d:.2f} outside running range; check contact time")
    phase = np.arange(n) / n
    lt, ls = p.seg("thigh"), p.seg("shank")
    lf, ankle_f, heel_f, toe_f = _foot_geometry(p)
    fb, fl, ft = p.pelvis_back_hips_flexed, p.pelvis_lag, p.pelvic_tilt_suppressed

    thigh_peak = p.thigh_peak_deg
    if thigh_peak is None:
        thigh_peak = float(np.interp(p.speed_m_s, _SPEEDS, _THIGH_PEAK))
    thigh_peak += BACK_THIGH_IC_DEG * fb
    thigh_ic = thigh_peak - 11.0  # swing-leg retraction before IC

    # knee flexion: one periodic spline over the stride (deg)
    k_ic, k_mid, k_pk = (
        p.knee_flexion_ic_deg,
        p.knee_flexion_midstance_deg + BACK_KNEE_MID_DEG * fb,
        p.knee_flexion_swing_peak_deg,
    )
    sw = 1.0 - d
    kn_ph = [
        0.0,
        0.18 * d,
        0.45 * d,
        d,
        d + 0.18 * sw,
        d + 0.47 * sw,
        d + 0.80 * sw,
        d + 0.95 * sw,
        1.0,
    ]
    kn_val = [
        k_ic,
        k_ic + 0.6 * (k_mid - k_ic),
        k_mid,
        k_ic + 4.0,
        0.55 * k_pk,
        k_pk,
        0.42 * k_pk,
        k_ic - 4.0,
        k_ic,
    ]
    knee = CubicSpline(kn_ph, kn_val, bc_type="periodic")(phase)

    # pelvis fore-aft path, step-periodic (see PELVIS_V_KNOTS_*)
    hip_x = _pelvis_x(p, phase, fl) + BACK_PELVIS_X_M * fb

    # stance foot pitch (world), deg: heel strike -> flat -> heel rise
    u = phase / d
    pitch_st = p.foot_strike_pitch_deg * (1 - smoothstep(u / 0.16)) + p.toe_off_pitch_deg * (
        np.clip((u - 0.4) / 0.6, 0.0, 1.0) ** 2
    )
    st = phase < d

    # IC: swing-leg forward kinematics places the heel; y so that the heel is on the belt
    th0, k0, p0 = np.radians(thigh_ic), np.radians(knee[0]), np.radians(pitch_st[0])
    knee_rel = lt * np.array([np.sin(th0), -np.cos(th0)])
    ank_rel = knee_rel + ls * np.array([np.sin(th0 - k0), -np.cos(th0 - k0)])
    heel0_rel = ank_rel + rotate(-ankle_f, p0)  # foot-frame origin (heel bottom) from the hip
    heel0_x = hip_x[0] + heel0_rel[0]  # the heel bottom touches the belt (y = 0) at IC
    t = phase * T
    # foot-frame origin (heel bottom) on the belt; pivot heel while toe-up, toe after
    pr = np.radians(pitch_st)
    origin = np.zeros((n, 2))
    origin[:, 0] = heel0_x - p.speed_m_s * t
    toe_pivot = pr < 0
    # pivot at the toe: toe stays at origin + (lf, 0); origin = toe - R(p)(lf, 0)
    origin[toe_pivot, 0] += lf - lf * np.cos(pr[toe_pivot])
    origin[toe_pivot, 1] = -lf * np.sin(pr[toe_pivot])
    ankle_w = origin + rotate(np.broadcast_to(ankle_f, (n, 2)), pr)
    # closed-form thigh angle from horizontal closure: D = (T + S cos k) sin th - S sin k cos th
    kr = np.radians(knee)
    D = ankle_w[:, 0] - hip_x
    R = np.hypot(lt + ls * np.cos(kr), ls * np.sin(kr))
    delta = np.arctan2(ls * np.sin(kr), lt + ls * np.cos(kr))
    th_st = delta + np.arcsin(np.clip(D / R, -1, 1))
    hip_y_st = ankle_w[:, 1] + lt * np.cos(th_st) + ls * np.cos(th_st - kr)
    thigh = np.degrees(th_st)

    # swing thigh: clamped spline from stance TO (angle, rate) to IC (angle, rate)
    i_to = int(np.searchsorted(phase, d))
    dth = np.gradient(thigh, phase)
    th_to, r_to, r_ic = thigh[i_to - 1], dth[i_to - 2], dth[1]
    sw_ph = np.array([d, d + 0.42 * sw, d + 0.80 * sw, 1.0])
    sw_val = np.array([th_to, th_to + 0.62 * (thigh_peak - th_to), thigh_peak, thigh_ic])
    cs = CubicSpline(sw_ph, sw_val, bc_type=((1, r_to), (1, r_ic)))
    thigh = np.where(st, thigh, cs(phase))

    # swing foot pitch: from TO pitch back to heel-strike pitch
    dp = np.gradient(pitch_st, phase)
    fp_sw = CubicSpline(
        [d, d + 0.35 * sw, 1.0],
        [pitch_st[i_to - 1], -5.0, p.foot_strike_pitch_deg],
        bc_type=((1, dp[i_to - 2]), (1, 0.0)),
    )
    pitch = np.where(st, pitch_st, fp_sw(phase))

    # hip height: stance solution, the other leg's stance half a stride later, Hermite flight
    half = n // 2
    hip_y = np.full(n, np.nan)
    hip_y[st] = hip_y_st[st]
    hip_y[half:][st[: n - half]] = hip_y_st[: n - half][st[: n - half]]
    from scipy.interpolate import CubicHermiteSpline

    # end slopes: mean over 4 % of the stance next to the event (smooths the instant ones)
    k4 = max(2, int(0.04 * d * n))
    v_to = (hip_y_st[i_to - 1] - hip_y_st[i_to - 1 - k4]) / (phase[k4])
    v_ic = (hip_y_st[k4] - hip_y_st[0]) / phase[k4]
    herm = CubicHermiteSpline([d, 0.5], [hip_y_st[i_to - 1], hip_y_st[0]], [v_to, v_ic])
    fly1 = (phase >= d) & (phase < 0.5)
    hip_y[fly1] = herm(phase[fly1])
    fly2 = (phase >= 0.5 + d) & (phase < 1.0)
    hip_y[fly2] = herm(phase[fly2] - 0.5)

    knee = _clear_swing_foot(p, phase, d, thigh, knee, pitch, hip_x, hip_y)

    lean = (
        p.trunk_lean_deg
        + BACK_TRUNK_LEAN_DEG * fb
        - TILT_TRUNK_UPRIGHT_DEG * ft
        + 0.5 * p.trunk_lean_range_deg * np.cos(4 * np.pi * (phase - 0.25 * d))
    )
    tilt = (
        p.pelvic_tilt_mean_deg
        - TILT_MEAN_DROP_DEG * ft
        + 0.5
        * p.pelvic_tilt_range_deg
        * (1 - TILT_RANGE_SCALE * ft)
        * np.cos(4 * np.pi * (phase - d))  # anterior-tilt peaks near each toe-off
    )
    return Cycle(
        phase=phase,
        duty=d,
        thigh_deg=thigh,
        knee_deg=knee,
        foot_pitch_deg=pitch,
        hip_x_m=hip_x,
        hip_y_m=hip_y,
        trunk_lean_deg=lean,
        pelvic_tilt_deg=tilt,
        lordosis_m=p.lumbar_lordosis_m * (1 - TILT_LORDOSIS_SCALE * ft),
    )


def leg_points(p: RunnerParams, hip_xy, thigh_deg, knee_deg, pitch_deg) -> dict:
    """Knee, ankle, heel, toe and foot-frame origin (heel bottom) from the hip (metres)."""
    lt, ls = p.seg("thigh"), p.seg("shank")
    _, ankle_f, heel_f, toe_f = _foot_geometry(p)
    th, kr, pr = np.radians(thigh_deg), np.radians(knee_deg), np.radians(pitch_deg)
    hip = np.asarray(hip_xy, dtype=float)
    knee = hip + lt * np.stack([np.sin(th), -np.cos(th)], axis=-1)
    ankle = knee + ls * np.stack([np.sin(th - kr), -np.cos(th - kr)], axis=-1)
    shape = ankle.shape
    origin = ankle - rotate(np.broadcast_to(ankle_f, shape), pr)
    heel = origin + rotate(np.broadcast_to(heel_f, shape), pr)
    toe = origin + rotate(np.broadcast_to(toe_f, shape), pr)
    return {"knee": knee, "ankle": ankle, "heel": heel, "toe": toe, "origin": origin}


def _clear_swing_foot(p, phase, d, thigh, knee, pitch, hip_x, hip_y, clearance_m=0.012):
    """Add (or remove) swing knee flexion where the swing foot would dip into the belt.

    The required clearance ramps from 0 at TO and IC to ``clearance_m`` within 10 % of
    the swing; the correction is smoothed so the knee curve stays smooth.
    """
    from scipy.ndimage import gaussian_filter1d

    sw = phase >= d
    w = np.clip((phase - d) / (1 - d), 0, 1)
    need = clearance_m * np.clip(np.minimum(w, 1 - w) / 0.1, 0, 1) * sw
    hip = np.stack([hip_x, hip_y], axis=1)
    knee = knee.copy()
    for _ in range(6):
        pts = leg_points(p, hip, thigh, knee, pitch)
        low = np.minimum(pts["origin"][:, 1], pts["toe"][:, 1])
        deficit = np.clip(need - low, 0, None)
        if deficit.max() < 1e-4:
            break
        pts2 = leg_points(p, hip, thigh, knee + 1.0, pitch)
        low2 = np.minimum(pts2["origin"][:, 1], pts2["toe"][:, 1])
        slope = low2 - low  # metres per degree of knee flexion
        slope = np.where(np.abs(slope) < 2e-3, np.sign(slope + 1e-12) * 2e-3, slope)
        dk = np.clip(deficit / slope, -15, 15)
        dk = gaussian_filter1d(dk * 1.3, sigma=len(phase) * 0.015, mode="wrap")
        knee = knee + dk * sw * np.clip(np.minimum(w, 1 - w) / 0.05, 0, 1)
    return knee


def _pelvis_x(p: RunnerParams, phase: np.ndarray, lag: float) -> np.ndarray:
    """Pelvis fore-aft position (treadmill frame, zero mean) from the velocity knots.

    The velocity over a step is a blend of the normal profile (shifted a little later
    with the fault) and the fault profile, weights 1 - lag and lag; each profile is a
    periodic spline through its knots, zero-mean and scaled to a unit peak.
    """
    m = 4000
    s = np.arange(m) / m

    def profile(knots, shift=0.0):
        k = np.array(knots, dtype=float)
        kp = np.r_[k[:, 0] + shift, 1.0 + shift]
        kv = np.r_[k[:, 1], k[0, 1]]
        v = CubicSpline(kp, kv, bc_type="periodic")((s - shift) % 1.0 + shift)
        v -= v.mean()
        return v / np.abs(v).max()

    v = (1 - lag) * profile(PELVIS_V_KNOTS_NORMAL, PELVIS_V_NORMAL_SHIFT * lag) + lag * profile(
        PELVIS_V_KNOTS_LAG, PELVIS_V_LAG_SHIFT * (lag - 1.0)
    )
    v *= p.pelvis_velocity_amp_frac * p.speed_m_s
    x = np.cumsum(v) * (p.stride_time_s / 2) / m
    x -= x.mean()
    return np.interp((2 * phase) % 1.0, s, x, period=1.0)
