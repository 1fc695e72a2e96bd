"""The Tasks backend's coordinate mapping (square padding -> frame -> full-frame pixels)
and timestamps, with a stand-in landmarker: no model, no MediaPipe graph."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from gaitlens.pose.skeleton import N_LANDMARKS

tasks = pytest.importorskip("gaitlens.pose.tasks")


class FakeImage:
    def __init__(self, image_format=None, data=None):
        self.data = data


class FakeLandmarker:
    """Returns one person whose landmarks are given as fractions of the image it got."""

    def __init__(self, frac_xy):
        self.frac_xy = frac_xy
        self.seen = []

    def detect_for_video(self, image, ms):
        self.seen.append((image.data.shape, ms))
        h, w = image.data.shape[:2]
        lms = [SimpleNamespace(x=x, y=y, visibility=0.9) for x, y in self.frac_xy]
        mask = np.zeros((h, w), np.float32)
        mask[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = 1.0
        return SimpleNamespace(
            pose_landmarks=[lms], segmentation_masks=[SimpleNamespace(numpy_view=lambda: mask)]
        )

    def close(self):
        pass


def backend(frac_xy, square=True):
    be = tasks.TasksPose.__new__(tasks.TasksPose)
    be._mp = SimpleNamespace(Image=FakeImage, ImageFormat=SimpleNamespace(SRGB=1))
    be._landmarker = FakeLandmarker(frac_xy)
    be.segmentation = False
    be.square_input = square
    be._last_ms = -1
    be._quiet_calls_left = 0
    return be


def test_square_padding_maps_back_to_full_frame_pixels():
    # a portrait frame (w 300, h 400) downsized from 600 x 800: padded to 400 x 400 with
    # 50 px of black on each side; the padded image's centre is the frame's centre
    frac = [(0.5, 0.5)] + [(0.125, 0.0)] * (N_LANDMARKS - 1)
    be = backend(frac)
    img = np.full((400, 300, 3), 7, np.uint8)
    res = be.process(img, 0.0, full_size_px=(600, 800))
    shape, _ = be._landmarker.seen[0]
    assert shape == (400, 400, 3)
    np.testing.assert_allclose(res.xy_px[0], [300.0, 400.0])
    np.testing.assert_allclose(res.xy_px[1], [0.0, 0.0])  # the padding's edge: x = 50 px
    assert res.n_people == 1 and np.allclose(res.visibility, 0.9)


def test_without_padding_fractions_are_of_the_frame():
    be = backend([(0.5, 0.25)] * N_LANDMARKS, square=False)
    res = be.process(np.zeros((400, 300, 3), np.uint8), 0.0, full_size_px=(600, 800))
    assert be._landmarker.seen[0][0] == (400, 300, 3)
    np.testing.assert_allclose(res.xy_px[0], [300.0, 200.0])


def test_mask_is_cropped_back_to_the_frame(monkeypatch):
    seen = {}

    def fake_extract(mask, xy, scale=1.0):
        seen["shape"], seen["scale"] = mask.shape, scale
        return np.zeros(3)

    monkeypatch.setattr(tasks.silhouette, "extract", fake_extract)
    be = backend([(0.5, 0.5)] * N_LANDMARKS)
    be.segmentation = True
    be.process(np.zeros((400, 300, 3), np.uint8), 0.0, full_size_px=(600, 800))
    assert seen["shape"] == (400, 300) and seen["scale"] == pytest.approx(0.5)


def test_timestamps_strictly_increase():
    be = backend([(0.5, 0.5)] * N_LANDMARKS)
    img = np.zeros((64, 64, 3), np.uint8)
    for t in (0.0, 0.0, 0.0101, 0.0099, 1.0):
        be.process(img, t)
    ms = [m for _, m in be._landmarker.seen]
    assert ms == [0, 1, 10, 11, 1000]
