"""What the runner, coach or physiotherapist looks at.

``plots`` (matplotlib ``plot_*(analysis, ..., ax=None) -> (fig, ax)``), ``html`` (the
self-contained ``report.html`` and the Jupyter summary card), ``overlay`` (the annotated
H.264 video and still frames), ``export`` (TRC keypoints, JSON schema validation) and
``labels`` (pretty labels: the only place where units are converted for display).
Submodules are imported lazily so that ``import gaitlens`` stays fast.
"""

from __future__ import annotations
