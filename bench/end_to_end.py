"""End-to-end throughput and memory of gaitlens against a bare MediaPipe loop.

For each clip, in the same run, each mode in a fresh subprocess (so that peak RSS is
that mode's own):

  (a) bare      decode (OpenCV) + MediaPipe Pose, nothing else: the physical limit of
                one pose graph (which keeps about one core busy)
  (b) no-video  ``gaitlens analyze --no-video`` (pose + all stages + report + exports),
                default pose workers (one per core: the clip is cut into time segments)
  (b1)          the same with ``--pose-workers 1`` (one pose graph, like (a))
  (b0)          (b) with ``--no-flip-test``: each frame posed once, as (a) does (the
                default poses it as given and mirrored, gaitlens.pose.flip)
  (c) full      ``gaitlens analyze`` with the annotated H.264 video
  (d) reanalyse re-running every stage after pose from the saved pose track

Frames per second, the ratios b/a and c/a, and peak RSS are printed as a Markdown
table (copy it to docs/performance.md) and written as JSON.

Clips: a bundled sample clip, the real video in ../shared (if present), and with
``--long`` a synthetic 5-minute 1080p 60 fps clip rendered on the fly (slow: about an
hour of CPU for all modes on 2 cores). ``--reanalysis-60s`` times (d) on a 60 s track.

    .venv/bin/python bench/end_to_end.py [--long] [--clips a.mp4 b.mp4]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "videos" / "treadmill_side_runner_30fps.mp4"
SAMPLE = REPO / "sample_videos" / "normal.mp4"

_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    mode, video, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
    t0 = time.perf_counter()
    frames = 0
    if mode == "bare":  # MediaPipe Tasks PoseLandmarker (VIDEO mode), full model
        import cv2, mediapipe as mp
        from mediapipe.tasks import python as mp_tasks
        from mediapipe.tasks.python import vision
        opts = vision.PoseLandmarkerOptions(
            base_options=mp_tasks.BaseOptions(model_asset_path=sys.argv[4]),
            running_mode=vision.RunningMode.VIDEO, output_segmentation_masks=True)
        cap = cv2.VideoCapture(video)
        rate = cap.get(cv2.CAP_PROP_FPS) or 30.0
        with vision.PoseLandmarker.create_from_options(opts) as pose:
            while True:
                ok, fr = cap.read()
                if not ok:
                    break
                img = mp.Image(image_format=mp.ImageFormat.SRGB,
                               data=cv2.cvtColor(fr, cv2.COLOR_BGR2RGB))
                pose.detect_for_video(img, int(frames * 1000 / rate))
                frames += 1
    elif mode in ("novideo", "novideo1", "noflip", "full"):
        from gaitlens.cli import main
        args = ["analyze", video, "-o", outdir, "--force", "--fresh-pose", "-q"]
        if mode in ("novideo", "novideo1", "noflip"):
            args.append("--no-video")
        if mode == "novideo1":
            args += ["--pose-workers", "1"]
        if mode == "noflip":
            args.append("--no-flip-test")
        code = main(args)
        assert code == 0, code
        import json as j
        frames = j.load(open(outdir + "/analysis.json"))["pose"]["frames"]
    elif mode == "reanalyse":
        from gaitlens.cli import main
        t0 = time.perf_counter()  # the saved track exists from the previous mode
        code = main(["analyze", video, "-o", outdir, "--force", "--no-video", "-q"])
        assert code == 0, code
        import json as j
        frames = j.load(open(outdir + "/analysis.json"))["pose"]["frames"]
    dt = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"frames": frames, "seconds": dt, "peak_rss_mb": rss_mb}))
    """
)


def run_mode(mode: str, video: Path, outdir: Path) -> dict:
    from gaitlens.pose import models

    model = str(models.resolve_bundle(models.COMPLEXITY_VARIANT[1], download=False))
    r = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(video), str(outdir), model],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RuntimeError(f"{mode} on {video.name} failed:\n{r.stderr[-2000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["fps"] = out["frames"] / out["seconds"]
    out["load_avg_1min_after"] = os.getloadavg()[0]  # > 1 on 2 cores: other work competed
    return out


def make_long_clip(path: Path, minutes: float = 5.0) -> Path:
    from gaitlens.synthetic import RunnerParams, render, simulate

    run = simulate(
        RunnerParams(duration_s=60 * minutes, fps=60.0, image_size_px=(1920, 1080), seed=1)
    )
    render(run, path)
    return path


def bench_clip(
    video: Path, work: Path,
    modes=("bare", "novideo", "noflip", "novideo1", "full", "reanalyse"),
) -> dict:  # fmt: skip
    outdir = work / (video.stem + "_out")
    res = {}
    for mode in modes:
        print(f"  {mode} ...", file=sys.stderr, flush=True)
        res[mode] = run_mode(mode, video, outdir)
    res["ratio_novideo_over_bare"] = res["novideo"]["fps"] / res["bare"]["fps"]
    if "noflip" in res:
        res["ratio_noflip_over_bare"] = res["noflip"]["fps"] / res["bare"]["fps"]
    if "novideo1" in res:
        res["ratio_novideo1_over_bare"] = res["novideo1"]["fps"] / res["bare"]["fps"]
    if "full" in res:
        res["ratio_full_over_bare"] = res["full"]["fps"] / res["bare"]["fps"]
    return res


def reanalysis_60s(work: Path) -> dict:
    """(d) on a 60 s, 60 fps pose track (synthetic, no rendering needed)."""
    code = textwrap.dedent(
        """
        import sys, time
        from gaitlens.synthetic import RunnerParams, simulate
        from gaitlens.pipeline import analyze_track
        track = simulate(RunnerParams(duration_s=60.0, fps=60.0, seed=2)).to_pose_track()
        # modules imported first, as in a notebook's Analysis.reanalyze or a batch worker
        # (the CLI adds about 1.5 s of imports in a fresh process: the per-clip (d))
        import gaitlens.io.export, gaitlens.report.html, gaitlens.report.plots  # noqa: F401
        t0, c0 = time.perf_counter(), time.process_time()
        a = analyze_track(track, None)
        a.config = a.config.updated(annotated_video=False)
        a.save(sys.argv[1])
        print(time.perf_counter() - t0, time.process_time() - c0, track.n_frames)
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(work / "reanalysis60")], capture_output=True, text=True
    )
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    secs, cpu, n = r.stdout.split()[-3:]
    return {"seconds": float(secs), "cpu_seconds": float(cpu), "frames": int(n)}


def table(results: dict) -> str:
    lines = [
        "| clip | frames | (a) bare fps | (b) no-video fps | (b0) no flip test fps | "
        "(b1) 1 pose worker fps | (c) full fps | b/a | b0/a | b1/a | c/a | (d) re-analysis s "
        "| RSS a / b / b1 / c MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for clip, r in results.items():
        if clip.startswith("_"):
            continue

        def get(mode, key, fmt, r=r):
            return format(r[mode][key], fmt) if mode in r else "–"

        ratio_c = format(r["ratio_full_over_bare"], ".3f") if "full" in r else "–"
        ratio_b1 = format(r["ratio_novideo1_over_bare"], ".3f") if "novideo1" in r else "–"
        ratio_b0 = format(r["ratio_noflip_over_bare"], ".3f") if "noflip" in r else "–"
        lines.append(
            f"| {clip} | {r['bare']['frames']} | {get('bare', 'fps', '.1f')} | "
            f"{get('novideo', 'fps', '.1f')} | {get('noflip', 'fps', '.1f')} | "
            f"{get('novideo1', 'fps', '.1f')} | {get('full', 'fps', '.1f')} | "
            f"{r['ratio_novideo_over_bare']:.3f} | {ratio_b0} | {ratio_b1} | {ratio_c} | "
            f"{get('reanalyse', 'seconds', '.2f')} | {get('bare', 'peak_rss_mb', '.0f')} / "
            f"{get('novideo', 'peak_rss_mb', '.0f')} / {get('novideo1', 'peak_rss_mb', '.0f')} / "
            f"{get('full', 'peak_rss_mb', '.0f')} |"
        )
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="*", type=Path)
    ap.add_argument("--long", action="store_true", help="add the 5-minute 1080p60 clip")
    ap.add_argument("--long-clip", type=Path, help="use this long clip instead of rendering")
    ap.add_argument(
        "--long-modes", default="bare,novideo", help="modes run on the long clip (comma-separated)"
    )
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "end_to_end.json")
    args = ap.parse_args(argv)
    clips = args.clips or [c for c in (SAMPLE, REAL) if c.exists()]
    results: dict = {
        "_machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    }
    with tempfile.TemporaryDirectory(prefix="gaitlens-bench-") as tmp:
        work = Path(tmp)
        long_clip = args.long_clip
        if args.long and long_clip is None:
            t0 = time.perf_counter()
            long_clip = make_long_clip(work / "long_5min_1080p60.mp4")
            print(f"rendered the long clip in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        args.json.parent.mkdir(parents=True, exist_ok=True)

        def save():  # after every clip: a failure later loses nothing
            args.json.write_text(json.dumps(results, indent=2))

        for clip in clips:
            print(f"benchmarking {clip.name} ...", file=sys.stderr)
            results[clip.name] = bench_clip(clip, work)
            save()
        if long_clip is not None:
            print(f"benchmarking {long_clip.name} ...", file=sys.stderr)
            results[long_clip.name] = bench_clip(
                long_clip, work, modes=tuple(args.long_modes.split(","))
            )
            save()
        results["_reanalysis_60s"] = reanalysis_60s(work)
    print(f"machine: {results['_machine']}")
    print(table(results))
    r60 = results["_reanalysis_60s"]
    print(
        f"(d) re-analysis of a 60 s pose track ({r60['frames']} frames): "
        f"{r60['seconds']:.2f} s wall, {r60['cpu_seconds']:.2f} s CPU"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
