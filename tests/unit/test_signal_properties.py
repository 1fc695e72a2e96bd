"""Property-based tests (hypothesis) of the signal code: NaN runs, constant signals,
very short inputs and extreme values give finite results or a named error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gaitlens import cleaning, events, signals, strides
from gaitlens.errors import GaitlensError
from gaitlens.io.track import PoseTrack
from gaitlens.kinematics import contact_mask
from gaitlens.signals import (
    angular_rate_deg_per_s,
    derivative,
    peak_in,
    running_median,
    segment_angle_deg,
    value_at,
)

SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

finite_or_nan = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.just(np.nan),
)


@st.composite
def tracks_2d(draw, min_n=0, max_n=300):
    """(n, 2) signals: smooth, constant or noisy, with NaN runs and extreme values."""
    n = draw(st.integers(min_n, max_n))
    kind = draw(st.sampled_from(["sine", "constant", "noise", "extreme"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    t = np.arange(n)
    if kind == "sine":
        xy = np.stack([np.sin(t / 7.0), np.cos(t / 5.0)], axis=1) * 50
    elif kind == "constant":
        xy = np.full((n, 2), draw(st.floats(-1e4, 1e4)))
    elif kind == "noise":
        xy = rng.normal(0, 30, (n, 2))
    else:
        xy = rng.choice([-1e6, 0.0, 1e6], size=(n, 2))
    for _ in range(draw(st.integers(0, 4))):  # NaN runs
        if n:
            a = draw(st.integers(0, n - 1))
            xy[a : a + draw(st.integers(1, 40))] = np.nan
    return xy


@SETTINGS
@given(tracks_2d(), st.sampled_from([10.0, 24.0, 30.0, 60.0, 240.0]))
def test_lowpass_keeps_shape_and_nan_positions(xy, fs):
    out = cleaning.LowPass().apply(xy, fs)
    assert out.shape == xy.shape
    ok = np.isfinite(xy)
    assert np.isfinite(out[ok]).all()
    assert np.isnan(out[~ok]).all()


@SETTINGS
@given(st.floats(-1e5, 1e5), st.integers(30, 300))
def test_lowpass_of_constant_is_constant(c, n):
    out = cleaning.LowPass().apply(np.full((n, 2), c), 60.0)
    np.testing.assert_allclose(out, c, atol=1e-6 * max(1.0, abs(c)))


@SETTINGS
@given(tracks_2d(), st.sampled_from([30.0, 60.0]))
def test_gap_filler_fills_only_short_inner_gaps(xy, fs):
    filler = cleaning.GapFiller(max_gap_s=0.15)
    out, n_filled = filler.fill(xy, fs)
    was_bad = ~np.isfinite(xy).all(axis=1)
    now_ok = np.isfinite(out).all(axis=1)
    assert n_filled == int((was_bad & now_ok).sum())
    assert np.array_equal(out[~was_bad], xy[~was_bad])
    if n_filled:
        max_n = int(np.floor(0.15 * fs + 1e-9))
        starts, ends = signals.runs(was_bad & now_ok)
        assert max(e - s for s, e in zip(starts, ends)) <= max_n


@SETTINGS
@given(tracks_2d(), st.floats(1.0, 500.0))
def test_outlier_mask_is_boolean_and_only_on_finite_samples(xy, leg_px):
    m = cleaning.HampelOutliers().mask(xy, 60.0, leg_px)
    assert m.dtype == bool and m.shape == (len(xy),)
    assert not (m & ~np.isfinite(xy).all(axis=1)).any()


@SETTINGS
@given(st.floats(-1e5, 1e5), st.integers(3, 200))
def test_constant_signal_has_no_outliers_and_zero_derivative(c, n):
    xy = np.full((n, 2), c)
    assert not cleaning.HampelOutliers().mask(xy, 60.0, 100.0).any()
    t = np.arange(n) / 60.0
    np.testing.assert_allclose(derivative(xy[:, 0], t), 0.0, atol=1e-6)
    np.testing.assert_allclose(angular_rate_deg_per_s(np.full(n, c % 360), t), 0.0, atol=1e-6)


@SETTINGS
@given(arrays(float, st.integers(0, 80), elements=finite_or_nan), st.integers(1, 40))
def test_running_median_is_finite_when_there_is_data(x, w):
    out = running_median(x, w)
    assert out.shape == x.shape
    if np.isfinite(x).sum() >= 2:
        assert np.isfinite(out).all()


@SETTINGS
@given(
    arrays(float, st.integers(0, 50), elements=finite_or_nan),
    arrays(float, st.integers(0, 10), elements=st.floats(0, 2)),
    arrays(float, st.integers(0, 10), elements=st.floats(0, 2)),
)
def test_contact_mask_is_binary(t, ic, to):
    m = contact_mask(np.sort(np.nan_to_num(t)), ic, to)
    assert set(np.unique(m)) <= {0, 1} and len(m) == len(t)


@SETTINGS
@given(
    arrays(float, (20, 2), elements=finite_or_nan), arrays(float, (20, 2), elements=finite_or_nan)
)
def test_segment_angle_in_range_or_nan(a, b):
    ang = segment_angle_deg(a, b)
    fin = ang[np.isfinite(ang)]
    assert ((fin >= -180) & (fin <= 180)).all()


@SETTINGS
@given(
    arrays(float, st.integers(0, 60), elements=finite_or_nan),
    st.floats(-1, 3),
    st.floats(-1, 3),
    st.sampled_from(["max", "min"]),
    st.booleans(),
)
def test_peak_search_returns_a_time_inside_the_window_or_nan(y, a, b, mode, interior):
    t = np.arange(len(y)) / 30.0
    tp, vp = peak_in(t, y, min(a, b), max(a, b), mode=mode, interior=interior)
    if np.isfinite(tp):
        assert min(a, b) - 1 / 30 <= tp <= max(a, b) + 1 / 30
        assert np.isfinite(vp)
    assert np.isnan(value_at(t, y, np.nan))


@st.composite
def garbage_tracks(draw):
    n = draw(st.integers(0, 120))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    xy = rng.uniform(0, 640, (n, 33, 2))
    if draw(st.booleans()):
        xy[:, :, :] = xy[:1] if n else xy  # a frozen pose
    holes = rng.random(n) < draw(st.floats(0, 1))
    xy[holes] = np.nan
    vis = np.where(np.isfinite(xy[..., 0]), rng.uniform(0, 1, (n, 33)), 0.0)
    t = np.cumsum(rng.uniform(1 / 120, 1 / 10, n))
    return PoseTrack(time_s=t, xy_px=xy, visibility=vis, frame_size_px=(640, 480))


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(garbage_tracks())
def test_stages_on_garbage_raise_only_named_errors(track):
    try:
        c = cleaning.clean(track)
        ev = events.detect(c)
        strides.segment(ev, c)
    except GaitlensError:
        pass


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_very_short_tracks_raise_named_errors(n):
    xy = np.full((n, 33, 2), 100.0)
    track = PoseTrack(
        time_s=np.arange(n) / 30, xy_px=xy, visibility=np.ones((n, 33)), frame_size_px=(640, 480)
    )
    with pytest.raises(GaitlensError):
        cleaning.clean(track)


@pytest.fixture(scope="module")
def base_track():
    from gaitlens.synthetic import RunnerParams, simulate

    return simulate(RunnerParams(duration_s=6.0, fps=30.0, seed=5)).to_pose_track()


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.integers(0, 2**16), st.floats(0, 0.6), st.floats(0, 40), st.booleans())
def test_whole_analysis_on_damaged_running_tracks(
    base_track, seed, hole_frac, jitter_px, drop_far_leg
):
    """A real running pattern with holes, jitter and a missing leg: an Analysis with
    finite timing, or a named error, never anything else."""
    from gaitlens.pipeline import analyze_track

    rng = np.random.default_rng(seed)
    tr = base_track.copy()
    tr.xy_px += rng.normal(0, jitter_px + 1e-9, tr.xy_px.shape)
    holes = rng.random(tr.n_frames) < hole_frac
    tr.xy_px[holes] = np.nan
    tr.visibility[holes] = 0
    if drop_far_leg:
        for name in ("knee", "ankle", "heel", "foot_index"):
            j = tr.landmark_names.index(f"left_{name}")
            tr.xy_px[:, j] = np.nan
            tr.visibility[:, j] = 0
    try:
        a = analyze_track(tr)
    except GaitlensError:
        return
    assert len(a.findings) == 3
    s = a.summary
    assert np.isfinite(s["cadence_spm"]) and s["n_strides"] >= 1
    assert all(f.confidence in ("low", "medium", "high") for f in a.findings)
    assert all(0.0 <= f.score <= 1.0 for f in a.findings)
