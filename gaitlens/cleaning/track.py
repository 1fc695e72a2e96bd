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

    @property
    def n_frames(self) -> int:
        return len(self.time_s)

    def to_image_px(self, xy: np.ndarray) -> np.ndarray:
        """Analysis-frame points (..., 2) back to image pixels."""
        s = 1.0 if self.facing == "right" else -1.0
        out = np.empty_like(np.asarray(xy, dtype=float))
        out[..., 0] = self.origin_px[0] + s * xy[..., 0]
        out[..., 1] = self.origin_px[1] - xy[..., 1]
        return out
