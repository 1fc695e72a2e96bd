"""Pose estimation: the backend protocol and registry (``base``), the built-in
MediaPipe backend (``mediapipe``, registered on import; its heavy imports happen when
a backend is created), the pose stage over a video (``runner``), the landmark
skeleton (``skeleton``) and silhouette features (``silhouette``)."""

from . import mediapipe  # noqa: F401  (registers the built-in backend)
from .base import PoseEstimator, PoseResult, available_backends, create_backend, register_backend

__all__ = [
    "PoseEstimator",
    "PoseResult",
    "available_backends",
    "create_backend",
    "register_backend",
]
