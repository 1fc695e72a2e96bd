"""Estimated pelvic tilt: prior, calibration, silhouette cue + trunk lean, confidence, signs.

Silhouette features are drawn synthetically (no MediaPipe): the back contour by
``kinematics_fixtures.add_silhouette``; the lower-abdomen front edge at
``pelvis.ABDOMEN_LEVEL`` is placed where the stored calibration puts a pelvis of the
wanted tilt for the track's trunk lean (the edge is measured relative to the trunk
axis, so it encodes tilt - lean).
"""

from __future__ import annotations

import numpy as np
import pytest

from gaitlens import pelvis, reference
from gaitlens.config import AnalysisConfig
from gaitlens.pose import silhouette as sil

from .kinematics_fixtures import add_silhouette, make_track

C = reference.load_constants()
HEALTHY = C["running_pelvic_tilt_deg"]["value"]


def _edge_for(tilt_deg, lean_deg):
    """Abdomen edge (trunk lengths) that the stored line maps to ``tilt_deg``."""
    f = pelvis.ABDOMEN_FIT
    return (tilt_deg - f["lean_gain"] * lean_deg - f["intercept_deg"]) / f["gain_deg"]


def _set_abdomen(clean, edge_trunk_lengths):
    """Put the front edge at ``ABDOMEN_LEVEL`` at ``edge`` x trunk length (per frame)."""
    lean, L = pelvis._trunk(clean)
    col = f"edge_{'pos' if clean.facing == 'right' else 'neg'}_{pelvis.ABDOMEN_LEVEL:+.2f}"
    j = sil.FEATURE_NAMES.index(col)
    clean.silhouette[:, j] = np.asarray(edge_trunk_lengths, float) * L
    return clean


def _sil(clean, tilt=14.0, jitter_deg=0.0, seed=0, **kw):
    n = len(clean.time_s)
    add_silhouette(clean, np.full(n, 14.0), **kw)
    lean, _ = pelvis._trunk(clean)
    edge = _edge_for(tilt, lean)
    if jitter_deg:
        rng = np.random.default_rng(seed)
        edge = edge + rng.normal(0, jitter_deg, n) / pelvis.ABDOMEN_FIT["gain_deg"]
    return _set_abdomen(clean, edge)


def test_no_silhouette_gives_prior_with_low_confidence():
    clean, _ = make_track(duration_s=2.0)
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert est.method == "population_prior"
    np.testing.assert_allclose(est.tilt_deg, HEALTHY)
    assert np.all(est.confidence <= 0.2)
    assert any("ESTIMATED" in n for n in est.notes)


def test_calibration_sets_the_level():
    clean, _ = make_track(duration_s=2.0)
    est = pelvis.estimate_tilt(clean, AnalysisConfig(standing_pelvic_tilt_deg=5.0))
    expect = 5.0 + C["running_minus_standing_tilt_deg"]["value"]
    np.testing.assert_allclose(est.tilt_deg, expect)
    assert "calibration" in est.method


@pytest.mark.parametrize("facing", ["right", "left"])
def test_anterior_tilt_gives_positive_larger_estimate(facing):
    """A lower abdomen further from the trunk axis (pelvis tilted anteriorly) -> higher
    positive tilt, for either facing direction."""
    out = {}
    for tilt in (8.0, 18.0):
        clean, _ = make_track(duration_s=2.0)
        clean.facing = facing
        _sil(clean, tilt, jitter_deg=2.0)
        out[tilt] = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert out[18.0].tilt_deg.mean() == pytest.approx(18.0, abs=0.5)
    assert out[8.0].tilt_deg.mean() == pytest.approx(8.0, abs=0.5)
    assert out[8.0].method == "silhouette_abdomen"
    assert out[8.0].confidence.mean() > 0.5


def test_suppressed_tilt_is_not_pulled_to_the_healthy_level():
    """A runner with the pelvis held back (2 deg) and an upright trunk (3 deg): the
    estimate stays near 2 deg with a high confidence (the pelvic_tilt_suppressed case)."""
    clean, _ = make_track(duration_s=2.0, lean_deg=3.0)
    _sil(clean, 2.0, jitter_deg=2.0, seed=1)
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert est.tilt_deg.mean() == pytest.approx(2.0, abs=0.5)
    assert est.confidence.mean() > 0.5


def test_trunk_lean_is_added_back():
    """Same silhouette edge relative to the trunk, trunk 8 deg more upright: the pelvis
    (rigid with the edge in the trunk frame) is rotated back by the same 8 deg."""
    est = {}
    for lean in (3.0, 11.0):
        clean, _ = make_track(duration_s=2.0, lean_deg=lean)
        add_silhouette(clean, np.full(len(clean.time_s), 14.0))
        _set_abdomen(clean, np.full(len(clean.time_s), 0.21))
        est[lean] = pelvis.estimate_tilt(clean, AnalysisConfig()).tilt_deg.mean()
    assert est[11.0] - est[3.0] == pytest.approx(8.0 * pelvis.ABDOMEN_FIT["lean_gain"], abs=0.3)


def test_edge_jumps_get_low_frame_confidence_and_do_not_move_the_level():
    """Frames where something crosses the abdomen edge (an arm) get low confidence; the
    trimmed clip aggregate ignores them."""
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, 12.0, jitter_deg=1.0)
    n = len(clean.time_s)
    bad = np.zeros(n, bool)
    bad[::6] = True  # one frame in six
    lean, L = pelvis._trunk(clean)
    edge = _edge_for(12.0, lean)
    edge[bad] += 20.0 / pelvis.ABDOMEN_FIT["gain_deg"]  # +20 deg of apparent tilt
    _set_abdomen(clean, edge)
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert est.tilt_deg.mean() == pytest.approx(12.0, abs=1.0)
    assert est.confidence[bad].max() < 0.1
    assert est.confidence[~bad].mean() > 0.6


def test_contour_angle_recovers_the_drawn_line():
    clean, _ = make_track(duration_s=1.0)
    theta_true = 14.0 + 3.0 * np.sin(np.linspace(0, 6, len(clean.time_s)))
    add_silhouette(clean, theta_true, concavity=0.0)
    e = pelvis.silhouette_edges(clean)
    lean, L = pelvis._trunk(clean)
    theta, rms = pelvis.contour_angle(e["levels"], e["back"], L, lean)
    np.testing.assert_allclose(theta, theta_true, atol=1e-6)
    assert np.nanmax(rms) < 1e-9


def test_loose_clothing_lowers_confidence_and_says_why():
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, 4.0, concavity=0.1)
    tight = pelvis.estimate_tilt(clean, AnalysisConfig())
    _sil(clean, 4.0, concavity=0.0)
    loose = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert loose.confidence.mean() < 0.5 * tight.confidence.mean()
    assert any("loose clothing" in n for n in loose.notes)
    # the flat back is not trusted: the level falls back to the healthy-runner level
    assert tight.tilt_deg.mean() == pytest.approx(4.0, abs=0.5)
    assert loose.tilt_deg.mean() == pytest.approx(HEALTHY, abs=0.5)


def test_noisy_edges_lower_confidence():
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, 12.0)
    clean_est = pelvis.estimate_tilt(clean, AnalysisConfig())
    _sil(clean, 12.0, noise_px=8.0, seed=3)
    noisy = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert noisy.confidence.mean() < clean_est.confidence.mean()


def test_never_uses_the_hip_to_hip_line():
    """Moving the far hip (turning the hip-to-hip line) leaves the estimate unchanged."""
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, 12.0)
    a = pelvis.estimate_tilt(clean, AnalysisConfig())
    sil_feats = clean.silhouette.copy()
    clean.points["left_hip"] = clean.points["left_hip"] + np.array([0.0, 8.0])
    clean.points["left_shoulder"] = clean.points["left_shoulder"] + np.array([0.0, 8.0])
    clean.silhouette = sil_feats  # same image evidence
    b = pelvis.estimate_tilt(clean, AnalysisConfig())
    # only the trunk axis length changed (by half the offset); no hip-line angle is used
    assert abs(a.tilt_deg.mean() - b.tilt_deg.mean()) < 1.5


def test_missing_silhouette_frames_fall_back_to_prior():
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, 12.0)
    clean.silhouette[: int(0.7 * len(clean.time_s))] = np.nan
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert est.method == "population_prior"
    assert any("silhouette contour found" in n for n in est.notes)


def test_implausible_silhouette_level_is_not_trusted():
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, -25.0)  # further from healthy runners than between-runner differences
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert est.tilt_deg.mean() == pytest.approx(HEALTHY, abs=0.5)
    assert est.confidence.mean() < 0.05
    assert any("far from healthy runners" in n for n in est.notes)


def test_within_stride_range_is_not_claimed():
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, 12.0)
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert not est.dynamic
    assert np.ptp(est.tilt_deg) == 0
