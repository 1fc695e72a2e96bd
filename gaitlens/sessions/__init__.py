"""Sessions of one runner: compare two (``compare``) or follow many over time
(``history``), against the measurement's own test-retest noise."""

from .compare import Comparison, FindingChange, MetricChange, compare
from .facts import SessionFacts, filming_differences, session_facts
from .history import History, history

__all__ = [
    "Comparison",
    "FindingChange",
    "History",
    "MetricChange",
    "SessionFacts",
    "compare",
    "filming_differences",
    "history",
    "session_facts",
]
