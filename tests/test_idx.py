"""The IDX reader and writer on tiny files built with struct, including hostile ones."""

import gzip
import struct
import zlib
from array import array

import pytest

from purenn.data.idx import encode_idx, parse_idx, read_idx, write_idx
from purenn.errors import DataError, PurennError


def idx_bytes(type_code, dims, payload):
    return struct.pack(f">HBB{len(dims)}I", 0, type_code, len(dims), *dims) + payload


def write(tmp_path, name, blob, compress=False):
    path = tmp_path / name
    path.write_bytes(gzip.compress(blob, mtime=0) if compress else blob)
    return str(path)


# --- reading good files -------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True])
def test_reads_unsigned_bytes_as_bytes(tmp_path, compress):
    path = write(tmp_path, "images", idx_bytes(0x08, (2, 2, 3), bytes(range(12))), compress)
    data = read_idx(path)
    assert data.dims == (2, 2, 3)
    assert data.type_code == 0x08
    assert data.data == bytes(range(12))
    assert len(data) == 2


@pytest.mark.parametrize("type_code, fmt, values", [
    (0x09, "b", [-128, -1, 0, 127]),
    (0x0B, "h", [-32768, -2, 3, 32767]),
    (0x0C, "i", [-(2 ** 31), -5, 6, 2 ** 31 - 1]),
    (0x0D, "f", [-1.5, 0.0, 0.25, 3.0]),
    (0x0E, "d", [-1e300, -0.1, 1 / 3, 2.5]),
])
def test_reads_every_type_big_endian(tmp_path, type_code, fmt, values):
    path = write(tmp_path, "x.idx", idx_bytes(type_code, (4,), struct.pack(f">4{fmt}", *values)))
    data = read_idx(path)
    assert data.dims == (4,)
    assert data.data.typecode == fmt
    assert data.data.tolist() == values


@pytest.mark.parametrize("name", ["out.idx", "out.idx.gz"])
def test_writer_round_trips_and_matches_the_format(tmp_path, name):
    path = tmp_path / name
    write_idx(path, (3, 2), [1, 2, 3, 4, 5, 6], type_code=0x0C)
    assert read_idx(path).data.tolist() == [1, 2, 3, 4, 5, 6]
    raw = path.read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    assert raw == idx_bytes(0x0C, (3, 2), struct.pack(">6i", 1, 2, 3, 4, 5, 6))


def test_writer_is_reproducible_and_leaves_no_temporary_file(tmp_path):
    write_idx(tmp_path / "a.gz", (4,), b"\x01\x02\x03\x04")
    first = (tmp_path / "a.gz").read_bytes()
    write_idx(tmp_path / "a.gz", (4,), b"\x01\x02\x03\x04")
    assert (tmp_path / "a.gz").read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gz"]


def test_encode_refuses_data_that_does_not_fill_the_sizes():
    with pytest.raises(ValueError, match=r"^5 items do not fill sizes \(2, 3\)$"):
        encode_idx((2, 3), bytes(5))
    with pytest.raises(ValueError, match="^unknown IDX type code 7$"):
        encode_idx((1,), b"\x00", type_code=7)
    assert encode_idx((2,), [7, 8], 0x0B) == idx_bytes(0x0B, (2,), b"\x00\x07\x00\x08")


# --- malformed files: each with its own message ---------------------------------------

def test_bad_magic(tmp_path):
    path = write(tmp_path, "bad", b"PK\x03\x04" + bytes(8))
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == (f"{path}: bad magic number 0x504b0304; an IDX file starts "
                              f"with two zero bytes, a type code and the number of dimensions")
    assert isinstance(err.value, PurennError)


def test_unknown_data_type(tmp_path):
    path = write(tmp_path, "bad", idx_bytes(0x07, (1,), b"\x00"))
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == (f"{path}: unknown data type 0x07 (known: 0x08 unsigned byte, "
                              f"0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32, "
                              f"0x0E float64)")


def test_zero_dimensions(tmp_path):
    path = write(tmp_path, "bad", b"\x00\x00\x08\x00")
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == f"{path}: the header declares 0 dimensions"


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_header_sizes_and_data(tmp_path, compress):
    cases = [
        (b"\x00\x00", "expected 4 bytes of header, the file holds only 2"),
        (b"\x00\x00\x08\x03" + struct.pack(">2I", 5, 28),
         "expected 12 bytes of sizes, the file holds only 8"),
        (idx_bytes(0x08, (5, 2, 2), bytes(17)),
         "expected 20 bytes of data for sizes 5x2x2, the file holds only 17"),
        (idx_bytes(0x0B, (3,), bytes(5)),
         "expected 6 bytes of data for sizes 3, the file holds only 5"),
    ]
    for i, (blob, detail) in enumerate(cases):
        path = write(tmp_path, f"short{i}", blob, compress)
        with pytest.raises(DataError) as err:
            read_idx(path)
        assert str(err.value) == f"{path}: truncated: {detail}"


def test_empty_file_is_truncated(tmp_path):
    path = write(tmp_path, "empty", b"")
    with pytest.raises(DataError, match="truncated: expected 4 bytes of header, the file "
                                        "holds only 0$"):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_trailing_bytes(tmp_path, compress):
    path = write(tmp_path, "long", idx_bytes(0x08, (2, 3), bytes(6)) + b"\x00", compress)
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == (f"{path}: trailing bytes after the 6 bytes of data that the "
                              f"header declares (2x3)")


def test_wrong_dimensions_leave_bytes_over(tmp_path):
    # 2x2x2 images declared where the file holds 2x2x3: caught as trailing bytes
    path = write(tmp_path, "dims", idx_bytes(0x08, (2, 2, 2), bytes(12)))
    with pytest.raises(DataError, match=r"trailing bytes after the 8 bytes of data that the "
                                        r"header declares \(2x2x2\)$"):
        read_idx(path)


def test_declared_size_over_the_limit_is_refused_before_reading(tmp_path):
    path = write(tmp_path, "huge", idx_bytes(0x08, (60000, 28, 28), b""))
    with pytest.raises(DataError) as err:
        read_idx(path, max_bytes=1_000_000)
    assert str(err.value) == (f"{path}: the header declares 60000x28x28 items (47040000 "
                              f"bytes), over the limit of 1000000 bytes")
    path = write(tmp_path, "huger", idx_bytes(0x0E, (65536, 65536, 65536), b""))
    with pytest.raises(DataError, match=r"\(2251799813685248 bytes\), over the limit of "
                                        r"1073741824 bytes$"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    blob = gzip.compress(idx_bytes(0x08, (100, 10), bytes(range(250)) * 4), mtime=0)
    path = write(tmp_path, "cut.gz", blob[:len(blob) - 12])
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == (f"{path}: truncated gzip data: the compressed stream ends "
                              f"before its end marker (an interrupted download?)")


def test_corrupt_gzip(tmp_path):
    blob = bytearray(gzip.compress(idx_bytes(0x08, (4,), b"\x01\x02\x03\x04"), mtime=0))
    blob[-8] ^= 0xFF  # the CRC-32 of the data
    path = write(tmp_path, "crc.gz", bytes(blob))
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value).startswith(f"{path}: corrupt gzip data: CRC check failed")
    blob = gzip.compress(idx_bytes(0x08, (4,), b"\x01\x02\x03\x04"), mtime=0)
    path = write(tmp_path, "deflate.gz", blob[:10] + b"\xff" * 6 + blob[16:])
    with pytest.raises(DataError, match=r": corrupt gzip data: .*invalid"):
        read_idx(path)


def test_missing_file(tmp_path):
    path = str(tmp_path / "nothing.idx")
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == f"{path}: cannot open: No such file or directory"


# --- gzip bombs ------------------------------------------------------------------------

ZEROS_MEMBER_SIZE = 1 << 26  # 64 MiB of zeros, about 65 KB compressed


def zeros_member():
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(ZEROS_MEMBER_SIZE >> 20)]
    return b"".join(parts) + compressor.flush()


def write_bomb(tmp_path, header_and_data, members):
    """A gzip file that starts with an IDX header (and data), then inflates to
    ``members`` x 64 MiB more zeros: gzip members concatenated are one stream."""
    path = tmp_path / "bomb.gz"
    member = zeros_member()
    with open(path, "wb") as f:
        f.write(gzip.compress(header_and_data, mtime=0))
        for _ in range(members):
            f.write(member)
    return str(path)


def peak_memory_of(fn):
    """Bytes that ``fn()`` allocates at its peak, as tracemalloc counts them. PyPy has no
    tracemalloc: there fn still runs (and checks what it checks), then the test skips."""
    try:
        import tracemalloc
    except ImportError:
        fn()
        pytest.skip("no tracemalloc on this Python (PyPy): peak memory not measured")
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_gzip_bomb_behind_a_small_declared_size_is_refused_in_bounded_memory(tmp_path):
    # 4 GiB of zeros behind a header that declares 16 bytes; 4 MB on disk
    path = write_bomb(tmp_path, idx_bytes(0x08, (4, 4), bytes(16)), members=64)
    assert (tmp_path / "bomb.gz").stat().st_size < 5_000_000

    def read():
        with pytest.raises(DataError, match=r"trailing bytes after the 16 bytes of data "
                                            r"that the header declares \(4x4\)$"):
            read_idx(path)

    assert peak_memory_of(read) < 4_000_000


def test_gzip_bomb_declaring_gigabytes_is_refused_in_bounded_memory(tmp_path):
    # the header itself declares 4 GiB: refused before any data is inflated
    path = write_bomb(tmp_path, idx_bytes(0x08, (65536, 256, 256), b""), members=64)

    def read():
        with pytest.raises(DataError, match=r"declares 65536x256x256 items \(4294967296 "
                                            r"bytes\), over the limit of 1073741824 bytes$"):
            read_idx(path)

    assert peak_memory_of(read) < 1_000_000


def test_gzip_bomb_under_a_lowered_limit_costs_at_most_the_limit(tmp_path):
    # declared 8 MiB, allowed 16 MiB: the data is read (zeros) and the rest refused
    path = write_bomb(tmp_path, idx_bytes(0x08, (8, 1024, 1024), b""), members=16)

    def read():
        with pytest.raises(DataError, match=r"trailing bytes after the 8388608 bytes"):
            read_idx(path, max_bytes=16 << 20)

    assert peak_memory_of(read) < 16 << 20


def test_truncated_gzip_is_refused_without_keeping_what_it_holds(tmp_path):
    # declares 64 MiB, holds 32 MiB of zeros: counted, not kept, then refused
    path = tmp_path / "short.gz"
    with open(path, "wb") as f:
        f.write(gzip.compress(idx_bytes(0x08, (64, 1024, 1024), b""), mtime=0))
        f.write(gzip.compress(bytes(32 << 20), compresslevel=1, mtime=0))

    def read():
        with pytest.raises(DataError, match=r"truncated: expected 67108864 bytes of data "
                                            r"for sizes 64x1024x1024, the file holds only "
                                            r"33554432$"):
            read_idx(str(path))

    assert peak_memory_of(read) < 8_000_000  # a few chunks, not the 32 MiB


def test_truncated_plain_file_is_refused_without_keeping_what_it_holds(tmp_path):
    path = write(tmp_path, "short", idx_bytes(0x08, (8, 1024, 1024), bytes(4 << 20)))

    def read():
        with pytest.raises(DataError, match=r"the file holds only 4194304$"):
            read_idx(path)

    assert peak_memory_of(read) < 4_000_000


def test_an_honest_file_of_several_gzip_members_is_read(tmp_path):
    # the last member's trailer records its own size only: the body is counted, then read
    body = bytes(range(256)) * 8192  # 2 MiB
    blob = idx_bytes(0x08, (len(body),), body)
    path = tmp_path / "members.gz"
    path.write_bytes(gzip.compress(blob[:1000], mtime=0) + gzip.compress(blob[1000:], mtime=0))
    assert read_idx(str(path)).data == body
    assert parse_idx(path.read_bytes()).data == body


def test_chunked_read_keeps_one_copy(tmp_path):
    size = 8 << 20
    path = write(tmp_path, "big.gz", idx_bytes(0x08, (size,), bytes(size)), compress=True)
    result = {}
    peak = peak_memory_of(lambda: result.setdefault("data", read_idx(path)))
    assert result["data"].data == bytes(size)
    assert peak < 1.5 * size


def test_arrays_are_in_native_order(tmp_path):
    path = write(tmp_path, "h", idx_bytes(0x0B, (2,), b"\x01\x00\xff\xfe"))
    assert read_idx(path).data == array("h", [256, -2])


def test_the_header_alone_is_read_and_parse_idx_reads_bytes(tmp_path):
    from purenn.data.idx import parse_idx, read_idx_header

    path = tmp_path / "h.gz"
    path.write_bytes(gzip.compress(idx_bytes(0x08, (1_000_000, 28, 28), b""), mtime=0))
    header = read_idx_header(path)
    assert (header.dims, header.type_code, header.size) == ((1_000_000, 28, 28), 8,
                                                            784_000_000)
    with pytest.raises(DataError, match=r"over the limit of 1000 bytes$"):
        read_idx_header(path, max_bytes=1000)
    assert parse_idx(gzip.compress(idx_bytes(0x08, (2,), b"\x01\x02"))).data == b"\x01\x02"
    with pytest.raises(DataError, match=r"^m.idx: truncated: expected 2 bytes of data"):
        parse_idx(idx_bytes(0x08, (2,), b"\x01"), "m.idx")
