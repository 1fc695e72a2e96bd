"""Unit tests of gaitlens.faults on hand-built stride tables with known answers.

Bands are built here from the literature values of BIOMECHANICS.md section 8 (and,
for the pelvis-timing metrics, round placeholder numbers): the tests check the decision
logic, not the band values.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from gaitlens import faults
from gaitlens.cleaning import ViewCheck
from gaitlens.errors import ConfigError
from gaitlens.schema import FAULT_IDS, frame_columns
from gaitlens.strides import STRIDE_COLUMNS
from gaitlens.units import stored_unit

# metric: (mean, sd); band = mean +- 2 SD
BAND_SPEC = {
    "pelvis_lag_ms": (20.0, 15.0),
    "pelvis_lag_pct": (3.0, 2.0),
    "pelvis_late_swing_excursion_legs": (0.06, 0.015),
    "pelvis_surge_legs_per_s": (0.25, 0.075),
    "hamstring_stretch_peak_pct": (8.0, 1.5),
    "overstride_legs": (0.02, 0.03),
    "hip_flexion_ic_deg": (32.0, 7.0),
    "hip_flexion_midstance_deg": (10.0, 7.0),
    "hip_extension_to_deg": (26.0, 7.0),
    "trunk_lean_mean_deg": (8.0, 3.0),
    "knee_flexion_midstance_deg": (40.0, 5.0),
    "pelvic_tilt_mean_deg": (12.0, 4.0),
    "pelvic_tilt_rom_deg": (7.0, 1.5),
}


def make_bands(spec=BAND_SPEC) -> pd.DataFrame:
    rows = {
        m: {"low": mu - 2 * sd, "high": mu + 2 * sd, "mean": mu, "sd": sd, "n": 10,
            "unit": stored_unit(m), "source": "test", "derivation": "mean +- 2 SD"}
        for m, (mu, sd) in spec.items()
    }  # fmt: skip
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "metric"
    return df


def make_strides(n_per_side=8, shift=None, noise_sd=0.3, seed=0, sides=("left", "right")):
    """Strides at the healthy mean, plus ``shift`` = {metric: SDs} (or {(metric, side): SDs}),
    plus Gaussian noise of ``noise_sd`` SDs."""
    rng = np.random.default_rng(seed)
    rows = []
    for side in sides:
        for k in range(n_per_side):
            t0 = k * 0.7 + (0.35 if side == "right" else 0.0)
            row = {c: np.nan for c in STRIDE_COLUMNS}
            row.update(side=side, stride=k, ic_s=t0, to_s=t0 + 0.25, next_ic_s=t0 + 0.7,
                       stride_time_s=0.7, cadence_spm=171.4, contact_time_s=0.25,
                       flight_time_s=0.1, duty_factor=0.36, quality=1.0,
                       visibility_mean=0.9, events_interpolated=False)  # fmt: skip
            for m, (mu, sd) in BAND_SPEC.items():
                s = (shift or {}).get(m, 0.0) + (shift or {}).get((m, side), 0.0)
                row[m] = mu + sd * (s + noise_sd * rng.standard_normal())
            rows.append(row)
    return pd.DataFrame(rows, columns=list(STRIDE_COLUMNS))


def make_frames(duration_s=6.0, fps=60.0, tilt_conf=0.8):
    t = np.arange(0, duration_s, 1 / fps)
    df = pd.DataFrame({c: np.zeros_like(t) for c in frame_columns()})
    df["time_s"] = t
    df["frame"] = np.arange(len(t))
    df["pelvic_tilt_confidence"] = tilt_conf
    return df


def view(score: float) -> dict:
    """quality['view'] as the cleaning stage's side-view check gives it."""
    check = ViewCheck()
    verdict = (
        "front" if score < check.min_score else "oblique" if score < check.warn_score else "side"
    )
    return {"side_view_score": score, "verdict": verdict}


def good_quality(**kw):
    q = {"sampling_rate_hz": 60.0, "detection_rate": 1.0, "n_valid_strides": 16,
         "n_valid_strides_per_side": {"left": 8, "right": 8}, "left_leg_visibility": 0.9,
         "right_leg_visibility": 0.9, "pelvic_tilt_confidence": 0.8, "near_side": "left",
         "view": view(0.9)}  # fmt: skip
    q.update(kw)
    return q


# the decision-logic tests run without the guard band (its numbers are data, tested
# separately in test_guard_band_absorbs_measurement_error)
NO_GUARD = SimpleNamespace(faults={"guard_k": 0.0}, bands={})
DEFAULT = SimpleNamespace(faults={}, bands={})


def run(strides, quality=None, frames=None, config=NO_GUARD, bands=None):
    frames = make_frames() if frames is None else frames
    out = faults.classify(strides, frames, quality or good_quality(),
                          make_bands() if bands is None else bands, config)  # fmt: skip
    return {f.id: f for f in out}


PELVIS_LAG = {"pelvis_lag_pct": 4.0, "pelvis_lag_ms": 4.0, "pelvis_late_swing_excursion_legs": -4.0,
              "pelvis_surge_legs_per_s": -3.0}  # fmt: skip
SITTING = {"hip_flexion_ic_deg": 4.0, "hip_flexion_midstance_deg": 4.0,
           "hip_extension_to_deg": -4.0}  # fmt: skip
TILT = {"pelvic_tilt_mean_deg": -4.0, "pelvic_tilt_rom_deg": -4.0}


def test_healthy_runner_has_no_fault_with_high_confidence():
    res = run(make_strides())
    assert list(res) == list(FAULT_IDS)
    for fid, f in res.items():
        assert f.severity == "none", fid
        assert f.score < 1 / 3
        assert f.judged
    assert res["pelvis_lag"].confidence == "high"
    assert res["pelvic_tilt_suppressed"].confidence == "medium"  # tilt is estimated


@pytest.mark.parametrize(
    "shift,fid",
    [
        (PELVIS_LAG, "pelvis_lag"),
        (SITTING, "pelvis_back_hips_flexed"),
        (TILT, "pelvic_tilt_suppressed"),
    ],  # fmt: skip
)
def test_each_fault_is_detected_and_only_it(shift, fid):
    res = run(make_strides(shift=shift))
    assert res[fid].severity == "marked"
    assert res[fid].score >= 2 / 3
    for other in FAULT_IDS:
        if other != fid:
            assert res[other].severity == "none", other
    assert res[fid].advice and res[fid].explanation
    assert set(res[fid].per_side) == {"left", "right"}


def test_one_bad_stride_does_not_make_a_fault_but_a_pattern_does():
    s = make_strides()
    left = s.index[s.side == "left"]
    s.loc[left[3], "pelvis_lag_pct"] += 20 * 2.0  # one wild stride
    s.loc[left[3], "pelvis_late_swing_excursion_legs"] -= 20 * 0.015
    f = run(s)["pelvis_lag"]
    assert f.severity == "none"
    ev = [e for e in f.evidence if e.metric == "pelvis_lag_pct" and e.side == "left"]
    assert ev[0].strides_outside == [3]  # reported as evidence, yet no fault
    for k in left[:6]:  # now 6 of 8 strides
        s.loc[k, "pelvis_lag_pct"] = 3.0 + 2.0 * 4.0
        s.loc[k, "pelvis_late_swing_excursion_legs"] = 0.06 - 0.015 * 4.0
    assert run(s)["pelvis_lag"].severity != "none"


def test_sides_judged_separately():
    shift = {(m, "right"): v for m, v in SITTING.items()}
    f = run(make_strides(shift=shift))["pelvis_back_hips_flexed"]
    assert f.per_side["right"]["severity"] == "marked"
    assert f.per_side["left"]["severity"] == "none"
    assert f.severity == "marked"
    assert "right" in f.explanation


def test_graded_magnitude_is_monotonic():
    scores, sevs = [], []
    for mag in (0.0, 0.25, 0.5, 0.75, 1.0):
        shift = {m: v * mag for m, v in PELVIS_LAG.items()}
        f = run(make_strides(shift=shift, seed=1))["pelvis_lag"]
        scores.append(f.score)
        sevs.append(("none", "mild", "marked").index(f.severity))
    assert np.all(np.diff(scores) > 0)
    assert np.all(np.diff(sevs) >= 0)
    assert sevs[0] == 0 and sevs[-1] == 2


def test_supporting_metrics_alone_do_not_assert_a_fault():
    shift = {"trunk_lean_mean_deg": 6.0, "overstride_legs": 6.0,
             "knee_flexion_midstance_deg": 6.0}  # fmt: skip
    f = run(make_strides(shift=shift))["pelvis_back_hips_flexed"]
    assert f.severity == "none"
    assert f.score > 0.3  # the score still shows it


def test_too_few_strides_gives_low_confidence_and_no_verdict():
    f = run(make_strides(n_per_side=2, shift=PELVIS_LAG))["pelvis_lag"]
    assert f.confidence == "low" and f.severity == "none" and not f.judged
    assert "strides" in " ".join(f.confidence_reasons)
    assert "could not be judged" in f.explanation


def test_far_leg_invisible_judges_near_side_only():
    q = good_quality(right_leg_visibility=0.2)
    shift = {(m, "left"): v for m, v in PELVIS_LAG.items()}
    f = run(make_strides(shift=shift), quality=q)["pelvis_lag"]
    assert f.per_side["right"]["judged"] is False
    assert f.per_side["left"]["severity"] == "marked"
    assert f.severity == "marked" and f.confidence != "low"
    assert any("right" in r for r in f.confidence_reasons)
    g = run(make_strides(), quality=q)["pelvis_lag"]
    assert g.severity == "none" and g.confidence == "medium"  # other side unknown


def test_pelvis_not_seen_blocks_tilt_verdict():
    f = run(make_strides(shift=TILT), quality=good_quality(pelvic_tilt_confidence=0.1))
    tilt = f["pelvic_tilt_suppressed"]
    assert tilt.confidence == "low" and tilt.severity == "none"
    assert any("pelvis" in r for r in tilt.confidence_reasons)
    assert f["pelvis_lag"].confidence == "high"  # other faults unaffected


def test_per_stride_tilt_confidence_from_frames():
    # frame-level tilt confidence low everywhere: strides are dropped from the tilt metrics
    q = good_quality()
    q.pop("pelvic_tilt_confidence")
    f = run(make_strides(shift=TILT), quality=q, frames=make_frames(tilt_conf=0.1))
    assert f["pelvic_tilt_suppressed"].confidence == "low"


def test_nan_metrics_give_low_confidence():
    s = make_strides(shift=PELVIS_LAG)
    for m in PELVIS_LAG:
        s[m] = np.nan
    f = run(s)["pelvis_lag"]
    assert f.confidence == "low" and f.severity == "none"
    assert any("not measured" in r for r in f.confidence_reasons)


def test_low_frame_rate_and_view():
    # 30 fps: no rule caps the timing fault; its accuracy at 30 fps is in the guard band
    # and the spread in the bootstrap, so the same strides get the same confidence
    s = make_strides(shift=PELVIS_LAG)
    f30 = run(s, quality=good_quality(sampling_rate_hz=30.0))
    f60 = run(s, quality=good_quality(sampling_rate_hz=60.0))
    assert f30["pelvis_lag"].confidence == f60["pelvis_lag"].confidence == "high"
    low = run(s, quality=good_quality(sampling_rate_hz=20.0))
    assert all(x.confidence == "low" and not x.judged for x in low.values())
    g = run(make_strides(shift=PELVIS_LAG), quality=good_quality(view=view(0.1)))
    assert all(x.confidence == "low" and x.severity == "none" for x in g.values())


def test_missing_band_uses_literature_fallback_or_says_so():
    bands = make_bands().drop(index=["hip_flexion_ic_deg", "pelvis_lag_ms", "pelvis_lag_pct",
                                     "pelvis_late_swing_excursion_legs",
                                     "pelvis_surge_legs_per_s"])  # fmt: skip
    res = run(make_strides(), bands=bands)
    ev = [e for e in res["pelvis_back_hips_flexed"].evidence if e.metric == "hip_flexion_ic_deg"]
    assert ev and ev[0].band_source.startswith("literature fallback")
    lag = res["pelvis_lag"]
    assert lag.confidence == "low" and any("no reference band" in r for r in lag.confidence_reasons)


def test_config_overrides_rules_and_bands():
    # 3.5 SD from the healthy mean = 1.5 SD beyond the band edge, 0.57 SD beyond the
    # 6.5 deg guard band (6.5/7 SD): mild by default
    s = make_strides(shift={m: 3.5 * np.sign(v) for m, v in SITTING.items()}, noise_sd=0.1)
    base = run(s, config=DEFAULT)["pelvis_back_hips_flexed"]
    assert base.severity == "mild"
    cfg = SimpleNamespace(faults={"pelvis_back_hips_flexed": {"marked_excess_sd": 0.4}}, bands={})
    assert run(s, config=cfg)["pelvis_back_hips_flexed"].severity == "marked"
    cfg = SimpleNamespace(faults={}, bands={"hip_flexion_ic_deg": {"high": 80.0},
                                            "hip_flexion_midstance_deg": {"high": 80.0},
                                            "hip_extension_to_deg": {"low": -30.0}})  # fmt: skip
    assert run(s, config=cfg)["pelvis_back_hips_flexed"].severity == "none"
    cfg = SimpleNamespace(faults={"pelvis_back_hips_flexed": {"weights": {
        "hip_flexion_ic_deg": 0, "hip_flexion_midstance_deg": 0, "hip_extension_to_deg": 0}}},
        bands={})  # fmt: skip
    f = run(s, config=cfg)["pelvis_back_hips_flexed"]
    assert f.confidence == "low"  # no primary metric left


def test_config_typos_are_errors():
    with pytest.raises(ConfigError):
        faults.load_rules({"pelvis_lagg": {"mild_score": 0.2}})
    with pytest.raises(ConfigError):
        faults.load_rules({"pelvis_lag": {"mild_scor": 0.2}})
    with pytest.raises(ConfigError):
        faults.load_rules({"pelvis_lag": {"weights": {"no_such_metric": 1}}})


def test_to_dict_is_json_safe():
    s = make_strides(shift=PELVIS_LAG)
    s.loc[s.index[0], "overstride_legs"] = np.nan
    for f in run(s).values():
        d = f.to_dict()
        text = json.dumps(d, allow_nan=False)
        assert d["id"] in text
        assert {"id", "title", "severity", "score", "confidence", "confidence_reasons",
                "evidence", "explanation", "advice", "per_side"} <= set(d)  # fmt: skip
        ev = d["evidence"][0]
        assert {"metric", "label", "value", "unit", "band_low", "band_high", "side",
                "strides_outside", "n_strides", "direction"} <= set(ev)  # fmt: skip


def test_stride_flags():
    s = make_strides(shift={(m, "left"): v for m, v in PELVIS_LAG.items()})
    fl = faults.stride_flags(s, make_bands(), config=NO_GUARD)
    assert len(fl) == len(s)
    assert {"side", "stride", "pelvis_lag_pct_outside", *FAULT_IDS} <= set(fl)
    assert fl.loc[fl.side == "left", "pelvis_lag"].all()
    assert not fl.loc[fl.side == "right", "pelvis_lag"].any()
    assert not fl["pelvic_tilt_suppressed"].any()
    assert fl["pelvis_lag"].dtype == bool


def test_empty_table():
    res = run(make_strides(n_per_side=0))
    assert all(f.confidence == "low" and f.severity == "none" for f in res.values())


def test_one_sided_user_band_without_sd():
    bands = make_bands().drop(index=["pelvis_lag_ms", "pelvis_lag_pct"])
    bands.loc["pelvis_lag_ms"] = {"low": None, "high": 60.0, "mean": None, "sd": None}
    s = make_strides(shift={"pelvis_late_swing_excursion_legs": -4.0,
                            "pelvis_surge_legs_per_s": -4.0})  # fmt: skip
    s["pelvis_lag_ms"] = 90.0  # 30 ms beyond the user's edge (no guard band here)
    f = run(s, bands=bands)["pelvis_lag"]
    ev = {e.metric: e for e in f.evidence}
    assert ev["pelvis_lag_ms"].excess_sd == pytest.approx(30 / 6.0)  # scale: 10 % of the edge
    assert f.severity == "marked" and f.confidence == "medium"  # pelvis_lag_pct has no band


def test_view_score_from_cleaning():
    s = make_strides(shift=SITTING)
    f = run(s, quality=good_quality(view=view(0.5)))
    assert f["pelvis_back_hips_flexed"].confidence == "medium"
    assert f["pelvis_back_hips_flexed"].severity == "marked"
    g = run(s, quality=good_quality(view=view(0.2)))
    assert all(x.confidence == "low" and x.severity == "none" for x in g.values())


def test_guard_band_absorbs_measurement_error():
    # 2.5 SD from the mean = 0.5 SD (3.5 deg) beyond the edge: within the 6.5 deg video error
    s = make_strides(shift={m: 2.5 * np.sign(v) for m, v in SITTING.items()}, noise_sd=0.1)
    f = run(s, config=DEFAULT)["pelvis_back_hips_flexed"]
    assert f.severity == "none"
    no_guard = NO_GUARD
    assert run(s, config=no_guard)["pelvis_back_hips_flexed"].severity == "mild"
    wider = SimpleNamespace(faults={"measurement_uncertainty": {"hip_flexion_ic_deg": 1.0,
        "hip_flexion_midstance_deg": 1.0, "hip_extension_to_deg": 1.0}}, bands={})  # fmt: skip
    assert run(s, config=wider)["pelvis_back_hips_flexed"].severity == "mild"
    fl = faults.stride_flags(s, make_bands(), sampling_rate_hz=60.0)
    assert not fl["hip_flexion_ic_deg_outside"].any()
    assert faults.stride_flags(s, make_bands(), config=no_guard)["hip_flexion_ic_deg_outside"].all()


def test_guard_band_units():
    rules = faults.load_rules({"measurement_uncertainty": {
        "pelvis_lag_ms": {"value": 10.0, "frames": 1.0},
        "pelvis_lag_pct": {"value": 3.0, "frames": 1.0}}})  # fmt: skip
    s = make_strides(n_per_side=2)
    g = faults.guard_band(rules, "pelvis_lag_ms", s, 50.0)
    assert g == pytest.approx(np.full(4, 10.0 + 1000 / 50))  # value + 1 frame at 50 fps
    g = faults.guard_band(rules, "pelvis_lag_pct", s, 50.0)  # strides of 0.7 s
    assert g == pytest.approx(np.full(4, 3.0 + 100 / (50 * 0.7)))
    assert faults.guard_band(rules, "pelvis_lag_pct", s, None) == pytest.approx(3.0)
    assert faults.guard_band(rules, "hip_flexion_ic_deg", s, None) == pytest.approx(6.5)
    off = faults.load_rules({"guard_k": 0})
    assert not faults.guard_band(off, "hip_flexion_ic_deg", s, 60.0).any()


def test_accuracy_grows_for_a_small_runner_and_never_shrinks():
    from gaitlens.faults.rules import measurement_uncertainty

    lag = {"value": 10.0, "frames": 1.0}
    rules = faults.load_rules(
        {"measurement_uncertainty": {"reference_leg_length_px": 200, "pelvis_lag_ms": lag}}
    )
    s = make_strides(n_per_side=2)
    u = lambda m, leg: measurement_uncertainty(rules, m, s, 50.0, leg)  # noqa: E731
    assert u("hip_flexion_ic_deg", 100.0) == pytest.approx(13.0)  # 6.5 deg x 200/100
    assert u("hip_flexion_ic_deg", 400.0) == pytest.approx(6.5)  # a bigger runner: as measured
    assert u("hip_flexion_ic_deg", None) == pytest.approx(6.5)
    assert u("pelvis_lag_ms", 100.0) == pytest.approx(20.0 + 20.0)  # the frame term is not scaled
    assert faults.guard_band(rules, "hip_flexion_ic_deg", s, 50.0, 100.0) == pytest.approx(13.0)


def test_accuracy_correlation_is_symmetric_and_valid():
    from gaitlens.faults.rules import accuracy_correlation

    rules = faults.load_rules()
    names = ["hip_flexion_ic_deg", "hip_flexion_midstance_deg", "hip_extension_to_deg"]
    c = accuracy_correlation(rules, names)
    assert c[1, 2] == c[2, 1] == pytest.approx(-0.8) and c[0, 1] == 0.0
    assert np.allclose(np.diag(c), 1.0) and np.linalg.eigvalsh(c).min() > 0
    bad = {"a": {"correlation": {"b": 0.99, "c": 0.99}}, "b": {"correlation": {"c": -0.99}}}
    c = accuracy_correlation({"measurement_uncertainty": bad}, ["a", "b", "c"])
    assert np.allclose(np.diag(c), 1.0) and np.linalg.eigvalsh(c).min() > 0
