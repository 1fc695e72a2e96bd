"""Which clips a batch analyses and where each one's outputs go.

``discover_videos`` finds the videos under a folder; ``plan_jobs`` gives each one an
output folder that mirrors its relative path with safe, unique names. Standard library
only: a spawned batch worker imports this before NumPy or MediaPipe.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from ..errors import VideoReadError

PathLike = Union[str, "os.PathLike[str]"]

SUMMARY_FILE = "summary.csv"
INDEX_FILE = "index.html"


@dataclass(frozen=True)
class ClipJob:
    """One clip of a batch: the video, its path relative to the folder, its outputs."""

    video: str  # absolute path of the clip
    rel_path: str  # POSIX path relative to the batch folder (the summary's ``path``)
    outdir: str  # absolute output folder of this clip
    rel_outdir: str  # POSIX path of ``outdir`` relative to the batch output folder


def _is_video(p: Path) -> bool:
    from ..io.video import VIDEO_EXTENSIONS

    return p.suffix.lower() in VIDEO_EXTENSIONS


def _is_output_folder(files: list[str]) -> bool:
    names = set(files)
    return "analysis.json" in names or {SUMMARY_FILE, INDEX_FILE} <= names


def scan(folder: Path, exclude: tuple[Path, ...] = ()) -> tuple[list[Path], list[Path]]:
    """(videos, other files) under ``folder``, sorted. Left out: hidden entries, the
    ``exclude`` subtrees (e.g. the batch output folder inside the input folder) and
    earlier gaitlens outputs (a folder holding ``analysis.json``, or a batch's
    ``summary.csv`` and ``index.html``), whose ``annotated.mp4`` is not a new clip."""
    excluded = {e.resolve() for e in exclude}
    videos, others = [], []
    for root, dirs, files in os.walk(folder):
        rp = Path(root)
        if rp != folder and _is_output_folder(files):
            dirs[:] = []
            continue
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and (rp / d).resolve() not in excluded
        )
        for name in sorted(files):
            if name.startswith("."):
                continue
            (videos if _is_video(rp / name) else others).append(rp / name)
    key = lambda p: p.relative_to(folder).as_posix()  # noqa: E731
    return sorted(videos, key=key), sorted(others, key=key)


def discover_videos(folder: PathLike, exclude: tuple[PathLike, ...] = ()) -> list[Path]:
    """Every video file under ``folder`` (recursive; extensions
    ``gaitlens.io.video.VIDEO_EXTENSIONS``, any case), sorted by relative path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VideoReadError(f"{folder}: not a folder. Give the folder that holds the clips.")
    return scan(folder, tuple(Path(e) for e in exclude))[0]


def safe_name(name: str) -> str:
    """A file-system-safe folder name: runs of characters other than letters, digits,
    ``.``, ``-`` and ``_`` become ``_``; no leading dot; never empty."""
    s = re.sub(r"[^\w.-]+", "_", name).strip("._ ")
    return s or "clip"


def plan_jobs(videos: list[Path], folder: PathLike, outdir: PathLike) -> list[ClipJob]:
    """One output folder per clip: ``outdir/<safe relative folders>/<safe stem>``.

    Names are unique ignoring case (case-insensitive file systems): a clash (``a.mp4``
    and ``a.mov``, ``a b.mp4`` and ``a_b.mp4``, a clip named like a sub-folder or like
    ``summary.csv``) gets the extension and then a counter appended, in sorted order,
    so the plan is deterministic.
    """
    folder, outdir = Path(folder).resolve(), Path(outdir).resolve()
    rels = [Path(v).resolve().relative_to(folder) for v in videos]
    dir_parts = [tuple(safe_name(p) for p in r.parent.parts) for r in rels]
    taken = {SUMMARY_FILE.lower(), INDEX_FILE.lower()}
    for parts in dir_parts:  # sub-folders are reserved so a clip folder never holds another
        for i in range(1, len(parts) + 1):
            taken.add("/".join(parts[:i]).lower())
    jobs = []
    for v, rel, parts in zip(videos, rels, dir_parts):
        prefix = "/".join(parts)
        stem = safe_name(rel.stem)
        candidates = [stem, f"{stem}_{safe_name(rel.suffix.lstrip('.').lower())}"]
        candidates += [f"{candidates[1]}_{k}" for k in range(2, 10_000)]
        for c in candidates:
            key = f"{prefix}/{c}" if prefix else c
            if key.lower() not in taken:
                break
        taken.add(key.lower())
        jobs.append(
            ClipJob(
                video=str(Path(v).resolve()),
                rel_path=rel.as_posix(),
                outdir=str(outdir.joinpath(*key.split("/"))),
                rel_outdir=key,
            )
        )
    return jobs
