"""Both notebooks run clean (nbclient, the .venv's ``python3`` kernel), on two tiny
synthetic clips passed in by overriding the notebooks' ``parameters`` cell."""

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
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        f"{name}.ipynb is committed with outputs"
    )
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
