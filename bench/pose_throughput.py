"""Frames per second of gaitlens's pose stage against a bare MediaPipe loop.

Both run over the same clip in the same process, alternating, several repeats; the
best time of each is kept (least disturbed by other load on the machine). The bare
loop is the minimum anyone would write: OpenCV decode, BGR->RGB, ``Pose.process``
with the same model settings (complexity 1, segmentation on). gaitlens adds decoding
on its own thread, frames downsized for the model, silhouette features and the
PoseTrack container.

    .venv/bin/python bench/pose_throughput.py [VIDEO] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "data" / "videos" / "treadmill_side_runner_30fps.mp4"


def bare_loop(path: str) -> int:
    import cv2
    import mediapipe as mp

    cap = cv2.VideoCapture(path)
    n = 0
    with mp.solutions.pose.Pose(
        static_image_mode=False, model_complexity=1, enable_segmentation=True
    ) as pose:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            n += 1
    cap.release()
    return n


def gaitlens_pose(path: str) -> int:
    from gaitlens.pipeline import run_pose

    return run_pose(path, progress=False).n_frames


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    if not Path(args.video).exists():
        fallback = REPO / "sample_videos" / "normal.mp4"
        print(f"{args.video} not found; using {fallback}", file=sys.stderr)
        args.video = str(fallback)
    best = {"bare_mediapipe": float("inf"), "gaitlens_pose": float("inf")}
    frames = {}
    for _ in range(args.repeats):
        for name, fn in (("bare_mediapipe", bare_loop), ("gaitlens_pose", gaitlens_pose)):
            t0 = time.perf_counter()
            frames[name] = fn(args.video)
            best[name] = min(best[name], time.perf_counter() - t0)
    fps = {k: frames[k] / best[k] for k in best}
    result = {
        "video": Path(args.video).name,
        "frames": frames,
        "fps": fps,
        "ratio_gaitlens_over_bare": fps["gaitlens_pose"] / fps["bare_mediapipe"],
        "machine": f"{platform.processor() or platform.machine()}, "
        f"{__import__('os').cpu_count()} cores, Python {platform.python_version()}",
    }
    print(f"{'':<16}{'frames':>8}{'fps':>9}")
    for k in best:
        print(f"{k:<16}{frames[k]:>8}{fps[k]:>9.1f}")
    print(f"ratio gaitlens/bare = {result['ratio_gaitlens_over_bare']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
