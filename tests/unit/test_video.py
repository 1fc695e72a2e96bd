import numpy as np
import pytest

from gaitlens.errors import VideoReadError
from gaitlens.io.video import VideoWriter, probe, read_frames
from tests.conftest import with_rotation, write_clip


def test_constant_rate_timestamps_and_metadata(clip_factory):
    p = clip_factory(n=45, fps=30.0, size=(80, 60))
    meta = probe(p)
    assert (meta.width_px, meta.height_px) == (80, 60)
    assert meta.nominal_fps == pytest.approx(30.0, rel=1e-3)
    assert meta.frame_count == 45
    assert meta.duration_s == pytest.approx(1.5, abs=0.04)
    assert meta.codec == "h264"
    t = np.array([f.time_s for f in read_frames(p)])
    assert len(t) == 45
    np.testing.assert_allclose(t, np.arange(45) / 30.0, atol=1e-4)


def test_variable_frame_rate_yields_true_timestamps(tmp_path):
    # 30 fps for 1 s, then 60 fps, then 24 fps: a phone-like VFR clip
    times = np.concatenate([np.arange(30) / 30, 1 + np.arange(60) / 60, 2 + np.arange(24) / 24])
    p = write_clip(tmp_path / "vfr.mp4", times)
    got = np.array([f.time_s for f in read_frames(p)])
    assert len(got) == len(times)
    np.testing.assert_allclose(got, times, atol=2e-4)


@pytest.mark.parametrize("degrees", [90, 270, 180])
def test_rotation_metadata_is_applied(tmp_path, degrees):
    src = write_clip(tmp_path / "land.mp4", np.arange(5) / 30, size=(64, 32))
    rot = with_rotation(src, tmp_path / f"rot{degrees}.mp4", degrees)
    meta = probe(rot)
    assert meta.rotation_deg == degrees
    img = next(read_frames(rot)).image
    upright = next(read_frames(src)).image
    expected = np.rot90(upright, k=degrees // 90)
    assert img.shape == expected.shape
    assert (meta.width_px, meta.height_px) == (img.shape[1], img.shape[0])
    assert np.abs(img.astype(int) - expected.astype(int)).mean() < 3


def test_downsizing_on_decode(clip_factory):
    p = clip_factory(n=3, size=(320, 240))
    img = next(read_frames(p, max_side_px=160)).image
    assert img.shape == (120, 160, 3)


def test_reading_is_lazy(clip_factory):
    p = clip_factory(n=200)
    it = read_frames(p)
    first = next(it)
    assert first.index == 0
    it.close()  # stopping early must not hang or leak the decoder thread


def _file(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda d: d / "missing.mp4", "not found"),
        (lambda d: d, "directory"),
        (lambda d: _file(d / "empty.mp4", b""), "empty"),
        (lambda d: _file(d / "notes.mp4", b"hello, not a video"), "not a readable"),
    ],
)
def test_bad_inputs_raise_named_error(tmp_path, make, match):
    with pytest.raises(VideoReadError, match=match):
        probe(make(tmp_path))


def test_writer_keeps_timestamps_h264(tmp_path):
    times = np.array([0, 0.02, 0.05, 0.09, 0.1, 0.2])
    out = tmp_path / "w.mp4"
    with VideoWriter(out, 48, 32, fps=30) as w:
        for t in times:
            w.write(np.full((32, 48, 3), 128, np.uint8), time_s=t)
    assert probe(out).codec == "h264"
    got = np.array([f.time_s for f in read_frames(out)])
    np.testing.assert_allclose(got, times, atol=1e-3)
