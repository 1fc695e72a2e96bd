"""``CleanTrack``: the cleaning stage's output container."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass
class CleanTrack:
    time_s: np.ndarray
    sampling_rate_hz: float
    points: dict  # name -> (n, 2) analysis frame px (x travel, y up), filtered
    visibility: dict  # name -> (n,)
    facing: str  # image direction the runner faces: "left" / "right"
    near_side: str  # leg nearer the camera
    leg_length_px: float
    activity: str  # "running" / "walking" / "standing" / "unknown"
    view: dict  # side-view score and its features
    swaps_repaired: np.ndarray  # frame indices whose leg labels were exchanged
    gaps_filled: int  # point-samples filled by interpolation
    outliers_removed: int  # point-samples rejected
    cutoff_hz: float
    warnings: list = field(default_factory=list)
    quality: dict = field(default_factory=dict)
    silhouette: Optional[np.ndarray] = None  # image px features, see gaitlens.pose.silhouette
    silhouette_names: tuple = ()
    points_unfiltered: dict = field(default_factory=dict)  # after swaps/outliers/gaps
    interpolated: dict = field(default_factory=dict)  # name -> (n,) bool, gap-filled samples
    origin_px: tuple = (0.0, 0.0)  # image px of the analysis-frame origin
    frame_size_px: tuple = (0, 0)
    #: variable-frame-rate input: the same clean track on a uniform time grid (events run
    #: on it); None when the input's frames are evenly spaced
    uniform: Optional[CleanTrack] = None
    #: the scene's vertical at the runner, from the image's up (deg, + = its top leans to
    #: image right; ``gaitlens.pose.vertical``): the analysis frame's y axis follows it
    level_deg: float = 0.0

    @property
    def n_frames(self) -> int:
        return len(self.time_s)

    def to_image_px(self, xy: np.ndarray) -> np.ndarray:
        """Analysis-frame points (..., 2) back to image pixels."""
        return analysis_to_image(xy, self.origin_px, self.facing, self.level_deg)


def image_to_analysis(xy_img, origin_px, facing: str, level_deg: float = 0.0) -> np.ndarray:
    """Image pixels (..., 2) -> analysis frame (BIOMECHANICS.md section 2): x = the
    direction of travel, y = up, origin at ``origin_px``; with ``level_deg`` (the true
    vertical's lean from the image's up, + = top to image right) y is the true up."""
    xy_img = np.asarray(xy_img, dtype=float)
    s = 1.0 if facing == "right" else -1.0
    x = s * (xy_img[..., 0] - origin_px[0])
    y = -(xy_img[..., 1] - origin_px[1])
    g = np.radians(s * level_deg)  # the true up, seen in the travel frame, leans by s*level
    out = np.empty_like(xy_img)
    out[..., 0] = x * np.cos(g) - y * np.sin(g)
    out[..., 1] = x * np.sin(g) + y * np.cos(g)
    return out


def analysis_to_image(xy, origin_px, facing: str, level_deg: float = 0.0) -> np.ndarray:
    """The inverse of ``image_to_analysis``."""
    xy = np.asarray(xy, dtype=float)
    s = 1.0 if facing == "right" else -1.0
    g = np.radians(s * level_deg)
    x = xy[..., 0] * np.cos(g) + xy[..., 1] * np.sin(g)
    y = -xy[..., 0] * np.sin(g) + xy[..., 1] * np.cos(g)
    out = np.empty_like(xy)
    out[..., 0] = origin_px[0] + s * x
    out[..., 1] = origin_px[1] - y
    return out
