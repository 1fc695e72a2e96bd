"""gaitlens: is your running technique loading your hamstrings?

Public API: ``analyze``, ``analyze_folder``, ``load``, ``Analysis``, ``compare``,
``history``, ``__version__``.
Imports are lazy so that ``import gaitlens`` stays fast (no MediaPipe, no network).
No module of the package imports this one (they read ``_version``), so these lazy
imports close no import cycle.
"""

from __future__ import annotations

from ._version import __version__

__all__ = ["analyze", "analyze_folder", "load", "Analysis", "compare", "history", "__version__"]


def __getattr__(name):
    if name in ("analyze", "load"):
        from . import pipeline

        return getattr(pipeline, name)
    if name == "analyze_folder":
        from .batch import analyze_folder

        return analyze_folder
    if name in ("compare", "history"):
        from . import sessions

        return getattr(sessions, name)
    if name == "Analysis":
        from .analysis import Analysis

        return Analysis
    raise AttributeError(f"module 'gaitlens' has no attribute {name!r}")
