"""Video input and output.

Reading streams frames lazily (memory flat in clip length) with each frame's real
presentation timestamp in seconds: phones record variable frame rate, so time is
never ``index / nominal_fps``. ``probe`` also reads the capture rate a slow-motion clip's
container states (``gaitlens.io.timebase``). Rotation metadata (display matrix) is applied so that
portrait phone clips come out upright. Decoding uses PyAV (FFmpeg) on its own thread.

Writing produces H.264 in MP4 (yuv420p, ``+faststart``), which every browser plays.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence

import numpy as np

from ..errors import VideoReadError
from .timebase import read_capture_fps

VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")


@dataclass(frozen=True)
class VideoMeta:
    """What a video file says about itself (after rotation is applied)."""

    path: str
    width_px: int
    height_px: int
    nominal_fps: float
    frame_count: int  # from the container; may be an estimate for some formats
    duration_s: float
    codec: str
    rotation_deg: int  # counter-clockwise display rotation that was applied
    size_bytes: int
    # the camera's capture rate where the container states it (slow motion: higher than
    # nominal_fps; gaitlens.io.timebase), and where it was read
    capture_fps: Optional[float] = None
    capture_fps_source: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Frame:
    index: int
    time_s: float
    image: np.ndarray  # H x W x 3, RGB, uint8, upright


def open_container(path: str | os.PathLike):
    import av

    p = Path(path)
    if not p.exists():
        raise VideoReadError(f"{p}: file not found. Check the path and try again.")
    if p.is_dir():
        raise VideoReadError(
            f"{p}: is a directory, not a video. Give a video file, or use `gaitlens batch`."
        )
    if p.stat().st_size == 0:
        raise VideoReadError(f"{p}: the file is empty (0 bytes). Copy the video again.")
    try:
        container = av.open(str(p), mode="r")
    except Exception as exc:  # av raises a family of FFmpeg errors
        raise VideoReadError(
            f"{p}: not a readable video ({type(exc).__name__}). "
            "Export it again as MP4 (H.264) and retry."
        ) from None
    if not container.streams.video:
        container.close()
        raise VideoReadError(f"{p}: the file has no video stream. Give a video file.")
    return container


def rotation_of(stream, first_frame=None) -> int:
    rot = 0
    if first_frame is not None:
        rot = int(getattr(first_frame, "rotation", 0) or 0)
    if not rot:
        try:
            rot = int(float(stream.metadata.get("rotate", 0)))
        except (TypeError, ValueError):
            rot = 0
    return rot % 360


def upright(img: np.ndarray, rotation_deg: int) -> np.ndarray:
    """Apply a counter-clockwise display rotation to a decoded frame."""
    k = (rotation_deg // 90) % 4
    return np.ascontiguousarray(np.rot90(img, k=k)) if k else img


def probe(path: str | os.PathLike) -> VideoMeta:
    """Read a video's metadata; decodes the first frame to check it is readable."""
    container = open_container(path)
    try:
        stream = container.streams.video[0]
        first = None
        try:
            first = next(iter(container.decode(stream)), None)
        except Exception:
            first = None
        if first is None:
            raise VideoReadError(
                f"{path}: no frame could be decoded (empty or corrupt video). "
                "Export it again as MP4 (H.264) and retry."
            )
        rot = rotation_of(stream, first)
        w, h = first.width, first.height
        if rot in (90, 270):
            w, h = h, w
        fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1e6
        else:
            duration = 0.0
        n = int(stream.frames or 0)
        if n <= 0 and fps > 0:
            n = int(round(duration * fps))
        capture_fps, capture_source = read_capture_fps(path, container)
        return VideoMeta(
            path=str(Path(path)),
            width_px=int(w),
            height_px=int(h),
            nominal_fps=fps,
            frame_count=n,
            duration_s=duration,
            codec=stream.codec_context.name,
            rotation_deg=rot,
            size_bytes=Path(path).stat().st_size,
            capture_fps=capture_fps,
            capture_fps_source=capture_source,
        )
    finally:
        container.close()


_END = object()


def frame_to_rgb(frame, size: Optional[tuple] = None) -> np.ndarray:
    """A decoded frame as an RGB array, downsized to ``size`` (w, h) by FFmpeg's scaler.

    Down to half size a fast bilinear filter is used (on a 720x1280 clip scaled to
    540x960 it costs nothing over the plain conversion, 3.1 ms per frame, where
    swscale's default bicubic costs 6.3 ms); below half size an area average, which
    does not alias.
    """
    if size is None or (size[0] == frame.width and size[1] == frame.height):
        return frame.to_ndarray(format="rgb24")
    interp = "FAST_BILINEAR" if size[0] >= 0.5 * frame.width else "AREA"
    return frame.to_ndarray(format="rgb24", width=size[0], height=size[1], interpolation=interp)


def first_frame_time_s(path: str | os.PathLike) -> float:
    """Presentation time (s) of a file's first decodable frame: the origin of
    ``read_frames`` timestamps."""
    container = open_container(path)
    try:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            return float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
    except Exception:
        pass
    finally:
        container.close()
    return 0.0


def read_frames(
    path: str | os.PathLike,
    *,
    max_side_px: Optional[int] = None,
    threaded: bool = True,
    queue_size: int = 8,
    stats: Optional[dict] = None,
    start_s: Optional[float] = None,
    end_s: Optional[float] = None,
    origin_s: Optional[float] = None,
    times_s: Optional[Sequence[float]] = None,
) -> Iterator[Frame]:
    """Yield upright RGB frames with their timestamps (seconds from the first frame).

    ``times_s`` (ascending): yield only the first frame at or after each of these times;
    the others are decoded but not converted (a few frames spread over a clip cost one
    decoding pass, cheaper than a seek per frame, which decodes from a key frame).

    ``start_s`` / ``end_s`` read only the frames with ``start_s <= t < end_s``: the
    decoder seeks to the key frame before ``start_s`` (frames before it are decoded
    but not converted). Times stay relative to the file's first frame; pass its
    absolute time as ``origin_s`` (``first_frame_time_s``) when seeking, since the
    first frame is then not seen. ``Frame.index`` counts the frames yielded.

    ``max_side_px`` downsizes frames on the decoder (FFmpeg's scaler) so that the
    pose model gets frames already sized for it. With ``threaded`` the decoding runs
    on its own thread with a bounded queue (memory stays flat). If no frame at all
    decodes, ``VideoReadError`` is raised. Damaged packets in the middle of a file
    are skipped; ``stats`` (a dict, if given) receives ``frames_decoded``,
    ``damaged_packets`` and ``stopped_early``.
    """
    stats = stats if stats is not None else {}
    stats.update(frames_decoded=0, damaged_packets=0, stopped_early=False)
    container = open_container(path)
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    src = Path(path)
    if start_s is not None and start_s > 0:
        if origin_s is None:
            container.close()
            raise ValueError("read_frames: seeking (start_s > 0) needs origin_s")
        target = (origin_s + start_s) / float(stream.time_base)
        container.seek(int(target), stream=stream, backward=True, any_frame=False)

    def frames_skipping_damage():
        """Decoded frames; damaged packets are skipped (counted), not fatal."""
        demux = container.demux(stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                break
            except Exception:  # the container itself is broken from here on
                stats["stopped_early"] = True
                break
            try:
                decoded = packet.decode()
            except Exception:
                stats["damaged_packets"] += 1
                continue
            yield from decoded

    def generate():
        t0 = origin_s
        rot = None
        idx = 0
        size = None
        last_t = -np.inf
        rate = float(stream.average_rate or 30)
        want = None if times_s is None else np.sort(np.asarray(times_s, float))
        k_want = 0
        try:
            for frame in frames_skipping_damage():
                if rot is None:
                    rot = rotation_of(stream, frame)
                    w, h = frame.width, frame.height
                    if max_side_px and max(w, h) > max_side_px:
                        s = max_side_px / max(w, h)
                        size = (int(round(w * s / 2) * 2), int(round(h * s / 2) * 2))
                if frame.pts is None:
                    t = 0.0 if t0 is None else last_t + t0 + 1.0 / rate
                else:
                    t = float(frame.pts * frame.time_base)
                if t0 is None:
                    t0 = t
                t = t - t0
                if t <= last_t:  # repeated or out-of-order timestamps: keep time monotonic
                    t = last_t + 1e-6
                last_t = t
                if start_s is not None and t < start_s - 1e-9:
                    continue
                if end_s is not None and t >= end_s - 1e-9:
                    break
                if want is not None:
                    if k_want >= len(want):
                        break
                    if t < want[k_want] - 1e-9:
                        continue
                    while k_want < len(want) and want[k_want] <= t + 1e-9:
                        k_want += 1
                try:
                    img = frame_to_rgb(frame, size)
                except Exception:
                    stats["damaged_packets"] += 1
                    continue
                stats["frames_decoded"] = idx + 1
                yield Frame(idx, t, upright(img, rot))
                idx += 1
        finally:
            container.close()
        if idx == 0 and start_s is None:
            raise VideoReadError(
                f"{src}: no frame could be decoded: the video is empty, corrupt or "
                "truncated. Export it again as MP4 (H.264) and retry."
            )

    if not threaded:
        yield from generate()
        return

    q: queue.Queue = queue.Queue(maxsize=queue_size)
    stop = threading.Event()

    def worker():
        try:
            for fr in generate():
                while not stop.is_set():
                    try:
                        q.put(fr, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as exc:  # hand the error to the consumer
            q.put(exc)

    th = threading.Thread(target=worker, name="gaitlens-decode", daemon=True)
    th.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        th.join(timeout=2.0)


class VideoWriter:
    """H.264 MP4 writer (browser-playable) with explicit per-frame timestamps.

    Use as a context manager; frames are RGB uint8 of a fixed size. Timestamps keep
    the input's timing (variable frame rate preserved).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        width_px: int,
        height_px: int,
        fps: float = 30.0,
        crf: int = 23,
        preset: str = "veryfast",
    ):
        from fractions import Fraction

        import av

        self.path = Path(path)
        self._av = av
        self._container = av.open(
            str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"}
        )
        rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width = int(width_px) // 2 * 2
        self._stream.height = int(height_px) // 2 * 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": preset}
        self._stream.codec_context.time_base = Fraction(1, 90000)
        self._last_pts = -1
        self.frames_written = 0

    def write(self, image: np.ndarray, time_s: Optional[float] = None) -> None:
        h, w = self._stream.height, self._stream.width
        if image.shape[0] != h or image.shape[1] != w:
            image = np.ascontiguousarray(image[:h, :w])
        frame = self._av.VideoFrame.from_ndarray(image, format="rgb24")
        if time_s is None:
            time_s = self.frames_written / float(self._stream.codec_context.framerate or 30)
        pts = int(round(time_s * 90000))
        if pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        frame.pts = pts
        from fractions import Fraction

        frame.time_base = Fraction(1, 90000)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        if self._container is None:
            return
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
