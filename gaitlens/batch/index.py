"""``index.html`` of a batch: one self-contained page (inline CSS, no scripts, no network)
linking each clip's ``report.html`` and showing its findings; failed clips with reasons.

Rendered with Jinja2 (autoescaped), as the per-clip report is (DESIGN.md: "HTML: a
template engine, not string concatenation").
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gaitlens batch: {{ n_total }} clips</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#1d2430;background:#fff}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.meta{color:#5b6575;font-size:.9rem}
.counts span{display:inline-block;margin-right:1rem;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin-top:.8rem}
th,td{border-bottom:1px solid #e3e7ee;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f6fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.1rem .45rem;border-radius:.6rem;font-size:.8rem;
font-weight:600}
.sev-none{background:#e3f4e8;color:#1e6b34}.sev-mild{background:#fff1cc;color:#8a5a00}
.sev-marked{background:#fbdcdc;color:#9b1c1c}.sev-unknown{background:#eceff3;color:#5b6575}
.conf{color:#5b6575;font-size:.78rem;margin-left:.25rem}
.st-ok{color:#1e6b34}.st-skipped{color:#5b6575}.st-failed{color:#9b1c1c;font-weight:600}
.reason{color:#5b2020}code{font-size:.85rem}
</style></head><body>
<h1>gaitlens batch</h1>
<p class="meta">{{ n_total }} clip{{ "s" if n_total != 1 }} &middot; written {{ when }} &middot;
<a href="summary.csv">summary.csv</a></p>
<p class="counts"><span class="st-ok">{{ n_ok }} analysed</span>
{% if n_skipped %}<span class="st-skipped">{{ n_skipped }} already done (skipped)</span>{% endif %}
{% if n_failed %}<span class="st-failed">{{ n_failed }} failed</span>{% endif %}</p>
{% if done %}
<h2>Findings</h2>
<table><thead><tr><th>clip</th><th>status</th><th>cadence [steps/min]</th>
<th>contact time [ms]</th><th>strides</th>
{% for f in faults %}<th>{{ f.title }}</th>{% endfor %}</tr></thead><tbody>
{% for r in done %}<tr>
<td>{% if r.report %}<a href="{{ r.report }}">{{ r.path }}</a>{% else %}{{ r.path }}{% endif %}</td>
<td class="st-{{ r.status }}">{{ r.status }}</td>
<td class="num">{{ r.cadence }}</td><td class="num">{{ r.contact }}</td>
<td class="num">{{ r.strides }}</td>
{% for c in r.faults %}<td>{% if c.severity %}
<span class="badge sev-{{ c.css }}">{{ c.severity }}</span>
{% if c.confidence %}<span class="conf">{{ c.confidence }} confidence</span>{% endif %}
{% else %}&ndash;{% endif %}</td>{% endfor %}
</tr>{% endfor %}
</tbody></table>
{% endif %}
{% if failed %}
<h2>Failed clips</h2>
<table><thead><tr><th>clip</th><th>reason</th></tr></thead><tbody>
{% for r in failed %}<tr><td>{{ r.path }}</td><td class="reason">{{ r.reason }}</td></tr>
{% endfor %}</tbody></table>
{% endif %}
{% if ignored %}
<h2>Not videos (ignored)</h2>
<p class="meta">{% for p in ignored %}<code>{{ p }}</code>{{ ", " if not loop.last }}
{% endfor %}</p>
{% endif %}
</body></html>
"""


def _fmt(v, factor: float = 1.0, decimals: int = 1) -> str:
    try:
        x = float(v) * factor
    except (TypeError, ValueError):
        return "–"
    return f"{x:.{decimals}f}" if math.isfinite(x) else "–"


def _text(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return str(v)


def render_index(df) -> str:
    """The batch index page for a summary DataFrame (see ``batch.summary_frame``)."""
    import jinja2

    from ..faults.rules import fault_titles

    titles = fault_titles("short_title")
    fault_ids = [c[: -len("_severity")] for c in df.columns if c.endswith("_severity")]
    faults = [{"id": f, "title": titles.get(f, f.replace("_", " "))} for f in fault_ids]
    done, failed = [], []
    for r in df.astype(object).where(df.notna(), None).to_dict("records"):
        if r["status"] == "failed":
            failed.append({"path": r["path"], "reason": _text(r.get("reason"))})
            continue
        cells = []
        for f in fault_ids:
            sev = _text(r.get(f"{f}_severity"))
            css = sev if sev in ("none", "mild", "marked") else "unknown"
            cells.append(
                {"severity": sev, "css": css, "confidence": _text(r.get(f"{f}_confidence"))}
            )
        n = r.get("n_strides")
        done.append(
            {
                "path": r["path"],
                "status": r["status"],
                "report": _text(r.get("report")),
                "cadence": _fmt(r.get("cadence_spm")),
                "contact": _fmt(r.get("contact_time_s"), 1000, 0),
                "strides": _fmt(n, 1, 0) if n is not None else "–",
                "faults": cells,
            }
        )
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    counts = df["status"].value_counts()
    return env.from_string(TEMPLATE).render(
        n_total=len(df),
        n_ok=int(counts.get("ok", 0)),
        n_skipped=int(counts.get("skipped", 0)),
        n_failed=int(counts.get("failed", 0)),
        when=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        faults=faults,
        done=done,
        failed=failed,
        ignored=list(df.attrs.get("ignored_files") or []),
    )
