"""Ground truth of a synthetic run: events, per-stride values, per-frame table, files.

Per-stride values are computed from the model's dense cycle (2000 samples per stride),
not from the video frames, so they are exact to well under a millisecond. Definitions
follow ../shared/BIOMECHANICS.md sections 2, 5 and 6; where the spec leaves a choice
open the choice is stated here:

* ``knee_flexion_midstance_deg``: peak knee flexion in stance (as
  ``gaitlens.strides.metrics``); ``hip_flexion_midstance_deg``: at the middle of contact.
* ``overstride_legs``: heel x minus pelvis point P x at IC, over leg length.
* ``pelvis_lag_ms`` / ``_pct`` and ``pelvis_surge_legs_per_s``: the product's own
  definition (``gaitlens.strides.metrics.pelvis_timing``: phase of the pelvis's
  step-frequency forward oscillation, treadmill frame, behind the swing thigh's
  stride-frequency angular velocity, and the oscillation's amplitude) applied to the
  model's dense cycle.
* ``pelvis_late_swing_excursion_legs``: P's forward travel (treadmill frame) from the
  swing leg's peak hip flexion (trunk-referenced) to its IC, over leg length.
* ``pelvic_tilt_rom_deg``: 5-95 % range within the stride (as
  ``gaitlens.strides.metrics``); ``pelvic_tilt_ptp_deg`` is max - min.
* ``hamstring_stretch_peak_pct``: 2-D moment-arm model of BIOMECHANICS.md section 4,
  dL = r_hip * d(hip flexion, pelvis-referenced) - r_knee * d(knee flexion) from
  standing (0, 0), r_hip = 6 cm and r_knee = 3 cm (mid-points of the spec's ranges),
  normalised to a standing length taken as the thigh length.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import SIDES

HAMSTRING_R_HIP_M = 0.06
HAMSTRING_R_KNEE_M = 0.03


def _offset(side: str) -> float:
    return 0.0 if side == "right" else 0.5


def events_table(run) -> pd.DataFrame:
    """IC and TO per foot inside the clip: side, event, time_s, frame (nearest)."""
    p = run.params
    T, d = p.stride_time_s, run.cycle.duty
    rows = []
    dur = run.time_s[-1] if len(run.time_s) else 0.0
    for s in SIDES:
        for ev, ph in (("IC", 0.0), ("TO", d)):
            # times where phase_s == ph: phase_offset + t/T - offset = k + ph
            k0 = int(np.floor(p.phase_offset - _offset(s) - ph)) - 1
            k1 = int(np.ceil(p.phase_offset + dur / T)) + 1
            for k in range(k0, k1 + 1):
                t = (k + ph + _offset(s) - p.phase_offset) * T
                if 0.0 <= t <= dur:
                    rows.append((s, ev, t, int(round(t * p.fps))))
    df = pd.DataFrame(rows, columns=["side", "event", "time_s", "frame"])
    return df.sort_values("time_s", ignore_index=True)


def cycle_truth(run, side: str = "right") -> dict:
    """Per-stride truth from the dense cycle (identical for both sides by symmetry)."""
    return regime_truth(run.params, run.cycle)


def regime_truth(p, c) -> dict:
    """Per-stride truth of the parameters ``p`` from their dense cycle ``c``."""
    from ..strides.metrics import pelvis_timing
    from .model import leg_points

    T, d = p.stride_time_s, c.duty
    ph = c.phase
    n = len(ph)
    dt = T / n
    L = p.leg_length_m
    lean, tilt = c.trunk_lean_deg, c.pelvic_tilt_deg
    hipx, hipy = c.hip_x_m, c.hip_y_m
    th, kn = c.thigh_deg, c.knee_deg
    hf = th + lean
    i_to = int(np.searchsorted(ph, d))
    i_mid = int(np.searchsorted(ph, d / 2))
    sw = ph >= d
    st = ~sw
    legs = leg_points(p, np.stack([hipx, hipy], 1), th, kn, c.foot_pitch_deg)
    # pelvis timing: the product's definition on the dense (periodic) cycle
    th_rate = (np.roll(th, -1) - np.roll(th, 1)) / (2 * dt)
    vx = (np.roll(hipx, -1) - np.roll(hipx, 1)) / (2 * dt) / L
    t_cyc = np.r_[ph * T, T]
    timing = pelvis_timing(t_cyc, np.r_[vx, vx[0]], np.r_[th_rate, th_rate[0]], 0.0, T)
    lag_s = timing["lag"] * T
    # late-swing excursion: from peak hip flexion in swing to IC (phase 1 == 0)
    i_hf = int(np.argmax(np.where(sw, hf, -np.inf)))
    exc = (hipx[0] - hipx[i_hf]) / L
    hip_pel = th + tilt - p.standing_pelvic_tilt_deg
    stretch = HAMSTRING_R_HIP_M * np.radians(hip_pel) - HAMSTRING_R_KNEE_M * np.radians(kn)
    stretch_pct = 100 * stretch / p.seg("thigh")
    i_hs = int(np.argmax(stretch_pct))
    return {
        "stride_time_s": T,
        "cadence_spm": p.cadence_spm,
        "contact_time_s": d * T,
        "flight_time_s": (0.5 - d) * T,
        "duty_factor": d,
        "overstride_legs": (legs["heel"][0, 0] - hipx[0]) / L,
        "shank_angle_ic_deg": th[0] - kn[0],
        "thigh_angle_ic_deg": th[0],
        "knee_flexion_ic_deg": kn[0],
        "knee_flexion_midstance_deg": float(kn[st].max()),
        "knee_flexion_swing_peak_deg": float(kn[sw].max()),
        "hip_flexion_ic_deg": hf[0],
        "hip_flexion_midstance_deg": hf[i_mid],
        "hip_flexion_swing_peak_deg": float(hf[sw].max()),
        "hip_extension_to_deg": -th[i_to - 1],
        "hip_flexion_pelvis_ic_deg": hip_pel[0],
        "trunk_lean_mean_deg": float(lean.mean()),
        "pelvic_tilt_mean_deg": float(tilt.mean()),
        "pelvic_tilt_rom_deg": float(np.subtract(*np.percentile(tilt, [95, 5]))),
        "pelvic_tilt_ptp_deg": float(np.ptp(tilt)),
        "pelvis_lag_ms": 1000 * lag_s,
        "pelvis_lag_pct": 100 * lag_s / T,
        "pelvis_surge_legs_per_s": timing["surge"],
        "pelvis_late_swing_excursion_legs": exc,
        "hamstring_stretch_peak_pct": float(stretch_pct[i_hs]),
        "hamstring_stretch_peak_pct_cycle": 100 * ph[i_hs],
        "vertical_oscillation_legs": float(np.ptp(hipy)) / L,
        "leg_length_m": L,
    }


def stride_table(run) -> pd.DataFrame:
    """One row per complete stride (IC to next IC of the same foot) inside the clip.

    With form changes (``params.changes``) each stride carries the truth of the regime
    in force at its middle, ``regime`` (0, 1, ...) and ``transition`` (True when a
    change's blend overlaps the stride, so its truth is between two regimes)."""
    ev = run.events
    regimes = getattr(run, "regimes", None) or [(float("-inf"), run.params, run.cycle)]
    truths = [regime_truth(rp, c) for _, rp, c in regimes]
    starts = np.array([t for t, _, _ in regimes])
    half_blend = 0.5 * float(run.params.change_blend_s)
    rows = []
    for s in SIDES:
        ic = ev[(ev.side == s) & (ev.event == "IC")].time_s.to_numpy()
        to = ev[(ev.side == s) & (ev.event == "TO")].time_s.to_numpy()
        for a, b in zip(ic[:-1], ic[1:]):
            tos = to[(to > a) & (to < b)]
            if len(tos) == 0:
                continue
            k = int(np.searchsorted(starts, 0.5 * (a + b), side="right") - 1)
            near = np.abs(starts[1:, None] - np.clip(starts[1:, None], a, b)) < half_blend
            rows.append({"side": s, "ic_s": a, "to_s": tos[0], "next_ic_s": b, **truths[k],
                         "regime": k, "transition": bool(near.any())})  # fmt: skip
    df = pd.DataFrame(rows)
    if len(df):
        df = df.sort_values("ic_s", ignore_index=True)
    return df


def per_frame_table(run) -> pd.DataFrame:
    """Signals plus every point: ``<name>_x_m``, ``_y_m``, ``_x_px``, ``_y_px``."""
    cols = {}
    px = run.points_px()
    for name, xy in run.points_m.items():
        cols[f"{name}_x_m"] = xy[:, 0]
        cols[f"{name}_y_m"] = xy[:, 1]
        cols[f"{name}_x_px"] = px[name][:, 0]
        cols[f"{name}_y_px"] = px[name][:, 1]
    return pd.concat([run.signals, pd.DataFrame(cols)], axis=1)


def fault_labels(params) -> dict:
    return {k: {"magnitude": v, "present": bool(v > 0)} for k, v in params.faults().items()}


def truth_dict(run) -> dict:
    """The JSON truth: params, faults, events, per-stride truth, camera, conventions."""
    c = run.camera
    return {
        "format": "gaitlens-synthetic-truth",
        "version": 1,
        "params": run.params.to_dict(),
        "faults": fault_labels(run.params),
        "near_side": run.near_side,
        "leg_length_m": run.leg_length_m,
        "leg_length_px": run.leg_length_px(),
        "camera": {
            "focal_px": c.focal_px,
            "distance_m": c.distance_m,
            "height_m": c.height_m,
            "x_m": c.x_m,
            "facing": c.facing,
            "yaw_deg": getattr(c, "yaw_deg", 0.0),
            "pitch_deg": getattr(c, "pitch_deg", 0.0),
            "px_per_m_body_plane": c.px_per_m(0.0),
        },
        "depth_m": run.depth_m,
        "conventions": (
            "analysis frame: x direction of travel, y up, metres, treadmill frame, belt at "
            "y=0; pixels: x right, y down. Angles per ../shared/BIOMECHANICS.md s.2: "
            "segment angles from vertical-down, + distal in front; knee flexion = thigh - "
            "shank; hip flexion = thigh + trunk lean (trunk-referenced), "
            "hip_flexion_pelvis = thigh + tilt - standing tilt; pelvic tilt = PSIS->ASIS "
            "below the forward horizontal, + anterior; foot angle = heel->toe from "
            "vertical-down (90 = flat). toe = BlazePose foot_index."
        ),
        "source": getattr(run, "source", {"model": "gaitlens.synthetic.model"}),
        "events": run.events.to_dict(orient="records"),
        "strides": run.strides.to_dict(orient="records"),
    }


def _clean(o):
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, (np.floating, float)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.integer):
        return int(o)
    return o


def write_truth(run, video_path: str | Path) -> tuple[Path, Path]:
    """Write ``<stem>.truth.json`` and ``<stem>.truth.csv.gz`` next to the video."""
    video_path = Path(video_path)
    stem = video_path.with_suffix("")
    jpath = Path(f"{stem}.truth.json")
    cpath = Path(f"{stem}.truth.csv.gz")
    jpath.write_text(json.dumps(_clean(truth_dict(run)), indent=1))
    df = per_frame_table(run)
    # mtime=0 keeps the gzip bytes reproducible
    with open(cpath, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(df.to_csv(index=False, float_format="%.5g").encode())
    return jpath, cpath


def load_truth(video_path: str | Path) -> tuple[dict, pd.DataFrame]:
    """Read the truth files written next to a synthetic clip."""
    stem = Path(video_path).with_suffix("")
    meta = json.loads(Path(f"{stem}.truth.json").read_text())
    df = pd.read_csv(f"{stem}.truth.csv.gz")
    return meta, df
