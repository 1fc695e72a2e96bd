"""Batch analysis of a folder of clips: parallel, resumable, one failure never stops the rest.

``analyze_folder`` (module ``run``) finds every video under a folder (``plan``),
analyses each into its own output folder on any ``concurrent.futures.Executor`` (a
local process pool, or Dask's ``Client.get_executor()``) and writes ``summary.csv`` and
``index.html`` (``summary``, ``index``). Only the standard library is imported here and
in ``run``/``plan``/``summary`` at module level, so a spawned worker's thread limits
apply before NumPy, OpenCV or MediaPipe load.
"""

from __future__ import annotations

from .plan import INDEX_FILE, SUMMARY_FILE, ClipJob, discover_videos, plan_jobs, safe_name
from .run import DIED, ERROR_LOG, analyze_folder, dask_client, default_jobs, run_batch_cli, run_clip
from .summary import (
    BASE_COLUMNS,
    EXIT_ALL_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    LINK_COLUMNS,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_SKIPPED,
    exit_code,
    format_table,
    read_summary,
    summary_frame,
    write_summary,
)

__all__ = [
    "BASE_COLUMNS",
    "DIED",
    "ERROR_LOG",
    "EXIT_ALL_FAILED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "INDEX_FILE",
    "LINK_COLUMNS",
    "STATUS_FAILED",
    "STATUS_OK",
    "STATUS_SKIPPED",
    "SUMMARY_FILE",
    "ClipJob",
    "analyze_folder",
    "dask_client",
    "default_jobs",
    "discover_videos",
    "exit_code",
    "format_table",
    "plan_jobs",
    "read_summary",
    "run_batch_cli",
    "run_clip",
    "safe_name",
    "summary_frame",
    "write_summary",
]
