"""Strides: segmentation into strides (``segment``) and the per-stride metrics with
their one registry (``metrics.METRICS``)."""

from __future__ import annotations

from .changes import ChangeLimits, FormChange, Segment, find_changes, in_segment, segments
from .metrics import (
    COMPUTED_COLUMNS,
    METRIC_COLUMNS,
    METRICS,
    STRIDE_COLUMNS,
    Metric,
    StrideWindow,
    measure,
    metric,
)
from .metrics import summarize as summarize_metrics
from .segmentation import REJECTED_COLUMNS, TIMING_COLUMNS, StrideLimits, StrideTable, segment
from .segmentation import summarize as summarize_timing

__all__ = [
    "ChangeLimits",
    "FormChange",
    "Segment",
    "find_changes",
    "in_segment",
    "segments",
    "COMPUTED_COLUMNS",
    "METRICS",
    "METRIC_COLUMNS",
    "REJECTED_COLUMNS",
    "STRIDE_COLUMNS",
    "TIMING_COLUMNS",
    "Metric",
    "StrideLimits",
    "StrideTable",
    "StrideWindow",
    "measure",
    "metric",
    "segment",
    "summarize_metrics",
    "summarize_timing",
]
