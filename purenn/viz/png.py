"""PNG files, written and read with ``zlib`` and ``struct``.

A PNG file is the 8-byte signature ``\\x89PNG\\r\\n\\x1a\\n`` followed by chunks, each::

    length (4 bytes, big-endian)  type (4 ASCII letters)  data (length bytes)
    CRC-32 of type + data (4 bytes, big-endian)

``IHDR`` (first) holds width, height (4 bytes each), bit depth, color type, compression
(0), filter method (0) and interlace (0: none, 1: Adam7); ``IDAT`` chunks hold, together,
the zlib-compressed image: per row, one filter-type byte then the row's bytes; ``IEND``
ends the file. Color types: 0 gray, 2 RGB, 4 gray + alpha, 6 RGBA.

The writer makes 8-bit gray or RGB images with filter 0 (none) on every row. The reader
takes 8-bit, non-interlaced images of any of the four color types and undoes the five
row filters (None, Sub, Up, Average, Paeth); anything else is refused by name.

The reader trusts nothing before checking it: every chunk's length against the bytes
present and its CRC; IHDR's length, fields and size (against ``max_pixels`` and, when
given, the size the caller expects) as soon as it is read, before any image data is
inflated; the image data inflated only up to the size IHDR implies, so that a small
file cannot unfold into a large one and a large image is refused before the slow
pure-Python unfiltering.
"""

import os
import struct
import zlib

from ..errors import DataError
from ..fileio import read_bytes, write_bytes

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}
COLOR_NAMES = {0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale with alpha",
               6: "RGBA"}
MAX_PIXELS = 1 << 24  # 4096 x 4096
IHDR_SIZE = 13


def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(width, height, pixels, channels=1):
    """The bytes of a PNG of ``width`` x ``height`` 8-bit pixels: ``pixels`` holds the
    rows top to bottom, ``channels`` bytes per pixel (1 gray, 3 RGB)."""
    color_type = {1: 0, 3: 2}.get(channels)
    if color_type is None:
        raise ValueError(f"channels must be 1 (gray) or 3 (RGB), got {channels!r}")
    stride = width * channels
    if len(pixels) != stride * height:
        raise ValueError(f"{len(pixels)} bytes do not fill {width}x{height}x{channels}")
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        raw += pixels[y * stride:(y + 1) * stride]
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b""))


def write_png(path, width, height, pixels, channels=1):
    """Write a PNG (see ``encode_png``) atomically."""
    blob = encode_png(width, height, pixels, channels)
    write_bytes(path, blob)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw, width, height, bpp, source):
    stride = width * bpp
    if len(raw) != (stride + 1) * height:
        raise DataError(f"{source}: the image data holds {len(raw)} bytes, "
                        f"{(stride + 1) * height} expected for {width}x{height}")
    out = bytearray(stride * height)
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                up_left = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, prev[i], up_left)) & 0xFF
        elif kind != 0:
            raise DataError(f"{source}: row {y} has unknown filter type {kind!r}")
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return bytes(out)


def check_size(width, height, source, *, max_pixels=MAX_PIXELS, expect=None,
               why="expected"):
    """Refuse an image of no pixels, over ``max_pixels``, or other than ``expect``
    (width, height): '{source}: the image is WxH pixels; {why} W'xH''."""
    if expect is not None and (width, height) != tuple(expect):
        raise DataError(f"{source}: the image is {width}x{height} pixels; {why} "
                        f"{expect[0]}x{expect[1]}")
    if width < 1 or height < 1:
        raise DataError(f"{source}: the image is {width}x{height} pixels; it must have "
                        f"at least one")
    if width * height > max_pixels:
        raise DataError(f"{source}: {width}x{height} pixels is over the limit of "
                        f"{max_pixels}")


def _check_header(data, source, max_pixels, expect, why):
    if len(data) != IHDR_SIZE:
        raise DataError(f"{source}: IHDR holds {len(data)} bytes, {IHDR_SIZE} expected")
    width, height, depth, color_type, compression, filtering, interlace = \
        struct.unpack(">IIBBBBB", data)
    if color_type not in CHANNELS or depth != 8:
        raise DataError(f"{source}: a {depth}-bit "
                        f"{COLOR_NAMES.get(color_type, f'color type {color_type}')} PNG; "
                        f"only 8-bit grayscale, RGB and RGBA images are read")
    if compression != 0 or filtering != 0:
        raise DataError(f"{source}: IHDR field 'compression' {compression!r} or 'filter' "
                        f"{filtering!r} is not 0, the only method PNG defines")
    if interlace != 0:
        raise DataError(f"{source}: an interlaced (Adam7) PNG; save it without "
                        f"interlacing")
    check_size(width, height, source, max_pixels=max_pixels, expect=expect, why=why)
    return width, height, CHANNELS[color_type]


def _inflate(idat, size, source):
    """Exactly ``size`` bytes from the zlib stream ``idat``, never inflating more than
    one byte past them."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(idat, size + 1)
        if len(raw) <= size and not inflater.eof:
            raw += inflater.flush()
    except zlib.error as exc:
        raise DataError(f"{source}: corrupt image data: {exc}") from None
    if len(raw) != size:
        more = "more than" if len(raw) > size else f"{len(raw)} bytes,"
        raise DataError(f"{source}: the image data inflates to {more} {size} bytes "
                        f"expected from IHDR")
    return raw


def decode_png(blob, source="<bytes>", *, max_pixels=MAX_PIXELS, expect=None,
               why="expected"):
    """(width, height, channels, pixels) of an 8-bit non-interlaced PNG's bytes; every
    chunk's CRC is checked; the size is checked (see ``check_size``) before any image
    data is inflated. DataError names the file and the problem."""
    if not blob.startswith(SIGNATURE):
        raise DataError(f"{source}: not a PNG file (it starts with {blob[:8]!r})")
    pos, header, idat = len(SIGNATURE), None, []
    while True:
        if pos + 8 > len(blob):
            raise DataError(f"{source}: truncated at offset {pos}: no IEND chunk")
        length, kind = struct.unpack_from(">I4s", blob, pos)
        end = pos + 8 + length + 4
        if end > len(blob):
            raise DataError(f"{source}: truncated: chunk {kind!r} at offset {pos} needs "
                            f"{length} bytes")
        data = blob[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack_from(">I", blob, pos + 8 + length)
        if crc != zlib.crc32(kind + data) & 0xFFFFFFFF:
            raise DataError(f"{source}: chunk {kind!r} at offset {pos} fails its CRC check")
        if (header is None) != (kind == b"IHDR"):
            where = "first chunk" if header is None else f"chunk at offset {pos}"
            raise DataError(f"{source}: the {where} is {kind!r}; IHDR must come first "
                            f"and once")
        if kind == b"IHDR":
            header = _check_header(data, source, max_pixels, expect, why)
        elif kind == b"IDAT":
            idat.append(data)
        elif kind == b"IEND":
            break
        pos = end
    width, height, channels = header
    raw = _inflate(b"".join(idat), (width * channels + 1) * height, source)
    return width, height, channels, _unfilter(raw, width, height, channels, source)


def read_png(path):
    """``decode_png`` of the file at ``path``."""
    path = os.fspath(path)
    return decode_png(read_bytes(path, DataError), path)
