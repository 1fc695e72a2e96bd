"""Pretty labels for the report layer (DESIGN.md: "pretty labels only in this layer").

Column names carry the stored unit (``contact_time_s``); the report shows what a runner
reads easily ("contact time [ms]"). Stride metrics take their label from the metric
registry (``gaitlens.strides.metrics.METRICS``); this module adds the per-frame
signals, event times and quality numbers. Unknown columns get a label derived from
their name.
"""

from __future__ import annotations

import re
from typing import Optional

from ..strides.metrics import METRICS
from ..units import Label, label_from_name

#: columns that are not stride metrics: event times, per-frame signals, quality
LABELS: dict[str, Label] = {
    # event times
    "ic_s": Label("foot strike at", "s", 1, 2),
    "to_s": Label("toe-off at", "s", 1, 2),
    "next_ic_s": Label("next foot strike at", "s", 1, 2),
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


def _known(column: str) -> Optional[Label]:
    if column in METRICS:
        return METRICS[column].label
    return LABELS.get(column)


def label(column: str) -> Label:
    """The display label of a column (side prefixes ``left_``/``right_`` are kept)."""
    known = _known(column)
    if known is not None:
        return known
    m = re.match(r"^(left|right)_(.+)$", column)
    if m and _known(m.group(2)) is not None:
        base = _known(m.group(2))
        return Label(f"{m.group(1)} {base.text}", base.unit, base.factor, base.decimals)
    return label_from_name(column)


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
