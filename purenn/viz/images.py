"""Grayscale images from files, for ``predict``: 8-bit PNG or PGM.

PGM (Netpbm) is ``P5`` (binary) or ``P2`` (ASCII digits): the magic, then width, height
and maxval as decimal numbers separated by whitespace (``#`` starts a comment up to the
end of the line), one whitespace byte, then width·height samples, rows top to bottom
(one byte each in P5, which needs maxval ≤ 255). Samples are rescaled to 0-255.

A PNG must be 8-bit grayscale and not interlaced (see ``purenn.viz.png``); an RGB or
RGBA PNG is refused with the advice to save it as grayscale.
"""

import os

from ..errors import DataError
from ..fileio import atomic_write, read_bytes
from .png import COLOR_NAMES, SIGNATURE, decode_png


def _pgm_fields(blob, count, source):
    """The first ``count`` whitespace-separated header fields and the offset after the
    single whitespace byte that follows the last one."""
    fields, pos = [], 2
    while len(fields) < count:
        while pos < len(blob) and (blob[pos:pos + 1].isspace() or blob[pos] == ord("#")):
            if blob[pos] == ord("#"):
                end = blob.find(b"\n", pos)
                pos = len(blob) if end < 0 else end
            pos += 1
        start = pos
        while pos < len(blob) and blob[pos:pos + 1].isdigit():
            pos += 1
        if start == pos:
            raise DataError(f"{source}: malformed PGM header at offset {start}: expected "
                            f"a number, got {blob[start:start + 8]!r}")
        fields.append(int(blob[start:pos]))
    return fields, pos + 1


def decode_pgm(blob, source="<bytes>"):
    """(width, height, pixels 0-255 as bytes) of a P5 or P2 PGM file's bytes."""
    magic = blob[:2]
    if magic not in (b"P5", b"P2"):
        raise DataError(f"{source}: not a PGM file (it starts with {blob[:2]!r}, "
                        f"expected b'P5' or b'P2')")
    (width, height, maxval), pos = _pgm_fields(blob, 3, source)
    if width < 1 or height < 1 or not 1 <= maxval <= 65535:
        raise DataError(f"{source}: bad PGM size {width}x{height} or maxval {maxval!r}")
    count = width * height
    if magic == b"P5":
        if maxval > 255:
            raise DataError(f"{source}: 16-bit PGM (maxval {maxval}); only 8-bit is read")
        samples = blob[pos:pos + count]
        if len(samples) < count:
            raise DataError(f"{source}: truncated: {len(samples)} of {count} pixels")
    else:
        words = blob[pos - 1:].split()
        if len(words) < count:
            raise DataError(f"{source}: truncated: {len(words)} of {count} pixels")
        try:
            samples = [int(w) for w in words[:count]]
        except ValueError:
            raise DataError(f"{source}: a pixel value is not a number") from None
        if max(samples) > maxval:
            raise DataError(f"{source}: pixel value {max(samples)} is over maxval {maxval}")
    return width, height, bytes(round(v * 255 / maxval) for v in samples)


def encode_pgm(width, height, pixels):
    """The bytes of a binary (P5) PGM of 8-bit gray ``pixels``."""
    if len(pixels) != width * height:
        raise ValueError(f"{len(pixels)} bytes do not fill {width}x{height}")
    return b"P5\n%d %d\n255\n" % (width, height) + bytes(pixels)


def write_pgm(path, width, height, pixels):
    """Write a binary PGM atomically."""
    blob = encode_pgm(width, height, pixels)
    with atomic_write(path) as f:
        f.write(blob)


def read_gray(path):
    """(width, height, pixels) of an 8-bit grayscale PNG or a PGM file."""
    path = os.fspath(path)
    blob = read_bytes(path, DataError)
    if blob.startswith(SIGNATURE):
        width, height, channels, pixels = decode_png(blob, path)
        if channels != 1:
            kind = COLOR_NAMES[{3: 2, 2: 4, 4: 6}[channels]]
            raise DataError(f"{path}: the PNG is {kind}, not grayscale; save it as 8-bit "
                            f"grayscale")
        return width, height, pixels
    if blob[:2] in (b"P5", b"P2"):
        return decode_pgm(blob, path)
    raise DataError(f"{path}: neither a PNG nor a PGM file (it starts with {blob[:8]!r})")


def read_digit(path, shape=(28, 28), *, invert=False):
    """The pixels of a ``shape`` grayscale image file scaled to [0, 1] (x/255), one flat
    row as a network takes it; ``invert`` turns dark-on-light into MNIST's light-on-dark."""
    width, height, pixels = read_gray(path)
    if (height, width) != tuple(shape):
        raise DataError(f"{path}: the image is {width}x{height} pixels; the network "
                        f"takes {shape[1]}x{shape[0]}")
    if invert:
        pixels = bytes(255 - v for v in pixels)
    return [v / 255.0 for v in pixels]
