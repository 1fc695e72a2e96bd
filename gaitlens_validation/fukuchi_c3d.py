"""C3D files of the Running Biomechanics Data Set: markers and treadmill vertical force.

Data: Fukuchi, Fukuchi & Duarte (2017), PeerJ 5:e3298, CC BY 4.0; ten runners
(RBDS03, RBDS05, RBDS011-RBDS017, RBDS020) at 2.5 / 3.5 / 4.5 m/s as
``RBDSnnrunTss.c3d`` plus a ``RBDSnnstatic.c3d`` standing trial, read with ``ezc3d``
(Michaud & Begon 2021, J Open Source Softw 6:2911). This module only reads: it returns
marker trajectories in metres in the C3D's lab frame and the vertical force;
``gaitlens_validation.fukuchi`` turns them into a ``MocapTrial`` (axes, joint centres).

What was established from the files themselves (``bench/validate_events.py
--runners13`` prints the per-trial checks):

- markers at 150 Hz in mm (``POINT:UNITS``), 30 s (4,500 frames), the text files' marker
  names (``L.ASIS``, ``R.Thigh.Top.Lateral``, ...), plus ``R.ASY``, a marker on the right
  shoe 6-9 cm from ``R.MT1`` that the text files and the static trials do not have (not
  used). ``R.MT1`` is absent from three trials (RBDS014 4.5 m/s, RBDS03 2.5 m/s,
  RBDS05 4.5 m/s); the loader reconstructs it from the other foot markers.
- a missing marker sample is stored as (0, 0, 0) with residual 0, not NaN: any sample
  exactly at the origin, or with a negative residual, is returned as NaN.
- analog channels ``F1X F1Y F1Z M1X M1Y M1Z`` at 300 Hz (2 per marker frame) are the
  treadmill plate's outputs in volts (units say N, but the plate is ``FORCE_PLATFORM``
  type 4 with a 6 x 6 ``CAL_MATRIX``, diagonal 500 / 500 / 1000 N/V and 8e5 / 2.5e5 /
  4e5 N mm/V): force = CAL_MATRIX x channels.
- the vertical force is the calibrated channel with the largest absolute mean (body
  weight): ``F1Z``, negative (force on the plate in plate axes), so the sign is flipped.
  Its mean over a trial is 0.93-0.99 x body weight from RBDSinfo's mass (the text files'
  RBDS001: 0.98). The plate's corners (``FORCE_PLATFORM:CORNERS``) all share the same
  lab ``Y``: the plate normal, i.e. the plate's z axis, is lab ``Y``, the vertical found
  independently from the markers (ASIS above heels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: RBDS03runT25.c3d, RBDS011runT45.c3d, RBDS011static.c3d
C3D_RUN_RE = re.compile(r"RBDS(\d{2,3})run(T\d{2})\.c3d$")
C3D_STATIC_FMT = "RBDS{raw}static.c3d"
_FORCE_LABEL_RE = re.compile(r"^F(\d*)([XYZ])$", re.IGNORECASE)
_MOMENT_LABEL_RE = re.compile(r"^M(\d*)([XYZ])$", re.IGNORECASE)
_UNIT_TO_M = {"mm": 1e-3, "cm": 1e-2, "m": 1.0}


def _ezc3d():
    try:
        import ezc3d
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("reading Fukuchi C3D files needs ezc3d: pip install ezc3d") from exc
    return ezc3d


@dataclass
class C3DData:
    """Markers (m, lab frame of the file, NaN where missing) and analog channels."""

    markers: dict  # name -> (n, 3) m
    point_rate_hz: float
    analogs: dict  # label -> (k,) values as stored (after ezc3d's scaling)
    analog_rate_hz: float
    plate: dict = field(default_factory=dict)  # type, channel, cal_matrix, corners, origin
    point_units: str = "mm"
    path: str = ""

    @property
    def n_frames(self) -> int:
        return len(next(iter(self.markers.values()))) if self.markers else 0


def _param(params: dict, group: str, name: str, default=None):
    g = params.get(group, {})
    p = g.get(name)
    if p is None or "value" not in p:
        return default
    return p["value"]


def _label(s: str) -> str:
    """Strip whitespace and a ``subject:`` prefix from a C3D label."""
    s = str(s).strip()
    return s.split(":", 1)[1] if ":" in s else s


def read_c3d(path: str | Path) -> C3DData:
    """Read a Fukuchi C3D file (markers to metres, missing samples to NaN)."""
    ezc3d = _ezc3d()
    c = ezc3d.c3d(str(path))
    params, data = c["parameters"], c["data"]
    labels = [_label(s) for s in _param(params, "POINT", "LABELS", [])]
    units = (_param(params, "POINT", "UNITS", ["mm"]) or ["mm"])[0].strip().lower()
    scale = _UNIT_TO_M.get(units)
    if scale is None:
        raise ValueError(f"{path}: unknown POINT:UNITS {units!r}")
    pts = np.asarray(data["points"][:3], dtype=float)  # (3, m, n)
    res = data.get("meta_points", {}).get("residuals")
    markers = {}
    for i, name in enumerate(labels):
        xyz = pts[:, i, :].T.copy()
        missing = ~np.isfinite(xyz).all(axis=1) | (xyz == 0).all(axis=1)
        if res is not None:
            missing |= np.asarray(res)[0, i, :] < 0
        xyz[missing] = np.nan
        markers[name] = xyz * scale
    rate = float(np.ravel(_param(params, "POINT", "RATE", [np.nan]))[0])
    alabels = [_label(s) for s in (_param(params, "ANALOG", "LABELS", []) or [])]
    an = np.asarray(data.get("analogs", np.zeros((1, 0, 0))), dtype=float)
    analogs = {lab: an[0, j, :].copy() for j, lab in enumerate(alabels) if j < an.shape[1]}
    arate = float(np.ravel(_param(params, "ANALOG", "RATE", [np.nan]))[0]) if analogs else np.nan
    plate = {}
    if "FORCE_PLATFORM" in params:
        for key in ("TYPE", "CHANNEL", "CAL_MATRIX", "CORNERS", "ORIGIN"):
            v = _param(params, "FORCE_PLATFORM", key)
            if v is not None:
                plate[key.lower()] = np.asarray(v)
    return C3DData(markers=markers, point_rate_hz=rate, analogs=analogs, analog_rate_hz=arate,
                   plate=plate, point_units=units, path=str(path))  # fmt: skip


def plate_channels(c3d: C3DData) -> tuple[list[str], np.ndarray]:
    """Labels of the first plate's six channels (Fx Fy Fz Mx My Mz order) and the matrix
    that calibrates them (identity when the file has no type-4 calibration)."""
    labels = list(c3d.analogs)
    ch = c3d.plate.get("channel")
    if ch is not None and np.size(ch) >= 6:
        idx = np.asarray(ch).reshape(6, -1)[:, 0].astype(int) - 1  # 1-based
        names = [labels[i] for i in idx if 0 <= i < len(labels)]
    else:
        forces = sorted((lab for lab in labels if _FORCE_LABEL_RE.match(lab)),
                        key=lambda s: _FORCE_LABEL_RE.match(s).group(2).upper())  # fmt: skip
        moments = sorted((lab for lab in labels if _MOMENT_LABEL_RE.match(lab)),
                         key=lambda s: _MOMENT_LABEL_RE.match(s).group(2).upper())  # fmt: skip
        names = forces[:3] + moments[:3]
    cal = np.eye(len(names))
    typ = c3d.plate.get("type")
    m = c3d.plate.get("cal_matrix")
    if typ is not None and int(np.ravel(typ)[0]) == 4 and m is not None and len(names) == 6:
        cal = np.asarray(m, float).reshape(6, 6, -1)[:, :, 0]
    return names, cal


def plate_normal_axis(c3d: C3DData) -> int | None:
    """Lab axis (0, 1, 2) normal to the first plate, from its corners; None if unknown."""
    corners = c3d.plate.get("corners")
    if corners is None or np.size(corners) < 12:
        return None
    c = np.asarray(corners, float).reshape(3, 4, -1)[:, :, 0].T  # (4 corners, xyz)
    n = np.cross(c[1] - c[0], c[2] - c[1])
    if not np.isfinite(n).all() or np.linalg.norm(n) == 0:
        return None
    return int(np.argmax(np.abs(n)))


def vertical_force(c3d: C3DData, vertical_lab_axis: int | None = None) -> tuple[np.ndarray, dict]:
    """Vertical ground reaction force (N, + up) of the treadmill plate and how it was
    found: the calibrated force channel whose mean has the largest magnitude (body
    weight), its sign flipped when negative. With ``vertical_lab_axis`` (from the markers)
    the plate's normal must be that lab axis, else ``ValueError``.
    """
    names, cal = plate_channels(c3d)
    if len(names) < 3:
        raise ValueError(f"{c3d.path}: no force-plate channels among {list(c3d.analogs)}")
    raw = np.stack([c3d.analogs[n] for n in names])
    raw = np.where(np.isfinite(raw), raw, 0.0)
    cal_f = cal @ raw
    forces = cal_f[:3]
    means = forces.mean(axis=1)
    k = int(np.argmax(np.abs(means)))
    sign = 1.0 if means[k] >= 0 else -1.0
    normal = plate_normal_axis(c3d)
    if vertical_lab_axis is not None and normal is not None and normal != vertical_lab_axis:
        raise ValueError(
            f"{c3d.path}: plate normal is lab axis {'XYZ'[normal]}, markers say vertical is "
            f"{'XYZ'[vertical_lab_axis]}"
        )
    info = {
        "channel": names[k],
        "sign": sign,
        "calibration_n_per_unit": float(cal[k, k]),
        "channel_means_n": {n: float(m) for n, m in zip(names[:3], means)},
        "plate_normal_lab_axis": None if normal is None else "XYZ"[normal],
        "rate_hz": c3d.analog_rate_hz,
    }
    return sign * cal_f[k], info
