"""Validation of gaitlens stages against ground truth (Fukuchi et al. 2017 force plates)."""
