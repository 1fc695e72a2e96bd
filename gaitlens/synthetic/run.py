"""``simulate(params) -> SyntheticRun``: the model sampled at the video's frames.

Holds the truth per frame in the analysis frame (x = direction of travel, y up,
metres, treadmill frame with the belt surface at y = 0) and in image pixels (pinhole
camera looking at the runner's side), the events per foot, the per-stride truth and
``to_pose_track`` (BlazePose-ordered landmarks straight from the truth, no rendering).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from ..schema import SIDES
from .model import Cycle, RunnerParams, build_cycle, leg_points, rotate, smoothstep

LEG_PTS = ("hip", "knee", "ankle", "heel", "toe")
ARM_PTS = ("shoulder", "elbow", "wrist", "index", "pinky", "thumb")
FACE_PTS = ("eye_inner", "eye", "eye_outer", "ear", "mouth")

# Bell et al. 1989 (J Biomech 22:473): hip centre 19 % PW posterior, 30 % PW inferior of
# the ASIS midpoint; PW (inter-ASIS width) about 0.137 x height. ASIS-PSIS distance
# about 0.09 x height (pelvic depth ~ 16 cm for 1.75 m; Seidel et al. 1995 J Biomech).
PW_FRAC = 0.137
ASIS_PSIS_FRAC = 0.09


def near_side(facing: str) -> str:
    """The side of the body that faces the camera: a runner travelling image-right shows
    the camera their right side (as a car driving to your right shows you its right
    side); travelling image-left, their left side."""
    return "right" if facing == "right" else "left"


@dataclass
class Camera:
    """Pinhole camera. Analysis-frame metres + depth (m, + away) -> pixels.

    At ``yaw_deg = pitch_deg = 0`` it looks straight at the runner's side: the optical
    axis is horizontal at ``height_m``, perpendicular to the direction of travel, and
    ``distance_m`` from the body's sagittal plane (depth 0). A turned camera orbits the
    runner at the same distance, still aimed at the point ``(x_m, height_m)`` of that
    plane: ``yaw_deg`` about the vertical axis (> 0: towards the runner's front, the
    chest and face come into view; < 0: towards the back), then ``pitch_deg`` about the
    horizontal image axis (> 0: the camera is raised and looks down; < 0: lowered,
    looking up). The body stays where it is: its truth (sagittal angles) does not
    depend on the camera."""

    width_px: int
    height_px: int
    focal_px: float
    distance_m: float
    height_m: float  # camera height above the belt (of the aim point when pitched)
    x_m: float  # analysis-frame x on the optical axis
    facing: str
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0

    @property
    def turned(self) -> bool:
        return bool(self.yaw_deg or self.pitch_deg)

    def camera_frame(self, xy_m: np.ndarray, z_m=0.0):
        """Points in the camera's frame, relative to the aim point: (across, up, depth),
        metres; ``depth`` + away from the camera (0 at the aim point)."""
        xy_m = np.asarray(xy_m, dtype=float)
        dx = xy_m[..., 0] - self.x_m
        dy = xy_m[..., 1] - self.height_m
        dz = np.broadcast_to(np.asarray(z_m, dtype=float), dx.shape)
        if not self.turned:
            return dx, dy, dz
        a, b = np.radians(self.yaw_deg), np.radians(self.pitch_deg)
        # yaw: the direction of travel turns towards the camera (depth -sin), the
        # body's far side moves forward (+sin); then pitch about the across axis
        across = np.cos(a) * dx + np.sin(a) * dz
        z1 = -np.sin(a) * dx + np.cos(a) * dz
        up = np.cos(b) * dy + np.sin(b) * z1
        depth = -np.sin(b) * dy + np.cos(b) * z1
        return across, up, depth

    def project(self, xy_m: np.ndarray, z_m=0.0) -> np.ndarray:
        sgn = 1.0 if self.facing == "right" else -1.0
        if not self.turned:  # the side camera (kept operation for operation)
            xy_m = np.asarray(xy_m, dtype=float)
            depth = self.distance_m + np.asarray(z_m, dtype=float)
            s = self.focal_px / depth
            u = 0.5 * self.width_px + sgn * s * (xy_m[..., 0] - self.x_m)
            v = 0.5 * self.height_px - s * (xy_m[..., 1] - self.height_m)
            return np.stack([u, v], axis=-1)
        across, up, depth = self.camera_frame(xy_m, z_m)
        s = self.focal_px / (self.distance_m + depth)
        u = 0.5 * self.width_px + sgn * s * across
        v = 0.5 * self.height_px - s * up
        return np.stack([u, v], axis=-1)

    def px_per_m(self, z_m=0.0, xy_m=None) -> float:
        """Image scale at depth offset ``z_m`` (at the point ``xy_m`` when the camera is
        turned, where depth depends on the position too)."""
        if not self.turned or xy_m is None:
            return self.focal_px / (self.distance_m + z_m)
        depth = self.camera_frame(xy_m, z_m)[2]
        return self.focal_px / (self.distance_m + depth)


class ProjectedRun:
    """What every rendered run (parametric or mocap-driven) shares: the side-camera
    projection of its points and the truth table. Needs ``params``, ``camera``,
    ``time_s``, ``points_m``, ``depth_m`` and ``leg_length_m``."""

    @property
    def n_frames(self) -> int:
        return len(self.time_s)

    @property
    def near_side(self) -> str:
        return near_side(self.params.facing)

    def points_px(self) -> dict:
        return {k: self.camera.project(v, self.depth_m[k]) for k, v in self.points_m.items()}

    def leg_length_px(self) -> float:
        return self.leg_length_m * self.camera.px_per_m(self.depth_m[f"{self.near_side}_hip"])

    def truth_frame(self) -> pd.DataFrame:
        """Per-frame truth: signals plus every point in metres and pixels."""
        from .truth import per_frame_table

        return per_frame_table(self)


@dataclass
class SyntheticRun(ProjectedRun):
    params: RunnerParams
    cycle: Cycle
    camera: Camera
    time_s: np.ndarray
    phase: np.ndarray  # stride phase of the right leg per frame (0 = right IC)
    points_m: dict  # name -> (n, 2) analysis frame
    depth_m: dict  # name -> float depth offset (+ away from the camera)
    signals: pd.DataFrame  # per-frame angles etc. (units in names)
    events: pd.DataFrame  # side, event (IC/TO), time_s, frame
    strides: pd.DataFrame  # per-stride truth, one row per complete stride per side

    @property
    def leg_length_m(self) -> float:
        return self.params.leg_length_m

    @property
    def lordosis_m(self) -> float:
        return self.cycle.lordosis_m

    @property
    def regimes(self) -> list:
        """``[(start_s, params, cycle)]``: one entry per form regime (one without
        ``params.changes``)."""
        if not hasattr(self, "_regimes"):
            self._regimes = [(t, rp, build_cycle(rp)) for t, rp in self.params.regimes()]
            self._regimes[0] = (self._regimes[0][0], self._regimes[0][1], self.cycle)
        return self._regimes

    def sample(self, time_s: np.ndarray):
        """Body points and signals at arbitrary times (for motion-blur sub-frames)."""
        pts, _, sig = blended_body_points(self.params, self.regimes, np.asarray(time_s, float))
        return pts, sig

    def to_pose_track(
        self, noise_px: float = 0.0, seed: Optional[int] = None, far_visibility: float = 0.6
    ):
        """BlazePose-ordered landmarks straight from the truth (no rendering, no model).

        ``noise_px`` adds white Gaussian noise (pixels, seeded) to every landmark; the
        far side gets ``far_visibility``, the near side 0.95.
        """
        from ..io.track import PoseTrack
        from ..pose.skeleton import LANDMARK_NAMES

        px = self.points_px()
        name_map = {"nose": "nose", "left_foot_index": "left_toe", "right_foot_index": "right_toe"}
        for s in SIDES:
            for q in (
                "eye_inner",
                "eye",
                "eye_outer",
                "ear",
                "shoulder",
                "elbow",
                "wrist",
                "pinky",
                "index",
                "thumb",
                "hip",
                "knee",
                "ankle",
                "heel",
            ):
                name_map[f"{s}_{q}"] = f"{s}_{q}"
            name_map[f"mouth_{s}"] = f"{s}_mouth"
        n = self.n_frames
        xy = np.stack([px[name_map[nm]] for nm in LANDMARK_NAMES], axis=1)
        if noise_px > 0:
            rng = np.random.default_rng(self.params.seed if seed is None else seed)
            xy = xy + rng.normal(0.0, noise_px, xy.shape)
        far = "right" if self.near_side == "left" else "left"
        vis = np.full((n, len(LANDMARK_NAMES)), 0.95)
        for j, nm in enumerate(LANDMARK_NAMES):
            if nm.startswith(far) or nm.endswith(far):
                vis[:, j] = far_visibility
        w, h = self.params.image_size_px
        return PoseTrack(
            time_s=self.time_s.copy(),
            xy_px=xy,
            visibility=vis,
            frame_size_px=(w, h),
            video={
                "path": "",
                "width_px": w,
                "height_px": h,
                "nominal_fps": self.params.fps,
                "synthetic": True,
            },
            backend={"name": "synthetic-truth", "noise_px": noise_px},
        )


def make_camera(p: RunnerParams, x_m: float = 0.0) -> Camera:
    w, h = p.image_size_px
    f = p.runner_height_frac * h * p.camera_distance_m / p.height_m
    return Camera(
        w,
        h,
        f,
        p.camera_distance_m,
        p.camera_height_m,
        x_m,
        p.facing,
        float(p.camera_yaw_deg),
        float(p.camera_pitch_deg),
    )


def _periodic(cyc_phase, values, phase):
    """Sample a cycle array at arbitrary stride phases (periodic linear interpolation)."""
    return np.interp(np.mod(phase, 1.0), cyc_phase, values, period=1.0)


def body_points(p: RunnerParams, cyc: Cycle, phase: np.ndarray):
    """All body points (analysis frame, metres) and signals at the given right-leg phases."""
    H = p.height_m
    hip = np.stack(
        [_periodic(cyc.phase, cyc.hip_x_m, phase), _periodic(cyc.phase, cyc.hip_y_m, phase)], axis=1
    )
    lean = _periodic(cyc.phase, cyc.trunk_lean_deg, phase)
    tilt = _periodic(cyc.phase, cyc.pelvic_tilt_deg, phase)
    pts, depth, sig = {}, {}, {}
    near = near_side(p.facing)
    hw = 0.09 * H / 1.75
    thighs = {}
    for s in SIDES:
        ph = phase if s == "right" else phase - 0.5
        th = _periodic(cyc.phase, cyc.thigh_deg, ph)
        kn = _periodic(cyc.phase, cyc.knee_deg, ph)
        fp = _periodic(cyc.phase, cyc.foot_pitch_deg, ph)
        thighs[s] = th
        legs = leg_points(p, hip, th, kn, fp)
        sgn = -1.0 if s == near else 1.0
        pts[f"{s}_hip"] = hip.copy()
        depth[f"{s}_hip"] = sgn * hw
        for q in ("knee", "ankle", "heel", "toe"):
            pts[f"{s}_{q}"] = legs[q]
            depth[f"{s}_{q}"] = sgn * hw
        pts[f"{s}_sole"] = legs["origin"]  # heel bottom on the sole (foot-frame origin)
        depth[f"{s}_sole"] = sgn * hw
        shank = th - kn
        foot_vec = legs["toe"] - legs["heel"]
        foot = np.degrees(np.arctan2(foot_vec[:, 0], -foot_vec[:, 1]))
        sig[f"{s}_thigh_angle_deg"] = th
        sig[f"{s}_shank_angle_deg"] = shank
        sig[f"{s}_foot_angle_deg"] = foot
        sig[f"{s}_knee_flexion_deg"] = kn
        sig[f"{s}_ankle_dorsiflexion_deg"] = foot - shank - 90.0
        sig[f"{s}_hip_flexion_deg"] = th + lean
        sig[f"{s}_hip_flexion_pelvis_deg"] = th + tilt - p.standing_pelvic_tilt_deg
        sig[f"{s}_foot_pitch_deg"] = fp
        sig[f"{s}_contact"] = (np.mod(ph, 1.0) < cyc.duty).astype(int)
    mean_th = float(np.mean(cyc.thigh_deg))
    upper_body_points(p, hip, lean, thighs, mean_th, near, pts, depth, sig)
    pelvis_points(p, hip, tilt, near, pts, depth)
    sig["trunk_lean_deg"] = lean
    sig["pelvic_tilt_deg"] = tilt
    sig["pelvis_x_m"] = hip[:, 0]
    sig["pelvis_y_m"] = hip[:, 1]
    return pts, depth, sig


def upper_body_points(
    p: RunnerParams,
    hip,
    lean,
    thighs: dict,
    mean_th: float,
    near: str,
    pts: dict,
    depth: dict,
    sig: dict,
) -> None:
    """Trunk, shoulders, arms (swinging opposite the legs), neck, head and face points.

    ``hip`` is the hip-centre midpoint (n, 2), ``lean`` the trunk lean (deg), ``thighs``
    the thigh angles per side (deg). Fills ``pts``, ``depth`` and ``sig`` in place.
    """
    H = p.height_m
    sw_, aw = 0.17 * H / 1.75, 0.20 * H / 1.75
    # trunk, shoulders, arms
    lr = np.radians(lean)
    up = np.stack([np.sin(lr), np.cos(lr)], axis=1)
    sho = hip + p.seg("trunk") * up
    for s in SIDES:
        other = "left" if s == "right" else "right"
        sgn = -1.0 if s == near else 1.0
        ua = p.arm_swing_gain * (thighs[other] - mean_th) - 8.0 + lean * 0.3
        ef = p.elbow_flexion_deg + 12.0 * (thighs[s] - mean_th) / 30.0
        fa = ua + ef
        uar, far_ = np.radians(ua), np.radians(fa)
        elbow = sho + p.seg("upper_arm") * np.stack([np.sin(uar), -np.cos(uar)], axis=1)
        fdir = np.stack([np.sin(far_), -np.cos(far_)], axis=1)
        wrist = elbow + p.seg("forearm") * fdir
        hand = p.seg("hand")
        pts[f"{s}_shoulder"] = sho.copy()
        pts[f"{s}_elbow"] = elbow
        pts[f"{s}_wrist"] = wrist
        pts[f"{s}_index"] = wrist + 0.75 * hand * fdir
        pts[f"{s}_pinky"] = wrist + 0.6 * hand * fdir + rotate(fdir, -np.pi / 2) * 0.02 * H / 1.75
        pts[f"{s}_thumb"] = wrist + 0.4 * hand * fdir + rotate(fdir, np.pi / 2) * 0.025 * H / 1.75
        for q in ARM_PTS:
            depth[f"{s}_{q}"] = sgn * (sw_ if q == "shoulder" else aw)
        sig[f"{s}_upper_arm_angle_deg"] = ua
        sig[f"{s}_elbow_flexion_deg"] = ef
    # head and face: the head is held more upright than the trunk
    hr = np.radians(0.35 * lean)
    hup = np.stack([np.sin(hr), np.cos(hr)], axis=1)
    r = 0.062 * H
    neck_base = sho + 0.35 * p.seg("neck") * up
    head = neck_base + (0.65 * p.seg("neck") + r) * hup
    pts["neck"], depth["neck"] = neck_base, 0.0
    pts["head"], depth["head"] = head, 0.0
    fwd = np.stack([np.cos(hr), -np.sin(hr)], axis=1)  # forward, perpendicular to hup

    def face(a, b):
        return head + r * (a * fwd + b * hup)

    pts["nose"], depth["nose"] = face(1.08, -0.12), 0.0
    for s in SIDES:
        sgn = -1.0 if s == near else 1.0
        pts[f"{s}_eye_inner"] = face(0.86, 0.16)
        pts[f"{s}_eye"] = face(0.78, 0.17)
        pts[f"{s}_eye_outer"] = face(0.68, 0.17)
        pts[f"{s}_ear"] = face(-0.05, 0.02)
        pts[f"{s}_mouth"] = face(0.80, -0.48)
        depth[f"{s}_eye_inner"] = sgn * 0.015 * H / 1.75
        depth[f"{s}_eye"] = sgn * 0.032 * H / 1.75
        depth[f"{s}_eye_outer"] = sgn * 0.045 * H / 1.75
        depth[f"{s}_ear"] = sgn * 0.075 * H / 1.75
        depth[f"{s}_mouth"] = sgn * 0.022 * H / 1.75


def pelvis_points(p: RunnerParams, hip, tilt, near: str, pts: dict, depth: dict) -> None:
    """ASIS and PSIS (sagittal midpoints) rigid with the pelvis at the given tilt (deg)."""
    n = len(hip)
    H = p.height_m
    hw = 0.09 * H / 1.75
    # pelvis landmarks, rigid with the pelvis: ASIS-PSIS line horizontal at tilt 0
    pw = PW_FRAC * H
    asis0 = np.array([0.19 * pw, 0.30 * pw])
    psis0 = asis0 - np.array([ASIS_PSIS_FRAC * H, 0.0])
    tr = -np.radians(tilt)  # anterior tilt rotates the front of the pelvis down
    pts["asis"] = hip + rotate(np.broadcast_to(asis0, (n, 2)), tr)
    pts["psis"] = hip + rotate(np.broadcast_to(psis0, (n, 2)), tr)
    depth["asis"] = -0.8 * hw
    depth["psis"] = -0.35 * hw


def regime_weights(params: RunnerParams, starts, time_s: np.ndarray) -> np.ndarray:
    """``(n_regimes, n)`` weights of each form regime at ``time_s``: a smoothstep over
    ``change_blend_s`` centred on each change; they sum to 1."""
    b = max(float(params.change_blend_s), 1e-9)
    t = np.asarray(time_s, float)
    w = [np.ones_like(t)] + [smoothstep((t - (t0 - b / 2)) / b) for t0 in starts[1:]]
    w.append(np.zeros_like(t))
    return np.stack([w[i] * (1.0 - w[i + 1]) for i in range(len(starts))])


def blended_body_points(p: RunnerParams, regimes: list, time_s: np.ndarray):
    """``body_points`` at ``time_s``, blending the form regimes (``p.changes``)."""
    phase = p.phase_offset + time_s / p.stride_time_s
    if len(regimes) == 1:
        return body_points(p, regimes[0][2], phase)
    a = regime_weights(p, [r[0] for r in regimes], time_s)
    pts, depth, sig = {}, {}, {}
    for k, (_, rp, cyc) in enumerate(regimes):
        pk, dk, sk = body_points(rp, cyc, phase)
        for out, part in ((pts, pk), (sig, sk)):
            for name, v in part.items():
                wk = a[k][:, None] if np.ndim(v) == 2 else a[k]
                out[name] = out.get(name, 0.0) + wk * v
        depth = dk
    for name in list(sig):
        if name.endswith("_contact"):  # the rhythm is the same in every regime
            sig[name] = np.rint(sig[name]).astype(int)
    return pts, depth, sig


def simulate(params: Optional[RunnerParams] = None, **overrides) -> SyntheticRun:
    """Sample the model at ``params.fps`` for ``params.duration_s`` (truth only)."""
    from .truth import events_table, stride_table

    p = params if params is not None else RunnerParams()
    if overrides:
        from dataclasses import replace

        p = replace(p, **overrides)
    cyc = build_cycle(p)
    n = int(round(p.duration_s * p.fps))
    t = np.arange(n) / p.fps
    phase = p.phase_offset + t / p.stride_time_s
    regimes = [(t0, rp, cyc if k == 0 else build_cycle(rp))
               for k, (t0, rp) in enumerate(p.regimes())]  # fmt: skip
    pts, depth, sig = blended_body_points(p, regimes, t)
    signals = pd.DataFrame({"frame": np.arange(n), "time_s": t, "phase_right": phase % 1.0, **sig})
    cam = make_camera(p, x_m=float(np.mean(cyc.hip_x_m)) + 0.02 * p.height_m)
    run = SyntheticRun(p, cyc, cam, t, phase, pts, depth, signals, pd.DataFrame(), pd.DataFrame())
    run._regimes = regimes
    run.events = events_table(run)
    run.strides = stride_table(run)
    return run
