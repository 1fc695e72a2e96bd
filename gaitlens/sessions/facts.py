"""What the data say about how a session was filmed and run, and where two sessions
differ in ways that move the numbers without the runner's technique changing.

A comparison of two clips is only as good as their likeness: frame rate sets the
timing precision, the runner's size in the frame and the camera's angle set the
keypoint error, and running speed changes almost every gait metric (cadence, contact
time, hip and knee angles; e.g. Fukuchi et al. 2017, PeerJ 5:e3298, 2.5 vs 4.5 m/s).
Each is read from the clip itself, so a user does not have to remember how they filmed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Optional

import numpy as np

from ..io.jsonsafe import json_safe

#: limits beyond which two sessions count as filmed or run differently (ratios are
#: larger / smaller); chosen from the invariance runs (docs/reliability.md): halving the
#: size or the frame rate of one clip moved timing metrics by more than their MDC95,
#: +-3 deg of camera roll and a darker copy did not
FPS_RATIO = 1.2
SIZE_RATIO = 1.3
SIDE_VIEW_SCORE_DIFF = 0.1
# the belt speed read from the near ankle spread 1.15x over four renders run at one
# speed (belt_speed_legs_s): only larger differences are told apart from that noise
SPEED_RATIO = 1.2


@dataclass
class SessionFacts:
    """One session: when, how it was filmed (from the video and the pose track) and how
    fast the runner ran (from the feet)."""

    label: str
    date: Optional[str]  # ISO date, from the folder/file name or the file's time
    fps: float
    frame_height_px: int
    leg_share_of_frame: float  # leg length / frame height: camera distance and zoom
    side_view_score: float  # gaitlens.cleaning.checks: 1 = true side view
    facing: str
    near_side: str
    belt_speed_legs_s: float  # backward speed of the stance foot, leg lengths per second
    cadence_spm: float
    n_strides: int

    def to_dict(self) -> dict:
        return json_safe(asdict(self))


DATE_IN_NAME = re.compile(r"(20\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])")


def date_from_name(path) -> Optional[str]:
    """An ISO date written in a file or folder name (2026-11-30, 20261130, 2026_11_30),
    searched from the name up through its parents; None when there is none."""
    for part in reversed(Path(path).parts):
        m = DATE_IN_NAME.search(part)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                continue
    return None


def session_date(analysis, given: Optional[str] = None) -> Optional[str]:
    """The session's date: ``given``, else a date in the video's or the output folder's
    name, else the video file's modification time (what phones keep when copying)."""
    if given:
        return date.fromisoformat(given).isoformat()
    video = (analysis.video or {}).get("path")
    for p in (video, analysis.outdir):
        if p and date_from_name(p):
            return date_from_name(p)
    if video and Path(video).is_file():
        return datetime.fromtimestamp(Path(video).stat().st_mtime).date().isoformat()
    return None


def belt_speed_legs_s(analysis) -> float:
    """Belt speed in leg lengths per second: the median backward speed of the near
    leg's ankle in the middle half of each of its valid contacts, over the leg length.
    On a treadmill the stance foot moves with the belt, so this is the running speed
    without a belt-speed reading (NaN without valid strides). The near ankle: on the four
    sample renders (all 3.0 m/s = 3.49 legs/s) it read 3.39-3.88 legs/s, heel and toe
    and the far leg 2.4-5.1 (the pose model draws the stance foot sliding)."""
    clean, st = analysis.clean, analysis.strides
    if clean is None or st is None or not len(st) or "to_s" not in st:
        return float("nan")
    t = clean.time_s
    ankle = clean.points.get(f"{clean.near_side}_ankle")
    if ankle is None or len(t) < 2:
        return float("nan")
    vx = np.gradient(ankle[:, 0], t)
    rows = st[st["side"] == clean.near_side]
    speeds = []
    for a, b in zip(rows["ic_s"].to_numpy(float), rows["to_s"].to_numpy(float)):
        q = 0.25 * (b - a)
        m = (t >= a + q) & (t <= b - q) & np.isfinite(vx)
        if m.any():
            speeds.append(-float(np.median(vx[m])))
    if not speeds:
        return float("nan")
    return float(np.median(speeds)) / float(clean.leg_length_px)


def session_facts(analysis, label: str = "", date_iso: Optional[str] = None) -> SessionFacts:
    """The facts of one analysed session (see :class:`SessionFacts`)."""
    clean = analysis.clean
    height = int((analysis.track.frame_size_px or (0, 0))[1]) if analysis.track else 0
    leg = float(clean.leg_length_px) if clean is not None else float("nan")
    summary = analysis.summary or {}
    return SessionFacts(
        label=label or Path(str((analysis.video or {}).get("path", "session"))).stem,
        date=session_date(analysis, date_iso),
        fps=float(analysis.track.sampling_rate_hz) if analysis.track else float("nan"),
        frame_height_px=height,
        leg_share_of_frame=leg / height if height else float("nan"),
        side_view_score=float((clean.view or {}).get("side_view_score", np.nan))
        if clean is not None
        else float("nan"),
        facing=clean.facing if clean is not None else "",
        near_side=clean.near_side if clean is not None else "",
        belt_speed_legs_s=belt_speed_legs_s(analysis),
        cadence_spm=float(summary.get("cadence_spm", np.nan)),
        n_strides=int(len(analysis.strides)) if analysis.strides is not None else 0,
    )


def _ratio(a: float, b: float) -> float:
    if not (np.isfinite(a) and np.isfinite(b)) or min(a, b) <= 0:
        return float("nan")
    return max(a, b) / min(a, b)


def filming_differences(a: SessionFacts, b: SessionFacts) -> list:
    """Plain sentences, one per way the two sessions were filmed or run differently
    enough to move the numbers (thresholds above); empty when they match."""
    out = []
    if _ratio(a.fps, b.fps) > FPS_RATIO:
        out.append(f"frame rates differ ({a.fps:.0f} vs {b.fps:.0f} fps): event timing "
                   "(contact time, pelvis timing) is less precise at the lower rate")  # fmt: skip
    if _ratio(a.leg_share_of_frame, b.leg_share_of_frame) > SIZE_RATIO:
        out.append(f"the camera distance or zoom differs: the leg spans "
                   f"{a.leg_share_of_frame:.0%} vs {b.leg_share_of_frame:.0%} of the frame "
                   "height, so keypoint errors differ")  # fmt: skip
    if abs(a.side_view_score - b.side_view_score) > SIDE_VIEW_SCORE_DIFF:
        out.append(f"the camera angle differs (side-view score {a.side_view_score:.2f} "
                   f"vs {b.side_view_score:.2f}): angles seen obliquely are "
                   "foreshortened")  # fmt: skip
    if _ratio(a.belt_speed_legs_s, b.belt_speed_legs_s) > SPEED_RATIO:
        out.append(f"the running speed differs ({a.belt_speed_legs_s:.2f} vs "
                   f"{b.belt_speed_legs_s:.2f} leg lengths/s from the stance foot): speed "
                   "changes cadence, contact time and joint angles by itself")  # fmt: skip
    if a.near_side and b.near_side and a.near_side != b.near_side:
        out.append(f"filmed from the other side ({a.near_side} vs {b.near_side} leg nearer "
                   "the camera): the far leg is measured less well")  # fmt: skip
    return out


def comparison_confidence(differences: list) -> str:
    """``high`` when the sessions were filmed and run alike, ``medium`` with one
    difference, ``low`` with more."""
    return "high" if not differences else ("medium" if len(differences) == 1 else "low")
