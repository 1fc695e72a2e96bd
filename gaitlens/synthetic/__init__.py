"""Synthetic runner: a parametric gait model with fault knobs, a figure renderer that
MediaPipe tracks, ground-truth files and a mocap-driven mode.

Public API: ``RunnerParams``, ``simulate``, ``SyntheticRun``, ``render``,
``make_samples``. Heavy imports (OpenCV, PyAV) happen inside the functions that need
them.
"""

from __future__ import annotations

from .model import RunnerParams
from .run import SyntheticRun, simulate


def render(run, path, **kwargs):
    """Write ``run`` as an H.264 MP4 plus its truth files; see ``renderer.render``."""
    from .renderer import render as _render

    return _render(run, path, **kwargs)


def make_samples(outdir, fast: bool = False, **kwargs):
    """Write the four bundled sample clips with truth and a README table."""
    from .samples import make_samples as _make

    return _make(outdir, fast=fast, **kwargs)


__all__ = ["RunnerParams", "SyntheticRun", "make_samples", "render", "simulate"]
