"""Fukuchi loader, force contacts and side-view projection (data tests skip when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlens.pose.skeleton import INDEX
from gaitlens_validation.fukuchi import (
    force_contacts,
    list_trials,
    load_trial,
    rigid_fit,
    to_side_view,
)
from gaitlens_validation.noise import PoseNoise

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mocap" / "fukuchi2017"


def _rot(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def testrigid_fit_recovers_known_motion():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(4, 3))
    angles = np.linspace(0, 1.5, 20)
    t = rng.normal(size=(20, 3))
    cur = np.stack([ref @ _rot(a).T + ti for a, ti in zip(angles, t)])
    cur[5, 2] = np.nan
    r, tt = rigid_fit(ref, cur)
    ok = np.arange(20) != 5
    assert np.allclose(r[ok], np.stack([_rot(a) for a in angles])[ok], atol=1e-9)
    assert np.allclose(tt[ok], t[ok], atol=1e-9)
    assert np.isnan(r[5]).all()


def test_rigid_fit_partial_markers():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(5, 3))
    a = 0.7
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    cur = np.repeat((ref @ rot.T + [1.0, 2.0, 3.0])[None], 4, 0)
    cur[1, 0] = np.nan
    cur[2, :3] = np.nan  # two markers left: too few
    r, t = rigid_fit(ref, cur, min_markers=3)
    assert np.allclose(r[[0, 1, 3]], rot, atol=1e-9) and np.isnan(r[2]).all()
    r0, _ = rigid_fit(ref, cur)  # default: every marker needed
    assert np.isnan(r0[1]).all() and np.allclose(r0[0], rot, atol=1e-9)


@pytest.fixture(scope="module")
def trial():
    path = DATA / "RBDS001runT25markers.txt"
    if not path.is_file():
        pytest.skip("Fukuchi data not available")
    return load_trial(path)


def test_trial_frame_and_joint_centres(trial):
    jc = trial.joint_centres
    assert len(list_trials(DATA)) >= 3
    # y up: hips ~0.9-1.0 m above the toes; x travel: ASIS in front of PSIS; z right
    assert 0.7 < np.nanmedian(jc["right_hip"][:, 1] - jc["right_toe"][:, 1]) < 1.1
    assert np.nanmedian(jc["right_asis"][:, 0] - jc["right_psis"][:, 0]) > 0.1
    assert np.nanmedian(jc["right_hip"][:, 2] - jc["left_hip"][:, 2]) > 0.1
    # rigid segments: thigh and shank length vary by less than 1.5 cm (SD)
    for a, b in (("hip", "knee"), ("knee", "ankle")):
        seg = np.linalg.norm(jc[f"right_{a}"] - jc[f"right_{b}"], axis=1)
        assert 0.35 < np.nanmedian(seg) < 0.5
        assert np.nanstd(seg) < 0.015
    assert trial.height_m == pytest.approx(1.81)


def test_force_contacts_alternate_and_match_speed(trial):
    fc = force_contacts(trial.forces_path, trial=trial)
    c = fc["contacts"]
    assert fc["vertical_column"] == "Fy"
    assert len(c) > 60
    assert (c.side.to_numpy()[1:] != c.side.to_numpy()[:-1]).mean() > 0.97
    assert 0.2 < c.contact_time_s.median() < 0.35
    step = np.diff(c.ic_s.to_numpy())
    assert 0.3 < np.median(step) < 0.45


def test_side_view_projection(trial):
    track, truth = to_side_view(trial, fps=60, camera_side="left", duration_s=5)
    assert abs(track.sampling_rate_hz - 60) < 1e-6
    assert truth["facing"] == "left"
    toe = track.xy_px[:, INDEX["left_foot_index"]]
    heel = track.xy_px[:, INDEX["left_heel"]]
    # facing image-left: the toe is to the left of the heel in stance (x smaller)
    assert np.median(toe[:, 0] - heel[:, 0]) < 0
    # y down in the image: the hip is above the ankle
    hip = track.xy_px[:, INDEX["left_hip"]]
    assert np.all(hip[:, 1] < track.xy_px[:, INDEX["left_ankle"], 1])
    assert truth["events"] is not None and len(truth["events"]["ic_s"]["left"]) >= 5
    noisy, t2 = to_side_view(trial, fps=60, duration_s=5, noise=PoseNoise(swap_rate_per_s=2))
    assert t2["swapped"].any()
    sw = t2["swapped"] & np.isfinite(noisy.xy_px[:, INDEX["left_knee"], 0])
    truth_r = t2["points_px"]["right_knee"][sw]
    assert np.nanmedian(np.abs(noisy.xy_px[sw, INDEX["left_knee"]] - truth_r)) < 20
