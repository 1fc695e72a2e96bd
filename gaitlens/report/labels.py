"""Pretty labels for the report layer (DESIGN.md: "pretty labels only in this layer").

Column names carry SI-ish units (``contact_time_s``); the report shows what a runner
reads easily ("contact time [ms]"). Each entry: label, display unit, factor applied to
the stored value, decimals. Unknown columns get a label derived from their name.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Label:
    text: str
    unit: str
    factor: float = 1.0
    decimals: int = 1

    @property
    def full(self) -> str:
        return f"{self.text} [{self.unit}]" if self.unit else self.text

    def fmt(self, value, signed: bool = False) -> str:
        if value is None:
            return "–"
        try:
            v = float(value) * self.factor
        except (TypeError, ValueError):
            return str(value)
        if not math.isfinite(v):
            return "–"
        s = f"{v:+.{self.decimals}f}" if signed else f"{v:.{self.decimals}f}"
        return s.replace("-", "−")


LABELS: dict[str, Label] = {
    # timing
    "stride_time_s": Label("stride time", "ms", 1000, 0),
    "cadence_spm": Label("cadence", "steps/min", 1, 1),
    "contact_time_s": Label("contact time", "ms", 1000, 0),
    "flight_time_s": Label("flight time", "ms", 1000, 0),
    "duty_factor": Label("duty factor", "% of stride", 100, 0),
    "ic_s": Label("foot strike at", "s", 1, 2),
    "to_s": Label("toe-off at", "s", 1, 2),
    "next_ic_s": Label("next foot strike at", "s", 1, 2),
    # kinematics
    "overstride_legs": Label("overstride", "% leg length", 100, 1),
    "shank_angle_ic_deg": Label("shin angle at foot strike", "deg", 1, 1),
    "knee_flexion_ic_deg": Label("knee bend at foot strike", "deg", 1, 1),
    "knee_flexion_midstance_deg": Label("knee bend at midstance", "deg", 1, 1),
    "knee_flexion_swing_peak_deg": Label("peak knee bend in swing", "deg", 1, 0),
    "hip_flexion_ic_deg": Label("hip flexion at foot strike", "deg", 1, 1),
    "hip_flexion_midstance_deg": Label("hip flexion at midstance", "deg", 1, 1),
    "hip_flexion_swing_peak_deg": Label("peak hip flexion in swing", "deg", 1, 1),
    "hip_extension_to_deg": Label("hip extension at toe-off", "deg", 1, 1),
    "trunk_lean_mean_deg": Label("trunk lean (forward +)", "deg", 1, 1),
    "pelvic_tilt_mean_deg": Label("pelvic tilt, estimated (anterior +)", "deg", 1, 1),
    "pelvic_tilt_rom_deg": Label("pelvic tilt range in stride, estimated", "deg", 1, 1),
    "pelvis_lag_ms": Label("pelvis lag behind swing thigh", "ms", 1, 0),
    "pelvis_lag_pct": Label("pelvis lag behind swing thigh", "% of stride", 1, 1),
    "pelvis_late_swing_excursion_legs": Label(
        "pelvis forward travel in late swing", "% leg length", 100, 1
    ),
    "hamstring_stretch_peak_pct": Label("peak hamstring stretch", "% of standing length", 1, 1),
    "hamstring_stretch_peak_pct_cycle": Label("peak hamstring stretch at", "% of stride", 1, 0),
    "vertical_oscillation_legs": Label("vertical bounce", "% leg length", 100, 1),
    "visibility_mean": Label("landmark visibility", "%", 100, 0),
    "quality": Label("quality", "", 1, 2),
    # per-frame signals
    "trunk_lean_deg": Label("trunk lean (forward +)", "deg", 1, 1),
    "pelvic_tilt_est_deg": Label("pelvic tilt, estimated (anterior +)", "deg", 1, 1),
    "pelvic_tilt_confidence": Label("pelvic tilt confidence", "%", 100, 0),
    "pelvis_x_legs": Label("pelvis forward position", "% leg length", 100, 1),
    "pelvis_vx_legs_per_s": Label("pelvis forward speed", "leg lengths/s", 1, 2),
    "pelvis_y_legs": Label("pelvis height", "% leg length", 100, 1),
    "hip_flexion_deg": Label("hip flexion (trunk-referenced)", "deg", 1, 1),
    "hip_flexion_pelvis_deg": Label("hip flexion (pelvis-referenced, est.)", "deg", 1, 1),
    "knee_flexion_deg": Label("knee flexion", "deg", 1, 1),
    "thigh_angle_deg": Label("thigh angle (forward +)", "deg", 1, 1),
    "shank_angle_deg": Label("shin angle (forward +)", "deg", 1, 1),
    "foot_angle_deg": Label("foot angle (toe up +)", "deg", 1, 1),
    "hamstring_stretch_pct": Label("hamstring stretch", "% of standing length", 1, 1),
    "thigh_angular_velocity_deg_per_s": Label("thigh angular velocity", "deg/s", 1, 0),
    # quality
    "sampling_rate_hz": Label("frame rate", "frames/s", 1, 1),
    "detection_rate": Label("frames with the runner found", "%", 100, 0),
    "left_leg_visibility": Label("left leg visibility", "%", 100, 0),
    "right_leg_visibility": Label("right leg visibility", "%", 100, 0),
}

_UNIT_SUFFIXES = (
    ("_deg_per_s", "deg/s"),
    ("_legs_per_s", "leg lengths/s"),
    ("_deg", "deg"),
    ("_legs", "leg lengths"),
    ("_pct", "%"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_hz", "Hz"),
    ("_spm", "steps/min"),
    ("_m", "m"),
)


def label(column: str) -> Label:
    """The display label of a column (side prefixes ``left_``/``right_`` are kept)."""
    if column in LABELS:
        return LABELS[column]
    m = re.match(r"^(left|right)_(.+)$", column)
    if m and m.group(2) in LABELS:
        base = LABELS[m.group(2)]
        return Label(f"{m.group(1)} {base.text}", base.unit, base.factor, base.decimals)
    for suffix, unit in _UNIT_SUFFIXES:
        if column.endswith(suffix):
            return Label(column[: -len(suffix)].replace("_", " "), unit)
    return Label(column.replace("_", " "), "")


def fmt(column: str, value, signed: bool = False) -> str:
    return label(column).fmt(value, signed=signed)


def fmt_mean_sd(column: str, mean, sd: Optional[float] = None) -> str:
    lab = label(column)
    s = lab.fmt(mean)
    if sd is not None and s != "–":
        sd_s = lab.fmt(sd)
        if sd_s != "–":
            s += f" ± {sd_s}"
    return s
