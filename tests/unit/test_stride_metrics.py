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


@pytest.mark.parametrize("lag_s", [0.04, -0.03, 0.1])
def test_pelvis_lag_known_answer(lag_s):
    out = stride_metrics.measure(_valid(), _frames(lag_s), EV, None, AnalysisConfig())
    assert out["pelvis_lag_ms"].iloc[0] == pytest.approx(1000 * lag_s, abs=4.0)
    assert out["pelvis_lag_pct"].iloc[0] == pytest.approx(100 * lag_s / 0.72, abs=0.6)


def test_pelvis_peak_just_before_ic_is_found(monkeypatch):
    # a lagging pelvis peaks 10 ms before the next IC (1.22 s): at 30 fps its peak sample
    # is the window's last one when the window ends at the IC, so it needs the margin
    lag_s = 0.19
    out = stride_metrics.measure(_valid(), _frames(lag_s), EV, None, AnalysisConfig())
    assert out["pelvis_lag_ms"].iloc[0] == pytest.approx(1000 * lag_s, abs=4.0)
    monkeypatch.setattr(stride_metrics, "PELVIS_WINDOW_PAST_IC", 0.0)
    cut = stride_metrics.measure(_valid(), _frames(lag_s), EV, None, AnalysisConfig())
    assert np.isnan(cut["pelvis_lag_ms"].iloc[0])


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
