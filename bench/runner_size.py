"""How small may the runner be in the frame? Metrics against the runner's size in pixels.

The issue-20 invariance copies showed the quarter-size copies as the ones furthest from
the original (35 of the failing metric x leg rows over six clips). This bench measures
how each stride metric drifts as the runner shrinks: the shared real clip and the five
invariance renders (``bench/invariance.RENDERS``) are scaled down to 2/3, 1/2, 1/3, 1/4
and 1/6 of their size (FFmpeg ``scale``, area filter, x264 crf 18) and analysed like
every copy of ``bench/invariance.py`` (pose cached, one worker); per copy the median of
each metric over the valid strides (pooled legs) is compared with the full-size copy's.

The size is the runner's **leg length in the pixels the pose model is given**:
``quality.leg_length_px`` (hip-knee-ankle, image pixels) times the decode downscale
(``model_input_max_side_px`` / the frame's longer side, at most 1): the analysis's
``quality.model_leg_px``, which ``gaitlens.quality.runner_size_warnings`` judges. The
result sets its threshold.

Usage (from the repository root; about 4 min with the invariance cache)::

    nice python bench/runner_size.py [--clips real,r1_normal_right,...]

Writes ``bench/results/runner_size.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import invariance as inv  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SCALES = (1.0, 2 / 3, 1 / 2, 1 / 3, 1 / 4, 1 / 6)
#: metric -> (unit factor, unit, the invariance target of issue 20 for its spread)
METRICS = {
    "contact_time_s": (1000.0, "ms", 15.0),
    "shank_angle_ic_deg": (1.0, "deg", 3.0),
    "knee_flexion_ic_deg": (1.0, "deg", 3.0),
    "knee_flexion_midstance_deg": (1.0, "deg", 3.0),
    "hip_flexion_ic_deg": (1.0, "deg", 3.0),
    "hip_extension_to_deg": (1.0, "deg", 3.0),
    "trunk_lean_mean_deg": (1.0, "deg", 1.5),
    "pelvis_lag_ms": (1.0, "ms", 25.0),
}
#: valid strides kept, as a share of the full-size copy's (issue 20: >= 85 %)
VALID_SHARE = 0.85
#: leg-length bins (model pixels) of the summary table
BINS_PX = ((200, 1e9), (90, 200), (70, 90), (50, 70), (0, 50))


def scale_spec(scale: float, width: int, height: int):
    """The copy of a ``width`` x ``height`` clip scaled by ``scale`` (1 = the clip)."""
    if scale == 1.0:
        return inv.CopySpec("original", "reference", "the clip as given")
    w, h = inv.even_px(width * scale), inv.even_px(height * scale)
    return inv.CopySpec(
        f"scale_{w}x{h}", "invariance", f"scaled to {w}x{h}", f"scale={w}:{h}:flags=area"
    )


def clip_path(name: str) -> Path:
    return inv.REAL_CLIP if name == "real" else inv.render_clip(name)


def measure(name: str, log=print) -> list:
    """One row per scale of clip ``name``: leg px, valid strides and metric medians."""
    import gaitlens.io.video as gv

    path = clip_path(name)
    m = gv.probe(path)
    rows = []
    for s in SCALES:
        spec = scale_spec(s, m.width_px, m.height_px)
        track, _video = inv.copy_track(path, spec, log=log)
        analysis, err = inv.analyse(track)
        w, h = inv.even_px(m.width_px * s), inv.even_px(m.height_px * s)
        row = {"clip": name, "scale": s, "size": f"{w}x{h}", "error": err}
        if analysis is None:
            rows.append({**row, "leg_px": np.nan, "n_valid": 0})
            continue
        rec = inv.record(analysis, err, keep_strides=False)
        row.update(
            leg_px=analysis.quality.get("model_leg_px") or np.nan,
            n_valid=rec["n_valid"],
            **{k: rec["metrics"][k]["pooled"] for k in METRICS},
        )
        rows.append(row)
    return rows


def deviations(rows: list) -> list:
    """Each scaled copy against its clip's full-size copy: |delta| per metric in the
    metric's unit, the valid-stride share, and which targets it misses."""
    full = {r["clip"]: r for r in rows if r["scale"] == 1.0}
    out = []
    for r in rows:
        f = full[r["clip"]]
        d = {"clip": r["clip"], "scale": r["scale"], "size": r["size"], "leg_px": r["leg_px"]}
        d["valid_share"] = r["n_valid"] / f["n_valid"] if f["n_valid"] else np.nan
        misses = [] if d["valid_share"] >= VALID_SHARE else ["valid strides"]
        for k, (fac, _unit, target) in METRICS.items():
            v = abs(r.get(k, np.nan) - f[k]) * fac if r["n_valid"] else np.nan
            d[k] = v
            # a metric the full-size copy has no value for is not judged (r3's pelvis lag)
            if np.isfinite(f[k]) and not (v <= target):
                misses.append(k)
        d["misses"] = misses
        out.append(d)
    return out


def markdown(dev: list) -> str:
    cols = list(METRICS)
    head = "| clip | size | leg px (model) | valid strides | " + " | ".join(
        f"{k} [{METRICS[k][1]}] (<= {METRICS[k][2]:g})" for k in cols
    )
    lines = [
        "# Metrics against the runner's size in the frame",
        "",
        "|delta| of each median (pooled legs, valid strides) against the same clip at full "
        "size; leg px = leg length in the pixels the pose model was given. Bold: beyond "
        "the issue-20 invariance target. `python bench/runner_size.py`.",
        "",
        head + " |",
        "|" + "---|" * (4 + len(cols)),
    ]
    for d in sorted(dev, key=lambda d: (d["clip"], -d["scale"])):
        cells = [d["clip"], d["size"], f"{d['leg_px']:.0f}", f"{100 * d['valid_share']:.0f} %"]
        if d["valid_share"] < VALID_SHARE:
            cells[-1] = f"**{cells[-1]}**"
        for k in cols:
            v = d[k]
            txt = "-" if not np.isfinite(v) else f"{v:.1f}"
            cells.append(f"**{txt}**" if k in d["misses"] else txt)
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Copies missing a target, by leg length", ""]
    lines += ["| leg px (model) | copies | missing any target | targets missed (copies) |"]
    lines += ["|---|---|---|---|"]
    for lo, hi in BINS_PX:
        sel = [d for d in dev if d["scale"] < 1 and lo <= d["leg_px"] < hi]
        if not sel:
            continue
        counts: dict = {}
        for d in sel:
            for k in d["misses"]:
                counts[k] = counts.get(k, 0) + 1
        miss = sum(bool(d["misses"]) for d in sel)
        what = ", ".join(f"{k} ({n})" for k, n in sorted(counts.items(), key=lambda x: -x[1]))
        label = f">= {lo:.0f}" if hi > 1e8 else f"{lo:.0f}-{hi:.0f}"
        lines.append(f"| {label} | {len(sel)} | {miss} | {what or '-'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", default="real," + ",".join(inv.RENDERS))
    args = ap.parse_args(argv)
    rows = []
    for name in args.clips.split(","):
        if name == "real" and not inv.REAL_CLIP.is_file():
            print("the shared real clip is not available; skipped")
            continue
        rows += measure(name)
    dev = deviations(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "runner_size.json").write_text(
        json.dumps(inv._jsonable({"rows": rows, "deviations": dev}), indent=1) + "\n"
    )
    (RESULTS / "runner_size.md").write_text(markdown(dev))
    print(markdown(dev))
    return 0


if __name__ == "__main__":
    sys.exit(main())
