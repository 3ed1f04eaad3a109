"""purenn/formats/safetensors.py: the bytes it writes, byte for byte, read back through
every door (decode, read_header, read_tensors), and each defect of a file one
ModelFileError naming the file, the tensor and the bad value."""

import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purenn.errors import ModelFileError
from purenn.formats import safetensors
from purenn.formats.safetensors import Tensor, decode, encode, read_header, read_tensors


def file_bytes(header, data=b""):
    """A safetensors file from a header (a dict, or JSON text) and its data."""
    text = (header if isinstance(header, str) else json.dumps(header)).encode("utf-8")
    return struct.pack("<Q", len(text)) + text + data


def test_the_layout_is_length_header_then_data_aligned_to_8():
    blob = encode({"b": ((2,), [1.0, -2.0])}, {"k": "v"})
    (length,) = struct.unpack_from("<Q", blob)
    assert (8 + length) % 8 == 0                       # the data starts aligned
    header = json.loads(blob[8:8 + length])
    assert header == {"__metadata__": {"k": "v"},
                      "b": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}}
    assert blob[8 + length:] == struct.pack("<2d", 1.0, -2.0)


def test_every_dtype_round_trips_through_bytes_and_files(tmp_path):
    tensors = {
        "f64": Tensor((2, 2), [0.1, -2.5, 1e300, 5e-324], "float64"),
        "f32": Tensor((3,), [0.5, -1.25, 3.0], "float32"),
        "f16": Tensor((2,), [0.5, -2.0], "float16"),
        "i64": Tensor((2,), [-(2 ** 63), 2 ** 63 - 1], "int64"),
        "i8": Tensor((3,), [-128, 0, 127], "int8"),
        "u8": Tensor((2,), [0, 255], "uint8"),
        "flags": Tensor((3,), [1, 0, 1], "bool"),
        "empty": Tensor((0, 4), [], "float64"),
    }
    blob = encode(tensors, {"format": "test"})
    back, metadata = decode(blob)
    assert metadata == {"format": "test"}
    assert back == tensors
    path = tmp_path / "t.safetensors"
    safetensors.write_tensors(path, tensors, {"format": "test"})
    assert path.read_bytes() == blob
    assert read_tensors(path) == (tensors, {"format": "test"})
    infos, _ = read_header(path)
    assert {name: (info.dtype, info.shape) for name, info in infos.items()} == \
        {name: (t.dtype, t.shape) for name, t in tensors.items()}
    assert read_tensors(path, names={"u8"})[0] == {"u8": tensors["u8"]}


def test_the_files_own_dtype_codes_are_accepted_when_writing():
    assert decode(encode({"x": ((1,), [2.0], "F32")}))[0]["x"] == Tensor((1,), [2.0],
                                                                          "float32")


@pytest.mark.parametrize("tensors, metadata, message", [
    ({"x": ((3,), [1.0, 2.0])}, None, "tensor 'x': 2 values do not fill shape [3]"),
    ({"": ((1,), [1.0])}, None, "bad tensor name ''"),
    ({"__metadata__": ((1,), [1.0])}, None, "bad tensor name '__metadata__'"),
    ({"x": ((1,), [1.0], "complex64")}, None, "tensor 'x': cannot write dtype 'complex64'"),
    ({}, {"epochs": 3}, "safetensors metadata must map strings to strings, got "
                        "{'epochs': 3}"),
])
def test_what_cannot_be_written_is_refused(tensors, metadata, message):
    with pytest.raises(ModelFileError) as info:
        encode(tensors, metadata)
    assert str(info.value).startswith(message)


X = {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}
DATA = struct.pack("<2d", 1.0, 2.0)


@pytest.mark.parametrize("blob, message", [
    (b"\x01\x00", "f: truncated: 2 bytes, less than the 8-byte header length"),
    (struct.pack("<Q", 100) + b"{}", "f: truncated: the header length says 100 bytes but "
                                     "only 2 follow"),
    (struct.pack("<Q", 1 << 40), "f: header length 1099511627776 is over the limit"),
    (file_bytes("[1]"), "f: the header must start with '{', got b'[1]'"),
    (file_bytes({"__metadata__": {"a": 1}}), "f: __metadata__ must map strings to strings"),
    (file_bytes({"x": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0\0"),
     "f: tensor 'x': dtype 'BF16' has no standard-library equivalent"),
    (file_bytes({"x": {**X, "dtype": "F99"}}, DATA), "f: tensor 'x': unknown dtype 'F99'"),
    (file_bytes({"x": {**X, "shape": [-2]}}, DATA), "f: tensor 'x': shape must be a list"),
    (file_bytes({"x": {**X, "data_offsets": [0, 24]}}, DATA),
     "f: tensor 'x': data_offsets [0, 24] must be [begin, end] with 0 ≤ begin ≤ end ≤ 16"),
    (file_bytes({"x": {**X, "shape": [3]}}, DATA),
     "f: tensor 'x': data_offsets [0, 16] hold 16 bytes but shape [3] of F64 needs 24"),
    (file_bytes({"x": X, "y": X}, DATA), "f: tensor 'y': data_offsets [0, 16] overlap"),
    (file_bytes({"x": {**X, "shape": [1], "data_offsets": [8, 16]}}, DATA),
     "f: tensor 'x': data_offsets [8, 16] leave a gap of 8 bytes after offset 0"),
    (file_bytes({"x": X}, DATA + b"\0" * 8),
     "f: the tensors cover 16 bytes of data but 24 follow the header"),
    (file_bytes({"x": {**X, "extra": 1}}, DATA), "f: tensor 'x': expected an object with "
                                                 "dtype, shape and data_offsets"),
])
def test_each_defect_is_one_error_naming_the_file_the_tensor_and_the_value(blob, message):
    with pytest.raises(ModelFileError) as info:
        decode(blob, "f")
    assert str(info.value).startswith(message), str(info.value)


def test_a_file_is_refused_as_bytes_are_and_a_missing_one_is_named(tmp_path):
    path = tmp_path / "cut.safetensors"
    path.write_bytes(encode({"x": ((2,), [1.0, 2.0])})[:-1])
    for read in (read_header, read_tensors):
        with pytest.raises(ModelFileError) as info:
            read(path)
        assert str(info.value) == (f"{path}: tensor 'x': data_offsets [0, 16] must be "
                                   f"[begin, end] with 0 ≤ begin ≤ end ≤ 15, the size of "
                                   f"the data")
    with pytest.raises(ModelFileError, match="cannot open"):
        read_header(tmp_path / "none.safetensors")


def test_the_header_limit_is_settable():
    blob = encode({"x": ((1,), [1.0])})
    with pytest.raises(ModelFileError, match="over the limit of 16 bytes"):
        decode(blob, max_header_bytes=16)


FLOATS = st.floats(allow_nan=False, width=64)
TENSORS = st.dictionaries(
    st.text(min_size=1, max_size=8).filter(lambda s: s != "__metadata__"),
    st.lists(FLOATS, max_size=6).map(lambda v: ((len(v),), v)), max_size=4)


@settings(max_examples=60, deadline=None)
@given(tensors=TENSORS, metadata=st.dictionaries(st.text(max_size=5), st.text(max_size=5),
                                                 max_size=3))
def test_what_is_written_is_read_back_exactly(tensors, metadata):
    back, meta = decode(encode(tensors, metadata))
    assert meta == metadata
    assert {name: (t.shape, t.values) for name, t in back.items()} == \
        {name: (tuple(shape), values) for name, (shape, values) in tensors.items()}


@settings(max_examples=200, deadline=None)
@given(blob=st.binary(max_size=200))
def test_any_bytes_decode_or_raise_a_model_file_error(blob):
    try:
        decode(blob)
    except ModelFileError:
        pass
