"""Per-stride metrics on frames with known signals; clip summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaitlens import schema, signals
from gaitlens.config import AnalysisConfig
from gaitlens.strides import metrics as stride_metrics

from .kinematics_fixtures import FakeEvents

FS = 30.0
STRIDE = 0.72


def _frames(lag_s=0.05, tilt_range=0.0):
    """Frames for one right stride IC 0.5 -> TO 0.75 -> next IC 1.22 (left IC at 0.86)."""
    t = np.arange(0, 2.0, 1 / FS)
    cols = {"frame": np.arange(len(t)), "time_s": t}
    for c in schema.frame_columns()[2:]:
        cols[c] = np.zeros(len(t))
    df = pd.DataFrame(cols)
    t_th = 1.02  # thigh peak angular velocity
    df["right_thigh_angular_velocity_deg_per_s"] = 500 * np.exp(-(((t - t_th) / 0.06) ** 2))
    df["pelvis_vx_legs_per_s"] = 0.3 * np.exp(-(((t - t_th - lag_s) / 0.06) ** 2)) + 0.2 * np.exp(
        -(((t - 0.78) / 0.05) ** 2)
    )  # a second, earlier peak (own push-off) that must be ignored
    df["right_knee_flexion_deg"] = 20 + 10 * t  # linear: value at IC known exactly
    df["right_thigh_angle_deg"] = 25 - 40 * t  # thigh behind vertical later on
    df["right_hip_flexion_deg"] = 30 * np.exp(-(((t - 1.12) / 0.1) ** 2))  # swing peak 30
    df["pelvis_x_legs"] = 0.1 * t  # forward travel 0.1 legs/s
    df["pelvis_y_legs"] = 0.05 * np.sin(2 * np.pi * t / (STRIDE / 2))
    df["right_hamstring_stretch_pct"] = 5 * np.exp(-(((t - 1.17) / 0.05) ** 2))
    df["pelvic_tilt_est_deg"] = 12 + tilt_range / 2 * np.sin(2 * np.pi * t / (STRIDE / 2))
    df["trunk_lean_deg"] = 8.0
    df["right_visibility"] = 0.9
    df.attrs.update(leg_length_px=200.0, pelvic_tilt_dynamic=tilt_range > 0)
    return df


def _valid():
    return pd.DataFrame(
        {"side": ["right"], "stride": [0], "ic_s": [0.5], "to_s": [0.75], "next_ic_s": [1.22],
         "stride_time_s": [0.72], "cadence_spm": [166.7], "contact_time_s": [0.25],
         "flight_time_s": [0.11], "duty_factor": [0.347], "quality": [1.0]}
    )  # fmt: skip


EV = FakeEvents(ic_s={"right": np.array([0.5, 1.22]), "left": np.array([0.86])},
                to_s={"right": np.array([0.75]), "left": np.array([1.1])})  # fmt: skip


def _periodic(df, lag_frac, surge=0.3, thigh_phase=0.7, noise=0.0, seed=0):
    """Thigh angular velocity peaking at ``thigh_phase`` of the right stride (IC 0.5 s)
    and a pelvis surge twice per stride, ``lag_frac`` of the stride later."""
    t = df["time_s"].to_numpy()
    ph = (t - 0.5) / STRIDE
    df["right_thigh_angular_velocity_deg_per_s"] = 500 * np.cos(2 * np.pi * (ph - thigh_phase))
    rng = np.random.default_rng(seed)
    df["pelvis_vx_legs_per_s"] = surge * np.cos(4 * np.pi * (ph - thigh_phase - lag_frac)) + (
        noise * rng.normal(size=len(t))
    )
    return df


@pytest.mark.parametrize("lag_frac", [0.12, 0.21, 0.33, 0.52])
def test_pelvis_lag_known_answer(lag_frac):
    """The phase lag of the pelvis's step oscillation behind the thigh's stride
    oscillation, in % of the stride and ms; the surge amplitude in leg lengths/s."""
    out = stride_metrics.measure(_valid(), _periodic(_frames(), lag_frac), EV, None, None)
    r = out.iloc[0]
    assert r["pelvis_lag_pct"] == pytest.approx(100 * lag_frac, abs=0.2)
    assert r["pelvis_lag_ms"] == pytest.approx(1000 * lag_frac * STRIDE, abs=2.0)
    # linear interpolation of 30 fps samples damps a 5.6 Hz wave by a few per cent
    assert r["pelvis_surge_legs_per_s"] == pytest.approx(0.3, rel=0.05)
    assert r["thigh_phase_pct_cycle"] == pytest.approx(70, abs=0.5)
    assert r["pelvis_surge_r2"] > 0.99


def test_pelvis_lag_uses_the_whole_waveform_not_a_peak():
    """Keypoint-like noise (SD half the surge) moves the lag by about 1 % of the stride,
    where a peak time would jump between noise humps; a lead of the pelvis wraps into
    the window (5-55 %: the surge comes twice per stride)."""
    clean = stride_metrics.measure(_valid(), _periodic(_frames(), 0.22), EV, None, None)
    lags = [
        stride_metrics.measure(
            _valid(), _periodic(_frames(), 0.22, noise=0.15, seed=k), EV, None, None
        )["pelvis_lag_pct"].iloc[0]
        for k in range(20)
    ]
    assert clean["pelvis_lag_pct"].iloc[0] == pytest.approx(22.0, abs=0.2)
    assert np.std(lags) < 2.0 and abs(np.mean(lags) - 22.0) < 1.0
    lead = stride_metrics.measure(_valid(), _periodic(_frames(), -0.03), EV, None, None)
    assert lead["pelvis_lag_pct"].iloc[0] == pytest.approx(47.0, abs=0.2)


def test_no_step_oscillation_no_pelvis_lag():
    """A pelvis whose forward velocity has no step-frequency surge (R^2 below
    MIN_SURGE_R2) has no phase to time: the lag is NaN and the surge is small."""
    df = _periodic(_frames(), 0.2, surge=0.0, noise=0.1, seed=3)
    r = stride_metrics.measure(_valid(), df, EV, None, None).iloc[0]
    assert r["pelvis_surge_r2"] < stride_metrics.MIN_SURGE_R2
    assert np.isnan(r["pelvis_lag_pct"]) and np.isnan(r["pelvis_lag_ms"])
    assert r["pelvis_surge_legs_per_s"] < 0.1


def test_values_at_events_peaks_and_signs():
    out = stride_metrics.measure(_valid(), _frames(), EV, None, AnalysisConfig()).iloc[0]
    assert out["knee_flexion_ic_deg"] == pytest.approx(25.0, abs=1e-6)
    # thigh at TO = 25 - 40 * 0.75 = -5 (behind) -> hip extension +5
    assert out["hip_extension_to_deg"] == pytest.approx(5.0, abs=1e-6)
    assert out["hip_flexion_swing_peak_deg"] == pytest.approx(30.0, abs=0.5)
    assert out["hamstring_stretch_peak_pct"] == pytest.approx(5.0, abs=0.2)
    assert out["hamstring_stretch_peak_pct_cycle"] == pytest.approx(100 * 0.67 / 0.72, abs=1.0)
    # late-swing excursion: P travels 0.1 legs/s from peak hip flexion (1.12) to IC (1.22)
    assert out["pelvis_late_swing_excursion_legs"] == pytest.approx(0.01, abs=0.002)
    assert out["vertical_oscillation_legs"] == pytest.approx(0.1, abs=0.01)
    assert out["trunk_lean_mean_deg"] == pytest.approx(8.0)
    assert out["visibility_mean"] == pytest.approx(0.9)
    assert not out["events_interpolated"]
    for c in stride_metrics.METRIC_COLUMNS + schema.STRIDE_QUALITY_COLUMNS:
        assert c in out.index


def test_tilt_range_only_when_measured():
    out = stride_metrics.measure(_valid(), _frames(tilt_range=6.0), EV, None, None).iloc[0]
    assert out["pelvic_tilt_mean_deg"] == pytest.approx(12.0, abs=0.5)
    assert out["pelvic_tilt_rom_deg"] == pytest.approx(6.0 * np.sin(np.radians(72)), abs=0.6)
    flat = stride_metrics.measure(_valid(), _frames(tilt_range=0.0), EV, None, None).iloc[0]
    assert np.isnan(flat["pelvic_tilt_rom_deg"])


def test_events_interpolated_flag():
    ev = FakeEvents(ic_s=EV.ic_s, to_s=EV.to_s,
                    ic_interpolated={"right": np.array([False, True])})  # fmt: skip
    out = stride_metrics.measure(_valid(), _frames(), ev, None, None)
    assert bool(out["events_interpolated"].iloc[0])


def test_stride_length_with_belt_speed():
    out = stride_metrics.measure(_valid(), _frames(), EV, None, AnalysisConfig(belt_speed_m_s=3.0))
    assert out["stride_length_m"].iloc[0] == pytest.approx(2.16)


def test_peak_in_parabolic_refinement_beats_frame_spacing():
    t = np.arange(0, 1, 1 / 30)
    y = -((t - 0.512) ** 2)
    tp, _ = signals.peak_in(t, y, 0, 1)
    assert tp == pytest.approx(0.512, abs=1e-6)


def test_summarize_symmetry_and_variability():
    tab = pd.DataFrame({"side": ["left"] * 3 + ["right"] * 3,
                        "overstride_legs": [0.10, 0.12, 0.14, 0.06, 0.08, 0.10]})  # fmt: skip
    s = stride_metrics.summarize(tab)["metrics"]["overstride_legs"]
    assert s["left_median"] == pytest.approx(0.12) and s["right_median"] == pytest.approx(0.08)
    assert s["lr_diff"] == pytest.approx(0.04)
    assert s["symmetry_index_pct"] == pytest.approx(40.0)
    x = np.array([0.10, 0.12, 0.14, 0.06, 0.08, 0.10])
    mad = np.median(np.abs(x - np.median(x)))
    assert s["median"] == pytest.approx(0.10) and s["mean"] == pytest.approx(x.mean())
    assert s["robust_sd"] == pytest.approx(1.4826 * mad)
    assert s["cv"] == pytest.approx(1.4826 * mad / np.median(x))
    assert s["n"] == 6
    # one stray stride moves the robust summary little and the mean a lot
    tab.loc[0, "overstride_legs"] = 0.9
    s2 = stride_metrics.summarize(tab)["metrics"]["overstride_legs"]
    assert abs(s2["median"] - s["median"]) < 0.011 < abs(s2["mean"] - s["mean"])
