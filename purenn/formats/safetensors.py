"""The safetensors format, read and written with ``struct``, ``json`` and ``array``.

Layout of a file::

    bytes 0-7   N, the length of the header, unsigned 64-bit little-endian
    bytes 8..   the header: N bytes of UTF-8 JSON, an object
                  {"<name>": {"dtype": "F64", "shape": [784, 50],
                              "data_offsets": [begin, end]}, ...,
                   "__metadata__": {"<key>": "<string value>", ...}}
                (may end in spaces, which writers add to align the data to 8 bytes)
    then        the data buffer: every tensor's raw little-endian C-order items at
                [begin, end) counted from the start of the buffer

The API, also used by the .npy/.npz importer::

    write_tensors(path, {name: (shape, flat_values)}, metadata)   # atomic, float64
    write_tensors(path, {name: Tensor(shape, flat_values, "float32")}, ...)
    tensors, metadata = read_tensors(path)    # {name: Tensor}, {str: str}; a Tensor
                                              # can be written back
    infos, metadata = read_header(path)       # {name: TensorInfo}: no data decoded
    encode(tensors, metadata) -> bytes; decode(blob, source) -> (tensors, metadata)

A Tensor's dtype is a NumPy name ("float32"); the file's own codes ("F32") are accepted
when writing too.

Nothing is trusted before it is checked, and nothing is decoded before everything is
checked: the header length against a limit (``MAX_HEADER_BYTES``, settable) and the
bytes present; the JSON with a depth limit and no repeated key (``schema.load_json``);
``__metadata__`` maps strings to strings; each entry is an object of exactly dtype (a
known code), shape (at most ``MAX_DIMS`` sizes ≥ 0) and data_offsets ([begin, end]
inside the data); ``end − begin`` equals prod(shape) · itemsize; the offsets, sorted,
follow one another without gap or overlap and cover the data exactly. Only then is any
tensor decoded, so a file costs memory for the data it really holds. Every error is a
``ModelFileError`` naming the file, the tensor or field, and the bad value.

``finite_floats`` (``purenn.formats.tensor``) checks the values a loader is about to
trust as weights or buffers.
"""

import json
import os
import struct
import sys
from array import array
from typing import NamedTuple

from ..errors import ModelFileError
from ..fileio import CHUNK, open_regular, write_bytes
from .schema import load_json, short
from .tensor import DTYPES as ITEMS
from .tensor import FLOAT_DTYPES, Tensor, capped_prod

# safetensors dtype code -> NumPy dtype name (item size and array code in tensor.DTYPES)
DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16",
    "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8",
    "U64": "uint64", "U32": "uint32", "U16": "uint16", "U8": "uint8", "BOOL": "bool",
}
CODES = {name: code for code, name in DTYPES.items()}
# dtypes the format defines that have no struct/array code in the standard library
UNSUPPORTED = ("BF16", "F8_E4M3", "F8_E5M2")
__all__ = ["FLOAT_DTYPES", "Tensor", "TensorInfo", "decode", "decode_header", "encode",
           "read_header", "read_tensors", "write_tensors"]

# purenn's models and checkpoints have headers of kilobytes; the reference implementation
# allows 100 MB, which parsed into Python objects would cost about ten times that
MAX_HEADER_BYTES = 8 << 20
MAX_DIMS = 64
ALIGN = 8


class TensorInfo(NamedTuple):
    """One checked header entry: NumPy dtype name, shape, [begin, end) in the data."""

    dtype: str
    shape: tuple
    begin: int
    end: int


def _item_bytes(values, dtype):
    """The little-endian bytes of a flat sequence of numbers in ``dtype`` (a name)."""
    _, size, code = ITEMS[dtype]
    if code == "e":
        return struct.pack(f"<{len(values)}e", *values)
    if code == "?":
        return bytes(1 if v else 0 for v in values)
    items = array(code, values)
    if sys.byteorder == "big" and size > 1:
        items.byteswap()
    return items.tobytes()


def _items(raw, dtype):
    """The numbers of little-endian ``raw`` bytes in ``dtype`` (a name) as a flat list."""
    _, size, code = ITEMS[dtype]
    if code == "e":
        return list(struct.unpack(f"<{len(raw) // 2}e", raw))
    if code == "?":
        return [1 if b else 0 for b in raw]
    items = array(code)
    items.frombytes(raw)
    if sys.byteorder == "big" and size > 1:
        items.byteswap()
    return items.tolist()


def _dtype_name(dtype, name):
    """A NumPy dtype name from a name or a safetensors code."""
    dtype = DTYPES.get(dtype, dtype)
    if dtype not in CODES:
        raise ModelFileError(f"tensor {name!r}: cannot write dtype {dtype!r} "
                             f"(known: {', '.join(CODES)})")
    return dtype


def encode(tensors, metadata=None):
    """The bytes of a safetensors file holding ``tensors`` (name -> Tensor, or a tuple
    (shape, values) or (shape, values, dtype)) and ``metadata`` (str -> str)."""
    header, chunks, offset = {}, [], 0
    if metadata:
        bad = {k: v for k, v in metadata.items()
               if not isinstance(k, str) or not isinstance(v, str)}
        if bad:
            raise ModelFileError(f"safetensors metadata must map strings to strings, "
                                 f"got {bad!r}")
        header["__metadata__"] = dict(metadata)
    for name, entry in tensors.items():
        shape, values = entry[0], entry[1]
        if name == "__metadata__" or not isinstance(name, str) or not name:
            raise ModelFileError(f"bad tensor name {name!r}")
        dtype = _dtype_name(entry[2] if len(entry) > 2 else "float64", name)
        shape = [int(d) for d in shape]
        if len(values) != capped_prod(shape, len(values)):
            raise ModelFileError(f"tensor {name!r}: {len(values)} values do not fill "
                                 f"shape {shape!r}")
        raw = _item_bytes(values, dtype)
        header[name] = {"dtype": CODES[dtype], "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-(8 + len(text)) % ALIGN)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_tensors(path, tensors, metadata=None):
    """Write ``tensors`` and ``metadata`` to ``path`` atomically (see ``encode``)."""
    write_bytes(path, encode(tensors, metadata))


def _header_length(prefix, total, source, max_header_bytes):
    """The header length from the first 8 bytes, checked against the limit and the
    ``total`` bytes of the file."""
    if total < 8:
        raise ModelFileError(f"{source}: truncated: {total} bytes, less than the "
                             f"8-byte header length")
    (header_len,) = struct.unpack_from("<Q", prefix)
    if header_len > max_header_bytes:
        raise ModelFileError(f"{source}: header length {header_len} is over the limit of "
                             f"{max_header_bytes} bytes")
    if header_len > total - 8:
        raise ModelFileError(f"{source}: truncated: the header length says {header_len} "
                             f"bytes but only {total - 8} follow")
    return header_len


def _parse_header(text, source):
    if text[:1] != b"{":
        raise ModelFileError(f"{source}: the header must start with '{{', got "
                             f"{bytes(text[:16])!r}")
    header = load_json(text, source, what="the header", max_depth=8)
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: the header must be a JSON object, got "
                             f"{type(header).__name__}")
    metadata = header.pop("__metadata__", None)
    if metadata is None:  # absent, or null as the reference implementation allows
        metadata = {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ModelFileError(f"{source}: __metadata__ must map strings to strings, got "
                             f"{short(metadata, 200)}")
    return header, metadata


def _check_entry(name, entry, buffer_size, source):
    """The TensorInfo of one header entry, each field checked."""
    where = f"{source}: tensor {short(name)}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ModelFileError(f"{where}: expected an object with dtype, shape and "
                             f"data_offsets, got {short(entry, 200)}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype in UNSUPPORTED:
        raise ModelFileError(f"{where}: dtype {dtype!r} has no standard-library "
                             f"equivalent; convert the file to F32 or F64")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ModelFileError(f"{where}: unknown dtype {short(dtype)} "
                             f"(known: {', '.join(DTYPES)})")
    if not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(
            type(d) is int and d >= 0 for d in shape):
        raise ModelFileError(f"{where}: shape must be a list of at most {MAX_DIMS} sizes "
                             f"≥ 0, got {short(shape)}")
    if not (isinstance(offsets, list) and len(offsets) == 2
            and all(type(v) is int for v in offsets)
            and 0 <= offsets[0] <= offsets[1] <= buffer_size):
        raise ModelFileError(f"{where}: data_offsets {short(offsets)} must be [begin, end] "
                             f"with 0 ≤ begin ≤ end ≤ {buffer_size}, the size of the data")
    begin, end = offsets
    size = ITEMS[DTYPES[dtype]][1]
    expected = capped_prod(shape, buffer_size) * size
    if end - begin != expected:
        needs = expected if expected <= buffer_size * size else f"more than {buffer_size}"
        raise ModelFileError(f"{where}: data_offsets {offsets!r} hold {end - begin} bytes "
                             f"but shape {shape!r} of {dtype} needs {needs}")
    return TensorInfo(DTYPES[dtype], tuple(shape), begin, end)


def decode_header(prefix, total, source="<bytes>", *, max_header_bytes=MAX_HEADER_BYTES):
    """(infos, metadata, data start) from the first bytes of a safetensors file of
    ``total`` bytes: ``prefix`` must hold at least the length and the header. Every
    entry and the layout of the data are checked; no tensor is decoded."""
    header_len = _header_length(prefix, total, source, max_header_bytes)
    header, metadata = _parse_header(memoryview(prefix)[8:8 + header_len], source)
    buffer_size = total - 8 - header_len
    infos = {name: _check_entry(name, entry, buffer_size, source)
             for name, entry in header.items()}
    cursor = 0
    for name, info in sorted(infos.items(), key=lambda item: item[1][2:]):
        begin, end = info.begin, info.end
        if begin < cursor:
            raise ModelFileError(f"{source}: tensor {short(name)}: data_offsets "
                                 f"[{begin}, {end}] overlap the tensor before it, which "
                                 f"ends at {cursor}")
        if begin > cursor:
            raise ModelFileError(f"{source}: tensor {short(name)}: data_offsets "
                                 f"[{begin}, {end}] leave a gap of {begin - cursor} bytes "
                                 f"after offset {cursor}")
        cursor = end
    if cursor != buffer_size:
        raise ModelFileError(f"{source}: the tensors cover {cursor} bytes of data but "
                             f"{buffer_size} follow the header")
    return infos, metadata, 8 + header_len


def decode(blob, source="<bytes>", *, max_header_bytes=MAX_HEADER_BYTES):
    """(tensors, metadata) from the bytes of a safetensors file; ModelFileError on any
    defect. Tensors map names to Tensors in header order."""
    infos, metadata, start = decode_header(blob, len(blob), source,
                                           max_header_bytes=max_header_bytes)
    data = memoryview(blob)[start:]
    tensors = {name: Tensor(info.shape, _items(data[info.begin:info.end], info.dtype),
                            info.dtype)
               for name, info in infos.items()}
    return tensors, metadata


def _open_header(f, path, max_header_bytes):
    """(infos, metadata, data start) of the open safetensors file ``f``."""
    total = os.fstat(f.fileno()).st_size
    prefix = f.read(8)
    if len(prefix) == 8:
        (header_len,) = struct.unpack("<Q", prefix)
        if header_len <= min(max_header_bytes, total - 8):
            prefix += f.read(header_len)
    return decode_header(prefix, total, path, max_header_bytes=max_header_bytes)


def read_header(path, *, max_header_bytes=MAX_HEADER_BYTES):
    """(infos, metadata) of a safetensors file, reading only its header: the names,
    dtypes and shapes a loader compares with what it expects before reading any data."""
    path = os.fspath(path)
    try:
        with open_regular(path, ModelFileError) as f:
            infos, metadata, _ = _open_header(f, path, max_header_bytes)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot open: {exc.strerror or exc}") from None
    return infos, metadata


def read_tensors(path, *, names=None, max_header_bytes=MAX_HEADER_BYTES):
    """(tensors, metadata) of a safetensors file (see ``decode``); only the tensors in
    ``names`` when given. The whole header is checked first; then each tensor is read
    and decoded a chunk at a time, so memory holds its numbers and one chunk of bytes."""
    path = os.fspath(path)
    try:
        with open_regular(path, ModelFileError) as f:
            infos, metadata, start = _open_header(f, path, max_header_bytes)
            tensors = {}
            for name, info in infos.items():
                if names is not None and name not in names:
                    continue
                f.seek(start + info.begin)
                tensors[name] = Tensor(info.shape, _read_items(f, info, path), info.dtype)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return tensors, metadata


def _read_items(f, info, path):
    size = info.end - info.begin
    itemsize = ITEMS[info.dtype][1]
    step = CHUNK - CHUNK % itemsize
    values = []
    while size > 0:
        raw = f.read(min(step, size))
        if not raw or len(raw) % itemsize:
            raise ModelFileError(f"{path}: the file changed while it was read")
        values += _items(raw, info.dtype)
        size -= len(raw)
    return values
