"""Accuracy of the scene's vertical (``gaitlens.pose.vertical``) against rendered truth.

The synthetic runner is rendered in front of a furnished wall (``Style(room=True)``:
two cupboards and a door frame, 3 m behind the runner, drawn with the run's pinhole
camera) with the camera pitched (looking up or down: the wall's verticals converge),
turned from the side view and rolled (the frame rendered 1.3x larger, rotated about its
centre and cropped back, so no fill corners appear, as with a phone held off level).
The true vertical at the runner's hips is the direction from the hips' image towards
the vertical vanishing point (at infinity without pitch), rolled with the frame. The
estimator sees the clip and the runner's true landmarks (for its box and the hips),
not MediaPipe's: this measures the scene part alone; the invariance harness
(``bench/invariance.py``) measures the whole chain on MediaPipe tracks.

Usage (from the repository root)::

    nice python bench/scene_vertical.py          # writes bench/results/scene_vertical.{json,md}

About 2 min on 2 cores (60 clips of 2 s).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
ROLLS_DEG = (-6.0, -3.0, 0.0, 3.0, 6.0)
PITCHES_DEG = (-8.0, 0.0, 8.0)
YAWS_DEG = (0.0, 10.0)
SIZES = ((480, 640), (1280, 720))
OVERSIZE = 1.3


def _roll_matrix(size, roll_deg: float) -> np.ndarray:
    """3x3: the oversized frame rotated by ``roll_deg`` (+ = the scene's up leans to image
    right) about its centre, then cropped to ``size`` (width, height) around it."""
    import cv2

    w, h = size
    big = (int(round(w * OVERSIZE / 2)) * 2, int(round(h * OVERSIZE / 2)) * 2)
    m = np.eye(3)
    # cv2's positive angle turns the content counter-clockwise, tilting "up" to the left
    m[:2] = cv2.getRotationMatrix2D((big[0] / 2, big[1] / 2), -roll_deg, 1.0)
    crop = np.array([[1, 0, -(big[0] - w) / 2], [0, 1, -(big[1] - h) / 2], [0, 0, 1]])
    return crop @ m, big


def truth_vertical_deg(cam, m: np.ndarray, at_px) -> float:
    """The scene's up at ``at_px`` (final frame) from the camera's pitch and the roll
    matrix ``m``, as ``VerticalEstimate.angle_deg`` counts it."""
    b = np.radians(cam.pitch_deg)
    cx, cy = cam.width_px / 2, cam.height_px / 2
    # world up in the camera's frame: (across, up, depth) = (0, cos b, -sin b)
    vp = (
        np.array([0.0, -1.0, 0.0]) if b == 0 else np.array([cx, cy + cam.focal_px / np.tan(b), 1.0])
    )
    vp = m @ vp
    at = np.array([at_px[0], at_px[1], 1.0])
    d = vp[:2] - at[:2] * vp[2]
    if d[1] > 0:
        d = -d
    return float(np.degrees(np.arctan2(d[0], -d[1])))


def case(roll_deg, pitch_deg, yaw_deg, size, workdir, facing="right", seed=0) -> dict:
    """Render one clip (2 s, 30 fps), estimate its vertical, compare with the truth."""
    import cv2

    from gaitlens import synthetic
    from gaitlens.io.video import VideoWriter
    from gaitlens.pose.vertical import estimate_vertical
    from gaitlens.synthetic.renderer import Renderer, Style

    w, h = size
    m, big = _roll_matrix(size, roll_deg)
    params = synthetic.RunnerParams(
        duration_s=2.0, fps=30.0, image_size_px=big, facing=facing, seed=seed,
        runner_height_frac=0.70 / OVERSIZE,
        camera_pitch_deg=pitch_deg, camera_yaw_deg=yaw_deg,
    )  # fmt: skip
    run = synthetic.simulate(params)
    track = run.to_pose_track()
    xy = np.concatenate([track.xy_px, np.ones(track.xy_px.shape[:-1] + (1,))], axis=-1) @ m.T
    track = track.copy(xy_px=xy[..., :2])
    track.frame_size_px = (w, h)
    workdir = Path(workdir)
    path = workdir / f"scene_r{roll_deg:+.0f}_p{pitch_deg:+.0f}_y{yaw_deg:.0f}_{w}x{h}.mp4"
    with VideoWriter(path, w, h, fps=30.0, crf=20) as out:
        for img in Renderer(run, Style(room=True)).frames():  # frames
            out.write(cv2.warpAffine(img, m[:2], (w, h), flags=cv2.INTER_LINEAR))
    est = estimate_vertical(path, track)
    names = list(track.landmark_names)
    hips = np.nanmean(track.xy_px[:, [names.index("left_hip"), names.index("right_hip")]], axis=1)
    at = np.nanmedian(hips, axis=0)
    truth = truth_vertical_deg(run.camera, m, at)
    path.unlink()
    return {
        "roll_deg": roll_deg, "pitch_deg": pitch_deg, "yaw_deg": yaw_deg, "size": f"{w}x{h}",
        "truth_deg": truth, "estimate_deg": est.angle_deg, "se_deg": est.se_deg,
        "applied": est.applied, "n_lines": est.n_lines, "reason": est.reason,
        "error_deg": est.angle_deg - truth if est.applied else None,
    }  # fmt: skip


def summary(rows: list) -> dict:
    err = np.array([r["error_deg"] for r in rows if r["applied"]], float)
    se = np.array([r["se_deg"] for r in rows if r["applied"]], float)
    return {
        "clips": len(rows),
        "applied": int(len(err)),
        "bias_deg": float(err.mean()) if len(err) else None,
        "rmse_deg": float(np.sqrt(np.mean(err**2))) if len(err) else None,
        "max_abs_deg": float(np.abs(err).max()) if len(err) else None,
        "median_se_deg": float(np.median(se)) if len(se) else None,
        "within_2se": float(np.mean(np.abs(err) <= 2 * se)) if len(err) else None,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="rolls -3/0/3, pitch 0, one size")
    args = ap.parse_args(argv)
    grid = (
        list(itertools.product((-3.0, 0.0, 3.0), (0.0,), (0.0,), SIZES[:1]))
        if args.quick
        else list(itertools.product(ROLLS_DEG, PITCHES_DEG, YAWS_DEG, SIZES))
    )
    t0 = time.time()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (roll, pitch, yaw, size) in enumerate(grid):  # clips
            facing = "right" if k % 2 == 0 else "left"
            rows.append(
                {**case(roll, pitch, yaw, size, facing, seed=k, workdir=tmp), "facing": facing}
            )
            r = rows[-1]
            print(f"roll {roll:+.0f} pitch {pitch:+.0f} yaw {yaw:.0f} {r['size']:9s} truth "
                  f"{r['truth_deg']:+.2f} est {r['estimate_deg']:+.2f} +- {r['se_deg']:.2f} "
                  f"{'applied' if r['applied'] else r['reason']}")  # fmt: skip
    res = {"summary": summary(rows), "by_pitch": {}, "rows": rows, "seconds": time.time() - t0}
    for p in sorted({r["pitch_deg"] for r in rows}):
        res["by_pitch"][f"{p:+.0f}"] = summary([r for r in rows if r["pitch_deg"] == p])
    s = res["summary"]
    md = [
        "# The scene's vertical against rendered truth (`bench/scene_vertical.py`)",
        "",
        f"{s['clips']} rendered clips (2 s, 30 fps; rolls {ROLLS_DEG} deg, pitches "
        f"{PITCHES_DEG} deg, camera turned {YAWS_DEG} deg, {len(SIZES)} frame sizes, both "
        "facings; furnished wall 3 m behind the runner). Error = estimate - truth at the "
        "runner's hips.",
        "",
        "| pitch [deg] | clips | levelled | bias [deg] | RMSE [deg] | max abs [deg] | "
        "median SE [deg] | error within 2 SE |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, v in [*res["by_pitch"].items(), ("all", s)]:
        md.append(
            f"| {k} | {v['clips']} | {v['applied']} | {v['bias_deg']:+.2f} | {v['rmse_deg']:.2f} | "
            f"{v['max_abs_deg']:.2f} | {v['median_se_deg']:.2f} | {100 * v['within_2se']:.0f} % |"
        )
    if not args.quick:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "scene_vertical.json").write_text(
            json.dumps(res, indent=1, default=float) + "\n"
        )
        (RESULTS / "scene_vertical.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
