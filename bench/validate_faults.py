"""Validate the fault classifier (gaitlens issue 7): confusion table, graded magnitudes,
false positives on healthy runners.

Modes (``--modes``, comma-separated; default ``truth,track,fukuchi``):

* ``truth``: ``faults.classify`` on the synthetic model's *true* per-stride values
  (``gaitlens.synthetic.truth.stride_table``): rules and bands alone, no measurement.
* ``track``: the fast path, ``simulate(...).to_pose_track(noise_px)`` through
  ``pipeline.analyze_track`` (every stage after pose, no rendering).
* ``rendered``: like ``track`` but rendered (sample-clip look) and through MediaPipe;
  pose tracks cached in ``--cache``. Slow the first time (render + pose per run).
* ``clips``: rendered clips (``--clips DIR``, default ``sample_videos``) with their
  ``.truth.json`` through ``pipeline.analyze`` (MediaPipe). Slow.
* ``fukuchi``: healthy runners of Fukuchi et al. 2017 (PeerJ 5:e3298), every trial in
  ``../shared/data/mocap/fukuchi2017``, projected to side-view keypoints
  (``gaitlens_validation.fukuchi.to_side_view``) with the MediaPipe-like noise model,
  through ``analyze_track``: false-positive rate.

For the synthetic modes: (1) confusion table (the sample clips' parameters: normal and
each fault at 0.8),
(2) graded magnitudes 0, 0.25, 0.5, 0.75, 1 per knob: score, severity, whether they rise
monotonically, and the magnitude where detection starts.

Usage: ``.venv/bin/python bench/validate_faults.py [--modes truth,track] [--json out]``
Prints markdown tables (pasted into docs/faults.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gaitlens import faults  # noqa: E402
from gaitlens.schema import FAULT_IDS  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
MAGNITUDES = (0.0, 0.25, 0.5, 0.75, 1.0)
SEV_RANK = {"none": 0, "mild": 1, "marked": 2}
SHORT = {
    "pelvis_lag": "lag",
    "pelvis_back_hips_flexed": "sitting",
    "pelvic_tilt_suppressed": "tilt",
}


def load_bands():
    try:
        from gaitlens import reference

        return reference.load_bands()
    except Exception as exc:  # bands not derived yet: literature fallback only
        print(f"(reference bands unavailable: {exc}; literature fallback only)", file=sys.stderr)
        return None


# ---------------------------------------------------------------- synthetic runs
def synthetic_findings(mode: str, knob, mag: float, seed: int, args, bands):
    from gaitlens.synthetic import simulate

    params = base_params(knob, args)
    params = replace(params, seed=seed if seed is not None else params.seed)
    if knob and mag is not None:
        params = replace(params, **{knob: mag})
    run = simulate(params)
    if mode == "truth":
        from gaitlens.synthetic import truth

        st = truth.stride_table(run)
        st["stride"] = st.groupby("side").cumcount()
        q = {
            "sampling_rate_hz": args.fps,
            "detection_rate": 1.0,
            "view": "side",
            "left_leg_visibility": 0.95,
            "right_leg_visibility": 0.95,
            "pelvic_tilt_confidence": 1.0,
        }
        return faults.classify(st, None, q, bands, None)
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import analyze_track

    if mode == "rendered":
        track = _rendered_track(run, knob, mag, args)
    else:
        track = run.to_pose_track(noise_px=args.noise_px, seed=seed)
    return analyze_track(track, AnalysisConfig(annotated_video=False)).findings


def _rendered_track(run, knob, mag, args):
    """Render the run (sample-clip look, ``--render-size``) and run MediaPipe once;
    the pose track is cached in ``--cache`` so that rule changes re-run in seconds."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pipeline import run_pose
    from gaitlens.synthetic import render

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    p = run.params
    stem = f"{knob or 'normal'}_{mag if mag is not None else 'sample'}_{p.fps:g}fps_{p.seed}"
    npz = cache / f"{stem}.npz"
    if npz.is_file():
        return PoseTrack.load(npz)
    video = cache / f"{stem}.mp4"
    if not video.is_file():
        render(run, video)
    track = run_pose(video, AnalysisConfig(), progress=False)
    track.save(npz)
    return track


def base_params(knob, args):
    """The sample clip's parameters (gaitlens.synthetic.samples) with the bench's
    duration and frame rate; a plain ``RunnerParams`` if samples are unavailable."""
    from gaitlens.synthetic import RunnerParams

    try:
        from gaitlens.synthetic.samples import sample_params

        p = sample_params(knob or "normal")
    except ImportError:
        p = RunnerParams(**({knob: 0.8} if knob else {}))
    p = replace(p, duration_s=args.duration_s, fps=args.fps)
    if args.render_size:
        w, h = (int(v) for v in args.render_size.split("x"))
        p = replace(p, image_size_px=(w, h))
    return p


def cell(f) -> str:
    return f"{f.severity} {f.score:.2f} ({f.confidence[0]})"


def confusion(mode, args, bands) -> tuple:
    rows, records = [], []
    for knob in (None, *FAULT_IDS):
        try:
            fs = synthetic_findings(mode, knob, None, None, args, bands)
        except Exception as exc:
            rows.append([knob or "normal", *[f"error: {type(exc).__name__}"] * 3])
            traceback.print_exc()
            continue
        by = {f.id: f for f in fs}
        rows.append([knob or "normal", *[cell(by[fid]) for fid in FAULT_IDS]])
        for fid in FAULT_IDS:
            records.append(
                {
                    "clip": knob or "normal",
                    "fault": fid,
                    "severity": by[fid].severity,
                    "score": by[fid].score,
                    "confidence": by[fid].confidence,
                }
            )
    ok = sum(_correct(r) for r in _group(records))
    table = _md(["true fault \\ finding", *FAULT_IDS], rows)
    return table + f"\n\ncorrect clips: {ok} of {len(_group(records))}\n", records


def _group(records):
    out = {}
    for r in records:
        out.setdefault(r["clip"], {})[r["fault"]] = r
    return list(out.items())


def _correct(item) -> bool:
    clip, by = item
    if clip == "normal":
        return all(by[f]["severity"] == "none" for f in FAULT_IDS)
    own = SEV_RANK[by[clip]["severity"]]
    others = [SEV_RANK[by[f]["severity"]] for f in FAULT_IDS if f != clip]
    return own >= 1 and all(o < own for o in others)


def graded(mode, args, bands) -> tuple:
    rows, records = [], []
    for knob in FAULT_IDS:
        scores, sevs, other = [], [], []
        for mag in MAGNITUDES:
            try:
                fs = {f.id: f for f in synthetic_findings(mode, knob, mag, 1, args, bands)}
            except Exception as exc:
                scores.append(np.nan)
                sevs.append(f"error {type(exc).__name__}")
                other.append("")
                continue
            f = fs[knob]
            scores.append(f.score)
            sevs.append(f.severity)
            other.append(
                ",".join(
                    f"{SHORT[o]}:{fs[o].severity}"
                    for o in FAULT_IDS
                    if o != knob and fs[o].severity != "none"
                )
            )
            records.append(
                {
                    "knob": knob,
                    "magnitude": mag,
                    "score": f.score,
                    "severity": f.severity,
                    "confidence": f.confidence,
                    "others": {o: fs[o].severity for o in FAULT_IDS if o != knob},
                }
            )
        ranks = [SEV_RANK.get(s, -1) for s in sevs]
        mono = bool(np.all(np.diff(scores) >= -1e-9) and np.all(np.diff(ranks) >= 0))
        onset = next((m for m, r in zip(MAGNITUDES, ranks) if r >= 1), None)
        rows.append(
            [
                knob,
                *[f"{s} {c:.2f}" for s, c in zip(sevs, scores)],
                "yes" if mono else "NO",
                "-" if onset is None else f"{onset:g}",
                "; ".join(o for o in other if o) or "-",
            ]
        )
    head = [
        "knob",
        *[f"m={m:g}" for m in MAGNITUDES],
        "monotonic",
        "detected from",
        "other faults raised",
    ]
    return _md(head, rows), records


# ---------------------------------------------------------------- Fukuchi
def fukuchi(args, bands) -> tuple:
    """Healthy runners: in-sample (the shipped bands were derived from these same trials)
    and leave-one-subject-out (bands rebuilt from the other subjects' noisy strides,
    mean +- 2 SD, for every metric whose shipped band came from the data)."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import analyze_track
    from gaitlens_validation import fukuchi as fk
    from gaitlens_validation.noise import PoseNoise

    d = SHARED / "mocap" / "fukuchi2017"
    if not d.is_dir():
        return "Fukuchi data not found; skipped.\n", []
    runs = []
    for path in fk.list_trials(d):
        trial = fk.load_trial(path)
        subject = path.stem[:7]
        for side in ("right", "left"):
            name = f"{path.stem.replace('markers', '')} {side}"
            try:
                track, _ = fk.to_side_view(
                    trial,
                    fps=args.fps,
                    camera_side=side,
                    noise=PoseNoise(),
                    seed=0,
                    duration_s=args.fukuchi_s,
                )
                an = analyze_track(track, AnalysisConfig(annotated_video=False))
            except Exception as exc:
                runs.append((name, subject, None, f"error: {type(exc).__name__}: {exc}"[:80]))
                continue
            runs.append((name, subject, an, ""))
    data_metrics = []
    if bands is not None:
        data_metrics = [m for m in bands.index if pd.notna(bands.loc[m, "n"])]
    rows, records = [], []
    for name, subject, an, err in runs:
        if an is None:
            rows.append([name, err, "", "", "", "", ""])
            continue
        by = {f.id: f for f in an.findings}
        others = [a.strides for _, s, a, _ in runs if a is not None and s != subject]
        loso = _loso_bands(bands, pd.concat(others), data_metrics) if others else None
        by_l = {}
        if loso is not None:
            fs = faults.classify(an.strides, an.frames, an.quality, loso, None)
            by_l = {f.id: f for f in fs}
        rows.append(
            [name, *[cell(by[fid]) for fid in FAULT_IDS]]
            + [cell(by_l[fid]) if fid in by_l else "-" for fid in FAULT_IDS]
        )
        for fid in FAULT_IDS:
            for kind, src in (("in-sample", by), ("leave-one-subject-out", by_l)):
                if fid in src:
                    f = src[fid]
                    records.append(
                        {"trial": name, "bands": kind, "fault": fid, "severity": f.severity,
                         "score": f.score, "confidence": f.confidence, "judged": f.judged}
                    )  # fmt: skip
    df = pd.DataFrame(records)
    summary = ""
    for kind in ("in-sample", "leave-one-subject-out"):
        part = df[df.bands == kind] if len(df) else df
        if not len(part):
            continue
        judged = part[part.judged]
        fp = int((judged.severity != "none").sum())
        summary += (
            f"\n{kind} bands: false positives {fp} of {len(judged)} judged findings "
            f"({fp / max(len(judged), 1):.0%}); {len(part) - len(judged)} of {len(part)} "
            "not judged (confidence low)\n"
        )
        for fid in FAULT_IDS:
            j = judged[judged.fault == fid]
            summary += f"- {fid}: {(j.severity != 'none').sum()} of {len(j)} judged above none\n"
    head = ["trial camera side", *[f"{SHORT[f]} (in-sample)" for f in FAULT_IDS]]
    head += [f"{SHORT[f]} (LOSO)" for f in FAULT_IDS]
    return _md(head, rows) + "\n" + summary, records


def _loso_bands(bands, strides: pd.DataFrame, metrics) -> pd.DataFrame:
    out = bands.copy()
    for m in metrics:
        if m not in strides:
            continue
        v = strides[m].to_numpy(float)
        v = v[np.isfinite(v)]
        if len(v) < 10:
            continue
        mu, sd = float(np.mean(v)), float(np.std(v, ddof=1))
        out.loc[m, ["low", "high", "mean", "sd", "n"]] = [mu - 2 * sd, mu + 2 * sd, mu, sd, len(v)]
        out.loc[m, "source"] = "leave-one-subject-out (bench)"
    return out


# ---------------------------------------------------------------- rendered clips
def clips(args) -> tuple:
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import analyze

    d = Path(args.clips)
    rows, records = [], []
    for video in sorted(d.glob("*.mp4")):
        tj = video.with_suffix("").as_posix() + ".truth.json"
        if not Path(tj).is_file():
            continue
        truth = json.loads(Path(tj).read_text())
        present = [k for k, v in truth.get("faults", {}).items() if v.get("present")]
        label = ",".join(present) or "normal"
        try:
            an = analyze(video, AnalysisConfig(annotated_video=False), progress=False)
        except Exception as exc:
            rows.append([video.name, label, f"error: {type(exc).__name__}: {exc}"[:80], ""])
            continue
        by = {f.id: f for f in an.findings}
        rows.append([video.name, label, *[cell(by[fid]) for fid in FAULT_IDS]])
        for fid in FAULT_IDS:
            records.append(
                {
                    "clip": label,
                    "fault": fid,
                    "severity": by[fid].severity,
                    "score": by[fid].score,
                    "confidence": by[fid].confidence,
                }
            )
    ok = sum(_correct(r) for r in _group(records) if "," not in r[0])
    return (
        _md(["clip", "true fault", *FAULT_IDS], rows)
        + f"\n\ncorrect clips: {ok} of {len(_group(records))}\n"
    ), records


def _md(head, rows) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modes", default="truth,track,fukuchi")
    ap.add_argument("--fps", type=float, default=60.0)
    ap.add_argument("--duration-s", type=float, default=8.0)
    ap.add_argument("--noise-px", type=float, default=1.5)
    ap.add_argument("--fukuchi-s", type=float, default=15.0, help="seconds per trial")
    ap.add_argument("--clips", default=str(ROOT / "sample_videos"))
    ap.add_argument("--json", help="write all records here")
    ap.add_argument("--render-size", default="", help="WxH for mode 'rendered' (default: samples')")
    ap.add_argument("--cache", default="/tmp/gaitlens-fault-bench", help="rendered-mode cache")
    args = ap.parse_args(argv)
    bands = load_bands()
    out = {}
    cell_legend = "cell: severity score (confidence: l/m/h)"
    for mode in args.modes.split(","):
        t0 = time.perf_counter()
        print(f"\n## mode: {mode}\n\n{cell_legend}\n")
        if mode in ("truth", "track", "rendered"):
            text, rec = confusion(mode, args, bands)
            print("### confusion (sample clip parameters, fault magnitude 0.8)\n\n" + text)
            gtext, grec = graded(mode, args, bands)
            print("### graded magnitudes\n\n" + gtext + "\n")
            out[mode] = {"confusion": rec, "graded": grec}
        elif mode == "fukuchi":
            text, rec = fukuchi(args, bands)
            print(text)
            out[mode] = rec
        elif mode == "clips":
            text, rec = clips(args)
            print(text)
            out[mode] = rec
        print(f"\n({mode}: {time.perf_counter() - t0:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
