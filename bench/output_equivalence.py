"""Do two versions of gaitlens give the same outputs? (restructuring without change)

Runs every stage after pose on fixed pose tracks (MediaPipe runs once per clip and its
track is cached, so pose noise cannot hide or fake a difference) and writes a snapshot
per clip: ``analysis.json`` (minus run-specific fields), ``strides.csv`` and the numbers
and texts of the report (``report_context`` without figures, stills and the date).

Usage::

    python bench/output_equivalence.py save   /tmp/eq/before   # on the old commit
    python bench/output_equivalence.py compare /tmp/eq/before   # on the new one

Clips: the four bundled samples and, when ../shared is present, the shared real clip.
``compare`` exits 1 and lists the first differences when any output changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REAL = ROOT.parent / "shared" / "data" / "videos" / "treadmill_side_runner_30fps.mp4"
CLIPS = [ROOT / "sample_videos" / f"{n}.mp4" for n in
         ("normal", "pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed")]  # fmt: skip
TRACK_CACHE = Path("/tmp/gaitlens-equivalence-tracks")


def clips() -> list:
    return CLIPS + ([REAL] if REAL.is_file() else [])


def pose_track(video: Path):
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack
    from gaitlens.pipeline import run_pose

    p = TRACK_CACHE / f"{video.stem}.npz"
    if p.is_file():
        return PoseTrack.load(p)
    TRACK_CACHE.mkdir(parents=True, exist_ok=True)
    track = run_pose(video, AnalysisConfig(), progress=False)
    track.save(p)
    return track


def snapshot(video: Path) -> dict:
    """analysis.json, strides.csv and the report's numbers and texts for one clip."""
    import gaitlens.io.video as gv
    from gaitlens.pipeline import analyze_track
    from gaitlens.report import html

    track = pose_track(video)
    analysis = analyze_track(track, meta=gv.probe(video))
    data = analysis.to_dict()
    data.pop("gaitlens_version", None)
    ctx = html.report_context(analysis, stills=False)
    for k in ("figures", "stills", "generated", "version"):
        ctx.pop(k, None)
    for d in (data.get("video", {}), ctx.get("video", {})):
        d["path"] = Path(str(d.get("path", ""))).name  # where the checkout lies is no output
    return {
        "analysis.json": json.loads(json.dumps(data, default=str)),
        "strides.csv": analysis.strides.to_csv(index=False, float_format="%.6g"),
        "report": json.loads(json.dumps(ctx, default=str)),
    }


def diff(a, b, path="", out=None, limit=20):
    """Paths where ``a`` and ``b`` differ (floats compared to 1e-9 relative)."""
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'new' if k in b else 'old'}")
            else:
                diff(a[k], b[k], f"{path}/{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} -> {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out, limit)
    elif isinstance(a, float) and isinstance(b, float):
        if abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b)):
            out.append(f"{path}: {a!r} -> {b!r}")
    elif a != b:
        out.append(f"{path}: {str(a)[:80]!r} -> {str(b)[:80]!r}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("save", "compare"))
    ap.add_argument("folder", type=Path)
    args = ap.parse_args(argv)
    bad = 0
    for video in clips():
        snap = snapshot(video)
        f = args.folder / f"{video.stem}.json"
        if args.mode == "save":
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(json.dumps(snap, indent=1, sort_keys=True))
            print(f"saved {f}")
            continue
        old = json.loads(f.read_text())
        d = diff(old, json.loads(json.dumps(snap)))
        print(f"{video.name}: {'identical' if not d else f'{len(d)}+ differences'}")
        for line in d:
            print("   ", line)
        bad += bool(d)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
