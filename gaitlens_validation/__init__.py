"""Validation and benchmark tooling for gaitlens; not part of the installed package.

Motion-capture reference data (Fukuchi et al. 2017, PeerJ 5:e3298, CC BY 4.0) turned
into side-view keypoints with MediaPipe-like noise, event and keypoint comparisons
against ground truth, stick-figure tracks with known answers, and cached pose tracks
of real clips. Used by ``bench/``, ``scripts/`` and ``tests/``; the wheel ships only
``gaitlens`` (pyproject ``[tool.setuptools.packages.find]``).
"""
