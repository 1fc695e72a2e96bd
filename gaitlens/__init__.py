"""gaitlens: is your running technique loading your hamstrings?

Public API: ``analyze``, ``analyze_folder``, ``load``, ``Analysis``, ``__version__``.
Imports are lazy so that ``import gaitlens`` stays fast (no MediaPipe, no network).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["analyze", "analyze_folder", "load", "Analysis", "__version__"]


def __getattr__(name):
    if name == "analyze":
        from .pipeline import analyze

        return analyze
    if name == "analyze_folder":
        from .batch import analyze_folder

        return analyze_folder
    if name == "load":
        from .analysis import load

        return load
    if name == "Analysis":
        from .analysis import Analysis

        return Analysis
    raise AttributeError(f"module 'gaitlens' has no attribute {name!r}")
