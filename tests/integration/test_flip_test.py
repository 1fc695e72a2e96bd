"""The flip test through MediaPipe: a clip and its mirror image give the same landmarks."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from gaitlens.pose.flip import unmirror
from gaitlens.pose.skeleton import INDEX, LEG_POINTS
from tests.conftest import ffmpeg_exe

pytestmark = pytest.mark.slow

LEGS = [INDEX[f"{s}_{p}"] for s in ("left", "right") for p in LEG_POINTS]


def test_mirrored_clip_gives_the_same_leg_landmarks(tmp_path):
    """Mirrored with FFmpeg (hflip, near-lossless), posed, mirrored back: with the flip
    test the legs' landmarks lie within a fraction of the one-pass difference of the
    original's (what is left is the encoding and which labels each pass gave a leg)."""
    pytest.importorskip("mediapipe")
    from gaitlens.config import AnalysisConfig
    from gaitlens.pose.runner import run_pose
    from gaitlens.synthetic import RunnerParams, render, simulate
    from gaitlens.synthetic.renderer import Style

    run = simulate(RunnerParams(duration_s=3.0, fps=30.0, image_size_px=(360, 480), seed=5))
    video = render(run, tmp_path / "clip.mp4", style=Style(room=True))
    mirrored = tmp_path / "mirrored.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(video), "-vf", "hflip",
                    "-c:v", "libx264", "-crf", "10", "-pix_fmt", "yuv420p", str(mirrored)],
                   check=True)  # fmt: skip
    diffs = {}
    for flip_test in (False, True):
        cfg = AnalysisConfig(flip_test=flip_test, pose_workers=1)
        a = run_pose(video, cfg, progress=False)
        b = run_pose(mirrored, cfg, progress=False)
        assert a.backend["pose_options"]["flip_test"] is flip_test
        bx, _ = unmirror(b.xy_px, b.visibility, b.frame_size_px[0])
        # each leg against the nearer of the two mirrored-back legs (labels aside)
        d = np.linalg.norm(a.xy_px[:, LEGS] - bx[:, LEGS], axis=-1)
        half = len(LEG_POINTS)
        swapped = np.concatenate([bx[:, LEGS[half:]], bx[:, LEGS[:half]]], axis=1)
        d_sw = np.linalg.norm(a.xy_px[:, LEGS] - swapped, axis=-1)
        d = np.where(d.sum(axis=1, keepdims=True) <= d_sw.sum(axis=1, keepdims=True), d, d_sw)
        diffs[flip_test] = float(np.nanmedian(d))
    # measured: 5.5 px one pass, 1.3 px with the flip test (leg about 150 px)
    assert diffs[True] < 0.35 * diffs[False], diffs
    assert diffs[True] < 2.0, diffs
