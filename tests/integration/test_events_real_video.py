"""Events against ground truth: Fukuchi force plates and the real clips (skip when absent).

Thresholds are the levels measured in docs/events.md with a small margin, so a
regression fails; where the issue's targets are not met the docs say so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlens import cleaning, events, strides
from gaitlens.errors import NotRunningError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FUKUCHI = DATA / "mocap" / "fukuchi2017"
RUN_VIDEO = DATA / "videos" / "treadmill_side_runner_30fps.mp4"
WALK_VIDEO = DATA / "videos" / "walk_side_two_people_30fps.mp4"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"reference data not available: {path}")
    return path


@pytest.mark.parametrize("trial", ["RBDS001runT25", "RBDS002runT25", "RBDS002runT45"])
def test_fukuchi_60fps_with_noise(trial):
    from gaitlens_validation.events import evaluate, pool
    from gaitlens_validation.fukuchi import load_trial
    from gaitlens_validation.noise import PoseNoise

    tr = load_trial(_need(FUKUCHI / f"{trial}markers.txt"))
    res = pool([evaluate(tr, 60, PoseNoise(), seed, duration_s=20) for seed in (0, 1)])
    r = res.row()
    assert r["ic_matched"] > 0.95 and r["to_matched"] > 0.95
    # the targets; measured 4.3-6.7 / 6.0-9.0 / 13-19 / 16-22 ms (docs/events.md)
    assert r["ic_median_abs_ms"] <= 10
    assert r["to_median_abs_ms"] <= 10
    assert r["ic_p95_abs_ms"] <= 25
    assert r["to_p95_abs_ms"] <= 25
    assert abs(r["contact_mean_err_ms"]) <= 15
    assert abs(r["cadence_err_pct"]) <= 0.5


def test_fukuchi_ic_bias_does_not_depend_on_speed():
    """Same runner at 2.5 and 4.5 m/s, noise-free, first 20 s: the IC bias differs by
    5.5 ms with the belt-relative margin (12.5 ms with the previous 0.6 x belt-speed
    rule; 7 and 20 ms over the whole trials)."""
    from gaitlens_validation.events import evaluate
    from gaitlens_validation.fukuchi import load_trial

    bias = {}
    for trial in ("RBDS002runT25", "RBDS002runT45"):
        tr = load_trial(_need(FUKUCHI / f"{trial}markers.txt"))
        bias[trial] = evaluate(tr, 60, None, 0, duration_s=20).row()["ic_bias_ms"]
    assert abs(bias["RBDS002runT25"] - bias["RBDS002runT45"]) < 10


def test_fukuchi_noise_free_and_swaps():
    from gaitlens_validation.events import evaluate
    from gaitlens_validation.fukuchi import load_trial
    from gaitlens_validation.noise import PoseNoise

    tr = load_trial(_need(FUKUCHI / "RBDS002runT25markers.txt"))
    clean_r = evaluate(tr, 60, None, 0, duration_s=20).row()
    assert clean_r["ic_median_abs_ms"] <= 10 and clean_r["to_median_abs_ms"] <= 10
    assert abs(clean_r["cadence_err_pct"]) <= 0.5
    assert clean_r["swap_new_pct"] == 0.0
    sw = [evaluate(tr, 30, PoseNoise(swap_rate_per_s=1.0), s, duration_s=20) for s in (0, 1)]
    assert np.mean([r.swap_injected_frac for r in sw]) > 0.04
    assert np.mean([r.swap_residual_frac for r in sw]) < 0.01
    # 120 fps with far-leg dropouts: labels used to flip inside them (1.1-1.2 %)
    sw = [evaluate(tr, 120, PoseNoise(swap_rate_per_s=0.3), s, duration_s=20) for s in (0, 1)]
    assert max(r.swap_residual_frac for r in sw) < 0.01


def _track(path):
    from gaitlens_validation.realvideo import track_video

    return track_video(_need(path))


def test_real_treadmill_clip():
    c = cleaning.clean(_track(RUN_VIDEO))
    assert c.activity == "running" and c.facing == "left"
    summ = strides.summarize_timing(strides.segment(events.detect(c), c))
    assert abs(summ["cadence_spm"] - 168.9) <= 1.0
    assert 0.180 <= summ["contact_time_s"] <= 0.320
    assert 0.25 <= summ["duty_factor"] <= 0.48
    assert summ["n_strides"] >= 15


def test_walking_clip_is_refused():
    track = _track(WALK_VIDEO)
    with pytest.raises(NotRunningError):
        cleaning.clean(track)
