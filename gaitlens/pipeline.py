"""``analyze``: the only place that chains the stages.

video -> pose (``PoseTrack``) -> cleaning -> events -> strides -> kinematics -> stride
metrics -> faults -> ``Analysis``. Each stage is a plain function of the previous
stage's container plus its own settings, which ``AnalysisConfig`` builds, so a notebook
can call any stage alone. A saved pose track is reused when the pose options are
unchanged, so re-analysis with new thresholds takes seconds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional, Union

from . import cleaning, events, faults, kinematics, landmark_bias, quality, reference, strides
from .analysis import Analysis
from .config import AnalysisConfig
from .errors import GaitlensError
from .io import timebase
from .io import video as _video
from .io.track import PoseTrack
from .pose.runner import run_pose
from .pose.vertical import estimate_vertical

PathLike = Union[str, os.PathLike]


def analyze(
    video_path: PathLike,
    config: Optional[AnalysisConfig] = None,
    *,
    outdir: Optional[PathLike] = None,
    pose_track: Optional[PoseTrack] = None,
    reuse_pose: bool = True,
    progress: Optional[bool] = None,
    **options,
) -> Analysis:
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
    if "vertical" not in pose_track.video:  # the scene's vertical, from a few frames
        pose_track.video["vertical"] = _scene_vertical(video_path, pose_track, cfg)
    analysis = analyze_track(pose_track, cfg, meta.to_dict())
    if outdir is not None:
        analysis.save(outdir, video_path=video_path, progress=progress)
    return analysis


def analyze_track(track: PoseTrack, config: Optional[AnalysisConfig] = None, meta=None) -> Analysis:
    """All stages after pose: ``PoseTrack`` -> ``Analysis`` (no video needed).

    ``meta``: the clip's metadata, a ``VideoMeta`` or its ``to_dict()`` (default: the
    track's own record of it). The stages run in real time: the track is retimed to the
    camera's capture rate (``config.capture_fps``, else the rate the clip's metadata
    states, else its timestamps; ``gaitlens.io.timebase``), recorded in
    ``track.video["time_base"]``; a track retimed before is first put back in file time.
    """
    cfg = config or AnalysisConfig()
    video = meta.to_dict() if hasattr(meta, "to_dict") else meta
    track = timebase.retime(track, video, cfg.capture_fps)
    quality.check_detection(track)
    clean = cleaning.clean(track, cfg.cleaning_config())
    landmark_bias.apply(clean, track)  # the pose model's hip-landmark delay -> pelvis timing
    gait_events = events.detect(clean, cfg.events_config())
    stride_table = strides.segment(gait_events, clean, cfg.stride_limits())
    frames = kinematics.compute(clean, gait_events, cfg)
    table = strides.measure(stride_table.valid, frames, gait_events, clean, cfg)
    measured = quality.measurement_quality(track, clean, table, frames, stride_table.rejected)
    bands = reference.load_bands(overrides=cfg.bands)
    noise = reference.measurement_noise()
    findings = faults.classify(table, frames, measured, bands, cfg, noise)
    limits = cfg.change_limits()
    changes = strides.find_changes(table, noise, limits)
    segments = strides.segments(table, changes, limits)
    segment_findings = (
        [
            judge_segment(seg, table, stride_table.rejected, frames, measured, bands, cfg, noise)
            for seg in segments
        ]  # fmt: skip
        if len(segments) > 1
        else []
    )
    return Analysis(
        video=dict(video) if video is not None else _file_meta(track),
        track=track,
        clean=clean,
        events=gait_events,
        frames=frames,
        strides=table,
        rejected_strides=stride_table.rejected,
        summary={
            **strides.summarize_timing(stride_table),
            "metrics": strides.summarize_metrics(table),
            # test-retest SEM / MDC95 of the clip medians (docs/reliability.md)
            "measurement_noise": noise.loc[noise.index.intersection(table.columns)].to_dict(
                "index"
            ),
        },
        findings=findings,
        changes=changes,
        segments=segments,
        segment_findings=segment_findings,
        quality=measured,
        config=cfg,
        bands=bands,
        warnings=(
            quality.decode_warnings(track)
            + quality.frame_rate_warnings(track)
            + quality.runner_size_warnings(measured.get("model_leg_px"))
            + _pose_clock_warnings(track)
            + list(clean.warnings)
        ),
        rerun=analyze_track,
    )


def _scene_vertical(video_path: Path, track: PoseTrack, cfg: AnalysisConfig) -> dict:
    """``estimate_vertical`` as a dict, for a pose track made without it (the pose stage
    estimates it on its own frames); a clip whose frames cannot be read again keeps the
    image vertical, with the reason."""
    try:
        return estimate_vertical(
            video_path, track, max_side_px=cfg.model_input_max_side_px
        ).to_dict()
    except Exception as exc:  # optional refinement: never fails the analysis
        return {"applied": False, "reason": f"not estimated ({type(exc).__name__}: {exc})"}


def _pose_clock_warnings(track: PoseTrack) -> list:
    """A track the pose graph smoothed on another clock than the analysis's time base."""
    tb = timebase.of(track)
    name = str(track.backend.get("name", "")).lower()
    if tb is None or name not in landmark_bias.DELAYED_BACKENDS:
        return []
    if not timebase.pose_clock_mismatch(track, tb):
        return []
    return [
        "the pose track was made before the capture rate was known, so the pose model "
        "smoothed its landmarks on the stored time: events and pelvis timing are less "
        "exact; analyse the video again (not a saved pose track) for the calibrated values"
    ]


def _file_meta(track: PoseTrack) -> dict:
    """The clip's metadata as the track recorded it (without the applied time base)."""
    return {k: v for k, v in track.video.items() if k != "time_base"}


def judge_segment(seg, table, rejected, frames, measured, bands, cfg, noise) -> list:
    """The findings of one segment of the clip (between form changes), judged on its
    own strides; its quality counts its own valid and set-aside strides."""
    inside = strides.in_segment(table, seg)
    q = dict(measured, n_valid_strides=int(inside.sum()))
    if rejected is not None and len(rejected) and "ic_s" in rejected:
        t = rejected["ic_s"].to_numpy(float)
        q["n_rejected_strides"] = int(((t >= seg.start_s) & (t < seg.end_s)).sum())
    return faults.classify(table[inside], frames, q, bands, cfg, noise)


def load(outdir: PathLike) -> Analysis:
    """Read a saved analysis back; the stages are re-run from the saved pose track
    with the saved configuration (fast: no pose work), so every container is live."""
    outdir = Path(outdir)
    jp, tp = outdir / "analysis.json", outdir / "pose_track.npz"
    if not jp.is_file() or not tp.is_file():
        raise GaitlensError(
            f"{outdir}: no saved analysis here (analysis.json and "
            "pose_track.npz are needed). Run `gaitlens analyze` first."
        )
    data = json.loads(jp.read_text(encoding="utf-8"))
    cfg = AnalysisConfig().updated(**data.get("config", {}))
    track = PoseTrack.load(tp)
    analysis = analyze_track(track, cfg, data.get("video", track.video))
    analysis.outdir = outdir
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
    # the pose graph's clock: a slow-motion clip's track made on the stored time is not
    # reused once the capture rate is given (MediaPipe smooths on the timestamps)
    clock = timebase.pose_clock(meta.to_dict(), cfg.capture_fps)
    same_clock = abs(float(track.backend.get("time_scale", 1.0) or 1.0) / clock - 1) <= (
        timebase.SAME_RATE_TOL
    )
    return track if (same_video and same_pose and same_clock) else None
