"""Is the confidence calibrated? (issue 21 item 1, "Show")

Renders synthetic runners with known faults under varied degradations, analyses each
clip with the default pipeline (Tasks pose graph) and checks every finding against the
truth: a finding is *right* when its verdict (fault seen = severity mild or marked)
matches the truth (fault knob > 0). Knobs are 0 (absent) or 0.6 / 1.0 (present); the
borderline 0.25 is left out because its truth verdict is a matter of threshold.
Reported: per confidence level (high / medium / low-with-verdict / no verdict) the
number of findings and the share right, overall and per degradation. Targets: high at
least 95 % right, medium at least 80 %.

Degradations (``CONDITIONS``): the sample clips' look (sensor noise 1.5, blur 3
sub-frames), heavy sensor noise, long motion blur, low resolution, 30 and 24 fps, the
runner small in the frame and heavy compression (camera angle: bench/camera_angle.py).
Bodies, speeds and cadences vary with the seed.

Usage (from the repository root; results cached per clip, so it resumes)::

    nice python bench/confidence_calibration.py [--per-condition 7] [--rejudge]

writes ``bench/results/confidence_calibration.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
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
CACHE = Path(os.environ.get("GAITLENS_CALIBRATION_CACHE", "/work/cache/calibration"))
FAULTS = ("pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed")
#: name -> RunnerParams overrides
CONDITIONS = {
    "sample_look": {},
    "noisy": {"sensor_noise_std": 8.0},
    "blurred": {"motion_blur_subframes": 6, "shutter_frac": 1.0},
    "low_res": {"image_size_px": (240, 320)},
    "fps30": {"fps": 30.0},
    "fps24": {"fps": 24.0},
    "small_runner": {"runner_height_frac": 0.4},
    "compressed": {"crf": 38},
}
#: per condition, the fault set-ups cycled through (fault, knob); None = healthy
SETUPS = (
    (None, 0.0),
    ("pelvis_lag", 1.0),
    ("pelvis_back_hips_flexed", 1.0),
    ("pelvic_tilt_suppressed", 1.0),
    ("pelvis_lag", 0.6),
    ("pelvis_back_hips_flexed", 0.6),
    ("pelvic_tilt_suppressed", 0.6),
)


def clip_params(condition: str, k: int):
    """The k-th clip of a condition: a varied body and speed, one fault set-up."""
    from gaitlens.synthetic.samples import sample_params

    rng = np.random.default_rng([sum(map(ord, condition)), k])
    fault, knob = SETUPS[k % len(SETUPS)]
    base = sample_params("normal")
    speed = float(rng.uniform(2.6, 3.8))
    p = replace(
        base,
        duration_s=9.0,
        seed=int(rng.integers(1, 10_000)),
        height_m=float(rng.uniform(1.6, 1.9)),
        speed_m_s=speed,
        cadence_spm=float(np.clip(150 + 8 * speed + rng.normal(0, 4), 155, 190)),
        facing=("left", "right")[int(rng.integers(0, 2))],
        **CONDITIONS[condition],
    )
    if fault:
        p = replace(p, **{fault: knob})
    return p


def run_clip(condition: str, k: int, rejudge: bool = False) -> dict:
    """Render, analyse and score one clip (cached as JSON, with its pose track as .npz).

    ``rejudge``: analyse again with the current code, from the cached pose track
    (seconds per clip) or, without one, from a new render.
    """
    out = CACHE / condition / f"{k:02d}.json"
    track_file = out.with_suffix(".npz")
    if out.is_file() and not rejudge:
        return json.loads(out.read_text())
    from gaitlens.config import AnalysisConfig
    from gaitlens.errors import GaitlensError
    from gaitlens.io.track import PoseTrack
    from gaitlens.pipeline import analyze, analyze_track

    p = clip_params(condition, k)
    out.parent.mkdir(parents=True, exist_ok=True)
    truth = {f: float(getattr(p, f)) for f in FAULTS}
    rec = {"condition": condition, "k": k, "truth": truth, "findings": []}
    cfg = AnalysisConfig(annotated_video=False, pose_workers=1)
    try:
        if track_file.is_file():
            a = analyze_track(PoseTrack.load(track_file), cfg)
        else:
            from gaitlens.synthetic import render, simulate

            video = out.with_suffix(".mp4")
            render(simulate(p), video, write_truth=False)
            try:
                a = analyze(video, cfg, progress=False)
            finally:
                video.unlink(missing_ok=True)
            a.track.save(track_file)
        rec["n_strides"] = int(len(a.strides))
        rec["n_rejected"] = int(len(a.rejected_strides)) if a.rejected_strides is not None else 0
        for f in a.findings:
            rec["findings"].append({
                "id": f.id, "severity": f.severity, "confidence": f.confidence,
                "judged": bool(f.judged), "score": float(f.score), "p_fault": f.p_fault,
            })  # fmt: skip
    except GaitlensError as exc:
        rec["error"] = str(exc)
    out.write_text(json.dumps(rec))
    return rec


def level(f: dict) -> str:
    return f["confidence"] if f["judged"] else "no verdict"


def score(records: list) -> dict:
    """Per confidence level: findings and share right (verdict = truth)."""
    rows = []
    for r in records:
        for f in r.get("findings", []):
            present = r["truth"][f["id"]] > 0
            seen = f["severity"] != "none"
            rows.append((r["condition"], f["id"], level(f), present == seen, present))
    out = {}
    for lev in ("high", "medium", "low", "no verdict"):
        sel = [x for x in rows if x[2] == lev]
        out[lev] = {
            "n": len(sel),
            "right": sum(x[3] for x in sel),
            "share_right": (sum(x[3] for x in sel) / len(sel)) if sel else None,
            "by_condition": {
                c: [sum(x[3] for x in sel if x[0] == c), sum(1 for x in sel if x[0] == c)]
                for c in CONDITIONS
            },
            "by_fault": {
                fid: [sum(x[3] for x in sel if x[1] == fid), sum(1 for x in sel if x[1] == fid)]
                for fid in FAULTS
            },
        }
    out["n_clips"] = len(records)
    out["n_failed_clips"] = sum(1 for r in records if "error" in r)
    return out


def markdown(s: dict) -> str:
    lines = [
        "| confidence | findings | right | share right | target |",
        "|---|---|---|---|---|",
    ]
    target = {"high": ">= 95 %", "medium": ">= 80 %", "low": "-", "no verdict": "(no claim)"}
    for lev in ("high", "medium", "low", "no verdict"):
        e = s[lev]
        share = f"{100 * e['share_right']:.0f} %" if e["share_right"] is not None else "–"
        lines.append(f"| {lev} | {e['n']} | {e['right']} | {share} | {target[lev]} |")
    lines += ["", "Per degradation (right / findings at high, medium; no verdict):", "",
              "| degradation | high | medium | no verdict |", "|---|---|---|---|"]  # fmt: skip
    for c in CONDITIONS:
        h, m, nv = (s[lev]["by_condition"][c] for lev in ("high", "medium", "no verdict"))
        lines.append(f"| {c} | {h[0]}/{h[1]} | {m[0]}/{m[1]} | {nv[1]} |")
    lines += ["", "Per fault (right / findings at high, medium; no verdict):", "",
              "| fault | high | medium | no verdict |", "|---|---|---|---|"]  # fmt: skip
    for fid in FAULTS:
        h, m, nv = (s[lev]["by_fault"][fid] for lev in ("high", "medium", "no verdict"))
        lines.append(f"| {fid} | {h[0]}/{h[1]} | {m[0]}/{m[1]} | {nv[1]} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-condition", type=int, default=len(SETUPS))
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument(
        "--rejudge", action="store_true",
        help="analyse the cached pose tracks again with the current code",
    )  # fmt: skip
    args = ap.parse_args(argv)
    records = []
    for c in args.conditions.split(","):
        for k in range(args.per_condition):
            rec = run_clip(c, k, args.rejudge)
            records.append(rec)
            verdicts = ", ".join(f"{f['id']}={f['severity'] if f['judged'] else '?'}/"
                                 f"{f['confidence']}" for f in rec.get("findings", []))  # fmt: skip
            print(f"{c}/{k:02d} truth {rec['truth']}: {rec.get('error') or verdicts}", flush=True)
    s = score(records)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "confidence_calibration.json").write_text(
        json.dumps({"summary": s, "records": records}, indent=1) + "\n"
    )
    md = markdown(s)
    (RESULTS / "confidence_calibration.md").write_text(
        "# Confidence calibration on degraded renders\n\n" + md
    )
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
