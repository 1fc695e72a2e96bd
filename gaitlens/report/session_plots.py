"""Plots of several sessions: two sessions' gait cycles and left/right medians on the
same axes (``gaitlens compare``), and each key metric against the session date
(``gaitlens history``). Same conventions as ``plots``: ``(fig, axes)`` returned."""

from __future__ import annotations

import numpy as np

from ..schema import SIDES
from .labels import label
from .plots import CYCLE_PCT, SIGNALS, band_row, cycle_curves, left_right_metrics, near_side

#: session colours: before grey-blue, after strong (colour-blind safe pair)
SESSION_COLOR = ("#7f8fa6", "#d1495b")
TREND_COLOR = "#1d3557"


def _mean(curves: np.ndarray) -> np.ndarray:
    ok = np.isfinite(curves).sum(axis=0) > 0
    out = np.full(curves.shape[1], np.nan)
    out[ok] = np.nanmean(curves[:, ok], axis=0)
    return out


def _scaled_swing(curve: np.ndarray, start_pct: float) -> np.ndarray:
    sw = (CYCLE_PCT >= start_pct) & np.isfinite(curve)
    peak = np.nanmax(np.abs(curve[sw])) if sw.any() else np.nan
    return curve / peak if np.isfinite(peak) and peak > 0 else curve * np.nan


def plot_compare_cycles(analyses, labels):
    """Hip flexion, knee flexion (near leg of each session, mean over strides with the
    inter-quartile band) and the pelvis-vs-swing-thigh timing of both sessions."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 3.6))
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.3, top=0.86, wspace=0.3)
    axes = fig.subplots(1, 3)
    for k, (a, lab) in enumerate(zip(analyses, labels)):
        s = near_side(a)
        c = SESSION_COLOR[k]
        for ax, sig in zip(axes[:2], ("hip_flexion", "knee_flexion")):
            curves = cycle_curves(a, SIGNALS[sig][0].format(side=s), s)
            if not len(curves):
                continue
            seen = np.isfinite(curves).any(axis=0)  # strides cover 0-100 % but NaN ends
            q1, q3 = np.full((2, curves.shape[1]), np.nan)
            q1[seen], q3[seen] = np.nanpercentile(curves[:, seen], [25, 75], axis=0)
            ax.fill_between(CYCLE_PCT, q1, q3, color=c, alpha=0.18, lw=0)
            ax.plot(CYCLE_PCT, _mean(curves), color=c, lw=2.2,
                    label=f"{lab} ({len(curves)} {s} strides)")  # fmt: skip
        thigh = cycle_curves(a, f"{s}_thigh_angular_velocity_deg_per_s", s)
        pelvis = cycle_curves(a, "pelvis_vx_legs_per_s", s)
        if len(thigh) and len(pelvis):
            axes[2].plot(CYCLE_PCT, _scaled_swing(_mean(thigh), 40.0), color=c, lw=1.2, ls=":")
            axes[2].plot(CYCLE_PCT, _scaled_swing(_mean(pelvis), 40.0), color=c, lw=2.2,
                         label=f"{lab}: pelvis (solid), thigh (dotted)")  # fmt: skip
    for ax, sig in zip(axes[:2], ("hip_flexion", "knee_flexion")):
        ax.set_ylabel(SIGNALS[sig][1], fontsize="small")
        ax.set_title(SIGNALS[sig][2], loc="left", fontsize="medium", fontweight="bold")
    axes[2].set_title("Pelvis vs swing thigh", loc="left", fontsize="medium", fontweight="bold")
    axes[2].set_ylabel("forward speed, scaled to\nits peak in swing", fontsize="small")
    axes[2].axhline(0, color="#999", lw=0.8)
    for ax in axes:
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of stride (0 = foot strike)", fontsize="small")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.2),
                      frameon=False)  # fmt: skip
    return fig, axes


def plot_compare_left_right(analyses, labels, metrics=None):
    """Left and right medians (± robust SD) of both sessions per metric, one row per
    metric on its own scale, the healthy band in grey."""
    from matplotlib.figure import Figure

    from ..signals import robust_sd

    metrics = list(left_right_metrics() if metrics is None else metrics)
    metrics = [m for m in metrics
               if all(a.strides is not None and m in a.strides and a.strides[m].notna().any()
                      for a in analyses)]  # fmt: skip
    height_in = 0.42 * max(len(metrics), 2) + 0.9
    fig = Figure(figsize=(10.0, height_in))
    # fixed margins in inches: long metric names on the left, a two-line title above
    fig.subplots_adjust(left=0.36, right=0.98, bottom=0.15 / height_in, top=1 - 0.6 / height_in)
    ax = fig.subplots()
    for row, m in enumerate(metrics):
        y = len(metrics) - 1 - row
        lab = label(m)
        pts = []
        for k, a in enumerate(analyses):
            st = a.strides
            for j, s in enumerate(SIDES):
                v = st.loc[st["side"] == s, m].to_numpy(float) * lab.factor
                v = v[np.isfinite(v)]
                if len(v):
                    off = (k - 0.5) * 0.36 + (j - 0.5) * 0.14
                    pts.append((y + off, np.median(v), robust_sd(v) if len(v) > 1 else 0.0, k, s))
        band = band_row(analyses[0], m)
        vals = [p[1] - p[2] for p in pts] + [p[1] + p[2] for p in pts]
        lo = hi = np.nan
        if band is not None:
            lo = float(band.get("low")) * lab.factor if band.get("low") is not None else np.nan
            hi = float(band.get("high")) * lab.factor if band.get("high") is not None else np.nan
        vals += [x for x in (lo, hi) if np.isfinite(x)]
        if not vals:
            continue
        vmin, vmax = min(vals), max(vals)
        half = max(0.5 * (vmax - vmin) * 1.15, 1e-6)
        centre = 0.5 * (vmin + vmax)
        vmin, vmax = centre - half, centre + half
        if np.isfinite(lo) or np.isfinite(hi):
            a0 = (lo - vmin) / (vmax - vmin) if np.isfinite(lo) else 0.0
            b0 = (hi - vmin) / (vmax - vmin) if np.isfinite(hi) else 1.0
            ax.barh(y, b0 - a0, left=a0, height=0.8, color="#eeeeee", zorder=0)
        for yy, med, sd, k, s in pts:
            ax.errorbar((med - vmin) / (vmax - vmin), yy, xerr=sd / (vmax - vmin),
                        fmt="o" if s == "left" else "s", color=SESSION_COLOR[k], ms=5,
                        capsize=2, lw=1.2)  # fmt: skip
    ax.set_yticks(range(len(metrics)))
    ax.set_yticklabels([f"{label(m).text} [{label(m).unit}]" for m in reversed(metrics)],
                       fontsize="small")  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, max(len(metrics), 1) - 0.4)
    ax.set_xticks([])
    for sp in ("top", "right", "bottom"):
        ax.spines[sp].set_visible(False)
    ax.set_title(f"{labels[0]} (grey-blue) vs {labels[1]} (red); circle = left, square = "
                 "right; whiskers = ±1 robust SD;\ngrey = healthy band; each row on its own "
                 "scale", loc="left", fontsize="small")  # fmt: skip
    return fig, ax


def plot_history(hist, metrics=None):
    """Each metric's median per session (with its 95 % interval) against the session,
    the healthy band in grey and, around the first session's value, the band of
    changes within measurement noise (± MDC95, hatched)."""
    from matplotlib.figure import Figure

    t = hist.table
    metrics = [m for m in (metrics or dict.fromkeys(t["metric"])) if (t["metric"] == m).any()]
    order = {s.label: k for k, s in enumerate(hist.sessions)}
    n = max(len(metrics), 1)
    ncol = 2 if n > 1 else 1
    nrow = int(np.ceil(n / ncol))
    fig = Figure(figsize=(11.0, 2.7 * nrow + 0.4))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.1 / nrow + 0.04, top=1 - 0.25 / nrow,
                        hspace=0.75, wspace=0.25)  # fmt: skip
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    names = [s.label if not s.date else f"{s.label}\n{s.date}" for s in hist.sessions]
    x = np.arange(len(names))
    for ax, m in zip(axes, metrics):
        lab = label(m)
        d = t[t["metric"] == m]
        d = d.assign(k=d["session"].map(order)).sort_values("k")
        f = lab.factor
        band = band_row(hist.analyses[0], m) if hist.analyses else None
        if band is not None:
            lo, hi = band.get("low"), band.get("high")
            lo = float(lo) * f if lo is not None and np.isfinite(float(lo)) else -np.inf
            hi = float(hi) * f if hi is not None and np.isfinite(float(hi)) else np.inf
            ax.axhspan(max(lo, -1e9), min(hi, 1e9), color="#e6e6e6", zorder=0,
                       label="healthy runners")  # fmt: skip
        med = d["median"].to_numpy(float) * f
        if len(d) and np.isfinite(d["mdc95"].iloc[0]) and np.isfinite(med[0]):
            mdc = float(d["mdc95"].iloc[0]) * f
            ax.axhspan(med[0] - mdc, med[0] + mdc, facecolor="none", edgecolor="#999",
                       hatch="///", lw=0, label="within noise of the first session")  # fmt: skip
        xs = d["k"].to_numpy(int)
        err = np.vstack([med - d["low"].to_numpy(float) * f, d["high"].to_numpy(float) * f - med])
        ax.errorbar(xs, med, yerr=np.clip(err, 0, None), fmt="o-", color=TREND_COLOR, lw=1.8,
                    capsize=4, label="median, 95 % interval")  # fmt: skip
        span = np.r_[med, d["low"].to_numpy(float) * f, d["high"].to_numpy(float) * f]
        span = span[np.isfinite(span)]
        if len(span):  # every interval in view, with room around it
            pad = max(0.25 * np.ptp(span), abs(float(np.median(span))) * 0.05, 0.5)
            ax.set_ylim(span.min() - pad, span.max() + pad)
        ax.set_xlim(-0.4, len(names) - 0.6)
        ax.set_xticks(x)
        ax.set_xticklabels(names, fontsize="x-small")
        ax.set_title(f"{lab.text} [{lab.unit}]" if lab.unit else lab.text, loc="left",
                     fontsize="medium", fontweight="bold")  # fmt: skip
        ax.grid(alpha=0.3, axis="y")
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    if metrics:
        axes[0].legend(fontsize="x-small", loc="best")
    return fig, axes[: len(metrics)]
