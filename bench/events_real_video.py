"""gaitlens's gait events against the hand labels of the shared real clip.

``../shared/data/videos/treadmill_side_runner_30fps.events.csv`` holds 67 hand-labelled
contacts (IC = first frame with the foot on the belt, TO = first frame clearly off it;
the change happened between the previous frame and this one, so the unbiased label
time is ``(frame - 0.5) / fps``, precision about +-1 frame). Each label is matched to
the nearest detected event of the same kind on the same leg (near / far, so that a
mirrored copy compares like with like) within ``MATCH_TOL_S``, one to one, nearest
pairs first. Reported per event kind and leg: found / missed / spurious, median and
95th percentile of the absolute error, bias (detected - label, mean), the largest
error, and how many labelled events belong to a valid stride.

Reusable::

    from bench.events_real_video import compare_events, summary_table
    per_event = compare_events(analysis)          # one row per label and per spurious event
    table = summary_table(per_event)              # one row per kind x leg, plus "all"

Command line (pose tracks cached by bench/invariance.py; copies made when missing)::

    nice python bench/events_real_video.py [--copies original,pose_2_segments,mirrored,half_size]

writes ``bench/results/events_real_video.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LABELS = ROOT.parent / "shared" / "data" / "videos" / "treadmill_side_runner_30fps.events.csv"
LABEL_FPS = 30.0
#: a detection further than this from every label of its kind and leg is spurious (the
#: same foot's next event of the same kind is a stride, about 0.71 s, away)
MATCH_TOL_S = 0.2
#: longest plausible contact (s): a labelled IC and TO of one leg closer than this are
#: one contact
CONTACT_MAX_S = 0.45
RESULTS = ROOT / "bench" / "results"


def load_labels(path: Path = LABELS, fps: float = LABEL_FPS) -> pd.DataFrame:
    """The hand labels with ``t_s`` = (frame - 0.5) / fps (unbiased event time)."""
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"hand labels not available: {path} (the shared data folder is absent)"
        )
    df = pd.read_csv(path)
    df["t_s"] = (df["frame"].astype(float) - 0.5) / fps
    df["event"] = df["event"].str.upper()
    # contacts cut by the clip's ends: a TO without its IC in the clip, an IC without its
    # TO (the tool, by design, times no event of an incomplete contact)
    edge = np.zeros(len(df), bool)
    for i, r in enumerate(df.itertuples(index=False)):  # 67 labels
        same = df[(df.leg == r.leg) & (df.index != df.index[i])]
        if r.event == "TO":
            edge[i] = not ((same.event == "IC") & (same.t_s < r.t_s)
                           & (same.t_s > r.t_s - CONTACT_MAX_S)).any()  # fmt: skip
        else:
            edge[i] = not ((same.event == "TO") & (same.t_s > r.t_s)
                           & (same.t_s < r.t_s + CONTACT_MAX_S)).any()  # fmt: skip
    df["at_clip_edge"] = edge
    return df


def labelled_cadence(start_s: float = 0.0, end_s: float = np.inf, labels=None) -> tuple:
    """Cadence (steps/min) of the hand-labelled events in ``[start_s, end_s)`` and its
    standard error: one straight line ``t = a_series + T k`` per leg and event kind (IC
    and TO keep the same rhythm), fitted with a common stride time ``T`` by least
    squares; the SE from the residuals (ordinary least squares covariance). With the
    ICs alone a 6 s half of the shared clip has an SE of about 0.4 spm (labels +-1
    frame, 16 strikes), so the TOs are used too (0.2-0.3 spm)."""
    lab = load_labels() if labels is None else labels
    rows = []
    series = [(leg, kind) for leg in ("near", "far") for kind in ("IC", "TO")]
    for j, (leg, kind) in enumerate(series):
        t = lab.loc[(lab.leg == leg) & (lab.event == kind), "t_s"].to_numpy(float)
        t = np.sort(t[(t >= start_s) & (t < end_s)])
        if len(t) < 2:
            continue
        k = np.round((t - t[0]) / np.median(np.diff(t)))  # stride numbers
        rows += [(kk, tt, j) for kk, tt in zip(k, t)]
    k, t, ser = (np.array(v, float) for v in zip(*rows))
    x = np.column_stack([k] + [(ser == j).astype(float) for j in np.unique(ser)])
    coef = np.linalg.lstsq(x, t, rcond=None)[0]
    res = t - x @ coef
    var = (res @ res) / (len(t) - x.shape[1]) * np.linalg.inv(x.T @ x)[0, 0]
    stride = float(coef[0])
    return 120.0 / stride, 120.0 / stride**2 * float(np.sqrt(var))


def labelled_contact_time(start_s: float = 0.0, end_s: float = np.inf, labels=None) -> dict:
    """Contact time (s) of the hand-labelled contacts whose strike lies in
    ``[start_s, end_s)``: ``{"near" | "far" | "pooled": (mean, standard error, n)}``.

    The mean, not the median: a label is a whole frame (33 ms at 30 fps), so a median of
    labelled contact times moves in frame steps (the shared clip's halves: 233 and 267
    ms) while the mean averages the quantisation out. The SE is the sample SD over
    sqrt(n); it holds the labels' own +-1 frame. A real runner's contact time need not
    be the same in both halves: the shared clip's labels say 0.229 and 0.256 s."""
    lab = load_labels() if labels is None else labels
    ct: dict = {"near": [], "far": []}
    for leg in ct:
        mine = lab[lab.leg == leg]
        tos = np.sort(mine.loc[mine.event == "TO", "t_s"].to_numpy(float))
        for t in np.sort(mine.loc[mine.event == "IC", "t_s"].to_numpy(float)):
            nxt = tos[(tos > t) & (tos < t + CONTACT_MAX_S)]
            if start_s <= t < end_s and len(nxt):
                ct[leg].append(nxt[0] - t)
    ct["pooled"] = ct["near"] + ct["far"]
    out = {}
    for leg, v in ct.items():
        v = np.asarray(v, float)
        se = float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) >= 2 else float("nan")
        out[leg] = (float(np.mean(v)) if len(v) else float("nan"), se, int(len(v)))
    return out


def _detected(analysis) -> pd.DataFrame:
    """Detected events as rows (leg near/far, event IC/TO, t_s from the first frame,
    in_valid_stride)."""
    ev = analysis.events
    near = analysis.quality.get("near_side") or analysis.clean.near_side
    t0 = float(analysis.track.time_s[0])
    used: dict = {}
    st = analysis.strides
    for r in st.itertuples(index=False):  # strides
        for kind, t in (("IC", r.ic_s), ("TO", r.to_s), ("IC", r.next_ic_s)):
            used.setdefault((r.side, kind), []).append(float(t))
    rows = []
    for side in ("left", "right"):
        for kind, times in (("IC", ev.ic_s), ("TO", ev.to_s)):
            for t in np.asarray(times.get(side, []), float):  # events of one foot
                u = used.get((side, kind), [])
                rows.append({
                    "leg": "near" if side == near else "far",
                    "side": side,
                    "event": kind,
                    "t_s": t - t0,
                    "in_valid_stride": bool(any(abs(t - x) < 1e-6 for x in u)),
                })  # fmt: skip
    return pd.DataFrame(rows, columns=["leg", "side", "event", "t_s", "in_valid_stride"])


def compare_events(
    analysis, labels: Optional[pd.DataFrame] = None, tol_s: float = MATCH_TOL_S
) -> pd.DataFrame:
    """One row per label (``status`` found / missed) and per spurious detection.

    Columns: ``leg``, ``event``, ``status``, ``frame``, ``label_s``, ``detected_s``,
    ``error_ms`` (detected - label), ``certainty``, ``in_valid_stride``.
    """
    labels = load_labels() if labels is None else labels
    det = _detected(analysis)
    out = []
    for (leg, kind), lab in labels.groupby(["leg", "event"]):
        d = det[(det.leg == leg) & (det.event == kind)].reset_index(drop=True)
        lt, dt = lab["t_s"].to_numpy(float), d["t_s"].to_numpy(float)
        dist = np.abs(lt[:, None] - dt[None, :]) if len(dt) else np.zeros((len(lt), 0))
        pairs, used_l, used_d = {}, set(), set()
        for i, j in sorted(np.ndindex(*dist.shape), key=lambda ij: dist[ij]):  # small
            if dist[i, j] > tol_s:
                break
            if i not in used_l and j not in used_d:
                pairs[i] = j
                used_l.add(i)
                used_d.add(j)
        for i, r in enumerate(lab.itertuples(index=False)):  # labels
            j = pairs.get(i)
            out.append({
                "leg": leg,
                "event": kind,
                "status": "found" if j is not None else "missed",
                "frame": int(r.frame),
                "label_s": float(r.t_s),
                "detected_s": float(dt[j]) if j is not None else np.nan,
                "error_ms": 1000.0 * (dt[j] - r.t_s) if j is not None else np.nan,
                "certainty": r.certainty,
                "at_clip_edge": bool(r.at_clip_edge),
                "in_valid_stride": bool(d.in_valid_stride[j]) if j is not None else False,
            })  # fmt: skip
        for j in range(len(dt)):
            if j not in used_d:
                out.append({
                    "leg": leg, "event": kind, "status": "spurious", "frame": -1,
                    "label_s": np.nan, "detected_s": float(dt[j]), "error_ms": np.nan,
                    "certainty": "", "at_clip_edge": False,
                    "in_valid_stride": bool(d.in_valid_stride[j]),
                })  # fmt: skip
    return pd.DataFrame(out)


def summary_table(per_event: pd.DataFrame) -> pd.DataFrame:
    """Per event kind x leg (and ``all``): labels, found, missed, spurious, in valid
    strides, median / p95 / max absolute error (ms), bias (ms), sure-only median."""
    groups = [(k, l) for k in ("IC", "TO") for l in ("near", "far")]
    groups += [("IC", "all"), ("TO", "all"), ("all", "all")]
    rows = []
    for kind, leg in groups:
        sel = per_event
        if kind != "all":
            sel = sel[sel.event == kind]
        if leg != "all":
            sel = sel[sel.leg == leg]
        lab = sel[sel.status != "spurious"]
        f = sel[sel.status == "found"]
        e = f["error_ms"].to_numpy(float)
        a = np.abs(e)
        sure = np.abs(f.loc[f.certainty == "sure", "error_ms"].to_numpy(float))
        rows.append({
            "event": kind,
            "leg": leg,
            "labels": int(len(lab)),
            "found": int(len(f)),
            "missed": int((sel.status == "missed").sum()),
            "missed_at_clip_edge": int(((sel.status == "missed") & sel.at_clip_edge).sum()),
            "spurious": int((sel.status == "spurious").sum()),
            "in_valid_stride": int(f["in_valid_stride"].sum()),
            "median_abs_ms": float(np.median(a)) if len(a) else np.nan,
            "p95_abs_ms": float(np.percentile(a, 95)) if len(a) else np.nan,
            "max_abs_ms": float(a.max()) if len(a) else np.nan,
            "bias_ms": float(e.mean()) if len(e) else np.nan,
            "sure_median_abs_ms": float(np.median(sure)) if len(sure) else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)


def worst_events(per_event: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    f = per_event[per_event.status == "found"].copy()
    f["abs_ms"] = f["error_ms"].abs()
    return f.sort_values("abs_ms", ascending=False).head(n)


def markdown_table(table: pd.DataFrame) -> str:
    head = (
        "| event | leg | labels | found | missed (at clip ends) | spurious | in valid strides | "
        "median abs [ms] | p95 abs [ms] | max abs [ms] | bias [ms] |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):  # rows of a small table
        lines.append(
            f"| {r.event} | {r.leg} | {r.labels} | {r.found} | {r.missed} "
            f"({r.missed_at_clip_edge}) | {r.spurious} | "
            f"{r.in_valid_stride} | {r.median_abs_ms:.1f} | {r.p95_abs_ms:.1f} | "
            f"{r.max_abs_ms:.1f} | {r.bias_ms:+.1f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    from bench import invariance as inv

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", default="original,pose_2_segments,mirrored,half_size")
    ap.add_argument("--fresh-pose", action="store_true")
    args = ap.parse_args(argv)
    if not LABELS.is_file() or not inv.REAL_CLIP.is_file():
        sys.exit(f"shared data not available ({LABELS.parent}); nothing to compare")
    import gaitlens.io.video as gv

    m = gv.probe(inv.REAL_CLIP)
    specs = {s.name: s for s in inv.copy_specs(m.width_px, m.height_px, m.nominal_fps,
                                               m.frame_count)}  # fmt: skip
    labels = load_labels()
    res, md = {}, ["# Events against the hand labels (treadmill_side_runner_30fps)", ""]
    for name in args.copies.split(","):
        track, _ = inv.copy_track(inv.REAL_CLIP, specs[name], args.fresh_pose)
        analysis, err = inv.analyse(track)
        if analysis is None:
            md += [f"## {name}", "", f"analysis failed: {err}", ""]
            res[name] = {"error": err}
            continue
        per = compare_events(analysis, labels)
        tab = summary_table(per)
        worst = worst_events(per)
        res[name] = {
            "summary": tab.to_dict(orient="records"),
            # the per-label rows would copy the shared label file into the repository
            "worst": worst.to_dict(orient="records"),
            "near_side": analysis.quality.get("near_side"),
        }
        md += [f"## {name} ({specs[name].label})", "", markdown_table(tab), "", "Worst events:", ""]
        for r in worst.itertuples(index=False):  # five rows
            md.append(
                f"- {r.leg} {r.event} frame {r.frame} ({r.certainty}): {r.error_ms:+.0f} ms"
                f"{'' if r.in_valid_stride else ' (not in a valid stride)'}"
            )
        md.append("")
        print(f"{name}:")
        print(tab.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "events_real_video.json").write_text(json.dumps(inv._jsonable(res), indent=1) + "\n")
    (RESULTS / "events_real_video.md").write_text("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
