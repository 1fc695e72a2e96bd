"""Generators of hostile and awkward inputs for the robustness matrix (issue 11).

Everything is made on the fly from the synthetic renderer or by damaging/re-encoding
its clips, so no large file is committed. Each function writes into ``d`` and returns
the path to give to ``gaitlens analyze``.
"""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np

# small but not tiny: at 400x300 (leg about 100 px) the event stage found 1-9 valid
# strides in 8 s from run to run of the same test (renders differ by a few pixel values
# between processes), too close to the 4-stride minimum for the tests' purpose (the
# container conditions, not event accuracy on tiny frames)
SMALL = dict(image_size_px=(480, 360), fps=30.0)


def _render(d: Path, name: str, **params) -> Path:
    from gaitlens.synthetic import RunnerParams, render, simulate

    kw = {**SMALL, "duration_s": 10.0, "seed": 7, **params}
    if (d / name).exists():  # generated once per test session
        return d / name
    return Path(render(simulate(RunnerParams(**kw)), d / name))


def _frames(path: Path):
    from gaitlens.io.video import read_frames

    for f in read_frames(path, threaded=False):
        yield f.time_s, f.image


def _write(path: Path, frames, rate: float = 30.0) -> Path:
    import av

    frames = iter(frames)
    t, img = next(frames)
    with av.open(str(path), "w", format="mp4") as out:
        st = out.add_stream("libx264", rate=int(round(rate)))
        st.height, st.width = img.shape[:2]
        st.pix_fmt = "yuv420p"
        st.codec_context.time_base = Fraction(1, 90000)
        while True:
            fr = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            fr.pts = int(round(t * 90000))
            fr.time_base = Fraction(1, 90000)
            for p in st.encode(fr):
                out.mux(p)
            try:
                t, img = next(frames)
            except StopIteration:
                break
        for p in st.encode():
            out.mux(p)
    return path


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def normal(d: Path) -> Path:
    return _render(d, "normal.mp4")


def short_2s(d: Path) -> Path:
    return _render(d, "short.mp4", duration_s=2.0)


def one_frame(d: Path) -> Path:
    src = _render(d, "src1.mp4", duration_s=0.5)
    first = next(_frames(src))
    return _write(d / "one_frame.mp4", [first])


def zero_frames(d: Path) -> Path:
    p = d / "zero_frames.mp4"
    subprocess.run(
        [
            ffmpeg(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=64x64",
            "-frames:v",
            "0",
            "-c:v",
            "libx264",
            str(p),
        ],
        check=True,
    )
    return p


def low_fps_10(d: Path) -> Path:
    return _render(d, "fps10.mp4", fps=10.0, duration_s=12.0)


def uhd_4k(d: Path) -> Path:
    return _render(d, "uhd.mp4", image_size_px=(3840, 2160), duration_s=5.0)


def portrait_rotated(d: Path) -> Path:
    """Upright portrait clip stored sideways with a 90-degree display rotation, as
    phones record it."""
    src = _render(d, "portrait_src.mp4", image_size_px=(360, 480))
    sideways = _write(d / "sideways.mp4", ((t, np.rot90(img, k=-1)) for t, img in _frames(src)))
    out = d / "portrait_rotated.mp4"
    subprocess.run(
        [
            ffmpeg(),
            "-y",
            "-loglevel",
            "error",
            "-display_rotation",
            "90",
            "-i",
            str(sideways),
            "-c",
            "copy",
            str(out),
        ],
        check=True,
    )
    return out


def variable_frame_rate(d: Path) -> Path:
    """Frames at irregular real times, as phones record: a 60 fps render where the
    frame interval wanders between 1/60 and 1/20 s (every third frame dropped, plus
    longer stalls now and then)."""
    src = _render(d, "vfr_src.mp4", fps=60.0)
    rng = np.random.default_rng(3)
    keep = [
        (t, img)
        for i, (t, img) in enumerate(_frames(src))
        if i % 3 != 2 and not (i % 47 == 0 and rng.random() < 0.5)
    ]
    return _write(d / "vfr.mp4", keep, rate=40)


def grayscale(d: Path) -> Path:
    src = _render(d, "gray_src.mp4")
    return _write(
        d / "gray.mp4",
        (
            (t, np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8))
            for t, img in _frames(src)
        ),
    )


def no_person(d: Path) -> Path:
    rng = np.random.default_rng(0)
    frames = ((i / 30, rng.integers(90, 110, (240, 320, 3), dtype=np.uint8)) for i in range(60))
    return _write(d / "nobody.mp4", frames)


def two_runners(d: Path) -> Path:
    a = _render(d, "r1.mp4", seed=1)
    b = _render(d, "r2.mp4", seed=2, cadence_spm=178.0, height_m=1.62)
    return _write(
        d / "two_runners.mp4",
        ((t1, np.hstack([i1, i2])) for (t1, i1), (_, i2) in zip(_frames(a), _frames(b))),
    )


def leaves_frame(d: Path) -> Path:
    """The camera pans away half way: the runner slides out of the picture."""
    src = _render(d, "leave_src.mp4", duration_s=16.0)

    # in view for about 11 s, gone after about 12 s (runner found in about 70 % of the
    # frames); with 7 of 12 s the clip was left with 0-8 valid strides from run to run
    def shifted():
        for t, img in _frames(src):
            shift = int(max(0.0, t - 11.0) * 400)
            out = np.zeros_like(img) + np.array([200, 200, 200], np.uint8)
            w = img.shape[1]
            if shift < w:
                out[:, : w - shift] = img[:, shift:]
            yield t, out

    return _write(d / "leaves_frame.mp4", shifted())


def truncated_faststart(d: Path) -> Path:
    src = _render(d, "trunc_src.mp4", duration_s=12.0)  # 60 % kept: about 7 s
    data = src.read_bytes()
    p = d / "truncated.mp4"
    p.write_bytes(data[: int(len(data) * 0.6)])
    return p


def corrupt_middle(d: Path) -> Path:
    # 12 s: the damage costs about 1 s of frames and the strides around it, and an 8 s
    # clip was left with 3-4 valid strides, at the 4-stride minimum
    src = _render(d, "corrupt_src.mp4", duration_s=12.0)
    b = bytearray(src.read_bytes())
    n = len(b)
    rng = np.random.default_rng(0)
    b[n // 2 : n // 2 + n // 20] = rng.integers(0, 256, n // 20, dtype=np.uint8).tobytes()
    p = d / "corrupt_middle.mp4"
    p.write_bytes(bytes(b))
    return p


def text_as_mp4(d: Path) -> Path:
    p = d / "notes.mp4"
    p.write_text("this is not a video\n" * 20)
    return p


def empty_file(d: Path) -> Path:
    p = d / "empty.mp4"
    p.write_bytes(b"")
    return p


def non_ascii_path(d: Path) -> Path:
    src = _render(d, "src_na.mp4")
    folder = d / "Läufer clips ü"
    folder.mkdir(exist_ok=True)
    return Path(shutil.copy(src, folder / "mein Lauf é.mp4"))
