"""purenn.formats.pkl against NumPy's own pickles: every protocol, dtype, byte order and
memory order NumPy writes reads back to the same numbers, and the book's weights pickled
by NumPy import into the same model as the same weights as .npz."""

import itertools
import os
import pickle

import pytest
from dlfs_book import BOOK, DLFS_DIR
from helpers import run_purenn

from purenn.errors import PurennError
from purenn.formats import npy, pkl, safetensors

np = pytest.importorskip("numpy")

DTYPES = ["<f8", ">f8", "<f4", ">f4", "<f2", "<i8", ">i4", "<i2", "|i1", "<u8", ">u2",
          "|u1", "|b1"]


def numpy_arrays(dtype, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((3, 4, 5)) * 100
    if dtype.endswith("b1"):
        base = base > 0
    return {
        "C": base.astype(dtype),
        "F": np.asfortranarray(base.astype(dtype)),
        "strided": base.astype(dtype)[:, ::2, 1:],
        "vector": base.astype(dtype)[0, 0],
        "scalar": base.astype(dtype)[0, 0, 0],
        "zero_d": np.array(base[0, 0, 0]).astype(dtype),
        "empty": np.zeros((0, 3), dtype),
    }


def same(tensor, array):
    array = np.asarray(array)
    expected = array.astype(array.dtype.newbyteorder("=")).ravel(order="C").tolist()
    return tensor.shape == array.shape and list(tensor.values) == expected


@pytest.mark.parametrize("protocol, dtype", itertools.product(range(6), DTYPES))
def test_numpys_pickles_read_back_exactly(protocol, dtype):
    arrays = numpy_arrays(dtype)
    read = pkl.parse_pickle(pickle.dumps(arrays, protocol=protocol), "n.pkl")
    assert list(read) == list(arrays)
    for name, array in arrays.items():
        assert same(read[name], array), (name, read[name], array)


@pytest.mark.parametrize("protocol", range(6))
def test_an_array_pickled_alone_and_shared_arrays(protocol):
    array = np.asfortranarray(np.arange(24.0).reshape(2, 3, 4))
    read = pkl.parse_pickle(pickle.dumps(array, protocol=protocol), "n.pkl", name="one")
    assert same(read["one"], array)
    shared = pkl.parse_pickle(pickle.dumps({"a": array, "b": array}, protocol=protocol),
                              "n.pkl")
    assert shared["a"] is shared["b"] and same(shared["a"], array)


@pytest.mark.parametrize("value", [
    np.array([1, "a"], dtype=object), np.zeros(2, complex), np.array(["ab"]),
    np.zeros(2, dtype=[("x", "<f8")]), np.zeros(2, "M8[s]"), {"W": [1.0]},
    {"W": np.zeros(2), "n": 3}, {"f": os.system}, [np.zeros(2)], range(3)])
@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_what_is_not_a_dict_of_numeric_arrays_is_refused_with_one_line(value, protocol):
    try:
        blob = pickle.dumps(value, protocol=protocol)
    except (TypeError, pickle.PicklingError):
        pytest.skip("not picklable")
    with pytest.raises(PurennError) as info:
        pkl.parse_pickle(blob, "n.pkl")
    assert "\n" not in str(info.value) and str(info.value).startswith("n.pkl: byte ")


def book_weights(book):
    if not os.path.isfile(book.path):
        pytest.skip(f"{book.weights} not found in {DLFS_DIR}")
    with np.load(book.path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


@pytest.mark.parametrize("name", list(BOOK))
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_the_books_weights_pickled_by_numpy_read_as_their_npz(name, protocol, tmp_path):
    weights = book_weights(BOOK[name])
    # the book's own files: W as is, the biases as Fortran-ordered copies, a dict whose
    # order is not the archive's (sample_weight.pkl starts with b2)
    pickled = {key: (np.asfortranarray(value) if key.startswith("b") else value)
               for key, value in sorted(weights.items(), key=lambda kv: kv[0][::-1])}
    path = tmp_path / f"{name}.pkl"
    path.write_bytes(pickle.dumps(pickled, protocol=protocol))
    assert pkl.read_pickle(path) == {key: npy.read_npz(BOOK[name].path)[key]
                                     for key in pickled}


@pytest.mark.parametrize("name", list(BOOK))
def test_import_of_the_books_pickle_writes_the_model_of_its_npz(name, tmp_path):
    book = BOOK[name]
    weights = book_weights(book)
    if name != "ch03":
        pytest.importorskip("purenn_conv")
    reordered = dict(sorted(weights.items(), key=lambda kv: kv[0][::-1]))  # b1 b2 ... W1
    (tmp_path / "w.pkl").write_bytes(pickle.dumps(reordered, protocol=3))
    models = {}
    for source in (str(tmp_path / "w.pkl"), book.path):
        out = str(tmp_path / (os.path.basename(source) + ".safetensors"))
        done = run_purenn("import", source, "--spec", book.spec, "-o", out, timeout=300)
        assert done.returncode == 0, done.stderr
        models[source] = safetensors.read_tensors(out)[0]
    assert models[str(tmp_path / "w.pkl")] == models[book.path]


@pytest.mark.parametrize("name", list(BOOK))
def test_the_books_names_pair_each_array_with_its_layer_whatever_the_pickles_order(name,
                                                                                tmp_path):
    """Without the conv plugin: the layers' parameters as the book numbers them (conv1.W,
    conv1.b, ...; the deep convnet's b1 and b2 are both (16,)), paired by order."""
    from purenn.weights import book_order, plan

    weights = book_weights(BOOK[name])
    count = len(weights) // 2
    shapes = {f"layer{i}.{key}": weights[f"{key}{i}"].shape
              for i in range(1, count + 1) for key in ("W", "b")}
    reordered = dict(sorted(weights.items(), key=lambda kv: kv[0][::-1]))
    (tmp_path / "w.pkl").write_bytes(pickle.dumps(reordered, protocol=4))
    mapping = plan(book_order(pkl.read_pickle(tmp_path / "w.pkl")), shapes)
    assert [(array, target) for array, target, _ in mapping] == [
        (f"{key}{i}", f"layer{i}.{key}") for i in range(1, count + 1) for key in ("W", "b")]
