"""A fuzzing campaign against purenn's file readers: only PurennError may escape, no case
may hang, no case may blow up memory.

Each reader gets inputs from two sources, mixed case by case:

- structure-aware generators that build a file of the reader's kind with every field
  drawn from valid values, edge values (0, 2**32 - 1, 2**64 - 1, numbers of thousands of
  digits, NaN, deep nesting, repeated keys, wrong types) and lies (sizes declared but not
  present, zip and gzip members that inflate to far more than they say), with lengths
  and checksums fixed up so that the reader gets past them;
- a byte-level mutation loop over valid seed files and the generated ones (bit flips,
  interesting bytes and integers, insertions, deletions, duplications, truncation,
  splicing two inputs), as AFL and libFuzzer do.

Case ``i`` of reader ``r`` under ``--seed s`` is made by ``random.Random(f"{r}:{s}:{i}")``
alone, so any finding is reproduced by its index (``--reader r --start i --cases 1``).

Per case the worker measures CPU time (limit ``--case-seconds``, enforced by a profiling
timer signal, and by the parent, which kills a worker that makes no progress) and peak memory (the
process's VmHWM, reset before each case; a blow-up is growth over 4x the bytes the case
decoded to + 50 MB). The address space is capped so that a blow-up is a MemoryError
in the worker, never a machine out of memory.

    PYTHONPATH=. python tests/fuzz/readers.py --cases 1000000      # every reader
    PYTHONPATH=. python tests/fuzz/readers.py --reader npz --cases 5000 --seed 7

It prints, per reader: cases, refused (PurennError), accepted, crashes (other
exceptions), hangs, blow-ups, the slowest case and the largest memory growth; findings
are written to ``--out`` as the input bytes with a JSON line describing each.
"""

import argparse
import functools
import gzip
import io
import json
import multiprocessing
import os
import random
import resource
import signal
import struct
import sys
import tempfile
import time
import warnings
import zipfile
import zlib

from purenn.data import idx, mnist
from purenn.formats import npy, pkl, safetensors
from purenn.formats.tensor import DTYPES, Tensor
from purenn.viz import images, png

# harness.py beside this file, also when this file is loaded by its path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import MB  # noqa: E402

# tests/pkl_files.py: pickles assembled opcode by opcode, as NumPy writes them
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pkl_files  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
ALPHABET = "abcAB01_.-/ \\\"'{}[]:,\n\x00é€"
RESET_ABOVE = 4 * MB  # the peak is reset after a case that grew more than this
ADDRESS_SPACE = 1536 * MB  # over the worker's own size: a blow-up becomes MemoryError
INTERESTING = [0, 1, 2, 3, 7, 8, 10, 16, 28, 255, 256, 784, 1000, 4096, 32767, 32768,
               65535, 65536, 10 ** 6, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
               2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, 2 ** 64]


# -- random building blocks ----------------------------------------------------------------
def some_int(rng):
    pick = rng.random()
    if pick < 0.6:
        return rng.choice(INTERESTING) * rng.choice((1, 1, 1, -1))
    if pick < 0.9:
        return rng.randrange(-4, 64)
    return int("9" * rng.choice((20, 400)))


def some_text(rng):
    pick = rng.random()
    if pick < 0.3:
        return rng.choice(["", "a", "W1", "dense1.W", "__metadata__", "<f8", "F64", "\x00",
                           "é", "\ud800", "../x", "a" * 300])
    return "".join(rng.choices(ALPHABET, k=rng.randrange(0, 12)))


def some_json(rng, depth=0):
    """A random JSON-able value, sometimes deep, large, or with awkward numbers."""
    pick = rng.random()
    if depth > 3 or pick < 0.35:
        return one_of(rng, lambda: some_int(rng), lambda: some_text(rng), None, True, False,
                      0.5, -1e308, 1e-320)
    if pick < 0.6:
        return [some_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {some_text(rng): some_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def clean(text):
    """``text`` without lone surrogates (which no encoder writes)."""
    return text.encode("utf-8", "replace").decode("utf-8")


@functools.cache
def zeros_gzip(size):
    """A gzip member of ``size`` zero bytes (about 1000 times smaller)."""
    return gzip.compress(bytes(size), compresslevel=9, mtime=0)


@functools.cache
def zeros_zlib(size):
    return zlib.compress(bytes(size), 9)


def deep(rng, opener="[", closer="]"):
    levels = rng.choice((50, 1000, 100_000))
    return opener * levels + closer * levels


# -- seed files of each kind ------------------------------------------------------------
def seed_tensor(rng):
    dtype = rng.choice(list(DTYPES))
    shape = tuple(rng.randrange(0, 4) for _ in range(rng.randrange(0, 4)))
    count = 1
    for size in shape:
        count *= size
    kind = DTYPES[dtype][0]
    if kind == "f":
        values = [rng.choice((0.0, 1.5, -2.0, 0.25)) for _ in range(count)]
    elif kind == "b":
        values = [rng.random() < 0.5 for _ in range(count)]
    else:
        values = [rng.randrange(0, 100) for _ in range(count)]
    return Tensor(shape, values, dtype)


def seed_npy(rng):
    return npy.encode_npy(seed_tensor(rng), byteorder=rng.choice("<>"),
                          fortran_order=rng.random() < 0.3,
                          version=rng.choice([(1, 0), (2, 0), (3, 0)]))


def seed_npz(rng):
    arrays = {f"a{i}": seed_tensor(rng) for i in range(rng.randrange(0, 4))}
    return npy.encode_npz(arrays, compress=rng.random() < 0.5)


def seed_pkl(rng):
    arrays = {f"W{i}": seed_tensor(rng) for i in range(rng.randrange(0, 4))}
    options = {"order": rng.choice("<>"), "fortran": rng.random() < 0.3,
               "core": rng.choice(("numpy._core", "numpy.core"))}
    protocol = rng.randrange(6)
    if rng.random() < 0.1:
        return pkl_files.dumps_one(seed_tensor(rng), protocol, **options)
    return pkl_files.dumps(arrays, protocol, **options)


def seed_safetensors(rng):
    tensors = {}
    for i in range(rng.randrange(0, 4)):
        t = seed_tensor(rng)
        tensors[f"t{i}"] = t
    metadata = {"spec": "input 2\ndense 3\n", "format": "purenn.model"} \
        if rng.random() < 0.5 else None
    return safetensors.encode(tensors, metadata)


def idx_blob(type_code, dims, body, compress):
    blob = struct.pack(f">HBB{len(dims)}I", 0, type_code, len(dims), *dims) + body
    return gzip.compress(blob, mtime=0) if compress else blob


def seed_idx(rng):
    type_code = rng.choice(list(idx.TYPES))
    dims = tuple(rng.randrange(0, 5) for _ in range(rng.randrange(1, 4)))
    count = 1
    for size in dims:
        count *= size
    body = bytes(rng.randrange(256) for _ in range(count * idx.TYPES[type_code][1]))
    return idx_blob(type_code, dims, body, rng.random() < 0.5)


def seed_pair(rng):
    count, rows, cols = rng.randrange(1, 5), rng.randrange(1, 4), rng.randrange(1, 4)
    compress = rng.random() < 0.5
    images_blob = idx_blob(8, (count, rows, cols),
                           bytes(rng.randrange(256) for _ in range(count * rows * cols)),
                           compress)
    labels_blob = idx_blob(8, (count,), bytes(rng.randrange(10) for _ in range(count)),
                           compress)
    return pack_pair(images_blob, labels_blob)


def pack_pair(images_blob, labels_blob):
    """Two files as one input: a 4-byte length, the images file, the labels file."""
    return struct.pack(">I", len(images_blob)) + images_blob + labels_blob


def unpack_pair(blob):
    (n,) = struct.unpack_from(">I", blob.ljust(4, b"\0"))
    return blob[4:4 + n], blob[4 + n:]


def chunk(kind, data, fix_crc=True):
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF if fix_crc else 0
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def seed_png(rng):
    width, height = rng.randrange(1, 6), rng.randrange(1, 6)
    channels = rng.choice((1, 3))
    pixels = bytes(rng.randrange(256) for _ in range(width * height * channels))
    return png.encode_png(width, height, pixels, channels)


def seed_pgm(rng):
    width, height = rng.randrange(1, 6), rng.randrange(1, 6)
    if rng.random() < 0.5:
        return images.encode_pgm(width, height,
                                 bytes(rng.randrange(256) for _ in range(width * height)))
    maxval = rng.choice((1, 15, 255, 1000, 65535))
    samples = " ".join(str(rng.randrange(maxval + 1)) for _ in range(width * height))
    return f"P2\n# a comment\n{width} {height}\n{maxval}\n{samples}\n".encode()


# -- structure-aware generators ---------------------------------------------------------------
def one_of(rng, *makers):
    """The value of one of ``makers`` (values, or functions of no argument to call)."""
    made = rng.choice(makers)
    return made() if callable(made) else made


def npy_header_text(rng):
    fields = {
        "descr": one_of(rng, "'<f8'", "'>i4'", "'|u1'", "'|b1'", "'<f2'", "'=f4'", "'|O'",
                        "'<U3'", "[('a', '<f8')]", lambda: "'<f" + "9" * 5000 + "'", "1",
                        "None", "'<f8' '<f4'", lambda: repr(some_text(rng))),
        "fortran_order": one_of(rng, "False", "True", "0", "None", "'no'"),
        "shape": one_of(
            rng, "()", "(3,)", "(2, 3)", "(0,)", lambda: f"({some_int(rng)},)",
            lambda: f"({some_int(rng)}, {some_int(rng)})", lambda: "(" + "9" * 5000 + ",)",
            "(1,) * 3", "[2]", "(True,)", "(2.0,)", lambda: "(" + "1, " * 3000 + ")",
            lambda: deep(rng, "(", ")"),
            lambda: repr(tuple(some_int(rng) for _ in range(6)))),
    }
    keys = list(fields)
    if rng.random() < 0.2:
        keys.remove(rng.choice(keys))
    if rng.random() < 0.2:
        keys.append(rng.choice(["'x'", "1", "(1, 2)", "[1]", "{1}", "None", "'descr'"]))
    items = []
    for key in keys:
        name = f"'{key}'" if key in fields else key
        items.append(f"{name}: {fields[key] if key in fields else repr(some_json(rng))}")
    text = "{" + ", ".join(items) + ", }"
    if rng.random() < 0.1:
        text = one_of(rng, lambda: deep(rng, "{", "}"), "{" * 100, "[1, 2]", "set()",
                      "{1, [2]}", "{[1]: 2}", "__import__('os')", "b'\\x00'", "1e999999")
    return text


def gen_npy(rng):
    text = npy_header_text(rng).encode("latin-1", "replace")
    version = rng.choice([(1, 0), (2, 0), (3, 0), (1, 0)])
    prefix = 10 if version == (1, 0) else 12
    padded = text + b" " * (-(prefix + len(text) + 1) % 64) + b"\n"
    length = len(padded) if rng.random() < 0.9 else some_int(rng) % (2 ** 32)
    if version == (1, 0):
        length %= 2 ** 16
    head = b"\x93NUMPY" + bytes(version) + struct.pack(
        "<H" if version == (1, 0) else "<I", length) + padded
    return head + rng.randbytes(rng.choice((0, 1, 8, 24, 100)))


def lie_sizes(archive, rng):
    """Rewrite the sizes a zip declares (local and central headers) with other values."""
    data = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 18), (b"PK\x01\x02", 20)):
        at = data.find(signature)
        while at >= 0:
            if at + offset + 8 <= len(data):
                which = rng.choice((0, 4))  # compressed or uncompressed size
                struct.pack_into("<I", data, at + offset + which,
                                 rng.choice(INTERESTING[:23]) % 2 ** 32)
            at = data.find(signature, at + 4)
    return bytes(data)


def gen_npz(rng):
    buffer = io.BytesIO()
    # bzip2 and lzma members must be refused unread; lzma is rare (it is slow to set up)
    methods = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED] * 40 + [zipfile.ZIP_BZIP2] * 4 \
        + [zipfile.ZIP_LZMA]
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(rng.randrange(1, 4)):
            name = one_of(rng, f"a{i}.npy", f"a{i}.npy", "x.txt", "../e.npy", ".npy", "dir/",
                          lambda: f"{clean(some_text(rng))}.npy")
            member = one_of(rng, lambda: seed_npy(rng), lambda: gen_npy(rng),
                            lambda: bomb_npy(rng))
            info = zipfile.ZipInfo(name)
            info.compress_type = rng.choice(methods)
            archive.writestr(info, member)
    data = buffer.getvalue()
    if rng.random() < 0.3:
        data = lie_sizes(data, rng)
    return data


def bomb_npy(rng):
    """A .npy whose header declares far more data than follows, or whose data is a
    long run of zeros (which deflates ~1000:1)."""
    count = rng.choice((10 ** 6, 2 ** 27, 2 ** 40, 1 << 14))
    array_header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({count},), }}"
    raw = array_header.encode() + b" " * (-(11 + len(array_header)) % 64) + b"\n"
    head = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw
    zeros = 8 * count if count <= 1 << 14 else rng.choice((0, 64, 4096))
    return head + bytes(zeros)


def pkl_text(rng, text):
    raw = text.encode("utf-8", "surrogatepass")
    return one_of(rng, lambda: b"X" + struct.pack("<I", len(raw)) + raw,
                  lambda: b"\x8c" + bytes([len(raw) % 256]) + raw,
                  lambda: b"V" + raw.replace(b"\n", b"") + b"\n")


def pkl_token(rng):
    """One opcode with its argument: valid ones, NumPy's globals, lies and foreign ones."""
    big = lambda: rng.choice(INTERESTING) % 2 ** 64  # noqa: E731
    return one_of(
        rng, b"(", b"}", b")", b"N", b"\x88", b"\x89", b"t", b"\x85", b"\x86", b"\x87",
        b"R", b"b", b"s", b"u", b"d", b"\x94", b".", b"I01\n", b"I00\n",
        lambda: b"K" + bytes([rng.randrange(256)]),
        lambda: b"M" + struct.pack("<H", rng.randrange(65536)),
        lambda: b"J" + struct.pack("<i", rng.choice((-1, 0, 3, 2 ** 31 - 1))),
        lambda: b"\x8a\x08" + struct.pack("<Q", big()), lambda: b"I%d\n" % some_int(rng),
        lambda: b"q" + bytes([rng.randrange(8)]), lambda: b"h" + bytes([rng.randrange(8)]),
        lambda: b"r" + struct.pack("<I", big() % 2 ** 32),
        lambda: b"j" + struct.pack("<I", big() % 2 ** 32),
        lambda: b"p%d\n" % rng.randrange(8), lambda: b"g%d\n" % rng.randrange(8),
        lambda: pkl_text(rng, rng.choice(["W1", "b", "f8", "<", ">", "|", "C", "F", "latin1",
                                          "O8", "c16", "U3", "f4", "numpy", "dtype"])),
        lambda: pkl_text(rng, some_text(rng)),
        lambda: b"C" + bytes([n := rng.choice((0, 1, 8, 16, 24))]) + bytes(n),
        lambda: b"C\x01b",
        lambda: b"B" + struct.pack("<I", big() % 2 ** 32) + bytes(rng.choice((0, 8, 64))),
        lambda: b"\x8e" + struct.pack("<Q", big()) + bytes(rng.choice((0, 8))),
        lambda: b"\x96" + struct.pack("<Q", rng.choice((0, 8, 16, big()))) + bytes(16),
        lambda: b"\x95" + struct.pack("<Q", big()),
        lambda: b"X" + struct.pack("<I", big() % 2 ** 32),
        lambda: b"c" + rng.choice([b"numpy.core.multiarray\n_reconstruct\n",
                                   b"numpy._core.multiarray\n_reconstruct\n",
                                   b"numpy\nndarray\n", b"numpy\ndtype\n",
                                   b"numpy.core.numeric\n_frombuffer\n",
                                   b"numpy._core.multiarray\nscalar\n", b"_codecs\nencode\n",
                                   b"__builtin__\nbytes\n", b"os\nsystem\n",
                                   b"builtins\neval\n", b"numpy\nload\n", b"x" * 300]),
        lambda: pkl_text(rng, "numpy") + pkl_text(rng, rng.choice(["dtype", "ndarray"]))
        + b"\x93",
        lambda: bytes([rng.randrange(256)]),
        lambda: rng.choice([b"(", b"\x94", b"h\x00", b"\x85", b"N", b"K\x01"])
        * rng.choice((20, 1000, 120_000)),
    )


def gen_pkl(rng):
    """A pickle of NumPy's opcodes in random order and number, often around valid array
    pickles, so that the reader meets every opcode in every state of its machine."""
    protocol = rng.randrange(6)
    parts = [b"\x80" + bytes([protocol])] if protocol >= 2 or rng.random() < 0.1 else []
    if rng.random() < 0.5:
        valid = pkl_files.dumps({"W": seed_tensor(rng)}, protocol)
        cut = rng.randrange(len(valid))
        parts += [valid[2 if protocol >= 2 else 0:cut]]
        parts += [pkl_token(rng) for _ in range(rng.randrange(1, 6))]
        parts += [valid[cut:]]
    else:
        parts += [pkl_token(rng) for _ in range(rng.randrange(1, 40))]
        if rng.random() < 0.8:
            parts.append(b".")
    if rng.random() < 0.01:  # megabytes of small values dropped into tuples (slow cases)
        group = rng.choice((b"N\x85", b"}", b"K\x01K\x02\x86", b"h\x00"))
        parts.insert(1, (b"(" + group * (100_000 // len(group)) + b"t")
                     * rng.choice((2, 20, 60)))
    if rng.random() < 0.02:  # an array's state remembered, then filling more arrays
        valid = pkl_files.dumps({"W": seed_tensor(rng)}, rng.randrange(1, 5))
        at = valid.rindex(b"bu.")
        again = (b"X\x02\x00\x00\x00W2cnumpy.core.multiarray\n_reconstruct\n"
                 b"cnumpy\nndarray\nK\x00\x85C\x01b\x87Rh\xf0b")
        return valid[:at] + b"q\xf0b" + again * rng.choice((1, 10, 1000)) + b"u."
    return b"".join(parts)


def gen_safetensors(rng):
    header = {}
    offset = 0
    for i in range(rng.randrange(0, 5)):
        dtype = one_of(rng, "F64", "F32", "F16", "I64", "U8", "BOOL", "BF16", "F128",
                       lambda: some_text(rng), 5, None, ["F64"])
        shape = one_of(rng, [2, 3], [], [0], lambda: [some_int(rng)],
                       lambda: [some_int(rng)] * 3, [1] * 100, "2", [2.0], [-1], [True],
                       lambda: some_json(rng))
        size = 24
        offsets = one_of(rng, [offset, offset + size], [0, 0],
                         lambda at=offset: [at, some_int(rng)],
                         lambda: [some_int(rng), some_int(rng)], [offset], "0,8",
                         [offset, offset + size, 1])
        entry = {"dtype": dtype, "shape": shape, "data_offsets": offsets}
        if rng.random() < 0.1:
            entry = one_of(rng, lambda: some_json(rng), {"dtype": dtype},
                           dict(entry, extra=1))
        header[rng.choice([f"t{i}", some_text(rng)])] = entry
        offset += size
    if rng.random() < 0.5:
        header["__metadata__"] = one_of(rng, {"spec": "input 2\n"}, lambda: some_json(rng),
                                        {"a": [1, 2]}, {"a": "b" * 1000})
    text = json.dumps(header, ensure_ascii=rng.random() < 0.5)
    pick = rng.random()
    if pick < 0.05:
        text = deep(rng)
    elif pick < 0.08:  # repeated names, many of them: the check must stay linear
        names = 40_000 if rng.random() < 0.1 else rng.choice((2, 100))
        half = max(names // 2, 1)
        text = "{" + ",".join(f'"t{i % half}":{{}}' for i in range(names)) + "}"
    elif pick < 0.1:
        text = text.replace("1", "1" + "0" * rng.choice((50, 5000)), 1)
    elif pick < 0.12:
        text = text.replace("0", "NaN", 1)
    blob = text.encode("utf-8", "surrogatepass")
    length = len(blob) if rng.random() < 0.9 else some_int(rng) % 2 ** 64
    return struct.pack("<Q", length) + blob + rng.randbytes(rng.choice((0, 8, 24, offset)))


def gen_idx(rng):
    type_code = rng.choice(list(idx.TYPES) + [0, 7, 0xFF])
    ndim = rng.choice((0, 1, 2, 3, 3, 4, 255))
    dims = [rng.choice((0, 1, 2, 3, 28, some_int(rng) % 2 ** 32)) for _ in range(ndim)]
    body_size = rng.choice((0, 1, 16, 1000))
    body = bytes(body_size) if rng.random() < 0.5 else rng.randbytes(body_size)
    blob = struct.pack(">HBB", 0 if rng.random() < 0.9 else 0x0801, type_code % 256,
                       ndim) + b"".join(struct.pack(">I", d) for d in dims) + body
    pick = rng.random()
    if pick < 0.4:
        return gzip.compress(blob, mtime=0)
    if pick < 0.5:  # a gzip bomb behind the header: megabytes of zeros in a second member
        return gzip.compress(blob, mtime=0) + zeros_gzip(rng.choice((1, 8, 32)) * MB)
    if pick < 0.55:
        return gzip.compress(blob, mtime=0)[:-rng.randrange(1, 12)]
    return blob


def gen_pair(rng):
    count = rng.choice((1, 3, 100, 10 ** 6, 2 ** 32 - 1))
    rows, cols = rng.choice(((28, 28), (0, 0), (2, 3), (1, 1)))
    images_blob = idx_blob(rng.choice((8, 8, 9)), rng.choice(((count, rows, cols),
                                                              (count, rows), (count,))),
                           bytes(rng.choice((0, 6, 784))), rng.random() < 0.5)
    labels_count = rng.choice((count, 3, 100, 0))
    labels = bytes(rng.choice((0, 3, 9, 10, 255)) for _ in range(min(labels_count, 200)))
    labels_blob = idx_blob(rng.choice((8, 8, 0x0C)), (labels_count,), labels,
                           rng.random() < 0.5)
    if rng.random() < 0.3:
        images_blob = gen_idx(rng)
    if rng.random() < 0.3:
        labels_blob = gen_idx(rng)
    return pack_pair(images_blob, labels_blob)


def gen_png(rng):
    width = rng.choice((1, 3, 28, 0, 2 ** 31 - 1, 2 ** 32 - 1, 4096, 5000))
    height = rng.choice((1, 2, 28, 0, 2 ** 31 - 1, 4096, 65536))
    depth = rng.choice((8, 8, 8, 1, 16, 0))
    color = rng.choice((0, 2, 4, 6, 3, 7))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, rng.choice((0, 0, 1)),
                       rng.choice((0, 0, 1)), rng.choice((0, 0, 0, 1)))
    if rng.random() < 0.1:
        ihdr = ihdr[:rng.randrange(13)]
    channels = png.CHANNELS.get(color, 1)
    real_w, real_h = (width, height) if max(width, height, width * height) <= 4096 \
        else (3, 2)
    rows = b"".join(bytes([rng.randrange(6)]) + rng.randbytes(real_w * channels)
                    for _ in range(real_h))
    if rng.random() < 0.1:  # an image-data bomb: far more rows than IHDR implies
        data = zeros_zlib(rng.choice((1, 16)) * MB)
    else:
        data = zlib.compress(rows, rng.choice((0, 1, 9)))
    if rng.random() < 0.1:
        data = data[:rng.randrange(len(data) + 1)]
    fix = rng.random() < 0.9
    parts = [chunk(b"IHDR", ihdr, fix)]
    if rng.random() < 0.1:
        parts.append(chunk(b"IHDR", ihdr, fix))
    cut = rng.randrange(len(data) + 1)
    parts += [chunk(b"IDAT", data[:cut], fix), chunk(b"IDAT", data[cut:], fix)]
    if rng.random() < 0.2:
        parts.insert(rng.randrange(len(parts) + 1), chunk(b"tEXt", rng.randbytes(20), fix))
    if rng.random() < 0.9:
        parts.append(chunk(b"IEND", b"", fix))
    if rng.random() < 0.1:
        rng.shuffle(parts)
    return png.SIGNATURE + b"".join(parts)


def gen_pgm(rng):
    def number():
        return rng.choice(["1", "3", "28", "0", "255", "256", "65535", "65536", "-1", "+2",
                           "9" * rng.choice((10, 5000)), "2_0", "x", "", "1e3"])

    magic = rng.choice(("P5", "P2", "P2", "P6", "P5"))
    comment = rng.choice(("", "# c\n", "#\n", "# unterminated"))
    header = f"{magic}\n{comment}{number()} {number()}\n{number()}"
    if rng.random() < 0.8:
        width, height = rng.choice((1, 2, 3, 28)), rng.choice((1, 2, 3, 28))
        maxval = rng.choice((1, 15, 255, 256, 65535))
        header = f"{magic}\n{comment}{width} {height}\n{maxval}"
        count = width * height
    else:
        count = rng.randrange(0, 20)
    if magic == "P2":
        body = " ".join(number() if rng.random() < 0.1 else str(rng.randrange(300))
                        for _ in range(count + rng.choice((0, 0, -1, 1)))).encode()
    else:
        body = rng.randbytes(max(count + rng.choice((0, 0, -1, 1)), 0))
    return header.encode() + rng.choice((b"\n", b" ", b"", b"\n\n")) + body


# -- byte-level mutations -------------------------------------------------------------------
def mutate(rng, data, other):
    data = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 5, 8))):
        op = rng.randrange(10)
        at = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[at % len(data)] ^= 1 << rng.randrange(8)
        elif op == 1 and data:
            data[at % len(data)] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x0A, 0x2C))
        elif op == 2:
            value = rng.choice(INTERESTING)
            size, order = rng.choice(((2, ">H"), (2, "<H"), (4, ">I"), (4, "<I"),
                                      (8, "<Q"), (8, ">Q")))
            data[at:at + size] = struct.pack(order, value % (1 << (8 * size)))
        elif op == 3:
            data[at:at] = rng.randbytes(rng.choice((1, 2, 4, 16)))
        elif op == 4:
            del data[at:at + rng.choice((1, 2, 4, 16, 256))]
        elif op == 5 and data:
            start = rng.randrange(len(data))
            piece = data[start:start + rng.choice((1, 4, 16, 64))]
            data[at:at] = piece * rng.choice((1, 2, 16))
        elif op == 6:
            del data[at:]
        elif op == 7 and other:
            start = rng.randrange(len(other))
            data[at:] = other[start:]
        elif op == 8 and data:
            digit = data.find(b"1", at)
            if digit >= 0:
                data[digit:digit + 1] = b"9" * rng.choice((3, 20, 5000))
        elif op == 9 and data:
            data[at % len(data)] = rng.randrange(256)
    return bytes(data)


# -- the readers under test ---------------------------------------------------------------------
def read_pair(blob, folder):
    images_blob, labels_blob = unpack_pair(blob)
    paths = [os.path.join(folder, "images.idx"), os.path.join(folder, "labels.idx")]
    for path, data in zip(paths, (images_blob, labels_blob)):
        with open(path, "wb") as f:
            f.write(data)
    images_data, labels_data = mnist._read_pair(*paths)
    return len(images_data.data) + len(labels_data.data)


def tensors_size(result):
    tensors = result.values() if isinstance(result, dict) else [result]
    return sum(8 * len(t.values) for t in tensors)


READERS = {
    # name: (seed maker, generator, reader(bytes, folder) -> bytes decoded)
    "npy": (seed_npy, gen_npy,
            lambda blob, _: tensors_size(npy.parse_npy(blob, "f.npy"))),
    "npz": (seed_npz, gen_npz,
            lambda blob, _: tensors_size(npy.parse_npz(blob, "f.npz"))),
    "pkl": (seed_pkl, gen_pkl,
            lambda blob, _: tensors_size(pkl.parse_pickle(blob, "f.pkl"))),
    "safetensors": (seed_safetensors, gen_safetensors,
                    lambda blob, _: tensors_size(safetensors.decode(blob, "f")[0])),
    "idx": (seed_idx, gen_idx,
            lambda blob, _: len(bytes(idx.parse_idx(blob, "f.idx").data))),
    "mnist-pair": (seed_pair, gen_pair, read_pair),
    "png": (seed_png, gen_png, lambda blob, _: len(png.decode_png(blob, "f.png")[3])),
    "pgm": (seed_pgm, gen_pgm, lambda blob, _: len(images.decode_pgm(blob, "f.pgm")[2])),
}


POOL_SIZE = 256


@functools.lru_cache(maxsize=8)
def pool(reader, seed):
    """``POOL_SIZE`` inputs made once per reader and seed: seeds and generated files,
    which most cases mutate instead of making a file from scratch (ten times faster)."""
    rng = random.Random(f"{reader}:{seed}:pool")
    seed_maker, generator, _ = READERS[reader]
    return [seed_maker(rng) if i % 2 else generator(rng) for i in range(POOL_SIZE)]


def make_case(reader, seed, index):
    """The input bytes of case ``index`` (see the module docstring)."""
    rng = random.Random(f"{reader}:{seed}:{index}")
    seed_maker, generator, _ = READERS[reader]
    pick = rng.random()
    if pick < 0.6:  # mutate inputs of the pool
        inputs = pool(reader, seed)
        return mutate(rng, rng.choice(inputs), rng.choice(inputs))
    data = seed_maker(rng) if pick < 0.7 else generator(rng)
    if pick < 0.7 or rng.random() < 0.3:
        other = seed_maker(rng) if rng.random() < 0.5 else generator(rng)
        data = mutate(rng, data, other)
    return data


# -- running cases --------------------------------------------------------------------------------
def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class Stats:
    def __init__(self, reader):
        self.reader = reader
        self.cases = self.refused = self.accepted = 0
        self.crashes, self.hangs, self.blowups = [], [], []
        self.slowest = (0.0, None)
        self.most_memory = (0, None)
        self.seconds = 0.0

    def as_dict(self):
        return {"reader": self.reader, "cases": self.cases, "refused": self.refused,
                "accepted": self.accepted, "crashes": len(self.crashes),
                "hangs": len(self.hangs), "blowups": len(self.blowups),
                "slowest_case_s": round(self.slowest[0], 4), "slowest_index": self.slowest[1],
                "max_growth_mb": round(self.most_memory[0] / MB, 1),
                "max_growth_index": self.most_memory[1], "seconds": round(self.seconds, 1)}


def limit_memory():
    """Cap the address space (a blow-up becomes MemoryError) and measure peaks from now."""
    size = harness.status("VmSize")
    resource.setrlimit(resource.RLIMIT_AS, (size + ADDRESS_SPACE, size + ADDRESS_SPACE))


def run_cases(reader, seed, start, count, case_seconds=2.0, out=None, progress=None):
    """Run cases [start, start + count) of ``reader`` in this process; a Stats."""
    stats = Stats(reader)
    check = READERS[reader][2]
    folder = tempfile.mkdtemp(prefix="purenn-fuzz-", dir="/dev/shm"
                              if os.path.isdir("/dev/shm") else None)
    # the limit is CPU time, so that a loaded machine does not turn slow cases into hangs
    old = signal.signal(signal.SIGPROF, harness.raise_case_timeout)
    began = time.perf_counter()
    harness.reset_peak()
    try:
        for index in range(start, start + count):
            if progress is not None:
                progress.value = index
            data = make_case(reader, seed, index)
            base = _rss()
            t0 = time.process_time()
            outcome, message, decoded = harness.run_case(
                check, (data, folder), case_seconds, signal.ITIMER_PROF)
            elapsed = time.process_time() - t0
            growth = harness.status("VmHWM") - base
            if growth > RESET_ABOVE:  # measure the next case from its own start
                harness.reset_peak()
            stats.cases += 1
            if outcome == "refused" and not harness.is_one_line(message):
                outcome, message = "crash", f"not one line: {message!r}"
            if elapsed > case_seconds and outcome != "hang":
                outcome = "hang"
            if outcome in ("accepted", "refused") and harness.grew_too_much(growth, decoded or 0):
                outcome = "blowup"
            if outcome == "accepted":
                stats.accepted += 1
            elif outcome == "refused":
                stats.refused += 1
            else:
                finding = {"reader": reader, "seed": seed, "index": index, "kind": outcome,
                           "seconds": round(elapsed, 3), "growth_mb": round(growth / MB, 1),
                           "input_bytes": len(data)}
                if outcome == "crash":
                    finding["error"] = message[-500:]
                {"crash": stats.crashes, "hang": stats.hangs,
                 "blowup": stats.blowups}[outcome].append(finding)
                save_finding(out, finding, data)
            if elapsed > stats.slowest[0]:
                stats.slowest = (elapsed, index)
            if growth > stats.most_memory[0]:
                stats.most_memory = (growth, index)
    finally:
        signal.signal(signal.SIGPROF, old)
        stats.seconds = time.perf_counter() - began
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
    return stats


def save_finding(out, finding, data):
    if out is None:
        return
    os.makedirs(out, exist_ok=True)
    name = f"{finding['reader']}-{finding['seed']}-{finding['index']}-{finding['kind']}"
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(out, "findings.jsonl"), "a") as f:
        f.write(json.dumps(finding) + "\n")


# -- the campaign: a worker process per batch, watched by the parent ------------------------------
def _worker(reader, seed, start, count, case_seconds, out, progress, results):
    warnings.simplefilter("ignore")  # zipfile's "Duplicate name" while making cases
    limit_memory()
    stats = run_cases(reader, seed, start, count, case_seconds, out, progress)
    results.put(stats.as_dict() | {"crash_list": stats.crashes[:20], "hang_list": stats.hangs[:20],
                                   "blowup_list": stats.blowups[:20]})


def campaign(reader, seed, start, count, *, batch=20_000, case_seconds=2.0, stall=300.0,
             out=None, log=print):
    """Run ``count`` cases of ``reader`` in worker processes of ``batch`` cases each; a
    worker that makes no progress for ``stall`` seconds is killed and its case counted
    as a hang. Returns the summed figures as a dict."""
    total = {"reader": reader, "cases": 0, "refused": 0, "accepted": 0, "crashes": 0,
             "hangs": 0, "blowups": 0, "slowest_case_s": 0.0, "max_growth_mb": 0.0,
             "seconds": 0.0, "findings": []}
    context = multiprocessing.get_context("fork")
    index, end = start, start + count
    while index < end:
        size = min(batch, end - index)
        progress = context.Value("q", index)
        results = context.Queue()
        worker = context.Process(target=_worker, args=(reader, seed, index, size,
                                                       case_seconds, out, progress,
                                                       results))
        began = time.perf_counter()
        worker.start()
        last, last_change, stats = index, time.perf_counter(), None
        while stats is None:
            try:
                stats = results.get(timeout=1.0)
            except Exception:  # queue.Empty
                if progress.value != last:
                    last, last_change = progress.value, time.perf_counter()
                elif time.perf_counter() - last_change > stall or not worker.is_alive():
                    stuck = progress.value
                    worker.kill()
                    kind = "hang" if worker.exitcode is None or worker.exitcode < 0 \
                        else "crash"
                    finding = {"reader": reader, "seed": seed, "index": stuck,
                               "kind": f"{kind} (worker {'killed' if kind == 'hang' else 'died'})"}
                    try:
                        save_finding(out, finding, make_case(reader, seed, stuck))
                    except Exception as exc:  # noqa: BLE001 - the harness itself failed
                        finding["error"] = f"making the case failed: {exc!r}"
                    total["hangs" if kind == "hang" else "crashes"] += 1
                    total["findings"].append(finding)
                    total["cases"] += stuck - index + 1
                    stats = {"cases": 0}
                    size = stuck - index + 1
        worker.join()
        if stats.get("cases"):
            for key in ("cases", "refused", "accepted", "crashes", "hangs", "blowups"):
                total[key] += stats[key]
            total["slowest_case_s"] = max(total["slowest_case_s"], stats["slowest_case_s"])
            total["max_growth_mb"] = max(total["max_growth_mb"], stats["max_growth_mb"])
            total["findings"] += (stats["crash_list"] + stats["hang_list"]
                                  + stats["blowup_list"])
        total["seconds"] += time.perf_counter() - began
        index += size
        log(json.dumps({k: v for k, v in total.items() if k != "findings"}))
    return total


def merge(total, part):
    """Add the figures of ``part`` (a campaign's dict) to ``total``."""
    for key in ("cases", "refused", "accepted", "crashes", "hangs", "blowups", "seconds"):
        total[key] = total.get(key, 0) + part[key]
    for key in ("slowest_case_s", "max_growth_mb"):
        total[key] = max(total.get(key, 0), part[key])
    total.setdefault("findings", []).extend(part["findings"])
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reader", action="append", choices=sorted(READERS),
                        help="a reader to fuzz (repeatable; default: all)")
    parser.add_argument("--cases", type=int, default=10_000, help="cases per reader")
    parser.add_argument("--start", type=int, default=0, help="index of the first case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=20_000,
                        help="cases per worker process; the readers take turns by batch")
    parser.add_argument("--case-seconds", type=float, default=2.0)
    parser.add_argument("--out", default=None, help="folder for findings")
    parser.add_argument("--summary", default=None,
                        help="a JSON file rewritten after every batch with the figures")
    args = parser.parse_args(argv)
    readers = args.reader or list(READERS)
    totals = {reader: {"reader": reader} for reader in readers}
    for start in range(args.start, args.start + args.cases, args.batch):
        size = min(args.batch, args.start + args.cases - start)
        for reader in readers:
            part = campaign(reader, args.seed, start, size, batch=size,
                            case_seconds=args.case_seconds, out=args.out, log=lambda _: None)
            merge(totals[reader], part)
            figures = {k: v for k, v in totals[reader].items() if k != "findings"}
            print(json.dumps(figures | {"through_index": start + size - 1}), flush=True)
            if args.summary:
                with open(args.summary + ".tmp", "w") as f:
                    json.dump({"seed": args.seed, "start": args.start,
                               "python": sys.version.split()[0],
                               "readers": [{k: v for k, v in t.items() if k != "findings"}
                                           for t in totals.values()]}, f, indent=1)
                os.replace(args.summary + ".tmp", args.summary)
    failed = 0
    for total in totals.values():
        failed += total["crashes"] + total["hangs"] + total["blowups"]
        for finding in total["findings"][:10]:
            print("  ", json.dumps(finding), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
