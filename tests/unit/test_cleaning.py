"""cleaning.clean on stick-figure tracks with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlens import cleaning
from gaitlens.config import AnalysisConfig
from gaitlens.errors import NoRunnerDetectedError, NotRunningError, NotSideViewError
from gaitlens.pose.skeleton import INDEX
from gaitlens_validation.noise import PoseNoise
from gaitlens_validation.stick import stick_track


@pytest.mark.parametrize("facing,near", [("right", "right"), ("left", "left")])
def test_facing_near_side_and_analysis_frame(facing, near):
    track, truth = stick_track(facing=facing, near_side=near, duration_s=4)
    c = cleaning.clean(track)
    assert c.facing == facing
    assert c.near_side == near
    assert c.activity == "running"
    # analysis frame: x forward (toe in front of heel), y up (hip above ankle), origin hip
    for side in ("left", "right"):
        p = c.points
        assert np.nanmedian(p[f"{side}_foot_index"][:, 0] - p[f"{side}_heel"][:, 0]) > 0
        assert np.nanmin(p[f"{side}_hip"][:, 1] - p[f"{side}_ankle"][:, 1]) > 0
    assert abs(np.nanmedian(c.points["left_hip"][:, 0])) < 1.0
    assert c.leg_length_px == pytest.approx(truth["leg_length_px"], rel=0.05)
    # back to the image: the round trip returns the input pixels (before filtering)
    back = c.to_image_px(c.points_unfiltered["right_knee"])
    assert np.allclose(back, track.point("right_knee"), atol=1e-6)


@pytest.mark.parametrize("facing", ["right", "left"])
def test_pose_model_side_labels_are_corrected_from_geometry(facing):
    # the model labels the near leg with the wrong side (a common side-view error):
    # a runner moving image-right shows the camera their right side
    wrong_near = "left" if facing == "right" else "right"
    track, _ = stick_track(facing=facing, near_side=wrong_near, duration_s=4)
    c = cleaning.clean(track)
    assert c.near_side == facing
    assert c.quality["legs_relabelled_from_geometry"]
    # the relabelled near leg is the track the model labelled with the other side
    back = c.to_image_px(c.points_unfiltered[f"{c.near_side}_knee"])
    assert np.allclose(back, track.point(f"{wrong_near}_knee"), atol=1e-6, equal_nan=True)


def test_cutoff_scales_with_frame_rate_and_config_object():
    c30 = cleaning.clean(stick_track(fps=30, duration_s=4)[0])
    c60 = cleaning.clean(stick_track(fps=60, duration_s=4)[0])
    assert c30.cutoff_hz < c60.cutoff_hz <= 10.0
    assert c30.cutoff_hz == pytest.approx(0.6 * 15)
    cfg = AnalysisConfig(cutoff_hz=7.0, max_gap_s=0.1)
    assert cleaning.clean(stick_track(fps=60, duration_s=4)[0], cfg).cutoff_hz == 7.0


def _wrong_label_share(c, truth_track):
    wrong, valid = [], []
    for p in ("knee", "ankle"):
        img = c.to_image_px(c.points_unfiltered[f"left_{p}"])
        tl, tr = truth_track.point(f"left_{p}"), truth_track.point(f"right_{p}")
        sep = np.linalg.norm(tl - tr, axis=1) / c.leg_length_px
        dl, dr = np.linalg.norm(img - tl, axis=1), np.linalg.norm(img - tr, axis=1)
        ok = np.isfinite(dl) & np.isfinite(dr) & (sep > 0.1)
        wrong.append(ok & (dr < dl))
        valid.append(ok)
    return np.any(wrong, axis=0)[np.any(valid, axis=0)].mean()


@pytest.mark.parametrize("fps", [30, 60, 240, 300])
def test_swap_repair_on_injected_swaps(fps):
    track, _ = stick_track(fps=fps, duration_s=8)
    noise = PoseNoise(
        jitter_hip_m=0.003,
        jitter_knee_m=0.004,
        jitter_foot_m=0.006,
        jitter_upper_m=0.002,
        outlier_rate=0.0,
        dropout_rate_per_s=0.0,
        far_dropout_rate_per_s=0.0,
        swap_rate_per_s=1.0,
        swap_len_s=0.1,
    )
    xy, vis, swapped = noise.apply(track.xy_px, track.visibility, track.time_s, "right",
                                   400.0, np.random.default_rng(3))  # fmt: skip
    assert swapped.mean() > 0.05
    noisy = track.copy(xy_px=xy, visibility=vis)
    c = cleaning.clean(noisy)
    before = _wrong_label_share(cleaning.clean(noisy, cleaning.CleaningConfig(
        swap=cleaning.SwapRepair(switch_cost_legs=1e6))), track)  # fmt: skip
    after = _wrong_label_share(c, track)
    assert before > 0.04
    assert after < 0.01


def test_swap_subsequences_vote(monkeypatch):
    """Above 30 fps the path runs on k interleaved sub-sequences; one of them settling on
    the other labelling (seen on a 240 fps render through MediaPipe: every 4th frame
    swapped for 0.25 s) is outvoted, a swap all of them see is kept."""
    rep = cleaning.SwapRepair()
    n, k = 240, 8
    track, _ = stick_track(fps=240, duration_s=1.0)
    pts = {f"{s}_{p}": track.point(f"{s}_{p}") for s in ("left", "right")
           for p in ("hip", "knee", "ankle", "heel", "foot_index")}  # fmt: skip
    real = np.zeros(n, bool)
    real[100:140] = True  # a 167 ms swap, seen by every sub-sequence

    calls = []

    def fake(self, a, b, fs):
        o = len(calls) % k
        calls.append(o)
        out = real[o::k].copy()
        if o == 3:
            out[:8] = True  # one sub-sequence alone: 8 of its frames, every 8th frame
        return out

    monkeypatch.setattr(cleaning.SwapRepair, "_viterbi", fake)
    got = rep.states(pts, 100.0, ("ankle",), fs=240.0)
    assert not got[:64].any()
    assert got[102:138].all() and got.sum() == pytest.approx(40, abs=2)
    raw = cleaning.SwapRepair(subsequence_vote=False).states(pts, 100.0, ("ankle",), fs=240.0)
    assert raw[3:64:8].all()


def test_swap_two_subsequences_no_comb(monkeypatch):
    """At 60 fps the two interleaved paths decide apart: a stretch that only one of them
    swaps would swap every other frame (a comb, seen on 60 fps renders through MediaPipe);
    it is dropped, while a swap both paths see is kept whole."""
    n = 120
    track, _ = stick_track(fps=60, duration_s=n / 60)
    pts = {f"{s}_{p}": track.point(f"{s}_{p}")[:n] for s in ("left", "right")
           for p in ("hip", "knee", "ankle", "heel", "foot_index")}  # fmt: skip
    real = np.zeros(n, bool)
    real[60:80] = True  # a 0.33 s swap both paths see
    calls = []

    def fake(self, a, b, fs):
        o = len(calls) % 2
        calls.append(o)
        out = real[o::2].copy()
        if o == 0:
            out[:12] = True  # the even path alone: frames 0, 2, ..., 22
        return out

    monkeypatch.setattr(cleaning.SwapRepair, "_viterbi", fake)
    got = cleaning.SwapRepair().states(pts, 100.0, ("ankle",), fs=60.0)
    assert not got[:40].any()
    assert got[60:80].all() and got.sum() == 20
    raw = cleaning.SwapRepair(subsequence_vote=False).states(pts, 100.0, ("ankle",), fs=60.0)
    assert raw[0:24:2].all() and not raw[1:24:2].any()


def test_no_swaps_invented_on_clean_track():
    track, _ = stick_track(fps=60, duration_s=6)
    c = cleaning.clean(track)
    assert len(c.swaps_repaired) == 0
    assert _wrong_label_share(c, track) == 0.0


@pytest.mark.parametrize("fps", [60, 120])
def test_far_leg_dropouts_do_not_flip_labels(fps):
    """While one leg is missing there is no evidence for a swap: the path must keep the
    labels (scoring missing points as free made it flip them to skip the present leg's
    prediction error: 167 / 341 frames on this track before the fix)."""
    from gaitlens.pose.skeleton import LEG_POINTS

    track, _ = stick_track(fps=fps, duration_s=6)
    xy, vis = track.xy_px.copy(), track.visibility.copy()
    for t0 in (1.0, 2.3, 3.7, 4.9):  # 0.33 s far-leg dropouts, longer than the gap filler
        i = slice(int(t0 * fps), int((t0 + 0.33) * fps))
        for p in LEG_POINTS:
            xy[i, INDEX[f"left_{p}"]] = np.nan
            vis[i, INDEX[f"left_{p}"]] = 0.0
    c = cleaning.clean(track.copy(xy_px=xy, visibility=vis))
    assert c.near_side == "right"
    assert len(c.swaps_repaired) == 0
    assert np.isfinite(c.points["right_ankle"]).all()  # the near leg keeps its data


def test_outliers_and_gaps():
    track, _ = stick_track(fps=60, duration_s=6)
    xy = track.xy_px.copy()
    k = INDEX["right_knee"]
    xy[100, k] += [80.0, -60.0]  # a spike of ~0.3 leg lengths
    xy[200:205, INDEX["right_ankle"]] = np.nan  # 5 frames = 0.083 s: filled
    xy[250:280, INDEX["left_ankle"]] = np.nan  # 30 frames = 0.5 s: left as a gap
    c = cleaning.clean(track.copy(xy_px=xy))
    assert c.outliers_removed >= 1
    assert np.isfinite(c.points["right_ankle"][200:205]).all()
    assert c.interpolated["right_ankle"][200:205].all()
    assert np.isnan(c.points["left_ankle"][255:275]).all()
    # the spike is gone: the cleaned knee is close to the clean one
    ref = cleaning.clean(track)
    assert np.linalg.norm(c.points["right_knee"][100] - ref.points["right_knee"][100]) < 10


def test_walking_is_refused_and_classified():
    kw = dict(gait="walking", cadence_spm=110, duty_factor=0.62, speed_m_s=1.3,
              bounce_m=0.03, clearance_m=0.05)  # fmt: skip
    track, _ = stick_track(**kw)
    with pytest.raises(NotRunningError):
        cleaning.clean(track)
    c = cleaning.clean(track, cleaning.CleaningConfig(raise_on_walking=False))
    assert c.activity == "walking"


def test_front_view_and_no_runner():
    with pytest.raises(NotSideViewError):
        cleaning.clean(stick_track(front_view=True, duration_s=4)[0])
    track, _ = stick_track(duration_s=4)
    empty = track.copy(xy_px=np.full_like(track.xy_px, np.nan),
                       visibility=np.zeros_like(track.visibility))  # fmt: skip
    with pytest.raises(NoRunnerDetectedError):
        cleaning.clean(empty)


def _collapse(track, truth, side="left", frames=(1, 2, 3)):
    """The swinging foot drawn onto the other (stance) foot just after each toe-off."""
    xy = track.xy_px.copy()
    other = "right" if side == "left" else "left"
    hit = []
    for to in truth["to_s"][side]:
        i0 = int(np.searchsorted(track.time_s, to))
        for k in frames:
            i = i0 + k
            if 2 < i < track.n_frames - 2:
                hit.append(i)
                for p in ("ankle", "heel", "foot_index"):
                    xy[i, INDEX[f"{side}_{p}"]] = xy[i, INDEX[f"{other}_{p}"]] + 2.0
    return track.copy(xy_px=xy), np.array(hit)


def test_swing_foot_collapse_is_removed_and_filled():
    from gaitlens import events, strides

    track, truth = stick_track(fps=30, duration_s=8)
    bad, hit = _collapse(track, truth)
    ref = cleaning.clean(track)
    c = cleaning.clean(bad)
    assert c.quality["foot_collapse_frames"] >= 0.8 * len(hit)
    assert c.interpolated["left_heel"][hit].mean() >= 0.8
    err = np.linalg.norm(c.points["left_heel"][hit] - ref.points["left_heel"][hit], axis=1)
    assert np.median(err) / c.leg_length_px < 0.05  # collapsed: about 0.5 legs off
    n_ref = strides.summarize_timing(strides.segment(events.detect(ref), ref))["n_strides"]
    n_fix = strides.summarize_timing(strides.segment(events.detect(c), c))["n_strides"]
    assert n_fix >= n_ref - 1
    off = cleaning.CleaningConfig()
    off.collapse.enabled = False
    c_off = cleaning.clean(bad, off)
    err_off = np.linalg.norm(c_off.points["left_heel"][hit] - ref.points["left_heel"][hit], axis=1)
    assert np.median(err_off) > 3 * np.median(err)


@pytest.mark.parametrize("speed,clearance", [(2.5, 0.05), (3.0, 0.12), (4.5, 0.08)])
def test_no_collapse_found_on_clean_tracks(speed, clearance):
    track, _ = stick_track(fps=60, duration_s=5, speed_m_s=speed, clearance_m=clearance)
    xy, vis, _ = PoseNoise(swap_rate_per_s=0).apply(
        track.xy_px, track.visibility, track.time_s, "right", 400.0, np.random.default_rng(0)
    )
    for tr in (track, track.copy(xy_px=xy, visibility=vis)):
        assert cleaning.clean(tr).quality["foot_collapse_frames"] == 0
