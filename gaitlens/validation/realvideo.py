"""Pose tracks of real clips for validation, cached on disk (MediaPipe runs once)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional

import numpy as np

from ..track import PoseTrack


def _key(path: Path, max_side_px: Optional[int]) -> str:
    st = path.stat()
    raw = f"{path.resolve()}|{st.st_size}|{int(st.st_mtime)}|{max_side_px}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def track_video(
    path: str | Path,
    cache_dir: str | Path | None = "/tmp/gaitlens-validation-cache",
    max_side_px: Optional[int] = 640,
    backend: str = "mediapipe",
) -> PoseTrack:
    """Run the pose backend over a video (frames downsized to ``max_side_px`` for the
    model, landmarks in full-frame pixels) and cache the ``PoseTrack`` as ``.npz``."""
    from ..pose import base
    from ..pose.silhouette import FEATURE_NAMES
    from ..video import probe, read_frames

    path = Path(path)
    cache = None
    if cache_dir is not None:
        cache = Path(cache_dir) / f"{path.stem}-{_key(path, max_side_px)}.npz"
        if cache.is_file():
            return PoseTrack.load(cache)
    meta = probe(path)
    size = (meta.width_px, meta.height_px)
    est = base.create_backend(backend)
    ts, xys, vis, sils, npl = [], [], [], [], []
    try:
        for fr in read_frames(path, max_side_px=max_side_px):
            r = est.process(fr.image, fr.time_s, full_size_px=size)
            ts.append(fr.time_s)
            xys.append(r.xy_px)
            vis.append(r.visibility)
            sils.append(r.silhouette)
            npl.append(r.n_people)
        info = est.info()
    finally:
        est.close()
    has_sil = all(s is not None for s in sils)
    track = PoseTrack(
        time_s=np.array(ts), xy_px=np.array(xys), visibility=np.array(vis),
        frame_size_px=size, video=meta.to_dict(), backend=info,
        silhouette=np.array(sils) if has_sil else None,
        silhouette_names=FEATURE_NAMES if has_sil else (), n_people=np.array(npl),
    )  # fmt: skip
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        track.save(cache)
    return track
