"""Plain-language explanation and advice for a :class:`gaitlens.faults.Finding`.

The runner-facing texts (what the fault is, what to do) live in
``gaitlens/data/fault_rules.json`` (written for gaitlens from BIOMECHANICS.md section 1);
this module composes them with the evidence: which side, how many strides, which
numbers against which healthy range.
"""

from __future__ import annotations

import math

SEVERITY_WORDS = {"mild": "a mild", "marked": "a marked"}


def _num(v, unit: str) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "?"
    if unit == "legs":
        return f"{v:.2f}"
    if unit in ("ms", "deg"):
        return f"{v:.0f}"
    return f"{v:.1f}"


def _unit_text(unit: str) -> str:
    return {"deg": "°", "legs": " leg lengths", "%": " %", "ms": " ms", "s": " s"}.get(unit, "")


def _band_text(e) -> str:
    u = _unit_text(e.unit)
    if e.band_low is not None and e.band_high is not None:
        return f"{_num(e.band_low, e.unit)} to {_num(e.band_high, e.unit)}{u}"
    if e.band_high is not None:
        return f"up to {_num(e.band_high, e.unit)}{u}"
    return f"at least {_num(e.band_low, e.unit)}{u}"


def _metric_sentence(e) -> str:
    name = e.label.split(" [")[0]
    where = "above" if e.direction == "high" else "below"
    n_out = len(e.strides_outside)
    return (
        f"{name} was {where} the healthy range ({_band_text(e)}) in {n_out} of "
        f"{e.n_strides} {e.side} strides (typical value {_num(e.value, e.unit)}"
        f"{_unit_text(e.unit)})"
    )


def explain(finding, rules: dict) -> tuple:
    """``(explanation, advice)`` for a finding, from its severity, sides and evidence."""
    fault = rules["faults"][finding.id]
    if not finding.judged:
        why = "; ".join(finding.confidence_reasons) or "the measurement was insufficient"
        return (
            f"This could not be judged from this video: {why}. No verdict is given.",
            rules.get("advice_not_judged", ""),
        )
    judged = [s for s, d in finding.per_side.items() if d.get("judged")]
    sides_text = " and ".join(judged) if len(judged) > 1 else f"{judged[0]} (only side judged)"
    if finding.severity == "none":
        parts = []
        for metric in dict.fromkeys(e.metric for e in finding.evidence if e.role == "primary"):
            ev = [e for e in finding.evidence if e.metric == metric and e.side in judged]
            if not ev:
                continue
            vals = ", ".join(f"{e.side} {_num(e.value, e.unit)}" for e in ev)
            name = ev[0].label.split(" [")[0]
            parts.append(f"{name} {vals}{_unit_text(ev[0].unit)} (healthy {_band_text(ev[0])})")
        text = (
            f"No sign of this pattern on the {sides_text} side"
            f"{'s' if len(judged) > 1 else ''}: the typical stride was not beyond the healthy "
            f"range in the direction of this fault, allowing for video measurement error "
            f"({'; '.join(parts)})."
        )
        return text, rules.get("advice_none", "")
    bad_sides = [s for s in judged if finding.per_side[s]["severity"] != "none"]
    ev = [
        e
        for e in finding.evidence
        if e.side in bad_sides and e.severity != "none" and e.strides_outside
    ]
    ev.sort(key=lambda e: (e.role != "primary", -e.score))
    facts = "; ".join(_metric_sentence(e) for e in ev[:3])
    side_part = " and ".join(bad_sides)
    text = (
        f"{fault['what']} The video shows {SEVERITY_WORDS[finding.severity]} form of this "
        f"on the {side_part} side{'s' if len(bad_sides) > 1 else ''}: {facts}."
    )
    return text, fault["advice"]
