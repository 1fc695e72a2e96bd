"""Parallel pose over time segments: segment plan, worker count, seeking reads."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlens.io import video as gv
from gaitlens.pose import runner
from tests.conftest import write_clip


def _read(path, **kw):
    return [(f.time_s, f.image[0, :, 2].argmax()) for f in gv.read_frames(path, **kw)]


@pytest.mark.parametrize("first_pts_s", [0.0, 0.5])
def test_segments_read_by_seeking_tile_the_clip_exactly(tmp_path, first_pts_s):
    # variable frame rate, a non-zero first timestamp, and key frames every 10 frames
    rng = np.random.default_rng(3)
    times = first_pts_s + np.cumsum(rng.uniform(1 / 60, 1 / 24, 120))
    path = write_clip(tmp_path / "vfr.mp4", times, gop=10)
    whole = _read(path)
    origin = gv.first_frame_time_s(path)
    assert origin == pytest.approx(times[0], abs=1e-3)  # container ticks
    cuts = [None, 1.0, 2.2, None]
    parts = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        parts += _read(path, start_s=a, end_s=b, origin_s=origin)
    assert len(parts) == len(whole) == 120
    assert np.allclose([t for t, _ in parts], [t for t, _ in whole], atol=1e-9)
    assert [m for _, m in parts] == [m for _, m in whole]  # same pictures, same order
    seg = _read(path, start_s=1.0, end_s=2.2, origin_s=origin)
    assert all(1.0 <= t < 2.2 for t, _ in seg) and seg


def test_seeking_without_origin_is_refused(tmp_path):
    path = write_clip(tmp_path / "c.mp4", np.arange(30) / 30)
    with pytest.raises(ValueError, match="origin_s"):
        list(gv.read_frames(path, start_s=0.5))


def test_segment_past_the_end_is_empty_not_an_error(tmp_path):
    path = write_clip(tmp_path / "c.mp4", np.arange(30) / 30)
    assert _read(path, start_s=5.0, origin_s=0.0) == []


def test_pose_segments_plan_depends_on_the_duration_only():
    """The same clip is cut the same way on any machine (the core count only sets how
    many threads work through the segments)."""
    assert runner.pose_segments(7.9) == [(None, None)]  # too short to split
    assert runner.pose_segments(0.0) == [(None, None)]  # duration unknown
    assert runner.pose_segments(8.0) == [(None, 4.0), (4.0, None)]
    assert len(runner.pose_segments(12.0)) == 3  # each part >= MIN_SEGMENT_S
    plan = runner.pose_segments(300.0)
    assert len(plan) == runner.MAX_POSE_WORKERS and plan[0][0] is None and plan[-1][1] is None
    assert all(a[1] == b[0] for a, b in zip(plan, plan[1:]))  # consecutive, no gap


def test_pose_workers_follow_request_cores_and_batch_cap(monkeypatch):
    monkeypatch.delenv("GAITLENS_POSE_WORKERS", raising=False)
    assert runner.resolve_pose_workers(3) == 3
    auto = runner.resolve_pose_workers(None)
    assert 1 <= auto <= runner.MAX_POSE_WORKERS
    monkeypatch.setenv("GAITLENS_POSE_WORKERS", "1")  # set in each batch worker
    assert runner.resolve_pose_workers(None) == 1


class _Seg:
    def __init__(self, times, offset_px=0.0, warmup_from=None):
        self.time_s = list(times)
        self.xy_px = [np.full((33, 2), 100.0 + offset_px) for _ in self.time_s]
        # frames before the cut that this (later) segment ran to warm up
        self.warmup = {}
        if warmup_from is not None:
            for t in np.arange(warmup_from, self.time_s[0], 1 / 30):
                self.warmup[round(float(t), 6)] = np.full((33, 2), 100.0 + offset_px)


class _Meta:
    nominal_fps = 30.0
    height_px = 480


def _times(a, b):
    return [round(float(t), 6) for t in np.arange(round(a * 30), round(b * 30)) / 30]


def test_segments_join_detects_a_gap_but_accepts_a_file_that_ends_early():
    a, b = _Seg(_times(0, 4)), _Seg(_times(4, 8))
    assert runner._segments_join([a, b], _Meta())
    assert runner._segments_join([_Seg(_times(0, 2)), _Seg([])], _Meta())
    assert not runner._segments_join([a, _Seg(_times(4.5, 8))], _Meta())


def test_segments_join_checks_that_both_graphs_agree_on_the_overlap():
    a = _Seg(_times(0, 4))
    agree = _Seg(_times(4, 8), offset_px=0.5, warmup_from=3.5)  # 0.5 px: same person
    jumped = _Seg(_times(4, 8), offset_px=40.0, warmup_from=3.5)  # another person/legs
    assert runner._segments_join([a, agree], _Meta())
    assert not runner._segments_join([a, jumped], _Meta())
