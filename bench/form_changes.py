"""Form changes within a clip through real rendering and MediaPipe (issue 21 item 4).

Renders synthetic runners whose form changes mid-clip (``RunnerParams.changes``: trunk
lean up and back down, the sitting posture, pelvis lag, pelvic tilt switched on), runs
the whole pipeline and reports, per clip, each true change: found or not, and the time
error of the nearest cut (target: within 2 strides). Steady clips: every cached Tasks
pose track of ``bench/invariance.py`` (the real clip and the renders with all their
copies) is re-analysed and its reported changes counted (target: none).

Usage (from the repository root; renders and tracks cached)::

    nice python bench/form_changes.py

writes ``bench/results/form_changes.json`` and ``.md``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
CACHE = Path(os.environ.get("GAITLENS_FORM_CACHE", "/work/cache/form_changes"))
INVARIANCE_CACHE = Path(os.environ.get("GAITLENS_INVARIANCE_CACHE", "/work/cache/invariance"))

#: name -> (changes, RunnerParams overrides)
CLIPS = {
    "lean_up_down": (((6.0, {"trunk_lean_deg": 20.0}), (11.0, {"trunk_lean_deg": 7.0})), {}),
    "sitting_on": (((8.0, {"pelvis_back_hips_flexed": 1.0}),), {"facing": "left"}),
    "lag_on": (((8.0, {"pelvis_lag": 1.0}),), {"speed_m_s": 3.4, "cadence_spm": 176.0}),
    "tilt_on": (((8.0, {"pelvic_tilt_suppressed": 1.0}),), {"facing": "left"}),
    "lean_up_30fps": (((8.0, {"trunk_lean_deg": 18.0}),), {"fps": 30.0}),
    "sitting_half_30fps": (((8.0, {"pelvis_back_hips_flexed": 0.6}),), {"fps": 30.0}),
}


def render_and_analyse(name: str):
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pipeline import analyze_track
    from gaitlens.pose.runner import run_pose
    from gaitlens.synthetic import render, simulate
    from gaitlens.synthetic.samples import sample_params

    changes, over = CLIPS[name]
    p = replace(sample_params("normal"), duration_s=16.0, seed=11, changes=changes, **over)
    cfg = AnalysisConfig(annotated_video=False, pose_workers=1)
    track_file = CACHE / f"{name}.npz"
    if track_file.is_file():
        track = PoseTrack.load(track_file)
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        video = CACHE / f"{name}.mp4"
        render(simulate(p), video, write_truth=False)
        track = run_pose(video, cfg, progress=False)
        track.save(track_file)
        video.unlink()
    return p, analyze_track(track, cfg)


def clip_row(name: str) -> dict:
    p, a = render_and_analyse(name)
    stride_s = 120.0 / p.cadence_spm
    cuts = sorted({round(c.time_s, 3) for c in a.changes})
    truth = [t for t, _ in p.changes]
    per_change = []
    for t in truth:
        err = min((c - t for c in cuts), key=abs) if cuts else float("nan")
        found = bool(cuts) and abs(err) <= 2 * stride_s
        per_change.append({"time_s": t, "nearest_cut_s": (t + err) if cuts else None,
                           "error_s": err, "found": found})  # fmt: skip
    spurious = [c for c in cuts if all(abs(c - t) > 2 * stride_s for t in truth)]
    return {
        "clip": name,
        "changes": [{"time_s": t, "values": v} for t, v in p.changes],
        "found": per_change,
        "spurious_cuts_s": spurious,
        "metrics_changed": sorted({c.metric for c in a.changes}),
        "n_strides": int(len(a.strides)),
        "segments": len(a.segments),
        "verdict_differs": a.verdict_differs_between_segments,
    }


def steady_rows() -> list:
    """Reported changes on every cached invariance track (steady running)."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pipeline import analyze_track

    rows = []
    for f in sorted(INVARIANCE_CACHE.glob("*/*.npz")):
        try:
            a = analyze_track(PoseTrack.load(f), AnalysisConfig(annotated_video=False))
        except Exception as exc:  # a copy too degraded to analyse: recorded, not counted
            rows.append({"clip": f.parent.name, "copy": f.stem, "error": str(exc)[:120]})
            continue
        rows.append({"clip": f.parent.name, "copy": f.stem, "n_changes": len(a.changes),
                     "metrics": sorted({c.metric for c in a.changes})})  # fmt: skip
    return rows


def markdown(clips: list, steady: list) -> str:
    lines = ["| clip | true changes (s) | found within 2 strides | time error (s) | "
             "spurious cuts | metrics that changed |", "|---|---|---|---|---|---|"]  # fmt: skip
    for r in clips:
        t = ", ".join(f"{c['time_s']:.0f}" for c in r["found"])
        ok = sum(c["found"] for c in r["found"])
        err = ", ".join("–" if not np.isfinite(c["error_s"]) else f"{c['error_s']:+.2f}"
                        for c in r["found"])  # fmt: skip
        lines.append(f"| {r['clip']} | {t} | {ok} of {len(r['found'])} | {err} | "
                     f"{len(r['spurious_cuts_s'])} | "
                     f"{', '.join(r['metrics_changed'])} |")  # fmt: skip
    ok = [r for r in steady if "error" not in r]
    bad = [r for r in ok if r["n_changes"]]
    lines += ["", f"Steady clips: {len(ok)} tracks analysed ({len(steady) - len(ok)} could "
              f"not be), {len(bad)} with a reported change.", ""]  # fmt: skip
    if bad:
        lines += ["| clip | copy | metrics |", "|---|---|---|"]
        lines += [f"| {r['clip']} | {r['copy']} | {', '.join(r['metrics'])} |" for r in bad]
    return "\n".join(lines) + "\n"


def main() -> int:
    clips = []
    for name in CLIPS:
        r = clip_row(name)
        clips.append(r)
        print(name, r["found"], "spurious", r["spurious_cuts_s"], flush=True)
    steady = steady_rows()
    md = markdown(clips, steady)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "form_changes.json").write_text(
        json.dumps({"clips": clips, "steady": steady}, indent=1, default=float) + "\n"
    )
    (RESULTS / "form_changes.md").write_text("# Form changes through rendering and MediaPipe\n\n"
                                             + md)  # fmt: skip
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
