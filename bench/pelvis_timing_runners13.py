"""Pelvis-vs-swing-leg timing across the 13 Fukuchi runners: the product's peak-to-peak
``pelvis_lag`` against the whole-waveform estimator of
``gaitlens_validation.pelvis_timing``.

Data: Fukuchi, Fukuchi & Duarte (2017), PeerJ 5:e3298, CC BY 4.0, all 34 trials. Each
trial is projected to a side view (camera on the runner's left, as for the reference
bands) at 30 and 60 fps, noise-free and with ``PoseNoise`` (seeds 0-2), and run through
cleaning -> events -> strides -> kinematics -> stride metrics (``bench/
kinematics_fukuchi.run_trial``). Per stride:

* ``current``: ``pelvis_lag_pct`` / ``_ms`` of ``gaitlens.strides.metrics`` (peak times);
* ``waveform``: ``pelvis_timing.lag_table`` (fitted sinusoid phases per stride);
* ``ensemble``: ``pelvis_timing.ensemble_lag`` (one value per side and clip);

and the same two per-stride definitions on the motion-capture signals themselves
(``truth``: hip-centre midpoint and thigh angle from the markers at 150 Hz, 12 Hz
low-pass, strides from the force-plate contacts; RBDS032, which has no forces, from
gaitlens events on its noise-free 150 fps projection).

Reports per trial (median, per-stride SD, bias noisy - noise-free, 30 vs 60 fps, error
against the marker truth) and a summary across runners, plus the response of both
estimators to the synthetic runner's ``pelvis_lag`` knob (gaitlens.synthetic, 20 s,
noise-free and with ``PoseNoise``).

Usage: ``PYTHONPATH=. nice python bench/pelvis_timing_runners13.py [--out docs/...md]
[--workers 2] [--cache /work/cache/mocap] [--reuse]``. About 10 min on 2 cores.
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
sys.path.insert(0, str(ROOT / "bench"))

from events_runners13 import md  # noqa: E402

from gaitlens_validation import fukuchi as fk  # noqa: E402
from gaitlens_validation import pelvis_timing as pt  # noqa: E402
from gaitlens_validation.events import subject_group  # noqa: E402
from gaitlens_validation.noise import PoseNoise  # noqa: E402

DEFAULT_CACHE = Path("/work/cache/mocap")
FPS = (30, 60)
SEEDS = (0, 1, 2)
TRUTH_CUTOFF_HZ = 12.0


# ------------------------------------------------------------------ truth
def truth_strides(trial) -> pd.DataFrame:
    """Strides (side, ic_s, to_s, next_ic_s) from the force contacts; for a trial without
    forces from gaitlens events on its noise-free 150 fps projection."""
    if trial.forces is not None:
        c = fk.force_contacts(trial)["contacts"]
        ics = {s: np.sort(c.loc[c.side == s, "ic_s"].to_numpy()) for s in ("left", "right")}
        tos = {s: np.sort(c.loc[c.side == s, "to_s"].to_numpy()) for s in ("left", "right")}
        src = "force"
    else:
        from gaitlens import cleaning, events

        track, _ = fk.to_side_view(trial, fps=trial.sampling_rate_hz, camera_side="left")
        ev = events.detect(cleaning.clean(track))
        ics, tos, src = ev.ic_s, ev.to_s, "gaitlens events (no forces)"
    rows = []
    for side in ("left", "right"):
        ic, to = np.asarray(ics[side]), np.asarray(tos[side])
        for a, b in zip(ic[:-1], ic[1:]):  # strides
            t_in = to[(to > a) & (to < b)]
            if len(t_in) == 1 and 0.5 < b - a < 1.1:
                rows.append({"side": side, "ic_s": a, "to_s": t_in[0], "next_ic_s": b})
    df = pd.DataFrame(rows).sort_values("ic_s").reset_index(drop=True)
    df.attrs["source"] = src
    return df, ics


def truth_lags(trial) -> dict:
    """Both estimators on the marker signals (sagittal plane, 150 Hz)."""
    from gaitlens.cleaning import LowPass
    from gaitlens.kinematics import angular_rate_deg_per_s, running_median, segment_angle_deg

    t = trial.time_s
    fs = trial.sampling_rate_hz
    lp = LowPass(cutoff_hz=TRUTH_CUTOFF_HZ, max_fraction_nyquist=0.9)
    jc = {k: lp.apply(v[:, :2], fs) for k, v in trial.joint_centres.items()}
    hip = 0.5 * (jc["left_hip"] + jc["right_hip"])
    leg = np.nanmedian(
        np.linalg.norm(jc["left_hip"] - jc["left_knee"], axis=1)
        + np.linalg.norm(jc["left_knee"] - jc["left_ankle"], axis=1)
    )
    x = (hip[:, 0] - running_median(hip[:, 0], int(2.0 * fs))) / leg  # leg lengths
    vx = np.gradient(x, t)
    st, ics = truth_strides(trial)
    cur, wav = [], []
    for side in ("left", "right"):
        other = "right" if side == "left" else "left"
        s = st[st.side == side]
        om = angular_rate_deg_per_s(segment_angle_deg(jc[f"{side}_hip"], jc[f"{side}_knee"]), t)
        c = pt.peak_lag(t, vx, om, s.ic_s, s.to_s, s.next_ic_s, ics[other])
        w = pt.waveform_lag(t, vx, om, s.ic_s, s.next_ic_s)
        c.insert(0, "side", side)
        w.insert(0, "side", side)
        cur.append(c)
        wav.append(w)
    return {
        "current": pd.concat(cur, ignore_index=True),
        "waveform": pd.concat(wav, ignore_index=True),
        "source": st.attrs["source"],
    }


# ------------------------------------------------------------------ video-like runs
def _task(args):
    path, fps, seed, cache = args
    warnings.simplefilter("ignore", RuntimeWarning)
    import kinematics_fukuchi as kf

    trial = fk.load_trial(path, cache_dir=cache)
    if seed == "force":  # noise-free, strides from the force plate instead of gaitlens
        r = kf.run_trial(trial, fps=fps, camera_side="left", events_from="force")
    else:
        noise = None if seed is None else PoseNoise()
        seed0 = 0 if seed is None else seed
        r = kf.run_trial(trial, fps=fps, camera_side="left", noise=noise, seed=seed0)
    cur = r.table[["side", "ic_s", "next_ic_s", "pelvis_lag_ms", "pelvis_lag_pct"]].rename(
        columns={"pelvis_lag_ms": "lag_ms", "pelvis_lag_pct": "lag_pct"}
    )
    wav = pt.lag_table(r.frames, r.table)
    t = r.frames["time_s"].to_numpy()
    pv = r.frames["pelvis_vx_legs_per_s"].to_numpy()
    ens = {}
    for side in ("left", "right"):
        s = r.table[r.table.side == side]
        th = r.frames[f"{side}_thigh_angular_velocity_deg_per_s"].to_numpy()
        ens[side] = pt.ensemble_lag(t, pv, th, s.ic_s, s.next_ic_s)
    return (trial.name, fps, seed), {"current": cur, "waveform": wav, "ensemble": ens}


def run_all(data, fps_list=FPS, seeds=SEEDS, workers=2, cache=DEFAULT_CACHE):
    paths = fk.list_trials(*fk.data_dirs(data))
    trials = {}
    truth = {}
    for p in paths:
        tr = fk.load_trial(p, cache_dir=cache)
        trials[tr.name] = tr
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            truth[tr.name] = truth_lags(tr)
    tasks = [
        (str(p), fps, sd, cache)
        for p in paths
        for fps in fps_list
        for sd in (None, "force", *seeds)
    ]
    out = {}
    if workers > 1:
        with ProcessPoolExecutor(workers) as ex:
            for key, res in ex.map(_task, tasks, chunksize=2):
                out[key] = res
    else:
        for t in tasks:  # runs
            key, res = _task(t)
            out[key] = res
    meta = {n: {"subject": t.subject, "speed": t.belt_speed_m_s, "strike": t.foot_strike_label}
            for n, t in trials.items()}  # fmt: skip
    return {"runs": out, "truth": truth, "meta": meta}


# ------------------------------------------------------------------ synthetic knob
def synthetic_sweep(mags=(0.0, 0.25, 0.5, 0.75, 1.0), fps_list=FPS, seeds=(0, 1)) -> pd.DataFrame:
    """Both estimators against the synthetic runner's ``pelvis_lag`` knob (20 s,
    3.0 m/s, 170 spm), noise-free and with ``PoseNoise`` (px per m from the model)."""
    from gaitlens import cleaning, events, kinematics, strides
    from gaitlens.synthetic.run import simulate

    rows = []
    for fps in fps_list:
        for m in mags:
            run = simulate(pelvis_lag=m, fps=float(fps), duration_s=20.0)
            base = run.to_pose_track(noise_px=0.0)
            ppm = run.camera.px_per_m(run.depth_m[f"{run.near_side}_hip"])
            for sd in (None, *seeds):
                tr = base
                if sd is not None:
                    xy, vis, _ = PoseNoise().apply(base.xy_px, base.visibility, base.time_s,
                                                  near_side=run.near_side, px_per_m=ppm,
                                                  rng=np.random.default_rng(sd))  # fmt: skip
                    tr = base.copy(xy_px=xy, visibility=vis)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    c = cleaning.clean(tr)
                    ev = events.detect(c)
                    st = strides.segment(ev, c)
                    fr = kinematics.compute(c, ev)
                    tab = strides.measure(st.valid, fr, ev, c)
                w = pt.lag_table(fr, tab)
                rows.append({"fps": fps, "knob": m, "noise": sd is not None, "seed": sd,
                             "truth_pct": float(np.nanmedian(run.strides["pelvis_lag_pct"])),
                             "current_med": float(np.nanmedian(tab.pelvis_lag_pct)),
                             "current_sd": float(np.nanstd(tab.pelvis_lag_pct)),
                             "waveform_med": float(np.nanmedian(w.lag_pct)),
                             "waveform_sd": float(np.nanstd(w.lag_pct)),
                             "pelvis_amp": float(np.nanmedian(w.pelvis_amp)),
                             "pelvis_r2": float(np.nanmedian(w.pelvis_r2)),
                             "n": int(len(tab))})  # fmt: skip
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ statistics
def _match(a: pd.DataFrame, b: pd.DataFrame, col: str, tol_s: float = 0.06) -> np.ndarray:
    """``a[col] - b[col]`` for strides of ``a`` with a stride of ``b`` (same side) whose
    IC is within ``tol_s``."""
    out = []
    for side in ("left", "right"):
        x, y = a[a.side == side], b[b.side == side]
        if not len(x) or not len(y):
            continue
        yi = y.ic_s.to_numpy()
        for ic, v in zip(x.ic_s.to_numpy(), x[col].to_numpy()):  # strides
            j = int(np.argmin(np.abs(yi - ic)))
            if abs(yi[j] - ic) <= tol_s:
                out.append(v - y[col].to_numpy()[j])
    return np.asarray(out, float)


def _noisy(key) -> bool:
    return key[2] is not None and key[2] != "force"


def _robust_sd(x):
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else np.nan


def trial_stats(res: dict) -> pd.DataFrame:
    runs, truth, meta = res["runs"], res["truth"], res["meta"]
    rows = []
    names = sorted({k[0] for k in runs})
    fps_list = sorted({k[1] for k in runs})
    for name in names:
        for est in ("current", "waveform"):
            tr = truth[name][est]
            row = {"trial": name, "strike": meta[name]["strike"],
                   "group": subject_group(meta[name]["subject"]), "estimator": est,
                   "truth med %": float(np.nanmedian(tr.lag_pct)),
                   "truth SD %": float(np.nanstd(tr.lag_pct))}  # fmt: skip
            if "pelvis_amp" in tr:
                row["truth amp"] = float(np.nanmedian(tr.pelvis_amp))
            for fps in fps_list:
                clean = runs[(name, fps, None)][est]
                noisy = pd.concat(
                    [v[est] for k, v in runs.items() if k[:2] == (name, fps) and _noisy(k)]
                )
                f = f"{fps:g}"
                row[f"{f} clean med %"] = float(np.nanmedian(clean.lag_pct))
                row[f"{f} clean med ms"] = float(np.nanmedian(clean.lag_ms))
                row[f"{f} clean SD %"] = float(np.nanstd(clean.lag_pct))
                row[f"{f} noisy med %"] = float(np.nanmedian(noisy.lag_pct))
                row[f"{f} noisy SD %"] = float(np.nanstd(noisy.lag_pct))
                row[f"{f} noisy rSD %"] = _robust_sd(noisy.lag_pct)
                row[f"{f} bias %"] = row[f"{f} noisy med %"] - row[f"{f} clean med %"]
                row[f"{f} bias ms"] = float(np.nanmedian(noisy.lag_ms) - np.nanmedian(clean.lag_ms))
                e_c = _match(clean, tr, "lag_pct")
                e_n = _match(noisy, tr, "lag_pct")
                row[f"{f} clean-truth %"] = float(np.nanmedian(e_c)) if len(e_c) else np.nan
                row[f"{f} err SD clean %"] = float(np.nanstd(e_c)) if len(e_c) else np.nan
                row[f"{f} err SD noisy %"] = float(np.nanstd(e_n)) if len(e_n) else np.nan
                row[f"{f} n"] = int(np.isfinite(clean.lag_pct).sum())
                forced = runs.get((name, fps, "force"))
                if forced is not None and (name, fps, "force") in runs:
                    row[f"{f} gaitlens-force events %"] = float(
                        np.nanmedian(clean.lag_pct) - np.nanmedian(forced[est].lag_pct)
                    )
                if "pelvis_amp" in clean:
                    row[f"{f} clean amp"] = float(np.nanmedian(clean.pelvis_amp))
                    row[f"{f} noisy amp"] = float(np.nanmedian(noisy.pelvis_amp))
                    row[f"{f} clean r2"] = float(np.nanmedian(clean.pelvis_r2))
                    row[f"{f} noisy r2"] = float(np.nanmedian(noisy.pelvis_r2))
            row["30-60 clean %"] = row["30 clean med %"] - row["60 clean med %"]
            row["30-60 noisy %"] = row["30 noisy med %"] - row["60 noisy med %"]
            rows.append(row)
    return pd.DataFrame(rows)


def ensemble_stats(res: dict) -> pd.DataFrame:
    rows = []
    for (name, fps, seed), v in res["runs"].items():
        if seed == "force":
            continue
        for side, e in v["ensemble"].items():
            rows.append({"trial": name, "fps": fps, "noise": seed is not None, "side": side,
                         **e})  # fmt: skip
    df = pd.DataFrame(rows)
    g = df.groupby(["trial", "fps", "noise"])
    return g.agg(lag_pct=("lag_pct", "mean"), jackknife_sd_pct=("jackknife_sd_pct", "mean"),
                 left_right_diff=("lag_pct", lambda x: float(np.ptp(x)))).reset_index()  # fmt: skip


def summary(ts: pd.DataFrame, ens: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for est in ("current", "waveform"):
        d = ts[ts.estimator == est]
        subj = d.assign(s=d.trial.str[:7]).groupby("s")
        for fps in (30, 60):
            f = f"{fps}"
            rows.append({
                "estimator": est, "fps": fps,
                "grand median %": float(d[f"{f} clean med %"].median()),
                "between-subject SD % (clean)": float(subj[f"{f} clean med %"].mean().std()),
                "between-trial SD % (clean)": float(d[f"{f} clean med %"].std()),
                "per-stride SD % clean (median trial)": float(d[f"{f} clean SD %"].median()),
                "per-stride SD % noisy (median trial)": float(d[f"{f} noisy SD %"].median()),
                "per-stride SD % noisy (worst trial)": float(d[f"{f} noisy SD %"].max()),
                "|bias| % noisy-clean (mean)": float(d[f"{f} bias %"].abs().mean()),
                "|bias| % (worst)": float(d[f"{f} bias %"].abs().max()),
                "bias ms (mean signed)": float(d[f"{f} bias ms"].mean()),
                "clean - truth % (median trial)": float(d[f"{f} clean-truth %"].median()),
                "err SD vs truth % clean": float(d[f"{f} err SD clean %"].median()),
                "err SD vs truth % noisy": float(d[f"{f} err SD noisy %"].median()),
                "|30-60| % clean (mean)": float(d["30-60 clean %"].abs().mean()),
                "|30-60| % noisy (mean)": float(d["30-60 noisy %"].abs().mean()),
                "|gaitlens - force events| % (mean)": float(
                    d.get(f"{f} gaitlens-force events %", pd.Series(dtype=float)).abs().mean()
                ),
            })  # fmt: skip
    for fps in (30, 60):
        e = ens[ens.fps == fps]
        c, n = e[~e.noise].set_index("trial"), e[e.noise].groupby("trial").lag_pct.mean()
        rows.append({
            "estimator": "ensemble", "fps": fps,
            "grand median %": float(c.lag_pct.median()),
            "between-trial SD % (clean)": float(c.lag_pct.std()),
            "|bias| % noisy-clean (mean)": float((n - c.lag_pct).abs().mean()),
            "|bias| % (worst)": float((n - c.lag_pct).abs().max()),
            "per-stride SD % noisy (median trial)": np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)


def _transpose(df: pd.DataFrame) -> pd.DataFrame:
    """Statistics as rows, one column per estimator and frame rate."""
    t = df.set_index(["estimator", "fps"]).T
    t.columns = [f"{e} {f:g} fps" for e, f in t.columns]
    return t.reset_index().rename(columns={"index": "statistic"})


def report(res: dict, synth: pd.DataFrame | None) -> str:
    ts = trial_stats(res)
    ens = ensemble_stats(res)
    src = {n: v["source"] for n, v in res["truth"].items()}
    parts = [
        "## Summary across the 13 runners (34 trials)\n",
        "Lag in % of the stride (pelvis later = +). `current` = gaitlens.strides.metrics "
        "peak-to-peak `pelvis_lag_pct`; `waveform` = per-stride fitted sinusoid phases "
        "(gaitlens_validation.pelvis_timing); `ensemble` = the same on the stride-averaged "
        "curves (one value per side and clip). The two definitions measure different "
        "points of the waveforms, so their medians differ; compare spreads, biases and "
        "their ratio to the between-runner spread.\n",
        md(_transpose(summary(ts, ens)), "{:.2f}"),
    ]
    for est in ("current", "waveform"):
        d = ts[ts.estimator == est]
        cols = ["trial", "strike", "group", "truth med %", "truth SD %",
                "30 clean med %", "30 clean med ms", "30 clean SD %", "30 noisy SD %",
                "30 bias %", "30 bias ms", "30 err SD noisy %", "60 clean med %",
                "60 clean SD %", "60 noisy SD %", "60 bias %", "60 err SD noisy %",
                "30-60 clean %", "30-60 noisy %", "30 gaitlens-force events %", "30 n"]  # fmt: skip
        if est == "waveform":
            cols += ["truth amp", "30 clean amp", "30 noisy amp", "30 clean r2", "30 noisy r2"]
        fmt = "{:.2f}" if est == "waveform" else "{:.1f}"
        parts += [f"\n## Per trial: {est}\n", md(d[cols], fmt)]
    piv = ens.pivot_table(index="trial", columns=["fps", "noise"], values="lag_pct")
    piv.columns = [f"{f:g} fps {'noisy' if nz else 'clean'}" for f, nz in piv.columns]
    jk = ens.pivot_table(index="trial", columns=["fps", "noise"], values="jackknife_sd_pct")
    jk.columns = [f"jackknife SD {f:g} fps {'noisy' if nz else 'clean'}" for f, nz in jk.columns]
    parts += [
        "\n## Ensemble (stride-averaged) lag per trial, % of stride (mean of the sides)\n",
        md(piv.join(jk).reset_index(), "{:.2f}"),
    ]
    if synth is not None and len(synth):
        g = synth.groupby(["fps", "knob", "noise"]).agg(
            truth_pct=("truth_pct", "mean"), current_med=("current_med", "mean"),
            current_sd=("current_sd", "mean"), waveform_med=("waveform_med", "mean"),
            waveform_sd=("waveform_sd", "mean"), pelvis_amp=("pelvis_amp", "mean"),
            pelvis_r2=("pelvis_r2", "mean"), n=("n", "mean")).reset_index()  # fmt: skip
        parts += ["\n## Synthetic runner: response to the `pelvis_lag` knob\n",
                  "gaitlens.synthetic (3.0 m/s, 170 spm, 20 s); `truth_pct` = the model's "
                  "peak-to-peak truth; medians and per-stride SDs over strides (noisy: "
                  "PoseNoise, 2 seeds averaged).\n", md(g, "{:.2f}")]  # fmt: skip
    parts.append("\nTruth strides: " + ", ".join(sorted({f"{v}" for v in src.values()})))
    return "\n".join(parts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    if not fk.data_dirs(a.data):
        print(f"{a.data}: Fukuchi data not found", file=sys.stderr)
        return 1
    t0 = time.time()
    store = a.cache / "pelvis13.pkl"
    if a.reuse and store.is_file():
        res = pickle.loads(store.read_bytes())
    else:
        res = run_all(a.data, workers=a.workers, cache=a.cache)
        res["synthetic"] = None if a.no_synthetic else synthetic_sweep()
        a.cache.mkdir(parents=True, exist_ok=True)
        store.write_bytes(pickle.dumps(res))
    text = report(res, res.get("synthetic"))
    text += f"\n\n(run time {time.time() - t0:.0f} s)\n"
    print(text)
    if a.out:
        a.out.write_text("# Pelvis timing across the 13 Fukuchi runners\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
