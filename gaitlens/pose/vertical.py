"""The true vertical at the runner, from the straight vertical edges of the scene.

A phone held a few degrees off level tilts every angle measured from the image
vertical (trunk lean, shank and thigh angles, hip flexion at midstance) by that much,
and nothing on the runner shows it: the stance foot's path and the pelvis's bounce were
measured and rejected as a level (docs/reliability.md). Door frames, cupboards, wall
edges and shelving are vertical in the world, and their images meet at the vertical
vanishing point (parallel in the image when the camera is not pitched); the direction
from the runner to that point is the true vertical where the runner is, whether the
camera is rolled, pitched or both.

Method: on ``n_frames`` frames spread over the clip, Canny edges and the probabilistic
Hough transform (OpenCV; Matas, Galambos & Kittler 2000) give straight segments;
kept are those within ``max_tilt_deg`` of the image vertical, outside the runner's box
(pose landmarks of that frame plus a margin), away from the frame's borders and not
the edge of a flat fill (letterbox bars, the corners of a rotated copy). The vertical
vanishing point is the least-squares intersection of the segments' lines in
homogeneous coordinates (Hartley & Zisserman 2004, Multiple View Geometry, 2nd ed.,
sec. 8.6), length-weighted, refitted on the segments that pass within ``inlier_deg``
of it; the upright-adjustment literature uses the same cue (Lee et al. 2012, Automatic
Upright Adjustment of Photographs, CVPR). Its uncertainty is a bootstrap over the
distinct lines (segments grouped by where they cross the image's middle row), so a
line seen in every frame counts once. The level is applied only when at least
``min_lines`` distinct lines agree and the bootstrap standard error is at most
``max_se_deg``; otherwise angles stay against the image vertical and the report says so.
Measured on the shared real clip and its copies in docs/reliability.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np


@dataclass
class VerticalEstimate:
    """The scene's vertical at the runner. ``angle_deg``: how far the true "up" leans
    from the image's up at the runner's hips, positive when its top leans to image
    right (clockwise as the frame is shown); ``se_deg``: bootstrap standard error;
    ``applied``: the analysis frame is levelled by it; ``reason``: why not, if not."""

    angle_deg: float = 0.0
    se_deg: float = float("nan")
    applied: bool = False
    n_lines: int = 0  # distinct lines that agree with the vanishing point
    n_segments: int = 0
    n_frames: int = 0
    vanishing_point_px: Optional[tuple] = None  # None: at infinity (camera not pitched)
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Optional[dict]) -> VerticalEstimate:
        if not d:
            return cls(reason="not estimated")
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if known.get("vanishing_point_px") is not None:
            known["vanishing_point_px"] = tuple(known["vanishing_point_px"])
        return cls(**known)


@dataclass
class VerticalFinder:
    """Settings of the vertical estimate (see the module docstring)."""

    n_frames: int = 48
    work_side_px: int = 720  # frames downsized to this longest side for the edges
    max_tilt_deg: float = 12.0  # segments considered: this close to the image vertical
    min_length: float = 0.06  # shortest segment, share of the frame's longest side
    runner_margin: float = 0.15  # runner's box grown by this share of its height
    border: float = 0.02  # segments this close to the frame's edge are ignored
    flat_sd: float = 1.5  # a side this flat (grey-level SD) is a fill, not a scene
    inlier_deg: float = 1.5
    min_lines: int = 4
    max_se_deg: float = 0.75
    max_angle_deg: float = 10.0
    n_boot: int = 200
    seed: int = 0
    rng_note: str = field(default="bootstrap over distinct lines", repr=False)

    # ------------------------------------------------------------------ segments
    def segments(self, image: np.ndarray, box: Optional[tuple]) -> np.ndarray:
        """Near-vertical straight segments of one RGB or grey frame, ``(k, 4)`` image px
        (x0, y0, x1, y1), those inside ``box`` (x0, y0, x1, y1) left out."""
        import cv2

        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        h, w = gray.shape[:2]
        s = min(1.0, self.work_side_px / max(h, w))
        g = cv2.resize(gray, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else gray
        med = float(np.median(g))
        edges = cv2.Canny(g, max(10.0, 0.66 * med), max(30.0, 1.33 * med))
        found = cv2.HoughLinesP(
            edges, 1, np.pi / 360, threshold=40,
            minLineLength=max(10, int(self.min_length * max(g.shape))), maxLineGap=3,
        )  # fmt: skip
        if found is None:
            return np.zeros((0, 4))
        seg = found.reshape(-1, 4).astype(float)
        dx, dy = seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]
        tilt = np.degrees(np.arctan2(np.abs(dx), np.abs(dy)))
        keep = tilt <= self.max_tilt_deg
        gh, gw = g.shape[:2]
        bx, by = self.border * gw, self.border * gh
        xs, ys = seg[:, [0, 2]], seg[:, [1, 3]]
        keep &= (xs.min(1) > bx) & (xs.max(1) < gw - bx) & (ys.min(1) > by) & (ys.max(1) < gh - by)
        if box is not None:
            x0, y0, x1, y1 = (v * s for v in box)
            mx, my = xs.mean(1), ys.mean(1)
            keep &= ~((mx > x0) & (mx < x1) & (my > y0) & (my < y1))
        seg = seg[keep]
        seg = seg[[not self._flat_side(g, r) for r in seg]] if len(seg) else seg
        return seg / s

    def _flat_side(self, g: np.ndarray, seg: np.ndarray, offset: float = 4.0) -> bool:
        """True when the grey levels on either side of the segment are flat (a fill's
        edge: letterbox bars, a rotated copy's corners), not a scene's edge."""
        x0, y0, x1, y1 = seg
        n = np.array([y1 - y0, -(x1 - x0)], float)
        n /= max(np.hypot(*n), 1e-9)
        t = np.linspace(0.1, 0.9, 25)
        px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        h, w = g.shape[:2]
        for sign in (1.0, -1.0):  # the two sides
            qx = np.clip(np.round(px + sign * offset * n[0]).astype(int), 0, w - 1)
            qy = np.clip(np.round(py + sign * offset * n[1]).astype(int), 0, h - 1)
            if float(np.std(g[qy, qx].astype(float))) < self.flat_sd:
                return True
        return False

    # ------------------------------------------------------------------ estimate
    def estimate(self, segments: np.ndarray, frame_size_px: tuple, at_px, n_frames: int = 0):
        """``VerticalEstimate`` from segments ``(k, 4)`` pooled over frames of size
        ``frame_size_px`` (width, height), at the image point ``at_px`` (the runner's
        median hip midpoint)."""
        seg = np.asarray(segments, float).reshape(-1, 4)
        out = VerticalEstimate(n_segments=len(seg), n_frames=n_frames)
        w, h = frame_size_px
        scale, centre = float(max(w, h)), np.array([w / 2.0, h / 2.0])
        at = (np.asarray(at_px, float) - centre) / scale
        if not np.isfinite(at).all():
            out.reason = "the runner's hips were not found"
            return out
        p1, p2 = (seg[:, :2] - centre) / scale, (seg[:, 2:] - centre) / scale
        groups = self._line_groups(p1, p2, at)
        n_found = len(np.unique(groups))
        if n_found < self.min_lines:
            out.reason = (
                f"{n_found} straight vertical edge{'' if n_found == 1 else 's'} in the "
                f"scene (at least {self.min_lines} needed)"
            )
            return out
        v, inl = _vanishing_point(p1, p2, np.ones(len(p1), bool), self.inlier_deg)
        if v is None:
            out.reason = "the vertical edges do not meet in one point"
            return out
        n_lines = len(np.unique(groups[inl]))
        angle = _up_angle_deg(v, at)
        rng = np.random.default_rng(self.seed)
        ids = np.unique(groups[inl])
        boots = []
        for _ in range(self.n_boot):  # bootstrap replicates
            pick = rng.choice(ids, size=len(ids), replace=True)
            idx = np.concatenate([np.flatnonzero(inl & (groups == g)) for g in pick])
            vb, _ = _vanishing_point(p1[idx], p2[idx], np.ones(len(idx), bool), self.inlier_deg)
            if vb is not None:
                boots.append(_up_angle_deg(vb, at))
        se = float(np.std(boots, ddof=1)) if len(boots) > 2 else float("nan")
        out.angle_deg, out.se_deg, out.n_lines = float(angle), se, int(n_lines)
        if abs(v[2]) > 1e-9:
            vp = v[:2] / v[2] * scale + centre
            out.vanishing_point_px = (float(vp[0]), float(vp[1]))
        if n_lines < self.min_lines:
            out.reason = f"only {n_lines} straight vertical edges agree (at least {self.min_lines})"
        elif not np.isfinite(se) or se > self.max_se_deg:
            out.reason = (
                f"the scene's vertical edges disagree (+-{se:.1f} deg; at most "
                f"{self.max_se_deg} deg to level the frame)"
            )
        elif abs(angle) > self.max_angle_deg:
            out.reason = (
                f"the scene's edges lean {angle:+.1f} deg, more than a camera held "
                f"roughly level ({self.max_angle_deg} deg): not used"
            )
        else:
            out.applied = True
        return out

    def _line_groups(self, p1, p2, at) -> np.ndarray:
        """Segments of one physical line (seen in several frames, or broken in two)
        share a group: where the line crosses the runner's hip row, in bins of 1 % of
        the frame's longest side."""
        dy = p2[:, 1] - p1[:, 1]
        dy = np.where(np.abs(dy) < 1e-9, 1e-9, dy)
        x_at = p1[:, 0] + (at[1] - p1[:, 1]) * (p2[:, 0] - p1[:, 0]) / dy
        return np.round(x_at / 0.01).astype(int)


def _vanishing_point(p1, p2, keep, inlier_deg: float, iters: int = 4):
    """Least-squares common point of the lines through ``p1``-``p2`` (normalised image
    coordinates), length-weighted, refitted on the segments whose direction lies within
    ``inlier_deg`` of the direction to the point; ``(v, inliers)``, v homogeneous."""
    if keep.sum() < 2:
        return None, keep
    ones = np.ones(len(p1))
    lines = np.cross(np.c_[p1, ones], np.c_[p2, ones])
    norm = np.hypot(lines[:, 0], lines[:, 1])
    lines = lines / np.where(norm > 0, norm, 1.0)[:, None]
    length = np.hypot(*(p2 - p1).T)
    mid, d = 0.5 * (p1 + p2), p2 - p1
    v = None
    for _ in range(iters):  # refits
        if keep.sum() < 2:
            return None, keep
        m = (lines[keep] * length[keep, None]).T @ lines[keep]
        v = np.linalg.eigh(m)[1][:, 0]
        to_v = v[None, :2] - mid * v[2]
        cos = np.abs((to_v * d).sum(1)) / (np.hypot(*to_v.T) * np.hypot(*d.T) + 1e-12)
        new = np.degrees(np.arccos(np.clip(cos, 0.0, 1.0))) <= inlier_deg
        if (new == keep).all():
            break
        keep = new
    return v, keep


def _up_angle_deg(v: np.ndarray, at: np.ndarray) -> float:
    """Angle of the direction from ``at`` towards the vanishing point ``v`` (the up
    direction: image y grows downward), from the image's up; positive = top leans to
    image right."""
    d = v[:2] - at * v[2]
    if d[1] > 0:
        d = -d
    return float(np.degrees(np.arctan2(d[0], -d[1])))


def runner_box(xy_px: np.ndarray, margin: float) -> Optional[tuple]:
    """The runner's box in one frame from its landmarks ``(k, 2)``, grown by ``margin``
    of its height (twice that above the head: hair, raised arms)."""
    ok = np.isfinite(xy_px).all(axis=1)
    if ok.sum() < 3:
        return None
    (x0, y0), (x1, y1) = xy_px[ok].min(axis=0), xy_px[ok].max(axis=0)
    m = margin * (y1 - y0)
    return (x0 - m, y0 - 2 * m, x1 + m, y1 + m)


def estimate_vertical(
    video_path, track, finder: Optional[VerticalFinder] = None
) -> VerticalEstimate:
    """The scene's vertical at the runner of ``track`` (a ``PoseTrack`` of the clip at
    ``video_path``), from ``finder.n_frames`` frames spread over the clip."""
    from ..io import video as _video
    from ..io.timebase import file_time

    finder = finder or VerticalFinder()
    track = file_time(track)  # frames are sought by the file's own timestamps
    t = np.asarray(track.time_s, float)
    if len(t) == 0:
        return VerticalEstimate(reason="no frames")
    want = np.linspace(t[0], t[-1], finder.n_frames + 2)[1:-1]
    names = list(track.landmark_names)
    hip_idx = [names.index("left_hip"), names.index("right_hip")]
    hips = np.nanmean(track.xy_px[:, hip_idx], axis=1)
    at = np.nanmedian(hips, axis=0)
    pool = []
    # full-size frames, downsized in ``segments`` (FFmpeg's scaler on decode blurred the
    # edges: the estimates on the real clip's copies scattered twice as much)
    for fr in _video.read_frames(video_path, threaded=False, times_s=want):
        i = int(np.argmin(np.abs(t - fr.time_s)))
        pool.append(finder.segments(fr.image, runner_box(track.xy_px[i], finder.runner_margin)))
    seg = np.concatenate(pool) if pool else np.zeros((0, 4))
    return finder.estimate(seg, tuple(track.frame_size_px), at, n_frames=len(pool))
