"""Shared geometry and signal helpers: points, angles, leg length, derivatives, peaks.

Every stage that needs one of these calls it from here, so that a definition (what a
segment angle is, how a peak is refined, what the leg length is) exists once. Points
are ``(n, 2)`` arrays in the analysis frame (x = direction of travel, y = up) unless
said otherwise; angles follow BIOMECHANICS.md section 2. All functions are vectorised
over frames and NaN-tolerant.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

#: Consistency constant of the median absolute deviation for normal data (Leys et al.
#: 2013, J Exp Soc Psychol 49:764-766): robust SD = 1.4826 x MAD.
MAD_TO_SD = 1.4826


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


# --------------------------------------------------------------------------- arrays
def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the True runs of a boolean array."""
    d = np.diff(np.concatenate([[0], np.asarray(mask).astype(int), [0]]))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def nanmean_rows(arrays) -> np.ndarray:
    """Element-wise mean of equally shaped arrays ignoring NaN (NaN where all are NaN),
    without numpy's empty-slice warning."""
    a = np.asarray(arrays, dtype=float)
    ok = np.isfinite(a)
    n = ok.sum(axis=0)
    return np.where(n > 0, np.where(ok, a, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)


def robust_sd(x, center: float | None = None) -> float:
    """1.4826 x median absolute deviation of the finite values (NaN when none)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if not len(x):
        return float("nan")
    c = float(np.median(x)) if center is None else float(center)
    return MAD_TO_SD * float(np.median(np.abs(x - c)))


def odd(k: float) -> int:
    """The odd integer >= 3 nearest to ``k`` (median filter and smoothing windows)."""
    k = max(3, int(round(k)))
    return k if k % 2 else k + 1


# --------------------------------------------------------------------------- points
def point(clean, name: str) -> np.ndarray:
    """Landmark ``name`` of a clean track, ``(n, 2)``; all-NaN when the track lacks it."""
    p = clean.points.get(name)
    n = len(clean.time_s)
    return np.full((n, 2), np.nan) if p is None else np.asarray(p, float)


def visibility(clean, name: str) -> np.ndarray:
    """Pose-model visibility (0-1) of landmark ``name`` per frame; NaN when unknown."""
    n = len(clean.time_s)
    v = getattr(clean, "visibility", None) or {}
    return np.asarray(v[name], float) if name in v else np.full(n, np.nan)


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Midpoint of two (n, 2) point tracks; the one that exists where the other is NaN."""
    both = np.isfinite(a).all(axis=-1, keepdims=True) & np.isfinite(b).all(axis=-1, keepdims=True)
    return np.where(both, 0.5 * (a + b), np.where(np.isnan(a), b, a))


def leg_length_px(points: dict, side: str) -> float:
    """Median over the clip of thigh + shank length (hip-knee + knee-ankle) of one leg,
    in the points' units (BIOMECHANICS.md section 2: the unit of ``_legs`` lengths)."""
    th = np.linalg.norm(points[f"{side}_hip"] - points[f"{side}_knee"], axis=1)
    sh = np.linalg.norm(points[f"{side}_knee"] - points[f"{side}_ankle"], axis=1)
    return float(np.nanmedian(th + sh))


# --------------------------------------------------------------------------- angles
def segment_angle_deg(proximal: np.ndarray, distal: np.ndarray) -> np.ndarray:
    """Angle of proximal -> distal from vertical-down, + when the distal end is forward."""
    d = np.asarray(distal, float) - np.asarray(proximal, float)
    return np.degrees(np.arctan2(d[..., 0], -d[..., 1]))


def trunk_lean_deg(hip_mid: np.ndarray, shoulder_mid: np.ndarray) -> np.ndarray:
    """Hip midpoint -> shoulder midpoint from vertical-up, + forward."""
    d = np.asarray(shoulder_mid, float) - np.asarray(hip_mid, float)
    return np.degrees(np.arctan2(d[..., 0], d[..., 1]))


def foot_angle_deg(heel: np.ndarray, toe: np.ndarray) -> np.ndarray:
    """Heel -> toe from the forward horizontal, + toe up."""
    d = np.asarray(toe, float) - np.asarray(heel, float)
    return np.degrees(np.arctan2(d[..., 1], d[..., 0]))


def wrap_deg(a: np.ndarray) -> np.ndarray:
    """Angles into (-180, 180]."""
    return (np.asarray(a, float) + 180.0) % 360.0 - 180.0


# --------------------------------------------------------------------------- time series
def running_median(x: np.ndarray, window_n: int) -> np.ndarray:
    """Running median (NaN-tolerant: gaps are interpolated for the filter only)."""
    x = np.asarray(x, float)
    ok = np.isfinite(x)
    if ok.sum() < 2:
        return np.full_like(x, np.nan)
    idx = np.arange(len(x))
    filled = np.interp(idx, idx[ok], x[ok])
    return median_filter(filled, size=odd(min(window_n, len(x))), mode="nearest")


def derivative(y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dy/dt with central differences on the real (possibly uneven) timestamps."""
    y = np.asarray(y, float)
    if len(y) < 3:
        return np.full_like(y, np.nan)
    return np.gradient(y, np.asarray(t, float))


def angular_rate_deg_per_s(a_deg: np.ndarray, t: np.ndarray) -> np.ndarray:
    """d(angle)/dt, central differences of wrapped angle changes (NaN stays local)."""
    a = np.asarray(a_deg, float)
    t = np.asarray(t, float)
    out = np.full_like(a, np.nan)
    if len(a) < 3:
        return out
    out[1:-1] = wrap_deg(a[2:] - a[:-2]) / (t[2:] - t[:-2])
    out[0] = wrap_deg(a[1] - a[0]) / (t[1] - t[0])
    out[-1] = wrap_deg(a[-1] - a[-2]) / (t[-1] - t[-2])
    return out


def crossings(h: np.ndarray, t: np.ndarray, thr: float, direction: int) -> np.ndarray:
    """Sub-frame times where ``h`` crosses ``thr`` downward (-1) or upward (+1), linearly
    interpolated between the samples either side."""
    a, b = h[:-1], h[1:]
    ok = np.isfinite(a) & np.isfinite(b)
    if direction < 0:
        i = np.flatnonzero(ok & (a >= thr) & (b < thr))
    else:
        i = np.flatnonzero(ok & (a < thr) & (b >= thr))
    frac = (thr - h[i]) / (h[i + 1] - h[i])
    return t[i] + frac * (t[i + 1] - t[i])


def value_at(t: np.ndarray, y: np.ndarray, tq: float) -> float:
    """Linear interpolation of ``y`` at time ``tq`` (NaN outside or with no data)."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    ok = np.isfinite(y) & np.isfinite(t)
    tt, yy = t[ok], y[ok]
    if len(tt) < 2 or not np.isfinite(tq) or tq < tt[0] or tq > tt[-1]:
        return float("nan")
    return float(np.interp(tq, tt, yy))


def window(t: np.ndarray, y: np.ndarray, a: float, b: float) -> np.ndarray:
    """The samples of ``y`` whose times lie in [a, b] (``t`` sorted)."""
    i0, i1 = np.searchsorted(t, a, side="left"), np.searchsorted(t, b, side="right")
    return y[i0:i1]


def peak_in(t: np.ndarray, y: np.ndarray, a: float, b: float, mode: str = "max",
            interior: bool = False) -> tuple[float, float]:  # fmt: skip
    """(time, value) of the max (or min) of ``y`` within [a, b], refined with a parabola
    through the peak sample and its neighbours (sub-frame timing).

    ``interior``: only a true local peak inside the window counts (a maximum at the
    window edge is a slope cut by the window, not a peak); NaN when there is none.
    """
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    i0, i1 = np.searchsorted(t, a, side="left"), np.searchsorted(t, b, side="right")
    seg = y[i0:i1]
    if i1 - i0 < 1 or not np.isfinite(seg).any():
        return float("nan"), float("nan")
    s = seg if mode == "max" else -seg
    if interior:
        s2 = np.where(np.isfinite(s), s, -np.inf)
        local = np.zeros(len(s), dtype=bool)
        local[1:-1] = (s2[1:-1] >= s2[:-2]) & (s2[1:-1] >= s2[2:]) & np.isfinite(s[1:-1])
        if not local.any():
            return float("nan"), float("nan")
        k = int(np.nanargmax(np.where(local, s, np.nan)))
    else:
        k = int(np.nanargmax(s))
    i = i0 + k
    tp, vp = t[i], y[i]
    if 0 < k < len(seg) - 1 and np.isfinite(seg[k - 1]) and np.isfinite(seg[k + 1]):
        y0, y1, y2 = s[k - 1], s[k], s[k + 1]
        den = y0 - 2 * y1 + y2
        if den < 0:
            d = 0.5 * (y0 - y2) / den
            dt = 0.5 * (t[i + 1] - t[i - 1])
            tp = t[i] + d * dt
            vp = (y1 - 0.25 * (y0 - y2) * d) * (1 if mode == "max" else -1)
    return float(tp), float(vp)


# --------------------------------------------------------------------------- cycles
def cycle_normalised(
    t: np.ndarray, y: np.ndarray, start_s, end_s, n_points: int = 100, max_nan_frac: float = 0.2
) -> np.ndarray:
    """Curves ``(k, n_points)`` of ``y`` over each cycle [start, end) at the phases
    j / n_points, linearly interpolated on the real timestamps; a cycle missing more than
    ``max_nan_frac`` of its samples is NaN (smaller gaps are bridged)."""
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    start_s = np.atleast_1d(np.asarray(start_s, float))
    end_s = np.atleast_1d(np.asarray(end_s, float))
    ph = np.arange(n_points) / n_points
    out = np.full((len(start_s), n_points), np.nan)
    ok = np.isfinite(y) & np.isfinite(t)
    for k, (a, b) in enumerate(zip(start_s, end_s)):  # cycles, not frames
        if not (np.isfinite(a) and np.isfinite(b) and b > a):
            continue
        sel = (t >= a) & (t <= b)
        if sel.sum() < 4 or (~ok[sel]).mean() > max_nan_frac:
            continue
        i0 = max(np.searchsorted(t, a) - 1, 0)
        i1 = min(np.searchsorted(t, b) + 1, len(t))
        tt, yy = t[i0:i1][ok[i0:i1]], y[i0:i1][ok[i0:i1]]
        if len(tt) < 4 or tt[0] > a or tt[-1] < b:
            continue
        out[k] = np.interp(a + ph * (b - a), tt, yy)
    return out


def harmonic(curves: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares fit ``c + a cos(2 pi k phi) + b sin(2 pi k phi)`` of each curve
    (rows, on a uniform full-cycle phase grid, where the fit is the discrete Fourier
    coefficient of harmonic ``k``; harmonic analysis of periodic gait waveforms, Winter
    2009, Biomechanics and Motor Control of Human Movement, ch. 2). Returns the phase of
    the fitted sinusoid's peak in [0, 1/k) (fraction of the cycle), its amplitude and
    the share of the curve's variance it explains (R^2)."""
    c = np.atleast_2d(np.asarray(curves, float))
    n = c.shape[1]
    ph = np.arange(n) / n
    cos, sin = np.cos(2 * np.pi * k * ph), np.sin(2 * np.pi * k * ph)
    ok = np.isfinite(c).all(axis=1)
    a = np.full(len(c), np.nan)
    b = np.full(len(c), np.nan)
    a[ok] = 2.0 / n * (c[ok] @ cos)
    b[ok] = 2.0 / n * (c[ok] @ sin)
    amp = np.hypot(a, b)
    peak = (np.arctan2(b, a) / (2 * np.pi * k)) % (1.0 / k)
    var = np.full(len(c), np.nan)
    var[ok] = np.var(c[ok], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(var > 0, 0.5 * amp**2 / var, np.nan)
    return peak, amp, r2
