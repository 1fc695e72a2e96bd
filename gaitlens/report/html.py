"""``report.html`` (one self-contained file) and the Jupyter summary card.

Rendered with Jinja2 from ``templates/``. Figures are embedded as base64 PNG (plots)
and JPEG (still frames), CSS is inline and nothing refers to an external URL, so the
file opens offline and prints (``@media print``). The annotated video, when written,
is linked as a relative ``<video>`` next to the report. Every number shown carries its
uncertainty: ± SD over strides and the number of strides, or the finding's confidence.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
from pathlib import Path
from typing import Optional

import numpy as np

from .._version import __version__
from ..cleaning.checks import CameraYaw
from ..faults.rules import fault_titles, load_rules, param
from ..pelvis import TILT_SEEN_CONFIDENCE
from ..quality import MIN_MODEL_LEG_PX
from ..schema import FAULT_IDS, SIDES
from ..signals import robust_sd
from ..strides.metrics import METRICS
from . import overlay, plots
from .labels import label
from .plots import band_row

TEMPLATES = Path(__file__).resolve().parent / "templates"


def key_metrics() -> tuple:
    """Metrics shown under "key numbers" (registry order; shown when measured)."""
    return tuple(name for name, m in METRICS.items() if m.key_number)


def table_columns() -> dict:
    """Stride-table columns shown in the report, with short headers (name, unit)."""
    return {"ic_s": ("foot strike", "s"), **{n: m.table for n, m in METRICS.items() if m.table}}


SEVERITY_WORD = {"none": "not seen", "mild": "mild", "marked": "marked"}
CONFIDENCE_WORD = {
    "low": "low confidence",
    "medium": "medium confidence",
    "high": "high confidence",
}


def _finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def png_uri(fig, dpi=100) -> str:
    """A figure as an embedded PNG data URI."""
    return "data:image/png;base64," + base64.b64encode(plots.figure_png(fig, dpi=dpi)).decode()


def template(name: str):
    """A page template of ``templates/`` (report, compare, history)."""
    return _env().get_template(name)


def escape(text) -> str:
    """HTML-escaped text."""
    import markupsafe

    return str(markupsafe.escape(text))


def _jpeg_uri(img: np.ndarray, quality: int = 85) -> str:
    import cv2

    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode() if ok else ""


# ---------------------------------------------------------------------- pieces
def band_text(analysis, metric) -> str:
    band = band_row(analysis, metric)
    if band is None:
        return ""
    return label(metric).fmt_band(band.get("low"), band.get("high"))


def _status(value, lo, hi) -> str:
    if not _finite(value):
        return "na"
    if _finite(lo) and value < float(lo):
        return "low"
    if _finite(hi) and value > float(hi):
        return "high"
    return "in" if (_finite(lo) or _finite(hi)) else "na"


def key_numbers(analysis) -> list:
    """Rows: metric label, per-side median ± robust SD (n), reference band, where it
    falls, the smallest real change between sessions (MDC95, ``summary
    ["measurement_noise"]``) and positions (0-1) for the little bullet chart."""
    st = analysis.strides
    rows = []
    if st is None or not len(st):
        return rows, []
    noise = analysis.summary.get("measurement_noise", {})
    for m in key_metrics():
        if m not in st or not st[m].notna().any():
            continue
        lab = label(m)
        band = band_row(analysis, m)
        lo = float(band.get("low")) if band is not None and _finite(band.get("low")) else None
        hi = float(band.get("high")) if band is not None and _finite(band.get("high")) else None
        sides = []
        for s in SIDES:
            v = st.loc[st["side"] == s, m].to_numpy(float)
            v = v[np.isfinite(v)]
            if not len(v):
                continue
            mu = float(np.median(v))  # robust to a stray stride
            sd = robust_sd(v) if len(v) > 1 else float("nan")
            sides.append(
                dict(
                    side=s,
                    mean=mu,
                    sd=sd,
                    n=len(v),
                    text=lab.fmt(mu),
                    sd_text=lab.fmt(sd) if _finite(sd) else "–",
                    status=_status(mu, lo, hi),
                )
            )
        if not sides:
            continue
        vals = [d["mean"] for d in sides]
        vals += [d["mean"] + k * d["sd"] for d in sides if _finite(d["sd"]) for k in (-1, 1)]
        vals += [x for x in (lo, hi) if x is not None]
        vmin, vmax = min(vals), max(vals)
        c = 0.5 * (vmin + vmax)
        half = max(0.5 * (vmax - vmin) * 1.15, 0.1 * abs(c), 1e-6)
        vmin, vmax = c - half, c + half

        def pos(x, vmin=vmin, vmax=vmax):
            return float(np.clip((x - vmin) / (vmax - vmin), 0, 1))

        for d in sides:
            d["pos"] = pos(d["mean"])
            d["pos_lo"] = pos(d["mean"] - d["sd"]) if _finite(d["sd"]) else d["pos"]
            d["pos_hi"] = pos(d["mean"] + d["sd"]) if _finite(d["sd"]) else d["pos"]
        rows.append(
            dict(
                metric=m,
                label=lab.text,
                unit=lab.unit,
                sides=sides,
                band=band_text(analysis, m),
                mdc=lab.fmt(noise[m]["mdc95"]) if m in noise else "",
                band_source=str(band.get("source", "")) if band is not None else "",
                band_lo=pos(lo) if lo is not None else (0.0 if hi is not None else None),
                band_hi=pos(hi) if hi is not None else (1.0 if lo is not None else None),
                status=(
                    "out"
                    if any(d["status"] in ("low", "high") for d in sides)
                    else ("in" if lo is not None or hi is not None else "na")
                ),
                estimated="pelvic_tilt" in m,
                unreliable=m.startswith("pelvic_tilt") and _tilt_unseen(analysis),
            )
        )
    sources: list = []
    for r in rows:
        src = r["band_source"]
        if src and src not in sources:
            sources.append(src)
        r["ref"] = sources.index(src) + 1 if src else None
        if r["unreliable"]:
            r["status"] = "na"
            for d in r["sides"]:
                d["status"] = "na"
    return rows, sources


def _tilt_unseen(analysis) -> bool:
    """The pelvic tilt estimate is mostly the population prior (pelvis not seen)."""
    c = (analysis.quality or {}).get("pelvic_tilt_confidence")
    return _finite(c) and float(c) < TILT_SEEN_CONFIDENCE


def _evidence_band(analysis, metric, lo, hi) -> str:
    return label(metric).fmt_band(lo, hi) or band_text(analysis, metric)


def evidence_rows(analysis, evidence) -> list:
    """Evidence grouped by metric (primary metrics first): per side the value (median
    over strides), where it falls against the band and how many strides are outside."""
    groups: dict = {}
    for ev in evidence or []:
        metric = ev.metric
        lab = label(metric)
        g = groups.setdefault(
            metric,
            dict(
                metric=metric,
                label=lab.text,
                unit=lab.unit,
                band=_evidence_band(analysis, metric, ev.band_low, ev.band_high),
                role=ev.role,
                sides={},
            ),
        )
        val = ev.value
        side = ev.side
        outside = ev.strides_outside or []
        status = _status(val, ev.band_low, ev.band_high)
        bad = ev.direction
        if status in ("high", "low") and bad in ("high", "low") and status != bad:
            status = f"other-{status}"  # outside, but on the side that is not this fault
        elif status in ("high", "low") and not outside:
            # beyond the band edge but within the measurement error the classifier allows
            status = f"other-{status}"
        lo, hi = getattr(ev, "value_low", None), getattr(ev, "value_high", None)
        cell = dict(
            value=lab.fmt(val),
            interval=f"{lab.fmt(lo)} to {lab.fmt(hi)}" if _finite(lo) and _finite(hi) else "",
            status=status,
            n_outside=len(outside),
            n_strides=ev.n_strides,
        )
        for s in SIDES if side not in SIDES else (side,):
            g["sides"][s] = cell
    rows = list(groups.values())
    rows.sort(key=lambda g: 0 if g["role"] == "primary" else 1)
    return rows


def _per_side(per_side) -> dict:
    out = {}
    for s, v in (per_side or {}).items():
        judged = bool(v.get("judged", True))
        sev = v.get("severity", "none")
        text = SEVERITY_WORD.get(sev, sev) if judged else "not judged"
        out[s] = dict(severity=sev, judged=judged, text=text)
    return out


def sureness(finding, mild: float, marked: float) -> Optional[dict]:
    """The measured uncertainty of a finding for its card: score with its 95 % interval
    (positions 0-1 on a bar with the mild and marked thresholds) and the share of
    resampled stride sets that show the pattern."""
    iv, p = getattr(finding, "score_interval", None), getattr(finding, "p_fault", None)
    if not iv or not all(_finite(v) for v in iv) or not _finite(finding.score):
        return None
    lo, hi = (float(np.clip(v, 0, 1)) for v in iv)
    return dict(
        score=float(finding.score),
        lo=lo,
        hi=hi,
        text=f"score {finding.score:.2f}, 95 % interval {lo:.2f} to {hi:.2f}",
        p_text=(
            f"the pattern lies beyond the healthy range in {p:.0%} of the resamples "
            "(strides, retest noise and the video's accuracy)"
            if _finite(p)
            else ""
        ),
        mild=float(mild),
        marked=float(marked),
    )


def findings_context(analysis) -> list:
    out = []
    titles = fault_titles()
    rules = load_rules(getattr(analysis.config, "faults", None) or None)
    by_id = {f.id: f for f in analysis.findings or []}
    for fid in FAULT_IDS:
        f = by_id.get(fid)
        if f is None:
            out.append(
                dict(
                    id=fid,
                    title=titles[fid],
                    severity="none",
                    severity_word="not assessed",
                    confidence="low",
                    confidence_word=CONFIDENCE_WORD["low"],
                    judged=False,
                    score=None,
                    explanation="This pattern was not assessed.",
                    advice="",
                    reasons=[],
                    evidence=[],
                    per_side={},
                    missing=True,
                )
            )
            continue
        sev, conf, judged, score = f.severity, f.confidence, bool(f.judged), f.score
        out.append(
            dict(
                id=fid,
                title=f.title or titles[fid],
                severity=sev,
                severity_word=SEVERITY_WORD.get(sev, sev) if judged else "cannot judge",
                confidence=conf,
                confidence_word=CONFIDENCE_WORD.get(conf, conf),
                judged=judged,
                score=(f"{float(score):.2f}" if _finite(score) and judged else None),
                sureness=sureness(
                    f, param(rules, fid, "mild_score"), param(rules, fid, "marked_score")
                ),
                explanation=f.explanation,
                advice=f.advice,
                reasons=list(f.confidence_reasons or []),
                evidence=evidence_rows(analysis, f.evidence),
                per_side=_per_side(f.per_side),
                missing=False,
            )
        )
    return out


def headline(findings: list) -> tuple[str, str]:
    """One sentence for the top of the report, and its CSS class."""
    flagged = [f for f in findings if f["judged"] and f["severity"] in ("mild", "marked")]
    unjudged = [f for f in findings if not f["judged"]]
    tail = ""
    if unjudged:
        names = ", ".join(f["title"] for f in unjudged)
        tail = f" Not judged (the video does not show it reliably enough): {names}."
    if flagged:
        names = "; ".join(
            f"{f['title']} ({f['severity']}, {f['confidence_word']})" for f in flagged
        )
        n = len(flagged)
        return (f"{n} of 3 hamstring-loading patterns seen: {names}.{tail}", "warn")
    if unjudged:
        return (f"No hamstring-loading pattern seen in what could be judged.{tail}", "unsure")
    return ("None of the 3 hamstring-loading patterns was seen.", "ok")


#: stride ``quality`` codes (gaitlens.strides) in words
QUALITY_TEXT = {
    "interpolated": "foot strike on gap-filled keypoints",
    "to_imputed": "toe-off set from this foot's usual contact time (measured one was an outlier)",
}


def stride_table(analysis) -> dict:
    """Rows of the stride table with pretty headers and per-cell band status."""
    st = analysis.strides
    if st is None or not len(st):
        return dict(headers=[], rows=[])
    columns = table_columns()
    cols = [c for c in columns if c in st]
    flags = overlay.stride_flags(analysis)
    short = fault_titles("short_title")
    headers = [dict(name=columns[c][0], unit=columns[c][1]) for c in cols]
    limits = {}  # one band lookup per column, not per cell
    for c in cols:
        band = band_row(analysis, c)
        limits[c] = (None, None) if band is None else (band.get("low"), band.get("high"))
    rows = []
    for i, r in st.reset_index(drop=True).iterrows():
        cells = [dict(text=label(c).fmt(r[c]), status=_status(r[c], *limits[c])) for c in cols]
        fl = [short[f] for f in flags.columns if bool(flags.iloc[i][f])]
        q = str(r.get("quality", ""))
        q = "; ".join(QUALITY_TEXT.get(part, part) for part in q.split("+") if part)
        rows.append(dict(side=r["side"], stride=int(r.get("stride", i)), cells=cells, flags=fl,
                         quality="" if q in ("ok", "nan", "") else q))  # fmt: skip
    return dict(headers=headers, rows=rows)


def quality_context(analysis, findings) -> dict:
    q = dict(analysis.quality or {})
    rows = []

    def add(name, value, note=""):
        rows.append(dict(name=name, value=value, note=note))

    fps = q.get("sampling_rate_hz")
    if _finite(fps):
        note = (
            f"one frame = {1000 / float(fps):.0f} ms: event timing is good to about "
            f"±{500 / float(fps):.0f} ms"
        )
        tb = getattr(analysis, "time_base", None)
        if tb is not None and tb.source != "file":
            note = f"{tb.text()}; {note}"
        add("frame rate", f"{float(fps):.1f} frames/s", note)
    if _finite(q.get("detection_rate")):
        add("frames with the runner found", f"{100 * float(q['detection_rate']):.0f} %")
    if _finite(q.get("model_leg_px")):
        px = float(q["model_leg_px"])
        add(
            "runner's size in the frame",
            f"legs about {px:.0f} px long",
            f"in the image the pose model sees; {MIN_MODEL_LEG_PX:.0f} px or more keeps the "
            "stated accuracy"
            + (
                ""
                if px >= MIN_MODEL_LEG_PX
                else ": too small, film closer or at a higher resolution"
            ),  # fmt: skip
        )
    for s in SIDES:
        v = q.get(f"{s}_leg_visibility")
        if _finite(v):
            near = q.get("near_side")
            add(
                f"{s} leg visibility",
                f"{100 * float(v):.0f} %",
                "near the camera" if near == s else ("far from the camera" if near else ""),
            )
    per = q.get("n_valid_strides_per_side") or {}
    n_rej = 0 if analysis.rejected_strides is None else len(analysis.rejected_strides)
    add(
        "strides used",
        f"{q.get('n_valid_strides', 0)} (left {per.get('left', 0)}, right {per.get('right', 0)})",
        f"{n_rej} stride(s) set aside as inconsistent" if n_rej else "",
    )
    if _finite(q.get("pelvic_tilt_confidence")):
        add(
            "pelvic tilt estimate confidence",
            f"{100 * float(q['pelvic_tilt_confidence']):.0f} %",
            "from the body outline around the pelvis; loose clothing lowers it",
        )
    view = q.get("view")
    if isinstance(view, dict) and _finite(view.get("side_view_score")):
        add(
            "side view score",
            f"{float(view['side_view_score']):.2f}",
            "1 = clean side view; lower = the camera looks partly from the front or back",
        )
    if isinstance(view, dict) and _finite(view.get("camera_yaw_abs_deg")):
        verdict = view.get("camera_yaw_verdict")
        err = float(view.get("camera_yaw_error_deg") or 0)
        note = CameraYaw.direction_text(view.get("camera_yaw_direction", ""))
        note += f", estimated from the shoulders (about ±{err:.0f}°)"
        if _finite(view.get("camera_yaw_warn_deg")) and _finite(view.get("camera_yaw_refuse_deg")):
            note += (
                f"; a warning from {float(view['camera_yaw_warn_deg']):.0f}°, no verdict from "
                f"{float(view['camera_yaw_refuse_deg']):.0f}°"
            )
        if verdict == "refuse":
            note += ": the angles are too foreshortened to judge"
        elif verdict == "warn":
            note += ": the angles are foreshortened beyond their stated accuracy"
        mag = float(view["camera_yaw_abs_deg"])
        add("camera turned from the side view (estimated)", f"about {mag:.0f}°", note)
    elif isinstance(view, str):
        add("camera view", view)
    vert = q.get("cleaning_vertical")
    if isinstance(vert, dict) and vert.get("applied"):
        se = f" ± {float(vert['se_deg']):.1f}°" if _finite(vert.get("se_deg")) else ""
        add(
            "angles measured against",
            "the scene's vertical",
            f"the camera was {abs(float(vert['angle_deg'])):.1f}°{se} off level at the "
            f"runner, from {int(vert.get('n_lines', 0))} straight vertical edges behind them",
        )
    elif isinstance(vert, dict):
        add(
            "angles measured against",
            "the image's vertical",
            f"hold the phone level: a tilted camera tilts trunk lean and the leg angles "
            f"by as much ({vert.get('reason') or 'no level found in the scene'})",
        )
    sw = q.get("swaps_repaired")
    if sw is not None:
        n_sw = int(np.size(sw)) if not np.isscalar(sw) else int(sw)
        add(
            "frames with left/right legs mixed up, repaired",
            str(n_sw),
            "the pose model confused the legs; the cleaning step swapped them back",
        )
    reasons = []
    for f in findings:
        for r in f["reasons"]:
            if r not in reasons:
                reasons.append(r)
    reasons_rej = []
    if n_rej and "reason" in analysis.rejected_strides:
        vc = analysis.rejected_strides["reason"].astype(str).value_counts()
        reasons_rej = [f"{k} ({v})" for k, v in vc.items()]
    return dict(
        rows=rows, limits=reasons, warnings=list(analysis.warnings or []), rejected=reasons_rej
    )


def representative_stride(analysis, side: Optional[str] = None):
    """The near-side stride with the median stride time among the best-quality half."""
    st = analysis.strides
    if st is None or not len(st):
        return None
    s = side or overlay.near_side(analysis)
    r = st[st["side"] == s]
    if not len(r):
        r = st
    if "quality" in r and len(r):
        q = r["quality"]
        if q.dtype.kind in "fiu" and q.notna().any():
            r = r[q >= q.median()]
        elif (q.astype(str) == "ok").any():
            r = r[q.astype(str) == "ok"]
    med = r["stride_time_s"].median()
    return r.loc[(r["stride_time_s"] - med).abs().idxmin()]


def still_times(stride) -> list:
    ic, to, nxt = float(stride["ic_s"]), float(stride["to_s"]), float(stride["next_ic_s"])
    return [
        ("foot strike", ic),
        ("midstance", 0.5 * (ic + to)),
        ("toe-off", to),
        ("late swing (90 % of stride)", ic + 0.9 * (nxt - ic)),
    ]


def stills_context(analysis, video_path=None) -> dict:
    video_path = video_path or (analysis.video or {}).get("path")
    stride = representative_stride(analysis)
    if stride is None:
        return dict(frames=[], note="No valid stride to show.")
    if not video_path or not Path(video_path).is_file():
        return dict(frames=[], note=f"The video ({video_path}) was not found, so no stills.")
    times = still_times(stride)
    try:
        imgs = overlay.annotated_stills(
            analysis, video_path, [t for _, t in times], max_side_px=960
        )
    except Exception as exc:  # a damaged video must not stop the report
        return dict(frames=[], note=f"Still frames could not be read ({type(exc).__name__}).")
    frames = [
        dict(label=lab, time=f"{t:.2f} s", uri=_jpeg_uri(img))
        for (lab, t), img in zip(times, imgs)
        if img is not None
    ]
    side = stride["side"]
    return dict(
        frames=frames,
        note=f"{side} leg, stride {int(stride.get('stride', 0))} "
        f"(a typical stride), {side} leg drawn bright",
    )


def figures_context(analysis) -> dict:
    figs = {}
    for key, fn in (
        ("cycles", lambda: plots.plot_gait_cycles(analysis)),
        ("pelvis", lambda: plots.plot_pelvis_timing(analysis)),
        ("left_right", lambda: plots.plot_left_right(analysis)),
        ("signals", lambda: plots.plot_signals(analysis, columns=_near_columns(analysis))),
        ("timeline", lambda: plots.plot_form_timeline(analysis)),
    ):
        try:
            fig, _ = fn()
            figs[key] = png_uri(fig)
        except Exception as exc:  # one failed plot must not lose the whole report
            figs[key] = None
            figs[f"{key}_error"] = f"{type(exc).__name__}: {exc}"
    return figs


def form_context(analysis) -> dict:
    """The form-changes section: each change (metric, when, before -> after against its
    smallest real change) and, with more than one segment, each segment's verdicts."""
    # changes grouped by the cut they belong to (the segment boundary nearest in time)
    cuts = [seg.start_s for seg in (analysis.segments or [])[1:]]
    groups: dict = {}
    for c in sorted(analysis.changes or [], key=lambda c: c.time_s):
        key = min(cuts, key=lambda t: abs(t - c.time_s)) if cuts else c.time_s
        lab = label(c.metric)
        groups.setdefault(key, []).append(
            dict(
                label=lab.text,
                unit=lab.unit,
                time=f"{c.time_s:.1f} s",
                before=lab.fmt(c.before),
                after=lab.fmt(c.after),
                shift=lab.fmt(c.shift, signed=True),
                mdc=lab.fmt(c.mdc95),
                ratio=abs(c.shift) / c.mdc95 if c.mdc95 else 0.0,
            )
        )
    changes = [
        dict(time=f"{t:.1f} s", rows=sorted(rows, key=lambda r: -r["ratio"]))
        for t, rows in sorted(groups.items())
    ]
    segments = []
    for seg, fs in zip(analysis.segments or [], analysis.segment_findings or []):
        segments.append(
            dict(
                span=f"{seg.start_s:.1f}-{seg.end_s:.1f} s",
                n=seg.n_strides,
                verdicts={
                    f.id: (SEVERITY_WORD.get(f.severity, f.severity) if f.judged else "no verdict")
                    + f" ({CONFIDENCE_WORD.get(f.confidence, f.confidence)})"
                    for f in fs
                },
            )
        )
    n_metrics = len(reference_noise_metrics(analysis))
    return dict(
        changes=changes,
        n_changes=len(analysis.changes or []),
        segments=segments,
        differs=analysis.verdict_differs_between_segments,
        titles=fault_titles("short_title"),
        n_checked=n_metrics,
    )


def reference_noise_metrics(analysis) -> list:
    """The stride metrics searched for form changes (those with a smallest real change)."""
    noise = (analysis.summary or {}).get("measurement_noise") or {}
    st = analysis.strides
    return [m for m in noise if st is not None and m in st]


def _near_columns(analysis) -> list:
    s = overlay.near_side(analysis)
    return [f"{s}_hip_flexion_deg", f"{s}_knee_flexion_deg"]


def report_context(analysis, video_file: Optional[str] = None, stills: bool = True) -> dict:
    findings = findings_context(analysis)
    head, head_class = headline(findings)
    kn_rows, kn_sources = key_numbers(analysis)
    v = analysis.video or {}
    clean = analysis.clean
    summ = analysis.summary or {}
    st = analysis.strides
    cad = st["cadence_spm"].to_numpy(float) if st is not None and "cadence_spm" in st else []
    return dict(
        title=f"Running report — {Path(str(v.get('path', 'clip'))).name}",
        clip=Path(str(v.get("path", ""))).name,
        generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        version=__version__,
        video=v,
        duration=f"{float(v.get('duration_s') or 0):.1f} s",
        facing=getattr(clean, "facing", None),
        near_side=overlay.near_side(analysis),
        activity=getattr(clean, "activity", None),
        cadence=(
            f"{summ['cadence_spm']:.0f}"
            if _finite(summ.get("cadence_spm"))
            else (f"{np.nanmedian(cad):.0f}" if len(cad) and np.isfinite(cad).any() else None)
        ),
        summary=summ,
        headline=head,
        headline_class=head_class,
        findings=findings,
        key_numbers=kn_rows,
        band_sources=kn_sources,
        figures=figures_context(analysis),
        form=form_context(analysis),
        stills=stills_context(analysis) if stills else dict(frames=[], note=""),
        stride_table=stride_table(analysis),
        quality=quality_context(analysis, findings),
        video_file=video_file,
        # posed as filmed and mirrored (gaitlens.pose.flip): said in the methods
        flip_test=bool(
            ((getattr(analysis.track, "backend", None) or {}).get("pose_options") or {}).get(
                "flip_test"
            )
        ),
    )


def render_report(analysis, video_file: Optional[str] = None, stills: bool = True) -> str:
    return (
        _env()
        .get_template("report.html.j2")
        .render(**report_context(analysis, video_file, stills=stills))
    )


def write_report(analysis, path, video_file: Optional[str] = None) -> Path:
    """Write ``report.html`` (self-contained; ``video_file`` is linked relatively)."""
    path = Path(path)
    path.write_text(render_report(analysis, video_file), encoding="utf-8")
    return path


def summary_card(analysis) -> str:
    """A compact HTML card (findings and a few numbers) for Jupyter ``_repr_html_``."""
    findings = findings_context(analysis)
    head, head_class = headline(findings)
    st = analysis.strides
    nums = []
    if st is not None and len(st):
        for m in (name for name, metric in METRICS.items() if metric.card):
            if m in st and st[m].notna().any():
                v = st[m].to_numpy(float)
                v = v[np.isfinite(v)]
                lab = label(m)
                sd = lab.fmt(robust_sd(v)) if len(v) > 1 else "–"
                nums.append(dict(label=lab.full, value=f"{lab.fmt(np.median(v))} ± {sd}"))
    v = analysis.video or {}
    return (
        _env()
        .get_template("card.html.j2")
        .render(
            clip=Path(str(v.get("path", ""))).name,
            headline=head,
            headline_class=head_class,
            findings=findings,
            numbers=nums,
            n_strides=0 if st is None else len(st),
            outdir=str(analysis.outdir) if analysis.outdir else None,
        )
    )
