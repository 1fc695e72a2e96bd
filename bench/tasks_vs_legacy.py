"""Tasks backend (``PoseLandmarker``, mediapipe 1.x) against the legacy ``solutions.pose``
graph (mediapipe 0.10.21), and the lite / full / heavy bundles against each other.

Three steps, each cached, so MediaPipe runs once per clip and configuration:

1. ``render``: the 14 held-out parametric renders of ``bench/validate_pelvis.py`` (``t_*``,
   30 fps, 4 s, both facings, with truth) into ``CACHE/lag_renders`` (for the hip delay).
2. ``pose --configs ...``: pose tracks of the four sample clips, the shared real clip and
   the renders, one configuration after another per clip (so the time ratio between
   configurations comes from one run), one pose worker, into ``CACHE/<config>-mp<ver>/``.
   Run it in each environment: the legacy configuration needs mediapipe 0.10.21
   (``/work/main/.venv``, with ``PYTHONPATH`` at this tree), which also runs the Tasks API
   (``tasks-full`` there has identical weights, so it isolates the graph); mediapipe 1.x
   runs ``tasks-full``, ``tasks-heavy``, ``tasks-lite``.
3. ``report``: from the cached tracks, per configuration: keypoint error against the
   renders' truth (``gaitlens_validation.keypoints``), events of the real clip against
   its hand labels (unbiased time ``(frame - 0.5) / 30``), the analysis (angles, pelvis
   timing, tilt estimate, findings) on every clip, the hip-landmark delay
   (``bench/validate_kinematics.py hip-delay``'s fit, on the renders) and the pose time.

Usage::

    python bench/tasks_vs_legacy.py render
    PYTHONPATH=. <0.10.21 venv>/bin/python bench/tasks_vs_legacy.py pose --configs legacy tasks-full
    python bench/tasks_vs_legacy.py pose --configs tasks-full tasks-heavy tasks-lite
    python bench/tasks_vs_legacy.py report --out bench/results/tasks_vs_legacy.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CACHE = Path(os.environ.get("GAITLENS_BENCH_CACHE", "/tmp/gaitlens-tasks-bench"))
SAMPLES = ("normal", "pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed")
REAL = ROOT.parent / "shared" / "data" / "videos" / "treadmill_side_runner_30fps.mp4"
GROUPS = ("hip", "knee", "ankle", "heel", "foot_index")
CONFIGS = {
    "legacy": {"pose_backend": "mediapipe-legacy", "model_complexity": 1},
    "tasks-full": {"pose_backend": "mediapipe", "model_complexity": 1},
    "tasks-heavy": {"pose_backend": "mediapipe", "model_complexity": 2},
    "tasks-lite": {"pose_backend": "mediapipe", "model_complexity": 0},
    # the same bundle frame by frame (IMAGE mode: no tracking, no smoothing), to see
    # whether VIDEO mode smooths the landmarks in time
    "tasks-full-image": {"pose_backend": "tasks-image-mode", "model_complexity": 1},
}


def _register_image_mode() -> None:
    from gaitlens.pose import base, tasks

    class ImageMode(tasks.TasksPose):
        name = "tasks-image-mode"

        def __init__(self, **kw):
            kw["segmentation"] = False
            super().__init__(**kw)
            _, mp_tasks, vision = tasks._vision()
            self._landmarker.close()
            opts = vision.PoseLandmarkerOptions(
                base_options=mp_tasks.BaseOptions(model_asset_path=str(self.model_path)),
                running_mode=vision.RunningMode.IMAGE,
            )
            self._landmarker = vision.PoseLandmarker.create_from_options(opts)

        def _call(self, image, ms):
            return self._landmarker.detect(image)

    base.register_backend("tasks-image-mode")(ImageMode)


def _mp_version() -> str:
    import mediapipe

    return mediapipe.__version__


def _clips(which) -> list:
    out = []
    if "samples" in which:
        out += [(n, ROOT / "sample_videos" / f"{n}.mp4") for n in SAMPLES]
    if "real" in which and REAL.is_file():
        out.append((REAL.stem, REAL))
    if "lag" in which:
        out += [(p.stem, p) for p in sorted((CACHE / "lag_renders").glob("t_*.mp4"))]
    return out


def render() -> None:
    from validate_pelvis import TEST  # the held-out specs

    from gaitlens import synthetic
    from gaitlens.synthetic.model import WINTER, RunnerParams

    out = CACHE / "lag_renders"
    out.mkdir(parents=True, exist_ok=True)
    for spec in TEST:
        mp4 = out / f"{spec['name']}.mp4"
        if mp4.is_file():
            continue
        prop = dict(WINTER)
        prop.update(spec["prop"] or {})
        p = RunnerParams(fps=30.0, duration_s=4.0, image_size_px=(480, 640),
                         seed=spec["seed"], facing=spec["facing"], height_m=spec["height"],
                         proportions=prop, sensor_noise_std=1.5, **spec["kw"])  # fmt: skip
        synthetic.render(synthetic.simulate(p), mp4)
        print("rendered", mp4.name, flush=True)


def pose(configs, which) -> None:
    from gaitlens.config import AnalysisConfig
    from gaitlens.pose.runner import run_pose

    ver = _mp_version()
    if "tasks-full-image" in configs:
        _register_image_mode()
    for name, path in _clips(which):
        for c in configs:
            d = CACHE / f"{c}-mp{ver}"
            d.mkdir(parents=True, exist_ok=True)
            npz = d / f"{name}.npz"
            if npz.is_file():
                continue
            cfg = AnalysisConfig(pose_workers=1, **CONFIGS[c])
            t0 = time.perf_counter()
            track = run_pose(path, cfg, progress=False)
            secs = time.perf_counter() - t0
            track.save(npz)
            (d / f"{name}.time.json").write_text(
                json.dumps({"seconds": secs, "frames": int(track.n_frames)})
            )
            print(f"{c}@{ver} {name}: {track.n_frames} frames, {secs:.1f} s", flush=True)


# --- report ---------------------------------------------------------------------------


def _keypoints(track, clip: Path) -> dict:
    from gaitlens.synthetic.truth import load_truth
    from gaitlens_validation.keypoints import summarize

    meta, truth = load_truth(clip)
    r = summarize(track, truth, meta["near_side"], meta["leg_length_px"])
    out = {"legs_swapped_frac": r["lr_swapped_frac"], "detection_rate": r.get("detection_rate")}
    for side in ("near", "far"):
        for g in GROUPS:
            for q in ("median", "p95"):
                out[f"{side}_{g}_{q}_pct_leg"] = r[f"{side}_{g}_fixed_{q}_pct"]
    return out


def _hand_events() -> pd.DataFrame:
    ev = pd.read_csv(REAL.with_suffix(".events.csv"))
    ev["t_s"] = (ev["frame"] - 0.5) / 30.0
    return ev


def _events_vs_hand(an) -> dict:
    from gaitlens_validation.events import match_events

    ev = _hand_events()
    out = {}
    for kind, attr in (("IC", "ic_s"), ("TO", "to_s")):
        errs = []
        for side in ("left", "right"):
            truth = ev[(ev["side"] == side) & (ev["event"] == kind)]["t_s"].to_numpy()
            pred = np.asarray(getattr(an.events, attr).get(side, []), float)
            pred = pred[np.isfinite(pred)]
            e = match_events(pred, truth, tol_s=0.1)
            errs.append(e)
        e = np.concatenate(errs)
        ok = e[np.isfinite(e)]
        out[f"{kind}_matched"] = f"{len(ok)}/{len(e)}"
        out[f"{kind}_bias_ms"] = 1000 * float(np.mean(ok)) if len(ok) else np.nan
        out[f"{kind}_median_abs_ms"] = 1000 * float(np.median(np.abs(ok))) if len(ok) else np.nan
        out[f"{kind}_p95_abs_ms"] = (
            1000 * float(np.percentile(np.abs(ok), 95)) if len(ok) else np.nan
        )
    return out


METRICS = (
    "pelvis_lag_ms",
    "overstride_legs",
    "knee_flexion_ic_deg",
    "hip_flexion_ic_deg",
    "hip_flexion_midstance_deg",
    "hip_extension_to_deg",
    "trunk_lean_mean_deg",
    "pelvic_tilt_mean_deg",
    "contact_time_s",
)


def _vs_render_truth(an, clip: Path) -> dict:
    """Stride-median metrics minus the renderer's truth, event timing against the true
    events, and the true faults, for a rendered clip."""
    from gaitlens_validation.events import match_events

    truth = json.loads(clip.with_suffix(".truth.json").read_text())
    ts = pd.DataFrame(truth["strides"])
    out = {}
    for m in METRICS:
        if m in ts and m in an.strides and len(an.strides):
            out[f"{m}_err"] = float(np.nanmedian(an.strides[m]) - np.nanmedian(ts[m]))
    ev = pd.DataFrame(truth["events"])
    for kind, attr in (("IC", "ic_s"), ("TO", "to_s")):
        e = []
        for side in ("left", "right"):
            tt = ev[(ev["side"] == side) & (ev["event"] == kind)]["time_s"].to_numpy()
            pred = np.asarray(getattr(an.events, attr).get(side, []), float)
            e.append(match_events(pred[np.isfinite(pred)], tt, tol_s=0.1))
        e = np.concatenate(e)
        ok = e[np.isfinite(e)]
        out[f"{kind}_matched_frac"] = float(len(ok) / max(len(e), 1))
        out[f"{kind}_median_abs_ms"] = 1000 * float(np.median(np.abs(ok))) if len(ok) else None
    out["true_faults"] = {k: v["present"] for k, v in truth["faults"].items()}
    return out


def _analysis(track) -> dict:
    from dataclasses import replace

    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import analyze_track

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        an = analyze_track(track, replace(AnalysisConfig(), annotated_video=False))
    s = an.summary or {}
    out = {
        "n_strides": s.get("n_strides"),
        "cadence_spm": s.get("cadence_spm"),
        "contact_time_ms": 1000 * s["contact_time_s"] if s.get("contact_time_s") else None,
        "hip_delay_applied_ms": 1000 * getattr(an.clean, "hip_landmark_delay_s", 0.0),
    }
    st = an.strides
    for col in (
        "pelvis_lag_ms",
        "pelvis_lag_pct",
        "overstride_legs",
        "shank_angle_ic_deg",
        "knee_flexion_ic_deg",
        "knee_flexion_swing_peak_deg",
        "hip_flexion_ic_deg",
        "hip_flexion_swing_peak_deg",
        "hip_extension_to_deg",
        "trunk_lean_mean_deg",
        "pelvic_tilt_mean_deg",
        "contact_time_s",
    ):
        if col in st:
            out[f"{col}_median"] = float(np.nanmedian(st[col])) if len(st) else np.nan
    fr = an.frames
    if "pelvic_tilt_est_deg" in fr:
        out["pelvic_tilt_est_deg_median"] = float(np.nanmedian(fr["pelvic_tilt_est_deg"]))
    out["findings"] = {
        f.id: [f.severity, round(float(f.score), 2), f.confidence] for f in an.findings
    }
    return out, an


def _hip_delay(folder: Path) -> dict:
    """The fit of ``validate_kinematics.hip_delay`` (slope of the pelvis point's position
    error on its velocity), on the renders posed into ``folder``."""
    from gaitlens import cleaning, kinematics
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack

    vs, es = [], []
    for npz in sorted(folder.glob("t_*.npz")):
        tc = CACHE / "lag_renders" / f"{npz.stem}.truth.csv.gz"
        if not tc.is_file():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c = cleaning.clean(PoseTrack.load(npz), AnalysisConfig())
        df = pd.read_csv(tc)
        n = min(len(df), c.n_frames)
        s = 1.0 if c.facing == "right" else -1.0
        true_x = np.full(c.n_frames, np.nan)
        mid = 0.5 * (df["left_hip_x_px"] + df["right_hip_x_px"]).to_numpy()[:n]
        true_x[:n] = s * (mid - c.origin_px[0])
        win = int(round(kinematics.RUNNING_MEDIAN_S * c.sampling_rate_hz))
        px = kinematics.pelvis_point(c)[0][:, 0]
        x_m = (px - kinematics.running_median(px, win)) / c.leg_length_px
        x_t = (true_x - kinematics.running_median(true_x, win)) / c.leg_length_px
        v = kinematics.derivative(x_m, c.time_s)
        ok = np.isfinite(x_m) & np.isfinite(x_t) & np.isfinite(v)
        e = (x_m - x_t)[ok]
        vs.append(v[ok] - v[ok].mean())
        es.append(e - e.mean())
    if not vs:
        return {}
    per = [-float(np.dot(v, e) / np.dot(v, v)) for v, e in zip(vs, es)]
    v, e = np.concatenate(vs), np.concatenate(es)
    b = float(np.dot(v, e) / np.dot(v, v))
    return {
        "hip_delay_ms": -1000 * b,
        "r2": float(1 - np.var(e - b * v) / np.var(e)),
        "renders": len(vs),
        "per_render_ms_median": 1000 * float(np.median(per)),
        "per_render_ms_range": [1000 * float(np.min(per)), 1000 * float(np.max(per))],
    }


def _smoothing_probe(folder: Path) -> dict:
    """Frame-to-frame jitter of the landmarks on the renders (median over landmarks of
    the RMS second difference, px): a smoothed graph has far less than an unsmoothed
    one on the same clips."""
    from gaitlens.io.track import PoseTrack

    vals = []
    for npz in sorted(folder.glob("t_*.npz")):
        xy = PoseTrack.load(npz).xy_px
        d2 = np.diff(xy, n=2, axis=0)
        vals.append(np.nanmedian(np.sqrt(np.nanmean(d2**2, axis=(0, 2)))))
    return {"second_diff_rms_px": float(np.median(vals))} if vals else {}


def report(out_path) -> dict:
    from gaitlens.io.track import PoseTrack

    res = {"configs": {}}
    for d in sorted(p for p in CACHE.iterdir() if p.is_dir() and "-mp" in p.name):
        name = d.name
        entry = {"clips": {}, "seconds": {}}
        for npz in sorted(d.glob("*.npz")):
            clip = npz.stem
            tj = npz.with_suffix(".time.json")
            if tj.is_file():
                entry["seconds"][clip] = json.loads(tj.read_text())["seconds"]
            if clip.startswith("t_"):
                continue
            track = PoseTrack.load(npz)
            row = {}
            if clip in SAMPLES:
                row["keypoints"] = _keypoints(track, ROOT / "sample_videos" / f"{clip}.mp4")
            try:
                row["analysis"], an = _analysis(track)
                if clip == REAL.stem:
                    row["events_vs_hand_labels"] = _events_vs_hand(an)
                if clip in SAMPLES:
                    row["vs_truth"] = _vs_render_truth(an, ROOT / "sample_videos" / f"{clip}.mp4")
            except Exception as exc:  # a clip the analysis refuses
                row["analysis_error"] = f"{type(exc).__name__}: {exc}"
            entry["clips"][clip] = row
        entry["hip_delay"] = _hip_delay(d)
        entry["jitter"] = _smoothing_probe(d)
        res["configs"][name] = entry
    _summaries(res)
    if out_path:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        Path(out_path).write_text(json.dumps(res, indent=1, default=_json) + "\n")
        Path(out_path).with_suffix(".md").write_text(markdown(res))
    return res


def _json(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    return str(o)


def _summaries(res: dict) -> None:
    """Tables on stdout: keypoints (mean over the samples), real-clip events and
    metrics, hip delay, time ratio to the first configuration on the same clips."""
    cf = res["configs"]
    rows = []
    for name, e in cf.items():
        kp = [c["keypoints"] for c in e["clips"].values() if "keypoints" in c]
        real = e["clips"].get(REAL.stem, {})
        r = {"config": name}
        if kp:
            for g in ("hip", "knee", "ankle"):
                for side in ("near", "far"):
                    r[f"{side} {g} med/p95 %leg"] = "{:.1f} / {:.1f}".format(
                        np.mean([k[f"{side}_{g}_median_pct_leg"] for k in kp]),
                        np.mean([k[f"{side}_{g}_p95_pct_leg"] for k in kp]),
                    )
            r["swapped max"] = f"{max(k['legs_swapped_frac'] for k in kp):.3f}"
        ev = real.get("events_vs_hand_labels", {})
        for k in ("IC", "TO"):
            if ev:
                r[f"real {k} matched, bias/med/p95 ms"] = (
                    f"{ev[f'{k}_matched']}, {ev[f'{k}_bias_ms']:.0f}/"
                    f"{ev[f'{k}_median_abs_ms']:.0f}/{ev[f'{k}_p95_abs_ms']:.0f}"
                )
        a = real.get("analysis", {})
        r["real pelvis_lag_ms"] = a.get("pelvis_lag_ms_median")
        hd = e.get("hip_delay") or {}
        r["hip delay ms (R2)"] = f"{hd['hip_delay_ms']:.1f} ({hd['r2']:.2f})" if hd else ""
        r["jitter px"] = e.get("jitter", {}).get("second_diff_rms_px")
        rows.append(r)
    print(pd.DataFrame(rows).to_string(index=False))
    # time ratios within one environment (same run)
    by_env = {}
    for name, e in cf.items():
        by_env.setdefault(name.split("-mp")[1], {})[name.split("-mp")[0]] = e["seconds"]
    ratios = {}
    for env, d in by_env.items():
        base = "legacy" if "legacy" in d else "tasks-full"
        if base not in d:
            continue
        for c, secs in d.items():
            common = [k for k in secs if k in d[base]]
            if common:
                ratios[f"{c}@{env} / {base}@{env}"] = sum(secs[k] for k in common) / sum(
                    d[base][k] for k in common
                )
    res["time_ratios"] = ratios
    print(json.dumps(ratios, indent=1))


def markdown(res: dict) -> str:
    """The report's tables as markdown (docs/pose_backends.md quotes them)."""

    def md(df):
        cols = list(df.columns)
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for _, r in df.iterrows():
            lines.append("| " + " | ".join("" if pd.isna(v) else str(v) for v in r) + " |")
        return "\n".join(lines)

    out = []
    rows, frows, trows = [], [], []
    for name, e in res["configs"].items():
        kp = [c["keypoints"] for c in e["clips"].values() if "keypoints" in c]
        vt = [c["vs_truth"] for c in e["clips"].values() if "vs_truth" in c]
        real = e["clips"].get(REAL.stem, {})
        r = {"configuration": name}
        if kp:
            for side in ("near", "far"):
                for g in ("knee", "ankle"):
                    r[f"{side} {g} median / p95 (% leg)"] = "{:.1f} / {:.1f}".format(
                        np.mean([k[f"{side}_{g}_median_pct_leg"] for k in kp]),
                        np.mean([k[f"{side}_{g}_p95_pct_leg"] for k in kp]),
                    )
            r["legs swapped, worst clip"] = f"{max(k['legs_swapped_frac'] for k in kp):.1%}"
        if vt:
            for k in ("IC", "TO"):
                r[f"renders {k} median abs (ms)"] = round(
                    float(np.mean([v[f"{k}_median_abs_ms"] or np.nan for v in vt])), 1
                )
            for m in ("knee_flexion_ic_deg", "hip_flexion_ic_deg", "pelvis_lag_ms"):
                r[f"renders {m} bias"] = round(float(np.mean([v[f"{m}_err"] for v in vt])), 1)
        ev = real.get("events_vs_hand_labels", {})
        for k in ("IC", "TO"):
            if ev:
                r[f"real {k} matched; bias / median / p95 abs (ms)"] = (
                    f"{ev[f'{k}_matched']}; {ev[f'{k}_bias_ms']:.0f} / "
                    f"{ev[f'{k}_median_abs_ms']:.0f} / {ev[f'{k}_p95_abs_ms']:.0f}"
                )
        hd = e.get("hip_delay") or {}
        if hd:
            r["hip delay (ms), R^2"] = f"{hd['hip_delay_ms']:.1f}, {hd['r2']:.2f}"
        if e.get("jitter"):
            r["landmark jitter (px)"] = round(e["jitter"]["second_diff_rms_px"], 2)
        if e["clips"]:
            rows.append(r)
        elif hd:
            trows.append(r)
        for clip, c in e["clips"].items():
            a = c.get("analysis", {})
            f = {k: v[0] for k, v in a.get("findings", {}).items()}
            truth = c.get("vs_truth", {}).get("true_faults", {})
            frows.append(
                {
                    "clip": clip,
                    "configuration": name,
                    "strides": a.get("n_strides"),
                    "pelvis_lag_ms": round(a.get("pelvis_lag_ms_median", np.nan), 0),
                    "tilt est (deg)": round(a.get("pelvic_tilt_est_deg_median", np.nan), 1),
                    "hip flexion IC": round(a.get("hip_flexion_ic_deg_median", np.nan), 1),
                    "knee flexion IC": round(a.get("knee_flexion_ic_deg_median", np.nan), 1),
                    "findings (lag / back+hips / tilt)": " / ".join(f.values()),
                    "true faults": ", ".join(k for k, v in truth.items() if v) or "-",
                }
            )
    out.append("### Keypoints, events, hip delay\n\n" + md(pd.DataFrame(rows + trows)))
    fr = pd.DataFrame(frows).sort_values(["clip", "configuration"])
    out.append("### Downstream, per clip\n\n" + md(fr))
    out.append(
        "### Pose time ratios (same run)\n\n"
        + "\n".join(f"- {k}: {v:.2f}" for k, v in res.get("time_ratios", {}).items())
    )
    return "\n\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("render", "pose", "report"))
    ap.add_argument("--configs", nargs="+", default=["tasks-full"], choices=sorted(CONFIGS))
    ap.add_argument("--clips", nargs="+", default=["samples", "real", "lag"])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.step == "render":
        render()
    elif args.step == "pose":
        pose(args.configs, args.clips)
    else:
        report(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
