"""Did it change? Two sessions of one runner compared, metric by metric and fault by
fault, against the measurement's own noise.

Per stride metric the clip medians of the two sessions are compared. The difference's
95 % interval is a bootstrap over strides (Efron & Tibshirani 1993, ch. 13; a stride is
the unit, both legs pooled as in the clip summary), each replicate also shifted by a
draw from the metric's test-retest SEM for each session (``gaitlens.reference.
measurement_noise``; Weir 2005, J Strength Cond Res 19:231-240). A change counts as
*beyond measurement noise* when it exceeds the metric's minimal detectable change
(MDC95 = 1.96 sqrt(2) SEM; Haley & Fragala-Pinkham 2006, Phys Ther 86:735-743) and its
interval excludes zero. A finding has changed beyond noise when the two sessions' score
intervals do not overlap. How the sessions were filmed and run is compared too
(``gaitlens.sessions.facts``): differences are stated and lower the comparison's
confidence.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..faults.uncertainty import percentile_interval, resample_indices, row_quantile
from ..io.jsonsafe import json_safe
from ..strides.metrics import METRICS, label_of
from .facts import SessionFacts, comparison_confidence, filming_differences, session_facts

SEVERITY_RANK = {"none": 0, "mild": 1, "marked": 2}
MDC_PER_SEM = 1.96 * np.sqrt(2.0)  # MDC95 = 1.96 sqrt(2) SEM (Weir 2005)


@dataclass
class MetricChange:
    """One stride metric before and after (stored units, e.g. ``_s``, ``_deg``)."""

    metric: str
    label: str
    unit: str  # display unit of the label (values here are in the stored unit)
    factor: float  # stored -> display
    before: float
    before_low: float
    before_high: float
    after: float
    after_low: float
    after_high: float
    difference: float  # after - before
    difference_low: float
    difference_high: float
    mdc95: float  # NaN when the metric's test-retest noise is unknown
    beyond_noise: Optional[bool]  # None: noise unknown, or a session did not measure it
    n_before: int
    n_after: int

    @property
    def noise_ratio(self) -> float:
        """|difference| / MDC95 (how many times the smallest real change)."""
        if not np.isfinite(self.mdc95) or self.mdc95 <= 0:
            return float("nan")
        return abs(self.difference) / self.mdc95

    def to_dict(self) -> dict:
        return json_safe({**asdict(self), "noise_ratio": self.noise_ratio})


@dataclass
class FindingChange:
    """One fault before and after, with a sentence in plain words."""

    id: str
    title: str
    before_severity: str
    before_confidence: str
    before_judged: bool
    before_score: float
    before_interval: Optional[list]
    after_severity: str
    after_confidence: str
    after_judged: bool
    after_score: float
    after_interval: Optional[list]
    direction: str  # improved | worsened | unchanged | unknown
    beyond_noise: Optional[bool]
    sentence: str

    def to_dict(self) -> dict:
        return json_safe(asdict(self))


@dataclass
class Comparison:
    """``gaitlens compare`` / ``Analysis.compare``: what changed between two sessions."""

    before: SessionFacts
    after: SessionFacts
    findings: list  # FindingChange
    metrics: list  # MetricChange, the changes that matter first
    differences: list  # how the sessions were filmed/run differently (sentences)
    confidence: str  # of the comparison: high | medium | low
    settings: dict = field(default_factory=dict)
    #: the two Analysis objects (for the page's curves and stills; not serialised)
    analyses: tuple = field(default=(), repr=False, compare=False)

    def __repr__(self) -> str:
        return (f"Comparison({self.before.label!r} -> {self.after.label!r}, confidence="
                f"{self.confidence!r}, changed={self.changed()})")  # fmt: skip

    def metrics_table(self) -> pd.DataFrame:
        """One row per metric (compare.csv)."""
        return pd.DataFrame([m.to_dict() for m in self.metrics])

    def changed(self) -> list:
        """Names of the metrics that changed beyond measurement noise."""
        return [m.metric for m in self.metrics if m.beyond_noise]

    def to_dict(self) -> dict:
        from .._version import __version__

        return json_safe({
            "format": "gaitlens-compare",
            "version": 1,
            "gaitlens_version": __version__,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "confidence": self.confidence,
            "differences": list(self.differences),
            "findings": [f.to_dict() for f in self.findings],
            "metrics": [m.to_dict() for m in self.metrics],
            "changed": self.changed(),
            "settings": self.settings,
        })  # fmt: skip

    def save(self, outdir) -> Path:
        """compare.html, compare.json and compare.csv in ``outdir``, atomically."""
        from ..report.sessions_page import write_comparison

        return write_comparison(self, outdir)

    def _repr_html_(self) -> str:
        from ..report.sessions_page import comparison_card

        return comparison_card(self)


# ---------------------------------------------------------------------- metrics
def compared_metrics(before: pd.DataFrame, after: pd.DataFrame) -> list:
    """Kinematic and timing metrics measured in both tables (registry order)."""
    return [
        n
        for n, m in METRICS.items()
        if m.kind in ("kinematic", "timing")
        and n in before.columns
        and n in after.columns
        and before[n].notna().any()
        and after[n].notna().any()
    ]


def _medians(values: np.ndarray, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """``(replicates,)`` bootstrap medians of ``values`` (strides resampled)."""
    idx = resample_indices(len(values), replicates, rng)
    return row_quantile(values[idx], 0.5)


def compare_metrics(
    before: pd.DataFrame,
    after: pd.DataFrame,
    noise: pd.DataFrame,
    replicates: int = 2000,
    seed: int = 0,
    metrics: Optional[list] = None,
    filmed_differently: bool = False,
) -> list:
    """Per metric: medians with 95 % intervals, the difference with its interval and
    whether it is beyond measurement noise (module docstring); sorted so that changes
    beyond noise come first, then by |difference| / MDC95. ``filmed_differently``: the
    noise is the larger of the test-retest SEM and the spread of the same run filmed
    differently (``sem_setup``), so a difference of camera or frame rate is not read as
    a change of technique."""
    out = []
    for k, name in enumerate(metrics or compared_metrics(before, after)):
        a = before[name].to_numpy(float)
        b = after[name].to_numpy(float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        lab = label_of(name)
        sem = float(noise.loc[name, "sem"]) if name in noise.index else float("nan")
        if filmed_differently and name in noise.index and "sem_setup" in noise:
            sem = max(sem, float(noise.loc[name, "sem_setup"]))
        mdc = MDC_PER_SEM * sem
        rng = np.random.default_rng([seed, k])
        if len(a) and len(b):
            ma, mb = _medians(a, replicates, rng), _medians(b, replicates, rng)
            if np.isfinite(sem):
                ma = ma + rng.normal(0.0, sem, replicates)
                mb = mb + rng.normal(0.0, sem, replicates)
            d_lo, d_hi = percentile_interval(mb - ma)
            a_lo, a_hi = percentile_interval(ma)
            b_lo, b_hi = percentile_interval(mb)
            diff = float(np.median(b) - np.median(a))
            beyond = bool(abs(diff) > mdc and (d_lo > 0 or d_hi < 0)) if np.isfinite(mdc) else None
        else:
            d_lo = d_hi = a_lo = a_hi = b_lo = b_hi = diff = float("nan")
            beyond = None
        out.append(MetricChange(
            metric=name, label=lab.text, unit=lab.unit, factor=lab.factor,
            before=float(np.median(a)) if len(a) else float("nan"),
            before_low=a_lo, before_high=a_hi,
            after=float(np.median(b)) if len(b) else float("nan"),
            after_low=b_lo, after_high=b_hi,
            difference=diff, difference_low=d_lo, difference_high=d_hi,
            mdc95=mdc, beyond_noise=beyond, n_before=int(len(a)), n_after=int(len(b)),
        ))  # fmt: skip
    return sorted(
        out,
        key=lambda m: (not m.beyond_noise, -np.nan_to_num(m.noise_ratio, nan=-1.0)),
    )


# ---------------------------------------------------------------------- findings
def _overlap(a, b) -> Optional[bool]:
    if not a or not b or None in a or None in b:
        return None
    return not (a[1] < b[0] or b[1] < a[0])


def _moves(before, after, metrics) -> str:
    """The fault's primary measures that changed beyond noise, toward or away from the
    pattern ("hip flexion at foot strike +9.1 deg, toward the pattern")."""
    direction = {}
    for e in list(before.evidence) + list(after.evidence):
        if e.role == "primary":
            direction.setdefault(e.metric, e.direction)
    parts = []
    for m in metrics:
        if m.metric in direction and m.beyond_noise:
            toward = (m.difference > 0) == (direction[m.metric] == "high")
            parts.append(
                f"{m.label} {m.difference * m.factor:+.1f} {m.unit}".rstrip()
                + f", {'toward' if toward else 'away from'} the pattern"
            )
    return "; ".join(parts)


def compare_finding(before, after, differences: tuple = (), metrics: tuple = ()) -> FindingChange:
    """One fault's change in plain words (``before``/``after``: ``faults.Finding``;
    ``metrics``: the sessions' ``MetricChange`` list, quoted when a verdict is missing)."""
    title = before.title
    name = title[0].lower() + title[1:]
    if not (before.judged and after.judged):
        which = (
            "neither session gave a verdict" if not (before.judged or after.judged)
            else ("the first session gave no verdict" if not before.judged
                  else "the second session gave no verdict")
        )  # fmt: skip
        direction, beyond = "unknown", None
        moves = _moves(before, after, metrics)
        sentence = f"{name}: cannot say whether the verdict changed; {which}" + (
            f", but its measures changed beyond measurement noise: {moves}." if moves
            else " (see the report's confidence reasons)."
        )  # fmt: skip
    else:
        rb, ra = SEVERITY_RANK[before.severity], SEVERITY_RANK[after.severity]
        overlap = _overlap(before.score_interval, after.score_interval)
        beyond = None if overlap is None else not overlap
        if ra < rb:
            direction = "improved"
        elif ra > rb:
            direction = "worsened"
        else:
            direction = "unchanged"
        if direction == "unchanged" and after.severity == "none":
            sentence = f"{name}: not seen in either session"
        elif direction == "unchanged":
            sentence = f"{name}: {after.severity} in both sessions"
            if beyond and after.score != before.score:
                more = "stronger" if after.score > before.score else "weaker"
                sentence += f", though {more} than before beyond measurement noise"
        else:
            sentence = f"{name}: {direction} from {before.severity} to {after.severity}"
            sentence += (
                "; the change is larger than measurement noise"
                if beyond
                else "; the scores' intervals overlap, so the change may be measurement noise"
            )
        claims_change = direction != "unchanged" or (beyond and after.severity != "none")
        if beyond and claims_change and differences:
            sentence += " (but the sessions were filmed or run differently, see below)"
        sentence += "."
    return FindingChange(
        id=before.id, title=title,
        before_severity=before.severity, before_confidence=before.confidence,
        before_judged=bool(before.judged), before_score=float(before.score),
        before_interval=before.score_interval,
        after_severity=after.severity, after_confidence=after.confidence,
        after_judged=bool(after.judged), after_score=float(after.score),
        after_interval=after.score_interval,
        direction=direction, beyond_noise=beyond, sentence=sentence,
    )  # fmt: skip


# ---------------------------------------------------------------------- sessions
def compare(
    before,
    after,
    labels: tuple = ("before", "after"),
    dates: tuple = (None, None),
    replicates: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare two ``Analysis`` objects of one runner (``before`` first)."""
    from ..reference import measurement_noise

    fb = session_facts(before, labels[0], dates[0])
    fa = session_facts(after, labels[1], dates[1])
    diffs = filming_differences(fb, fa)
    noise = measurement_noise()
    empty = pd.DataFrame()
    metrics = compare_metrics(
        before.strides if before.strides is not None else empty,
        after.strides if after.strides is not None else empty,
        noise,
        replicates,
        seed,
        filmed_differently=bool(diffs),
    )
    by_after = {f.id: f for f in after.findings}
    findings = [compare_finding(f, by_after[f.id], tuple(diffs), tuple(metrics))
                for f in before.findings if f.id in by_after]  # fmt: skip
    return Comparison(
        before=fb,
        after=fa,
        findings=findings,
        metrics=metrics,
        differences=diffs,
        confidence=comparison_confidence(diffs),
        settings={
            "bootstrap_replicates": replicates,
            "bootstrap_seed": seed,
            "noise": "gaitlens/data/test_retest.json",
        },  # fmt: skip
        analyses=(before, after),
    )
