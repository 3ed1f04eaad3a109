"""Peak memory of purenn's readers on hostile files: bombs and huge declared sizes.

Each file is read (or refused) in a fresh Python process, which reports how far its
resident memory peaked above where it stood just before the read (VmHWM after resetting
it through /proc/self/clear_refs, Linux only). The bound checked is the one of issue 17:

    peak ≤ 4 x (bytes of real content decoded) + 50 MB, whatever the header says

where the real content of a refused file is 0 and that of a file read is what its data
decodes to: the Python objects holding the numbers (a float64 item of 8 bytes becomes a
float object of 24 bytes, 32 with its allocator's alignment, and an 8-byte pointer in
the list). The ratio of the peak to the raw data bytes is printed too. A few honest
files are measured for scale. Three cases run a whole command in the child (issue 22,
rows 15-17): ``import`` of an .npz whose member matches no parameter, and ``train
--data`` on four IDX files whose headers do not fit the network.

    PYTHONPATH=. python benchmarks/reader_memory.py          # a table
    PYTHONPATH=. python benchmarks/reader_memory.py --json   # one JSON line per file
"""

import argparse
import gzip
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

MB = 1 << 20
SLACK = 50 * MB
ZEROS = 16 * MB

CHILD = r"""
import array, io, json, os, sys, contextlib
from purenn import cli
from purenn.errors import PurennError
from purenn.formats import npy, pkl, safetensors
from purenn.data import idx, mnist
from purenn.viz import images


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024


def objects(values):
    # what the decoded numbers occupy: the list and each number object in it; PyPy has
    # no sys.getsizeof and keeps a list of floats (or of ints) unboxed, 8 bytes an item;
    # an array of bytes (uint8, int8, bool) is its own size
    if values is None:
        return 0
    if isinstance(values, array.array):
        return size_of(values)
    if sys.implementation.name == "pypy":
        return 8 * len(values)
    return sys.getsizeof(values) + sum(map(sys.getsizeof, values))


def size_of(data):
    # a bytes-like object: bytes, bytearray or array
    if sys.implementation.name == "pypy":
        return memoryview(data).nbytes
    return sys.getsizeof(data)


def run(kind, paths):
    # (raw bytes of the data decoded, bytes of the Python objects it decoded to)
    if kind in ("npy", "npz", "pkl", "safetensors"):
        if kind == "npy":
            tensors = [npy.read_npy(paths[0])]
        elif kind == "npz":
            tensors = list(npy.read_npz(paths[0]).values())
        elif kind == "pkl":
            tensors = list(pkl.read_pickle(paths[0]).values())
        else:
            tensors = list(safetensors.read_tensors(paths[0])[0].values())
        raw = sum(npy.DTYPES[t.dtype][1] * len(t.values or ()) for t in tensors)
        return raw, sum(objects(t.values) for t in tensors)
    if kind == "idx":
        data = idx.read_idx(paths[0]).data
        return len(data), size_of(data)
    if kind == "mnist-pair":
        pair = mnist._read_pair(*paths)
        return sum(len(d.data) for d in pair), sum(size_of(d.data) for d in pair)
    if kind == "image":
        pixels = images.read_gray(paths[0])[2]
        return len(pixels), size_of(pixels)
    if kind in ("import", "train-data"):
        argv = (["import", paths[0], "--spec", "two_layer", "-o", paths[0] + ".st"]
                if kind == "import" else
                ["train", "--data", os.path.dirname(paths[0]), "--epochs", "1"])
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = cli.main(argv, out=lambda line: None)
        if code:
            raise PurennError(err.getvalue().strip())
        return 0, 0
    raise SystemExit(f"unknown kind {kind}")


kind, paths = sys.argv[1], sys.argv[2:]
open("/proc/self/clear_refs", "w").write("5")
base = status("VmRSS")
try:
    (raw, decoded), outcome = run(kind, paths), "read"
except PurennError as exc:
    raw, decoded, outcome = 0, 0, f"refused: {exc}"
peak = status("VmHWM") - base
print(json.dumps({"peak": peak, "raw": raw, "decoded": decoded, "outcome": outcome}))
"""


def zeros_gzip(count):
    """``count`` x 16 MB of zeros as concatenated gzip members (about 16 kB each)."""
    return gzip.compress(bytes(ZEROS), compresslevel=9, mtime=0) * count


def idx_header(type_code, dims):
    return struct.pack(f">HBB{len(dims)}I", 0, type_code, len(dims), *dims)


def npy_bytes(shape, body=b"", descr="<f8"):
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    raw = text.encode() + b" " * (-(11 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw + body


def zip_bomb(declared_shape, blocks=64):
    """An .npz whose one member is a .npy header and then ``blocks`` x 16 MB (1 GiB) of
    deflated zeros; the zip's headers declare that size truthfully."""
    head = npy_bytes(declared_shape)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts, crc, zeros = [deflater.compress(head)], zlib.crc32(head), bytes(ZEROS)
    for _ in range(blocks):
        parts.append(deflater.compress(zeros))
        crc = zlib.crc32(zeros, crc)
    parts.append(deflater.flush())
    stream, size, name = b"".join(parts), len(head) + blocks * ZEROS, b"W.npy"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(stream),
                        size, len(name), 0)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc,
                          len(stream), size, len(name), 0, 0, 0, 0, 0o644 << 16, 0)
    offset = len(local) + len(name) + len(stream)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name),
                      offset, 0)
    return local + name + stream + central + name + end


def zip_bomb_of(count):
    """An honest .npz of ``count`` float64 zeros, deflated (about 1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("W.npy", npy_bytes((count,), bytes(8 * count)))
    return buffer.getvalue()


def deflated_npz(descr, count, name="W.npy"):
    """An .npz whose one member, deflated, holds ``count`` zero bytes of ``descr``
    (NumPy's savez_compressed of a big uint8 or bool array: 100 MB in 97 kB)."""
    head = npy_bytes((count,), descr=descr)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts, crc, left = [deflater.compress(head)], zlib.crc32(head), count
    while left:
        block = bytes(min(left, ZEROS))
        parts.append(deflater.compress(block))
        crc, left = zlib.crc32(block, crc), left - len(block)
    parts.append(deflater.flush())
    stream, size, raw_name = b"".join(parts), len(head) + count, name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(stream),
                        size, len(raw_name), 0)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc,
                          len(stream), size, len(raw_name), 0, 0, 0, 0, 0o644 << 16, 0)
    offset = len(local) + len(raw_name) + len(stream)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1,
                      len(central) + len(raw_name), offset, 0)
    return local + raw_name + stream + central + raw_name + end


def gib_idx(dims):
    """A gzip IDX file whose 1x1 images (or labels) really hold 2**30 zero bytes."""
    return gzip.compress(idx_header(8, dims), mtime=0) + zeros_gzip(64)


def pkl_bytes(shape, data, protocol=4, shape_items=None):
    """A pickle of {'W': float64 array of ``shape``} as NumPy writes it: the data as
    BINBYTES8 (protocol 4) or as _codecs.encode(text, 'latin1') (protocol 2)."""
    def text(s):
        raw = s.encode("utf-8")
        return b"X" + struct.pack("<I", len(raw)) + raw

    dims = b"".join(b"\x8a\x08" + struct.pack("<q", size) for size in shape)
    dims = b"(" + dims + b"t" if shape_items is None else shape_items
    if protocol >= 4:
        body = b"\x8e" + struct.pack("<Q", len(data)) + data
    else:
        body = b"c_codecs\nencode\n" + text(data.decode("latin-1")) + text("latin1") + b"\x86R"
    return (b"\x80" + bytes([protocol]) + b"}(" + text("W")
            + b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R"
            + b"(K\x01" + dims + b"cnumpy\ndtype\n" + text("f8") + b"\x89\x88\x87R"
            + b"(K\x03" + text("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89"
            + body + b"tbu.")


def safetensors_bytes(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def png_bytes(width, height, idat):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def cases():
    """(name, kind, [file bytes, ...]) of every file measured."""
    gzip_bomb = gzip.compress(idx_header(8, (4, 4)) + bytes(16), mtime=0) + zeros_gzip(64)
    million = gzip.compress(idx_header(8, (1_000_000, 28, 28)), mtime=0) + zeros_gzip(47)
    labels = gzip.compress(idx_header(8, (100,)) + bytes(100), mtime=0)
    return [
        ("gzip bomb: IDX declaring 16 bytes, 1 GiB of zeros inflating", "idx", [gzip_bomb]),
        ("gzip bomb: 1,000,000 images (785 MB inflating) beside 100 labels",
         "mnist-pair", [million, labels]),
        ("zip bomb: .npz member of 1 GiB of deflated zeros, header says 16 items",
         "npz", [zip_bomb((16,))]),
        ("zip bomb: .npz member of 1 GiB of deflated zeros, header says 2**27 items",
         "npz", [zip_bomb((2 ** 27,))]),
        ("huge but real: .npz member of 256 MiB of deflated zeros (2**25 floats)",
         "npz", [zip_bomb_of(2 ** 25)]),
        ("huge declared shape: 128-byte .npy of (2**30, 2**30) floats", "npy",
         [npy_bytes((2 ** 30, 2 ** 30))]),
        ("huge declared shape: .npy of 5*10**7 floats (400 MB), 64 bytes present", "npy",
         [npy_bytes((5 * 10 ** 7,), bytes(64))]),
        ("huge declared shape: pickle of (2**30, 2**30) floats, 8 bytes present", "pkl",
         [pkl_bytes((2 ** 30, 2 ** 30), bytes(8))]),
        ("huge declared length: pickle whose BINBYTES8 declares 2**62 bytes", "pkl",
         [pkl_bytes((4,), b"")[:-4] + b"\x8e" + struct.pack("<Q", 2 ** 62) + bytes(8)]),
        ("memo abuse: pickle of 100,000 memo entries, 90,000 recalls", "pkl",
         [b"\x80\x04N" + b"\x94N" * 99_999 + b"h\x00" * 90_000 + b"."]),
        ("value spam: pickle of 5 MB of one-item tuples in tuples", "pkl",
         [b"\x80\x02" + (b"(" + b"N\x85" * 50_000 + b"t") * 50 + b"."]),
        ("value spam: pickle of 5 MB of empty dicts in tuples", "pkl",
         [b"\x80\x02" + (b"(" + b"}" * 99_990 + b"t") * 50 + b"."]),
        ("huge declared shape: safetensors of [10**6, 10**6] floats", "safetensors",
         [safetensors_bytes({"w": {"dtype": "F64", "shape": [10 ** 6, 10 ** 6],
                                   "data_offsets": [0, 8]}}, bytes(8))]),
        ("huge declared shape: PNG of 4096x4096 pixels, 16 MB of zeros inflating",
         "image", [png_bytes(4096, 4096, zlib.compress(bytes(16 * MB), 9))]),
        ("huge declared shape: PGM (P2) of 4096x4096 pixels, 3 present", "image",
         [b"P2\n4096 4096\n65535\n1 2 3\n"]),
        ("valid: .npy of 10**6 float64 (8 MB)", "npy",
         [npy_bytes((10 ** 6,), bytes(8 * 10 ** 6))]),
        ("valid: pickle (protocol 4) of 10**6 float64 (8 MB)", "pkl",
         [pkl_bytes((10 ** 6,), struct.pack("<1000000d", *range(10 ** 6)))]),
        ("valid: pickle (protocol 2, latin1 text) of 10**6 float64 (8 MB)", "pkl",
         [pkl_bytes((10 ** 6,), struct.pack("<1000000d", *range(10 ** 6)), protocol=2)]),
        ("valid: safetensors of 10**6 float64 (8 MB)", "safetensors",
         [safetensors_bytes({"w": {"dtype": "F64", "shape": [10 ** 6],
                                   "data_offsets": [0, 8 * 10 ** 6]}},
                            bytes(8 * 10 ** 6))]),
        ("valid: IDX.gz of 10,000 28x28 images (7.8 MB)", "idx",
         [gzip.compress(idx_header(8, (10_000, 28, 28)) + bytes(7_840_000), mtime=0)]),
        ("valid: .npz, deflated uint8 member of 100 MB (97 kB on disk)", "npz",
         [deflated_npz("|u1", 100 * MB)]),
        ("valid: .npz, deflated bool member of 200 MB", "npz",
         [deflated_npz("|b1", 200 * MB)]),
        ("valid: stored .npy of 50 MB uint8", "npy",
         [npy_bytes((50 * MB,), bytes(50 * MB), descr="|u1")]),
        ("import: .npz of a 100 MB uint8 member no parameter takes", "import",
         [deflated_npz("|u1", 100 * MB)]),
        ("import: .npz of a 200 MB bool member no parameter takes", "import",
         [deflated_npz("|b1", 200 * MB)]),
        ("train --data: four IDX of 1 GiB each, 1x1 images (the net takes 784)",
         "train-data", [gib_idx((2 ** 30, 1, 1)), gib_idx((2 ** 30,)),
                        gib_idx((2 ** 30, 1, 1)), gib_idx((2 ** 30,))],
         list(FILE_NAMES)),
    ]


FILE_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
              "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def measure(kind, blobs, folder, names=None):
    paths = []
    folder = tempfile.mkdtemp(dir=folder)  # each case alone in its folder
    for i, blob in enumerate(blobs):
        path = os.path.join(folder, names[i] if names else f"f{i}")
        with open(path, "wb") as f:
            f.write(blob)
        paths.append(path)
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), root]))
    done = subprocess.run([sys.executable, "-c", CHILD, kind, *paths], env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"peak": None, "raw": 0, "decoded": 0,
                "outcome": f"crashed: {done.stderr[-300:]}"}
    return json.loads(done.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON line per file")
    args = parser.parse_args(argv)
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        if not args.json:
            print(f"{'file':<72} {'on disk':>9} {'peak':>9} {'bound':>9} "
                  f"{'peak/raw':>8}  outcome")
        for name, kind, blobs, *names in cases():
            result = measure(kind, blobs, folder, *names)
            bound = 4 * result["decoded"] + SLACK
            ok = result["peak"] is not None and result["peak"] <= bound
            failed += not ok
            size = sum(map(len, blobs))
            if args.json:
                print(json.dumps({"file": name, "bytes": size, "bound": bound, "ok": ok}
                                 | result), flush=True)
            else:
                peak = "-" if result["peak"] is None else f"{result['peak'] / MB:.1f} MB"
                ratio = f"{result['peak'] / result['raw']:.2f}" if result["raw"] else "-"
                print(f"{name:<72} {size / MB:>6.2f} MB {peak:>9} {bound / MB:>6.0f} MB "
                      f"{ratio:>8}  {'ok' if ok else 'OVER'}: {result['outcome'][:70]}",
                      flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
