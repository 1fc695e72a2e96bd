"""Variable frame rate: cleaning on a uniform grid, outputs at the input frames."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlens import cleaning, events, strides
from gaitlens_validation.events import match_events
from gaitlens_validation.noise import PoseNoise
from gaitlens_validation.stick import stick_track


def _vfr(track, seed=0):
    """Keep 120 fps frames at irregular steps of 1/60, 1/30 and 1/20 s (phone-like)."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([2, 2, 4, 6], size=track.n_frames)
    keep_idx = np.cumsum(np.r_[0, steps])
    keep = np.zeros(track.n_frames, bool)
    keep[keep_idx[keep_idx < track.n_frames]] = True
    sub = track.copy(
        time_s=track.time_s[keep], xy_px=track.xy_px[keep], visibility=track.visibility[keep]
    )
    return sub, keep


def test_interp_rows_is_nan_aware_and_exact_on_samples():
    t = np.array([0.0, 0.1, 0.2, 0.5, 0.6])
    a = np.array([0.0, 1.0, np.nan, 5.0, 6.0])
    out = cleaning.interp_rows(t, a, np.array([0.0, 0.05, 0.1, 0.15, 0.35, 0.55, 0.6]), 0.2)
    assert out[0] == 0.0 and out[2] == 1.0 and out[-1] == 6.0
    assert out[1] == pytest.approx(0.5) and out[5] == pytest.approx(5.5)
    assert np.isnan(out[3])  # next to a NaN sample
    assert np.isnan(out[4])  # 0.3 s interval: longer than max_dt, not bridged


def test_irregular_timing_detection():
    r = cleaning.UniformResampler()
    t60 = np.round(np.arange(600) / 60, 3)  # constant rate, container timestamps in ms
    assert not r.irregular(t60)
    assert not r.irregular(np.round(np.arange(600) / 120, 3))
    track, _ = stick_track(fps=120, duration_s=3)
    assert r.irregular(_vfr(track)[0].time_s)
    g = r.grid(np.array([0.0, 1 / 60, 1 / 20, 1 / 15, 0.1]))  # mean rate 40 fps
    assert np.allclose(np.diff(g), 0.025)


def test_vfr_points_match_constant_rate_cleaning():
    """Filtering the irregular samples as if evenly spaced distorts the signals; on the
    grid the foot points stay within 0.005 leg lengths (median) of a constant-rate
    cleaning of the same motion (0.01 without the grid)."""
    track, _ = stick_track(fps=120, duration_s=6)
    ref = cleaning.clean(track)
    vfr, keep = _vfr(track)
    dev = {}
    for on in (True, False):
        cfg = cleaning.CleaningConfig()
        cfg.resample.enabled = on
        c = cleaning.clean(vfr, cfg)
        assert c.n_frames == vfr.n_frames and np.array_equal(c.time_s, vfr.time_s)
        assert (c.uniform is not None) == on
        d = [
            np.linalg.norm(c.points[k] - ref.points[k][keep], axis=1) / c.leg_length_px
            for k in ("right_foot_index", "left_heel")
        ]
        dev[on] = float(np.nanmedian(np.concatenate(d)))
    assert dev[True] < 0.005
    assert dev[True] < 0.5 * dev[False]


def test_vfr_events_and_cadence_with_noise():
    track, truth = stick_track(fps=120, duration_s=10)
    rng = np.random.default_rng(1)
    xy, vis, _ = PoseNoise(swap_rate_per_s=0).apply(
        track.xy_px, track.visibility, track.time_s, "right", 400.0, rng
    )
    vfr, _ = _vfr(track.copy(xy_px=xy, visibility=vis), seed=1)
    c = cleaning.clean(vfr)
    assert c.uniform is not None
    assert any("irregular frame timing" in w for w in c.warnings)
    ev = events.detect(c)
    summ = strides.summarize_timing(strides.segment(ev, c))
    assert summ["cadence_spm"] == pytest.approx(truth["cadence_spm"], rel=0.005)
    ic = np.concatenate([match_events(ev.ic_s[s], truth["ic_s"][s]) for s in ("left", "right")])
    assert np.isfinite(ic).mean() > 0.9
    assert np.nanmedian(np.abs(ic)) < 0.03  # stick-figure IC, see test_events


def test_constant_rate_track_is_not_resampled():
    track, _ = stick_track(fps=60, duration_s=4)
    c = cleaning.clean(track)
    assert c.uniform is None
    assert "resampled_to_uniform_hz" not in c.quality
