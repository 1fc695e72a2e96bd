"""How a stored value is shown to a person.

Column names carry the unit the value is stored in (``contact_time_s``,
``overstride_legs``; DESIGN.md "units in every name"). A :class:`Label` says how a value
is shown: plain words, the display unit, the factor from the stored unit and the
decimals ("contact time [ms]", x1000, 0 decimals). The metric registry
(``gaitlens.strides.metrics``) gives every stride metric its label; the report layer
(``gaitlens.report.labels``) adds the per-frame signals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: stored unit suffix of a column name -> the unit in words (longest suffix first)
SUFFIX_UNITS = (
    ("_deg_per_s", "deg/s"),
    ("_legs_per_s", "leg lengths/s"),
    ("_deg", "deg"),
    ("_legs", "leg lengths"),
    ("_pct", "%"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_hz", "Hz"),
    ("_spm", "steps/min"),
    ("_m", "m"),
)


def stored_unit(column: str) -> str:
    """The unit a column is stored in, read from its name's suffix ("" when none)."""
    return next((u for suffix, u in SUFFIX_UNITS if column.endswith(suffix)), "")


@dataclass(frozen=True)
class Label:
    """Display of a stored value: ``text`` [``unit``] = stored value x ``factor``,
    ``decimals`` after the point."""

    text: str
    unit: str
    factor: float = 1.0
    decimals: int = 1

    @property
    def full(self) -> str:
        return f"{self.text} [{self.unit}]" if self.unit else self.text

    def fmt(self, value, signed: bool = False) -> str:
        if value is None:
            return "–"
        try:
            v = float(value) * self.factor
        except (TypeError, ValueError):
            return str(value)
        if not math.isfinite(v):
            return "–"
        s = f"{v:+.{self.decimals}f}" if signed else f"{v:.{self.decimals}f}"
        return s.replace("-", "−")

    def fmt_band(self, low, high) -> str:
        """A reference band in words: "a to b", "up to b", "at least a" ("" without
        either bound)."""
        lo_ok, hi_ok = _finite(low), _finite(high)
        if lo_ok and hi_ok:
            return f"{self.fmt(low)} to {self.fmt(high)}"
        if hi_ok:
            return f"up to {self.fmt(high)}"
        if lo_ok:
            return f"at least {self.fmt(low)}"
        return ""


def label_from_name(column: str) -> Label:
    """A plain label for a column no registry describes: its name in words and the unit
    of its suffix."""
    for suffix, unit in SUFFIX_UNITS:
        if column.endswith(suffix):
            return Label(column[: -len(suffix)].replace("_", " "), unit)
    return Label(column.replace("_", " "), "")


def _finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False
