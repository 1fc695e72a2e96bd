"""Per-frame kinematics on synthetic tracks with known angles (signs included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlens import kinematics as K
from gaitlens import schema, signals
from gaitlens.config import AnalysisConfig

from .kinematics_fixtures import events_for, make_track


def test_signs_of_single_angles():
    hip = np.array([[0.0, 0.0]])
    # knee in front of (and below) the hip: thigh flexed forward -> positive
    assert signals.segment_angle_deg(hip, np.array([[1.0, -np.sqrt(3)]]))[0] == pytest.approx(30)
    # knee behind: negative
    assert signals.segment_angle_deg(hip, np.array([[-1.0, -1.0]]))[0] == pytest.approx(-45)
    # shoulders in front of the hips: forward lean positive
    assert signals.trunk_lean_deg(hip, np.array([[0.2, 1.0]]))[0] > 0
    assert signals.trunk_lean_deg(hip, np.array([[-0.2, 1.0]]))[0] < 0
    # toe higher than heel: positive foot angle
    assert signals.foot_angle_deg(np.array([[0.0, 0.0]]), np.array([[1.0, 0.2]]))[0] > 0


def test_flexed_knee_is_positive():
    clean, truth = make_track(duration_s=1.0)
    df = K.compute(clean, None, AnalysisConfig())
    # the fixture's knee flexion is 50 +- 40 deg: always flexed
    assert (df["right_knee_flexion_deg"] > 0).all()
    np.testing.assert_allclose(df["right_knee_flexion_deg"], truth["right_knee_flexion_deg"],
                               atol=1e-6)  # fmt: skip


def test_compute_recovers_known_angles_and_has_every_column():
    clean, truth = make_track()
    ev = events_for(clean.time_s)
    df = K.compute(clean, ev, AnalysisConfig())
    assert list(df.columns[: len(schema.frame_columns())]) == schema.frame_columns()
    for side in schema.SIDES:
        for c in ("thigh_angle_deg", "shank_angle_deg", "knee_flexion_deg", "foot_angle_deg"):
            np.testing.assert_allclose(df[f"{side}_{c}"], truth[f"{side}_{c}"], atol=1e-6)
        # hip flexion (trunk-referenced) = thigh + trunk lean
        np.testing.assert_allclose(
            df[f"{side}_hip_flexion_deg"], truth[f"{side}_thigh_angle_deg"] + 10.0, atol=1e-6
        )
        # angular velocity of thigh = 30 w cos(w t + ph) deg/s (central differences)
        w = 2 * np.pi / 0.7
        ph = 0.0 if side == "right" else np.pi
        expect = 30 * w * np.cos(w * clean.time_s + ph)
        got = df[f"{side}_thigh_angular_velocity_deg_per_s"].to_numpy()
        assert np.max(np.abs(got[1:-1] - expect[1:-1])) < 0.02 * np.max(np.abs(expect))
    np.testing.assert_allclose(df["trunk_lean_deg"], 10.0, atol=1e-6)
    assert "pelvis_x_m" not in df.columns  # no scale given


def test_pelvis_treadmill_frame_removes_drift():
    clean, truth = make_track(duration_s=6.0, pelvis_amp=6.0, drift_px_per_s=15.0)
    df = K.compute(clean, None, AnalysisConfig())
    t = clean.time_s
    w2 = 2 * 2 * np.pi / 0.7
    expect = 6.0 * np.sin(w2 * t) / 200.0  # legs
    mid = (t > 1.2) & (t < t[-1] - 1.2)  # away from the running-median edges
    err = df["pelvis_x_legs"].to_numpy()[mid] - expect[mid]
    assert np.sqrt(np.mean(err**2)) < 0.1 * np.std(expect)
    v_expect = 6.0 * w2 * np.cos(w2 * t) / 200.0
    verr = df["pelvis_vx_legs_per_s"].to_numpy()[mid] - v_expect[mid]
    assert np.sqrt(np.mean(verr**2)) < 0.15 * np.std(v_expect)
    np.testing.assert_allclose(df["pelvis_y_legs"], 0.0, atol=1e-9)


def test_pelvis_point_uses_near_hip_when_far_hip_unreliable():
    clean, _ = make_track(duration_s=2.0)
    far = clean.points["left_hip"].copy()
    clean.points["left_hip"] = far + np.array([4.0, 0.0])  # a fixed 4 px offset
    p_ok, near_only = K.pelvis_point(clean)
    assert not near_only.any()
    clean.visibility["left_hip"][:30] = 0.1  # far hip unreliable in the first frames
    p, near_only = K.pelvis_point(clean)
    assert near_only[:30].all() and not near_only[30:].any()
    # near hip + the clip's median offset: continuous with the midpoint
    np.testing.assert_allclose(p, p_ok, atol=1e-9)


def test_contact_mask_marks_stance_frames():
    t = np.arange(0, 2, 0.01)
    c = K.contact_mask(t, [0.2, 1.0], [0.5, 1.3])
    assert c[(t >= 0.2) & (t < 0.5)].all() and c[(t >= 1.0) & (t < 1.3)].all()
    assert not c[(t > 0.51) & (t < 0.99)].any() and not c[t < 0.19].any()
    # a stance already running at the start of the clip (TO before the first IC)
    c2 = K.contact_mask(t, [0.8], [0.3, 1.1])
    assert c2[t < 0.29].all() and not c2[(t > 0.31) & (t < 0.79)].any()


def test_contact_column_from_events():
    clean, _ = make_track()
    ev = events_for(clean.time_s)
    df = K.compute(clean, ev, AnalysisConfig())
    t = df["time_s"].to_numpy()
    ic, to = ev.ic_s["right"][0], ev.to_s["right"][0]
    assert df["right_contact"].to_numpy()[(t > ic + 0.01) & (t < to - 0.01)].all()
    duty = df["right_contact"].mean()
    assert 0.3 < duty < 0.4  # fixture duty factor 0.35


def test_metre_columns_with_runner_height():
    clean, _ = make_track()
    ev = events_for(clean.time_s)
    df = K.compute(clean, ev, AnalysisConfig(runner_height_m=1.8))
    m_per_leg = 0.491 * 1.8  # Winter 2009 proportion
    np.testing.assert_allclose(df["pelvis_x_m"], df["pelvis_x_legs"] * m_per_leg)
    assert df.attrs["m_per_leg"] == pytest.approx(m_per_leg)


def test_scale_from_belt_speed_uses_stance_foot_speed():
    # the ankle moves backwards at 400 px/s during the middle of every stance
    t = np.arange(0, 4, 1 / 60)
    clean, _ = make_track(duration_s=4.0)
    ev = events_for(t)
    stance = K.contact_mask(t, ev.ic_s["right"], ev.to_s["right"]).astype(bool)
    x = np.cumsum(np.where(stance, -400.0, 300.0)) / 60.0
    clean.points["right_ankle"] = np.stack([x, np.zeros_like(t)], 1)
    s = K.estimate_scale(clean, ev, AnalysisConfig(belt_speed_m_s=3.0), 200.0)
    assert s.m_per_leg == pytest.approx(3.0 / (400.0 / 200.0), rel=0.02)


def test_hamstring_model_moment_arms_and_signs():
    H = K.HAMSTRINGS
    assert H.stretch_pct(0.0, 0.0) == pytest.approx(0.0, abs=1e-9)
    assert H.stretch_pct(40.0, 0.0) > 0  # hip flexion lengthens
    assert H.stretch_pct(0.0, 60.0) < 0  # knee flexion shortens
    assert H.stretch_pct(40.0, 20.0) > H.stretch_pct(40.0, 60.0)
    hips = np.linspace(0, 60, 7)
    knees = np.linspace(0, 90, 9)
    r_hip, _ = H.moment_arms_m(hips, 30.0)
    _, r_knee = H.moment_arms_m(40.0, knees)
    # BIOMECHANICS.md section 4: hip about 5-7 cm, knee about 2-4 cm (allow the model's
    # angle dependence a little outside); hip arm shrinks in extension
    assert np.all((r_hip > 0.04) & (r_hip < 0.075))
    assert H.moment_arms_m(-20.0, 30.0)[0] < r_hip[0]
    assert np.all((r_knee > 0.015) & (r_knee < 0.055))


def test_hamstring_stretch_uses_trunk_reference_without_tilt():
    clean, truth = make_track()
    df = K.compute(clean, None, AnalysisConfig())
    assert df.attrs["hamstring_hip_reference"] == "trunk"
    expect = K.HAMSTRINGS.stretch_pct(truth["left_thigh_angle_deg"] + 10.0,
                                      truth["left_knee_flexion_deg"])  # fmt: skip
    np.testing.assert_allclose(df["left_hamstring_stretch_pct"], expect, atol=1e-6)


def test_nan_frames_stay_local():
    clean, _ = make_track()
    clean.points["right_knee"][100] = np.nan
    df = K.compute(clean, None, AnalysisConfig())
    v = df["right_thigh_angular_velocity_deg_per_s"].to_numpy()
    assert np.isnan(v[99]) and np.isnan(v[101])
    assert np.isfinite(v[:98]).all() and np.isfinite(v[103:]).all()


FUKUCHI = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mocap" / "fukuchi2017"


def test_angles_match_marker_truth_on_projected_fukuchi():
    """Noise-free projected keypoints (60 fps) through cleaning: RMSE <= 3 deg."""
    path = FUKUCHI / "RBDS001runT25markers.txt"
    if not path.is_file():
        pytest.skip("Fukuchi data not available")
    from gaitlens import cleaning
    from gaitlens_validation.fukuchi import load_trial, to_side_view

    trial = load_trial(path)
    track, _ = to_side_view(trial, fps=60.0, camera_side="left", duration_s=8.0, start_s=2.0)
    clean = cleaning.clean(track, AnalysisConfig())
    df = K.compute(clean, None, AnalysisConfig())
    t = track.time_s + 2.0
    jc = trial.joint_centres
    for side in schema.SIDES:
        res = {q: np.stack([np.interp(t, trial.time_s, jc[f"{side}_{q}"][:, j]) for j in (0, 1)],
                           axis=1) for q in ("hip", "knee", "ankle")}  # fmt: skip
        thigh = signals.segment_angle_deg(res["hip"], res["knee"])
        knee = thigh - signals.segment_angle_deg(res["knee"], res["ankle"])
        for col, truth in (("thigh_angle_deg", thigh), ("knee_flexion_deg", knee)):
            e = df[f"{side}_{col}"].to_numpy() - truth
            assert np.sqrt(np.nanmean(e**2)) <= 3.0, (side, col)
