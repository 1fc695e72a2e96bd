"""The output files of an analysis: one writer per file name, written atomically.

``save`` writes every output into a temporary folder next to the target and moves the
files into place only when all were written (``analysis.json`` last: its presence marks
a finished analysis), so an interrupted run leaves no half-written files and earlier
results are replaced as a whole. The annotated video (decode, draw, H.264 encode:
mostly native code that releases the GIL) is made on a second thread while the tables
and the report are written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Callable, Optional

from ..errors import OutputError
from . import export, timebase


def _write_table(attr: str) -> Callable:
    def write(analysis, path: Path, **_) -> bool:
        df = getattr(analysis, attr)
        if df is None:
            return False
        export.write_csv(df, path)
        return True

    return write


def _write_pose_track(analysis, path: Path, **_) -> bool:
    # in the file's time: the pose stage's output, reused whatever the time base
    timebase.file_time(analysis.track).save(path)
    return True


def _write_trc(analysis, path: Path, **_) -> bool:
    export.write_trc(analysis, path)
    return True


def _write_report(analysis, path: Path, video_file: Optional[str] = None, **_) -> bool:
    from ..report import html

    html.write_report(analysis, path, video_file=video_file)
    return True


def _write_json(analysis, path: Path, **_) -> bool:
    path.write_text(analysis.to_json(), encoding="utf-8")
    return True


#: file name -> writer(analysis, path, **context) -> written?, in writing order
#: (``annotated.mp4`` is written by ``save`` on its own thread)
WRITERS: dict[str, Callable] = {
    "pose_track.npz": _write_pose_track,
    "strides.csv": _write_table("strides"),
    "rejected_strides.csv": _write_table("rejected_strides"),
    "frames.csv": _write_table("frames"),
    "keypoints.trc": _write_trc,
    "report.html": _write_report,
    "analysis.json": _write_json,
}
VIDEO_FILE = "annotated.mp4"
OUTPUT_FILES = (*WRITERS, VIDEO_FILE)


def save(analysis, outdir, video_path=None, progress=None) -> Path:
    """Write all outputs of ``analysis`` to ``outdir`` atomically; ``video_path`` is
    needed for the annotated video (skipped without it or when the config says so)."""
    return write_folder(
        outdir, lambda d: _write_all(analysis, d, video_path, progress), OUTPUT_FILES
    )


def write_folder(outdir, write: Callable[[Path], None], names: tuple = ()) -> Path:
    """Run ``write(tmpdir)`` in a fresh folder next to ``outdir``, then move its files
    into ``outdir`` (created if needed): either every file lands or none does. Files
    of ``names`` left in ``outdir`` by an earlier run and not written now are removed;
    a file called ``*.json`` lands last (its presence marks a finished run)."""
    outdir = Path(outdir)
    parent = outdir.parent if str(outdir.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-", dir=parent))
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; outputs are normal folders
    except OSError as exc:
        raise OutputError(
            f"{outdir}: cannot write the output folder ({exc.strerror}). "
            "Choose a folder you can write to with -o."
        ) from None
    try:
        write(tmp)
        _move_into_place(tmp, outdir, names)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return outdir


def _write_all(analysis, d: Path, video_path, progress) -> None:
    video_file = None
    video_thread = None
    video_error: list = []
    stop = threading.Event()
    if analysis.config.annotated_video and video_path is not None:
        from ..report import overlay

        def make_video():
            try:
                overlay.write_annotated_video(
                    analysis, video_path, d / VIDEO_FILE, progress=progress, stop=stop
                )
            except BaseException as exc:  # re-raised on the main thread
                video_error.append(exc)

        video_thread = threading.Thread(target=make_video, name="gaitlens-annotate", daemon=True)
        video_thread.start()
        video_file = VIDEO_FILE
    try:
        for name, write in WRITERS.items():
            write(analysis, d / name, video_file=video_file)
    except BaseException:  # Ctrl-C or an error: end the video at its next frame
        stop.set()
        raise
    finally:
        # wait for the video thread even when interrupted: a thread left inside
        # FFmpeg's encoder when the interpreter exits aborts the process (SIGABRT)
        interrupted = False
        while video_thread is not None and video_thread.is_alive():
            try:
                video_thread.join(timeout=0.2)  # short joins keep Ctrl-C responsive
            except KeyboardInterrupt:
                stop.set()
                interrupted = True
        if interrupted:
            raise KeyboardInterrupt
    if video_error:
        raise video_error[0]


def _move_into_place(tmp: Path, outdir: Path, names: tuple) -> None:
    if not outdir.exists():
        os.replace(tmp, outdir)
        return
    for f in names:  # stale outputs of an earlier run must not survive
        if (outdir / f).exists() and not (tmp / f).exists():
            (outdir / f).unlink()
    for f in sorted(tmp.iterdir(), key=lambda p: p.suffix == ".json"):
        os.replace(f, outdir / f.name)  # analysis.json last: its presence marks "done"
    tmp.rmdir()
