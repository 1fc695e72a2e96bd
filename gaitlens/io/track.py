"""``PoseTrack``: the pose stage's output, one row per video frame.

Modelled on ``movement``'s pose dataset (time in seconds, named keypoints, metadata
in attrs): landmark positions in image pixels (x right, y down) with NaN where no
person was detected, per-landmark visibility, real frame timestamps, frame size,
the source video's metadata and the backend that produced it. Optional per-frame
silhouette features (from the segmentation mask) are kept instead of whole masks.

Saved losslessly as a single ``.npz`` (arrays) with a JSON header (metadata).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..pose.skeleton import INDEX, LANDMARK_NAMES

TRACK_FORMAT_VERSION = 1


@dataclass
class PoseTrack:
    time_s: np.ndarray  # (n,) seconds from the first frame
    xy_px: np.ndarray  # (n, k, 2) image pixels, NaN where undetected
    visibility: np.ndarray  # (n, k) in [0, 1], 0 where undetected
    frame_size_px: tuple[int, int]  # (width, height) of the upright frame
    landmark_names: tuple[str, ...] = LANDMARK_NAMES
    video: dict = field(default_factory=dict)  # VideoMeta.to_dict()
    backend: dict = field(default_factory=dict)  # name, model, versions
    silhouette: Optional[np.ndarray] = None  # (n, f) features from the segmentation mask
    silhouette_names: tuple[str, ...] = ()
    n_people: Optional[np.ndarray] = None  # (n,) people seen per frame where known (-1 unknown)

    def __post_init__(self):
        self.time_s = np.asarray(self.time_s, dtype=float)
        self.xy_px = np.asarray(self.xy_px, dtype=float)
        self.visibility = np.asarray(self.visibility, dtype=float)
        n = len(self.time_s)
        if self.xy_px.shape != (n, len(self.landmark_names), 2):
            raise ValueError(f"xy_px has shape {self.xy_px.shape}, expected ({n}, k, 2)")
        if self.visibility.shape != (n, len(self.landmark_names)):
            raise ValueError("visibility must have shape (n_frames, n_landmarks)")
        self.frame_size_px = tuple(int(v) for v in self.frame_size_px)
        self.landmark_names = tuple(self.landmark_names)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.time_s)

    @property
    def n_frames(self) -> int:
        return len(self.time_s)

    @property
    def detected(self) -> np.ndarray:
        """Boolean per frame: a person was detected."""
        return np.isfinite(self.xy_px).all(axis=2).any(axis=1)

    @property
    def sampling_rate_hz(self) -> float:
        """Median frame rate from the real timestamps."""
        if len(self.time_s) < 2:
            return float("nan")
        return float(1.0 / np.median(np.diff(self.time_s)))

    def point(self, name: str) -> np.ndarray:
        """(n, 2) pixel positions of one landmark by name."""
        return self.xy_px[
            :,
            INDEX[name]
            if self.landmark_names is LANDMARK_NAMES
            else self.landmark_names.index(name),
        ]

    def vis(self, name: str) -> np.ndarray:
        return self.visibility[:, self.landmark_names.index(name)]

    def copy(self, **changes) -> PoseTrack:
        kw = dict(
            time_s=self.time_s.copy(),
            xy_px=self.xy_px.copy(),
            visibility=self.visibility.copy(),
            frame_size_px=self.frame_size_px,
            landmark_names=self.landmark_names,
            video=dict(self.video),
            backend=dict(self.backend),
            silhouette=None if self.silhouette is None else self.silhouette.copy(),
            silhouette_names=self.silhouette_names,
            n_people=None if self.n_people is None else self.n_people.copy(),
        )
        kw.update(changes)
        return PoseTrack(**kw)

    # ------------------------------------------------------------------ tables
    def to_dataframe(self):
        """Wide table: ``time_s`` then ``<landmark>_x_px``, ``_y_px``, ``_visibility``."""
        import pandas as pd

        cols = {"frame": np.arange(self.n_frames), "time_s": self.time_s}
        for j, name in enumerate(self.landmark_names):
            cols[f"{name}_x_px"] = self.xy_px[:, j, 0]
            cols[f"{name}_y_px"] = self.xy_px[:, j, 1]
            cols[f"{name}_visibility"] = self.visibility[:, j]
        return pd.DataFrame(cols)

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | Path) -> Path:
        """Write the track losslessly to ``path`` (``.npz``)."""
        path = Path(path)
        header = {
            "format_version": TRACK_FORMAT_VERSION,
            "frame_size_px": list(self.frame_size_px),
            "landmark_names": list(self.landmark_names),
            "video": self.video,
            "backend": self.backend,
            "silhouette_names": list(self.silhouette_names),
        }
        arrays = dict(
            time_s=self.time_s,
            xy_px=self.xy_px,
            visibility=self.visibility,
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        )
        if self.silhouette is not None:
            arrays["silhouette"] = self.silhouette
        if self.n_people is not None:
            arrays["n_people"] = self.n_people
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> PoseTrack:
        with np.load(Path(path), allow_pickle=False) as z:
            header = json.loads(bytes(z["header"]).decode())
            if header.get("format_version", 0) > TRACK_FORMAT_VERSION:
                raise ValueError(f"{path}: pose track written by a newer gaitlens")
            return cls(
                time_s=z["time_s"],
                xy_px=z["xy_px"],
                visibility=z["visibility"],
                frame_size_px=tuple(header["frame_size_px"]),
                landmark_names=tuple(header["landmark_names"]),
                video=header.get("video", {}),
                backend=header.get("backend", {}),
                silhouette=z["silhouette"] if "silhouette" in z.files else None,
                silhouette_names=tuple(header.get("silhouette_names", ())),
                n_people=z["n_people"] if "n_people" in z.files else None,
            )
