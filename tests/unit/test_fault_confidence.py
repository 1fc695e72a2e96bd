"""Measured confidence (issue 21): bootstrap over strides, halves of the clip,
test-retest noise and the limits resampling cannot see, on hand-built stride tables
with known answers (gaitlens.faults.uncertainty and gaitlens.faults.judge)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from gaitlens import faults
from gaitlens.faults.judge import measured_level
from gaitlens.faults.rules import load_rules
from gaitlens.faults.uncertainty import halves, percentile_interval, row_quantile
from tests.unit.test_faults import (
    DEFAULT,
    NO_GUARD,
    PELVIS_LAG,
    SITTING,
    good_quality,
    make_bands,
    make_frames,
    make_strides,
    run,
)

NO_NOISE = pd.DataFrame(columns=["sem", "mdc95", "n_pairs"])


def test_row_quantile_matches_numpy_with_missing_values():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 50, 9))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[0, 0] = np.nan  # a row with nothing measured
    for q in (0.0, 0.25, 0.5, 0.9, 1.0):
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
            want = np.nanquantile(x, q, axis=-1)
        np.testing.assert_allclose(row_quantile(x, q), want, equal_nan=True)


def test_halves_split_in_time_and_need_enough_strides():
    t = np.array([5.0, 1.0, 3.0, 2.0, 4.0, 0.0])
    first, second = halves(t, 3)
    assert sorted(t[first]) == [0.0, 1.0, 2.0] and sorted(t[second]) == [3.0, 4.0, 5.0]
    assert halves(t, 4) == []


def test_percentile_interval_known_answer():
    lo, hi = percentile_interval(np.arange(1001.0))
    assert lo == pytest.approx(25.0) and hi == pytest.approx(975.0)


def test_measured_level_thresholds():
    rules = load_rules()
    agree = lambda k: np.r_[np.ones(k, bool), np.zeros(400 - k, bool)]  # noqa: E731
    assert measured_level(True, agree(400), [True, True], rules)[0] == "high"
    assert measured_level(True, agree(391), [True, True], rules)[0] == "high"  # 97.75 %
    assert measured_level(True, agree(389), [True, True], rules)[0] == "medium"
    assert measured_level(True, agree(330), [], rules)[0] == "medium"
    assert measured_level(True, agree(300), [], rules)[0] == "low"
    assert measured_level(False, ~agree(400), [False, False], rules)[0] == "high"
    level, why = measured_level(True, agree(400), [True, False], rules)
    assert level == "medium" and "half" in why


def test_clear_fault_and_clear_health_are_high_with_intervals_on_one_side():
    mild = load_rules()["decision"]["mild_score"]
    lag = run(make_strides(shift=PELVIS_LAG))["pelvis_lag"]
    assert lag.severity == "marked" and lag.confidence == "high" and lag.p_fault == 1.0
    assert mild < lag.score_interval[0] <= lag.score <= lag.score_interval[1]
    ok = run(make_strides())["pelvis_lag"]
    # the measurement's accuracy enters every replicate: a clear verdict, not a certain one
    assert ok.severity == "none" and ok.confidence == "high" and ok.p_fault <= 0.025
    assert ok.score_interval[1] < mild
    for side in ("left", "right"):
        assert len(lag.per_side[side]["halves_scores"]) == 2


def test_verdict_at_the_threshold_is_not_given():
    """Strides spread across the band edge: the resamples split, so no verdict."""
    shift = {m: 1.9 * np.sign(v) for m, v in SITTING.items()}  # medians at the band edge
    for seed in (0, 1, 2):
        s = make_strides(shift=shift, noise_sd=1.2, n_per_side=10, seed=seed, sides=("left",))
        f = run(s)["pelvis_back_hips_flexed"]
        assert not f.judged and f.confidence == "low" and f.severity == "none"
        assert 0.2 < f.p_fault < 0.8
    assert any("either way" in r or "cannot tell" in r for r in f.confidence_reasons)
    assert f.score_interval[0] < load_rules()["decision"]["mild_score"] < f.score_interval[1]


def test_interval_narrows_with_more_strides_and_widens_with_noise():
    shift = {m: 3.0 * np.sign(v) for m, v in SITTING.items()}

    def width(n, noise_sd, noise_table=NO_NOISE):
        s = make_strides(shift=shift, noise_sd=noise_sd, n_per_side=n, seed=4)
        out = faults.classify(s, make_frames(20), good_quality(), make_bands(), NO_GUARD,
                              noise_table)  # fmt: skip
        lo, hi = out[1].score_interval
        return hi - lo

    assert width(24, 0.8) < width(6, 0.8)
    assert width(12, 0.3) < width(12, 1.0)
    sem = pd.DataFrame({"sem": [7.0, 7.0, 7.0], "mdc95": [19.4] * 3, "n_pairs": [17] * 3},
                       index=list(SITTING))  # fmt: skip
    assert width(12, 0.3, sem) > width(12, 0.3)  # one SD of test-retest error per metric


def test_same_input_same_confidence():
    s = make_strides(shift={m: 2.5 * np.sign(v) for m, v in SITTING.items()}, noise_sd=0.8)
    a, b = run(s), run(s.sample(frac=1.0, random_state=1))  # rows in another order
    for fid in a:
        assert a[fid].score_interval == b[fid].score_interval
        assert (a[fid].p_fault, a[fid].confidence) == (b[fid].p_fault, b[fid].confidence)


def test_evidence_carries_the_interval_of_its_median():
    lag = run(make_strides(shift=PELVIS_LAG))["pelvis_lag"]
    for e in lag.evidence:
        assert e.value_low <= e.value <= e.value_high, e.metric
    d = lag.to_dict()
    assert d["score_interval"] and "p_fault" in d and "value_low" in d["evidence"][0]


def test_many_strides_set_aside_means_low_confidence():
    s = make_strides(shift=PELVIS_LAG)
    keep = run(s, quality=good_quality(n_valid_strides=16, n_rejected_strides=8))
    assert keep["pelvis_lag"].confidence == "high"  # a third: still allowed
    lost = run(s, quality=good_quality(n_valid_strides=16, n_rejected_strides=9))
    f = lost["pelvis_lag"]
    assert f.confidence == "low" and not f.judged
    assert any("set aside" in r for r in f.confidence_reasons)


def test_few_strides_cap_at_medium():
    f = run(make_strides(shift=PELVIS_LAG, n_per_side=4))["pelvis_lag"]
    assert f.severity == "marked" and f.confidence == "medium"
    assert any("too few for resampling" in r for r in f.confidence_reasons)


def test_inside_the_guard_band_neither_verdict_is_proven():
    """Medians 0.5 SD (3.5 deg) beyond the band edge, within the hip angle's 6.5 deg
    video accuracy: the guard band keeps the verdict at none, and since the true values are
    more likely beyond the edge than inside it, the clip gets no verdict (ISO 14253-1)."""
    s = make_strides(shift={m: 2.5 * np.sign(v) for m, v in SITTING.items()}, noise_sd=0.1)
    f = run(s, config=DEFAULT)["pelvis_back_hips_flexed"]
    assert f.severity == "none" and f.confidence == "low" and not f.judged
    assert f.p_fault > 0.5
    assert any("cannot tell" in r for r in f.confidence_reasons)
    assert "edge of the healthy range" in f.advice  # not filming advice: it would not help
    # well inside the band by more than the accuracy: a verdict of none is given
    inside = make_strides(shift={m: -0.5 * np.sign(v) for m, v in SITTING.items()}, noise_sd=0.1)
    g = run(inside, config=DEFAULT)["pelvis_back_hips_flexed"]
    assert g.severity == "none" and g.judged and g.confidence in ("medium", "high")
    # a perfectly accurate measurement: 0.5 SD beyond the edge is the fault, confidently
    exact = SimpleNamespace(faults={"guard_k": 0.0, "measurement_uncertainty": {
        m: {"value": 0.0} for m in SITTING}}, bands={})  # fmt: skip
    h = run(s, config=exact)["pelvis_back_hips_flexed"]
    assert h.severity == "mild" and h.judged and h.p_fault > 0.9


def test_none_is_not_given_when_a_leg_leans_beyond_the_band():
    """One leg clearly healthy, the other within the accuracy of the band edge but more
    likely beyond it: that leg cannot tell, so the clip gives no verdict (not "none")."""
    shift = {(m, "left"): -0.5 * np.sign(v) for m, v in SITTING.items()}
    shift.update({(m, "right"): 2.5 * np.sign(v) for m, v in SITTING.items()})
    f = run(make_strides(shift=shift, noise_sd=0.1), config=DEFAULT)["pelvis_back_hips_flexed"]
    assert f.per_side["left"]["judged"] and not f.per_side["right"]["judged"]
    assert f.per_side["right"]["p_fault"] >= 0.5
    assert not f.judged and f.confidence == "low" and f.severity == "none"
    assert any(r.startswith("right side not judged (cannot tell") for r in f.confidence_reasons)
