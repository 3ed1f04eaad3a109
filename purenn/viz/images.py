"""Images from files, for ``predict``: 8-bit PNG (gray, gray + alpha, RGB, RGBA) or PGM,
made gray, and a learner's digit made to look like MNIST's.

PGM (Netpbm) is ``P5`` (binary) or ``P2`` (ASCII digits): the magic, then width, height
and maxval as decimal numbers separated by whitespace (``#`` starts a comment up to the
end of the line), one whitespace byte, then width·height samples, rows top to bottom
(one byte each in P5, which needs maxval ≤ 255). Samples are rescaled to 0-255.
Header numbers have at most ``MAX_DIGITS`` digits, samples at most 5 and none is over
maxval; the size is checked (against the limit and the size the caller expects) before
any sample is read.

A PNG must be 8-bit and not interlaced (see ``purenn.viz.png``). Color becomes gray
as ITU-R BT.601 luma, Y = 0.299·R + 0.587·G + 0.114·B; a transparent pixel shows the
background, taken to be the opposite of the ink: white behind dark strokes, black
behind light ones (the mean of the opaque pixels decides).

``read_digit`` turns a picture into what an MNIST network takes: gray, light ink on
black (a light border means dark ink on paper: inverted, unless told), and, when it is
not already the network's 28x28, scaled and centred as MNIST's digits were
(``purenn.data.preprocess.mnist_style``: a 20x20 box, centre of mass in the middle).
"""

import os
import re
from array import array

from ..errors import DataError
from ..fileio import read_bytes, write_bytes
from .png import MAX_PIXELS, SIGNATURE, check_size, decode_png

MAX_DIGITS = 9
SAMPLE = re.compile(rb"\S+")
# the largest image file read: a P2 file of MAX_PIXELS samples of 5 digits and a space
MAX_FILE_BYTES = 6 * MAX_PIXELS + (1 << 20)
# the largest picture read_digit scales (the pure-Python unfiltering and scaling of a
# larger one would take minutes): 2048 x 2048
MAX_DIGIT_PIXELS = 1 << 22


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
    write_bytes(path, blob)


def read_image(path, *, expect=None, why="expected", max_pixels=MAX_PIXELS):
    """(width, height, channels, pixels) of an 8-bit PNG (1 gray, 2 gray + alpha, 3 RGB,
    4 RGBA channels) or a PGM file (1); when ``expect`` (width, height) is given, another
    size is refused before the pixels are decoded, as is one over ``max_pixels``."""
    path = os.fspath(path)
    blob = read_bytes(path, DataError, max_bytes=MAX_FILE_BYTES)
    if blob.startswith(SIGNATURE):
        return decode_png(blob, path, expect=expect, why=why, max_pixels=max_pixels)
    if blob[:2] in (b"P5", b"P2"):
        width, height, pixels = decode_pgm(blob, path, expect=expect, why=why,
                                           max_pixels=max_pixels)
        return width, height, 1, pixels
    raise DataError(f"{path}: neither a PNG nor a PGM file (it starts with {blob[:8]!r})")


def to_gray(channels, pixels):
    """8-bit gray bytes of interleaved pixels with 1-4 channels (see the module's
    docstring for color and transparency)."""
    if channels == 1:
        return bytes(pixels)
    if channels in (3, 4):
        luma = [(299 * r + 587 * g + 114 * b + 500) // 1000 for r, g, b in
                zip(pixels[0::channels], pixels[1::channels], pixels[2::channels])]
    else:
        luma = list(pixels[0::2])
    if channels in (1, 3):
        return bytes(luma)
    alpha = pixels[channels - 1::channels]
    opaque = [y for y, a in zip(luma, alpha) if a >= 128]
    background = 255 if not opaque or sum(opaque) / len(opaque) < 128 else 0
    return bytes((y * a + background * (255 - a) + 127) // 255 for y, a in zip(luma, alpha))


def read_gray(path, *, expect=None, why="expected"):
    """(width, height, pixels) of an 8-bit PNG or a PGM file, made gray (``to_gray``);
    when ``expect`` (width, height) is given, another size is refused before the pixels
    are decoded."""
    width, height, channels, pixels = read_image(path, expect=expect, why=why)
    return width, height, to_gray(channels, pixels)


COLOR_WORDS = {1: "gray", 2: "gray + alpha", 3: "RGB", 4: "RGBA"}


def read_digit(path, shape=(28, 28), *, invert=None, notes=None):
    """An image file as a network of MNIST digits takes it: one flat row of numbers in
    [0, 1] (x/255), light ink on black. ``invert``: None to detect dark ink on a light
    background (a light border), True to invert always, False never. A picture of
    another size than ``shape`` is scaled and centred as MNIST's digits were (``shape``
    must then be 28x28). ``notes``, a list, receives what was done, in words."""
    from ..data import preprocess

    notes = [] if notes is None else notes
    width, height, channels, pixels = read_image(path, max_pixels=MAX_DIGIT_PIXELS)
    gray = to_gray(channels, pixels)
    if channels != 1:
        notes.append(f"{COLOR_WORDS[channels]} made gray")
    border = preprocess._border_mean(list(gray), width, height)
    dark_ink = invert if invert is not None else border > 127
    if (width, height) == (shape[1], shape[0]):
        if dark_ink:
            gray = bytes(255 - v for v in gray)
    elif tuple(shape) == (preprocess.SIZE, preprocess.SIZE):
        gray = preprocess.mnist_style(gray, width, height,
                                      ink="dark" if dark_ink else "light")
        if not any(gray):
            raise DataError(f"{path}: the {width}x{height} picture is blank (no "
                            f"{'dark' if dark_ink else 'light'} ink on its "
                            f"{'light' if dark_ink else 'dark'} background), so there is "
                            f"no digit to scale into 28x28")
        notes.append(f"{width}x{height} scaled into {preprocess.BOX}x{preprocess.BOX}, "
                     f"centred by centre of mass in {preprocess.SIZE}x{preprocess.SIZE} "
                     f"(as MNIST)")
    else:
        check_size(width, height, path, expect=(shape[1], shape[0]),
                   why="the network takes")
    if dark_ink:
        notes.append("inverted (--invert)" if invert else
                     "inverted: dark ink on a light background detected")
    return [v / 255.0 for v in gray]
