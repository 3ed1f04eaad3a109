"""Every option of every command has a declared range, checked before any work: a walk
over the parsers themselves (a new option is covered without touching this file) with
hostile values, and one test per row of issue 22's CLI table."""

import argparse
import os
import resource
import signal
import time

import pytest

from purenn import cli
from purenn.commands import args as declared

HOSTILE = ["0", "-1", "99999999999999999999", "1" + "0" * 400, "1e400", "nan", "inf",
           "-inf", "", "ü∂😀", "a\nb", "\x1b[2J", "1e308", "x" * 5000, "1," * 5000]
MANY = 10_000

# a cheap command line per command: a value the parser accepts runs little work (or fails
# at once on a missing file); None: parse only (fetch downloads, playground serves)
BASES = {
    "train": ["train", "--dataset", "spiral", "--epochs", "1", "--quiet", "--spec",
              "spiral_linear"],
    "evaluate": ["evaluate", "nope.safetensors"],
    "predict": ["predict", "nope.safetensors", "0"],
    "show": ["show", "--data", "nope"],
    "gradcheck": ["gradcheck", "spiral_linear", "--batch", "1"],
    "specs": ["specs"],
    "plugins": ["plugins"],
    "fetch": None,
    "import": ["import", "nope.npz", "--spec", "spiral_linear", "-o", "o.safetensors"],
    "export": ["export", "nope.safetensors", "-o", "o.npz"],
    "compare": ["compare", "--dataset", "spiral", "--set", "lr=0.1,0.2", "--epochs", "1",
                "--spec", "spiral_linear"],
    "search": ["search", "--dataset", "spiral", "--range", "lr=0.1:1", "--trials", "1",
               "--epochs", "1", "--spec", "spiral_linear"],
    "activations": ["activations", "ch6_activations", "--batch", "2"],
    "filters": ["filters", "nope.safetensors", "--out", "f.png"],
    "paths": ["paths", "--steps", "2"],
    "playground": None,
}
PARSE_ONLY_BASE = {"fetch": ["fetch", "mnist"], "playground": ["playground"]}


def commands():
    """(name, subparser) of every command, from the parser ``purenn`` builds."""
    parser = cli.make_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices.items())


def options():
    """(command, action) of every option and positional that takes a value."""
    return [(name, action) for name, p in commands() for action in p._actions
            if action.nargs != 0 and not isinstance(action, argparse._HelpAction)]


def option_id(item):
    name, action = item
    return f"{name} {'/'.join(action.option_strings) or action.dest}"


def test_the_walk_sees_every_command():
    assert {name for name, _ in commands()} == set(cli.COMMANDS) == set(BASES)


@pytest.mark.parametrize("item", options(), ids=option_id)
def test_every_option_declares_its_range(item):
    name, action = item
    assert action.choices is not None or isinstance(action.type, declared.DECLARED), (
        f"{option_id(item)}: give it a type from purenn/commands/args.py")
    many = isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+")
    if many and not isinstance(action, declared._Counted):
        pytest.fail(f"{option_id(item)}: use args.Append or args.StoreList (a most "
                    f"number of items)")
    if isinstance(action, declared._Counted):
        assert action.max_items <= MANY


def argv_with(name, action, values):
    """The base command line of ``name`` with ``values`` given to ``action``."""
    base = list(BASES[name] or PARSE_ONLY_BASE[name])
    if action.option_strings:
        extra = []
        for value in values:
            extra += [action.option_strings[-1], value]
        return base + extra, base
    positionals = [a.dest for command, p in commands() if command == name
                   for a in p._actions if not a.option_strings]
    index = 1 + positionals.index(action.dest)
    if action.nargs in ("*", "+"):
        return base[:index] + list(values) + base[index:], base
    if index < len(base) and not base[index].startswith("-"):
        return base[:index] + list(values) + base[index + 1:], base
    return base[:index] + list(values) + base[index:], base


class Slow(BaseException):
    pass


def _alarm(signum, frame):
    raise Slow


def run(argv, parse_only, capsys):
    """(exit code, stderr) of ``purenn ARGV`` in this process."""
    capsys.readouterr()
    try:
        if parse_only:
            cli.make_parser(argv[0]).parse_args(argv)
            code = 0
        else:
            code = cli.main(argv, out=lambda line: None)
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def assert_promise(argv, code, err):
    shown = f"{' '.join(argv)[:200]!r}: exit {code}, stderr {err[:600]!r}"
    assert code in (0, 1, 2), shown
    assert "Traceback" not in err and "internal error" not in err, shown
    if code:
        lines = err.splitlines()
        assert lines and (lines[0].startswith("error: ") or ": error: " in lines[0]), shown
        assert len(lines) <= 4, shown  # one message, wrapped, and the --help hint
        assert all(len(line) <= 600 for line in lines), shown  # never a value quoted whole


@pytest.mark.parametrize("item", options(), ids=option_id)
def test_hostile_values_are_refused_in_one_line_quickly(item, tmp_path, monkeypatch,
                                                         capsys):
    name, action = item
    monkeypatch.chdir(tmp_path)  # anything a value makes lands here
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cases = [[value] for value in HOSTILE]
    if isinstance(action, declared._Counted):
        cases.append(["1"] * MANY)
    glued = [] if not action.option_strings else [  # '--out=--' was no value at all
        list(BASES[name] or PARSE_ONLY_BASE[name]) + [f"{action.option_strings[-1]}=--"]]
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for values in cases + glued:
            argv = values if values in glued else argv_with(name, action, values)[0]
            started = time.perf_counter()
            signal.alarm(10)
            try:
                code, err = run(argv, BASES[name] is None, capsys)
            except Slow:
                pytest.fail(f"{' '.join(argv)[:200]!r} ran past 10 s")
            finally:
                signal.alarm(0)
            assert time.perf_counter() - started < 10
            assert_promise(argv, code, err)
    finally:
        signal.signal(signal.SIGALRM, previous)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 300 * 1024, f"{option_id(item)}: peak memory grew {grown_kb} kB"


def test_a_declared_range_is_checked_as_the_line_is_parsed():
    whole = declared.Whole(1, 10)
    assert whole("10") == 10
    for text in ("0", "11", "1" * 41, "1.5", "", "nan"):
        with pytest.raises(argparse.ArgumentTypeError):
            whole(text)
    real = declared.Real(0.0, 1.0, above=True)
    assert real("1") == 1.0
    for text in ("0", "1.01", "nan", "inf", "-inf", "1e400", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            real(text)
    text = declared.Text(5)
    assert text("ü∂😀") == "ü∂😀"
    for value in ("", "123456", "a\nb", "a\tb", "\x1b[2J", "\x85"):
        with pytest.raises(argparse.ArgumentTypeError):
            text(value)


# -- issue 22, the CLI table, one test per row --------------------------------------------
def usage_error(capsys, *argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(argv), out=lambda line: None)
    assert exit_info.value.code == 2
    return " ".join(capsys.readouterr().err.split())


def runtime_error(capsys, *argv):
    capsys.readouterr()
    assert cli.main(list(argv), out=lambda line: None) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "internal error" not in err
    return err


def test_row_1_search_trials_have_a_most(capsys):
    err = usage_error(capsys, "search", "--trials", "1000000000", "--epochs", "1",
                      "--train-size", "100", "--range", "lr=0.01:1")
    assert "argument --trials: expected a whole number from 1 to 10,000" in err


def test_row_2_activations_batch_has_a_most(capsys):
    err = usage_error(capsys, "activations", "ch6_activations", "--batch", "1000000")
    assert "argument --batch: expected a whole number from 1 to 100,000" in err


def test_row_2_the_activations_kept_have_a_budget(capsys):
    err = runtime_error(capsys, "activations", "ch6_activations", "--batch", "100000",
                        "--set", "dense.std=1,2,3")
    assert "makes 300,000,000 activation numbers, over the budget of 10,000,000" in err


def test_row_3_bins_have_a_most_and_bars_a_budget(capsys, tmp_path):
    err = usage_error(capsys, "activations", "ch6_activations", "--batch", "50", "--bins",
                      "100000000", "--out", str(tmp_path / "b.png"))
    assert "argument --bins: expected a whole number from 1 to 1,000" in err
    assert not (tmp_path / "b.png").exists()


def test_row_4_set_combinations_have_a_budget(capsys, tmp_path):
    values = ",".join(str(i / 1000) for i in range(1, 201))
    err = runtime_error(capsys, "activations", "ch6_activations", "--batch", "10", "--set",
                        f"dense.std={values}", "--out", str(tmp_path / "a.png"))
    assert "the combinations of 1 --set makes 200 activation rows, over the budget of 100" in err
    err = usage_error(capsys, "activations", "ch6_activations", "--set",
                      "dense.std=" + ",".join(["0.1"] * 2000))
    assert "argument --set: expected at most 4,096 characters" in err


def test_row_4_compare_runs_have_a_budget(capsys):
    values = ",".join(str(i) for i in range(1, 40))
    err = runtime_error(capsys, "compare", "--dataset", "spiral", "--set", f"lr={values}",
                        "--set", f"dense1.units={values}")
    assert "makes 1,521 runs, over the budget of 1,000" in err


def test_row_5_a_range_that_overflows_is_refused(capsys, tmp_path):
    err = runtime_error(capsys, "activations", "ch6_activations", "--range=-1e308:1e308",
                        "--out", str(tmp_path / "r.png"))
    assert "--range '-1e308:1e308': LO and HI must be finite, and HI - LO too" in err


def test_row_6_paths_steps_have_a_most(capsys):
    err = usage_error(capsys, "paths", "--steps", "99999999999999")
    assert "argument --steps: expected a whole number from 1 to 100,000" in err


def test_row_7_optimizers_have_a_most_and_steps_a_budget(capsys, tmp_path):
    err = usage_error(capsys, "paths", *["--optimizer", "sgd lr=0.1"] * 10_000,
                      "--out", str(tmp_path / "p.png"))
    assert "argument --optimizer: at most 20 values, got 21" in err
    err = runtime_error(capsys, "paths", *["--optimizer", "sgd lr=0.1"] * 20,
                        "--steps", "100000")
    assert "20 optimizer(s) x --steps 100000 makes 2,000,000 path steps" in err


def test_row_8_epochs_stay_within_what_a_checkpoint_holds(capsys, tmp_path):
    from purenn.checkpoint import MAX_SIZE

    assert declared.MAX_COUNT < MAX_SIZE
    err = usage_error(capsys, "train", "--dataset", "spiral", "--epochs",
                      "99999999999999999999", "--checkpoint-dir", str(tmp_path / "ck"))
    assert "argument --epochs: expected a whole number from 1 to 1,000,000,000" in err
    assert not (tmp_path / "ck").exists()


@pytest.mark.parametrize("dataset", ["x", "", None])
def test_row_9_a_checkpoint_without_a_known_dataset_is_one_line(capsys, tmp_path,
                                                                 monkeypatch, dataset):
    from purenn import checkpoint

    folder = tmp_path / "ck"
    assert cli.main(["train", "--dataset", "spiral", "--epochs", "2", "--quiet",
                     "--checkpoint-dir", str(folder)], out=lambda line: None) == 0
    loaded = checkpoint.load_checkpoint(str(folder))
    if dataset is None:
        del loaded.run["dataset"]
    else:
        loaded.run["dataset"] = dataset
    original = checkpoint.load_checkpoint
    monkeypatch.setattr("purenn.commands.runs.load_checkpoint", lambda path: loaded)
    err = runtime_error(capsys, "train", "--resume", str(folder))
    assert "field 'run.dataset': expected one of circles, fashion-mnist" in err
    assert original is checkpoint.load_checkpoint


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("argv", [
    ["evaluate", "{fifo}"], ["predict", "{fifo}", "0"], ["export", "{fifo}", "-o", "o.npz"],
    ["import", "{fifo}", "--spec", "two_layer", "-o", "o.safetensors"],
    ["activations", "{fifo}"], ["filters", "{fifo}", "--out", "f.png"],
    ["train", "--resume", "{folder}"], ["train", "--data", "{folder}"],
    ["train", "--spec", "{spec}", "--dataset", "spiral"],
])
def test_row_10_a_fifo_is_refused_without_blocking(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "ck"
    folder.mkdir()
    os.mkfifo(tmp_path / "f.safetensors")
    os.mkfifo(folder / "checkpoint.safetensors")
    os.mkfifo(folder / "train-images-idx3-ubyte.gz")
    for name in ("train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (folder / name).write_bytes(b"")
    os.mkfifo(tmp_path / "s.net")
    argv = [a.format(fifo="f.safetensors", folder=folder, spec="s.net") for a in argv]
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        err = runtime_error(capsys, *argv)
    except Slow:
        pytest.fail(f"{argv} blocked on a FIFO")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    # find_file and the spec reader see that a FIFO is not a file before opening it
    assert any(why in err for why in ("not a regular file", "no spec file",
                                      "no train-images")), err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_row_10_every_reader_opens_through_one_place(tmp_path):
    from purenn.errors import PurennError
    from purenn.fileio import open_regular, read_bytes

    os.mkfifo(tmp_path / "p")
    for read in (open_regular, read_bytes):
        with pytest.raises(PurennError, match="a named pipe .FIFO., not a regular file"):
            read(tmp_path / "p")
    with pytest.raises(PurennError, match="a folder, not a regular file"):
        open_regular(tmp_path)
    (tmp_path / "f").write_bytes(b"abc")
    with open_regular(tmp_path / "f") as f:
        assert f.read() == b"abc"


def test_row_11_a_raised_limit_still_ends_early_in_one_line(capsys, monkeypatch):
    from purenn import spec

    monkeypatch.setenv(spec.LIMIT_ENV, "1" + "0" * 30)
    held = spec.memory_numbers()
    if held is None:
        pytest.skip("the system does not say how much memory it has")
    assert spec.parameter_limit() == max(held, spec.MAX_PARAMETERS)
    started = time.perf_counter()
    units = int(max(held, spec.MAX_PARAMETERS) ** 0.5) + 10
    err = runtime_error(capsys, "activations", "ch6_activations", "--set",
                        f"dense.units={units}")
    assert "over the limit of" in err
    err = usage_error(capsys, "train", "--dataset", "spiral", "--iterations", "1",
                      "--batch-size", "100000000")
    assert "argument --batch-size: expected a whole number from 1 to 100,000" in err
    assert time.perf_counter() - started < 10


def test_row_11_running_out_of_memory_is_one_line(capsys, monkeypatch):
    from purenn.commands import paths

    def fail(args, out):
        raise MemoryError

    monkeypatch.setattr(paths, "run", fail)
    err = runtime_error(capsys, "paths")
    assert err.startswith("error: out of memory")


def test_row_12_warnings_have_one_format_everywhere(capsys):
    import warnings

    from purenn.commands import paths

    def warn(args, out):
        warnings.warn("the loss exploded", RuntimeWarning, stacklevel=1)
        return 0

    original = paths.run
    try:
        paths.run = warn
        assert cli.main(["paths"], out=lambda line: None) == 0
    finally:
        paths.run = original
    assert capsys.readouterr().err == "warning: the loss exploded\n"


def test_row_12_a_diverging_compare_warns_in_one_format(capsys):
    assert cli.main(["compare", "--dataset", "spiral", "--set", "lr=1e10,0.1", "--epochs",
                     "3"], out=lambda line: None) in (0, 1)
    err = capsys.readouterr().err
    assert ".py:" not in err and "RuntimeWarning" not in err, err


def test_row_13_a_newline_in_set_is_refused(capsys):
    err = usage_error(capsys, "compare", "--set", "dense1.units=10\ndense 5,7")
    assert "argument --set: control character '\\n'" in err
    from purenn.errors import PurennError
    from purenn.experiments import settings

    with pytest.raises(PurennError, match="control character"):
        settings.parse_assignment("dense1.units=10\ndense 5,7")


def test_row_14_a_shape_of_thousands_of_digits_is_one_line(capsys, tmp_path):
    import struct

    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 0x%s), }" % ("f" * 4000)
    raw = header.encode() + b" " * (-(11 + len(header)) % 64) + b"\n"
    (tmp_path / "a.npy").write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw)
    err = runtime_error(capsys, "import", str(tmp_path / "a.npy"), "--spec", "two_layer",
                        "-o", str(tmp_path / "o.safetensors"))
    assert "must be a tuple of sizes from 0 to 2**63 - 1, got (0, <a whole number of" in err


def test_row_15_a_member_no_parameter_takes_is_never_decoded(tmp_path, monkeypatch, capsys):
    from array import array

    from purenn.formats import npy
    from purenn.formats.tensor import Tensor

    npy.write_npz(tmp_path / "w.npz", {"big": Tensor((1000,), [3] * 1000, "uint8"),
                                       "flags": Tensor((7,), [True] * 7, "bool")},
                  compress=True)
    decoded = []
    items = npy._items
    monkeypatch.setattr(npy, "_items", lambda *a: decoded.append(a[1]) or items(*a))
    err = runtime_error(capsys, "import", str(tmp_path / "w.npz"), "--spec", "two_layer",
                        "-o", str(tmp_path / "o.safetensors"))
    assert "no array left" in err and decoded == []
    arrays = npy.read_npz(tmp_path / "w.npz")
    assert type(arrays["big"].values) is array and arrays["big"].values.itemsize == 1
    assert type(arrays["flags"].values) is array and list(arrays["flags"].values) == [1] * 7


def test_row_16_a_stored_uint8_npy_is_held_as_bytes(tmp_path):
    from array import array

    from purenn.formats import npy
    from purenn.formats.tensor import Tensor

    npy.write_npy(tmp_path / "u.npy", Tensor((3, 2), [0, 1, 2, 253, 254, 255], "uint8"))
    back = npy.read_npy(tmp_path / "u.npy")
    assert type(back.values) is array and back.values.typecode == "B"
    assert list(back.values) == [0, 1, 2, 253, 254, 255]
    npy.write_npy(tmp_path / "i.npy", Tensor((2, 2), [-128, 0, 1, 127], "int8"),
                  fortran_order=True)
    back = npy.read_npy(tmp_path / "i.npy")
    assert back.values.typecode == "b" and list(back.values) == [-128, 0, 1, 127]


def test_row_17_idx_headers_that_do_not_fit_are_refused_before_the_bodies(
        tmp_path, monkeypatch, capsys):
    import struct

    from purenn.data import idx

    def write(name, dims):
        (tmp_path / name).write_bytes(struct.pack(f">HBB{len(dims)}I", 0, 8, len(dims),
                                                  *dims) + bytes(math_prod(dims)))

    write("train-images-idx3-ubyte", (50, 1, 1))
    write("train-labels-idx1-ubyte", (50,))
    write("t10k-images-idx3-ubyte", (20, 1, 1))
    write("t10k-labels-idx1-ubyte", (20,))
    bodies = []
    monkeypatch.setattr(idx, "read_idx", lambda *a, **k: bodies.append(a) or 1 / 0)
    err = runtime_error(capsys, "train", "--data", str(tmp_path), "--epochs", "1")
    assert "spec 'two_layer' takes input 784 (784 numbers) but the data has 1 per sample" in err
    assert bodies == []
    write("t10k-images-idx3-ubyte", (20, 2, 1))
    err = runtime_error(capsys, "train", "--data", str(tmp_path), "--epochs", "1")
    assert "test images are 2x1 but the training images" in err and bodies == []


def math_prod(dims):
    out = 1
    for d in dims:
        out *= d
    return out


def test_a_model_whose_outputs_do_not_fit_the_classes_is_one_line(capsys, tmp_path):
    # found by tests/fuzz/cli.py: a 3-class model evaluated on moons (2 classes) was
    # an IndexError in the confusion matrix
    import purenn

    purenn.save(purenn.build("spiral_linear"), str(tmp_path / "m.safetensors"))
    for command in (["evaluate", str(tmp_path / "m.safetensors")],
                    ["predict", str(tmp_path / "m.safetensors"), "0"]):
        err = runtime_error(capsys, *command, "--dataset", "moons")
        assert "the network ends in 3 outputs but the data has 2 classes" in err


def test_a_usage_error_quoting_thousands_of_arguments_is_one_short_message(capsys):
    # found by tests/fuzz/cli.py (seed 1, case 1009): argparse quotes every unrecognized
    # argument: 10,000 of them made one line of 70,000 characters, then (wrapped to the
    # terminal) hundreds of lines
    err = capsys.readouterr
    with pytest.raises(SystemExit):
        cli.main(["show", *["-1e400"] * 10_001, "--dataset", "spiral"])
    lines = err().err.splitlines()
    # one error line, its quoted values cut short, then where to look
    assert len(lines) == 2 and lines[0].startswith("purenn: error: unrecognized")
    assert lines[-1] == "(see 'purenn --help')"
    assert len(lines[0]) <= 200


def test_a_usage_error_quoting_control_characters_stays_one_line(capsys):
    # found by tests/fuzz/cli.py (seed 10, case 759738): argparse quoted a carriage
    # return and a newline raw, which broke the error over several lines
    with pytest.raises(SystemExit) as stop:
        cli.main(["specs", "o.safetensors", "\r", "\r", "m.safetensors\n"])
    assert stop.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["purenn: error: unrecognized arguments: \\r \\r m.safetensors\\n",
                     "(see 'purenn --help')"]


def test_the_campaign_takes_warnings_before_the_one_error_line():
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz", "cli.py")
    spec = importlib.util.spec_from_file_location("fuzz_cli", path)
    campaign = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(campaign)
    err = ("warning: the loss exploded to 2.446e+08 at update 2 (first update: 1.094, more\n"
           "  than 10x); training diverges\nerror: the loss became inf at update 52\n")
    assert campaign.promise_kept(1, err)
    assert not campaign.promise_kept(1, "warning: x\nerror: a\nb\nc\nd\ne\n")
