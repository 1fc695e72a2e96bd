"""The verdict of one fault for one clip (``Finding``) and the evidence behind it
(``Evidence``: one metric on one side against its reference band)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

import pandas as pd

from ..io.jsonsafe import json_safe


@dataclass
class Evidence:
    """One metric on one side: its median value, the band and the strides outside it."""

    metric: str
    label: str
    value: float  # median over the side's strides
    unit: str
    band_low: Optional[float]
    band_high: Optional[float]
    side: str
    strides_outside: list = field(default_factory=list)  # stride numbers outside, bad direction
    n_strides: int = 0  # strides where the metric was measured
    direction: str = "high"  # 'high' or 'low' is bad
    role: str = "primary"  # 'primary' or 'supporting'
    weight: float = 1.0
    share_outside: float = 0.0
    excess_sd: float = float("nan")  # stride-quantile excess beyond the band edge, in SD
    score: float = 0.0
    severity: str = "none"
    band_source: str = ""
    # 95 % bootstrap interval of the median (strides resampled, test-retest SEM added)
    value_low: Optional[float] = None
    value_high: Optional[float] = None

    def to_dict(self) -> dict:
        return json_safe(asdict(self))


@dataclass
class Finding:
    """One fault's verdict for a clip (BIOMECHANICS.md section 1)."""

    id: str
    title: str
    severity: str = "none"  # 'none' | 'mild' | 'marked'
    score: float = 0.0  # 0..1
    confidence: str = "low"  # 'low' | 'medium' | 'high'
    confidence_reasons: list = field(default_factory=list)
    evidence: list = field(default_factory=list)  # list[Evidence]
    explanation: str = ""
    advice: str = ""
    per_side: dict = field(default_factory=dict)  # side -> {severity, score, n_strides, ...}
    judged: bool = False  # False when the measurement could not support a verdict
    # 95 % bootstrap interval of the score and the share of replicates asserting the
    # fault (gaitlens.faults.uncertainty); None when not judged
    score_interval: Optional[list] = None
    p_fault: Optional[float] = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["evidence"] = [e.to_dict() for e in self.evidence]
        return json_safe(d)


def findings_table(findings: list) -> pd.DataFrame:
    """fault, severity, score, confidence: one row per finding (CLI summary, notebooks)."""
    rows = [(f.id, f.severity, f.score, f.confidence) for f in findings]
    return pd.DataFrame(rows, columns=["fault", "severity", "score", "confidence"])
