"""Per-stride fault flags: which strides show each fault's pattern. The only
implementation: analysis.json, the report's stride table and the annotated video all
read it (``Analysis.stride_flags``)."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from ..schema import FAULT_IDS
from .judge import stride_ids
from .rules import (
    active_metrics,
    band_ok,
    excess,
    guard_band,
    load_rules,
    metric_score,
    param,
    resolve_bands,
)


def stride_flags(
    strides: pd.DataFrame,
    bands: Optional[pd.DataFrame],
    rules: Optional[dict] = None,
    sampling_rate_hz: Optional[float] = None,
    config=None,
    leg_length_px: Optional[float] = None,
) -> pd.DataFrame:
    """Per stride: ``{metric}_outside`` (beyond its band plus the guard band, in a
    direction that counts against a fault), and per fault ``{fault}`` (the stride shows
    the pattern: its weighted score reaches ``mild_score`` with a primary metric
    outside) and ``{fault}_score``. For ``analysis.json``. ``config`` applies the same
    ``[faults]``/``[bands]`` overrides as ``classify``; ``leg_length_px`` (the clip's,
    ``quality["leg_length_px"]``) widens the guard band for a small runner as there."""
    if rules is None:
        rules = load_rules(getattr(config, "faults", None) or None)
    bt = resolve_bands(bands, rules, getattr(config, "bands", None) or None)
    out = pd.DataFrame({"side": strides["side"].to_numpy(), "stride": stride_ids(strides)})
    n = len(strides)
    for fid in FAULT_IDS:
        num, den = np.zeros(n), np.zeros(n)
        pnum, pden = np.zeros(n), np.zeros(n)
        primary_out = np.zeros(n, bool)
        for m in active_metrics(rules, fid):
            metric, direction = m["metric"], m["direction"]
            band = bt.loc[metric] if metric in bt.index else None
            if metric not in strides or not band_ok(band, direction):
                continue
            g = guard_band(rules, metric, strides, sampling_rate_hz, leg_length_px)
            x = excess(strides[metric].to_numpy(float), band, direction, g)
            ok = np.isfinite(x)
            col = f"{metric}_outside"
            prev = out[col].to_numpy(bool) if col in out else np.zeros(n, bool)
            out[col] = prev | (ok & (x > 0))
            w = float(m["weight"])
            ws = np.where(ok, w * metric_score(np.where(ok, x, 0.0), rules, fid), 0.0)
            num, den = num + ws, den + np.where(ok, w, 0.0)
            if m.get("role") == "primary":
                primary_out |= ok & (x > 0)
                pnum, pden = pnum + ws, pden + np.where(ok, w, 0.0)
        score = np.fmax(
            np.divide(pnum, pden, out=np.full(n, np.nan), where=pden > 0),
            np.divide(num, den, out=np.full(n, np.nan), where=den > 0),
        )
        out[f"{fid}_score"] = score
        out[fid] = (np.nan_to_num(score) >= param(rules, fid, "mild_score")) & primary_out
    return out


def finding_asserted(finding) -> bool:
    """The finding states a fault: severity mild or marked on a judged measurement.
    Strides are flagged (analysis.json, report, video) only for asserted findings."""
    return bool(finding.judged) and finding.severity in ("mild", "marked")
