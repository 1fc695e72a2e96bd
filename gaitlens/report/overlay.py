"""The annotated video and annotated still frames.

Each frame of the input is drawn on with OpenCV (no per-frame matplotlib): the
skeleton (near leg bright, far leg dimmer), hip and knee flexion of the near leg at
its joints, trunk lean at the shoulders, the ESTIMATED pelvic tilt with its confidence
at the pelvis, a flash at each initial contact (IC) and toe-off (TO), the fault flags
of the stride in progress, and a timeline strip of all contacts with a cursor.
Everything that does not change per frame (texts, flags, the timeline) is computed
once, vectorised, before the frame loop. Output: H.264 MP4 via
``gaitlens.io.video.VideoWriter`` with each input frame's own timestamp, so the frame
count and timing equal the input's; frames larger than 1280 px on the long side are
downsized on decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import faults
from ..faults.rules import fault_titles
from ..pelvis import TILT_SEEN_CONFIDENCE
from ..pose.skeleton import BONES
from ..schema import FAULT_IDS, SIDES

#: long side of the annotated video: 960 px keeps the overlay legible and the cost low
#: (720x1280 treadmill clip, 360 frames: 3.6 s at 960 px vs 5.0 s at 1280 px, against
#: about 25 s of pose on the same 2-core machine)
MAX_SIDE_PX = 960
#: x264 settings of the annotated video: "ultrafast" (measured on the 12 s 720x1280
#: treadmill clip, overlay drawn, long side 960 px: 2.1 s and 3.7 MB, against 3.0 s and
#: 2.4 MB with "superfast" and 8 s / 2.5 MB with "veryfast"): the video pass runs
#: beside the report and was the last step on short clips; crf 25 keeps the overlay
#: text crisp (checked on frames of both).
PRESET = "ultrafast"
CRF = 25
#: RGB colours (frames are RGB); matplotlib's tab10 blue/orange, as in the plots.
SIDE_RGB = {"left": (31, 119, 180), "right": (255, 127, 14)}
FLAG_RGB = (230, 40, 40)
WHITE = (255, 255, 255)
EVENT_SHOW_S = 0.12  # how long an IC/TO marker stays on screen
MAX_STANCE_S = 0.6  # longer "stances" on the timeline are missed toe-offs (running: < 0.4 s)


def near_side(analysis) -> str:
    s = getattr(analysis.clean, "near_side", None) or (analysis.quality or {}).get("near_side")
    return s if s in SIDES else "right"


def facing(analysis) -> str:
    s = getattr(analysis.clean, "facing", None)
    return s if s in ("left", "right") else "right"


# ---------------------------------------------------------------------- stride flags
def stride_flags(analysis):
    """Boolean DataFrame (rows = ``analysis.strides``, columns = fault ids): the faults
    the video and the report's stride table flag on each stride.

    The per-stride flags are those of ``analysis.json`` (``Analysis.stride_flags``, the
    one implementation in ``gaitlens.faults.flags``), shown only for findings the verdict
    asserts (judged, mild or marked): the video and the report never flag a fault the
    verdict does not state.
    """
    import pandas as pd

    st = analysis.strides
    if st is None or not len(st):
        return pd.DataFrame(columns=list(FAULT_IDS), dtype=bool)
    out = pd.DataFrame(False, index=st.index, columns=list(FAULT_IDS))
    flags = analysis.stride_flags()
    if flags is None:
        return out
    for f in analysis.findings or []:
        if f.id in out and f.id in flags and faults.finding_asserted(f):
            out[f.id] = flags[f.id].to_numpy(bool)
    return out


# ---------------------------------------------------------------------- per-frame data
@dataclass
class OverlayData:
    time_s: np.ndarray  # (n,)
    xy: np.ndarray  # (n, k, 2) source-image pixels
    names: tuple
    near: str
    facing: str
    hip: dict  # side -> (n,) hip flexion deg
    knee: dict
    trunk: np.ndarray
    tilt: np.ndarray
    tilt_conf: np.ndarray
    events: list  # (time_s, label, side)
    stride_of: dict  # side -> (n,) row position in strides or -1
    stride_num: dict  # side -> (n,) stride number or -1
    flags: np.ndarray  # (n_strides, n_faults) bool
    flag_names: tuple  # short title of each fault, in FAULT_IDS order
    strides_side: list
    strides_ic: np.ndarray
    strides_to: np.ndarray
    strides_next: np.ndarray
    frame_size_px: tuple


def _frame_signal(frames, n, col):
    if frames is None or col not in frames:
        return np.full(n, np.nan)
    out = np.full(n, np.nan)
    idx = frames["frame"].to_numpy(int) if "frame" in frames else np.arange(len(frames))
    ok = (idx >= 0) & (idx < n)
    out[idx[ok]] = frames[col].to_numpy(float)[ok]
    return out


def overlay_data(analysis) -> OverlayData:
    track = analysis.track
    n = track.n_frames
    xy = track.xy_px.astype(float).copy()
    names = list(track.landmark_names)
    # the cleaned points (swaps repaired, outliers removed, gaps filled, filtered) in
    # image pixels where the cleaning stage provides them; raw pose elsewhere
    pts = getattr(analysis.clean, "points", None)
    to_img = getattr(analysis.clean, "to_image_px", None)
    if isinstance(pts, dict) and callable(to_img):
        for name, arr in pts.items():
            if name in names and np.shape(arr) == (n, 2):
                xy[:, names.index(name)] = to_img(np.asarray(arr, float))
    fr = analysis.frames
    hip = {s: _frame_signal(fr, n, f"{s}_hip_flexion_deg") for s in SIDES}
    knee = {s: _frame_signal(fr, n, f"{s}_knee_flexion_deg") for s in SIDES}
    events = []
    ev = analysis.events
    for kind, attr in (("IC", "ic_s"), ("TO", "to_s")):
        d = getattr(ev, attr, None) or {}
        for s in SIDES:
            for t in np.asarray(d.get(s, []), float):
                if np.isfinite(t):
                    events.append((float(t), kind, s))
    st = analysis.strides
    t = track.time_s
    stride_of, stride_num = {}, {}
    if st is not None and len(st):
        flags = stride_flags(analysis).to_numpy(bool)
        sides = list(st["side"])
        ic = st["ic_s"].to_numpy(float)
        to = st["to_s"].to_numpy(float) if "to_s" in st else np.full(len(st), np.nan)
        nxt = st["next_ic_s"].to_numpy(float)
        num = st["stride"].to_numpy() if "stride" in st else np.arange(len(st))
        for s in SIDES:
            rows = np.flatnonzero(st["side"].to_numpy() == s)
            inside = (t[:, None] >= ic[rows][None]) & (t[:, None] < nxt[rows][None])
            has = inside.any(axis=1)
            pos = np.where(has, rows[np.argmax(inside, axis=1)] if len(rows) else -1, -1)
            stride_of[s] = pos
            stride_num[s] = np.where(pos >= 0, num[np.clip(pos, 0, None)], -1)
    else:
        flags = np.zeros((0, len(FAULT_IDS)), bool)
        sides, ic, to, nxt = [], np.zeros(0), np.zeros(0), np.zeros(0)
        for s in SIDES:
            stride_of[s] = np.full(n, -1)
            stride_num[s] = np.full(n, -1)
    return OverlayData(
        time_s=t,
        xy=xy,
        names=tuple(track.landmark_names),
        near=near_side(analysis),
        facing=facing(analysis),
        hip=hip,
        knee=knee,
        trunk=_frame_signal(fr, n, "trunk_lean_deg"),
        tilt=_frame_signal(fr, n, "pelvic_tilt_est_deg"),
        tilt_conf=_frame_signal(fr, n, "pelvic_tilt_confidence"),
        events=sorted(events),
        stride_of=stride_of,
        stride_num=stride_num,
        flags=flags,
        flag_names=tuple(fault_titles("short_title")[f] for f in FAULT_IDS),
        strides_side=sides,
        strides_ic=ic,
        strides_to=to,
        strides_next=nxt,
        frame_size_px=tuple(track.frame_size_px),
    )


# ---------------------------------------------------------------------- drawing
@lru_cache(maxsize=4096)
def _sprite(text: str, scale: float, thick: int):
    """Alpha masks (outline, fill) of an outlined label, rendered once and cached: a
    label is then blended onto each frame instead of re-rasterised (``cv2.putText`` with
    anti-aliasing dominated the drawing time). A ``°`` is drawn as a small circle
    (Hershey fonts lack it). Returns ``(outline, fill, baseline_y)`` float32 masks."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    parts = text.split("°")
    r = max(2, int(3 * scale))
    wsum = sum(cv2.getTextSize(p, font, scale, thick)[0][0] for p in parts)
    wsum += (2 * r + 3) * (len(parts) - 1)
    (_, th), base = cv2.getTextSize("Hg", font, scale, thick)
    pad = max(2, int(4 * scale))
    h, w = th + base + 2 * pad, wsum + 2 * pad
    outline = np.zeros((h, w), np.uint8)
    fill = np.zeros((h, w), np.uint8)
    x, y = pad, pad + th
    for i, part in enumerate(parts):
        if part:
            cv2.putText(outline, part, (x, y), font, scale, 255, thick + 2, cv2.LINE_AA)
            cv2.putText(fill, part, (x, y), font, scale, 255, thick, cv2.LINE_AA)
            x += cv2.getTextSize(part, font, scale, thick)[0][0]
        if i < len(parts) - 1:
            c = (x + r + 1, y - int(18 * scale))
            cv2.circle(outline, c, r, 255, thick + 2, cv2.LINE_AA)
            cv2.circle(fill, c, r, 255, thick, cv2.LINE_AA)
            x += 2 * r + 3
    o = (outline.astype(np.float32) / 255.0)[..., None]
    f = (fill.astype(np.float32) / 255.0)[..., None]
    return o, f, y


def _text(img, text, org, scale, color=WHITE, thick=1, bg=False):
    """Outlined text at ``org`` (baseline left), kept inside the image; with ``bg`` on a
    darkened box. Returns the x after the label."""
    scale = round(float(scale), 2)
    o, f, base_y = _sprite(text, scale, int(thick))
    h, w = o.shape[:2]
    H, W = img.shape[:2]
    if h >= H or w >= W:
        return int(org[0])
    x0 = int(np.clip(org[0] - 4 * scale, 0, W - w))
    y0 = int(np.clip(org[1] - base_y, 0, H - h))
    sub = img[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
    if bg:
        sub *= 0.3
    sub *= 1.0 - o  # black outline
    sub += f * (np.asarray(color, np.float32) - sub)  # coloured fill
    img[y0 : y0 + h, x0 : x0 + w] = sub.astype(np.uint8)
    return x0 + w


def _dim(rgb, f=0.5):
    return tuple(int(c * f) for c in rgb)


def _fmt_deg(v) -> str:
    return "-" if not np.isfinite(v) else f"{v:.0f}°"


def _light(rgb, f=0.45):
    """The colour blended towards white (legible text on dark boxes)."""
    return tuple(int(c + (255 - c) * f) for c in rgb)


def draw_skeleton(img, xy, names, near, scale_px, thick=None):
    """Bones and joints; near leg bright, far leg dimmer and thinner, trunk white."""
    import cv2

    th = thick or max(2, int(round(scale_px * 3)))
    far = "left" if near == "right" else "right"
    order = sorted(BONES, key=lambda b: 0 if b[0].startswith(far) else 1)
    for a, b in order:
        pa, pb = xy[names.index(a)], xy[names.index(b)]
        if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
            continue
        side = a.split("_")[0]
        if side in SIDES and b.startswith(side):
            col = SIDE_RGB[side] if side == near else _dim(SIDE_RGB[side], 0.7)
            w = th if side == near else max(1, th - 1)
        else:
            col, w = (235, 235, 235), max(1, th - 1)
        cv2.line(img, tuple(np.int32(pa)), tuple(np.int32(pb)), col, w, cv2.LINE_AA)
    for s in SIDES:
        for p in ("hip", "knee", "ankle"):
            q = xy[names.index(f"{s}_{p}")]
            if np.isfinite(q).all():
                col = SIDE_RGB[s] if s == near else _dim(SIDE_RGB[s], 0.7)
                cv2.circle(img, tuple(np.int32(q)), th + 1, col, -1, cv2.LINE_AA)
                cv2.circle(img, tuple(np.int32(q)), th + 1, WHITE, 1, cv2.LINE_AA)


def draw_angles(img, od: OverlayData, i: int, xy, fs: float):
    """Near-leg hip/knee flexion at the joints, trunk lean, estimated pelvic tilt."""
    import cv2

    names = od.names
    s = od.near
    back = -1 if od.facing == "right" else 1  # image-x direction behind the runner
    off = int(60 * fs)

    def pt(name):
        return xy[names.index(name)]

    hip = pt(f"{s}_hip")
    knee = pt(f"{s}_knee")
    if np.isfinite(hip).all():
        x = hip[0] + (off if back > 0 else -off - int(210 * fs))
        v = od.hip[s][i]
        txt = "hip -" if not np.isfinite(v) else (
            f"hip flex {v:.0f}°" if v >= 0 else f"hip ext {-v:.0f}°"
        )  # fmt: skip
        _text(img, txt, (x, hip[1] + 6 * fs), fs, _light(SIDE_RGB[s]), bg=True)
    if np.isfinite(knee).all():
        x = knee[0] + (-off - int(180 * fs) if back > 0 else off)
        _text(img, f"knee {_fmt_deg(od.knee[s][i])}", (x, knee[1]), fs, _light(SIDE_RGB[s]),
              bg=True)  # fmt: skip
    sh = np.nanmean([pt("left_shoulder"), pt("right_shoulder")], axis=0)
    hm = np.nanmean([pt("left_hip"), pt("right_hip")], axis=0)
    if np.isfinite(sh).all() and np.isfinite(hm).all():
        top = (int(hm[0]), int(hm[1] - 1.0 * np.hypot(*(sh - hm))))
        cv2.line(img, tuple(np.int32(hm)), top, (200, 200, 200), 1, cv2.LINE_AA)
        lean = od.trunk[i]
        txt = (
            "trunk -"
            if not np.isfinite(lean)
            else f"trunk {abs(lean):.0f}° " + ("fwd" if lean >= 0 else "back")
        )
        x = sh[0] + (off if back > 0 else -off - int(190 * fs))
        _text(img, txt, (x, sh[1]), fs, WHITE, bg=True)
    if np.isfinite(hm).all():
        tilt, conf = od.tilt[i], od.tilt_conf[i]
        if np.isfinite(tilt) and not (np.isfinite(conf) and conf < TILT_SEEN_CONFIDENCE):
            txt = f"pelvic tilt ~{tilt:.0f}° (estimate"
            txt += f", conf {conf:.0%})" if np.isfinite(conf) else ")"
        else:
            txt = "pelvic tilt: not seen"
        x = hm[0] + (off if back > 0 else -off - int(330 * fs))
        _text(img, txt, (x, hm[1] - 30 * fs), 0.85 * fs, (255, 230, 120), bg=True)


def timeline_strip(od: OverlayData, width: int, height: int) -> np.ndarray:
    """Static strip of the whole clip: stance bars per side, flagged strides in red."""
    import cv2

    strip = np.full((height, width, 3), 25, np.uint8)
    t0, t1 = float(od.time_s[0]), float(od.time_s[-1]) if len(od.time_s) else 1.0
    span = max(t1 - t0, 1e-6)
    lane = height // 2

    def x_of(t):
        return int(np.clip((t - t0) / span * (width - 1), 0, width - 1))

    for j, s in enumerate(SIDES):
        y0 = j * lane
        cv2.putText(
            strip, s[0].upper(), (2, y0 + lane - 4), cv2.FONT_HERSHEY_SIMPLEX,
            lane / 30, SIDE_RGB[s], 1, cv2.LINE_AA,
        )  # fmt: skip
        for k, side in enumerate(od.strides_side):
            if side != s:
                continue
            if od.flags.shape[0] and od.flags[k].any():
                xa, xb = x_of(od.strides_ic[k]), x_of(od.strides_next[k])
                cv2.rectangle(strip, (xa, y0 + 1), (xb, y0 + 3), FLAG_RGB, -1)
        for te, kind, side in od.events:
            if side != s:
                continue
            if kind == "IC":
                # the stance ends at the next toe-off of the same foot, unless a foot
                # strike of that foot comes first or it is implausibly late (missed TO)
                nxt = [t for t, k2, s2 in od.events if s2 == s and t > te]
                kinds = [k2 for t, k2, s2 in od.events if s2 == s and t > te]
                if nxt and kinds[0] == "TO" and nxt[0] - te < MAX_STANCE_S:
                    cv2.rectangle(
                        strip, (x_of(te), y0 + 5), (x_of(nxt[0]), y0 + lane - 2), SIDE_RGB[s], -1
                    )
    return strip


def draw_frame(img, od: OverlayData, i: int, scale: float, strip=None, show_panel=True,
               offset=(0.0, 0.0), font_scale=None):  # fmt: skip
    """Draw everything for track frame ``i`` on ``img`` (RGB, modified in place);
    track pixels are multiplied by ``scale`` and shifted by ``-offset`` (crops)."""
    import cv2

    h, w = img.shape[:2]
    fs = font_scale or max(0.35, min(h, w) / 720 * 0.8)
    t = float(od.time_s[i])
    xy = od.xy[i] * scale - np.asarray(offset, float)
    draw_skeleton(img, xy, od.names, od.near, scale_px=min(h, w) / 720)
    draw_angles(img, od, i, xy, fs)
    y = int(28 * fs) + 4
    if show_panel:
        _text(img, f"t {t:5.2f} s   near leg: {od.near}", (8, y), 0.9 * fs, WHITE, bg=True)
        for s in SIDES:
            y += int(30 * fs)
            k = od.stride_of[s][i]
            if k < 0:
                _text(img, f"{s[0].upper()}: no measured stride", (8, y), 0.9 * fs, _dim(WHITE),
                      bg=True)  # fmt: skip
                continue
            fl = [name for name, on in zip(od.flag_names, od.flags[k]) if on]
            txt = f"{s[0].upper()} stride {od.stride_num[s][i]}: " + (
                "FLAG " + ", ".join(fl) if fl else "ok"
            )
            _text(img, txt, (8, y), 0.9 * fs, FLAG_RGB if fl else _light(SIDE_RGB[s]), bg=True)
    # event flashes: IC/TO markers at the foot for a short time after the event
    # (not on stills: the nearest frame may fall just before or after the event, and
    # a marker of the other foot would confuse the still's caption)
    for te, kind, s in od.events if show_panel else ():
        if te <= t < te + EVENT_SHOW_S:
            foot = xy[od.names.index(f"{s}_{'heel' if kind == 'IC' else 'foot_index'}")]
            if np.isfinite(foot).all():
                c = tuple(np.int32(foot))
                cv2.circle(img, c, int(16 * fs), WHITE, 2, cv2.LINE_AA)
                _text(img, f"{kind} {s[0].upper()}", (c[0] - 20 * fs, c[1] + 40 * fs), fs, WHITE)
            if show_panel:
                yb = int(h - (strip.shape[0] if strip is not None else 0) - 12 * fs)
                xb = int(w - 150 * fs) if s == "right" else int(w - 300 * fs)
                _text(img, f"{kind} {s}", (xb, yb), fs, SIDE_RGB[s], bg=True)
    if strip is not None:
        sh = strip.shape[0]
        img[h - sh :] = strip
        t0, t1 = od.time_s[0], od.time_s[-1]
        x = int((t - t0) / max(t1 - t0, 1e-6) * (w - 1))
        cv2.line(img, (x, h - sh), (x, h - 1), WHITE, 2)
    return img


# ---------------------------------------------------------------------- video
def write_annotated_video(analysis, video_path, out_path, progress=None,
                          max_side_px: int = MAX_SIDE_PX, stop=None) -> Path:  # fmt: skip
    """Write the annotated H.264 MP4: one output frame per input frame, same timestamps.

    ``stop`` (a ``threading.Event``) ends the writing at the next frame (Ctrl-C while
    this runs on a second thread; the caller discards the partial file)."""
    from ..io.video import VideoWriter, probe, read_frames

    od = overlay_data(analysis)
    meta = probe(video_path)
    out_path = Path(out_path)
    writer = None
    strip = None
    n_track = len(od.time_s)
    bar = _bar(progress, meta.frame_count, f"annotate {Path(video_path).name}")
    try:
        frames = read_frames(video_path, max_side_px=max_side_px)
        for fr in frames:
            if stop is not None and stop.is_set():
                frames.close()  # stops the decoder thread
                break
            img = fr.image
            if writer is None:
                h, w = img.shape[:2]
                writer = VideoWriter(
                    out_path, w, h, fps=meta.nominal_fps or 30.0, crf=CRF, preset=PRESET
                )
                scale = w / float(od.frame_size_px[0])
                strip = timeline_strip(od, w // 2 * 2, max(16, int(h * 0.05)))
            if not img.flags.writeable or not img.flags.c_contiguous:
                img = np.array(img, copy=True)
            if fr.index < n_track:
                draw_frame(img, od, fr.index, scale, strip=strip[:, : img.shape[1]])
            writer.write(img, fr.time_s)
            if bar is not None:
                bar.update(1)
    finally:
        if writer is not None:
            writer.close()
        if bar is not None:
            bar.close()
    return out_path


def _bar(progress, total, desc):
    if progress is False:
        return None
    if callable(progress) and not isinstance(progress, bool):
        return _CallbackBar(progress, total)
    import sys

    from tqdm.auto import tqdm

    enabled = sys.stderr.isatty() if progress is None else bool(progress)
    if not enabled:
        return None
    return tqdm(total=total or None, desc=desc, unit="frame", leave=False, dynamic_ncols=True)


class _CallbackBar:
    def __init__(self, fn, total):
        self.fn, self.total, self.n = fn, total, 0

    def update(self, k):
        self.n += k
        self.fn(self.n, self.total)

    def close(self):
        pass


# ---------------------------------------------------------------------- stills
def grab_frames(video_path, times_s, max_side_px: int = 960, frame_times_s=None) -> list:
    """The frames nearest to ``times_s`` (seconds from the first frame, as
    ``gaitlens.io.video.read_frames`` counts them): ``[(index, time_s, image), ...]``.

    With ``frame_times_s`` (the track's frame times) the decoder seeks to the keyframe
    before the first requested time instead of decoding from the start, and frames are
    indexed by matching their time to ``frame_times_s``; any seeking problem falls back
    to one sequential pass that stops after the last requested time.
    """
    want = np.asarray(times_s, float)
    if frame_times_s is not None and len(want):
        try:
            got = _grab_seek(video_path, want, max_side_px, np.asarray(frame_times_s, float))
            if all(g is not None for g in got):
                return got
        except Exception:
            pass
    from ..io.video import read_frames

    best = [None] * len(want)
    best_d = np.full(len(want), np.inf)
    last = np.nanmax(want) if len(want) else -1
    for fr in read_frames(video_path, max_side_px=max_side_px):
        d = np.abs(want - fr.time_s)
        for j in np.flatnonzero(d < best_d):
            best[j] = (fr.index, fr.time_s, fr.image)
        best_d = np.minimum(best_d, d)
        if fr.time_s > last + 0.1:
            break
    return best


def _grab_seek(video_path, want, max_side_px, frame_times):
    """Seek once to before the earliest wanted time, decode forward and convert only
    the track frames nearest to the wanted times (known in advance from
    ``frame_times``), so no other frame is converted to an image."""
    from ..io.video import frame_to_rgb, open_container, rotation_of, upright

    idx_wanted = [int(np.argmin(np.abs(frame_times - t))) for t in want]
    targets = {round(float(frame_times[i]), 6): i for i in idx_wanted}
    container = open_container(video_path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        first = next(iter(container.decode(stream)))
        rot = rotation_of(stream, first)
        t0 = float(first.pts * first.time_base)
        w, h = first.width, first.height
        size = None
        if max_side_px and max(w, h) > max_side_px:
            k = max_side_px / max(w, h)
            size = (int(round(w * k / 2) * 2), int(round(h * k / 2) * 2))
        target = t0 + max(float(np.nanmin(want)) - 0.5, 0.0)
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
        images: dict = {}
        last = max(targets)
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            t = float(frame.pts * frame.time_base) - t0
            j = int(np.clip(np.searchsorted(frame_times, t), 1, len(frame_times) - 1))
            j = j - 1 if abs(frame_times[j - 1] - t) < abs(frame_times[j] - t) else j
            key = round(float(frame_times[j]), 6)
            if abs(frame_times[j] - t) <= 1e-3 and key in targets and j not in images:
                images[j] = upright(frame_to_rgb(frame, size), rot)
            if t > last + 0.1 or len(images) == len(targets):
                break
        return [(i, float(frame_times[i]), images[i]) if i in images else None for i in idx_wanted]
    finally:
        container.close()


def annotated_stills(analysis, video_path, times_s, crop: bool = True,
                     max_side_px: int = 960) -> list:  # fmt: skip
    """Still frames at ``times_s`` with the skeleton and angles drawn, cropped to the
    runner (with room for the labels). Returns RGB arrays (None where no frame)."""
    from ..io.timebase import scale_of

    od = overlay_data(analysis)
    # the analysis runs in real time; the video's frames are found in the file's time
    k = scale_of(analysis.track)
    grabbed = grab_frames(video_path, np.asarray(times_s, float) / k, max_side_px=max_side_px,
                          frame_times_s=od.time_s / k)  # fmt: skip
    out = []
    for g in grabbed:
        if g is None or g[0] >= len(od.time_s):
            out.append(None)
            continue
        idx, _, img = g
        scale = img.shape[1] / float(od.frame_size_px[0])
        offset = (0.0, 0.0)
        if crop:
            box = runner_box(od.xy[idx] * scale, img.shape[:2])
            if box is not None:
                xa, ya, xb, yb = box
                img = img[ya:yb, xa:xb]
                offset = (xa, ya)
        img = np.array(img, copy=True)
        fs = max(0.5, img.shape[0] / 520 * 0.75)
        draw_frame(img, od, idx, scale, strip=None, show_panel=False, offset=offset, font_scale=fs)
        out.append(img)
    return out


def runner_box(pts, shape_hw, aspect: float = 0.8):
    """Crop box ``(x0, y0, x1, y1)`` around the keypoints, ``aspect`` = width/height at
    least, with margins so that the joint labels fit."""
    ok = np.isfinite(pts).all(axis=1)
    if ok.sum() < 4:
        return None
    H, W = shape_hw
    x0, y0 = pts[ok].min(axis=0)
    x1, y1 = pts[ok].max(axis=0)
    bh = (y1 - y0) * 1.25
    cy = 0.5 * (y0 + y1)
    bw = max((x1 - x0) * 1.2, aspect * bh)
    cx = 0.5 * (x0 + x1)
    xa, xb = int(max(0, cx - bw / 2)), int(min(W, cx + bw / 2))
    ya, yb = int(max(0, cy - bh / 2)), int(min(H, cy + bh / 2))
    if xb - xa < 20 or yb - ya < 20:
        return None
    return xa, ya, xb, yb
