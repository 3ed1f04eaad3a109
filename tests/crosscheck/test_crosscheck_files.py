"""Files both ways: .npy/.npz and safetensors written by purenn load in NumPy (and in the
`safetensors` package when installed), and files NumPy writes load in purenn."""

import io
import json
import struct

import pytest

import purenn
from purenn.formats import npy, safetensors
from purenn.formats.tensor import Tensor

np = pytest.importorskip("numpy")

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
          "uint16", "uint32", "uint64", "bool"]
SHAPES = [(), (0,), (5,), (2, 3), (3, 1, 4), (2, 0, 3)]


def sample(dtype, shape, gen):
    if dtype == "bool":
        return gen.random(shape) > 0.5
    info = np.finfo(dtype) if dtype.startswith("float") else np.iinfo(dtype)
    if dtype.startswith("float"):
        return (gen.standard_normal(shape) * 100).astype(dtype)
    return gen.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_npy_both_ways_every_dtype_order_and_byte_order(dtype):
    gen = np.random.default_rng(1)
    for shape in SHAPES:
        a = np.asarray(sample(dtype, shape, gen))
        for byteorder in "<>":
            typed = a.astype(np.dtype(dtype).newbyteorder(byteorder))
            for order in "CF":
                # (np.asfortranarray would make a 0-d array 1-d)
                laid = np.asfortranarray(typed) if order == "F" and a.ndim > 1 else typed
                for version in ((1, 0), (2, 0), (3, 0)):
                    buffer = io.BytesIO()
                    np.lib.format.write_array(buffer, laid, version=version)
                    mine = npy.parse_npy(buffer.getvalue())
                    assert mine.dtype == dtype and mine.shape == shape
                    assert list(mine.values) == a.ravel().tolist()
                    written = npy.encode_npy(mine, byteorder=byteorder,
                                             fortran_order=order == "F", version=version)
                    back = np.load(io.BytesIO(written))
                    assert back.dtype == typed.dtype and back.shape == shape
                    assert np.array_equal(back, a, equal_nan=True)
                    if len(shape) > 1 and 0 not in shape:
                        assert back.flags.f_contiguous == (order == "F")


@pytest.mark.parametrize("save", ["savez", "savez_compressed"])
def test_npz_both_ways(save, tmp_path):
    gen = np.random.default_rng(2)
    arrays = {"W1": gen.standard_normal((4, 3)).astype(np.float32),
              "b1": np.arange(3, dtype=">i8"), "dense1.W": np.asfortranarray(
                  gen.standard_normal((2, 5))), "flag": np.array(True)}
    path = tmp_path / "numpy.npz"
    getattr(np, save)(path, **arrays)
    mine = npy.read_npz(str(path))
    assert list(mine) == list(arrays)
    for name, a in arrays.items():
        assert mine[name].shape == a.shape and list(mine[name].values) == a.ravel().tolist()
    out = tmp_path / "purenn.npz"
    npy.write_npz(str(out), mine, compress=save == "savez_compressed")
    with np.load(out, allow_pickle=False) as back:
        assert back.files == list(arrays)
        for name, a in arrays.items():
            assert back[name].dtype.name == a.dtype.name
            assert np.array_equal(back[name], a)


def read_safetensors_with_numpy(path):
    """The format read with NumPy alone: header length, JSON header, raw LE C-order data."""
    types = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
             "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=types[entry["dtype"]]
                                      ).reshape(entry["shape"])
    return tensors, metadata


def write_safetensors_with_numpy(path, arrays, metadata):
    names = {"float64": "F64", "float32": "F32", "int64": "I64", "uint8": "U8"}
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, a in arrays.items():
        raw = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[a.dtype.name], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


NET = "input 4\ndense 3\nsigmoid\ndense 2\nloss softmax_cross_entropy\n"


def test_model_files_load_in_numpy_and_the_safetensors_package(tmp_path):
    net = purenn.build(NET, seed=3)
    path = str(tmp_path / "m.safetensors")
    purenn.save(net, path)
    tensors, metadata = read_safetensors_with_numpy(path)
    assert metadata["spec"] == purenn.spec.write(net)
    assert list(tensors) == list(net.params)
    for name, value in net.params.items():
        assert tensors[name].dtype == np.float64
        assert np.array_equal(tensors[name], np.array(value))
    try:
        from safetensors.numpy import load_file
    except ImportError:
        return
    loaded = load_file(path)
    for name, value in net.params.items():
        assert np.array_equal(loaded[name], np.array(value))


def test_safetensors_written_by_numpy_load_in_purenn(tmp_path):
    net = purenn.build(NET, seed=4)
    gen = np.random.default_rng(5)
    arrays = {name: gen.standard_normal(np.shape(value)) for name, value in net.params.items()}
    path = str(tmp_path / "numpy.safetensors")
    write_safetensors_with_numpy(path, arrays, {"format": "purenn.model",
                                                "format_version": "1",
                                                "spec": purenn.spec.write(net)})
    loaded = purenn.load(path)
    for name, a in arrays.items():
        assert np.array_equal(np.array(loaded.params[name]), a)
    extra = {"i": np.arange(6, dtype=np.int64).reshape(2, 3), "u": np.arange(3, dtype=np.uint8),
             "f": np.array([0.1, 2.5], dtype=np.float32)}
    write_safetensors_with_numpy(path, extra, {})
    tensors, _ = safetensors.read_tensors(path)
    for name, a in extra.items():
        assert tuple(tensors[name].shape) == a.shape
        assert list(tensors[name].values) == a.ravel().tolist()


def test_safetensors_package_files_load_in_purenn(tmp_path):
    numpy_api = pytest.importorskip("safetensors.numpy")
    net = purenn.build(NET, seed=6)
    gen = np.random.default_rng(6)
    arrays = {name: gen.standard_normal(np.shape(value)) for name, value in net.params.items()}
    path = str(tmp_path / "package.safetensors")
    numpy_api.save_file(arrays, path, metadata={"spec": purenn.spec.write(net)})
    loaded = purenn.load(path)
    for name, a in arrays.items():
        assert np.array_equal(np.array(loaded.params[name]), a)


def test_exported_weights_load_in_numpy(tmp_path):
    from purenn import cli

    net = purenn.build(NET, seed=8)
    model = str(tmp_path / "m.safetensors")
    purenn.save(net, model)
    out = str(tmp_path / "w.npz")
    assert cli.main(["export", model, "-o", out], out=lambda line: None) == 0
    with np.load(out, allow_pickle=False) as back:
        assert back.files == list(net.params)
        for name, value in net.params.items():
            assert back[name].dtype == np.float64
            assert np.array_equal(back[name], np.array(value))
    assert Tensor.from_nested(net.params["dense1.b"]).values == net.params["dense1.b"]
