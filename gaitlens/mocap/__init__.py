"""Motion-capture reference data (Fukuchi et al. 2017) turned into validation input."""

from __future__ import annotations

from .fukuchi import MocapTrial, force_contacts, list_trials, load_trial, to_side_view
from .noise import PoseNoise

__all__ = ["MocapTrial", "PoseNoise", "force_contacts", "list_trials", "load_trial", "to_side_view"]
