"""PNG and SVG output decoded back in the test itself (chunks parsed, CRCs checked,
data decompressed), and the PNG/PGM readers predict uses."""

import struct
import zlib

import pytest

from purenn.errors import DataError
from purenn.viz import images, png
from purenn.viz.raster import Canvas


def decode(blob):
    """(width, height, color type, rows) of a filter-0 8-bit PNG, checked by hand."""
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(blob):
        (length,) = struct.unpack(">I", blob[pos:pos + 4])
        kind, data = blob[pos + 4:pos + 8], blob[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", blob[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        chunks.append((kind, data))
        pos += 12 + length
    assert [k for k, _ in chunks][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
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


def test_read_gray_takes_png_and_pgm_and_refuses_rgb(tmp_path):
    pixels = bytes(range(0, 255, 17))[:12]
    png.write_png(tmp_path / "g.png", 4, 3, pixels)
    assert images.read_gray(tmp_path / "g.png") == (4, 3, pixels)
    images.write_pgm(tmp_path / "g.pgm", 4, 3, pixels)
    assert images.read_gray(tmp_path / "g.pgm") == (4, 3, pixels)
    (tmp_path / "a.pgm").write_bytes(b"P2\n# a comment\n3 1\n15\n0 15 5\n")
    assert images.read_gray(tmp_path / "a.pgm") == (3, 1, bytes((0, 255, 85)))
    png.write_png(tmp_path / "c.png", 1, 1, bytes(3), channels=3)
    with pytest.raises(DataError) as err:
        images.read_gray(tmp_path / "c.png")
    assert str(err.value) == (f"{tmp_path / 'c.png'}: the PNG is RGB, not grayscale; save it "
                              f"as 8-bit grayscale")
    (tmp_path / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    with pytest.raises(DataError, match=r"neither a PNG nor a PGM file"):
        images.read_gray(tmp_path / "x.jpg")


def test_read_digit(tmp_path):
    png.write_png(tmp_path / "d.png", 28, 28, bytes([255]) * 784)
    assert images.read_digit(tmp_path / "d.png") == [1.0] * 784
    assert images.read_digit(tmp_path / "d.png", invert=True) == [0.0] * 784
    png.write_png(tmp_path / "s.png", 4, 3, bytes(12))
    with pytest.raises(DataError, match=r"the image is 4x3 pixels; the network takes 28x28"):
        images.read_digit(tmp_path / "s.png")
