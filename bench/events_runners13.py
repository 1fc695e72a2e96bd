"""Gait events against force plates across the 13 Fukuchi runners (text + C3D trials).

Fukuchi, Fukuchi & Duarte (2017), PeerJ 5:e3298, CC BY 4.0: every trial with treadmill
forces (33 of 34: RBDS032 has none) projected to side-view keypoints
(``gaitlens_validation.fukuchi.to_side_view``, camera on the runner's right) at 30, 60,
120, 240 and 300 fps, noise-free and with ``PoseNoise`` (MediaPipe-like; seeds pooled),
through cleaning -> events -> strides; IC/TO errors against the vertical-GRF contacts
(30 N), contact-time and cadence errors, found / missed / spurious events. Subjects are
split into "fit" and "held_out" (``gaitlens_validation.events.FIT_SUBJECTS``); pooled
rows per group. Targets (issue 5): median |IC|, |TO| <= 10 ms, p95 <= 25 ms, mean
contact-time error within 15 ms, cadence within 0.5 %.

Usage (from the repository root)::

    PYTHONPATH=. nice python bench/events_runners13.py [--data ../shared/data]
        [--fps 30 60 120 240 300] [--seeds 0 1 2] [--workers 2] [--out docs/events_runners13.md]
        [--cache /work/cache/mocap] [--reuse]

or ``python bench/validate_events.py --runners13 ...``. About 15 min on 2 cores; the
loaded trials (npz) and the per-run results (pickle) are cached in ``--cache``.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gaitlens_validation import fukuchi as fk  # noqa: E402
from gaitlens_validation.events import (  # noqa: E402
    FIT_SUBJECTS,
    HELD_OUT_SUBJECTS,
    evaluate,
    pool,
    subject_group,
)
from gaitlens_validation.noise import PoseNoise  # noqa: E402

DEFAULT_CACHE = Path("/work/cache/mocap")
FPS = (30, 60, 120, 240, 300)
SEEDS = (0, 1, 2)
TUNED = ("RBDS001", "RBDS002")  # the event rules were chosen on these (docs/events.md)
TARGETS = {"median_ms": 10.0, "p95_ms": 25.0, "contact_ms": 15.0, "cadence_pct": 0.5}


def md(df: pd.DataFrame, floatfmt: str = "{:.1f}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, (float, np.floating)):
                cells.append("" if not np.isfinite(v) else floatfmt.format(v))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------ running
def _task(args):
    path, fps, seed, cache = args
    warnings.simplefilter("ignore", RuntimeWarning)
    trial = fk.load_trial(path, cache_dir=cache)
    noise = None if seed is None else PoseNoise()
    return (trial.name, fps, seed), evaluate(trial, fps, noise, 0 if seed is None else seed)


def run_all(data: Path, fps_list=FPS, seeds=SEEDS, workers: int = 2, cache=DEFAULT_CACHE):
    """All (trial, fps, noise seed or None) runs; returns {key: TrialResult}."""
    paths = [p for p in fk.list_trials(*fk.data_dirs(data)) if fk.trial_paths(p)["forces"]]
    for p in paths:  # fill the trial cache once, serially
        fk.load_trial(p, cache_dir=cache)
    tasks = [(str(p), fps, sd, cache) for p in paths for fps in fps_list
             for sd in (None, *seeds)]  # fmt: skip
    out = {}
    if workers > 1:
        with ProcessPoolExecutor(workers) as ex:
            for key, res in ex.map(_task, tasks, chunksize=4):
                out[key] = res
    else:
        for t in tasks:  # runs
            key, res = _task(t)
            out[key] = res
    return out


def trial_rows(results: dict) -> pd.DataFrame:
    """One row per trial x fps x noise (seeds pooled)."""
    groups = {}
    for (name, fps, seed), r in results.items():
        groups.setdefault((name, fps, seed is not None), []).append(r)
    rows = []
    for _key, rs in sorted(groups.items()):
        r = pool(rs).row() if len(rs) > 1 else rs[0].row()
        rows.append(r)
    return pd.DataFrame(rows)


def _abs_stats(e):
    e = 1000 * np.asarray(e, float)
    e = e[np.isfinite(e)]
    if not len(e):
        return (np.nan,) * 3
    return float(np.median(np.abs(e))), float(np.percentile(np.abs(e), 95)), float(e.mean())


def pooled_rows(results: dict) -> pd.DataFrame:
    """Pooled errors per subject group x fps x noise; cadence error per trial (mean and
    worst absolute)."""
    sets = {
        "fit: tuned-on (RBDS001/002)": lambda s: s in TUNED,
        "fit: C3D (RBDS003/011/013/015)": lambda s: s in FIT_SUBJECTS and s not in TUNED,
        "fit (all)": lambda s: s in FIT_SUBJECTS,
        "held_out (6)": lambda s: s in HELD_OUT_SUBJECTS,
        "all 12 with forces": lambda s: True,
    }
    per_trial = {}
    for (name, fps, seed), r in results.items():
        per_trial.setdefault((name, fps, seed is not None), []).append(r)
    rows = []
    for label, sel in sets.items():
        for fps in sorted({k[1] for k in per_trial}):
            for noisy in (False, True):
                rs = [r for (n, f, nz), lst in per_trial.items() if f == fps and nz == noisy
                      for r in lst if sel(r.subject)]  # fmt: skip
                if not rs:
                    continue
                ic = np.concatenate([r.ic_err_s for r in rs])
                to = np.concatenate([r.to_err_s for r in rs])
                ct = np.concatenate([r.contact_err_s for r in rs])
                ct = ct[np.isfinite(ct)]
                cad = {}
                for r in rs:  # per trial: mean over seeds
                    cad.setdefault(r.trial, []).append(
                        100 * (r.cadence_pred_spm / r.cadence_true_spm - 1)
                    )
                cad = np.array([np.nanmean(v) for v in cad.values()])
                icm, icp, icb = _abs_stats(ic)
                tom, top, tob = _abs_stats(to)
                rows.append({
                    "group": label, "fps": fps, "noise": noisy,
                    "trials": len({r.trial for r in rs}), "runs": len(rs),
                    "events": int(sum(r.n_truth_contacts for r in rs)),
                    "IC missed": int((~np.isfinite(ic)).sum()),
                    "IC spurious": int(sum(r.ic_spurious for r in rs)),
                    "TO missed": int((~np.isfinite(to)).sum()),
                    "TO spurious": int(sum(r.to_spurious for r in rs)),
                    "IC bias": icb, "IC med": icm, "IC p95": icp,
                    "TO bias": tob, "TO med": tom, "TO p95": top,
                    "CT err": float(1000 * ct.mean()) if len(ct) else np.nan,
                    "CT worst trial": float(np.nanmax(np.abs(
                        [1000 * np.nanmean(r.contact_err_s) for r in rs]))),
                    "cad mean|err| %": float(np.nanmean(np.abs(cad))),
                    "cad worst %": float(np.nanmax(np.abs(cad))),
                })  # fmt: skip
    return pd.DataFrame(rows)


def _targets(r) -> str:
    fails = []
    if not (r["IC med"] <= TARGETS["median_ms"]):
        fails.append("IC med")
    if not (r["TO med"] <= TARGETS["median_ms"]):
        fails.append("TO med")
    if not (r["IC p95"] <= TARGETS["p95_ms"]):
        fails.append("IC p95")
    if not (r["TO p95"] <= TARGETS["p95_ms"]):
        fails.append("TO p95")
    if not (abs(r["CT err"]) <= TARGETS["contact_ms"]):
        fails.append("CT")
    if not (abs(r["cadence"]) <= TARGETS["cadence_pct"]):
        fails.append("cadence")
    return "yes" if not fails else "no: " + ", ".join(fails)


def trial_table(df: pd.DataFrame, fps: float) -> pd.DataFrame:
    d = df[df.fps == fps].copy()
    out = pd.DataFrame({
        "trial": d.trial, "strike": d.foot_strike, "group": d.group.str.replace("_", "-"),
        "noise": np.where(d.noise, f"yes x{int(d.n_runs.max())}", "no"),
        "contacts": d.n_contacts,
        "IC miss/spur": d.ic_missed.astype(str) + "/" + d.ic_spurious.astype(str),
        "TO miss/spur": d.to_missed.astype(str) + "/" + d.to_spurious.astype(str),
        "IC bias": d.ic_bias_ms, "IC med": d.ic_median_abs_ms, "IC p95": d.ic_p95_abs_ms,
        "TO bias": d.to_bias_ms, "TO med": d.to_median_abs_ms, "TO p95": d.to_p95_abs_ms,
        "CT err": d.contact_mean_err_ms, "cadence": d.cadence_err_pct,
        "strides": d.n_strides,
    })  # fmt: skip
    out["targets"] = [_targets(r) for _, r in out.iterrows()]
    return out.reset_index(drop=True)


def frame_rate_failures(df: pd.DataFrame, ref_fps: float = 120.0) -> pd.DataFrame:
    """Trials whose missed/spurious counts at 240/300 fps exceed those at ``ref_fps``
    (same noise setting), or whose errors grow by more than 5 ms."""
    rows = []
    key = ["trial", "noise"]
    ref = df[df.fps == ref_fps].set_index(key)
    for _, r in df[df.fps > ref_fps].iterrows():
        b = ref.loc[(r.trial, r.noise)]
        bad = r.ic_missed + r.ic_spurious + r.to_missed + r.to_spurious
        base = b.ic_missed + b.ic_spurious + b.to_missed + b.to_spurious
        worse = max(r.ic_p95_abs_ms - b.ic_p95_abs_ms, r.to_p95_abs_ms - b.to_p95_abs_ms)
        if bad > base or worse > 5.0 or r.n_strides < 0.9 * b.n_strides:
            rows.append({"trial": r.trial, "fps": r.fps, "noise": r.noise,
                         "missed+spurious": f"{int(bad)} (at {ref_fps:g}: {int(base)})",
                         "p95 change ms": worse,
                         "strides": f"{int(r.n_strides)} (at {ref_fps:g}: "
                                    f"{int(b.n_strides)})"})  # fmt: skip
    return pd.DataFrame(rows)


def frame_rate_summary(df: pd.DataFrame, ref_fps: float = 120.0) -> pd.DataFrame:
    """Per frame rate and noise setting: the largest change of any trial's median and
    p95 errors against ``ref_fps`` and the summed missed/spurious events and strides."""
    rows = []
    ref = df[df.fps == ref_fps].set_index(["trial", "noise"])
    for (fps, noisy), d in df.groupby(["fps", "noise"]):
        d = d.set_index(["trial", "noise"])
        b = ref.loc[d.index]
        cnt = lambda x: int((x.ic_missed + x.ic_spurious + x.to_missed + x.to_spurious).sum())  # noqa: E731
        rows.append({
            "fps": fps, "noise": noisy,
            "max |d IC med| ms": float((d.ic_median_abs_ms - b.ic_median_abs_ms).abs().max()),
            "max |d TO med| ms": float((d.to_median_abs_ms - b.to_median_abs_ms).abs().max()),
            "max |d IC p95| ms": float((d.ic_p95_abs_ms - b.ic_p95_abs_ms).abs().max()),
            "max |d TO p95| ms": float((d.to_p95_abs_ms - b.to_p95_abs_ms).abs().max()),
            "missed+spurious": cnt(d), f"at {ref_fps:g} fps": cnt(b),
            "strides": int(d.n_strides.sum()), f"strides at {ref_fps:g}": int(b.n_strides.sum()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def checks_table(data: Path, cache) -> pd.DataFrame:
    rows = []
    for p in fk.list_trials(*fk.data_dirs(data)):
        c = fk.trial_checks(fk.load_trial(p, cache_dir=cache))
        rows.append({
            "trial": c["trial"], "strike": c["foot_strike"], "group": subject_group(c["subject"]),
            "axes (up, travel)": f"{c['vertical_lab_axis']}, {c['travel_lab_axis']}",
            "force": c.get("force_channel", "-"),
            "plate normal": c.get("plate_normal_lab_axis") or "-",
            "mean Fz / BW": c.get("mean_over_body_weight", np.nan),
            "contacts": c.get("n_contacts", np.nan),
            "alternation": c.get("alternation", np.nan),
            "cadence spm": c.get("cadence_spm", np.nan),
            "contact ms": c.get("contact_time_ms", np.nan),
            "duty": c.get("duty_factor", np.nan),
            "stance foot m/s": c.get("stance_foot_speed_m_s", np.nan),
            "thigh m (SD mm)": f"{c['hip_knee_m']:.3f} ({c['hip_knee_sd_mm']:.1f})",
            "shank m (SD mm)": f"{c['knee_ankle_m']:.3f} ({c['knee_ankle_sd_mm']:.1f})",
            "rigid-filled": c["rigid_filled_samples"],
        })  # fmt: skip
    return pd.DataFrame(rows)


def fill_accuracy(data: Path, cache) -> pd.DataFrame:
    """Rigid-body fill error: hide a present marker, rebuild it, compare (median mm)."""
    probes = (("R.Foot", "R.MT1"), ("L.Foot", "L.MT1"), ("pelvis", "R.ASIS"),
              ("pelvis", "L.PSIS"), ("R.Thigh", "R.Thigh.Top.Lateral"))  # fmt: skip
    rows = []
    for p in fk.list_trials(*fk.data_dirs(data)):
        tr = fk.load_trial(p, cache_dir=cache)
        if not tr.static_markers:
            continue
        for seg, mk in probes:
            if tr.info["markers_rigid_filled"].get(mk, 0) > 0.5 * tr.n_frames:
                continue
            run = {k: v.copy() for k, v in tr.markers.items()}
            truth = run[mk].copy()
            run[mk][:] = np.nan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                fk.rigid_fill(run, tr.static_markers, fk._SEGMENTS[seg])
                e = 1000 * np.linalg.norm(run[mk] - truth, axis=1)
            med = float(np.nanmedian(e)) if np.isfinite(e).any() else np.nan
            rows.append({"marker": mk, "trial": tr.name, "median_mm": med})
    df = pd.DataFrame(rows)
    return (
        df.groupby("marker")["median_mm"]
        .agg(
            trials="count",
            median="median",
            min="min",
            max="max",
            not_filled=lambda x: x.isna().sum(),
        )
        .reset_index()
    )


def report(results: dict, data: Path, cache, seeds) -> str:
    df = trial_rows(results)
    parts = [
        "## Loaded trials (checks)\n",
        "Per trial: lab axes found from the markers (vertical, travel), vertical force channel "
        "and the plate's normal axis, mean vertical force over body weight (RBDSinfo mass), "
        "force contacts (30 N), their left/right alternation, cadence, median contact time, "
        "duty factor, the stance foot's backward speed (belt speed; heel marker, middle half "
        "of each contact), thigh and shank length (median, SD over the trial) and samples "
        "rebuilt by the rigid-body fill.\n",
        md(checks_table(data, cache), "{:.3f}"),
        "\nRigid-body fill accuracy (a present marker hidden and rebuilt from its segment's "
        "other markers and the static trial; median error per trial, mm):\n",
        md(fill_accuracy(data, cache)),
    ]
    pooled = pooled_rows(results)
    pooled["targets"] = [
        _targets(r.rename({"cad worst %": "cadence"})) for _, r in pooled.iterrows()
    ]
    parts += [
        f"\n## Pooled by subject group (noise: seeds {', '.join(map(str, seeds))} pooled)\n",
        "Errors in ms (predicted minus force); `IC med`/`TO med` median absolute, `p95` 95th "
        "percentile of absolute errors, `bias` mean signed; `CT err` mean signed contact-time "
        "error (`CT worst trial`: largest |mean| of one trial); cadence error per trial "
        "(mean of the seeds), mean and worst absolute. Targets judged on the worst trial's "
        "cadence.\n",
        md(pooled),
    ]
    for fps in sorted(df.fps.unique()):
        parts += [f"\n## {fps:g} fps, per trial\n", md(trial_table(df, fps))]
    fails = frame_rate_failures(df)
    parts += ["\n## Frame-rate summary (every trial against the same trial at 120 fps)\n",
              md(frame_rate_summary(df))]  # fmt: skip
    parts += ["\n## Frame-rate checks (240/300 fps against 120 fps)\n",
              md(fails) if len(fails) else "No trial loses or gains events, or more than "
              "5 ms of p95 error, at 240 or 300 fps compared with 120 fps."]  # fmt: skip
    return "\n".join(parts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--fps", type=float, nargs="+", default=list(FPS))
    ap.add_argument("--seeds", type=int, nargs="*", default=list(SEEDS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--reuse", action="store_true", help="reuse the cached per-run results")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    if not fk.data_dirs(a.data):
        print(f"{a.data}: Fukuchi data not found", file=sys.stderr)
        return 1
    t0 = time.time()
    tag = "_".join(f"{f:g}" for f in a.fps) + "_s" + "".join(map(str, a.seeds))
    store = a.cache / f"events13_{tag}.pkl"
    if a.reuse and store.is_file():
        results = pickle.loads(store.read_bytes())
    else:
        results = run_all(a.data, a.fps, a.seeds, a.workers, a.cache)
        a.cache.mkdir(parents=True, exist_ok=True)
        store.write_bytes(pickle.dumps(results))
    text = report(results, a.data, a.cache, a.seeds)
    text += f"\n\n(run time {time.time() - t0:.0f} s)\n"
    print(text)
    if a.out:
        a.out.write_text("# Events across the 13 Fukuchi runners\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
