"""``Analysis``: everything one clip's analysis produced, and how it is saved and loaded.

The container holds the stage outputs (pose track, clean track, events, per-frame
signals, stride table, findings) plus measurement quality and warnings. ``save``
writes every output to a temporary folder next to the target and moves the files
into place only when all were written, so an interrupted run leaves no half-written
files. ``load`` reads a saved analysis back; ``_repr_html_`` shows a summary card in
Jupyter (as mne-python objects do).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import __version__
from .config import AnalysisConfig
from .errors import OutputError
from .track import PoseTrack

SCHEMA_VERSION = "1.0"

OUTPUT_FILES = (
    "analysis.json",
    "pose_track.npz",
    "strides.csv",
    "rejected_strides.csv",
    "frames.csv",
    "keypoints.trc",
    "report.html",
    "annotated.mp4",
)


@dataclass
class Analysis:
    video: dict
    track: PoseTrack
    clean: Any = None  # cleaning.CleanTrack
    events: Any = None  # events.GaitEvents
    frames: Optional[pd.DataFrame] = None
    strides: Optional[pd.DataFrame] = None
    rejected_strides: Optional[pd.DataFrame] = None
    summary: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)  # faults.Finding
    quality: dict = field(default_factory=dict)
    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    bands: Any = None  # reference bands table
    warnings: list = field(default_factory=list)
    outdir: Optional[Path] = None

    # ----------------------------------------------------------- conveniences
    @property
    def pose(self) -> pd.DataFrame:
        """The pose track as a DataFrame (one row per frame)."""
        return self.track.to_dataframe()

    def finding(self, fault_id: str):
        for f in self.findings:
            if f.id == fault_id:
                return f
        raise KeyError(fault_id)

    def findings_table(self) -> pd.DataFrame:
        rows = [
            {"fault": f.id, "severity": f.severity, "score": f.score, "confidence": f.confidence}
            for f in self.findings
        ]
        return pd.DataFrame(rows, columns=["fault", "severity", "score", "confidence"])

    def stride_flags(self) -> Optional[pd.DataFrame]:
        """Per stride: which metrics fall outside their band and which faults it shows."""
        if self.strides is None or self.bands is None or not len(self.strides):
            return None
        from .faults import stride_flags

        return stride_flags(
            self.strides,
            self.bands,
            sampling_rate_hz=self.quality.get("sampling_rate_hz"),
            config=self.config,
        )

    def reanalyze(self, **options) -> Analysis:
        """Re-run every stage after pose with changed options (no pose work)."""
        from .pipeline import analyze_track

        return analyze_track(self.track, self.config.updated(**options), meta=_Meta(self.video))

    # ----------------------------------------------------------- plots
    def plot_gait_cycle(self, signal: str = "hip_flexion", **kw):
        from .report import plots

        return plots.plot_gait_cycle(self, signal=signal, **kw)

    def plot_pelvis_timing(self, **kw):
        from .report import plots

        return plots.plot_pelvis_timing(self, **kw)

    def plot_signals(self, **kw):
        from .report import plots

        return plots.plot_signals(self, **kw)

    def plot_left_right(self, **kw):
        from .report import plots

        return plots.plot_left_right(self, **kw)

    # ----------------------------------------------------------- serialisation
    def to_dict(self) -> dict:
        """Everything in ``analysis.json`` (JSON-safe)."""
        from .pipeline import pose_statistics

        out = {
            "schema_version": SCHEMA_VERSION,
            "gaitlens_version": __version__,
            "video": self.video,
            "pose": pose_statistics(self.track),
            "summary": self.summary,
            "quality": self.quality,
            "warnings": list(self.warnings),
            "faults": [f.to_dict() for f in self.findings],
            "strides": _records(self.strides),
            "stride_flags": _records(self.stride_flags()),
            "rejected_strides": _records(self.rejected_strides),
            "config": self.config.to_dict(),
        }
        if self.clean is not None:
            out["runner"] = {
                "facing": getattr(self.clean, "facing", None),
                "near_side": getattr(self.clean, "near_side", None),
                "activity": getattr(self.clean, "activity", None),
                "leg_length_px": getattr(self.clean, "leg_length_px", None),
            }
        return _json_safe(out)

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save(self, outdir, video_path=None, progress=None, force: bool = True) -> Path:
        """Write all outputs to ``outdir`` atomically (temporary folder, then move).

        ``video_path`` is needed for the annotated video (skipped without it or when
        ``config.annotated_video`` is false).
        """
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
            self._write_all(tmp, video_path, progress)
            _move_into_place(tmp, outdir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.outdir = outdir
        return outdir

    def _write_all(self, d: Path, video_path, progress) -> None:
        """Write every output into ``d``. The annotated video (decode, draw, H.264
        encode: mostly native code that releases the GIL) is made on a second thread
        while this one writes the tables and renders the report."""
        import threading

        from .report import export

        video_name = None
        video_thread = None
        video_error: list = []
        stop = threading.Event()
        if self.config.annotated_video and video_path is not None:
            from .report import overlay

            def make_video():
                try:
                    overlay.write_annotated_video(
                        self, video_path, d / "annotated.mp4", progress=progress, stop=stop
                    )
                except BaseException as exc:  # re-raised on the main thread
                    video_error.append(exc)

            video_thread = threading.Thread(
                target=make_video, name="gaitlens-annotate", daemon=True
            )
            video_thread.start()
            video_name = "annotated.mp4"
        try:
            self.track.save(d / "pose_track.npz")
            if self.strides is not None:
                export.write_csv(self.strides, d / "strides.csv")
            if self.rejected_strides is not None:
                export.write_csv(self.rejected_strides, d / "rejected_strides.csv")
            if self.frames is not None:
                export.write_csv(self.frames, d / "frames.csv")
            export.write_trc(self, d / "keypoints.trc")
            from .report import html

            html.write_report(self, d / "report.html", video_file=video_name)
            (d / "analysis.json").write_text(self.to_json(), encoding="utf-8")
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

    # ----------------------------------------------------------- Jupyter
    def _repr_html_(self) -> str:
        from .report import html

        return html.summary_card(self)


def _move_into_place(tmp: Path, outdir: Path) -> None:
    if not outdir.exists():
        os.replace(tmp, outdir)
        return
    for f in OUTPUT_FILES:  # stale outputs of an earlier run must not survive
        if (outdir / f).exists() and not (tmp / f).exists():
            (outdir / f).unlink()
    for f in sorted(tmp.iterdir(), key=lambda p: p.name == "analysis.json"):
        os.replace(f, outdir / f.name)  # analysis.json last: its presence marks "done"
    tmp.rmdir()


def _records(df: Optional[pd.DataFrame]) -> list:
    if df is None:
        return []
    return json.loads(df.to_json(orient="records", double_precision=6))


def _json_safe(obj):
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return None if not math.isfinite(v) else round(v, 6)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return _json_safe(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    return obj


class _Meta:
    def __init__(self, d: dict):
        self._d = d

    def to_dict(self) -> dict:
        return dict(self._d)


def measurement_quality(
    track: PoseTrack, clean, strides: pd.DataFrame, frames: pd.DataFrame
) -> dict:
    """What limits confidence: frame rate, visibility, strides, view, pelvis seen."""
    from .schema import SIDES

    q: dict = {
        "sampling_rate_hz": track.sampling_rate_hz,
        "detection_rate": float(track.detected.mean()) if track.n_frames else 0.0,
        "n_valid_strides": int(len(strides)) if strides is not None else 0,
        "n_valid_strides_per_side": {
            s: int((strides["side"] == s).sum()) if strides is not None and len(strides) else 0
            for s in SIDES
        },
    }
    if frames is not None and len(frames):
        for s in SIDES:
            col = f"{s}_visibility"
            if col in frames:
                q[f"{s}_leg_visibility"] = float(np.nanmean(frames[col]))
        if "pelvic_tilt_confidence" in frames:
            q["pelvic_tilt_confidence"] = float(np.nanmean(frames["pelvic_tilt_confidence"]))
    if clean is not None:
        q["near_side"] = getattr(clean, "near_side", None)
        q["view"] = getattr(clean, "view", None)
        q["swaps_repaired"] = getattr(clean, "swaps_repaired", None)
        q.update({f"cleaning_{k}": v for k, v in (getattr(clean, "quality", {}) or {}).items()})
    return q


def load(outdir) -> Analysis:
    """Read a saved analysis back; the stages are re-run from the saved pose track
    with the saved configuration (fast: no pose work), so every container is live."""
    from .errors import GaitlensError
    from .pipeline import analyze_track

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
    analysis = analyze_track(track, cfg, meta=_Meta(data.get("video", track.video)))
    analysis.outdir = outdir
    return analysis
