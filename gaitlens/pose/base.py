"""Pose backends: a ``PoseEstimator`` protocol and a registry.

A backend turns upright RGB frames (with timestamps) into BlazePose-ordered landmarks
in image pixels. Backends register themselves with ``@register_backend("name")``
(the pattern of ``movement.io.load``'s loader registry); heavy imports happen inside
the backend, so ``import gaitlens`` stays fast. The built-in backends register
when ``gaitlens.pose`` is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Protocol, runtime_checkable

import numpy as np

from ..errors import BackendUnavailableError


@dataclass
class PoseResult:
    """One frame's pose: (k, 2) pixels and (k,) visibility; NaN/0 when nobody found."""

    xy_px: np.ndarray
    visibility: np.ndarray
    silhouette: Optional[np.ndarray] = None  # features from the segmentation mask
    n_people: int = -1  # people seen, where the backend can tell (-1 unknown)


@runtime_checkable
class PoseEstimator(Protocol):
    name: str

    def process(self, image_rgb: np.ndarray, time_s: float) -> PoseResult: ...

    def info(self) -> dict: ...

    def close(self) -> None: ...


_REGISTRY: dict[str, Callable[..., PoseEstimator]] = {}
_INSTALL_HINT: dict[str, str] = {}


def register_backend(name: str, install_hint: str = ""):
    """Class decorator adding a backend factory to the registry."""

    def deco(factory):
        _REGISTRY[name] = factory
        _INSTALL_HINT[name] = install_hint
        return factory

    return deco


def available_backends() -> dict[str, bool]:
    """Registered backends and whether their libraries import."""
    out = {}
    for name, factory in _REGISTRY.items():
        check = getattr(factory, "is_available", None)
        out[name] = bool(check()) if check else True
    return out


def prepare_backend(name: str = "mediapipe", **options) -> None:
    """Once per run, before the pose threads start: let the backend get what it needs
    (the Tasks backend resolves, and if need be downloads, its model here, where the
    notice and progress bar can still reach the terminal). No-op for other backends."""
    factory = _REGISTRY.get(name)
    prepare = getattr(factory, "prepare", None)
    if prepare is not None:
        check = getattr(factory, "is_available", None)
        if check is None or check():
            prepare(**options)


def create_backend(name: str = "mediapipe", **options) -> PoseEstimator:
    if name not in _REGISTRY:
        raise BackendUnavailableError(
            f"unknown pose backend {name!r}; available: {', '.join(sorted(_REGISTRY))}"
        )
    factory = _REGISTRY[name]
    check = getattr(factory, "is_available", None)
    if check is not None and not check():
        hint = _INSTALL_HINT.get(name) or f"pip install {name}"
        raise BackendUnavailableError(f"pose backend {name!r} is not installed: run `{hint}`")
    return factory(**options)
