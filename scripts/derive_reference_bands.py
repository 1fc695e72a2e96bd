"""Regenerate gaitlens/data/reference_bands.json and normative_curves.csv from ../shared.

Sources (both CC BY 4.0; attribution in gaitlens/data/README.md):

- Fukuchi, Fukuchi & Duarte (2017) Running Biomechanics Data Set, PeerJ 5:e3298:
  every running trial in ../shared/data/mocap/fukuchi2017 is projected to a noise-free
  30 fps side view (``gaitlens_validation.fukuchi.to_side_view``, camera on the runner's left, as in
  the real clip) and passed through the same stages as a video: cleaning -> events ->
  strides -> kinematics -> stride metrics. Pelvic tilt bands use the ASIS/PSIS markers.
- Fukuchi et al. normative running strides (BMC and Running Injury Clinic, 46 runners,
  about 2.5 m/s), ../shared/data/norms/bmc_ric_running_strides.csv.gz: knee bands and
  the normative curves.

Band = mean +- 2 SD. Fukuchi metrics: SD over all valid strides of all trials (within-
and between-runner variation; only 3 subjects, so a between-subject SD alone is not
estimable), after dropping strides more than 3.5 robust z (median/MAD) from their own
trial's median (event-detection failures); tilt bands from markers keep every stride.
Norm metrics: mean +- 2 SD over the 46 subjects' means.
Fukuchi bands also record ``mean/sd_with_pose_noise``: the same metrics measured through
``gaitlens_validation.noise.PoseNoise`` (MediaPipe-like keypoint noise), i.e. the spread a healthy
runner's strides show to the tool (not used for low/high).
Literature bands (BIOMECHANICS.md section 8) where the data cannot give one (trunk lean:
the Fukuchi set has no trunk markers).

Usage: ``.venv/bin/python scripts/derive_reference_bands.py [--data ../shared/data]``
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

FUKUCHI_SRC = (
    "Fukuchi RK, Fukuchi CA, Duarte M (2017) A public dataset of running biomechanics and "
    "the effects of running speed on lower extremity kinematics and kinetics. PeerJ "
    "5:e3298. CC BY 4.0"
)
NORMS_SRC = (
    "Fukuchi et al., normative running strides of healthy runners from the BMC and Running "
    "Injury Clinic data sets (46 runners, about 2.5 m/s). CC BY 4.0"
)
LIT = "BIOMECHANICS.md section 8 (coaching/literature band)"

UNITS = {
    "_deg": "deg", "_legs": "leg lengths", "_ms": "ms", "_pct_cycle": "% of cycle",
    "_pct": "%", "_spm": "steps/min", "_s": "s",
}  # fmt: skip

FUKUCHI_METRICS = (
    "overstride_legs", "shank_angle_ic_deg", "hip_flexion_ic_deg",
    "hip_flexion_midstance_deg", "hip_flexion_swing_peak_deg", "hip_extension_to_deg",
    "pelvis_lag_ms", "pelvis_lag_pct", "pelvis_late_swing_excursion_legs",
    "hamstring_stretch_peak_pct", "hamstring_stretch_peak_pct_cycle",
    "vertical_oscillation_legs",
)  # fmt: skip

# (metric, low, high, source)
LITERATURE_BANDS = (
    ("trunk_lean_mean_deg", 5.0, 12.0, LIT + ": trunk lean about 5-12 deg forward"),
    ("cadence_spm", 160.0, 185.0, LIT + ": recreational runners"),
    ("contact_time_s", 0.18, 0.32, LIT + ": contact time about 180-320 ms"),
    ("duty_factor", 0.25, 0.48, "../shared/data/README.md: running duty factor 0.25-0.48"),
)


def unit_of(metric: str) -> str:
    for suf, u in sorted(UNITS.items(), key=lambda kv: -len(kv[0])):
        if metric.endswith(suf):
            return u
    return ""


def robust_keep(x: np.ndarray, z: float = 3.5) -> np.ndarray:
    x = np.asarray(x, float)
    ok = np.isfinite(x)
    med = np.median(x[ok])
    mad = 1.4826 * np.median(np.abs(x[ok] - med))
    if mad <= 0:
        return ok
    return ok & (np.abs(x - med) <= z * mad)


def band_from_strides(x: np.ndarray, trial: np.ndarray, robust: bool = True) -> dict:
    """Pooled-stride band; with ``robust`` strides > 3.5 robust z from their own trial's
    median are dropped (event-detection failures), not whole trials."""
    x = np.asarray(x, float)
    trial = np.asarray(trial)
    keep = np.isfinite(x)
    if robust:
        for tr in np.unique(trial):
            sel = trial == tr
            keep[sel] = robust_keep(x[sel])
    v = x[keep]
    mean, sd = float(v.mean()), float(v.std(ddof=1))
    per_trial = pd.Series(v).groupby(np.asarray(trial)[keep]).mean()
    return {
        "low": mean - 2 * sd,
        "high": mean + 2 * sd,
        "mean": mean,
        "sd": sd,
        "n": int(len(v)),
        "n_dropped": int(np.isfinite(x).sum() - len(v)),
        "n_trials": int(per_trial.size),
        "trial_means": {k: round(float(m), 4) for k, m in per_trial.items()},
    }


def fukuchi_runs(data: Path, noise=None):
    import kinematics_fukuchi as kf

    from gaitlens_validation import fukuchi

    runs = []
    for p in fukuchi.list_trials(data / "mocap" / "fukuchi2017"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            r = kf.run_trial(p, fps=30.0, camera_side="left", noise=noise, seed=0)
        tilt = kf.truth_stride_tilt(r)
        r.table["truth_tilt_mean_deg"] = tilt["tilt_mean_deg"].to_numpy()
        r.table["truth_tilt_rom_deg"] = tilt["tilt_rom_deg"].to_numpy()
        r.table["trial"] = r.name
        r.table["subject"] = r.subject
        runs.append(r)
        print(f"  {r.name}: {len(r.table)} strides ({r.event_source} events)", file=sys.stderr)
    return runs


def measured_spread(noisy_runs) -> dict:
    """Mean and SD of each metric as measured through MediaPipe-like keypoint noise
    (``gaitlens_validation.noise.PoseNoise``): what a healthy runner's strides look
    like to the tool."""
    allt = pd.concat([r.table.assign(trial=r.name) for r in noisy_runs], ignore_index=True)
    out = {}
    for m in FUKUCHI_METRICS:
        b = band_from_strides(allt[m].to_numpy(float), allt["trial"].to_numpy())
        out[m] = {"mean_with_pose_noise": b["mean"], "sd_with_pose_noise": b["sd"]}
    return out


def derive_fukuchi(runs) -> tuple[dict, dict]:
    allt = pd.concat([r.table for r in runs], ignore_index=True)
    trial = allt["trial"].to_numpy()
    subjects = sorted({r.subject for r in runs})
    speeds = sorted({r.belt_speed_m_s for r in runs})
    what = (
        f"{len(runs)} trials ({', '.join(r.name for r in runs)}), {len(subjects)} subjects, "
        f"{', '.join(f'{s:g}' for s in speeds)} m/s"
    )
    bands = {}
    for m in FUKUCHI_METRICS:
        b = band_from_strides(allt[m].to_numpy(float), trial)
        note = ""
        if m.startswith("hip_flexion"):
            note = (
                " Trunk-referenced: thigh angle + the projection's assumed 8 deg trunk lean"
                " (the data set has no trunk markers)."
            )
        bands[m] = {
            **b,
            "unit": unit_of(m),
            "source": FUKUCHI_SRC,
            "derivation": "mean +- 2 SD over valid strides of "
            + what
            + "; noise-free 30 fps side-view projection through gaitlens cleaning, events, "
            "strides, kinematics, stride_metrics; strides > 3.5 robust z dropped." + note,
        }
    for m, col in (("pelvic_tilt_mean_deg", "truth_tilt_mean_deg"),
                   ("pelvic_tilt_rom_deg", "truth_tilt_rom_deg")):  # fmt: skip
        b = band_from_strides(allt[col].to_numpy(float), trial, robust=False)
        bands[m] = {
            **b,
            "unit": "deg",
            "source": FUKUCHI_SRC,
            "derivation": "mean +- 2 SD over strides of "
            + what
            + "; tilt of the mid-PSIS -> mid-ASIS line below the forward horizontal from the"
            " markers (ASIS/PSIS marker convention), per stride mean and 5-95 % range.",
        }
    # constants for the pelvic-tilt estimator
    run_tilt = np.array([np.nanmean(r.truth["pelvic_tilt_deg"]) for r in runs])
    stand = np.array([r.standing_tilt_deg for r in runs])
    by_subj = pd.DataFrame({"s": [r.subject for r in runs], "stand": stand})
    stand_subj = by_subj.groupby("s")["stand"].first().dropna()
    diff = run_tilt - stand
    consts = {
        "standing_pelvic_tilt_deg": {
            "value": float(stand_subj.mean()),
            "sd": float(stand_subj.std(ddof=1)) if len(stand_subj) > 1 else None,
            "n": int(len(stand_subj)),
            "unit": "deg",
            "source": FUKUCHI_SRC,
            "derivation": "mean over subjects of the ASIS/PSIS tilt in the static trials "
            + ", ".join(f"{k} {v:.1f}" for k, v in stand_subj.items()),
        },
        "running_pelvic_tilt_deg": {
            "value": float(run_tilt.mean()),
            "sd": float(run_tilt.std(ddof=1)),
            "n": int(len(run_tilt)),
            "unit": "deg",
            "source": FUKUCHI_SRC,
            "derivation": "mean and SD over trials of the mean running ASIS/PSIS tilt: "
            + ", ".join(f"{r.name} {v:.1f}" for r, v in zip(runs, run_tilt)),
        },
        "running_minus_standing_tilt_deg": {
            "value": float(np.nanmean(diff)),
            "sd": float(np.nanstd(diff, ddof=1)),
            "n": int(np.isfinite(diff).sum()),
            "unit": "deg",
            "source": FUKUCHI_SRC,
            "derivation": "mean over trials of running minus the same subject's standing tilt",
        },
    }
    return bands, consts


def derive_norms(path: Path) -> tuple[dict, pd.DataFrame]:
    df = pd.read_csv(path)
    # gaitlens conventions: hip flexion + (source hip Z is negative in flexion at IC),
    # knee flexion + (source knee Z positive in flexion), ankle dorsiflexion + (source ankle
    # Z is positive in plantarflexion: -22 deg mean at 20 % = midstance dorsiflexion peak)
    df["hip_flexion"] = -df["hip_z_deg"]
    df["knee_flexion"] = df["knee_z_deg"]
    df["ankle"] = -df["ankle_z_deg"]
    key = ["group", "subject"]
    # per-subject mean curve, then mean and SD over subjects
    subj = df.groupby(key + ["gait_cycle_pct"])[["hip_flexion", "knee_flexion", "ankle"]].mean()
    curves = subj.groupby("gait_cycle_pct").agg(["mean", "std"])
    rows = []
    for j in ("hip_flexion", "knee_flexion", "ankle"):
        for pct, r in curves.iterrows():
            rows.append(
                {"pct_cycle": int(pct), "joint": j, "mean_deg": round(float(r[(j, "mean")]), 3),
                 "sd_deg": round(float(r[(j, "std")]), 3)}
            )  # fmt: skip
    curves_df = pd.DataFrame(rows)
    # per-stride knee metrics
    strides = df.groupby(key + ["trial"])
    k = strides.apply(
        lambda g: pd.Series(
            {
                "knee_flexion_ic_deg": g.loc[g.gait_cycle_pct == 0, "knee_flexion"].mean(),
                "knee_flexion_midstance_deg": g.loc[g.gait_cycle_pct <= 40, "knee_flexion"].max(),
                "knee_flexion_swing_peak_deg": g.loc[g.gait_cycle_pct > 40, "knee_flexion"].max(),
            }
        )
    )
    per_subj = k.groupby(level=[0, 1]).mean()
    n_subj = len(per_subj)
    bands = {}
    for m in per_subj.columns:
        v = per_subj[m].to_numpy(float)
        mean, sd = float(np.nanmean(v)), float(np.nanstd(v, ddof=1))
        bands[m] = {
            "low": mean - 2 * sd, "high": mean + 2 * sd, "mean": mean, "sd": sd, "n": n_subj,
            "unit": "deg", "source": NORMS_SRC,
            "derivation": f"mean +- 2 SD over {n_subj} subjects' mean of "
            f"{len(k)} rows (trials); IC = 0 % of the cycle, midstance = peak knee flexion "
            "in 0-40 %, swing peak = max in 40-100 %; 3-D sagittal joint angle (knee Z).",
        }  # fmt: skip
    return bands, curves_df


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "gaitlens" / "data")
    args = ap.parse_args(argv)
    out_json = args.out / "reference_bands.json"
    old = json.loads(out_json.read_text()) if out_json.is_file() else {}
    print("Fukuchi trials ...", file=sys.stderr)
    runs = fukuchi_runs(args.data)
    f_bands, consts = derive_fukuchi(runs)
    from gaitlens_validation.noise import PoseNoise

    print("Fukuchi trials with PoseNoise ...", file=sys.stderr)
    for m, extra in measured_spread(fukuchi_runs(args.data, noise=PoseNoise())).items():
        f_bands[m].update(extra)
    print("norms ...", file=sys.stderr)
    n_bands, curves = derive_norms(args.data / "norms" / "bmc_ric_running_strides.csv.gz")
    bands = {**f_bands, **n_bands}
    for m, lo, hi, src in LITERATURE_BANDS:
        bands[m] = {"low": lo, "high": hi, "mean": 0.5 * (lo + hi), "sd": None, "n": None,
                    "unit": unit_of(m), "source": src, "derivation": "literature band"}  # fmt: skip
    # estimator constants that come from render calibration are kept (bench writes them)
    keep = {k: v for k, v in old.get("constants", {}).items() if k not in consts}
    doc = {
        "generated": _dt.date.today().isoformat(),
        "generator": "scripts/derive_reference_bands.py",
        "license": "Derived from CC BY 4.0 data; see gaitlens/data/README.md for attribution",
        "sources": [FUKUCHI_SRC, NORMS_SRC],
        "band_rule": "low/high = mean -+ 2 SD unless the derivation says otherwise",
        "bands": {k: _round(v) for k, v in sorted(bands.items())},
        "constants": {**keep, **{k: _round(v) for k, v in consts.items()}},
    }
    out_json.write_text(json.dumps(doc, indent=1) + "\n")
    header = (
        "# Normative sagittal angles per % of the gait cycle (IC = 0), mean and SD over the\n"
        "# subjects' mean curves, gaitlens sign conventions (hip flexion +, knee flexion +,\n"
        f"# ankle dorsiflexion +). Source: {NORMS_SRC}.\n"
        "# Generated by scripts/derive_reference_bands.py\n"
    )
    (args.out / "normative_curves.csv").write_text(header + curves.to_csv(index=False))
    print(f"wrote {out_json} and {args.out / 'normative_curves.csv'}", file=sys.stderr)
    return 0


def _round(d: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


if __name__ == "__main__":
    raise SystemExit(main())
