"""Bad inputs: one line on stderr, a non-zero exit code, no traceback, no outputs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import write_clip


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "gaitlens", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _truncated(tmp_path):
    good = write_clip(tmp_path / "good.mp4", np.arange(60) / 30, size=(96, 64))
    data = good.read_bytes()
    bad = tmp_path / "truncated.mp4"
    bad.write_bytes(data[: len(data) // 2])
    return bad


def _noise_clip(tmp_path):
    import av

    rng = np.random.default_rng(0)
    p = tmp_path / "nobody.mp4"
    with av.open(str(p), "w") as out:
        st = out.add_stream("libx264", rate=30)
        st.width, st.height, st.pix_fmt = 160, 120, "yuv420p"
        for _ in range(20):
            img = rng.integers(90, 110, size=(120, 160, 3), dtype=np.uint8)
            for pk in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pk)
        for pk in st.encode():
            out.mux(pk)
    return p


CASES = {
    "missing": (lambda d: d / "nope.mp4", 3, "file not found"),
    "directory": (lambda d: d, 3, "is a directory"),
    "empty": (lambda d: (d / "e.mp4").write_bytes(b"") and None or d / "e.mp4", 3, "empty"),
    "text": (lambda d: (d / "t.mp4").write_text("x" * 100) and d / "t.mp4", 3, "not a readable"),
    "truncated": (_truncated, 3, "not a readable"),
    "no_person": (_noise_clip, 4, "no person"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_one_line_error(tmp_path, case):
    make, code, words = CASES[case]
    src_dir = tmp_path / "in"
    src_dir.mkdir()
    video = make(src_dir)
    before = video.read_bytes() if video.is_file() else None
    out = tmp_path / "out"
    r = run_cli("analyze", video, "-o", out)
    assert r.returncode == code, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("gaitlens: error:")]
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()  # nothing half-written
    if before is not None:
        assert video.read_bytes() == before  # input untouched


def test_info_lists_backend_and_model():
    r = run_cli("info")
    assert r.returncode == 0
    assert "mediapipe" in r.stdout and "available" in r.stdout
    assert "pose models (folder:" in r.stdout and "full: " in r.stdout
