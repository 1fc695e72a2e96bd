"""A 120 fps render stored at 30 fps (4x slow motion) through MediaPipe and the command
line: without metadata one line naming the factor and the rerun, nothing written; with
``--capture-fps 120`` and with Android's capture-rate tag the analysis runs in real
time, and the two give the same pose, events and cadence (the pose graph gets the same
real-time timestamps)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import as_slow_motion

pytestmark = pytest.mark.slow


def run_cli(*args):
    """The CLI with one pose graph, so that the runs compared see the same track (a
    full-suite run once found only 2 consistent strides in a 3.5 s clip analysed on two
    time segments; alone it passed), each frame posed once (the flip test doubles the
    pose time and is not what these tests are about: tests/integration/test_flip_test.py)."""
    cmd = [sys.executable, "-m", "gaitlens", *map(str, args), "--pose-workers", "1",
           "--no-flip-test"]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_slow_motion_clip_through_the_cli(tmp_path):
    pytest.importorskip("mediapipe")
    from gaitlens.synthetic import RunnerParams, render, simulate

    run = simulate(RunnerParams(fps=120.0, duration_s=4.5, image_size_px=(360, 480),
                                sensor_noise_std=1.5, seed=3))  # fmt: skip
    src = render(run, tmp_path / "hs120.mp4", write_truth=False)
    plain = as_slow_motion(src, tmp_path / "slowmo.mp4", 4)
    tagged = as_slow_motion(src, tmp_path / "slowmo_tag.mp4", 4, capture_fps=120)

    out = tmp_path / "no_meta"
    r = run_cli("analyze", plain, "-o", out, "--no-video", "-q")
    assert r.returncode == 5, r.stderr
    line = r.stderr.strip()
    assert "\n" not in line and "Traceback" not in r.stderr
    assert "4x slow motion" in line and line.endswith("--capture-fps 120")
    assert not out.exists()  # nothing half-written

    given = tmp_path / "given"
    r = run_cli("analyze", plain, "-o", given, "--no-video", "--capture-fps", "120", "-q")
    assert r.returncode == 0, r.stderr
    a = json.loads((given / "analysis.json").read_text())
    assert a["time_base"]["source"] == "given"
    assert a["time_base"]["capture_fps"] == pytest.approx(120)
    assert abs(a["summary"]["cadence_spm"] - run.params.cadence_spm) < 2.0

    meta = tmp_path / "meta"
    r = run_cli("analyze", tagged, "-o", meta, "--no-video")
    assert r.returncode == 0, r.stderr
    assert "time base read from the file's metadata" in r.stdout
    b = json.loads((meta / "analysis.json").read_text())
    assert b["time_base"]["source"] == "metadata"
    assert b["video"]["capture_fps"] == pytest.approx(120)
    # same frames, same real-time timestamps for the pose graph: the same result
    assert b["summary"]["cadence_spm"] == pytest.approx(a["summary"]["cadence_spm"], abs=0.01)
    ta = np.array([s["ic_s"] for s in a["strides"]])
    tb = np.array([s["ic_s"] for s in b["strides"]])
    np.testing.assert_allclose(ta, tb, atol=1e-3)
