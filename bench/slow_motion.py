"""Slow-motion clips and high frame rates through the pose model, against rendered truth.

One synthetic run (``gaitlens.synthetic``, the sample clips' look: sensor noise, motion
blur) is rendered at 30, 60, 120, 240 and 300 fps and stored at that rate. The 120, 240
and 300 fps renders are also stored as slow motion: the same encoded frames with
timestamps stretched to 30 fps (29.97 for 300 fps, like a lab camera's 10x clip) by
ffmpeg without re-encoding (``setts`` bitstream filter), once with Android's capture-rate
tag (``com.android.capture.fps`` in the MP4's ``mdta`` keys, ``-movflags
use_metadata_tags``) and once without any. Each file runs through pose once (tracks
cached in ``--cache``; pose does not depend on the time base) and then through every
later stage:

* ``capture``: the file stored at its capture rate (the reference);
* ``metadata``: the slow-motion file with the tag, no option;
* ``no metadata``: the slow-motion file without the tag, no option: must stop with the
  slow-motion message; then ``given``: the same with ``capture_fps`` = the rate the
  message suggests (what ``gaitlens analyze CLIP --capture-fps N`` does: pose again,
  on real time), and ``given, stored-time pose``: the first run's pose track (made on
  the stored timestamps) retimed, to show what the pose clock changes.

With a capture rate (tag or option) the pose graph gets real-time timestamps, so those
analyses should equal the capture-rate file's. Also per analysis: the delay of the pose
model's hip midpoint behind the rendered hips (cross-correlation, ms; the pelvis timing
corrects 42 ms) and the clip's median pelvis-lag error against the model's truth.

Per analysis: IC / TO errors against the rendered truth (median and 95th percentile of
the absolute error, ms; matched within 100 ms, each prediction used once), missed truth
events (away from the clip's ends), spurious events (no truth event of that foot within
100 ms), per leg (near / far), valid strides, and the clip cadence error against the
model's cadence.

Usage (repository root)::

    PYTHONPATH=. nice python bench/slow_motion.py [--cache /work/cache/slow_motion]
        [--duration 6] [--out bench/results/slow_motion]

About 15 min on 2 shared cores the first time (renders and pose), seconds afterwards.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CAPTURE_FPS = (30, 60, 120, 240, 300)
#: slow-motion copies: capture rate -> stored rate (30000/1001 for the lab-like 10x clip)
SLOW = {120: 30.0, 240: 30.0, 300: 30000 / 1001}
TOL_S = 0.1
EDGE_S = 0.3  # truth events this close to the clip's ends are not counted as missed
RUNNERS = {
    "A": dict(seed=1, facing="right"),
    "B": dict(seed=5, facing="left", speed_m_s=3.6, cadence_spm=178.0, height_m=1.68),
}


def params(runner: str, fps: float, duration_s: float):
    from gaitlens.synthetic.samples import BASE

    return replace(BASE, fps=float(fps), duration_s=duration_s, **RUNNERS[runner])


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def store_slow(src: Path, dst: Path, factor: float, capture_fps=None) -> Path:
    """``src``'s encoded frames with timestamps x ``factor`` (no re-encoding); with
    ``capture_fps`` the Android capture-rate tag is written."""
    meta = []
    if capture_fps:
        meta = ["-movflags", "use_metadata_tags",
                "-metadata", f"com.android.capture.fps={capture_fps:.6f}"]  # fmt: skip
    cmd = [ffmpeg(), "-y", "-loglevel", "error", "-i", str(src), "-map", "0:v", "-c", "copy",
           "-bsf:v", f"setts=pts=PTS*{factor!r}:dts=DTS*{factor!r}", *meta, str(dst)]  # fmt: skip
    subprocess.run(cmd, check=True)
    return dst


def clips(runner: str, cache: Path, duration_s: float) -> list:
    """``[(name, path, capture_fps, stored_fps, kind)]``, rendered / remuxed as needed."""
    from gaitlens.synthetic import render, simulate

    out = []
    for fps in CAPTURE_FPS:
        p = cache / f"{runner}_{fps}fps.mp4"
        if not p.is_file():
            render(simulate(params(runner, fps, duration_s)), p, write_truth=False)
        out.append((f"{fps} fps", p, fps, fps, "capture"))
    for fps, stored in SLOW.items():
        src = cache / f"{runner}_{fps}fps.mp4"
        k = fps / stored
        for kind, tag in (("metadata", fps), ("no metadata", None)):
            p = cache / f"{runner}_{fps}fps_as_{stored:.2f}{'_tag' if tag else ''}.mp4"
            if not p.is_file():
                store_slow(src, p, k, tag)
            out.append((f"{fps} fps as {stored:.4g}", p, fps, stored, kind))
    return out


def pose_track(path: Path, cache: Path, capture_fps=None):
    """The pose track of ``path`` (cached), made as ``gaitlens analyze`` makes it: with
    ``capture_fps`` (or a capture-rate tag) the graph gets real-time timestamps."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pose.runner import run_pose

    suffix = f".given{capture_fps:g}" if capture_fps else ""
    npz = cache / (path.stem + suffix + ".track.npz")
    if npz.is_file():
        return PoseTrack.load(npz)
    track = run_pose(path, AnalysisConfig(pose_workers=1, capture_fps=capture_fps), progress=False)
    track.save(npz)
    return track


def hip_delay_ms(a, run, max_lag_s: float = 0.12) -> float:
    """Delay of the pose model's hip midpoint (image x) behind the rendered hips, from
    the cross-correlation peak (sub-frame, parabolic), ms; positive = trails."""
    from gaitlens.pose.skeleton import INDEX

    tr = a.track
    fs = tr.sampling_rate_hz
    truth = run.points_px()
    n = min(tr.n_frames, len(truth["left_hip"]))
    est = 0.5 * (tr.xy_px[:n, INDEX["left_hip"], 0] + tr.xy_px[:n, INDEX["right_hip"], 0])
    tru = 0.5 * (truth["left_hip"][:n, 0] + truth["right_hip"][:n, 0])
    ok = np.isfinite(est)
    est = np.interp(np.arange(n), np.flatnonzero(ok), est[ok])
    est, tru = est - est.mean(), tru - tru.mean()
    lags = np.arange(-int(max_lag_s * fs), int(max_lag_s * fs) + 1)
    c = np.array([np.dot(est[max(0, k):n - max(0, -k)], tru[max(0, -k):n - max(0, k)])
                  for k in lags])  # fmt: skip
    j = int(np.argmax(c))
    off = 0.0
    if 0 < j < len(c) - 1:
        y0, y1, y2 = c[j - 1], c[j], c[j + 1]
        off = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    return float(1000 * (lags[j] + off) / fs)


def match(pred, truth, all_truth, tol=TOL_S):
    """Signed errors of the ``truth`` events (NaN = missed) and the number of
    predictions with no event of ``all_truth`` (the clip's ends included) within ``tol``."""
    from gaitlens_validation.events import match_events

    pred = np.sort(np.asarray(pred, float))
    err = match_events(pred, truth, tol)
    if not len(pred):
        return err, 0
    if not len(all_truth):
        return err, len(pred)
    d = np.min(np.abs(pred[:, None] - np.asarray(all_truth)[None, :]), axis=1)
    return err, int((d > tol).sum())


def score(a, run, duration_s: float) -> dict:
    """Events and cadence of analysis ``a`` against the run's truth."""
    ev = run.events
    near = a.clean.near_side
    cad = float(a.summary["cadence_spm"])
    out = {"strides": int(len(a.strides)), "cadence_spm": cad,
           "cadence_err_pct": 100 * (cad / run.params.cadence_spm - 1)}  # fmt: skip
    for kind in ("IC", "TO"):
        errs = []
        for side in ("left", "right"):
            t_all = ev[(ev.side == side) & (ev.event == kind)].time_s.to_numpy(float)
            t = t_all[(t_all > EDGE_S) & (t_all < duration_s - EDGE_S)]
            pred = getattr(a.events, f"{kind.lower()}_s")[side]
            e, spur = match(pred, t, t_all)
            leg = "near" if side == near else "far"
            out[f"{kind} missed {leg}"] = int((~np.isfinite(e)).sum())
            out[f"{kind} spurious {leg}"] = spur
            errs.append(e)
        e = 1000 * np.concatenate(errs)
        e = e[np.isfinite(e)]
        out[f"{kind} n"] = int(len(e))
        out[f"{kind} bias ms"] = float(np.mean(e)) if len(e) else np.nan
        out[f"{kind} med ms"] = float(np.median(np.abs(e))) if len(e) else np.nan
        out[f"{kind} p95 ms"] = float(np.percentile(np.abs(e), 95)) if len(e) else np.nan
    return out


def analyse(runner: str, cache: Path, duration_s: float) -> list:
    from gaitlens.errors import GaitlensError, SlowMotionError
    from gaitlens.io.video import probe
    from gaitlens.pipeline import analyze
    from gaitlens.synthetic import simulate
    from gaitlens.synthetic.truth import cycle_truth

    run30 = simulate(params(runner, 30, duration_s))  # events are the same at any rate
    lag_truth = cycle_truth(run30)["pelvis_lag_ms"]
    rows = []
    for name, path, cap, stored, kind in clips(runner, cache, duration_s):
        run = simulate(params(runner, cap, duration_s))  # the frames' truth (hip delay)
        track = pose_track(path, cache)
        meta = probe(path)
        base = {"runner": runner, "clip": name, "capture_fps": cap, "stored_fps": stored,
                "read_capture_fps": meta.capture_fps}  # fmt: skip
        runs = [(kind, track, {})]
        if kind == "no metadata":
            try:
                analyze(path, pose_track=track, annotated_video=False)
                rows.append({**base, "time base": kind, "error": "no slow-motion message"})
            except SlowMotionError as exc:
                msg = str(exc)
                rows.append({**base, "time base": kind, "message": msg})
                n = float(msg.rsplit("--capture-fps", 1)[1])
                # what `--capture-fps N` does (pose on real time), and the stored-time
                # pose track retimed (a saved track reused: warned about)
                runs = [("given", pose_track(path, cache, n), {"capture_fps": n}),
                        ("given, stored-time pose", track, {"capture_fps": n})]  # fmt: skip
            except GaitlensError as exc:
                rows.append({**base, "time base": kind, "error": f"{type(exc).__name__}: {exc}"})
                continue
        for label, tr, opts in runs:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    a = analyze(path, pose_track=tr, annotated_video=False, **opts)
            except GaitlensError as exc:
                rows.append({**base, "time base": label, "error": f"{type(exc).__name__}: {exc}"})
                continue
            tb = a.time_base
            lag = a.strides["pelvis_lag_ms"].to_numpy(float)
            lag = lag[np.isfinite(lag)]
            rows.append({**base, "time base": label, **opts,
                         "analysed_fps": float(a.track.sampling_rate_hz),
                         "pose_time_scale": float(tr.backend.get("time_scale", 1.0)),
                         "time_base_text": tb.text(), **score(a, run30, duration_s),
                         "hip delay ms": hip_delay_ms(a, run),
                         "pelvis lag err ms": float(np.median(lag) - lag_truth)
                         if len(lag) else np.nan,
                         "warnings": " | ".join(a.warnings)})  # fmt: skip
            print({k: (round(v, 2) if isinstance(v, float) else v) for k, v in rows[-1].items()
                   if k not in ("message", "time_base_text", "warnings")}, flush=True)  # fmt: skip
    return rows


def md_table(df: pd.DataFrame) -> str:
    cols = ["runner", "clip", "time base", "analysed_fps", "strides", "cadence_err_pct",
            "hip delay ms", "pelvis lag err ms",
            "IC med ms", "IC p95 ms", "TO med ms", "TO p95 ms", "IC bias ms", "TO bias ms",
            "IC missed near", "IC missed far", "TO missed near", "TO missed far",
            "IC spurious near", "IC spurious far", "TO spurious near",
            "TO spurious far"]  # fmt: skip
    d = df[df["analysed_fps"].notna()] if "analysed_fps" in df else df.iloc[:0]
    lines = ["| " + " | ".join(c.replace("_", " ") for c in cols) + " |",
             "|" + "---|" * len(cols)]  # fmt: skip
    for _, r in d.iterrows():
        cells = []
        for c in cols:
            v = r.get(c)
            if isinstance(v, (float, np.floating)):
                cells.append("" if not np.isfinite(v) else f"{v:.1f}" if "pct" not in c
                             else f"{v:+.2f}")  # fmt: skip
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/work/cache/slow_motion"))
    ap.add_argument("--duration", type=float, default=6.0)
    ap.add_argument("--runners", nargs="+", default=list(RUNNERS))
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/slow_motion")
    a = ap.parse_args(argv)
    a.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in a.runners:
        rows += analyse(r, a.cache, a.duration)
    df = pd.DataFrame(rows)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(df.to_json(orient="records", indent=1))
    msgs = df[df.get("message").notna()] if "message" in df else df.iloc[:0]
    text = [md_table(df), "", "Messages without metadata:", ""]
    text += [f"- {r.runner} {r.clip}: `{r.message}`" for r in msgs.itertuples()]
    errs = df[df["error"].notna()] if "error" in df else df.iloc[:0]
    text += ["", "Errors:", ""] + [f"- {r['runner']} {r['clip']} ({r['time base']}): {r['error']}"
                                    for _, r in errs.iterrows()]  # fmt: skip
    a.out.with_suffix(".md").write_text("\n".join(text) + "\n")
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
