"""Silhouette features around the pelvis from the pose model's segmentation mask.

Whole masks are never stored: per frame, the mask is sampled along rays
perpendicular to the trunk axis (hip midpoint -> shoulder midpoint) at fixed levels
from below the hips (buttocks) up the lower back, and the distance from the axis to
the silhouette edge on each side is kept (in pixels). The pelvis stage turns the
back/abdomen contour into a pelvic-tilt estimate (see ``gaitlens.pelvis``).

Levels are fractions of the hip-to-shoulder distance, positive up the trunk.
"""

from __future__ import annotations

import numpy as np

from .skeleton import INDEX

LEVELS_TRUNK = np.round(np.arange(-0.30, 0.61, 0.05), 2)
FEATURE_NAMES = tuple(
    f"edge_{side}_{lev:+.2f}" for side in ("pos", "neg") for lev in LEVELS_TRUNK
)  # "pos": the side of +n where n = axis rotated +90 deg in image coordinates

_L_SH, _R_SH = INDEX["left_shoulder"], INDEX["right_shoulder"]
_L_HIP, _R_HIP = INDEX["left_hip"], INDEX["right_hip"]


def ray_geometry(xy_px: np.ndarray, scale: float = 1.0):
    """Where the rays of one frame start and point, in mask pixels: ``(hip, n, steps,
    centres)`` (hip midpoint, unit normal of the trunk axis towards image right, distances
    along each ray, ray start at each of ``LEVELS_TRUNK``), or None without hips and
    shoulders or for a trunk shorter than 4 px."""
    if not np.isfinite(xy_px[[_L_SH, _R_SH, _L_HIP, _R_HIP]]).all():
        return None
    hip = 0.5 * (xy_px[_L_HIP] + xy_px[_R_HIP]) * scale
    sho = 0.5 * (xy_px[_L_SH] + xy_px[_R_SH]) * scale
    axis = sho - hip
    length = float(np.hypot(*axis))
    if length < 4:
        return None
    u = axis / length
    n = np.array([-u[1], u[0]])
    n = -n if n[0] < 0 else n  # "pos" side = image right for an upright trunk
    steps = np.arange(0, 0.6 * length, max(length / 120.0, 0.5))
    centres = hip[None, :] + LEVELS_TRUNK[:, None] * axis[None, :]  # (L, 2)
    return hip, n, steps, centres


def extract(mask: np.ndarray, xy_px: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Edge distances (px of the full-size frame) for one frame; NaN where unknown.

    ``mask`` is the segmentation mask (H x W, float 0-1) of the image the model saw,
    ``xy_px`` the landmarks in full-frame pixels, ``scale`` = mask px / full-frame px.
    """
    out = np.full(len(FEATURE_NAMES), np.nan)
    geo = ray_geometry(xy_px, scale) if mask is not None else None
    if geo is None:
        return out
    hip, n, steps, centres = geo
    h, w = mask.shape[:2]
    if not mask[np.clip(int(round(hip[1])), 0, h - 1), np.clip(int(round(hip[0])), 0, w - 1)] > 0.5:
        return out  # the hips are not on the person's mask: no edge can be trusted
    for j, sign in enumerate((1.0, -1.0)):
        pts = centres[:, None, :] + sign * steps[None, :, None] * n[None, None, :]
        xi = np.clip(np.round(pts[..., 0]).astype(int), 0, w - 1)
        yi = np.clip(np.round(pts[..., 1]).astype(int), 0, h - 1)
        inside = mask[yi, xi] > 0.5
        inside[:, 0] |= True
        outside = ~inside
        first_out = np.where(outside.any(axis=1), outside.argmax(axis=1), -1)
        d = np.where(first_out > 0, steps[np.maximum(first_out, 0)], np.nan)
        out[j * len(LEVELS_TRUNK) : (j + 1) * len(LEVELS_TRUNK)] = d / scale
    return out
