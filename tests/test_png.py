"""PNG and SVG output decoded back in the test itself (chunks parsed, CRCs checked,
data decompressed), and the PNG/PGM readers predict uses."""

import struct
import zlib

import pytest
from pictures import png_chunks

from purenn.errors import DataError
from purenn.viz import images, png
from purenn.viz.raster import Canvas


def decode(blob):
    """(width, height, color type, rows) of a filter-0 8-bit PNG, checked by hand."""
    chunks = png_chunks(blob)
    width, height, depth, color, compression, filt, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1])
    assert (depth, compression, filt, interlace) == (8, 0, 0, 0)
    raw = zlib.decompress(b"".join(d for k, d in chunks if k == b"IDAT"))
    stride = width * {0: 1, 2: 3}[color]
    rows = [raw[y * (stride + 1):(y + 1) * (stride + 1)] for y in range(height)]
    assert all(r[0] == 0 for r in rows)
    return width, height, color, [r[1:] for r in rows]


def test_gray_png_decodes_to_its_pixels():
    pixels = bytes(range(0, 240, 20))
    width, height, color, rows = decode(png.encode_png(4, 3, pixels))
    assert (width, height, color) == (4, 3, 0)
    assert b"".join(rows) == pixels


def test_rgb_canvas_png_decodes_to_its_pixels(tmp_path):
    canvas = Canvas(5, 4, background=(10, 20, 30))
    canvas.set(1, 2, (255, 0, 128))
    canvas.fill_rect(3, 0, 2, 1, (1, 2, 3))
    canvas.save_png(tmp_path / "c.png")
    width, height, color, rows = decode((tmp_path / "c.png").read_bytes())
    assert (width, height, color) == (5, 4, 2)
    assert rows[2][3:6] == bytes((255, 0, 128))
    assert rows[0][9:15] == bytes((1, 2, 3, 1, 2, 3))
    assert rows[3][:3] == bytes((10, 20, 30))
    assert png.read_png(tmp_path / "c.png") == (5, 4, 3, bytes(canvas.pixels))


def filtered_png(width, height, pixels, filters):
    """A gray PNG whose rows use the given filter types (encoded as the spec says)."""
    def paeth(a, b, c):
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

    raw, prev = bytearray(), bytes(width)
    for y in range(height):
        row, kind = pixels[y * width:(y + 1) * width], filters[y]
        out = bytearray()
        for i, v in enumerate(row):
            left = row[i - 1] if i else 0
            up, up_left = prev[i], (prev[i - 1] if i else 0)
            pred = [0, left, up, (left + up) // 2, paeth(left, up, up_left)][kind]
            out.append((v - pred) & 0xFF)
        raw += bytes([kind]) + out
        prev = row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                               8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))


def test_reader_undoes_all_five_filters():
    pixels = bytes((x * 37 + y * 91) % 256 for y in range(5) for x in range(6))
    blob = filtered_png(6, 5, pixels, [0, 1, 2, 3, 4])
    assert png.decode_png(blob) == (6, 5, 1, pixels)


def test_reader_refuses_bad_crc_interlace_and_16_bit():
    blob = bytearray(png.encode_png(2, 2, bytes(4)))
    blob[-20] ^= 1
    with pytest.raises(DataError, match=r"x.png: chunk b'IDAT' at offset 33 fails its CRC"):
        png.decode_png(bytes(blob), "x.png")
    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 1)
    good = png.encode_png(2, 2, bytes(4))
    interlaced = good[:16] + header + struct.pack(">I", zlib.crc32(b"IHDR" + header)) + good[33:]
    with pytest.raises(DataError, match=r"an interlaced \(Adam7\) PNG"):
        png.decode_png(interlaced, "i.png")
    header = struct.pack(">IIBBBBB", 2, 2, 16, 0, 0, 0, 0)
    deep = good[:16] + header + struct.pack(">I", zlib.crc32(b"IHDR" + header)) + good[33:]
    with pytest.raises(DataError) as err:
        png.decode_png(deep, "d.png")
    assert str(err.value) == ("d.png: a 16-bit grayscale PNG; only 8-bit grayscale, RGB and "
                              "RGBA images are read")


def test_read_gray_takes_png_and_pgm_and_makes_color_gray(tmp_path):
    pixels = bytes(range(0, 255, 17))[:12]
    png.write_png(tmp_path / "g.png", 4, 3, pixels)
    assert images.read_gray(tmp_path / "g.png") == (4, 3, pixels)
    images.write_pgm(tmp_path / "g.pgm", 4, 3, pixels)
    assert images.read_gray(tmp_path / "g.pgm") == (4, 3, pixels)
    (tmp_path / "a.pgm").write_bytes(b"P2\n# a comment\n3 1\n15\n0 15 5\n")
    assert images.read_gray(tmp_path / "a.pgm") == (3, 1, bytes((0, 255, 85)))
    # RGB: BT.601 luma, 0.299 R + 0.587 G + 0.114 B
    png.write_png(tmp_path / "c.png", 3, 1, bytes((255, 0, 0, 0, 255, 0, 10, 20, 30)),
                  channels=3)
    assert images.read_gray(tmp_path / "c.png") == (3, 1, bytes((76, 150, 18)))
    (tmp_path / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    with pytest.raises(DataError, match=r"neither a PNG nor a PGM file"):
        images.read_gray(tmp_path / "x.jpg")


def test_transparency_shows_the_background_opposite_to_the_ink():
    # black strokes (alpha 255) on a transparent background: white paper behind
    rgba = bytes((0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128))
    assert images.to_gray(4, rgba) == bytes((0, 255, 127))
    # white strokes on a transparent background: black behind
    rgba = bytes((255, 255, 255, 255, 0, 0, 0, 0))
    assert images.to_gray(4, rgba) == bytes((255, 0))
    assert images.to_gray(2, bytes((200, 255, 0, 0))) == bytes((200, 0))


def _square(width, height, left, top, size, ink=255, paper=0):
    return bytes(ink if left <= x < left + size and top <= y < top + size else paper
                 for y in range(height) for x in range(width))


def test_read_digit_of_the_networks_size(tmp_path):
    png.write_png(tmp_path / "d.png", 28, 28, _square(28, 28, 10, 10, 6))
    light = images.read_digit(tmp_path / "d.png")
    assert light == [v / 255 for v in _square(28, 28, 10, 10, 6)]
    png.write_png(tmp_path / "paper.png", 28, 28, _square(28, 28, 10, 10, 6, ink=0, paper=255))
    notes = []
    assert images.read_digit(tmp_path / "paper.png", notes=notes) == light   # detected
    assert notes == ["inverted: dark ink on a light background detected"]
    assert images.read_digit(tmp_path / "d.png", invert=True) == [1 - v for v in light]
    assert images.read_digit(tmp_path / "paper.png", invert=False) == [1 - v for v in light]


def test_read_digit_scales_and_centres_any_size_as_mnist(tmp_path):
    from purenn.data.preprocess import mnist_style

    drawing = _square(100, 80, 5, 10, 40, ink=0, paper=255)      # dark ink, off centre
    rgba = bytes(c for v in drawing for c in (v, v, v, 255))
    rgb = bytes(c for v in drawing for c in (v, v, v))
    png.write_png(tmp_path / "big.png", 100, 80, rgb, channels=3)
    notes = []
    x = images.read_digit(tmp_path / "big.png", notes=notes)
    expected = mnist_style(bytes(255 - v for v in drawing), 100, 80, ink="light")
    assert x == [v / 255 for v in expected]
    rows = [x[r * 28:(r + 1) * 28] for r in range(28)]
    lit = [r for r, row in enumerate(rows) if any(row)]
    assert (lit[0], lit[-1]) == (4, 23)                           # 20 rows, centred
    assert notes == ["RGB made gray",
                     "100x80 scaled into 20x20, centred by centre of mass in 28x28 (as MNIST)",
                     "inverted: dark ink on a light background detected"]
    png_rgba = png.encode_png(100, 80, rgb, channels=3)
    assert png_rgba.startswith(png.SIGNATURE)
    assert images.to_gray(4, rgba) == drawing


def test_read_digit_refuses_a_huge_picture_before_decoding_it(tmp_path):
    header = struct.pack(">IIBBBBB", 5000, 5000, 8, 6, 0, 0, 0)
    blob = (png.SIGNATURE + struct.pack(">I", 13) + b"IHDR" + header
            + struct.pack(">I", zlib.crc32(b"IHDR" + header)))
    (tmp_path / "huge.png").write_bytes(blob)
    with pytest.raises(DataError, match=r"5000x5000 pixels is over the limit of 4194304"):
        images.read_digit(tmp_path / "huge.png")


# -- hostile images ------------------------------------------------------------------------
def png_of(ihdr, idat=b"", iend=True):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (png.SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
            + (chunk(b"IEND", b"") if iend else b""))


def png_message(blob, **options):
    with pytest.raises(DataError) as info:
        png.decode_png(blob, "h.png", **options)
    return str(info.value)


def test_png_headers_and_sizes_are_checked_before_any_data_is_inflated():
    ihdr = struct.pack(">IIBBBBB", 4096, 4096, 8, 0, 0, 0, 0)
    bomb = zlib.compress(bytes(64 << 20), 9)  # 64 MB of zeros in 64 kB
    assert png_message(png_of(ihdr[:9], bomb)) == "h.png: IHDR holds 9 bytes, 13 expected"
    assert png_message(png_of(ihdr, bomb), expect=(28, 28), why="the network takes") == \
        "h.png: the image is 4096x4096 pixels; the network takes 28x28"
    assert png_message(png_of(struct.pack(">IIBBBBB", 0, 5, 8, 0, 0, 0, 0))) == \
        "h.png: the image is 0x5 pixels; it must have at least one"
    assert png_message(png_of(struct.pack(">IIBBBBB", 2, 2, 8, 0, 1, 0, 0))) == (
        "h.png: IHDR field 'compression' 1 or 'filter' 0 is not 0, the only method PNG "
        "defines")
    assert png_message(png_of(ihdr, bomb)) == \
        "h.png: the image data inflates to more than 16781312 bytes expected from IHDR"
    assert png_message(png_of(struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0),
                              zlib.compress(b"\x00\x01"))) == \
        "h.png: the image data inflates to 2 bytes, 6 bytes expected from IHDR"
    twice = png_of(struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    twice = twice[:33] + twice[8:33] + twice[33:]
    assert png_message(twice) == \
        "h.png: the chunk at offset 33 is b'IHDR'; IHDR must come first and once"


def pgm_message(blob, **options):
    with pytest.raises(DataError) as info:
        images.decode_pgm(blob, "h.pgm", **options)
    return str(info.value)


def test_pgm_numbers_are_bounded_and_checked_against_maxval():
    assert pgm_message(b"P2\n" + b"9" * 5000 + b" 1\n255\n1\n") == (
        "h.pgm: malformed PGM header at offset 3: expected a number of at most 9 digits, "
        "got b'999999999999'")
    assert pgm_message(b"P2\n2 1\n15\n3 16\n") == "h.pgm: pixel 1 is 16, over maxval 15"
    assert pgm_message(b"P2\n2 1\n15\n3 " + b"1" * 5000 + b"\n") == \
        "h.pgm: pixel 1 is b'111111111111', not a number of at most 5 digits"
    assert pgm_message(b"P2\n2 1\n15\n-3 1\n") == \
        "h.pgm: pixel 0 is b'-3', not a number of at most 5 digits"
    assert pgm_message(b"P5\n2 1\n15\n\x03\x10") == "h.pgm: pixel 1 is 16, over maxval 15"
    assert pgm_message(b"P5\n2 1\n0\n\x03\x10") == "h.pgm: PGM maxval 0 is not in 1-65535"
    assert pgm_message(b"P2\n4096 4096\n255\n1 2 3\n", expect=(28, 28),
                       why="the network takes") == \
        "h.pgm: the image is 4096x4096 pixels; the network takes 28x28"
    assert pgm_message(b"P2\n4096 4096\n65535\n1 2 3\n") == \
        "h.pgm: truncated: 3 of 16777216 pixels"
    assert images.decode_pgm(b"P2\n2 1\n65535\n0 65535\n") == (2, 1, b"\x00\xff")
