"""Shared fixtures: tiny generated videos, the ../shared data folder."""

from __future__ import annotations

import os
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

# nothing downloads at test time: a missing pose model is an error naming the offline
# routes (gaitlens.pose.models); `make model` provisions it from a registry package
os.environ["GAITLENS_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
REAL_VIDEO = SHARED_DATA / "videos" / "treadmill_side_runner_30fps.mp4"
WALK_VIDEO = SHARED_DATA / "videos" / "walk_side_two_people_30fps.mp4"
SAMPLES = REPO / "sample_videos"


def shared_file(path: Path) -> Path:
    """Return ``path`` or skip the test when ../shared data is absent."""
    if not path.exists():
        pytest.skip(f"reference data not available: {path}")
    return path


def write_clip(path, times_s, size=(64, 48), pattern="bar", gray=False, gop=None) -> Path:
    """Write an H.264 clip whose frames appear at exactly ``times_s`` (VFR allowed).

    Each frame carries its index as a moving bar so tests can check order.
    """
    import av

    w, h = size
    path = Path(path)
    with av.open(str(path), "w", format="mp4") as out:
        st = out.add_stream("libx264", rate=30)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        st.codec_context.time_base = Fraction(1, 90000)
        if gop:
            st.codec_context.gop_size = int(gop)
        for i, t in enumerate(times_s):
            img = np.zeros((h, w, 3), np.uint8)
            if pattern == "bar":
                img[:, : max(2, w // 8)] = 255  # a bar on the left edge (orientation marker)
                img[: max(2, h // 8), :, 1] = 255  # a green bar on top
                x = int(i * 3) % w
                img[:, x : x + 2, 2] = 200
            if gray:
                img[:] = img.mean(axis=2, keepdims=True).astype(np.uint8)
            fr = av.VideoFrame.from_ndarray(img, format="rgb24")
            fr.pts = int(round(t * 90000))
            fr.time_base = Fraction(1, 90000)
            for p in st.encode(fr):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    return path


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        pytest.skip("imageio-ffmpeg (dev extra) not installed")
    return imageio_ffmpeg.get_ffmpeg_exe()


def with_rotation(src: Path, dst: Path, degrees: int) -> Path:
    """Copy ``src`` adding a display-matrix rotation (as phones record portrait)."""
    subprocess.run(
        [
            ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-display_rotation",
            str(degrees),
            "-i",
            str(src),
            "-c",
            "copy",
            str(dst),
        ],
        check=True,
    )
    return dst


def as_slow_motion(src: Path, dst: Path, factor: float, capture_fps=None) -> Path:
    """``src``'s encoded frames with their timestamps stretched by ``factor`` (no
    re-encoding: a high-speed capture stored for slow playback); with ``capture_fps``
    Android's capture-rate tag (``com.android.capture.fps``, an ``mdta`` key) is written."""
    tag = []
    if capture_fps:
        tag = ["-movflags", "use_metadata_tags",
               "-metadata", f"com.android.capture.fps={capture_fps:.6f}"]  # fmt: skip
    subprocess.run(
        [ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(src), "-map", "0:v", "-c", "copy",
         "-bsf:v", f"setts=pts=PTS*{factor!r}:dts=DTS*{factor!r}", *tag, str(dst)],
        check=True,
    )  # fmt: skip
    return dst


def with_scaled_edit(src: Path, dst: Path, rate: float) -> Path:
    """``src`` as a QuickTime movie whose edit list plays the video media at ``rate``
    (below 1: slow motion; the segment lasts 1/rate times the media, the frames keep
    their capture timestamps), as QuickTime slow-motion edits do. ffmpeg writes a
    one-entry edit list with rate 1; its rate and durations are patched."""
    import struct

    from gaitlens.io import timebase

    tmp = dst.with_name(dst.stem + ".src.mov")
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(src), "-map", "0:v",
                    "-c", "copy", str(tmp)], check=True)  # fmt: skip
    buf = bytearray(tmp.read_bytes())
    tmp.unlink()
    moov = buf.index(b"moov") - 4
    (size,) = struct.unpack_from(">I", buf, moov)
    stretch = 1.0 / rate
    for typ, a, end in timebase._boxes(bytes(buf), moov + 8, moov + size):
        if typ == b"mvhd":
            (dur,) = struct.unpack_from(">I", buf, a + 16)
            struct.pack_into(">I", buf, a + 16, int(dur * stretch))
        if typ == b"trak":
            elst = timebase._child(bytes(buf), a, end, b"edts", b"elst")
            e = elst[0] + 8
            seg, media_time, _ = struct.unpack_from(">IiI", buf, e)
            struct.pack_into(">IiI", buf, e, int(seg * stretch), media_time, int(rate * 65536))
    dst.write_bytes(bytes(buf))
    return dst


@pytest.fixture
def clip_factory(tmp_path):
    def make(name="clip.mp4", n=30, fps=30.0, **kw):
        return write_clip(tmp_path / name, np.arange(n) / fps, **kw)

    return make
