"""``analyze()``: the only place that chains the stages.

video -> pose (PoseTrack) -> cleaning -> events -> kinematics -> strides ->
faults -> Analysis. Each stage is a plain function of the previous stage's container
plus the config, so a notebook can call any of them alone. A saved pose track is
reused when the pose options are unchanged, so re-analysis with new thresholds is
fast.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np

from . import video as _video
from .config import AnalysisConfig
from .errors import NoRunnerDetectedError
from .track import PoseTrack

PathLike = Union[str, os.PathLike]
MIN_DETECTION_RATE = 0.5  # below this share of frames with a person, nothing is analysed


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
    on_frame: Optional[Callable] = None,
) -> PoseTrack:
    """Run the pose backend over every frame; returns the raw ``PoseTrack``.

    Frames are decoded on their own thread, already downsized to
    ``config.model_input_max_side_px``; landmarks are returned in full-frame pixels.
    One MediaPipe graph keeps about one core busy, so on a multi-core machine the clip
    is cut into consecutive time segments, each run by its own decoder and pose graph
    on its own thread (``config.pose_workers``; see ``pose_segments``). Each segment
    but the first starts ``SEGMENT_OVERLAP_S`` early so that the graph's tracking and
    landmark smoothing have settled when its own frames begin; the overlap frames are
    discarded. ``on_frame(frame, result)`` is called per frame (used for live
    overlays; it forces one worker so frames arrive in order).
    """
    from .pose import silhouette as _sil
    from .pose.mediapipe import quiet_native_stderr

    cfg = config or AnalysisConfig()
    meta = _video.probe(video_path)
    full = (meta.width_px, meta.height_px)
    name = Path(video_path).name
    # the analysis stages' imports (scipy, pandas, matplotlib: about 2 s) are done on a
    # second thread while MediaPipe works, so they cost no wall time afterwards
    threading.Thread(target=_warm_imports, name="gaitlens-imports", daemon=True).start()
    workers = 1 if on_frame is not None else resolve_pose_workers(cfg.pose_workers)
    from .pose import prepare_backend

    prepare_backend(  # the model, fetched once here (visibly), not by every segment
        cfg.pose_backend, model_complexity=cfg.model_complexity, model_path=cfg.pose_model_path
    )
    segments = pose_segments(meta.duration_s, workers)
    origin_s = _video.first_frame_time_s(video_path) if len(segments) > 1 else None
    # MediaPipe's native threads log to fd 2; the progress bar keeps the real stderr
    with quiet_native_stderr() as err:
        with _progress(meta.frame_count, f"pose {name}", progress, file=err) as bar:
            parts = _run_segments(video_path, cfg, segments, origin_s, full, bar, on_frame)
            rerun = len(parts) > 1 and not _segments_join(parts, meta)
            if rerun:
                # a seek that did not land where asked (odd container, damage at a cut)
                # or graphs that disagree at a seam: read the clip in one go
                bar.reset()
                parts = _run_segments(video_path, cfg, [(None, None)], None, full, bar, None)
    times = [t for p in parts for t in p.time_s]
    stats = {
        "frames_decoded": len(times),
        "damaged_packets": sum(p.stats.get("damaged_packets", 0) for p in parts),
        "stopped_early": any(p.stats.get("stopped_early", False) for p in parts),
        "pose_workers": len(parts),
        "segments_rerun_in_one_pass": rerun,
    }
    sils = [x for p in parts for x in p.silhouette]
    track = PoseTrack(
        time_s=np.asarray(times, dtype=float),
        xy_px=np.asarray([x for p in parts for x in p.xy_px]),
        visibility=np.asarray([x for p in parts for x in p.visibility]),
        frame_size_px=full,
        video={**meta.to_dict(), "decode": stats},
        backend={**parts[0].info, "pose_options": cfg.pose_signature()},
        silhouette=np.asarray(sils) if sils and len(sils) == len(times) else None,
        silhouette_names=_sil.FEATURE_NAMES if sils else (),
        n_people=np.asarray([x for p in parts for x in p.n_people], dtype=int),
    )
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


def pose_segments(duration_s: float, workers: int) -> list:
    """``[(keep_from_s, keep_until_s), ...]``: consecutive time segments of at least
    ``MIN_SEGMENT_S`` (``None`` = open end); one segment when the clip is short, its
    duration unknown or ``workers`` is 1."""
    if workers < 2 or not duration_s or duration_s < 2 * MIN_SEGMENT_S:
        return [(None, None)]
    n = int(min(workers, duration_s // MIN_SEGMENT_S))
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


def _pose_segment(
    video_path, cfg, keep_from, keep_until, origin_s, full, bar, on_frame, stop, seg
) -> None:
    from .pose import create_backend

    start = None if keep_from is None else max(0.0, keep_from - SEGMENT_OVERLAP_S)
    backend = create_backend(
        cfg.pose_backend,
        model_complexity=cfg.model_complexity,
        model_path=cfg.pose_model_path,
        segmentation=cfg.segmentation,
    )
    frames = _video.read_frames(
        video_path,
        max_side_px=cfg.model_input_max_side_px,
        stats=seg.stats,
        start_s=start,
        end_s=keep_until,
        origin_s=origin_s,
    )
    try:
        for frame in frames:
            if stop.is_set():
                return
            res = backend.process(frame.image, frame.time_s, full_size_px=full)
            if keep_from is not None and frame.time_s < keep_from - 1e-9:
                seg.warmup[round(frame.time_s, 6)] = res.xy_px  # compared at the seam
                continue  # overlap: the graph warms up on these frames
            seg.time_s.append(frame.time_s)
            seg.xy_px.append(res.xy_px)
            seg.visibility.append(res.visibility)
            seg.n_people.append(res.n_people)
            if res.silhouette is not None:
                seg.silhouette.append(res.silhouette)
            if on_frame is not None:
                on_frame(frame, res)
            bar.update(1)
        seg.info = backend.info()
    finally:
        frames.close()  # stops this segment's decoder thread
        backend.close()


def _run_segments(video_path, cfg, segments, origin_s, full, bar, on_frame) -> list:
    """Run each segment on its own thread (one segment: in this thread)."""
    parts = [_Segment() for _ in segments]
    stop = threading.Event()

    def work(seg, keep_from, keep_until):
        try:
            _pose_segment(
                video_path, cfg, keep_from, keep_until, origin_s, full, bar, on_frame, stop, seg
            )
        except BaseException as exc:  # handed to the caller below
            seg.error = exc
            stop.set()

    if len(segments) == 1:
        work(parts[0], *segments[0])
    else:
        threads = [
            threading.Thread(target=work, args=(seg, *bounds), name=f"gaitlens-pose-{k}")
            for k, (seg, bounds) in enumerate(zip(parts, segments))
        ]
        for th in threads:
            th.daemon = True
            th.start()
        try:
            for th in threads:
                while th.is_alive():
                    th.join(timeout=0.2)
        except BaseException:  # Ctrl-C: stop the workers at their next frame
            stop.set()
            # and wait for them: a thread still inside MediaPipe's native graph when the
            # interpreter exits aborts the process (SIGABRT instead of exit code 130)
            for th in threads:
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
    import importlib

    for mod in (
        "gaitlens.cleaning",
        "gaitlens.events",
        "gaitlens.strides",
        "gaitlens.kinematics",
        "gaitlens.stride_metrics",
        "gaitlens.faults",
        "gaitlens.reference",
        "gaitlens.analysis",
        "gaitlens.report.export",
        "gaitlens.report.plots",
        "gaitlens.report.html",
        "gaitlens.report.overlay",
        "matplotlib.backends.backend_agg",
    ):
        try:
            importlib.import_module(mod)
        except Exception:  # the real import later reports any problem
            pass


def pose_statistics(track: PoseTrack) -> dict:
    """Frames, frames with a person, detection rate and mean visibility per landmark."""
    det = track.detected
    vis = track.visibility[det] if det.any() else np.zeros((0, len(track.landmark_names)))
    return {
        "frames": int(track.n_frames),
        "frames_with_person": int(det.sum()),
        "detection_rate": float(det.mean()) if track.n_frames else 0.0,
        "sampling_rate_hz": track.sampling_rate_hz,
        "mean_visibility": {
            name: (float(vis[:, j].mean()) if len(vis) else 0.0)
            for j, name in enumerate(track.landmark_names)
        },
        "backend": track.backend,
    }


def check_detection(track: PoseTrack) -> None:
    stats_rate = float(track.detected.mean()) if track.n_frames else 0.0
    src = track.video.get("path", "the video")
    if stats_rate == 0:
        raise NoRunnerDetectedError(
            f"{src}: no person was found in any frame. Film the runner from the side, "
            "whole body in view, in good light."
        )
    if stats_rate < MIN_DETECTION_RATE:
        raise NoRunnerDetectedError(
            f"{src}: a person was found in only {stats_rate:.0%} of frames. Keep the whole "
            "runner in view for the entire clip and film in good light."
        )


def analyze(
    video_path: PathLike,
    config: Optional[AnalysisConfig] = None,
    *,
    outdir: Optional[PathLike] = None,
    pose_track: Optional[PoseTrack] = None,
    reuse_pose: bool = True,
    progress: Optional[bool] = None,
    **options,
):
    """Analyse one side-view treadmill running clip.

    Parameters
    ----------
    video_path : the clip.
    config : an ``AnalysisConfig``; ``options`` override its fields
        (e.g. ``runner_height_m=1.8``, ``bands={"pelvis_lag_ms": {"high": 200}}``).
    outdir : if given, the outputs are written there (see ``Analysis.save``), and a pose
        track saved there earlier with the same pose options is reused.
    pose_track : a ``PoseTrack`` to use instead of running pose.
    """
    cfg = (config or AnalysisConfig()).updated(**options)
    video_path = Path(video_path)
    meta = _video.probe(video_path)
    if pose_track is None and reuse_pose and outdir is not None:
        pose_track = _saved_track(Path(outdir), meta, cfg)
    if pose_track is None:
        pose_track = run_pose(video_path, cfg, progress=progress)
    analysis = analyze_track(pose_track, cfg, meta)
    if outdir is not None:
        analysis.save(outdir, video_path=video_path, progress=progress)
    return analysis


def _saved_track(outdir: Path, meta, cfg: AnalysisConfig) -> Optional[PoseTrack]:
    p = outdir / "pose_track.npz"
    if not p.is_file():
        return None
    try:
        track = PoseTrack.load(p)
    except Exception:
        return None
    same_video = (
        track.video.get("size_bytes") == meta.size_bytes
        and abs(track.video.get("duration_s", -1) - meta.duration_s) < 1e-6
    )
    same_pose = track.backend.get("pose_options") == cfg.pose_signature()
    return track if (same_video and same_pose) else None


def analyze_track(track: PoseTrack, config: Optional[AnalysisConfig] = None, meta=None):
    """All stages after pose: PoseTrack -> ``Analysis`` (no video needed)."""
    cfg = config or AnalysisConfig()
    check_detection(track)
    from . import cleaning, events, faults, kinematics, reference, stride_metrics, strides
    from .analysis import Analysis, measurement_quality
    from .landmark_bias import apply as apply_landmark_delay

    clean = cleaning.clean(track, cfg)
    apply_landmark_delay(clean, track)  # MediaPipe's hip-landmark delay -> pelvis timing
    gait_events = events.detect(clean, cfg)
    stride_table = strides.segment(gait_events, clean, cfg)
    frames = kinematics.compute(clean, gait_events, cfg)
    table = stride_metrics.measure(stride_table.valid, frames, gait_events, clean, cfg)
    quality = measurement_quality(track, clean, table, frames)
    bands = reference.load_bands(overrides=cfg.bands)
    findings = faults.classify(table, frames, quality, bands, cfg)
    return Analysis(
        video=(meta.to_dict() if meta is not None else dict(track.video)),
        track=track,
        clean=clean,
        events=gait_events,
        frames=frames,
        strides=table,
        rejected_strides=stride_table.rejected,
        summary={**strides.summarize(stride_table), "metrics": stride_metrics.summarize(table)},
        findings=findings,
        quality=quality,
        config=cfg,
        bands=bands,
        warnings=decode_warnings(track) + frame_rate_warnings(track) + list(clean.warnings),
    )


LOW_FRAME_RATE_HZ = 25.0


def frame_rate_warnings(track: PoseTrack) -> list:
    """Event timing is quantised by the frame interval (one frame = 1000/fps ms)."""
    fps = track.sampling_rate_hz
    if np.isfinite(fps) and fps < LOW_FRAME_RATE_HZ:
        return [
            f"low frame rate ({fps:.0f} fps): contact and event times are only good to "
            f"about ±{1000 / fps:.0f} ms; film at 60 fps or more"
        ]
    return []


def decode_warnings(track: PoseTrack) -> list:
    """Warnings about frames the decoder could not read (damaged or truncated file)."""
    d = track.video.get("decode") or {}
    out = []
    expected = int(track.video.get("frame_count") or 0)
    if d.get("damaged_packets"):
        out.append(
            f"{d['damaged_packets']} damaged video packets were skipped; the clip has "
            "gaps (re-export the video if results look wrong)"
        )
    if d.get("stopped_early") or (expected and track.n_frames < 0.95 * expected):
        out.append(
            f"only {track.n_frames} of about {expected} frames could be read (the file "
            "looks truncated or damaged); the analysis uses what was read"
        )
    return out
