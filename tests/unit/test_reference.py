"""Reference bands and normative curves stored in the package."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gaitlens import reference, strides

FAULT_RULES = Path(reference.__file__).parent / "data" / "fault_rules.json"


def test_bands_table_shape_and_sanity():
    b = reference.load_bands()
    assert list(b.columns) == list(reference.BAND_COLUMNS)
    assert b.index.name == "metric"
    for m, r in b.iterrows():
        assert r["low"] < r["high"], m
        assert r["source"] and r["derivation"], m
    for m in ("pelvis_lag_ms", "pelvis_late_swing_excursion_legs", "pelvic_tilt_mean_deg",
              "hip_flexion_ic_deg", "knee_flexion_ic_deg", "hip_extension_to_deg"):  # fmt: skip
        assert m in b.index
        assert b.loc[m, "n"] > 0 and b.loc[m, "sd"] > 0


def test_every_metric_used_by_fault_rules_has_a_band():
    if not FAULT_RULES.is_file():
        pytest.skip("fault rules not present")
    text = FAULT_RULES.read_text()
    used = {m for m in strides.METRIC_COLUMNS if f'"{m}"' in text}
    missing = used - set(reference.load_bands().index)
    assert not missing


def test_overrides_replace_limits_and_say_so():
    b = reference.load_bands({"pelvis_lag_ms": {"high": 60}, "new_metric": {"low": 1, "high": 2}})
    assert b.loc["pelvis_lag_ms", "high"] == 60
    assert "override" in b.loc["pelvis_lag_ms", "source"]
    assert b.loc["new_metric", "low"] == 1
    with pytest.raises(ValueError):
        reference.load_bands({"pelvis_lag_ms": {"hi": 60}})


def test_normative_curves_signs():
    c = reference.normative_curves()
    assert set(c.columns) == {"pct_cycle", "joint", "mean_deg", "sd_deg"}
    assert set(c["joint"]) == set(reference.JOINTS)
    get = lambda j: c[c.joint == j].set_index("pct_cycle")["mean_deg"]  # noqa: E731
    hip, knee, ankle = get("hip_flexion"), get("knee_flexion"), get("ankle")
    assert len(hip) == 101
    assert hip[0] > 15  # hip flexed at IC (source hip Z is negative there)
    assert hip.min() < 0  # extension around toe-off
    assert 0 < knee[0] < 30 and knee.max() > 70  # knee flexed at IC, big peak in swing
    assert ankle[15:30].max() > 10  # dorsiflexion peak in midstance is positive
    assert (c["sd_deg"] > 0).all()


def test_constants_for_the_tilt_estimator():
    k = reference.load_constants()
    for name in ("standing_pelvic_tilt_deg", "running_pelvic_tilt_deg",
                 "running_minus_standing_tilt_deg", "abdomen_tilt_gain_deg"):  # fmt: skip
        assert np.isfinite(k[name]["value"]) and k[name]["derivation"]


def test_band_file_records_sources_and_licence():
    info = reference.band_info()
    assert "CC BY 4.0" in json.dumps(info)


def test_measurement_noise_is_stored_per_metric_with_mdc_from_sem():
    """Test-retest noise (bench/test_retest.py --write): MDC95 = 1.96 sqrt(2) SEM for
    every stored metric, positive, in the column's unit, and known to the registry."""
    noise = reference.measurement_noise()
    assert list(noise.columns) == ["sem", "mdc95", "n_pairs", "sem_setup"]
    assert (noise["sem_setup"] > 0).all()  # the same run filmed differently
    known = set(strides.METRICS)
    assert set(noise.index) <= known
    for m in ("cadence_spm", "contact_time_s", "pelvis_lag_pct", "hip_flexion_ic_deg"):
        assert m in noise.index
    assert (noise["sem"] > 0).all() and (noise["n_pairs"] >= 8).all()
    np.testing.assert_allclose(noise["mdc95"], 1.96 * np.sqrt(2) * noise["sem"], rtol=1e-4)
    # plausible scales: cadence within a few steps/min, contact time within 0.1 s
    assert noise.loc["cadence_spm", "mdc95"] < 5
    assert noise.loc["contact_time_s", "mdc95"] < 0.1
    info = reference.measurement_noise_info()
    assert info["clips"] and info["method"] and "metrics" not in info


def test_key_numbers_show_the_smallest_real_change():
    from gaitlens.report import html
    from tests.report_fixture import demo_analysis

    a = demo_analysis(n_strides=4)
    rows, _ = html.key_numbers(a)
    noise = reference.measurement_noise()
    shown = {r["metric"]: r["mdc"] for r in rows}
    assert shown, "no key numbers"
    for m, text in shown.items():
        if m in noise.index:
            assert text == strides.METRICS[m].label.fmt(noise.loc[m, "mdc95"])
        else:
            assert text == ""
