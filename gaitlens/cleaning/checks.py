"""Checks of what the clip shows: a side view, and running rather than walking or standing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from ..schema import SIDES
from ..signals import runs


@dataclass
class ViewCheck:
    """Side-view score from the lateral extent of the body in the image, in leg lengths.

    In a side view the shoulders and hips nearly overlap (shoulder width projects to
    almost nothing) and the foot appears long (heel to toe about 0.25 leg lengths); in a
    front view the shoulders are about 0.45 leg lengths apart (shoulder width 0.259 H,
    leg 0.491 H: Winter 2009) and the feet look short. Score = 1 - shoulder spread /
    ``front_shoulder_legs``, clipped to 0..1. ``verdict``: ``front`` below ``min_score``
    (no running metrics), ``oblique`` below ``warn_score`` (less reliable), else ``side``;
    the fault confidence reads the verdict (the limits live only here)."""

    front_shoulder_legs: float = 0.45
    min_score: float = 0.35
    warn_score: float = 0.6

    def score(self, img: dict, leg_px: float) -> dict:
        sh = np.abs(img["left_shoulder"][:, 0] - img["right_shoulder"][:, 0]) / leg_px
        hip = np.abs(img["left_hip"][:, 0] - img["right_hip"][:, 0]) / leg_px
        foot = (
            np.nanmedian(
                [np.abs(img[f"{s}_foot_index"][:, 0] - img[f"{s}_heel"][:, 0]) for s in SIDES]
            )
            / leg_px
        )
        shm = float(np.nanmedian(sh))
        sc = float(np.clip(1 - shm / self.front_shoulder_legs, 0, 1))
        verdict = "front" if sc < self.min_score else "oblique" if sc < self.warn_score else "side"
        return {
            "side_view_score": sc,
            "verdict": verdict,
            "shoulder_spread_legs": shm,
            "hip_spread_legs": float(np.nanmedian(hip)),
            "foot_length_legs": float(foot),
        }


@dataclass
class CameraYaw:
    """How far the camera is turned from the side view about the vertical axis (yaw),
    estimated from the pose alone, and what that does to the judgement.

    Cue: in a side view the far shoulder hides behind the near one. With the camera
    turned towards the runner's front the far shoulder appears ahead of the near one in
    the direction of travel; turned towards the back, behind it; geometrically by the
    shoulder width x sin(yaw) (0.40 leg lengths per unit of sin(yaw) for the synthetic
    body). Feature: the clip median of (far - near shoulder) along the direction of
    travel, in leg lengths (``shoulder_offset_legs``; analysis frame, after the leg-swap
    repair and the near-leg labelling). MediaPipe does not follow the geometry: it puts
    the far shoulder about 0.05 leg lengths behind in a true side view, hardly moves it
    for the first 10 deg towards the front and saturates towards the back beyond about
    20 deg. So the offset is read through a calibration curve (``offsets_legs`` ->
    ``angles_deg``, linear between the knots): the mean offset of 4 rendered runners
    (bench/camera_angle.py) at each camera angle from -30 to +30 deg; the +-45 deg knots
    extend the +-30 deg ones by the geometry (0.40 x (sin 45 - sin 30) = 0.082 legs),
    because at 45 deg MediaPipe's far shoulder flips from frame to frame and its median
    means nothing. In that case (the unsigned spread, median |far - near|, exceeds the
    median's magnitude by more than ``flip_legs``) the magnitude is also read from the
    spread through the back half of the curve (the steeper one) and the larger one is
    kept; the direction is then ``unclear``. Measured error (leave-one-runner-out,
    |yaw| <= 30 deg): 3.7 deg RMS (``error_deg`` rounds it up), docs/robustness.md.
    The one real side-view clip reads 8 deg towards the back (MediaPipe's side-view bias
    is larger on real video than on the renders). The curve is MediaPipe's
    (``calibrated_backends``); tracks from any other source (true keypoints of the
    synthetic runner, motion-capture projections) are read with the geometry itself,
    offset = ``geometric_legs`` x sin(yaw).

    ``warn_deg`` / ``refuse_deg`` apply to the estimated magnitude. The camera angles at
    which the per-frame hip, thigh and knee angles' error from the camera exceeds their
    stated accuracy (README, docs/kinematics.md) and twice it are ``warn_true_deg`` and
    ``refuse_true_deg`` (projection of the same runners, docs/robustness.md); the
    thresholds on the estimate sit lower by about the estimate's error, so every render
    at 20 deg gets the warning and none at 10 deg does. ``verdict``: ``side``, ``warn``
    (a warning; findings at most medium confidence) or ``refuse`` (findings not judged:
    low confidence with the reason)."""

    offsets_legs: tuple = (-0.280, -0.198, -0.177, -0.103, -0.046, -0.002, 0.115, 0.260, 0.342)
    angles_deg: tuple = (-45.0, -30.0, -20.0, -10.0, 0.0, 10.0, 20.0, 30.0, 45.0)
    calibrated_backends: tuple = ("mediapipe", "mediapipe-legacy")
    #: shoulder width / leg length: 0.34 m / 0.86 m for the synthetic body (biacromial
    #: about 0.2 x height, leg 0.491 x height: Winter 2009)
    geometric_legs: float = 0.40
    warn_deg: float = 15.0
    refuse_deg: float = 25.0
    #: true camera angles the thresholds stand for (measured, docs/robustness.md)
    warn_true_deg: float = 20.0
    refuse_true_deg: float = 29.0
    #: root mean square error of the estimate on the renders (deg)
    error_deg: float = 4.0
    #: spread minus |median offset| beyond which the far shoulder is taken to flip sides
    #: between frames (45 deg renders: 0.08-0.29 legs; every other clip, real side
    #: view included, below 0.03)
    flip_legs: float = 0.05
    min_frames: int = 10

    def curve(self, backend: str = "mediapipe") -> tuple:
        """(offsets in leg lengths, angles in deg) for tracks of ``backend``."""
        if backend in self.calibrated_backends:
            return tuple(self.offsets_legs), tuple(self.angles_deg)
        ang = np.linspace(-90.0, 90.0, 37)
        return tuple(self.geometric_legs * np.sin(np.radians(ang))), tuple(ang)

    def estimate(self, pts: dict, near: str, leg_px: float, backend: str = "mediapipe") -> dict:
        """``camera_yaw_deg`` (+ towards the runner's front, - towards the back),
        ``camera_yaw_abs_deg``, ``camera_yaw_direction`` (front / back / unclear),
        ``camera_yaw_verdict`` and the features behind them. ``pts``: analysis-frame
        points (x = direction of travel) with the near/far labels settled."""
        far = "right" if near == "left" else "left"
        nan = float("nan")
        out = {
            "camera_yaw_deg": nan,
            "camera_yaw_abs_deg": nan,
            "camera_yaw_direction": "unknown",
            "camera_yaw_verdict": "unknown",
            "camera_yaw_error_deg": self.error_deg,
            "camera_yaw_warn_deg": self.warn_deg,
            "camera_yaw_refuse_deg": self.refuse_deg,
            "shoulder_offset_legs": nan,
            "shoulder_offset_spread_legs": nan,
        }
        a, b = pts.get(f"{far}_shoulder"), pts.get(f"{near}_shoulder")
        if a is None or b is None or not (np.isfinite(leg_px) and leg_px > 0):
            return out
        d = (a[:, 0] - b[:, 0]) / leg_px
        d = d[np.isfinite(d)]
        if len(d) < self.min_frames:
            return out
        off, spread = float(np.median(d)), float(np.median(np.abs(d)))
        out.update(self.from_offsets(off, spread, backend))
        return out

    def from_offsets(self, off: float, spread: float, backend: str = "mediapipe") -> dict:
        """The estimate from the clip's median shoulder offset and unsigned spread (leg
        lengths), read through ``backend``'s curve; see the class docstring."""
        xp, fp = (np.asarray(v, float) for v in self.curve(backend))
        signed = float(np.interp(off, xp, fp))
        bias = float(np.interp(0.0, fp, xp))  # the offset of a square side view
        mag, direction = abs(signed), "front" if signed >= 0 else "back"
        if spread - abs(off) > self.flip_legs:  # the far shoulder flips between frames
            from_spread = abs(float(np.interp(min(-spread, bias), xp, fp)))
            if from_spread > mag:
                mag, direction = from_spread, "unclear"
        verdict = "refuse" if mag >= self.refuse_deg else "warn" if mag >= self.warn_deg else "side"
        return {
            "camera_yaw_deg": -mag if direction == "back" else mag,
            "camera_yaw_abs_deg": mag,
            "camera_yaw_direction": direction,
            "camera_yaw_verdict": verdict,
            "shoulder_offset_legs": off,
            "shoulder_offset_spread_legs": spread,
        }

    @staticmethod
    def direction_text(direction: str) -> str:
        """Plain words for ``camera_yaw_direction``."""
        return {
            "front": "towards the runner's front",
            "back": "towards the runner's back",
        }.get(direction, "towards the runner's front or back")


@dataclass
class ActivityClassifier:
    """Running vs walking from the hip's vertical motion against the feet's spread.

    In walking the body vaults over a stiff stance leg (inverted pendulum): the hip is
    highest at midstance, when the feet are together, and lowest in double support, when
    they are furthest apart. In running the leg acts as a spring (spring-mass model,
    Blickhan 1989; Cavagna et al. 1977): the hip is lowest at midstance (feet together)
    and highest in flight (feet apart). The sign of the correlation between the
    band-passed hip height and the horizontal foot spread separates the two; the step
    frequency (walking about 1.6-2.1 Hz, running 2.5-3.3 Hz) is a second cue. Standing:
    the feet barely move. The share of frames with both feet on the ground (double
    support, walking only) is a third cue. Only the longest stretch in which the pose
    model stays on one person is used."""

    min_corr: float = 0.15
    walk_max_step_hz: float = 2.2
    stand_max_spread_legs: float = 0.15

    max_jump_legs: float = 0.5
    double_support_walk: float = 0.1
    contact_height_legs: float = 0.04

    def longest_segment(self, pts: dict, leg_px: float) -> slice:
        """Longest run of frames in which the hip midpoint moves less than
        ``max_jump_legs`` per frame (the pose model stays on one person)."""
        hip = 0.5 * (pts["left_hip"] + pts["right_hip"])
        ok = np.isfinite(hip).all(axis=1)
        step = np.r_[0.0, np.linalg.norm(np.diff(hip, axis=0), axis=1)] / leg_px
        good = ok & ~(step > self.max_jump_legs)
        starts, ends = runs(good)
        if len(starts) == 0:
            return slice(0, 0)
        k = int(np.argmax(ends - starts))
        return slice(int(starts[k]), int(ends[k]))

    def classify(self, pts: dict, fs: float, leg_px: float) -> dict:
        seg = self.longest_segment(pts, leg_px)
        n_all = len(pts["left_hip"])
        pts = {k: v[seg] for k, v in pts.items()}
        hip = 0.5 * (pts["left_hip"][:, 1] + pts["right_hip"][:, 1])
        foot = {s: 0.5 * (pts[f"{s}_ankle"][:, 0] + pts[f"{s}_heel"][:, 0]) for s in SIDES}
        spread = np.abs(foot["left"] - foot["right"]) / leg_px
        ok = np.isfinite(hip) & np.isfinite(spread)
        out = {"hip_spread_corr": float("nan"), "step_hz": float("nan"),
               "foot_spread_range_legs": float("nan"), "double_support_fraction": float("nan"),
               "segment_fraction": (seg.stop - seg.start) / max(1, n_all)}  # fmt: skip
        if ok.sum() < max(10, fs):
            return {**out, "activity": "unknown"}
        idx = np.arange(len(hip))
        h = np.interp(idx, idx[ok], hip[ok])
        sp = np.interp(idx, idx[ok], spread[ok])
        lo, hi = 0.8, min(6.0, 0.45 * fs)
        sos = butter(2, [lo, hi], btype="band", fs=fs, output="sos")
        hb = sosfiltfilt(sos, h)
        sb = sosfiltfilt(sos, sp)
        corr = float(np.corrcoef(hb, sb)[0, 1])
        # step frequency: spectral peak of the spread (one cycle per step)
        f = np.fft.rfftfreq(len(sb), 1 / fs)
        pw = np.abs(np.fft.rfft(sb * np.hanning(len(sb)))) ** 2
        band = (f >= 1.0) & (f <= 4.5)
        step_hz = float(f[band][np.argmax(pw[band])]) if band.any() else float("nan")
        rng = float(np.nanpercentile(spread, 95) - np.nanpercentile(spread, 5))
        # both feet on the ground: walking has double support (about 20 % of the cycle at
        # usual speeds, Perry 1992), running has none
        low = []
        for s in SIDES:
            y = np.fmin(pts[f"{s}_heel"][:, 1], pts[f"{s}_foot_index"][:, 1])
            low.append((y - np.nanpercentile(y, 10)) / leg_px < self.contact_height_legs)
        ds = float(np.mean(low[0] & low[1]))
        out.update(hip_spread_corr=corr, step_hz=step_hz, foot_spread_range_legs=rng,
                   double_support_fraction=ds)  # fmt: skip
        if rng < self.stand_max_spread_legs:
            act = "standing"
        elif corr > self.min_corr and ds < self.double_support_walk:
            act = "running"
        elif corr < -self.min_corr and ds >= 0.5 * self.double_support_walk:
            act = "walking"
        else:
            votes = (
                (ds >= self.double_support_walk)
                + (step_hz < self.walk_max_step_hz)
                + (corr < 0)
            )  # fmt: skip
            act = "walking" if votes >= 2 else "running"
            out["ambiguous"] = True
        return {**out, "activity": act}
