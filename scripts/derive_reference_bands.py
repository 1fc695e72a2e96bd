"""Regenerate gaitlens/data/reference_bands.json and normative_curves.csv from ../shared.

Sources (both CC BY 4.0; attribution in gaitlens/data/README.md):

- Fukuchi, Fukuchi & Duarte (2017) Running Biomechanics Data Set, PeerJ 5:e3298: every
  running trial of the 13 runners in ../shared/data/mocap/fukuchi2017 (text files) and
  ../shared/data/mocap/fukuchi2017_c3d (C3D; ``--trials text`` for the first folder only,
  as before) is projected to a noise-free 30 fps side view
  (``gaitlens_validation.fukuchi.to_side_view``, camera on the runner's left, as in the
  real clip) and passed through the same stages as a video: cleaning -> strides ->
  kinematics -> stride metrics, with the events from the treadmill's force plate where
  the trial has one (``--events force``, default; ``gaitlens`` for the tool's own
  events). Metrics timed by the events (values at IC/TO, pelvis lag, excursion) use only
  trials with forces; the others (swing peaks, vertical oscillation, hamstring stretch
  peak) and the pelvic tilt bands (ASIS/PSIS markers) use every trial.
- Fukuchi et al. normative running strides (BMC and Running Injury Clinic, 46 runners,
  about 2.5 m/s), ../shared/data/norms/bmc_ric_running_strides.csv.gz: knee bands and
  the normative curves.

Band = mean +- 2 SD over trials (subjects x speeds; ``--band-rule trials``, default):
each trial's mean over its valid strides, after dropping strides more than 3.5 robust z
(median/MAD) from the trial's median (event or peak-picking failures). ``--band-rule
strides`` is the previous rule (SD over all pooled strides: within- and between-runner
variation), kept in every entry as ``pooled_strides``. Norm metrics: mean +- 2 SD over
the 46 subjects' means. Fukuchi bands also record ``mean/sd_with_pose_noise``: the same
metrics through ``gaitlens_validation.noise.PoseNoise`` (MediaPipe-like keypoint noise)
and gaitlens events, pooled strides, i.e. the spread a healthy runner's strides show to
the tool (not used for low/high). Literature bands (BIOMECHANICS.md section 8) where
the data cannot give one (trunk lean: the Fukuchi set has no trunk markers).

``--leave-out SUBJ ...`` (or ``--held-out``: ``gaitlens_validation.events
.HELD_OUT_SUBJECTS``) derives the bands without those subjects and reports how many of
their trials fall outside. ``--json PATH`` writes only the bands file there (nothing
under gaitlens/data); ``--report PATH`` writes a markdown comparison with ``--compare``
(default: the current gaitlens/data/reference_bands.json) and per-subject numbers.

Usage: ``.venv/bin/python scripts/derive_reference_bands.py [--data ../shared/data]``;
for the 13-runner review without touching the package data:
``PYTHONPATH=. nice .venv/bin/python scripts/derive_reference_bands.py --json
bench/results/reference_bands_13runners.json --report docs/reference_bands_13runners.md``
(about 5 min on 2 cores).
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
    "_deg": "deg", "_legs": "leg lengths", "_legs_per_s": "leg lengths/s", "_ms": "ms",
    "_pct_cycle": "% of cycle",
    "_pct": "%", "_spm": "steps/min", "_s": "s",
}  # fmt: skip

FUKUCHI_METRICS = (
    "overstride_legs", "shank_angle_ic_deg", "hip_flexion_ic_deg",
    "hip_flexion_midstance_deg", "hip_flexion_swing_peak_deg", "hip_extension_to_deg",
    "pelvis_lag_ms", "pelvis_lag_pct", "pelvis_surge_legs_per_s",
    "pelvis_late_swing_excursion_legs",
    "hamstring_stretch_peak_pct", "hamstring_stretch_peak_pct_cycle",
    "vertical_oscillation_legs",
)  # fmt: skip
#: 2-D knee angles from the projection, reported next to the norms' 3-D knee bands
KNEE_METRICS = ("knee_flexion_ic_deg", "knee_flexion_midstance_deg", "knee_flexion_swing_peak_deg")
#: metrics whose value does not depend on the exact event times (peaks within a phase,
#: oscillation range): trials without forces contribute to them
EVENT_INSENSITIVE = (
    "hip_flexion_swing_peak_deg", "hamstring_stretch_peak_pct", "vertical_oscillation_legs",
    "knee_flexion_midstance_deg", "knee_flexion_swing_peak_deg",
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


def _kept(x: np.ndarray, trial: np.ndarray, robust: bool) -> np.ndarray:
    """Finite strides, without those > 3.5 robust z from their trial's median."""
    keep = np.isfinite(x)
    if robust:
        for tr in np.unique(trial):
            sel = trial == tr
            if np.isfinite(x[sel]).any():
                keep[sel] = robust_keep(x[sel])
    return keep


def band_from_strides(x: np.ndarray, trial: np.ndarray, robust: bool = True) -> dict:
    """Pooled-stride band; with ``robust`` strides > 3.5 robust z from their own trial's
    median are dropped (event-detection failures), not whole trials."""
    x = np.asarray(x, float)
    trial = np.asarray(trial)
    keep = _kept(x, trial, robust)
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


def _within_sd(v: np.ndarray, trial: np.ndarray) -> float:
    """Pooled within-trial SD: sqrt(sum of squared deviations from each trial's mean /
    (strides - trials))."""
    dev = v - pd.Series(v).groupby(trial).transform("mean").to_numpy()
    dof = len(v) - len(np.unique(trial))
    return float(np.sqrt(np.sum(dev**2) / dof)) if dof > 0 else float("nan")


def band_from_trials(x: np.ndarray, trial: np.ndarray, subject: np.ndarray,
                     robust: bool = True) -> dict:  # fmt: skip
    """Band over trials (subjects x speeds): mean +- 2 SD of the trial means (strides
    > 3.5 robust z from their trial's median dropped first); the pooled-stride band
    (the previous rule) and the SD over subject means are kept alongside."""
    x = np.asarray(x, float)
    trial = np.asarray(trial)
    pooled = band_from_strides(x, trial, robust)
    keep = _kept(x, trial, robust)
    tm = pd.Series(x[keep]).groupby(trial[keep]).mean()
    subj = pd.Series(np.asarray(subject), index=np.asarray(trial)).groupby(level=0).first()
    sm = tm.groupby(subj.reindex(tm.index).to_numpy()).mean()
    mean, sd = float(tm.mean()), float(tm.std(ddof=1)) if len(tm) > 1 else float("nan")
    return {
        "low": mean - 2 * sd,
        "high": mean + 2 * sd,
        "mean": mean,
        "sd": sd,
        "n": int(len(tm)),
        "n_strides": pooled["n"],
        "n_dropped": pooled["n_dropped"],
        "n_trials": int(len(tm)),
        "n_subjects": int(len(sm)),
        "sd_between_subjects": float(sm.std(ddof=1)) if len(sm) > 1 else None,
        "sd_within_trials": _within_sd(x[keep], trial[keep]),
        "pooled_strides": {k: pooled[k] for k in ("low", "high", "mean", "sd", "n")},
        "trial_means": pooled["trial_means"],
    }


def _paths(data: Path, trials: str):
    from gaitlens_validation import fukuchi

    if trials == "text":
        return fukuchi.list_trials(data / "mocap" / "fukuchi2017")
    return fukuchi.list_trials(*fukuchi.data_dirs(data))


def fukuchi_runs(data: Path, noise=None, trials: str = "all", events_from: str = "force",
                 leave_out=(), cache=None):  # fmt: skip
    import kinematics_fukuchi as kf

    from gaitlens_validation import fukuchi

    runs = []
    for p in _paths(data, trials):
        subj = fukuchi.trial_paths(p)["subject"]
        if subj in leave_out:
            continue
        trial = fukuchi.load_trial(p, cache_dir=cache)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            r = kf.run_trial(trial, fps=30.0, camera_side="left", noise=noise, seed=0,
                             events_from=events_from)  # fmt: skip
        tilt = kf.truth_stride_tilt(r)
        r.table["truth_tilt_mean_deg"] = tilt["tilt_mean_deg"].to_numpy()
        r.table["truth_tilt_rom_deg"] = tilt["tilt_rom_deg"].to_numpy()
        r.table["trial"] = r.name
        r.table["subject"] = r.subject
        r.foot_strike = trial.foot_strike_label
        if events_from == "force" and r.event_source != "force":
            # no force plate: only metrics that do not hinge on the event times
            for m in FUKUCHI_METRICS + KNEE_METRICS:
                if m not in EVENT_INSENSITIVE:
                    r.table[m] = np.nan
        runs.append(r)
        print(f"  {r.name}: {len(r.table)} strides ({r.event_source} events)", file=sys.stderr)
    return runs


def measured_spread(noisy_runs) -> dict:
    """Mean and SD of each metric as measured through MediaPipe-like keypoint noise
    (``gaitlens_validation.noise.PoseNoise``) and gaitlens events: what a healthy
    runner's strides look like to the tool."""
    allt = pd.concat([r.table.assign(trial=r.name) for r in noisy_runs], ignore_index=True)
    out = {}
    for m in FUKUCHI_METRICS + KNEE_METRICS:
        if m not in allt or not np.isfinite(allt[m].to_numpy(float)).any():
            continue
        b = band_from_strides(allt[m].to_numpy(float), allt["trial"].to_numpy())
        out[m] = {"mean_with_pose_noise": b["mean"], "sd_with_pose_noise": b["sd"]}
    return out


def derive_fukuchi(runs, band_rule: str = "trials", events_from: str = "force"):
    allt = pd.concat([r.table for r in runs], ignore_index=True)
    trial = allt["trial"].to_numpy()
    subject = allt["subject"].to_numpy()
    subjects = sorted({r.subject for r in runs})
    speeds = sorted({r.belt_speed_m_s for r in runs})
    what = (
        f"{len(runs)} trials of {len(subjects)} subjects ({', '.join(subjects)}), "
        f"{', '.join(f'{s:g}' for s in speeds)} m/s"
    )
    rule = (
        "mean +- 2 SD over trial means (subjects x speeds)"
        if band_rule == "trials"
        else "mean +- 2 SD over pooled valid strides"
    )
    ev = (
        "force-plate events where the trial has forces"
        if events_from == "force"
        else ("gaitlens events")
    )

    def band(x, robust=True):
        if band_rule == "trials":
            return band_from_trials(x, trial, subject, robust)
        return band_from_strides(x, trial, robust)

    bands = {}
    for m in FUKUCHI_METRICS + KNEE_METRICS:
        x = allt[m].to_numpy(float)
        if not np.isfinite(x).any():
            continue
        b = band(x)
        note = ""
        if m.startswith("hip_flexion"):
            note = (
                " Trunk-referenced: thigh angle + the projection's assumed 8 deg trunk lean"
                " (the data set has no trunk markers)."
            )
        if m in KNEE_METRICS:
            note += " 2-D knee angle of the projection (hip-knee-ankle joint centres)."
        used = "every trial" if m in EVENT_INSENSITIVE else "trials with forces"
        bands[m] = {
            **b,
            "unit": unit_of(m),
            "source": FUKUCHI_SRC,
            "derivation": f"{rule}; {what} ({used}); noise-free 30 fps side-view projection "
            f"through gaitlens cleaning, strides, kinematics, strides.metrics with {ev}; "
            "strides > 3.5 robust z from their trial's median dropped." + note,
        }
    for m, col in (("pelvic_tilt_mean_deg", "truth_tilt_mean_deg"),
                   ("pelvic_tilt_rom_deg", "truth_tilt_rom_deg")):  # fmt: skip
        b = band(allt[col].to_numpy(float), robust=False)
        bands[m] = {
            **b,
            "unit": "deg",
            "source": FUKUCHI_SRC,
            "derivation": f"{rule}; {what}; tilt of the mid-PSIS -> mid-ASIS line below "
            "the forward horizontal from the markers (ASIS/PSIS marker convention), per "
            "stride mean and 5-95 % range.",
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


PER_SUBJECT_METRICS = (
    "pelvis_lag_pct", "pelvis_lag_ms", "pelvis_surge_legs_per_s",
    "pelvis_late_swing_excursion_legs",
    "hip_flexion_ic_deg", "overstride_legs", "knee_flexion_ic_deg",
    "knee_flexion_midstance_deg", "knee_flexion_swing_peak_deg",
)  # fmt: skip


def _md(df: pd.DataFrame, fmt: str = "{:.3g}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, (float, np.floating)):
                cells.append("" if not np.isfinite(v) else fmt.format(v))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_trial_table(runs) -> pd.DataFrame:
    """Median over valid strides per trial (subject x speed) of the key metrics."""
    from gaitlens_validation.events import subject_group

    rows = []
    for r in runs:
        row = {"trial": r.name, "speed": r.belt_speed_m_s, "strike": r.foot_strike,
               "group": subject_group(r.subject), "events": r.event_source,
               "strides": len(r.table)}  # fmt: skip
        for m in PER_SUBJECT_METRICS:
            x = r.table[m].to_numpy(float) if m in r.table else np.array([np.nan])
            row[m] = float(np.nanmedian(x)) if np.isfinite(x).any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_table(new: dict, old: dict) -> pd.DataFrame:
    rows = []
    for m in sorted(set(new) | set(old)):
        a, b = old.get(m, {}), new.get(m, {})
        if not b or b.get("sd") is None:
            continue
        w_old = (
            (a.get("high", np.nan) or np.nan) - (a.get("low", np.nan) or np.nan) if a else np.nan
        )
        w_new = b["high"] - b["low"]
        ps = b.get("pooled_strides", {})
        rows.append({
            "metric": m,
            "current mean": a.get("mean", np.nan), "current low": a.get("low", np.nan),
            "current high": a.get("high", np.nan), "current n": a.get("n", ""),
            "13r mean": b["mean"], "13r low": b["low"], "13r high": b["high"],
            "13r trials/subj": f"{b.get('n_trials', b.get('n'))}/{b.get('n_subjects', '')}",
            "13r pooled-stride low": ps.get("low", np.nan),
            "13r pooled-stride high": ps.get("high", np.nan),
            "SD between subj": b.get("sd_between_subjects", np.nan) or np.nan,
            "SD within trial": b.get("sd_within_trials", np.nan),
            "SD with pose noise": b.get("sd_with_pose_noise", np.nan),
            "d mean": b["mean"] - a.get("mean", np.nan) if a else np.nan,
            "width ratio": w_new / w_old if a and w_old else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)


def leave_out_check(bands: dict, left_runs) -> pd.DataFrame:
    """Left-out trials' medians against the bands derived without them."""
    rows = []
    for m, b in sorted(bands.items()):
        if b.get("sd") is None:
            continue
        col = {"pelvic_tilt_mean_deg": "truth_tilt_mean_deg",
               "pelvic_tilt_rom_deg": "truth_tilt_rom_deg"}.get(m, m)  # fmt: skip
        out, n, names = 0, 0, []
        for r in left_runs:
            if col not in r.table:
                continue
            x = r.table[col].to_numpy(float)
            if not np.isfinite(x).any():
                continue
            v = float(np.nanmean(x[robust_keep(x)])) if np.isfinite(x).sum() > 2 else np.nan
            n += 1
            if not (b["low"] <= v <= b["high"]):
                out += 1
                names.append(f"{r.name} {v:.3g}")
        rows.append({"metric": m, "band low": b["low"], "band high": b["high"],
                     "left-out trials": n, "outside": out, "which": ", ".join(names)})  # fmt: skip
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "gaitlens" / "data")
    ap.add_argument(
        "--json",
        type=Path,
        default=None,
        help="write only the bands JSON here (nothing under --out)",
    )
    ap.add_argument("--report", type=Path, default=None, help="markdown comparison")
    ap.add_argument(
        "--compare", type=Path, default=REPO / "gaitlens" / "data" / "reference_bands.json"
    )
    ap.add_argument("--trials", choices=("all", "text"), default="all")
    ap.add_argument("--events", choices=("force", "gaitlens"), default="force")
    ap.add_argument("--band-rule", choices=("trials", "strides"), default="trials")
    ap.add_argument("--leave-out", nargs="*", default=[], help="subjects, e.g. RBDS005")
    ap.add_argument(
        "--held-out",
        action="store_true",
        help="leave out gaitlens_validation.events.HELD_OUT_SUBJECTS",
    )
    ap.add_argument("--no-noise", action="store_true", help="skip the PoseNoise pass")
    ap.add_argument("--cache", type=Path, default=None, help="npz cache of loaded trials")
    args = ap.parse_args(argv)  # fmt: skip
    leave_out = list(args.leave_out)
    if args.held_out:
        from gaitlens_validation.events import HELD_OUT_SUBJECTS

        leave_out += list(HELD_OUT_SUBJECTS)
    out_json = args.json or (args.out / "reference_bands.json")
    old_path = args.compare if args.compare and args.compare.is_file() else out_json
    old = json.loads(old_path.read_text()) if old_path.is_file() else {}
    kw = dict(trials=args.trials, cache=args.cache)
    print("Fukuchi trials ...", file=sys.stderr)
    runs = fukuchi_runs(args.data, events_from=args.events, leave_out=leave_out, **kw)
    f_bands, consts = derive_fukuchi(runs, args.band_rule, args.events)
    noisy_runs = []
    if not args.no_noise:
        from gaitlens_validation.noise import PoseNoise

        print("Fukuchi trials with PoseNoise ...", file=sys.stderr)
        noisy_runs = fukuchi_runs(args.data, noise=PoseNoise(), events_from="gaitlens",
                                  leave_out=leave_out, **kw)  # fmt: skip
        for m, extra in measured_spread(noisy_runs).items():
            if m in f_bands:
                f_bands[m].update(extra)
    print("norms ...", file=sys.stderr)
    n_bands, curves = derive_norms(args.data / "norms" / "bmc_ric_running_strides.csv.gz")
    # knee: the norms' 3-D bands stay the bands; the projection's 2-D values are kept
    # next to them for comparison
    for m in KNEE_METRICS:
        if m in f_bands and m in n_bands:
            n_bands[m]["fukuchi_2d"] = _round(
                {k: v for k, v in f_bands.pop(m).items() if k not in ("trial_means",)}
            )
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
        "band_rule": (
            "low/high = mean -+ 2 SD over trial means (subjects x speeds) unless the "
            "derivation says otherwise" if args.band_rule == "trials"
            else "low/high = mean -+ 2 SD unless the derivation says otherwise"
        ),
        "options": {"trials": args.trials, "events": args.events, "band_rule": args.band_rule,
                    "leave_out": leave_out},
        "bands": {k: _round(v) for k, v in sorted(bands.items())},
        "constants": {**keep, **{k: _round(v) for k, v in consts.items()}},
    }  # fmt: skip
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(doc, indent=1) + "\n")
    if args.json is None:
        header = (
            "# Normative sagittal angles per % of the gait cycle (IC = 0), mean and SD over the\n"
            "# subjects' mean curves, gaitlens sign conventions (hip flexion +, knee flexion +,\n"
            f"# ankle dorsiflexion +). Source: {NORMS_SRC}.\n"
            "# Generated by scripts/derive_reference_bands.py\n"
        )
        (args.out / "normative_curves.csv").write_text(header + curves.to_csv(index=False))
    print(f"wrote {out_json}", file=sys.stderr)
    if args.report:
        allf = {**f_bands}
        for m in KNEE_METRICS:
            if m in n_bands and "fukuchi_2d" in n_bands[m]:
                allf[m + " (2-D, Fukuchi)"] = n_bands[m]["fukuchi_2d"]
        parts = [
            f"Bands from `{out_json.name}` ({args.band_rule} rule, {args.events} events, "
            f"trials: {args.trials}{', left out: ' + ', '.join(leave_out) if leave_out else ''}) "
            f"against `{old_path.name}` ({old.get('generated', '?')}).\n",
            _md(comparison_table(allf, old.get("bands", {}))),
            "\n## Per trial (median over valid strides; noise-free 30 fps projection)\n",
            _md(per_trial_table(runs)),
        ]
        if noisy_runs:
            parts += ["\n## Per trial with PoseNoise (seed 0, gaitlens events)\n",
                      _md(per_trial_table(noisy_runs))]  # fmt: skip
        if leave_out:
            from gaitlens_validation import fukuchi as _fk  # noqa: F401

            left = fukuchi_runs(args.data, events_from=args.events,
                                leave_out=[s for s in _all_subjects(args) if s not in leave_out],
                                **kw)  # fmt: skip
            parts += ["\n## Left-out subjects against these bands (trial means)\n",
                      _md(leave_out_check(f_bands, left))]  # fmt: skip
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text("\n".join(parts) + "\n")
        print(f"wrote {args.report}", file=sys.stderr)
    return 0


def _all_subjects(args) -> list:
    from gaitlens_validation import fukuchi

    return sorted({fukuchi.trial_paths(p)["subject"] for p in _paths(args.data, args.trials)})


def _round(d: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


if __name__ == "__main__":
    raise SystemExit(main())
