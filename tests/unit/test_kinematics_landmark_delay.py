"""Hip-landmark delay correction (gaitlens.landmark_bias) on tracks with a known delay."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from gaitlens import kinematics as K
from gaitlens import landmark_bias as LB
from gaitlens.config import AnalysisConfig

from .kinematics_fixtures import make_track


def test_advance_recovers_a_delayed_signal():
    t = np.arange(0, 3, 1 / 30)
    f = 2.8  # Hz, a step frequency
    true = np.sin(2 * np.pi * f * t)
    delayed = np.sin(2 * np.pi * f * (t - 0.04))
    got = LB.advance(delayed, t, 0.04)
    inner = t < t[-1] - 0.05  # the last delay seconds hold the final value
    assert np.max(np.abs(got[inner] - true[inner])) < 0.03  # linear interpolation at 30 fps
    assert np.max(np.abs(delayed[inner] - true[inner])) > 0.5  # the delay itself is large
    # (n, 2) input, NaN stays NaN, zero delay is the identity
    xy = np.stack([delayed, delayed], 1)
    xy[10] = np.nan
    out = LB.advance(xy, t, 0.04)
    assert np.isnan(out[10]).all() and np.isfinite(out[11]).all()
    np.testing.assert_array_equal(LB.advance(xy, t, 0.0), xy)


def test_delay_only_for_mediapipe_tracks():
    legacy = LB.MEDIAPIPE_HIP_DELAY_S
    tasks = LB.TASKS_HIP_DELAY_S["full"]
    # per pose graph: tracks saved before the Tasks backend carry name "mediapipe" and the
    # legacy graph's api
    old = {"name": "mediapipe", "api": "solutions.pose (legacy graph)"}
    assert LB.hip_delay_s(old) == pytest.approx(legacy)
    assert LB.hip_delay_s({"name": "mediapipe-legacy", "api": "solutions.pose"}) == legacy
    assert LB.hip_delay_s({"name": "mediapipe", "api": "tasks.PoseLandmarker (VIDEO)"}) == tasks
    assert LB.hip_delay_s({"name": "mediapipe"}) == pytest.approx(tasks)
    heavy = {"name": "mediapipe", "api": "tasks.PoseLandmarker (VIDEO)", "model": "heavy"}
    assert LB.hip_delay_s(heavy) == LB.TASKS_HIP_DELAY_S["heavy"]
    custom = {"name": "mediapipe", "api": "tasks.PoseLandmarker (VIDEO)", "model": "custom"}
    assert LB.hip_delay_s(custom) == tasks
    for backend in ({"name": "fukuchi_markers"}, {"name": "synthetic-truth"}, {}, None):
        assert LB.hip_delay_s(backend) == 0.0

    class Track:
        backend = {"name": "mediapipe", "api": "tasks.PoseLandmarker (VIDEO)"}

    clean, _ = make_track(duration_s=1.0)
    assert LB.apply(clean, Track()).hip_landmark_delay_s == LB.TASKS_HIP_DELAY_S["full"]


def test_compute_advances_only_the_pelvis_columns():
    clean, _ = make_track(duration_s=6.0, pelvis_amp=6.0)
    t = clean.time_s
    delay = 1.0 / 60  # half a frame at 30 fps: the velocity peak moves by exactly that
    late = copy.copy(clean)
    late.points = dict(clean.points)
    for side in ("left", "right"):  # hips that trail the truth by the delay
        late.points[f"{side}_hip"] = LB.advance(clean.points[f"{side}_hip"], t, -delay)
    late.hip_landmark_delay_s = delay
    ref = K.compute(clean, None, AnalysisConfig())
    got = K.compute(late, None, AnalysisConfig())
    uncorrected = copy.copy(late)
    uncorrected.hip_landmark_delay_s = 0.0
    raw = K.compute(uncorrected, None, AnalysisConfig())
    mid = (t > 1.2) & (t < t[-1] - 1.2)
    for col in ("pelvis_x_legs", "pelvis_vx_legs_per_s"):
        e_got = np.abs(got[col].to_numpy() - ref[col].to_numpy())[mid].max()
        e_raw = np.abs(raw[col].to_numpy() - ref[col].to_numpy())[mid].max()
        assert e_got < 0.1 * e_raw, col
    assert got.attrs["pelvis_time_advance_s"] == pytest.approx(delay)
    assert raw.attrs["pelvis_time_advance_s"] == 0.0
    # the angles still come from the landmarks as given (only the pelvis point moves)
    np.testing.assert_allclose(got["right_thigh_angle_deg"], raw["right_thigh_angle_deg"])
