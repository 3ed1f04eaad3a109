"""Model files: the safetensors format read and written with the stdlib, purenn.save and
purenn.load, and bad files refused with clear messages."""

import json
import struct

import pytest
from helpers import peak_memory

import purenn
from purenn.errors import ModelFileError
from purenn.formats import safetensors
from purenn.model import state_tensors


def header_file(path, header, data=b""):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return str(path)


def test_round_trip_keeps_values_shapes_dtypes_and_metadata(tmp_path):
    path = tmp_path / "t.safetensors"
    tensors = {"a": ((2, 3), [0.1, -2.5, 1e-300, 3.0, float("inf"), -0.0]),
               "b": ((4,), [1.5, 2.5, -3.5, 0.25], "F32"),
               "c": ((), [7], "I64"),
               "d": ((0, 3), [])}
    safetensors.write_tensors(path, tensors, {"note": "hello", "spec": "input 2\n"})
    read, metadata = safetensors.read_tensors(path)
    assert metadata == {"note": "hello", "spec": "input 2\n"}
    assert read["a"] == ((2, 3), [0.1, -2.5, 1e-300, 3.0, float("inf"), -0.0], "float64")
    assert read["b"] == ((4,), [1.5, 2.5, -3.5, 0.25], "float32")
    assert read["c"] == ((), [7], "int64")
    assert read["d"] == ((0, 3), [], "float64")
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    assert (8 + n) % 8 == 0
    header = json.loads(blob[8:8 + n])
    assert header["a"] == {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 48]}
    assert blob[8 + n:8 + n + 8] == struct.pack("<d", 0.1)


def test_a_file_read_can_be_written_back(tmp_path):
    safetensors.write_tensors(tmp_path / "a.safetensors", {"x": ((2,), [1.0, 2.0], "F32")})
    tensors, _ = safetensors.read_tensors(tmp_path / "a.safetensors")
    safetensors.write_tensors(tmp_path / "b.safetensors", tensors)
    assert (tmp_path / "a.safetensors").read_bytes() == (tmp_path / "b.safetensors").read_bytes()


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    safetensors.write_tensors(path, {"w": ((3,), [1.0, 2.0, 3.0])})
    blob = path.read_bytes()
    path.write_bytes(blob[:-5])
    with pytest.raises(ModelFileError) as err:
        safetensors.read_tensors(path)
    assert str(err.value) == (f"{path}: tensor 'w': data_offsets [0, 24] must be [begin, "
                              f"end] with 0 ≤ begin ≤ end ≤ 19, the size of the data")
    path.write_bytes(blob[:5])
    with pytest.raises(ModelFileError, match=r"truncated: 5 bytes, less than the 8-byte"):
        safetensors.read_tensors(path)
    path.write_bytes(blob[:20])
    with pytest.raises(ModelFileError) as err:
        safetensors.read_tensors(path)
    n = struct.unpack("<Q", blob[:8])[0]
    assert str(err.value) == (f"{path}: truncated: the header length says {n} bytes but "
                              f"only 12 follow")


def test_oversized_header_is_refused_before_reading_it(tmp_path):
    path = tmp_path / "big.safetensors"
    path.write_bytes(struct.pack("<Q", 2 ** 40) + b"{}")
    with pytest.raises(ModelFileError) as err:
        safetensors.read_tensors(path)
    assert str(err.value) == (f"{path}: header length 1099511627776 is over the limit of "
                              f"8388608 bytes")


def test_overlapping_offsets_are_refused(tmp_path):
    path = header_file(tmp_path / "o.safetensors", {
        "a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]},
        "b": {"dtype": "F64", "shape": [2], "data_offsets": [8, 24]}}, bytes(24))
    with pytest.raises(ModelFileError) as err:
        safetensors.read_tensors(path)
    assert str(err.value) == (f"{path}: tensor 'b': data_offsets [8, 24] overlap the tensor "
                              f"before it, which ends at 16")


def test_gaps_and_uncovered_bytes_are_refused(tmp_path):
    path = header_file(tmp_path / "g.safetensors", {
        "a": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}}, bytes(16))
    with pytest.raises(ModelFileError, match=r"leave a gap of 8 bytes after offset 0"):
        safetensors.read_tensors(path)
    path = header_file(tmp_path / "e.safetensors", {
        "a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}, bytes(16))
    with pytest.raises(ModelFileError, match=r"the tensors cover 8 bytes of data but 16 "
                                             r"follow the header"):
        safetensors.read_tensors(path)


def test_unknown_dtype_is_refused(tmp_path):
    path = header_file(tmp_path / "d.safetensors", {
        "w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, bytes(16))
    with pytest.raises(ModelFileError) as err:
        safetensors.read_tensors(path)
    assert str(err.value) == (f"{path}: tensor 'w': unknown dtype 'F128' (known: F64, F32, "
                              f"F16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL)")
    path = header_file(tmp_path / "bf.safetensors", {
        "w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, bytes(2))
    with pytest.raises(ModelFileError, match=r"dtype 'BF16' has no standard-library"):
        safetensors.read_tensors(path)


def test_size_mismatch_bad_json_and_repeated_keys_are_refused(tmp_path):
    path = header_file(tmp_path / "s.safetensors", {
        "w": {"dtype": "F64", "shape": [3], "data_offsets": [0, 16]}}, bytes(16))
    with pytest.raises(ModelFileError, match=r"hold 16 bytes but shape \[3\] of F64 needs "
                                             r"24"):
        safetensors.read_tensors(path)
    bad = tmp_path / "j.safetensors"
    bad.write_bytes(struct.pack("<Q", 5) + b"{nope")
    with pytest.raises(ModelFileError, match=r"the header is not valid JSON"):
        safetensors.read_tensors(bad)
    text = b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},' \
           b'"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}'
    bad.write_bytes(struct.pack("<Q", len(text)) + text + b"\x00")
    with pytest.raises(ModelFileError, match=r"key 'a' appears more than once"):
        safetensors.read_tensors(bad)


def test_save_and_load_rebuild_the_network(tmp_path):
    net = purenn.build("two_layer", seed=3)
    path = tmp_path / "model.safetensors"
    purenn.save(net, path, training={"epochs": 2, "test_acc": 0.5})
    loaded = purenn.load(path)
    assert loaded.params == net.params
    assert purenn.spec.write(loaded) == purenn.spec.write(net)
    assert loaded.training == {"epochs": 2, "test_acc": 0.5}
    _, metadata = safetensors.read_tensors(path)
    assert metadata["format"] == "purenn.model"
    assert metadata["format_version"] == "1"
    assert metadata["spec"] == purenn.spec.write(net)
    x = [[i / 784 for i in range(784)]]
    assert loaded.predict(x) == net.predict(x)


def test_buffers_are_saved_and_loaded(tmp_path):
    net = purenn.build("mnist_adam_bn", seed=1)
    layer = dict(net.layers)["batchnorm1"]
    layer.buffers["running_mean"][:] = [i / 7 for i in range(len(layer.buffers["running_mean"]))]
    layer.buffers["running_var"][:] = [1 + i / 3 for i in range(len(layer.buffers["running_var"]))]
    assert "batchnorm1.running_mean" in state_tensors(net)
    purenn.save(net, tmp_path / "bn.safetensors")
    loaded = purenn.load(tmp_path / "bn.safetensors")
    assert dict(loaded.layers)["batchnorm1"].buffers == layer.buffers
    assert loaded.params == net.params


def test_wrong_shape_and_missing_tensor_are_refused(tmp_path):
    net = purenn.build("spiral_net")
    path = tmp_path / "m.safetensors"
    purenn.save(net, path)
    tensors, metadata = safetensors.read_tensors(path)
    tensors["dense2.b"] = ((4,), [0.0] * 4)
    safetensors.write_tensors(path, tensors, metadata)
    with pytest.raises(ModelFileError) as err:
        purenn.load(path)
    assert str(err.value) == f"{path}: tensor 'dense2.b' has shape [4] but the spec builds [3]"
    del tensors["dense2.b"]
    safetensors.write_tensors(path, tensors, metadata)
    with pytest.raises(ModelFileError, match=r"no tensor 'dense2.b', which the spec's network "
                                             r"needs"):
        purenn.load(path)


def test_file_without_spec_or_with_a_bad_spec_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    safetensors.write_tensors(path, {"w": ((1,), [1.0])}, {"format": "purenn.model"})
    with pytest.raises(ModelFileError, match=r"no 'spec' in __metadata__"):
        purenn.load(path)
    safetensors.write_tensors(path, {"w": ((1,), [1.0])}, {"spec": "input 2\nrleu\n"})
    with pytest.raises(ModelFileError, match=r"the spec in __metadata__ does not build"):
        purenn.load(path)


# -- values and specs of a model file are untrusted --------------------------------------
def bad_value_copy(tmp_path, spec_name, tensor, value):
    net = purenn.build(spec_name, seed=1)
    path = tmp_path / "m.safetensors"
    purenn.save(net, path)
    tensors, metadata = safetensors.read_tensors(path)
    shape, values, dtype = tensors[tensor]
    tensors[tensor] = safetensors.Tensor(shape, values[:3] + [value] + values[4:], dtype)
    safetensors.write_tensors(path, tensors, metadata)
    return path


@pytest.mark.parametrize("spec_name, tensor, value, need", [
    ("two_layer", "dense1.W", float("nan"), "finite"),
    ("two_layer", "dense2.b", float("-inf"), "finite"),
    ("mnist_adam_bn", "batchnorm1.running_mean", float("nan"), "finite"),
    ("mnist_adam_bn", "batchnorm1.running_var", -1e-3, "finite and ≥ 0.0"),
    ("mnist_adam_bn", "batchnorm1.running_var", float("inf"), "finite and ≥ 0.0"),
])
def test_nan_infinite_and_negative_variance_tensors_are_refused(tmp_path, spec_name, tensor,
                                                                 value, need):
    path = bad_value_copy(tmp_path, spec_name, tensor, value)
    with pytest.raises(ModelFileError) as err:
        purenn.load(path)
    assert str(err.value) == (f"{path}: tensor {tensor!r}: value {value!r} at flat index 3 "
                              f"must be {need}")


def tiny_model_with_a_huge_spec(tmp_path):
    path = tmp_path / "huge.safetensors"
    safetensors.write_tensors(path, {"dense1.W": ((1, 1), [0.5])}, {
        "format": "purenn.model", "spec": "input 784\ndense 10000000\nloss "
                                          "softmax_cross_entropy\n"})
    return path


def test_a_tiny_model_whose_spec_asks_for_millions_is_refused_before_building(tmp_path):
    path = tiny_model_with_a_huge_spec(tmp_path)
    assert path.stat().st_size < 250
    with peak_memory() as peak:
        with pytest.raises(ModelFileError) as err:
            purenn.load(path)
    assert not peak or peak[0] < 2_000_000
    assert str(err.value) == (
        f"{path}: the spec in __metadata__ does not build: <spec>:2: 'dense 10000000': it "
        f"would hold 7,850,000,000 numbers (parameters and buffers), over the limit of "
        f"65,536; the file's tensors hold only 1 numbers")


@pytest.mark.parametrize("command", [["predict", "{path}", "0"], ["evaluate", "{path}"],
                                     ["export", "{path}", "-o", "{out}"]])
def test_predict_evaluate_and_export_refuse_the_tiny_model_in_one_line(tmp_path, command):
    from helpers import run_purenn

    path = tiny_model_with_a_huge_spec(tmp_path)
    args = [word.format(path=path, out=tmp_path / "w.npz") for word in command]
    result = run_purenn(*args, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {path}: the spec in __metadata__ does not build")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("training, message", [
    ('{"dataset": 5}', "field 'training.dataset': expected a string"),
    ('{"seed": [1]}', "field 'training.seed': expected an integer"),
    ('{"x": {"deep": 1}}', "field 'training.x': expected null or true or false"),
    ('[1, 2]', "field 'training': expected an object"),
    ('{"a": ' * 100 + "1" + "}" * 100, "'training' in __metadata__ is nested deeper"),
    ('{"seed": 1e999}', "'training' in __metadata__ is not valid JSON"),
])
def test_the_training_summary_is_checked(tmp_path, training, message):
    net = purenn.build("spiral_net")
    path = tmp_path / "m.safetensors"
    purenn.save(net, path)
    tensors, metadata = safetensors.read_tensors(path)
    metadata["training"] = training
    safetensors.write_tensors(path, tensors, metadata)
    with pytest.raises(ModelFileError) as err:
        purenn.load(path)
    assert str(err.value).startswith(f"{path}: {message}")
