"""``Analysis``: everything one clip's analysis produced.

The container holds the stage outputs (pose track, clean track, events, per-frame
signals, stride table, findings) plus measurement quality and warnings; ``save``
writes every output file (``gaitlens.io.outputs``, atomic), ``to_dict`` is
``analysis.json``, and ``_repr_html_`` shows a summary card in Jupyter (as mne-python
objects do). ``gaitlens.pipeline`` builds it; ``reanalyze`` re-runs the stages after
pose through the function that built it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pandas as pd

from . import faults, quality
from ._version import __version__
from .config import AnalysisConfig
from .io import outputs
from .io.jsonsafe import json_safe, records
from .io.track import PoseTrack

SCHEMA_VERSION = "1.3"
OUTPUT_FILES = outputs.OUTPUT_FILES


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
    #: form changes within the clip (``strides.FormChange``), the clip cut at them
    #: (``strides.Segment``) and, when there is more than one segment, each segment's
    #: findings judged on its own strides (aligned with ``segments``)
    changes: list = field(default_factory=list)
    segments: list = field(default_factory=list)
    segment_findings: list = field(default_factory=list)
    outdir: Optional[Path] = None
    #: the function that built this analysis from (track, config, video metadata):
    #: ``gaitlens.pipeline.analyze_track``; ``reanalyze`` calls it
    rerun: Optional[Callable] = field(default=None, repr=False, compare=False)

    # ----------------------------------------------------------- conveniences
    @property
    def time_base(self):
        """The time base the stages ran on (``gaitlens.io.timebase.TimeBase``: capture and
        stored frame rate, given / read from the metadata / the file's timestamps)."""
        from .io import timebase

        return timebase.of(self.track) if self.track is not None else None

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
        return faults.findings_table(self.findings)

    @property
    def verdict_differs_between_segments(self) -> bool:
        """True when a fault is judged with different severities in different segments
        of the clip (a form change that changes the verdict)."""
        for fid in {f.id for fs in self.segment_findings for f in fs}:
            sev = {
                f.severity for fs in self.segment_findings for f in fs if f.id == fid and f.judged
            }
            if len(sev) > 1:
                return True
        return False

    def stride_flags(self) -> Optional[pd.DataFrame]:
        """Per stride: which metrics fall outside their band and which faults it shows
        (``gaitlens.faults.stride_flags``; the same table feeds analysis.json, the
        report and the annotated video)."""
        if self.strides is None or self.bands is None or not len(self.strides):
            return None
        return faults.stride_flags(
            self.strides,
            self.bands,
            sampling_rate_hz=self.quality.get("sampling_rate_hz"),
            config=self.config,
            leg_length_px=self.quality.get("leg_length_px"),
        )

    def reanalyze(self, **options) -> Analysis:
        """Re-run every stage after pose with changed options (no pose work)."""
        if self.rerun is None:
            raise RuntimeError("this Analysis was not built by gaitlens.pipeline")
        return self.rerun(self.track, self.config.updated(**options), self.video)

    def compare(self, other: Analysis, labels=("before", "after"), dates=(None, None)):
        """What changed from this session to ``other`` (a later one), against
        measurement noise: ``gaitlens.sessions.Comparison`` (``.save(outdir)`` writes
        compare.html/.json/.csv)."""
        from .sessions import compare

        return compare(self, other, labels=tuple(labels), dates=tuple(dates))

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
        out = {
            "schema_version": SCHEMA_VERSION,
            "gaitlens_version": __version__,
            "video": self.video,
            "pose": quality.pose_statistics(self.track),
            "time_base": self.time_base.to_dict() if self.time_base else None,
            "summary": self.summary,
            "quality": self.quality,
            "warnings": list(self.warnings),
            "faults": [f.to_dict() for f in self.findings],
            "strides": records(self.strides),
            "stride_flags": records(self.stride_flags()),
            "rejected_strides": records(self.rejected_strides),
            "form_changes": {
                "changes": [c.to_dict() for c in self.changes],
                "segments": [
                    {**seg.to_dict(), "findings": [f.to_dict() for f in fs]}
                    for seg, fs in zip(
                        self.segments, self.segment_findings or [[] for _ in self.segments]
                    )
                ],
                "verdict_differs": self.verdict_differs_between_segments,
            },
            "config": self.config.to_dict(),
        }
        if self.clean is not None and self.track is not None:
            from .sessions.facts import session_facts

            out["session"] = session_facts(self).to_dict()
        if self.clean is not None:
            out["runner"] = {
                "facing": getattr(self.clean, "facing", None),
                "near_side": getattr(self.clean, "near_side", None),
                "activity": getattr(self.clean, "activity", None),
                "leg_length_px": getattr(self.clean, "leg_length_px", None),
            }
        return json_safe(out)

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save(self, outdir, video_path=None, progress=None) -> Path:
        """Write all outputs to ``outdir`` atomically (``gaitlens.io.outputs``).

        ``video_path`` is needed for the annotated video (skipped without it or when
        ``config.annotated_video`` is false).
        """
        self.outdir = outputs.save(self, outdir, video_path=video_path, progress=progress)
        return self.outdir

    # ----------------------------------------------------------- Jupyter
    def __repr__(self) -> str:
        """One line: the clip, the strides and the verdicts (the containers behind it
        are large; the dataclass repr printed all of them)."""
        clip = Path(str((self.video or {}).get("path", "?"))).name
        n = 0 if self.strides is None else len(self.strides)
        verdicts = ", ".join(
            f"{f.id}: {f.severity if f.judged else 'no verdict'} ({f.confidence})"
            for f in self.findings
        )
        return f"Analysis(clip={clip!r}, strides={n}, findings=[{verdicts}])"

    def _repr_html_(self) -> str:
        from .report import html

        return html.summary_card(self)
