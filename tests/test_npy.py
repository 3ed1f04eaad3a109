"""purenn.formats.npy: .npy and .npz without NumPy, byte for byte with NumPy's format."""

import io
import itertools
import os
import struct
import zipfile

import pytest

from purenn.errors import ModelFileError
from purenn.formats import npy
from purenn.formats.tensor import Tensor

# Values every dtype holds exactly, so a round trip must give them back unchanged.
SAMPLES = {
    "float16": [0.5, -2.0, 1024.0, 0.0, -0.25, 3.0],
    "float32": [0.1000000014901161193847656, -3.5, 2.0 ** 100, 0.0, 2.0 ** -20, 7.0],
    "float64": [0.1, -1e300, 5e-324, -0.0, 3.141592653589793, 1.0],
    "int8": [-128, 127, 0, -1, 5, 6],
    "int16": [-32768, 32767, 0, -1, 300, 6],
    "int32": [-2 ** 31, 2 ** 31 - 1, 0, -1, 70000, 6],
    "int64": [-2 ** 63, 2 ** 63 - 1, 0, -1, 2 ** 40, 6],
    "uint8": [0, 255, 1, 128, 5, 6],
    "uint16": [0, 65535, 1, 300, 5, 6],
    "uint32": [0, 2 ** 32 - 1, 1, 70000, 5, 6],
    "uint64": [0, 2 ** 64 - 1, 1, 2 ** 40, 5, 6],
    "bool": [True, False, False, True, True, False],
}
SHAPES = [(), (0,), (6,), (2, 3), (3, 2), (1, 2, 3), (3, 0, 2), (2, 1, 3, 1)]
VERSIONS = [(1, 0), (2, 0), (3, 0)]


def numpy_file(header, body, version=(1, 0)):
    """A .npy file laid out exactly as NumPy writes one (header padded to 64 bytes)."""
    prefix = 10 if version == (1, 0) else 12
    raw = header.encode("latin-1")
    pad = 64 - (prefix + len(raw) + 1) % 64
    raw += b" " * pad + b"\n"
    length = struct.pack("<H" if version == (1, 0) else "<I", len(raw))
    return b"\x93NUMPY" + bytes(version) + length + raw + body


def values_for(dtype, shape):
    count = 1
    for size in shape:
        count *= size
    sample = SAMPLES[dtype]
    return [sample[i % len(sample)] for i in range(count)]


@pytest.mark.parametrize("dtype", sorted(SAMPLES))
def test_every_dtype_order_endianness_version_and_shape_round_trips(dtype):
    checked = 0
    for shape, byteorder, fortran, version in itertools.product(
            SHAPES, "<>", (False, True), VERSIONS):
        array = Tensor(shape, values_for(dtype, shape), dtype)
        data = npy.encode_npy(array, byteorder=byteorder, fortran_order=fortran,
                              version=version)
        back = npy.parse_npy(data, "t.npy")
        assert back == array, (shape, byteorder, fortran, version)
        # bool values come back as the bytes 0 and 1 (an array of bytes, not a list)
        expected = int if dtype == "bool" else None
        assert [type(v) for v in back.values] == [expected or type(v) for v in array.values]
        assert data[6:8] == bytes(version)
        assert (data.index(b"\n") + 1) % 64 == 0
        checked += 1
    assert checked == len(SHAPES) * 2 * 2 * 3


def test_layout_in_bytes_c_and_fortran_little_and_big():
    array = Tensor((2, 3), [1, 2, 3, 4, 5, 6], "int16")
    c_little = npy.encode_npy(array)
    f_big = npy.encode_npy(array, byteorder=">", fortran_order=True)
    assert c_little[-12:] == struct.pack("<6h", 1, 2, 3, 4, 5, 6)
    assert f_big[-12:] == struct.pack(">6h", 1, 4, 2, 5, 3, 6)
    header = c_little[10:c_little.index(b"\n")].rstrip()
    assert header == b"{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }"
    assert f_big[10:f_big.index(b"\n")].rstrip() == \
        b"{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }"
    assert len(c_little) == 128 + 12


def test_header_of_one_byte_dtypes_and_one_dimension():
    data = npy.encode_npy(Tensor((3,), [1, 2, 3], "uint8"), byteorder=">")
    assert data[10:data.index(b"\n")].rstrip() == \
        b"{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }"


def test_reads_the_bytes_numpy_wrote():
    # np.save(f, np.asfortranarray(np.array([[1.5, -2, 3], [4, 5, 6.25]], dtype='>f4')))
    fortran_big = (b"\x93NUMPY\x01\x00v\x00{'descr': '>f4', 'fortran_order': True, "
                   b"'shape': (2, 3), }" + b" " * 59 + b"\n"
                   b"?\xc0\x00\x00@\x80\x00\x00\xc0\x00\x00\x00@\xa0\x00\x00@@\x00\x00"
                   b"@\xc8\x00\x00")
    array = npy.parse_npy(fortran_big, "f.npy")
    assert array.dtype == "float32" and array.shape == (2, 3)
    assert array.nested() == [[1.5, -2.0, 3.0], [4.0, 5.0, 6.25]]
    # np.save(f, np.array(-7, dtype='<i2')): a 0-d array
    scalar = numpy_file("{'descr': '<i2', 'fortran_order': False, 'shape': (), }",
                        b"\xf9\xff")
    assert npy.parse_npy(scalar).nested() == -7
    boolean = numpy_file("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                         b"\x01\x00\x01")
    assert npy.parse_npy(boolean) == Tensor((3,), [True, False, True], "bool")


def test_native_order_and_utf8_header_of_version_3():
    native = numpy_file("{'descr': '=f8', 'fortran_order': False, 'shape': (1,), }",
                        struct.pack("=d", 2.5))
    assert npy.parse_npy(native).values == [2.5]
    v3 = numpy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                    struct.pack("<d", -1.0), version=(3, 0))
    assert npy.parse_npy(v3).values == [-1.0]


def test_float32_values_become_the_float64_they_equal():
    data = npy.encode_npy(Tensor((2,), [0.1, 1 / 3], "float32"))
    assert npy.parse_npy(data).values == [0.10000000149011612, 0.3333333432674408]


def test_nested_and_from_nested():
    array = Tensor.from_nested([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert array == Tensor((2, 3), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "float64")
    assert array.nested() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert Tensor.from_nested(2.5) == Tensor((), [2.5], "float64")
    assert Tensor.from_nested([[], []]).shape == (2, 0)
    with pytest.raises(ModelFileError, match="ragged nested lists: expected 2 items at "
                                             "depth 1, got \\[3.0\\]"):
        Tensor.from_nested([[1.0, 2.0], [3.0]])


def test_headers_longer_than_numpys_limit_are_refused():
    array = Tensor((1,) * 6000, [7], "uint8")
    with pytest.raises(ModelFileError, match="longer than the 10000 allowed"):
        npy.parse_npy(npy.encode_npy(array, version=(2, 0)), "big.npy")


# -- refusals ---------------------------------------------------------------------------
def message(data, source="w.npy"):
    with pytest.raises(ModelFileError) as info:
        npy.parse_npy(data, source)
    return str(info.value)


def header_file(header, body=b""):
    return numpy_file(header, body)


def test_pickles_are_refused_and_never_unpickled():
    import pickle

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo unpickled > /dev/null",))

    assert message(pickle.dumps(Boom(), protocol=2), "sample_weight.pkl") == (
        "sample_weight.pkl: this is a Python pickle, not a .npy file; purenn never "
        "unpickles (save the arrays with numpy.save or numpy.savez instead)")
    assert message(pickle.dumps({"W1": [1.0]}, protocol=5)).startswith(
        "w.npy: this is a Python pickle")


def test_object_arrays_are_refused():
    # np.save(f, np.array([1, 'a'], dtype=object), allow_pickle=True): a pickle follows
    data = header_file("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                       b"\x80\x03cbuiltins\nlist\nq\x00.")
    assert message(data) == ("w.npy: dtype '|O' holds Python objects, which only "
                             "unpickling could read; purenn never unpickles")


@pytest.mark.parametrize("descr, expected", [
    ("[('a', '<f8'), ('b', '<i4')]",
     "w.npy: structured dtype [('a', '<f8'), ('b', '<i4')] is not supported (only plain "
     "numeric arrays)"),
    ("'<U3'", "w.npy: dtype '<U3' (unicode strings) is not supported; use floats, "
              "integers or bools"),
    ("'<c16'", "w.npy: dtype '<c16' (complex numbers) is not supported; use floats, "
               "integers or bools"),
    ("'<M8[ns]'", "w.npy: unknown dtype descr '<M8[ns]'"),
    ("'<f16'", "w.npy: dtype '<f16' is not supported (supported: float16, float32, "
               "float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool)"),
])
def test_dtypes_other_than_numbers_are_refused(descr, expected):
    data = header_file(f"{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}",
                       b"\x00" * 16)
    assert message(data) == expected


def test_the_header_is_never_evaluated(tmp_path):
    marker = tmp_path / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    data = header_file(f"{{'descr': {code}, 'fortran_order': False, 'shape': (1,), }}")
    assert message(data).startswith("w.npy: header is not a Python dict literal: ")
    assert not marker.exists()


@pytest.mark.parametrize("header, expected", [
    ("['<f8', False, (1,)]", "w.npy: header is not a dict: ['<f8', False, (1,)]"),
    ("{'descr': '<f8', 'shape': (1,)}",
     "w.npy: header keys are ['descr', 'shape'], expected "
     "['descr', 'fortran_order', 'shape']"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}",
     "w.npy: header keys are ['descr', 'fortran_order', 'shape', 'x'], expected "
     "['descr', 'fortran_order', 'shape']"),
    ("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}",
     "w.npy: header field 'fortran_order' must be True or False, got 0"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}",
     "w.npy: header field 'shape' must be a tuple of sizes from 0 to 2**63 - 1, got (-1,)"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': [1]}",
     "w.npy: header field 'shape' must be a tuple of sizes from 0 to 2**63 - 1, got [1]"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (True,)}",
     "w.npy: header field 'shape' must be a tuple of sizes from 0 to 2**63 - 1, got (True,)"),
])
def test_bad_headers_are_refused(header, expected):
    assert message(header_file(header, struct.pack("<d", 1.0))) == expected


def test_truncated_and_padded_files_are_refused():
    good = npy.encode_npy(Tensor((2, 2), [1.0, 2.0, 3.0, 4.0], "float64"))
    assert message(good[:-1]) == ("w.npy: truncated: shape (2, 2) of '<f8' needs 32 bytes "
                                  "of data, found 31")
    assert message(good + b"\x00") == ("w.npy: has extra bytes: shape (2, 2) of '<f8' "
                                       "needs 32 bytes of data, found 33")
    assert message(good[:40]) == ("w.npy: truncated .npy file: header needs 118 bytes, "
                                  "30 are there")
    assert message(good[:9]) == "w.npy: truncated .npy file (9 bytes)"
    assert message(b"") == "w.npy: not a .npy file (starts with b'', expected b'\\x93NUMPY')"
    assert message(b"\x93NUMPY\x04\x00ab") == ("w.npy: unsupported .npy format version 4.0 "
                                              "(known: 1.0, 2.0, 3.0)")
    assert message(npy.encode_npz({"a": Tensor((1,), [1], "uint8")})) == \
        "w.npy: this is a zip archive (.npz), not a .npy file"


def test_values_that_do_not_fit_the_dtype_are_errors():
    with pytest.raises(ModelFileError) as info:
        npy.encode_npy(Tensor((3,), [1, 256, 2], "uint8"))
    assert str(info.value).startswith("value 256 cannot be stored as uint8 (")
    with pytest.raises(ModelFileError) as info:
        npy.encode_npy(Tensor((2,), [1.0, 1e300], "float32"))
    assert str(info.value).startswith("value 1e+300 cannot be stored as float32 (")
    with pytest.raises(ModelFileError, match="cannot write dtype 'complex64'"):
        npy.encode_npy(Tensor((1,), [1.0], "complex64"))
    with pytest.raises(ModelFileError, match=r"5 values do not fill shape \(2, 3\)"):
        npy.encode_npy(Tensor((2, 3), [1.0] * 5, "float64"))
    with pytest.raises(ModelFileError, match="byte order must be '<' or '>', got '='"):
        npy.encode_npy(Tensor((1,), [1.0], "float64"), byteorder="=")


# -- .npz -------------------------------------------------------------------------------
ARRAYS = {
    "W1": Tensor((2, 3), [0.5, -1.0, 2.0, 0.25, 8.0, -3.0], "float32"),
    "b1": Tensor((3,), [0.1, 0.2, 0.3], "float64"),
    "dense1.W": Tensor((), [-5], "int64"),
    "mask": Tensor((2,), [True, False], "bool"),
}


@pytest.mark.parametrize("compress", [False, True])
def test_npz_round_trip_keeps_names_order_and_values(tmp_path, compress):
    path = tmp_path / "w.npz"
    npy.write_npz(str(path), ARRAYS, compress=compress)
    assert npy.read_npz(str(path)) == ARRAYS
    with zipfile.ZipFile(path) as archive:
        names = [info.filename for info in archive.infolist()]
        methods = {info.compress_type for info in archive.infolist()}
    assert names == ["W1.npy", "b1.npy", "dense1.W.npy", "mask.npy"]
    assert methods == {zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED}
    assert os.listdir(tmp_path) == ["w.npz"]


def test_npz_bytes_are_deterministic_and_options_reach_members():
    first = npy.encode_npz(ARRAYS, byteorder=">", fortran_order=True)
    assert first == npy.encode_npz(ARRAYS, byteorder=">", fortran_order=True)
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        member = archive.read("W1.npy")
    assert b"'descr': '>f4', 'fortran_order': True" in member
    assert npy.parse_npz(first) == ARRAYS


def zip_of(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def npz_message(data):
    with pytest.raises(ModelFileError) as info:
        npy.parse_npz(data, "w.npz")
    return str(info.value)


def test_npz_member_names_are_checked():
    one = npy.encode_npy(Tensor((1,), [1], "uint8"))
    assert npz_message(zip_of([("notes.txt", b"hi")])) == \
        "w.npz: member 'notes.txt' is not a .npy file"
    assert npz_message(zip_of([("../evil.npy", one)])) == (
        "w.npz: member '../evil.npy': array name '../evil' cannot be a member of an .npz "
        "file (no '/', '\\', NUL or surrounding spaces)")
    assert npz_message(zip_of([(".npy", one)])).startswith(
        "w.npz: member '.npy': array name '' cannot")
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = zip_of([("a.npy", one), ("a.npy", one)])
    assert npz_message(twice) == "w.npz: member 'a.npy' appears twice in the archive"
    with pytest.raises(ModelFileError, match="array name 'a/b' cannot be a member"):
        npy.encode_npz({"a/b": Tensor((1,), [1], "uint8")})


def test_npz_members_are_checked_as_npy_files():
    bad = npy.encode_npy(Tensor((2,), [1.0, 2.0], "float64"))[:-3]
    assert npz_message(zip_of([("W1.npy", bad)])) == (
        "w.npz: member 'W1.npy': the zip declares 141 bytes but its .npy header needs 144 "
        "(shape (2,) of '<f8')")


def test_broken_and_wrong_archives_are_refused():
    good = npy.encode_npz(ARRAYS)
    assert npz_message(good[:100]).startswith("w.npz: not an .npz (zip) file: ")
    assert npz_message(b"\x80\x04K\x01.") == (
        "w.npz: this is a Python pickle, not an .npz file; purenn never unpickles (save "
        "the arrays with numpy.savez instead)")
    assert npz_message(npy.encode_npy(ARRAYS["b1"])) == \
        "w.npz: this is a single .npy array, not an .npz archive"
    corrupt = bytearray(good)
    spot = corrupt.index(b"\n", corrupt.index(b"W1.npy")) + 1
    corrupt[spot] ^= 0xFF
    assert npz_message(bytes(corrupt)).startswith("w.npz: member 'W1.npy' cannot be read: ")


def test_read_arrays_takes_npy_or_npz_and_names_missing_files(tmp_path):
    npy.write_npy(str(tmp_path / "bias.npy"), ARRAYS["b1"])
    assert npy.read_arrays(str(tmp_path / "bias.npy")) == {"bias": ARRAYS["b1"]}
    npy.write_npz(str(tmp_path / "all.npz"), ARRAYS)
    assert npy.read_arrays(tmp_path / "all.npz") == ARRAYS
    missing = str(tmp_path / "nope.npz")
    with pytest.raises(ModelFileError) as info:
        npy.read_npz(missing)
    assert str(info.value) == f"{missing}: cannot open: No such file or directory"


# -- hostile files -----------------------------------------------------------------------
@pytest.mark.parametrize("header, expected", [
    ("{'descr': '<f" + "9" * 5000 + "', 'fortran_order': False, 'shape': (1,), }",
     "w.npy: unknown dtype descr '<f" + "9" * 74 + "..."),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 1: 2}",
     "w.npy: header keys are ['descr', 'fortran_order', 'shape', 1], expected "
     "['descr', 'fortran_order', 'shape']"),
    ("{[1]: 2}", "w.npy: header is not a Python dict literal: '{[1]: 2}' (TypeError)"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (2 ** 40, 2 ** 40), }",
     "w.npy: header is not a Python dict literal: \"{'descr': '<f8', 'fortran_order': "
     "False, 'shape': (2 ** 40, 2 ** 40), }\" (ValueError)"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }",
     "w.npy: header field 'shape' (1099511627776, 1099511627776) of '<f8' declares more "
     "than the limit of 536870912 bytes of data"),
])
def test_hostile_headers_are_refused_in_one_line(header, expected):
    assert message(header_file(header, b"\x00" * 8)) == expected


def stored_zip(name, data, method):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.compress_type = method
        archive.writestr(info, data)
    return buffer.getvalue()


def test_npz_members_other_than_stored_or_deflated_are_refused_unread():
    one = npy.encode_npy(Tensor((1,), [1], "uint8"))
    assert npz_message(stored_zip("a.npy", one, zipfile.ZIP_BZIP2)) == (
        "w.npz: member 'a.npy': compression method 12 is not supported (only stored and "
        "deflated, as numpy.savez and savez_compressed write)")
    assert npz_message(stored_zip("", one, zipfile.ZIP_STORED)) == \
        "w.npz: member '' is not a .npy file"


def test_npz_member_sizes_are_compared_before_inflating():
    # the zip truthfully declares 16 MB of zeros after a header that needs 8 bytes
    header = npy.encode_npy(Tensor((1,), [0.0]))[:-8]
    data = stored_zip("a.npy", header + bytes(16 << 20), zipfile.ZIP_DEFLATED)
    assert len(data) < 100_000
    assert npz_message(data) == (
        f"w.npz: member 'a.npy': the zip declares {len(header) + (16 << 20)} bytes but its "
        f".npy header needs {len(header) + 8} (shape (1,) of '<f8')")


def test_files_are_read_a_chunk_at_a_time_and_limited(tmp_path):
    big = Tensor((300_000,), [float(i) for i in range(300_000)])
    npy.write_npy(str(tmp_path / "big.npy"), big, fortran_order=True)
    assert npy.read_npy(tmp_path / "big.npy") == big
    with pytest.raises(ModelFileError, match=r"big.npy: header field 'shape' \(300000,\) of "
                                             r"'<f8' declares more than the limit of 1000"):
        npy.read_npy(tmp_path / "big.npy", max_bytes=1000)
    npy.write_npz(str(tmp_path / "big.npz"), {"a": big, "b": big}, compress=True)
    assert npy.read_npz(tmp_path / "big.npz") == {"a": big, "b": big}
    with pytest.raises(ModelFileError, match=r"member 'b.npy': header field 'shape'"):
        npy.read_npz(tmp_path / "big.npz", max_bytes=3_000_000)
    (tmp_path / "cut.npy").write_bytes((tmp_path / "big.npy").read_bytes()[:-1])
    with pytest.raises(ModelFileError, match=r"cut.npy: truncated: shape \(300000,\) of "
                                             r"'<f8' needs 2400000 bytes of data, found "
                                             r"2399999$"):
        npy.read_npy(tmp_path / "cut.npy")
