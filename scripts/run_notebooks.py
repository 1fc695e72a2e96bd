"""Execute the notebooks in place so that they are committed with their outputs (they
then read on a code host without running them). Run from the repository root after
the sample clips exist (``make samples`` or the bundled ``sample_videos/``)::

    .venv/bin/python scripts/run_notebooks.py            # every notebook
    .venv/bin/python scripts/run_notebooks.py compare    # one

The notebooks write their outputs under ``out/`` (git-ignored). Execution metadata
(timings) is dropped so that a re-run changes only what the notebook shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    print(f"{path.name}: {path.stat().st_size / 1e3:.0f} kB")


def main(names: list) -> int:
    paths = [NOTEBOOKS / f"{n}.ipynb" for n in names] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for p in paths:
        run(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
