"""Which BlazePose landmark model runs: the bundled full model, or a lite/heavy model the
user placed next to it; a missing one is a one-line error, never a download attempt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlens import cli
from gaitlens.errors import BackendUnavailableError
from gaitlens.pose import mediapipe as mp_backend
from tests.conftest import write_clip


def test_legacy_model_paths_name_the_files_mediapipe_loads():
    full = mp_backend.legacy_model_path(1)
    assert full is not None and full.name == "pose_landmark_full.tflite"
    assert mp_backend.bundled_model_path() == full  # the wheel carries the full model
    assert mp_backend.legacy_model_path(2).name == "pose_landmark_heavy.tflite"
    assert mp_backend.legacy_model_path(0).name == "pose_landmark_lite.tflite"
    assert mp_backend.legacy_model_path(2).parent == full.parent


@pytest.fixture
def no_heavy_model(tmp_path, monkeypatch):
    real = mp_backend.legacy_model_path
    missing = tmp_path / "pose_landmark" / "pose_landmark_heavy.tflite"
    monkeypatch.setattr(mp_backend, "legacy_model_path", lambda n=1: missing if n == 2 else real(n))
    return missing


def test_missing_heavy_model_is_a_clear_error(no_heavy_model):
    with pytest.raises(BackendUnavailableError) as exc:
        mp_backend.MediaPipePose(model_complexity=2)
    msg = str(exc.value)
    assert "\n" not in msg
    assert str(no_heavy_model) in msg and "@mediapipe/pose" in msg and "--pose-model" in msg


def test_cli_model_complexity_without_the_model_fails_cleanly(tmp_path, no_heavy_model, capsys):
    video = write_clip(tmp_path / "clip.mp4", np.arange(30) / 30, size=(96, 64))
    before = video.read_bytes()
    out = tmp_path / "out"
    code = cli.main(["analyze", str(video), "-o", str(out), "--model-complexity", "2"])
    err = capsys.readouterr().err
    assert code == BackendUnavailableError.exit_code
    lines = [ln for ln in err.splitlines() if ln.startswith("gaitlens: error:")]
    assert len(lines) == 1 and "model complexity 2" in lines[0], err
    assert not out.exists()
    assert video.read_bytes() == before


def test_info_says_whether_heavy_and_lite_are_installed(no_heavy_model, capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "heavy (--model-complexity 2): not installed" in out
    assert str(no_heavy_model) in out


def _fake_package(tmp_path, heavy: bytes, lite: bytes = b"lite model") -> Path:
    import io
    import tarfile

    tgz = tmp_path / "mediapipe-pose-0.5.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        files = {"pose_landmark_heavy.tflite": heavy, "pose_landmark_lite.tflite": lite}
        for name, data in {**files, "README.md": b"readme"}.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return tgz


@pytest.fixture
def model_dir(tmp_path, monkeypatch):
    """legacy_model_path points into an empty folder; the fake models' hashes are known."""
    import hashlib

    d = tmp_path / "site" / "pose_landmark"
    d.mkdir(parents=True)
    monkeypatch.setattr(
        mp_backend, "legacy_model_path", lambda n=1: d / mp_backend.LEGACY_MODEL_FILES[n]
    )
    sums = dict(mp_backend.LEGACY_MODEL_SHA256)
    sums[2] = hashlib.sha256(b"heavy model").hexdigest()
    sums[0] = hashlib.sha256(b"lite model").hexdigest()
    monkeypatch.setattr(mp_backend, "LEGACY_MODEL_SHA256", sums)
    return d


def test_install_model_from_the_npm_tarball(tmp_path, model_dir, capsys):
    tgz = _fake_package(tmp_path, b"heavy model")
    before = tgz.read_bytes()
    assert cli.main(["install-model", str(tgz)]) == 0
    assert (model_dir / "pose_landmark_heavy.tflite").read_bytes() == b"heavy model"
    assert (model_dir / "pose_landmark_lite.tflite").read_bytes() == b"lite model"
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "pose_landmark_heavy.tflite",
        "pose_landmark_lite.tflite",
    ]  # nothing half-written left
    assert tgz.read_bytes() == before
    assert "--model-complexity 2" in capsys.readouterr().out


def test_install_model_from_a_tflite_file(tmp_path, model_dir):
    src = tmp_path / "pose_landmark_heavy.tflite"
    src.write_bytes(b"heavy model")
    dest = mp_backend.install_model(src)
    assert dest == model_dir / "pose_landmark_heavy.tflite" and dest.read_bytes() == b"heavy model"


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: d / "missing.tflite", "file not found"),
        (lambda d: (d / "x.tflite").write_bytes(b"other") and d / "x.tflite", "not a known"),
        (lambda d: _fake_package(d, b"tampered heavy"), "does not match"),
        (lambda d: _fake_package(d, b"heavy model", b"tampered lite"), "does not match"),
        (lambda d: (d / "readme.tgz").write_bytes(b"") or d / "readme.tgz", "not a known"),
    ],
)
def test_install_model_refuses_unknown_files_and_writes_nothing(
    tmp_path, model_dir, capsys, make, words
):
    src = make(tmp_path)
    code = cli.main(["install-model", str(src)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and words in err[0], err
    assert list(model_dir.iterdir()) == []
