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

Arrays are ``purenn.formats.tensor.Tensor``s (shape, flat values in C order, dtype
name). float32 (and float16) values become the Python floats (float64) they exactly equal.
Arrays of bytes stay bytes: uint8 and int8 values are an ``array('B')``/``array('b')``
and bool values an ``array('B')`` of 0 and 1, one byte each, not a list of Python ints
(eight bytes a slot). A reader given ``keep(name, shape, dtype)`` decodes only the
arrays it keeps; the others are returned with ``values`` None, their data never read.

Untrusted files cost what they hold, not what they declare: the header is checked field
by field before anything is allocated, the data's size is compared with the bytes really
present, a zip member is read only when it is stored or deflated (what NumPy writes), its
declared size must match its .npy header, and it is inflated a chunk at a time up to that
size; a file or a member decoding to more than ``max_bytes`` is refused before reading.
"""

import ast
import io
import os
import re
import struct
import sys
import zipfile
import zlib
from array import array

from ..errors import ModelFileError, PurennError
from ..fileio import CHUNK, open_regular, read_at_most, read_bytes, write_bytes
from .schema import short
from .tensor import DTYPES, Tensor, capped_prod

MAGIC = b"\x93NUMPY"
ALIGN = 64
MAX_HEADER = 10_000  # NumPy's own default limit (max_header_size) for untrusted files
# default limit on the data bytes of one file (all members of an .npz together); each
# number decodes to a Python object and a list slot, measured 40 bytes for a float, so
# 512 MiB of float64 become 2.5 GiB in memory
MAX_BYTES = 512 << 20
HEADER_KEYS = ("descr", "fortran_order", "shape")
MAX_DIM = (1 << 63) - 1  # NumPy's sizes are signed 64-bit
NPY_SUFFIX = ".npy"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
PICKLE_PROTOCOL_BYTE = b"\x80"
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
# what zipfile raises on a corrupt archive or member (its failure modes are not documented
# as a closed set; these are the ones a fuzzing campaign reached)
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
              struct.error, NotImplementedError, RuntimeError, OverflowError, IndexError,
              KeyError, zlib.error)

BY_DESCR = {(kind, size): name for name, (kind, size, _) in DTYPES.items()}
DESCR_RE = re.compile(r"([<>|=])([A-Za-z])(\d{0,4})")
REFUSED_KINDS = {
    "c": "complex numbers", "U": "unicode strings", "S": "byte strings",
    "a": "byte strings", "V": "raw void records", "M": "datetimes", "m": "timedeltas",
}
NATIVE = "<" if sys.byteorder == "little" else ">"


# -- order ------------------------------------------------------------------------------
def from_fortran(values, shape):
    """C order from Fortran order (first index fastest): the elements whose first index
    is i are every shape[0]-th one from i, themselves in Fortran order of shape[1:]
    (a list stays a list, an array of bytes an array)."""
    shape = [size for size in shape if size != 1]  # sizes of 1 do not change the order
    if len(shape) < 2 or not values:
        return values[:]
    first = shape[0]
    out = values[:0]
    for i in range(first):
        out += from_fortran(values[i::first], shape[1:])
    return out


def to_fortran(values, shape):
    """Fortran order from C order: the inverse of ``from_fortran``."""
    shape = [size for size in shape if size != 1]
    if len(shape) < 2 or not values:
        return list(values)
    first = shape[0]
    block = len(values) // first
    out = [None] * len(values)
    for i in range(first):
        out[i::first] = to_fortran(values[i * block:(i + 1) * block], shape[1:])
    return out


# -- .npy -------------------------------------------------------------------------------
def parse_descr(descr, source):
    """'<f4' -> ('float32', '<'): the dtype name and the struct byte order."""
    if not isinstance(descr, str):
        raise ModelFileError(f"{source}: structured dtype {short(descr, 200)} is not "
                             f"supported (only plain numeric arrays)")
    match = DESCR_RE.fullmatch(descr)
    if match is None:
        raise ModelFileError(f"{source}: unknown dtype descr {short(descr)}")
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
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ModelFileError(f"{source}: header is not a Python dict literal: "
                             f"{short(text.strip(), 200)} ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: header is not a dict: {short(header, 200)}")
    if set(header) != set(HEADER_KEYS):
        keys = sorted(header, key=repr)
        raise ModelFileError(f"{source}: header keys are {short(keys, 200)}, expected "
                             f"{list(HEADER_KEYS)!r}")
    if not isinstance(header["fortran_order"], bool):
        raise ModelFileError(f"{source}: header field 'fortran_order' must be True or "
                             f"False, got {short(header['fortran_order'])}")
    shape = header["shape"]
    if not isinstance(shape, tuple) or not all(
            type(d) is int and 0 <= d <= MAX_DIM for d in shape):
        raise ModelFileError(f"{source}: header field 'shape' must be a tuple of sizes "
                             f"from 0 to 2**63 - 1, got {short(shape, 200)}")
    return header


def _preamble(data, source):
    """(version, header start, header length) from the first bytes of a .npy file."""
    if data[:1] == PICKLE_PROTOCOL_BYTE:
        raise ModelFileError(f"{source}: this is a Python pickle, not a .npy file; purenn "
                             f"never unpickles (save the arrays with numpy.save or "
                             f"numpy.savez instead)")
    if data[:4] in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        raise ModelFileError(f"{source}: this is a zip archive (.npz), not a .npy file")
    if data[:6] != MAGIC:
        raise ModelFileError(f"{source}: not a .npy file (starts with {bytes(data[:8])!r}, "
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
    return version, start, header_len


def _layout(data, source, max_bytes):
    """(dtype, byte order, header dict, offset of the data, data size in bytes) of the
    .npy file whose first bytes (at least the whole header) are ``data``."""
    version, start, header_len = _preamble(data, source)
    end = start + header_len
    if len(data) < end:
        raise ModelFileError(f"{source}: truncated .npy file: header needs {header_len} "
                             f"bytes, {len(data) - start} are there")
    encoding = "utf-8" if version == (3, 0) else "latin-1"
    try:
        text = bytes(data[start:end]).decode(encoding)
    except UnicodeDecodeError:
        raise ModelFileError(f"{source}: header is not valid {encoding}") from None
    header = parse_header(text, source)
    dtype, order = parse_descr(header["descr"], source)
    shape = header["shape"]
    size = capped_prod(shape, max_bytes) * DTYPES[dtype][1]
    if size > max_bytes:
        raise ModelFileError(f"{source}: header field 'shape' {short(shape)} of "
                             f"{header['descr']!r} declares more than the limit of "
                             f"{max_bytes} bytes of data")
    return dtype, order, header, end, size


BOOL_BYTES = bytes([0] + [1] * 255)  # NumPy reads any nonzero byte as True


def _items(raw, dtype, order):
    """The numbers of the data bytes ``raw``: a list, or for one-byte dtypes an array."""
    _, size, code = DTYPES[dtype]
    if size == 1:  # bytes stay bytes
        return array("B", bytes(raw).translate(BOOL_BYTES)) if code == "?" \
            else array(code, bytes(raw))
    if code == "e":  # no array typecode for float16
        return list(struct.unpack(f"{order}{len(raw) // size}{code}", raw))
    items = array(code)
    items.frombytes(raw)
    if order != NATIVE and size > 1:
        items.byteswap()
    return items.tolist()


def _tensor(values, dtype, header):
    shape = header["shape"]
    if header["fortran_order"] and len(shape) > 1:
        values = from_fortran(values, shape)
    return Tensor(tuple(shape), values, dtype)


def _values(body, dtype, order, header, source):
    """The Tensor of the data bytes ``body`` (whose length is already checked)."""
    return _tensor(_items(body, dtype, order), dtype, header)


def _stream_tensor(stream, where, max_bytes, total, declared, keep=None, name=None):
    """The Tensor of a .npy file read from ``stream`` a chunk at a time, so that memory
    holds the numbers decoded so far and one chunk of bytes, never the whole data as
    bytes too. ``total`` is the size of the whole file (as ``declared`` by the zip
    archive, or the file system), compared with the header before any data is read."""
    head = read_at_most(stream, 12)
    if head[:6] == MAGIC and len(head) >= 10:
        _, start, header_len = _preamble(head, where)
        head += read_at_most(stream, start + header_len - len(head))
    dtype, order, header, end, size = _layout(head, where, max_bytes)
    what = f"shape {short(header['shape'])} of {header['descr']!r}"
    if total != end + size:
        if declared == "zip":
            raise ModelFileError(f"{where}: the zip declares {total} bytes but its .npy "
                                 f"header needs {end + size} ({what})")
        problem = "truncated" if total < end + size else "has extra bytes"
        raise ModelFileError(f"{where}: {problem}: {what} needs {size} bytes of data, "
                             f"found {total - end}")
    if keep is not None and not keep(name, tuple(header["shape"]), dtype):
        return Tensor(tuple(header["shape"]), None, dtype)  # skipped before decoding
    _, itemsize, code = DTYPES[dtype]
    step = CHUNK - CHUNK % itemsize
    pending = head[end:]  # data bytes that came with the header
    got = len(pending)
    values = array("B" if code == "?" else code) if itemsize == 1 else []
    while got <= size:
        usable = len(pending) - len(pending) % itemsize
        values += _items(pending[:usable], dtype, order)
        pending = pending[usable:]
        if got == size:
            break
        more = read_at_most(stream, min(step, size - got))
        if not more:
            raise ModelFileError(f"{where}: truncated: {what} needs {size} bytes of data, "
                                 f"found {got}")
        got += len(more)
        pending += more
    if got > size or stream.read(1):
        raise ModelFileError(f"{where}: more data than its .npy header declares ({what})")
    return _tensor(values, dtype, header)


def parse_npy(data, source="<bytes>", *, max_bytes=MAX_BYTES):
    """A Tensor from the bytes of a ``.npy`` file; ``source`` names it in errors."""
    dtype, order, header, end, size = _layout(data, source, max_bytes)
    body = memoryview(data)[end:]
    if len(body) != size:
        what = "truncated" if len(body) < size else "has extra bytes"
        raise ModelFileError(f"{source}: {what}: shape {short(header['shape'])} of "
                             f"{header['descr']!r} needs {size} bytes of data, found "
                             f"{len(body)}")
    return _values(body, dtype, order, header, source)


def encode_npy(array, *, byteorder="<", fortran_order=False, version=None):
    """The bytes of a ``.npy`` file holding ``array`` (a Tensor).

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
    count = 1
    for d in shape:
        count *= d
    if len(array.values) != count:
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


def read_npy(path, *, max_bytes=MAX_BYTES, keep=None, name=None):
    """The Tensor stored in the ``.npy`` file at ``path``, read a chunk at a time (with
    ``keep``: its values None unless ``keep(name, shape, dtype)``)."""
    path = os.fspath(path)
    try:
        with open_regular(path, ModelFileError) as f:
            total = os.fstat(f.fileno()).st_size
            return _stream_tensor(f, path, max_bytes, total, "file", keep, name)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot open: {exc.strerror or exc}") from None


def write_npy(path, array, **options):
    """Write ``array`` (a Tensor) to ``path`` as ``.npy``, atomically; options as
    ``encode_npy``."""
    data = encode_npy(array, **options)
    write_bytes(path, data)


# -- .npz -------------------------------------------------------------------------------
def check_name(name, source):
    """A key is usable as an npz member name: non-empty, no path separators, no NUL."""
    if not isinstance(name, str) or not name or name in (".", "..") \
            or any(c in name for c in "/\\\0") or name != name.strip():
        raise ModelFileError(f"{source}: array name {short(name)} cannot be a member of an "
                             f".npz file (no '/', '\\', NUL or surrounding spaces)")
    return name


def parse_npz(data, source="<bytes>", *, max_bytes=MAX_BYTES, keep=None):
    """Tensors by name from the bytes of an ``.npz`` file, in archive order; all members
    together may decode to at most ``max_bytes``. With ``keep``, a member is decoded
    only when ``keep(name, shape, dtype)``; the others have ``values`` None."""
    if data[:1] == PICKLE_PROTOCOL_BYTE:
        raise ModelFileError(f"{source}: this is a Python pickle, not an .npz file; purenn "
                             f"never unpickles (save the arrays with numpy.savez instead)")
    if data[:6] == MAGIC:
        raise ModelFileError(f"{source}: this is a single .npy array, not an .npz archive")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise ModelFileError(f"{source}: not an .npz (zip) file: {_reason(exc)}") from None
    arrays = {}
    left = max_bytes
    with archive:
        for info in archive.infolist():
            where = f"{source}: member {short(info.filename)}"
            if not info.filename.endswith(NPY_SUFFIX) or info.is_dir():
                raise ModelFileError(f"{where} is not a .npy file")
            name = check_name(info.filename[:-len(NPY_SUFFIX)], where)
            if name in arrays:
                raise ModelFileError(f"{where} appears twice in the archive")
            if info.compress_type not in ZIP_METHODS:
                raise ModelFileError(f"{where}: compression method {info.compress_type!r} "
                                     f"is not supported (only stored and deflated, as "
                                     f"numpy.savez and savez_compressed write)")
            arrays[name] = _read_member(archive, info, where, left, keep, name)
            left = max(left - info.file_size, 0)
    return arrays


def _read_member(archive, info, where, max_bytes, keep=None, name=None):
    """The Tensor of one member, inflated a chunk at a time: the .npy header first, its
    data size compared with the size the zip declares, then exactly that many bytes."""
    try:
        with archive.open(info) as stream:
            return _stream_tensor(stream, where, max_bytes, info.file_size, "zip", keep,
                                  name)
    except PurennError:
        raise
    except ZIP_ERRORS as exc:
        raise ModelFileError(f"{where} cannot be read: {_reason(exc)}") from None


def _reason(exc):
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def encode_npz(arrays, *, compress=False, **options):
    """The bytes of an ``.npz`` file holding ``arrays`` (name -> Tensor), in that order;
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


def read_npz(path, *, max_bytes=MAX_BYTES, keep=None):
    """Tensors by name (member name without ``.npy``) from the ``.npz`` file at ``path``."""
    path = os.fspath(path)
    return parse_npz(_read_file(path, max_bytes), path, max_bytes=max_bytes, keep=keep)


def write_npz(path, arrays, **options):
    """Write ``arrays`` (name -> Tensor) to ``path`` as ``.npz``, atomically; options as
    ``encode_npz``."""
    write_bytes(path, encode_npz(arrays, **options))


def read_arrays(path, *, max_bytes=MAX_BYTES, keep=None):
    """Tensors by name from a ``.npz`` file, or ``{name: tensor}`` from a ``.npy`` file
    (the name is the file's name without its suffix); ``keep`` as ``parse_npz``."""
    path = os.fspath(path)
    try:
        with open_regular(path, ModelFileError) as f:
            magic = f.read(len(MAGIC))
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot open: {exc.strerror or exc}") from None
    if magic == MAGIC:
        stem = os.path.basename(path)
        stem = stem[:-len(NPY_SUFFIX)] if stem.endswith(NPY_SUFFIX) else stem
        return {stem: read_npy(path, max_bytes=max_bytes, keep=keep, name=stem)}
    return read_npz(path, max_bytes=max_bytes, keep=keep)


def _read_file(path, max_bytes):
    # a .npy is its header plus its data; an .npz stores its members at worst uncompressed
    return read_bytes(path, ModelFileError, max_bytes=max_bytes + (1 << 20))
