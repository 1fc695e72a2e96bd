"""events.detect on tracks with known events."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlens import cleaning, events, strides
from gaitlens_validation.events import match_events
from gaitlens_validation.stick import stick_track


def _errors(ev, truth):
    ic = np.concatenate([match_events(ev.ic_s[s], truth["ic_s"][s]) for s in ("left", "right")])
    to = np.concatenate([match_events(ev.to_s[s], truth["to_s"][s]) for s in ("left", "right")])
    return ic, to


@pytest.mark.parametrize("fps,ic_tol_ms,to_tol_ms", [(30, 40, 25), (60, 25, 10), (120, 20, 10)])
def test_stick_events_within_tolerance(fps, ic_tol_ms, to_tol_ms):
    track, truth = stick_track(fps=fps, duration_s=8)
    ev = events.detect(cleaning.clean(track))
    ic, to = _errors(ev, truth)
    assert np.isfinite(ic).mean() >= 0.9 and np.isfinite(to).mean() >= 0.9
    assert np.nanmax(np.abs(ic)) * 1000 < ic_tol_ms
    assert np.nanmax(np.abs(to)) * 1000 < to_tol_ms
    assert ev.method == "foot_belt_velocity"


def test_events_do_not_depend_on_facing():
    ev_r = events.detect(cleaning.clean(stick_track(facing="right", duration_s=5)[0]))
    ev_l = events.detect(cleaning.clean(stick_track(facing="left", duration_s=5)[0]))
    for side in ("left", "right"):
        assert np.allclose(ev_r.ic_s[side], ev_l.ic_s[side], atol=1e-6)
        assert np.allclose(ev_r.to_s[side], ev_l.to_s[side], atol=1e-6)


def test_to_dataframe_sorted_with_quality():
    ev = events.detect(cleaning.clean(stick_track(duration_s=4)[0]))
    df = ev.to_dataframe()
    assert list(df.columns) == ["side", "event", "time_s", "interpolated", "quality"]
    assert (np.diff(df.time_s.to_numpy()) >= 0).all()
    assert set(df.event) == {"ic", "to"}
    assert df.quality.between(0, 1).all()
    n = sum(len(ev.ic_s[s]) + len(ev.to_s[s]) for s in ("left", "right"))
    assert len(df) == n


def test_gap_at_an_event_is_flagged_interpolated():
    track, truth = stick_track(duration_s=5)
    xy = track.xy_px.copy()
    t_ic = truth["ic_s"]["right"][3]
    i = int(np.searchsorted(track.time_s, t_ic))
    from gaitlens.pose.skeleton import INDEX

    for p in ("heel", "foot_index", "ankle"):
        xy[i - 2 : i + 3, INDEX[f"right_{p}"]] = np.nan
    ev = events.detect(cleaning.clean(track.copy(xy_px=xy)))
    k = np.argmin(np.abs(ev.ic_s["right"] - t_ic))
    assert abs(ev.ic_s["right"][k] - t_ic) < 0.05
    assert ev.ic_interpolated["right"][k]
    assert not ev.ic_interpolated["right"][np.arange(len(ev.ic_s["right"])) != k].any()


def test_synthetic_runner_cadence_and_contact():
    synthetic = pytest.importorskip("gaitlens.synthetic")
    run = synthetic.simulate(synthetic.RunnerParams(cadence_spm=176, speed_m_s=3.2,
                                                    duration_s=8, fps=60))  # fmt: skip
    track = run.to_pose_track()
    clean = cleaning.clean(track)
    ev = events.detect(clean)
    summ = strides.summarize_timing(strides.segment(ev, clean))
    assert summ["cadence_spm"] == pytest.approx(176, rel=0.005)
    truth = run.events
    true_ic = {s: truth[(truth.side == s) & (truth.event.str.upper() == "IC")].time_s.to_numpy()
               for s in ("left", "right")}  # fmt: skip
    true_to = {s: truth[(truth.side == s) & (truth.event.str.upper() == "TO")].time_s.to_numpy()
               for s in ("left", "right")}  # fmt: skip
    ic, to = _errors(ev, {"ic_s": true_ic, "to_s": true_to})
    assert np.isfinite(ic).mean() > 0.8
    assert np.nanmedian(np.abs(ic)) < 0.03
    assert np.nanmedian(np.abs(to)) < 0.03


def test_pelvis_relative_method_runs():
    track, truth = stick_track(duration_s=6)
    cfg = events.EventsConfig(detector=events.PelvisRelativeEvents())
    ev = events.detect(cleaning.clean(track), cfg)
    assert ev.method == "zeni_pelvis_relative"
    ic, _ = _errors(ev, truth)
    assert np.isfinite(ic).mean() > 0.8  # found, even if biased for running


@pytest.mark.parametrize("speed", [2.5, 4.5])
def test_ic_fires_at_belt_speed_minus_margin(speed):
    """IC rule: the foot's velocity (heel/toe mean, 6 Hz) at the detected IC equals the
    belt speed minus ``ic_margin_legs_s`` leg lengths per second, at any speed."""
    from gaitlens.cleaning import LowPass
    from gaitlens.signals import leg_length_px, nanmean_rows

    track, _ = stick_track(fps=120, duration_s=6, speed_m_s=speed)
    c = cleaning.clean(track)
    det = events.FootBeltEvents()
    ic, _ = det.detect_side(c, "right")
    ic = ic[np.isfinite(ic)]
    assert len(ic) >= 5
    lp = LowPass(cutoff_hz=det.smooth_hz, max_fraction_nyquist=0.9)
    feet = [lp.apply(c.points[f"right_{p}"], 120.0)[:, 0] for p in ("heel", "foot_index")]
    x = nanmean_rows(feet)
    v = np.interp(ic, c.time_s, np.gradient(x, c.time_s))
    leg = np.mean([leg_length_px(c.points, s) for s in ("left", "right")])
    expected = -det.belt_px_s_ + det.ic_margin_legs_s * leg
    assert np.allclose(v, expected, rtol=0.02, atol=0.02 * det.belt_px_s_)
    assert det.belt_px_s_ / leg > 1.2  # the stick runner's belt speed in legs/s
