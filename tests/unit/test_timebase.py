"""Slow motion and the time base (issue 21 item 3): the capture rate read from the
container or given, the track retimed to real time after pose, and the slow-motion
message when nothing says the rate (gaitlens.io.timebase, gaitlens.cleaning.rhythm)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gaitlens import cleaning, pipeline
from gaitlens.config import AnalysisConfig
from gaitlens.errors import ConfigError, NotRunningError, SlowMotionError
from gaitlens.io import timebase
from gaitlens.io.video import probe, read_frames
from gaitlens.synthetic import RunnerParams, simulate
from gaitlens_validation.stick import stick_track
from tests.conftest import as_slow_motion, with_scaled_edit, write_clip


def runner_track(fps: float, duration_s: float = 6.0, seed: int = 1, noise_px: float = 1.5):
    """The synthetic runner's true keypoints with pixel noise at ``fps`` (no rendering)."""
    run = simulate(RunnerParams(fps=fps, duration_s=duration_s, seed=seed))
    return run, run.to_pose_track(noise_px=noise_px, seed=seed + 1)


def slowed(track, factor: float, capture_fps=None, path="clip.mp4"):
    """``track`` as a slow-motion file stores it: timestamps x ``factor``; with
    ``capture_fps`` the rate the container states (as ``probe`` reads it)."""
    source = f"com.android.capture.fps = {capture_fps}" if capture_fps else ""
    video = {**track.video, "path": path, "capture_fps": capture_fps,
             "capture_fps_source": source}  # fmt: skip
    return track.copy(time_s=track.time_s * factor, video=video)


# ------------------------------------------------------------------ reading the container
def test_android_capture_tag_is_read(tmp_path):
    src = write_clip(tmp_path / "hs.mp4", np.arange(48) / 240)
    tagged = as_slow_motion(src, tmp_path / "slow_tag.mp4", 8, capture_fps=240)
    plain = as_slow_motion(src, tmp_path / "slow.mp4", 8)
    m = probe(tagged)
    assert m.capture_fps == pytest.approx(240)
    assert "com.android.capture.fps" in m.capture_fps_source
    assert probe(plain).capture_fps is None and probe(src).capture_fps is None
    t = np.array([f.time_s for f in read_frames(tagged)])
    np.testing.assert_allclose(np.diff(t), 1 / 30, atol=1e-4)  # stored for 30 fps playback


def test_quicktime_slow_motion_edit_is_read(tmp_path):
    """A QuickTime edit list playing the media at 1/8 speed: the frames keep their
    capture timestamps (the decoder ignores the edit's rate), the rate read is theirs."""
    src = write_clip(tmp_path / "hs.mp4", np.arange(48) / 240)
    mov = with_scaled_edit(src, tmp_path / "slowmo.mov", 0.125)
    qt = timebase.quicktime_timing(mov)
    assert qt["slow_motion"] and qt["min_rate"] == pytest.approx(0.125)
    assert qt["media_fps"] == pytest.approx(240, rel=1e-3)
    m = probe(mov)
    assert m.capture_fps == pytest.approx(240, rel=1e-3)
    assert "QuickTime edit list" in m.capture_fps_source
    t = np.array([f.time_s for f in read_frames(mov)])
    np.testing.assert_allclose(np.diff(t), 1 / 240, atol=1e-4)
    assert not timebase.quicktime_timing(src)["slow_motion"]


def test_non_iso_files_are_not_parsed(tmp_path):
    p = tmp_path / "x.avi"
    p.write_bytes(b"RIFF" + b"\0" * 64)
    assert timebase.quicktime_timing(p) is None


# ------------------------------------------------------------------ resolving and retiming
def test_resolve_given_beats_metadata_beats_file():
    _, tr = runner_track(240, duration_s=2.0)
    slow = slowed(tr, 8, capture_fps=240)
    tb = timebase.resolve(slow)
    assert (tb.source, tb.capture_fps, tb.stored_fps) == ("metadata", 240, pytest.approx(30))
    assert tb.scale == pytest.approx(1 / 8) and tb.slow_motion_factor == pytest.approx(8)
    tb = timebase.resolve(slow, capture_fps=120)
    assert tb.source == "given" and tb.capture_fps == 120 and "240" in tb.detail
    tb = timebase.resolve(slowed(tr, 8))
    assert tb.source == "file" and not tb.retimed
    # a tag that repeats the stored rate (within 2 %) changes nothing
    assert not timebase.resolve(slowed(tr, 8, capture_fps=30.3)).retimed


def test_retime_round_trip_and_idempotent():
    _, tr = runner_track(240, duration_s=2.0)
    slow = slowed(tr, 8, capture_fps=240)
    real = timebase.retime(slow)
    np.testing.assert_allclose(real.time_s, tr.time_s, rtol=1e-12, atol=1e-12)
    assert timebase.of(real).source == "metadata"
    again = timebase.retime(real)  # retiming a retimed track starts from file time
    np.testing.assert_allclose(again.time_s, real.time_s, rtol=1e-12)
    back = timebase.file_time(real)
    np.testing.assert_allclose(back.time_s, slow.time_s, rtol=1e-12)
    assert "time_base" not in back.video
    assert timebase.file_time(slow) is slow


def test_capture_fps_from_a_config_file_reaches_the_analysis(tmp_path):
    toml = tmp_path / "g.toml"
    toml.write_text("capture_fps = 240\n", encoding="utf-8")
    cfg = AnalysisConfig.from_toml(toml)
    _, tr = runner_track(240, duration_s=4.0)
    a = pipeline.analyze_track(slowed(tr, 8), cfg.updated(min_strides=2))
    assert a.time_base.source == "given" and a.time_base.capture_fps == 240
    assert a.track.sampling_rate_hz == pytest.approx(240)


@pytest.mark.parametrize("bad", [0, -30, float("nan"), "fast", 1e6])
def test_capture_fps_option_is_validated(bad):
    with pytest.raises(ConfigError, match="capture_fps"):
        AnalysisConfig(capture_fps=bad).validate()


# ------------------------------------------------------------------ analysis in real time
@pytest.mark.parametrize("capture,stored", [(120, 30), (240, 30), (300, 30000 / 1001)])
def test_slow_motion_analyses_like_the_capture_rate(capture, stored):
    """Given or read from the metadata, the slow-motion track gives the events and
    cadence of the same frames at the capture rate (identical: only time is rescaled)."""
    run, tr = runner_track(capture)
    ref = pipeline.analyze_track(tr)
    k = capture / stored
    for a in (
        pipeline.analyze_track(slowed(tr, k), AnalysisConfig(capture_fps=capture)),
        pipeline.analyze_track(slowed(tr, k, capture_fps=capture)),
    ):
        assert a.track.sampling_rate_hz == pytest.approx(capture, rel=1e-6)
        assert a.summary["cadence_spm"] == pytest.approx(ref.summary["cadence_spm"], rel=1e-6)
        assert abs(a.summary["cadence_spm"] - run.params.cadence_spm) < 1.0
        for side in ("left", "right"):
            np.testing.assert_allclose(a.events.ic_s[side], ref.events.ic_s[side], atol=1e-6)
            np.testing.assert_allclose(a.events.to_s[side], ref.events.to_s[side], atol=1e-6)
        d = json.loads(a.to_json())
        assert d["time_base"]["capture_fps"] == pytest.approx(capture)
        assert d["time_base"]["source"] in ("given", "metadata")
        assert "slow motion" in d["time_base"]["text"]


@pytest.mark.parametrize("capture,stored,factor", [(120, 30, 4), (240, 30, 8),
                                                   (300, 30000 / 1001, 10)])  # fmt: skip
def test_slow_motion_without_metadata_names_the_rerun(capture, stored, factor):
    _, tr = runner_track(capture)
    with pytest.raises(SlowMotionError) as err:
        pipeline.analyze_track(slowed(tr, capture / stored, path="my run.mp4"))
    msg = str(err.value)
    assert "\n" not in msg and err.value.exit_code == 5
    assert f"{factor}x slow motion" in msg
    assert msg.endswith(f"gaitlens analyze 'my run.mp4' --capture-fps {capture}")


@pytest.mark.parametrize("fps", [30, 60, 120, 240, 300])
def test_real_time_runs_are_not_called_slow_motion(fps):
    run, tr = runner_track(fps)
    a = pipeline.analyze_track(tr)
    assert abs(a.summary["cadence_spm"] - run.params.cadence_spm) < 1.0
    assert a.time_base.source == "file"
    st, _ = stick_track(fps=fps, duration_s=6)
    pipeline.analyze_track(st)


def test_slow_motion_walking_is_still_walking():
    """A slowed walk does not look like running (double support, hips highest as the
    feet pass): the activity check refuses it, not the slow-motion check."""
    tr, _ = stick_track(fps=120, duration_s=8, gait="walking", duty_factor=0.62,
                        cadence_spm=110)  # fmt: skip
    with pytest.raises(NotRunningError):
        pipeline.analyze_track(slowed(tr, 4))


def test_capture_rate_given_too_high_is_reported():
    """A real-time 30 fps clip given --capture-fps 240: cadence 8x too fast."""
    _, tr = runner_track(30)
    with pytest.raises(SlowMotionError, match=r"--capture-fps 30$"):
        pipeline.analyze_track(tr, AnalysisConfig(capture_fps=240))


def test_rhythm_is_counted_in_frames():
    """The rhythm check sees the same frames whatever the time base: cadence scales
    with it, every other number is identical."""
    _, tr = runner_track(240)
    cfg = cleaning.CleaningConfig(raise_on_slow_motion=False)
    c = cleaning.clean(tr, cfg)
    chk = cleaning.SlowMotionCheck()
    pts = {k: v for k, v in c.points_unfiltered.items()}
    a = chk.check(pts, 240, c.leg_length_px)
    b = chk.check(pts, 30, c.leg_length_px)
    assert a["verdict"] is None and b["verdict"] == "slow" and b["factors"][0] == 8
    assert b["cadence_spm"] == pytest.approx(a["cadence_spm"] / 8)
    for k in ("step_frames", "hip_step_frames", "hip_spread_corr", "double_support"):
        assert a[k] == b[k]


# ------------------------------------------------------------------ saving and re-analysis
def test_saved_track_stays_in_file_time_and_reanalysis_keeps_the_time_base(tmp_path):
    _, tr = runner_track(240)
    slow = slowed(tr, 8)
    a = pipeline.analyze_track(slow, AnalysisConfig(capture_fps=240, annotated_video=False))
    a.save(tmp_path / "out")
    from gaitlens.io.track import PoseTrack

    saved = PoseTrack.load(tmp_path / "out" / "pose_track.npz")
    np.testing.assert_allclose(saved.time_s, slow.time_s, rtol=1e-12)  # file time
    b = pipeline.load(tmp_path / "out")
    assert b.time_base.source == "given"
    assert b.summary["cadence_spm"] == pytest.approx(a.summary["cadence_spm"], rel=1e-9)
    c = a.reanalyze(capture_fps=240.0)
    assert c.summary["cadence_spm"] == pytest.approx(a.summary["cadence_spm"], rel=1e-9)
    with pytest.raises(SlowMotionError):  # 120 fps would make it a 4x-slowed run
        a.reanalyze(capture_fps=120.0)


def test_stills_are_found_in_file_time(monkeypatch):
    from gaitlens.report import overlay

    _, tr = runner_track(240, duration_s=4.0)
    a = pipeline.analyze_track(slowed(tr, 8), AnalysisConfig(capture_fps=240, min_strides=2))
    seen = {}

    def fake_grab(path, times_s, max_side_px=960, frame_times_s=None):
        seen["times"], seen["frames"] = np.asarray(times_s), np.asarray(frame_times_s)
        return [None] * len(times_s)

    monkeypatch.setattr(overlay, "grab_frames", fake_grab)
    overlay.annotated_stills(a, "clip.mp4", [1.0, 2.0])
    np.testing.assert_allclose(seen["times"], [8.0, 16.0])
    np.testing.assert_allclose(seen["frames"], timebase.file_time(a.track).time_s, rtol=1e-12)


# ------------------------------------------------------------------ the pose graph's clock
def test_pose_clock_from_metadata_or_option():
    assert timebase.pose_clock({"nominal_fps": 30.0}) == 1.0
    assert timebase.pose_clock({"nominal_fps": 30.0, "capture_fps": 240}) == pytest.approx(1 / 8)
    assert timebase.pose_clock({"nominal_fps": 30.0}, 120) == pytest.approx(1 / 4)
    assert timebase.pose_clock({"nominal_fps": 240.0, "capture_fps": 240}) == 1.0  # QuickTime
    assert timebase.pose_clock({"nominal_fps": 30.0, "capture_fps": 30.3}) == 1.0


def test_pose_graph_gets_real_time_and_segments_follow_it(tmp_path, monkeypatch):
    """With a capture rate the backend is given real-time timestamps, the segments are
    planned on the real duration, and the track records its clock (file time kept).
    One graph per segment (no flip test: its mirrored graph gets the same times)."""
    from gaitlens.pose import runner

    n = 264  # 1.1 s captured at 240 fps, 8.8 s stored at 30 fps
    src = write_clip(tmp_path / "hs.mp4", np.arange(n) / 240)
    slow = as_slow_motion(src, tmp_path / "slow.mp4", 8, capture_fps=240)
    fed = []
    _, tr = runner_track(30, duration_s=1.0)

    class FakeBackend:
        def __init__(self, **options):
            pass

        def process(self, image, time_s, full_size_px=None):
            from gaitlens.pose import PoseResult

            fed.append(time_s)
            return PoseResult(tr.xy_px[0].copy(), tr.visibility[0].copy())

        def info(self):
            return {"name": "fake"}

        def close(self):
            pass

    monkeypatch.setattr(runner, "create_backend", lambda name, **kw: FakeBackend(**kw))
    monkeypatch.setattr(runner, "prepare_backend", lambda name, **kw: None)
    track = runner.run_pose(slow, AnalysisConfig(pose_workers=2, flip_test=False), progress=False)
    np.testing.assert_allclose(np.sort(fed), np.arange(n) / 240, atol=1e-6)
    np.testing.assert_allclose(track.time_s, np.arange(n) / 30, atol=1e-4)  # file time
    assert track.backend["time_scale"] == pytest.approx(1 / 8, rel=0.01)
    assert track.video["decode"]["pose_segments"] == 1  # planned on 1.1 s, not 8.8 s
    fed.clear()
    plain = as_slow_motion(src, tmp_path / "plain.mp4", 8)
    track = runner.run_pose(plain, AnalysisConfig(pose_workers=1, flip_test=False), progress=False)
    assert track.video["decode"]["pose_segments"] == 2  # 8.8 s of stored time
    np.testing.assert_allclose(np.unique(np.round(fed, 6)), np.arange(n) / 30, atol=1e-4)
    assert track.backend["time_scale"] == 1.0
    track = runner.run_pose(plain, AnalysisConfig(capture_fps=240, flip_test=False), progress=False)
    assert track.backend["time_scale"] == pytest.approx(1 / 8, rel=0.01)


def test_a_track_smoothed_on_the_stored_time_is_not_reused_and_is_warned_about(tmp_path):
    from types import SimpleNamespace

    _, tr = runner_track(240, duration_s=4.0)
    slow = slowed(tr, 8)
    slow.backend = {"name": "mediapipe", "model": "full", "time_scale": 1.0,
                    "pose_options": AnalysisConfig().pose_signature()}  # fmt: skip
    slow.video.update(size_bytes=1, duration_s=float(slow.time_s[-1]), nominal_fps=30.0)
    cfg = AnalysisConfig(capture_fps=240, min_strides=2)
    a = pipeline.analyze_track(slow, cfg)
    assert any("before the capture rate was known" in w for w in a.warnings)
    real_clock = slow.copy(backend={**slow.backend, "time_scale": 0.125})
    b = pipeline.analyze_track(real_clock, cfg)
    assert not any("capture rate was known" in w for w in b.warnings)
    # a saved track is reused only when its clock is the one the options ask for
    meta = SimpleNamespace(size_bytes=1, duration_s=float(slow.time_s[-1]),
                           to_dict=lambda: {"nominal_fps": 30.0})  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    slow.save(out / "pose_track.npz")
    assert pipeline._saved_track(out, meta, cfg) is None
    assert pipeline._saved_track(out, meta, AnalysisConfig()) is not None
    real_clock.save(out / "pose_track.npz")
    assert pipeline._saved_track(out, meta, cfg) is not None
