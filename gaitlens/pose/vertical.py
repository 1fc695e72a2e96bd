"""The true vertical at the runner, from the straight vertical edges of the scene.

A phone held a few degrees off level tilts every angle measured from the image
vertical (trunk lean, shank and thigh angles, hip flexion at midstance) by that much,
and nothing on the runner shows it: the stance foot's path and the pelvis's bounce were
measured and rejected as a level (docs/reliability.md). Door frames, cupboards, wall
edges and shelving are vertical in the world, and their images meet at the vertical
vanishing point (parallel in the image when the camera is not pitched); the direction
from the runner to that point is the true vertical where the runner is, whether the
camera is rolled, pitched or both.

Method: on ``n_frames`` frames spread over the clip (in the pose loop, on the frames the
model is given: ``pose.runner.run_pose``), Canny edges and the probabilistic
Hough transform (OpenCV; Matas, Galambos & Kittler 2000) give straight segments;
kept are those within ``max_tilt_deg`` of the image vertical, away from the runner's
skeleton (pose landmarks of that frame, ``runner_margin`` of their height), away from
the frame's borders and not the edge of a digital fill (pillarbox bars, the corners of
a rotated copy). The vertical
vanishing point is the least-squares intersection of the segments' lines in
homogeneous coordinates (Hartley & Zisserman 2004, Multiple View Geometry, 2nd ed.,
sec. 8.6), length-weighted, refitted on the segments that pass within ``inlier_deg``
of it; the upright-adjustment literature uses the same cue (Lee et al. 2012, Automatic
Upright Adjustment of Photographs, CVPR). Its uncertainty is a bootstrap over the
distinct lines (segments grouped by where they cross the runner's hip row), so a line
seen in every frame counts once, combined in quadrature with the systematic error
measured on renders (``systematic_deg``). The level is applied only when at least
``min_lines`` distinct lines agree and that standard error is at most ``max_se_deg``;
otherwise angles stay against the image vertical and the report says so. Measured
against rendered truth (bench/scene_vertical.py) and on the shared real clip and its
copies (docs/reliability.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np


@dataclass
class VerticalEstimate:
    """The scene's vertical at the runner. ``angle_deg``: how far the true "up" leans
    from the image's up at the runner's hips, positive when its top leans to image
    right (clockwise as the frame is shown); ``se_deg``: its standard error;
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
    #: segments this close to the runner's skeleton (share of the runner's height in the
    #: frame: about a limb's half-width plus the landmarks' error) are the runner's
    runner_margin: float = 0.09
    border: float = 0.02  # segments this close to the frame's edge are ignored
    flat_sd: float = 0.75  # a side this flat (grey-level SD) is a digital fill, not a scene
    inlier_deg: float = 1.5
    min_lines: int = 4
    #: the error the bootstrap over lines cannot see (a scene's few lines all slightly
    #: off, anti-aliasing, the vanishing point's distance poorly fixed by lines close
    #: together): RMSE 0.23-0.24 deg on 56-58 levelled renders (bench/scene_vertical.py),
    #: rounded up, added in quadrature to the bootstrap's standard error
    systematic_deg: float = 0.25
    max_se_deg: float = 0.45
    max_angle_deg: float = 10.0
    n_boot: int = 200  # bootstrap replicates over the distinct lines
    seed: int = 0

    # ------------------------------------------------------------------ sampling
    def sample_times(self, duration_s: float) -> np.ndarray:
        """The ``n_frames`` times (s from the first frame) at which frames are sampled:
        evenly spread inside the clip."""
        if not duration_s or not np.isfinite(duration_s) or duration_s <= 0:
            return np.zeros(0)
        return np.linspace(0.0, float(duration_s), self.n_frames + 2)[1:-1]

    def frame_lines(self, image: np.ndarray, xy_px: np.ndarray, full_size_px, names=None):
        """The scene segments ``(k, 4)`` of one frame (possibly downsized from
        ``full_size_px``), in full-frame pixels; ``xy_px``: that frame's landmarks in
        full-frame pixels, named ``names`` (default: the pose model's)."""
        from .skeleton import LANDMARK_NAMES

        k = float(full_size_px[0]) / image.shape[1]  # full-frame px per frame px
        names = LANDMARK_NAMES if names is None else names
        runner = runner_shape(np.asarray(xy_px, float) / k, names, self.runner_margin)
        if runner is None:  # the runner not found in this frame: its limbs cannot be masked
            return np.zeros((0, 4))
        return self.segments(image, runner) * k

    def estimate_from(self, lines: list, track) -> VerticalEstimate:
        """``estimate`` from per-frame segments (``frame_lines``) of ``track``'s clip, at
        the runner's median hip midpoint."""
        if not lines:
            return VerticalEstimate(reason="no frame was sampled (the clip's duration is unknown)")
        names = list(track.landmark_names)
        pair = track.xy_px[:, [names.index("left_hip"), names.index("right_hip")]]
        seen = np.isfinite(pair)
        # the hips' midpoint where both are seen, the one seen, NaN where neither (no
        # runner in the frame: no "mean of empty slice" warning)
        hips = np.where(seen, pair, 0.0).sum(axis=1) / np.where(
            seen.any(axis=1), seen.sum(axis=1), np.nan
        )
        with np.errstate(all="ignore"):
            at = np.nanmedian(hips, axis=0) if np.isfinite(hips).any() else np.full(2, np.nan)
        seg = np.concatenate(lines)
        return self.estimate(seg, tuple(track.frame_size_px), at, n_frames=len(lines))

    # ------------------------------------------------------------------ segments
    def segments(self, image: np.ndarray, runner=None) -> np.ndarray:
        """Near-vertical straight segments of one RGB or grey frame, ``(k, 4)`` image px
        (x0, y0, x1, y1); ``runner``: ``(bones, radius)`` from ``runner_shape``, whose
        neighbourhood is left out (limbs and trunk are straight edges too)."""
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
        if runner is not None and len(runner[0]):
            keep &= ~_near_runner(seg, runner[0] * s, runner[1] * s)
        seg = seg[keep]
        seg = seg[[not self._flat_side(g, r) for r in seg]] if len(seg) else seg
        return seg / s

    def _flat_side(self, g: np.ndarray, seg: np.ndarray, offset: float = 4.0) -> bool:
        """True when one side of the segment is a digital fill (pillarbox bars, a
        rotated copy's corners): grey levels flat along the segment (SD below
        ``flat_sd``) and unchanged (within 2 levels) all the way to the frame's border.
        A plain wall is flat along an edge too, but not to the border in a real scene."""
        x0, y0, x1, y1 = seg
        n = np.array([y1 - y0, -(x1 - x0)], float)
        n /= max(np.hypot(*n), 1e-9)
        t = np.linspace(0.1, 0.9, 25)
        px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        h, w = g.shape[:2]
        for sign in (1.0, -1.0):  # the two sides
            qx = np.clip(np.round(px + sign * offset * n[0]).astype(int), 0, w - 1)
            qy = np.clip(np.round(py + sign * offset * n[1]).astype(int), 0, h - 1)
            side = g[qy, qx].astype(float)
            if float(np.std(side)) >= self.flat_sd:
                continue
            # walk from the segment's middle to the border on this side
            steps = np.arange(offset, float(w + h), 2.0)
            rx = 0.5 * (x0 + x1) + sign * steps * n[0]
            ry = 0.5 * (y0 + y1) + sign * steps * n[1]
            inside = (rx >= 0) & (rx <= w - 1) & (ry >= 0) & (ry <= h - 1)
            ray = g[np.round(ry[inside]).astype(int), np.round(rx[inside]).astype(int)]
            if len(ray) and np.abs(ray.astype(float) - np.median(side)).max() <= 2.0:
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
        se = float(np.hypot(se, self.systematic_deg))
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


def runner_shape(xy_px: np.ndarray, names, margin: float):
    """The runner in one frame as ``(bones, radius)``: the skeleton's bones ``(k, 2, 2)``
    image px (``pose.skeleton.BONES`` plus nose -> shoulders) and ``margin`` times the
    runner's height in the frame; None when the frame has too few landmarks."""
    from .skeleton import BONES

    index = {n: i for i, n in enumerate(names)}
    pairs = [*BONES, ("nose", "left_shoulder"), ("nose", "right_shoulder")]
    bones = np.array([[xy_px[index[a]], xy_px[index[b]]] for a, b in pairs
                      if a in index and b in index])  # fmt: skip
    bones = bones[np.isfinite(bones).all(axis=(1, 2))] if len(bones) else bones
    ok = np.isfinite(xy_px).all(axis=1)
    if len(bones) < 3 or ok.sum() < 3:
        return None
    height = float(np.ptp(xy_px[ok, 1]))
    return bones, margin * height


def _near_runner(seg: np.ndarray, bones: np.ndarray, radius: float) -> np.ndarray:
    """Segments (k, 4) with more than a fifth of their length within ``radius`` of a
    bone (m, 2, 2)."""
    t = np.linspace(0.0, 1.0, 9)
    pts = seg[:, None, :2] + t[None, :, None] * (seg[:, None, 2:] - seg[:, None, :2])  # k,9,2
    a, b = bones[:, 0], bones[:, 1]  # m,2
    ab = b - a
    L2 = np.maximum((ab**2).sum(1), 1e-9)
    rel = pts[:, :, None, :] - a[None, None]  # k,9,m,2
    u = np.clip((rel * ab[None, None]).sum(-1) / L2, 0.0, 1.0)
    d = np.hypot(*(rel - u[..., None] * ab[None, None]).transpose(3, 0, 1, 2))
    near = (d.min(axis=2) <= radius).mean(axis=1)
    return near > 0.2


def estimate_vertical(
    video_path, track, finder: Optional[VerticalFinder] = None, max_side_px: Optional[int] = 960
) -> VerticalEstimate:
    """The scene's vertical at the runner of ``track`` (a ``PoseTrack`` of the clip at
    ``video_path``), from ``finder.n_frames`` frames spread over the clip, decoded at
    ``max_side_px`` like the pose stage's frames (``AnalysisConfig.model_input_max_side_px``).
    The pose stage does the same on its own frames (``pose.runner.run_pose``); this reads
    them again, for a track saved without it."""
    from ..io import video as _video
    from ..io.timebase import file_time

    finder = finder or VerticalFinder()
    track = file_time(track)  # frames are found by the file's own timestamps
    t = np.asarray(track.time_s, float)
    if len(t) == 0:
        return VerticalEstimate(reason="no frames")
    want = finder.sample_times(t[-1] - t[0]) + t[0]
    full = tuple(track.frame_size_px)
    lines = []
    # one decoding pass; only the sampled frames are converted (faster than a seek each)
    frames = _video.read_frames(video_path, threaded=False, times_s=want, max_side_px=max_side_px)
    for fr in frames:
        i = int(np.argmin(np.abs(t - fr.time_s)))
        lines.append(finder.frame_lines(fr.image, track.xy_px[i], full, track.landmark_names))
    return finder.estimate_from(lines, track)
