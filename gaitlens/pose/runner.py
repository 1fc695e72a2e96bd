"""The pose stage: a pose backend over every frame of a video, giving a ``PoseTrack``.

Frames are decoded on their own thread, already downsized to
``config.model_input_max_side_px``; landmarks are returned in full-frame pixels. One
MediaPipe graph keeps about one core busy, so on a multi-core machine the clip is cut
into consecutive time segments, each run by its own decoder and pose graph on its own
thread (``pose_segments``), and stitched after a seam check (``_segments_join``).
With the flip test (``config.flip_test``, the default) each segment runs a second graph
on the mirrored frames and averages the two answers (``gaitlens.pose.flip``).
Ctrl-C stops every segment at its next frame.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..config import AnalysisConfig
from ..io import timebase
from ..io import video as _video
from ..io.track import PoseTrack
from . import flip, silhouette
from .base import create_backend, prepare_backend
from .mediapipe import quiet_native_stderr
from .vertical import VerticalFinder

PathLike = Union[str, os.PathLike]


def _progress(total: Optional[int], desc: str, enabled: Optional[bool], file=None):
    """A tqdm bar over frames; quiet when stderr is not a terminal (``enabled=None``)."""
    from tqdm import tqdm  # plain tqdm: tqdm.auto warns in notebooks without ipywidgets

    file = file or sys.stderr
    if enabled is None:
        enabled = bool(getattr(sys.stderr, "isatty", lambda: False)())
    return tqdm(
        total=total or None,
        desc=desc,
        unit="frame",
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
        file=file,
    )


def run_pose(
    video_path: PathLike,
    config: Optional[AnalysisConfig] = None,
    progress: Optional[bool] = None,
) -> PoseTrack:
    """Run the pose backend over every frame; returns the raw ``PoseTrack``.

    Frames are decoded on their own thread, already downsized to
    ``config.model_input_max_side_px``; landmarks are returned in full-frame pixels.
    One MediaPipe graph keeps about one core busy, so the clip is cut into consecutive
    time segments (``pose_segments``: the plan depends on the clip's duration only, so
    the track, and every number after it, is the same on any machine), each run by its
    own decoder and pose graph; ``config.pose_workers`` threads (default one per core)
    work through them. Each segment but the first starts ``SEGMENT_OVERLAP_S`` early so
    that the graph's tracking and landmark smoothing have settled when its own frames
    begin; the overlap frames are discarded.
    """
    cfg = config or AnalysisConfig()
    meta = _video.probe(video_path)
    full = (meta.width_px, meta.height_px)
    name = Path(video_path).name
    # the analysis stages' imports (scipy, pandas, matplotlib: about 2 s) are done on a
    # second thread while MediaPipe works, so they cost no wall time afterwards
    threading.Thread(target=_warm_imports, name="gaitlens-imports", daemon=True).start()
    workers = resolve_pose_workers(cfg.pose_workers)
    prepare_backend(  # the model, fetched once here (visibly), not by every segment
        cfg.pose_backend, model_complexity=cfg.model_complexity, model_path=cfg.pose_model_path
    )
    # a slow-motion clip whose capture rate is known (metadata or capture_fps): the pose
    # graph gets real time, as if the clip were stored at its capture rate (MediaPipe's
    # landmark smoothing works on the timestamps; the hip-landmark delay was calibrated
    # on real time); the segments are planned on the real duration
    clock = timebase.pose_clock(meta.to_dict(), cfg.capture_fps)
    segments = [
        (None if a is None else a / clock, None if b is None else b / clock)
        for a, b in pose_segments(meta.duration_s * clock)
    ]
    origin_s = _video.first_frame_time_s(video_path) if len(segments) > 1 else None
    # frames sampled for the scene's vertical (gaitlens.pose.vertical), in file time
    finder = VerticalFinder()
    want = finder.sample_times(meta.duration_s)
    step = 2.0 / (meta.nominal_fps or 30.0)
    for cut, _ in segments[1:]:  # a time just before a cut may have no frame left there:
        want[(want < cut) & (want > cut - step)] = cut  # the next segment takes it
    scene = (want, finder)
    # MediaPipe's native threads log to fd 2; the progress bar keeps the real stderr
    with quiet_native_stderr() as err:
        with _progress(meta.frame_count, f"pose {name}", progress, file=err) as bar:
            parts = _run_segments(video_path, cfg, segments, origin_s, full, bar, workers, clock,
                                  scene)  # fmt: skip
            rerun = len(parts) > 1 and not _segments_join(parts, meta)
            if rerun:
                # a seek that did not land where asked (odd container, damage at a cut)
                # or graphs that disagree at a seam: read the clip in one go
                bar.reset()
                parts = _run_segments(video_path, cfg, [(None, None)], None, full, bar, 1, clock,
                                      scene)  # fmt: skip
    times = [t for p in parts for t in p.time_s]
    stats = {
        "frames_decoded": len(times),
        "damaged_packets": sum(p.stats.get("damaged_packets", 0) for p in parts),
        "stopped_early": any(p.stats.get("stopped_early", False) for p in parts),
        "pose_segments": len(parts),
        "pose_workers": min(workers, len(parts)),
        "segments_rerun_in_one_pass": rerun,
    }
    sils = [x for p in parts for x in p.silhouette]
    track = PoseTrack(
        time_s=np.asarray(times, dtype=float),
        xy_px=np.asarray([x for p in parts for x in p.xy_px]),
        visibility=np.asarray([x for p in parts for x in p.visibility]),
        frame_size_px=full,
        video={**meta.to_dict(), "decode": stats},
        # time_scale: real seconds per file second of the timestamps the graph was given
        backend={**parts[0].info, "pose_options": cfg.pose_signature(), "time_scale": clock},
        silhouette=np.asarray(sils) if sils and len(sils) == len(times) else None,
        silhouette_names=silhouette.FEATURE_NAMES if sils else (),
        n_people=np.asarray([x for p in parts for x in p.n_people], dtype=int),
    )
    lines = [x for p in parts for x in p.lines]
    track.video["vertical"] = finder.estimate_from(lines, track).to_dict()
    return track


#: Shortest time segment worth its own pose graph (s): shorter clips run on one.
MIN_SEGMENT_S = 4.0
#: Each segment after the first is decoded and tracked from this much earlier (s);
#: MediaPipe's tracking and landmark smoothing settle within a few frames.
SEGMENT_OVERLAP_S = 0.5
#: Seam check: the last frames before a cut, which two graphs saw, must agree within
#: this share of the frame height (median over landmarks; measured: under 0.2 %).
SEAM_FRAMES = 5
SEAM_TOLERANCE = 0.02
#: At most this many pose graphs run at once (each keeps about one core busy).
MAX_POSE_WORKERS = 4


def resolve_pose_workers(requested: Optional[int]) -> int:
    """Pose graphs to run at once: the request, or (``None``) one per core, at most
    ``MAX_POSE_WORKERS``; a batch worker's share of the cores (``GAITLENS_POSE_WORKERS``,
    set by ``gaitlens.batch``) caps the automatic choice."""
    if requested:
        return max(1, int(requested))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    cap = os.environ.get("GAITLENS_POSE_WORKERS")
    if cap and cap.isdigit():
        cores = min(cores, int(cap))
    return max(1, min(MAX_POSE_WORKERS, cores))


def pose_segments(duration_s: float) -> list:
    """``[(keep_from_s, keep_until_s), ...]``: consecutive time segments of at least
    ``MIN_SEGMENT_S`` (``None`` = open end), at most ``MAX_POSE_WORKERS`` of them; one
    segment when the clip is short or its duration unknown. The plan depends on the
    duration only, never on the machine: two graphs started at different frames give
    slightly different landmarks near a cut, so a plan that followed the core count made
    the result depend on the computer (measured on the real clip: 1 vs 2 segments moved
    the cadence summary by 3 spm before the stride checks were made robust)."""
    if not duration_s or duration_s < 2 * MIN_SEGMENT_S:
        return [(None, None)]
    n = int(min(MAX_POSE_WORKERS, duration_s // MIN_SEGMENT_S))
    cuts = [duration_s * k / n for k in range(1, n)]
    return list(zip([None, *cuts], [*cuts, None]))


@dataclass
class _Segment:
    """One worker's results: per-frame lists plus its decoder statistics."""

    time_s: list = field(default_factory=list)
    xy_px: list = field(default_factory=list)
    visibility: list = field(default_factory=list)
    silhouette: list = field(default_factory=list)
    n_people: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    error: Optional[BaseException] = None
    warmup: dict = field(default_factory=dict)  # overlap frames: time -> landmarks
    lines: list = field(default_factory=list)  # scene segments of sampled frames (vertical)


def _pose_segment(
    video_path, cfg, keep_from, keep_until, origin_s, full, bar, stop, seg, clock=1.0,
    scene_times=(), finder=None,
) -> None:  # fmt: skip
    start = None if keep_from is None else max(0.0, keep_from - SEGMENT_OVERLAP_S / clock)
    backend = create_backend(
        cfg.pose_backend,
        model_complexity=cfg.model_complexity,
        model_path=cfg.pose_model_path,
        segmentation=cfg.segmentation,
    )
    # flip test (gaitlens.pose.flip): a second graph sees every frame mirrored; it keeps
    # its own tracking state, so it has a graph of its own
    mirrored = (
        create_backend(
            cfg.pose_backend,
            model_complexity=cfg.model_complexity,
            model_path=cfg.pose_model_path,
            segmentation=False,
        )
        if cfg.flip_test
        else None
    )
    frames = _video.read_frames(
        video_path,
        max_side_px=cfg.model_input_max_side_px,
        stats=seg.stats,
        start_s=start,
        end_s=keep_until,
        origin_s=origin_s,
    )
    want = np.asarray(scene_times, float)
    j = int(np.searchsorted(want, keep_from - 1e-9)) if keep_from is not None else 0
    try:
        for frame in frames:
            if stop.is_set():
                return
            res = backend.process(frame.image, frame.time_s * clock, full_size_px=full)
            if mirrored is not None:
                m = mirrored.process(flip.mirror_image(frame.image), frame.time_s * clock,
                                     full_size_px=full)  # fmt: skip
                res.xy_px, res.visibility = flip.combine(
                    res.xy_px, res.visibility, m.xy_px, m.visibility, full[0]
                )
            if keep_from is not None and frame.time_s < keep_from - 1e-9:
                seg.warmup[round(frame.time_s, 6)] = res.xy_px  # compared at the seam
                continue  # overlap: the graph warms up on these frames
            if finder is not None and j < len(want) and frame.time_s >= want[j] - 1e-9:
                # a frame sampled for the scene's vertical: its straight edges, now,
                # on the frame the model saw (no second decoding pass)
                seg.lines.append(finder.frame_lines(frame.image, res.xy_px, full))
                while j < len(want) and want[j] <= frame.time_s + 1e-9:
                    j += 1
            seg.time_s.append(frame.time_s)
            seg.xy_px.append(res.xy_px)
            seg.visibility.append(res.visibility)
            seg.n_people.append(res.n_people)
            if res.silhouette is not None:
                seg.silhouette.append(res.silhouette)
            bar.update(1)
        seg.info = backend.info()
    finally:
        frames.close()  # stops this segment's decoder thread
        backend.close()
        if mirrored is not None:
            mirrored.close()


def _run_segments(video_path, cfg, segments, origin_s, full, bar, threads: int,
                  clock: float = 1.0, scene=((), None)) -> list:  # fmt: skip
    """Run the segments on ``threads`` threads, each taking the next segment when free
    (one thread: in this thread, in order)."""
    parts = [_Segment() for _ in segments]
    stop = threading.Event()
    todo = queue.SimpleQueue()
    for k in range(len(segments)):
        todo.put(k)

    def work():
        while not stop.is_set():
            try:
                k = todo.get_nowait()
            except queue.Empty:
                return
            try:
                _pose_segment(video_path, cfg, *segments[k], origin_s, full, bar, stop, parts[k],
                              clock, *scene)  # fmt: skip
            except BaseException as exc:  # handed to the caller below
                parts[k].error = exc
                stop.set()

    n = max(1, min(threads, len(segments)))
    if n == 1:
        work()
    else:
        pool = [threading.Thread(target=work, name=f"gaitlens-pose-{k}", daemon=True)
                for k in range(n)]  # fmt: skip
        for th in pool:
            th.start()
        try:
            for th in pool:
                while th.is_alive():
                    th.join(timeout=0.2)
        except BaseException:  # Ctrl-C: stop the workers at their next frame
            stop.set()
            # and wait for them: a thread still inside MediaPipe's native graph when the
            # interpreter exits aborts the process (SIGABRT instead of exit code 130)
            for th in pool:
                th.join(timeout=10.0)
            raise
    errors = [p.error for p in parts if p.error is not None]
    if errors:
        raise errors[0]
    return parts


def _segments_join(parts: list, meta) -> bool:
    """Whether consecutive segments meet: each segment that read frames starts within
    two frame intervals of where the previous one ended (or the file ended before it),
    and on the last overlap frames, which both graphs saw, their landmarks agree
    (median within ``SEAM_TOLERANCE`` of the frame height: same person, same legs)."""
    step = 2.0 / (meta.nominal_fps or 30.0)
    for prev, nxt in zip(parts, parts[1:]):
        if not nxt.time_s:
            continue
        if not prev.time_s or nxt.time_s[0] - prev.time_s[-1] > step + 1e-6:
            return False
        mine = dict(
            zip((round(t, 6) for t in prev.time_s[-SEAM_FRAMES:]), prev.xy_px[-SEAM_FRAMES:])
        )
        shared = [t for t in mine if t in nxt.warmup]
        if shared:
            d = np.linalg.norm(
                np.array([mine[t] for t in shared]) - np.array([nxt.warmup[t] for t in shared]),
                axis=-1,
            )
            if np.isfinite(d).any() and np.nanmedian(d) > SEAM_TOLERANCE * meta.height_px:
                return False
    return True


def _warm_imports() -> None:
    """Import the analysis stages while MediaPipe works (they cost no wall time then)."""
    import importlib

    for mod in (
        "gaitlens.cleaning",
        "gaitlens.events",
        "gaitlens.kinematics",
        "gaitlens.strides",
        "gaitlens.faults",
        "gaitlens.reference",
        "gaitlens.analysis",
        "gaitlens.io.export",
        "gaitlens.report.plots",
        "gaitlens.report.html",
        "gaitlens.report.overlay",
        "matplotlib.backends.backend_agg",
    ):
        try:
            importlib.import_module(mod)
        except Exception:  # the real import later reports any problem
            pass
