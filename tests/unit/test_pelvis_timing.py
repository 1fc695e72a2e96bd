"""Whole-waveform pelvis timing (gaitlens_validation.pelvis_timing) on signals with known
phases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaitlens_validation import pelvis_timing as pt
from gaitlens_validation.events import FIT_SUBJECTS, HELD_OUT_SUBJECTS, subject_group

STRIDE_S = 0.72


def _signals(fps=30.0, n_strides=20, thigh_peak=0.62, pelvis_lag=0.22, noise=0.0, seed=0):
    """Thigh angular velocity with one peak per stride at ``thigh_peak`` (fraction of the
    stride from IC) and pelvis velocity with two surges per stride, one ``pelvis_lag``
    after the thigh's; harmonics added so that the waveforms are not pure sinusoids."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, n_strides * STRIDE_S, 1 / fps)
    ph = t / STRIDE_S
    th = 400 * np.cos(2 * np.pi * (ph - thigh_peak)) + 80 * np.cos(4 * np.pi * (ph - 0.1))
    pv = 0.3 * np.cos(4 * np.pi * (ph - thigh_peak - pelvis_lag)) + 0.05 * np.cos(
        6 * np.pi * (ph - 0.3)
    )
    th = th + noise * 400 * rng.normal(size=len(t))
    pv = pv + noise * 0.3 * rng.normal(size=len(t))
    ic = np.arange(n_strides - 1) * STRIDE_S
    return t, pv, th, ic, ic + STRIDE_S


def test_harmonic_recovers_phase_amplitude_and_share():
    ph = np.arange(100) / 100
    c = 2.0 + 3.0 * np.cos(2 * np.pi * 2 * (ph - 0.1))
    peak, amp, r2 = pt.harmonic(c[None], 2)
    assert peak[0] == pytest.approx(0.1, abs=1e-9)
    assert amp[0] == pytest.approx(3.0) and r2[0] == pytest.approx(1.0)
    peak1, amp1, _ = pt.harmonic(c[None], 1)
    assert amp1[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_waveform_lag_known_answer(fps):
    t, pv, th, ic, nic = _signals(fps=fps)
    d = pt.waveform_lag(t, pv, th, ic, nic)
    assert len(d) == len(ic)
    assert np.allclose(d.thigh_phase_pct, 62.0, atol=0.3)
    assert np.allclose(d.lag_pct, 22.0, atol=0.3)
    assert np.allclose(d.lag_ms, 0.22 * STRIDE_S * 1000, atol=3)
    assert (d.pelvis_r2 > 0.9).all()


def test_lag_window_wraps_half_strides():
    # a pelvis surge 0.52 after the thigh is inside the default window (5-55 %); one
    # 0.57 after it is the other surge, 0.07 after
    for lag, expect in ((0.52, 52.0), (0.57, 7.0), (0.08, 8.0)):
        t, pv, th, ic, nic = _signals(pelvis_lag=lag)
        d = pt.waveform_lag(t, pv, th, ic, nic)
        assert np.median(d.lag_pct) == pytest.approx(expect, abs=0.5)


def test_noise_robust_and_ensemble():
    t, pv, th, ic, nic = _signals(noise=0.3, seed=3)
    d = pt.waveform_lag(t, pv, th, ic, nic)
    assert abs(np.median(d.lag_pct) - 22.0) < 1.5
    assert d.lag_pct.std() < 4.0
    e = pt.ensemble_lag(t, pv, th, ic, nic)
    assert e["n_strides"] == len(ic)
    assert e["lag_pct"] == pytest.approx(22.0, abs=1.0)
    assert 0 < e["jackknife_sd_pct"] < 1.5


def test_missing_samples_and_lag_table():
    t, pv, th, ic, nic = _signals()
    pv = pv.copy()
    pv[30:33] = np.nan  # short gap: interpolated
    pv[100:140] = np.nan  # long gap: that stride is NaN
    d = pt.waveform_lag(t, pv, th, ic, nic)
    gap = (nic > t[100]) & (ic < t[139])  # strides touching the long gap
    centre = (ic <= t[120]) & (nic >= t[120])
    assert np.isnan(d.lag_pct[centre]).all() and np.isfinite(d.lag_pct[~gap]).all()
    frames = pd.DataFrame({"time_s": t, "pelvis_vx_legs_per_s": pv,
                           "left_thigh_angular_velocity_deg_per_s": th,
                           "right_thigh_angular_velocity_deg_per_s": th})  # fmt: skip
    strides = pd.DataFrame({"side": "left", "ic_s": ic, "next_ic_s": nic})
    tab = pt.lag_table(frames, strides)
    assert list(tab.side.unique()) == ["left"] and len(tab) == len(ic)


def test_peak_lag_matches_peak_times():
    fps = 150.0
    t, pv, th, ic, nic = _signals(fps=fps, pelvis_lag=0.22)
    to = ic + 0.35 * STRIDE_S
    other = ic + 0.5 * STRIDE_S
    d = pt.peak_lag(t, pv, th, ic, to, nic, other)
    # thigh peak near 0.62 (+ harmonic), pelvis surge near 0.84: about 22 % apart
    assert np.all(np.abs(d.lag_pct.to_numpy()[:-1] - 22.0) < 3.0)


def test_subject_split():
    assert set(FIT_SUBJECTS).isdisjoint(HELD_OUT_SUBJECTS)
    assert len(FIT_SUBJECTS) == 7 and len(HELD_OUT_SUBJECTS) == 6
    assert subject_group("RBDS001") == "fit" and subject_group("RBDS020") == "held_out"
    assert subject_group("RBDS999") == "other"
