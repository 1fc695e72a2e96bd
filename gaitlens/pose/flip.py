"""Flip test: each frame is posed as given and mirrored, and the two answers averaged.

A pose network is not mirror-symmetric: shown the same runner facing left and facing
right (the frame and its mirror image) it places the landmarks differently, not just
mirrored, and on side-view running it does so in a way that moves the gait events.
Measured through MediaPipe's Tasks graph (full model): on the shared real clip the
strikes are 26 / 14 ms early on the near / far foot as given and 24 ms early / 12 ms
late on its mirrored copy; on a render with known truth the near foot's toe-off is 53
ms early as given and 10 ms early mirrored. Averaging the landmarks of the frame and of
its mirror image (mirrored back) is the "flip test" of pose estimation (Newell, Yang &
Deng 2016, ECCV, stacked hourglass networks; Xiao, Wu & Wei 2018, ECCV, simple
baselines): the part of the error that is not mirror-symmetric cancels (an error that
turns with the runner, such as a landmark placed ahead of the body, stays), and the
answer no longer depends on which way the runner faces (a clip and its mirror image
give the same landmarks up to video encoding). It costs a second pose graph per
segment: twice the pose work, 1.6x the wall time of a clip (docs/performance.md).
Measured effect: docs/reliability.md.

Both passes label the legs on their own, and either may exchange them for a few frames
(gaitlens.cleaning.SwapRepair): before averaging, each left/right group of the mirrored
pass (legs, feet, arms, head) takes the labelling closer to the direct pass's in that
frame, so a point is only ever averaged with the same body part; the leg labels are
repaired afterwards as for any track.
"""

from __future__ import annotations

import numpy as np

from .skeleton import INDEX, mirror_index

#: Left/right landmark groups aligned between the passes, each as a whole.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("hip", "knee", "ankle", "heel", "foot_index"),
    ("ankle", "heel", "foot_index"),
    ("shoulder", "elbow", "wrist", "pinky", "index", "thumb"),
    ("eye_inner", "eye", "eye_outer", "ear"),
)
_MIRROR = np.asarray(mirror_index())


def mirror_image(image: np.ndarray) -> np.ndarray:
    """The frame flipped left-right (a contiguous copy, as the pose graph needs)."""
    return np.ascontiguousarray(image[:, ::-1])


def unmirror(xy_px: np.ndarray, visibility: np.ndarray, width_px: float) -> tuple:
    """Landmarks found on the mirrored frame, back in the frame as given: x -> width - x
    and each left landmark exchanged with its right twin (the mirror image of a left leg
    looks like a right leg). Works on one frame ``(k, 2)`` or on many ``(n, k, 2)``."""
    xy = np.array(xy_px, dtype=float)[..., _MIRROR, :]
    xy[..., 0] = float(width_px) - xy[..., 0]
    return xy, np.array(visibility, dtype=float)[..., _MIRROR]


def _pair_index(group: tuple) -> tuple:
    """Landmark indices of ``group``'s left and right points."""
    return [INDEX[f"left_{p}"] for p in group], [INDEX[f"right_{p}"] for p in group]


def align_labels(ref_xy: np.ndarray, xy: np.ndarray, vis: np.ndarray) -> tuple:
    """``xy``/``vis`` (``(n, k, 2)``/``(n, k)``) with each left/right group of
    ``GROUPS`` exchanged in the frames where the exchanged labelling lies closer to
    ``ref_xy`` (summed distance over the group's points seen in both)."""
    xy, vis = np.array(xy, dtype=float), np.array(vis, dtype=float)

    def dist(a, b):
        d = np.linalg.norm(ref_xy[:, a] - xy[:, b], axis=-1)
        return np.where(np.isfinite(d), d, 0.0).sum(axis=1)

    for group in GROUPS:
        left, right = _pair_index(group)
        rows = np.flatnonzero(dist(left, right) + dist(right, left)
                              < dist(left, left) + dist(right, right))  # fmt: skip
        both = np.r_[left, right]
        swapped = np.r_[right, left]
        xy[np.ix_(rows, both)] = xy[np.ix_(rows, swapped)]
        vis[np.ix_(rows, both)] = vis[np.ix_(rows, swapped)]
    return xy, vis


def combine(xy_px: np.ndarray, visibility: np.ndarray, mirrored_xy_px: np.ndarray,
            mirrored_visibility: np.ndarray, width_px: float) -> tuple:  # fmt: skip
    """The flip-test landmarks of frames posed as given (``xy_px``, ``visibility``) and
    mirrored (as the pose graph returned them, in the mirrored frame's pixels): the
    mirrored pass is mirrored back, its labels aligned to the direct pass's, and each
    landmark averaged where both passes found it; where only one did, that one's.
    Visibility is averaged the same way. One frame ``(k, 2)`` or many ``(n, k, 2)``."""
    one = np.ndim(xy_px) == 2
    a_xy, a_vis = np.asarray(xy_px, float), np.asarray(visibility, float)
    b_xy, b_vis = unmirror(mirrored_xy_px, mirrored_visibility, width_px)
    if one:
        a_xy, a_vis, b_xy, b_vis = a_xy[None], a_vis[None], b_xy[None], b_vis[None]
    b_xy, b_vis = align_labels(a_xy, b_xy, b_vis)
    fa, fb = np.isfinite(a_xy).all(-1), np.isfinite(b_xy).all(-1)
    both = fa & fb
    xy = np.where(fa[..., None], a_xy, b_xy)
    xy[both] = 0.5 * (a_xy[both] + b_xy[both])
    vis = np.where(fa, a_vis, np.where(fb, b_vis, 0.0))
    vis[both] = 0.5 * (a_vis[both] + b_vis[both])
    return (xy[0], vis[0]) if one else (xy, vis)
