"""The clip's time base: how many frames the camera captured per real second.

A slow-motion clip is captured at a high frame rate (phones: 120, 240 or 960 fps; lab
cameras: 100-1000 fps) and stored for playback at a normal rate (usually 30 fps), so its
timestamps run k = capture / stored times slower than the motion. Every number gaitlens
measures in seconds (cadence, contact time, pelvis lag) is then k times too slow, and
the cleaning stage refuses the clip as walking or finds no plausible stride.

Where the capture rate comes from, in order:

1. given: ``capture_fps`` (``--capture-fps N``, config ``capture_fps``);
2. metadata (``read_capture_fps``): a capture-rate tag of the container, e.g. Android's
   ``com.android.capture.fps`` (an ``mdta`` key of the MP4's ``moov/meta``, written by
   Android's MediaRecorder for high-speed and time-lapse capture), or QuickTime
   slow-motion timing: an edit list that plays the video media at a rate below 1 (the
   QuickTime way of slowing a segment; the frames keep their capture timestamps in the
   media, which is what the decoder returns, so the frame rate read is the capture rate);
3. the file: the timestamps as stored.

When the capture rate is known before pose (given or in the metadata), the pose graph is
given real-time timestamps (``pose_clock``): MediaPipe smooths its landmarks over time (a
One Euro filter, Casiez et al. 2012), and fed the stored timestamps of a 240 fps clip
stored at 30 fps its hip landmarks trail the true hip by 10-23 ms instead of the 38-46 ms
they trail at any real rate, for which the pelvis timing corrects (42 ms; renders,
docs/events.md, "Slow motion and high frame rates"); with real time the landmarks are
those of the same frames stored at the capture rate. The pose track keeps the file's
timestamps (and the clock it was made with, ``backend["time_scale"]``); the stages after
pose run on it retimed to real time (``retime``, recorded in ``video["time_base"]``). A
saved track is reused only when its clock matches (``pipeline``); a track whose clock
does not match the time base is analysed with a warning (``pose_clock_mismatch``).
"""

from __future__ import annotations

import math
import os
import re
import struct
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

#: sources of a time base, in the order they are trusted
SOURCES = ("given", "metadata", "file")
#: a capture rate within this fraction of the stored rate is the stored rate (a normal
#: clip whose tag repeats its frame rate, or a variable-rate clip's median)
SAME_RATE_TOL = 0.02
#: container tags that hold a capture rate (Android; any vendor's ``...capture.fps``)
CAPTURE_TAG = re.compile(r"capture[._-]?(fps|frame[._-]?rate)$", re.IGNORECASE)
#: the moov box of a larger file is not read (QuickTime timing is then not looked for)
MAX_MOOV_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class TimeBase:
    """How file time maps to real time. ``scale`` = real seconds per file second."""

    stored_fps: float  # frames per second of the file's timestamps (median interval)
    capture_fps: float  # frames per real second: the rate the analysis uses
    source: str  # "given", "metadata" or "file"
    detail: str = ""  # where the rate was read, or how it was given
    metadata_fps: Optional[float] = None  # what the container said, when it said anything

    @property
    def scale(self) -> float:
        if not (self.stored_fps > 0 and self.capture_fps > 0):
            return 1.0
        return float(self.stored_fps / self.capture_fps)

    @property
    def slow_motion_factor(self) -> float:
        """Capture rate / stored rate (8 for 240 fps stored at 30 fps; 1 for real time)."""
        return 1.0 / self.scale

    @property
    def retimed(self) -> bool:
        return abs(self.scale - 1.0) > 1e-12

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(scale=self.scale, slow_motion_factor=self.slow_motion_factor, text=self.text())
        return d

    @classmethod
    def from_dict(cls, d: Optional[dict]) -> Optional[TimeBase]:
        if not d:
            return None
        keys = ("stored_fps", "capture_fps", "source", "detail", "metadata_fps")
        return cls(**{k: d[k] for k in keys if k in d})

    def text(self) -> str:
        """One sentence for the report, the CLI and analysis.json."""
        cap, st = self.capture_fps, self.stored_fps
        if self.source == "file":
            return f"time base from the file's timestamps ({st:.4g} fps)"
        where = {"given": "given", "metadata": "read from the file's metadata"}[self.source]
        how = f" ({self.detail})" if self.detail else ""
        if not self.retimed:
            return f"time base {where}{how}: captured at {cap:.4g} fps, timestamps in real time"
        return (
            f"time base {where}{how}: captured at {cap:.4g} fps, stored at {st:.4g} fps "
            f"({self.slow_motion_factor:.3g}x slow motion); all times are real time"
        )


# ---------------------------------------------------------------------- resolving
def stored_rate(time_s: np.ndarray) -> float:
    """Frames per second of the timestamps (median interval); NaN under 2 frames."""
    t = np.asarray(time_s, float)
    if len(t) < 2:
        return float("nan")
    dt = float(np.median(np.diff(t)))
    return 1.0 / dt if dt > 0 else float("nan")


def resolve(track, video: Optional[dict] = None, capture_fps: Optional[float] = None) -> TimeBase:
    """The time base of ``track`` (in file time): ``capture_fps`` if given, else the
    capture rate in ``video`` (``VideoMeta.to_dict()``: ``capture_fps`` read from the
    container), else the file's own timestamps."""
    video = video if video is not None else getattr(track, "video", {}) or {}
    st = stored_rate(track.time_s)
    meta_fps = video.get("capture_fps")
    meta_fps = float(meta_fps) if meta_fps and float(meta_fps) > 0 else None
    if capture_fps:
        cap, src = float(capture_fps), "given"
        detail = f"capture_fps = {cap:g}"
        if meta_fps and abs(meta_fps / cap - 1) > SAME_RATE_TOL:
            detail += f"; the file's metadata says {meta_fps:g} fps"
    elif meta_fps:
        cap, src = meta_fps, "metadata"
        detail = str(video.get("capture_fps_source") or "capture-rate tag")
    else:
        return TimeBase(st, st, "file")
    if np.isfinite(st) and abs(cap / st - 1) <= SAME_RATE_TOL:
        cap = st  # the stored rate (a tag repeating the frame rate; VFR jitter)
    return TimeBase(st, cap, src, detail, meta_fps)


def pose_clock(video: dict, capture_fps: Optional[float] = None) -> float:
    """Real seconds per file second for the pose stage's timestamps, from what is known
    before pose: ``capture_fps`` or the container's capture rate over the nominal frame
    rate (1 when neither is known, or within ``SAME_RATE_TOL``)."""
    cap = capture_fps or video.get("capture_fps")
    nominal = video.get("nominal_fps")
    if not cap or not nominal or not float(cap) > 0 or not float(nominal) > 0:
        return 1.0
    s = float(nominal) / float(cap)
    return 1.0 if abs(s - 1) <= SAME_RATE_TOL else s


def pose_clock_mismatch(track, tb: TimeBase) -> bool:
    """The pose graph smoothed ``track``'s landmarks on a clock other than ``tb``'s
    (a track made before the capture rate was known, then retimed)."""
    used = float((getattr(track, "backend", {}) or {}).get("time_scale", 1.0) or 1.0)
    return abs(used / tb.scale - 1) > SAME_RATE_TOL


def of(track) -> Optional[TimeBase]:
    """The time base applied to ``track`` (None when it is in file time)."""
    return TimeBase.from_dict((getattr(track, "video", {}) or {}).get("time_base"))


def scale_of(track) -> float:
    """Real seconds per file second of ``track`` (1 when it is in file time)."""
    tb = of(track)
    return tb.scale if tb is not None else 1.0


def file_time(track):
    """``track`` with the file's timestamps (undoes ``retime``; the same object when it
    was never retimed)."""
    tb = of(track)
    if tb is None:
        return track
    video = {k: v for k, v in track.video.items() if k != "time_base"}
    return track.copy(time_s=track.time_s / tb.scale, video=video)


def retime(track, video: Optional[dict] = None, capture_fps: Optional[float] = None):
    """``track`` in real time: its file-time version with the resolved time base
    applied (``resolve``), recorded in ``track.video["time_base"]``."""
    raw = file_time(track)
    tb = resolve(raw, video, capture_fps)
    if track.video.get("time_base") == tb.to_dict():
        return track  # already in this time base (re-analysis): the same track, no copy
    return raw.copy(time_s=raw.time_s * tb.scale, video={**raw.video, "time_base": tb.to_dict()})


# ---------------------------------------------------------------------- metadata
def read_capture_fps(path, container=None) -> tuple[Optional[float], str]:
    """The capture rate the container states, and where: ``(fps, source)`` or
    ``(None, "")``. ``container``: an open PyAV container of ``path`` (its tags)."""
    if container is not None:
        tags = dict(container.metadata or {})
        for st in container.streams.video:
            tags.update({k: v for k, v in (st.metadata or {}).items() if k not in tags})
        for key, val in tags.items():
            if CAPTURE_TAG.search(str(key)):
                try:
                    fps = float(str(val).strip())
                except ValueError:
                    continue
                if math.isfinite(fps) and fps > 0:
                    return fps, f"{key} = {fps:g}"
    try:
        qt = quicktime_timing(path)
    except (OSError, struct.error, ValueError):
        qt = None
    if qt and qt["slow_motion"]:
        return qt["media_fps"], (
            f"QuickTime edit list plays the video at {qt['min_rate']:.3g}x speed; "
            f"frames timed at {qt['media_fps']:g} fps"
        )
    return None, ""


_ISO_TOP = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}


def _boxes(buf: bytes, start: int, end: int):
    """``(type, payload_start, box_end)`` of the boxes in ``buf[start:end]``."""
    i = start
    while i + 8 <= end:
        size, typ = struct.unpack_from(">I4s", buf, i)
        hdr = 8
        if size == 1:
            if i + 16 > end:
                return
            size = struct.unpack_from(">Q", buf, i + 8)[0]
            hdr = 16
        elif size == 0:
            size = end - i
        if size < hdr or i + size > end:
            return
        yield typ, i + hdr, i + size
        i += size


def _child(buf, start, end, *path):
    for name in path:
        for typ, a, b in _boxes(buf, start, end):
            if typ == name:
                start, end = a, b
                break
        else:
            return None
    return start, end


def _moov(path) -> Optional[bytes]:
    """The ``moov`` box of an ISO-BMFF / QuickTime file (None for other formats)."""
    with open(path, "rb") as f:
        n = os.fstat(f.fileno()).st_size
        pos = 0
        while pos + 8 <= n:
            f.seek(pos)
            head = f.read(16)
            size, typ = struct.unpack(">I4s", head[:8])
            if typ not in _ISO_TOP and pos == 0:
                return None
            hdr = 8
            if size == 1:
                size, hdr = struct.unpack(">Q", head[8:16])[0], 16
            elif size == 0:
                size = n - pos
            if size < hdr:
                return None
            if typ == b"moov":
                if size > MAX_MOOV_BYTES:
                    return None
                f.seek(pos)
                return f.read(size)
            pos += size
    return None


def _timescale_duration(buf, a) -> tuple[int, int]:
    """``(timescale, duration)`` of an ``mvhd`` / ``mdhd`` payload at ``a``."""
    if buf[a] == 1:
        return struct.unpack_from(">IQ", buf, a + 20)
    return struct.unpack_from(">II", buf, a + 12)


def quicktime_timing(path) -> Optional[dict]:
    """The video track's edit list and frame rate of an MP4 / QuickTime file:
    ``{"rates", "min_rate", "media_fps", "slow_motion"}`` (None when the file is not
    ISO-BMFF or has no video track). ``slow_motion``: an edit plays the media at a rate
    below 1 (QuickTime File Format, edit list atom: media rate)."""
    buf = _moov(path)
    if buf is None:
        return None
    for typ, a, b in _boxes(buf, 8, len(buf)):
        if typ != b"trak":
            continue
        mdia = _child(buf, a, b, b"mdia")
        if mdia is None:
            continue
        hdlr = _child(buf, *mdia, b"hdlr")
        if hdlr is None or buf[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
            continue
        rates = []
        elst = _child(buf, a, b, b"edts", b"elst")
        if elst is not None:
            e0 = elst[0]
            version, count = buf[e0], struct.unpack_from(">I", buf, e0 + 4)[0]
            size = 20 if version == 1 else 12
            for k in range(min(count, (elst[1] - e0 - 8) // size)):  # edits, not frames
                p = e0 + 8 + k * size
                if version == 1:
                    _, media_time, rate = struct.unpack_from(">Qqi", buf, p)
                else:
                    _, media_time, rate = struct.unpack_from(">Iii", buf, p)
                if media_time != -1:  # -1: an empty edit (a pause), no media
                    rates.append(rate / 65536.0)
        media_fps = None
        mdhd = _child(buf, *mdia, b"mdhd")
        stts = _child(buf, *mdia, b"minf", b"stbl", b"stts")
        if mdhd is not None and stts is not None:
            timescale, _ = _timescale_duration(buf, mdhd[0])
            n = struct.unpack_from(">I", buf, stts[0] + 4)[0]
            pairs = [struct.unpack_from(">II", buf, stts[0] + 8 + 8 * k)
                     for k in range(min(n, (stts[1] - stts[0] - 8) // 8))]  # fmt: skip
            if pairs and timescale:
                count, delta = max(pairs, key=lambda cd: cd[0])  # the most common interval
                media_fps = timescale / delta if delta else None
        positive = [r for r in rates if r > 0]
        min_rate = min(positive) if positive else 1.0
        return {
            "rates": rates,
            "min_rate": min_rate,
            "media_fps": media_fps,
            "slow_motion": bool(media_fps and min_rate < 1 - SAME_RATE_TOL),
        }
    return None
