"""Why the answer moves (issue 20): stride loss under mirroring, pelvis-lag instability.

Runs on the pose tracks cached by bench/invariance.py (makes what is missing). Parts:

1. ``mirror``: is the pipeline after pose mirror-invariant? The original pose track
   mirrored numerically (x -> width - x, with and without exchanging the left/right
   labels) against the pose track of the mirrored video; landmark differences between
   the two pose tracks (mirrored back, near/far legs matched), by landmark; which leg's
   landmarks lose the strides (composite tracks: the original with one leg taken from
   the mirrored video's track); rejected strides with their reasons and times; the
   events of both against the hand labels.
2. ``pelvis``: per-stride pelvis_lag_ms per copy (median, IQR, SD, range); strides
   matched across copies (same leg, IC within 0.1 s); for each matched stride the
   change of the pelvis-peak time and of the thigh-peak time; how often a copy's pelvis
   peak is a different local maximum of the velocity than the original's; how many local
   maxima the search window holds and how close the runner-up is; peaks at the window
   edges. The peak search is re-implemented here after ``stride_metrics.measure`` and
   checked against the tool's per-stride values.
3. ``swap``: valid strides, cadence and pelvis lag of every copy with the cleaning
   stage's leg-swap repair on and off (patches an internal class for the run).

Usage::

    python bench/invariance_diagnose.py [CLIP] [--part mirror|swap|pelvis|all]

writes ``bench/results/invariance_diagnosis_<clip>.json`` and prints a summary.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import invariance as inv  # noqa: E402

MATCH_S = 0.1
#: the share of the stride after the next IC searched for the pelvis peak (as the tool)
PELVIS_WINDOW_PAST_IC = 0.05


def _specs(clip: Path) -> dict:
    import gaitlens.io.video as gv

    m = gv.probe(clip)
    specs = {s.name: s for s in inv.copy_specs(m.width_px, m.height_px, m.nominal_fps,
                                               m.frame_count)}  # fmt: skip
    specs["mirrored_2seg"] = inv.CopySpec(
        "mirrored_2seg", "diagnostic", "mirrored, pose in 2 time segments", "hflip",
        pose_workers=2,
    )  # fmt: skip
    return specs


def _swap_names(names):
    def sw(n):
        if n.startswith("left_"):
            return "right_" + n[5:]
        if n.startswith("right_"):
            return "left_" + n[6:]
        return n

    return [names.index(sw(n)) for n in names]


def mirror_track(track, swap_labels: bool):
    """The pose track mirrored numerically (x -> width - x)."""
    xy = track.xy_px.copy()
    xy[..., 0] = track.frame_size_px[0] - xy[..., 0]
    vis = track.visibility.copy()
    if swap_labels:
        idx = _swap_names(list(track.landmark_names))
        xy, vis = xy[:, idx], vis[:, idx]
    return dataclasses.replace(track, xy_px=xy, visibility=vis)


def _leg_index(names, leg_side):
    pts = ("hip", "knee", "ankle", "heel", "foot_index")
    return [names.index(f"{leg_side}_{p}") for p in pts]


# ------------------------------------------------------------------ part 1: mirror
def mirror_part(clip: Path) -> dict:
    from bench.events_real_video import LABELS, compare_events, summary_table

    specs = _specs(clip)
    o, _ = inv.copy_track(clip, specs["original"])
    m, _ = inv.copy_track(clip, specs["mirrored"])
    m2, _ = inv.copy_track(clip, specs["mirrored_2seg"])
    o2, _ = inv.copy_track(clip, specs["pose_2_segments"])
    out: dict = {"variants": {}}
    variants = {
        "original (pose 1 worker)": o,
        "original, mirrored numerically, labels kept": mirror_track(o, False),
        "original, mirrored numerically, labels exchanged": mirror_track(o, True),
        "mirrored video (pose 1 worker)": m,
        "original (pose 2 segments)": o2,
        "mirrored video (pose 2 segments)": m2,
    }
    analyses = {}
    for k, tr in variants.items():
        a, err = inv.analyse(tr)
        analyses[k] = a
        r = inv.record(a, err, keep_strides=False)
        out["variants"][k] = {
            x: r.get(x)
            for x in (
                "n_valid",
                "n_valid_side",
                "facing",
                "near_side",
                "legs_relabelled",
                "cadence_spm",
                "rejected_reasons",
                "swapped_fraction",
                "foot_collapse_frames",
                "leg_visibility",
            )
        }
        out["variants"][k]["pelvis_lag_ms"] = r["metrics"]["pelvis_lag_ms"] if r["ok"] else None

    # landmark differences: the mirrored video's track mirrored back, legs by near/far
    a_o = analyses["original (pose 1 worker)"]
    a_m = analyses["mirrored video (pose 1 worker)"]
    names = list(o.landmark_names)
    mb = mirror_track(m, True)  # back to the original's geometry and anatomical labels
    leg_px = float(a_o.frames.attrs.get("leg_length_px") or np.nan)
    diff = np.linalg.norm(mb.xy_px - o.xy_px, axis=-1) / leg_px  # (frames, landmarks)
    lm = {}
    for p in ("hip", "knee", "ankle", "heel", "foot_index"):
        for leg, side in (
            ("near", a_o.quality["near_side"]),
            ("far", _other(a_o.quality["near_side"])),
        ):
            d = diff[:, names.index(f"{side}_{p}")]
            d = d[np.isfinite(d)]
            # the same landmark may come with the legs exchanged: distance to the other leg
            other = (
                np.linalg.norm(
                    mb.xy_px[:, names.index(f"{_other(side)}_{p}")]
                    - o.xy_px[:, names.index(f"{side}_{p}")],
                    axis=-1,
                )
                / leg_px
            )
            lm[f"{leg}_{p}"] = {
                "median_pct_leg": 100 * float(np.median(d)),
                "p95_pct_leg": 100 * float(np.percentile(d, 95)),
                "frames_over_10pct": float(np.mean(d > 0.10)),
                "frames_closer_to_other_leg": float(
                    np.nanmean(other < diff[:, names.index(f"{side}_{p}")])
                ),
            }
    out["landmark_difference_mirrored_vs_original"] = lm

    # composite tracks: which leg's landmarks make the difference
    comp = {}
    near = a_o.quality["near_side"]
    for leg, side in (("near", near), ("far", _other(near))):
        idx = _leg_index(names, side)
        xy, vis = o.xy_px.copy(), o.visibility.copy()
        xy[:, idx], vis[:, idx] = mb.xy_px[:, idx], mb.visibility[:, idx]
        a, err = inv.analyse(dataclasses.replace(o, xy_px=xy, visibility=vis))
        r = inv.record(a, err, keep_strides=False)
        comp[f"original with the mirrored video's {leg} leg"] = {
            "n_valid": r["n_valid"], "n_valid_side": r["n_valid_side"],
            "rejected_reasons": r.get("rejected_reasons"),
        }  # fmt: skip
    out["composites"] = comp

    # rejected strides with times, and the events against the hand labels
    for key, a in (("original", a_o), ("mirrored", a_m)):
        rej = a.rejected_strides
        nr = a.quality["near_side"]
        out[f"rejected_{key}"] = [
            {
                "leg": "near" if r.side == nr else "far",
                "ic_s": round(float(r.ic_s), 3),
                "next_ic_s": round(float(r.next_ic_s), 3),
                "stride_time_s": round(float(r.stride_time_s), 3),
                "contact_time_s": None
                if not np.isfinite(r.contact_time_s)
                else round(float(r.contact_time_s), 3),
                "reason": r.reason,
            }
            for r in rej.itertuples(index=False)  # rejected strides
        ]
        if LABELS.is_file() and clip == inv.REAL_CLIP:
            per = compare_events(a)
            out[f"events_{key}"] = summary_table(per).to_dict(orient="records")
            bad = per[(per.status != "found") | (per.error_ms.abs() > 50)]
            out[f"events_{key}_problems"] = bad.to_dict(orient="records")
    return out


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def swap_part(clip: Path) -> dict:
    """Valid strides, cadence and pelvis lag per copy with the leg-swap repair of the
    cleaning stage on (as shipped) and off. Uses an internal class
    (``gaitlens.cleaning.SwapRepair``), patched for the run only: update the import when
    the cleaning stage moves."""
    try:
        from gaitlens.cleaning import SwapRepair
    except ImportError:
        return {"skipped": "gaitlens.cleaning.SwapRepair not found (module moved?)"}
    specs = _specs(clip)
    names = [n for n, s in specs.items() if s.kind != "diagnostic"]
    tracks = {n: inv.copy_track(clip, specs[n])[0] for n in names}
    out: dict = {}
    original = SwapRepair.repair

    def off(self, pts, vis, leg_px, fs=30.0):
        return np.zeros(len(next(iter(pts.values()))), dtype=bool)

    for mode in ("swap repair on", "swap repair off"):
        SwapRepair.repair = original if mode.endswith("on") else off
        try:
            for n, tr in tracks.items():
                a, err = inv.analyse(tr)
                r = inv.record(a, err, keep_strides=False)
                out.setdefault(n, {})[mode] = {
                    "n_valid": r["n_valid"],
                    "cadence_spm": r.get("cadence_spm"),
                    "swapped_fraction": r.get("swapped_fraction"),
                    "pelvis_lag_ms_pooled": r["metrics"]["pelvis_lag_ms"]["pooled"]
                    if r["ok"]
                    else None,
                }
        finally:
            SwapRepair.repair = original
    return out


# ------------------------------------------------------------------ part 2: pelvis
def _local_max(t, y, a, b):
    """Interior local maxima of ``y`` within [a, b]: (times, values), parabola-refined,
    as ``stride_metrics.peak_in(..., interior=True)`` finds its candidates."""
    i0, i1 = np.searchsorted(t, a, side="left"), np.searchsorted(t, b, side="right")
    s = y[i0:i1]
    if len(s) < 3:
        return np.zeros(0), np.zeros(0)
    s2 = np.where(np.isfinite(s), s, -np.inf)
    loc = np.zeros(len(s), bool)
    loc[1:-1] = (s2[1:-1] >= s2[:-2]) & (s2[1:-1] >= s2[2:]) & np.isfinite(s[1:-1])
    ks = np.flatnonzero(loc)
    # ordered by the raw sample value, as peak_in chooses (the refined value may reorder)
    ks = ks[np.argsort(-s[ks], kind="stable")]
    tt, vv = [], []
    for k in ks:  # a few candidates per window
        i = i0 + k
        y0, y1, y2 = s[k - 1], s[k], s[k + 1]
        den = y0 - 2 * y1 + y2
        tp, vp = t[i], y1
        if den < 0:
            d = 0.5 * (y0 - y2) / den
            tp = t[i] + d * 0.5 * (t[i + 1] - t[i - 1])
            vp = y1 - 0.25 * (y0 - y2) * d
        tt.append(tp)
        vv.append(vp)
    return np.asarray(tt), np.asarray(vv)


def stride_peaks(analysis) -> list:
    """Per valid stride: the thigh and pelvis peak candidates and the chosen ones."""
    fr, ev = analysis.frames, analysis.events
    t = fr["time_s"].to_numpy(float)
    pv = fr["pelvis_vx_legs_per_s"].to_numpy(float)
    near = analysis.quality["near_side"]
    t0 = float(analysis.track.time_s[0])
    out = []
    for r in analysis.strides.itertuples(index=False):  # strides
        side, ic, to, nic = r.side, float(r.ic_s), float(r.to_s), float(r.next_ic_s)
        st = nic - ic
        th = fr[f"{side}_thigh_angular_velocity_deg_per_s"].to_numpy(float)
        tt, tv = _local_max(t, th, to, nic)
        oics = np.asarray(ev.ic_s.get(_other(side), []), float)
        inside = oics[(oics > to) & (oics < nic)]
        w0 = float(inside[0]) if len(inside) else 0.5 * (to + nic)
        w1 = nic + PELVIS_WINDOW_PAST_IC * st
        pt, pvv = _local_max(t, pv, w0, w1)
        k_th = 0 if len(tv) else -1  # candidates come ordered by raw sample value
        k_pv = 0 if len(pvv) else -1
        t_th = tt[k_th] if k_th >= 0 else np.nan
        t_pv = pt[k_pv] if k_pv >= 0 else np.nan
        srt = np.sort(pvv)[::-1]
        tsrt = np.sort(tv)[::-1]
        amp = np.nanmax(pv[(t >= ic) & (t <= nic)]) - np.nanmin(pv[(t >= ic) & (t <= nic)])
        out.append({
            "leg": "near" if side == near else "far",
            "ic_s": ic - t0,
            "stride_s": st,
            "t_thigh_s": t_th - t0,
            "t_pelvis_s": t_pv - t0,
            "lag_ms": 1000 * (t_pv - t_th),
            "tool_lag_ms": float(r.pelvis_lag_ms),
            "n_pelvis_maxima": int(len(pvv)),
            "n_thigh_maxima": int(len(tv)),
            "pelvis_runner_up_ratio": float((srt[1] - np.nanmin(pv[(t >= w0) & (t <= w1)]))
                                            / (srt[0] - np.nanmin(pv[(t >= w0) & (t <= w1)])))
            if len(srt) > 1 else np.nan,
            "pelvis_runner_up_gap_rel_amp": float((srt[0] - srt[1]) / amp)
            if len(srt) > 1 and amp > 0 else np.nan,
            "thigh_runner_up_rel": float(tsrt[1] / tsrt[0]) if len(tsrt) > 1 else np.nan,
            "pelvis_candidates_s": (pt - t0).tolist(),
            "thigh_candidates_s": (tt - t0).tolist(),
            "window_s": (w0 - t0, w1 - t0),
            "at_window_edge": bool(
                np.isfinite(t_pv) and min(t_pv - w0, w1 - t_pv) < 1.5 * np.median(np.diff(t))
            ),
            "pelvis_pct_cycle": 100 * (t_pv - ic) / st,
            "thigh_pct_cycle": 100 * (t_th - ic) / st,
        })  # fmt: skip
    return out


def pelvis_part(clip: Path) -> dict:
    specs = _specs(clip)
    names = [n for n, s in specs.items() if s.kind in ("reference", "invariance", "half")]
    per_copy, peaks = {}, {}
    offsets = {"second_half": None}
    for n in names:
        tr, _ = inv.copy_track(clip, specs[n])
        a, err = inv.analyse(tr)
        if a is None:
            per_copy[n] = {"error": err}
            continue
        pk = stride_peaks(a)
        if n == "second_half":
            import gaitlens.io.video as gv

            meta = gv.probe(clip)
            offsets[n] = (meta.frame_count // 2) / meta.nominal_fps
            for p in pk:
                for k in ("ic_s", "t_thigh_s", "t_pelvis_s"):
                    p[k] += offsets[n]
                p["pelvis_candidates_s"] = [x + offsets[n] for x in p["pelvis_candidates_s"]]
        peaks[n] = pk
        lag = np.array([p["lag_ms"] for p in pk])
        tool = np.array([p["tool_lag_ms"] for p in pk])
        ok = np.isfinite(lag)
        per_copy[n] = {
            "n": int(ok.sum()),
            "median": float(np.median(lag[ok])),
            "q25": float(np.percentile(lag[ok], 25)),
            "q75": float(np.percentile(lag[ok], 75)),
            "sd": float(np.std(lag[ok], ddof=1)),
            "min": float(lag[ok].min()),
            "max": float(lag[ok].max()),
            "median_near": float(np.nanmedian([p["lag_ms"] for p in pk if p["leg"] == "near"])),
            "median_far": float(np.nanmedian([p["lag_ms"] for p in pk if p["leg"] == "far"])),
            "reimplementation_max_abs_diff_ms": float(np.nanmax(np.abs(lag - tool))),
            "share_pelvis_window_with_2plus_maxima": float(
                np.mean([p["n_pelvis_maxima"] >= 2 for p in pk])
            ),
            "share_pelvis_peak_at_window_edge": float(np.mean([p["at_window_edge"] for p in pk])),
            "share_thigh_window_with_2plus_maxima": float(
                np.mean([p["n_thigh_maxima"] >= 2 for p in pk])
            ),
            "share_thigh_runner_up_over_0p8": float(
                np.mean([(p["thigh_runner_up_rel"] or 0) >= 0.8 for p in pk])
            ),
            "thigh_peak_pct_cycle_by_leg": {
                leg: [round(p["thigh_pct_cycle"], 1) for p in pk if p["leg"] == leg]
                for leg in ("near", "far")
            },
            "pelvis_peak_pct_cycle_by_leg": {
                leg: [round(p["pelvis_pct_cycle"], 1) for p in pk if p["leg"] == leg]
                for leg in ("near", "far")
            },
            "median_runner_up_gap_rel_amp": float(
                np.nanmedian([p["pelvis_runner_up_gap_rel_amp"] for p in pk])
            ),
            "lags_ms": [round(float(x), 1) for x in lag],
            "legs": [p["leg"] for p in pk],
            "ic_s": [round(p["ic_s"], 3) for p in pk],
        }
    # matched strides against the original
    base = peaks.get("original", [])
    match = {}
    for n, pk in peaks.items():
        if n == "original":
            continue
        d_pv, d_th, d_lag, other_peak, other_thigh = [], [], [], 0, 0
        for p in pk:  # strides of a copy
            c = [b for b in base if b["leg"] == p["leg"] and abs(b["ic_s"] - p["ic_s"]) < MATCH_S]
            if not c:
                continue
            b = c[0]
            d_pv.append(1000 * (p["t_pelvis_s"] - b["t_pelvis_s"]))
            d_th.append(1000 * (p["t_thigh_s"] - b["t_thigh_s"]))
            d_lag.append(p["lag_ms"] - b["lag_ms"])
            cands = np.asarray(b["pelvis_candidates_s"], float)
            # the original's local maximum nearest to the copy's chosen peak: a different
            # one than the original chose means the copy picked another local maximum
            if len(cands) and np.isfinite(p["t_pelvis_s"]):
                j = int(np.argmin(np.abs(cands - p["t_pelvis_s"])))
                other_peak += int(abs(cands[j] - b["t_pelvis_s"]) > 1e-9)
            else:
                other_peak += 1
            tc = np.asarray(b["thigh_candidates_s"], float)
            if len(tc) and np.isfinite(p["t_thigh_s"]):
                j = int(np.argmin(np.abs(tc - p["t_thigh_s"])))
                other_thigh += int(abs(tc[j] - b["t_thigh_s"]) > 1e-9)
            else:
                other_thigh += 1
        d_pv, d_th, d_lag = map(np.asarray, (d_pv, d_th, d_lag))
        if not len(d_lag):
            continue
        match[n] = {
            "matched": int(len(d_lag)),
            "of_copy": len(pk),
            "median_dlag_ms": float(np.nanmedian(d_lag)),
            "mean_abs_dlag_ms": float(np.nanmean(np.abs(d_lag))),
            "sd_dlag_ms": float(np.nanstd(d_lag, ddof=1)),
            "sd_dpelvis_ms": float(np.nanstd(d_pv, ddof=1)),
            "sd_dthigh_ms": float(np.nanstd(d_th, ddof=1)),
            "share_abs_dlag_over_50ms": float(np.nanmean(np.abs(d_lag) > 50)),
            "share_other_pelvis_maximum": other_peak / len(d_lag),
            "share_abs_dthigh_over_33ms": float(np.nanmean(np.abs(d_th) > 33.4)),
            "share_other_thigh_maximum": other_thigh / len(d_lag),
        }
    return {"per_copy": per_copy, "matched_vs_original": match, "peaks": peaks}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clip", nargs="?", type=Path, default=None)
    ap.add_argument("--part", default="all", choices=("mirror", "swap", "pelvis", "all"))
    args = ap.parse_args(argv)
    clip = args.clip or inv.REAL_CLIP
    if not clip.is_file():
        sys.exit(f"clip not available: {clip}")
    out = {}
    if args.part in ("mirror", "all"):
        out["mirror"] = mirror_part(clip)
    if args.part in ("swap", "all"):
        out["swap"] = swap_part(clip)
    if args.part in ("pelvis", "all"):
        out["pelvis"] = pelvis_part(clip)
    inv.RESULTS.mkdir(parents=True, exist_ok=True)
    path = inv.RESULTS / f"invariance_diagnosis_{clip.stem}.json"
    old = json.loads(path.read_text()) if path.is_file() else {}
    # the per-stride peak candidates are for this run's printout, not the file
    old.update({k: {kk: vv for kk, vv in v.items() if kk != "peaks"} for k, v in out.items()})
    path.write_text(json.dumps(inv._jsonable(old), separators=(",", ":")) + "\n")
    if "mirror" in out:
        print(json.dumps(inv._jsonable({k: v for k, v in out["mirror"].items()
                                        if not k.startswith("events_")}), indent=1))  # fmt: skip
    if "swap" in out:
        for n, r in out["swap"].items():
            print(n, r)
    if "pelvis" in out:
        p = out["pelvis"]
        for n, r in p["per_copy"].items():
            if "error" in r:
                print(n, r["error"])
                continue
            print(f"{n:18s} n={r['n']:2d} median {r['median']:6.1f} IQR {r['q25']:6.1f}-"
                  f"{r['q75']:6.1f} SD {r['sd']:5.1f} range {r['min']:6.1f}..{r['max']:6.1f}"
                  f" 2+max {r['share_pelvis_window_with_2plus_maxima']:.2f} edge "
                  f"{r['share_pelvis_peak_at_window_edge']:.2f} reimpl "
                  f"{r['reimplementation_max_abs_diff_ms']:.2g}")  # fmt: skip
        for n, r in p["matched_vs_original"].items():
            print(n, {k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
