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

    write_tensors(path, {name: (shape, flat_values)}, metadata)   # atomic, F64
    write_tensors(path, {name: (shape, flat_values, "F32")}, ...) # another dtype
    tensors, metadata = read_tensors(path)    # {name: Tensor(shape, values, dtype)},
                                              # {str: str}; a Tensor can be written back
    encode(tensors, metadata) -> bytes; decode(blob, source) -> (tensors, metadata)

``decode`` checks everything before trusting it: the header length against a limit and
the file size, the JSON (an object, no repeated keys), each entry's dtype, shape and
offsets, that ``end − begin`` equals prod(shape) · itemsize, and that the offsets,
sorted, follow one another without gap or overlap and cover the buffer exactly. Every
error is a ``ModelFileError`` naming the file and the tensor.
"""

import json
import math
import os
import struct
import sys
from array import array
from typing import NamedTuple

from ..errors import ModelFileError
from ..fileio import atomic_write, read_bytes

# safetensors dtype → (array typecode, item size); floats are read as Python floats,
# integers as ints, BOOL as 0/1
DTYPES = {
    "F64": ("d", 8), "F32": ("f", 4), "F16": ("e", 2),
    "I64": ("q", 8), "I32": ("i", 4), "I16": ("h", 2), "I8": ("b", 1),
    "U64": ("Q", 8), "U32": ("I", 4), "U16": ("H", 2), "U8": ("B", 1), "BOOL": ("?", 1),
}
# dtypes the format defines that have no struct/array code in the standard library
UNSUPPORTED = ("BF16", "F8_E4M3", "F8_E5M2")
FLOAT_DTYPES = ("F64", "F32", "F16")


class Tensor(NamedTuple):
    """One tensor as read: its shape, its numbers flat in C order, its dtype name."""

    shape: tuple
    values: list
    dtype: str


MAX_HEADER_BYTES = 100_000_000  # the limit of the reference implementation
ALIGN = 8


def _item_bytes(values, dtype):
    """The little-endian bytes of a flat sequence of numbers in ``dtype``."""
    code, size = DTYPES[dtype]
    if code == "e":
        return struct.pack(f"<{len(values)}e", *values)
    if code == "?":
        return bytes(1 if v else 0 for v in values)
    items = array(code, values)
    if sys.byteorder == "big" and size > 1:
        items.byteswap()
    return items.tobytes()


def _items(raw, dtype):
    """The numbers of little-endian ``raw`` bytes in ``dtype`` as a flat list."""
    code, size = DTYPES[dtype]
    if code == "e":
        return list(struct.unpack(f"<{len(raw) // 2}e", raw))
    if code == "?":
        return [1 if b else 0 for b in raw]
    items = array(code)
    items.frombytes(raw)
    if sys.byteorder == "big" and size > 1:
        items.byteswap()
    return items.tolist()


def encode(tensors, metadata=None):
    """The bytes of a safetensors file holding ``tensors`` (see the module docstring)."""
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
        dtype = entry[2] if len(entry) > 2 else "F64"
        if name == "__metadata__" or not isinstance(name, str) or not name:
            raise ModelFileError(f"bad tensor name {name!r}")
        if dtype not in DTYPES:
            raise ModelFileError(f"tensor {name!r}: cannot write dtype {dtype!r} "
                                 f"(known: {', '.join(DTYPES)})")
        shape = [int(d) for d in shape]
        if len(values) != math.prod(shape):
            raise ModelFileError(f"tensor {name!r}: {len(values)} values do not fill "
                                 f"shape {shape!r}")
        raw = _item_bytes(values, dtype)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-(8 + len(text)) % ALIGN)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_tensors(path, tensors, metadata=None):
    """Write ``tensors`` and ``metadata`` to ``path`` atomically (see ``encode``)."""
    blob = encode(tensors, metadata)
    try:
        with atomic_write(path) as f:
            f.write(blob)
    except OSError as exc:
        raise ModelFileError(f"{os.fspath(path)}: cannot write: "
                             f"{exc.strerror or exc}") from None


def _no_repeats(pairs):
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"key {repeated[0]!r} appears more than once")
    return dict(pairs)


def _parse_header(text, source):
    try:
        header = json.loads(text.decode("utf-8"), object_pairs_hook=_no_repeats)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"{source}: the header is not valid JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: the header must be a JSON object, got "
                             f"{type(header).__name__}")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ModelFileError(f"{source}: __metadata__ must map strings to strings, got "
                             f"{metadata!r:.200}")
    return header, metadata


def _check_entry(name, entry, buffer_size, source):
    """(dtype, shape, begin, end) of one header entry, each field checked."""
    where = f"{source}: tensor {name!r}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ModelFileError(f"{where}: expected an object with dtype, shape and "
                             f"data_offsets, got {entry!r:.200}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype in UNSUPPORTED:
        raise ModelFileError(f"{where}: dtype {dtype!r} has no standard-library "
                             f"equivalent; convert the file to F32 or F64")
    if dtype not in DTYPES:
        raise ModelFileError(f"{where}: unknown dtype {dtype!r} "
                             f"(known: {', '.join(DTYPES)})")
    if not isinstance(shape, list) or not all(
            type(d) is int and d >= 0 for d in shape):
        raise ModelFileError(f"{where}: shape must be a list of sizes ≥ 0, got {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2
            and all(type(v) is int for v in offsets)
            and 0 <= offsets[0] <= offsets[1] <= buffer_size):
        raise ModelFileError(f"{where}: data_offsets {offsets!r} must be [begin, end] "
                             f"with 0 ≤ begin ≤ end ≤ {buffer_size}, the size of the data")
    begin, end = offsets
    expected = math.prod(shape) * DTYPES[dtype][1]
    if end - begin != expected:
        raise ModelFileError(f"{where}: data_offsets {offsets!r} hold {end - begin} bytes "
                             f"but shape {shape!r} of {dtype} needs {expected}")
    return dtype, shape, begin, end


def decode(blob, source="<bytes>", *, max_header_bytes=MAX_HEADER_BYTES):
    """(tensors, metadata) from the bytes of a safetensors file; ModelFileError on any
    defect. Tensors map names to ``Tensor(shape, values, dtype)`` in header order."""
    if len(blob) < 8:
        raise ModelFileError(f"{source}: truncated: {len(blob)} bytes, less than the "
                             f"8-byte header length")
    (header_len,) = struct.unpack_from("<Q", blob)
    if header_len > max_header_bytes:
        raise ModelFileError(f"{source}: header length {header_len} is over the limit of "
                             f"{max_header_bytes} bytes")
    if header_len > len(blob) - 8:
        raise ModelFileError(f"{source}: truncated: the header length says {header_len} "
                             f"bytes but only {len(blob) - 8} follow")
    header_text = blob[8:8 + header_len]
    if not header_text.startswith(b"{"):
        raise ModelFileError(f"{source}: the header must start with '{{', got "
                             f"{header_text[:16]!r}")
    header, metadata = _parse_header(header_text, source)
    buffer = memoryview(blob)[8 + header_len:]
    entries = []
    for name, entry in header.items():
        entries.append((name, *_check_entry(name, entry, len(buffer), source)))
    cursor = 0
    for name, _, _, begin, end in sorted(entries, key=lambda e: (e[3], e[4])):
        if begin < cursor:
            raise ModelFileError(f"{source}: tensor {name!r}: data_offsets "
                                 f"[{begin}, {end}] overlap the tensor before it, which "
                                 f"ends at {cursor}")
        if begin > cursor:
            raise ModelFileError(f"{source}: tensor {name!r}: data_offsets "
                                 f"[{begin}, {end}] leave a gap of {begin - cursor} bytes "
                                 f"after offset {cursor}")
        cursor = end
    if cursor != len(buffer):
        raise ModelFileError(f"{source}: the tensors cover {cursor} bytes of data but "
                             f"{len(buffer)} follow the header")
    tensors = {name: Tensor(tuple(shape), _items(bytes(buffer[begin:end]), dtype), dtype)
               for name, dtype, shape, begin, end in entries}
    return tensors, metadata


def read_tensors(path, *, max_header_bytes=MAX_HEADER_BYTES):
    """(tensors, metadata) of a safetensors file: see ``decode``."""
    path = os.fspath(path)
    return decode(read_bytes(path, ModelFileError), path, max_header_bytes=max_header_bytes)
