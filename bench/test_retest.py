"""Test-retest reliability per stride metric: SEM and MDC95 from split-clip differences.

Each clip of the invariance runs (``bench/results/invariance_<clip>.json``, written by
bench/invariance.py) gives three pairs of independent measurements of the same run:

- ``video_halves``: the first and the second half of the clip, cut from the video and
  analysed separately (pose, cleaning, events and metrics all re-run);
- ``stride_halves``: the original clip's valid strides that start before / after the
  middle of the clip (one analysis, strides split in time);
- ``odd_even``: the original clip's valid strides, alternately per leg (1st, 3rd, ...
  vs 2nd, 4th, ... stride of each leg).

Per pair the difference of the medians (pooled over both legs; per leg as an extra) is
taken; over all pairs of all clips ``SEM = SD(differences) / sqrt(2)`` and
``MDC95 = 1.96 x sqrt(2) x SEM`` (Weir 2005, J Strength Cond Res 19:231; Haley &
Fragala-Pinkham 2006, Phys Ther 86:735), in the metric's own unit. Each half holds
about half of a clip's strides (about 5-7 per leg), so these are the SEM and MDC of a
median over about 10-14 strides; ``sem_full_clip_scaled`` divides by sqrt(2) for a
median over twice as many strides, which assumes stride-to-stride independent error
(it does not hold for errors that stay through a clip, e.g. a pose bias).

Usage::

    python bench/test_retest.py            # all invariance_*.json in bench/results
    python bench/test_retest.py --write    # and the package's measurement-noise data

writes ``bench/results/test_retest.json`` (metric -> {sem, mdc95, n_pairs, method,
clips, ...}) and prints a markdown table; ``--write`` also writes
``gaitlens/data/test_retest.json`` (per metric ``sem``, ``mdc95`` in the unit of the
strides.csv column, ``n_pairs``), which the report's key numbers and analysis.json show
and ``gaitlens.reference.measurement_noise`` reads.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.invariance import METRICS, RESULTS  # noqa: E402

METHOD = (
    "SEM = SD of split-clip differences / sqrt(2), MDC95 = 1.96 * sqrt(2) * SEM; pairs: "
    "video halves analysed separately, stride halves in time and odd/even strides of one "
    "analysis, per clip; medians over the valid strides of each half, both legs pooled"
)


def _median(x) -> float:
    x = np.asarray([v for v in x if v is not None], float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else float("nan")


def clip_pairs(result: dict) -> list:
    """[(method, metric, leg, a, b)] for one invariance result."""
    recs = result["records"]
    out = []
    fh, sh = recs.get("first_half"), recs.get("second_half")
    if fh and sh and fh["ok"] and sh["ok"]:
        for m in METRICS:
            for leg in ("pooled", "near", "far"):
                out.append(("video_halves", m, leg, fh["metrics"][m][leg], sh["metrics"][m][leg]))
    o = recs.get("original")
    if o and o["ok"] and "strides" in o:
        st = o["strides"]
        ic = np.asarray(st["ic_s"], float)
        nic = np.asarray(st["next_ic_s"], float)
        legs = np.asarray(st["leg"], dtype=object)
        mid = 0.5 * (np.nanmin(ic) + np.nanmax(nic))
        first = 0.5 * (ic + nic) < mid  # stride centre before the clip's middle
        odd = np.zeros(len(ic), bool)
        for leg in ("near", "far"):
            idx = np.flatnonzero(legs == leg)
            idx = idx[np.argsort(ic[idx])]
            odd[idx[::2]] = True
        for method, sel in (("stride_halves", first), ("odd_even", odd)):
            for m in METRICS:
                x = np.asarray([np.nan if v is None else v for v in st[m]], float)
                for leg in ("pooled", "near", "far"):
                    keep = np.ones(len(x), bool) if leg == "pooled" else legs == leg
                    a, b = _median(x[keep & sel]), _median(x[keep & ~sel])
                    out.append((method, m, leg, a, b))
    return out


#: copies of a clip that film the same run differently (bench/invariance.py); their
#: spread is the noise of comparing sessions filmed differently (``sem_setup``)
SETUP_COPIES = ("reencoded", "mirrored", "half_size", "quarter_size", "low_bitrate",
                "fps_half", "padded", "rot_cw3", "rot_ccw3", "dark_low_contrast")  # fmt: skip


def setup_spread(results: list) -> dict:
    """Per metric: the SD of the clip median across the differently filmed copies of
    each clip (original included), pooled over clips (root mean variance), and the
    number of clips that gave it."""
    out = {}
    for m in METRICS:
        var = []
        for res in results:
            recs = res["records"]
            vals = [recs[c]["metrics"][m]["pooled"] for c in ("original", *SETUP_COPIES)
                    if recs.get(c) and recs[c].get("ok")]  # fmt: skip
            vals = np.asarray([np.nan if v is None else v for v in vals], float)
            vals = vals[np.isfinite(vals)]
            if len(vals) >= 3:
                var.append(np.var(vals, ddof=1))
        out[m] = (float(np.sqrt(np.mean(var))) if var else float("nan"), len(var))
    return out


def sem_table(results: list) -> dict:
    rows: dict = {}
    for res in results:
        for method, m, leg, a, b in clip_pairs(res):
            if a is None or b is None or not (np.isfinite(a) and np.isfinite(b)):
                continue
            rows.setdefault((m, leg), []).append((res["name"], method, b - a))
    out = {}
    spread = setup_spread(results)
    for m in METRICS:
        d = rows.get((m, "pooled"), [])
        entry = _stats([x[2] for x in d])
        entry.update(
            method=METHOD,
            clips=sorted({x[0] for x in d}),
            pairs_by_method={
                k: sum(1 for x in d if x[1] == k)
                for k in ("video_halves", "stride_halves", "odd_even")
            },
            unit=_label(m).unit,
        )
        entry["sem_by_method"] = {
            k: _stats([x[2] for x in d if x[1] == k])["sem"]
            for k in ("video_halves", "stride_halves", "odd_even")
        }
        entry["sem_setup"], entry["n_clips_setup"] = spread[m]
        for leg in ("near", "far"):
            s = _stats([x[2] for x in rows.get((m, leg), [])])
            entry[f"sem_{leg}_leg"] = s["sem"]
            entry[f"n_pairs_{leg}_leg"] = s["n_pairs"]
        out[m] = entry
    return out


def _stats(d) -> dict:
    d = np.asarray(d, float)
    n = len(d)
    sem = float(np.std(d, ddof=1) / np.sqrt(2)) if n >= 3 else float("nan")
    # the same from the median absolute deviation: how much a few pairs drive the SD
    mad = float(np.median(np.abs(d - np.median(d)))) if n >= 3 else float("nan")
    return {
        "sem": sem,
        "mdc95": 1.96 * np.sqrt(2) * sem,
        "n_pairs": int(n),
        "sem_robust": 1.4826 * mad / np.sqrt(2),
        "mean_diff": float(d.mean()) if n else float("nan"),
        "sem_full_clip_scaled": sem / np.sqrt(2),
    }


def _label(m: str):
    from gaitlens.strides.metrics import label_of

    return label_of(m)


def markdown(table: dict) -> str:
    lines = [
        "| metric | unit | SEM | MDC95 | n pairs | mean diff (2nd - 1st) | SEM near / far leg | "
        "SEM robust (MAD) | SEM video halves / stride halves / odd-even |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m, e in table.items():
        lab = _label(m)  # values shown in the report's unit (stored value x factor)
        k, unit, nd = lab.factor, lab.unit, lab.decimals + 1

        def f(v, k=k, nd=nd):
            return "–" if v is None or not np.isfinite(v) else f"{v * k:.{nd}f}"

        lines.append(
            f"| {m} | {unit} | {f(e['sem'])} | {f(e['mdc95'])} | {e['n_pairs']} | "
            f"{f(e['mean_diff'])} | {f(e['sem_near_leg'])} / {f(e['sem_far_leg'])} | "
            f"{f(e['sem_robust'])} | "
            + " / ".join(f(v) for v in e["sem_by_method"].values())
            + " |"
        )
    return "\n".join(lines) + "\n"


def package_data(table: dict, results: list) -> dict:
    """The compact product copy of ``table`` (metrics with at least 8 pairs)."""
    backends = sorted(
        {
            " ".join(str(b[k]) for k in ("name", "mediapipe_version", "api", "model") if b.get(k))
            for r in results
            if (b := r.get("pose_backend"))
        }  # fmt: skip
    )
    metrics = {
        m: {
            "sem": float(f"{e['sem']:.6g}"),
            "mdc95": float(f"{e['mdc95']:.6g}"),
            "n_pairs": e["n_pairs"],
            # spread of the clip median when the same run is filmed differently
            "sem_setup": float(f"{e['sem_setup']:.6g}"),
        }
        for m, e in table.items()
        if e["n_pairs"] >= 8 and np.isfinite(e["sem"])
    }
    return {
        "description": (
            "Test-retest measurement noise of the clip median of each stride metric: SEM "
            "and MDC95 in the unit of the strides.csv column. A change between two "
            "sessions smaller than MDC95 is within measurement noise (95 %)."
        ),
        "method": METHOD,
        "method_setup": (
            "sem_setup = SD of the clip median across copies of one clip filmed "
            "differently (" + ", ".join(SETUP_COPIES) + "), pooled over clips; used "
            "instead of sem when two sessions were filmed differently"
        ),
        "reference": (
            "Weir 2005, J Strength Cond Res 19:231-240; Haley & Fragala-Pinkham 2006, "
            "Phys Ther 86:735-743"
        ),
        "clips": [r["name"] for r in results],
        "pose_backends": backends,
        "generated_by": "bench/invariance.py --all; bench/test_retest.py --write",
        "generated": date.today().isoformat(),
        "metrics": metrics,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true",
                    help="also write the package data gaitlens/data/test_retest.json")  # fmt: skip
    args = ap.parse_args(argv)
    files = sorted(RESULTS.glob("invariance_*.json"))
    files = [f for f in files if not f.stem.startswith("invariance_diagnosis")]
    if not files:
        sys.exit("no bench/results/invariance_*.json: run bench/invariance.py first")
    results = [json.loads(p.read_text()) for p in files]
    table = sem_table(results)
    clean = json.loads(json.dumps(table, default=float).replace("NaN", "null"))
    (RESULTS / "test_retest.json").write_text(json.dumps(clean, indent=1) + "\n")
    md = markdown(table)
    (RESULTS / "test_retest.md").write_text(
        "# Test-retest SEM and MDC95 per stride metric\n\n"
        f"Clips: {', '.join(r['name'] for r in results)}.\n\n{METHOD}.\n\n{md}"
    )
    if args.write:
        out = ROOT / "gaitlens" / "data" / "test_retest.json"
        out.write_text(json.dumps(package_data(table, results), indent=1) + "\n")
        print(f"wrote {out.relative_to(ROOT)}")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
