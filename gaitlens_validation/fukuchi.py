"""Fukuchi et al. (2017) treadmill running marker data: loading, joint centres, force contacts.

Data: Running Biomechanics Data Set, Fukuchi, Fukuchi & Duarte (2017), PeerJ 5:e3298,
CC BY 4.0, in two formats:

- text files (``../shared/data/mocap/fukuchi2017``: RBDS001, RBDS002, RBDS032): marker
  files are tab-separated, ``Time`` then ``<marker>X/Y/Z`` in mm at 150 Hz; force files
  have ``Time`` = sample index at 300 Hz then the ground reaction force;
- C3D files (``../shared/data/mocap/fukuchi2017_c3d``: RBDS03, RBDS05, RBDS011-017,
  RBDS020 at 2.5 / 3.5 / 4.5 m/s), read by ``gaitlens_validation.fukuchi_c3d`` (markers
  in mm at 150 Hz, treadmill plate at 300 Hz). Subjects are named with three digits
  (``RBDS003`` for the files ``RBDS03*.c3d``), as in RBDSinfo.txt's ``FileName``.

Both give the same ``MocapTrial``; ``list_trials`` lists both folders (13 runners, 34
trials) and ``load_trial`` dispatches on the file type.

What was established from the data itself (see ``_lab_axes`` and ``trial_checks``;
checked on every trial by ``bench/validate_events.py --runners13``):

- lab ``Y`` is vertical (ASIS about 1.0 m above the heel markers);
- lab ``X`` is the direction of travel (mid-ASIS lies at larger ``X`` than mid-PSIS; the
  stance foot moves at -X with the belt's speed, 0.96-1.0 x the nominal speed);
- lab ``Z`` points to the runner's right (right ASIS at larger ``Z``).
- text files: the vertical ground reaction force is the force file's ``Fy`` column (mean
  over a trial = body weight, e.g. 597 N for RBDS001 at 62 kg), not ``Fz`` (mean about
  0 N): ``read_forces`` picks the column whose mean is largest and says which it used.
  C3D files: the calibrated plate channel with the largest absolute mean, ``F1Z``
  (``fukuchi_c3d.vertical_force``), whose plate normal is lab ``Y``.
- the ``Time`` column of the marker files is rounded to 1 ms; time is rebuilt as
  ``index / 150``.

Missing markers: runs of up to 0.1 s are interpolated linearly; longer runs (and
markers absent from a whole trial, e.g. ``R.MT1`` in three C3D trials) are rebuilt by a
rigid-body fill: the segment's markers in the static trial are fitted to the markers
present in that frame (at least three; Soderkvist & Wedin 1993) and the missing marker
is carried along (the "rigid body fill" of motion-capture software). ``trial.info``
``markers_rigid_filled`` counts the filled samples per marker.

Joint centres (metres, in the trial frame x = travel, y = up, z = right):

- hip: Harrington et al. (2007), J Biomech 40:595-602, regression from pelvis width
  (inter-ASIS distance, PW) and depth (mid-ASIS to mid-PSIS, PD) in the pelvis frame
  (origin mid-ASIS, x anterior, y superior, z right): x = -0.24 PD - 9.9 mm,
  y = -0.30 PW - 10.9 mm, z = +-(0.33 PW + 7.3 mm).
- knee: midpoint of the lateral and medial femoral epicondyle markers, ankle: midpoint
  of the malleoli, both from the static trial expressed in the thigh / shank cluster
  frame and carried into the running trial by a least-squares rigid fit of the
  four-marker cluster (Soderkvist & Wedin 1993, J Biomech 26:1473-1477), three markers
  where one is missing.
- heel: the ``Heel.Bottom`` marker (posterior-inferior calcaneus, what BlazePose's heel
  landmark marks); toe: midpoint of the 1st and 5th metatarsal heads (no toe-tip marker
  exists; BlazePose's ``foot_index`` sits a few cm further forward, on the toes).

Subject information (age, height, mass, foot-strike pattern per side and speed) comes
from RBDSinfo.txt (``Subject`` = the subject number; RBDS032 is not in it: its height is
estimated from the leg length).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from gaitlens.io.track import PoseTrack
from gaitlens.pose.skeleton import INDEX, LANDMARK_NAMES, N_LANDMARKS

from . import fukuchi_c3d

MARKER_RATE_HZ = 150.0  # Fukuchi et al. 2017, methods
FORCE_RATE_HZ = 300.0  # Fukuchi et al. 2017, methods
SIDE_PREFIX = {"left": "L.", "right": "R."}
#: RBDSinfo.txt foot-strike columns: R/L + FSI + speed code (25, 35, 45)
FOOT_STRIKE_COLUMN = "{side}FSI{speed}"
#: folders of the two formats under ``<data>/mocap``
TEXT_DIR, C3D_DIR = "fukuchi2017", "fukuchi2017_c3d"
#: bump when the loader's output changes (invalidates ``load_trial``'s npz cache)
CACHE_VERSION = 3

_NAME_RE = re.compile(r"RBDS(\d{3})run(T\d{2})markers\.txt$")
_C3D_RE = fukuchi_c3d.C3D_RUN_RE
_MAX_LINEAR_GAP_S = 0.1

#: rigid segments used to fill marker gaps (marker names without the side prefix)
_SEGMENTS = {
    "pelvis": ["R.ASIS", "L.ASIS", "R.PSIS", "L.PSIS", "R.Iliac.Crest", "L.Iliac.Crest"],
    **{
        f"{p}{seg}": [f"{p}{seg}.{a}.{b}" for a in ("Top", "Bottom") for b in ("Lateral", "Medial")]
        for p in ("R.", "L.")
        for seg in ("Thigh", "Shank")
    },
    **{
        f"{p}Foot": [f"{p}Heel.Top", f"{p}Heel.Bottom", f"{p}Heel.Lateral", f"{p}MT1", f"{p}MT5"]
        for p in ("R.", "L.")
    },
}


def subject_id(number: int) -> str:
    """``RBDS003`` for subject 3 (RBDSinfo.txt ``FileName`` style)."""
    return f"RBDS{int(number):03d}"


@dataclass
class ForceSignal:
    """Vertical ground reaction force of the treadmill's plate (N, + up)."""

    vertical_n: np.ndarray
    sampling_rate_hz: float
    time_s: np.ndarray
    column: str  # "Fy" (text file) or "F1Z" (C3D channel)
    source: str  # file path or "array"
    details: dict = field(default_factory=dict)


@dataclass
class MocapTrial:
    """One Fukuchi running trial in metres, x = travel, y = up, z = right."""

    name: str
    time_s: np.ndarray
    sampling_rate_hz: float
    belt_speed_m_s: float
    markers: dict  # name -> (n, 3) m
    joint_centres: dict  # {left,right}_{hip,knee,ankle,heel,toe,asis,psis} -> (n, 3) m
    height_m: float = float("nan")
    mass_kg: float = float("nan")
    subject: str = ""
    info: dict = field(default_factory=dict)
    forces_path: Optional[Path] = None
    forces: Optional[ForceSignal] = None
    #: {"right": "Rearfoot", "left": "Rearfoot"} at this speed (RBDSinfo.txt), {} unknown
    foot_strike: dict = field(default_factory=dict)
    static_markers: Optional[dict] = None  # standing trial, same frame (m)
    source_path: Optional[Path] = None

    @property
    def n_frames(self) -> int:
        return len(self.time_s)

    @property
    def foot_strike_label(self) -> str:
        """``Rearfoot``, or ``R Midfoot / L Rearfoot`` when the sides differ; ``?`` unknown."""
        r, left = self.foot_strike.get("right"), self.foot_strike.get("left")
        if not r and not left:
            return "?"
        return str(r) if r == left else f"R {r} / L {left}"


# --------------------------------------------------------------------------- I/O
def data_dirs(data_root: str | Path) -> list[Path]:
    """The text and C3D folders under ``<data_root>/mocap`` (existing ones only)."""
    root = Path(data_root) / "mocap"
    return [d for d in (root / TEXT_DIR, root / C3D_DIR) if d.is_dir()]


def _speed_key(p: Path) -> tuple:
    m = _NAME_RE.search(p.name) or _C3D_RE.search(p.name)
    return (int(m.group(1)), m.group(2)) if m else (10**6, p.name)


def list_trials(*data_dirs: str | Path) -> list[Path]:
    """Running trials in the given folders: text marker files (``RBDSnnnrunTssmarkers
    .txt``) and C3D runs (``RBDSnnrunTss.c3d``), sorted by subject number and speed.
    ``list_trials(*data_dirs(root))`` lists both formats (13 runners, 34 trials)."""
    out = []
    for d in data_dirs:
        d = Path(d)
        if not d.is_dir():
            continue
        out += [p for p in d.glob("RBDS*run*markers.txt") if _NAME_RE.search(p.name)]
        out += [p for p in d.glob("RBDS*run*.c3d") if _C3D_RE.search(p.name)]
    return sorted(out, key=_speed_key)


def _find_info(d: Path) -> Optional[Path]:
    for q in (d / "RBDSinfo.txt", d.parent / TEXT_DIR / "RBDSinfo.txt"):
        if q.is_file():
            return q
    return None


def trial_paths(run_path: str | Path) -> dict:
    """The static, forces and info files that belong to a running trial (None if absent):
    a text marker file or a C3D run file."""
    p = Path(run_path)
    d = p.parent

    def opt(name):
        q = d / name
        return q if q.is_file() else None

    m = _NAME_RE.search(p.name)
    if m:
        raw, speed = m.group(1), m.group(2)
        static, forces, fmt = (
            opt(f"RBDS{raw}static.txt"),
            opt(f"RBDS{raw}run{speed}forces.txt"),
            "text",
        )
    else:
        m = _C3D_RE.search(p.name)
        if not m:
            raise ValueError(f"{p.name}: not a Fukuchi running trial file name")
        raw, speed = m.group(1), m.group(2)
        static = opt(fukuchi_c3d.C3D_STATIC_FMT.format(raw=raw))
        forces, fmt = (p if p.is_file() else None), "c3d"
    return {
        "static": static,
        "forces": forces,
        "info": _find_info(d),
        "subject": subject_id(int(raw)),
        "subject_number": int(raw),
        "speed_code": speed,
        "belt_speed_m_s": int(speed[1:]) / 10.0,
        "format": fmt,
    }


def _read_markers(path: Path) -> tuple[dict, int]:
    """Markers (m, file's lab frame) and frame count of a text marker file or a C3D."""
    path = Path(path)
    if path.suffix.lower() == ".c3d":
        c = fukuchi_c3d.read_c3d(path)
        return c.markers, c.n_frames
    df = pd.read_csv(path, sep="\t")
    cols = [c for c in df.columns if c != "Time"]
    names = []
    for c in cols:
        if c.endswith("X") and c[:-1] + "Y" in df.columns and c[:-1] + "Z" in df.columns:
            names.append(c[:-1])
    out = {}
    for n in names:
        arr = df[[n + "X", n + "Y", n + "Z"]].to_numpy(dtype=float) / 1000.0
        out[n] = arr
    return out, len(df)


def _lab_axes(markers: dict) -> np.ndarray:
    """Rotation (3x3, rows = new x, y, z in lab coordinates) found from the pelvis markers.

    y = lab axis along which the ASIS sit highest above the heels; x = horizontal
    component of mid-PSIS -> mid-ASIS; z = x cross y (points to the runner's right,
    checked against the right ASIS).
    """
    asis = 0.5 * (markers["R.ASIS"] + markers["L.ASIS"])
    psis = 0.5 * (markers["R.PSIS"] + markers["L.PSIS"])
    heel_keys = [k for k in ("R.Heel.Bottom", "L.Heel.Bottom") if k in markers]
    heel = np.nanmean([markers[k] for k in heel_keys], axis=0)
    d = np.nanmedian(asis - heel, axis=0)
    up = np.zeros(3)
    k = int(np.argmax(np.abs(d)))
    up[k] = np.sign(d[k])
    fwd = np.nanmedian(asis - psis, axis=0)
    fwd = fwd - up * (fwd @ up)
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, up)
    rdir = np.nanmedian(markers["R.ASIS"] - markers["L.ASIS"], axis=0)
    if rdir @ right < 0:  # cannot happen for a right-handed x, y; kept as a check
        raise ValueError("pelvis markers inconsistent: right ASIS is on the left")
    return np.vstack([fwd, up, right])


def rigid_fit(
    ref: np.ndarray, cur: np.ndarray, min_markers: Optional[int] = None
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares rotation R (n,3,3) and translation t (n,3) with cur ~ R ref + t.

    ``ref`` (m,3) markers of the cluster in the static trial, ``cur`` (n,m,3) per frame.
    Soderkvist & Wedin (1993): SVD of the cross-covariance, reflection-corrected.
    By default (``min_markers=None``) frames with a missing marker get NaN; with
    ``min_markers=k`` the fit uses the markers present in each frame and needs ``k``.
    """
    ref = np.asarray(ref, float)
    cur = np.asarray(cur, float)
    present = np.isfinite(cur).all(axis=2) & np.isfinite(ref).all(axis=1)[None, :]
    need = ref.shape[0] if min_markers is None else int(min_markers)
    ok = present.sum(axis=1) >= need
    if min_markers is None:
        ok &= present.all(axis=1)
    w = present.astype(float)
    nw = np.maximum(w.sum(axis=1), 1.0)
    ref0 = np.where(np.isfinite(ref), ref, 0.0)
    cur0 = np.where(present[:, :, None], cur, 0.0)
    rc = np.einsum("nm,mi->ni", w, ref0) / nw[:, None]
    cc = np.einsum("nm,nmi->ni", w, cur0) / nw[:, None]
    a = (ref0[None] - rc[:, None, :]) * w[:, :, None]
    b = (cur0 - cc[:, None, :]) * w[:, :, None]
    h = np.einsum("nmi,nmj->nij", a, b)
    u, _, vt = np.linalg.svd(h)
    v, ut = vt.transpose(0, 2, 1), u.transpose(0, 2, 1)
    dm = np.broadcast_to(np.eye(3), h.shape).copy()
    dm[:, 2, 2] = np.sign(np.linalg.det(v @ ut))
    r = v @ dm @ ut
    t = cc - np.einsum("nij,nj->ni", r, rc)
    r[~ok] = np.nan
    t[~ok] = np.nan
    return r, t


def _fill_short_gaps(arr: np.ndarray, max_gap: int) -> np.ndarray:
    """Linear interpolation of NaN runs up to ``max_gap`` samples, per column."""
    out = np.array(arr, dtype=float)
    flat = out.reshape(len(out), -1)
    idx = np.arange(len(out))
    for j in range(flat.shape[1]):  # columns, not frames
        col = flat[:, j]
        bad = ~np.isfinite(col)
        if not bad.any() or bad.all():
            continue
        filled = np.interp(idx, idx[~bad], col[~bad])
        run_id = np.cumsum(~bad)
        run_len = np.bincount(run_id, weights=bad)[run_id]
        interior = (idx > idx[~bad][0]) & (idx < idx[~bad][-1])
        use = bad & (run_len <= max_gap) & interior
        col[use] = filled[use]
    return flat.reshape(out.shape)


def _static_consistent(run: dict, ref: dict, tol_m: float) -> list[str]:
    """Markers whose distances to the segment's other markers in the static trial agree
    with the running trial's median distances (median disagreement <= ``tol_m``).
    Markers absent from the run cannot be checked: they are kept only when every marker
    that could be checked passed. RBDS001's static trial has ``R.MT1`` and ``R.MT5``
    exchanged (distances to the heel markers swapped by 15-37 mm)."""
    names = list(ref)
    present = {a: a in run and np.isfinite(run[a]).all(axis=1).any() for a in names}
    keep, failed = [], False
    for a in names:
        if not present[a]:
            continue
        dev = []
        for b in names:
            if b == a or not present[b]:
                continue
            d = np.linalg.norm(run[a] - run[b], axis=1)
            if np.isfinite(d).any():
                dev.append(abs(np.nanmedian(d) - np.linalg.norm(ref[a] - ref[b])))
        if not dev or np.median(dev) <= tol_m:
            keep.append(a)
        else:
            failed = True
    if not failed:
        keep += [a for a in names if not present[a]]
    return keep


def rigid_fill(
    run: dict, static: dict, names: list[str], min_markers: int = 3, tol_m: float = 0.012
) -> dict:
    """Fill missing samples of the markers ``names`` (one rigid segment) in ``run`` from
    the other markers of the segment in that frame: the static trial's configuration
    fitted to the present markers (``rigid_fit``, at least ``min_markers``), the missing
    marker carried along. A marker absent from ``run`` altogether is created. Markers
    whose static position disagrees with the run (``_static_consistent``, ``tol_m``) are
    not used. Returns ``{name: n filled samples}``; ``run`` is modified in place.

    Accuracy, hiding a marker that is present (C3D and text trials): ``MT1`` median
    error 2-6 mm, pelvis markers 4-30 mm (ASIS, soft tissue between standing and
    running), thigh cluster 1-5 mm (``bench/validate_events.py --runners13``)."""
    names = [n for n in names if n in static and np.isfinite(static[n]).all(axis=1).any()]
    if len(names) < min_markers + 1:
        return {}
    means = {m: np.nanmean(static[m], axis=0) for m in names}
    names = _static_consistent(run, means, tol_m)
    if len(names) < min_markers + 1:
        return {}
    n = len(next(iter(run.values())))
    ref = np.stack([means[m] for m in names])
    cur = np.stack([run.get(m, np.full((n, 3), np.nan)) for m in names], axis=1)
    miss = ~np.isfinite(cur).all(axis=2)
    if not miss.any():
        return {}
    rows = miss.any(axis=1)
    r, t = rigid_fit(ref, cur[rows], min_markers=min_markers)
    est = np.einsum("nij,mj->nmi", r, ref) + t[:, None, :]
    filled = {}
    for j, m in enumerate(names):
        need = miss[rows, j] & np.isfinite(est[:, j]).all(axis=1)
        if not need.any():
            continue
        arr = run.get(m, np.full((n, 3), np.nan)).copy()
        idx = np.flatnonzero(rows)[need]
        arr[idx] = est[need, j]
        run[m] = arr
        filled[m] = int(need.sum())
    return filled


def _hip_centres_harrington(m: dict) -> dict:
    """Hip joint centres per frame from ASIS/PSIS (Harrington et al. 2007), metres."""
    ra, la, rp, lp = m["R.ASIS"], m["L.ASIS"], m["R.PSIS"], m["L.PSIS"]
    mid_a = 0.5 * (ra + la)
    mid_p = 0.5 * (rp + lp)
    z = ra - la
    pw = np.linalg.norm(z, axis=1)
    z = z / pw[:, None]
    xa = mid_a - mid_p
    xa = xa - z * np.einsum("ij,ij->i", xa, z)[:, None]
    x = xa / np.linalg.norm(xa, axis=1)[:, None]
    y = np.cross(z, x)
    pd_ = np.linalg.norm(mid_a - mid_p, axis=1)
    # per-trial constants (median) so the hip centre is rigid in the pelvis
    pw_m, pd_m = np.nanmedian(pw) * 1000.0, np.nanmedian(pd_) * 1000.0
    cx = (-0.24 * pd_m - 9.9) / 1000.0
    cy = (-0.30 * pw_m - 10.9) / 1000.0
    cz = (0.33 * pw_m + 7.3) / 1000.0
    out = {}
    for side, s in (("right", 1.0), ("left", -1.0)):
        out[f"{side}_hip"] = mid_a + cx * x + cy * y + s * cz * z
    return out


def _static_local(static: dict, cluster: list[str], points: list[list[str]]):
    """Cluster reference positions and anatomical points (mean over the static trial)."""
    ref = np.stack([np.nanmean(static[c], axis=0) for c in cluster])
    pts = [np.mean([np.nanmean(static[n], axis=0) for n in group], axis=0) for group in points]
    return ref, pts


def _segment_points(run: dict, static: dict, cluster: list[str], points: list[list[str]]):
    ref, pts = _static_local(static, cluster, points)
    cur = np.stack([run[c] for c in cluster], axis=1)
    r, t = rigid_fit(ref, cur, min_markers=3)
    return [np.einsum("nij,j->ni", r, p) + t for p in pts]


def _read_info(info_path: Optional[Path], subject_no: int) -> dict:
    if info_path is None:
        return {}
    df = pd.read_csv(info_path, sep="\t")
    row = df[df["Subject"] == subject_no]
    if row.empty:
        return {}
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.iloc[0].items()}


def foot_strike(info: dict, speed_code: str) -> dict:
    """Foot-strike pattern per side at a speed (``T25`` -> RBDSinfo ``RFSI25`` /
    ``LFSI25``): {"right": "Rearfoot", "left": ...}; {} when unknown."""
    out = {}
    for side, s in (("right", "R"), ("left", "L")):
        v = info.get(FOOT_STRIKE_COLUMN.format(side=s, speed=speed_code[1:]))
        if isinstance(v, str) and v.strip():
            out[side] = v.strip()
    return out


# --------------------------------------------------------------------------- forces
def read_forces(path: str | Path, vertical_lab_axis: Optional[int] = None) -> ForceSignal:
    """Vertical force of a text force file (the column among Fx, Fy, Fz with the largest
    mean: ``Fy``; ``Time`` = 300 Hz sample index) or of a C3D run
    (``fukuchi_c3d.vertical_force``)."""
    path = Path(path)
    if path.suffix.lower() == ".c3d":
        c = fukuchi_c3d.read_c3d(path)
        f, info = fukuchi_c3d.vertical_force(c, vertical_lab_axis)
        rate = float(c.analog_rate_hz)
        return ForceSignal(f, rate, np.arange(len(f)) / rate, info["channel"], str(path), info)
    df = pd.read_csv(path, sep="\t")
    fcols = [c for c in ("Fx", "Fy", "Fz") if c in df.columns]
    vcol = max(fcols, key=lambda c: df[c].mean())
    f = df[vcol].to_numpy(dtype=float)
    f = np.where(np.isfinite(f), f, 0.0)
    t = (df["Time"].to_numpy(dtype=float) - df["Time"].iloc[0]) / FORCE_RATE_HZ
    info = {"channel_means_n": {c: float(df[c].mean()) for c in fcols}, "sign": 1.0}
    return ForceSignal(f, FORCE_RATE_HZ, t, vcol, str(path), info)


# --------------------------------------------------------------------------- loading
def _cache_key(paths: list) -> str:
    h = hashlib.sha1(f"v{CACHE_VERSION}".encode())
    for p in paths:
        if p is None:
            h.update(b"-")
            continue
        st = Path(p).stat()
        h.update(f"{Path(p).resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _save_cache(trial: MocapTrial, path: Path) -> None:
    arrays = {"time_s": trial.time_s}
    arrays.update({f"m:{k}": v for k, v in trial.markers.items()})
    arrays.update({f"j:{k}": v for k, v in trial.joint_centres.items()})
    arrays.update({f"s:{k}": v for k, v in (trial.static_markers or {}).items()})
    meta = {
        "name": trial.name, "sampling_rate_hz": trial.sampling_rate_hz,
        "belt_speed_m_s": trial.belt_speed_m_s, "height_m": trial.height_m,
        "mass_kg": trial.mass_kg, "subject": trial.subject, "info": trial.info,
        "forces_path": None if trial.forces_path is None else str(trial.forces_path),
        "foot_strike": trial.foot_strike,
        "source_path": None if trial.source_path is None else str(trial.source_path),
    }  # fmt: skip
    if trial.forces is not None:
        f = trial.forces
        arrays["f:vertical_n"], arrays["f:time_s"] = f.vertical_n, f.time_s
        meta["forces"] = {"sampling_rate_hz": f.sampling_rate_hz, "column": f.column,
                          "source": f.source, "details": f.details}  # fmt: skip
    arrays["meta"] = np.array(json.dumps(meta, default=str))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)


def _load_cache(path: Path) -> MocapTrial:
    z = np.load(path, allow_pickle=False)
    meta = json.loads(str(z["meta"]))
    pick = lambda pre: {k[len(pre) :]: z[k] for k in z.files if k.startswith(pre)}  # noqa: E731
    forces = None
    if "forces" in meta:
        fm = meta["forces"]
        forces = ForceSignal(z["f:vertical_n"], fm["sampling_rate_hz"], z["f:time_s"],
                             fm["column"], fm["source"], fm["details"])  # fmt: skip
    static = pick("s:")
    return MocapTrial(
        name=meta["name"], time_s=z["time_s"], sampling_rate_hz=meta["sampling_rate_hz"],
        belt_speed_m_s=meta["belt_speed_m_s"], markers=pick("m:"), joint_centres=pick("j:"),
        height_m=meta["height_m"], mass_kg=meta["mass_kg"], subject=meta["subject"],
        info=meta["info"],
        forces_path=Path(meta["forces_path"]) if meta["forces_path"] else None,
        forces=forces, foot_strike=meta["foot_strike"], static_markers=static or None,
        source_path=Path(meta["source_path"]) if meta["source_path"] else None,
    )  # fmt: skip


def load_trial(
    markers_path: str | Path,
    static_path: str | Path | None = None,
    info_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> MocapTrial:
    """Load a running trial (text marker file or C3D run), put it in the x = travel,
    y = up, z = right frame (metres) and compute joint centres (see the module docstring
    for the methods); the vertical force is loaded with it (``trial.forces``).

    ``static_path`` / ``info_path`` default to the subject's files next to the trial
    (RBDSinfo.txt is also looked for in the text folder). Without a static trial knee and
    ankle centres are approximated from the cluster marker means (lateral + medial
    bottom markers), which is less accurate. ``cache_dir``: keep the loaded trial as an
    npz there (keyed by the files' paths, sizes and times and ``CACHE_VERSION``).
    """
    markers_path = Path(markers_path)
    paths = trial_paths(markers_path)
    static_path = Path(static_path) if static_path else paths["static"]
    info_path = Path(info_path) if info_path else paths["info"]
    cache = None
    if cache_dir is not None:
        key = _cache_key([markers_path, static_path, info_path, paths["forces"]])
        cache = Path(cache_dir) / f"{markers_path.stem}_{key}.npz"
        if cache.is_file():
            try:
                return _load_cache(cache)
            except Exception:  # stale or partial cache file: rebuild it
                pass
    trial = _load(markers_path, paths, static_path, info_path)
    if cache is not None:
        _save_cache(trial, cache)
    return trial


def _load(markers_path: Path, paths: dict, static_path, info_path) -> MocapTrial:
    if paths["format"] == "c3d":
        c = fukuchi_c3d.read_c3d(markers_path)
        run, n, rate = c.markers, c.n_frames, float(c.point_rate_hz)
    else:
        run, n = _read_markers(markers_path)
        rate = MARKER_RATE_HZ
    run = {k: _fill_short_gaps(v, max_gap=int(_MAX_LINEAR_GAP_S * rate)) for k, v in run.items()}
    rot = _lab_axes(run)
    run = {k: v @ rot.T for k, v in run.items()}
    static = None
    if static_path is not None:
        static, _ = _read_markers(static_path)
        static = {k: v @ rot.T for k, v in static.items()}
    filled = {}
    if static is not None:  # longer gaps and absent markers: rigid-body fill
        for names in _SEGMENTS.values():
            filled.update(rigid_fill(run, static, names))

    jc = _hip_centres_harrington(run)
    for side, p in SIDE_PREFIX.items():
        thigh = [f"{p}Thigh.{a}.{b}" for a in ("Top", "Bottom") for b in ("Lateral", "Medial")]
        shank = [f"{p}Shank.{a}.{b}" for a in ("Top", "Bottom") for b in ("Lateral", "Medial")]
        if static is not None and f"{p}Knee" in static and f"{p}Ankle" in static:
            (knee,) = _segment_points(run, static, thigh, [[f"{p}Knee", f"{p}Knee.Medial"]])
            (ankle,) = _segment_points(run, static, shank, [[f"{p}Ankle", f"{p}Ankle.Medial"]])
        else:  # crude fallback: centre of the distal cluster markers
            knee = 0.5 * (run[thigh[1]] + run[thigh[3]])
            ankle = 0.5 * (run[shank[1]] + run[shank[3]])
        jc[f"{side}_knee"] = knee
        jc[f"{side}_ankle"] = ankle
        jc[f"{side}_heel"] = run[f"{p}Heel.Bottom"]
        jc[f"{side}_toe"] = 0.5 * (run[f"{p}MT1"] + run[f"{p}MT5"])
        jc[f"{side}_asis"] = run[f"{p}ASIS"]
        jc[f"{side}_psis"] = run[f"{p}PSIS"]

    info = _read_info(info_path, paths["subject_number"])
    height = float(info.get("Height", np.nan)) / 100.0 if info else float("nan")
    mass = float(info.get("Mass", np.nan)) if info else float("nan")
    if not np.isfinite(height):
        # not in RBDSinfo.txt (e.g. RBDS032): hip-to-ankle length is 0.491 x height
        # (0.530 H - 0.039 H, Winter 2009, fig. 4.1); flagged in info
        legs = [
            np.nanmedian(np.linalg.norm(jc[f"{s}_hip"] - jc[f"{s}_knee"], axis=1))
            + np.nanmedian(np.linalg.norm(jc[f"{s}_knee"] - jc[f"{s}_ankle"], axis=1))
            for s in ("left", "right")
        ]
        height = float(np.mean(legs) / 0.491)
        info = dict(info, height_estimated_from_legs=True)
    info = dict(info, markers_rigid_filled=filled, lab_axes=rot.tolist(), format=paths["format"],
                file=markers_path.name)  # fmt: skip
    forces = None
    if paths["forces"] is not None:
        up_axis = int(np.argmax(np.abs(rot[1])))
        forces = read_forces(paths["forces"], vertical_lab_axis=up_axis)
    return MocapTrial(
        name=f"{paths['subject']}run{paths['speed_code']}",
        time_s=np.arange(n) / rate,
        sampling_rate_hz=rate,
        belt_speed_m_s=paths["belt_speed_m_s"],
        markers=run,
        joint_centres=jc,
        height_m=height,
        mass_kg=mass,
        subject=paths["subject"],
        info=info,
        forces_path=paths["forces"],
        forces=forces,
        foot_strike=foot_strike(info, paths["speed_code"]),
        static_markers=static,
        source_path=markers_path,
    )


def force_contacts(
    forces,
    threshold_n: float = 30.0,
    trial: Optional[MocapTrial] = None,
    min_contact_s: float = 0.08,
    sampling_rate_hz: Optional[float] = None,
) -> dict:
    """Foot contacts from the treadmill's vertical ground reaction force.

    ``forces``: a ``MocapTrial`` (its ``forces``; also used as ``trial``), a
    ``ForceSignal``, a force file path (text or C3D, ``read_forces``) or an array of
    vertical force samples at ``sampling_rate_hz`` (default 300 Hz, first sample t = 0).

    Contact = vertical force above ``threshold_n`` (BIOMECHANICS.md section 3: 20-50 N),
    IC/TO at the linearly interpolated threshold crossings (sub-sample). The force's first
    sample is t = 0, synchronous with the markers' first frame. Contacts shorter than
    ``min_contact_s`` are dropped as noise.

    The treadmill has one force plate under both feet; contacts alternate. With a
    ``trial`` each contact is given to the foot whose lowest point (heel or toe) is
    lower at mid-contact; without one every contact has side ``"unknown"``.

    Returns ``{"ic_s": {side: array}, "to_s": {side: array}, "contacts": DataFrame
    (side, ic_s, to_s, contact_time_s), "vertical_column", "threshold_n"}``.
    """
    if isinstance(forces, MocapTrial):
        trial = forces if trial is None else trial
        if forces.forces is None:
            raise ValueError(f"{forces.name}: no force data")
        sig = forces.forces
    elif isinstance(forces, ForceSignal):
        sig = forces
    elif isinstance(forces, (str, Path)):
        sig = read_forces(forces)
    else:
        f = np.asarray(forces, float)
        rate = float(sampling_rate_hz or FORCE_RATE_HZ)
        sig = ForceSignal(f, rate, np.arange(len(f)) / rate, "array", "array")
    f = np.where(np.isfinite(sig.vertical_n), sig.vertical_n, 0.0)
    t = np.asarray(sig.time_s, float)
    on = f > threshold_n
    d = np.diff(on.astype(int))
    starts = np.flatnonzero(d == 1)  # crossing between i and i+1
    ends = np.flatnonzero(d == -1)
    if on[0]:
        ends = ends[ends > 0]
    ends = ends[ends > (starts[0] if len(starts) else len(f))]
    m = min(len(starts), len(ends))
    starts, ends = starts[:m], ends[:m]

    def cross(i):
        f0, f1 = f[i], f[i + 1]
        frac = (threshold_n - f0) / (f1 - f0)
        return t[i] + frac * (t[i + 1] - t[i])

    ic = np.array([cross(i) for i in starts]) if m else np.zeros(0)
    to = np.array([cross(i) for i in ends]) if m else np.zeros(0)
    keep = (to - ic) >= min_contact_s
    ic, to = ic[keep], to[keep]
    sides = np.array(["unknown"] * len(ic), dtype=object)
    if trial is not None and len(ic):
        mid = 0.5 * (ic + to)
        low = {}
        for side in ("left", "right"):
            y = np.fmin(
                trial.joint_centres[f"{side}_heel"][:, 1], trial.joint_centres[f"{side}_toe"][:, 1]
            )
            ok = np.isfinite(y)
            low[side] = np.interp(mid, trial.time_s[ok], y[ok])
        sides = np.where(low["left"] < low["right"], "left", "right").astype(object)
    contacts = pd.DataFrame({"side": sides, "ic_s": ic, "to_s": to, "contact_time_s": to - ic})
    out = {
        "ic_s": {},
        "to_s": {},
        "contacts": contacts,
        "vertical_column": sig.column,
        "threshold_n": threshold_n,
    }
    for side in sorted(set(sides)):
        sel = sides == side
        out["ic_s"][side] = ic[sel]
        out["to_s"][side] = to[sel]
    return out


def trial_checks(trial: MocapTrial, threshold_n: float = 30.0) -> dict:
    """Plausibility of a loaded trial: contacts (count, alternation, cadence, contact
    time), vertical force vs body weight, axes (vertical, travel, belt speed from the
    stance foot), segment lengths and marker gap filling."""
    out = {"trial": trial.name, "subject": trial.subject, "speed_m_s": trial.belt_speed_m_s,
           "foot_strike": trial.foot_strike_label, "height_m": trial.height_m,
           "mass_kg": trial.mass_kg}  # fmt: skip
    rot = np.asarray(trial.info.get("lab_axes", np.eye(3)))
    out["vertical_lab_axis"] = "XYZ"[int(np.argmax(np.abs(rot[1])))]
    out["travel_lab_axis"] = ("+" if rot[0][int(np.argmax(np.abs(rot[0])))] > 0 else "-") + (
        "XYZ"[int(np.argmax(np.abs(rot[0])))]
    )
    jc = trial.joint_centres
    for a, b in (("hip", "knee"), ("knee", "ankle")):
        seg = np.concatenate([np.linalg.norm(jc[f"{s}_{a}"] - jc[f"{s}_{b}"], axis=1)
                              for s in ("left", "right")])  # fmt: skip
        out[f"{a}_{b}_m"] = float(np.nanmedian(seg))
        out[f"{a}_{b}_sd_mm"] = float(1000 * np.nanstd(seg))
    filled = trial.info.get("markers_rigid_filled", {}) or {}
    out["rigid_filled_samples"] = int(sum(filled.values()))
    if trial.forces is None:
        return out
    f = trial.forces
    bw = 9.81 * trial.mass_kg
    out["force_channel"] = f.column
    out["plate_normal_lab_axis"] = f.details.get("plate_normal_lab_axis")
    out["mean_vertical_n"] = float(np.mean(f.vertical_n))
    out["mean_over_body_weight"] = float(np.mean(f.vertical_n) / bw) if np.isfinite(bw) else np.nan
    fc = force_contacts(trial, threshold_n=threshold_n)
    c = fc["contacts"]
    sides = c.side.to_numpy()
    out["n_contacts"] = int(len(c))
    out["alternation"] = float((sides[1:] != sides[:-1]).mean()) if len(c) > 1 else np.nan
    step = np.diff(c.ic_s.to_numpy())
    out["cadence_spm"] = float(60.0 / np.mean(step)) if len(step) else np.nan
    out["step_time_cv_pct"] = float(100 * np.std(step) / np.mean(step)) if len(step) else np.nan
    out["contact_time_ms"] = float(1000 * c.contact_time_s.median()) if len(c) else np.nan
    out["duty_factor"] = (
        float(c.contact_time_s.median() / (2 * np.median(step))) if len(c) else np.nan
    )
    # belt speed from the stance foot's backward speed (middle half of each contact)
    v = []
    for r in c.itertuples(index=False):  # contacts
        a, b = r.ic_s + 0.25 * r.contact_time_s, r.to_s - 0.25 * r.contact_time_s
        sel = (trial.time_s >= a) & (trial.time_s <= b)
        x = jc[f"{r.side}_heel"][sel, 0]
        if sel.sum() >= 3 and np.isfinite(x).all():
            v.append(-np.polyfit(trial.time_s[sel], x, 1)[0])
    out["stance_foot_speed_m_s"] = float(np.median(v)) if v else np.nan
    return out


# --------------------------------------------------------------------------- 2-D view
#: Assumptions for points with no marker (stated in the truth dict and the docs):
#: shoulders sit on a line from the hip-centre midpoint, 0.288 x body height long
#: (greater trochanter 0.530 H to acromion 0.818 H, Winter 2009, Biomechanics and Motor
#: Control of Human Movement, fig. 4.1), leaning forward by TRUNK_LEAN_DEG (coaching band
#: 5-12 deg, BIOMECHANICS.md section 8); each shoulder 0.129 H apart laterally
#: (shoulder width 0.259 H, Winter 2009). Ears 0.118 H above the shoulders (0.936 H),
#: nose 0.08 m in front of the ears.
TRUNK_LEAN_DEG = 8.0


def _upper_body(jc: dict, height_m: float) -> dict:
    h = height_m if np.isfinite(height_m) else 1.75
    mid = 0.5 * (jc["left_hip"] + jc["right_hip"])
    lean = np.deg2rad(TRUNK_LEAN_DEG)
    trunk = np.array([np.sin(lean), np.cos(lean), 0.0]) * 0.288 * h
    sh = mid + trunk
    out = {}
    for side, s in (("right", 1.0), ("left", -1.0)):
        out[f"{side}_shoulder"] = sh + np.array([0.0, 0.0, s * 0.129 * h])
        out[f"{side}_ear"] = sh + np.array([0.0, 0.118 * h, s * 0.075])
    out["nose"] = sh + np.array([0.08, 0.105 * h, 0.0])
    return out


_POINT_MAP = {"hip": "hip", "knee": "knee", "ankle": "ankle", "heel": "heel",
              "foot_index": "toe"}  # fmt: skip


def _resample(time_src: np.ndarray, arr: np.ndarray, time_dst: np.ndarray) -> np.ndarray:
    out = np.full((len(time_dst), arr.shape[1]), np.nan)
    for j in range(arr.shape[1]):  # 3 coordinates
        ok = np.isfinite(arr[:, j])
        if ok.sum() >= 2:
            out[:, j] = np.interp(time_dst, time_src[ok], arr[ok, j], left=np.nan, right=np.nan)
    return out


def to_side_view(
    trial: MocapTrial,
    fps: float = 60.0,
    camera_side: str = "right",
    px_per_m: float = 500.0,
    image_size: tuple[int, int] = (720, 1280),
    noise=None,
    seed: int = 0,
    camera_distance_m: float = 3.5,
    duration_s: Optional[float] = None,
    start_s: float = 0.0,
    force_threshold_n: float = 30.0,
) -> tuple[PoseTrack, dict]:
    """Project a trial to the 2-D keypoints a pose model would give for a side view.

    A pinhole camera at ``camera_distance_m`` from the pelvis on the runner's
    ``camera_side``, optical axis horizontal and perpendicular to travel, pelvis at the
    image centre; ``px_per_m`` is the scale in the pelvis's sagittal plane (so the near
    leg looks slightly larger than the far leg). ``camera_side="right"``: the right leg is
    near and the runner faces image-right; ``"left"``: faces image-left.
    Marker data (150 Hz) are linearly resampled to ``fps``. Landmarks without markers
    (eyes, mouth, arms, hands) are NaN with visibility 0; shoulders, ears and nose
    follow the stated assumption (``_upper_body``). ``noise`` (a
    ``gaitlens_validation.noise.PoseNoise`` or None) perturbs the keypoints the way
    MediaPipe does; the truth is noise-free.

    Returns the ``PoseTrack`` and a truth dict: ``events`` (force contacts, or None when
    there is no force file), ``points_px`` (noise-free per-frame px of every landmark
    and ``{left,right}_{asis,psis}``), ``facing``, ``near_side``, ``px_per_m``,
    ``swapped`` (frames whose legs the noise swapped), ``assumptions``.
    """
    if camera_side not in ("left", "right"):
        raise ValueError("camera_side must be 'left' or 'right'")
    t_end = trial.time_s[-1] if duration_s is None else min(trial.time_s[-1], start_s + duration_s)
    t = np.arange(start_s, t_end + 1e-9, 1.0 / fps)
    jc = dict(trial.joint_centres)
    jc.update(_upper_body(jc, trial.height_m))
    pts3 = {k: _resample(trial.time_s, v, t) for k, v in jc.items()}

    s = 1.0 if camera_side == "right" else -1.0
    pelvis = 0.5 * (jc["left_hip"] + jc["right_hip"])
    c = np.nanmedian(pelvis, axis=0)
    cam_z = c[2] + s * camera_distance_m
    f_px = px_per_m * camera_distance_m
    w, h = image_size

    def project(p):
        depth = s * (cam_z - p[:, 2])
        u = w / 2 + s * f_px * (p[:, 0] - c[0]) / depth
        v = h / 2 - f_px * (p[:, 1] - c[1]) / depth
        return np.stack([u, v], axis=1)

    pts_px = {k: project(v) for k, v in pts3.items()}
    xy = np.full((len(t), N_LANDMARKS, 2), np.nan)
    vis = np.zeros((len(t), N_LANDMARKS))
    near = camera_side
    for side in ("left", "right"):
        for bp, key in _POINT_MAP.items():
            xy[:, INDEX[f"{side}_{bp}"]] = pts_px[f"{side}_{key}"]
            vis[:, INDEX[f"{side}_{bp}"]] = 0.99 if side == near else 0.85
        xy[:, INDEX[f"{side}_shoulder"]] = pts_px[f"{side}_shoulder"]
        xy[:, INDEX[f"{side}_ear"]] = pts_px[f"{side}_ear"]
        vis[:, INDEX[f"{side}_shoulder"]] = 0.99 if side == near else 0.8
        vis[:, INDEX[f"{side}_ear"]] = 0.95 if side == near else 0.5
    xy[:, INDEX["nose"]] = pts_px["nose"]
    vis[:, INDEX["nose"]] = 0.95
    vis[~np.isfinite(xy).all(axis=2)] = 0.0

    truth_px = {k: v.copy() for k, v in pts_px.items()}
    swapped = np.zeros(len(t), dtype=bool)
    if noise is not None:
        rng = np.random.default_rng(seed)
        xy, vis, swapped = noise.apply(xy, vis, t, near_side=near, px_per_m=px_per_m, rng=rng)

    events = None
    if trial.forces is not None:
        fc = force_contacts(trial, threshold_n=force_threshold_n)
        sel = (fc["contacts"]["ic_s"] >= t[0]) & (fc["contacts"]["to_s"] <= t[-1])
        cont = fc["contacts"][sel].reset_index(drop=True)
        events = {
            "ic_s": {sd: cont.loc[cont.side == sd, "ic_s"].to_numpy() for sd in ("left", "right")},
            "to_s": {sd: cont.loc[cont.side == sd, "to_s"].to_numpy() for sd in ("left", "right")},
            "contacts": cont,
            "vertical_column": fc["vertical_column"],
            "threshold_n": force_threshold_n,
        }
    track = PoseTrack(
        time_s=t - t[0],
        xy_px=xy,
        visibility=vis,
        frame_size_px=(w, h),
        landmark_names=LANDMARK_NAMES,
        video={"path": f"fukuchi:{trial.name}", "nominal_fps": fps, "synthetic": True},
        backend={"name": "fukuchi_markers", "noise": None if noise is None else noise.describe()},
    )
    if events is not None:  # event times relative to the track's first frame
        events = dict(events)
        events["ic_s"] = {k: v - t[0] for k, v in events["ic_s"].items()}
        events["to_s"] = {k: v - t[0] for k, v in events["to_s"].items()}
        cont = events["contacts"].copy()
        cont["ic_s"] -= t[0]
        cont["to_s"] -= t[0]
        events["contacts"] = cont
    truth = {
        "events": events,
        "points_px": truth_px,
        "time_s": t - t[0],
        "facing": camera_side,
        "near_side": near,
        "px_per_m": px_per_m,
        "camera_distance_m": camera_distance_m,
        "swapped": swapped,
        "belt_speed_m_s": trial.belt_speed_m_s,
        "assumptions": (
            "shoulders/ears/nose placed from the hip-centre midpoint with a fixed "
            f"{TRUNK_LEAN_DEG:.0f} deg forward trunk lean (no upper-body markers); "
            "foot_index = midpoint of 1st/5th metatarsal heads"
        ),
    }
    return track, truth
