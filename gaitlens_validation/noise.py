"""Pose-model-like perturbations of clean 2-D keypoints (for validation).

``PoseNoise`` adds what MediaPipe BlazePose does to a side view of a runner, at levels
measured on the real clip ``treadmill_side_runner_30fps.mp4`` (see docs/events.md,
"Noise model"): frame-to-frame jitter (residual about a smooth fit), larger on the
far leg; low visibility of the far leg; short dropouts (NaN runs); and left/right leg
swaps lasting a few frames.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from gaitlens.pose.skeleton import INDEX, LEG_POINTS

_LEG = {side: [INDEX[f"{side}_{p}"] for p in LEG_POINTS] for side in ("left", "right")}


@dataclass
class PoseNoise:
    """Noise levels; lengths in leg-length-free units: pixels are scaled by ``px_per_m``.

    jitter_hip_m, jitter_knee_m, jitter_foot_m, jitter_upper_m : SD of white per-frame
        position noise of the near side (metres in the sagittal plane, converted with
        px_per_m); foot = ankle, heel and toe; upper = shoulders and head.
    far_factor : far-leg noise SD = far_factor x near SD.
    outlier_rate, outlier_m : share of foot/knee point-frames with an extra gross error
        (SD outlier_m), the heavy tail of MediaPipe's foot error.
    far_visibility : visibility given to far-leg points (MediaPipe reports low values).
    dropout_rate_per_s, dropout_len_s : whole-body NaN runs (detector lost the person).
    far_dropout_rate_per_s : NaN runs of the far leg only.
    swap_rate_per_s, swap_len_s : left/right leg swap episodes (all leg points of both
        sides exchanged), mean rate and mean length (exponential lengths, >= 1 frame).
    """

    jitter_hip_m: float = 0.005
    jitter_knee_m: float = 0.008
    jitter_foot_m: float = 0.018
    jitter_upper_m: float = 0.004
    far_factor: float = 1.4
    outlier_rate: float = 0.02
    outlier_m: float = 0.08
    far_visibility: float = 0.6
    dropout_rate_per_s: float = 0.05
    dropout_len_s: float = 0.08
    far_dropout_rate_per_s: float = 0.1
    swap_rate_per_s: float = 0.3
    swap_len_s: float = 0.1

    def describe(self) -> dict:
        return asdict(self)

    def _episodes(self, n: int, dt: float, rate: float, mean_len_s: float, rng) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        k = rng.poisson(rate * n * dt)
        if k == 0:
            return mask
        starts = rng.integers(0, n, size=k)
        lens = np.maximum(1, np.round(rng.exponential(mean_len_s / dt, size=k))).astype(int)
        for s0, ln in zip(starts, lens):  # episodes, not frames
            mask[s0 : s0 + ln] = True
        return mask

    def apply(self, xy, vis, time_s, near_side: str, px_per_m: float, rng):
        """Return noisy copies ``(xy, vis, swapped)``; ``swapped`` flags swapped frames."""
        xy = np.array(xy, dtype=float)
        vis = np.array(vis, dtype=float)
        n = len(time_s)
        dt = float(np.median(np.diff(time_s))) if n > 1 else 1 / 30
        far = "left" if near_side == "right" else "right"
        sd = np.full(xy.shape[1], self.jitter_upper_m)
        for side in ("left", "right"):
            f = self.far_factor if side == far else 1.0
            sd[INDEX[f"{side}_hip"]] = self.jitter_hip_m * f
            sd[INDEX[f"{side}_knee"]] = self.jitter_knee_m * f
            for p in ("ankle", "heel", "foot_index"):
                sd[INDEX[f"{side}_{p}"]] = self.jitter_foot_m * f
        xy = xy + rng.normal(size=xy.shape) * (sd * px_per_m)[None, :, None]
        distal = [INDEX[f"{s}_{p}"] for s in ("left", "right")
                  for p in ("knee", "ankle", "heel", "foot_index")]  # fmt: skip
        hit = rng.random((n, len(distal))) < self.outlier_rate
        xy[:, distal] += (
            hit[:, :, None] * rng.normal(size=(n, len(distal), 2)) * (self.outlier_m * px_per_m)
        )
        vis[:, _LEG[far]] = np.minimum(vis[:, _LEG[far]], self.far_visibility)

        swapped = self._episodes(n, dt, self.swap_rate_per_s, self.swap_len_s, rng)
        if swapped.any():
            li, ri = _LEG["left"], _LEG["right"]
            tmp = xy[swapped][:, li].copy()
            xy[np.ix_(swapped, li)] = xy[swapped][:, ri]
            xy[np.ix_(swapped, ri)] = tmp
            tv = vis[swapped][:, li].copy()
            vis[np.ix_(swapped, li)] = vis[swapped][:, ri]
            vis[np.ix_(swapped, ri)] = tv

        far_drop = self._episodes(n, dt, self.far_dropout_rate_per_s, self.dropout_len_s, rng)
        xy[np.ix_(far_drop, _LEG[far])] = np.nan
        vis[np.ix_(far_drop, _LEG[far])] = 0.0
        drop = self._episodes(n, dt, self.dropout_rate_per_s, self.dropout_len_s, rng)
        xy[drop] = np.nan
        vis[drop] = 0.0
        return xy, vis, swapped
