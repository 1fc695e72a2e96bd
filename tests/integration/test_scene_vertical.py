"""The scene's vertical on rendered clips with known camera roll and pitch
(``bench/scene_vertical.py``: a furnished wall behind the synthetic runner, the frame
rolled without fill corners, the runner's true landmarks for its mask)."""

from __future__ import annotations

import pytest

from bench.scene_vertical import case


@pytest.mark.parametrize(
    "roll, pitch, size",
    [(3.0, 0.0, (480, 640)), (-6.0, 8.0, (480, 640)), (0.0, -8.0, (1280, 720))],
)
def test_rendered_roll_and_pitch_are_recovered(tmp_path, roll, pitch, size):
    r = case(roll, pitch, 0.0, size, tmp_path, "right", seed=1)
    assert r["applied"], r["reason"]
    assert abs(r["error_deg"]) <= max(0.5, 2 * r["se_deg"]), r


def test_plain_wall_is_not_levelled(tmp_path):
    """The sample clips' plain wall (a poster and the treadmill's slanted upright, no
    upright edges that agree): the image's vertical stays, with the reason."""
    import numpy as np

    from gaitlens import synthetic
    from gaitlens.io.video import VideoWriter
    from gaitlens.pose.vertical import estimate_vertical
    from gaitlens.synthetic.renderer import Renderer

    run = synthetic.simulate(synthetic.RunnerParams(duration_s=1.5, seed=2))
    path = tmp_path / "plain.mp4"
    w, h = run.params.image_size_px
    with VideoWriter(path, w, h, fps=run.params.fps) as out:
        for img in Renderer(run).frames():  # frames
            out.write(np.ascontiguousarray(img))
    est = estimate_vertical(path, run.to_pose_track())
    assert not est.applied
    assert "vertical edge" in est.reason
