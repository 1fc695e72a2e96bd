"""Batch throughput: clips per minute with 1 worker process against 2, and through a
local Dask cluster (2 single-threaded worker processes), on the same clips.

Every run starts from an empty output folder (pose runs for every clip) and uses a
fresh process pool, so each run pays the same start-up (spawning workers, importing
MediaPipe). The 1-worker run uses the same process pool machinery as the 2-worker
run (not the in-process path of ``jobs=1``), so the ratio measures parallelism only.
The Dask run's summary must equal the local one (identical numbers and findings).

    .venv/bin/python bench/batch_throughput.py [--clips DIR] [--n-clips 4] [--seconds 6]
        [--threads-per-worker 1] [--no-video] [--skip-dask]

Without ``--clips``, N synthetic runners (gaitlens.synthetic, 480x640, 30 fps) are
rendered once into $TMPDIR/gaitlens-bench-clips/. Results: bench/results/batch_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def render_clips(folder: Path, n: int, seconds: float) -> Path:
    from gaitlens.synthetic import render, simulate

    folder.mkdir(parents=True, exist_ok=True)
    knobs = [{}, {"pelvis_lag": 1.0}, {"pelvis_back_hips_flexed": 1.0}]
    knobs += [{"pelvic_tilt_suppressed": 1.0}]
    for i in range(n):
        p = folder / f"runner_{i:02d}.mp4"
        if p.exists():
            continue
        run = simulate(
            duration_s=seconds,
            fps=30.0,
            image_size_px=(480, 640),
            cadence_spm=160.0 + 4 * i,
            **knobs[i % len(knobs)],
        )
        render(run, p, write_truth=False)
    return folder


def timed_batch(folder: Path, outdir: Path, executor, config) -> tuple[float, object]:
    from gaitlens.batch import analyze_folder

    shutil.rmtree(outdir, ignore_errors=True)
    t0 = time.perf_counter()
    df = analyze_folder(folder, outdir, executor=executor, config=config, progress=False)
    return time.perf_counter() - t0, df


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=Path, help="folder of clips (default: render synthetic)")
    ap.add_argument("--n-clips", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=6.0, help="length of rendered clips")
    ap.add_argument("--threads-per-worker", type=int, default=None)
    ap.add_argument("--no-video", action="store_true", help="skip the annotated videos")
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args(argv)

    import pandas as pd

    from gaitlens import batch
    from gaitlens.config import AnalysisConfig

    folder = args.clips or render_clips(
        Path(tempfile.gettempdir()) / "gaitlens-bench-clips", args.n_clips, args.seconds
    )
    n_clips = len(batch.discover_videos(folder))
    cfg = AnalysisConfig(annotated_video=not args.no_video)
    tpw = args.threads_per_worker
    work = Path(tempfile.mkdtemp(prefix="gaitlens-batch-bench-"))
    load_before = os.getloadavg()
    runs = {}
    try:
        for workers in (1, 2):
            with batch._process_pool(workers, tpw) as ex:
                secs, df = timed_batch(folder, work / f"local{workers}", ex, cfg)
            assert (df["status"] == "ok").all(), df[["path", "status", "reason"]]
            runs[f"local_{workers}"] = (secs, df)
            print(f"{workers} worker(s): {secs:6.1f} s  {60 * n_clips / secs:5.2f} clips/min")
        if not args.skip_dask:
            from distributed import Client, LocalCluster

            with (
                LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster,
                Client(cluster) as client,
            ):
                client.run(batch._init_worker, tpw)
                secs, df = timed_batch(folder, work / "dask", client.get_executor(pure=False), cfg)
            runs["dask_2"] = (secs, df)
            print(f"dask (2 workers): {secs:6.1f} s  {60 * n_clips / secs:5.2f} clips/min")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    t1, t2 = runs["local_1"][0], runs["local_2"][0]
    ref = runs["local_2"][1]
    identical = {}
    for k, (_, df) in runs.items():
        try:
            pd.testing.assert_frame_equal(df, ref)
            identical[k] = True
        except AssertionError:
            identical[k] = False
    out = {
        "clips": n_clips,
        "clip_source": str(folder),
        "annotated_video": cfg.annotated_video,
        "threads_per_worker": tpw,
        "seconds": {k: round(v[0], 2) for k, v in runs.items()},
        "clips_per_min": {k: round(60 * n_clips / v[0], 2) for k, v in runs.items()},
        "speedup_2_vs_1": round(t1 / t2, 3),
        "summary_identical_to_local_2": identical,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(f"speed-up 2 vs 1 worker: {out['speedup_2_vs_1']:.2f}x (target >= 1.7)")
    print(f"summaries identical: {identical}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "batch_throughput" + ("_novideo" if args.no_video else "") + ".json"
    (RESULTS / name).write_text(json.dumps(out, indent=2) + "\n")
    print(f"written {RESULTS / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
