"""Estimated pelvic tilt: prior, calibration, silhouette contour, confidence, signs."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlens import pelvis, reference
from gaitlens.config import AnalysisConfig

from .kinematics_fixtures import add_silhouette, make_track

C = reference.load_constants()


def _protrusion_for(tilt_deg: float) -> float:
    """Abdomen protrusion that the stored calibration maps to ``tilt_deg``."""
    c0, g = C["abdomen_tilt_intercept_deg"]["value"], C["abdomen_tilt_gain_deg"]["value"]
    return (tilt_deg - c0) / g


def _sil(clean, tilt=14.0, **kw):
    n = len(clean.time_s)
    return add_silhouette(clean, np.full(n, 14.0), protrusion=_protrusion_for(tilt), **kw)


def test_no_silhouette_gives_prior_with_low_confidence():
    clean, _ = make_track(duration_s=2.0)
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert est.method == "population_prior"
    np.testing.assert_allclose(est.tilt_deg, C["running_pelvic_tilt_deg"]["value"])
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
    """A lower abdomen pushed forward (pelvis tilted anteriorly) -> higher positive tilt,
    for either facing direction."""
    out = {}
    for tilt in (8.0, 18.0):
        clean, _ = make_track(duration_s=2.0)
        clean.facing = facing
        _sil(clean, tilt)
        out[tilt] = pelvis.estimate_tilt(clean, AnalysisConfig())
    # a clean silhouette on a fitted back recovers the calibrated level
    assert out[18.0].tilt_deg.mean() == pytest.approx(18.0, abs=0.5)
    assert out[8.0].tilt_deg.mean() == pytest.approx(8.0, abs=0.5)
    assert out[8.0].method == "silhouette_abdomen"
    assert out[8.0].confidence.mean() > 0.5


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
    _sil(clean, 6.0, concavity=0.1)
    tight = pelvis.estimate_tilt(clean, AnalysisConfig())
    _sil(clean, 6.0, concavity=0.0)
    loose = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert loose.confidence.mean() < 0.5 * tight.confidence.mean()
    assert any("loose clothing" in n for n in loose.notes)
    # the flat back is not trusted: the level falls back to the healthy-runner level
    assert loose.tilt_deg.mean() == pytest.approx(C["running_pelvic_tilt_deg"]["value"], abs=0.5)


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
    sil = clean.silhouette.copy()
    clean.points["left_hip"] = clean.points["left_hip"] + np.array([0.0, 8.0])
    clean.points["left_shoulder"] = clean.points["left_shoulder"] + np.array([0.0, 8.0])
    clean.silhouette = sil  # same image evidence
    b = pelvis.estimate_tilt(clean, AnalysisConfig())
    # only the trunk axis moved by half the offset; the tilt follows the silhouette only
    assert abs(a.tilt_deg.mean() - b.tilt_deg.mean()) < 1.0


def test_missing_silhouette_frames_fall_back_to_prior():
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, 12.0)
    clean.silhouette[: int(0.7 * len(clean.time_s))] = np.nan
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert est.method == "population_prior"
    assert any("silhouette contour found" in n for n in est.notes)


def test_implausible_silhouette_level_is_not_trusted():
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, -25.0)  # a level no healthy runner shows
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert est.tilt_deg.mean() == pytest.approx(C["running_pelvic_tilt_deg"]["value"], abs=0.5)
    assert est.confidence.mean() < 0.05
    assert any("far from healthy runners" in n for n in est.notes)


def test_within_stride_range_is_not_claimed():
    clean, _ = make_track(duration_s=2.0)
    _sil(clean, 12.0)
    est = pelvis.estimate_tilt(clean, AnalysisConfig())
    assert not est.dynamic
    assert np.ptp(est.tilt_deg) == 0
