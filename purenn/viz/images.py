"""Grayscale images from files, for ``predict``: 8-bit PNG or PGM.

PGM (Netpbm) is ``P5`` (binary) or ``P2`` (ASCII digits): the magic, then width, height
and maxval as decimal numbers separated by whitespace (``#`` starts a comment up to the
end of the line), one whitespace byte, then width·height samples, rows top to bottom
(one byte each in P5, which needs maxval ≤ 255). Samples are rescaled to 0-255.
Header numbers have at most ``MAX_DIGITS`` digits, samples at most 5 and none is over
maxval; the size is checked (against the limit and the size the caller expects) before
any sample is read.

A PNG must be 8-bit grayscale and not interlaced (see ``purenn.viz.png``); an RGB or
RGBA PNG is refused with the advice to save it as grayscale.
"""

import os
import re
from array import array

from ..errors import DataError
from ..fileio import atomic_write, read_bytes
from .png import COLOR_NAMES, MAX_PIXELS, SIGNATURE, check_size, decode_png

MAX_DIGITS = 9
SAMPLE = re.compile(rb"\S+")
# the largest image file read: a P2 file of MAX_PIXELS samples of 5 digits and a space
MAX_FILE_BYTES = 6 * MAX_PIXELS + (1 << 20)


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
        while pos < len(blob) and blob[pos:pos + 1].isdigit() and pos - start <= MAX_DIGITS:
            pos += 1
        if start == pos or pos - start > MAX_DIGITS:
            raise DataError(f"{source}: malformed PGM header at offset {start}: expected "
                            f"a number of at most {MAX_DIGITS} digits, got "
                            f"{blob[start:start + 12]!r}")
        fields.append(int(blob[start:pos]))
    return fields, pos + 1


def decode_pgm(blob, source="<bytes>", *, max_pixels=MAX_PIXELS, expect=None,
               why="expected"):
    """(width, height, pixels 0-255 as bytes) of a P5 or P2 PGM file's bytes; the size
    is checked (see ``png.check_size``) before any sample is read."""
    magic = blob[:2]
    if magic not in (b"P5", b"P2"):
        raise DataError(f"{source}: not a PGM file (it starts with {blob[:2]!r}, "
                        f"expected b'P5' or b'P2')")
    (width, height, maxval), pos = _pgm_fields(blob, 3, source)
    if not 1 <= maxval <= 65535:
        raise DataError(f"{source}: PGM maxval {maxval!r} is not in 1-65535")
    check_size(width, height, source, max_pixels=max_pixels, expect=expect, why=why)
    count = width * height
    if magic == b"P5":
        if maxval > 255:
            raise DataError(f"{source}: 16-bit PGM (maxval {maxval}); only 8-bit is read")
        samples = blob[pos:pos + count]
        if len(samples) < count:
            raise DataError(f"{source}: truncated: {len(samples)} of {count} pixels")
        if maxval < 255:
            _check_maxval(samples, maxval, source)
    else:
        # grown as samples arrive: a header's size costs nothing until the data is there
        samples = bytearray() if maxval <= 255 else array("H")
        index = -1
        for index, match in enumerate(SAMPLE.finditer(blob, pos - 1)):
            if index == count:
                break
            word = match.group()
            if len(word) > 5 or not word.isdigit():
                raise DataError(f"{source}: pixel {index} is {word[:12]!r}, not a number "
                                f"of at most 5 digits")
            value = int(word)
            if value > maxval:
                raise DataError(f"{source}: pixel {index} is {value!r}, over maxval "
                                f"{maxval}")
            samples.append(value)
        else:
            index += 1
        if index < count:
            raise DataError(f"{source}: truncated: {index} of {count} pixels")
    if maxval == 255:
        return width, height, bytes(samples)
    scale = [round(v * 255 / maxval) for v in range(maxval + 1)]
    return width, height, bytes(scale[v] for v in samples)


def _check_maxval(samples, maxval, source):
    biggest = max(samples)
    if biggest > maxval:
        raise DataError(f"{source}: pixel {samples.index(biggest)} is {biggest!r}, over "
                        f"maxval {maxval}")


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


def read_gray(path, *, expect=None, why="expected"):
    """(width, height, pixels) of an 8-bit grayscale PNG or a PGM file; when ``expect``
    (width, height) is given, another size is refused before the pixels are decoded."""
    path = os.fspath(path)
    blob = read_bytes(path, DataError, max_bytes=MAX_FILE_BYTES)
    if blob.startswith(SIGNATURE):
        width, height, channels, pixels = decode_png(blob, path, expect=expect, why=why)
        if channels != 1:
            kind = COLOR_NAMES[{3: 2, 2: 4, 4: 6}[channels]]
            raise DataError(f"{path}: the PNG is {kind}, not grayscale; save it as 8-bit "
                            f"grayscale")
        return width, height, pixels
    if blob[:2] in (b"P5", b"P2"):
        return decode_pgm(blob, path, expect=expect, why=why)
    raise DataError(f"{path}: neither a PNG nor a PGM file (it starts with {blob[:8]!r})")


def read_digit(path, shape=(28, 28), *, invert=False):
    """The pixels of a ``shape`` grayscale image file scaled to [0, 1] (x/255), one flat
    row as a network takes it; ``invert`` turns dark-on-light into MNIST's light-on-dark."""
    _, _, pixels = read_gray(path, expect=(shape[1], shape[0]), why="the network takes")
    if invert:
        pixels = bytes(255 - v for v in pixels)
    return [v / 255.0 for v in pixels]
