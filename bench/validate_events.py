"""Validate cleaning + events + strides against force plates and the real clips.

Usage: python bench/validate_events.py [--data ../shared/data] [--out docs/events_results.md]

1. Fukuchi et al. (2017) treadmill trials with force files, projected to side-view
   keypoints at 30/60/120 fps, noise-free and with MediaPipe-like noise (3 seeds pooled):
   IC/TO errors against vertical-GRF contacts, contact-time and cadence errors.
   The same at 60 fps on noise seeds not used to choose any threshold (3-7).
2. Method comparison at 60 fps with noise (foot-belt velocity, its previous version,
   foot height, Zeni et al. 2008 pelvis-relative extrema).
3. Leave-one-trial-out choice of the IC rule and the TO smoothing: each threshold is
   chosen on two trials and judged on the third.
4. Swap repair on injected swaps and on clean tracks.
5. Real clips: cadence / contact time / duty factor on the treadmill clip; the walking
   clip must be refused (NotRunningError).

``--runners13 [options of bench/events_runners13.py]``: instead of the above, events
across the 13 Fukuchi runners (text + C3D trials) at 30-300 fps with fit / held-out
subject groups (``bench/events_runners13.py``, which it runs; e.g.
``python bench/validate_events.py --runners13 --out docs/events_runners13.md``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gaitlens import cleaning, events, strides  # noqa: E402
from gaitlens.errors import GaitlensError  # noqa: E402
from gaitlens_validation.events import evaluate, pool, run  # noqa: E402
from gaitlens_validation.fukuchi import list_trials, load_trial  # noqa: E402
from gaitlens_validation.noise import PoseNoise  # noqa: E402

COLS = ["trial", "fps", "noise", "n_contacts", "ic_matched", "ic_bias_ms", "ic_median_abs_ms",
        "ic_p95_abs_ms", "to_bias_ms", "to_median_abs_ms", "to_p95_abs_ms",
        "contact_mean_err_ms", "cadence_err_pct"]  # fmt: skip


def md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cells.append(f"{v:.2f}" if isinstance(v, (float, np.floating)) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fukuchi(data: Path) -> str:
    df = run(data / "mocap" / "fukuchi2017", fps_list=(30, 60, 120), seeds=(0, 1, 2))
    out = ["## Fukuchi force-plate validation\n", md(df[COLS])]
    targets = df[(df.fps == 60) & df.noise]
    ok = (
        (targets.ic_median_abs_ms <= 10) & (targets.to_median_abs_ms <= 10)
        & (targets.ic_p95_abs_ms <= 25) & (targets.to_p95_abs_ms <= 25)
        & (targets.contact_mean_err_ms.abs() <= 15) & (targets.cadence_err_pct.abs() <= 0.5)
    )  # fmt: skip
    out.append(f"\n60 fps with noise, all targets met: {dict(zip(targets.trial, ok))}\n")
    held = run(data / "mocap" / "fukuchi2017", fps_list=(60,), seeds=(3, 4, 5, 6, 7),
               with_clean=False)  # fmt: skip
    out += ["### 60 fps, noise seeds 3-7 (not used to choose thresholds)\n", md(held[COLS])]
    return "\n".join(out)


#: the method before this round: IC at 0.6 x belt speed, one pass, TO toe 0.03 legs at 6 Hz
PREVIOUS = dict(ic_margin_legs_s=0.0, refine_passes=0, to_height_legs=0.03, to_smooth_hz=0.0)


def _stats(e: np.ndarray) -> tuple:
    e = 1000 * e[np.isfinite(e)]
    return float(np.median(np.abs(e))), float(np.percentile(np.abs(e), 95)), float(e.mean())


def loto(data: Path, seeds=(0, 1, 2)) -> str:
    """Leave one trial out: choose each threshold on two trials (smallest worst-trial
    median |error|, for TO the worst of median and p95 - 15 ms), report the third."""
    from gaitlens_validation.events import match_events
    from gaitlens_validation.fukuchi import to_side_view

    ic_grid = [("fraction", f, dict(ic_margin_legs_s=0.0, ic_belt_fraction=f))
               for f in (0.5, 0.6, 0.7, 0.75)]  # fmt: skip
    ic_grid += [("margin_legs_s", m, dict(ic_margin_legs_s=m)) for m in (1.0, 1.1, 1.2, 1.3, 1.4)]
    to_grid = [("to_smooth_hz", hz, dict(to_smooth_hz=hz)) for hz in (4.0, 5.0, 6.0)]
    err = {}
    trials = [load_trial(p) for p in list_trials(data / "mocap" / "fukuchi2017")]
    trials = [t for t in trials if t.forces is not None]
    for trial in trials:
        for sd in seeds:
            track, truth = to_side_view(trial, fps=60, noise=PoseNoise(), seed=sd)
            c = cleaning.clean(track)
            for kind, grid in (("ic", ic_grid), ("to", to_grid)):
                for fam, v, kw in grid:
                    det = events.FootBeltEvents(**kw)
                    for side in ("left", "right"):
                        ic, to = det.detect_side(c, side)
                        pred = ic if kind == "ic" else to
                        e = match_events(
                            pred[np.isfinite(pred)], truth["events"][f"{kind}_s"][side]
                        )
                        err.setdefault((trial.name, kind, fam, v), []).append(e)
    err = {k: np.concatenate(v) for k, v in err.items()}
    rows = []
    names = [t.name for t in trials]
    for kind, grid in (("ic", ic_grid), ("to", to_grid)):
        for fam in sorted({g[0] for g in grid}):
            vals = [g[1] for g in grid if g[0] == fam]
            for ho in names:
                train = [n for n in names if n != ho]

                def score(v, kind=kind, fam=fam, train=train):
                    st = [_stats(err[(n, kind, fam, v)]) for n in train]
                    return max(max(m, p - 15) if kind == "to" else m for m, p, _ in st)

                best = min(vals, key=score)
                m, p, b = _stats(err[(ho, kind, fam, best)])
                rows.append({"event": kind, "rule": fam, "held_out": ho, "chosen": best,
                             "train_worst_ms": score(best), "held_out_median_abs_ms": m,
                             "held_out_p95_abs_ms": p, "held_out_bias_ms": b})  # fmt: skip
    return "## Leave-one-trial-out (60 fps, noise, seeds 0-2)\n\n" + md(pd.DataFrame(rows))


def compare(data: Path) -> str:
    dets = {
        "foot_belt_velocity (default)": events.FootBeltEvents(),
        "foot_belt_velocity (previous)": events.FootBeltEvents(**PREVIOUS),
        "foot_height (threshold 0.03 legs)": events.FootHeightEvents(),
        "zeni_pelvis_relative": events.PelvisRelativeEvents(),
    }
    rows = []
    for path in list_trials(data / "mocap" / "fukuchi2017"):
        trial = load_trial(path)
        if trial.forces is None:
            continue
        for name, det in dets.items():
            cfg = events.EventsConfig(detector=det)
            res = [evaluate(trial, 60, PoseNoise(), sd, events_config=cfg) for sd in (0, 1)]
            r = pool(res).row()
            rows.append({"method": name, **{k: r[k] for k in COLS if k not in ("fps", "noise")}})
    return "## Method comparison (60 fps, noise, 2 seeds)\n\n" + md(pd.DataFrame(rows))


def swaps(data: Path) -> str:
    rows = []
    for path in list_trials(data / "mocap" / "fukuchi2017"):
        trial = load_trial(path)
        for fps in (30, 60, 120):
            for rate in (0.3, 1.0):
                res = [evaluate(trial, fps, PoseNoise(swap_rate_per_s=rate), sd, duration_s=20)
                       for sd in (0, 1)] if trial.forces is not None else []  # fmt: skip
                if not res:
                    continue
                clean_r = evaluate(trial, fps, None, 0, duration_s=20)
                rows.append({
                    "trial": trial.name, "fps": fps, "swap_rate_per_s": rate,
                    "injected_pct": 100 * np.mean([r.swap_injected_frac for r in res]),
                    "left_after_repair_pct": 100 * np.mean([r.swap_residual_frac for r in res]),
                    "new_on_clean_pct": 100 * clean_r.swap_new_frac,
                })  # fmt: skip
    return "## Swap repair\n\n" + md(pd.DataFrame(rows))


def real(data: Path) -> str:
    from gaitlens_validation.realvideo import track_video

    out = ["## Real clips\n"]
    run_p = data / "videos" / "treadmill_side_runner_30fps.mp4"
    if run_p.is_file():
        tr = track_video(run_p)
        c = cleaning.clean(tr)
        ev = events.detect(c)
        s = strides.summarize_timing(strides.segment(ev, c))
        out.append(
            f"- treadmill_side_runner_30fps: activity {c.activity}, facing {c.facing}, near "
            f"leg {c.near_side}, swaps repaired {len(c.swaps_repaired)} frames, "
            f"strides {s['n_strides']} valid / {s['n_rejected']} rejected; cadence "
            f"{s['cadence_spm']:.1f} spm (truth 168.9 +- 0.5), contact time "
            f"{1000 * s['contact_time_s']:.0f} ms (band 180-320), flight "
            f"{1000 * s['flight_time_s']:.0f} ms, duty factor {s['duty_factor']:.3f} "
            "(band 0.25-0.48)"
        )
    walk_p = data / "videos" / "walk_side_two_people_30fps.mp4"
    if walk_p.is_file():
        tr = track_video(walk_p)
        try:
            cleaning.clean(tr)
            out.append("- walk_side_two_people_30fps: NOT refused (wrong)")
        except GaitlensError as exc:
            out.append(f"- walk_side_two_people_30fps: {type(exc).__name__}: {exc}")
    return "\n".join(out)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--runners13" in argv:
        import events_runners13

        return events_runners13.main([a for a in argv if a != "--runners13"])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--skip", nargs="*", default=[], help="fukuchi compare loto swaps real")
    a = ap.parse_args(argv)
    if not a.data.is_dir():
        print(f"{a.data}: reference data not found", file=sys.stderr)
        return 1
    t0 = time.time()
    parts = []
    for name, fn in (("fukuchi", fukuchi), ("compare", compare), ("loto", loto),
                     ("swaps", swaps), ("real", real)):  # fmt: skip
        if name not in a.skip:
            parts.append(fn(a.data))
            print(parts[-1], "\n", flush=True)
    parts.append(f"\n(run time {time.time() - t0:.0f} s)\n")
    if a.out:
        a.out.write_text("\n\n".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
