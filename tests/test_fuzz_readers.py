"""Every file reader against hostile input: property-based tests (hypothesis) that build
files field by field, a bounded run of the mutation campaign (tests/fuzz/readers.py) in a
subprocess, and peak memory on bombs and huge declared sizes (benchmarks/reader_memory.py).

What is asserted everywhere: a reader returns what the file holds or raises a one-line
PurennError naming the file; nothing else escapes, nothing hangs, memory stays bounded.
"""

import gzip
import importlib.util
import io
import json
import math
import os
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib

import pytest
from helpers import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pkl_files import dumps

from purenn.data import idx, mnist
from purenn.errors import PurennError
from purenn.formats import npy, pkl, safetensors
from purenn.formats.tensor import DTYPES, Tensor
from purenn.viz import images, png

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SIZES = st.one_of(st.integers(0, 4), st.sampled_from(
    [255, 256, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 63 - 1, 2 ** 64, 10 ** 30, -1]))
LITERALS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (st.lists(children, max_size=3) | st.tuples(children, children)
                      | st.dictionaries(st.text(max_size=4), children, max_size=3)),
    max_leaves=8)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (st.lists(children, max_size=3)
                      | st.dictionaries(st.text(max_size=4), children, max_size=3)),
    max_leaves=8)


def refused_or(read, blob, source):
    """``read(blob)``; a PurennError must be one line naming ``source``."""
    try:
        return read(blob)
    except PurennError as exc:
        message = str(exc)
        assert "\n" not in message and source in message, message
        return None


def count_of(shape):
    return math.prod(shape) if shape else 1


# -- .npy / .npz -------------------------------------------------------------------------------
def npy_file(header_text, body, version=1):
    raw = header_text.encode("utf-8")
    prefix = 10 if version == 1 else 12
    raw += b" " * (-(prefix + len(raw) + 1) % 64) + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(raw) % (1 << 16 if version == 1
                                                                     else 1 << 32))
    return b"\x93NUMPY" + bytes((version, 0)) + length + raw + body


@FUZZ
@given(descr=st.one_of(st.sampled_from(["<f8", "|u1", ">i2", "<f2", "|b1", "<c8", "|O"]),
                       LITERALS),
       fortran=st.one_of(st.booleans(), LITERALS),
       shape=st.one_of(st.lists(SIZES, max_size=4).map(tuple), LITERALS),
       extra=st.dictionaries(st.text(max_size=3), LITERALS, max_size=2),
       body=st.binary(max_size=80), version=st.sampled_from([1, 2, 3]))
def test_npy_headers_of_any_fields_are_read_or_refused(descr, fortran, shape, extra, body,
                                                       version):
    header = {"descr": descr, "fortran_order": fortran, "shape": shape, **extra}
    tensor = refused_or(lambda b: npy.parse_npy(b, "h.npy"),
                        npy_file(repr(header), body, version), "h.npy")
    if tensor is not None:
        assert len(tensor.values) == count_of(tensor.shape)
        assert len(body) == count_of(tensor.shape) * DTYPES[tensor.dtype][1]


def tensors(dtypes=tuple(DTYPES)):
    def values(dtype, shape):
        kind, size, _ = DTYPES[dtype]
        if kind == "f":
            item = st.floats(width=min(8 * size, 64), allow_nan=False)
        elif kind == "b":
            item = st.booleans()
        elif kind == "u":
            item = st.integers(0, 2 ** (8 * size) - 1)
        else:
            item = st.integers(-2 ** (8 * size - 1), 2 ** (8 * size - 1) - 1)
        n = count_of(shape)
        return st.lists(item, min_size=n, max_size=n).map(lambda v: Tensor(shape, v, dtype))

    shapes = st.lists(st.integers(0, 3), max_size=3).map(tuple)
    return st.tuples(st.sampled_from(dtypes), shapes).flatmap(lambda ds: values(*ds))


@FUZZ
@given(tensor=tensors(), byteorder=st.sampled_from("<>"), fortran=st.booleans())
def test_npy_round_trips(tensor, byteorder, fortran):
    blob = npy.encode_npy(tensor, byteorder=byteorder, fortran_order=fortran)
    assert npy.parse_npy(blob) == tensor


@FUZZ
@given(members=st.lists(st.tuples(
           st.one_of(st.sampled_from(["a.npy", "b.npy", "", "d/", "../x.npy", "x.txt"]),
                     st.text(max_size=6)),
           st.one_of(tensors().map(npy.encode_npy), st.binary(max_size=60)),
           st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])),
           max_size=3),
       cut=st.integers(0, 400), flip=st.integers(0, 400))
def test_npz_archives_of_any_members_are_read_or_refused(members, cut, flip):
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate names it writes
        for name, data, method in members:
            info = zipfile.ZipInfo(name.encode("utf-8", "replace").decode("utf-8"))
            info.compress_type = method
            archive.writestr(info, data)
    blob = bytearray(buffer.getvalue())
    if blob and flip < len(blob) * 2:
        blob[flip % len(blob)] ^= 0x55
    blob = bytes(blob[:len(blob) - cut % 8])
    arrays = refused_or(lambda b: npy.parse_npz(b, "z.npz"), blob, "z.npz")
    for tensor in (arrays or {}).values():
        assert len(tensor.values) == count_of(tensor.shape)


# -- pickles of NumPy arrays -----------------------------------------------------------------
@FUZZ
@given(named=st.dictionaries(st.text(max_size=5), tensors(), max_size=3),
       protocol=st.integers(0, 5), order=st.sampled_from("<>"), fortran=st.booleans(),
       core=st.sampled_from(["numpy._core", "numpy.core"]))
def test_pkl_round_trips(named, protocol, order, fortran, core):
    assert pkl.parse_pickle(dumps(named, protocol, order=order, fortran=fortran,
                                  core=core)) == named


PKL_OPCODES = st.sampled_from([
    b"(", b"}", b")", b"N", b"\x88", b"\x89", b"t", b"\x85", b"\x86", b"\x87", b"R", b"b",
    b"s", b"u", b"d", b"\x94", b".", b"K\x02", b"q\x00", b"h\x00", b"h\x01", b"C\x01b",
    b"C\x08" + bytes(8), b"X\x02\x00\x00\x00f8", b"X\x01\x00\x00\x00<",
    b"cnumpy\ndtype\n", b"cnumpy\nndarray\n", b"cnumpy.core.multiarray\n_reconstruct\n",
    b"cnumpy.core.numeric\n_frombuffer\n", b"c_codecs\nencode\n", b"cos\nsystem\n",
    b"B\xff\xff\xff\xff", b"\x8e" + b"\xff" * 8, b"\x95" + b"\xff" * 8, b"J\xff\xff\xff\xff",
    b"\x8a\x08" + b"\xff" * 8, b"I01\n", b"g0\n", b"V\x00\xff\n"]) | st.binary(max_size=3)


@FUZZ
@given(named=st.dictionaries(st.sampled_from(["W1", "b1", "W2"]), tensors(), max_size=2),
       protocol=st.integers(0, 5), inserted=st.lists(PKL_OPCODES, max_size=6),
       at=st.integers(0, 10 ** 6), cut=st.integers(0, 10 ** 6), flip=st.integers(0, 10 ** 6))
def test_pkl_files_with_any_opcodes_inserted_are_read_or_refused(named, protocol, inserted,
                                                                  at, cut, flip):
    blob = bytearray(dumps(named, protocol))
    blob[at % len(blob):at % len(blob)] = b"".join(inserted)
    if flip % 3 == 0:
        blob[flip % len(blob)] ^= 1 << (flip % 8)
    blob = bytes(blob[:len(blob) - cut % 4])
    arrays = refused_or(lambda b: pkl.parse_pickle(b, "f.pkl"), blob, "f.pkl")
    for tensor in (arrays or {}).values():
        assert len(tensor.values) == count_of(tensor.shape)


@FUZZ
@given(opcodes=st.lists(PKL_OPCODES, max_size=40))
def test_pkl_opcode_soups_are_read_or_refused(opcodes):
    blob = b"".join(opcodes)
    arrays = refused_or(lambda b: pkl.parse_pickle(b, "f.pkl"), blob, "f.pkl")
    for tensor in (arrays or {}).values():
        assert len(tensor.values) == count_of(tensor.shape)


# -- safetensors ---------------------------------------------------------------------------------
ENTRY = st.fixed_dictionaries({
    "dtype": st.one_of(st.sampled_from(["F64", "F32", "F16", "I8", "U8", "BOOL", "BF16"]),
                       JSON),
    "shape": st.one_of(st.lists(SIZES, max_size=3), JSON),
    "data_offsets": st.one_of(st.lists(st.integers(-1, 64), min_size=2, max_size=2), JSON),
})


@FUZZ
@given(entries=st.dictionaries(st.text(max_size=5), st.one_of(ENTRY, JSON), max_size=4),
       metadata=st.one_of(st.dictionaries(st.text(max_size=4), st.text(max_size=8)), JSON),
       data=st.binary(max_size=64), lie=st.one_of(st.none(), st.integers(0, 2 ** 64 - 1)))
def test_safetensors_headers_of_any_fields_are_read_or_refused(entries, metadata, data,
                                                               lie):
    header = dict(entries, __metadata__=metadata)
    text = json.dumps(header).encode()
    blob = struct.pack("<Q", len(text) if lie is None else lie) + text + data
    result = refused_or(lambda b: safetensors.decode(b, "s.safetensors"), blob,
                        "s.safetensors")
    if result is not None:
        for tensor in result[0].values():
            assert len(tensor.values) == count_of(tensor.shape)


@FUZZ
@given(named=st.dictionaries(st.text(min_size=1, max_size=5).filter(
           lambda n: n != "__metadata__"), tensors(), max_size=3),
       metadata=st.dictionaries(st.text(max_size=4), st.text(max_size=8), max_size=2))
def test_safetensors_round_trips(named, metadata):
    read, meta = safetensors.decode(safetensors.encode(named, metadata))
    assert read == named and meta == metadata


def test_safetensors_refuses_deep_json_and_checks_repeated_names_in_linear_time():
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(PurennError, match=r"^d: the header is not valid JSON|nested"):
        safetensors.decode(struct.pack("<Q", len(deep) + 2) + b"{\"a\":" + deep[:-1],
                           "d")
    names = ",".join(f'"t{i % 20000}":{{}}' for i in range(40_000))
    text = ("{" + names + "}").encode()
    with pytest.raises(PurennError, match=r"key 't0' appears more than once"):
        safetensors.decode(struct.pack("<Q", len(text)) + text, "r")


# -- IDX and MNIST pairs --------------------------------------------------------------------------
@FUZZ
@given(type_code=st.integers(0, 255), dims=st.lists(SIZES.filter(lambda d: 0 <= d < 2 ** 32),
                                                    max_size=4),
       ndim=st.one_of(st.none(), st.integers(0, 255)), body=st.binary(max_size=80),
       compress=st.booleans(), cut=st.integers(0, 6))
def test_idx_files_of_any_header_are_read_or_refused(type_code, dims, ndim, body, compress,
                                                     cut):
    blob = struct.pack(">HBB", 0, type_code, len(dims) if ndim is None else ndim)
    blob += b"".join(struct.pack(">I", d) for d in dims) + body
    if compress:
        blob = gzip.compress(blob, mtime=0)
    blob = blob[:len(blob) - cut]
    data = refused_or(lambda b: idx.parse_idx(b, "i.idx"), blob, "i.idx")
    if data is not None:
        assert len(data.data) == count_of(data.dims)


@FUZZ
@given(images_dims=st.lists(SIZES.filter(lambda d: 0 <= d < 2 ** 32), min_size=1,
                            max_size=4),
       labels_dims=st.lists(SIZES.filter(lambda d: 0 <= d < 2 ** 32), min_size=1,
                            max_size=2),
       images_type=st.sampled_from([8, 8, 9, 0x0D]), labels=st.binary(max_size=12),
       pixels=st.binary(max_size=40))
def test_mnist_pairs_are_compared_then_read_or_refused(tmp_path_factory, images_dims,
                                                       labels_dims, images_type, labels,
                                                       pixels):
    folder = tmp_path_factory.mktemp("pair")
    paths = [str(folder / "images.gz"), str(folder / "labels.gz")]
    for path, (code, dims, body) in zip(paths, ((images_type, images_dims, pixels),
                                               (8, labels_dims, labels))):
        with open(path, "wb") as f:
            f.write(gzip.compress(struct.pack(f">HBB{len(dims)}I", 0, code, len(dims), *dims)
                                  + body, mtime=0))
    pair = refused_or(lambda _: mnist._read_pair(*paths), None, str(folder))
    if pair is not None:
        assert pair[0].dims[0] == pair[1].dims[0] == len(pair[1].data)
        assert max(pair[1].data) < 10


# -- PNG and PGM ---------------------------------------------------------------------------------
def png_chunk(kind, data, fix_crc=True):
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF if fix_crc else 0
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


@FUZZ
@given(width=SIZES.filter(lambda d: 0 <= d < 2 ** 32),
       height=SIZES.filter(lambda d: 0 <= d < 2 ** 32),
       fields=st.tuples(st.sampled_from([8, 8, 1, 16]), st.sampled_from([0, 2, 4, 6, 3]),
                        st.integers(0, 1), st.integers(0, 1), st.integers(0, 1)),
       ihdr_cut=st.integers(0, 13), rows=st.binary(max_size=120), compress=st.booleans(),
       fix_crc=st.booleans(), iend=st.booleans())
def test_png_files_of_any_header_are_read_or_refused(width, height, fields, ihdr_cut, rows,
                                                     compress, fix_crc, iend):
    ihdr = struct.pack(">II5B", width, height, *fields)[:13 - ihdr_cut % 4]
    idat = zlib.compress(rows) if compress else rows
    blob = (png.SIGNATURE + png_chunk(b"IHDR", ihdr, fix_crc) + png_chunk(b"IDAT", idat)
            + (png_chunk(b"IEND", b"") if iend else b""))
    image = refused_or(lambda b: png.decode_png(b, "p.png"), blob, "p.png")
    if image is not None:
        w, h, channels, pixels = image
        assert len(pixels) == w * h * channels


@FUZZ
@given(width=st.integers(1, 6), height=st.integers(1, 6), channels=st.sampled_from([1, 3]),
       data=st.data())
def test_png_round_trips(width, height, channels, data):
    pixels = data.draw(st.binary(min_size=width * height * channels,
                                 max_size=width * height * channels))
    blob = png.encode_png(width, height, pixels, channels)
    assert png.decode_png(blob) == (width, height, channels, pixels)


NUMBER = st.one_of(st.integers(0, 70000).map(str), st.sampled_from(
    ["", "-1", "+2", "1_0", "9" * 5000, "x", "1e3", "\u0661"]))


@FUZZ
@given(magic=st.sampled_from(["P2", "P5", "P6"]), fields=st.lists(NUMBER, min_size=3,
                                                                  max_size=3),
       comment=st.sampled_from(["", "# c\n", "#"]), samples=st.lists(NUMBER, max_size=30),
       raw=st.binary(max_size=40))
def test_pgm_files_of_any_header_are_read_or_refused(magic, fields, comment, samples, raw):
    header = f"{magic}\n{comment}{fields[0]} {fields[1]}\n{fields[2]}\n"
    body = " ".join(samples).encode() if magic == "P2" else raw
    blob = header.encode() + body
    image = refused_or(lambda b: images.decode_pgm(b, "g.pgm"), blob, "g.pgm")
    if image is not None:
        w, h, pixels = image
        assert len(pixels) == w * h


@FUZZ
@given(width=st.integers(1, 6), height=st.integers(1, 6), data=st.data())
def test_pgm_round_trips(width, height, data):
    pixels = data.draw(st.binary(min_size=width * height, max_size=width * height))
    assert images.decode_pgm(images.encode_pgm(width, height, pixels)) == \
        (width, height, pixels)


# -- the mutation campaign, bounded ------------------------------------------------------------
def test_a_bounded_mutation_campaign_finds_no_crash_hang_or_blowup(tmp_path):
    cases = int(os.environ.get("PURENN_FUZZ_CASES", "300"))
    env = dict(os.environ, PYTHONPATH=_package_parent())
    done = subprocess.run(
        [sys.executable, "-W", "ignore", os.path.join(REPO, "tests", "fuzz", "readers.py"),
         "--cases", str(cases), "--batch", str(cases), "--seed", "0",
         "--out", str(tmp_path / "findings")],
        env=env, capture_output=True, text=True, timeout=900)
    figures = [json.loads(line) for line in done.stdout.splitlines()
               if line.startswith("{")]
    assert {f["reader"] for f in figures} == {"npy", "npz", "pkl", "safetensors", "idx",
                                              "mnist-pair", "png", "pgm"}, done.stderr
    for f in figures:
        assert f["cases"] == cases
        assert (f["crashes"], f["hangs"], f["blowups"]) == (0, 0, 0), done.stdout
    assert done.returncode == 0, done.stdout + done.stderr


def _package_parent():
    import purenn

    return os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))


# -- peak memory on bombs ---------------------------------------------------------------------
def _memory_benchmark():
    path = os.path.join(REPO, "benchmarks", "reader_memory.py")
    spec = importlib.util.spec_from_file_location("reader_memory", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                    reason="peak memory is read from Linux's /proc")
@pytest.mark.parametrize("name", ["gzip bomb", "zip bomb", "huge declared shape"])
def test_bombs_and_huge_declared_sizes_are_refused_within_the_memory_bound(name, tmp_path):
    bench = _memory_benchmark()
    files = {
        # 256 MB of zeros behind an IDX header declaring 16 bytes
        "gzip bomb": ("idx", [gzip.compress(bench.idx_header(8, (4, 4)) + bytes(16),
                                            mtime=0) + bench.zeros_gzip(16)]),
        # a member whose zip entry truthfully declares 256 MB, its .npy header 16 items
        "zip bomb": ("npz", [bench.zip_bomb((16,), blocks=16)]),
        # 128 bytes declaring 2**60 float64s
        "huge declared shape": ("npy", [bench.npy_bytes((2 ** 30, 2 ** 30))]),
    }
    kind, blobs = files[name]
    result = bench.measure(kind, blobs, str(tmp_path))
    assert result["outcome"].startswith("refused: "), result
    assert result["peak"] <= bench.SLACK, result
