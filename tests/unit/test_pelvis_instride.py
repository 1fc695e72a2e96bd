"""Known-answer tests of the in-stride tilt study helpers (bench/validate_pelvis.py
``--in-stride``): step phase, ensemble curve, per-stride range, sub-pixel edges."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from gaitlens.pose import silhouette as sil
from gaitlens.pose.skeleton import INDEX

_BENCH = Path(__file__).resolve().parents[2] / "bench" / "validate_pelvis.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("validate_pelvis_bench", _BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_step_phase_runs_from_each_contact_to_the_next(bench):
    ic = np.array([1.0, 1.4, 2.0])
    t = np.array([0.5, 1.0, 1.2, 1.4, 1.7, 1.99, 2.0, 2.5])
    ph = bench.step_phase(t, ic[::-1])  # order of the contacts does not matter
    np.testing.assert_allclose(ph[1:6], [0.0, 0.5, 0.0, 0.5, (1.99 - 1.4) / 0.6])
    assert np.isnan(ph[0]) and np.isnan(ph[6]) and np.isnan(ph[7])


def test_ensemble_curve_recovers_the_step_pattern_under_noise_and_outliers(bench):
    rng = np.random.default_rng(3)
    fs, step_s = 60.0, 0.35
    n_steps = 60  # the range of noisy bin medians is biased up; more steps, less bias
    t = np.arange(0, n_steps * step_s, 1 / fs)
    ic = np.arange(0, n_steps * step_s + 1e-9, step_s) + rng.normal(0, 0.005, n_steps + 1)
    ph = bench.step_phase(t, ic)
    truth = 3.0 * np.cos(2 * np.pi * ph)
    x = truth + rng.normal(0, 3.0, len(t))  # per-frame noise as large as the swing
    out = rng.random(len(t)) < 0.1
    x[out] += 40.0  # arm crossing the edge in 10 % of the frames
    curve = bench.ensemble_curve(ph, x, n_bins=20)
    centre = (np.arange(20) + 0.5) / 20
    expect = 3.0 * np.cos(2 * np.pi * centre)
    assert np.corrcoef(curve, expect)[0, 1] > 0.9
    assert np.ptp(curve) == pytest.approx(np.ptp(expect), abs=1.5)
    # a single frame's range would be far off: that is why the curve is averaged
    assert np.ptp(x[np.isfinite(ph)]) > 3 * np.ptp(expect)


def test_stride_ranges_use_the_5_95_percentile_range_per_stride(bench):
    t = np.arange(0, 4.0, 1 / 200)
    x = 2.0 * np.sin(2 * np.pi * 2 * t)  # two cycles per stride, amplitude 2
    ev = SimpleNamespace(ic_s={"left": np.array([0.0, 1.0, 2.0]), "right": np.array([0.5, 1.5])})
    r = bench._stride_ranges(t, x, ev)
    assert len(r) == 3  # 2 left strides + 1 right stride
    expect = 2 * 2.0 * np.sin(np.pi / 2 * 0.9)  # 5-95 % of a sine: +-A sin(0.45 pi)
    np.testing.assert_allclose(r, expect, rtol=0.02)


def _frame_with_soft_edges(front_px: float, back_px: float, facing_right: bool = True):
    """A 200 x 160 mask: an upright trunk (hip at x=80, y=150; shoulders at y=30) whose
    silhouette spans [80 - back, 80 + front] px with a 2-px linear ramp at each edge."""
    h, w = 200, 160
    x = np.arange(w) + 0.0
    lo, hi = (80 - back_px, 80 + front_px) if facing_right else (80 - front_px, 80 + back_px)
    row = np.clip(np.minimum(x - lo, hi - x) / 2.0 + 0.5, 0.0, 1.0)
    mask = np.tile(row, (h, 1))
    xy = np.full((33, 2), np.nan)
    xy[INDEX["left_hip"]] = xy[INDEX["right_hip"]] = (80.0, 150.0)
    xy[INDEX["left_shoulder"]] = xy[INDEX["right_shoulder"]] = (80.0, 30.0)
    return mask, xy


@pytest.mark.parametrize("front", [20.3, 20.55, 20.8])
def test_subpixel_edges_find_the_half_crossing(bench, front):
    mask, xy = _frame_with_soft_edges(front, 30.25)
    f_sub = bench.subpixel_extract(mask, xy, 1.0)
    f_step = sil.extract(mask, xy, 1.0)
    j_front = sil.FEATURE_NAMES.index("edge_pos_+0.20")
    j_back = sil.FEATURE_NAMES.index("edge_neg_+0.20")
    assert f_sub[j_front] == pytest.approx(front, abs=0.1)
    assert f_sub[j_back] == pytest.approx(30.25, abs=0.1)
    # the production extractor steps in 1/120 trunk length (1 px here): first outside step
    assert abs(f_step[j_front] - front) <= 1.0 + 1e-9
    assert np.isfinite(f_sub).sum() == np.isfinite(f_step).sum()


def test_subpixel_extract_follows_the_production_nan_rules(bench):
    mask, xy = _frame_with_soft_edges(20.0, 30.0)
    xy_bad = xy.copy()
    xy_bad[INDEX["left_hip"]] = np.nan
    assert np.isnan(bench.subpixel_extract(mask, xy_bad, 1.0)).all()
    assert np.isnan(bench.subpixel_extract(np.zeros_like(mask), xy, 1.0)).all()
