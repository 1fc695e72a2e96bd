"""The synthetic runner's gait model: events, contact, signs, fault knobs, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlens.synthetic import RunnerParams, simulate
from gaitlens.synthetic.truth import load_truth, write_truth


@pytest.fixture(scope="module")
def run():
    return simulate(RunnerParams(duration_s=4.0, fps=120.0))


def _metrics(**knobs):
    return simulate(RunnerParams(duration_s=2.5, **knobs)).strides.iloc[0]


def test_events_alternate_and_no_double_support(run):
    ev = run.events
    p = run.params
    for side in ("left", "right"):
        e = ev[ev.side == side]
        kinds = e.event.tolist()
        assert all(a != b for a, b in zip(kinds, kinds[1:])), kinds  # IC, TO, IC, ...
        ic = e[e.event == "IC"].time_s.to_numpy()
        assert np.allclose(np.diff(ic), p.stride_time_s)
    # each IC of one foot falls between the other foot's TO and its next IC
    for side, other in (("left", "right"), ("right", "left")):
        ic = ev[(ev.side == side) & (ev.event == "IC")].time_s.to_numpy()
        o = ev[ev.side == other]
        for t in ic:
            before = o[o.time_s < t]
            if len(before):
                assert before.event.iloc[-1] == "TO", t
    contact = run.signals[["left_contact", "right_contact"]].to_numpy()
    assert not np.any(contact.sum(axis=1) > 1)  # never both feet on the belt
    assert np.any(contact.sum(axis=1) == 0)  # flight phases exist
    s = run.strides
    assert (s.duty_factor < 0.5).all() and (s.duty_factor > 0.2).all()
    assert np.allclose(s.stride_time_s, 120.0 / p.cadence_spm)


def test_stance_foot_moves_with_belt_and_swing_foot_clears(run):
    p = run.params
    dt = 1.0 / p.fps
    for side in ("left", "right"):
        c = run.signals[f"{side}_contact"].to_numpy().astype(bool)
        sole, toe = run.points_m[f"{side}_sole"], run.points_m[f"{side}_toe"]
        low = np.minimum(sole[:, 1], toe[:, 1])
        assert np.all(np.abs(low[c]) < 1e-3)  # on the belt in stance
        assert np.all(low[~c] > -1e-3)  # never through the belt in swing
        # a point on the ground in two consecutive frames travels at belt speed
        for pt in (sole, toe):
            on = np.abs(pt[:, 1]) < 1e-6
            both = on[:-1] & on[1:] & c[:-1] & c[1:]
            v = np.diff(pt[:, 0])[both] / dt
            assert both.sum() > 3
            assert np.allclose(v, -p.speed_m_s, atol=0.02), v  # no sliding


def test_angle_signs_and_definitions(run):
    sig, pts = run.signals, run.points_m
    for side in ("left", "right"):
        th_vec = pts[f"{side}_knee"] - pts[f"{side}_hip"]
        th = np.degrees(np.arctan2(th_vec[:, 0], -th_vec[:, 1]))
        assert np.allclose(th, sig[f"{side}_thigh_angle_deg"], atol=1e-6)
        sh_vec = pts[f"{side}_ankle"] - pts[f"{side}_knee"]
        sh = np.degrees(np.arctan2(sh_vec[:, 0], -sh_vec[:, 1]))
        assert np.allclose(sh, sig[f"{side}_shank_angle_deg"], atol=1e-6)
        kf = sig[f"{side}_thigh_angle_deg"] - sig[f"{side}_shank_angle_deg"]
        assert np.allclose(kf, sig[f"{side}_knee_flexion_deg"], atol=1e-6)
        assert (sig[f"{side}_knee_flexion_deg"] > 0).all()
        hf = sig[f"{side}_thigh_angle_deg"] + sig["trunk_lean_deg"]
        assert np.allclose(hf, sig[f"{side}_hip_flexion_deg"])
    s = run.strides.iloc[0]
    assert s.thigh_angle_ic_deg > 15  # thigh in front at IC
    assert s.hip_extension_to_deg > 10  # thigh behind vertical at TO (BIOMECHANICS s.6)
    assert 10 < s.knee_flexion_ic_deg < 25 and 30 < s.knee_flexion_midstance_deg < 50
    assert 85 < s.knee_flexion_swing_peak_deg < 120
    assert 4 < s.trunk_lean_mean_deg < 12
    # pelvic tilt: anterior (ASIS below PSIS) and biphasic within the stride
    asis, psis = pts["asis"], pts["psis"]
    v = asis - psis
    tilt = np.degrees(np.arctan2(-v[:, 1], v[:, 0]))
    assert np.allclose(tilt, sig.pelvic_tilt_deg, atol=1e-6)
    assert (sig.pelvic_tilt_deg > 0).all()
    assert 9 <= s.pelvic_tilt_mean_deg <= 15 and 6 <= s.pelvic_tilt_rom_deg <= 8
    p = run.params
    one = sig[sig.time_s < p.stride_time_s].pelvic_tilt_deg.to_numpy()
    peaks = np.sum((one[1:-1] > one[:-2]) & (one[1:-1] >= one[2:]))
    assert peaks == 2
    # foot flat at midstance: foot angle about 90 deg
    c = sig.right_contact.to_numpy().astype(bool)
    assert np.any(np.abs(sig.right_foot_angle_deg[c] - 90) < 1)


def test_image_facing_and_pixels():
    for facing, sgn in (("right", 1), ("left", -1)):
        r = simulate(RunnerParams(duration_s=0.5, facing=facing))
        px = r.points_px()
        assert np.all(sgn * (px["nose"][:, 0] - px[f"{r.near_side}_ear"][:, 0]) > 0)
        assert np.all(px["head"][:, 1] < px["right_hip"][:, 1])  # y down in the image
        assert r.near_side == facing  # a runner moving image-right shows their right side
        w, h = r.params.image_size_px
        allpx = np.concatenate(list(px.values()))
        assert allpx[:, 0].min() > 0 and allpx[:, 0].max() < w
        assert allpx[:, 1].min() > 0 and allpx[:, 1].max() < h


KNOB_EFFECTS = {
    # metric: +1 must rise with the knob, -1 must fall
    # the pelvis surges later and less: the lag grows where the surge still has a phase
    # (knob <= 0.5; beyond, R^2 < MIN_SURGE_R2 and the lag is NaN) and the surge shrinks
    "pelvis_lag": {"pelvis_surge_legs_per_s": -1, "pelvis_late_swing_excursion_legs": -1},
    "pelvis_back_hips_flexed": {
        "hip_flexion_ic_deg": +1,
        "hip_flexion_midstance_deg": +1,
        "hip_extension_to_deg": -1,
        "trunk_lean_mean_deg": +1,
        "overstride_legs": +1,
        "knee_flexion_midstance_deg": +1,
    },
    "pelvic_tilt_suppressed": {
        "pelvic_tilt_mean_deg": -1,
        "pelvic_tilt_rom_deg": -1,
        "trunk_lean_mean_deg": -1,
    },
}


@pytest.mark.parametrize("knob", list(KNOB_EFFECTS))
def test_fault_knobs_move_their_metrics_monotonically(knob):
    mags = (0.0, 0.25, 0.5, 0.75, 1.0)
    rows = [_metrics(**{knob: m}) for m in mags]
    for col, sign in KNOB_EFFECTS[knob].items():
        vals = np.array([r[col] for r in rows])
        assert np.all(sign * np.diff(vals) > 0), (col, vals)
    if knob == "pelvis_lag":
        lag = np.array([r.pelvis_lag_ms for r in rows])
        assert np.all(np.diff(lag[:3]) > 0) and np.isnan(lag[-1]), lag
        assert rows[0].pelvis_late_swing_excursion_legs > 0.01
        assert rows[-1].pelvis_late_swing_excursion_legs <= 0.0  # pelvis no longer comes forward
    if knob == "pelvis_back_hips_flexed":
        assert rows[-1].trunk_lean_mean_deg > 12 and rows[-1].knee_flexion_midstance_deg > 50
    if knob == "pelvic_tilt_suppressed":
        assert rows[-1].pelvic_tilt_mean_deg < 5


def test_faults_combine():
    base = _metrics()
    allf = _metrics(pelvis_lag=1.0, pelvis_back_hips_flexed=1.0, pelvic_tilt_suppressed=1.0)
    assert allf.pelvis_surge_legs_per_s < 0.5 * base.pelvis_surge_legs_per_s
    assert allf.pelvis_late_swing_excursion_legs < 0
    assert allf.hip_flexion_ic_deg > base.hip_flexion_ic_deg
    assert allf.hip_extension_to_deg < base.hip_extension_to_deg
    assert allf.pelvic_tilt_mean_deg < base.pelvic_tilt_mean_deg - 5
    assert allf.pelvic_tilt_rom_deg < base.pelvic_tilt_rom_deg


def test_knob_range_is_checked():
    with pytest.raises(ValueError):
        RunnerParams(pelvis_lag=1.5)
    with pytest.raises(ValueError):
        RunnerParams(facing="up")


def test_seeded_and_deterministic(tmp_path):
    a = simulate(RunnerParams(duration_s=1.0, seed=3))
    b = simulate(RunnerParams(duration_s=1.0, seed=3))
    assert a.truth_frame().equals(b.truth_frame())
    ta, tb = a.to_pose_track(noise_px=2.0), b.to_pose_track(noise_px=2.0)
    assert np.array_equal(ta.xy_px, tb.xy_px)
    tc = a.to_pose_track(noise_px=2.0, seed=4)
    assert not np.array_equal(ta.xy_px, tc.xy_px)
    clean = a.to_pose_track()
    resid = (ta.xy_px - clean.xy_px).ravel()
    assert 1.7 < resid.std() < 2.3


def test_to_pose_track_matches_truth():
    r = simulate(RunnerParams(duration_s=1.0))
    tr = r.to_pose_track()
    px = r.points_px()
    assert tr.xy_px.shape == (r.n_frames, 33, 2)
    assert np.allclose(tr.point("left_knee"), px["left_knee"])
    assert np.allclose(tr.point("right_foot_index"), px["right_toe"])
    assert tr.detected.all()
    assert abs(tr.sampling_rate_hz - r.params.fps) < 1e-6


def test_truth_files_round_trip(tmp_path):
    r = simulate(RunnerParams(duration_s=1.5))
    write_truth(r, tmp_path / "clip.mp4")
    meta, df = load_truth(tmp_path / "clip.mp4")
    assert meta["faults"]["pelvis_lag"]["magnitude"] == 0.0
    assert len(meta["events"]) == len(r.events)
    assert meta["strides"][0]["stride_time_s"] == pytest.approx(r.params.stride_time_s)
    assert len(df) == r.n_frames
    for col in ("left_knee_x_px", "asis_y_px", "pelvic_tilt_deg", "right_hip_flexion_deg"):
        assert col in df.columns
    assert np.allclose(df.left_knee_x_px, r.points_px()["left_knee"][:, 0], rtol=1e-4)
