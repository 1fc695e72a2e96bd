"""Pose estimation backends (see ``base`` for the protocol and registry)."""

from .base import (
    PoseEstimator,
    PoseResult,
    available_backends,
    create_backend,
    prepare_backend,
    register_backend,
)

__all__ = [
    "PoseEstimator",
    "PoseResult",
    "available_backends",
    "create_backend",
    "prepare_backend",
    "register_backend",
]
