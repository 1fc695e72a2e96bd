"""BlazePose landmark names (33 points), left/right pairs and the drawing skeleton.

Order and names follow MediaPipe's ``PoseLandmark`` enum (Bazarevsky et al. 2020,
"BlazePose: On-device Real-time Body Pose tracking", arXiv:2006.10204).
"""

from __future__ import annotations

from ..schema import SIDES

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear",
    "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_pinky", "right_pinky",
    "left_index", "right_index",
    "left_thumb", "right_thumb",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)  # fmt: skip

INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}
N_LANDMARKS = len(LANDMARK_NAMES)

#: Landmarks used by the gait analysis, per side (``toe`` is MediaPipe's foot_index).
LEG_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")


def idx(side: str, point: str) -> int:
    """Index of e.g. ``idx("left", "knee")``."""
    return INDEX[f"{side}_{point}"]


def mirror_index() -> list[int]:
    """Permutation that swaps every left landmark with its right twin."""
    out = []
    for name in LANDMARK_NAMES:
        if name.startswith("left_"):
            out.append(INDEX["right_" + name[5:]])
        elif name.startswith("right_"):
            out.append(INDEX["left_" + name[6:]])
        else:
            out.append(INDEX[name])
    return out


#: Bones drawn in overlays (pairs of landmark names).
BONES: tuple[tuple[str, str], ...] = tuple(
    (f"{s}_{a}", f"{s}_{b}")
    for s in SIDES
    for a, b in (
        ("shoulder", "elbow"), ("elbow", "wrist"), ("shoulder", "hip"), ("hip", "knee"),
        ("knee", "ankle"), ("ankle", "heel"), ("heel", "foot_index"), ("ankle", "foot_index"),
    )
) + (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"))  # fmt: skip
