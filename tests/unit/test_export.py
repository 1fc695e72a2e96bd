"""TRC export round trip and the JSON schema of analysis.json."""

from __future__ import annotations

import json
from types import SimpleNamespace

import jsonschema
import numpy as np
import pytest

from gaitlens.io import export
from tests.report_fixture import demo_analysis


@pytest.fixture(scope="module")
def analysis():
    a = demo_analysis(n_strides=4, seed=1)
    # a few missing points must survive the round trip as NaN
    a.track.xy_px[5:9, 25] = np.nan
    a.track.xy_px[0, 0] = np.nan
    return a


def test_trc_round_trip(analysis, tmp_path):
    path = export.write_trc(analysis, tmp_path / "keypoints.trc")
    t_ref, xyz_ref, names, units = export.keypoints_for_export(analysis)
    t, markers, header = export.read_trc(path)
    assert list(markers) == list(names)
    assert header["NumFrames"] == len(t_ref) == len(t)
    assert header["NumMarkers"] == len(names)
    assert header["Units"] == units
    assert header["DataRate"] == pytest.approx(analysis.track.sampling_rate_hz, rel=1e-3)
    np.testing.assert_allclose(t, t_ref, atol=1e-6)
    got = np.stack([markers[n] for n in names], axis=1)
    assert np.array_equal(np.isnan(got), np.isnan(xyz_ref))
    np.testing.assert_allclose(got, xyz_ref, atol=2e-6, equal_nan=True)
    assert np.isnan(markers["left_knee"][5:9]).all()
    assert np.all(got[..., 2][np.isfinite(got[..., 2])] == 0)  # single camera: Z = 0


def test_trc_header_layout(analysis, tmp_path):
    """The Pose2Sim/Sports2D layout that OpenSim reads: five header lines, a blank line."""
    lines = export.write_trc(analysis, tmp_path / "k.trc").read_text().splitlines()
    assert lines[0].split("\t")[:3] == ["PathFileType", "4", "(X/Y/Z)"]
    assert lines[1].split("\t")[:5] == [
        "DataRate",
        "CameraRate",
        "NumFrames",
        "NumMarkers",
        "Units",
    ]
    assert lines[3].startswith("Frame#\tTime\tnose\t\t\tleft_eye_inner")
    assert lines[4].split("\t")[2:5] == ["X1", "Y1", "Z1"]
    assert lines[5] == ""
    first = lines[6].split("\t")
    assert first[0] == "1" and float(first[1]) == pytest.approx(0.0)
    assert len(first) == 2 + 3 * 33


def test_trc_units_and_axes(tmp_path):
    """Analysis frame: y up, x in the direction of travel; metres when a scale is known."""
    a = demo_analysis(n_strides=3)
    _, xyz, names, units = export.keypoints_for_export(a)
    assert units == "legs"  # the demo's clean track knows the leg length in pixels
    i_sh, i_ank = names.index("right_shoulder"), names.index("right_ankle")
    assert np.nanmean(xyz[:, i_sh, 1]) > np.nanmean(xyz[:, i_ank, 1])  # shoulder above ankle
    i_toe, i_heel = names.index("right_foot_index"), names.index("right_heel")
    assert np.nanmean(xyz[:, i_toe, 0]) > np.nanmean(xyz[:, i_heel, 0])  # toes point forward
    # a known scale (runner height or belt speed: frames.attrs["m_per_leg"]) gives metres
    a.frames.attrs.update(leg_length_px=a.clean.leg_length_px, m_per_leg=0.9)
    _, xyz_m, _, units_m = export.keypoints_for_export(a)
    assert units_m == "m"
    np.testing.assert_allclose(xyz_m, xyz * 0.9, equal_nan=True)
    a.frames.attrs.clear()
    # facing image-left: x is flipped so that toes still point to +x
    a.clean.facing = "left"
    _, xyz_l, _, _ = export.keypoints_for_export(a)
    assert np.nanmean(xyz_l[:, i_toe, 0]) < np.nanmean(xyz_l[:, i_heel, 0])
    # a clean track that carries metric points is exported in metres, unchanged
    a.clean = SimpleNamespace(xy_m=a.track.xy_px * 0.002, facing="right")
    _, xyz_m, _, units_m = export.keypoints_for_export(a)
    assert units_m == "m"
    np.testing.assert_allclose(xyz_m[..., :2], a.track.xy_px * 0.002)
    path = export.write_trc(a, tmp_path / "m.trc")
    assert export.read_trc(path)[2]["Units"] == "m"


def test_analysis_json_validates(analysis):
    data = json.loads(analysis.to_json())
    export.validate_analysis_json(data)
    export.validate_analysis_json(analysis.to_json())  # JSON text too
    assert data["schema_version"] == "1.3"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("schema_version"),
        lambda d: d["faults"][0].update(severity="severe"),
        lambda d: d["faults"][0].update(confidence=0.7),
        lambda d: d["faults"][0].update(id="bad_knees"),
        lambda d: d["strides"][0].update(side="middle"),
        lambda d: d["strides"][0].update(duty_factor=1.7),
        lambda d: d.update(warnings="one string"),
    ],
)
def test_schema_rejects_invalid(analysis, mutate):
    data = json.loads(analysis.to_json())
    mutate(data)
    with pytest.raises(jsonschema.ValidationError):
        export.validate_analysis_json(data)


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(export.analysis_schema())


def test_trc_uses_cleaned_points():
    """The cleaning stage's points (analysis frame, px) are exported, scaled to legs."""
    a = demo_analysis(n_strides=3)
    n = a.track.n_frames
    rng = np.random.default_rng(5)
    pts = {"left_knee": rng.normal(0, 50, (n, 2)), "right_ankle": rng.normal(0, 50, (n, 2))}
    a.clean = SimpleNamespace(points=pts, leg_length_px=200.0, facing="right",
                              origin_px=(100.0, 120.0))  # fmt: skip
    _, xyz, names, units = export.keypoints_for_export(a)
    assert units == "legs"
    np.testing.assert_allclose(xyz[:, names.index("left_knee"), :2], pts["left_knee"] / 200.0)
    # landmarks the cleaning stage does not track: raw pose in the same frame and origin
    nose_px = a.track.xy_px[:, names.index("nose")]
    np.testing.assert_allclose(xyz[:, names.index("nose"), 0], (nose_px[:, 0] - 100.0) / 200.0)
    np.testing.assert_allclose(xyz[:, names.index("nose"), 1], (120.0 - nose_px[:, 1]) / 200.0)


def test_fast_csv_writer_matches_pandas(tmp_path):
    import pandas as pd

    from gaitlens.io import export

    rng = np.random.default_rng(4)
    df = pd.DataFrame(rng.normal(scale=1e3, size=(2500, 6)), columns=list("abcdef"))
    df.iloc[3, 2] = np.nan
    df.iloc[7, 0] = 1e-9
    df["frame"] = np.arange(len(df))
    export.write_csv(df, tmp_path / "fast.csv")
    df.to_csv(tmp_path / "pandas.csv", index=False, float_format="%.6g")
    assert (tmp_path / "fast.csv").read_text() == (tmp_path / "pandas.csv").read_text()
    mixed = df.assign(side="left")  # non-numeric columns go through pandas
    export.write_csv(mixed, tmp_path / "mixed.csv")
    back = pd.read_csv(tmp_path / "mixed.csv")
    assert list(back.columns) == list(mixed.columns) and back["side"].eq("left").all()
    assert np.isnan(back.iloc[3, 2]) and back["frame"].dtype.kind == "i"
