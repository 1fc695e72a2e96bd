"""AnalysisConfig: TOML file, precedence (defaults < file < flags), validation, and the
example file in examples/gaitlens.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitlens import cli
from gaitlens.config import AnalysisConfig
from gaitlens.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gaitlens.toml"


def _toml(tmp_path, text: str) -> Path:
    p = tmp_path / "cfg.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_example_file_loads_and_sets_what_it_says():
    cfg = AnalysisConfig.from_toml(EXAMPLE)
    assert cfg.runner_height_m == 1.78 and cfg.belt_speed_m_s == 3.3
    assert cfg.annotated_video is False
    assert cfg.bands["pelvis_lag_ms"] == {"high": 200}
    assert cfg.bands["overstride_legs"] == {"high": 0.18}
    # every key of the example is a real option (unknown keys would have raised)
    assert cfg != AnalysisConfig()


def test_example_bands_name_real_reference_metrics():
    reference = pytest.importorskip("gaitlens.reference")
    bands = reference.load_bands()
    if hasattr(bands, "columns") and "metric" in bands.columns:
        names = set(bands["metric"])
    else:  # a table indexed by metric, or a mapping
        names = set(getattr(bands, "index", bands))
    for metric in AnalysisConfig.from_toml(EXAMPLE).bands:
        assert metric in names, f"examples/gaitlens.toml overrides unknown band {metric}"


def test_flags_override_the_file_and_none_leaves_it(tmp_path):
    p = _toml(tmp_path, "runner_height_m = 1.70\nbelt_speed_m_s = 3.0\n")
    args = cli.build_parser().parse_args(
        ["analyze", "x.mp4", "--config", str(p), "--height", "1.9"]
    )
    cfg = cli._config(args)
    assert cfg.runner_height_m == 1.9  # flag wins
    assert cfg.belt_speed_m_s == 3.0  # absent flag (None) keeps the file's value
    assert cfg.annotated_video is True  # default
    args = cli.build_parser().parse_args(
        ["batch", "d", "-o", "o", "--config", str(p), "--no-video"]
    )
    assert cli._config(args).annotated_video is False


def test_band_overrides_merge_per_bound():
    cfg = AnalysisConfig().updated(bands={"pelvis_lag_ms": {"high": 60}})
    cfg = cfg.updated(bands={"pelvis_lag_ms": {"low": -10}, "overstride_legs": {"high": 0.1}})
    assert cfg.bands == {
        "pelvis_lag_ms": {"high": 60, "low": -10},
        "overstride_legs": {"high": 0.1},
    }
    assert AnalysisConfig().bands == {}  # the default was not mutated


@pytest.mark.parametrize(
    "text, match",
    [
        ("runner_hieght_m = 1.8\n", "unknown option"),
        ("runner_height_m = 178\n", "metres"),
        ("belt_speed_m_s = 33\n", "m/s"),
        ("model_complexity = 3\n", "model_complexity"),
        ("min_strides = 0\n", "min_strides"),
        ("runner_height_m = \n", "not valid TOML"),
    ],
)
def test_bad_files_raise_a_config_error_naming_the_problem(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        AnalysisConfig.from_toml(_toml(tmp_path, text))


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        AnalysisConfig.from_toml(tmp_path / "nope.toml")


def test_pose_signature_only_changes_with_pose_options():
    base = AnalysisConfig()
    assert base.updated(runner_height_m=1.8, bands={"x": {"high": 1}}).pose_signature() == (
        base.pose_signature()
    )
    assert base.updated(model_input_max_side_px=640).pose_signature() != base.pose_signature()


def test_config_round_trips_through_to_dict():
    cfg = AnalysisConfig.from_toml(EXAMPLE)
    assert AnalysisConfig().updated(**cfg.to_dict()) == cfg
