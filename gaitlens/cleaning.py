"""From a raw ``PoseTrack`` to a clean track in the analysis frame.

Steps, in order (each a small tunable object, gaitmap style):

1. detection check (``NoRunnerDetectedError``), facing direction, near leg, leg length;
2. side-view check (``ViewCheck``; ``NotSideViewError``);
3. left/right leg swap repair (``SwapRepair``, Viterbi over "as labelled" / "swapped");
4. outlier rejection (``HampelOutliers``), low-visibility points dropped;
5. short gap filling (``GapFiller``, <= 0.15 s, Pose2Sim/Sports2D default range);
6. zero-lag Butterworth low-pass (``LowPass``, scipy.signal.sosfiltfilt);
7. activity: running / walking / standing (``ActivityClassifier``; ``NotRunningError``).

Variable frame rate: irregular timestamps are first resampled to a uniform grid
(``UniformResampler``); the steps run there and the result is mapped back to the input
frames (``CleanTrack.uniform`` keeps the grid version, which ``events.detect`` uses).

Analysis frame (BIOMECHANICS.md section 2): x = the runner's direction of travel,
y = up, pixels, origin at the clip's median hip midpoint.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import butter, sosfiltfilt

from .errors import NoRunnerDetectedError, NotRunningError, NotSideViewError
from .pose.skeleton import LEG_POINTS
from .track import PoseTrack

SIDES = ("left", "right")
#: landmarks carried into the clean track
USED_POINTS: tuple[str, ...] = (
    "nose",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
) + tuple(f"{s}_{p}" for s in SIDES for p in LEG_POINTS)


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


@dataclass
class CleanTrack:
    time_s: np.ndarray
    sampling_rate_hz: float
    points: dict  # name -> (n, 2) analysis frame px (x travel, y up), filtered
    visibility: dict  # name -> (n,)
    facing: str  # image direction the runner faces: "left" / "right"
    near_side: str  # leg nearer the camera
    leg_length_px: float
    activity: str  # "running" / "walking" / "standing" / "unknown"
    view: dict  # side-view score and its features
    swaps_repaired: np.ndarray  # frame indices whose leg labels were exchanged
    gaps_filled: int  # point-samples filled by interpolation
    outliers_removed: int  # point-samples rejected
    cutoff_hz: float
    warnings: list = field(default_factory=list)
    quality: dict = field(default_factory=dict)
    silhouette: Optional[np.ndarray] = None  # image px features, see gaitlens.pose.silhouette
    silhouette_names: tuple = ()
    points_unfiltered: dict = field(default_factory=dict)  # after swaps/outliers/gaps
    interpolated: dict = field(default_factory=dict)  # name -> (n,) bool, gap-filled samples
    origin_px: tuple = (0.0, 0.0)  # image px of the analysis-frame origin
    frame_size_px: tuple = (0, 0)
    #: variable-frame-rate input: the same clean track on a uniform time grid (events run
    #: on it); None when the input's frames are evenly spaced
    uniform: Optional[CleanTrack] = None

    @property
    def n_frames(self) -> int:
        return len(self.time_s)

    def to_image_px(self, xy: np.ndarray) -> np.ndarray:
        """Analysis-frame points (..., 2) back to image pixels."""
        s = 1.0 if self.facing == "right" else -1.0
        out = np.empty_like(np.asarray(xy, dtype=float))
        out[..., 0] = self.origin_px[0] + s * xy[..., 0]
        out[..., 1] = self.origin_px[1] - xy[..., 1]
        return out


# ---------------------------------------------------------------------- helpers
def _runs(mask: np.ndarray):
    """Start, end (exclusive) of True runs."""
    d = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def nanmean_rows(arrays) -> np.ndarray:
    """Element-wise mean of equally shaped arrays ignoring NaN (NaN where all are NaN),
    without numpy's empty-slice warning."""
    a = np.asarray(arrays, dtype=float)
    ok = np.isfinite(a)
    n = ok.sum(axis=0)
    return np.where(n > 0, np.where(ok, a, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)


def _median_leg_length(p: dict, side: str) -> float:
    th = np.linalg.norm(p[f"{side}_hip"] - p[f"{side}_knee"], axis=1)
    sh = np.linalg.norm(p[f"{side}_knee"] - p[f"{side}_ankle"], axis=1)
    return float(np.nanmedian(th + sh))


# ---------------------------------------------------------------------- algorithms
@dataclass
class SwapRepair:
    """Left/right leg-label swap repair by dynamic programming (Viterbi).

    Pose models trained on mostly frontal images exchange the labels of the two legs in
    side views (MediaPipe BlazePose does it for a few frames at a time, most often when
    the legs pass each other or one is occluded). Each frame's labels are either as given
    (state 0) or exchanged (state 1). The path minimises, in leg lengths, the summed
    constant-velocity prediction error of the leg points (second-order: the cost of
    frame t depends on the states of t-2, t-1, t) plus ``switch_cost_legs`` per change
    and ``swap_prior_legs_per_s`` per second of swapped frames (which fixes the global
    labelling and makes the path prefer the labels as given when the legs overlap).
    The whole leg (hip to toe) is repaired first, then the foot points (ankle, heel, toe)
    once more on their own, since BlazePose sometimes swaps only the feet (knees alone
    are ambiguous where the thighs cross; the feet carry the evidence). Above about
    ``base_rate_hz`` the path is found on interleaved sub-sequences at about that rate,
    where a swap stands out from keypoint jitter. Continuity-based label correction as in
    multi-object tracking (Viterbi 1967); Pose2Sim (Pagnon et al. 2022) uses a simpler
    frame-to-frame rule.
    """

    groups: tuple = (
        ("hip", "knee", "ankle", "heel", "foot_index"),
        ("ankle", "heel", "foot_index"),
    )
    # tuned on Fukuchi tracks with injected swaps + the real clip; the prior raised from 0.9
    # to 1.5 for a rendered left-facing clip (path bridged two swaps, docs/events.md)
    switch_cost_legs: float = 0.2
    swap_prior_legs_per_s: float = 1.5
    position_weight: float = 0.0
    base_rate_hz: float = 30.0
    missing_leg_prior_legs: float = 0.0  # >0 holds labels where one leg is missing (worse)
    missing_cost_legs: float = 0.5  # per missing point or prediction, any labelling

    def states(self, pts: dict, leg_px: float, points: tuple, fs: float = 30.0) -> np.ndarray:
        a = np.stack([pts[f"left_{p}"] for p in points], axis=1) / leg_px  # (n, m, 2)
        b = np.stack([pts[f"right_{p}"] for p in points], axis=1) / leg_px
        # above ~30 fps the frame-to-frame acceleration drowns in keypoint jitter: run the
        # path on k interleaved sub-sequences at about 30 fps each
        k = max(1, int(round(fs / self.base_rate_hz)))
        if k == 1:
            return self._viterbi(a, b, fs)
        out = np.zeros(len(a), dtype=bool)
        for o in range(k):  # k sub-sequences, not frames
            out[o::k] = self._viterbi(a[o::k], b[o::k], fs / k)
        return out

    def _viterbi(self, a: np.ndarray, b: np.ndarray, fs: float) -> np.ndarray:
        n = len(a)
        if n < 3:
            return np.zeros(n, dtype=bool)
        lab = np.stack([np.concatenate([a, b], 1), np.concatenate([b, a], 1)])  # (2, n, 2m, 2)
        # cost[t, i, j, k]: state i at t-2, j at t-1, k at t
        pred = 2 * lab[:, None, 1:-1] - lab[None, :, :-2]  # (j, i, n-2, ...) -> reorder
        pred = np.transpose(pred, (1, 0, 2, 3, 4))  # (i, j, n-2, 2m, 2)
        err = np.linalg.norm(lab[None, None, :, 2:] - pred[:, :, None], axis=-1)  # i,j,k,n-2,2m
        # robust cap at 1 leg; a point or prediction that is missing costs the same fixed
        # amount in every labelling (0 would make a labelling that pairs a present point
        # with a missing prediction free: the path then flipped labels inside far-leg
        # dropouts to skip the present leg's jitter, 1-2 % of frames at 120 fps)
        err = np.where(np.isfinite(err), np.minimum(err, 1.0), self.missing_cost_legs)
        cost = np.transpose(err.sum(axis=-1), (3, 0, 1, 2))  # (n-2, i, j, k)
        if self.position_weight > 0:  # first-order term: distance moved since t-1
            e1 = np.linalg.norm(lab[None, :, 2:] - lab[:, None, 1:-1], axis=-1)  # j,k,n-2,2m
            e1 = np.where(np.isfinite(e1), np.minimum(e1, 1.0), 0.0).sum(axis=-1)
            cost = cost + self.position_weight * np.transpose(e1, (2, 0, 1))[:, None]
        sw = self.switch_cost_legs
        # a frame in which one leg is missing altogether cannot reveal a swap: keep labels
        gone = ~np.isfinite(a).any(axis=(1, 2)) | ~np.isfinite(b).any(axis=(1, 2))
        pri = np.zeros((n, 2))
        pri[:, 1] = np.where(gone, self.missing_leg_prior_legs, self.swap_prior_legs_per_s / fs)
        # DP over pair states (j, k) = (state t-1, state t)
        acc = pri[1][None, :] + pri[0][:, None] + sw * (np.arange(2)[:, None] != np.arange(2))
        back = np.zeros((n - 2, 2, 2), dtype=int)
        change = sw * (np.arange(2)[:, None] != np.arange(2)[None, :])  # (j, k)
        for t in range(n - 2):  # Viterbi recursion is sequential by nature
            tot = acc[:, :, None] + cost[t] + change[None, :, :] + pri[t + 2][None, None, :]
            back[t] = np.argmin(tot, axis=0)
            acc = np.min(tot, axis=0)
        j, k = np.unravel_index(np.argmin(acc), acc.shape)
        path = np.zeros(n, dtype=int)
        path[-1], path[-2] = k, j
        for t in range(n - 3, -1, -1):
            i = back[t, path[t + 1], path[t + 2]]
            path[t] = i
        return path.astype(bool)

    def repair(self, pts: dict, vis: dict, leg_px: float, fs: float = 30.0) -> np.ndarray:
        """Swap labels in place; returns the per-frame boolean of repaired frames."""
        any_swapped = np.zeros(len(next(iter(pts.values()))), dtype=bool)
        for group in self.groups:
            s = self.states(pts, leg_px, group, fs)
            if not s.any():
                continue
            any_swapped |= s
            for p in group:
                lk, rk = f"left_{p}", f"right_{p}"
                pts[lk][s], pts[rk][s] = pts[rk][s].copy(), pts[lk][s].copy()
                vis[lk][s], vis[rk][s] = vis[rk][s].copy(), vis[lk][s].copy()
        return any_swapped


@dataclass
class FootCollapseRepair:
    """The swinging foot snapping onto the stance foot. In side views BlazePose puts the
    foot that has just left the ground on top of the other foot for 2-5 frames in early
    swing (seen on the real clip and on rendered clips, where it costs up to half of one
    side's strides). Both labelled feet then nearly coincide (mean ankle/heel/toe
    distance under ``max_dist_legs``, the episode extended while under
    ``extend_dist_legs``) while the true feet are apart. Real feet can pass
    that close too (Fukuchi runners at 2.5 m/s: down to 0.07 leg lengths in mid-swing),
    so a run of coincident frames (at most ``max_len_s``) counts as a collapse only when
    one label leaves its own path: its foot points lie more than ``min_jump_legs`` (mean)
    from the straight line between its positions just before and after the run, while
    the other label stays within half that. The jumping label's foot points are removed
    there (then gap-filled and flagged as interpolated)."""

    points: tuple = ("ankle", "heel", "foot_index")
    max_dist_legs: float = 0.12
    extend_dist_legs: float = 0.25
    max_len_s: float = 0.2
    min_jump_legs: float = 0.2
    enabled: bool = True

    def repair(self, pts: dict, vis: dict, leg_px: float, fs: float) -> np.ndarray:
        """NaN the collapsed foot in place; returns the per-frame boolean of repairs."""
        n = len(pts["left_hip"])
        fixed = np.zeros(n, dtype=bool)
        if not self.enabled:
            return fixed
        a = np.stack([pts[f"left_{p}"] for p in self.points], axis=1) / leg_px  # (n, m, 2)
        b = np.stack([pts[f"right_{p}"] for p in self.points], axis=1) / leg_px
        d = np.linalg.norm(a - b, axis=2).mean(axis=1)
        near = np.isfinite(d) & (d < self.extend_dist_legs)
        core = near & (d < self.max_dist_legs)
        starts, ends = _runs(near)
        max_n = max(1, int(round(self.max_len_s * fs)))
        for s0, e0 in zip(starts, ends):  # episodes, not frames
            # the snap ramps in and out over a frame or two: the episode is the stretch
            # under ``extend_dist_legs`` around frames under ``max_dist_legs``
            if not core[s0:e0].any() or e0 - s0 > max_n or s0 == 0 or e0 >= n:
                continue
            dev = {}
            for side, x in (("left", a), ("right", b)):
                x0, x1 = x[s0 - 1], x[e0]
                if not (np.isfinite(x0).all() and np.isfinite(x1).all()):
                    break
                w = ((np.arange(s0, e0) - (s0 - 1)) / (e0 - s0 + 1))[:, None, None]
                line = (1 - w) * x0[None] + w * x1[None]
                dev[side] = float(np.nanmean(np.linalg.norm(x[s0:e0] - line, axis=2)))
            if len(dev) < 2:
                continue
            bad = max(dev, key=dev.get)
            other = dev["right" if bad == "left" else "left"]
            if dev[bad] < self.min_jump_legs or other > 0.5 * dev[bad]:
                continue
            for p in self.points:
                pts[f"{bad}_{p}"][s0:e0] = np.nan
                vis[f"{bad}_{p}"][s0:e0] = 0.0
            fixed[s0:e0] = True
        return fixed


@dataclass
class HampelOutliers:
    """Hampel identifier (Pearson 1999; Liu et al. 2004): a sample is an outlier when it
    is more than ``n_sigma`` robust SDs (1.4826 x MAD of the residuals over the clip)
    and more than ``min_legs`` leg lengths from the running median over ``window_s``."""

    # a short window and a floor of 0.15 legs: a longer window or a lower floor flags the
    # foot's real turning points in late swing (measured on noise-free Fukuchi tracks)
    window_s: float = 0.1
    n_sigma: float = 4.0
    min_legs: float = 0.15

    def mask(self, xy: np.ndarray, fs: float, leg_px: float) -> np.ndarray:
        w = max(3, int(round(self.window_s * fs)) | 1)
        ok = np.isfinite(xy).all(axis=1)
        if ok.sum() < w:
            return np.zeros(len(xy), dtype=bool)
        filled = xy.copy()
        idx = np.arange(len(xy))
        for d in range(2):
            filled[:, d] = np.interp(idx, idx[ok], xy[ok, d])
        med = median_filter(filled, size=(w, 1), mode="nearest")
        r = np.linalg.norm(xy - med, axis=1)
        sd = 1.4826 * np.nanmedian(r[ok]) + 1e-9
        return ok & (r > self.n_sigma * sd) & (r > self.min_legs * leg_px)


@dataclass
class GapFiller:
    """Linear interpolation of NaN runs of at most ``max_gap_s`` inside the track
    (Pose2Sim and Sports2D interpolate gaps of up to about 0.1-0.2 s; BIOMECHANICS.md 8).
    Longer gaps stay NaN."""

    max_gap_s: float = 0.15

    def fill(self, xy: np.ndarray, fs: float) -> tuple[np.ndarray, int]:
        bad = ~np.isfinite(xy).all(axis=1)
        if not bad.any() or bad.all():
            return xy, 0
        idx = np.arange(len(xy))
        starts, ends = _runs(bad)
        max_n = int(np.floor(self.max_gap_s * fs + 1e-9))
        use = np.zeros(len(xy), dtype=bool)
        for s0, e0 in zip(starts, ends):  # gaps, not frames
            if s0 > 0 and e0 < len(xy) and (e0 - s0) <= max_n:
                use[s0:e0] = True
        out = xy.copy()
        for d in range(2):
            out[use, d] = np.interp(idx[use], idx[~bad], xy[~bad, d])
        return out, int(use.sum())


def interp_rows(t_src: np.ndarray, a: np.ndarray, t_dst: np.ndarray, max_dt: float = np.inf):
    """Linear interpolation of ``a`` (n, ...) from times ``t_src`` to ``t_dst`` along
    axis 0. NaN-aware: a value is NaN unless both bracketing samples are finite (or
    ``t_dst`` hits a finite sample exactly); intervals longer than ``max_dt`` are not
    bridged. Outside the source range the end samples are held."""
    a = np.asarray(a, dtype=float)
    t_src = np.asarray(t_src, dtype=float)
    t_dst = np.asarray(t_dst, dtype=float)
    n = len(t_src)
    if n == 1:
        return np.repeat(a, len(t_dst), axis=0)
    j = np.clip(np.searchsorted(t_src, t_dst, side="right"), 1, n - 1)
    i = j - 1
    span = t_src[j] - t_src[i]
    w = np.clip((t_dst - t_src[i]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    wr = w.reshape((-1,) + (1,) * (a.ndim - 1))
    with np.errstate(invalid="ignore"):
        out = (1.0 - wr) * a[i] + wr * a[j]
    out = np.where(wr == 0, a[i], np.where(wr == 1, a[j], out))
    bridge = (span > max_dt) & (w > 0) & (w < 1)
    out[bridge] = np.nan
    return out


@dataclass
class UniformResampler:
    """Variable frame rate (phones): Butterworth and Hampel filters, gradients with a
    fixed step and the swap repair's constant-velocity prediction all assume evenly
    spaced samples; on irregular timestamps they distort timing (a phone-like clip gave
    182 instead of about 170 steps/min). When the frame intervals are irregular (any
    interval further than ``max_deviation`` x the median interval, and at least
    ``min_deviation_s``, from the median: rounding of container timestamps to 1 ms stays
    below that), the track is linearly interpolated onto a uniform grid at the median
    frame rate, cleaned there, and mapped back to the input frames; intervals longer
    than ``max_bridge_s`` are not bridged (left as gaps)."""

    max_deviation: float = 0.05
    min_deviation_s: float = 0.0015
    max_bridge_s: float = 0.15
    enabled: bool = True

    def irregular(self, t: np.ndarray) -> bool:
        if not self.enabled or len(t) < 3:
            return False
        dt = np.diff(np.asarray(t, dtype=float))
        med = float(np.median(dt))
        tol = max(self.max_deviation * med, self.min_deviation_s)
        return bool(np.max(np.abs(dt - med)) > tol)

    def grid(self, t: np.ndarray) -> np.ndarray:
        # the median rate, or the mean rate when frames are dropped in a regular pattern
        # (60 fps with every third frame missing: median interval 1/30 s, mean 1/40 s)
        med = min(float(np.median(np.diff(t))), (t[-1] - t[0]) / (len(t) - 1))
        n = int(np.floor((t[-1] - t[0]) / med + 1e-6)) + 1
        return t[0] + med * np.arange(n)

    def to_grid(self, track: PoseTrack) -> PoseTrack:
        t = track.time_s
        tg = self.grid(t)
        xy = interp_rows(t, track.xy_px, tg, self.max_bridge_s)
        vis = interp_rows(t, np.where(np.isfinite(track.xy_px).all(axis=2),
                                      track.visibility, np.nan), tg, self.max_bridge_s)  # fmt: skip
        near = np.clip(np.searchsorted(t, tg), 0, len(t) - 1)
        prev = np.clip(near - 1, 0, len(t) - 1)
        near = np.where(np.abs(t[prev] - tg) < np.abs(t[near] - tg), prev, near)
        return track.copy(
            time_s=tg,
            xy_px=xy,
            visibility=np.nan_to_num(vis, nan=0.0),
            silhouette=None if track.silhouette is None else track.silhouette[near],
            n_people=None if track.n_people is None else track.n_people[near],
        )

    def to_frames(self, cg: CleanTrack, track: PoseTrack) -> CleanTrack:
        """The grid-cleaned track ``cg`` at the input frames' times (per-frame outputs
        keep referring to the input frames); ``uniform`` keeps ``cg`` for events."""
        t, tg = track.time_s, cg.time_s
        back = lambda a: interp_rows(tg, a, t)  # noqa: E731
        near = np.clip(np.round((t - tg[0]) / (tg[1] - tg[0])).astype(int), 0, len(tg) - 1)
        swapped = np.zeros(len(tg), dtype=bool)
        swapped[cg.swaps_repaired] = True
        raw_missing = {
            name: ~np.isfinite(track.point(name)).all(axis=1) for name in cg.points_unfiltered
        }
        unf = {k: back(v) for k, v in cg.points_unfiltered.items()}
        interp = {
            k: cg.interpolated[k][near] | (raw_missing[k] & np.isfinite(unf[k]).all(axis=1))
            for k in cg.interpolated
        }
        dt = np.diff(t)
        q = dict(cg.quality)
        q.update(resampled_to_uniform_hz=float(cg.sampling_rate_hz),
                 frame_interval_range_s=(float(dt.min()), float(dt.max())))  # fmt: skip
        warn = list(cg.warnings) + [
            f"irregular frame timing (variable frame rate, intervals {1000 * dt.min():.0f}-"
            f"{1000 * dt.max():.0f} ms): cleaned and timed on a uniform "
            f"{cg.sampling_rate_hz:.1f} fps grid"
        ]
        return dataclasses.replace(
            cg,
            time_s=t.copy(),
            sampling_rate_hz=track.sampling_rate_hz,
            points={k: back(v) for k, v in cg.points.items()},
            visibility={k: np.nan_to_num(back(v), nan=0.0) for k, v in cg.visibility.items()},
            swaps_repaired=np.flatnonzero(swapped[near]),
            warnings=warn,
            quality=q,
            silhouette=None if track.silhouette is None else track.silhouette.copy(),
            points_unfiltered=unf,
            interpolated=interp,
            uniform=cg,
        )


@dataclass
class LowPass:
    """Zero-lag Butterworth low-pass (scipy.signal.butter + sosfiltfilt; Winter 2009,
    ch. 3). Running keypoints: 6-12 Hz (Pose2Sim/Sports2D defaults, BIOMECHANICS.md 8).
    The cutoff is ``cutoff_hz`` capped at ``max_fraction_nyquist`` of the Nyquist
    frequency so that it scales down at low frame rates. Applied to each finite run
    long enough for the filter's padding; shorter runs are left as they are."""

    cutoff_hz: float = 10.0
    order: int = 2
    max_fraction_nyquist: float = 0.6

    def cutoff_for(self, fs: float) -> float:
        return float(min(self.cutoff_hz, self.max_fraction_nyquist * fs / 2))

    def apply(self, xy: np.ndarray, fs: float) -> np.ndarray:
        sos = butter(self.order, self.cutoff_for(fs), fs=fs, output="sos")
        out = xy.copy()
        ok = np.isfinite(xy).all(axis=1)
        starts, ends = _runs(ok)
        pad = 3 * (2 * len(sos) + 1)
        for s0, e0 in zip(starts, ends):  # finite segments, not frames
            if e0 - s0 > pad:
                out[s0:e0] = sosfiltfilt(sos, xy[s0:e0], axis=0)
        return out


@dataclass
class ViewCheck:
    """Side-view score from the lateral extent of the body in the image, in leg lengths.

    In a side view the shoulders and hips nearly overlap (shoulder width projects to
    almost nothing) and the foot appears long (heel to toe about 0.25 leg lengths); in a
    front view the shoulders are about 0.45 leg lengths apart (shoulder width 0.259 H,
    leg 0.491 H: Winter 2009) and the feet look short. Score = 1 - shoulder spread /
    ``front_shoulder_legs``, clipped to 0..1."""

    front_shoulder_legs: float = 0.45
    min_score: float = 0.35
    warn_score: float = 0.6

    def score(self, img: dict, leg_px: float) -> dict:
        sh = np.abs(img["left_shoulder"][:, 0] - img["right_shoulder"][:, 0]) / leg_px
        hip = np.abs(img["left_hip"][:, 0] - img["right_hip"][:, 0]) / leg_px
        foot = (
            np.nanmedian(
                [np.abs(img[f"{s}_foot_index"][:, 0] - img[f"{s}_heel"][:, 0]) for s in SIDES]
            )
            / leg_px
        )
        shm = float(np.nanmedian(sh))
        sc = float(np.clip(1 - shm / self.front_shoulder_legs, 0, 1))
        return {
            "side_view_score": sc,
            "shoulder_spread_legs": shm,
            "hip_spread_legs": float(np.nanmedian(hip)),
            "foot_length_legs": float(foot),
        }


@dataclass
class ActivityClassifier:
    """Running vs walking from the hip's vertical motion against the feet's spread.

    In walking the body vaults over a stiff stance leg (inverted pendulum): the hip is
    highest at midstance, when the feet are together, and lowest in double support, when
    they are furthest apart. In running the leg acts as a spring (spring-mass model,
    Blickhan 1989; Cavagna et al. 1977): the hip is lowest at midstance (feet together)
    and highest in flight (feet apart). The sign of the correlation between the
    band-passed hip height and the horizontal foot spread separates the two; the step
    frequency (walking about 1.6-2.1 Hz, running 2.5-3.3 Hz) is a second cue. Standing:
    the feet barely move. The share of frames with both feet on the ground (double
    support, walking only) is a third cue. Only the longest stretch in which the pose
    model stays on one person is used."""

    min_corr: float = 0.15
    walk_max_step_hz: float = 2.2
    stand_max_spread_legs: float = 0.15

    max_jump_legs: float = 0.5
    double_support_walk: float = 0.1
    contact_height_legs: float = 0.04

    def longest_segment(self, pts: dict, leg_px: float) -> slice:
        """Longest run of frames in which the hip midpoint moves less than
        ``max_jump_legs`` per frame (the pose model stays on one person)."""
        hip = 0.5 * (pts["left_hip"] + pts["right_hip"])
        ok = np.isfinite(hip).all(axis=1)
        step = np.r_[0.0, np.linalg.norm(np.diff(hip, axis=0), axis=1)] / leg_px
        good = ok & ~(step > self.max_jump_legs)
        starts, ends = _runs(good)
        if len(starts) == 0:
            return slice(0, 0)
        k = int(np.argmax(ends - starts))
        return slice(int(starts[k]), int(ends[k]))

    def classify(self, pts: dict, fs: float, leg_px: float) -> dict:
        seg = self.longest_segment(pts, leg_px)
        n_all = len(pts["left_hip"])
        pts = {k: v[seg] for k, v in pts.items()}
        hip = 0.5 * (pts["left_hip"][:, 1] + pts["right_hip"][:, 1])
        foot = {s: 0.5 * (pts[f"{s}_ankle"][:, 0] + pts[f"{s}_heel"][:, 0]) for s in SIDES}
        spread = np.abs(foot["left"] - foot["right"]) / leg_px
        ok = np.isfinite(hip) & np.isfinite(spread)
        out = {"hip_spread_corr": float("nan"), "step_hz": float("nan"),
               "foot_spread_range_legs": float("nan"), "double_support_fraction": float("nan"),
               "segment_fraction": (seg.stop - seg.start) / max(1, n_all)}  # fmt: skip
        if ok.sum() < max(10, fs):
            return {**out, "activity": "unknown"}
        idx = np.arange(len(hip))
        h = np.interp(idx, idx[ok], hip[ok])
        sp = np.interp(idx, idx[ok], spread[ok])
        lo, hi = 0.8, min(6.0, 0.45 * fs)
        sos = butter(2, [lo, hi], btype="band", fs=fs, output="sos")
        hb = sosfiltfilt(sos, h)
        sb = sosfiltfilt(sos, sp)
        corr = float(np.corrcoef(hb, sb)[0, 1])
        # step frequency: spectral peak of the spread (one cycle per step)
        f = np.fft.rfftfreq(len(sb), 1 / fs)
        pw = np.abs(np.fft.rfft(sb * np.hanning(len(sb)))) ** 2
        band = (f >= 1.0) & (f <= 4.5)
        step_hz = float(f[band][np.argmax(pw[band])]) if band.any() else float("nan")
        rng = float(np.nanpercentile(spread, 95) - np.nanpercentile(spread, 5))
        # both feet on the ground: walking has double support (about 20 % of the cycle at
        # usual speeds, Perry 1992), running has none
        low = []
        for s in SIDES:
            y = np.fmin(pts[f"{s}_heel"][:, 1], pts[f"{s}_foot_index"][:, 1])
            low.append((y - np.nanpercentile(y, 10)) / leg_px < self.contact_height_legs)
        ds = float(np.mean(low[0] & low[1]))
        out.update(hip_spread_corr=corr, step_hz=step_hz, foot_spread_range_legs=rng,
                   double_support_fraction=ds)  # fmt: skip
        if rng < self.stand_max_spread_legs:
            act = "standing"
        elif corr > self.min_corr and ds < self.double_support_walk:
            act = "running"
        elif corr < -self.min_corr and ds >= 0.5 * self.double_support_walk:
            act = "walking"
        else:
            votes = (
                (ds >= self.double_support_walk)
                + (step_hz < self.walk_max_step_hz)
                + (corr < 0)
            )  # fmt: skip
            act = "walking" if votes >= 2 else "running"
            out["ambiguous"] = True
        return {**out, "activity": act}


@dataclass
class CleaningConfig:
    swap: SwapRepair = field(default_factory=SwapRepair)
    collapse: FootCollapseRepair = field(default_factory=FootCollapseRepair)
    outliers: HampelOutliers = field(default_factory=HampelOutliers)
    gaps: GapFiller = field(default_factory=GapFiller)
    lowpass: LowPass = field(default_factory=LowPass)
    view: ViewCheck = field(default_factory=ViewCheck)
    activity: ActivityClassifier = field(default_factory=ActivityClassifier)
    resample: UniformResampler = field(default_factory=UniformResampler)
    min_visibility: float = 0.2
    min_detected_fraction: float = 0.5
    min_detected_frames: int = 20
    raise_on_walking: bool = True
    raise_on_front_view: bool = True


def _resolve(config) -> CleaningConfig:
    if config is None:
        return CleaningConfig()
    if isinstance(config, CleaningConfig):
        return config
    cfg = CleaningConfig()  # an AnalysisConfig or similar: take the options it has
    if getattr(config, "cutoff_hz", None):
        cfg.lowpass = LowPass(cutoff_hz=float(config.cutoff_hz), max_fraction_nyquist=0.9)
    if getattr(config, "max_gap_s", None):
        cfg.gaps = GapFiller(max_gap_s=float(config.max_gap_s))
    return cfg


# ---------------------------------------------------------------------- main
def clean(track: PoseTrack, config=None) -> CleanTrack:
    """Clean a raw pose track (see module docstring); raises the named errors."""
    cfg = _resolve(config)
    if cfg.resample.irregular(track.time_s):  # variable frame rate: clean on a uniform grid
        grid_track = cfg.resample.to_grid(track)
        return cfg.resample.to_frames(clean(grid_track, cfg), track)
    fs = track.sampling_rate_hz
    n = track.n_frames
    warnings: list[str] = []
    img = {name: track.point(name).copy() for name in USED_POINTS}
    vis = {name: track.vis(name).copy() for name in USED_POINTS}

    core = ["left_hip", "right_hip", "left_knee", "right_knee"]
    det = np.all([np.isfinite(img[c]).all(axis=1) for c in core], axis=0)
    if det.sum() < cfg.min_detected_frames or det.mean() < cfg.min_detected_fraction:
        raise NoRunnerDetectedError(
            f"a person was found in only {det.sum()} of {n} frames; film the whole runner "
            "from the side, well lit, with the body fully in the frame."
        )
    if det.mean() < 0.8:
        warnings.append(f"the runner is detected in only {100 * det.mean():.0f}% of frames")

    leg_img = max(_median_leg_length(img, s) for s in SIDES)
    view = cfg.view.score(img, leg_img)
    if view["side_view_score"] < cfg.view.min_score and cfg.raise_on_front_view:
        raise NotSideViewError(
            f"the shoulders are {view['shoulder_spread_legs']:.2f} leg lengths apart in the "
            "image: this looks like a front or back view. Film the runner from the side, "
            "camera at hip height, perpendicular to the treadmill."
        )
    if view["side_view_score"] < cfg.view.warn_score:
        warnings.append(
            f"the view is not a clean side view (score {view['side_view_score']:.2f}); "
            "angles and events are less reliable"
        )

    # facing: toes point in the direction of travel (heel -> toe), nose in front of ears
    foot_dir = np.nanmedian(
        np.concatenate([img[f"{s}_foot_index"][:, 0] - img[f"{s}_heel"][:, 0] for s in SIDES])
    )
    ear_mid = nanmean_rows([img["left_ear"][:, 0], img["right_ear"][:, 0]])
    nose_dir = np.nanmedian(img["nose"][:, 0] - ear_mid)
    votes = np.sign(foot_dir) * 2 + (np.sign(nose_dir) if np.isfinite(nose_dir) else 0)
    facing = "right" if votes > 0 else "left"
    if np.isfinite(nose_dir) and np.sign(nose_dir) != np.sign(foot_dir):
        warnings.append("facing direction uncertain (feet and head disagree)")

    # analysis frame
    hip_mid = 0.5 * (img["left_hip"] + img["right_hip"])
    origin = np.nanmedian(hip_mid, axis=0)
    s = 1.0 if facing == "right" else -1.0
    pts = {}
    for name, a in img.items():
        b = np.empty_like(a)
        b[:, 0] = s * (a[:, 0] - origin[0])
        b[:, 1] = -(a[:, 1] - origin[1])
        pts[name] = b

    # swap repair before anything that trusts the labels
    swapped = cfg.swap.repair(pts, vis, leg_img, fs)

    # near side: the leg the model sees better
    leg_vis = {
        sd: float(np.nanmean([np.nanmean(vis[f"{sd}_{p}"]) for p in LEG_POINTS[1:]]))
        for sd in SIDES
    }
    near = max(SIDES, key=lambda sd: leg_vis[sd])
    if abs(leg_vis["left"] - leg_vis["right"]) < 0.05:
        warnings.append("near leg uncertain: both legs are equally visible")
    # Anatomical labels from geometry: a runner moving image-right shows an un-mirrored
    # camera their right side (moving image-left: their left side). Pose models guess
    # left/right from appearance and can get it backwards in side views, consistently
    # over a clip; once the legs are continuous (swap repair), relabel them as a whole.
    geometric_near = "right" if facing == "right" else "left"
    if near != geometric_near and abs(leg_vis["left"] - leg_vis["right"]) >= 0.05:
        for p in LEG_POINTS + ("shoulder", "ear"):
            a, b = f"left_{p}", f"right_{p}"
            if a in pts and b in pts:
                pts[a], pts[b] = pts[b], pts[a]
                vis[a], vis[b] = vis[b], vis[a]
        leg_vis = {"left": leg_vis["right"], "right": leg_vis["left"]}
        near = geometric_near
        relabelled = True
    else:
        relabelled = False

    # the swinging foot drawn onto the stance foot: remove it there (gap-filled below)
    collapsed = cfg.collapse.repair(pts, vis, leg_img, fs)

    # outliers and low visibility
    n_out = 0
    for name in pts:
        low = vis[name] < cfg.min_visibility
        m = cfg.outliers.mask(pts[name], fs, leg_img) | (low & np.isfinite(pts[name][:, 0]))
        n_out += int(m.sum())
        pts[name][m] = np.nan
    n_fill = 0
    interp = {}
    for name in pts:
        before = ~np.isfinite(pts[name]).all(axis=1)
        pts[name], k = cfg.gaps.fill(pts[name], fs)
        interp[name] = before & np.isfinite(pts[name]).all(axis=1)
        n_fill += k
    unfiltered = {k: v.copy() for k, v in pts.items()}
    filt = {k: cfg.lowpass.apply(v, fs) for k, v in pts.items()}
    leg_px = _median_leg_length(filt, near)
    if not np.isfinite(leg_px):
        leg_px = leg_img

    act = cfg.activity.classify(filt, fs, leg_px)
    if act.get("segment_fraction", 1.0) < 0.9:
        warnings.append(
            "the pose model jumps between positions (another person in the frame?); "
            f"activity judged on the longest steady {100 * act['segment_fraction']:.0f}%"
        )
    if act.get("ambiguous"):
        warnings.append(f"running vs walking is ambiguous; classified as {act['activity']}")
    if act["activity"] in ("walking", "standing") and cfg.raise_on_walking:
        raise NotRunningError(
            f"the person appears to be {act['activity']}, not running: the hips rise and "
            "fall out of phase with running (correlation of hip height with foot spread "
            f"{act['hip_spread_corr']:+.2f}; running is positive). gaitlens analyses "
            "running; film a run on the treadmill."
        )

    missing = {k: float(np.mean(~np.isfinite(v).all(axis=1))) for k, v in filt.items()}
    quality = {
        "detected_fraction": float(det.mean()),
        "swapped_fraction": float(swapped.mean()),
        "foot_collapse_frames": int(collapsed.sum()),
        "outlier_fraction": n_out / max(1, n * len(pts)),
        "missing_after_fill": missing,
        "leg_visibility": leg_vis,
        "legs_relabelled_from_geometry": relabelled,
        **{f"activity_{k}": v for k, v in act.items() if k != "activity"},
    }
    return CleanTrack(
        time_s=track.time_s.copy(),
        sampling_rate_hz=fs,
        points=filt,
        visibility=vis,
        facing=facing,
        near_side=near,
        leg_length_px=float(leg_px),
        activity=act["activity"],
        view=view,
        swaps_repaired=np.flatnonzero(swapped),
        gaps_filled=n_fill,
        outliers_removed=n_out,
        cutoff_hz=cfg.lowpass.cutoff_for(fs),
        warnings=warnings,
        quality=quality,
        silhouette=None if track.silhouette is None else track.silhouette.copy(),
        silhouette_names=tuple(track.silhouette_names),
        points_unfiltered=unfiltered,
        interpolated=interp,
        origin_px=(float(origin[0]), float(origin[1])),
        frame_size_px=tuple(track.frame_size_px),
    )
