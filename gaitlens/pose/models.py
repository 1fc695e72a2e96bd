"""Where the BlazePose ``.task`` bundle comes from: cache, download, or local files.

MediaPipe 1.x runs pose only through the Tasks API ``PoseLandmarker`` and ships no
model: it loads a ``.task`` bundle, a zip holding ``pose_detector.tflite`` and
``pose_landmarks_detector.tflite`` (``mediapipe/tasks/cc/vision/pose_landmarker/
pose_landmarker_graph.cc``: ``kPoseDetectorTFLiteName``, ``kPoseLandmarksDetectorTFLiteName``).
gaitlens keeps one bundle per variant (lite / full / heavy, BlazePose GHUM 3D,
Bazarevsky et al. 2020, arXiv:2006.10204) in ``model_dir()`` and gets it by one of:

(a) download of MediaPipe's published bundle (``install-model`` without a file, or the
    first ``analyze`` after one line on stderr): pinned version ``BUNDLE_VERSION``,
    progress bar, SHA-256 check, atomic write (temp file + ``os.replace``);
(b) assembly from files the user has, with no network: the legacy mediapipe 0.10.21
    wheel (``pip download mediapipe==0.10.21 --no-deps ...``; a zip carrying the
    detector and the full landmark model), the ``@mediapipe/pose`` npm package
    (``npm pack @mediapipe/pose``; lite, full and heavy landmark models plus the detector
    packed in ``pose_solution_packed_assets.data``), loose ``.tflite`` files, or an
    installed legacy mediapipe package. Every input is checked against ``SOURCE_SHA256``
    and the image-input metadata the Tasks API needs is written into each model
    (``gaitlens.pose.tflite_metadata``);
(c) otherwise ``ModelNotFoundError``: one line naming these routes.

Nothing here runs at import time; the network is touched only by ``download_bundle``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..errors import GaitlensError, ModelNotFoundError

VARIANTS = ("lite", "full", "heavy")
#: ``model_complexity`` (the legacy graph's name for the variant) -> variant
COMPLEXITY_VARIANT = {0: "lite", 1: "full", 2: "heavy"}
DEFAULT_VARIANT = "full"

#: MediaPipe's published pose landmarker bundles (models overview of the Pose Landmarker
#: task, ai.google.dev/edge/mediapipe/solutions/vision/pose_landmarker); a fixed version,
#: never "latest", so a run is reproducible
BUNDLE_VERSION = "1"
BUNDLE_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/{version}/pose_landmarker_{variant}.task"
)
#: SHA-256 of the published bundles at ``BUNDLE_VERSION``. No public source with these
#: values was found (and the storage is not reachable from where gaitlens is developed),
#: so they are unset: a download is then accepted only if it is a pose landmarker bundle
#: (both models, TFLite, with metadata), and its SHA-256 is printed and recorded next
#: to it. Fill in the values here, the one place, once they are known.
BUNDLE_SHA256: dict = {"lite": None, "full": None, "heavy": None}

#: Known input files for offline assembly: SHA-256 -> (role, variant or None, origin).
#: The wheel's detector and the full/heavy landmark models are pinned by MediaPipe itself
#: (``third_party/external_files.bzl``: com_google_mediapipe_pose_detection_tflite,
#: ..._pose_landmark_full_tflite, ..._pose_landmark_heavy_tflite); the npm lite model and
#: the npm detector are the files of ``@mediapipe/pose`` 0.5.1675469404.
SOURCE_SHA256 = {
    "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c": (
        "detector",
        None,
        "pose_detection.tflite (mediapipe 0.10.21 wheel)",
    ),
    "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85": (
        "detector",
        None,
        "pose_detection.tflite (@mediapipe/pose 0.5.1675469404)",
    ),
    "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61": (
        "landmarks",
        "lite",
        "pose_landmark_lite.tflite (@mediapipe/pose 0.5.1675469404)",
    ),
    "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f": (
        "landmarks",
        "full",
        "pose_landmark_full.tflite (mediapipe 0.10.21 wheel, @mediapipe/pose)",
    ),
    "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe": (
        "landmarks",
        "heavy",
        "pose_landmark_heavy.tflite (@mediapipe/pose 0.5.1675469404)",
    ),
}
#: preferred detector when several are at hand: the one MediaPipe pins and the legacy
#: graph (mediapipe 0.10.21) runs, so both backends see the same detector
PREFERRED_DETECTOR = "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"

#: Image-input normalisation of each model, (x - mean) / std per channel, as the legacy
#: graphs feed them: ``pose_detection_cpu.pbtxt`` (ImageToTensorCalculator output range
#: [-1, 1]) and ``pose_landmark_by_roi_cpu.pbtxt`` (output range [0, 1]).
DETECTOR_NORM = (127.5, 127.5)
LANDMARKS_NORM = (0.0, 255.0)

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"
#: zip entries start on this boundary (like Android's zipalign) so that MediaPipe can
#: use the models' buffers in place
ZIP_ALIGN = 64

_RESOLVE_LOCK = threading.Lock()

ENV_MODEL_DIR = "GAITLENS_MODEL_DIR"
#: set to 1 to never download (tests, air-gapped machines); the routes (b) still work
ENV_OFFLINE = "GAITLENS_OFFLINE"

ROUTES = (
    "run `gaitlens install-model` on a machine with internet (downloads it), "
    "or `gaitlens install-model FILE` with the legacy mediapipe wheel "
    "(`pip download mediapipe==0.10.21 --no-deps --only-binary=:all: --python-version 3.11 "
    "--platform manylinux_2_28_x86_64`), the `npm pack @mediapipe/pose` .tgz or the "
    ".tflite files, or pass a .task file with --pose-model"
)


class ModelSourceError(GaitlensError):
    """A file given to ``install-model`` is not a known, intact BlazePose model."""

    exit_code = 2


class ModelDownloadError(GaitlensError):
    """The bundle could not be downloaded or did not verify."""

    exit_code = 9


# --- where ----------------------------------------------------------------------------


def user_cache_dir() -> Path:
    """The per-user cache folder, as ``platformdirs.user_cache_dir`` places it: XDG on
    Linux (``$XDG_CACHE_HOME`` or ``~/.cache``), ``~/Library/Caches`` on macOS,
    ``%LOCALAPPDATA%`` on Windows."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "gaitlens" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "gaitlens"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gaitlens"


def model_dir() -> Path:
    """Where bundles are kept: ``$GAITLENS_MODEL_DIR`` or ``<user cache>/models``."""
    env = os.environ.get(ENV_MODEL_DIR)
    return Path(env).expanduser() if env else user_cache_dir() / "models"


def bundle_name(variant: str) -> str:
    return f"pose_landmarker_{variant}.task"


def bundle_path(variant: str) -> Path:
    return model_dir() / bundle_name(_check_variant(variant))


def bundle_url(variant: str, version: str = BUNDLE_VERSION) -> str:
    return BUNDLE_URL.format(variant=_check_variant(variant), version=version)


def _check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise GaitlensError(f"unknown pose model {variant!r}; choose {', '.join(VARIANTS)}")
    return variant


def provenance(path: Path) -> dict:
    """What is recorded about an installed bundle (``<bundle>.json``), or {}."""
    try:
        return json.loads(Path(str(path) + ".json").read_text())
    except (OSError, ValueError):
        return {}


def find_bundle(variant: str) -> Optional[Path]:
    """The installed bundle of ``variant``, or None."""
    p = bundle_path(variant)
    return p if p.is_file() else None


def offline() -> bool:
    return os.environ.get(ENV_OFFLINE, "").strip().lower() not in ("", "0", "false", "no")


def resolve_bundle(
    variant: str = DEFAULT_VARIANT, download: Optional[bool] = None, say: Callable = None
) -> Path:
    """The bundle to run: installed, else assembled from an installed legacy mediapipe
    package, else downloaded (unless ``download`` is False or ``$GAITLENS_OFFLINE`` is
    set; ``say`` gets the one-line notice). Raises ``ModelNotFoundError``."""
    _check_variant(variant)
    with _RESOLVE_LOCK:  # parallel pose segments: one download, the others wait for it
        return _resolve(variant, download, say)


def _resolve(variant: str, download: Optional[bool], say: Optional[Callable]) -> Path:
    found = find_bundle(variant)
    if found is not None:
        return found
    try:
        return install_from_legacy_package(variant)
    except ModelSourceError:
        pass
    if download is None:
        download = not offline()
    reason = ""
    if download:
        say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        say(
            f"gaitlens: the BlazePose {variant} model is not installed; downloading "
            f"{bundle_name(variant)} to {model_dir()}"
        )
        try:
            return download_bundle(variant)
        except ModelDownloadError as exc:
            reason = f" (download failed: {exc})"
    raise ModelNotFoundError(
        f"the BlazePose {variant} pose model is not installed in {model_dir()}{reason}: " + ROUTES
    )


# --- (a) download ---------------------------------------------------------------------


def download_bundle(
    variant: str = DEFAULT_VARIANT,
    url: Optional[str] = None,
    sha256: Optional[str] = "pinned",
    dest_dir: Optional[Path] = None,
    progress: Optional[bool] = None,
    timeout_s: float = 30.0,
) -> Path:
    """Download the ``variant`` bundle (``url`` defaults to MediaPipe's published one at
    ``BUNDLE_VERSION``) into ``dest_dir`` (default ``model_dir()``). The bytes go to a
    temporary file in the same folder, are checked (SHA-256 ``sha256``, default the
    pinned ``BUNDLE_SHA256``; and always: a zip with both models) and only then renamed
    over the target; on any failure nothing is left. Returns the path."""
    import urllib.error
    import urllib.request

    from tqdm import tqdm

    _check_variant(variant)
    url = url or bundle_url(variant)
    expected = BUNDLE_SHA256.get(variant) if sha256 == "pinned" else sha256
    dest_dir = Path(dest_dir) if dest_dir else model_dir()
    dest = dest_dir / bundle_name(variant)
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelDownloadError(f"cannot create {dest_dir}: {exc.strerror}") from None
    if progress is None:
        progress = bool(getattr(sys.stderr, "isatty", lambda: False)())
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest_dir)
    digest = hashlib.sha256()
    try:
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "gaitlens"})
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:
                total = int(resp.headers.get("Content-Length") or 0)
                got = 0
                with (
                    os.fdopen(fd, "wb") as out,
                    tqdm(
                        total=total or None,
                        unit="B",
                        unit_scale=True,
                        desc=bundle_name(variant),
                        disable=not progress,
                        leave=False,
                        file=sys.stderr,
                    ) as bar,
                ):
                    fd = -1
                    while True:
                        chunk = resp.read(1 << 16)
                        if not chunk:
                            break
                        out.write(chunk)
                        digest.update(chunk)
                        got += len(chunk)
                        bar.update(len(chunk))
                if total and got != total:
                    raise ModelDownloadError(f"{url}: got {got} of {total} bytes (truncated)")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if isinstance(exc, ModelDownloadError):
                raise
            reason = getattr(exc, "reason", None) or exc
            raise ModelDownloadError(f"{url}: {reason}") from None
        except Exception as exc:  # http.client.IncompleteRead and friends
            if isinstance(exc, GaitlensError):
                raise
            raise ModelDownloadError(f"{url}: {type(exc).__name__}: {exc}") from None
        actual = digest.hexdigest()
        if expected and actual != expected:
            raise ModelDownloadError(
                f"{url}: SHA-256 {actual[:16]}... is not the pinned {expected[:16]}...; "
                "nothing was installed"
            )
        try:
            check_bundle(Path(tmp))
        except ModelSourceError as exc:
            raise ModelDownloadError(f"{url}: {exc}") from None
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        tmp = None
        info = {"variant": variant, "source": url, "sha256": actual}
        _write_provenance(dest, {**info, "sha256_pinned": bool(expected)})
        if not expected:
            print(
                f"gaitlens: note: no pinned SHA-256 for {bundle_name(variant)} in this "
                f"gaitlens version; downloaded file's SHA-256 is {actual}",
                file=sys.stderr,
            )
        return dest
    finally:
        if fd != -1:
            os.close(fd)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def check_bundle(path: Path) -> None:
    """Raise ``ModelSourceError`` unless ``path`` is a pose landmarker bundle: a zip with
    both models, each a TFLite flatbuffer with image-input metadata."""
    from . import tflite_metadata as tm

    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            missing = {DETECTOR_MEMBER, LANDMARKS_MEMBER} - names
            if missing:
                raise ModelSourceError(f"not a pose landmarker bundle (no {sorted(missing)[0]})")
            for m in (DETECTOR_MEMBER, LANDMARKS_MEMBER):
                data = z.read(m)
                if tm.read_model_metadata(data) is None:
                    raise ModelSourceError(f"{m} in the bundle has no model metadata")
    except (zipfile.BadZipFile, tm.ModelFormatError, OSError, EOFError) as exc:
        raise ModelSourceError(f"not a pose landmarker bundle ({exc})") from None


# --- (b) offline assembly -------------------------------------------------------------


@dataclass
class _Model:
    sha256: str
    role: str  # "detector" | "landmarks"
    variant: Optional[str]
    origin: str
    data: bytes


def _identify(data: bytes, where: str) -> _Model:
    digest = hashlib.sha256(data).hexdigest()
    known = SOURCE_SHA256.get(digest)
    if known is None:
        raise ModelSourceError(
            f"{where}: not a known BlazePose model (SHA-256 {digest[:12]}...); use the "
            "files of the mediapipe 0.10.21 wheel or of the @mediapipe/pose npm package"
        )
    return _Model(digest, known[0], known[1], known[2], data)


def _expect(data: bytes, name: str, where: str) -> _Model:
    """A member that should be a known model (a wrong hash means a damaged download)."""
    digest = hashlib.sha256(data).hexdigest()
    if digest not in SOURCE_SHA256:
        raise ModelSourceError(
            f"{where}: {name} does not match the known model (SHA-256 {digest[:12]}...); "
            "download the package again"
        )
    return _identify(data, where)


#: paths of the models inside the legacy wheel / installed package
_WHEEL_DETECTOR = "mediapipe/modules/pose_detection/pose_detection.tflite"
_WHEEL_LANDMARKS = "mediapipe/modules/pose_landmark/pose_landmark_{variant}.tflite"
_NPM_PACKED = "pose_solution_packed_assets.data"
_NPM_LOADER = "pose_solution_packed_assets_loader.js"


def is_task_bundle(path: Path) -> bool:
    """Whether ``path`` is a zip with the two members of a pose landmarker bundle."""
    try:
        with zipfile.ZipFile(path) as z:
            return {DETECTOR_MEMBER, LANDMARKS_MEMBER} <= set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def install(sources, variants=None, dest_dir: Optional[Path] = None) -> list:
    """``gaitlens install-model FILE...``: install bundles from local files, no network.
    A ``.task`` bundle is installed as it is (variant from ``variants`` or its name);
    wheel, npm .tgz and .tflite files are checked by SHA-256, then assembled into one
    bundle per landmark model they carry (or only ``variants``). Nothing is written
    unless every file verifies. Returns the installed paths."""
    sources = [Path(s) for s in sources]
    tasks = [p for p in sources if p.is_file() and is_task_bundle(p)]
    rest = [p for p in sources if p not in tasks]
    out = []
    for p in tasks:
        v = (variants or [None])[0] or next((v for v in VARIANTS if v in p.name), None)
        if v is None:
            raise ModelSourceError(f"{p}: say which model it is with --model lite|full|heavy")
        check_bundle(p)
        out.append((p, v))
    models = read_sources(rest) if rest else []
    label = ", ".join(p.name for p in rest)
    installed = [install_task_file(p, v, dest_dir) for p, v in out]
    if rest:
        installed += install_models(models, dest_dir=dest_dir, source=label, variants=variants)
    return installed


def read_sources(paths) -> list:
    """Every known model in the given files (wheel, npm .tgz, .tflite); checked by
    SHA-256 before anything is written."""
    found = []
    for p in map(Path, paths):
        if not p.is_file():
            raise ModelSourceError(
                f"{p}: file not found. Give the mediapipe 0.10.21 wheel, the "
                "@mediapipe/pose npm .tgz or .tflite model files."
            )
        if zipfile.is_zipfile(p):
            found += _read_wheel(p)
        elif tarfile.is_tarfile(p):
            found += _read_npm(p)
        else:
            found.append(_identify(p.read_bytes(), str(p)))
    return found


def _read_wheel(p: Path) -> list:
    out = []
    with zipfile.ZipFile(p) as z:
        names = set(z.namelist())
        wanted = [_WHEEL_DETECTOR] + [_WHEEL_LANDMARKS.format(variant=v) for v in VARIANTS]
        for n in wanted:
            if n in names:
                out.append(_expect(z.read(n), Path(n).name, str(p)))
    if not any(m.role == "landmarks" for m in out):
        raise ModelSourceError(
            f"{p}: no BlazePose model inside; is it the mediapipe 0.10.21 wheel?"
        )
    return out


def _read_npm(p: Path) -> list:
    out = []
    try:
        with tarfile.open(p) as tar:
            for m in tar.getmembers():
                name = Path(m.name).name
                if not m.isfile():
                    continue
                if name in {f"pose_landmark_{v}.tflite" for v in VARIANTS}:
                    out.append(_expect(tar.extractfile(m).read(), name, str(p)))
                elif name == _NPM_PACKED:
                    # the detector, packed by emscripten's file packager; the loader
                    # (pose_solution_packed_assets_loader.js) names it and its byte range
                    data = tar.extractfile(m).read()
                    out.append(_expect(data, "pose_detection.tflite", str(p)))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ModelSourceError(f"{p}: cannot read the archive ({exc})") from None
    if not out:
        raise ModelSourceError(
            f"{p}: no BlazePose model inside; is it the @mediapipe/pose npm package?"
        )
    return out


def legacy_package_dir() -> Optional[Path]:
    """The ``modules`` folder of an installed mediapipe that carries the legacy models
    (0.10.x), found without importing mediapipe; None otherwise."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("mediapipe")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "modules"
    return d if (d / "pose_detection" / "pose_detection.tflite").is_file() else None


def install_from_legacy_package(variant: str, dest_dir: Optional[Path] = None) -> Path:
    """Assemble ``variant`` from an installed legacy mediapipe package (0.10.x carries
    the detector and the full model; lite/heavy only where a user added them)."""
    d = legacy_package_dir()
    lm = d / "pose_landmark" / f"pose_landmark_{variant}.tflite" if d else None
    if lm is None or not lm.is_file():
        raise ModelSourceError(f"no installed mediapipe package carries the {variant} model")
    models = [
        _identify((d / "pose_detection" / "pose_detection.tflite").read_bytes(), str(d)),
        _identify(lm.read_bytes(), str(lm)),
    ]
    return install_models(models, dest_dir=dest_dir, source=f"installed package {d}")[0]


def _detector_from_installed_bundle(dest_dir: Path) -> Optional[tuple]:
    """(detector bytes with metadata, provenance) of an installed, assembled bundle,
    the preferred detector first."""
    found = []
    for v in VARIANTS:
        p = dest_dir / bundle_name(v)
        info = provenance(p)
        if p.is_file() and info.get("detector_sha256") in SOURCE_SHA256:
            try:
                with zipfile.ZipFile(p) as z:
                    found.append((z.read(DETECTOR_MEMBER), info))
            except (zipfile.BadZipFile, KeyError, OSError):
                continue
    found.sort(key=lambda f: f[1]["detector_sha256"] != PREFERRED_DETECTOR)
    return found[0] if found else None


def build_bundle(
    detector: bytes, landmarks: bytes, variant: str, detector_has_metadata: bool = False
) -> bytes:
    """The ``.task`` zip of two BlazePose models, with image-input metadata written into
    each (``tflite_metadata``; a detector taken from an installed bundle already has it)
    and entries aligned to ``ZIP_ALIGN`` bytes."""
    from . import tflite_metadata as tm

    def with_metadata(model, title, text, norm):
        md = tm.image_metadata(
            title,
            text + " (Bazarevsky et al. 2020, arXiv:2006.10204); metadata written by gaitlens",
            mean=[norm[0]] * 3,
            std=[norm[1]] * 3,
            author="Google (model); gaitlens (metadata)",
            license="Apache License 2.0",
        )
        return tm.add_metadata(model, md)

    if not detector_has_metadata:
        detector = with_metadata(
            detector, "BlazePose detector", "Person detector of BlazePose", DETECTOR_NORM
        )
    lmk = with_metadata(
        landmarks,
        f"BlazePose GHUM 3D landmarks ({variant})",
        "33 body landmarks and a segmentation mask",
        LANDMARKS_NORM,
    )
    return zip_aligned({DETECTOR_MEMBER: detector, LANDMARKS_MEMBER: lmk})


def zip_aligned(members: dict, align: int = ZIP_ALIGN) -> bytes:
    """A stored (uncompressed) zip whose entries' data start on ``align`` bytes, padded
    in the local header's extra field (header id 0xD935, as Android's zipalign)."""
    import struct

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            header_at = buf.tell()
            fixed = 30 + len(name.encode())
            pad = (-(header_at + fixed + 4)) % align
            info.extra = struct.pack("<HH", 0xD935, pad) + b"\0" * pad
            z.writestr(info, data)
    return buf.getvalue()


def install_models(
    models: list, dest_dir: Optional[Path] = None, source: str = "", variants=None
) -> list:
    """Assemble and atomically install one bundle per landmark model in ``models`` (all
    already verified), each with the preferred detector at hand: one of ``models``, else
    the detector of an installed bundle. Returns the installed paths."""
    dest_dir = Path(dest_dir) if dest_dir else model_dir()
    detectors = [m for m in models if m.role == "detector"]
    detectors.sort(key=lambda m: m.sha256 != PREFERRED_DETECTOR)
    landmarks = {m.variant: m for m in models if m.role == "landmarks"}
    if variants:
        landmarks = {v: m for v, m in landmarks.items() if v in variants}
        if not landmarks:
            raise ModelSourceError(f"{source}: carries no {'/'.join(variants)} landmark model")
    if not landmarks:
        raise ModelSourceError(
            f"{source}: only the detector was given; add a pose_landmark_*.tflite"
        )
    # the detector: the preferred one wherever it is at hand (given, in an installed
    # bundle, in an installed legacy package), else a given one
    reuse = None
    if not any(m.sha256 == PREFERRED_DETECTOR for m in detectors):
        installed = _detector_from_installed_bundle(dest_dir)
        leg = legacy_package_dir()
        if installed is not None and installed[1]["detector_sha256"] == PREFERRED_DETECTOR:
            reuse = installed
        elif leg is not None:
            det = leg / "pose_detection" / "pose_detection.tflite"
            detectors.insert(0, _identify(det.read_bytes(), str(det)))
        elif not detectors:
            reuse = installed
    if not detectors and reuse is None:
        raise ModelSourceError(
            f"{source}: the person detector (pose_detection.tflite) is needed as well: "
            "it is in the mediapipe 0.10.21 wheel and in the @mediapipe/pose npm .tgz "
            "(pose_solution_packed_assets.data); give one of them too"
        )
    blobs = {}
    for variant, lm in landmarks.items():
        if reuse is not None:
            data = build_bundle(reuse[0], lm.data, variant, detector_has_metadata=True)
            det_sha, det_origin = reuse[1]["detector_sha256"], reuse[1].get("detector", "")
        else:
            data = build_bundle(detectors[0].data, lm.data, variant)
            det_sha, det_origin = detectors[0].sha256, detectors[0].origin
        blobs[variant] = (
            data,
            {
                "variant": variant,
                "source": source,
                "detector": det_origin,
                "detector_sha256": det_sha,
                "landmarks": lm.origin,
                "landmarks_sha256": lm.sha256,
                "sha256": hashlib.sha256(data).hexdigest(),
                "assembled_by": "gaitlens (tflite metadata written offline)",
            },
        )
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GaitlensError(f"cannot create {dest_dir}: {exc.strerror}") from None
    out = []
    for variant, (data, info) in blobs.items():
        dest = dest_dir / bundle_name(variant)
        _atomic_write(dest, data)
        _write_provenance(dest, info)
        out.append(dest)
    return out


def install_task_file(path: Path, variant: str, dest_dir: Optional[Path] = None) -> Path:
    """Install a ``.task`` bundle the user downloaded (checked as ``check_bundle``; its
    SHA-256 against ``BUNDLE_SHA256`` where pinned)."""
    path = Path(path)
    if not path.is_file():
        raise ModelSourceError(f"{path}: file not found")
    check_bundle(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    expected = BUNDLE_SHA256.get(_check_variant(variant))
    if expected and digest != expected:
        raise ModelSourceError(
            f"{path}: SHA-256 {digest[:12]}... is not the published {variant} bundle's"
        )
    dest = (Path(dest_dir) if dest_dir else model_dir()) / bundle_name(variant)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(dest, data)
    _write_provenance(
        dest,
        {
            "variant": variant,
            "source": str(path),
            "sha256": digest,
            "sha256_pinned": bool(expected),
        },
    )
    return dest


def _atomic_write(dest: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model is not a secret
        os.replace(tmp, dest)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise GaitlensError(f"cannot write {dest}: {exc.strerror}") from None


def _write_provenance(dest: Path, info: dict) -> None:
    _atomic_write(Path(str(dest) + ".json"), (json.dumps(info, indent=1) + "\n").encode())
