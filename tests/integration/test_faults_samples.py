"""Fault findings on rendered synthetic clips through MediaPipe (issue 7, "Show").

Uses ``sample_videos/`` at the repository root when ``gaitlens sample`` has rendered it,
else renders short low-resolution clips into a temporary folder. The normal runner must
get no fault above ``none``; a fault clip must get its own fault at ``mild`` or
``marked`` and the others lower (the confusion table of docs/faults.md).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RANK = {"none": 0, "mild": 1, "marked": 2}


def _clip(name: str, tmp_dir: Path) -> Path:
    pre = ROOT / "sample_videos" / f"{name}.mp4"
    if pre.is_file() and Path(f"{pre.with_suffix('')}.truth.json").is_file():
        return pre
    samples = pytest.importorskip("gaitlens.synthetic.samples")
    from gaitlens.synthetic import render, simulate

    # 6 s at 30 fps, 360x480: 8-9 strides per side, MediaPipe in about 10-20 s
    p = replace(samples.sample_params(name), duration_s=6.0, fps=30.0,
                image_size_px=(360, 480), motion_blur_subframes=1)  # fmt: skip
    return render(simulate(p), tmp_dir / f"{name}.mp4")


@pytest.fixture(scope="module")
def tmp_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fault_clips")


def _findings(video: Path) -> dict:
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import analyze

    an = analyze(video, AnalysisConfig(annotated_video=False), progress=False)
    return {f.id: f for f in an.findings}


def test_normal_clip_has_no_fault(tmp_dir):
    by = _findings(_clip("normal", tmp_dir))
    for fid, f in by.items():
        assert f.severity == "none", (fid, f.score, f.explanation)
    assert any(f.judged for f in by.values()), [f.confidence_reasons for f in by.values()]


@pytest.mark.parametrize("fid", ["pelvis_back_hips_flexed", "pelvis_lag", "pelvic_tilt_suppressed"])
def test_fault_clip_shows_its_fault_only(tmp_dir, fid):
    by = _findings(_clip(fid, tmp_dir))
    own = by[fid]
    assert own.judged, own.confidence_reasons
    assert own.severity in ("mild", "marked"), (own.score, own.explanation)
    for other, f in by.items():
        if other != fid:
            assert RANK[f.severity] < RANK[own.severity], (other, f.severity)
    side = [s for s, d in own.per_side.items() if d["severity"] != "none"]
    assert side and own.evidence and own.advice
