"""A batch's summary: the table (``summary.csv``), its index page, exit code and the
short text table the CLI prints."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .index import render_index
from .plan import INDEX_FILE, SUMMARY_FILE, PathLike

#: exit codes of ``gaitlens batch``: all clips ok (or skipped) / some failed / all failed
EXIT_OK, EXIT_PARTIAL, EXIT_ALL_FAILED = 0, 10, 11
STATUS_OK, STATUS_FAILED, STATUS_SKIPPED = "ok", "failed", "skipped"
BASE_COLUMNS = ("path", "status", "reason", "cadence_spm", "contact_time_s", "n_strides")
LINK_COLUMNS = ("report", "outdir")


def summary_frame(rows: list[dict]):
    """Rows -> the summary DataFrame with a fixed column order: base columns, then
    severity and confidence of each fault (``schema.FAULT_IDS`` first), then links."""
    import pandas as pd

    from ..schema import FAULT_IDS

    extra = []
    for r in rows:
        for k in r:
            if k not in BASE_COLUMNS and k not in LINK_COLUMNS and k not in extra:
                extra.append(k)
    faults = list(FAULT_IDS) + sorted(
        {k.rsplit("_", 1)[0] for k in extra if k.endswith(("_severity", "_confidence"))}
        - set(FAULT_IDS)
    )
    fault_cols = [f"{f}_{w}" for f in faults for w in ("severity", "confidence")]
    cols = list(BASE_COLUMNS) + fault_cols
    cols += [k for k in extra if k not in cols] + list(LINK_COLUMNS)
    df = pd.DataFrame(rows, columns=cols)
    df["reason"] = df["reason"].fillna("").astype(str)
    df["n_strides"] = df["n_strides"].astype("Int64")
    for c in ("cadence_spm", "contact_time_s"):
        df[c] = df[c].astype(float)
    return df


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are shared files
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_summary(df, outdir: PathLike) -> tuple[Path, Path]:
    """Write ``summary.csv`` and ``index.html`` atomically (temporary file, then rename)."""
    outdir = Path(outdir)
    csv = outdir / SUMMARY_FILE
    html = outdir / INDEX_FILE
    _atomic_write(csv, df.to_csv(index=False, float_format="%.6g", lineterminator="\n"))
    _atomic_write(html, render_index(df))
    return csv, html


def read_summary(outdir: PathLike):
    """Read a batch's ``summary.csv`` back as the DataFrame ``analyze_folder`` returned."""
    import pandas as pd

    df = pd.read_csv(Path(outdir) / SUMMARY_FILE, keep_default_na=False, na_values=[""])
    return summary_frame(df.astype(object).where(df.notna(), None).to_dict("records"))


def exit_code(df) -> int:
    """0 when no clip failed, ``EXIT_PARTIAL`` (10) when some failed, ``EXIT_ALL_FAILED``
    (11) when none succeeded."""
    failed = int((df["status"] == STATUS_FAILED).sum())
    if not failed:
        return EXIT_OK
    return EXIT_ALL_FAILED if failed == len(df) else EXIT_PARTIAL


def format_table(df, width: int = 100) -> str:
    """A short plain-text table of a batch summary (what ``gaitlens batch`` prints)."""
    from ..faults.rules import fault_titles
    from ..schema import FAULT_IDS

    short = fault_titles("code")
    pw = min(max([len("clip")] + [len(p) for p in df["path"]]), 40)
    lines = [f"{'clip':<{pw}}  {'status':<7} {'cadence':>7} {'contact':>7} {'strides':>7}  faults"]
    for r in df.to_dict("records"):
        path = r["path"] if len(r["path"]) <= pw else "..." + r["path"][-(pw - 3) :]
        cad = f"{r['cadence_spm']:.1f}" if _num(r.get("cadence_spm")) else "-"
        ct = f"{r['contact_time_s'] * 1000:.0f}ms" if _num(r.get("contact_time_s")) else "-"
        ns = str(r["n_strides"]) if _num(r.get("n_strides")) else "-"
        if r["status"] == STATUS_FAILED:
            tail = r["reason"] or ""
        else:
            parts = []
            for f in FAULT_IDS:
                sev = r.get(f"{f}_severity")
                if isinstance(sev, str) and sev and sev != "none":
                    parts.append(f"{short.get(f, f)}:{sev}({r.get(f'{f}_confidence')})")
            tail = " ".join(parts) or "none"
        line = f"{path:<{pw}}  {r['status']:<7} {cad:>7} {ct:>7} {ns:>7}  {tail}"
        lines.append(line if len(line) <= width else line[: width - 3] + "...")
    return "\n".join(lines)


def _num(v) -> bool:
    try:
        return v is not None and v == v and not isinstance(v, str)
    except TypeError:
        return False
