"""Filters and resampling of point tracks: zero-lag low-pass and the uniform time grid
for variable-frame-rate clips."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from ..io.track import PoseTrack
from ..signals import runs
from .track import CleanTrack


def interp_rows(t_src: np.ndarray, a: np.ndarray, t_dst: np.ndarray, max_dt: float = np.inf):
    """Linear interpolation of ``a`` (n, ...) from times ``t_src`` to ``t_dst`` along
    axis 0. NaN-aware: a value is NaN unless both bracketing samples are finite (or
    ``t_dst`` hits a finite sample exactly); intervals longer than ``max_dt`` are not
    bridged. Outside the source range the end samples are held."""
    a = np.asarray(a, dtype=float)
    t_src = np.asarray(t_src, dtype=float)
    t_dst = np.asarray(t_dst, dtype=float)
    n = len(t_src)
    if n == 1:
        return np.repeat(a, len(t_dst), axis=0)
    j = np.clip(np.searchsorted(t_src, t_dst, side="right"), 1, n - 1)
    i = j - 1
    span = t_src[j] - t_src[i]
    w = np.clip((t_dst - t_src[i]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    wr = w.reshape((-1,) + (1,) * (a.ndim - 1))
    with np.errstate(invalid="ignore"):
        out = (1.0 - wr) * a[i] + wr * a[j]
    out = np.where(wr == 0, a[i], np.where(wr == 1, a[j], out))
    bridge = (span > max_dt) & (w > 0) & (w < 1)
    out[bridge] = np.nan
    return out


@dataclass
class UniformResampler:
    """Variable frame rate (phones): Butterworth and Hampel filters, gradients with a
    fixed step and the swap repair's constant-velocity prediction all assume evenly
    spaced samples; on irregular timestamps they distort timing (a phone-like clip gave
    182 instead of about 170 steps/min). When the frame intervals are irregular (any
    interval further than ``max_deviation`` x the median interval, and at least
    ``min_deviation_s``, from the median: rounding of container timestamps to 1 ms stays
    below that), the track is linearly interpolated onto a uniform grid at the median
    frame rate, cleaned there, and mapped back to the input frames; intervals longer
    than ``max_bridge_s`` are not bridged (left as gaps)."""

    max_deviation: float = 0.05
    min_deviation_s: float = 0.0015
    max_bridge_s: float = 0.15
    enabled: bool = True

    def irregular(self, t: np.ndarray) -> bool:
        if not self.enabled or len(t) < 3:
            return False
        dt = np.diff(np.asarray(t, dtype=float))
        med = float(np.median(dt))
        tol = max(self.max_deviation * med, self.min_deviation_s)
        return bool(np.max(np.abs(dt - med)) > tol)

    def grid(self, t: np.ndarray) -> np.ndarray:
        # the median rate, or the mean rate when frames are dropped in a regular pattern
        # (60 fps with every third frame missing: median interval 1/30 s, mean 1/40 s)
        med = min(float(np.median(np.diff(t))), (t[-1] - t[0]) / (len(t) - 1))
        n = int(np.floor((t[-1] - t[0]) / med + 1e-6)) + 1
        return t[0] + med * np.arange(n)

    def to_grid(self, track: PoseTrack) -> PoseTrack:
        t = track.time_s
        tg = self.grid(t)
        xy = interp_rows(t, track.xy_px, tg, self.max_bridge_s)
        vis = interp_rows(t, np.where(np.isfinite(track.xy_px).all(axis=2),
                                      track.visibility, np.nan), tg, self.max_bridge_s)  # fmt: skip
        near = np.clip(np.searchsorted(t, tg), 0, len(t) - 1)
        prev = np.clip(near - 1, 0, len(t) - 1)
        near = np.where(np.abs(t[prev] - tg) < np.abs(t[near] - tg), prev, near)
        return track.copy(
            time_s=tg,
            xy_px=xy,
            visibility=np.nan_to_num(vis, nan=0.0),
            silhouette=None if track.silhouette is None else track.silhouette[near],
            n_people=None if track.n_people is None else track.n_people[near],
        )

    def to_frames(self, cg: CleanTrack, track: PoseTrack) -> CleanTrack:
        """The grid-cleaned track ``cg`` at the input frames' times (per-frame outputs
        keep referring to the input frames); ``uniform`` keeps ``cg`` for events."""
        t, tg = track.time_s, cg.time_s
        back = lambda a: interp_rows(tg, a, t)  # noqa: E731
        near = np.clip(np.round((t - tg[0]) / (tg[1] - tg[0])).astype(int), 0, len(tg) - 1)
        swapped = np.zeros(len(tg), dtype=bool)
        swapped[cg.swaps_repaired] = True
        raw_missing = {
            name: ~np.isfinite(track.point(name)).all(axis=1) for name in cg.points_unfiltered
        }
        unf = {k: back(v) for k, v in cg.points_unfiltered.items()}
        interp = {
            k: cg.interpolated[k][near] | (raw_missing[k] & np.isfinite(unf[k]).all(axis=1))
            for k in cg.interpolated
        }
        dt = np.diff(t)
        q = dict(cg.quality)
        q.update(resampled_to_uniform_hz=float(cg.sampling_rate_hz),
                 frame_interval_range_s=(float(dt.min()), float(dt.max())))  # fmt: skip
        warn = list(cg.warnings) + [
            f"irregular frame timing (variable frame rate, intervals {1000 * dt.min():.0f}-"
            f"{1000 * dt.max():.0f} ms): cleaned and timed on a uniform "
            f"{cg.sampling_rate_hz:.1f} fps grid"
        ]
        return dataclasses.replace(
            cg,
            time_s=t.copy(),
            sampling_rate_hz=track.sampling_rate_hz,
            points={k: back(v) for k, v in cg.points.items()},
            visibility={k: np.nan_to_num(back(v), nan=0.0) for k, v in cg.visibility.items()},
            swaps_repaired=np.flatnonzero(swapped[near]),
            warnings=warn,
            quality=q,
            silhouette=None if track.silhouette is None else track.silhouette.copy(),
            points_unfiltered=unf,
            interpolated=interp,
            uniform=cg,
        )


@dataclass
class LowPass:
    """Zero-lag Butterworth low-pass (scipy.signal.butter + sosfiltfilt; Winter 2009,
    ch. 3). Running keypoints: 6-12 Hz (Pose2Sim/Sports2D defaults, BIOMECHANICS.md 8).
    The cutoff is ``cutoff_hz`` capped at ``max_fraction_nyquist`` of the Nyquist
    frequency so that it scales down at low frame rates. Applied to each finite run
    long enough for the filter's padding; shorter runs are left as they are."""

    cutoff_hz: float = 10.0
    order: int = 2
    max_fraction_nyquist: float = 0.6

    def cutoff_for(self, fs: float) -> float:
        return float(min(self.cutoff_hz, self.max_fraction_nyquist * fs / 2))

    def apply(self, xy: np.ndarray, fs: float) -> np.ndarray:
        sos = butter(self.order, self.cutoff_for(fs), fs=fs, output="sos")
        out = xy.copy()
        ok = np.isfinite(xy).all(axis=1)
        starts, ends = runs(ok)
        pad = 3 * (2 * len(sos) + 1)
        for s0, e0 in zip(starts, ends):  # finite segments, not frames
            if e0 - s0 > pad:
                out[s0:e0] = sosfiltfilt(sos, xy[s0:e0], axis=0)
        return out
