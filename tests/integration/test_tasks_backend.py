"""The Tasks pose backend on real frames, with the bundle assembled offline from the
legacy wheel's models (``make model``); skipped when no bundle is installed."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlens.errors import BackendUnavailableError
from gaitlens.pose import available_backends, create_backend, models
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full_bundle():
    p = models.find_bundle("full")
    if p is None:
        pytest.skip("no pose model installed: run `make model` (gaitlens install-model)")
    return p


def _frames(n: int):
    from gaitlens.io import video

    frames = video.read_frames(SAMPLES / "normal.mp4", max_side_px=480)
    try:
        for _, f in zip(range(n), frames):
            yield f
    finally:
        frames.close()


def test_assembled_bundle_runs_in_video_mode(full_bundle):
    """PoseLandmarker accepts the metadata written by gaitlens (without it MediaPipe
    refuses the float32 models) and finds the runner on every frame, with masks."""
    from gaitlens.io import video

    meta = video.probe(SAMPLES / "normal.mp4")
    full = (meta.width_px, meta.height_px)
    with create_backend("mediapipe", segmentation=True) as be:
        info = be.info()
        res = [be.process(f.image, f.time_s, full_size_px=full) for f in _frames(30)]
        # equal or decreasing timestamps are bumped: VIDEO mode needs increasing ms
        be.process(next(_frames(1)).image, 0.0, full_size_px=full)
    assert info["api"].startswith("tasks.PoseLandmarker") and info["model"] == "full"
    xy = np.array([r.xy_px for r in res])
    assert np.isfinite(xy).all()
    assert (xy[..., 0] >= -0.1 * full[0]).all() and (xy[..., 0] <= 1.1 * full[0]).all()
    assert all(r.n_people == 1 for r in res)
    sil = np.array([r.silhouette for r in res])
    assert np.isfinite(sil).any(axis=1).mean() > 0.5  # the masks reach the silhouette


def test_legacy_backend_needs_the_legacy_graph():
    if available_backends().get("mediapipe-legacy"):
        pytest.skip("mediapipe 0.10.x with solutions is installed here")
    with pytest.raises(BackendUnavailableError, match="mediapipe==0.10.21"):
        create_backend("mediapipe-legacy")
