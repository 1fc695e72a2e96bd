"""Where the BlazePose .task bundle comes from (gaitlens.pose.models): every route with
small stand-in models whose hashes the tests pin, the download against a local HTTP
server on 127.0.0.1 (never the internet), and the one-line errors. Fast; no network."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gaitlens import cli
from gaitlens.errors import ModelNotFoundError
from gaitlens.pose import models
from gaitlens.pose import tflite_metadata as tm
from tests.conftest import write_clip

flatbuffers = pytest.importorskip("flatbuffers")


def tiny_tflite(size_px: int, tag: str) -> bytes:
    """A structurally valid TFLite flatbuffer (tensorflow/lite/schema/schema.fbs): one
    subgraph with one float32 (1, size, size, 3) input, two buffers, a
    ``min_runtime_version`` metadata entry. Not runnable; enough for the writer."""
    b = flatbuffers.Builder(256)
    shape = [1, size_px, size_px, 3]
    b.StartVector(4, 4, 4)
    for v in reversed(shape):
        b.PrependInt32(v)
    shape_vec = b.EndVector()
    name = b.CreateString("input_1")
    b.StartObject(4)  # Tensor: shape 0, type 1, buffer 2, name 3
    b.PrependUOffsetTRelativeSlot(0, shape_vec, 0)
    b.PrependInt8Slot(1, 0, 0)
    b.PrependUint32Slot(2, 1, 0)
    b.PrependUOffsetTRelativeSlot(3, name, 0)
    tensor = b.EndObject()
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(tensor)
    tensors = b.EndVector()
    b.StartVector(4, 1, 4)
    b.PrependInt32(0)
    inputs = b.EndVector()
    b.StartObject(3)  # SubGraph: tensors 0, inputs 1, outputs 2
    b.PrependUOffsetTRelativeSlot(0, tensors, 0)
    b.PrependUOffsetTRelativeSlot(1, inputs, 0)
    sg = b.EndObject()
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(sg)
    subgraphs = b.EndVector()
    b.StartObject(3)  # Buffer 0: empty
    empty = b.EndObject()
    payload = b.CreateByteVector(b"1.5.0\0" + tag.encode())
    b.StartObject(3)
    b.PrependUOffsetTRelativeSlot(0, payload, 0)
    runtime = b.EndObject()
    b.StartVector(4, 2, 4)
    b.PrependUOffsetTRelative(runtime)
    b.PrependUOffsetTRelative(empty)
    buffers = b.EndVector()
    mname = b.CreateString("min_runtime_version")
    b.StartObject(2)
    b.PrependUOffsetTRelativeSlot(0, mname, 0)
    b.PrependUint32Slot(1, 1, 0)
    meta = b.EndObject()
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(meta)
    metas = b.EndVector()
    desc = b.CreateString(f"stand-in {tag}")
    b.StartObject(8)  # Model
    b.PrependUint32Slot(0, 3, 0)
    b.PrependUOffsetTRelativeSlot(2, subgraphs, 0)
    b.PrependUOffsetTRelativeSlot(3, desc, 0)
    b.PrependUOffsetTRelativeSlot(4, buffers, 0)
    b.PrependUOffsetTRelativeSlot(6, metas, 0)
    root = b.EndObject()
    b.Finish(root, file_identifier=b"TFL3")
    return bytes(b.Output())


DET = tiny_tflite(224, "detector")
FULL = tiny_tflite(256, "full")
HEAVY = tiny_tflite(256, "heavy")
LITE = tiny_tflite(256, "lite")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def model_dir(tmp_path, monkeypatch):
    """An empty model folder; the stand-in models are the known ones; no legacy package."""
    d = tmp_path / "models"
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(d))
    monkeypatch.setattr(
        models,
        "SOURCE_SHA256",
        {
            sha(DET): ("detector", None, "stand-in detector"),
            sha(FULL): ("landmarks", "full", "stand-in full"),
            sha(HEAVY): ("landmarks", "heavy", "stand-in heavy"),
            sha(LITE): ("landmarks", "lite", "stand-in lite"),
        },
    )
    monkeypatch.setattr(models, "PREFERRED_DETECTOR", sha(DET))
    monkeypatch.setattr(models, "legacy_package_dir", lambda: None)
    return d


def fake_wheel(path: Path, full: bytes = FULL, det: bytes = DET) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mediapipe/__init__.py", "")
        z.writestr("mediapipe/modules/pose_detection/pose_detection.tflite", det)
        z.writestr("mediapipe/modules/pose_landmark/pose_landmark_full.tflite", full)
    return path


def fake_npm(path: Path, heavy: bytes = HEAVY, lite: bytes = LITE, det: bytes = DET) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        files = {
            "pose_landmark_heavy.tflite": heavy,
            "pose_landmark_lite.tflite": lite,
            "pose_solution_packed_assets.data": det,
            "README.md": b"readme",
        }
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def listing(d: Path) -> list:
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def assert_bundle(path: Path, landmarks: bytes) -> None:
    """Both members, each with image metadata, the landmark model's inputs unchanged,
    entries aligned for in-place use."""
    with zipfile.ZipFile(path) as z:
        assert set(z.namelist()) == {models.DETECTOR_MEMBER, models.LANDMARKS_MEMBER}
        raw = path.read_bytes()
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            name_len, extra_len = np.frombuffer(raw[info.header_offset + 26 :][:4], "<u2")
            assert (info.header_offset + 30 + name_len + extra_len) % models.ZIP_ALIGN == 0
        det, lmk = z.read(models.DETECTOR_MEMBER), z.read(models.LANDMARKS_MEMBER)
    assert tm.normalization_options(tm.read_model_metadata(det)) == [([127.5] * 3, [127.5] * 3)]
    assert tm.normalization_options(tm.read_model_metadata(lmk)) == [([0.0] * 3, [255.0] * 3)]
    assert tm.input_tensors(lmk) == tm.input_tensors(landmarks)


# --- the metadata writer --------------------------------------------------------------


def test_metadata_is_added_without_touching_the_model():
    before = bytes(FULL)
    md = tm.image_metadata("m", "d", [0.0] * 3, [255.0] * 3)
    out = tm.add_metadata(FULL, md)
    assert FULL == before
    assert out[4:8] == b"TFL3" and len(out) % 16 == 0
    assert tm.metadata_names(out) == ["min_runtime_version", "TFLITE_METADATA"]
    assert tm.read_model_metadata(out) == md and md[4:8] == b"M001"
    assert tm.input_tensors(out) == tm.input_tensors(FULL) == [([1, 256, 256, 3], True)]
    # written again: replaced, not doubled
    md2 = tm.image_metadata("m", "d", [127.5] * 3, [127.5] * 3)
    twice = tm.add_metadata(out, md2)
    assert tm.metadata_names(twice) == ["min_runtime_version", "TFLITE_METADATA"]
    assert tm.normalization_options(tm.read_model_metadata(twice)) == [([127.5] * 3, [127.5] * 3)]


def test_metadata_writer_refuses_what_is_not_a_tflite_model():
    with pytest.raises(tm.ModelFormatError):
        tm.add_metadata(b"not a model at all", b"")
    with pytest.raises(ValueError):
        tm.image_metadata("m", "d", [0.0], [0.0])


def test_metadata_is_what_mediapipes_own_reader_sees():
    """MediaPipe's metadata displayer (pure Python, from its generated schema) parses
    the flatbuffer written here; skipped where that module is absent."""
    try:
        from mediapipe.tasks.python.metadata import metadata_schema_py_generated as fb
    except ImportError:
        try:
            from mediapipe.tasks.metadata import metadata_schema_py_generated as fb
        except ImportError:
            pytest.skip("mediapipe's metadata schema module is not installed")
    md = tm.image_metadata("BlazePose", "d", [127.5] * 3, [127.5] * 3)
    m = fb.ModelMetadata.GetRootAsModelMetadata(md, 0)
    assert m.MinParserVersion() == b"1.0.0" and m.SubgraphMetadataLength() == 1
    t = m.SubgraphMetadata(0).InputTensorMetadata(0)
    assert t.Content().ContentPropertiesType() == fb.ContentProperties.ImageProperties
    pu = t.ProcessUnits(0)
    assert pu.OptionsType() == fb.ProcessUnitOptions.NormalizationOptions
    opts = fb.NormalizationOptions()
    opts.Init(pu.Options().Bytes, pu.Options().Pos)
    assert list(opts.MeanAsNumpy()) == [127.5] * 3


# --- (b) offline routes ---------------------------------------------------------------


def test_install_from_the_legacy_wheel(tmp_path, model_dir, capsys):
    whl = fake_wheel(tmp_path / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl")
    before = whl.read_bytes()
    assert cli.main(["install-model", str(whl)]) == 0
    assert listing(model_dir) == ["pose_landmarker_full.task", "pose_landmarker_full.task.json"]
    assert_bundle(model_dir / "pose_landmarker_full.task", FULL)
    info = json.loads((model_dir / "pose_landmarker_full.task.json").read_text())
    assert info["detector_sha256"] == sha(DET) and info["landmarks_sha256"] == sha(FULL)
    assert whl.read_bytes() == before
    assert "installed" in capsys.readouterr().out
    assert models.resolve_bundle("full", download=False) == model_dir / "pose_landmarker_full.task"


def test_install_from_the_npm_package(tmp_path, model_dir, capsys):
    tgz = fake_npm(tmp_path / "mediapipe-pose-0.5.1675469404.tgz")
    assert cli.main(["install-model", str(tgz), "--model", "heavy"]) == 0
    assert listing(model_dir) == ["pose_landmarker_heavy.task", "pose_landmarker_heavy.task.json"]
    assert_bundle(model_dir / "pose_landmarker_heavy.task", HEAVY)
    assert "--model-complexity 2" in capsys.readouterr().out
    # without --model: every landmark model the package carries
    assert models.install([tgz]) and models.find_bundle("lite") is not None


def test_install_from_loose_tflite_files(tmp_path, model_dir):
    (tmp_path / "pose_detection.tflite").write_bytes(DET)
    (tmp_path / "pose_landmark_full.tflite").write_bytes(FULL)
    (tmp_path / "pose_landmark_heavy.tflite").write_bytes(HEAVY)
    files = [tmp_path / "pose_detection.tflite", tmp_path / "pose_landmark_full.tflite"]
    (dest,) = models.install(files)
    assert dest == model_dir / "pose_landmarker_full.task"
    # a landmark model alone reuses the installed bundle's detector
    (heavy,) = models.install([tmp_path / "pose_landmark_heavy.tflite"])
    with zipfile.ZipFile(dest) as a, zipfile.ZipFile(heavy) as b:
        assert a.read(models.DETECTOR_MEMBER) == b.read(models.DETECTOR_MEMBER)
    assert_bundle(heavy, HEAVY)


def test_install_a_task_bundle_the_user_downloaded(tmp_path, model_dir):
    task = tmp_path / "pose_landmarker_lite.task"
    task.write_bytes(models.build_bundle(DET, LITE, "lite"))
    (dest,) = models.install([task])
    assert dest == model_dir / "pose_landmarker_lite.task"
    assert dest.read_bytes() == task.read_bytes()


def test_assembly_is_reproducible():
    assert models.build_bundle(DET, FULL, "full") == models.build_bundle(DET, FULL, "full")


def test_a_landmark_model_without_any_detector_is_refused(tmp_path, model_dir, capsys):
    (tmp_path / "pose_landmark_heavy.tflite").write_bytes(HEAVY)
    code = cli.main(["install-model", str(tmp_path / "pose_landmark_heavy.tflite")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "pose_detection.tflite" in err[0], err
    assert listing(model_dir) == []


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: d / "missing.whl", "file not found"),
        (lambda d: (d / "x.tflite").write_bytes(b"other") and d / "x.tflite", "not a known"),
        (lambda d: fake_wheel(d / "m.whl", full=FULL + b"x"), "does not match"),
        (lambda d: fake_wheel(d / "m.whl", det=DET[:-1]), "does not match"),
        (lambda d: fake_npm(d / "p.tgz", heavy=b"tampered heavy"), "does not match"),
        (lambda d: fake_npm(d / "p.tgz", lite=b"tampered lite"), "does not match"),
        (lambda d: (d / "readme.tgz").write_bytes(b"") or d / "readme.tgz", "not a known"),
        (lambda d: zipfile.ZipFile(d / "e.whl", "w").close() or d / "e.whl", "no BlazePose"),
    ],
)
def test_unknown_or_tampered_files_are_refused_and_nothing_is_written(
    tmp_path, model_dir, capsys, make, words
):
    src = make(tmp_path)
    code = cli.main(["install-model", str(src)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and words in err[0], err
    assert listing(model_dir) == []


# --- (a) download, against a local server ---------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = type(self).body
        self.send_response(200)
        if self.path == "/truncated":
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.body = models.build_bundle(DET, FULL, "full")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler.body
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_and_writes_atomically(model_dir, server):
    url, body = server
    dest = models.download_bundle("full", url=f"{url}/ok.task", sha256=sha(body), timeout_s=5)
    assert dest == model_dir / "pose_landmarker_full.task" and dest.read_bytes() == body
    info = models.provenance(dest)
    assert info["sha256"] == sha(body) and info["sha256_pinned"] is True
    assert listing(model_dir) == ["pose_landmarker_full.task", "pose_landmarker_full.task.json"]


def test_download_without_a_pinned_hash_checks_the_bundle_and_records_its_hash(
    model_dir, server, capsys
):
    url, body = server
    dest = models.download_bundle("full", url=f"{url}/ok.task", sha256=None, timeout_s=5)
    assert models.provenance(dest)["sha256"] == sha(body)
    assert sha(body) in capsys.readouterr().err


@pytest.mark.parametrize(
    "path, digest, words",
    [
        ("/ok.task", "0" * 64, "SHA-256"),
        ("/truncated", None, "truncated"),
    ],
)
def test_a_bad_download_leaves_nothing(model_dir, server, path, digest, words):
    url, _ = server
    with pytest.raises(models.ModelDownloadError) as exc:
        models.download_bundle("full", url=url + path, sha256=digest, timeout_s=5)
    assert words in str(exc.value) and "\n" not in str(exc.value)
    assert listing(model_dir) == []


def test_a_download_that_is_not_a_bundle_leaves_nothing(model_dir, server):
    url, _ = server
    _Handler.body = b"<html>not found</html>"
    with pytest.raises(models.ModelDownloadError, match="not a pose landmarker bundle"):
        models.download_bundle("full", url=f"{url}/ok.task", sha256=None, timeout_s=5)
    assert listing(model_dir) == []


def test_server_down(model_dir):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(models.ModelDownloadError) as exc:
        models.download_bundle("full", url=f"http://127.0.0.1:{port}/m.task", timeout_s=5)
    assert f"127.0.0.1:{port}" in str(exc.value)
    assert listing(model_dir) == []


def test_first_analyze_says_it_downloads_then_does(model_dir, server, monkeypatch):
    url, body = server
    monkeypatch.setattr(models, "BUNDLE_URL", url + "/{variant}/{version}.task")
    monkeypatch.setattr(models, "BUNDLE_SHA256", {"lite": None, "full": sha(body), "heavy": None})
    said = []
    path = models.resolve_bundle("full", download=True, say=said.append)
    assert path.read_bytes() == body
    assert len(said) == 1 and "downloading" in said[0] and str(model_dir) in said[0]


# --- (c) no model: one line naming the routes -----------------------------------------


def _assert_routes(line: str) -> None:
    for words in ("gaitlens install-model", "pip download mediapipe==0.10.21", "npm pack"):
        assert words in line, line
    assert "--pose-model" in line


def test_no_model_offline_is_one_line_naming_every_route(model_dir):
    with pytest.raises(ModelNotFoundError) as exc:
        models.resolve_bundle("heavy")  # GAITLENS_OFFLINE is set for the tests
    msg = str(exc.value)
    assert "\n" not in msg and "heavy" in msg and str(model_dir) in msg
    _assert_routes(msg)


def test_no_model_and_the_download_fails(model_dir, monkeypatch):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    monkeypatch.setattr(models, "BUNDLE_URL", f"http://127.0.0.1:{port}/" + "{variant}{version}")
    with pytest.raises(ModelNotFoundError) as exc:
        models.resolve_bundle("full", download=True, say=lambda line: None)
    assert "download failed" in str(exc.value)
    _assert_routes(str(exc.value))


def test_cli_analyze_without_a_model_fails_cleanly(tmp_path, model_dir, capsys):
    video = write_clip(tmp_path / "clip.mp4", np.arange(30) / 30, size=(96, 64))
    before = video.read_bytes()
    out = tmp_path / "out"
    code = cli.main(["analyze", str(video), "-o", str(out), "--model-complexity", "2"])
    err = capsys.readouterr().err
    assert code == ModelNotFoundError.exit_code
    lines = [ln for ln in err.splitlines() if ln.startswith("gaitlens: error:")]
    assert len(lines) == 1 and "heavy" in lines[0], err
    _assert_routes(lines[0])
    assert not out.exists() and video.read_bytes() == before
    assert listing(model_dir) == []


def test_cli_install_model_offline_without_files(model_dir, capsys):
    code = cli.main(["install-model"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == models.ModelDownloadError.exit_code and len(err) == 1
    _assert_routes(err[0])


def test_info_lists_the_models_and_their_folder(tmp_path, model_dir, capsys):
    models.install([fake_wheel(tmp_path / "m.whl")])
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert str(model_dir) in out
    assert "full: " in out and "heavy (--model-complexity 2): not installed" in out


def test_user_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(models.ENV_MODEL_DIR, raising=False)
    monkeypatch.setattr(models.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert models.model_dir() == tmp_path / "gaitlens" / "models"
