"""The runner's size in the frame (gaitlens.quality): the leg length in the pixels the
pose model is given, and the warning below MIN_MODEL_LEG_PX (bench/runner_size.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gaitlens import quality


def _track(width, height, max_side=960, n=10):
    from gaitlens.io.track import PoseTrack

    return PoseTrack(
        time_s=np.arange(n) / 30.0,
        xy_px=np.zeros((n, 33, 2)),
        visibility=np.ones((n, 33)),
        frame_size_px=(width, height),
        video={"path": "x.mp4", "width_px": width, "height_px": height},
        backend={"name": "test", "pose_options": {"model_input_max_side_px": max_side}},
    )


@pytest.mark.parametrize(
    "size, max_side, leg, want",
    [
        ((720, 1280), 960, 290.0, 217.5),  # the shared clip: decoded at 540x960
        ((180, 320), 960, 72.0, 72.0),  # smaller than the model input: no downscale
        ((2160, 3840), 960, 800.0, 200.0),  # 4K: a quarter
        ((2160, 3840), None, 800.0, 800.0),  # full-size frames
    ],
)
def test_model_leg_px_applies_the_decode_downscale(size, max_side, leg, want):
    assert quality.model_leg_px(_track(*size, max_side=max_side), leg) == pytest.approx(want)


def test_unknown_sizes_give_none_and_no_warning():
    assert quality.model_leg_px(_track(720, 1280), None) is None
    assert quality.model_leg_px(_track(720, 1280), float("nan")) is None
    assert quality.runner_size_warnings(None) == []
    assert quality.runner_size_warnings(float("nan")) == []


def test_warning_only_below_the_measured_size():
    lim = quality.MIN_MODEL_LEG_PX
    big = quality.model_leg_px(_track(720, 1280), lim / 0.75 + 1)
    assert big > lim and quality.runner_size_warnings(big) == []
    (w,) = quality.runner_size_warnings(quality.model_leg_px(_track(180, 320), 72.0))
    assert "small in the frame" in w and "72 px" in w and "film closer" in w


def _analysis(scale):
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import analyze_track
    from gaitlens.synthetic import RunnerParams, simulate

    run = simulate(RunnerParams(duration_s=4.0, fps=60.0, seed=2))
    track = run.to_pose_track(noise_px=0.5, seed=2)
    w, h = track.frame_size_px
    small = replace(
        track,
        xy_px=track.xy_px * scale,
        frame_size_px=(int(w * scale), int(h * scale)),
        video={**track.video, "width_px": int(w * scale), "height_px": int(h * scale)},
        backend={**track.backend, "pose_options": {"model_input_max_side_px": 960}},
    )
    return analyze_track(small, AnalysisConfig(annotated_video=False))


def test_a_small_runner_is_warned_about_a_large_one_not():
    big, small = _analysis(1.0), _analysis(0.2)
    assert big.quality["model_leg_px"] >= quality.MIN_MODEL_LEG_PX
    assert small.quality["model_leg_px"] < quality.MIN_MODEL_LEG_PX
    assert not any("small in the frame" in w for w in big.warnings)
    assert any("small in the frame" in w for w in small.warnings)
