"""MediaPipe on the synthetic sample clips: detection rate and keypoint error.

Usage: python bench/synthetic_keypoint_error.py [CLIP_DIR] [--json OUT.json]
       python bench/synthetic_keypoint_error.py --mocap OUT_DIR   (Fukuchi-driven clips)

For every ``*.mp4`` with a ``.truth.json`` next to it (default: sample_videos/), runs
the MediaPipe backend (model complexity 1, bundled) over the clip and compares hips,
knees, ankles, heels and toes with the rendered truth: median and 95th percentile of
the pixel distance in % of the near leg's length, for the near and far side, with
MediaPipe's left/right labels as they come ("raw") and after the best per-frame
left/right assignment ("L/R fixed"). Prints a Markdown table (pasted into
docs/synthetic.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gaitlens_validation.keypoints import GROUPS, evaluate_clip  # noqa: E402

LABEL = {"foot_index": "toe"}
FUKUCHI = ROOT.parent / "shared" / "data" / "mocap" / "fukuchi2017"
#: Fukuchi trials rendered by --mocap (8 s from t = 2 s, 60 fps, sample-clip noise)
MOCAP_TRIALS = (("RBDS001runT25", "right"), ("RBDS002runT45", "left"), ("RBDS032runT35", "right"))


def render_mocap_clips(outdir: Path) -> Path:
    """Render the Fukuchi-driven clips (real running, measured pelvis) into ``outdir``."""
    from gaitlens.synthetic import render
    from gaitlens_validation.mocap_driven import mocap_run

    outdir.mkdir(parents=True, exist_ok=True)
    for name, facing in MOCAP_TRIALS:
        path = FUKUCHI / f"{name}markers.txt"
        if not path.exists():
            print(f"skip {name}: {path} not found", file=sys.stderr)
            continue
        run = mocap_run(
            path,
            duration_s=8.0,
            fps=60.0,
            facing=facing,
            sensor_noise_std=1.5,
            motion_blur_subframes=3,
            shutter_frac=0.4,
            crf=24,
        )
        render(run, outdir / f"{name}.mp4")
    return outdir


def table(results: list[dict], mode: str) -> str:
    head = (
        "| clip | detected | L/R swapped | "
        + " | ".join(f"{role} {LABEL.get(g, g)}" for role in ("near", "far") for g in GROUPS)
        + " |"
    )
    lines = [head, "|---" * (3 + 2 * len(GROUPS)) + "|"]
    for r in results:
        cells = [
            r["clip"],
            f"{100 * r['detection_rate']:.1f} %",
            f"{100 * r['lr_swapped_frac']:.0f} %",
        ]
        for role in ("near", "far"):
            for g in GROUPS:
                k = f"{role}_{g}_{mode}"
                cells.append(f"{r[k + '_median_pct']:.1f} / {r[k + '_p95_pct']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="?", default=str(ROOT / "sample_videos"))
    ap.add_argument("--json", default=None, help="write the raw results here")
    ap.add_argument(
        "--mocap",
        default=None,
        metavar="OUT_DIR",
        help="render the Fukuchi-driven clips into OUT_DIR and evaluate those",
    )
    a = ap.parse_args(argv)
    if a.mocap:
        a.clips = str(render_mocap_clips(Path(a.mocap)))
    vids = sorted(p for p in Path(a.clips).glob("*.mp4") if p.with_suffix(".truth.json").exists())
    if not vids:
        print(f"no clips with truth in {a.clips}", file=sys.stderr)
        return 1
    results = []
    for v in vids:
        t0 = time.time()
        r = evaluate_clip(v)
        r["seconds"] = time.time() - t0
        results.append(r)
        print(
            f"{v.name}: detected {100 * r['detection_rate']:.1f} % ({r['seconds']:.0f} s)",
            file=sys.stderr,
        )
    print("Error in % of leg length, median / 95th percentile, MediaPipe labels as they come:")
    print(table(results, "raw"))
    print("\nSame, after the best per-frame left/right assignment of the leg landmarks:")
    print(table(results, "fixed"))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
