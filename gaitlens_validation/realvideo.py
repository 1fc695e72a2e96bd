"""Pose tracks of real clips for validation, cached on disk (MediaPipe runs once)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Optional

from gaitlens.io.track import PoseTrack


def _key(path: Path, max_side_px: Optional[int], pose: str = "") -> str:
    st = path.stat()
    raw = f"{path.resolve()}|{st.st_size}|{int(st.st_mtime)}|{max_side_px}|{pose}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def track_video(
    path: str | Path,
    cache_dir: str | Path | None = "/tmp/gaitlens-validation-cache",
    max_side_px: Optional[int] = 640,
    **options,
) -> PoseTrack:
    """The pose stage of ``gaitlens.pipeline.run_pose`` over a video (frames downsized
    to ``max_side_px`` for the model, landmarks in full-frame pixels), cached as ``.npz``;
    ``options`` are further ``AnalysisConfig`` fields."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import run_pose

    path = Path(path)
    cfg = AnalysisConfig(model_input_max_side_px=max_side_px, **options)
    cache = None
    if cache_dir is not None:
        # the pose options (backend, model) are part of the key: a track of another
        # backend is not reused
        sig = json.dumps(cfg.pose_signature(), sort_keys=True)
        cache = Path(cache_dir) / f"{path.stem}-{_key(path, max_side_px, sig)}.npz"
        if cache.is_file():
            return PoseTrack.load(cache)
    track = run_pose(path, cfg, progress=False)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        track.save(cache)
    return track
