"""Column names of the tables passed between stages, fixed in one place.

gaitmap (mad-lab-fau) keeps its stride-list columns and legal event order as
constants and validates tables against them; gaitlens does the same. Units are in
every name (``_s``, ``_deg``, ``_legs`` = fraction of leg length, ``_pct``).
Sign conventions: BIOMECHANICS.md section 2. The per-stride kinematic metrics are
defined, with their labels and units, in one registry: ``gaitlens.strides.metrics``.
"""

from __future__ import annotations

SIDES = ("left", "right")

#: Per-frame signals (``frames.csv``); ``{side}`` is ``left`` or ``right``.
FRAME_COLUMNS = (
    "frame",
    "time_s",
    "trunk_lean_deg",  # hip-mid -> shoulder-mid from vertical-up, + forward
    "pelvis_x_legs",  # hip midpoint, treadmill frame, relative to its running median, + forward
    "pelvis_vx_legs_per_s",  # its forward velocity
    "pelvis_y_legs",  # vertical, relative to its running median, + up
    "pelvic_tilt_est_deg",  # ESTIMATED sagittal tilt, + anterior (see gaitlens.pelvis)
    "pelvic_tilt_confidence",  # 0..1 per frame
)
FRAME_SIDE_COLUMNS = (
    "{side}_thigh_angle_deg",  # hip->knee from vertical-down, + distal end forward
    "{side}_shank_angle_deg",  # knee->ankle
    "{side}_foot_angle_deg",  # heel->toe from the forward horizontal, + toe up
    "{side}_knee_flexion_deg",  # thigh - shank, 0 straight, + flexed
    "{side}_hip_flexion_deg",  # trunk-referenced: thigh + trunk lean
    "{side}_hip_flexion_pelvis_deg",  # pelvis-referenced (estimated tilt), NaN where unknown
    "{side}_thigh_angular_velocity_deg_per_s",
    "{side}_hamstring_stretch_pct",  # musculotendon length change vs standing, % of standing
    "{side}_contact",  # 1 during stance (IC..TO), 0 otherwise
    "{side}_visibility",  # mean pose visibility of the leg's landmarks
)

#: Stride identity, event times (in their legal order within a stride: IC < TO < next IC)
#: and timing columns (gaitlens.strides.segmentation); BIOMECHANICS.md section 5.
EVENT_ORDER = ("ic_s", "to_s", "next_ic_s")
STRIDE_TIMING_COLUMNS = (
    "side", "stride", *EVENT_ORDER, "stride_time_s", "cadence_spm",
    "contact_time_s", "flight_time_s", "duty_factor",
)  # fmt: skip
#: Timing columns that are metrics (the rest identify the stride and its events).
TIMING_METRIC_COLUMNS = STRIDE_TIMING_COLUMNS[5:]
#: Quality columns of a stride; the kinematic metric columns are defined by the metric
#: registry (``gaitlens.strides.metrics.METRICS``).
STRIDE_QUALITY_COLUMNS = ("quality", "visibility_mean", "events_interpolated")

FAULT_IDS = ("pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed")
SEVERITIES = ("none", "mild", "marked")
CONFIDENCES = ("low", "medium", "high")


def frame_columns() -> list[str]:
    cols = list(FRAME_COLUMNS)
    for side in SIDES:
        cols += [c.format(side=side) for c in FRAME_SIDE_COLUMNS]
    return cols


def require_columns(df, columns, what: str) -> None:
    """Raise ``ValueError`` naming the missing columns when ``df`` lacks any of
    ``columns`` (used where one stage hands a table to the next)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}")
