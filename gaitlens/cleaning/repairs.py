"""Repairs of a raw pose track before filtering: leg-label swaps, the swinging foot drawn
onto the stance foot, outliers and short gaps (each a small tunable object, gaitmap
style). Points are in the analysis frame (x travel, y up, px)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from ..signals import MAD_TO_SD, runs


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
    where a swap stands out from keypoint jitter, and a frame is swapped when the
    majority of the sub-sequences' frames around it are (``subsequence_vote``; with two
    sub-sequences, at about 60 fps: its own and the other's at a neighbouring frame).
    Continuity-based label correction as in multi-object tracking (Viterbi 1967);
    Pose2Sim (Pagnon et al. 2022) uses a simpler frame-to-frame rule.
    """

    groups: tuple = (
        ("hip", "knee", "ankle", "heel", "foot_index"),
        ("ankle", "heel", "foot_index"),
    )
    # tuned on Fukuchi tracks with injected swaps + the real clip; the prior raised from 0.9
    # to 1.5 for a rendered left-facing clip (path bridged two swaps, docs/events.md), then
    # to 5 for the Tasks pose graph, whose jitter made 1.5 invent swaps on every other
    # frame: legs left swapped against truth on the four samples 1.7/9.0/10.0/4.6 % of
    # frames at 1.5, 1.9/1.0/1.2/4.6 % at 5 (raw track 1.9/14.4/5.2/17.9 %); valid strides
    # 6/5/9/15 -> 8/15/17/15, real clip 22 -> 24 (docs/events.md)
    switch_cost_legs: float = 0.2
    swap_prior_legs_per_s: float = 5.0
    position_weight: float = 0.0
    base_rate_hz: float = 30.0
    missing_leg_prior_legs: float = 0.0  # >0 holds labels where one leg is missing (worse)
    missing_cost_legs: float = 0.5  # per missing point or prediction, any labelling
    subsequence_vote: bool = True  # above base_rate_hz: majority of the sub-sequences

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
        if not self.subsequence_vote:
            return out
        if k == 2:
            # two paths have no majority; decoded apart they can disagree for a stretch,
            # which swapped every other frame (a comb, physically impossible: a real swap
            # at 60 fps lasts two frames or more). A frame is swapped when its own path
            # and the other path at a neighbouring frame say so. Measured against the
            # rendered truth through MediaPipe (60 fps): valid strides 317 -> 332 over the
            # five invariance renders x (original, mirrored, half size), 58 -> 65 over
            # the four samples (legs left swapped 5.4 -> 5.2 % of frames); Fukuchi tracks
            # with injected swaps (60 fps): legs left swapped 0.08-0.25 -> 0.04-0.50 %,
            # strides 0-2 of about 100 fewer (docs/events.md)
            before = np.r_[False, out[:-1]]
            after = np.r_[out[1:], False]
            return out & (before | after)
        # the sub-sequences are decoded apart, and one of them can settle on the other
        # labelling for a stretch (a 240 fps render through MediaPipe: 2 of 8 swapped
        # every 4th frame for 0.25 s, a comb that the outlier filter then cut out: 884
        # points removed, 2 far-foot contacts lost). A frame is swapped when most of the
        # k frames around it (one from each sub-sequence) are: a real swap lasting a
        # 30 fps frame or more is kept, a lone sub-sequence is outvoted (k >= 3, about
        # 75 fps and up)
        share = np.convolve(out.astype(float), np.ones(k) / k, mode="same")
        return share > 0.5

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
        starts, ends = runs(near)
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
        sd = MAD_TO_SD * np.nanmedian(r[ok]) + 1e-9
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
        starts, ends = runs(bad)
        max_n = int(np.floor(self.max_gap_s * fs + 1e-9))
        use = np.zeros(len(xy), dtype=bool)
        for s0, e0 in zip(starts, ends):  # gaps, not frames
            if s0 > 0 and e0 < len(xy) and (e0 - s0) <= max_n:
                use[s0:e0] = True
        out = xy.copy()
        for d in range(2):
            out[use, d] = np.interp(idx[use], idx[~bad], xy[~bad, d])
        return out, int(use.sum())
