"""Pose estimation: the backend protocol and registry (``base``), the built-in
MediaPipe backends (``tasks``: the Tasks API ``PoseLandmarker``, default ``mediapipe``;
``mediapipe``: the legacy ``solutions.pose`` graph, ``mediapipe-legacy``, where the
installed mediapipe still has it), registered on import (their heavy imports happen
when a backend is created); the models they load (``models``, ``tflite_metadata``), the
pose stage over a video (``runner``), the landmark skeleton (``skeleton``) and the
silhouette features (``silhouette``)."""

from . import mediapipe, tasks  # noqa: F401  (register the built-in backends)
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
