"""The gait rhythm counted in frames, and the check that it is plausible for running in
the clip's time base (a slow-motion clip analysed at its stored frame rate is not).

Everything here is measured in frames and fractions of the step, so it does not depend
on the time base, and on the points as the pose model gave them, so it does not depend
on the leg labels either: the step period from the autocorrelation of the feet's
fore-aft spread (one cycle per step), the hips' vertical bounce (one cycle per step in
running and walking alike), the phase of that bounce against the spread (band-passed
around the step frequency in cycles per frame) and the share of frames with both feet
low (double support). Only the conversion of the period to a cadence uses the frame
rate.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy.signal import butter, sosfiltfilt

from ..schema import SIDES
from ..signals import odd, running_median


def _filled(x: np.ndarray) -> Optional[np.ndarray]:
    """``x`` with NaN interpolated, mean removed; None when under half is finite."""
    x = np.asarray(x, float)
    ok = np.isfinite(x)
    if ok.sum() < max(8, 0.5 * len(x)):
        return None
    idx = np.arange(len(x))
    y = np.interp(idx, idx[ok], x[ok])
    return y - y.mean()


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation (lag 0 = 1) of a mean-free signal, unbiased by the
    number of overlapping samples (so later peaks are not shrunk by the window)."""
    n = len(x)
    f = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(f * np.conj(f))[:n]
    ac = ac / np.arange(n, 0, -1)
    return ac / ac[0] if ac[0] > 0 else np.zeros(n)


def first_period(ac: np.ndarray, max_lag: int, min_peak: float = 0.3) -> tuple[float, float]:
    """The period (frames, sub-frame) of a periodic signal from its autocorrelation: the
    highest lag of the first positive lobe after the first negative one, if it exceeds
    ``min_peak``; ``(nan, peak)`` otherwise."""
    ac = ac[: max(3, max_lag)]
    neg = np.flatnonzero(ac < 0)
    if not len(neg):
        return float("nan"), 0.0
    start = neg[0]
    pos = np.flatnonzero(ac[start:] > 0)
    if not len(pos):
        return float("nan"), 0.0
    a = start + pos[0]
    end = np.flatnonzero(ac[a:] <= 0)
    b = a + (end[0] if len(end) else len(ac) - a)
    k = a + int(np.argmax(ac[a:b]))
    peak = float(ac[k])
    if peak < min_peak or k >= len(ac) - 1:  # no clear repeat, or cut by the clip's end
        return float("nan"), peak
    y0, y1, y2 = ac[k - 1], ac[k], ac[k + 1]
    den = y0 - 2 * y1 + y2
    off = 0.5 * (y0 - y2) / den if abs(den) > 1e-12 else 0.0
    return float(k + np.clip(off, -0.5, 0.5)), peak


def gait_rhythm(pts: dict, fs: float, leg_px: float, contact_height_legs: float = 0.04) -> dict:
    """The gait rhythm of the points ``pts`` (analysis frame: x forward, y up, px; as the
    pose model gave them, labels not repaired), counted in frames.

    ``step_frames``: the period of the feet's fore-aft spread |x_left - x_right| (one
    cycle per step, whatever the labels); ``hip_step_frames``: the period of the hips'
    vertical bounce (two per stride in running and walking; NaN when it is too weak);
    ``cadence_spm`` in the track's time base; ``hip_spread_corr``: hip height against
    foot spread, band-passed around the step frequency (running positive, walking
    negative); ``double_support``: share of frames with both feet low; ``foot_low_
    fraction``: with a foot low (over the duty factor: the foot passes low in early and
    late swing); ``strides_seen``; the autocorrelation peaks."""
    hip_y = 0.5 * (pts["left_hip"][:, 1] + pts["right_hip"][:, 1])
    n = len(hip_y)
    out = {"step_frames": float("nan"), "hip_step_frames": float("nan"),
           "cadence_spm": float("nan"), "hip_spread_corr": float("nan"),
           "foot_low_fraction": float("nan"), "double_support": float("nan"),
           "strides_seen": 0.0, "step_peak": 0.0, "hip_step_peak": 0.0}  # fmt: skip
    foot = [0.5 * (pts[f"{s}_ankle"][:, 0] + pts[f"{s}_heel"][:, 0]) for s in SIDES]
    sp = _filled(np.abs(foot[0] - foot[1]) / leg_px)
    h = _filled(hip_y / leg_px)
    if sp is None or h is None or n < 16 or np.std(sp) < 1e-9:
        return out
    max_lag = int(0.6 * n)  # a period must repeat within the clip
    step, out["step_peak"] = first_period(autocorrelation(sp), max_lag)
    hip_step, out["hip_step_peak"] = first_period(autocorrelation(h), max_lag)
    if np.isfinite(step + hip_step) and abs(2 * hip_step / step - 1) < 0.15:
        # the spread repeats once a stride (an oblique view: the far foot's spread is
        # foreshortened), the hips still once a step
        step = hip_step
    out.update(step_frames=step, hip_step_frames=hip_step)
    if not np.isfinite(step) or step < 4:
        return out
    out["cadence_spm"] = float(60.0 * fs / step)
    out["strides_seen"] = float(n / (2 * step))
    # spring-mass vs inverted pendulum (ActivityClassifier), band-passed around the step
    # frequency in cycles per frame instead of Hz
    f = 1.0 / step
    sos = butter(2, [0.5 * f, min(0.45, 2.0 * f)], btype="band", fs=1.0, output="sos")
    hb, sb = sosfiltfilt(sos, h), sosfiltfilt(sos, sp)
    if np.std(hb) > 0 and np.std(sb) > 0:
        out["hip_spread_corr"] = float(np.corrcoef(hb, sb)[0, 1])
    # foot heights through a running median of an eighth of a step (scale-free: the
    # points are raw, and keypoint jitter would put a foot "low" for single frames)
    win = odd(step / 8)
    low = []
    for s in SIDES:
        y = running_median(np.fmin(pts[f"{s}_heel"][:, 1], pts[f"{s}_foot_index"][:, 1]), win)
        if np.isfinite(y).sum() < 8:
            return out
        low.append((y - np.nanpercentile(y, 10)) / leg_px < contact_height_legs)
    out.update(
        foot_low_fraction=float(np.mean([np.mean(lo) for lo in low])),
        double_support=float(np.mean(low[0] & low[1])),
    )
    return out


@dataclass
class SlowMotionCheck:
    """Is the gait rhythm implausible for running in this time base, but plausible at a
    slow-motion (or sped-up) factor? Then the clip's timestamps are not real time.

    Running cadence of adults is about 150-200 steps/min across speeds (Cavanagh & Kram
    1989, Med Sci Sports Exerc 21:467; van Oeveren et al. 2017, PLoS One 12:e0184273;
    the 13 Fukuchi et al. 2017 treadmill runners at 2.5-4.5 m/s: 150-195 steps/min,
    docs/events_runners13.md), so ``running_cadence_spm`` = 140-210 with a margin. A
    clip is called slow motion when its cadence (in the track's time base) lies below
    that range, and ``k`` x cadence lies in it for a slow-motion factor ``k`` in
    ``factors`` (capture / playback rate of phones and lab cameras: 60, 120, 240, 480,
    960 fps over 30; 100, 200, 250, 500, 1000 over 25; 300 over 30), and the motion
    otherwise looks like running: both feet are seldom on the ground together (running
    has no double support, walking about 20-30 % of the cycle: Novacheck 1998, Gait
    Posture 7:77; share of frames with both feet low under ``max_double_support``; on
    MediaPipe's raw points running clips give 0-0.15, a walking stick figure 0.36-0.41),
    not the walking pattern of the hips (highest when the feet pass: correlation of hip
    height with foot spread under ``walk_hip_spread_corr`` with double support over
    ``clear_double_support``; the correlation alone is not enough: a rendered runner at
    3.6 m/s through MediaPipe gave -0.7), and, where the hips bounce clearly, they bounce
    once a step (their period within ``step_ratio_tol`` of the feet's). A walking clip
    in slow motion fails these and is left to the activity check. Sped up (time-lapse,
    or a capture rate given too high): cadence above ``max_fast_cadence_spm`` and
    cadence / ``k`` in the range, looked for only when the time base was given or read
    from metadata.
    At least ``min_strides`` strides must be in the clip for the rhythm to count."""

    running_cadence_spm: tuple = (140.0, 210.0)
    typical_cadence_spm: float = 170.0
    factors: tuple = (2, 4, 5, 8, 10, 16, 20, 32, 40)
    max_double_support: float = 0.2
    clear_double_support: float = 0.12
    walk_hip_spread_corr: float = -0.3
    step_ratio_tol: float = 0.25
    max_fast_cadence_spm: float = 300.0
    min_strides: float = 2.0
    contact_height_legs: float = 0.04
    enabled: bool = True

    def check(self, pts: dict, fs: float, leg_px: float, given: bool = False) -> dict:
        """The rhythm (``gait_rhythm``) plus ``verdict`` ("slow", "fast" or None) and, for
        a verdict, ``factors``: the fitting factors, most likely first. ``given``: the
        time base was given or read from metadata (only then is "fast" looked for)."""
        r = gait_rhythm(pts, fs, leg_px, self.contact_height_legs)
        r["verdict"], r["factors"] = None, []
        c = r["cadence_spm"]
        if not self.enabled or not np.isfinite(c) or r["strides_seen"] < self.min_strides:
            return r
        lo, hi = self.running_cadence_spm
        ds, corr, hip = r["double_support"], r["hip_spread_corr"], r["hip_step_frames"]
        running_like = (
            ds < self.max_double_support
            and not (corr < self.walk_hip_spread_corr and ds >= self.clear_double_support)
            and (not np.isfinite(hip) or abs(hip / r["step_frames"] - 1) <= self.step_ratio_tol)
        )
        if not running_like:
            return r
        if c < lo:
            fit = [k for k in self.factors if lo <= c * k <= hi]
            verdict, real = "slow", {k: c * k for k in fit}
        elif given and c > self.max_fast_cadence_spm:
            fit = [k for k in self.factors if lo <= c / k <= hi]
            verdict, real = "fast", {k: c / k for k in fit}
        else:
            return r
        if fit:
            fit.sort(key=lambda k: abs(math.log(real[k] / self.typical_cadence_spm)))
            r.update(verdict=verdict, factors=fit, real_cadence_spm=[real[k] for k in fit])
        return r


def slow_motion_message(r: dict, fs: float, video: Optional[dict] = None) -> str:
    """The one-line error for a ``SlowMotionCheck`` verdict: what was seen, the likely
    factor and capture rate, and the command to rerun."""
    video = video or {}
    tb = video.get("time_base") or {}
    clip = shlex.quote(str(video.get("path") or "CLIP"))
    k, real = r["factors"][0], r["real_cadence_spm"][0]
    slow = r["verdict"] == "slow"
    rate = fs * k if slow else fs / k
    stored = tb.get("stored_fps", fs)
    others = [f"{kk}x ({(fs * kk if slow else fs / kk):.0f} fps)" for kk in r["factors"][1:3]]
    also = f"; {' or '.join(others)} would fit too" if others else ""
    src = tb.get("source")
    base = (
        f"with the time base {'given' if src == 'given' else 'read from the metadata'} "
        f"({tb.get('capture_fps', fs):.4g} fps), "
        if src in ("given", "metadata")
        else "in the file's time, "
    )
    what = "too slow" if slow else "too fast"
    look = "slow motion" if slow else "a time base too fast (capture rate too high?)"
    how = (
        f"{k}x slow motion (captured at about {rate:.0f} fps, stored at {stored:.4g} fps)"
        if slow
        else f"a time base {k}x slower (captured at about {rate:.0f} fps)"
    )
    return (
        f"this looks like {look}: {base}the steps come {r['cadence_spm']:.0f} times a "
        f"minute, {what} for running, while the body moves as in running (both feet on "
        f"the ground together in only {100 * r['double_support']:.0f} % of the frames); "
        f"at {how} the cadence would be {real:.0f} "
        f"steps/min{also}. Rerun with the camera's capture rate: "
        f"gaitlens analyze {clip} --capture-fps {rate:.0f}"
    )
