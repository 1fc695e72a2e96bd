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


def _reach_checks():
    """For each option of the example file: how to see, in the objects the stages are
    given or in their output, that the value arrived."""
    return {
        "runner_height_m": lambda cfg, run: (
            run.frames.attrs["m_per_leg"] == pytest.approx(0.491 * cfg.runner_height_m)
        ),
        "belt_speed_m_s": lambda cfg, run: "stride_length_m" in run.strides,
        "annotated_video": lambda cfg, run: run.saved_video is cfg.annotated_video,
        "model_complexity": lambda cfg, run: (
            run.backend_options["model_complexity"] == cfg.model_complexity
        ),
        "model_input_max_side_px": lambda cfg, run: (
            run.decode_max_side_px == cfg.model_input_max_side_px
        ),
        "cutoff_hz": lambda cfg, run: run.clean.cutoff_hz == cfg.cutoff_hz,
        "max_gap_s": lambda cfg, run: run.cleaning_config.gaps.max_gap_s == cfg.max_gap_s,
        "min_strides": lambda cfg, run: run.stride_limits.min_strides == cfg.min_strides,
        "bands": lambda cfg, run: all(
            run.bands.loc[m, k] == v for m, b in cfg.bands.items() for k, v in b.items()
        ),
        "cleaning": lambda cfg, run: (
            run.cleaning_config.swap.swap_prior_legs_per_s
            == cfg.cleaning["swap"]["swap_prior_legs_per_s"]
        ),
        "events": lambda cfg, run: (
            run.events_config.detector.ic_margin_legs_s == cfg.events["ic_margin_legs_s"]
        ),
        "strides": lambda cfg, run: (
            run.stride_limits.max_stride_dev == cfg.strides["max_stride_dev"]
        ),
        "changes": lambda cfg, run: (
            run.change_limits.min_strides_per_side == cfg.changes["min_strides_per_side"]
        ),
    }


def test_every_setting_of_the_example_reaches_the_code(tmp_path, monkeypatch):
    """Each option in examples/gaitlens.toml, changed from its default, arrives where it
    is used: the pose backend and decoder, each stage's settings object, the outputs."""
    import dataclasses
    import types

    from gaitlens import cleaning, events, pipeline, strides
    from gaitlens.io import video as gv
    from gaitlens.pose import runner
    from gaitlens_validation.stick import stick_track
    from tests.conftest import write_clip

    sys_toml = pytest.importorskip(
        "tomllib" if __import__("sys").version_info >= (3, 11) else "tomli"
    )
    keys = set(sys_toml.loads(EXAMPLE.read_text(encoding="utf-8")))
    checks = _reach_checks()
    assert keys <= set(checks), f"add a reach check for {sorted(keys - set(checks))}"

    # every example value differs from the default, so arriving is visible
    cfg = AnalysisConfig.from_toml(EXAMPLE)
    cfg = cfg.updated(
        model_complexity=2, model_input_max_side_px=480, cutoff_hz=8.0,
        max_gap_s=0.1, min_strides=3, cleaning={"swap": {"swap_prior_legs_per_s": 2.0}},
        events={"ic_margin_legs_s": 1.1}, strides={"max_stride_dev": 0.3},
        changes={"min_strides_per_side": 6},
    )  # fmt: skip
    default = AnalysisConfig()
    for k in keys:
        assert getattr(cfg, k) != getattr(default, k), k

    run = types.SimpleNamespace()
    spied = {"clean": cleaning.clean, "detect": events.detect, "segment": strides.segment}

    def spy_clean(track, config=None):
        run.cleaning_config = config
        return spied["clean"](track, config)

    def spy_detect(clean, config=None):
        run.events_config = config
        return spied["detect"](clean, config)

    def spy_segment(ev, clean=None, config=None):
        run.stride_limits = config
        return spied["segment"](ev, clean, config)

    monkeypatch.setattr(pipeline.cleaning, "clean", spy_clean)
    monkeypatch.setattr(pipeline.events, "detect", spy_detect)
    monkeypatch.setattr(pipeline.strides, "segment", spy_segment)
    spied["find_changes"] = strides.find_changes

    def spy_changes(table, noise, limits=None):
        run.change_limits = limits
        return spied["find_changes"](table, noise, limits)

    monkeypatch.setattr(pipeline.strides, "find_changes", spy_changes)
    track, _ = stick_track(fps=60, duration_s=6)
    a = pipeline.analyze_track(track, cfg)
    run.frames, run.strides, run.clean, run.bands = a.frames, a.strides, a.clean, a.bands

    # the pose stage: backend options and the decoder's frame size (no MediaPipe here)
    class FakeBackend:
        def __init__(self, **options):
            run.backend_options = options

        def process(self, image, time_s, full_size_px=None):
            from gaitlens.pose import PoseResult

            return PoseResult(track.xy_px[0].copy(), track.visibility[0].copy())

        def info(self):
            return {"name": "fake"}

        def close(self):
            pass

    monkeypatch.setattr(runner, "create_backend", lambda name, **kw: FakeBackend(**kw))
    monkeypatch.setattr(runner, "prepare_backend", lambda name, **kw: None)  # no model file
    real_read = gv.read_frames

    def spy_read(path, max_side_px=None, **kw):
        run.decode_max_side_px = max_side_px
        return real_read(path, max_side_px=max_side_px, **kw)

    monkeypatch.setattr(runner._video, "read_frames", spy_read)
    clip = write_clip(tmp_path / "c.mp4", [i / 30 for i in range(10)], size=(640, 480))
    runner.run_pose(clip, cfg, progress=False)

    # the outputs: the annotated video is made or not
    written = {}
    monkeypatch.setattr(
        "gaitlens.report.overlay.write_annotated_video",
        lambda analysis, src, out, **kw: written.setdefault("video", out),
    )
    a.save(tmp_path / "out", video_path=clip)
    run.saved_video = "video" in written
    assert dataclasses.is_dataclass(run.cleaning_config)
    for k in sorted(keys):
        assert checks[k](cfg, run), f"{k} did not reach the code"
