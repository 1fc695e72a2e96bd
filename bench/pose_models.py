"""BlazePose full (bundled) against heavy (``gaitlens install-model``) on the four rendered
sample clips: keypoint error against the renderer's joint truth
(``gaitlens_validation.keypoints``: % of the near leg's length, left/right assignment fixed
per frame), share of frames with the legs swapped, and pose time as a ratio to the full
model in the same run.

Usage: ``.venv/bin/python bench/pose_models.py [--out bench/results/pose_models.json]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ("normal", "pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed")
GROUPS = ("hip", "knee", "ankle", "heel", "foot_index")
NAMES = {0: "lite", 1: "full", 2: "heavy"}


def main(argv=None) -> int:
    from gaitlens.pose.mediapipe import legacy_model_path
    from gaitlens_validation.keypoints import evaluate_clip

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    models = [n for n in (1, 2, 0) if legacy_model_path(n) and legacy_model_path(n).is_file()]
    if models == [1]:
        print("only the full model is installed (gaitlens install-model adds heavy/lite)")
    res = {}
    for n in models:
        rows, secs = [], 0.0
        for clip in CLIPS:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows.append(
                    evaluate_clip(ROOT / "sample_videos" / f"{clip}.mp4", model_complexity=n)
                )
            secs += time.perf_counter() - t0
        out = {"seconds": secs, "swapped_frac": [r["lr_swapped_frac"] for r in rows]}
        for side in ("near", "far"):
            for g in GROUPS:
                for q in ("median", "p95"):
                    out[f"{side}_{g}_{q}_pct"] = float(
                        np.mean([r[f"{side}_{g}_fixed_{q}_pct"] for r in rows])
                    )
        res[NAMES[n]] = out
    print(
        "| model | time / full | legs swapped (frames) | "
        + " | ".join(f"{s} {g} median / p95 (% leg)" for s in ("near", "far") for g in GROUPS)
        + " |"
    )
    print("|---" * (3 + 2 * len(GROUPS)) + "|")
    for name, o in res.items():
        cells = [f"{o[f'{s}_{g}_median_pct']:.1f} / {o[f'{s}_{g}_p95_pct']:.1f}"
                 for s in ("near", "far") for g in GROUPS]  # fmt: skip
        sw = o["swapped_frac"]
        ratio = o["seconds"] / res["full"]["seconds"]
        swaps = f"{100 * min(sw):.1f}-{100 * max(sw):.1f} %"
        print(f"| {name} | {ratio:.2f} | {swaps} | " + " | ".join(cells) + " |")
    if args.out:
        args.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
