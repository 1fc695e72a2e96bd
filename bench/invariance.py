"""Same run, same answer (issue 20): does the answer hold still on copies of a clip?

A clip is copied in ways that must not change the answer (mirrored, 1/2 and 1/4 size,
low bitrate, frame rate halved from 60 fps, runner smaller in the frame, rotated by
+-3 deg, darker and lower contrast, plain re-encode, pose run in two time segments) and
cut into halves; each copy is analysed, and per stride metric (median over the valid
strides, near leg, far leg and pooled) and per finding (severity, confidence, score)
the harness reports the spread across copies (max - min, original included), the
difference between the halves (second - first) and, for 30 fps clips, the change at
15 fps (a degradation, reported apart). The targets of issue 20 are marked pass/fail.

Copies are made with the ffmpeg binary of imageio-ffmpeg (libx264, crf 18 unless the
copy is about bitrate). Pose tracks are cached (``PoseTrack.save``) under
``$GAITLENS_INVARIANCE_CACHE`` (default ``/work/cache/invariance``)
``/<clip>/<copy>.npz``, so re-running after a change in any stage after pose takes
seconds (``analyze_track`` on the cached tracks); ``--fresh-pose`` re-runs MediaPipe.
Pose runs with one worker (``pose_workers=1``): deterministic, one core.

Usage (from the repository root)::

    nice python bench/invariance.py                 # the shared real clip
    nice python bench/invariance.py --renders       # the synthetic renders (RENDERS)
    nice python bench/invariance.py --all           # both
    python bench/invariance.py some_clip.mp4 --truth-cadence 170

Writes ``bench/results/invariance_<clip>.json`` and ``.md``. Left/right are reported
as near/far leg: mirroring turns a runner's near left leg into a geometric "right" one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gaitlens.strides.metrics import METRIC_COLUMNS, TIMING_METRIC_COLUMNS  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
REAL_CLIP = SHARED / "videos" / "treadmill_side_runner_30fps.mp4"
#: ../shared/data/README.md: cadence of the real clip from raw pixels, +-0.5 spm
REAL_CADENCE_SPM = 168.9
CACHE = Path(os.environ.get("GAITLENS_INVARIANCE_CACHE", "/work/cache/invariance"))
RESULTS = ROOT / "bench" / "results"
POSE_WORKERS = 1

SIDES_NF = ("near", "far", "pooled")
#: the per-stride timing and metric columns of strides.csv, from the metric registry
#: (BIOMECHANICS.md section 5): a metric added to the package is measured here too
TIMING = TIMING_METRIC_COLUMNS
KINEMATIC = METRIC_COLUMNS
METRICS = TIMING + KINEMATIC
#: per-stride columns kept in the results for the halves / odd-even splits and diagnosis
STRIDE_KEEP = (
    ("ic_s", "to_s", "next_ic_s")
    + METRICS
    + (
        "thigh_av_peak_pct_cycle",
        "pelvis_vx_peak_pct_cycle",
        "hip_flexion_swing_peak_pct_cycle",
    )
)
FAULTS = ("pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed")

# ------------------------------------------------------------------ targets (issue 20)
ANGLE_TARGET_DEG = 3.0
ANGLES_AT_EVENTS = (
    "shank_angle_ic_deg",
    "knee_flexion_ic_deg",
    "hip_flexion_ic_deg",
    "hip_extension_to_deg",
    "knee_flexion_midstance_deg",
    "hip_flexion_midstance_deg",
)
#: metric -> (max spread, unit scale to the stated unit, text); spread in the metric's unit
SPREAD_TARGETS = {
    "contact_time_s": (0.015, "<= 15 ms"),
    "trunk_lean_mean_deg": (1.5, "<= 1.5 deg"),
    "pelvis_lag_ms": (25.0, "<= 25 ms"),
    **{m: (ANGLE_TARGET_DEG, "<= 3 deg") for m in ANGLES_AT_EVENTS},
}
#: the halves must agree too (issue 20 says so for pelvis timing; shown for all)
HALVES_REQUIRED = ("pelvis_lag_ms",)
VALID_STRIDES_SHARE = 0.85
CADENCE_TOL_SPM = 0.5
TILT_TOL_DEG = 2.0
SCORE_SPREAD = 0.15


# ------------------------------------------------------------------ copies
@dataclass(frozen=True)
class CopySpec:
    """One copy of a clip: how it is made and what it is for.

    ``kind``: ``reference`` (the clip itself), ``invariance`` (must give the same
    answer), ``half`` (first / second half: must agree with each other) or
    ``degradation`` (30 -> 15 fps: reported, not judged).
    """

    name: str
    kind: str
    label: str
    vf: Optional[str] = None  # ffmpeg -vf filter chain; None = no re-encode
    crf: int = 18
    pose_workers: int = POSE_WORKERS

    def key(self) -> dict:
        return asdict(self)


def copy_specs(width: int, height: int, fps: float, n_frames: int) -> list:
    """The copies of a ``width`` x ``height`` clip at ``fps`` with ``n_frames`` frames."""
    half = n_frames // 2
    hi_fps = fps >= 50
    pad_w, pad_h = even_px(1.5 * width), even_px(1.5 * height)
    specs = [
        CopySpec("original", "reference", "the clip as given"),
        CopySpec("reencoded", "invariance", "re-encoded x264 crf 18 (codec control)", "null"),
        CopySpec(
            "pose_2_segments",
            "invariance",
            "same file, pose in 2 time segments (pose_workers=2, the default on 2 cores)",
            pose_workers=2,
        ),
        CopySpec("mirrored", "invariance", "mirrored (hflip)", "hflip"),
        CopySpec(
            "half_size",
            "invariance",
            f"1/2 size ({even_px(width / 2)}x{even_px(height / 2)})",
            f"scale={even_px(width / 2)}:{even_px(height / 2)}:flags=area",
        ),
        CopySpec(
            "quarter_size",
            "invariance",
            f"1/4 size ({even_px(width / 4)}x{even_px(height / 4)})",
            f"scale={even_px(width / 4)}:{even_px(height / 4)}:flags=area",
        ),
        CopySpec("low_bitrate", "invariance", "x264 crf 36", "null", crf=36),
        CopySpec(
            "fps_half",
            "invariance" if hi_fps else "degradation",
            f"frame rate halved ({fps:.0f} -> {fps / 2:.0f} fps)",
            f"fps={fps / 2:g}",
        ),
        CopySpec(
            "padded",
            "invariance",
            "runner smaller: 1.5x grey canvas, scaled back to the original size",
            f"pad={pad_w}:{pad_h}:(ow-iw)/2:(oh-ih)/2:color=0x808080,"
            f"scale={width}:{height}:flags=area",
        ),
        CopySpec(
            "rot_cw3",
            "invariance",
            "rotated 3 deg clockwise (grey corners)",
            "rotate=3*PI/180:fillcolor=0x808080",
        ),
        CopySpec(
            "rot_ccw3",
            "invariance",
            "rotated 3 deg counter-clockwise (grey corners)",
            "rotate=-3*PI/180:fillcolor=0x808080",
        ),
        CopySpec(
            "dark_low_contrast",
            "invariance",
            "darker, lower contrast (eq contrast 0.55, brightness -0.12)",
            "eq=contrast=0.55:brightness=-0.12",
        ),
        CopySpec(
            "first_half",
            "half",
            f"first half (frames 0-{half - 1})",
            f"trim=start_frame=0:end_frame={half},setpts=PTS-STARTPTS",
        ),
        CopySpec(
            "second_half",
            "half",
            f"second half (frames {half}-{n_frames - 1})",
            f"trim=start_frame={half},setpts=PTS-STARTPTS",
        ),
    ]
    return specs


def even_px(x: float) -> int:
    """``x`` rounded to an even number of pixels (x264 needs even frame sizes), at least 2."""
    return max(2, int(round(x / 2.0)) * 2)


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover
        sys.exit("bench/invariance.py needs imageio-ffmpeg: pip install imageio-ffmpeg")
    return imageio_ffmpeg.get_ffmpeg_exe()


def make_copy(src: Path, spec: CopySpec, dst: Path) -> Path:
    """Write ``spec``'s copy of ``src`` to ``dst`` (H.264, yuv420p, no audio)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp.mp4")
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(src), "-an"]
    cmd += ["-vf", spec.vf, "-c:v", "libx264", "-preset", "medium", "-crf", str(spec.crf)]
    cmd += ["-pix_fmt", "yuv420p", "-threads", "1", str(tmp)]
    subprocess.run(cmd, check=True)
    tmp.replace(dst)
    return dst


def _file_key(path: Path) -> dict:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime": int(st.st_mtime)}


def _digest(obj) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def clip_dir(clip: Path) -> Path:
    return CACHE / clip.stem


def copy_track(clip: Path, spec: CopySpec, fresh_pose: bool = False, log=print):
    """The pose track of ``spec``'s copy of ``clip``, cached; returns ``(track, video)``."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pose.runner import run_pose

    d = clip_dir(clip)
    cfg = AnalysisConfig(pose_workers=spec.pose_workers)
    key = {"src": _file_key(clip), "copy": spec.key(), "pose": cfg.pose_signature()}
    key["mediapipe"] = _mediapipe_version()
    digest = _digest(key)
    npz, meta = d / f"{spec.name}.npz", d / f"{spec.name}.key.json"
    video = clip if spec.vf is None else d / "video" / f"{spec.name}.mp4"
    if not fresh_pose and npz.is_file() and meta.is_file():
        if json.loads(meta.read_text()).get("digest") == digest and video.is_file():
            track = PoseTrack.load(npz)
            return _with_vertical(track, video, d / f"{spec.name}.vertical.json"), video
    if spec.vf is not None:
        t0 = time.time()
        make_copy(clip, spec, video)
        log(f"  {clip.stem}/{spec.name}: copy written in {time.time() - t0:.1f} s")
    t0 = time.time()
    track = run_pose(video, cfg, progress=False)
    d.mkdir(parents=True, exist_ok=True)
    track.save(npz)
    meta.write_text(json.dumps({"digest": digest, "key": key}, indent=1))
    log(f"  {clip.stem}/{spec.name}: pose {time.time() - t0:.1f} s ({track.n_frames} frames)")
    return _with_vertical(track, video, d / f"{spec.name}.vertical.json"), video


def _with_vertical(track, video: Path, cache: Path):
    """``track`` with the scene's vertical (``gaitlens.pose.vertical``): its own when the
    pose stage found it (tracks made since it does), else estimated from ``video`` as
    ``analyze`` does for such a track, cached next to the pose track under the finder's
    settings."""
    if "vertical" in track.video:
        return track
    from gaitlens.config import AnalysisConfig
    from gaitlens.pose.vertical import VerticalFinder, estimate_vertical

    side = AnalysisConfig().model_input_max_side_px  # the frames the pose stage sees
    key = _digest({"finder": repr(VerticalFinder()), "video": _file_key(video), "side": side})
    if cache.is_file() and json.loads(cache.read_text()).get("key") == key:
        est = json.loads(cache.read_text())["vertical"]
    else:
        est = estimate_vertical(video, track, max_side_px=side).to_dict()
        cache.write_text(json.dumps({"key": key, "vertical": _jsonable(est)}, indent=1))
    track.video["vertical"] = est
    return track


def _mediapipe_version() -> str:
    try:
        from importlib.metadata import version

        return version("mediapipe")
    except Exception:  # pragma: no cover
        return "unknown"


# ------------------------------------------------------------------ analysis
def analyse(track):
    """``analyze_track`` on a pose track; ``(analysis, None)`` or ``(None, error text)``."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.errors import GaitlensError
    from gaitlens.pipeline import analyze_track

    try:
        return analyze_track(track, AnalysisConfig(pose_workers=POSE_WORKERS)), None
    except GaitlensError as exc:
        return None, f"{type(exc).__name__}: {exc}"


def _near_far(side: str, near: str) -> str:
    return "near" if side == near else "far"


def record(analysis, error: Optional[str] = None, keep_strides: bool = True) -> dict:
    """What the harness keeps of one copy's analysis (JSON-ready)."""
    if analysis is None:
        return {"ok": False, "error": error, "n_valid": 0, "n_valid_side": {"near": 0, "far": 0}}
    st = analysis.strides
    q = analysis.quality
    near = q.get("near_side") or analysis.clean.near_side
    nf = np.array([_near_far(s, near) for s in st["side"]], dtype=object)
    metrics = {}
    for m in METRICS:
        x = st[m].to_numpy(float) if m in st else np.full(len(st), np.nan)
        metrics[m] = {
            "near": _median(x[nf == "near"]),
            "far": _median(x[nf == "far"]),
            "pooled": _median(x),
        }
    rej = analysis.rejected_strides
    reasons: dict = {}
    if rej is not None and len(rej):
        for s, why in zip(rej["side"], rej["reason"]):
            k = f"{_near_far(s, near)}: {why}"
            reasons[k] = reasons.get(k, 0) + 1
    findings = {
        f.id: {
            "severity": f.severity,
            "confidence": f.confidence,
            "score": float(f.score),
            "judged": bool(f.judged),
            "confidence_reasons": list(f.confidence_reasons),
        }
        for f in analysis.findings
    }
    summ = analysis.summary
    out = {
        "ok": True,
        "error": None,
        "n_valid": int(len(st)),
        "n_valid_side": {k: int((nf == k).sum()) for k in ("near", "far")},
        "n_rejected": int(summ.get("n_rejected", 0)),
        "rejected_reasons": reasons,
        "cadence_spm": float(summ.get("cadence_spm", np.nan)),
        "facing": analysis.clean.facing,
        "near_side": near,
        "legs_relabelled": bool(q.get("cleaning_legs_relabelled_from_geometry", False)),
        "swapped_fraction": float(q.get("cleaning_swapped_fraction", np.nan)),
        "foot_collapse_frames": int(q.get("cleaning_foot_collapse_frames", 0)),
        "leg_visibility": {
            _near_far(s, near): float(v)
            for s, v in (q.get("cleaning_leg_visibility") or {}).items()
        },
        "fps": float(q.get("sampling_rate_hz", np.nan)),
        "pelvic_tilt_confidence": float(q.get("pelvic_tilt_confidence", np.nan)),
        # the scene's vertical (gaitlens.pose.vertical): the angle the frame was levelled
        # by (0 = not levelled), its estimate and standard error
        "level_deg": float((q.get("cleaning_vertical") or {}).get("level_deg", 0.0)),
        "levelled": bool((q.get("cleaning_vertical") or {}).get("applied", False)),
        "vertical_deg": float((q.get("cleaning_vertical") or {}).get("angle_deg", np.nan)),
        "vertical_se_deg": _num(float((q.get("cleaning_vertical") or {}).get("se_deg") or np.nan)),
        "metrics": metrics,
        "findings": findings,
        "warnings": list(analysis.warnings),
        "model_leg_px": q.get("model_leg_px"),
    }
    if keep_strides:
        rows = {"leg": nf.tolist()}
        for c in STRIDE_KEEP:
            if c in st:
                rows[c] = [_num(v) for v in st[c].to_numpy(float)]
        out["strides"] = rows
    return out


def _level(r: dict) -> str:
    """The copy's levelling: angle +- SE, or "not levelled" (scene vertical not used)."""
    if r.get("levelled"):
        se = r.get("vertical_se_deg")
        return f"{r['level_deg']:+.2f}" + (f" ± {se:.2f}" if se is not None else "")
    return "not levelled"


def _median(x) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else float("nan")


def _num(v):
    return float(v) if np.isfinite(v) else None


# ------------------------------------------------------------------ evaluation
def small_runner_copies(records: dict, names) -> set:
    """Copies whose runner is under ``quality.MIN_MODEL_LEG_PX`` in the pixels the pose
    model was given: the analysis warns that their numbers drift (bench/runner_size.py)."""
    from gaitlens.quality import MIN_MODEL_LEG_PX

    px = {n: records[n].get("model_leg_px") for n in names}
    return {n for n, v in px.items() if v is not None and np.isfinite(v) and v < MIN_MODEL_LEG_PX}


def evaluate(
    records: dict,
    specs: list,
    truth_cadence: Optional[float],
    half_cadence: Optional[dict] = None,
    half_contact: Optional[dict] = None,
) -> dict:
    """Spread across copies, halves difference, degradation delta and the verdicts.

    ``half_cadence``: ``{"first_half": (spm, se), ...}``, each half's own cadence where
    hand labels give it (a runner's cadence need not be the same in both halves: the
    shared clip's labels say 168.1 and 169.9 spm); else the halves are judged against
    ``truth_cadence`` like every copy. ``half_contact``: ``{"first_half": {leg: (s, se,
    n)}, ...}``, each half's labelled contact time: where given, the halves' difference
    is judged after taking away the labels' own difference (0.229 -> 0.256 s on the
    shared clip), so a tool that follows a real change is not failed for it."""
    kinds = {s.name: s.kind for s in specs}
    orig = records["original"]
    inv = [n for n in records if kinds.get(n) in ("reference", "invariance")]
    inv_ok = [n for n in inv if records[n]["ok"]]
    halves = [n for n in ("first_half", "second_half") if n in records]
    degr = [n for n in records if kinds.get(n) == "degradation"]
    warned = small_runner_copies(records, inv_ok)
    rows = []
    for m in METRICS:
        for side in SIDES_NF:
            vals = {n: records[n]["metrics"][m][side] for n in inv_ok}
            fin = {n: v for n, v in vals.items() if np.isfinite(v)}
            o = vals.get("original", float("nan")) if orig["ok"] else float("nan")
            spread = max(fin.values()) - min(fin.values()) if len(fin) >= 2 else float("nan")
            # rotation moves every absolute angle by itself: the spread without those copies
            nr = [v for n, v in fin.items() if not n.startswith("rot_")]
            spread_nr = max(nr) - min(nr) if len(nr) >= 2 else float("nan")
            # copies the tool warns about (runner too small in the frame: quality.
            # runner_size_warnings) say themselves that their numbers drift
            nw = [v for n, v in fin.items() if n not in warned]
            spread_nw = max(nw) - min(nw) if len(nw) >= 2 else float("nan")
            worst = (
                max(
                    (n for n in fin if n != "original"),
                    key=lambda n: abs(fin[n] - o),
                    default=None,
                )
                if np.isfinite(o)
                else None
            )
            hv = [records[n]["metrics"][m][side] if records[n]["ok"] else np.nan for n in halves]
            hdiff = hv[1] - hv[0] if len(hv) == 2 else float("nan")
            # the runner's own change between the halves, where hand labels give it
            truth_diff, truth_se = float("nan"), float("nan")
            if m == "contact_time_s" and half_contact and len(halves) == 2:
                (a, sa, _), (b, sb, _) = (half_contact[n][side] for n in halves)
                truth_diff, truth_se = b - a, float(np.hypot(sa, sb))
            row = {
                "metric": m,
                "leg": side,
                "original": o,
                "spread": spread,
                "spread_without_rotation": spread_nr,
                "spread_without_warned": spread_nw,
                "n_copies": len(fin),
                "worst_copy": worst,
                "worst_delta": (fin[worst] - o) if worst else float("nan"),
                "halves_diff": hdiff,
                "halves_truth_diff": truth_diff,
                "halves_truth_diff_se": truth_se,
                # what the halves target judges: the difference less the labels' own
                "halves_off": hdiff - (truth_diff if np.isfinite(truth_diff) else 0.0),
                "values": vals,
                "halves": dict(zip(halves, hv)),
            }
            for n in degr:
                v = records[n]["metrics"][m][side] if records[n]["ok"] else np.nan
                row["degradation"] = {"copy": n, "value": v, "delta": v - o}
            tgt = SPREAD_TARGETS.get(m)
            if tgt is not None:
                lim, text = tgt
                row["target"] = text
                row["pass_copies"] = bool(np.isfinite(spread) and spread <= lim + 1e-9)
                off = row["halves_off"]
                row["pass_halves"] = bool(np.isfinite(off) and abs(off) <= lim + 1e-9)
                if len(fin) < len(inv):
                    row["pass_copies"] = False  # a copy without a value fails the row
                row["pass"] = row["pass_copies"] and (
                    row["pass_halves"] if m in HALVES_REQUIRED else True
                )
            rows.append(row)

    checks = []
    # valid strides: every invariance copy >= 85 % of the original; halves >= 85 % of half
    n0 = orig["n_valid"]
    for n in inv + halves + degr:
        if n == "original":
            continue
        need = VALID_STRIDES_SHARE * n0 * (0.5 if kinds[n] == "half" else 1.0)
        checks.append({
            "target": "valid strides >= 85 % of the original's"
            + (" (half: of half)" if kinds[n] == "half" else ""),
            "copy": n,
            "kind": kinds[n],
            "value": records[n]["n_valid"],
            "limit": need,
            "pass": records[n]["n_valid"] >= need - 1e-9,
        })  # fmt: skip
    # cadence
    if truth_cadence:
        for n in inv + halves + degr:
            c = records[n].get("cadence_spm", np.nan) if records[n]["ok"] else np.nan
            want = truth_cadence
            target = f"cadence within {CADENCE_TOL_SPM} spm of {truth_cadence:g}"
            if half_cadence and n in half_cadence:
                want, se = half_cadence[n]
                target = (f"cadence within {CADENCE_TOL_SPM} spm of the half's own labels "
                          f"({want:.1f} +- {se:.1f})")  # fmt: skip
            checks.append({
                "target": target,
                "copy": n,
                "kind": kinds[n],
                "value": c,
                "truth": want,
                "limit": CADENCE_TOL_SPM,
                "pass": bool(np.isfinite(c) and abs(c - want) <= CADENCE_TOL_SPM),
            })  # fmt: skip
    # estimated tilt: within 2 deg of the original, or every copy at low confidence
    tilt = {n: records[n]["metrics"]["pelvic_tilt_mean_deg"]["pooled"] for n in inv_ok}
    tconf = {
        n: records[n]["findings"].get("pelvic_tilt_suppressed", {}).get("confidence")
        for n in inv_ok
    }
    t0 = tilt.get("original", np.nan)
    within = all(np.isfinite(v) and abs(v - t0) <= TILT_TOL_DEG for v in tilt.values())
    all_low = all(c == "low" for c in tconf.values()) and len(inv_ok) == len(inv)
    checks.append({
        "target": "estimated tilt within 2 deg of the original, or every copy at low confidence",
        "copy": "all",
        "kind": "invariance",
        "value": max((abs(v - t0) for v in tilt.values() if np.isfinite(v)), default=np.nan),
        "limit": TILT_TOL_DEG,
        "pass": bool(within or all_low),
        "detail": {"tilt": tilt, "confidence": tconf},
    })  # fmt: skip
    # findings
    fnd = []
    for fid in FAULTS:
        for group, names in (("copies", inv), ("halves", halves)):
            got = {n: records[n]["findings"].get(fid) for n in names if records[n]["ok"]}
            sev = {n: g["severity"] for n, g in got.items() if g}
            conf = {n: g["confidence"] for n, g in got.items() if g}
            sc = [g["score"] for g in got.values() if g]
            ok_all = len(got) == len(names)
            spread = (max(sc) - min(sc)) if len(sc) >= 2 else float("nan")
            fnd.append({
                "fault": fid,
                "group": group,
                "severities": sev,
                "confidences": conf,
                "scores": {n: g["score"] for n, g in got.items() if g},
                "same_severity": ok_all and len(set(sev.values())) == 1,
                "same_confidence": ok_all and len(set(conf.values())) == 1,
                "score_spread": spread,
                "pass": bool(
                    ok_all
                    and len(set(sev.values())) == 1
                    and len(set(conf.values())) == 1
                    and np.isfinite(spread)
                    and spread <= SCORE_SPREAD + 1e-9
                ),
            })  # fmt: skip
    return {"metrics": rows, "checks": checks, "findings": fnd, "warned_copies": sorted(warned)}


# ------------------------------------------------------------------ running
def _half_spans(clip: Path, meta, specs) -> dict:
    """``{half name: (start_s, end_s)}`` of the halves among ``specs`` for the shared
    real clip when its hand labels are present (they give each half its own truth);
    empty elsewhere."""
    from bench.events_real_video import LABELS

    if Path(clip).resolve() != REAL_CLIP.resolve() or not LABELS.is_file():
        return {}
    mid_s = (meta.frame_count // 2) / meta.nominal_fps  # the halves' cut (copy_specs)
    names = {s.name for s in specs}
    spans = {"first_half": (0.0, mid_s), "second_half": (mid_s, np.inf)}
    return {n: span for n, span in spans.items() if n in names}


def _half_labels(clip: Path, meta, specs, measure) -> Optional[dict]:
    """``{half: measure(start_s, end_s)}`` from the hand labels for each half among
    ``specs`` (``events_real_video.labelled_cadence`` / ``labelled_contact_time``), for
    the shared real clip only; None elsewhere."""
    spans = _half_spans(clip, meta, specs)
    return {n: measure(*span) for n, span in spans.items()} or None


def run_clip(
    clip: Path,
    truth_cadence: Optional[float] = None,
    fresh_pose: bool = False,
    only: Optional[list] = None,
    name: Optional[str] = None,
    write: bool = True,
    log=print,
) -> dict:
    """Copies, pose (cached), analyses, evaluation; writes JSON and markdown."""
    import gaitlens.io.video as gv

    meta = gv.probe(clip)
    specs = copy_specs(meta.width_px, meta.height_px, meta.nominal_fps, meta.frame_count)
    if only:
        specs = [s for s in specs if s.name in set(only) | {"original"}]
    records, timing, backend = {}, {}, {}
    for spec in specs:
        t0 = time.time()
        track, _video = copy_track(clip, spec, fresh_pose, log)
        t1 = time.time()
        backend = backend or dict(track.backend)
        analysis, err = analyse(track)
        # per-stride values of the original and the halves (test-retest splits)
        records[spec.name] = record(analysis, err, keep_strides=spec.kind in ("reference", "half"))
        timing[spec.name] = {"pose_or_cache_s": t1 - t0, "analysis_s": time.time() - t1}
    from bench.events_real_video import labelled_cadence, labelled_contact_time

    half = _half_labels(clip, meta, specs, labelled_cadence)
    half_ct = _half_labels(clip, meta, specs, labelled_contact_time)
    result = {
        "clip": str(clip),
        "name": name or clip.stem,
        "video": meta.to_dict(),
        "truth_cadence_spm": truth_cadence,
        "pose_workers": POSE_WORKERS,
        "pose_backend": backend,
        "copies": [asdict(s) for s in specs],
        "records": records,
        "timing_s": timing,
        "half_cadence_spm": half,
        "half_contact_time_s": half_ct,
        "evaluation": evaluate(records, specs, truth_cadence, half, half_ct),
    }
    if write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stem = f"invariance_{name or clip.stem}"
        (RESULTS / f"{stem}.json").write_text(json.dumps(_jsonable(result), indent=1) + "\n")
        (RESULTS / f"{stem}.md").write_text(markdown(result))
    return result


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        # 6 significant digits: enough for every metric, half the file size
        return float(f"{obj:.6g}") if np.isfinite(obj) else None
    return obj


# ------------------------------------------------------------------ markdown
def _f(v, nd=1) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return f"{v:.{nd}f}"


#: display scale and decimals per metric (seconds shown in ms)
def _disp(metric: str):
    if metric.endswith("_s"):
        return 1000.0, 0, metric[:-2] + " [ms]"
    if metric.endswith("_legs"):
        return 1.0, 3, metric
    if metric == "duty_factor":
        return 1.0, 3, metric
    return 1.0, 1, metric


def _verdict(v) -> str:
    if v is None:
        return ""
    return "pass" if v else "**FAIL**"


def markdown(result: dict, brief: bool = False) -> str:
    """Per-copy overview, target checks, findings and the per-metric table."""
    recs = result["records"]
    ev = result["evaluation"]
    kinds = {c["name"]: (c["kind"], c["label"]) for c in result["copies"]}
    v = result["video"]
    out = [
        f"# Invariance: {result['name']}",
        "",
        f"`{Path(result['clip']).name}`: {v['width_px']}x{v['height_px']}, "
        f"{v['nominal_fps']:g} fps, {v['duration_s']:.1f} s. Pose: MediaPipe, one worker "
        "unless stated; every later stage as in the code under test. Truth cadence: "
        f"{_f(result.get('truth_cadence_spm'))} spm"
        + "".join(
            f"; {n.replace('_', ' ')} {c:.1f} +- {se:.1f} spm (its own hand labels)"
            for n, (c, se) in (result.get("half_cadence_spm") or {}).items()
        )
        + ".",
        "",
        "## Copies",
        "",
        "| copy | kind | valid strides (near/far) | cadence [spm] | facing / near | "
        "levelled by [deg] | pelvis lag [ms] near / far | findings (severity, confidence, "
        "score) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, r in recs.items():
        kind, label = kinds[n]
        if not r["ok"]:
            out.append(f"| {n} ({label}) | {kind} | 0 | – | – | – | – | {r['error'][:80]} |")
            continue
        pl = r["metrics"]["pelvis_lag_ms"]
        fs = "; ".join(
            f"{fid.replace('pelvis_', 'p_').replace('pelvic_', 'p_')}: {g['severity']}/"
            f"{g['confidence']}/{g['score']:.2f}"
            for fid, g in r["findings"].items()
        )
        out.append(
            f"| {n} ({label}) | {kind} | {r['n_valid']} ({r['n_valid_side']['near']}/"
            f"{r['n_valid_side']['far']}) | {_f(r['cadence_spm'])} | {r['facing']} / "
            f"{r['near_side']} | {_level(r)} | {_f(pl['near'], 0)} / {_f(pl['far'], 0)} | {fs} |"
        )
    out += ["", "## Targets (issue 20)", "", "| target | copy | value | limit | verdict |"]
    out.append("|---|---|---|---|---|")
    for c in ev["checks"]:
        out.append(
            f"| {c['target']} | {c['copy']} ({c['kind']}) | {_f(c['value'], 2)} | "
            f"{_f(c['limit'], 2)} | {_verdict(c['pass'])} |"
        )
    out += ["", "## Findings across copies", ""]
    out.append("| fault | group | severities | confidences | score spread | verdict |")
    out.append("|---|---|---|---|---|---|")
    for f in ev["findings"]:
        sev = _counts(f["severities"])
        conf = _counts(f["confidences"])
        out.append(
            f"| {f['fault']} | {f['group']} | {sev} | {conf} | {_f(f['score_spread'], 2)} | "
            f"{_verdict(f['pass'])} |"
        )
    out += [
        "",
        "## Stride metrics: spread across copies (max - min, original and invariance "
        "copies), halves (second - first)",
        "",
        "Medians over each copy's valid strides. Worst copy: furthest from the original. "
        "Warned: copies whose analysis warns that the runner is too small in the frame "
        f"({', '.join(_warned(ev)) or 'none'}).",
        "",
        "| metric | leg | original | spread | spread w/o rotation | spread w/o warned "
        "(runner small) | worst copy (delta) | halves diff | 15/30 fps delta | target | "
        "copies | halves |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ev["metrics"]:
        if brief and r["leg"] != "pooled" and "target" not in r:
            continue
        k, nd, label = _disp(r["metric"])
        sc = lambda x, k=k: x * k if x is not None and np.isfinite(x) else float("nan")  # noqa: E731
        dg = r.get("degradation")
        dtxt = _f(sc(dg["delta"]), nd) if dg else ""
        worst = f"{r['worst_copy']} ({_f(sc(r['worst_delta']), nd)})" if r["worst_copy"] else "–"
        out.append(
            f"| {label} | {r['leg']} | {_f(sc(r['original']), nd)} | {_f(sc(r['spread']), nd)}"
            f" | {_f(sc(r['spread_without_rotation']), nd)}"
            f" | {_f(sc(r.get('spread_without_warned', np.nan)), nd)} | {worst} | "
            f"{_f(sc(r['halves_diff']), nd)}{_labels_diff(r, sc, nd)} | {dtxt} | "
            f"{r.get('target', '')} | "
            f"{_verdict(r.get('pass_copies'))} | {_verdict(r.get('pass_halves'))} |"
        )
    return "\n".join(out) + "\n"


def _labels_diff(row: dict, sc, nd: int) -> str:
    """`` (labels +27 +- 7)``: the halves' own change by the hand labels, where known."""
    t = row.get("halves_truth_diff", np.nan)
    if t is None or not np.isfinite(t):
        return ""
    return f" (labels {sc(t):+.{nd}f} ± {sc(row['halves_truth_diff_se']):.{nd}f})"


def _counts(d: dict) -> str:
    c: dict = {}
    for v in d.values():
        c[v] = c.get(v, 0) + 1
    return ", ".join(f"{k} x{n}" for k, n in c.items())


# ------------------------------------------------------------------ summary over clips
def _warned(ev: dict) -> list:
    return list(ev.get("warned_copies", []))


def _worst_rows(ev: dict, metrics, key: str):
    rows = [r for r in ev["metrics"] if r["metric"] in metrics]
    if key == "halves_off":  # results written before the labels' change was known
        rows = [{**r, key: r.get(key, r["halves_diff"])} for r in rows]
    vals = [abs(r[key]) if np.isfinite(r[key]) else -1.0 for r in rows]
    return rows[int(np.argmax(vals))] if rows else None, rows


def _nan(obj):
    """JSON's null back to NaN (recursively)."""
    if isinstance(obj, dict):
        return {k: _nan(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan(v) for v in obj]
    return float("nan") if obj is None else obj


def summary_rows(result: dict) -> dict:
    """One clip's verdict per target (issue 20): {target: (text, pass)}."""
    result = _nan(result)
    ev = result["evaluation"]
    recs = result["records"]
    kinds = {c["name"]: c["kind"] for c in result["copies"]}
    out = {}
    n0 = recs["original"]["n_valid"]
    inv = [n for n in recs if kinds[n] == "invariance"]
    nmin = min(inv, key=lambda n: recs[n]["n_valid"])
    vs = [c for c in ev["checks"] if c["target"].startswith("valid") and c["kind"] != "degradation"]
    out["valid strides >= 85 %"] = (
        f"{n0}; min {recs[nmin]['n_valid']} ({nmin})",
        all(c["pass"] for c in vs),
    )
    cad = [
        c for c in ev["checks"] if c["target"].startswith("cadence") and c["kind"] != "degradation"
    ]
    if cad:
        truth = result["truth_cadence_spm"]

        def off(c):  # checks written before the halves had their own truth lack "truth"
            return abs(c["value"] - c.get("truth", truth)) if np.isfinite(c["value"]) else np.inf

        w = max(cad, key=off)
        out["cadence within 0.5 spm"] = (
            f"orig {_f(recs['original']['cadence_spm'])}; worst {_f(w['value'])} ({w['copy']})",
            all(c["pass"] for c in cad),
        )
    for label, metrics, key in (
        ("contact time spread <= 15 ms", ("contact_time_s",), "spread"),
        (
            "contact time halves <= 15 ms (less the labels' change)",
            ("contact_time_s",),
            "halves_off",
        ),
        ("angles at events / midstance spread <= 3 deg", ANGLES_AT_EVENTS, "spread"),
        ("trunk lean spread <= 1.5 deg", ("trunk_lean_mean_deg",), "spread"),
        ("pelvis lag spread <= 25 ms (copies)", ("pelvis_lag_ms",), "spread"),
        ("pelvis lag halves <= 25 ms", ("pelvis_lag_ms",), "halves_diff"),
    ):
        worst, rows = _worst_rows(ev, metrics, key)
        k, nd, _ = _disp(worst["metric"])
        verdict_key = "pass_halves" if key.startswith("halves") else "pass_copies"
        pooled = [r for r in rows if r["leg"] == "pooled"]
        pooled_txt = ""
        if len(metrics) == 1 and pooled:
            pooled_txt = f"pooled {_f(abs(pooled[0][key]) * k, nd)}; "
        who = (
            f", {worst['worst_copy']}"
            if key == "spread" and isinstance(worst["worst_copy"], str)
            else ""
        )
        name = worst["metric"].replace("_deg", "") + " " if len(metrics) > 1 else ""
        unwarned = ""
        if key == "spread" and _warned(ev):
            nw = np.nanmax([r.get("spread_without_warned", np.nan) for r in rows] + [-np.inf])
            pw = pooled[0].get("spread_without_warned", np.nan) if len(metrics) == 1 else None
            pw_txt = f"pooled {_f(pw * k, nd)}; " if pw is not None and pooled else ""
            unwarned = f"; w/o warned copies: {pw_txt}max {_f(nw * k, nd)}"
        out[label] = (
            f"{pooled_txt}max {name}{worst['leg']} {_f(abs(worst[key]) * k, nd)}{who}{unwarned}",
            all(r.get(verdict_key) for r in rows),
        )
    tilt = [c for c in ev["checks"] if c["target"].startswith("estimated tilt")][0]
    conf = set(tilt["detail"]["confidence"].values())
    out["tilt within 2 deg or low confidence"] = (
        f"max delta {_f(tilt['value'])} deg; confidence {'/'.join(sorted(conf))}",
        tilt["pass"],
    )
    fc = [f for f in ev["findings"] if f["group"] == "copies"]
    bad = [f["fault"] for f in fc if not f["pass"]]
    out["findings same (copies)"] = ("fail: " + ", ".join(bad) if bad else "same", not bad)
    fh = [f for f in ev["findings"] if f["group"] == "halves"]
    bad = [f["fault"] for f in fh if not f["pass"]]
    out["findings same (halves)"] = ("fail: " + ", ".join(bad) if bad else "same", not bad)
    return out


def summary_markdown(results: list) -> str:
    """Targets x clips (pass/fail with the worst value), and which copies break them."""
    rows = {r["name"]: summary_rows(r) for r in results}
    targets = list(dict.fromkeys(t for r in rows.values() for t in r))
    names = list(rows)
    out = ["| target | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for t in targets:
        cells = []
        for n in names:
            if t not in rows[n]:
                cells.append("–")
                continue
            txt, ok = rows[n][t]
            cells.append(f"{'pass' if ok else '**FAIL**'}: {txt}")
        out.append(f"| {t} | " + " | ".join(cells) + " |")
    # which copies are furthest from the original in failing rows
    blame: dict = {}
    for r in results:
        for m in r["evaluation"]["metrics"]:
            if m.get("pass_copies") is False and m["worst_copy"]:
                blame[m["worst_copy"]] = blame.get(m["worst_copy"], 0) + 1
    out += ["", "Failing metric rows (metric x leg, all clips) by the copy furthest from the "
            "original: " + ", ".join(f"{k} {v}" for k, v in
                                     sorted(blame.items(), key=lambda kv: -kv[1]))]  # fmt: skip
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ renders
#: Synthetic runners (gaitlens.synthetic): different bodies, speeds, clothing, facing,
#: faults and framing; 10 s at 60 fps with sensor noise, motion blur and crf 24 like
#: the bundled samples. (RunnerParams overrides, Style overrides)
RENDERS = {
    # r1, r3 and r5 run in front of a furnished wall (cupboards, a door frame: vertical
    # edges to level by, gaitlens.pose.vertical); r2 and r4 in front of the plain wall
    "r1_normal_right": (
        dict(seed=11, image_size_px=(720, 960)),
        dict(room=True),
    ),
    "r2_tall_fast_left_dark": (
        dict(
            seed=12,
            facing="left",
            height_m=1.92,
            speed_m_s=3.8,
            cadence_spm=176.0,
            proportions={"thigh": 0.255, "shank": 0.255},
            runner_height_frac=0.66,
            image_size_px=(720, 960),
        ),
        dict(shirt=(25, 25, 28), shorts=(90, 90, 95), skin=(150, 105, 80), shoe=(60, 60, 64)),
    ),
    "r3_short_slow_lag": (
        dict(
            seed=13,
            height_m=1.60,
            speed_m_s=2.5,
            cadence_spm=164.0,
            proportions={"thigh": 0.235, "shank": 0.240, "trunk": 0.298},
            pelvis_lag=0.8,
            runner_height_frac=0.74,
            image_size_px=(720, 960),
        ),
        dict(shirt=(200, 45, 45), shorts=(225, 225, 220), hair=(200, 170, 90), room=True),
    ),
    "r4_hips_flexed_left": (
        dict(
            seed=14,
            facing="left",
            height_m=1.70,
            speed_m_s=3.2,
            cadence_spm=172.0,
            pelvis_back_hips_flexed=0.8,
            image_size_px=(720, 960),
        ),
        dict(shirt=(60, 140, 70), shorts=(30, 30, 30)),
    ),
    "r5_tilt_landscape": (
        dict(
            seed=15,
            height_m=1.80,
            speed_m_s=3.0,
            cadence_spm=168.0,
            pelvic_tilt_suppressed=0.8,
            image_size_px=(1280, 720),
        ),
        dict(shirt=(235, 235, 235), shorts=(20, 60, 140), skin=(240, 200, 170), room=True),
    ),
}


def render_params(name: str):
    from gaitlens.synthetic.model import WINTER
    from gaitlens.synthetic.samples import sample_params

    over, _style = RENDERS[name]
    over = dict(over)
    if "proportions" in over:
        over["proportions"] = {**WINTER, **over["proportions"]}
    return replace(sample_params("normal"), duration_s=10.0, **over)


def render_clip(name: str, log=print) -> Path:
    """Render ``RENDERS[name]`` once (cached next to the pose tracks)."""
    from gaitlens.synthetic import render, simulate
    from gaitlens.synthetic.renderer import Style

    params = render_params(name)
    style = Style(**RENDERS[name][1])
    key = _digest({"params": params.to_dict(), "style": asdict(style)})
    out = CACHE / "renders" / f"{name}.mp4"
    kfile = out.with_suffix(".key")
    if out.is_file() and kfile.is_file() and kfile.read_text() == key:
        return out
    t0 = time.time()
    render(simulate(params), out, style=style)
    kfile.write_text(key)
    log(f"  rendered {name} in {time.time() - t0:.0f} s")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clips", nargs="*", type=Path, help="clips (default: the shared real clip)")
    ap.add_argument("--renders", action="store_true", help="the synthetic renders (RENDERS)")
    ap.add_argument("--all", action="store_true", help="the real clip and the renders")
    ap.add_argument("--only", help="comma-separated copy names (original always included)")
    ap.add_argument("--fresh-pose", action="store_true", help="re-run MediaPipe (no cache)")
    ap.add_argument("--truth-cadence", type=float, help="true cadence of the given clips")
    ap.add_argument(
        "--summary", action="store_true", help="only rebuild invariance_summary.md from the JSONs"
    )
    args = ap.parse_args(argv)
    if args.summary:
        return write_summary()
    jobs = []  # (clip path or render name, truth cadence)
    if args.clips:
        jobs += [(c, args.truth_cadence) for c in args.clips]
    if args.all or not (args.clips or args.renders):
        if not REAL_CLIP.is_file():
            sys.exit(
                f"the shared real clip is not available ({REAL_CLIP}); give a clip path or "
                "use --renders"
            )
        jobs.append((REAL_CLIP, REAL_CADENCE_SPM))
    if args.renders or args.all:
        jobs += [(n, None) for n in RENDERS]
    only = args.only.split(",") if args.only else None
    for clip, cad in jobs:
        t0 = time.time()
        if isinstance(clip, str):  # a render
            path = render_clip(clip)
            cad = render_params(clip).cadence_spm
        else:
            path = Path(clip)
            if not path.is_file():
                sys.exit(f"clip not found: {path}")
        res = run_clip(path, cad, args.fresh_pose, only)
        fails = [c for c in res["evaluation"]["checks"] if not c["pass"]]
        fails += [r for r in res["evaluation"]["metrics"] if r.get("pass") is False]
        fails += [f for f in res["evaluation"]["findings"] if not f["pass"]]
        print(
            f"{path.stem}: {len(res['records'])} copies in {time.time() - t0:.0f} s; "
            f"{len(fails)} failed rows -> bench/results/invariance_{path.stem}.md"
        )
    write_summary()
    return 0


def write_summary() -> int:
    files = sorted(RESULTS.glob("invariance_*.json"))
    files = [f for f in files if not f.stem.startswith("invariance_diagnosis")]
    if not files:
        sys.exit("no bench/results/invariance_*.json yet")
    results = [json.loads(f.read_text()) for f in files]
    md = summary_markdown(results)
    (RESULTS / "invariance_summary.md").write_text("# Invariance: all clips\n\n" + md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
