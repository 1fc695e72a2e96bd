"""Image-input metadata for a TFLite model, written with ``flatbuffers.Builder``.

MediaPipe's Tasks API (``PoseLandmarker``) refuses a float32 model without TFLite model
metadata that says how to normalise the input image ("Input tensor has type float32: it
requires specifying NormalizationOptions metadata"). The BlazePose ``.tflite`` files in
the legacy mediapipe 0.10.21 wheel and in the ``@mediapipe/pose`` npm package carry
none, so ``add_image_metadata`` writes it, the way MediaPipe's own
``MetadataPopulator`` does (``mediapipe/tasks/python/metadata/metadata.py``:
``_populate_metadata_buffer``): the ``ModelMetadata`` flatbuffer (file identifier
``M001``) goes into a new model ``Buffer``, and a ``Metadata`` entry named
``TFLITE_METADATA`` in the model points at it.

Only the few tables needed are written here, so nothing at run time depends on
MediaPipe's compiled metadata writer (which the 1.x wheel does not ship) or on its
generated schema modules. The layouts follow two schemas:

* the TFLite model schema ``tensorflow/lite/schema/schema.fbs`` (file identifier
  ``TFL3``): ``Model`` fields version 0, operator_codes 1, subgraphs 2, description 3,
  buffers 4, metadata_buffer 5, metadata 6, signature_defs 7; ``Buffer`` data 0 (force
  aligned to 16), offset 1, size 2; ``Metadata`` name 0, buffer 1; ``SubGraph``
  tensors 0, inputs 1; ``Tensor`` shape 0, type 1 (``FLOAT32`` = 0).
* the metadata schema ``mediapipe/tasks/metadata/metadata_schema.fbs`` (schema 1.5.0,
  carried by the mediapipe 1.x wheel): ``ModelMetadata`` name 0, description 1,
  version 2, subgraph_metadata 3, author 4, license 5, associated_files 6,
  min_parser_version 7; ``SubGraphMetadata`` name 0, description 1,
  input_tensor_metadata 2; ``TensorMetadata`` name 0, description 1, dimension_names 2,
  content 3, process_units 4, stats 5; ``Content`` content_properties_type 0,
  content_properties 1; ``ImageProperties`` color_space 0; ``ProcessUnit``
  options_type 0, options 1; ``NormalizationOptions`` mean 0, std 1; ``Stats`` max 0,
  min 1. Union tags: ``ContentProperties.ImageProperties`` = 2,
  ``ProcessUnitOptions.NormalizationOptions`` = 1; ``ColorSpaceType.RGB`` = 1.

The original model is not re-serialised: its bytes are kept whole (and 16-byte aligned)
at the end of the new file, and a new root ``Model`` table in front of them points at
its vectors, with the ``buffers`` and ``metadata`` vectors extended by one entry. Offsets
inside a flatbuffer are relative, so the old tables stay valid where they lie.
"""

from __future__ import annotations

import struct
from typing import Optional, Sequence

#: ``Metadata.name`` under which MediaPipe looks for the model metadata
METADATA_FIELD_NAME = "TFLITE_METADATA"
METADATA_FILE_IDENTIFIER = b"M001"
TFLITE_FILE_IDENTIFIER = b"TFL3"
#: every field written here exists since metadata schema 1.0.0
MIN_PARSER_VERSION = "1.0.0"

# TFLite schema.fbs slots
_MODEL_VERSION, _MODEL_BUFFERS, _MODEL_METADATA = 0, 4, 6
_MODEL_OFFSET_FIELDS = (1, 2, 3, 5, 7)  # operator_codes, subgraphs, description, ...
_MODEL_FIELDS = 8
_TENSOR_TYPE_FLOAT32 = 0


class ModelFormatError(ValueError):
    """The bytes are not a TFLite model this module can extend."""


# --- a minimal flatbuffer reader (little-endian, as flatbuffers are) -------------------


def _u32(buf, pos: int) -> int:
    return struct.unpack_from("<I", buf, pos)[0]


def _field_pos(buf, table: int, slot: int) -> Optional[int]:
    """Absolute position of a table's field, or None when absent (default value)."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vt_len = struct.unpack_from("<H", buf, vtable)[0]
    entry = 4 + 2 * slot
    if entry + 2 > vt_len:
        return None
    off = struct.unpack_from("<H", buf, vtable + entry)[0]
    return table + off if off else None


def _deref(buf, pos: int) -> int:
    return pos + _u32(buf, pos)


def _vector(buf, table: int, slot: int) -> list:
    """Absolute positions of the elements of a vector-of-tables field."""
    pos = _field_pos(buf, table, slot)
    if pos is None:
        return []
    vec = _deref(buf, pos)
    return [_deref(buf, vec + 4 + 4 * i) for i in range(_u32(buf, vec))]


def _string(buf, table: int, slot: int) -> Optional[str]:
    pos = _field_pos(buf, table, slot)
    if pos is None:
        return None
    s = _deref(buf, pos)
    return bytes(buf[s + 4 : s + 4 + _u32(buf, s)]).decode("utf-8", "replace")


def _vtable_slots(buf, table: int) -> int:
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    return (struct.unpack_from("<H", buf, vtable)[0] - 4) // 2


def _root(buf) -> int:
    if len(buf) < 8 or bytes(buf[4:8]) != TFLITE_FILE_IDENTIFIER:
        raise ModelFormatError("not a TFLite model (no TFL3 file identifier)")
    return _u32(buf, 0)


def input_tensors(model: bytes) -> list:
    """``[(shape, is_float32), ...]`` of the main subgraph's inputs."""
    buf = memoryview(model)
    root = _root(buf)
    subgraphs = _vector(buf, root, 2)
    if not subgraphs:
        raise ModelFormatError("the model has no subgraph")
    sg = subgraphs[0]
    tensors = _vector(buf, sg, 0)
    pos = _field_pos(buf, sg, 1)
    out = []
    if pos is not None:
        vec = _deref(buf, pos)
        for i in range(_u32(buf, vec)):
            t = tensors[struct.unpack_from("<i", buf, vec + 4 + 4 * i)[0]]
            spos = _field_pos(buf, t, 0)
            shape = []
            if spos is not None:
                sv = _deref(buf, spos)
                shape = [
                    struct.unpack_from("<i", buf, sv + 4 + 4 * k)[0] for k in range(_u32(buf, sv))
                ]
            tpos = _field_pos(buf, t, 1)
            ttype = buf[tpos] if tpos is not None else 0
            out.append((shape, ttype == _TENSOR_TYPE_FLOAT32))
    return out


def metadata_names(model: bytes) -> list:
    """Names of the model's ``metadata`` entries (e.g. ``min_runtime_version``)."""
    buf = memoryview(model)
    root = _root(buf)
    return [_string(buf, m, 0) for m in _vector(buf, root, _MODEL_METADATA)]


def read_model_metadata(model: bytes) -> Optional[bytes]:
    """The ``TFLITE_METADATA`` flatbuffer of a model, or None."""
    buf = memoryview(model)
    root = _root(buf)
    buffers = _vector(buf, root, _MODEL_BUFFERS)
    for m in _vector(buf, root, _MODEL_METADATA):
        if _string(buf, m, 0) == METADATA_FIELD_NAME:
            bpos = _field_pos(buf, m, 1)
            b = buffers[_u32(buf, bpos) if bpos is not None else 0]
            dpos = _field_pos(buf, b, 0)
            if dpos is None:
                return None
            vec = _deref(buf, dpos)
            return bytes(buf[vec + 4 : vec + 4 + _u32(buf, vec)])
    return None


def normalization_options(metadata: bytes) -> list:
    """``[(mean, std), ...]`` per input tensor of a ``ModelMetadata`` flatbuffer."""
    buf = memoryview(metadata)
    if bytes(buf[4:8]) != METADATA_FILE_IDENTIFIER:
        raise ModelFormatError("not a TFLite ModelMetadata flatbuffer (no M001 identifier)")
    root = _u32(buf, 0)
    out = []
    for sg in _vector(buf, root, 3)[:1]:
        for tm in _vector(buf, sg, 2):
            for pu in _vector(buf, tm, 4):
                tpos = _field_pos(buf, pu, 0)
                if tpos is None or buf[tpos] != 1:
                    continue
                opts = _deref(buf, _field_pos(buf, pu, 1))
                vals = []
                for slot in (0, 1):
                    vec = _deref(buf, _field_pos(buf, opts, slot))
                    n = _u32(buf, vec)
                    vals.append(list(struct.unpack_from(f"<{n}f", buf, vec + 4)))
                out.append(tuple(vals))
    return out


# --- writing ---------------------------------------------------------------------------


def image_metadata(
    name: str,
    description: str,
    mean: Sequence[float],
    std: Sequence[float],
    version: str = "",
    author: str = "",
    license: str = "",
) -> bytes:
    """A ``ModelMetadata`` flatbuffer (identifier ``M001``) for a model with one RGB image
    input normalised as ``(x - mean) / std`` per channel, like MediaPipe's
    ``metadata_info.InputImageTensorMd``: ImageProperties (RGB), NormalizationOptions and
    the normalised value range of [0, 255] pixels as Stats."""
    import flatbuffers

    mean = [float(m) for m in mean]
    std = [float(s) for s in std]
    if len(mean) != len(std) or not mean or min(std) <= 0:
        raise ValueError("mean and std need the same length and std > 0")
    b = flatbuffers.Builder(1024)

    def floats(values):
        b.StartVector(4, len(values), 4)
        for v in reversed(values):
            b.PrependFloat32(v)
        return b.EndVector()

    def table(fields):
        """fields: [(slot, kind, value)], kind 'off' | 'u8' ."""
        b.StartObject(max(s for s, _, _ in fields) + 1)
        for slot, kind, value in fields:
            if kind == "off":
                b.PrependUOffsetTRelativeSlot(slot, value, 0)
            else:
                b.PrependUint8Slot(slot, value, 0)
        return b.EndObject()

    def vector_of(offsets):
        b.StartVector(4, len(offsets), 4)
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    # NormalizationOptions, Stats(max, min) of [0, 255] after normalisation
    norm = table([(0, "off", floats(mean)), (1, "off", floats(std))])
    st_max = floats([(255.0 - m) / s for m, s in zip(mean, std)])
    st_min = floats([(0.0 - m) / s for m, s in zip(mean, std)])
    stats = table([(0, "off", st_max), (1, "off", st_min)])
    unit = table([(0, "u8", 1), (1, "off", norm)])  # ProcessUnitOptions.NormalizationOptions
    image_props = table([(0, "u8", 1)])  # ColorSpaceType.RGB
    content = table([(0, "u8", 2), (1, "off", image_props)])  # ContentProperties.ImageProperties
    t_name = b.CreateString("image")
    t_desc = b.CreateString("Input image to be processed.")
    units = vector_of([unit])
    tensor = table(
        [(0, "off", t_name), (1, "off", t_desc), (3, "off", content), (4, "off", units)]
        + [(5, "off", stats)]
    )
    inputs = vector_of([tensor])
    subgraph = table([(2, "off", inputs)])
    subgraphs = vector_of([subgraph])
    fields = [(0, "off", b.CreateString(name)), (1, "off", b.CreateString(description))]
    if version:
        fields.append((2, "off", b.CreateString(version)))
    fields.append((3, "off", subgraphs))
    if author:
        fields.append((4, "off", b.CreateString(author)))
    if license:
        fields.append((5, "off", b.CreateString(license)))
    fields.append((7, "off", b.CreateString(MIN_PARSER_VERSION)))
    root = table(fields)
    b.Finish(root, file_identifier=METADATA_FILE_IDENTIFIER)
    return bytes(b.Output())


def add_metadata(model: bytes, metadata: bytes) -> bytes:
    """The TFLite ``model`` with ``metadata`` (a ``ModelMetadata`` flatbuffer) stored as
    its ``TFLITE_METADATA``; an earlier ``TFLITE_METADATA`` entry is replaced (its old
    buffer stays, unreferenced). The input bytes are not changed."""
    import flatbuffers

    old = bytes(model)
    buf = memoryview(old)
    root = _root(buf)
    n_slots = _vtable_slots(buf, root)
    extra = [s for s in range(_MODEL_FIELDS, n_slots) if _field_pos(buf, root, s) is not None]
    if extra:
        raise ModelFormatError(f"the model has Model fields this writer does not know: {extra}")
    buffers = _vector(buf, root, _MODEL_BUFFERS)
    for bt in buffers:  # models over 2 GB keep data outside the flatbuffer (Buffer.offset)
        if _field_pos(buf, bt, 1) is not None:
            raise ModelFormatError("the model stores buffers outside the flatbuffer")
    metas = _vector(buf, root, _MODEL_METADATA)
    keep = [m for m in metas if _string(buf, m, 0) != METADATA_FIELD_NAME]
    vpos = _field_pos(buf, root, _MODEL_VERSION)
    version = _u32(buf, vpos) if vpos is not None else 0

    b = flatbuffers.Builder(len(old) + len(metadata) + 1024)
    # the old model, whole, as the last bytes of the new file; 16-byte aligned so that
    # its buffers keep their force_align: 16
    b.StartVector(1, len(old), 16)
    b.head -= len(old)
    b.Bytes[b.head : b.head + len(old)] = old
    old_vec = b.EndVector()
    base = old_vec - 4  # builder offset (bytes from the end) of the old file's first byte

    def old_ref(pos: int) -> int:
        return base - pos

    # new Buffer table holding the metadata
    b.StartVector(1, len(metadata), 16)
    b.head -= len(metadata)
    b.Bytes[b.head : b.head + len(metadata)] = metadata
    data = b.EndVector()
    b.StartObject(1)
    b.PrependUOffsetTRelativeSlot(0, data, 0)
    new_buffer = b.EndObject()
    name = b.CreateString(METADATA_FIELD_NAME)
    b.StartObject(2)
    b.PrependUOffsetTRelativeSlot(0, name, 0)
    b.PrependUint32Slot(1, len(buffers), 0)
    new_meta = b.EndObject()

    def vector(refs):
        b.StartVector(4, len(refs), 4)
        for r in reversed(refs):
            b.PrependUOffsetTRelative(r)
        return b.EndVector()

    buffers_vec = vector([old_ref(p) for p in buffers] + [new_buffer])
    meta_vec = vector([old_ref(p) for p in keep] + [new_meta])
    b.StartObject(_MODEL_FIELDS)
    b.PrependUint32Slot(_MODEL_VERSION, version, 0)
    for slot in _MODEL_OFFSET_FIELDS:
        pos = _field_pos(buf, root, slot)
        if pos is not None:
            b.PrependUOffsetTRelativeSlot(slot, old_ref(_deref(buf, pos)), 0)
    b.PrependUOffsetTRelativeSlot(_MODEL_BUFFERS, buffers_vec, 0)
    b.PrependUOffsetTRelativeSlot(_MODEL_METADATA, meta_vec, 0)
    new_root = b.EndObject()
    b.Finish(new_root, file_identifier=TFLITE_FILE_IDENTIFIER)
    return bytes(b.Output())
