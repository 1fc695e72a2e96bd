"""``compare.html`` / ``history.html``: self-contained pages (same look as the report)
for two or more sessions of one runner, plus their JSON and CSV, written atomically."""

from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path

from .._version import __version__
from ..io.export import write_csv
from ..io.outputs import write_folder
from . import html, session_plots

COMPARE_FILES = ("compare.html", "compare.json", "compare.csv")
HISTORY_FILES = ("history.html", "history.json", "history.csv")
DIRECTION_CLASS = {"improved": "sev-none", "worsened": "sev-marked", "unchanged": "conf-medium",
                   "unknown": "sev-unjudged"}  # fmt: skip


def _fmt(v, factor: float = 1.0, decimals: int = 1, signed: bool = False) -> str:
    try:
        x = float(v) * factor
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(x):
        return "–"
    return f"{x:+.{decimals}f}" if signed else f"{x:.{decimals}f}"


def _decimals(metric: str) -> int:
    from .labels import label

    return label(metric).decimals


def metric_rows(comparison) -> list:
    """The metric table of the page: display units, intervals and the noise verdict."""
    rows = []
    for m in comparison.metrics:
        d, f = _decimals(m.metric), m.factor
        status = (
            "not measured in both" if m.beyond_noise is None and m.n_before * m.n_after == 0
            else "noise unknown" if m.beyond_noise is None
            else "beyond noise" if m.beyond_noise else "within noise"
        )  # fmt: skip

        def iv(v, lo, hi, f=f, d=d):
            return f"{_fmt(v, f, d)} ({_fmt(lo, f, d)} to {_fmt(hi, f, d)})"

        rows.append(dict(
            label=m.label, unit=m.unit,
            before=iv(m.before, m.before_low, m.before_high),
            after=iv(m.after, m.after_low, m.after_high),
            diff=_fmt(m.difference, f, d, signed=True),
            diff_interval=(f"{_fmt(m.difference_low, f, d, True)} to "
                           f"{_fmt(m.difference_high, f, d, True)}"),
            mdc=_fmt(m.mdc95, f, d), status=status, real=bool(m.beyond_noise),
            n=f"{m.n_before} / {m.n_after}",
        ))  # fmt: skip
    return rows


def _stills(analysis) -> dict:
    try:
        return html.stills_context(analysis)
    except Exception as exc:  # a missing or damaged video must not stop the page
        return dict(frames=[], note=f"no stills ({type(exc).__name__})")


def _png(fn) -> tuple:
    try:
        fig, _ = fn()
        return html.png_uri(fig), None
    except Exception as exc:  # one failed plot must not lose the page
        return None, f"{type(exc).__name__}: {exc}"


def comparison_context(comparison, stills: bool = True) -> dict:
    a, b = comparison.analyses if comparison.analyses else (None, None)
    labels = (comparison.before.label, comparison.after.label)
    figs = {}
    if a is not None:
        figs["cycles"], figs["cycles_error"] = _png(
            lambda: session_plots.plot_compare_cycles((a, b), labels)
        )
        figs["lr"], figs["lr_error"] = _png(
            lambda: session_plots.plot_compare_left_right((a, b), labels)
        )
    n_real = sum(1 for m in comparison.metrics if m.beyond_noise)
    headline = (
        f"{n_real} of {len(comparison.metrics)} measures changed beyond measurement noise"
        if comparison.metrics else "No measure could be compared"
    )  # fmt: skip
    return dict(
        version=__version__,
        generated=_dt.date.today().isoformat(),
        title=f"gaitlens comparison: {labels[0]} vs {labels[1]}",
        c=comparison,
        labels=labels,
        headline=headline,
        headline_class="unsure" if comparison.confidence == "low" else "ok",
        findings=comparison.findings,
        direction_class=DIRECTION_CLASS,
        rows=metric_rows(comparison),
        figs=figs,
        stills=[_stills(x) for x in (a, b)] if stills and a is not None else [],
    )


def render_comparison(comparison, stills: bool = True) -> str:
    return html.template("compare.html.j2").render(**comparison_context(comparison, stills))


def comparison_card(comparison) -> str:
    """A short HTML summary for Jupyter: the sentences and the changed measures."""
    items = "".join(f"<li>{html.escape(f.sentence)}</li>" for f in comparison.findings)
    moved = [m for m in comparison.metrics if m.beyond_noise]
    labels = [m.label for m in moved]
    # two measures of one quantity (pelvis lag in ms and in % of stride): name the unit
    changed = ", ".join(
        html.escape(f"{m.label} ({m.unit})" if labels.count(m.label) > 1 else m.label)
        for m in moved
    )
    return (f"<div><b>{html.escape(comparison.before.label)} vs "
            f"{html.escape(comparison.after.label)}</b> (comparison confidence "
            f"{comparison.confidence})<ul>{items}</ul>Changed beyond noise: "
            f"{changed or 'nothing'}</div>")  # fmt: skip


def write_comparison(comparison, outdir) -> Path:
    """compare.html, compare.json and compare.csv in ``outdir`` (all or none)."""

    def write(d: Path) -> None:
        (d / "compare.html").write_text(render_comparison(comparison), encoding="utf-8")
        write_csv(comparison.metrics_table(), d / "compare.csv")
        (d / "compare.json").write_text(json.dumps(comparison.to_dict(), indent=2),
                                        encoding="utf-8")  # fmt: skip

    return write_folder(outdir, write, COMPARE_FILES)


def history_context(hist) -> dict:
    uri, err = _png(lambda: session_plots.plot_history(hist))
    return dict(
        version=__version__,
        generated=_dt.date.today().isoformat(),
        title="gaitlens history: " + ", ".join(s.label for s in hist.sessions),
        h=hist,
        plot=uri,
        plot_error=err,
        steps=hist.steps,
        direction_class=DIRECTION_CLASS,
    )


def write_history(hist, outdir) -> Path:
    """history.html, history.json and history.csv in ``outdir`` (all or none)."""

    def write(d: Path) -> None:
        page = html.template("history.html.j2").render(**history_context(hist))
        (d / "history.html").write_text(page, encoding="utf-8")
        write_csv(hist.table, d / "history.csv")
        (d / "history.json").write_text(json.dumps(hist.to_dict(), indent=2), encoding="utf-8")

    return write_folder(outdir, write, HISTORY_FILES)
