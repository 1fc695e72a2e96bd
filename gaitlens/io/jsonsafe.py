"""JSON-safe values for ``analysis.json``: NumPy scalars and arrays to Python, non-finite
floats to null, floats rounded to 6 decimals (micro-units: far below any measurement
error), paths to strings."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

DECIMALS = 6


def json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return None if not math.isfinite(v) else round(v, DECIMALS)
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    return obj


def records(df) -> list:
    """A DataFrame as a list of JSON-safe row dicts (``None`` -> ``[]``)."""
    if df is None:
        return []
    return json.loads(df.to_json(orient="records", double_precision=DECIMALS))
