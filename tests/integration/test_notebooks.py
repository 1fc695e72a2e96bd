"""The notebooks run clean (nbclient, the .venv's ``python3`` kernel), on two tiny
synthetic clips passed in by overriding the notebooks' ``parameters`` cell, and are
committed with their outputs (small, no native log noise) so that they read on a code
host without running them."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TIMEOUT_S = 240  # per cell


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    pytest.importorskip("gaitlens.synthetic")
    from dataclasses import replace

    from gaitlens.synthetic import render, simulate
    from gaitlens.synthetic.samples import sample_params

    d = tmp_path_factory.mktemp("nb_samples")
    # 8 s: at 5 s the valid-stride count sat at the 4-stride minimum and varied from run to
    # run (renders differ by a few pixel values between processes)
    short = dict(duration_s=8.0, fps=30.0, image_size_px=(360, 480), motion_blur_subframes=1)
    for name in ("normal", "pelvis_back_hips_flexed"):
        run = simulate(replace(sample_params(name), **short))
        render(run, d / f"{name}.mp4", write_truth=False)
    return d


def _execute(name: str, params: dict, cwd: Path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:  # committed with outputs (scripts/run_notebooks.py): run afresh
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    idx = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    nb.cells.insert(idx + 1, nbformat.v4.new_code_cell("# injected by the test\n" + injected))
    client = nbclient.NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return nb


def _errors(nb) -> list[str]:
    return [
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr" and "Error" in o["text"]
    ]


def test_quickstart_runs_clean(sample_dir, tmp_path):
    out = tmp_path / "quick"
    nb = _execute("quickstart", {"SAMPLE_DIR": str(sample_dir), "OUTDIR": str(out)}, tmp_path)
    assert (out / "normal" / "report.html").is_file()
    assert (out / "pelvis_back_hips_flexed" / "analysis.json").is_file()
    html = [o for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert html, "the Analysis summary card was not displayed"
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images >= 3  # gait-cycle curves, the comparison, the box plot
    assert not _errors(nb)


def test_batch_notebook_runs_clean(sample_dir, tmp_path):
    out = tmp_path / "batch"
    params = {"SAMPLE_DIR": str(sample_dir), "OUTDIR": str(out), "JOBS": 2}
    nb = _execute("batch", params, tmp_path)
    assert (out / "summary.csv").is_file() and (out / "index.html").is_file()
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if "text" in o)
    assert "2 analysed, 0 failed" in text
    assert not _errors(nb)


def test_compare_notebook_runs_clean(sample_dir, tmp_path):
    out = tmp_path / "cmp"
    params = {"SAMPLE_DIR": str(sample_dir), "OUTDIR": str(out),
              "BEFORE": "pelvis_back_hips_flexed", "AFTER": "normal"}  # fmt: skip
    nb = _execute("compare", params, tmp_path)
    assert (out / "comparison" / "compare.html").is_file()
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if "text" in o)
    assert "itself: []" in text and "March -> April" in text
    html = [o for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert html, "the Comparison card was not displayed"
    assert not _errors(nb)


@pytest.mark.parametrize("name", ["quickstart", "batch", "compare"])
def test_notebook_is_committed_with_its_outputs(name):
    nbformat = pytest.importorskip("nbformat")
    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "run scripts/run_notebooks.py"
    shown = [o for c in code for o in c.get("outputs", [])]
    assert shown and path.stat().st_size < 600_000
    text = "".join(o.get("text", "") for o in shown)
    assert "INFO: [" not in text and "W0000" not in text  # MediaPipe's native logs kept out
