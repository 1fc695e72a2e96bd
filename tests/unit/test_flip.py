"""Flip test (gaitlens.pose.flip): mirroring back, aligning labels, averaging."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlens.pose import flip
from gaitlens.pose.skeleton import INDEX, LANDMARK_NAMES

WIDTH = 640.0


def _frames(n=20, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(50, 590, size=(n, len(LANDMARK_NAMES), 2))
    vis = rng.uniform(0.2, 1.0, size=(n, len(LANDMARK_NAMES)))
    return xy, vis


def _mirror_pass(xy, vis):
    """What a perfectly mirror-symmetric model returns on the mirrored frame."""
    return flip.unmirror(xy, vis, WIDTH)  # its own inverse


def test_unmirror_is_its_own_inverse_and_exchanges_sides():
    xy, vis = _frames()
    m, mv = flip.unmirror(xy, vis, WIDTH)
    k, kr = INDEX["left_knee"], INDEX["right_knee"]
    assert np.allclose(m[:, kr, 0], WIDTH - xy[:, k, 0])
    assert np.allclose(m[:, kr, 1], xy[:, k, 1])
    assert np.allclose(mv[:, kr], vis[:, k])
    back, bv = flip.unmirror(m, mv, WIDTH)
    assert np.allclose(back, xy) and np.allclose(bv, vis)
    nose = INDEX["nose"]
    assert np.allclose(m[:, nose, 0], WIDTH - xy[:, nose, 0])


def test_mirror_image_flips_columns():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    out = flip.mirror_image(img)
    assert out.flags["C_CONTIGUOUS"]
    assert np.array_equal(out[:, 0], img[:, 2]) and np.array_equal(out[:, 2], img[:, 0])


def test_a_symmetric_model_is_left_as_it_is():
    xy, vis = _frames()
    got, gv = flip.combine(xy, vis, *_mirror_pass(xy, vis), WIDTH)
    assert np.allclose(got, xy) and np.allclose(gv, vis)


def test_the_part_of_the_error_that_is_not_mirror_symmetric_cancels():
    """A model that places every landmark 6 px towards the image's right whichever way
    the runner faces (not mirror-symmetric), 3 px ahead of the runner (mirror-symmetric:
    it turns with the runner) and 2 px low. The runner faces right in the frame, left in
    its mirror image. The flip test cancels the first and keeps the other two."""
    truth, vis = _frames(seed=1)
    direct = truth + [6.0 + 3.0, 2.0]  # faces +x
    m_truth, m_vis = flip.unmirror(truth, vis, WIDTH)
    mirrored = m_truth + [6.0 - 3.0, 2.0]  # faces -x in the mirrored frame
    got, _ = flip.combine(direct, vis, mirrored, m_vis, WIDTH)
    err = got - truth
    assert np.allclose(err[..., 0], 3.0)
    assert np.allclose(err[..., 1], 2.0)


def test_labels_of_the_mirrored_pass_follow_the_direct_pass():
    """The mirrored pass exchanges the legs in frames 5-9: aligned before averaging, each
    leg is averaged with itself (the labels are repaired later, for the whole track)."""
    xy, vis = _frames(seed=2)
    mxy, mvis = _mirror_pass(xy, vis)
    swapped = np.arange(5, 10)
    for p in ("hip", "knee", "ankle", "heel", "foot_index"):
        # in the mirrored frame the physical left leg carries the right label
        a, b = INDEX[f"left_{p}"], INDEX[f"right_{p}"]
        mxy[swapped, a], mxy[swapped, b] = mxy[swapped, b].copy(), mxy[swapped, a].copy()
        mvis[swapped, a], mvis[swapped, b] = mvis[swapped, b].copy(), mvis[swapped, a].copy()
    got, gv = flip.combine(xy, vis, mxy, mvis, WIDTH)
    assert np.allclose(got, xy) and np.allclose(gv, vis)
    # without the alignment the legs would be averaged with each other
    bxy, _ = flip.unmirror(mxy, mvis, WIDTH)
    k, kr = INDEX["left_knee"], INDEX["right_knee"]
    assert not np.allclose(0.5 * (xy[swapped, k] + bxy[swapped, k]), xy[swapped, k])
    assert np.allclose(bxy[swapped, k], xy[swapped, kr])


def test_a_landmark_one_pass_missed_comes_from_the_other():
    xy, vis = _frames(n=6, seed=3)
    mxy, mvis = _mirror_pass(xy, vis)
    xy2, vis2 = xy.copy(), vis.copy()
    xy2[0] = np.nan  # direct pass found nobody in frame 0
    vis2[0] = 0.0
    mxy[1] = np.nan  # mirrored pass found nobody in frame 1
    mvis[1] = 0.0
    got, gv = flip.combine(xy2, vis2, mxy, mvis, WIDTH)
    assert np.allclose(got, xy) and np.allclose(gv[0], vis[0]) and np.allclose(gv[1], vis[1])
    both_missing, _ = flip.combine(xy2[:1], vis2[:1], np.full_like(mxy[:1], np.nan),
                                   np.zeros_like(mvis[:1]), WIDTH)  # fmt: skip
    assert np.isnan(both_missing).all()


def test_one_frame_in_one_frame_out():
    xy, vis = _frames(n=1, seed=4)
    got, gv = flip.combine(xy[0], vis[0], *flip.unmirror(xy[0], vis[0], WIDTH), WIDTH)
    assert got.shape == xy[0].shape and gv.shape == vis[0].shape
    assert np.allclose(got, xy[0])


def test_flip_test_is_a_pose_option_on_by_default():
    from gaitlens.config import AnalysisConfig

    cfg = AnalysisConfig()
    assert cfg.flip_test is True
    assert cfg.pose_signature()["flip_test"] is True  # a saved track says how it was made
    assert AnalysisConfig(flip_test=False).pose_signature() != cfg.pose_signature()


@pytest.mark.parametrize("argv, want", [([], True), (["--no-flip-test"], False)])
def test_cli_switch(argv, want):
    from gaitlens.cli import _config, build_parser

    args = build_parser().parse_args(["analyze", "run.mp4", *argv])
    assert _config(args).flip_test is want
