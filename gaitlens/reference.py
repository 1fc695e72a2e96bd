"""Reference bands and normative curves, loaded from data files inside the package.

Numbers live in ``gaitlens/data/reference_bands.json`` and
``gaitlens/data/normative_curves.csv`` with their derivation and source next to them
(see ``gaitlens/data/README.md``); ``scripts/derive_reference_bands.py`` regenerates
both from the Running Biomechanics Data Set (Fukuchi, Fukuchi & Duarte 2017, PeerJ
5:e3298, CC BY 4.0) and the normative running strides (Fukuchi et al., BMC/Running
Injury Clinic, CC BY 4.0). No band is a magic number in code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Optional

import pandas as pd

BAND_COLUMNS = ("low", "high", "mean", "sd", "n", "unit", "source", "derivation")
BANDS_FILE = "reference_bands.json"
CURVES_FILE = "normative_curves.csv"
NOISE_FILE = "test_retest.json"
JOINTS = ("hip_flexion", "knee_flexion", "ankle")


def _data_text(name: str) -> str:
    return resources.files("gaitlens").joinpath("data", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _raw() -> dict:
    return json.loads(_data_text(BANDS_FILE))


def load_constants() -> dict:
    """Model constants stored with the bands (e.g. pelvic-tilt prior and contour offset):
    ``{name: {"value", "sd"?, "n"?, "unit", "source", "derivation"}}``."""
    return {k: dict(v) for k, v in _raw().get("constants", {}).items()}


def load_bands(overrides: Optional[dict] = None) -> pd.DataFrame:
    """Reference bands indexed by ``metric`` with columns ``low, high, mean, sd, n, unit,
    source, derivation``.

    ``overrides`` ``{metric: {"low": x, "high": y}}`` (the user config's ``[bands]``)
    replaces limits; an overridden band says so in ``source``. An override for a metric
    with no stored band adds it.
    """
    rows = []
    for metric, b in _raw()["bands"].items():
        rows.append({"metric": metric, **{c: b.get(c) for c in BAND_COLUMNS}})
    df = pd.DataFrame(rows, columns=("metric",) + BAND_COLUMNS).set_index("metric")
    for metric, ov in (overrides or {}).items():
        if not isinstance(ov, dict):
            raise ValueError(f"band override for {metric} must be a table with low/high")
        bad = set(ov) - {"low", "high"}
        if bad:
            raise ValueError(f"band override for {metric}: unknown key(s) {sorted(bad)}")
        if metric not in df.index:
            df.loc[metric] = {c: None for c in BAND_COLUMNS}
            df.loc[metric, "derivation"] = "user override"
        for k, v in ov.items():
            df.loc[metric, k] = float(v)
        df.loc[metric, "source"] = "user override (config [bands])"
    for c in ("low", "high", "mean", "sd"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def band_info() -> dict:
    """File-level metadata: sources, licence attribution, generation date."""
    return {k: v for k, v in _raw().items() if k not in ("bands", "constants")}


@lru_cache(maxsize=1)
def _noise_raw() -> dict:
    return json.loads(_data_text(NOISE_FILE))


def measurement_noise() -> pd.DataFrame:
    """Test-retest noise of a clip's median per stride metric, indexed by ``metric``
    with columns ``sem``, ``mdc95`` (in the unit of the strides.csv column) and
    ``n_pairs``: the standard error of measurement from split-clip differences and the
    minimal detectable change ``MDC95 = 1.96 x sqrt(2) x SEM`` (Weir 2005, J Strength
    Cond Res 19:231-240). A change between two sessions smaller than MDC95 is within
    measurement noise. ``sem_setup``: the spread of the clip median when the same run
    is filmed differently (mirrored, resized, re-encoded, rotated, darker, half frame
    rate), for comparing sessions filmed differently. Measured by
    ``bench/test_retest.py`` (docs/reliability.md)."""
    rows = [{"metric": m, **v} for m, v in _noise_raw()["metrics"].items()]
    cols = ("metric", "sem", "mdc95", "n_pairs", "sem_setup")
    df = pd.DataFrame(rows, columns=cols).set_index("metric")
    return df.astype({"sem": float, "mdc95": float, "n_pairs": int, "sem_setup": float})


def measurement_noise_info() -> dict:
    """How the measurement noise was measured: method, clips, pose backends, date."""
    return {k: v for k, v in _noise_raw().items() if k != "metrics"}


@lru_cache(maxsize=1)
def _curves() -> pd.DataFrame:
    from io import StringIO

    text = "\n".join(ln for ln in _data_text(CURVES_FILE).splitlines() if not ln.startswith("#"))
    return pd.read_csv(StringIO(text))


def normative_curves() -> pd.DataFrame:
    """Normative sagittal angle curves (``pct_cycle, joint, mean_deg, sd_deg``) of 46
    healthy runners at about 2.5 m/s, in gaitlens sign conventions: hip flexion +
    (the source's hip Z is negated), knee flexion +, ankle dorsiflexion +. Over subjects
    (mean of each subject's mean curve); see gaitlens/data/README.md.
    """
    return _curves().copy()
