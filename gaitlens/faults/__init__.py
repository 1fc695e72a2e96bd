"""The three hamstring-loading faults: severity, score, confidence, evidence and advice.

``classify`` (module ``classifier``) gives one :class:`Finding` per fault; the rules and
reference bands it applies are data (``rules``); ``judge`` holds the per-side and
clip-level judgement; ``flags`` the per-stride flags; ``text`` the plain-language
explanation. Method and validation: docs/faults.md.
"""

from __future__ import annotations

from .classifier import classify
from .finding import Evidence, Finding, findings_table
from .flags import finding_asserted, stride_flags
from .judge import CONF_LEVELS
from .rules import RULES_PATH, guard_band, load_rules, resolve_bands

__all__ = [
    "CONF_LEVELS",
    "RULES_PATH",
    "Evidence",
    "Finding",
    "classify",
    "finding_asserted",
    "findings_table",
    "guard_band",
    "load_rules",
    "resolve_bands",
    "stride_flags",
]
