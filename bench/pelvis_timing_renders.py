"""Pelvis timing through the pose model against rendered truth (accuracy on renders).

Renders synthetic runners (``gaitlens.synthetic``) across the ``pelvis_lag`` fault knob,
both facing directions, 30 and 60 fps and varied bodies and speeds, runs the pose stage
once per clip (tracks cached under ``--cache``, keyed on the pose backend) and every
later stage, and compares the clip's median ``pelvis_lag_pct`` (near and far leg),
``pelvis_surge_legs_per_s`` and ``pelvis_late_swing_excursion_legs`` with the truth of
the model's dense cycle (``gaitlens.synthetic.truth``, the same definitions).

Usage: ``python bench/pelvis_timing_renders.py [--out bench/results/pelvis_timing_renders.json]
[--quick] [--angles]`` (20 clips, about 6 min on 2 cores; ``--quick``: 6 clips;
``--angles``: the sitting fault's angle metrics on the same clips, e.g. ``--out
bench/results/angle_accuracy_renders_tasks.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

METRICS = ("pelvis_lag_pct", "pelvis_surge_legs_per_s", "pelvis_late_swing_excursion_legs")
#: ``--angles``: the angle and distance metrics of the sitting fault, same clips and truth
#: (the accuracy behind their measurement_uncertainty in the fault rules)
ANGLE_METRICS = (
    "hip_flexion_ic_deg",
    "hip_flexion_midstance_deg",
    "hip_extension_to_deg",
    "knee_flexion_midstance_deg",
    "trunk_lean_mean_deg",
    "overstride_legs",
)


def specs(quick: bool = False) -> list:
    """Deterministic grid: knob x facing x fps, bodies and speeds varied with the seed."""
    rng = np.random.default_rng(20)
    out = []
    for knob in (0.0, 0.25, 0.5, 0.75, 1.0):
        for facing in ("right", "left"):
            for fps in (30.0, 60.0):
                seed = len(out) + 1
                out.append(dict(
                    name=f"lag{knob:.2f}_{facing}_{fps:.0f}fps",
                    pelvis_lag=knob, facing=facing, fps=fps, seed=seed,
                    height_m=float(rng.uniform(1.6, 1.95)), speed_m_s=float(rng.uniform(2.6, 4.0)),
                ))  # fmt: skip
    if quick:
        out = [s for s in out if s["fps"] == 60.0 and s["facing"] == "right"][:5] + out[:1]
    return out


def run_clip(spec: dict, cache: Path, metrics=METRICS) -> dict:
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pipeline import analyze_track
    from gaitlens.pose.runner import run_pose
    from gaitlens.synthetic import render, simulate
    from gaitlens.synthetic.samples import BASE
    from gaitlens.synthetic.truth import cycle_truth

    params = replace(
        BASE,
        duration_s=8.0,
        **{k: v for k, v in spec.items() if k != "name"},
    )
    run = simulate(params)
    truth = cycle_truth(run)
    cfg = AnalysisConfig(annotated_video=False)
    backend = cfg.pose_backend
    npz = cache / f"{spec['name']}-{backend}.npz"
    if npz.is_file():
        track = PoseTrack.load(npz)
    else:
        mp4 = cache / f"{spec['name']}.mp4"
        if not mp4.is_file():
            render(run, mp4, write_truth=False)
        track = run_pose(mp4, cfg, progress=False)
        track.save(npz)
    row = {"clip": spec["name"], **{k: spec[k] for k in ("pelvis_lag", "facing", "fps")}}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            a = analyze_track(track, cfg)
    except Exception as exc:  # a clip the stages refuse is a result too
        row["error"] = f"{type(exc).__name__}: {exc}"
        return row
    st = a.strides
    near = a.clean.near_side
    row["n_strides"] = len(st)
    row["leg_length_px"] = float(a.clean.leg_length_px)
    for m in metrics:
        row[f"{m}_truth"] = truth[m]
        for role, side in (("near", near), ("far", "left" if near == "right" else "right")):
            v = st.loc[st.side == side, m].to_numpy(float)
            v = v[np.isfinite(v)]
            row[f"{m}_{role}"] = float(np.median(v)) if len(v) else np.nan
            row[f"{m}_{role}_n"] = int(len(v))
    row["pelvis_lag"] = spec["pelvis_lag"]
    for f in a.findings:
        row[f"finding_{f.id}"] = f"{f.severity}/{f.confidence}"
    return row


def summarize(df: pd.DataFrame, metrics=METRICS) -> pd.DataFrame:
    rows = []
    for fps, g in df.groupby("fps"):
        for m in metrics:
            for role in ("near", "far"):
                e = (g[f"{m}_{role}"] - g[f"{m}_truth"]).to_numpy(float)
                e = e[np.isfinite(e)]
                rows.append({
                    "fps": fps, "metric": m, "leg": role, "clips": len(e),
                    "bias": float(np.mean(e)) if len(e) else np.nan,
                    "sd": float(np.std(e, ddof=1)) if len(e) > 1 else np.nan,
                    "rmse": float(np.sqrt(np.mean(e**2))) if len(e) else np.nan,
                    "worst_abs": float(np.max(np.abs(e))) if len(e) else np.nan,
                })  # fmt: skip
    return pd.DataFrame(rows)


def pooled(df: pd.DataFrame, metrics) -> dict:
    """Over both legs and frame rates: each metric's bias, SD and RMSE (the values behind
    ``measurement_uncertainty`` in the fault rules), the correlation of the metrics'
    errors on the same leg-clips, and the clips' median leg length in pixels
    (``reference_leg_length_px``)."""
    legs = ("near", "far")
    err = pd.DataFrame(
        {m: np.concatenate([(df[f"{m}_{r}"] - df[f"{m}_truth"]).to_numpy(float) for r in legs])
         for m in metrics}
    ).dropna()  # fmt: skip
    stats = {m: {"bias": float(err[m].mean()), "sd": float(err[m].std(ddof=1)),
                 "rmse": float(np.sqrt((err[m] ** 2).mean()))} for m in metrics}  # fmt: skip
    return {
        "leg_clips": int(len(err)),
        "metrics": stats,
        "error_correlation": err.corr().round(3).to_dict(),
        "median_leg_length_px": float(np.median(df["leg_length_px"])),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/pelvis_timing_renders.json")
    ap.add_argument("--cache", type=Path, default=Path("/work/cache/pelvis_renders"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--angles", action="store_true", help="the sitting fault's angle metrics instead"
    )
    a = ap.parse_args(argv)
    metrics = ANGLE_METRICS if a.angles else METRICS
    a.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for spec in specs(a.quick):
        rows.append(run_clip(spec, a.cache, metrics))
        print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in rows[-1].items()
               if not k.endswith("_n")}, flush=True)  # fmt: skip
    df = pd.DataFrame(rows)
    ok = df[df.get("error", pd.Series(index=df.index)).isna()]
    summ = summarize(ok, metrics)
    print(summ.round(3).to_string(index=False))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"clips": json.loads(df.to_json(orient="records")),
                                 "summary": json.loads(summ.to_json(orient="records")),
                                 "pooled": pooled(ok, metrics)},
                                indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
