"""Pictures decoded back by hand in the tests: PNG chunks and pixels, SVG elements."""

import struct
import xml.etree.ElementTree as ET
import zlib

SVG = "{http://www.w3.org/2000/svg}"


def png_chunks(blob):
    """[(type, data)] of a PNG, every CRC checked."""
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(blob):
        (length,) = struct.unpack(">I", blob[pos:pos + 4])
        kind, data = blob[pos + 4:pos + 8], blob[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", blob[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        chunks.append((kind, data))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    return chunks


def decode_png(blob):
    """(width, height, rows of RGB bytes) of an 8-bit RGB filter-0 PNG."""
    chunks = png_chunks(blob)
    width, height, depth, color, _, _, _ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color) == (8, 2)
    raw = zlib.decompress(b"".join(d for k, d in chunks if k == b"IDAT"))
    stride = 3 * width
    rows = [raw[y * (stride + 1):(y + 1) * (stride + 1)] for y in range(height)]
    assert all(r[0] == 0 for r in rows)
    return width, height, [r[1:] for r in rows]


def svg_root(text_or_path):
    if hasattr(text_or_path, "read_text"):
        text_or_path = text_or_path.read_text(encoding="utf-8")
    root = ET.fromstring(text_or_path)
    assert root.tag == SVG + "svg"
    return root


def svg_all(root, tag):
    return list(root.iter(SVG + tag))


def svg_texts(root):
    return [t.text for t in svg_all(root, "text")]
