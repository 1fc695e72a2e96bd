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
    # flip test: every frame is also posed mirrored and the landmarks averaged
    # (gaitlens.pose.flip): same answer whichever way the runner faces, events closer to
    # the truth; twice the pose work (1.6x the wall time of a clip, docs/performance.md)
    flip_test: bool = True
    # pose graphs run at once on consecutive parts of the clip (None = one per core, at
    # most 4; results equal within MediaPipe's frame-to-frame noise)
    pose_workers: Optional[int] = None
    # the camera's capture rate (frames per real second) of a slow-motion clip stored at a
    # lower playback rate: the analysis runs in real time (gaitlens.io.timebase); None =
    # the rate the file's metadata states, else its timestamps
    capture_fps: Optional[float] = None
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
    # the stages' own parameters: [cleaning] (CleaningConfig fields; its algorithms as
    # sub-tables, e.g. [cleaning.swap] switch_cost_legs = 0.3), [events] (FootBeltEvents
    # fields) and [strides] (StrideLimits fields); see cleaning_config() and friends
    cleaning: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    strides: dict = field(default_factory=dict)
    # [changes]: the search for form changes within the clip (ChangeLimits fields)
    changes: dict = field(default_factory=dict)

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
        for k in self.TABLES:
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
        if self.capture_fps is not None and not 1 <= _number(self.capture_fps) <= 100_000:
            raise ConfigError(
                f"capture_fps={self.capture_fps}: give the camera's capture rate in frames "
                "per second, 1-100000 (e.g. 240 for a 240 fps slow-motion clip)"
            )
        if self.min_strides < 1:
            raise ConfigError("min_strides must be at least 1")
        if self.pose_workers is not None and not 1 <= int(self.pose_workers) <= 64:
            raise ConfigError("pose_workers must be between 1 and 64")
        if self.model_complexity not in (0, 1, 2):
            raise ConfigError("model_complexity must be 0, 1 or 2")
        # stage tables: unknown keys fail now, not halfway through an analysis
        if self.cleaning:
            self.cleaning_config()
        if self.events:
            self.events_config()
        if self.strides:
            self.stride_limits()
        if self.changes:
            self.change_limits()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    # ------------------------------------------------------------- stage settings
    #: options that are tables of their own (merged key by key)
    TABLES = ("bands", "faults", "cleaning", "events", "strides", "changes")

    def cleaning_config(self):
        """The cleaning stage's ``CleaningConfig``: defaults, ``cutoff_hz`` and
        ``max_gap_s``, then the ``[cleaning]`` table."""
        from . import cleaning

        cfg = cleaning.CleaningConfig()
        if self.cutoff_hz:
            cfg.lowpass = cleaning.LowPass(
                cutoff_hz=float(self.cutoff_hz), max_fraction_nyquist=0.9
            )
        if self.max_gap_s:
            cfg.gaps = cleaning.GapFiller(max_gap_s=float(self.max_gap_s))
        return _apply(cfg, self.cleaning, "cleaning")

    def events_config(self):
        """The events stage's ``EventsConfig``: ``FootBeltEvents`` with the ``[events]``
        table applied."""
        from . import events

        return events.EventsConfig(detector=_apply(events.FootBeltEvents(), self.events, "events"))

    def stride_limits(self):
        """The stride stage's ``StrideLimits``: ``min_strides``, then ``[strides]``."""
        from .strides import StrideLimits

        return _apply(StrideLimits(min_strides=int(self.min_strides)), self.strides, "strides")

    def change_limits(self):
        """The form-change search's ``ChangeLimits`` with the ``[changes]`` table."""
        from .strides import ChangeLimits

        return _apply(ChangeLimits(), self.changes, "changes")

    # options that change the pose stage: a saved pose track is reused only if equal
    POSE_KEYS = (
        "pose_backend",
        "pose_model_path",
        "model_complexity",
        "model_input_max_side_px",
        "segmentation",
        "flip_test",
    )

    def pose_signature(self) -> dict:
        return {k: getattr(self, k) for k in self.POSE_KEYS}


def _number(v) -> float:
    """``v`` as a float (NaN when it is not a number)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _apply(obj, changes: dict, where: str):
    """``obj`` (a dataclass) with ``changes`` applied; a dict value for a field that is
    itself a dataclass is applied to it (``[cleaning.swap]``). Unknown keys raise
    ``ConfigError`` naming the valid ones."""
    names = {f.name for f in dataclasses.fields(obj)}
    updates = {}
    for key, val in (changes or {}).items():
        if key not in names:
            raise ConfigError(f"[{where}] {key}: unknown option; valid: {', '.join(sorted(names))}")
        cur = getattr(obj, key)
        if isinstance(val, dict) and dataclasses.is_dataclass(cur):
            updates[key] = _apply(cur, val, f"{where}.{key}")
        else:
            updates[key] = tuple(val) if isinstance(cur, tuple) else val
    return dataclasses.replace(obj, **updates)
