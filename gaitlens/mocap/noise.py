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

from ..pose.skeleton import INDEX, LEG_POINTS

_LEG = {side: [INDEX[f"{side}_{p}"] for p in LEG_POINTS] for side in ("left", "right")}


@dataclass
class PoseNoise:
    """Noise levels; lengths in leg-length-free units: pixels are scaled by ``px_per_m``.

    jitter_near_m / jitter_far_m : SD of white position noise (metres in the sagittal
        plane, converted with px_per_m), near and far leg; upper body uses the near value.
    jitter_corr_frames : the noise is smoothed by a moving average over this many frames
        (MediaPipe's own landmark smoothing makes its error correlated in time).
    far_visibility : visibility given to far-leg points (MediaPipe reports low values).
    dropout_rate_per_s, dropout_len_s : whole-body NaN runs (detector lost the person).
    far_dropout_rate_per_s : NaN runs of the far leg only.
    swap_rate_per_s, swap_len_s : left/right leg swap episodes (all leg points of both
        sides exchanged), mean rate and mean length (exponential lengths, >= 1 frame).
    """

    jitter_near_m: float = 0.006
    jitter_far_m: float = 0.012
    jitter_corr_frames: int = 1
    far_visibility: float = 0.55
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
        sd = np.full(xy.shape[1], self.jitter_near_m * px_per_m)
        sd[_LEG[far]] = self.jitter_far_m * px_per_m
        e = rng.normal(size=xy.shape)
        k = max(1, int(self.jitter_corr_frames))
        if k > 1:
            from scipy.ndimage import uniform_filter1d

            e = uniform_filter1d(e, size=k, axis=0, mode="nearest") * np.sqrt(k)
        xy = xy + e * sd[None, :, None]
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
