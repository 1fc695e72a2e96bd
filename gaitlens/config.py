"""``AnalysisConfig``: every option of an analysis, from defaults, a TOML file and flags.

Precedence: defaults < ``--config file.toml`` < command-line flags / keyword arguments.
Unknown keys are an error (a typo must not be silently ignored).

Example file (see README)::

    runner_height_m = 1.78
    belt_speed_m_s = 3.3
    annotated_video = false

    [bands.pelvis_lag_ms]      # override a reference band used by the fault rules
    high = 200
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class AnalysisConfig:
    # pose stage
    pose_backend: str = "mediapipe"
    pose_model_path: Optional[str] = None  # a MediaPipe .task file (e.g. the heavy model)
    model_complexity: int = 1
    model_input_max_side_px: Optional[int] = 960  # frames are downsized on decode to this
    segmentation: bool = True
    # pose graphs run at once on consecutive parts of the clip (None = one per core, at
    # most 4; results equal within MediaPipe's frame-to-frame noise)
    pose_workers: Optional[int] = None
    # the runner and the treadmill (for metres; optional)
    runner_height_m: Optional[float] = None
    belt_speed_m_s: Optional[float] = None
    # cleaning / events
    cutoff_hz: Optional[float] = None  # None = chosen from the frame rate
    max_gap_s: float = 0.15
    min_strides: int = 4
    # pelvis
    standing_pelvic_tilt_deg: Optional[float] = None  # user calibration (standing frame)
    # outputs
    annotated_video: bool = True
    # user overrides of reference bands and fault rules: {metric: {low/high: value}}
    bands: dict = field(default_factory=dict)
    faults: dict = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: str | Path) -> AnalysisConfig:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: config file not found.") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML ({exc}).") from None
        return cls().updated(**data)

    def updated(self, **changes: Any) -> AnalysisConfig:
        """A copy with ``changes`` applied; ``None`` values leave a field unchanged."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigError(
                f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}"
            )
        clean = {k: v for k, v in changes.items() if v is not None}
        for k in ("bands", "faults"):
            if k in clean:
                merged = {**getattr(self, k)}
                for key, val in clean[k].items():
                    merged[key] = {**merged.get(key, {}), **val} if isinstance(val, dict) else val
                clean[k] = merged
        cfg = dataclasses.replace(self, **clean)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if self.runner_height_m is not None and not 0.8 <= self.runner_height_m <= 2.5:
            raise ConfigError(f"runner_height_m={self.runner_height_m}: give metres, 0.8-2.5")
        if self.belt_speed_m_s is not None and not 0.5 <= self.belt_speed_m_s <= 12:
            raise ConfigError(f"belt_speed_m_s={self.belt_speed_m_s}: give m/s, 0.5-12")
        if self.min_strides < 1:
            raise ConfigError("min_strides must be at least 1")
        if self.pose_workers is not None and not 1 <= int(self.pose_workers) <= 64:
            raise ConfigError("pose_workers must be between 1 and 64")
        if self.model_complexity not in (0, 1, 2):
            raise ConfigError("model_complexity must be 0, 1 or 2")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    # options that change the pose stage: a saved pose track is reused only if equal
    POSE_KEYS = (
        "pose_backend",
        "pose_model_path",
        "model_complexity",
        "model_input_max_side_px",
        "segmentation",
    )

    def pose_signature(self) -> dict:
        return {k: getattr(self, k) for k in self.POSE_KEYS}
