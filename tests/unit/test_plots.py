"""plot_* functions: (fig, ax) convention, cycle normalisation with known answers."""

from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

import gaitlens
from gaitlens.report import plots
from tests.report_fixture import _phase_curves, demo_analysis


@pytest.fixture(scope="module")
def analysis():
    return demo_analysis(n_strides=5, fps=60.0, seed=2)


def test_cycle_curves_known_answer(analysis):
    """The demo's knee curve is known in closed form: the time-normalised curves must
    match it (interpolation error only)."""
    curves = plots.cycle_curves(analysis, "right_knee_flexion_deg", "right")
    n_right = int((analysis.strides["side"] == "right").sum())
    assert curves.shape == (n_right, 101)
    truth = _phase_curves(plots.CYCLE_PCT / 100)["knee"]
    np.testing.assert_allclose(np.nanmean(curves, axis=0), truth, atol=1.5)
    assert plots.CYCLE_PCT[np.nanargmax(curves.mean(axis=0))] == pytest.approx(60, abs=2)
    assert plots.toe_off_pct(analysis, "right") == pytest.approx(35.0, abs=0.5)


def test_cycle_curves_empty():
    a = demo_analysis(n_strides=3)
    a.strides = a.strides.iloc[:0]
    assert plots.cycle_curves(a, "left_knee_flexion_deg", "left").shape == (0, 101)
    fig, ax = plots.plot_gait_cycle(a, "knee_flexion")
    assert any("no valid strides" in t.get_text() for t in ax.texts)


@pytest.mark.parametrize("signal", list(plots.SIGNALS))
def test_plot_gait_cycle_returns_fig_ax(analysis, signal):
    fig, ax = plots.plot_gait_cycle(analysis, signal)
    assert isinstance(fig, Figure) and ax.figure is fig
    # per side: one thin line per stride (one LineCollection per side) plus the bold mean
    n = len(analysis.strides)
    thin = sum(len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection))
    assert thin == n  # every stride drawn (fewer than MAX_DRAWN_STRIDES here)
    assert len(ax.lines) >= 2


def test_plot_on_given_axes(analysis):
    fig = Figure()
    ax = fig.add_subplot()
    for fn in (plots.plot_pelvis_timing, plots.plot_left_right, plots.plot_signals):
        ax.clear()
        f2, a2 = fn(analysis, ax=ax)
        assert f2 is fig and a2 is ax
    ax.clear()
    f3, a3 = plots.plot_gait_cycle(analysis, "hip_flexion", side="left", ax=ax)
    assert a3 is ax
    labels = [ln.get_label() for ln in ax.lines if not ln.get_label().startswith("_")]
    assert labels and all(lab.startswith("left") for lab in labels)


def test_plot_gait_cycle_rejects_unknown_signal(analysis):
    with pytest.raises(ValueError, match="signal must be one of"):
        plots.plot_gait_cycle(analysis, "ankle")


def test_pelvis_timing_marks_peaks(analysis):
    fig, ax = plots.plot_pelvis_timing(analysis)
    texts = " ".join(t.get_text() for t in ax.texts)
    lag = analysis.strides.query("side == 'right'")["pelvis_lag_ms"].median()
    assert f"pelvis surges forward {lag:.0f} ms after the thigh swings forward" in texts
    dotted = [ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == ":"]
    assert len(dotted) == 2  # thigh phase, and the pelvis surge = thigh phase + median lag
    thigh = analysis.strides.query("side == 'right'")["thigh_phase_pct_cycle"].median()
    pct = analysis.strides.query("side == 'right'")["pelvis_lag_pct"].median()
    assert sorted(dotted) == pytest.approx(sorted([thigh, thigh + pct]))
    lag_pct = analysis.strides.query("side == 'right'")["pelvis_lag_pct"].median()
    assert dotted[1] - dotted[0] == pytest.approx(lag_pct)
    # the demo thigh's forward angular velocity peaks where d/dphi of its cosine does
    assert dotted[0] == pytest.approx(65, abs=2)


def test_left_right_writes_values(analysis):
    fig, ax = plots.plot_left_right(analysis)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "contact time" in labels
    ct = analysis.strides.query("side == 'left'")["contact_time_s"].mean() * 1000
    assert any(f"L {ct:.0f}" in t.get_text() for t in ax.texts)


def test_normative_band_drawn_when_available(analysis, monkeypatch):
    pct = np.arange(101.0)
    fake = types.ModuleType("gaitlens.reference")
    fake.normative_curves = lambda: pd.DataFrame(
        {"gait_cycle_pct": pct, "knee_mean_deg": 40 + 0 * pct, "knee_sd_deg": 5 + 0 * pct}
    )
    monkeypatch.setitem(sys.modules, "gaitlens.reference", fake)
    monkeypatch.setattr(gaitlens, "reference", fake, raising=False)
    band = plots.normative_band("knee_flexion")
    assert band is not None
    np.testing.assert_allclose(band[1], 40)

    def bands(ax):
        return [c for c in ax.collections if not isinstance(c, LineCollection)]

    fig, ax = plots.plot_gait_cycle(analysis, "knee_flexion")
    assert len(bands(ax)) == 1  # the grey mean ± SD band
    fig, ax = plots.plot_gait_cycle(analysis, "knee_flexion", norms=False)
    assert len(bands(ax)) == 0


def test_figure_png(analysis):
    fig, _ = plots.plot_signals(analysis)
    png = plots.figure_png(fig, dpi=40)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
