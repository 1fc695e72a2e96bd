"""Validate gaitlens kinematics against marker-based truth (numbers in docs/kinematics.md).

1. ``angles``: every Fukuchi trial in ../shared projected to a side view (noise-free and
   with ``gaitlens_validation.noise.PoseNoise``), through cleaning -> events -> kinematics; RMSE of
   thigh angle, knee flexion and trunk-referenced hip flexion against the 3-D joint
   centres (sagittal plane), raw and after removing the per-trial mean offset.
2. ``pelvis`` / ``pelvis-fukuchi``: synthetic renders (gaitlens.synthetic, pelvic tilt
   4-20 deg, both facing directions) through MediaPipe (segmentation on) -> cleaning ->
   pelvis.estimate_tilt,
   against the renderer's ASIS/PSIS tilt; ``pelvis-fukuchi``: renders driven by every
   Fukuchi trial (``gaitlens_validation.mocap_driven``, tilt from the ASIS/PSIS markers).
   ``--calibrate-pelvis`` refits the abdomen-protrusion line on all renders and reports
   the leave-one-out error; ``--write-constants`` stores it in reference_bands.json.

3. ``hip-delay``: the delay of MediaPipe's hip landmarks behind the true hip
   (``gaitlens.landmark_bias``): renders of ``gaitlens.synthetic`` with truth files and
   cached MediaPipe tracks (``--lag-renders``: ``<stem>.npz`` + ``<stem>.truth.json`` +
   ``<stem>.truth.csv.gz``; ``s_<name>.npz`` take the truth of ``sample_videos/<name>``);
   least-squares slope of the pelvis point's position error (treadmill frame) on its
   velocity, fitted on the ``t_*`` renders and checked on the others; then the pelvis lag
   of every render through the gaitlens stages with and without the correction.
4. ``angles`` also prints the knee error split into pose-to-angle (unfiltered points)
   and low-pass parts (``--decompose``).

Usage: ``.venv/bin/python bench/validate_kinematics.py [angles] [pelvis] [hip-delay]
[--fps 30]``
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kinematics_fukuchi as kf  # noqa: E402

ANGLES = ("thigh_angle_deg", "knee_flexion_deg", "hip_flexion_deg")


def angle_errors(fps: float, noise) -> pd.DataFrame:
    from gaitlens_validation import fukuchi

    rows = []
    for p in fukuchi.list_trials(kf.FUKUCHI):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            r = kf.run_trial(p, fps=fps, camera_side="left", noise=noise, seed=1)
        for side in ("left", "right"):
            for a in ANGLES:
                e = (r.frames[f"{side}_{a}"] - r.truth[f"{side}_{a}"]).to_numpy()
                e = e[np.isfinite(e)]
                rows.append({"trial": r.name, "side": side, "angle": a,
                             "rmse_deg": float(np.sqrt(np.mean(e**2))),
                             "rmse_offset_removed_deg": float(np.std(e)),
                             "bias_deg": float(np.mean(e))})  # fmt: skip
    return pd.DataFrame(rows)


def knee_decomposition(fps: float) -> pd.DataFrame:
    """Noise-free knee flexion RMSE per trial and side: from the unfiltered points (the
    projection and the angle definition) and as computed (after the low-pass)."""
    from gaitlens import kinematics
    from gaitlens_validation import fukuchi

    rows = []
    for p in fukuchi.list_trials(kf.FUKUCHI):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            r = kf.run_trial(p, fps=fps, camera_side="left", noise=None, seed=1)
        u = r.clean.points_unfiltered
        for side in ("left", "right"):
            th = kinematics.segment_angle_deg(u[f"{side}_hip"], u[f"{side}_knee"])
            sh = kinematics.segment_angle_deg(u[f"{side}_knee"], u[f"{side}_ankle"])
            truth = r.truth[f"{side}_knee_flexion_deg"].to_numpy()
            rm = lambda e: float(np.sqrt(np.nanmean(e**2)))  # noqa: E731
            est = r.frames[f"{side}_knee_flexion_deg"].to_numpy()
            rows.append({"trial": r.name, "side": side, "unfiltered": rm(th - sh - truth),
                         "filtered": rm(est - truth)})  # fmt: skip
    return pd.DataFrame(rows)


def _lag_render_files(folder: Path) -> list:
    """(stem, track npz, truth json, truth csv) of every parametric render with a track."""
    samples = kf.REPO / "sample_videos"
    out = []
    for npz in sorted(Path(folder).glob("*.npz")):
        stem = npz.stem
        base = samples / stem[2:] if stem.startswith("s_") else npz.with_suffix("")
        tj, tc = Path(f"{base}.truth.json"), Path(f"{base}.truth.csv.gz")
        if tj.is_file() and tc.is_file() and "_fk_" not in stem:
            out.append((stem, npz, tj, tc))
    return out


def hip_delay(folder: Path) -> None:
    """Fit the hip-landmark delay and measure the pelvis lag with and without it."""
    import json
    from dataclasses import replace as _replace

    from gaitlens import cleaning, kinematics, landmark_bias
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pipeline import analyze_track

    files = _lag_render_files(folder)
    if not files:
        print(f"no renders with truth in {folder}: skipping hip-delay")
        return
    fit = {}
    for stem, npz, _tj, tc in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            c = cleaning.clean(PoseTrack.load(npz), AnalysisConfig())
        df = pd.read_csv(tc)
        n = min(len(df), c.n_frames)
        s = 1.0 if c.facing == "right" else -1.0
        true_x = np.full(c.n_frames, np.nan)
        true_x[:n] = s * (0.5 * (df["left_hip_x_px"] + df["right_hip_x_px"]).to_numpy()[:n]
                          - c.origin_px[0])  # fmt: skip
        win = int(round(kinematics.RUNNING_MEDIAN_S * c.sampling_rate_hz))
        px = kinematics.pelvis_point(c)[0][:, 0]
        x_m = (px - kinematics.running_median(px, win)) / c.leg_length_px
        x_t = (true_x - kinematics.running_median(true_x, win)) / c.leg_length_px
        v = kinematics.derivative(x_m, c.time_s)
        ok = np.isfinite(x_m) & np.isfinite(x_t) & np.isfinite(v)
        e = (x_m - x_t)[ok]
        fit[stem] = (v[ok] - v[ok].mean(), e - e.mean())

    def slope(stems):
        v = np.concatenate([fit[k][0] for k in stems])
        e = np.concatenate([fit[k][1] for k in stems])
        b = float(np.dot(v, e) / np.dot(v, v))
        return -b, 1 - np.var(e - b * v) / np.var(e)

    train = [k for k in fit if k.startswith("t_")]
    test = [k for k in fit if not k.startswith("t_")]
    d_tr, r2_tr = slope(train)
    d_te, r2_te = slope(test) if test else (np.nan, np.nan)
    print(f"\nhip-landmark delay: {1000 * d_tr:.1f} ms on {len(train)} fitting renders "
          f"(R^2 {r2_tr:.2f}); {1000 * d_te:.1f} ms on {len(test)} other renders (R^2 "
          f"{r2_te:.2f}); in use: {1000 * landmark_bias.MEDIAPIPE_HIP_DELAY_S:.0f} ms")  # fmt: skip

    rows = []
    used = landmark_bias.MEDIAPIPE_HIP_DELAY_S
    for stem, npz, tj, _tc in files:
        truth = json.loads(Path(tj).read_text())
        ts = pd.DataFrame(truth["strides"])
        if "pelvis_lag_pct" not in ts:
            continue
        track = PoseTrack.load(npz)
        row = {"clip": stem, "fps": round(track.sampling_rate_hz),
               "pelvis_lag_knob": truth["params"].get("pelvis_lag", 0.0),
               "split": "fit" if stem.startswith("t_") else "held-out",
               "true_lag_pct": float(ts["pelvis_lag_pct"].median()),
               "true_excursion_legs":
                   float(ts["pelvis_late_swing_excursion_legs"].median())}  # fmt: skip
        for label, delay in (("uncorrected", 0.0), ("corrected", used)):
            landmark_bias.MEDIAPIPE_HIP_DELAY_S = delay
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    an = analyze_track(track, _replace(AnalysisConfig(), annotated_video=False))
            except Exception as exc:  # too few strides on the short renders
                row[f"{label}_lag_pct"] = np.nan
                row["note"] = type(exc).__name__
                continue
            finally:
                landmark_bias.MEDIAPIPE_HIP_DELAY_S = used
            st = an.strides
            row[f"{label}_lag_pct"] = float(np.nanmedian(st["pelvis_lag_pct"]))
            row[f"{label}_excursion_legs"] = float(
                np.nanmedian(st["pelvis_late_swing_excursion_legs"])
            )
        rows.append(row)
    df = pd.DataFrame(rows)
    for label in ("uncorrected", "corrected"):
        df[f"{label}_lag_err_pct"] = df[f"{label}_lag_pct"] - df["true_lag_pct"]
        df[f"{label}_exc_err_legs"] = df[f"{label}_excursion_legs"] - df["true_excursion_legs"]
    print(df.round(3).to_string(index=False))
    cols = [
        f"{a}_{b}" for b in ("lag_err_pct", "exc_err_legs") for a in ("uncorrected", "corrected")
    ]
    g = df.dropna(subset=["corrected_lag_pct"]).groupby(["pelvis_lag_knob", "fps", "split"])
    print("\nmedian-stride error per clip, mean (min, max) by group:")
    print(g[cols].agg(["mean", "min", "max", "count"]).round(3).to_string())


def render_clips(outdir: Path, specs) -> list:
    from gaitlens import synthetic
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pipeline import run_pose
    from gaitlens.synthetic.model import RunnerParams
    from gaitlens.synthetic.run import simulate

    outdir.mkdir(parents=True, exist_ok=True)
    out = []
    for name, facing, tilt, seed in specs:
        npz, sig = outdir / f"{name}.npz", outdir / f"{name}.signals.csv"
        if not npz.is_file():
            p = RunnerParams(fps=30.0, duration_s=3.0, image_size_px=(480, 640), seed=seed,
                             facing=facing, pelvic_tilt_mean_deg=tilt)  # fmt: skip
            run = simulate(p)
            mp4 = outdir / f"{name}.mp4"
            synthetic.render(run, mp4)
            run_pose(mp4, AnalysisConfig(), progress=False).save(npz)
            run.signals.to_csv(sig, index=False)
        out.append((name, PoseTrack.load(npz), pd.read_csv(sig)))
    return out


def render_fukuchi_clips(outdir: Path, duration_s: float = 4.0) -> list:
    """Fukuchi-driven renders (gaitlens_validation.mocap_driven: pelvis from ASIS/PSIS)."""
    from gaitlens import synthetic
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pipeline import run_pose
    from gaitlens_validation import fukuchi
    from gaitlens_validation.mocap_driven import mocap_run

    outdir.mkdir(parents=True, exist_ok=True)
    out = []
    for i, p in enumerate(fukuchi.list_trials(kf.FUKUCHI)):
        facing = ("left", "right")[i % 2]
        name = f"fk_{p.name[:13]}_{facing}"
        npz, sig = outdir / f"{name}.npz", outdir / f"{name}.signals.csv"
        if not npz.is_file():
            run = mocap_run(p, start_s=5.0, duration_s=duration_s, fps=30.0, facing=facing)
            mp4 = outdir / f"{name}.mp4"
            synthetic.render(run, mp4)
            run_pose(mp4, AnalysisConfig(), progress=False).save(npz)
            run.signals.to_csv(sig, index=False)
        out.append((name, PoseTrack.load(npz), pd.read_csv(sig)))
    return out


PELVIS_SPECS = (
    ("r6", "right", 6, 1), ("r12", "right", 12, 1), ("l18", "left", 18, 1),
    ("a4", "left", 4, 11), ("a8", "right", 8, 12), ("a10", "left", 10, 13),
    ("a14", "right", 14, 14), ("a16", "left", 16, 15), ("a20", "right", 20, 16),
)  # fmt: skip


def pelvis_errors(outdir: Path, fukuchi: bool = False) -> pd.DataFrame:
    from gaitlens import cleaning, pelvis
    from gaitlens.config import AnalysisConfig

    rows = []
    clips = render_fukuchi_clips(outdir) if fukuchi else render_clips(outdir, PELVIS_SPECS)
    for name, track, sig in clips:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            c = cleaning.clean(track, AnalysisConfig())
            est = pelvis.estimate_tilt(c, AnalysisConfig())
        truth = sig["pelvic_tilt_deg"].to_numpy()
        rom_t = np.percentile(truth, 95) - np.percentile(truth, 5)
        rom_e = np.percentile(est.tilt_deg, 95) - np.percentile(est.tilt_deg, 5)
        rows.append({"clip": name, "facing": c.facing, "truth_mean_deg": truth.mean(),
                     "est_mean_deg": float(np.mean(est.tilt_deg)),
                     "contour_deg": float(np.nanmedian(est.contour_angle_deg))
                     if est.contour_angle_deg is not None else np.nan,
                     "abdomen": float(np.nanmedian(est.abdomen_protrusion))
                     if est.abdomen_protrusion is not None else np.nan,
                     "frame_mae_deg": float(np.mean(np.abs(est.tilt_deg - truth))),
                     "truth_range_deg": rom_t, "est_range_deg": rom_e,
                     "confidence": float(np.mean(est.confidence))})  # fmt: skip
    df = pd.DataFrame(rows)
    df["mean_error_deg"] = df["est_mean_deg"] - df["truth_mean_deg"]
    return df


def calibrate_pelvis(outdir: Path, write: bool = False) -> None:
    """Fit clip-mean tilt = intercept + gain x clip-median abdomen protrusion on every
    render (parametric and Fukuchi-driven), report the leave-one-out error and, with
    ``write``, store the line in gaitlens/data/reference_bands.json."""
    import json

    df = pd.concat([pelvis_errors(outdir), pelvis_errors(outdir, fukuchi=True)], ignore_index=True)
    x, y = df["abdomen"].to_numpy(), df["truth_mean_deg"].to_numpy()
    gain, icpt = np.polyfit(x, y, 1)
    loo = []
    for i in range(len(x)):
        m = np.arange(len(x)) != i
        g, c0 = np.polyfit(x[m], y[m], 1)
        loo.append(c0 + g * x[i] - y[i])
    loo = np.abs(loo)
    prior = np.abs(13.78 - y)
    print(f"calibration: tilt = {icpt:.2f} + {gain:.1f} x protrusion; corr "
          f"{np.corrcoef(x, y)[0, 1]:.2f}; LOO MAE {loo.mean():.2f} deg (parametric "
          f"{loo[:len(PELVIS_SPECS)].mean():.2f}, Fukuchi-driven "
          f"{loo[len(PELVIS_SPECS):].mean():.2f}); prior alone {prior.mean():.2f} deg")  # fmt: skip
    if write:
        p = Path(__file__).resolve().parents[1] / "gaitlens" / "data" / "reference_bands.json"
        doc = json.loads(p.read_text())
        doc["constants"]["abdomen_tilt_gain_deg"]["value"] = round(float(gain), 2)
        doc["constants"]["abdomen_tilt_intercept_deg"]["value"] = round(float(icpt), 3)
        doc["constants"]["abdomen_tilt_gain_deg"]["derivation"] = (
            f"least-squares line over {len(x)} renders, corr {np.corrcoef(x, y)[0, 1]:.2f}, "
            f"leave-one-out MAE {loo.mean():.2f} deg vs {prior.mean():.2f} deg for the prior"
        )
        p.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {p}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("parts", nargs="*", default=["angles", "pelvis"])
    ap.add_argument("--fps", type=float, nargs="+", default=[30.0, 60.0])
    ap.add_argument("--renders", type=Path, default=Path("/tmp/gaitlens_pelvis_renders"))
    ap.add_argument("--calibrate-pelvis", action="store_true")
    ap.add_argument("--write-constants", action="store_true")
    ap.add_argument("--decompose", action="store_true")
    ap.add_argument("--lag-renders", type=Path, default=Path("/tmp/gaitlens_pelvis_v2"))
    args = ap.parse_args(argv)
    pd.set_option("display.width", 160)
    if "angles" in args.parts:
        if not kf.FUKUCHI.is_dir():
            print("no ../shared/data: skipping angles")
        else:
            from gaitlens_validation.noise import PoseNoise

            for fps in args.fps:
                for label, noise in (("noise-free", None), ("PoseNoise()", PoseNoise())):
                    df = angle_errors(fps, noise)
                    s = df.groupby("angle")[["rmse_deg", "rmse_offset_removed_deg", "bias_deg"]]
                    print(f"\n{fps:g} fps, {label}: mean over trials and sides (max rmse)")
                    t = s.mean().round(2)
                    t["max_rmse_deg"] = df.groupby("angle")["rmse_deg"].max().round(2)
                    print(t.to_string())
    if "angles" in args.parts and args.decompose and kf.FUKUCHI.is_dir():
        print(
            "\nknee flexion RMSE (deg), noise-free: angles from the unfiltered points vs "
            "after the low-pass (mean over trials and sides, max)"
        )
        for fps in args.fps:
            d = knee_decomposition(fps)
            u, f = d["unfiltered"], d["filtered"]
            print(f"{fps:g} fps: unfiltered {u.mean():.2f} ({u.max():.2f}), "
                  f"filtered {f.mean():.2f} ({f.max():.2f})")  # fmt: skip
    if "hip-delay" in args.parts:
        hip_delay(args.lag_renders)
    for part in ("pelvis", "pelvis-fukuchi"):
        if part not in args.parts:
            continue
        fk = part == "pelvis-fukuchi"
        if fk and not kf.FUKUCHI.is_dir():
            print("no ../shared/data: skipping pelvis-fukuchi")
            continue
        df = pelvis_errors(args.renders, fukuchi=fk)
        print(f"\npelvic tilt on {'Fukuchi-driven ' if fk else ''}renders")
        print(df.round(2).to_string(index=False))
        print(f"clip-level MAE {df['mean_error_deg'].abs().mean():.2f} deg; per-frame MAE "
              f"{df['frame_mae_deg'].mean():.2f} deg; range error "
              f"{(df['est_range_deg'] - df['truth_range_deg']).mean():.2f} deg")  # fmt: skip
    if args.calibrate_pelvis:
        calibrate_pelvis(args.renders, write=args.write_constants)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
