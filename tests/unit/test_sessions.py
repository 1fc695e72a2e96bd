"""Comparing sessions (issue 22): changes against measurement noise, filming
differences, history, the CLI. Stride tables with known shifts and the synthetic runner's
fast path (true keypoints + noise, every stage after pose) give the known answers."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest

from gaitlens.sessions.compare import compare_metrics
from gaitlens.sessions.facts import date_from_name, filming_differences

NOISE = pd.DataFrame(
    {"sem": [1.0, 0.5], "mdc95": [2.77, 1.39], "n_pairs": [20, 20], "sem_setup": [3.0, 0.5]},
    index=["hip_flexion_ic_deg", "trunk_lean_mean_deg"],
)


def table(hip: float, trunk: float, n=24, sd=1.5, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "side": ["left", "right"] * (n // 2),
        "ic_s": np.arange(n) * 0.35,
        "hip_flexion_ic_deg": hip + sd * rng.standard_normal(n),
        "trunk_lean_mean_deg": trunk + 0.5 * sd * rng.standard_normal(n),
    })  # fmt: skip


def by_metric(changes) -> dict:
    return {c.metric: c for c in changes}


def test_identical_sessions_show_no_change():
    t = table(30.0, 7.0)
    ch = by_metric(compare_metrics(t, t, NOISE))
    assert set(ch) == {"hip_flexion_ic_deg", "trunk_lean_mean_deg"}
    for c in ch.values():
        assert c.difference == 0.0 and c.beyond_noise is False
        assert c.difference_low < 0 < c.difference_high


def test_a_large_shift_is_real_and_its_interval_holds_the_truth():
    ch = by_metric(compare_metrics(table(30.0, 7.0, seed=1), table(38.0, 7.0, seed=2), NOISE))
    hip = ch["hip_flexion_ic_deg"]
    assert hip.beyond_noise is True and hip.difference_low < 8.0 < hip.difference_high
    assert hip.noise_ratio > 2
    assert ch["trunk_lean_mean_deg"].beyond_noise is False
    # the change that matters comes first
    first = compare_metrics(table(30.0, 7.0, seed=1), table(38.0, 7.0, seed=2), NOISE)[0]
    assert first.metric == "hip_flexion_ic_deg"


def test_a_shift_below_the_mdc_is_within_noise():
    ch = by_metric(compare_metrics(table(30.0, 7.0, seed=1), table(31.5, 7.0, seed=2), NOISE))
    assert ch["hip_flexion_ic_deg"].beyond_noise is False  # 1.5 deg < MDC95 2.77


def test_filmed_differently_uses_the_setup_spread():
    a, b = table(30.0, 7.0, seed=1), table(36.0, 7.0, seed=2)
    same = by_metric(compare_metrics(a, b, NOISE))["hip_flexion_ic_deg"]
    diff = by_metric(compare_metrics(a, b, NOISE, filmed_differently=True))["hip_flexion_ic_deg"]
    assert same.beyond_noise is True  # 6 deg > 2.77
    assert diff.mdc95 == pytest.approx(1.96 * np.sqrt(2) * 3.0)
    assert diff.beyond_noise is False  # 6 deg < 8.3: could be the camera


def test_the_comparison_is_seeded():
    a, b = table(30.0, 7.0, seed=1), table(33.0, 7.0, seed=2)
    x, y = compare_metrics(a, b, NOISE, seed=4), compare_metrics(a, b, NOISE, seed=4)
    assert [c.to_dict() for c in x] == [c.to_dict() for c in y]


def test_unknown_noise_gives_no_verdict():
    t = table(30.0, 7.0).assign(trunk_lean_mean_deg=np.nan)
    ch = by_metric(compare_metrics(t, t, NOISE.drop(index="hip_flexion_ic_deg"),
                                   metrics=["hip_flexion_ic_deg"]))  # fmt: skip
    assert ch["hip_flexion_ic_deg"].beyond_noise is None


@pytest.mark.parametrize(
    "name, iso",
    [("run_2026-11-30.mp4", "2026-11-30"), ("20261130_gym/clip.mp4", "2026-11-30"),
     ("anna/2026_02_03/a.mov", "2026-02-03"), ("clip.mp4", None), ("2026-13-40.mp4", None)],
)  # fmt: skip
def test_date_from_name(name, iso):
    assert date_from_name(name) == iso


# ---------------------------------------------------------------- whole analyses
@cache
def fast(seed=1, **params):
    """Synthetic runner -> true keypoints + 1.5 px noise -> every stage after pose."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import analyze_track
    from gaitlens.synthetic import RunnerParams, simulate

    run = simulate(RunnerParams(duration_s=9.0, seed=seed, **params))
    return analyze_track(run.to_pose_track(noise_px=1.5, seed=seed),
                         AnalysisConfig(annotated_video=False))  # fmt: skip


def facts(**params):
    from gaitlens.sessions import session_facts

    return session_facts(fast(**params), "x")


def test_the_same_run_compared_with_itself_changes_nothing():
    a = fast()
    c = a.compare(a)
    assert c.changed() == [] and c.differences == [] and c.confidence == "high"
    assert all(f.direction in ("unchanged", "unknown") for f in c.findings)


def test_the_two_halves_of_one_run_change_nothing():
    from gaitlens.reference import measurement_noise
    from gaitlens.sessions.compare import compare_metrics as cm

    st = fast(seed=3).strides
    mid = 0.5 * (st["ic_s"].min() + st["next_ic_s"].max())
    first, second = st[st["ic_s"] < mid], st[st["ic_s"] >= mid]
    changed = [c.metric for c in cm(first, second, measurement_noise()) if c.beyond_noise]
    assert changed == []


def test_a_fault_that_went_away_is_reported_as_improved_beyond_noise():
    a, b = fast(pelvis_lag=1.0), fast(pelvis_lag=0.0)
    c = a.compare(b, labels=("june", "july"))
    f = {x.id: x for x in c.findings}["pelvis_lag"]
    assert f.direction == "improved" and f.beyond_noise, f.sentence
    assert "improved from" in f.sentence and "larger than measurement noise" in f.sentence
    # at full magnitude the pelvis no longer surges (the lag is then undefined)
    assert "pelvis_surge_legs_per_s" in c.changed()
    assert c.metrics[0].beyond_noise  # the changes that matter come first
    d = c.to_dict()
    assert d["before"]["label"] == "june" and d["format"] == "gaitlens-compare"


def test_the_notebook_card_names_each_changed_measure_once():
    """Pelvis lag in ms and in % of the stride share a label: both changed, each carries
    its unit."""
    from gaitlens.report.sessions_page import comparison_card

    c = fast(pelvis_lag=0.7).compare(fast(pelvis_lag=0.0))
    assert {"pelvis_lag_ms", "pelvis_lag_pct"} <= set(c.changed())
    moved = comparison_card(c).split("Changed beyond noise: ")[1].removesuffix("</div>")
    moved = moved.split(", ")
    assert len(moved) == len(set(moved)) == len(c.changed()), moved
    assert "pelvis lag behind swing thigh (ms)" in moved


def test_without_a_verdict_the_fault_measures_that_moved_are_named():
    """A session with no verdict on a fault: the sentence names the fault's primary
    measures that changed beyond noise, and whether toward or away from the pattern."""
    from types import SimpleNamespace as NS

    from gaitlens.sessions.compare import compare_finding

    def finding(judged, severity="none"):
        ev = [NS(metric="hip_flexion_ic_deg", role="primary", direction="high"),
              NS(metric="trunk_lean_mean_deg", role="supporting", direction="high")]  # fmt: skip
        return NS(id="pelvis_back_hips_flexed", title="Pelvis left behind", judged=judged,
                  severity=severity, confidence="medium" if judged else "low", score=0.5,
                  score_interval=[0.4, 0.6], evidence=ev)  # fmt: skip

    changes = compare_metrics(table(30.0, 7.0, seed=1), table(38.0, 12.0, seed=2), NOISE)
    f = compare_finding(finding(False), finding(True, "mild"), (), tuple(changes))
    assert f.direction == "unknown" and "first session gave no verdict" in f.sentence
    assert "hip flexion at foot strike +8" in f.sentence and "toward the pattern" in f.sentence
    assert "trunk" not in f.sentence  # supporting measures are not quoted
    away = compare_metrics(table(38.0, 7.0, seed=1), table(30.0, 7.0, seed=2), NOISE)
    g = compare_finding(finding(True, "mild"), finding(False), (), tuple(away))
    assert "-8" in g.sentence and "away from the pattern" in g.sentence
    h = compare_finding(finding(False), finding(False), (), tuple(compare_metrics(
        table(30.0, 7.0), table(30.0, 7.0), NOISE)))  # fmt: skip
    assert "neither session gave a verdict" in h.sentence and "confidence reasons" in h.sentence


def test_filming_differences_are_detected():
    base = facts()
    assert filming_differences(base, facts(fps=30.0))[0].startswith("frame rates differ")
    assert "camera distance" in " ".join(filming_differences(base, facts(runner_height_frac=0.45)))
    assert "speed" in " ".join(filming_differences(base, facts(speed_m_s=4.5, cadence_spm=178)))
    assert "other side" in " ".join(filming_differences(base, facts(facing="left")))
    assert filming_differences(base, facts(seed=5)) == []  # another take, same set-up


def test_history_steps_down_with_the_fault(tmp_path):
    from gaitlens.sessions import history

    runs = [fast(pelvis_back_hips_flexed=m) for m in (1.0, 0.5, 0.0)]
    h = history(runs, ["s1", "s2", "s3"], ["2026-03-01", "2026-02-01", "2026-04-01"])
    assert [s.label for s in h.sessions] == ["s2", "s1", "s3"]  # by date
    sev = {s.label: {f["id"]: f for f in fs}["pelvis_back_hips_flexed"]
           for s, fs in zip(h.sessions, h.findings)}  # fmt: skip
    order = ("none", "mild", "marked")
    assert order.index(sev["s1"]["severity"]) >= order.index(sev["s3"]["severity"])
    assert sev["s1"]["severity"] != "none" and sev["s3"]["severity"] == "none"
    assert len(h.steps) == 2 and set(h.table["session"]) == {"s1", "s2", "s3"}
    out = h.save(tmp_path / "hist")
    assert {p.name for p in out.iterdir()} == {"history.html", "history.json", "history.csv"}
    text = (out / "history.html").read_text()
    assert "data:image/png;base64," in text and "s3" in text


# ---------------------------------------------------------------- CLI
def _saved(tmp_path, name, **params):
    d = tmp_path / name
    fast(**params).save(d)
    return d


def test_cli_compare_writes_all_three_files_or_none(tmp_path, capsys):
    from gaitlens.cli import main

    a = _saved(tmp_path, "2026-05-01_run", pelvis_lag=1.0)
    b = _saved(tmp_path, "2026-06-01_run", pelvis_lag=0.0)
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "-o", str(out), "-q"]) == 0
    assert {p.name for p in out.iterdir()} == {"compare.html", "compare.json", "compare.csv"}
    data = json.loads((out / "compare.json").read_text())
    assert data["before"]["date"] == "2026-05-01" and data["after"]["date"] == "2026-06-01"
    html = (out / "compare.html").read_text()
    assert "Did it change?" in html and "beyond noise" in html
    # an existing comparison is not overwritten without --force
    assert main(["compare", str(a), str(b), "-o", str(out), "-q"]) == 7
    # a bad input: one line, non-zero, nothing written
    bad = tmp_path / "nothing.mp4"
    out2 = tmp_path / "cmp2"
    assert main(["compare", str(bad), str(b), "-o", str(out2), "-q"]) == 3
    assert not out2.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(line.startswith("gaitlens: error:") for line in err)
