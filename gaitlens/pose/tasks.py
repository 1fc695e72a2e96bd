"""MediaPipe Tasks pose backend: ``PoseLandmarker`` in VIDEO running mode (the default).

BlazePose GHUM 3D (Bazarevsky et al. 2020, arXiv:2006.10204) through MediaPipe's Tasks
API (``mediapipe.tasks.python.vision.PoseLandmarker``; ai.google.dev/edge/mediapipe/
solutions/vision/pose_landmarker/python), the only pose API of mediapipe 1.x. VIDEO mode
tracks the person from frame to frame (the detector runs only when tracking is lost)
and needs monotonically increasing millisecond timestamps; segmentation masks are
reduced to silhouette features per frame (``silhouette.extract``), as the legacy backend
does. The ``.task`` bundle comes from ``gaitlens.pose.models`` (installed, assembled
offline, or downloaded) or from ``model_path``.

Frames are padded to a square before they reach the graph (``square_input``): the Tasks
graph projects the landmarks from the rotated region of interest back to the image in
normalised coordinates, which is exact only for a square image (MediaPipe's
``landmark_projection_calculator.cc`` warns "Using NORM_RECT without IMAGE_DIMENSIONS is
only supported for the square ROI"; google-ai-edge/mediapipe issue 5639, PR 4293). On the
four portrait sample renders the padded graph's findings agree with the truth and with
the legacy graph on all four clips, the unpadded graph's on two
(``bench/tasks_vs_legacy.py``, docs/pose_backends.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import BackendUnavailableError, GaitlensError
from . import silhouette
from .base import PoseResult, register_backend
from .skeleton import N_LANDMARKS


def _vision():
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import mediapipe as mp
        from mediapipe.tasks import python as mp_tasks
        from mediapipe.tasks.python import vision
    except ImportError:
        raise BackendUnavailableError(
            "mediapipe is not installed: run `pip install 'mediapipe>=1.2'`"
        ) from None
    return mp, mp_tasks, vision


@register_backend("mediapipe", install_hint="pip install 'mediapipe>=1.2'")
class TasksPose:
    """BlazePose landmarks in image pixels for upright RGB frames (Tasks API).

    Parameters
    ----------
    model_complexity : 0 lite, 1 full (default), 2 heavy: which installed bundle runs.
    model_path : a ``.task`` bundle to run instead (e.g. one the user downloaded).
    segmentation : compute silhouette features from the segmentation mask.
    min_detection_confidence, min_tracking_confidence : MediaPipe thresholds (the
        legacy graph's defaults, 0.5).
    num_poses : people to look for; the largest is taken as the runner.
    download : fetch a missing bundle (None: unless ``$GAITLENS_OFFLINE`` is set).
    square_input : pad each frame to a square (black borders, image centred) so that the
        graph's landmark projection is exact; landmarks and mask are mapped back.
    """

    name = "mediapipe"

    @staticmethod
    def is_available() -> bool:
        import importlib.util

        return importlib.util.find_spec("mediapipe") is not None

    @staticmethod
    def prepare(model_complexity: int = 1, model_path=None, **_) -> None:
        """Resolve (download if need be) the bundle before the pose threads start."""
        if not model_path:
            from . import models

            models.resolve_bundle(models.COMPLEXITY_VARIANT[int(model_complexity)])

    def __init__(
        self,
        model_complexity: int = 1,
        model_path: Optional[str] = None,
        segmentation: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        num_poses: int = 1,
        download: Optional[bool] = None,
        square_input: bool = True,
    ):
        from . import models
        from .mediapipe import quiet_native_stderr

        mp, mp_tasks, vision = _vision()
        self._mp = mp
        self.segmentation = bool(segmentation)
        self.model_complexity = int(model_complexity)
        self.square_input = bool(square_input)
        if model_path:
            path = Path(model_path)
            if not path.is_file():
                raise GaitlensError(
                    f"{path}: pose model file not found. Give the path of a MediaPipe pose "
                    "landmarker .task file."
                )
            self.variant = next((v for v in models.VARIANTS if v in path.name), "custom")
        else:
            self.variant = models.COMPLEXITY_VARIANT[self.model_complexity]
            path = models.resolve_bundle(self.variant, download=download)
        self.model_path = path
        self._provenance = models.provenance(path)
        opts = vision.PoseLandmarkerOptions(
            base_options=mp_tasks.BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=int(num_poses),
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_segmentation_masks=self.segmentation,
        )
        try:
            with quiet_native_stderr():
                self._landmarker = vision.PoseLandmarker.create_from_options(opts)
        except Exception as exc:
            raise GaitlensError(
                f"{path}: not a usable MediaPipe pose landmarker model "
                f"({' '.join(str(exc).split())[:200]}). Install it again with "
                "`gaitlens install-model`."
            ) from None
        self._last_ms = -1
        self._quiet_calls_left = 2

    def info(self) -> dict:
        out = {
            "name": self.name,
            "mediapipe_version": getattr(self._mp, "__version__", "?"),
            "api": "tasks.PoseLandmarker (VIDEO)",
            "model": self.variant,
            "model_complexity": self.model_complexity,
            "model_file": str(self.model_path),
            "square_input": self.square_input,
        }
        for key in ("source", "sha256", "detector_sha256", "landmarks_sha256"):
            if key in self._provenance:
                out[f"model_{key}"] = self._provenance[key]
        return out

    def process(
        self, image_rgb: np.ndarray, time_s: float, full_size_px: Optional[tuple] = None
    ) -> PoseResult:
        """Landmarks for one frame, in pixels of ``full_size_px`` (w, h) if given."""
        h, w = image_rgb.shape[:2]
        fw, fh = full_size_px or (w, h)
        xy = np.full((N_LANDMARKS, 2), np.nan)
        vis = np.zeros(N_LANDMARKS)
        mask = None
        # VIDEO mode needs strictly increasing integer milliseconds
        ms = max(int(round(time_s * 1000)), self._last_ms + 1)
        self._last_ms = ms
        side = max(h, w) if self.square_input else 0
        ox, oy = ((side - w) // 2, (side - h) // 2) if side else (0, 0)
        if side and (h != w):
            padded = np.zeros((side, side, 3), np.uint8)
            padded[oy : oy + h, ox : ox + w] = image_rgb
        else:
            padded, side = np.ascontiguousarray(image_rgb), 0
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=padded)
        res = self._call(image, ms)
        people = res.pose_landmarks or []
        if people:
            # the largest person (vertical extent of the landmarks) is the runner
            sizes = [max(lm.y for lm in p) - min(lm.y for lm in p) for p in people]
            k = int(np.argmax(sizes))
            arr = np.array([(lm.x, lm.y, lm.visibility or 0.0) for lm in people[k]], float)
            if side:  # padded-image fractions -> frame pixels -> full-frame pixels
                px = arr[:, :2] * side - (ox, oy)
                xy[:] = px * (fw / w, fh / h)
            else:
                xy[:] = arr[:, :2] * (fw, fh)
            vis[:] = arr[:, 2]
            if res.segmentation_masks:
                mask = res.segmentation_masks[k].numpy_view()
                if mask.ndim == 3:
                    mask = mask[..., 0]
                if side:
                    mask = mask[oy : oy + h, ox : ox + w]
        sil = None
        if self.segmentation:
            sil = silhouette.extract(mask, xy, scale=(w / fw) if mask is not None else 1.0)
        return PoseResult(xy_px=xy, visibility=vis, silhouette=sil, n_people=len(people))

    def _call(self, image, ms):
        # the models load (and log to fd 2) lazily: on the first call and first detection
        if self._quiet_calls_left > 0:
            from .mediapipe import quiet_native_stderr

            with quiet_native_stderr():
                res = self._landmarker.detect_for_video(image, ms)
            if res.pose_landmarks:
                self._quiet_calls_left -= 1
            return res
        return self._landmarker.detect_for_video(image, ms)

    def close(self) -> None:
        if getattr(self, "_landmarker", None) is not None:
            from .mediapipe import quiet_native_stderr

            with quiet_native_stderr():  # LiteRT logs each accelerator it destroys
                self._landmarker.close()
            self._landmarker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):  # a landmarker left open is closed by MediaPipe at exit, noisily
        try:
            self.close()
        except Exception:
            pass
