"""Band arithmetic of scripts/derive_reference_bands.py (trial-mean and pooled-stride
rules) on made-up strides; the derivation itself needs ../shared data and runs as a
script."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "derive_reference_bands.py"


@pytest.fixture(scope="module")
def dr():
    spec = importlib.util.spec_from_file_location("derive_reference_bands", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["derive_reference_bands"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_band_over_trial_means(dr):
    rng = np.random.default_rng(0)
    trial_means = {"A_T25": 10.0, "A_T35": 12.0, "B_T25": 14.0, "C_T35": 16.0}
    x, trial, subj = [], [], []
    for name, m in trial_means.items():
        v = m + rng.normal(0, 0.5, 40)
        v[0] = m + 50  # an event failure: dropped by the 3.5 robust z rule
        x += list(v)
        trial += [name] * 40
        subj += [name[0]] * 40
    b = dr.band_from_trials(np.array(x), np.array(trial), np.array(subj))
    tm = np.array([np.mean(np.array(x)[(np.array(trial) == n)][1:]) for n in trial_means])
    assert b["mean"] == pytest.approx(tm.mean())
    assert b["sd"] == pytest.approx(tm.std(ddof=1))
    assert b["low"] == pytest.approx(tm.mean() - 2 * tm.std(ddof=1))
    assert b["n_trials"] == 4 and b["n_subjects"] == 3 and b["n_dropped"] == 4
    # subjects: A = mean of its two trials
    sm = [np.mean(tm[:2]), tm[2], tm[3]]
    assert b["sd_between_subjects"] == pytest.approx(np.std(sm, ddof=1))
    # the pooled-stride band (the previous rule) is kept; within-trial SD about 0.5
    assert b["pooled_strides"]["n"] == 156
    assert 0.3 < b["sd_within_trials"] < 0.7


def test_candidate_and_insensitive_metrics_declared(dr):
    assert set(dr.EVENT_INSENSITIVE) <= set(dr.FUKUCHI_METRICS + dr.KNEE_METRICS)
    assert {"pelvis_lag_pct", "pelvis_surge_legs_per_s"} <= set(dr.FUKUCHI_METRICS)
