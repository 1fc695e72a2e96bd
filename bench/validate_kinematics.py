"""Validate gaitlens kinematics against marker-based truth (numbers in docs/kinematics.md).

1. ``angles``: every Fukuchi trial in ../shared projected to a side view (noise-free and
   with ``gaitlens.mocap.PoseNoise``), through cleaning -> events -> kinematics; RMSE of
   thigh angle, knee flexion and trunk-referenced hip flexion against the 3-D joint
   centres (sagittal plane), raw and after removing the per-trial mean offset.
2. ``pelvis`` / ``pelvis-fukuchi``: synthetic renders (gaitlens.synthetic, pelvic tilt
   4-20 deg, both facing directions) through MediaPipe (segmentation on) -> cleaning ->
   pelvis.estimate_tilt,
   against the renderer's ASIS/PSIS tilt; ``pelvis-fukuchi``: renders driven by every
   Fukuchi trial (``gaitlens.synthetic.mocap_driven``, tilt from the ASIS/PSIS markers).
   ``--calibrate-pelvis`` refits the abdomen-protrusion line on all renders and reports
   the leave-one-out error; ``--write-constants`` stores it in reference_bands.json.

Usage: ``.venv/bin/python bench/validate_kinematics.py [angles] [pelvis] [--fps 30]``
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
    from gaitlens.mocap import fukuchi

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


def render_clips(outdir: Path, specs) -> list:
    from gaitlens import synthetic
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import run_pose
    from gaitlens.synthetic.model import RunnerParams
    from gaitlens.synthetic.run import simulate
    from gaitlens.track import PoseTrack

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
    """Fukuchi-driven renders (gaitlens.synthetic.mocap_driven: pelvis from ASIS/PSIS)."""
    from gaitlens import synthetic
    from gaitlens.config import AnalysisConfig
    from gaitlens.mocap import fukuchi
    from gaitlens.pipeline import run_pose
    from gaitlens.synthetic.mocap_driven import mocap_run
    from gaitlens.track import PoseTrack

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
    args = ap.parse_args(argv)
    pd.set_option("display.width", 160)
    if "angles" in args.parts:
        if not kf.FUKUCHI.is_dir():
            print("no ../shared/data: skipping angles")
        else:
            from gaitlens.mocap import PoseNoise

            for fps in args.fps:
                for label, noise in (("noise-free", None), ("PoseNoise()", PoseNoise())):
                    df = angle_errors(fps, noise)
                    s = df.groupby("angle")[["rmse_deg", "rmse_offset_removed_deg", "bias_deg"]]
                    print(f"\n{fps:g} fps, {label}: mean over trials and sides (max rmse)")
                    t = s.mean().round(2)
                    t["max_rmse_deg"] = df.groupby("angle")["rmse_deg"].max().round(2)
                    print(t.to_string())
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
