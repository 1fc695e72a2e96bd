"""Annotated video: H.264, the input's frame count and timestamps, drawing lands on
the runner; stride flags; still frames."""

from __future__ import annotations

import av
import numpy as np
import pandas as pd
import pytest

from gaitlens import faults
from gaitlens.faults.rules import fault_titles
from gaitlens.io.video import VideoWriter, read_frames
from gaitlens.report import overlay
from tests.report_fixture import demo_analysis, write_demo_video


def _decode(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        codec = s.codec_context.name
        frames = [(float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in c.decode(s)]
    t = np.array([x[0] for x in frames])
    return codec, t - t[0], [x[1] for x in frames]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("ov")
    a = demo_analysis(n_strides=3, frame_size_px=(320, 240))
    src = write_demo_video(a, d / "in.mp4")
    return a, src, d


def test_annotated_video_h264_same_frames_and_times(clip):
    a, src, d = clip
    out = overlay.write_annotated_video(a, src, d / "annotated.mp4", progress=False)
    codec, t_out, imgs = _decode(out)
    t_in = np.array([f.time_s for f in read_frames(src)])
    assert codec == "h264"
    assert len(imgs) == len(t_in) == a.track.n_frames
    np.testing.assert_allclose(t_out, t_in, atol=1e-3)
    assert imgs[0].shape[:2] == (240, 320)
    # the near (right) knee is drawn in its colour: orange pixels around it
    i = 20
    kx, ky = a.track.xy_px[i, 26]
    patch = imgs[i][int(ky) - 4 : int(ky) + 5, int(kx) - 4 : int(kx) + 5].reshape(-1, 3).astype(int)
    orange = np.array(overlay.SIDE_RGB["right"])
    assert np.min(np.abs(patch - orange).sum(axis=1)) < 80


def test_variable_frame_rate_timing_kept(tmp_path):
    """Phones record variable frame rate: every output frame keeps its input time."""
    a = demo_analysis(n_strides=2, frame_size_px=(160, 120))
    rng = np.random.default_rng(3)
    t = np.cumsum(np.r_[0, rng.uniform(0.025, 0.045, a.track.n_frames - 1)])
    a.track.time_s = t
    a.frames["time_s"] = t
    src = tmp_path / "vfr.mp4"
    with VideoWriter(src, 160, 120, fps=30) as vw:
        for ts in t:
            vw.write(np.full((120, 160, 3), 80, np.uint8), float(ts))
    out = overlay.write_annotated_video(a, src, tmp_path / "out.mp4", progress=False)
    _, t_out, imgs = _decode(out)
    assert len(imgs) == len(t)
    np.testing.assert_allclose(t_out, t, atol=1e-3)


def test_progress_callback(clip, tmp_path):
    a, src, _ = clip
    seen = []
    overlay.write_annotated_video(
        a, src, tmp_path / "p.mp4", progress=lambda n, tot: seen.append(n)
    )
    assert seen[-1] == a.track.n_frames


def _lagging_analysis(n_strides: int = 6, fps: float = 30.0):
    """The demo with real bands and every stride's pelvis far behind the swing leg, so
    the classifier asserts pelvis_lag."""
    from gaitlens import reference

    a = demo_analysis(n_strides=n_strides, fps=fps)
    a.bands = reference.load_bands()
    for m in ("pelvis_lag_ms", "pelvis_lag_pct"):  # far beyond the band on every stride
        lo, hi = a.bands.loc[m, "low"], a.bands.loc[m, "high"]
        a.strides[m] = hi + 3 * (hi - lo)
    m = "pelvis_late_swing_excursion_legs"  # and the pelvis does not come forward
    a.strides[m] = a.bands.loc[m, "low"] - (a.bands.loc[m, "high"] - a.bands.loc[m, "low"])
    a.findings = faults.classify(a.strides, a.frames, a.quality, a.bands, a.config)
    return a


def test_report_and_video_flags_equal_analysis_json():
    """One implementation of the stride flags: the video's and the report stride table's
    flags are analysis.json's ``stride_flags`` for every asserted finding (issue 18)."""
    from gaitlens.report import html

    a = _lagging_analysis()
    assert faults.finding_asserted(a.finding("pelvis_lag"))
    saved = pd.DataFrame(a.to_dict()["stride_flags"])
    shown = overlay.stride_flags(a)
    rows = html.stride_table(a)["rows"]
    title = fault_titles("short_title")["pelvis_lag"]
    for f in a.findings:
        expected = saved[f.id].to_numpy(bool) & faults.finding_asserted(f)
        assert shown[f.id].to_numpy(bool).tolist() == expected.tolist(), f.id
    assert shown["pelvis_lag"].any()
    assert [title in r["flags"] for r in rows] == shown["pelvis_lag"].tolist()
    od = overlay.overlay_data(a)
    assert od.flags.tolist() == shown.to_numpy(bool).tolist()


def test_flags_keep_the_frame_part_of_the_guard_band():
    """The bug of the second implementation: a stride just beyond the band edge plus the
    measurement guard, but within one more video frame, is not flagged in analysis.json
    (here the pelvis-lag guard band includes one frame, 33 ms at 30 fps, as it did for the
    earlier peak-to-peak lag); the report and the video must not flag it either."""
    a = _lagging_analysis(fps=30.0)
    frame_term = {"measurement_uncertainty": {"pelvis_lag_ms": {"value": 20.0, "frames": 1.0}}}
    a.config = a.config.updated(faults=frame_term)
    rules = faults.load_rules(frame_term)
    hi = a.bands.loc["pelvis_lag_ms", "high"]
    g_no_fps = faults.guard_band(rules, "pelvis_lag_ms", a.strides.iloc[:1], None)[0]
    g_fps = faults.guard_band(rules, "pelvis_lag_ms", a.strides.iloc[:1], 30.0)[0]
    assert g_fps > g_no_fps  # the frame term
    k = a.strides.index[0]
    a.strides.loc[k, "pelvis_lag_ms"] = hi + 0.5 * (g_no_fps + g_fps)  # between the two
    a.strides.loc[k, ["pelvis_lag_pct", "pelvis_late_swing_excursion_legs"]] = (
        a.bands.loc["pelvis_lag_pct", "mean"],
        a.bands.loc["pelvis_late_swing_excursion_legs", "mean"],
    )
    saved = pd.DataFrame(a.to_dict()["stride_flags"])
    assert not saved.loc[0, "pelvis_lag_ms_outside"]
    # without the frame rate (what the report's own copy did) the stride is outside
    assert faults.stride_flags(a.strides, a.bands, rules).loc[0, "pelvis_lag_ms_outside"]
    shown = overlay.stride_flags(a)["pelvis_lag"].to_numpy(bool)
    assert shown.tolist() == saved["pelvis_lag"].to_numpy(bool).tolist()


def test_no_flags_for_findings_the_verdict_does_not_assert():
    a = _lagging_analysis()
    a.finding("pelvis_lag").severity = "none"
    assert not overlay.stride_flags(a)["pelvis_lag"].any()
    a = _lagging_analysis()
    a.finding("pelvis_lag").judged = False
    assert not overlay.stride_flags(a).any().any()


def test_overlay_data_stride_lookup():
    a = demo_analysis(n_strides=3)
    od = overlay.overlay_data(a)
    st = a.strides.reset_index(drop=True)
    for s in ("left", "right"):
        pos = od.stride_of[s]
        for i in np.flatnonzero(pos >= 0):
            r = st.iloc[pos[i]]
            assert r["side"] == s and r["ic_s"] <= od.time_s[i] < r["next_ic_s"]
        before = od.time_s < st.loc[st["side"] == s, "ic_s"].min()
        assert (pos[before] == -1).all()


def test_annotated_stills(clip):
    a, src, _ = clip
    times = [0.3, 0.5, 1.0]
    imgs = overlay.annotated_stills(a, src, times)
    assert len(imgs) == 3 and all(im is not None for im in imgs)
    for im in imgs:  # cropped around the runner, portrait-ish, not the whole frame
        assert im.ndim == 3 and im.shape[0] <= 240 and im.shape[1] < 320
    got = overlay.grab_frames(src, [0.0, 0.51])
    assert got[0][0] == 0 and abs(got[1][1] - 0.5) < 1 / 30 + 1e-6
    # seeking (with the track's frame times) gives the same frames as a full pass
    times = [0.9, 1.2, 0.3]
    seq = overlay.grab_frames(src, times)
    seek = overlay.grab_frames(src, times, frame_times_s=a.track.time_s)
    for x, y in zip(seq, seek):
        assert x[0] == y[0] and x[1] == pytest.approx(y[1], abs=1e-6)
        assert np.array_equal(x[2], y[2])


def test_overlay_draws_cleaned_points():
    """The skeleton uses the cleaning stage's points mapped back to image pixels."""
    from types import SimpleNamespace

    a = demo_analysis(n_strides=2)
    n = a.track.n_frames
    knee = np.column_stack([np.linspace(-20, 20, n), np.full(n, 10.0)])
    a.clean = SimpleNamespace(
        points={"right_knee": knee}, near_side="right", facing="left",
        to_image_px=lambda xy: np.column_stack([150 - xy[:, 0], 100 - xy[:, 1]]),
    )  # fmt: skip
    od = overlay.overlay_data(a)
    i = od.names.index("right_knee")
    np.testing.assert_allclose(od.xy[:, i, 0], 150 - knee[:, 0])
    np.testing.assert_allclose(od.xy[:, i, 1], 90.0)
    j = od.names.index("nose")  # not cleaned: raw pose
    np.testing.assert_allclose(od.xy[:, j], a.track.xy_px[:, j])
