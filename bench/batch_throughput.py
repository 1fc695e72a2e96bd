"""Batch throughput: clips per minute with 1 worker process against 2, and through a
local Dask cluster (2 single-threaded worker processes), on the same clips.

Every run starts from an empty output folder (pose runs for every clip) and uses a
fresh process pool, so each run pays the same start-up (spawning workers, importing
MediaPipe). The 1-worker run uses the same process pool machinery as the 2-worker
run (not the in-process path of ``jobs=1``), so the ratio measures parallelism only.
The Dask run's summary must equal the local one (identical numbers and findings).

    .venv/bin/python bench/batch_throughput.py [--clips DIR] [--n-clips 4] [--seconds 6]
        [--threads-per-worker 1] [--no-video] [--skip-dask]

Without ``--clips``, N synthetic runners (the bundled samples at 360x480, 30 fps) are
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


#: the bundled samples (gaitlens.synthetic.samples), shortened and at 30 fps
SAMPLES = ("normal", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed")


def render_clips(folder: Path, n: int, seconds: float) -> Path:
    from dataclasses import replace

    from gaitlens.synthetic import render, simulate
    from gaitlens.synthetic.samples import sample_params

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = SAMPLES[i % len(SAMPLES)]
        p = folder / f"{i:02d}_{name}.mp4"
        if p.exists():
            continue
        params = replace(
            sample_params(name),
            duration_s=seconds,
            fps=30.0,
            image_size_px=(360, 480),
            motion_blur_subframes=1,
            seed=100 + i,
        )
        render(simulate(params), p, write_truth=False)
    return folder


def _cpu_s(pids) -> float:
    """User + system CPU seconds of the given live processes (psutil comes with Dask)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


MACHINE_BUSY: list = []


def timed_batch(folder: Path, outdir: Path, executor, config, pids=()) -> tuple:
    """(wall seconds, summary, worker CPU seconds) of one batch from an empty folder."""
    import psutil

    from gaitlens.batch import analyze_folder

    shutil.rmtree(outdir, ignore_errors=True)
    c0 = _cpu_s(pids())
    m0 = psutil.cpu_times()
    t0 = time.perf_counter()
    df = analyze_folder(folder, outdir, executor=executor, config=config, progress=False)
    secs = time.perf_counter() - t0
    m1 = psutil.cpu_times()
    busy = sum(m1) - sum(m0) - (m1.idle - m0.idle) - (m1.iowait - m0.iowait)
    MACHINE_BUSY.append(round(busy / secs, 2))  # cores busy machine-wide (ours + others')
    return secs, df, _cpu_s(pids()) - c0


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
        Path(tempfile.gettempdir()) / "gaitlens-bench-clips-v2", args.n_clips, args.seconds
    )
    n_clips = len(batch.discover_videos(folder))
    cfg = AnalysisConfig(annotated_video=not args.no_video)
    tpw = args.threads_per_worker
    work = Path(tempfile.mkdtemp(prefix="gaitlens-batch-bench-"))
    load_before = os.getloadavg()
    runs, cpu = {}, {}
    try:
        for workers in (1, 2):
            threads = tpw or max(1, batch.default_jobs() // workers)  # as analyze_folder
            with batch._process_pool(workers, threads) as ex:
                # start the workers (imports) before timing, as a running pool would be
                list(ex.map(time.sleep, [0.5] * workers))
                pids = lambda ex=ex: list(ex._processes)  # noqa: E731
                secs, df, cpu_s = timed_batch(folder, work / f"local{workers}", ex, cfg, pids)
            key = f"local_{workers}"
            assert (df["status"] == "ok").all(), df[["path", "status", "reason"]]
            runs[key], cpu[key] = (secs, df), cpu_s
            print(
                f"{workers} worker(s): {secs:6.1f} s  {60 * n_clips / secs:5.2f} clips/min  "
                f"worker CPU {cpu_s:.1f} s ({cpu_s / secs:.2f} cores busy)"
            )
        if not args.skip_dask:
            from distributed import Client, LocalCluster

            cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            )
            with cluster, Client(cluster) as client:
                if tpw:
                    client.run(batch._init_worker, tpw)
                pids = lambda: list(client.run(os.getpid).values())  # noqa: E731
                secs, df, cpu["dask_2"] = timed_batch(
                    folder, work / "dask", client.get_executor(pure=False), cfg, pids
                )
            runs["dask_2"] = (secs, df)
            print(
                f"dask (2 workers): {secs:6.1f} s  {60 * n_clips / secs:5.2f} clips/min  "
                f"worker CPU {cpu['dask_2']:.1f} s ({cpu['dask_2'] / secs:.2f} cores busy)"
            )
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
        "worker_cpu_s": {k: round(v, 1) for k, v in cpu.items()},
        "cores_busy": {k: round(cpu[k] / runs[k][0], 2) for k in cpu},
        "machine_cores_busy_all_processes": dict(zip(runs, MACHINE_BUSY)),
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
