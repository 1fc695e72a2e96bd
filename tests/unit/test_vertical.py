"""The scene's vertical (``gaitlens.pose.vertical``) on synthetic images with known
tilt, and the levelled analysis frame it gives the cleaning stage."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gaitlens import synthetic
from gaitlens.cleaning import clean
from gaitlens.cleaning.track import analysis_to_image, image_to_analysis
from gaitlens.kinematics import compute as kinematics
from gaitlens.pose.vertical import VerticalEstimate, VerticalFinder

W, H = 720, 1280
RUNNER_BOX = (230.0, 450.0, 490.0, 1150.0)
#: the runner as ``runner_shape`` gives it: one bone along the drawn "shin", 40 px around
RUNNER = (np.array([[[300.0, 500.0], [380.0, 1100.0]]]), 40.0)


def _scene(tilt_deg: float, vp_y: float = None, n_lines: int = 9, seed: int = 0):
    """A textured grey frame with ``n_lines`` dark vertical bars (cupboard edges) whose
    tops lean ``tilt_deg`` to the right (a camera rolled the other way), or which meet
    at the vanishing point (W/2, ``vp_y``) (a camera pitched up); a slanted bar inside
    the runner's box that must be ignored."""
    rng = np.random.default_rng(seed)
    img = rng.normal(150, 6, (H, W)).clip(0, 255).astype(np.uint8)
    xs = [x for x in np.linspace(40, W - 40, n_lines + 4) if not 200 < x < 520][:n_lines]
    t = np.radians(tilt_deg)
    for x in xs:  # bars 500 px tall around the image's middle row
        for dx in (0, 14):  # both edges of a 14 px bar
            xb = x + dx
            if vp_y is None:
                top = (xb + 250 * np.tan(t), H / 2 - 250)
                bot = (xb - 250 * np.tan(t), H / 2 + 250)
            else:  # the bar's line passes through (xb, H/2) and the vanishing point
                d = np.array([W / 2 - xb, vp_y - H / 2])
                d /= np.hypot(*d)
                top = (xb + 250 * d[0] / abs(d[1]), H / 2 - 250)
                bot = (xb - 250 * d[0] / abs(d[1]), H / 2 + 250)
            cv2.line(img, tuple(int(round(v)) for v in top), tuple(int(round(v)) for v in bot),
                     40, 3, cv2.LINE_AA)  # fmt: skip
    cv2.line(img, (300, 500), (380, 1100), 20, 6)  # the runner's shin: not a scene line
    return img


def _estimate(img, at=(360.0, 800.0)):
    f = VerticalFinder()
    seg = f.segments(img, RUNNER)
    return f.estimate(seg, (W, H), at, n_frames=1)


@pytest.mark.parametrize("tilt", [-4.0, -1.5, 0.0, 2.0, 3.0])
def test_roll_is_recovered_from_scene_lines(tilt):
    est = _estimate(_scene(tilt))
    assert est.applied, est.reason
    assert est.angle_deg == pytest.approx(tilt, abs=0.3)
    assert est.se_deg < 0.5
    assert est.n_lines >= 4


def test_pitch_gives_the_local_vertical_at_the_runner():
    # lines meet 3000 px above the image centre's column: a camera pitched up; the
    # vertical at a runner left of centre leans toward that point, not like the lines
    vp_y = H / 2 - 3000.0
    at = (250.0, 800.0)
    expected = np.degrees(np.arctan2(W / 2 - at[0], at[1] - vp_y))
    est = _estimate(_scene(0.0, vp_y=vp_y), at=at)
    assert est.applied, est.reason
    assert est.angle_deg == pytest.approx(expected, abs=0.4)
    assert est.vanishing_point_px is not None
    assert est.vanishing_point_px[1] == pytest.approx(vp_y, rel=0.25)


def test_edges_of_a_flat_fill_and_the_runner_are_not_scene_lines():
    img = np.full((H, W), 128, np.uint8)  # flat grey: letterbox-like fills only
    img[:, :60] = 0
    img[:, W - 60 :] = 0
    cv2.line(img, (300, 500), (380, 1100), 20, 6)  # inside the runner's box
    est = _estimate(img)
    assert not est.applied
    assert "straight vertical edges" in est.reason


def test_too_few_lines_leave_the_image_vertical():
    est = _estimate(_scene(2.0, n_lines=1))
    assert not est.applied
    assert est.angle_deg == 0.0 or est.n_lines < 4


def test_estimate_round_trips_as_a_dict():
    est = _estimate(_scene(1.0))
    back = VerticalEstimate.from_dict(est.to_dict())
    assert back == est
    assert VerticalEstimate.from_dict(None).reason == "not estimated"


@pytest.mark.parametrize("facing", ["left", "right"])
def test_image_and_analysis_frames_are_inverse_and_levelled(facing):
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 700, (50, 2))
    origin = (350.0, 600.0)
    back = analysis_to_image(image_to_analysis(xy, origin, facing, 3.0), origin, facing, 3.0)
    np.testing.assert_allclose(back, xy, atol=1e-9)
    # a point straight above the origin along the scene's up (top leaning 3 deg right)
    up = np.array([[origin[0] + 100 * np.sin(np.radians(3.0)),
                    origin[1] - 100 * np.cos(np.radians(3.0))]])  # fmt: skip
    a = image_to_analysis(up, origin, facing, 3.0)
    np.testing.assert_allclose(a[0], [0.0, 100.0], atol=1e-9)


def _rotated(track, tilt_deg: float):
    """The track as a camera rolled so that the world's up leans ``tilt_deg`` to image
    right would see it (rotation about the frame's centre)."""
    t = np.radians(tilt_deg)
    c = np.array(track.frame_size_px, float) / 2
    d = track.xy_px - c
    xy = np.empty_like(d)
    xy[..., 0] = c[0] + np.cos(t) * d[..., 0] - np.sin(t) * d[..., 1]
    xy[..., 1] = c[1] + np.sin(t) * d[..., 0] + np.cos(t) * d[..., 1]
    return track.copy(xy_px=xy)


@pytest.mark.parametrize("facing", ["left", "right"])
def test_levelled_frame_gives_the_unrotated_trunk_lean(facing):
    run = synthetic.simulate(synthetic.RunnerParams(facing=facing, duration_s=6.0, seed=3))
    track = run.to_pose_track()
    lean = np.nanmedian(kinematics(clean(track), None).trunk_lean_deg)
    tilted = _rotated(track, 3.0)
    raw = np.nanmedian(kinematics(clean(tilted), None).trunk_lean_deg)
    tilted.video["vertical"] = VerticalEstimate(angle_deg=3.0, se_deg=0.2, applied=True).to_dict()
    levelled = clean(tilted)
    assert levelled.level_deg == 3.0
    fixed = np.nanmedian(kinematics(levelled, None).trunk_lean_deg)
    assert abs(raw - lean) == pytest.approx(3.0, abs=0.3)  # the roll tilts the trunk
    assert fixed == pytest.approx(lean, abs=0.1)


def test_estimate_vertical_reads_frames_of_a_clip(tmp_path):
    from gaitlens.io.track import PoseTrack
    from gaitlens.io.video import VideoWriter
    from gaitlens.pose.skeleton import LANDMARK_NAMES
    from gaitlens.pose.vertical import estimate_vertical

    path = tmp_path / "scene.mp4"
    frame = cv2.cvtColor(_scene(2.5), cv2.COLOR_GRAY2RGB)
    n = 30
    with VideoWriter(path, W, H, 30.0) as out:
        for _ in range(n):  # frames
            out.write(frame)
    xy = np.full((n, len(LANDMARK_NAMES), 2), np.nan)
    xy[:, :, 0] = np.linspace(RUNNER_BOX[0] + 60, RUNNER_BOX[2] - 60, len(LANDMARK_NAMES))
    xy[:, :, 1] = np.linspace(RUNNER_BOX[1] + 80, RUNNER_BOX[3] - 80, len(LANDMARK_NAMES))
    track = PoseTrack(time_s=np.arange(n) / 30.0, xy_px=xy, visibility=np.ones(xy.shape[:2]),
                      frame_size_px=(W, H))  # fmt: skip
    est = estimate_vertical(path, track, VerticalFinder(n_frames=4))
    assert est.n_frames == 4
    assert est.applied, est.reason
    assert est.angle_deg == pytest.approx(2.5, abs=0.4)


def test_no_sampled_frame_says_so():
    from gaitlens.io.track import PoseTrack
    from gaitlens.pose.skeleton import LANDMARK_NAMES

    n = len(LANDMARK_NAMES)
    xy = np.full((3, n, 2), 100.0)
    track = PoseTrack(time_s=np.arange(3) / 30.0, xy_px=xy, visibility=np.ones((3, n)),
                      frame_size_px=(W, H))  # fmt: skip
    est = VerticalFinder().estimate_from([], track)
    assert not est.applied and "no frame was sampled" in est.reason
    assert len(VerticalFinder().sample_times(0.0)) == 0
