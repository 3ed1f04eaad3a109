"""The IDX file format of the MNIST database, read and written with ``struct``.

Layout (all integers big-endian)::

    bytes 0-1   0x00 0x00
    byte  2     type of the data: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16,
                0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    then        d sizes, 4-byte unsigned ints
    then        the data, C order, prod(sizes) items

Files may be gzip-compressed (recognised by their first two bytes). The reader checks
every field, refuses a declared size above ``max_bytes`` before allocating anything,
reads exactly the declared number of bytes from the (decompressing) stream a chunk at a
time, and refuses truncated data and trailing bytes. So a hostile file costs at most
``max_bytes`` of memory: a gzip bomb (a small file that inflates to gigabytes) is refused
after one byte past the declared size. Where the file's own length (or, for gzip, the
inflated size its trailer records) disagrees with the header, the body is first counted
without being kept, so that a truncated file is refused in a chunk's memory, not in
memory for all the bytes it does hold. ``read_idx_header`` reads the header alone, so
that paired files (images and labels) can be compared before either body is inflated.
Every error names the file.
"""

import contextlib
import gzip
import io
import math
import os
import struct
import sys
import zlib
from array import array
from dataclasses import dataclass

from ..errors import DataError
from ..fileio import CHUNK, atomic_write, chunks, open_regular, read_exactly

# type code → (array typecode, item size, name)
TYPES = {
    0x08: ("B", 1, "unsigned byte"),
    0x09: ("b", 1, "signed byte"),
    0x0B: ("h", 2, "int16"),
    0x0C: ("i", 4, "int32"),
    0x0D: ("f", 4, "float32"),
    0x0E: ("d", 8, "float64"),
}
MAX_BYTES = 1 << 30  # default limit on the declared data size
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class IdxData:
    """What an IDX file holds: its sizes, its type code and its items.

    ``data`` is ``bytes`` for unsigned bytes (compact, and what MNIST uses) and an
    ``array`` in native byte order for the other types.
    """

    dims: tuple
    type_code: int
    data: object

    def __len__(self):
        return self.dims[0]


@dataclass
class IdxHeader:
    """What an IDX header declares: sizes, type code, and the data size in bytes."""

    dims: tuple
    type_code: int
    size: int


def _truncated(path, n, what, got):
    return DataError(f"{path}: truncated: expected {n} bytes of {what}, the file holds "
                     f"only {got}")


def _read_exactly(f, n, path, what):
    def fail(got):
        raise _truncated(path, n, what, got)

    return read_exactly(f, n, fail)


@contextlib.contextmanager
def _opened(path):
    raw = open_regular(path, DataError)
    with raw, _stream(raw, path) as opened:
        yield opened


@contextlib.contextmanager
def _stream(raw, path):
    """(stream, length) of the seekable binary file ``raw``: a stream of its IDX bytes
    (inflated when gzip) and how many it should give, modulo 2**32 (the file's length,
    or what a gzip trailer records: only a hint, since a file may hold several gzip
    members); gzip failures become one-line DataErrors naming ``path``."""
    compressed = raw.read(2) == GZIP_MAGIC
    length = raw.seek(0, os.SEEK_END)
    if compressed and length >= 4:
        raw.seek(-4, os.SEEK_END)
        (length,) = struct.unpack("<I", raw.read(4))
    raw.seek(0)
    f = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
    try:
        yield f, length
    except EOFError:
        raise DataError(f"{path}: truncated gzip data: the compressed stream ends "
                        f"before its end marker (an interrupted download?)") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path}: corrupt gzip data: {exc}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_idx_header(path, *, max_bytes=MAX_BYTES):
    """The checked ``IdxHeader`` of an IDX file (plain or gzip), inflating only the
    header's bytes; DataError on any defect, or when the data would pass ``max_bytes``."""
    path = os.fspath(path)
    with _opened(path) as (f, _):
        return _read_header(f, path, max_bytes)


def read_idx(path, *, max_bytes=MAX_BYTES):
    """Read an IDX file (plain or gzip) into ``IdxData``; DataError on any defect."""
    path = os.fspath(path)
    with _opened(path) as (f, length):
        header = _read_header(f, path, max_bytes)
        return _read_body(f, path, header, length)


def parse_idx(blob, source="<bytes>", *, max_bytes=MAX_BYTES):
    """``read_idx`` of the bytes of an IDX file (plain or gzip)."""
    with _stream(io.BytesIO(blob), source) as (f, length):
        header = _read_header(f, source, max_bytes)
        return _read_body(f, source, header, length)


def _read_header(f, path, max_bytes):
    header = _read_exactly(f, 4, path, "header")
    zero, type_code, ndim = struct.unpack(">HBB", header)
    if zero != 0:
        raise DataError(f"{path}: bad magic number 0x{header.hex()}; an IDX file starts "
                        f"with two zero bytes, a type code and the number of dimensions")
    if type_code not in TYPES:
        known = ", ".join(f"0x{c:02X} {TYPES[c][2]}" for c in TYPES)
        raise DataError(f"{path}: unknown data type 0x{type_code:02X} (known: {known})")
    if ndim == 0:
        raise DataError(f"{path}: the header declares 0 dimensions")
    dims = struct.unpack(f">{ndim}I", _read_exactly(f, 4 * ndim, path, "sizes"))
    size = math.prod(dims) * TYPES[type_code][1]
    if size > max_bytes:
        raise DataError(f"{path}: the header declares {'x'.join(map(str, dims))} items "
                        f"({size} bytes), over the limit of {max_bytes} bytes")
    return IdxHeader(tuple(dims), type_code, size)


def _read_body(f, path, header, length):
    dims, type_code, size = header.dims, header.type_code, header.size
    what = f"data for sizes {'x'.join(map(str, dims))}"
    start = 4 + 4 * len(dims)
    if size > CHUNK and length != (start + size) % 2 ** 32:
        got = sum(map(len, chunks(f, size + 1)))  # counted, not kept
        if got < size:
            raise _truncated(path, size, what, got)
        if got > size:
            raise _trailing(path, size, dims)
        f.seek(start)
    data = _read_exactly(f, size, path, what)
    if f.read(1):
        raise _trailing(path, size, dims)
    typecode, itemsize, _ = TYPES[type_code]
    if type_code != 0x08:
        items = array(typecode)
        items.frombytes(data)
        if sys.byteorder == "little" and itemsize > 1:
            items.byteswap()
        data = items
    return IdxData(dims, type_code, data)


def _trailing(path, size, dims):
    return DataError(f"{path}: trailing bytes after the {size} bytes of data that the "
                     f"header declares ({'x'.join(map(str, dims))})")


def encode_idx(dims, data, type_code=0x08):
    """The bytes of an IDX file holding ``data`` (bytes, a list or an array) of ``dims``."""
    if type_code not in TYPES:
        raise ValueError(f"unknown IDX type code {type_code!r}")
    typecode, itemsize, _ = TYPES[type_code]
    if isinstance(data, (bytes, bytearray)) and type_code == 0x08:
        payload = bytes(data)
    else:
        items = array(typecode, data)
        if sys.byteorder == "little" and itemsize > 1:
            items.byteswap()
        payload = items.tobytes()
    if len(payload) != math.prod(dims) * itemsize:
        raise ValueError(f"{len(payload) // itemsize} items do not fill sizes {dims!r}")
    return struct.pack(f">HBB{len(dims)}I", 0, type_code, len(dims), *dims) + payload


def write_idx(path, dims, data, type_code=0x08):
    """Write an IDX file atomically; gzip-compressed when the name ends in ``.gz``."""
    blob = encode_idx(dims, data, type_code)
    with atomic_write(path) as f:
        if os.fspath(path).endswith(".gz"):
            # mtime=0 keeps the file identical from run to run
            with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:
                gz.write(blob)
        else:
            f.write(blob)
