"""One runner's sessions over time: each key metric against the session date with its
95 % interval, the healthy band and the smallest real change (MDC95), and the findings
per session. Consecutive sessions are compared with ``gaitlens.sessions.compare`` so
that a step in the trend is called real only when it is beyond measurement noise."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..io.jsonsafe import json_safe
from ..strides.metrics import METRICS
from .compare import compare, compare_metrics
from .facts import session_facts


def trend_metrics() -> tuple:
    """Metrics drawn on the history page: the report's key numbers (registry order)."""
    return tuple(n for n, m in METRICS.items() if m.key_number)


@dataclass
class History:
    """Sessions in date order (``sessions``: SessionFacts), their per-metric medians
    with intervals (``table``: one row per session and metric), findings per session and
    the comparison of each session with the one before."""

    sessions: list
    table: pd.DataFrame
    findings: list  # per session: list of {id, title, severity, confidence, judged, score}
    steps: list  # Comparison of session k-1 -> k
    analyses: list = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict:
        from .._version import __version__

        return json_safe({
            "format": "gaitlens-history",
            "version": 1,
            "gaitlens_version": __version__,
            "sessions": [s.to_dict() for s in self.sessions],
            "findings": self.findings,
            "metrics": self.table.to_dict("records"),
            "steps": [{"from": c.before.label, "to": c.after.label, "confidence": c.confidence,
                       "differences": c.differences, "changed": c.changed(),
                       "findings": [f.sentence for f in c.findings]} for c in self.steps],
        })  # fmt: skip

    def save(self, outdir):
        """history.html, history.json and history.csv in ``outdir``, atomically."""
        from ..report.sessions_page import write_history

        return write_history(self, outdir)


def history(analyses: list, labels: list, dates: list, seed: int = 0) -> History:
    """Build a :class:`History`; sessions are sorted by date (undated ones last, in the
    order given)."""
    from ..reference import measurement_noise

    facts = [session_facts(a, lab, d) for a, lab, d in zip(analyses, labels, dates)]
    order = sorted(range(len(facts)), key=lambda i: (facts[i].date is None, facts[i].date or "", i))
    analyses = [analyses[i] for i in order]
    facts = [facts[i] for i in order]
    noise = measurement_noise()
    rows = []
    for a, f in zip(analyses, facts):
        st = a.strides if a.strides is not None else pd.DataFrame()
        names = [m for m in trend_metrics() if m in st.columns and st[m].notna().any()]
        # one session against itself gives each median's interval (difference = 0)
        for mc in compare_metrics(st, st, noise, metrics=names, seed=seed):
            rows.append({"session": f.label, "date": f.date, "metric": mc.metric,
                         "median": mc.before, "low": mc.before_low, "high": mc.before_high,
                         "n": mc.n_before, "mdc95": mc.mdc95})  # fmt: skip
    table = pd.DataFrame(rows, columns=["session", "date", "metric", "median", "low", "high",
                                        "n", "mdc95"])  # fmt: skip
    findings = [
        [
            {
                "id": x.id,
                "title": x.title,
                "severity": x.severity,
                "confidence": x.confidence,
                "judged": bool(x.judged),
                "score": float(x.score),
                "score_interval": x.score_interval,
            }
            for x in a.findings
        ]  # fmt: skip
        for a in analyses
    ]
    steps = [
        compare(
            analyses[k - 1],
            analyses[k],
            (facts[k - 1].label, facts[k].label),
            (facts[k - 1].date, facts[k].date),
            seed=seed,
        )  # fmt: skip
        for k in range(1, len(analyses))
    ]
    return History(facts, table, findings, steps, analyses=analyses)
