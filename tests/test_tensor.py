"""purenn.formats.tensor (the one array type, the value check) and safetensors' header-
first reading."""

import json
import struct

import pytest

from purenn.errors import DataError, ModelFileError
from purenn.formats import safetensors
from purenn.formats.tensor import Tensor, capped_prod, finite_floats


def test_a_tensor_is_shape_values_dtype_with_float64_by_default():
    t = Tensor((2, 2), [1.0, 2.0, 3.0, 4.0])
    assert t.dtype == "float64" and t.nested() == [[1.0, 2.0], [3.0, 4.0]]
    assert t == ((2, 2), [1.0, 2.0, 3.0, 4.0], "float64")
    assert Tensor.from_nested([[1, 2, 3]], "int8") == Tensor((1, 3), [1, 2, 3], "int8")
    assert Tensor((), [7]).nested() == 7


def test_finite_floats_names_the_place_and_the_value():
    assert finite_floats(Tensor((2,), [1, 2], "int8"), "m: tensor 'w'") == [1.0, 2.0]
    with pytest.raises(ModelFileError) as info:
        finite_floats(Tensor((3,), [1.0, float("nan"), 2.0]), "m: tensor 'b'")
    assert str(info.value) == "m: tensor 'b': value nan at flat index 1 must be finite"
    with pytest.raises(DataError) as info:
        finite_floats(Tensor((2,), [0.5, -1e-3]), "m: buffer 'bn1.running_var'",
                      minimum=0.0, error=DataError)
    assert str(info.value) == ("m: buffer 'bn1.running_var': value -0.001 at flat index 1 "
                               "must be finite and ≥ 0.0")
    with pytest.raises(ModelFileError, match=r"^m: dtype 'bool' cannot hold weights"):
        finite_floats(Tensor((1,), [True], "bool"), "m")


def test_capped_prod_stops_growing_past_the_cap():
    assert capped_prod((2, 3, 4), 100) == 24
    assert capped_prod((10 ** 9,) * 1000, 100) == 101
    assert capped_prod((10 ** 9, 0), 100) == 0
    assert capped_prod((), 100) == 1


def test_read_header_reads_names_dtypes_and_shapes_without_the_data(tmp_path):
    path = tmp_path / "m.safetensors"
    safetensors.write_tensors(path, {"w": Tensor((2, 3), [0.5] * 6, "float32"),
                                     "b": ((3,), [1.0, 2.0, 3.0])}, {"spec": "input 2\n"})
    infos, metadata = safetensors.read_header(path)
    assert metadata == {"spec": "input 2\n"}
    assert infos == {"w": ("float32", (2, 3), 0, 24), "b": ("float64", (3,), 24, 48)}
    tensors, _ = safetensors.read_tensors(path, names={"b"})
    assert tensors == {"b": Tensor((3,), [1.0, 2.0, 3.0])}
    blob = path.read_bytes()
    path.write_bytes(blob[:-1])  # the header is checked against the bytes present
    with pytest.raises(ModelFileError, match=r"tensor 'b': data_offsets \[24, 48\] must be"):
        safetensors.read_header(path)


def test_safetensors_headers_of_wrong_types_are_refused_in_one_line(tmp_path):
    def refused(header, data=b""):
        text = json.dumps(header).encode()
        with pytest.raises(ModelFileError) as info:
            safetensors.decode(struct.pack("<Q", len(text)) + text + data, "h")
        return str(info.value)

    assert refused({"w": {"dtype": ["F64"], "shape": [], "data_offsets": [0, 8]}}) == \
        "h: tensor 'w': unknown dtype ['F64'] (known: F64, F32, F16, I64, I32, I16, I8, " \
        "U64, U32, U16, U8, BOOL)"
    assert refused({"w": {"dtype": "F64", "shape": [10 ** 30, 10 ** 30],
                          "data_offsets": [0, 8]}}, bytes(8)) == (
        "h: tensor 'w': data_offsets [0, 8] hold 8 bytes but shape "
        "[1000000000000000000000000000000, 1000000000000000000000000000000] of F64 needs "
        "more than 8")
    assert refused({"w": {"dtype": "F64", "shape": [1] * 65, "data_offsets": [0, 8]}},
                   bytes(8)).startswith("h: tensor 'w': shape must be a list of at most 64 "
                                        "sizes ≥ 0, got [1, 1, 1")
    assert refused({"__metadata__": {"a": [1]}}) == \
        "h: __metadata__ must map strings to strings, got {'a': [1]}"
