"""`purenn import` and `purenn export`, and purenn.weights, which pairs arrays with
parameters: by --map, then by order where the shapes agree."""

import pytest
from helpers import run_purenn

import purenn
from purenn import cli
from purenn.errors import ModelFileError
from purenn.formats import npy
from purenn.formats.tensor import Tensor
from purenn.weights import load_into, network_arrays, parse_map, plan

SPEC = "input 3\ndense 4\nsigmoid\ndense 2\nloss softmax_cross_entropy\n"
SHAPES = {"dense1.W": (3, 4), "dense1.b": (4,), "dense2.W": (4, 2), "dense2.b": (2,)}


def arange(shape, start=0.0, dtype="float64"):
    count = 1
    for size in shape:
        count *= size
    return Tensor(shape, [start + i / 8 for i in range(count)], dtype)


def book_order():
    """Arrays named and ordered as the book's archives: W1 W2 b1 b2."""
    return {"W1": arange((3, 4)), "W2": arange((4, 2), 10.0),
            "b1": arange((4,), 20.0), "b2": arange((2,), 30.0)}


def test_by_order_each_parameter_takes_the_first_unused_array_of_its_shape():
    assert plan(book_order(), SHAPES) == [
        ("W1", "dense1.W", "by order"), ("b1", "dense1.b", "by order"),
        ("W2", "dense2.W", "by order"), ("b2", "dense2.b", "by order")]


def test_same_shapes_are_taken_in_file_order_unless_mapped():
    shapes = {"a.W": (2, 2), "b.W": (2, 2)}
    arrays = {"second": arange((2, 2)), "first": arange((2, 2), 5.0)}
    assert plan(arrays, shapes) == [("second", "a.W", "by order"),
                                    ("first", "b.W", "by order")]
    assert plan(arrays, shapes, [("first", "a.W")]) == [("first", "a.W", "explicit"),
                                                        ("second", "b.W", "by order")]


@pytest.mark.parametrize("explicit, expected", [
    ([("W9", "dense1.W")], "--map names array 'W9', which w.npz does not hold "
                           "(arrays: W1, W2, b1, b2)"),
    ([("W1", "dense9.W")], "--map names parameter 'dense9.W', which the network does not "
                           "have (parameters: dense1.W, dense1.b, dense2.W, dense2.b)"),
    ([("W1", "dense1.W"), ("W1", "dense2.W")], "--map uses array 'W1' twice"),
    ([("W1", "dense1.W"), ("W2", "dense1.W")],
     "--map gives parameter 'dense1.W' two arrays"),
    ([("W2", "dense1.W")], "array 'W2' of w.npz has shape (4, 2) but parameter 'dense1.W' "
                           "has shape (3, 4)"),
])
def test_explicit_mapping_errors_name_both_sides(explicit, expected):
    with pytest.raises(ModelFileError) as info:
        plan(book_order(), SHAPES, explicit, "w.npz")
    assert str(info.value) == expected


def test_a_shape_nothing_agrees_with_and_arrays_left_over_are_errors():
    arrays = book_order()
    arrays["W2"] = arange((2, 4))
    with pytest.raises(ModelFileError) as info:
        plan(arrays, SHAPES, source="w.npz")
    assert str(info.value) == (
        "parameter 'dense2.W' has shape (4, 2) but no array left in w.npz has that shape "
        "(left: W2 (2, 4), b2 (2,)); pair them with --map ARRAY=PARAMETER")
    arrays = book_order()
    arrays["extra"] = arange((1,))
    with pytest.raises(ModelFileError) as info:
        plan(arrays, SHAPES, source="w.npz")
    assert str(info.value) == "w.npz holds arrays the network has no parameter for: extra (1,)"


def test_parse_map():
    assert parse_map("W1=dense1.W, b1 = dense1.b,") == [("W1", "dense1.W"),
                                                        ("b1", "dense1.b")]
    with pytest.raises(ModelFileError) as info:
        parse_map("W1=dense1.W,b1")
    assert str(info.value) == "--map entry 'b1' is not ARRAY=PARAMETER (as W1=dense1.W)"


def test_load_into_copies_exact_values_in_place_and_refuses_bad_ones():
    net = purenn.build(SPEC)
    W = net.params["dense1.W"]
    arrays = book_order()
    float32 = npy.encode_npy(Tensor((3, 4), [0.1 * i for i in range(12)], "float32"))
    arrays["W1"] = npy.parse_npy(float32)
    load_into(net, arrays)
    assert net.params["dense1.W"] is W  # the optimizer's lists stay the lists
    assert W[0] == [0.0, 0.10000000149011612, 0.20000000298023224, 0.30000001192092896]
    assert net.params["dense2.b"] == [30.0, 30.125]
    arrays["b2"] = Tensor((2,), [1.0, float("nan")], "float64")
    with pytest.raises(ModelFileError, match="array 'b2' of w.npz holds nan; weights must "
                                             "be finite"):
        load_into(net, arrays, source="w.npz")
    arrays["b2"] = Tensor((2,), [True, False], "bool")
    with pytest.raises(ModelFileError, match="array 'b2' of w.npz has dtype 'bool'"):
        load_into(net, arrays, source="w.npz")


def test_buffers_are_imported_and_exported_too():
    net = purenn.build("input 3\ndense 2\nbatchnorm\nloss softmax_cross_entropy\n")
    names = list(network_arrays(net))
    assert names[:2] == ["dense1.W", "dense1.b"] and "batchnorm1.running_mean" in names


# -- the commands -----------------------------------------------------------------------
def run(*argv):
    lines = []
    code = cli.main(list(argv), out=lines.append)
    return code, lines


def test_import_then_export_round_trips_exactly(tmp_path):
    spec = tmp_path / "small.net"
    spec.write_text(SPEC)
    weights = tmp_path / "w.npz"
    npy.write_npz(str(weights), book_order())
    model = tmp_path / "m.safetensors"
    code, lines = run("import", str(weights), "--spec", str(spec), "-o", str(model),
                      "--map", "b1=dense1.b", "--map", "W1=dense1.W")
    assert code == 0
    assert lines == [
        "W1 (3, 4) -> dense1.W         float64, explicit",
        "b1 (4,)   -> dense1.b         float64, explicit",
        "W2 (4, 2) -> dense2.W         float64, by order",
        "b2 (2,)   -> dense2.b         float64, by order",
        f"wrote {model}: 4 tensors, spec {spec}",
    ]
    net = purenn.load(str(model))
    assert net.params["dense2.W"][3] == [10.75, 10.875]
    assert net.training == {"imported_from": "w.npz"}
    back = tmp_path / "back.npz"
    code, lines = run("export", str(model), "-o", str(back))
    assert code == 0
    assert lines == [
        "dense1.W                 (3, 4)           float64",
        "dense1.b                 (4,)             float64",
        "dense2.W                 (4, 2)           float64",
        "dense2.b                 (2,)             float64",
        f"wrote {back}: 4 arrays",
    ]
    exported = npy.read_npz(str(back))
    original = book_order()
    assert exported == {"dense1.W": original["W1"], "dense1.b": original["b1"],
                        "dense2.W": original["W2"], "dense2.b": original["b2"]}


def test_export_as_float32_compressed(tmp_path):
    net = purenn.build(SPEC)
    model = tmp_path / "m.safetensors"
    purenn.save(net, str(model))
    out = tmp_path / "w.npz"
    assert run("export", str(model), "-o", str(out), "--dtype", "float32",
               "--compress")[0] == 0
    arrays = npy.read_npz(str(out))
    assert {a.dtype for a in arrays.values()} == {"float32"}
    assert arrays["dense1.W"].values[:2] == [
        npy.parse_npy(npy.encode_npy(Tensor((1,), [v], "float32"))).values[0]
        for v in net.params["dense1.W"][0][:2]]


def test_import_of_a_single_npy_names_what_is_missing_and_writes_nothing(tmp_path):
    weights = tmp_path / "kernel.npy"
    npy.write_npy(str(weights), arange((2, 3)))
    spec_file = tmp_path / "s.net"
    spec_file.write_text("input 2\ndense 3\nloss mean_squared_error\n")
    done = run_purenn("import", str(weights), "--spec", str(spec_file), "-o",
                      str(tmp_path / "m.safetensors"), "--map", "kernel=dense1.W")
    assert done.returncode == 1
    assert done.stderr == ("error: parameter 'dense1.b' has shape (3,) but no array left "
                           "in kernel.npy has that shape (left: none); pair them with --map "
                           "ARRAY=PARAMETER\n")
    assert not (tmp_path / "m.safetensors").exists()


def test_command_line_errors(tmp_path):
    done = run_purenn("import", str(tmp_path / "none.npz"), "--spec", "two_layer", "-o",
                      str(tmp_path / "m.safetensors"))
    assert done.returncode == 1
    assert done.stderr == f"error: {tmp_path / 'none.npz'}: cannot open: No such " \
                          f"file or directory\n"
    done = run_purenn("import", "w.npz", "-o", "m.safetensors")
    assert done.returncode == 2
    assert "the following arguments are required: --spec" in done.stderr
    done = run_purenn("export", str(tmp_path / "none.safetensors"), "-o", "w.npz")
    assert done.returncode == 1 and done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr
