"""Timing correction of the pose model's hip landmarks for the pelvis motion.

MediaPipe Pose smooths its landmarks over time (``smooth_landmarks``: a One Euro filter,
Casiez et al. 2012, CHI'12 pp. 2527-2530, whose cutoff rises with the landmark's speed).
The hips move slowly in the image of a treadmill runner, so their filter cutoff stays low
and the hip landmarks trail the true hip by tens of milliseconds, while the fast knees
and ankles hardly do. The pelvis point's forward velocity, and with it the peak that
times the pelvis lag (BIOMECHANICS.md section 6), then comes late.

Measured on renders of ``gaitlens.synthetic`` with known hip centres through MediaPipe
(``bench/validate_kinematics.py hip-delay``): regressing the pelvis point's position
error (treadmill frame) on its velocity gives a delay of 38 ms on the 14 fitting renders
(30 fps, 4 s, both facings; R^2 0.64), 30 ms on the 16 other renders (30 and 60 fps), and
the two thigh angles add little (R^2 0.64 -> 0.67; alone 0.28). Advancing the pelvis track by this
delay brings the measured peak back (held-out numbers in docs/kinematics.md).

The correction is applied only to tracks from the MediaPipe backend (``apply``); keypoints
projected from markers or from the synthetic model's truth carry no delay, so the reference
bands derived from them are unchanged.
"""

from __future__ import annotations

import numpy as np

#: Delay of MediaPipe's hip landmarks behind the true hip centre (s): least-squares slope of
#: the pelvis point's position error on its velocity over 14 synthetic renders through
#: MediaPipe 0.10.21 (solutions.pose, model complexity 1, smooth_landmarks=True);
#: bench/validate_kinematics.py hip-delay. The heavy model (complexity 2, same smoothing)
#: trails by 17-50 ms (median 33 ms, cross-correlation on 20 renders, docs/pelvis.md), so
#: the same value is used for it.
MEDIAPIPE_HIP_DELAY_S = 0.038

#: Delay (s) of the Tasks graph's hip landmarks (``PoseLandmarker`` in VIDEO mode, which
#: smooths the landmarks in time as the legacy graph does: frame by frame in IMAGE mode the
#: same fit gives -1.5 ms, R^2 0.01), per BlazePose model, measured the same way on the
#: same 14 held-out renders (``bench/tasks_vs_legacy.py``, docs/pose_backends.md; R^2
#: 0.47 lite, 0.64 full, 0.6 heavy); the legacy graph gives 37.8 ms there, reproducing
#: ``MEDIAPIPE_HIP_DELAY_S``.
TASKS_HIP_DELAY_S = {"lite": 0.027, "full": 0.042, "heavy": 0.056}

#: Backends whose landmarks are smoothed in time by the pose model.
DELAYED_BACKENDS = ("mediapipe", "mediapipe-legacy")


def hip_delay_s(backend: dict) -> float:
    """Delay (s) of the hip landmarks for a ``PoseTrack.backend`` description, chosen by
    the pose graph that made the track: the legacy ``solutions.pose`` graph (backend
    ``mediapipe-legacy``, and tracks saved by earlier gaitlens versions under the name
    ``mediapipe`` with ``api`` "solutions.pose ...") or the Tasks ``PoseLandmarker``."""
    backend = backend or {}
    name = str(backend.get("name", "")).lower()
    if name not in DELAYED_BACKENDS:
        return 0.0
    api = str(backend.get("api", ""))
    if api.startswith("solutions.") or (name == "mediapipe-legacy" and not api):
        return MEDIAPIPE_HIP_DELAY_S
    model = str(backend.get("model", "full"))
    return TASKS_HIP_DELAY_S.get(model, TASKS_HIP_DELAY_S["full"])


def apply(clean, track):
    """Record the hip-landmark delay of ``track``'s backend on ``clean`` (attribute
    ``hip_landmark_delay_s``), which ``gaitlens.kinematics.compute`` uses to advance the
    pelvis point. Returns ``clean``."""
    clean.hip_landmark_delay_s = hip_delay_s(getattr(track, "backend", {}))
    return clean


def advance(xy: np.ndarray, t: np.ndarray, delay_s: float) -> np.ndarray:
    """The track ``delay_s`` seconds later: out(t) = xy(t + delay), linear interpolation
    on the real timestamps over the finite samples; the last ``delay_s`` hold the final
    value; NaN stays NaN. ``xy`` is (n,) or (n, d)."""
    a = np.asarray(xy, float)
    if not delay_s or len(a) < 2:
        return a.copy()
    t = np.asarray(t, float)
    cols = a.reshape(len(a), -1)
    out = np.full_like(cols, np.nan)
    for j in range(cols.shape[1]):  # coordinates, not frames
        ok = np.isfinite(cols[:, j])
        if ok.sum() >= 2:
            out[:, j] = np.interp(t + delay_s, t[ok], cols[ok, j])
            out[~ok, j] = np.nan
    return out.reshape(a.shape)
