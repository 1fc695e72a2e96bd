"""The package version (read by pyproject.toml's dynamic version and by the package)."""

__version__ = "0.1.0"
