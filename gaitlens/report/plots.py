"""Plots of one analysis, ``plot_*(analysis, ..., ax=None) -> (fig, ax)``.

The convention of ``movement`` (neuroinformatics-unit): each function draws on the
given axes or makes its own figure, and returns both. The report composes them and
notebooks call them directly. Matplotlib's Agg backend is used when no backend is
set (no display needed). Gait-cycle curves are time-normalised per stride (initial
contact to the next initial contact of the same foot = 0-100 %), the usual
presentation of running kinematics (e.g. Fukuchi et al. 2017, PeerJ 5:e3298).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..schema import SIDES
from ..signals import robust_sd
from ..strides.metrics import METRICS
from . import overlay
from .labels import label

SIDE_COLOR = {"left": "#1f77b4", "right": "#ff7f0e"}
PELVIS_COLOR = "#333333"
NORM_COLOR = "#9e9e9e"
CYCLE_PCT = np.linspace(0.0, 100.0, 101)
#: what the normative band is (gaitlens.reference.normative_curves: 46 healthy runners,
#: about 2.5 m/s, Fukuchi et al. BMC/RIC comparison, CC BY 4.0)
NORM_LABEL = {
    "hip_flexion": "46 healthy runners, lab 3-D (hip vs pelvis), mean ± SD",
    "knee_flexion": "46 healthy runners, lab 3-D, mean ± SD",
}

#: signal -> (frame column template, axis label, title)
SIGNALS = {
    "hip_flexion": (
        "{side}_hip_flexion_deg",
        "hip flexion [deg]\n(trunk-referenced, + = thigh forward)",
        "Hip flexion",
    ),
    "knee_flexion": ("{side}_knee_flexion_deg", "knee flexion [deg]\n(0 = straight)", "Knee bend"),
    "pelvic_tilt": (
        "pelvic_tilt_est_deg",
        "pelvic tilt, ESTIMATED [deg]\n(+ = anterior, forward)",
        "Pelvic tilt (estimate)",
    ),
    "hamstring_stretch": (
        "{side}_hamstring_stretch_pct",
        "hamstring stretch\n[% of standing length]",
        "Hamstring stretch",
    ),
}


#: Figure margins in inches (left, right, bottom, top): a title above, a one- or
#: two-line axis label on the left, an x label below. Fixed margins instead of
#: matplotlib's constrained layout, which measured every text box again at each save
#: (about a third of the report's figure time).
MARGINS_IN = (0.95, 0.2, 0.6, 0.4)
#: ... with a legend in a row under the x label
MARGINS_LEGEND_BELOW_IN = (0.95, 0.2, 0.9, 0.4)


def _axes(ax, figsize=(6.0, 3.6), margins_in=MARGINS_IN, layout: Optional[str] = None):
    """``(fig, ax)``: the given axes, or a new pyplot-free figure (renders with Agg)
    with fixed margins (or a matplotlib ``layout`` engine when the text is variable)."""
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout=layout)
        if layout is None:
            _fixed_margins(fig, margins_in)
        return fig, fig.add_subplot()
    return ax.figure, ax


def _fixed_margins(fig, margins_in, gaps_in=(0.0, 0.0), nrow: int = 1, ncol: int = 1) -> None:
    """Place a grid of axes with margins and gaps given in inches."""
    w, h = fig.get_size_inches()
    left, right, bottom, top = margins_in
    ax_w = (w - left - right - (ncol - 1) * gaps_in[0]) / ncol
    ax_h = (h - bottom - top - (nrow - 1) * gaps_in[1]) / nrow
    fig.subplots_adjust(
        left=left / w,
        right=1 - right / w,
        bottom=bottom / h,
        top=1 - top / h,
        wspace=gaps_in[0] / ax_w,
        hspace=gaps_in[1] / ax_h,
    )


def _sides(analysis, side):
    if side is not None:
        return [side]
    st = analysis.strides
    if st is None or not len(st):
        return []
    return [s for s in SIDES if (st["side"] == s).any()]


def near_side(analysis) -> str:
    return overlay.near_side(analysis)


def cycle_curves(analysis, column: str, side: str) -> np.ndarray:
    """``(n_strides, 101)``: ``column`` of the per-frame table over 0-100 % of each
    stride of ``side`` (linear interpolation on the real frame times)."""
    fr, st = analysis.frames, analysis.strides
    if fr is None or st is None or column not in fr or not len(st):
        return np.empty((0, CYCLE_PCT.size))
    t = fr["time_s"].to_numpy(float)
    y = fr[column].to_numpy(float)
    rows = st[st["side"] == side]
    out = []
    for a, b in zip(rows["ic_s"].to_numpy(float), rows["next_ic_s"].to_numpy(float)):
        m = (t >= a - 1e-9) & (t <= b + 1e-9) & np.isfinite(y)
        if m.sum() < 4 or not np.isfinite([a, b]).all() or b <= a:
            continue
        pct = (t[m] - a) / (b - a) * 100.0
        out.append(np.interp(CYCLE_PCT, pct, y[m], left=np.nan, right=np.nan))
    return np.array(out) if out else np.empty((0, CYCLE_PCT.size))


def toe_off_pct(analysis, side: str) -> float:
    st = analysis.strides
    if st is None or not len(st) or "to_s" not in st:
        return float("nan")
    r = st[st["side"] == side]
    v = (r["to_s"] - r["ic_s"]) / (r["next_ic_s"] - r["ic_s"]) * 100.0
    return float(np.nanmean(v)) if len(v) else float("nan")


def normative_band(signal: str):
    """``(pct, mean, sd, label)`` of healthy runners for ``signal`` from
    ``gaitlens.reference.normative_curves()``, or ``None`` when unavailable."""
    try:
        from .. import reference

        curves = reference.normative_curves()
    except Exception:
        return None
    if curves is None:
        return None
    key = {"hip_flexion": "hip", "knee_flexion": "knee", "pelvic_tilt": "pelvic_tilt",
           "hamstring_stretch": "hamstring"}[signal]  # fmt: skip
    try:
        import pandas as pd

        if isinstance(curves, dict):
            item = curves.get(signal) or curves.get(key)
            if item is None:
                return None
            if isinstance(item, pd.DataFrame):
                curves = item
            else:
                pct = np.asarray(item.get("pct", item.get("gait_cycle_pct", CYCLE_PCT)), float)
                return (
                    pct,
                    np.asarray(item["mean"], float),
                    np.asarray(item["sd"], float),
                    str(item.get("label", "healthy runners, mean ± SD")),
                )
        df = curves
        pct_col = next(
            (c for c in ("pct_cycle", "gait_cycle_pct", "pct", "cycle_pct") if c in df), None
        )
        pct = df[pct_col].to_numpy(float) if pct_col else CYCLE_PCT
        if "joint" in df and {"mean_deg", "sd_deg"} <= set(df):
            # long format of gaitlens.reference: pct_cycle, joint, mean_deg, sd_deg
            sub = df[df["joint"].astype(str).isin([signal, key])].sort_values(pct_col)
            if not len(sub):
                return None
            return (
                sub[pct_col].to_numpy(float),
                sub["mean_deg"].to_numpy(float),
                sub["sd_deg"].to_numpy(float),
                NORM_LABEL.get(signal, "healthy runners, mean ± SD"),
            )
        if "signal" in df:
            df = df[df["signal"].isin([signal, key])]
            if not len(df):
                return None
            pct = df[pct_col].to_numpy(float) if pct_col else CYCLE_PCT
            return (
                pct,
                df["mean"].to_numpy(float),
                df["sd"].to_numpy(float),
                str(df["label"].iloc[0] if "label" in df else "healthy runners, mean ± SD"),
            )
        for m_col, s_col in (
            (f"{signal}_mean_deg", f"{signal}_sd_deg"),
            (f"{key}_flexion_mean_deg", f"{key}_flexion_sd_deg"),
            (f"{key}_mean_deg", f"{key}_sd_deg"),
            (f"{key}_mean", f"{key}_sd"),
        ):
            if m_col in df and s_col in df:
                return (
                    pct,
                    df[m_col].to_numpy(float),
                    df[s_col].to_numpy(float),
                    ("healthy runners, mean ± SD"),
                )
    except Exception:
        return None
    return None


# ---------------------------------------------------------------------- gait cycle
MAX_DRAWN_STRIDES = 40


def plot_gait_cycle(analysis, signal: str = "hip_flexion", side: Optional[str] = None,
                    ax=None, norms: bool = True, legend: bool = True):  # fmt: skip
    """One signal over the gait cycle: every stride thin, the mean bold, per side;
    the healthy runners' mean ± SD band behind it when available; mean toe-off dashed."""
    if signal not in SIGNALS:
        raise ValueError(f"signal must be one of {', '.join(SIGNALS)}, not {signal!r}")
    template, ylabel, title = SIGNALS[signal]
    fig, ax = _axes(ax)
    band = normative_band(signal) if norms else None
    if band is not None:
        pct, m, sd, lab = band
        ax.fill_between(pct, m - sd, m + sd, color=NORM_COLOR, alpha=0.35, lw=0, label=lab)
        ax.plot(pct, m, color=NORM_COLOR, lw=1)
    n_total = 0
    sides = _sides(analysis, side)
    near = near_side(analysis)
    for s in sides:
        curves = cycle_curves(analysis, template.format(side=s), s)
        if not len(curves):
            continue
        n_total += len(curves)
        c = SIDE_COLOR[s]
        far = len(sides) > 1 and s != near
        # at most MAX_DRAWN_STRIDES thin lines (evenly spread over the clip); the mean
        # uses every stride. Hundreds of lines add nothing visible and cost memory/time.
        shown = curves[np.unique(np.linspace(0, len(curves) - 1, MAX_DRAWN_STRIDES).astype(int))]
        _thin_lines(ax, CYCLE_PCT, shown, color=c, lw=0.6, alpha=0.2 if far else 0.3)
        mean = _nanmean(curves)
        lab = f"{s} ({len(curves)} strides{', far leg: less certain' if far else ''})"
        ax.plot(CYCLE_PCT, mean, color=c, lw=1.6 if far else 2.4, ls="--" if far else "-",
                label=lab)  # fmt: skip
        to = toe_off_pct(analysis, s)
        if np.isfinite(to):
            ax.axvline(to, color=c, ls="--", lw=1)
    if signal == "pelvic_tilt" and n_total:
        note = _tilt_note(analysis)
        if note:
            ax.text(0.02, 0.04, note, transform=ax.transAxes, fontsize="small", color="#8a4b00",
                    bbox=dict(facecolor="#fff7e6", edgecolor="#e0b070"))  # fmt: skip
    ax.set_xlim(0, 100)
    ax.ticklabel_format(axis="y", useOffset=False)  # a flat curve must not read "1e-11+13.8"
    lo, hi = ax.get_ylim()
    if hi - lo < 2.0:  # a (nearly) constant signal: show it on a few degrees
        mid = 0.5 * (lo + hi)
        ax.set_ylim(mid - 5.0, mid + 5.0)
    ax.set_xlabel("% of stride (0 = foot strike, vertical dashes = toe-off)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize="medium", fontweight="bold")
    ax.grid(alpha=0.3)
    if n_total == 0:
        ax.text(0.5, 0.5, "no valid strides", ha="center", va="center", transform=ax.transAxes)
    elif legend:
        # a fixed place: matplotlib's "best" search costs about 0.4 s per figure
        ax.legend(fontsize="small", loc="upper right", framealpha=0.85, edgecolor="none")
    return fig, ax


def _thin_lines(ax, x: np.ndarray, ys: np.ndarray, **style) -> None:
    """Many curves over the same x as one LineCollection (one artist: drawn in one
    pass instead of one Line2D each); NaN samples leave gaps as ``plot`` would."""
    from matplotlib.collections import LineCollection

    segs = []
    for y in ys:
        ok = np.isfinite(y)
        if not ok.any():
            continue
        # split at NaN gaps
        edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(int), 0]))
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a >= 2:
                segs.append(np.column_stack([x[a:b], y[a:b]]))
    if segs:
        ax.add_collection(LineCollection(segs, **style))
        ax.update_datalim(np.concatenate(segs))
        ax.autoscale_view()


def _nanmean(curves: np.ndarray) -> np.ndarray:
    """Mean over strides per % of cycle; NaN (no warning) where no stride has data."""
    ok = np.isfinite(curves)
    n = ok.sum(axis=0)
    return np.where(n > 0, np.where(ok, curves, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)


def _tilt_note(analysis) -> str:
    """Why the tilt curve may not show this runner's own tilt (flat or a prior)."""
    fr = analysis.frames
    notes = []
    conf = np.nan
    if fr is not None and "pelvic_tilt_confidence" in fr:
        conf = float(np.nanmean(fr["pelvic_tilt_confidence"])) if len(fr) else np.nan
    if np.isfinite(conf) and conf < 0.25:
        notes.append(f"pelvis not seen well (confidence {conf:.0%}): the level is mostly\n"
                     "the healthy-runner average, not this runner's own tilt")  # fmt: skip
    attrs = getattr(fr, "attrs", {}) or {}
    if attrs.get("pelvic_tilt_dynamic") is False:
        notes.append("tilt changes within the stride are not measured (flat line)")
    return "\n".join(notes)


def plot_gait_cycles(analysis, signals=tuple(SIGNALS), side=None):
    """All gait-cycle signals in a grid (for the report); returns ``(fig, axes)``."""
    from matplotlib.figure import Figure

    n = len(signals)
    ncol = 2 if n > 1 else 1
    nrow = int(np.ceil(n / ncol))
    fig = Figure(figsize=(10, 3.3 * nrow))
    _fixed_margins(fig, MARGINS_IN, gaps_in=(1.05, 0.95), nrow=nrow, ncol=ncol)
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    for ax, sig in zip(axes, signals):
        plot_gait_cycle(analysis, sig, side=side, ax=ax)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


# ---------------------------------------------------------------------- pelvis timing
def plot_pelvis_timing(analysis, side: Optional[str] = None, ax=None):
    """Pelvis versus swing leg: the swing thigh's forward angular velocity and the
    pelvis's forward velocity over the stride of the swing leg (each scaled to its
    peak in swing). The thigh's phase (the peak of its stride-frequency sinusoid,
    ``thigh_phase_pct_cycle``) is marked, and the pelvis lag of the stride table (median
    over strides, ``gaitlens.strides.metrics.pelvis_timing``) is drawn as an arrow from
    it to the pelvis surge, so the picture and the numbers agree."""
    # a two-line summary above the axes (it covered the curves inside them)
    fig, ax = _axes(ax, figsize=(8.0, 4.2), margins_in=(0.95, 0.2, 0.9, 0.85))
    s = side or near_side(analysis)
    thigh = cycle_curves(analysis, f"{s}_thigh_angular_velocity_deg_per_s", s)
    pelvis = cycle_curves(analysis, "pelvis_vx_legs_per_s", s)
    to = toe_off_pct(analysis, s)
    lo = to if np.isfinite(to) else 40.0
    if np.isfinite(to):
        ax.axvspan(lo, 100, color="#f2f2f2", zorder=0)
        ax.text(99, 0.03, "swing phase", transform=ax.get_xaxis_transform(), ha="right",
                fontsize="small", color="#666")  # fmt: skip
    thigh_peak = np.nan
    for curves, color, name in (
        (thigh, SIDE_COLOR[s], f"{s} thigh swinging forward (angular velocity)"),
        (pelvis, PELVIS_COLOR, "pelvis moving forward (velocity)"),
    ):
        if not len(curves):
            continue
        mean = _nanmean(curves)
        sw = (CYCLE_PCT >= lo) & np.isfinite(mean)
        peak = np.nanmax(np.abs(mean[sw])) if sw.any() else np.nan
        if not np.isfinite(peak) or peak == 0:
            continue
        ax.plot(CYCLE_PCT, curves.T / peak, color=color, lw=0.5, alpha=0.2)
        ax.plot(CYCLE_PCT, mean / peak, color=color, lw=2.2, label=name)
    st = analysis.strides
    if st is not None and "thigh_phase_pct_cycle" in st:
        ph = st.loc[st["side"] == s, "thigh_phase_pct_cycle"].to_numpy(float)
        ph = ph[np.isfinite(ph)]
        if len(ph):
            thigh_peak = float(np.median(ph))
            ax.axvline(thigh_peak, color=SIDE_COLOR[s], ls=":", lw=1.5)
    sub = "pelvis lag not measured"
    lag_pct = np.array([])
    if st is not None and "pelvis_lag_ms" in st:
        v = st.loc[st["side"] == s, "pelvis_lag_ms"].to_numpy(float)
        v = v[np.isfinite(v)]
        if "pelvis_lag_pct" in st:
            lag_pct = st.loc[st["side"] == s, "pelvis_lag_pct"].to_numpy(float)
            lag_pct = lag_pct[np.isfinite(lag_pct)]
        if len(v):
            q1, med, q3 = np.percentile(v, [25, 50, 75])
            sub = f"pelvis surges forward {med:.0f} ms after the thigh swings forward"
            sub += f" (median of {len(v)} strides; middle half {q1:.0f} to {q3:.0f} ms)"
            band = band_row(analysis, "pelvis_lag_ms")
            if band is not None:
                text = label("pelvis_lag_ms").fmt_band(band.get("low"), band.get("high"))
                sub += f"\nhealthy runners: {text or '–'} ms"
    if np.isfinite(thigh_peak) and len(lag_pct):
        end = thigh_peak + float(np.median(lag_pct))
        ax.annotate("", xy=(end, 1.12), xytext=(thigh_peak, 1.12),
                    arrowprops=dict(arrowstyle="->", color=PELVIS_COLOR, lw=1.8))  # fmt: skip
        ax.axvline(end, color=PELVIS_COLOR, ls=":", lw=1.5)
        ax.text(end, 1.16, " pelvis surge", fontsize="small", va="bottom",
                ha="left" if end < 80 else "right")  # fmt: skip
    ax.set_xlim(0, 100)
    ax.set_ylim(-1.15, 1.45)
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_xlabel(f"% of {s} stride (0 = {s} foot strike); dotted = thigh swing, pelvis surge")
    ax.set_ylabel("forward speed\n(scaled to its peak in swing)")
    ax.set_title("Pelvis vs swing leg timing", loc="left", fontsize="medium", fontweight="bold",
                 pad=30)  # fmt: skip
    ax.text(0.0, 1.02, sub, transform=ax.transAxes, va="bottom", ha="left", fontsize="small")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
                  frameon=False)  # fmt: skip
    ax.grid(alpha=0.3)
    return fig, ax


def band_row(analysis, metric):
    """The reference band of ``metric`` (a row of ``analysis.bands``) or None."""
    b = analysis.bands
    try:
        if b is not None and metric in b.index:
            return b.loc[metric]
    except Exception:
        return None
    return None


# ---------------------------------------------------------------------- left / right
def left_right_metrics() -> tuple:
    """Metrics of the left/right chart (registry order)."""
    return tuple(name for name, m in METRICS.items() if m.left_right)


def plot_left_right(analysis, metrics=None, ax=None):
    """Left versus right per metric (default: ``left_right_metrics()``): each row on its
    own scale, dots = median, whiskers = ±1 robust SD over strides, grey bar = reference band;
    the values are written on the right."""
    metrics = left_right_metrics() if metrics is None else metrics
    st = analysis.strides
    metrics = [m for m in metrics if st is not None and m in st and st[m].notna().any()]
    # metric names of any length on the left: constrained layout sizes the margin
    fig, ax = _axes(ax, figsize=(9.0, 0.42 * max(len(metrics), 2) + 1.0), layout="constrained")
    if not metrics:
        ax.text(0.5, 0.5, "no valid strides", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig, ax
    for row, m in enumerate(metrics):
        y = len(metrics) - 1 - row
        lab = label(m)
        stats = {}
        for s in SIDES:
            v = st.loc[st["side"] == s, m].to_numpy(float) * lab.factor
            v = v[np.isfinite(v)]
            if len(v):
                stats[s] = (np.median(v), robust_sd(v) if len(v) > 1 else 0.0, len(v))
        band = band_row(analysis, m)
        lo = hi = np.nan
        if band is not None:
            lo = float(band.get("low")) * lab.factor if band.get("low") is not None else np.nan
            hi = float(band.get("high")) * lab.factor if band.get("high") is not None else np.nan
        vals = [a - b for a, b, _ in stats.values()] + [a + b for a, b, _ in stats.values()]
        vals += [x for x in (lo, hi) if np.isfinite(x)]
        if not vals:
            continue
        vmin, vmax = min(vals), max(vals)
        centre = 0.5 * (vmin + vmax)
        half = max(0.5 * (vmax - vmin) * 1.15, 0.25 * abs(centre), 1.0)
        vmin, vmax = centre - half, centre + half

        def pos(x, vmin=vmin, vmax=vmax):
            return (x - vmin) / (vmax - vmin)

        if np.isfinite(lo) or np.isfinite(hi):
            a = pos(lo) if np.isfinite(lo) else 0.0
            b = pos(hi) if np.isfinite(hi) else 1.0
            ax.barh(y, b - a, left=a, height=0.55, color="#dddddd", zorder=0)
        for k, s in enumerate(SIDES):
            if s not in stats:
                continue
            mu, sd, _ = stats[s]
            yy = y + (0.13 if k == 0 else -0.13)
            ax.errorbar(pos(mu), yy, xerr=sd / (vmax - vmin), fmt="o", color=SIDE_COLOR[s],
                        ms=6, capsize=3, lw=1.5)  # fmt: skip
        txt = "   ".join(
            f"{s[0].upper()} {lab.fmt(mu / lab.factor)} ± {lab.fmt(sd / lab.factor)}"
            for s, (mu, sd, _) in stats.items()
        )
        ax.text(1.03, y, f"{txt} {lab.unit}", va="center", fontsize="small",
                transform=ax.get_yaxis_transform())  # fmt: skip
    ax.set_yticks(range(len(metrics)))
    ax.set_yticklabels([label(m).text for m in reversed(metrics)])
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(metrics) - 0.4)
    ax.set_xticks([])
    for sp in ("top", "right", "bottom"):
        ax.spines[sp].set_visible(False)
    near = near_side(analysis)
    tag = {s: (", near camera" if s == near else ", far") for s in SIDES}
    ax.set_title(
        f"Left (blue{tag['left']}) vs right (orange{tag['right']}): dot = median, "
        "whiskers = ±1 robust SD over strides,\ngrey = healthy band; each row has its own scale",
        loc="left", fontsize="small",
    )  # fmt: skip
    return fig, ax


# ---------------------------------------------------------------------- time series
def plot_signals(analysis, columns=None, ax=None, t_range=None):
    """Per-frame signals over time (default: hip and knee flexion of both legs), with
    the near leg's stances shaded and its foot strikes marked."""
    fr = analysis.frames
    fig, ax = _axes(ax, figsize=(10.0, 3.4), margins_in=MARGINS_LEGEND_BELOW_IN)
    if fr is None or not len(fr):
        ax.text(0.5, 0.5, "no per-frame signals", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
        return fig, ax
    if columns is None:
        columns = [f"{s}_{q}_flexion_deg" for q in ("hip", "knee") for s in SIDES]
    t = fr["time_s"].to_numpy(float)
    near = near_side(analysis)
    c = f"{near}_contact"
    if c in fr:
        on = fr[c].to_numpy(float) > 0.5
        ax.fill_between(
            t, 0, 1, where=on, color=SIDE_COLOR[near], alpha=0.1, lw=0,
            transform=ax.get_xaxis_transform(), label=f"{near} foot on ground",
        )  # fmt: skip
    for col in columns:
        if col not in fr:
            continue
        side = col.split("_")[0]
        color = SIDE_COLOR.get(side)
        ls = "--" if "knee" in col else "-"
        ax.plot(t, fr[col].to_numpy(float), color=color, ls=ls, lw=1.2, label=label(col).text)
    ic = getattr(analysis.events, "ic_s", None) or {}
    for tt in np.asarray(ic.get(near, []), float):
        ax.axvline(tt, color=SIDE_COLOR[near], lw=0.6, alpha=0.6)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("angle [deg]")
    if t_range is not None:
        ax.set_xlim(*t_range)
    else:
        ax.set_xlim(t[0], t[-1])
    ax.grid(alpha=0.3)
    ax.legend(
        fontsize="small", ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False
    )
    return fig, ax


# ---------------------------------------------------------------------- form timeline
#: what the timeline shows when no form change was found: the measures behind the faults
TIMELINE_DEFAULT = ("trunk_lean_mean_deg", "hip_flexion_ic_deg", "pelvis_lag_pct")


def timeline_metrics(analysis, max_panels: int = 4) -> list:
    """The metrics the form timeline shows: those that changed (largest shift relative
    to its smallest real change first), else ``TIMELINE_DEFAULT``."""
    best: dict = {}
    for c in analysis.changes or []:
        r = abs(c.shift) / c.mdc95 if c.mdc95 else 0.0
        best[c.metric] = max(best.get(c.metric, 0.0), r)
    if best:
        return sorted(best, key=best.get, reverse=True)[:max_panels]
    st = analysis.strides
    return [m for m in TIMELINE_DEFAULT if st is not None and m in st and st[m].notna().any()]


def plot_form_timeline(analysis, metrics=None):
    """Per-stride values over the clip (dots per side at the stride's middle), each
    segment's median (black line) and the form changes (dashed), one panel per metric
    (default ``timeline_metrics``). Returns ``(fig, axes)``."""
    from matplotlib.figure import Figure

    metrics = timeline_metrics(analysis) if metrics is None else list(metrics)
    st = analysis.strides
    n = max(len(metrics), 1)
    fig = Figure(figsize=(10.0, 1.9 * n + 0.9))
    _fixed_margins(fig, (0.95, 0.2, 0.55, 0.45), gaps_in=(0.0, 0.3), nrow=n)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False).ravel()
    if st is None or not len(st) or not metrics:
        axes[0].text(0.5, 0.5, "no valid strides", ha="center", va="center",
                     transform=axes[0].transAxes)  # fmt: skip
        return fig, axes
    mid = 0.5 * (st["ic_s"].to_numpy(float) + st["next_ic_s"].to_numpy(float))
    segs = analysis.segments or []
    for ax, m in zip(axes, metrics):
        lab = label(m)
        v = st[m].to_numpy(float) * lab.factor if m in st else np.full(len(st), np.nan)
        for s in SIDES:
            on = (st["side"] == s).to_numpy()
            ax.plot(mid[on], v[on], "o", ms=4, color=SIDE_COLOR[s], alpha=0.8, label=f"{s} strides")
        for seg in segs:
            inside = (mid >= seg.start_s) & (mid <= seg.end_s) & np.isfinite(v)
            if inside.any():
                ax.hlines(np.median(v[inside]), seg.start_s, seg.end_s, color="k", lw=1.5)
        for c in analysis.changes or []:
            if c.metric == m:
                ax.axvline(c.time_s, color="#c62828", ls="--", lw=1.2)
        for seg in segs[1:]:
            ax.axvline(seg.start_s, color="#777777", ls=":", lw=1.0)
        ax.set_ylabel(f"{lab.text}\n[{lab.unit}]" if lab.unit else lab.text, fontsize="small")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time in the clip [s] (each dot = one stride, at its middle)")
    axes[0].legend(fontsize="small", ncol=2, loc="lower left", bbox_to_anchor=(0.0, 1.0),
                   frameon=False)  # fmt: skip
    return fig, axes


# ---------------------------------------------------------------------- helpers
def figure_png(fig, dpi: int = 100) -> bytes:
    """PNG bytes of a matplotlib figure (for embedding)."""
    import io

    buf = io.BytesIO()
    # fast zlib level: the report embeds a handful of figures; size matters less than time
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buf.getvalue()
