"""Batch analysis of a folder of clips: parallel, resumable, one failure never stops the rest.

``analyze_folder`` finds every video under a folder (recursively), analyses each clip
into its own output folder (mirroring the clip's relative path) and writes
``summary.csv`` (one row per clip) and ``index.html`` (links to each clip's report)
atomically. Clips run in parallel on any ``concurrent.futures.Executor``: a local
process pool by default ("forkserver" or "spawn": MediaPipe and threads do not survive
``fork``), or a Dask distributed cluster through ``Client.get_executor()`` (the
``gaitlens[dask]`` extra) - no home-made job queue (DESIGN.md, "Scale-out").

A clip that fails is recorded with its one-line reason (``str`` of the
``GaitlensError``); an unexpected exception is recorded as ``internal error: ...`` and
its traceback is written to ``error.log`` in the clip's output folder.

Only the standard library is imported at module level: a spawned worker imports this
module first, so thread limits set by ``_init_worker`` apply before NumPy, OpenCV or
MediaPipe load.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import warnings
from concurrent.futures import Executor, Future, as_completed
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import BackendUnavailableError, GaitlensError, OutputError, VideoReadError
from .plan import INDEX_FILE, SUMMARY_FILE, ClipJob, PathLike, plan_jobs, scan
from .summary import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_SKIPPED,
    exit_code,
    format_table,
    summary_frame,
    write_summary,
)

ERROR_LOG = "error.log"
#: analysis.json "session" field -> summary column (gaitlens.sessions.facts)
SESSION_COLUMNS = {
    "date": "session_date",
    "belt_speed_legs_s": "speed_legs_per_s",
    "fps": "fps",
    "leg_share_of_frame": "leg_share_of_frame",
    "side_view_score": "side_view_score",
    "near_side": "near_side",
}
DASK_CONNECT_TIMEOUT_S = 10.0
_THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


# ----------------------------------------------------------------------------- one clip
def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _summary_numbers(data: dict) -> dict:
    """Cadence, contact time and stride count of a saved analysis (``analysis.json``);
    medians of the stride table where the summary lacks them."""
    import numpy as np

    summ = data.get("summary") or {}
    strides = data.get("strides") or []
    out = {}
    for key in ("cadence_spm", "contact_time_s"):
        v = summ.get(key)
        if v is None:
            vals = [s.get(key) for s in strides if s.get(key) is not None]
            v = float(np.median(vals)) if vals else None
        out[key] = None if v is None else round(float(v), 6)
    n = summ.get("n_strides")
    out["n_strides"] = int(n) if n is not None else len(strides)
    return out


def _row(job: ClipJob, status: str, reason: str = "", data: Optional[dict] = None) -> dict:
    row: dict[str, Any] = {"path": job.rel_path, "status": status, "reason": reason}
    row.update(
        _summary_numbers(data)
        if data
        else {"cadence_spm": None, "contact_time_s": None, "n_strides": None}
    )
    # how the session was filmed and run, to compare runners and sessions
    sess = (data or {}).get("session") or {}
    for key, col in SESSION_COLUMNS.items():
        v = sess.get(key)
        row[col] = round(v, 4) if isinstance(v, float) else v
    for f in (data or {}).get("faults") or []:
        fid = f.get("id")
        if fid:
            row[f"{fid}_severity"] = f.get("severity")
            row[f"{fid}_confidence"] = f.get("confidence")
    has_report = data is not None and (Path(job.outdir) / "report.html").is_file()
    row["report"] = f"{job.rel_outdir}/report.html" if has_report else None
    row["outdir"] = job.rel_outdir if data is not None else None
    return row


def _default_analyze(video, config, *, outdir, progress, reuse_pose):
    from ..pipeline import analyze

    return analyze(video, config, outdir=outdir, progress=progress, reuse_pose=reuse_pose)


def run_clip(
    job: ClipJob,
    config=None,
    analyze_fn: Optional[Callable] = None,
    reuse_pose: bool = True,
) -> dict:
    """Analyse one clip into ``job.outdir``; never raises for a clip's failure.

    Returns the clip's summary row. This is what each worker runs (a top-level
    function, so a process pool or a Dask worker can import it by name).
    """
    fn = analyze_fn or _default_analyze
    out = Path(job.outdir)
    try:
        with warnings.catch_warnings():  # numerical warnings of many workers are noise here
            warnings.simplefilter("ignore", RuntimeWarning)
            analysis = fn(job.video, config, outdir=out, progress=False, reuse_pose=reuse_pose)
        data = analysis.to_dict() if hasattr(analysis, "to_dict") else _read_json(out)
        if data is None:
            raise RuntimeError("the analysis returned nothing and wrote no analysis.json")
        try:
            (out / ERROR_LOG).unlink()
        except FileNotFoundError:
            pass
        return _row(job, STATUS_OK, "", data)
    except GaitlensError as exc:
        return _row(job, STATUS_FAILED, _one_line(str(exc).replace(job.video, job.rel_path)))
    except Exception as exc:  # a bug, not the user's input: keep the traceback
        log = _write_error_log(job, traceback.format_exc())
        where = f" (traceback in {log})" if log else ""
        msg = _one_line(f"{type(exc).__name__}: {exc}")
        return _row(job, STATUS_FAILED, f"internal error: {msg}{where}")


def _write_error_log(job: ClipJob, text: str) -> Optional[str]:
    try:
        out = Path(job.outdir)
        out.mkdir(parents=True, exist_ok=True)
        header = f"gaitlens batch: internal error while analysing {job.video}\n\n"
        (out / ERROR_LOG).write_text(header + text, encoding="utf-8")
        return f"{job.rel_outdir}/{ERROR_LOG}"
    except OSError:
        return None


def _read_json(outdir: Path) -> Optional[dict]:
    try:
        return json.loads((outdir / "analysis.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def done_analysis(job: ClipJob, config) -> Optional[dict]:
    """The saved ``analysis.json`` of a clip if it is complete (``Analysis.save`` moves
    it into place last) and matches: the same video file size and the same
    configuration (a clip moved with its folder still matches); otherwise ``None``."""
    data = _read_json(Path(job.outdir))
    if not data:
        return None
    vid = data.get("video") or {}
    try:
        if vid.get("size_bytes") != Path(job.video).stat().st_size:
            return None
    except OSError:
        return None
    if config is not None and not _same_config(data.get("config") or {}, config):
        return None
    return data


def _same_config(saved: dict, config) -> bool:
    """``saved`` (from analysis.json: JSON-safe, floats rounded) describes ``config``."""
    from ..config import AnalysisConfig
    from ..io.jsonsafe import json_safe

    if json.loads(json.dumps(json_safe(config.to_dict()))) == saved:
        return True
    try:
        return AnalysisConfig().updated(**saved) == config
    except (GaitlensError, TypeError):
        return False


# ----------------------------------------------------------------------------- workers
def _init_worker(threads: Optional[int]) -> None:
    """Process-pool initializer: limit the threads each worker's libraries start, so N
    workers on N cores do not oversubscribe them."""
    if threads:
        os.environ["GAITLENS_POSE_WORKERS"] = str(threads)  # pose graphs per clip
        for var in _THREAD_ENV:
            os.environ[var] = str(threads)
        try:
            import cv2  # OpenCV's own pool ignores OMP_NUM_THREADS

            cv2.setNumThreads(threads)
        except ImportError:  # pragma: no cover
            pass


def _process_pool(n_workers: int, threads_per_worker: Optional[int]) -> Executor:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=mp.get_context(method),
        initializer=_init_worker,
        initargs=(threads_per_worker,),
    )


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class _InlineExecutor(Executor):
    """Runs each call in the calling process at submit time (``jobs=1``)."""

    def submit(self, fn, /, *args, **kwargs):
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future
            f.set_exception(exc)
        return f


# ----------------------------------------------------------------------------- the batch
def analyze_folder(
    folder: PathLike,
    outdir: PathLike,
    *,
    jobs: Optional[int] = None,
    resume: bool = False,
    force: bool = False,
    executor: Optional[Executor] = None,
    config=None,
    progress: Optional[bool] = None,
    reuse_pose: bool = True,
    threads_per_worker: Optional[int] = None,
    analyze_fn: Optional[Callable] = None,
    **options,
):
    """Analyse every video under ``folder`` into ``outdir``; returns the summary table.

    Parameters
    ----------
    folder : searched recursively for ``gaitlens.io.video.VIDEO_EXTENSIONS`` (any case);
        hidden files and the output folder itself are skipped.
    outdir : one sub-folder per clip (mirroring its relative path, safe names) plus
        ``summary.csv`` and ``index.html``.
    jobs : parallel worker processes (default: the number of cores). ``1`` runs the
        clips one after another in this process.
    resume : skip clips whose ``analysis.json`` is present and matches (same video,
        same configuration); clips that failed before are retried.
    force : analyse every clip again (the saved pose track is still reused when the
        pose options match, unless ``reuse_pose=False``).
        With neither ``resume`` nor ``force``, earlier results in ``outdir`` are an
        ``OutputError`` (nothing is overwritten by accident).
    executor : any ``concurrent.futures.Executor`` (e.g. a Dask
        ``Client.get_executor()``); it is not shut down here. Workers must see the
        same paths (a shared file system).
    config, options : an ``AnalysisConfig`` and overrides of its fields, as in
        ``gaitlens.analyze`` (e.g. ``annotated_video=False``).
    progress : a progress bar over clips; ``None`` = only when stderr is a terminal.
    threads_per_worker : thread limit (OpenMP, BLAS, OpenCV) in each worker of the default
        pool; default: cores // workers (1 with one worker per core, as Dask does).
    analyze_fn : replaces ``gaitlens.pipeline.analyze`` (tests); must be picklable and
        accept ``(video, config, *, outdir, progress, reuse_pose)``.

    Returns
    -------
    pandas.DataFrame, one row per clip (sorted by path): ``path``, ``status``
    (``ok``/``failed``/``skipped``), ``reason``, ``cadence_spm``, ``contact_time_s``,
    ``n_strides``, ``<fault>_severity`` and ``<fault>_confidence`` per fault, ``report``
    and ``outdir`` (relative to ``outdir``). ``df.attrs`` holds ``ignored_files``
    (non-video files found) and the paths of the summary files.
    """
    from ..config import AnalysisConfig

    if resume and force:
        raise GaitlensError("--resume and --force contradict each other; pass only one.")
    cfg = (config or AnalysisConfig()).updated(**options)
    folder, outdir = Path(folder), Path(outdir)
    if not folder.is_dir():
        raise VideoReadError(f"{folder}: not a folder. Give the folder that holds the clips.")
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(f"{outdir}: exists and is not a folder. Choose another output folder.")
    videos, others = scan(folder, (outdir,))
    if not videos:
        from ..io.video import VIDEO_EXTENSIONS

        raise VideoReadError(
            f"{folder}: no video files found (looked for {', '.join(VIDEO_EXTENSIONS)}). "
            "Give the folder that holds the clips."
        )
    jobs_list = plan_jobs(videos, folder, outdir)
    rows: dict[str, dict] = {}
    todo: list[ClipJob] = []
    for job in jobs_list:
        if resume:
            data = done_analysis(job, cfg)
            if data is not None:
                rows[job.rel_path] = _row(job, STATUS_SKIPPED, "already analysed", data)
                continue
        elif not force and (Path(job.outdir) / "analysis.json").exists():
            raise OutputError(
                f"{outdir}: holds earlier results (e.g. {job.rel_outdir}); pass --resume "
                "(resume=True) to skip clips already done or --force (force=True) to "
                "analyse them again."
            )
        todo.append(job)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{outdir}: cannot create the output folder ({exc.strerror}). "
            "Choose a folder you can write to."
        ) from None

    bar = _bar(len(jobs_list), len(rows), progress)
    submit_args = (cfg, analyze_fn, reuse_pose)
    try:
        if executor is not None:
            for job in _drain(executor, todo, submit_args, rows, bar):  # a broken pool
                rows[job.rel_path] = _row(job, STATUS_FAILED, DIED)
                bar.update(1)
        elif todo:
            n = min(jobs or default_jobs(), len(todo))
            # like Dask's nanny: no worker may start more BLAS/OpenMP threads than its
            # share of the cores (OpenBLAS threads spin; oversubscribed they stall)
            threads = threads_per_worker or max(1, default_jobs() // n)
            _run_own_pool(todo, n, threads, submit_args, rows, bar)
    finally:
        bar.close()
    df = summary_frame([rows[j.rel_path] for j in jobs_list])
    df.attrs["ignored_files"] = [p.relative_to(folder).as_posix() for p in others]
    write_summary(df, outdir)
    df.attrs["summary_csv"] = str(outdir / SUMMARY_FILE)
    df.attrs["index_html"] = str(outdir / INDEX_FILE)
    return df


DIED = (
    "internal error: the worker process died while analysing this clip "
    "(a crash in a native library, or out of memory)"
)


def _drain(ex: Executor, todo: list, submit_args: tuple, rows: dict, bar) -> list:
    """Run ``todo`` on ``ex``, recording each clip's row as it finishes. Returns the
    clips lost to a broken process pool (not recorded: the caller decides)."""
    from concurrent.futures.process import BrokenProcessPool

    futures: dict[Future, ClipJob] = {}
    lost = []

    def record(fut: Future, job: ClipJob) -> None:
        rows[job.rel_path] = _result_row(fut, job)
        bar.set_postfix_str(f"{job.rel_path}: {rows[job.rel_path]['status']}", refresh=False)
        bar.update(1)

    try:
        if isinstance(ex, _InlineExecutor):  # runs at submit: record each as it ends
            for job in todo:
                record(ex.submit(run_clip, job, *submit_args), job)
            return lost
        for job in todo:
            try:
                futures[ex.submit(run_clip, job, *submit_args)] = job
            except BrokenProcessPool:
                lost.append(job)
        for fut in as_completed(futures):
            job = futures[fut]
            if isinstance(fut.exception(), BrokenProcessPool):
                lost.append(job)
            else:
                record(fut, job)
    except BaseException:
        for f in futures:
            f.cancel()
        raise
    return lost


def _run_own_pool(todo, n: int, threads: Optional[int], submit_args, rows, bar) -> None:
    """The default executor. ``n == 1``: in this process. Otherwise a process pool; if a
    worker process dies (the whole pool breaks), the clips it took down are run again in
    a new pool, and if that breaks too, each remaining clip alone in its own process,
    so only the clip that kills its worker is recorded as failed."""
    if n <= 1:
        _drain(_InlineExecutor(), todo, submit_args, rows, bar)
        return
    pending, attempt = list(todo), 0
    while pending:
        if attempt < 2:
            groups = [pending]
        else:
            groups = [[job] for job in pending]  # isolate: one clip per process
        lost = []
        for group in groups:
            ex = _process_pool(min(n, len(group)), threads)
            try:
                died = _drain(ex, group, submit_args, rows, bar)
            except BaseException:
                _interrupt_workers(ex)
                ex.shutdown(wait=False, cancel_futures=True)
                raise
            ex.shutdown(wait=True)
            if attempt >= 2:
                for job in died:
                    rows[job.rel_path] = _row(job, STATUS_FAILED, DIED)
                    bar.update(1)
            else:
                lost += died
        pending, attempt = lost, attempt + 1


def _interrupt_workers(ex: Executor) -> None:
    """Pass an interrupt on to the pool's workers (they get Ctrl-C from a terminal, but
    not a ``kill -INT`` of the parent alone): each stops its clip, and the atomic save
    leaves no half-written outputs, instead of the exit waiting for running clips."""
    import signal

    if os.name != "posix":  # pragma: no cover
        return
    for proc in list(getattr(ex, "_processes", {}).values()):  # no public API before 3.14
        try:
            os.kill(proc.pid, signal.SIGINT)
        except (OSError, AttributeError):
            pass


def _result_row(fut: Future, job: ClipJob) -> dict:
    """A finished future's row; a worker that died (or any error outside ``run_clip``)
    becomes an ``internal error`` of that clip."""
    try:
        return fut.result()
    except Exception as exc:
        msg = _one_line(f"{type(exc).__name__}: {exc}") or type(exc).__name__
        return _row(job, STATUS_FAILED, f"internal error: the worker failed ({msg})")


def _bar(total: int, initial: int, enabled: Optional[bool]):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if enabled:
        from tqdm.auto import tqdm
    else:  # tqdm.auto warns in Jupyter without ipywidgets, even for a disabled bar
        from tqdm import tqdm
    return tqdm(
        total=total,
        initial=initial,
        desc="clips",
        unit="clip",
        disable=not enabled,
        dynamic_ncols=True,
    )


# ----------------------------------------------------------------------------- CLI
def dask_client(address: str):
    """A ``distributed.Client`` for ``--scheduler ADDRESS`` (the ``gaitlens[dask]`` extra)."""
    try:
        from distributed import Client
    except ImportError:
        raise BackendUnavailableError(
            "--scheduler needs Dask distributed, which is not installed: "
            'pip install "gaitlens[dask]"'
        ) from None
    try:
        return Client(address, timeout=f"{DASK_CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise GaitlensError(
            f"{address}: cannot reach the Dask scheduler ({_one_line(str(exc))}). "
            "Check the address (e.g. tcp://host:8786) and that the scheduler is running."
        ) from None


def run_batch_cli(args, config) -> int:
    """``gaitlens batch FOLDER -o OUTDIR [-j N] [--resume] [--force] [--scheduler ADDR]``."""
    quiet = bool(getattr(args, "quiet", False))
    from ..pose import prepare_backend

    # the pose model, fetched once here (one notice, one download), not in every worker
    prepare_backend(
        config.pose_backend,
        model_complexity=config.model_complexity,
        model_path=config.pose_model_path,
    )
    client = dask_client(args.scheduler) if getattr(args, "scheduler", None) else None
    t0 = time.perf_counter()
    try:
        df = analyze_folder(
            args.folder,
            args.outdir,
            jobs=args.jobs,
            resume=bool(args.resume),
            force=bool(getattr(args, "force", False)),
            executor=client.get_executor(pure=False) if client is not None else None,
            config=config,
            progress=False if quiet else None,
            reuse_pose=not getattr(args, "fresh_pose", False),
        )
    finally:
        if client is not None:
            client.close()
    if not quiet:
        n = df["status"].value_counts()
        print(format_table(df))
        ignored = df.attrs.get("ignored_files") or []
        if ignored:
            shown = ", ".join(ignored[:3]) + (", ..." if len(ignored) > 3 else "")
            print(f"ignored {len(ignored)} file(s) that are not videos: {shown}")
        print(
            f"{n.get(STATUS_OK, 0)} ok, {n.get(STATUS_SKIPPED, 0)} skipped, "
            f"{n.get(STATUS_FAILED, 0)} failed in {time.perf_counter() - t0:.1f} s; "
            f"summary: {df.attrs['summary_csv']}  index: {df.attrs['index_html']}"
        )
    return exit_code(df)
