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
    ``on_frame(frame, result)`` is called per frame (used for live overlays).
    """
    from .pose import create_backend
    from .pose.mediapipe import quiet_native_stderr

    cfg = config or AnalysisConfig()
    meta = _video.probe(video_path)
    times, xys, viss, sils, people = [], [], [], [], []
    full = (meta.width_px, meta.height_px)
    name = Path(video_path).name
    decode_stats: dict = {}
    # the analysis stages' imports (scipy, pandas, matplotlib: about 2 s) are done on a
    # second thread while MediaPipe works, so they cost no wall time afterwards
    threading.Thread(target=_warm_imports, name="gaitlens-imports", daemon=True).start()
    # MediaPipe's native threads log to fd 2; the progress bar keeps the real stderr
    with quiet_native_stderr() as err:
        backend = create_backend(
            cfg.pose_backend,
            model_complexity=cfg.model_complexity,
            model_path=cfg.pose_model_path,
            segmentation=cfg.segmentation,
        )
        try:
            with _progress(meta.frame_count, f"pose {name}", progress, file=err) as bar:
                for frame in _video.read_frames(
                    video_path, max_side_px=cfg.model_input_max_side_px, stats=decode_stats
                ):
                    res = backend.process(frame.image, frame.time_s, full_size_px=full)
                    times.append(frame.time_s)
                    xys.append(res.xy_px)
                    viss.append(res.visibility)
                    people.append(res.n_people)
                    if res.silhouette is not None:
                        sils.append(res.silhouette)
                    if on_frame is not None:
                        on_frame(frame, res)
                    bar.update(1)
            info = backend.info()
        finally:
            backend.close()
    from .pose import silhouette as _sil

    track = PoseTrack(
        time_s=np.asarray(times),
        xy_px=np.asarray(xys),
        visibility=np.asarray(viss),
        frame_size_px=full,
        video={**meta.to_dict(), "decode": decode_stats},
        backend={**info, "pose_options": cfg.pose_signature()},
        silhouette=np.asarray(sils) if sils and len(sils) == len(times) else None,
        silhouette_names=_sil.FEATURE_NAMES if sils else (),
        n_people=np.asarray(people, dtype=int),
    )
    return track


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
        (e.g. ``runner_height_m=1.8``, ``bands={"pelvis_lag_ms": {"high": 60}}``).
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

    clean = cleaning.clean(track, cfg)
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
