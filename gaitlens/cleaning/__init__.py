"""Cleaning: from a raw ``PoseTrack`` to a ``CleanTrack`` in the analysis frame.

``clean`` (module ``cleaner``) runs, in order: detection check, side-view check
(``checks.ViewCheck``), leg-swap and foot-collapse repair, outliers and gaps
(``repairs``), zero-lag low-pass (``filters.LowPass``, on a uniform grid for
variable-frame-rate clips: ``filters.UniformResampler``) and the running/walking check
(``checks.ActivityClassifier``); after the leg labels are settled it estimates how far
the camera is turned from the side view (``checks.CameraYaw``).
"""

from __future__ import annotations

from .checks import ActivityClassifier, CameraYaw, ViewCheck
from .cleaner import USED_POINTS, CleaningConfig, clean
from .filters import LowPass, UniformResampler, interp_rows
from .repairs import FootCollapseRepair, GapFiller, HampelOutliers, SwapRepair
from .rhythm import SlowMotionCheck, gait_rhythm
from .track import CleanTrack

__all__ = [
    "USED_POINTS",
    "ActivityClassifier",
    "CameraYaw",
    "CleanTrack",
    "CleaningConfig",
    "FootCollapseRepair",
    "GapFiller",
    "HampelOutliers",
    "LowPass",
    "SlowMotionCheck",
    "SwapRepair",
    "UniformResampler",
    "ViewCheck",
    "clean",
    "gait_rhythm",
    "interp_rows",
]
