"""Renderer and mocap-driven mode without MediaPipe: frames, files, truth alignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlens.synthetic import RunnerParams, render, simulate
from gaitlens.synthetic.renderer import Renderer

FUKUCHI = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mocap" / "fukuchi2017"


def test_frames_show_the_figure_where_the_truth_says():
    r = simulate(RunnerParams(duration_s=0.3, fps=30, image_size_px=(240, 320)))
    frames = list(Renderer(r).frames())
    assert len(frames) == r.n_frames
    img = frames[0]
    assert img.shape == (320, 240, 3) and img.dtype == np.uint8
    px = r.points_px()
    bg = Renderer(r)._bg
    # the body covers the truth's hip, knee and head pixels (the image differs from background)
    for name in ("right_hip", "left_knee", "right_knee", "head"):
        x, y = np.round(px[name][0]).astype(int)
        assert np.abs(img[y, x].astype(int) - bg[y, x].astype(int)).sum() > 30, name
    # the runner moves between frames
    assert np.abs(frames[0].astype(int) - frames[5].astype(int)).mean() > 0.5


def test_render_writes_h264_and_truth(tmp_path):
    from gaitlens.io.video import probe

    r = simulate(
        RunnerParams(
            duration_s=0.5,
            fps=30,
            image_size_px=(240, 320),
            sensor_noise_std=2.0,
            motion_blur_subframes=2,
        )
    )
    out = render(r, tmp_path / "x.mp4")
    meta = probe(out)
    assert meta.codec == "h264"
    assert (meta.width_px, meta.height_px) == (240, 320)
    assert meta.frame_count == r.n_frames
    assert (tmp_path / "x.truth.json").is_file() and (tmp_path / "x.truth.csv.gz").is_file()


def test_mocap_driven_run():
    path = FUKUCHI / "RBDS001runT25markers.txt"
    if not path.exists():
        pytest.skip("Fukuchi data not available")
    from gaitlens_validation.mocap_driven import mocap_run

    r = mocap_run(path, duration_s=2.0, fps=30, image_size_px=(240, 320))
    assert r.n_frames == 60
    ev = r.events
    assert set(ev.side) == {"left", "right"} and set(ev.event) == {"IC", "TO"}
    s = r.strides
    assert len(s) >= 2
    assert (s.duty_factor < 0.5).all()
    # measured pelvic tilt from ASIS/PSIS: anterior, in the published running band
    assert 5 < s.pelvic_tilt_mean_deg.mean() < 25 and 3 < s.pelvic_tilt_rom_deg.mean() < 15
    # stance foot on the belt at mid-contact
    row = ev[ev.event == "IC"].iloc[0]
    to = ev[(ev.side == row.side) & (ev.event == "TO") & (ev.time_s > row.time_s)].iloc[0]
    mid = int(round(0.5 * (row.time_s + to.time_s) * 30))
    assert r.points_m[f"{row.side}_sole"][mid, 1] < 0.04
    img = next(Renderer(r).frames(mid, mid + 1))
    assert img.shape == (320, 240, 3)
    tr = r.to_pose_track()
    assert tr.detected.all()


def test_make_samples_fast(tmp_path):
    from gaitlens.synthetic import make_samples
    from gaitlens.synthetic.samples import SAMPLES
    from gaitlens.synthetic.truth import load_truth

    paths = make_samples(tmp_path, fast=True)
    assert [p.name for p in paths] == [f"{n}.mp4" for n in SAMPLES]
    readme = (tmp_path / "README.md").read_text()
    for name in SAMPLES:
        assert f"`{name}.mp4`" in readme
        meta, df = load_truth(tmp_path / f"{name}.mp4")
        assert len(df) == meta["params"]["fps"] * meta["params"]["duration_s"]
        present = {k for k, v in meta["faults"].items() if v["present"]}
        assert present == (set() if name == "normal" else {name})
