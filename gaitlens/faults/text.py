"""Plain-language explanation and advice for a :class:`gaitlens.faults.Finding`.

The runner-facing texts (what the fault is, what to do) live in
``gaitlens/data/fault_rules.json`` (written for gaitlens from BIOMECHANICS.md section 1);
this module composes them with the evidence: which side, how many strides, which
numbers against which healthy range.
"""

from __future__ import annotations

from ..strides.metrics import label_of

SEVERITY_WORDS = {"mild": "a mild", "marked": "a marked"}


def _value(e) -> str:
    """A value of the evidence's metric in its display unit ("12.3 deg")."""
    lab = label_of(e.metric)
    text = lab.fmt(e.value)
    return f"{'?' if text == '–' else text} {lab.unit}".rstrip()


def _band_text(e) -> str:
    lab = label_of(e.metric)
    return f"{lab.fmt_band(e.band_low, e.band_high)} {lab.unit}".rstrip()


def _metric_sentence(e) -> str:
    where = "above" if e.direction == "high" else "below"
    n_out = len(e.strides_outside)
    return (
        f"{e.label} was {where} the healthy range ({_band_text(e)}) in {n_out} of "
        f"{e.n_strides} {e.side} strides (typical value {_value(e)})"
    )


def explain(finding, rules: dict) -> tuple:
    """``(explanation, advice)`` for a finding, from its severity, sides and evidence."""
    fault = rules["faults"][finding.id]
    if not finding.judged:
        why = "; ".join(finding.confidence_reasons) or "the measurement was insufficient"
        # measured well enough but too close to the band edge: filming advice alone
        # would not help, so say so (gaitlens.faults.judge.at_band_edge)
        edge = any(d.get("at_band_edge") for d in finding.per_side.values())
        return (
            f"This could not be judged from this video: {why}. No verdict is given.",
            rules.get("advice_cannot_tell" if edge else "advice_not_judged", ""),
        )
    judged = [s for s, d in finding.per_side.items() if d.get("judged")]
    sides_text = " and ".join(judged) if len(judged) > 1 else f"{judged[0]} (only side judged)"
    if finding.severity == "none":
        parts = []
        for metric in dict.fromkeys(e.metric for e in finding.evidence if e.role == "primary"):
            ev = [e for e in finding.evidence if e.metric == metric and e.side in judged]
            if not ev:
                continue
            lab = label_of(metric)
            vals = ", ".join(f"{e.side} {lab.fmt(e.value)}" for e in ev)
            parts.append(f"{ev[0].label} {vals} {lab.unit} (healthy {_band_text(ev[0])})")
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
