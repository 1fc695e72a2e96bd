"""A short low-resolution synthetic clip through MediaPipe: detection and keypoint error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_mediapipe_tracks_the_synthetic_runner(tmp_path):
    pytest.importorskip("mediapipe")
    from gaitlens.synthetic import RunnerParams, render, simulate
    from gaitlens_validation.keypoints import evaluate_clip

    run = simulate(
        RunnerParams(
            duration_s=2.0, fps=30.0, image_size_px=(360, 480), sensor_noise_std=1.5, seed=5
        )
    )
    video = render(run, tmp_path / "short.mp4")
    res = evaluate_clip(video)
    assert res["frames"] == run.n_frames
    assert res["detection_rate"] >= 0.98
    # median error (after the best per-frame left/right assignment), % of leg length;
    # measured on this clip: hips/knees/ankles about 2-5 %, heels/toes about 5-9 %
    for role in ("near", "far"):
        for g in ("hip", "knee", "ankle"):
            assert res[f"{role}_{g}_fixed_median_pct"] < 8.0, (role, g, res)
        for g in ("heel", "foot_index"):
            assert res[f"{role}_{g}_fixed_median_pct"] < 14.0, (role, g, res)
        assert res[f"{role}_knee_fixed_p95_pct"] < 30.0, res
