"""Fukuchi et al. (2017) treadmill running marker data: loading, joint centres, force contacts.

Data: Running Biomechanics Data Set, Fukuchi, Fukuchi & Duarte (2017), PeerJ 5:e3298,
CC BY 4.0. Marker files are tab-separated, ``Time`` then ``<marker>X/Y/Z`` in mm at
150 Hz; force files have ``Time`` = sample index at 300 Hz then the ground reaction force.

What was established from the data itself (see ``_lab_axes``; checked on RBDS001/002/032):

- lab ``Y`` is vertical (ASIS about 1.0 m above the heel markers);
- lab ``X`` is the direction of travel (mid-ASIS lies at larger ``X`` than mid-PSIS);
- lab ``Z`` points to the runner's right (right ASIS at larger ``Z``).
- the vertical ground reaction force is the force file's ``Fy`` column (mean over a
  trial = body weight, e.g. 597 N for RBDS001 at 62 kg), not ``Fz`` (mean about 0 N):
  ``force_contacts`` picks the column whose mean is largest and says which it used.
- the ``Time`` column of the marker files is rounded to 1 ms; time is rebuilt as
  ``index / 150``.

Joint centres (metres, in the trial frame x = travel, y = up, z = right):

- hip: Harrington et al. (2007), J Biomech 40:595-602, regression from pelvis width
  (inter-ASIS distance, PW) and depth (mid-ASIS to mid-PSIS, PD) in the pelvis frame
  (origin mid-ASIS, x anterior, y superior, z right): x = -0.24 PD - 9.9 mm,
  y = -0.30 PW - 10.9 mm, z = +-(0.33 PW + 7.3 mm).
- knee: midpoint of the lateral and medial femoral epicondyle markers, ankle: midpoint
  of the malleoli, both from the static trial expressed in the thigh / shank cluster
  frame and carried into the running trial by a least-squares rigid fit of the
  four-marker cluster (Soderkvist & Wedin 1993, J Biomech 26:1473-1477).
- heel: the ``Heel.Bottom`` marker (posterior-inferior calcaneus, what BlazePose's heel
  landmark marks); toe: midpoint of the 1st and 5th metatarsal heads (no toe-tip marker
  exists; BlazePose's ``foot_index`` sits a few cm further forward, on the toes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from gaitlens.io.track import PoseTrack
from gaitlens.pose.skeleton import INDEX, LANDMARK_NAMES, N_LANDMARKS

MARKER_RATE_HZ = 150.0  # Fukuchi et al. 2017, methods
FORCE_RATE_HZ = 300.0  # Fukuchi et al. 2017, methods
SIDE_PREFIX = {"left": "L.", "right": "R."}

_NAME_RE = re.compile(r"RBDS(\d{3})run(T\d{2})markers\.txt$")


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

    @property
    def n_frames(self) -> int:
        return len(self.time_s)


# --------------------------------------------------------------------------- I/O
def list_trials(data_dir: str | Path) -> list[Path]:
    """Marker files of running trials under ``data_dir`` (sorted)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    return sorted(p for p in data_dir.glob("RBDS*run*markers.txt") if _NAME_RE.search(p.name))


def trial_paths(markers_path: str | Path) -> dict:
    """The static, forces and info files that belong to a marker file (None if absent)."""
    p = Path(markers_path)
    m = _NAME_RE.search(p.name)
    if not m:
        raise ValueError(f"{p.name}: not a Fukuchi running marker file name")
    subj, speed = m.group(1), m.group(2)
    d = p.parent

    def opt(name):
        q = d / name
        return q if q.is_file() else None

    return {
        "static": opt(f"RBDS{subj}static.txt"),
        "forces": opt(f"RBDS{subj}run{speed}forces.txt"),
        "info": opt("RBDSinfo.txt"),
        "subject": f"RBDS{subj}",
        "belt_speed_m_s": int(speed[1:]) / 10.0,
    }


def _read_markers(path: Path) -> tuple[dict, int]:
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


def rigid_fit(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares rotation R (n,3,3) and translation t (n,3) with cur ~ R ref + t.

    ``ref`` (m,3) markers of the cluster in the static trial, ``cur`` (n,m,3) per frame.
    Soderkvist & Wedin (1993): SVD of the cross-covariance, reflection-corrected.
    Frames with a missing marker get NaN.
    """
    ok = np.isfinite(cur).all(axis=(1, 2))
    rc = ref.mean(axis=0)
    cc = np.where(ok[:, None], np.nanmean(cur, axis=1), np.nan)
    a = ref - rc
    b = np.where(ok[:, None, None], cur - cc[:, None, :], 0.0)
    h = np.einsum("mi,nmj->nij", a, b)
    u, _, vt = np.linalg.svd(h)
    v, ut = vt.transpose(0, 2, 1), u.transpose(0, 2, 1)
    dm = np.broadcast_to(np.eye(3), h.shape).copy()
    dm[:, 2, 2] = np.sign(np.linalg.det(v @ ut))
    r = v @ dm @ ut
    t = cc - np.einsum("nij,j->ni", r, rc)
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
    r, t = rigid_fit(ref, cur)
    return [np.einsum("nij,j->ni", r, p) + t for p in pts]


def _read_info(info_path: Optional[Path], subject_no: int) -> dict:
    if info_path is None:
        return {}
    df = pd.read_csv(info_path, sep="\t")
    row = df[df["Subject"] == subject_no]
    if row.empty:
        return {}
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.iloc[0].items()}


def load_trial(
    markers_path: str | Path,
    static_path: str | Path | None = None,
    info_path: str | Path | None = None,
) -> MocapTrial:
    """Load a running trial, put it in the x = travel, y = up, z = right frame (metres)
    and compute joint centres (see the module docstring for the methods).

    ``static_path`` / ``info_path`` default to the subject's files next to the marker
    file. Without a static trial knee and ankle centres are approximated from the
    cluster marker means (lateral + medial bottom markers), which is less accurate.
    """
    markers_path = Path(markers_path)
    paths = trial_paths(markers_path)
    static_path = Path(static_path) if static_path else paths["static"]
    info_path = Path(info_path) if info_path else paths["info"]
    run, n = _read_markers(markers_path)
    run = {k: _fill_short_gaps(v, max_gap=int(0.1 * MARKER_RATE_HZ)) for k, v in run.items()}
    rot = _lab_axes(run)
    run = {k: v @ rot.T for k, v in run.items()}
    static = None
    if static_path is not None:
        static, _ = _read_markers(static_path)
        static = {k: v @ rot.T for k, v in static.items()}

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

    subj_no = int(paths["subject"][4:])
    info = _read_info(info_path, subj_no)
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
    return MocapTrial(
        name=markers_path.name.replace("markers.txt", ""),
        time_s=np.arange(n) / MARKER_RATE_HZ,
        sampling_rate_hz=MARKER_RATE_HZ,
        belt_speed_m_s=paths["belt_speed_m_s"],
        markers=run,
        joint_centres=jc,
        height_m=height,
        mass_kg=mass,
        subject=paths["subject"],
        info=info,
        forces_path=paths["forces"],
    )


# --------------------------------------------------------------------------- forces
def force_contacts(
    forces_path: str | Path,
    threshold_n: float = 30.0,
    trial: Optional[MocapTrial] = None,
    min_contact_s: float = 0.08,
) -> dict:
    """Foot contacts from the treadmill's vertical ground reaction force.

    Contact = vertical force above ``threshold_n`` (BIOMECHANICS.md section 3: 20-50 N),
    IC/TO at the linearly interpolated threshold crossings (sub-sample). The force
    ``Time`` column is the sample index at 300 Hz (first sample = t 0, synchronous with
    the marker file). Contacts shorter than ``min_contact_s`` are dropped as noise.

    The treadmill has one force plate under both feet; contacts alternate. With a
    ``trial`` each contact is given to the foot whose lowest point (heel or toe) is
    lower at mid-contact; without one every contact has side ``"unknown"``.

    Returns ``{"ic_s": {side: array}, "to_s": {side: array}, "contacts": DataFrame
    (side, ic_s, to_s, contact_time_s), "vertical_column", "threshold_n"}``.
    """
    df = pd.read_csv(forces_path, sep="\t")
    fcols = [c for c in ("Fx", "Fy", "Fz") if c in df.columns]
    vcol = max(fcols, key=lambda c: df[c].mean())
    f = df[vcol].to_numpy(dtype=float)
    f = np.where(np.isfinite(f), f, 0.0)
    t = (df["Time"].to_numpy(dtype=float) - df["Time"].iloc[0]) / FORCE_RATE_HZ
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
        "vertical_column": vcol,
        "threshold_n": threshold_n,
    }
    for side in sorted(set(sides)):
        sel = sides == side
        out["ic_s"][side] = ic[sel]
        out["to_s"][side] = to[sel]
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
    if trial.forces_path is not None:
        fc = force_contacts(trial.forces_path, threshold_n=force_threshold_n, trial=trial)
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
