"""Legacy MediaPipe BlazePose backend (Bazarevsky et al. 2020, arXiv:2006.10204),
registered as ``mediapipe-legacy``: available only where the installed mediapipe still
has ``mediapipe.solutions`` (0.10.x; mediapipe 1.x has only the Tasks API, see
``gaitlens.pose.tasks``, the default backend ``mediapipe``).

The legacy ``mediapipe.solutions.pose`` graph in tracking (video) mode with
model complexity 1 ("full"), whose weights ship inside the mediapipe 0.10.21 wheel,
so it runs offline. Optional: a user-supplied ``.task`` bundle (for example the heavy
landmarker) through the Tasks API ``PoseLandmarker`` in VIDEO running mode.
Both return a segmentation mask, reduced to silhouette features per frame.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import BackendUnavailableError, GaitlensError
from . import silhouette
from .base import PoseResult, register_backend
from .skeleton import N_LANDMARKS


def _mediapipe():
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import mediapipe as mp
    except ImportError:
        raise BackendUnavailableError(
            "mediapipe is not installed: run `pip install mediapipe==0.10.21`"
        ) from None
    return mp


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence the C++ log lines (TFLite/glog) MediaPipe prints from its own threads.

    File descriptor 2 goes to /dev/null for the duration; the context yields a Python
    text stream on the original stderr so that a progress bar can still be shown.
    """
    # native code writes to descriptor 2 whatever sys.stderr is (in Jupyter the kernel
    # forwards descriptor 2 into the notebook, and sys.stderr.fileno() is another one)
    fd = 2
    try:
        sys.stderr.flush()
        os.fstat(fd)
    except (OSError, ValueError):
        yield sys.stderr
        return
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    stream = os.fdopen(os.dup(saved), "w", buffering=1)
    try:
        os.dup2(devnull, fd)
        yield stream
    finally:
        stream.flush()
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
        stream.close()


_quiet_stderr = quiet_native_stderr


#: the legacy graph's landmark model per model complexity; only "full" is in the wheel
LEGACY_MODEL_FILES = {
    0: "pose_landmark_lite.tflite",
    1: "pose_landmark_full.tflite",
    2: "pose_landmark_heavy.tflite",
}


def legacy_model_path(model_complexity: int = 1) -> Optional[Path]:
    """Where MediaPipe's legacy pose graph loads the landmark model of this complexity
    (inside the installed mediapipe package; None if mediapipe is not installed). The file
    need not exist: the wheel carries only the full model (complexity 1)."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("mediapipe")
    except Exception:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0])
    return root / "modules" / "pose_landmark" / LEGACY_MODEL_FILES[int(model_complexity)]


def bundled_model_path() -> Optional[Path]:
    """Where the wheel's full BlazePose landmark model lies (None if absent)."""
    p = legacy_model_path(1)
    return p if p is not None and p.exists() else None


def missing_model_message(model_complexity: int) -> str:
    """One line: the legacy model of this complexity is not installed, and how to add it."""
    name = LEGACY_MODEL_FILES[int(model_complexity)]
    return (
        f"BlazePose model complexity {model_complexity} ({name}) is not installed and cannot "
        f"be downloaded here: copy {name} (it ships in the @mediapipe/pose npm package) to "
        f"{legacy_model_path(model_complexity)}, or pass a MediaPipe .task file with "
        "--pose-model"
    )


#: SHA-256 of the legacy landmark models as shipped in the ``@mediapipe/pose`` npm
#: package 0.5.1675469404 (its full model is byte-identical to the mediapipe 0.10.21 wheel's)
LEGACY_MODEL_SHA256 = {
    0: "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    1: "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    2: "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
}


def install_model(source) -> Path:
    """Install BlazePose lite or heavy for the legacy graph from ``source``: a
    ``pose_landmark_{lite,heavy}.tflite`` file or the ``@mediapipe/pose`` npm tarball
    (``npm pack @mediapipe/pose``) holding it. The file is checked against the known
    SHA-256 and written atomically to ``legacy_model_path`` (where MediaPipe's own
    download would put it); the source is only read. Returns the installed path."""
    import hashlib
    import tarfile

    src = Path(source)
    if not src.is_file():
        raise GaitlensError(f"{src}: file not found. Give a .tflite model or the npm .tgz.")
    blobs = {}  # complexity -> bytes
    if tarfile.is_tarfile(src):
        with tarfile.open(src) as tar:
            for m in tar.getmembers():
                for n in (0, 2):
                    if m.isfile() and Path(m.name).name == LEGACY_MODEL_FILES[n]:
                        blobs[n] = tar.extractfile(m).read()
        if not blobs:
            raise GaitlensError(
                f"{src}: no pose_landmark_heavy/lite.tflite inside; is it the @mediapipe/pose "
                "npm package?"
            )
    else:
        data = src.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        n = next((k for k, v in LEGACY_MODEL_SHA256.items() if v == digest), None)
        if n is None or n == 1:
            raise GaitlensError(
                f"{src}: not a known BlazePose lite or heavy landmark model (SHA-256 "
                f"{digest[:12]}...); take pose_landmark_heavy.tflite from the @mediapipe/pose "
                "npm package"
            )
        blobs[n] = data
    for n, data in blobs.items():  # check everything before writing anything
        if hashlib.sha256(data).hexdigest() != LEGACY_MODEL_SHA256[n]:
            raise GaitlensError(
                f"{src}: {LEGACY_MODEL_FILES[n]} does not match the known model (SHA-256); "
                "download the package again"
            )
    installed = []
    for n, data in sorted(blobs.items(), reverse=True):
        dest = legacy_model_path(n)
        if dest is None:
            raise BackendUnavailableError(
                "mediapipe is not installed: run `pip install mediapipe==0.10.21`"
            )
        tmp = dest.with_name(dest.name + ".part")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise GaitlensError(f"cannot write {dest}: {exc.strerror}") from None
        installed.append(dest)
    return installed[0]


@register_backend("mediapipe-legacy", install_hint="pip install mediapipe==0.10.21")
class MediaPipePose:
    """BlazePose landmarks in image pixels for upright RGB frames.

    Parameters
    ----------
    model_complexity : 1 = full (bundled). 0 (lite) and 2 (heavy) are not in the wheel:
        they run once their ``.tflite`` lies at ``legacy_model_path(n)`` (the files ship in
        the ``@mediapipe/pose`` npm package); otherwise use ``model_path``.
    model_path : a ``.task`` bundle for the Tasks API PoseLandmarker (e.g. heavy).
    segmentation : compute silhouette features from the segmentation mask.
    min_detection_confidence, min_tracking_confidence : MediaPipe thresholds.
    """

    name = "mediapipe-legacy"

    @staticmethod
    def is_available() -> bool:
        """mediapipe 0.10.x with its legacy ``solutions`` (checked without importing)."""
        import importlib.util

        spec = importlib.util.find_spec("mediapipe")
        if spec is None or not spec.submodule_search_locations:
            return False
        root = Path(list(spec.submodule_search_locations)[0])
        return (root / "python" / "solutions" / "pose.py").is_file()

    def __init__(
        self,
        model_complexity: int = 1,
        model_path: Optional[str] = None,
        segmentation: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        num_poses: int = 1,
    ):
        mp = _mediapipe()
        self.model_complexity = int(model_complexity)
        self.model_path = str(model_path) if model_path else None
        self.segmentation = segmentation
        self._mp = mp
        self._last_ms = -1
        if self.model_path:
            if not Path(self.model_path).is_file():
                raise GaitlensError(
                    f"{self.model_path}: pose model file not found. Give the path of a "
                    "MediaPipe pose landmarker .task file."
                )
            from mediapipe.tasks import python as mp_tasks
            from mediapipe.tasks.python import vision

            opts = vision.PoseLandmarkerOptions(
                base_options=mp_tasks.BaseOptions(model_asset_path=self.model_path),
                running_mode=vision.RunningMode.VIDEO,
                num_poses=int(num_poses),
                min_pose_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
                output_segmentation_masks=segmentation,
            )
            try:
                with _quiet_stderr():
                    self._landmarker = vision.PoseLandmarker.create_from_options(opts)
            except Exception as exc:
                raise GaitlensError(
                    f"{self.model_path}: not a usable MediaPipe pose landmarker model "
                    f"({exc}). Download the .task file again."
                ) from None
            self._solution = None
        else:
            path = legacy_model_path(self.model_complexity)
            if path is None or not path.is_file():
                # MediaPipe would try to download it (no network here)
                raise BackendUnavailableError(missing_model_message(self.model_complexity))
            with _quiet_stderr():
                self._solution = mp.solutions.pose.Pose(
                    static_image_mode=False,
                    model_complexity=self.model_complexity,
                    smooth_landmarks=True,
                    enable_segmentation=segmentation,
                    smooth_segmentation=True,
                    min_detection_confidence=min_detection_confidence,
                    min_tracking_confidence=min_tracking_confidence,
                )
            self._landmarker = None

    def info(self) -> dict:
        mp = self._mp
        if self.model_path:
            model = {"api": "tasks.PoseLandmarker", "model_file": self.model_path}
        else:
            model = {
                "api": "solutions.pose (legacy graph)",
                "model_complexity": self.model_complexity,
                "model_file": str(legacy_model_path(self.model_complexity)),
                "source": "bundled in the mediapipe wheel"
                if self.model_complexity == 1
                else "installed by the user next to the bundled model",
            }
        return {"name": self.name, "mediapipe_version": mp.__version__, **model}

    def process(
        self, image_rgb: np.ndarray, time_s: float, full_size_px: Optional[tuple[int, int]] = None
    ) -> PoseResult:
        """Landmarks for one frame, in pixels of ``full_size_px`` (w, h) if given."""
        h, w = image_rgb.shape[:2]
        fw, fh = full_size_px or (w, h)
        xy = np.full((N_LANDMARKS, 2), np.nan)
        vis = np.zeros(N_LANDMARKS)
        mask = None
        n_people = -1
        if self._solution is not None:
            res = self._call(self._solution.process, image_rgb)
            lms = res.pose_landmarks.landmark if res.pose_landmarks else None
            if lms is not None:
                arr = np.array([(lm.x, lm.y, lm.visibility) for lm in lms])
                xy[:] = arr[:, :2] * (fw, fh)
                vis[:] = arr[:, 2]
                mask = res.segmentation_mask
        else:
            ms = max(int(round(time_s * 1000)), self._last_ms + 1)
            self._last_ms = ms
            image = self._mp.Image(
                image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(image_rgb)
            )
            res = self._call(self._landmarker.detect_for_video, image, ms)
            n_people = len(res.pose_landmarks)
            if res.pose_landmarks:
                # the largest person (by hip-shoulder extent) is the runner
                sizes = []
                for lms in res.pose_landmarks:
                    ys = [lm.y for lm in lms]
                    sizes.append(max(ys) - min(ys))
                k = int(np.argmax(sizes))
                arr = np.array([(lm.x, lm.y, lm.visibility) for lm in res.pose_landmarks[k]])
                xy[:] = arr[:, :2] * (fw, fh)
                vis[:] = arr[:, 2]
                if res.segmentation_masks:
                    mask = res.segmentation_masks[k].numpy_view()
        sil = None
        if self.segmentation:
            sil = silhouette.extract(mask, xy, scale=(w / fw) if mask is not None else 1.0)
        return PoseResult(xy_px=xy, visibility=vis, silhouette=sil, n_people=n_people)

    def _call(self, fn, *args):
        # models load (and log) lazily: on the first call and on the first detection
        if getattr(self, "_quiet_calls_left", 2) > 0:
            with _quiet_stderr():
                res = fn(*args)
            found = bool(getattr(res, "pose_landmarks", None))
            self._quiet_calls_left = getattr(self, "_quiet_calls_left", 2) - (1 if found else 0)
            return res
        return fn(*args)

    def close(self) -> None:
        if self._solution is not None:
            self._solution.close()
            self._solution = None
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
