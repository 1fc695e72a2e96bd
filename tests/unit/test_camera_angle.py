"""Camera turned from the side view (issue 21 item 2): the synthetic camera's yaw and
pitch, the camera-yaw estimate (``gaitlens.cleaning.CameraYaw``), its warning and the
fault-confidence caps, on the fast synthetic path (true keypoints plus 1.5 px noise,
``SyntheticRun.to_pose_track``; seeded). The renders through MediaPipe that calibrate the
estimate and choose the angles are in bench/camera_angle.py (docs/robustness.md).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np
import pytest

from gaitlens.cleaning import CameraYaw, CleaningConfig, clean
from gaitlens.synthetic import RunnerParams, simulate
from gaitlens.synthetic.run import Camera, make_camera


def _run(yaw=0.0, pitch=0.0, **kw):
    p = RunnerParams(duration_s=4.0, fps=30.0, seed=5, camera_yaw_deg=yaw, camera_pitch_deg=pitch)
    return simulate(replace(p, **kw))


# ---------------------------------------------------------------- the synthetic camera
def test_zero_angles_are_the_side_camera():
    p = RunnerParams()
    cam = make_camera(p, x_m=0.3)
    assert (cam.yaw_deg, cam.pitch_deg) == (0.0, 0.0) and not cam.turned
    rng = np.random.default_rng(0)
    xy, z = rng.normal(0, 1, (50, 2)), rng.normal(0, 0.1, 50)
    # the side camera's formula, written out
    s = cam.focal_px / (cam.distance_m + z)
    u = 0.5 * cam.width_px + s * (xy[:, 0] - cam.x_m)
    v = 0.5 * cam.height_px - s * (xy[:, 1] - cam.height_m)
    assert np.array_equal(cam.project(xy, z), np.stack([u, v], axis=-1))


def test_truth_does_not_depend_on_the_camera():
    a, b = _run(), _run(yaw=30.0, pitch=-10.0)
    assert a.strides.equals(b.strides)
    assert a.signals.equals(b.signals)
    assert all(np.array_equal(a.points_m[k], b.points_m[k]) for k in a.points_m)
    assert not np.allclose(a.points_px()["left_knee"], b.points_px()["left_knee"])


@pytest.mark.parametrize("yaw", [-30.0, 20.0, 45.0])
def test_turned_camera_foreshortens_the_direction_of_travel(yaw):
    cam = Camera(480, 640, 1000.0, 4.0, 0.85, 0.0, "right", yaw_deg=yaw)
    seg = cam.project(np.array([[-0.01, 0.85], [0.01, 0.85]]))  # 2 cm along travel
    vert = cam.project(np.array([[0.0, 0.84], [0.0, 0.86]]))  # 2 cm up
    px_per_m = 1000.0 / 4.0
    assert np.diff(seg[:, 0])[0] == pytest.approx(0.02 * px_per_m * np.cos(np.radians(yaw)), 1e-3)
    assert -np.diff(vert[:, 1])[0] == pytest.approx(0.02 * px_per_m, 1e-3)


@pytest.mark.parametrize("facing", ["right", "left"])
def test_far_shoulder_ahead_when_turned_towards_the_front(facing):
    sgn = 1.0 if facing == "right" else -1.0
    for yaw, ahead in ((20.0, True), (-20.0, False)):
        run = _run(yaw=yaw, facing=facing)
        px = run.points_px()
        near, far = run.near_side, "left" if run.near_side == "right" else "right"
        d = sgn * (px[f"{far}_shoulder"][:, 0] - px[f"{near}_shoulder"][:, 0])
        assert (np.median(d) > 0) == ahead


def test_renderer_is_solid_only_when_the_camera_is_turned():
    from gaitlens.synthetic.renderer import Renderer, Style

    small = dict(duration_s=0.1, image_size_px=(120, 160))
    assert not Renderer(_run(**small)).solid
    assert Renderer(_run(**small), Style(solid=True)).solid
    turned = Renderer(_run(yaw=20.0, **small))
    assert turned.solid
    frame = next(turned.frames(0, 1))
    assert frame.shape == (160, 120, 3) and frame.dtype == np.uint8


# ---------------------------------------------------------------- the estimate
def test_mediapipe_curve_reads_its_knots_and_flags_flipping_shoulders():
    y = CameraYaw()
    for off, ang in zip(y.offsets_legs, y.angles_deg):
        e = y.from_offsets(off, abs(off))
        assert e["camera_yaw_deg"] == pytest.approx(ang, abs=1e-6)
    # a square side view reads 0 and passes
    e = y.from_offsets(-0.046, 0.046)
    assert abs(e["camera_yaw_deg"]) < 1 and e["camera_yaw_verdict"] == "side"
    # 45 deg: the far shoulder flips sides between frames (median near 0, spread large)
    e = y.from_offsets(0.0, 0.27)
    assert e["camera_yaw_direction"] == "unclear" and e["camera_yaw_verdict"] == "refuse"
    # monotone: more offset, more angle
    offs = np.linspace(-0.3, 0.35, 40)
    est = [y.from_offsets(o, abs(o))["camera_yaw_deg"] for o in offs]
    assert np.all(np.diff(est) >= 0)


@pytest.mark.parametrize("facing", ["right", "left"])
@pytest.mark.parametrize("yaw", [-30.0, -20.0, -10.0, 0.0, 10.0, 20.0, 30.0])
def test_estimate_within_its_error_on_true_keypoints(yaw, facing):
    run = _run(yaw=yaw, facing=facing)
    c = clean(run.to_pose_track(noise_px=1.5, seed=7), CleaningConfig())
    err = CameraYaw().error_deg
    assert c.view["camera_yaw_deg"] == pytest.approx(yaw, abs=err), c.view
    expected = "front" if c.view["camera_yaw_deg"] >= 0 else "back"
    assert c.view["camera_yaw_direction"] == expected


# ---------------------------------------------------------------- warning and caps
@cache
def _analysis(yaw: float):
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import analyze_track

    run = simulate(RunnerParams(duration_s=6.0, fps=60.0, seed=3, camera_yaw_deg=yaw))
    return analyze_track(run.to_pose_track(noise_px=1.5, seed=3), AnalysisConfig())


def _camera_reasons(f):
    return [r for r in f.confidence_reasons if "camera is turned" in r]


def test_square_camera_no_warning_no_cap():
    a = _analysis(0.0)
    assert a.quality["view"]["camera_yaw_verdict"] == "side"
    assert not [w for w in a.warnings if "camera looks turned" in w]
    assert not any(_camera_reasons(f) for f in a.findings)
    assert any(f.judged for f in a.findings)


def test_beyond_the_warn_angle_a_warning_and_at_most_medium():
    y = CameraYaw()
    a = _analysis(y.warn_true_deg + 2.0)
    view = a.quality["view"]
    assert view["camera_yaw_verdict"] == "warn", view
    assert [w for w in a.warnings if "camera looks turned" in w]
    for f in a.findings:
        assert f.confidence in ("low", "medium")
        assert _camera_reasons(f), f.confidence_reasons


def test_beyond_the_refuse_angle_no_verdict_with_the_reason():
    y = CameraYaw()
    a = _analysis(y.refuse_true_deg + 6.0)
    assert a.quality["view"]["camera_yaw_verdict"] == "refuse"
    assert [w for w in a.warnings if "not judged" in w]
    for f in a.findings:
        assert f.confidence == "low" and not f.judged and f.severity == "none"
        assert _camera_reasons(f), f.confidence_reasons


def test_estimate_reaches_analysis_json_and_the_report():
    from gaitlens.io.jsonsafe import json_safe
    from gaitlens.report.html import quality_context

    a = _analysis(CameraYaw().warn_true_deg + 2.0)
    view = json_safe(a.to_dict())["quality"]["view"]
    assert view["camera_yaw_verdict"] == "warn" and np.isfinite(view["camera_yaw_deg"])
    rows = quality_context(a, [])["rows"]
    row = [r for r in rows if r["name"].startswith("camera turned")]
    assert row and row[0]["value"].startswith("about") and "warning from" in row[0]["note"]
