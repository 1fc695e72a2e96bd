"""C3D loading of the Fukuchi et al. (2017) runners: synthetic C3D files written with
ezc3d (skipped without ezc3d) and checks on the real files (skipped without
../shared/data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlens_validation import fukuchi as fk

ezc3d = pytest.importorskip("ezc3d")

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
C3D_DIR = SHARED / "mocap" / "fukuchi2017_c3d"

# trial frame (x travel, y up, z right) -> file frame (X right, Y travel, Z up): the
# loader must find the axes, not assume the text files' Y-up frame
TO_FILE = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
STRIDE_HZ = 1.4
DUTY = 0.35
BODY_N = 700.0
BELT = 2.5


def _static_points() -> dict:
    """Marker positions of a standing runner, trial frame, metres."""
    p = {
        "R.ASIS": (0.10, 1.00, 0.12), "L.ASIS": (0.10, 1.00, -0.12),
        "R.PSIS": (-0.06, 1.05, 0.05), "L.PSIS": (-0.06, 1.05, -0.05),
        "R.Iliac.Crest": (0.03, 1.10, 0.16), "L.Iliac.Crest": (0.03, 1.10, -0.16),
    }  # fmt: skip
    for side, s in (("R.", 1.0), ("L.", -1.0)):
        for lvl, y in (("Top", 0.78), ("Bottom", 0.62)):
            p[f"{side}Thigh.{lvl}.Lateral"] = (0.02 + 0.01 * (y > 0.7), y, s * 0.15)
            p[f"{side}Thigh.{lvl}.Medial"] = (0.04, y - 0.02, s * 0.06)
        for lvl, y in (("Top", 0.40), ("Bottom", 0.22)):
            p[f"{side}Shank.{lvl}.Lateral"] = (0.01, y, s * 0.13)
            p[f"{side}Shank.{lvl}.Medial"] = (0.03 + 0.01 * (y > 0.3), y - 0.02, s * 0.06)
        p[f"{side}Knee"], p[f"{side}Knee.Medial"] = (0.0, 0.50, s * 0.14), (0.0, 0.50, s * 0.05)
        p[f"{side}Ankle"], p[f"{side}Ankle.Medial"] = (0.0, 0.08, s * 0.13), (0.0, 0.09, s * 0.06)
        p[f"{side}Heel.Bottom"] = (-0.06, 0.02, s * 0.10)
        p[f"{side}Heel.Top"] = (-0.07, 0.08, s * 0.10)
        p[f"{side}Heel.Lateral"] = (-0.05, 0.05, s * 0.13)
        p[f"{side}MT1"] = (0.14, 0.02, s * 0.06)
        p[f"{side}MT5"] = (0.12, 0.02, s * 0.14)
    return {k: np.asarray(v, float) for k, v in p.items()}


def _phase(t, side):
    return (t * STRIDE_HZ + (0.0 if side == "R." else 0.5)) % 1.0


def _run_points(t: np.ndarray) -> dict:
    """Legs move as rigid bodies: stance = backwards at belt speed on the ground, swing =
    forwards and lifted; the pelvis stays put."""
    st = _static_points()
    out = {k: np.repeat(v[None], len(t), 0) for k, v in st.items() if k.startswith(("R.A", "L.A",
           "R.P", "L.P", "R.I", "L.I"))}  # fmt: skip
    for side in ("R.", "L."):
        ph = _phase(t, side)
        stance = ph < DUTY
        reach = BELT / STRIDE_HZ * DUTY  # stance length
        x = np.where(stance, reach / 2 - ph / DUTY * reach,
                     -reach / 2 + (ph - DUTY) / (1 - DUTY) * reach)  # fmt: skip
        y = np.where(stance, 0.0, 0.12 * np.sin(np.pi * (ph - DUTY) / (1 - DUTY)))
        off = np.stack([x, y, np.zeros_like(x)], axis=1)
        for k, v in st.items():
            if k.startswith(side) and not k.startswith((f"{side}ASIS", f"{side}PSIS",
                                                         f"{side}Iliac")):  # fmt: skip
                out[k] = v[None] + off
    return out


def _truth_contacts(duration_s):
    ic, to = [], []
    for ph0 in (0.0, 0.5):
        k = np.arange(-1, int(duration_s * STRIDE_HZ) + 2)
        a = (k - ph0) / STRIDE_HZ
        ic += list(a)
        to += list(a + DUTY / STRIDE_HZ)
    ic, to = np.sort(ic), np.sort(to)
    return ic, to


def _write(path: Path, pts: dict, rate: float, force_n=None, analog_rate=300.0, drop=()):
    c = ezc3d.c3d()
    names = [k for k in pts if k not in drop]
    n = len(next(iter(pts.values())))
    arr = np.zeros((4, len(names), n))
    for j, k in enumerate(names):
        arr[:3, j] = (np.asarray(pts[k]) @ TO_FILE.T).T * 1000.0
        arr[3, j] = 1.0
    c["parameters"]["POINT"]["RATE"]["value"] = [rate]
    c["parameters"]["POINT"]["LABELS"]["value"] = tuple(names)
    c["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    c["data"]["points"] = arr
    if force_n is not None:
        c["parameters"]["ANALOG"]["RATE"]["value"] = [analog_rate]
        c["parameters"]["ANALOG"]["LABELS"]["value"] = ("F1X", "F1Y", "F1Z", "M1X", "M1Y", "M1Z")
        an = np.zeros((1, 6, len(force_n)))
        an[0, 2] = -force_n / 1000.0  # volts; the plate's z axis points down
        an[0, 1] = 0.02 * np.sin(np.arange(len(force_n)))  # small shear
        c["data"]["analogs"] = an
        c.add_parameter("FORCE_PLATFORM", "TYPE", [4])
        c.add_parameter("FORCE_PLATFORM", "CHANNEL", np.arange(1, 7).reshape(6, 1).tolist())
        cal = np.diag([500.0, 500.0, 1000.0, 8e5, 2.5e5, 4e5]).reshape(6, 6, 1)
        c.add_parameter("FORCE_PLATFORM", "CAL_MATRIX", cal.tolist())
        # corners in the file frame: X right, Y travel, Z = 0 (floor)
        corners = np.array([[0.7, 0.7, 1.2, 1.2], [3.0, 1.2, 1.2, 3.0], [0.0, 0.0, 0.0, 0.0]])
        c.add_parameter("FORCE_PLATFORM", "CORNERS", (corners * 1000).reshape(3, 4, 1).tolist())
    c.write(str(path))
    return path


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    d = tmp_path_factory.mktemp("c3d")
    rate, dur = 150.0, 4.0
    st = _static_points()
    _write(d / "RBDS099static.c3d", {k: np.repeat(v[None], 30, 0) for k, v in st.items()}, rate)
    t = np.arange(int(dur * rate)) / rate
    pts = _run_points(t)
    pts["R.ASIS"] = pts["R.ASIS"].copy()
    pts["R.ASIS"][100:130] = 0.0  # a 0.2 s gap, stored as zeros as in the Fukuchi files
    ta = np.arange(int(dur * 300)) / 300.0
    f = np.zeros_like(ta)
    amp = BODY_N / (2 * DUTY * 2 / np.pi)  # mean over a stride = body weight
    for side in ("R.", "L."):
        ph = _phase(ta, side)
        f += np.where(ph < DUTY, amp * np.sin(np.pi * ph / DUTY), 0.0)
    _write(d / "RBDS099runT25.c3d", pts, rate, force_n=f, drop=("R.MT1",))
    (d / "RBDSinfo.txt").write_text(
        "Subject\tFileName\tHeight\tMass\tRFSI25\tLFSI25\n"
        f"99\tRBDS099static.c3d\t178\t{BODY_N / 9.81:.3f}\tMidfoot\tRearfoot\n"
    )
    return d, t, pts


def test_read_c3d_units_and_missing(synthetic):
    d, t, pts = synthetic
    c = fk.fukuchi_c3d.read_c3d(d / "RBDS099runT25.c3d")
    assert c.point_rate_hz == 150 and c.analog_rate_hz == 300
    assert "R.MT1" not in c.markers
    m = c.markers["R.ASIS"]
    assert np.isnan(m[100:130]).all() and np.isfinite(m[:100]).all()
    assert np.allclose(m[0], TO_FILE @ pts["R.ASIS"][0], atol=1e-6)  # mm -> m


def test_vertical_force_found_from_data(synthetic):
    d, *_ = synthetic
    c = fk.fukuchi_c3d.read_c3d(d / "RBDS099runT25.c3d")
    f, info = fk.fukuchi_c3d.vertical_force(c, vertical_lab_axis=2)
    assert info["channel"] == "F1Z" and info["sign"] == -1.0
    assert info["plate_normal_lab_axis"] == "Z"
    assert info["calibration_n_per_unit"] == 1000.0
    assert f.mean() == pytest.approx(BODY_N, rel=0.02)
    with pytest.raises(ValueError, match="plate normal"):
        fk.fukuchi_c3d.vertical_force(c, vertical_lab_axis=1)


def test_load_trial_axes_fill_and_info(synthetic, tmp_path):
    d, t, pts = synthetic
    assert [p.name for p in fk.list_trials(d)] == ["RBDS099runT25.c3d"]
    tr = fk.load_trial(d / "RBDS099runT25.c3d")
    assert tr.name == "RBDS099runT25" and tr.subject == "RBDS099"
    assert tr.belt_speed_m_s == 2.5 and tr.sampling_rate_hz == 150
    rot = np.asarray(tr.info["lab_axes"])
    assert np.allclose(rot, TO_FILE.T, atol=1e-9)  # rows: travel, up, right in file axes
    # trial frame = the synthetic runner's frame
    assert np.allclose(tr.markers["L.PSIS"], pts["L.PSIS"], atol=1e-9)
    # the zero gap and the absent R.MT1 are rebuilt by the rigid-body fill
    filled = tr.info["markers_rigid_filled"]
    assert filled["R.ASIS"] == 30 and filled["R.MT1"] == len(t)
    assert np.allclose(tr.markers["R.ASIS"], pts["R.ASIS"][[0]], atol=1e-6)
    assert np.allclose(tr.markers["R.MT1"], pts["R.MT1"], atol=1e-6)
    # joint centres from the static trial's epicondyles / malleoli
    st = _static_points()
    knee = 0.5 * (st["R.Knee"] + st["R.Knee.Medial"])
    assert np.allclose(tr.joint_centres["right_knee"][0] - pts["R.Thigh.Top.Lateral"][0],
                       knee - st["R.Thigh.Top.Lateral"], atol=1e-6)  # fmt: skip
    assert tr.height_m == pytest.approx(1.78)
    assert tr.foot_strike == {"right": "Midfoot", "left": "Rearfoot"}
    assert tr.foot_strike_label == "R Midfoot / L Rearfoot"
    # cache round trip
    a = fk.load_trial(d / "RBDS099runT25.c3d", cache_dir=tmp_path)
    b = fk.load_trial(d / "RBDS099runT25.c3d", cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    for k in a.joint_centres:
        assert np.array_equal(a.joint_centres[k], b.joint_centres[k], equal_nan=True)
    assert np.array_equal(a.forces.vertical_n, b.forces.vertical_n)
    assert b.foot_strike == a.foot_strike and b.info["markers_rigid_filled"] == filled


def test_force_contacts_from_trial_array_and_path(synthetic):
    d, t, _ = synthetic
    tr = fk.load_trial(d / "RBDS099runT25.c3d")
    ic_true, to_true = _truth_contacts(t[-1])
    fc = fk.force_contacts(tr)
    c = fc["contacts"]
    assert fc["vertical_column"] == "F1Z"
    assert len(c) >= 9
    assert (c.side.to_numpy()[1:] != c.side.to_numpy()[:-1]).all()
    for col, truth in (("ic_s", ic_true), ("to_s", to_true)):
        err = np.array([np.min(np.abs(truth - x)) for x in c[col]])
        assert err.max() < 0.012  # 30 N threshold on a 700 N half-sine
    # right contacts start at whole strides
    r = c[c.side == "right"].ic_s.to_numpy()
    assert np.allclose((r * STRIDE_HZ + 0.5) % 1.0 - 0.5, 0.0, atol=0.02)
    # arrays and paths give the same contacts (sides unknown without a trial)
    fa = fk.force_contacts(tr.forces.vertical_n, sampling_rate_hz=300.0)
    fp = fk.force_contacts(d / "RBDS099runT25.c3d")
    assert np.allclose(fa["contacts"].ic_s, c.ic_s) and np.allclose(fp["contacts"].to_s, c.to_s)
    assert set(fa["contacts"].side) == {"unknown"}
    chk = fk.trial_checks(tr)
    assert chk["vertical_lab_axis"] == "Z" and chk["travel_lab_axis"] == "+Y"
    assert chk["mean_over_body_weight"] == pytest.approx(1.0, abs=0.03)
    assert chk["cadence_spm"] == pytest.approx(120 * STRIDE_HZ, rel=0.01)
    assert chk["stance_foot_speed_m_s"] == pytest.approx(BELT, rel=0.01)


def test_side_view_uses_c3d_forces(synthetic):
    d, *_ = synthetic
    tr = fk.load_trial(d / "RBDS099runT25.c3d")
    track, truth = fk.to_side_view(tr, fps=60, camera_side="left")
    assert truth["events"]["vertical_column"] == "F1Z"
    assert len(truth["events"]["ic_s"]["left"]) >= 4


# ------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def real_trial():
    p = C3D_DIR / "RBDS011runT35.c3d"
    if not p.is_file():
        pytest.skip("Fukuchi C3D data not available")
    return fk.load_trial(p)


def test_real_c3d_trial_plausible(real_trial):
    chk = fk.trial_checks(real_trial)
    assert chk["force_channel"] == "F1Z" and chk["plate_normal_lab_axis"] == "Y"
    assert chk["vertical_lab_axis"] == "Y" and chk["travel_lab_axis"] == "+X"
    assert 0.93 < chk["mean_over_body_weight"] < 1.02
    assert chk["alternation"] > 0.97
    assert 150 < chk["cadence_spm"] < 200
    assert 150 < chk["contact_time_ms"] < 350
    assert chk["stance_foot_speed_m_s"] == pytest.approx(3.5, rel=0.03)
    assert 0.35 < chk["hip_knee_m"] < 0.5 and chk["hip_knee_sd_mm"] < 15
    assert real_trial.foot_strike_label == "Rearfoot"


def test_real_list_trials_both_folders():
    dirs = fk.data_dirs(SHARED)
    if len(dirs) < 2:
        pytest.skip("Fukuchi text and C3D data not both available")
    paths = fk.list_trials(*dirs)
    assert len(paths) == 34
    subjects = {fk.trial_paths(p)["subject"] for p in paths}
    assert len(subjects) == 13 and "RBDS003" in subjects and "RBDS032" in subjects
    assert fk.trial_paths(C3D_DIR / "RBDS03runT25.c3d")["static"].name == "RBDS03static.c3d"


def test_real_absent_marker_rebuilt():
    p = C3D_DIR / "RBDS03runT25.c3d"
    if not p.is_file():
        pytest.skip("Fukuchi C3D data not available")
    tr = fk.load_trial(p)
    assert tr.info["markers_rigid_filled"].get("R.MT1") == tr.n_frames
    toe = tr.joint_centres["right_toe"]
    assert np.isfinite(toe).all()
    # MT1-MT5 distance as in the static trial (about 0.11-0.12 m)
    d = np.linalg.norm(tr.markers["R.MT1"] - tr.markers["R.MT5"], axis=1)
    assert 0.09 < np.median(d) < 0.14
