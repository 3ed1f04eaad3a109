"""NumPy's ``.npy`` and ``.npz`` files, read and written without NumPy.

The ``.npy`` format (NumPy's ``numpy.lib.format``), version 1.0, 2.0 or 3.0::

    b"\\x93NUMPY"         6 bytes, the magic string
    major, minor         2 bytes: (1, 0), (2, 0) or (3, 0)
    HEADER_LEN           uint16 little-endian (1.0) or uint32 little-endian (2.0, 3.0)
    header               HEADER_LEN bytes of a Python dict literal, latin-1 (1.0, 2.0) or
                         UTF-8 (3.0), padded with spaces and ended by '\\n' so that the
                         data starts at a multiple of 64 bytes:
                         {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
    data                 prod(shape) items of the dtype 'descr', nothing else; C order
                         (last index fastest) or, with fortran_order, first index fastest

``descr`` is a byte order (``<`` little, ``>`` big, ``|`` not applicable, ``=`` this
machine's) followed by a kind and a size in bytes: ``f2 f4 f8`` (floats), ``i1 i2 i4
i8`` (signed), ``u1 u2 u4 u8`` (unsigned), ``b1`` (bool). Object arrays (``|O``) can
only be read by unpickling Python objects and are refused, as are pickle files and
structured, complex, string and date dtypes. The header is read with
``ast.literal_eval`` (literals only, never ``eval``) and its keys and types checked.

A ``.npz`` file is a zip archive (stored or deflated) of ``NAME.npy`` members, one per
array; ``read_npz`` returns them by NAME, in archive order.

In purenn an array is an ``Array``: its dtype name (``"float32"``, ``"uint8"``, ...),
its shape, and its values as one flat list of Python numbers in C order. float32 (and
float16) values become the Python floats (float64) they exactly equal.
"""

import ast
import io
import math
import os
import re
import struct
import sys
import zipfile
from dataclasses import dataclass

from .. import linalg
from ..errors import ModelFileError
from ..fileio import atomic_write

MAGIC = b"\x93NUMPY"
ALIGN = 64
MAX_HEADER = 10_000  # NumPy's own default limit (max_header_size) for untrusted files
HEADER_KEYS = ("descr", "fortran_order", "shape")
NPY_SUFFIX = ".npy"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
PICKLE_PROTOCOL_BYTE = b"\x80"

# dtype name -> (descr kind, item size in bytes, struct code)
DTYPES = {
    "float16": ("f", 2, "e"),
    "float32": ("f", 4, "f"),
    "float64": ("f", 8, "d"),
    "int8": ("i", 1, "b"),
    "int16": ("i", 2, "h"),
    "int32": ("i", 4, "i"),
    "int64": ("i", 8, "q"),
    "uint8": ("u", 1, "B"),
    "uint16": ("u", 2, "H"),
    "uint32": ("u", 4, "I"),
    "uint64": ("u", 8, "Q"),
    "bool": ("b", 1, "?"),
}
BY_DESCR = {(kind, size): name for name, (kind, size, _) in DTYPES.items()}
DESCR_RE = re.compile(r"([<>|=])([A-Za-z])(\d*)")
REFUSED_KINDS = {
    "c": "complex numbers", "U": "unicode strings", "S": "byte strings",
    "a": "byte strings", "V": "raw void records", "M": "datetimes", "m": "timedeltas",
}
NATIVE = "<" if sys.byteorder == "little" else ">"


@dataclass
class Array:
    """An n-dimensional array: ``dtype`` a name from ``DTYPES``, ``shape`` a tuple of
    sizes (``()`` for a 0-d scalar), ``values`` its prod(shape) numbers in C order."""

    dtype: str
    shape: tuple
    values: list

    def nested(self):
        """The values as nested lists of ``shape`` (a plain number for a 0-d array)."""
        if not self.shape:
            return self.values[0]
        return linalg.reshape(self.values, self.shape)

    @classmethod
    def from_nested(cls, value, dtype="float64"):
        """An Array from a number or nested lists of numbers (shape read from the lists)."""
        shape, flat = _shape_and_flat(value)
        return cls(dtype, shape, flat)


def _shape_and_flat(value):
    if not isinstance(value, (list, tuple)):
        return (), [value]
    shape = []
    probe = value
    while isinstance(probe, (list, tuple)):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    flat = []

    def walk(item, depth):
        if depth == len(shape):
            if isinstance(item, (list, tuple)):
                raise ModelFileError(f"ragged nested lists: expected a number at depth "
                                     f"{depth}, got {type(item).__name__}")
            flat.append(item)
            return
        if not isinstance(item, (list, tuple)) or len(item) != shape[depth]:
            raise ModelFileError(f"ragged nested lists: expected {shape[depth]} items at "
                                 f"depth {depth}, got {item!r:.60}")
        for sub in item:
            walk(sub, depth + 1)

    walk(value, 0)
    return tuple(shape), flat


# -- order ------------------------------------------------------------------------------
def fortran_offsets(shape):
    """For each element in C order, its position in the Fortran-order (first index
    fastest) layout of the same shape."""
    offsets = [0]
    stride = 1
    for size in shape:
        offsets = [o + i * stride for o in offsets for i in range(size)]
        stride *= size
    return offsets


def from_fortran(values, shape):
    return [values[k] for k in fortran_offsets(shape)]


def to_fortran(values, shape):
    out = [None] * len(values)
    for value, k in zip(values, fortran_offsets(shape)):
        out[k] = value
    return out


# -- .npy -------------------------------------------------------------------------------
def parse_descr(descr, source):
    """'<f4' -> ('float32', '<'): the dtype name and the struct byte order."""
    if not isinstance(descr, str):
        raise ModelFileError(f"{source}: structured dtype {descr!r} is not supported "
                             f"(only plain numeric arrays)")
    match = DESCR_RE.fullmatch(descr)
    if match is None:
        raise ModelFileError(f"{source}: unknown dtype descr {descr!r}")
    order, kind, size = match.group(1), match.group(2), int(match.group(3) or 0)
    if kind == "O":
        raise ModelFileError(f"{source}: dtype {descr!r} holds Python objects, which only "
                             f"unpickling could read; purenn never unpickles")
    if kind in REFUSED_KINDS:
        raise ModelFileError(f"{source}: dtype {descr!r} ({REFUSED_KINDS[kind]}) is not "
                             f"supported; use floats, integers or bools")
    name = BY_DESCR.get((kind, size))
    if name is None:
        raise ModelFileError(f"{source}: dtype {descr!r} is not supported (supported: "
                             f"{', '.join(DTYPES)})")
    return name, (NATIVE if order in "=|" else order)


def parse_header(text, source):
    """The checked header dict: descr (str), fortran_order (bool), shape (tuple of int)."""
    try:
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ModelFileError(f"{source}: header is not a Python dict literal: "
                             f"{text.strip()!r:.200} ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: header is not a dict: {header!r:.200}")
    if sorted(header) != sorted(HEADER_KEYS):
        raise ModelFileError(f"{source}: header keys are {sorted(header, key=repr)!r}, "
                             f"expected {list(HEADER_KEYS)!r}")
    if not isinstance(header["fortran_order"], bool):
        raise ModelFileError(f"{source}: header field 'fortran_order' must be True or "
                             f"False, got {header['fortran_order']!r}")
    shape = header["shape"]
    if not isinstance(shape, tuple) or not all(
            type(d) is int and d >= 0 for d in shape):
        raise ModelFileError(f"{source}: header field 'shape' must be a tuple of sizes "
                             f"≥ 0, got {shape!r}")
    return header


def parse_npy(data, source="<bytes>"):
    """An Array from the bytes of a ``.npy`` file; ``source`` names it in errors."""
    data = bytes(data)
    if data[:1] == PICKLE_PROTOCOL_BYTE:
        raise ModelFileError(f"{source}: this is a Python pickle, not a .npy file; purenn "
                             f"never unpickles (save the arrays with numpy.save or "
                             f"numpy.savez instead)")
    if data[:4] in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        raise ModelFileError(f"{source}: this is a zip archive (.npz), not a .npy file")
    if data[:6] != MAGIC:
        raise ModelFileError(f"{source}: not a .npy file (starts with {data[:8]!r}, "
                             f"expected {MAGIC!r})")
    if len(data) < 10:
        raise ModelFileError(f"{source}: truncated .npy file ({len(data)} bytes)")
    version = (data[6], data[7])
    if version == (1, 0):
        (header_len,), start = struct.unpack_from("<H", data, 8), 10
    elif version in ((2, 0), (3, 0)):
        if len(data) < 12:
            raise ModelFileError(f"{source}: truncated .npy file ({len(data)} bytes)")
        (header_len,), start = struct.unpack_from("<I", data, 8), 12
    else:
        raise ModelFileError(f"{source}: unsupported .npy format version "
                             f"{version[0]}.{version[1]} (known: 1.0, 2.0, 3.0)")
    if header_len > MAX_HEADER:
        raise ModelFileError(f"{source}: header of {header_len} bytes is longer than the "
                             f"{MAX_HEADER} allowed")
    end = start + header_len
    if len(data) < end:
        raise ModelFileError(f"{source}: truncated .npy file: header needs {header_len} "
                             f"bytes, {len(data) - start} are there")
    encoding = "utf-8" if version == (3, 0) else "latin-1"
    try:
        text = data[start:end].decode(encoding)
    except UnicodeDecodeError:
        raise ModelFileError(f"{source}: header is not valid {encoding}") from None
    header = parse_header(text, source)
    dtype, order = parse_descr(header["descr"], source)
    shape = header["shape"]
    count = math.prod(shape)
    _, size, code = DTYPES[dtype]
    body = memoryview(data)[end:]
    if len(body) != count * size:
        what = "truncated" if len(body) < count * size else "has extra bytes"
        raise ModelFileError(f"{source}: {what}: shape {shape!r} of {header['descr']!r} "
                             f"needs {count * size} bytes of data, found {len(body)}")
    values = list(struct.unpack(f"{order}{count}{code}", body))
    if header["fortran_order"] and len(shape) > 1:
        values = from_fortran(values, shape)
    return Array(dtype, tuple(shape), values)


def encode_npy(array, *, byteorder="<", fortran_order=False, version=None):
    """The bytes of a ``.npy`` file holding ``array`` (an Array).

    ``byteorder`` is ``"<"`` (little-endian, the default) or ``">"``; ``version`` (1, 0),
    (2, 0) or (3, 0), or None for the oldest that can hold the header (as NumPy does).
    """
    if array.dtype not in DTYPES:
        raise ModelFileError(f"cannot write dtype {array.dtype!r} (supported: "
                             f"{', '.join(DTYPES)})")
    if byteorder not in "<>" or len(byteorder) != 1:
        raise ModelFileError(f"byte order must be '<' or '>', got {byteorder!r}")
    kind, size, code = DTYPES[array.dtype]
    shape = tuple(array.shape)
    if len(array.values) != math.prod(shape):
        raise ModelFileError(f"{len(array.values)} values do not fill shape {shape!r}")
    descr = f"{'|' if size == 1 else byteorder}{kind}{size}"
    shape_text = f"({shape[0]},)" if len(shape) == 1 else repr(shape)
    text = (f"{{'descr': {descr!r}, 'fortran_order': {bool(fortran_order)!r}, "
            f"'shape': {shape_text}, }}")
    if version is None:
        version = (1, 0) if len(text) + 11 < 2 ** 16 else (2, 0)
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise ModelFileError(f"unsupported .npy format version {version!r}")
    prefix = 10 if version == (1, 0) else 12
    raw = text.encode("utf-8" if version == (3, 0) else "latin-1")
    padded = raw + b" " * (-(prefix + len(raw) + 1) % ALIGN) + b"\n"
    length = struct.pack("<H" if version == (1, 0) else "<I", len(padded))
    values = array.values
    if fortran_order and len(shape) > 1:
        values = to_fortran(values, shape)
    try:
        body = struct.pack(f"{byteorder}{len(values)}{code}", *values)
    except (struct.error, OverflowError, TypeError) as exc:
        bad = _first_unpackable(values, byteorder + code)
        raise ModelFileError(f"value {bad!r} cannot be stored as {array.dtype} "
                             f"({exc})") from None
    return MAGIC + bytes(version) + length + padded + body


def _first_unpackable(values, fmt):
    for value in values:
        try:
            struct.pack(fmt, value)
        except (struct.error, OverflowError, TypeError):
            return value
    return None


def read_npy(path):
    """The Array stored in the ``.npy`` file at ``path``."""
    return parse_npy(_read_bytes(path), path)


def write_npy(path, array, **options):
    """Write ``array`` (an Array) to ``path`` as ``.npy``, atomically; options as
    ``encode_npy``."""
    data = encode_npy(array, **options)
    _write_bytes(path, data)


# -- .npz -------------------------------------------------------------------------------
def check_name(name, source):
    """A key is usable as an npz member name: non-empty, no path separators, no NUL."""
    if not isinstance(name, str) or not name or name in (".", "..") \
            or any(c in name for c in "/\\\0") or name != name.strip():
        raise ModelFileError(f"{source}: array name {name!r} cannot be a member of an "
                             f".npz file (no '/', '\\', NUL or surrounding spaces)")
    return name


def parse_npz(data, source="<bytes>"):
    """Arrays by name from the bytes of an ``.npz`` file, in archive order."""
    data = bytes(data)
    if data[:1] == PICKLE_PROTOCOL_BYTE:
        raise ModelFileError(f"{source}: this is a Python pickle, not an .npz file; purenn "
                             f"never unpickles (save the arrays with numpy.savez instead)")
    if data[:6] == MAGIC:
        raise ModelFileError(f"{source}: this is a single .npy array, not an .npz archive")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"{source}: not an .npz (zip) file: {exc}") from None
    arrays = {}
    with archive:
        for info in archive.infolist():
            where = f"{source}: member {info.filename!r}"
            if info.is_dir() or not info.filename.endswith(NPY_SUFFIX):
                raise ModelFileError(f"{where} is not a .npy file")
            name = check_name(info.filename[:-len(NPY_SUFFIX)], where)
            if name in arrays:
                raise ModelFileError(f"{where} appears twice in the archive")
            try:
                member = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError,
                    zipfile.LargeZipFile) as exc:
                raise ModelFileError(f"{where} cannot be read: {exc}") from None
            arrays[name] = parse_npy(member, where)
    return arrays


def encode_npz(arrays, *, compress=False, **options):
    """The bytes of an ``.npz`` file holding ``arrays`` (name -> Array), in that order;
    deflated when ``compress`` (numpy.savez_compressed), else stored (numpy.savez).
    Other options as ``encode_npy``."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as archive:
        for name, array in arrays.items():
            check_name(name, "npz")
            # a fixed timestamp: the same arrays always give the same bytes
            info = zipfile.ZipInfo(name + NPY_SUFFIX, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.external_attr = 0o644 << 16
            archive.writestr(info, encode_npy(array, **options))
    return buffer.getvalue()


def read_npz(path):
    """Arrays by name (member name without ``.npy``) from the ``.npz`` file at ``path``."""
    return parse_npz(_read_bytes(path), path)


def write_npz(path, arrays, **options):
    """Write ``arrays`` (name -> Array) to ``path`` as ``.npz``, atomically; options as
    ``encode_npz``."""
    _write_bytes(path, encode_npz(arrays, **options))


def read_arrays(path):
    """Arrays by name from a ``.npz`` file, or ``{name: array}`` from a ``.npy`` file
    (the name is the file's name without its suffix)."""
    data = _read_bytes(path)
    if data[:6] == MAGIC:
        stem = os.path.basename(os.fspath(path))
        stem = stem[:-len(NPY_SUFFIX)] if stem.endswith(NPY_SUFFIX) else stem
        return {stem: parse_npy(data, path)}
    return parse_npz(data, path)


def _read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ModelFileError(f"cannot read {path!r}: {exc.strerror or exc}") from None


def _write_bytes(path, data):
    try:
        with atomic_write(path) as f:
            f.write(data)
    except OSError as exc:
        raise ModelFileError(f"cannot write {path!r}: {exc.strerror or exc}") from None
