"""Validate cleaning + events + strides against force plates and the real clips.

Usage: python bench/validate_events.py [--data ../shared/data] [--out docs/events_results.md]

1. Fukuchi et al. (2017) treadmill trials with force files, projected to side-view
   keypoints at 30/60/120 fps, noise-free and with MediaPipe-like noise (3 seeds pooled):
   IC/TO errors against vertical-GRF contacts, contact-time and cadence errors.
2. Method comparison at 60 fps with noise (foot-belt velocity vs foot height vs
   Zeni et al. 2008 pelvis-relative extrema).
3. Swap repair on injected swaps and on clean tracks.
4. Real clips: cadence / contact time / duty factor on the treadmill clip; the walking
   clip must be refused (NotRunningError).
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

from gaitlens import cleaning, events, strides  # noqa: E402
from gaitlens.errors import GaitlensError  # noqa: E402
from gaitlens.mocap import PoseNoise, list_trials, load_trial  # noqa: E402
from gaitlens.validation.events import evaluate, pool, run  # noqa: E402

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
    return "\n".join(out)


def compare(data: Path) -> str:
    dets = {
        "foot_belt_velocity (default)": events.FootBeltEvents(),
        "foot_height (threshold 0.03 legs)": events.FootHeightEvents(),
        "zeni_pelvis_relative": events.PelvisRelativeEvents(),
    }
    rows = []
    for path in list_trials(data / "mocap" / "fukuchi2017"):
        trial = load_trial(path)
        if trial.forces_path is None:
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
                       for sd in (0, 1)] if trial.forces_path else []  # fmt: skip
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
    from gaitlens.validation.realvideo import track_video

    out = ["## Real clips\n"]
    run_p = data / "videos" / "treadmill_side_runner_30fps.mp4"
    if run_p.is_file():
        tr = track_video(run_p)
        c = cleaning.clean(tr)
        ev = events.detect(c)
        s = strides.summarize(strides.segment(ev, c))
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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--skip", nargs="*", default=[], help="fukuchi compare swaps real")
    a = ap.parse_args(argv)
    if not a.data.is_dir():
        print(f"{a.data}: reference data not found", file=sys.stderr)
        return 1
    t0 = time.time()
    parts = []
    for name, fn in (("fukuchi", fukuchi), ("compare", compare), ("swaps", swaps),
                     ("real", real)):  # fmt: skip
        if name not in a.skip:
            parts.append(fn(a.data))
            print(parts[-1], "\n", flush=True)
    parts.append(f"\n(run time {time.time() - t0:.0f} s)\n")
    if a.out:
        a.out.write_text("\n\n".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
