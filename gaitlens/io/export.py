"""Exports: keypoints as an OpenSim TRC file, and validation of ``analysis.json``.

TRC layout as written by Pose2Sim and Sports2D (Pagnon et al. 2022, "Pose2Sim: an
open-source Python package for multiview markerless kinematics", JOSS 7(77):4362),
which OpenSim's TRCFileAdapter reads::

    PathFileType  4  (X/Y/Z)  keypoints.trc
    DataRate CameraRate NumFrames NumMarkers Units OrigDataRate OrigDataStartFrame OrigNumFrames
    30.00  30.00  360  33  m  30.00  1  360
    Frame#  Time  nose      left_eye_inner ...
                  X1  Y1  Z1  X2  Y2  Z2 ...
    <blank>
    1  0.000000  ...

Coordinates are the cleaned points (swaps repaired, filtered) in the analysis frame
(x = direction of travel, y = up, z = 0: one camera gives no depth), which matches
OpenSim's axes; landmarks the cleaning stage does not track come from the raw pose.
Units: metres when a scale is known (runner height or belt speed given), else leg
lengths (``legs``), else pixels (``px``). The ``Units`` field says which; missing points
are empty cells (as Pose2Sim writes them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from ..cleaning.track import image_to_analysis

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "jsonschema" / "analysis.schema.json"


# ---------------------------------------------------------------------- points
def keypoints_for_export(analysis) -> tuple[np.ndarray, np.ndarray, tuple, str]:
    """``(time_s, xyz (n, k, 3), names, units)`` in the analysis frame (y up, Z = 0)."""
    track = analysis.track
    clean = analysis.clean
    names = tuple(track.landmark_names)
    time_s = np.asarray(track.time_s, float)
    xy, units = None, "px"
    pts = getattr(clean, "points", None)
    if isinstance(pts, dict) and pts:
        # the cleaning stage's points: analysis frame (x travel, y up), image-px scale
        xy = _image_to_analysis(analysis, unscaled=True)[0]
        n = track.n_frames
        for name, arr in pts.items():
            if name in names and np.shape(arr) == (n, 2):
                xy[:, names.index(name)] = np.asarray(arr, float)
        xy, units = _scaled(analysis, xy)
    if xy is None:
        for attr, unit in (("xy_m", "m"), ("xy_legs", "legs")):
            arr = getattr(clean, attr, None)
            if arr is not None and np.shape(arr) == track.xy_px.shape:
                xy, units = np.asarray(arr, float), unit
                break
    if xy is None:
        xy, units = _image_to_analysis(analysis)
    xyz = np.concatenate([xy, np.zeros(xy.shape[:2] + (1,))], axis=2)
    xyz[~np.isfinite(xy).all(axis=2)] = np.nan
    return time_s, xyz, names, units


def _image_to_analysis(analysis, unscaled: bool = False) -> tuple[np.ndarray, str]:
    """Raw image pixels -> analysis frame: y up, x in the direction of travel, origin
    at the cleaning stage's origin (else the clip's median hip midpoint)."""
    track = analysis.track
    clean = analysis.clean
    xy = track.xy_px.astype(float).copy()
    names = list(track.landmark_names)
    origin = getattr(clean, "origin_px", None)
    if origin is None or not np.isfinite(origin).all():
        try:
            hips = xy[:, [names.index("left_hip"), names.index("right_hip")]]
            origin = np.nanmedian(hips.reshape(-1, 2), axis=0)
        except ValueError:
            origin = (0.0, 0.0)
    if not np.isfinite(origin).all():
        origin = (0.0, 0.0)
    xy = image_to_analysis(xy, origin, getattr(clean, "facing", "right"),
                           float(getattr(clean, "level_deg", 0.0)))  # fmt: skip
    if unscaled:
        return xy, "px"
    return _scaled(analysis, xy)


def _scaled(analysis, xy_px: np.ndarray) -> tuple[np.ndarray, str]:
    """Analysis-frame pixels to metres (scale known: runner height or belt speed, see
    gaitlens.kinematics), else to leg lengths, else unchanged pixels."""
    clean = analysis.clean
    attrs = getattr(analysis.frames, "attrs", {}) if analysis.frames is not None else {}
    leg_px = attrs.get("leg_length_px") or getattr(clean, "leg_length_px", None)
    m_per_leg = attrs.get("m_per_leg")
    m_per_px = getattr(clean, "m_per_px", None)
    if m_per_px is not None and np.isfinite(m_per_px) and m_per_px > 0:
        return xy_px * float(m_per_px), "m"
    if leg_px is not None and np.isfinite(leg_px) and leg_px > 0:
        if m_per_leg is not None and np.isfinite(m_per_leg) and m_per_leg > 0:
            return xy_px / float(leg_px) * float(m_per_leg), "m"
        return xy_px / float(leg_px), "legs"
    return xy_px, "px"


# ---------------------------------------------------------------------- TRC
def write_trc(analysis, path, names: Optional[tuple] = None) -> Path:
    """Write the keypoints of ``analysis`` as a TRC file (Pose2Sim/Sports2D layout)."""
    time_s, xyz, all_names, units = keypoints_for_export(analysis)
    if names is not None:
        idx = [all_names.index(nm) for nm in names]
        xyz, all_names = xyz[:, idx], tuple(names)
    return write_trc_arrays(path, time_s, xyz, all_names, units)


def write_trc_arrays(path, time_s, xyz, names, units: str = "m") -> Path:
    path = Path(path)
    time_s = np.asarray(time_s, float)
    n, k = xyz.shape[:2]
    rate = float(1.0 / np.median(np.diff(time_s))) if n > 1 else 0.0
    head = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate"
        "\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate:.2f}\t{rate:.2f}\t{n}\t{k}\t{units}\t{rate:.2f}\t1\t{n}",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t\t",
        "\t\t" + "\t".join(f"X{i + 1}\tY{i + 1}\tZ{i + 1}" for i in range(k)),
        "",
    ]
    table = np.column_stack([np.arange(1, n + 1), time_s, xyz.reshape(n, k * 3)])
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(head) + "\n")
        _write_rows(fh, table, "%d\t%.6f" + "\t%.6f" * (k * 3) + "\n")
    return path


def _write_rows(fh, values: np.ndarray, row_fmt: str, chunk: int = 1000) -> None:
    """Write a numeric table with one %-format per row (about 4x faster than numpy's
    per-cell string formatting, 13x faster than pandas' ``to_csv``); NaN cells empty.
    Chunked: all cells at once as strings would cost about 250 MB on a 5-minute 60 fps
    clip, and memory must stay flat in clip length."""
    for a in range(0, len(values), chunk):
        text = "".join([row_fmt % tuple(r) for r in values[a : a + chunk].tolist()])
        fh.write(text.replace("nan", ""))


def write_csv(df, path, float_format: str = "%.6g") -> Path:
    """Write a DataFrame as CSV exactly like ``DataFrame.to_csv(index=False)`` (missing
    values empty, floats with ``float_format``), faster for wide numeric tables
    (``_write_rows``); other tables go through pandas."""
    import csv

    path = Path(path)
    cols = list(df.columns)
    if not len(df) or not all(df[c].dtype.kind in "fiu" for c in cols):
        df.to_csv(path, index=False, float_format=float_format)
        return path
    fmts = [float_format if df[c].dtype.kind == "f" else "%d" for c in cols]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(cols)
        _write_rows(fh, df.to_numpy(dtype=float), ",".join(fmts) + "\n")
    return path
    return path


def read_trc(path) -> tuple[np.ndarray, dict, dict]:
    """Read a TRC file: ``(time_s, {marker: (n, 3)}, header)``; empty cells are NaN."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    keys = lines[1].split("\t")
    vals = lines[2].split("\t")
    header = dict(zip(keys, vals))
    for key in ("DataRate", "CameraRate", "OrigDataRate"):
        if key in header:
            header[key] = float(header[key])
    for key in ("NumFrames", "NumMarkers", "OrigDataStartFrame", "OrigNumFrames"):
        if key in header:
            header[key] = int(header[key])
    header["PathFileType"] = lines[0].split("\t")[1:]
    names = [s for s in lines[3].split("\t")[2:] if s.strip()]
    import pandas as pd

    table = pd.read_csv(
        path, sep="\t", skiprows=5, header=None, skip_blank_lines=True, dtype=float,
        usecols=range(2 + 3 * len(names)),
    ).to_numpy()  # fmt: skip
    time_s = table[:, 1]
    markers = {nm: table[:, 2 + 3 * j : 5 + 3 * j] for j, nm in enumerate(names)}
    return time_s, markers, header


# ---------------------------------------------------------------------- JSON schema
def analysis_schema() -> dict:
    """The JSON Schema (draft 2020-12) of ``analysis.json``."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def validate_analysis_json(data) -> None:
    """Raise ``jsonschema.ValidationError`` if ``data`` (dict, JSON text or path) is invalid.

    Needs the ``jsonschema`` package (a dev dependency).
    """
    import jsonschema

    if isinstance(data, (str, Path)) and Path(str(data)).suffix == ".json":
        data = json.loads(Path(data).read_text(encoding="utf-8"))
    elif isinstance(data, str):
        data = json.loads(data)
    jsonschema.validate(data, analysis_schema(), cls=jsonschema.Draft202012Validator)
