"""Through the command line, every kind of file purenn reads, made hostile: exit 1, exactly
one 'error:' line, no traceback and no 'internal error'. And the files it writes: every
output checked before the work starts, a failed write one line, Ctrl-C where nothing can
be written still keeps the run."""

import gzip
import json
import os
import struct
import sys
import zlib

import pytest
from helpers import interrupt_at_first_epoch, run_purenn, unwritable_folder
from tiny_mnist import write_tiny_mnist

import purenn
from purenn import cli
from purenn.checkpoint import save_checkpoint, signed
from purenn.data import spiral
from purenn.formats import npy, safetensors
from purenn.formats.tensor import Tensor
from purenn.train import Trainer


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A tiny MNIST, an untrained two_layer model file, a spiral checkpoint."""
    import random

    folder = tmp_path_factory.mktemp("good")
    data = write_tiny_mnist(folder / "mnist", train_count=40, test_count=10)
    model = folder / "model.safetensors"
    purenn.save(purenn.build("two_layer"), model)
    bn_model = folder / "bn.safetensors"
    purenn.save(purenn.build("input 784\ndense 10\nbatchnorm\nloss softmax_cross_entropy\n"),
                bn_model)
    rng = random.Random(0)
    trainer = Trainer(purenn.build("spiral_net", rng=rng), spiral.make_spiral(20, rng=rng),
                      None, epochs=1, batch_size=30, rng=rng, log=None)
    trainer.fit()
    checkpoint = folder / "ck.safetensors"
    save_checkpoint(checkpoint, trainer, {"dataset": "spiral", "seed": 0, "batch_size": 30,
                                          "epochs": 1, "gradient": "backprop"})
    return {"folder": folder, "data": data, "model": str(model), "bn": str(bn_model),
            "checkpoint": str(checkpoint)}


def run_main(capsys, *args):
    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error_line(code, err):
    assert code == 1, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "internal error" not in err, err


# -- the hostile files, each (kind, name, writer(tmp, good) -> argv) ------------------------
def npy_header(header, data=b""):
    text = header.encode("latin-1")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


def import_args(path, good):
    return ["import", path, "--spec", "spiral_net", "-o", good["folder"] / "imported.st"]


def write(path, blob):
    path.write_bytes(blob)
    return path


def npz_bytes(arrays, compress=False):
    return npy.encode_npz({k: Tensor(*v) for k, v in arrays.items()}, compress=compress)


def safetensors_bytes(tensors, metadata):
    return safetensors.encode(tensors, metadata)


def model_meta(spec, **extra):
    return {"format": "purenn.model", "spec": spec, **extra}


def bad_model(good, tensor, index, value):
    tensors, metadata = safetensors.read_tensors(good)
    shape, values, dtype = tensors[tensor]
    values = list(values)
    values[index] = value
    tensors[tensor] = Tensor(shape, values, dtype)
    return safetensors_bytes(tensors, metadata)


def bad_checkpoint(good, edit):
    tensors, metadata = safetensors.read_tensors(good["checkpoint"])
    edit(tensors, metadata)
    return safetensors_bytes(tensors, signed(tensors, metadata))  # the fields are checked


def edit_trainer(key, value):
    def edit(tensors, metadata):
        state = json.loads(metadata["trainer"])
        state[key] = value
        metadata["trainer"] = json.dumps(state)
    return edit


def png_bytes(width, height, rows_blob=None, ihdr=None):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = ihdr if ihdr is not None else struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = rows_blob if rows_blob is not None else zlib.compress(
        b"".join(b"\x00" + bytes(width) for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND",
                                                                                   b"")


def idx_folder(tmp, good, name, blob):
    folder = tmp / "idx"
    folder.mkdir()
    for file in os.listdir(good["data"]):
        (folder / file).write_bytes((good["folder"] / "mnist" / file).read_bytes())
    (folder / name).write_bytes(blob)
    return ["train", "--data", folder, "--epochs", "1", "--quiet"]


HOSTILE = {
    # .npy (import)
    "npy: a shape of 5000 digits": lambda t, g: import_args(write(t / "a.npy", npy_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (" + "9" * 5000 + ",), }")), g),
    "npy: a list where the dtype goes": lambda t, g: import_args(write(t / "a.npy", npy_header(
        "{'descr': ['<f8'], 'fortran_order': False, 'shape': (2,), }", bytes(16))), g),
    "npy: 10**9 items declared, 8 bytes present": lambda t, g: import_args(write(
        t / "a.npy", npy_header("{'descr': '<f8', 'fortran_order': False, "
                                "'shape': (1000000000,), }", bytes(8))), g),
    "npy: pickled objects": lambda t, g: import_args(write(t / "a.npy", npy_header(
        "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"\x80\x04N.")), g),
    "npy: truncated magic": lambda t, g: import_args(write(t / "a.npy", b"\x93NUM"), g),
    # .npz (import)
    "npz: a corrupt member": lambda t, g: import_args(write(t / "a.npz", (lambda b: b[:60]
        + bytes(40) + b[100:])(npz_bytes({"W": ((30, 30), [0.5] * 900)}, True))), g),
    "npz: truncated": lambda t, g: import_args(write(t / "a.npz", npz_bytes(
        {"W": ((3,), [1.0, 2.0, 3.0])})[:-30]), g),
    "npz: not a zip at all": lambda t, g: import_args(write(t / "a.npz", b"PK\x03\x04"
                                                            + bytes(100)), g),
    # a pickle of NumPy arrays (import)
    "pkl: a global that would run a command": lambda t, g: import_args(write(
        t / "a.pkl", b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R."), g),
    "pkl: BINBYTES8 declaring 2**64 - 1 bytes": lambda t, g: import_args(write(
        t / "a.pkl", b"\x80\x04}(\x8c\x01W\x8e" + b"\xff" * 8 + b"u."), g),
    "pkl: 100,000 MARKs": lambda t, g: import_args(write(
        t / "a.pkl", b"\x80\x02" + b"(" * 100_000 + b"."), g),
    "pkl: truncated": lambda t, g: import_args(write(t / "a.pkl", b"\x80\x03}q\x00(X"), g),
    "pkl: given to evaluate": lambda t, g: ["evaluate", write(t / "a.pkl", b"\x80\x03}q\x00.")],
    # safetensors model (evaluate, predict)
    "model: header length 2**63": lambda t, g: ["evaluate", write(
        t / "m.st", struct.pack("<Q", 1 << 63) + b"{}")],
    "model: JSON nested 100000 deep": lambda t, g: ["evaluate", write(
        t / "m.st", (lambda h: struct.pack("<Q", len(h)) + h)(b"[" * 100000 + b"]" * 100000))],
    "model: a NaN weight": lambda t, g: ["predict", write(t / "m.st", bad_model(
        g["model"], "dense1.W", 5, float("nan"))), "0", "--data", g["data"]],
    "model: a negative running variance": lambda t, g: ["predict", write(t / "m.st", bad_model(
        g["bn"], "batchnorm1.running_var", 2, -1.0)), "0", "--data", g["data"]],
    "model: 120 bytes, spec dense 10000000": lambda t, g: ["evaluate", write(
        t / "m.st", safetensors_bytes({"w": ((1,), [1.0])}, model_meta(
            "input 784\ndense 10000000\nloss softmax_cross_entropy\n")))],
    "model: a PNG given as a model": lambda t, g: ["evaluate", write(t / "m.png",
                                                                     png_bytes(2, 2))],
    "model: training data set of the wrong type": lambda t, g: ["evaluate", write(
        t / "m.st", (lambda tensors_meta: safetensors_bytes(
            tensors_meta[0], {**tensors_meta[1], "training": '{"dataset": ["mnist"]}'}))(
            safetensors.read_tensors(g["model"])))],
    # checkpoint (train --resume)
    "checkpoint: a batch size of -1": lambda t, g: ["train", "--resume", write(
        t / "c.st", bad_checkpoint(g, edit_trainer("batch_size", -1)))],
    "checkpoint: an order that is not a permutation": lambda t, g: ["train", "--resume", write(
        t / "c.st", bad_checkpoint(g, edit_trainer("order", [5] * 300)))],
    "checkpoint: RNG state of the wrong length": lambda t, g: ["train", "--resume", write(
        t / "c.st", bad_checkpoint(g, edit_trainer("rng", [3, [1, 2], None])))],
    "checkpoint: a model file": lambda t, g: ["train", "--resume", g["model"]],
    "checkpoint: truncated": lambda t, g: ["train", "--resume", write(
        t / "c.st", open(g["checkpoint"], "rb").read()[:-100])],
    "checkpoint: spec of 10000000 units": lambda t, g: ["train", "--resume", write(
        t / "c.st", bad_checkpoint(g, lambda tensors, m: m.update(
            spec="input 2\ndense 10000000\nloss softmax_cross_entropy\n")))],
    # IDX (train --data)
    "idx: labels truncated": lambda t, g: idx_folder(t, g, "train-labels-idx1-ubyte.gz",
                                                     gzip.compress(b"\x00\x00\x08\x01"
                                                                   + struct.pack(">I", 40))),
    "idx: a million images declared": lambda t, g: idx_folder(
        t, g, "train-images-idx3-ubyte.gz",
        gzip.compress(b"\x00\x00\x08\x03" + struct.pack(">III", 1000000, 28, 28))),
    "idx: wrong magic": lambda t, g: idx_folder(t, g, "t10k-labels-idx1-ubyte.gz",
                                                gzip.compress(b"\x01\x02\x03\x04" * 5)),
    "idx: gzip garbage": lambda t, g: idx_folder(t, g, "t10k-images-idx3-ubyte.gz",
                                                 b"\x1f\x8b" + bytes(50)),
    # PNG and PGM (predict MODEL IMAGE)
    "png: truncated IHDR": lambda t, g: ["predict", g["model"], write(
        t / "d.png", png_bytes(28, 28, ihdr=b"\x00\x00\x00\x1c"))],
    "png: 20000x20000 declared": lambda t, g: ["predict", g["model"], write(
        t / "d.png", png_bytes(20000, 20000, rows_blob=zlib.compress(bytes(1000))))],
    "png: corrupt image data": lambda t, g: ["predict", g["model"], write(
        t / "d.png", png_bytes(28, 28, rows_blob=b"\x78\x9c" + bytes(30)))],
    "png: signature only": lambda t, g: ["predict", g["model"], write(
        t / "d.png", b"\x89PNG\r\n\x1a\n")],
    "pgm: a value over the maximum": lambda t, g: ["predict", g["model"], write(
        t / "d.pgm", b"P2\n28 28\n255\n" + b"300 " * 784)],
    "pgm: a number of 5000 digits": lambda t, g: ["predict", g["model"], write(
        t / "d.pgm", b"P2\n28 28\n" + b"9" * 5000 + b"\n0\n")],
    "pgm: truncated": lambda t, g: ["predict", g["model"], write(
        t / "d.pgm", b"P5\n28 28\n255\n" + bytes(100))],
    # specs (train --spec)
    "spec: dense 100000000": lambda t, g: ["train", "--spec", write(
        t / "s.net", b"input 784\ndense 100000000\nloss softmax_cross_entropy\n")],
    "spec: input 4294967296": lambda t, g: ["train", "--spec", write(
        t / "s.net", b"input 4294967296\ndense 10\nloss softmax_cross_entropy\n")],
    "spec: not text": lambda t, g: ["train", "--spec", write(t / "s.net", b"\xff\xfe\x00" * 9)],
    "spec: margin=inf": lambda t, g: ["train", "--spec", write(
        t / "s.net", b"input 784\ndense 10\nloss multiclass_svm margin=inf\n")],
    "spec: nested comments and a 10000-digit width": lambda t, g: ["train", "--spec", write(
        t / "s.net", b"input 784 # (\ndense " + b"7" * 10000 + b"\nloss softmax_cross_entropy\n")],
    # options: the book's schedule draws a batch of this size from 300 samples; a batch
    # past the option's range (4294967297) is a usage error, tests/test_cli_options.py
    "option: --batch-size 100000 --iterations 3": lambda t, g: [
        "train", "--dataset", "spiral", "--batch-size", "100000", "--iterations", "3",
        "--spec", write(t / "wide.net", b"input 2\ndense 100000\nrelu\ndense 3\n"
                                        b"loss softmax_cross_entropy\n")],
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_one_error_line_and_exit_1(tmp_path, good, capsys, case):
    args = HOSTILE[case](tmp_path, good)
    code, out, err = run_main(capsys, *args)
    assert_one_error_line(code, err)


@pytest.mark.parametrize("case", ["npy: a shape of 5000 digits", "model: a NaN weight",
                                  "pkl: a global that would run a command",
                                  "checkpoint: an order that is not a permutation",
                                  "idx: a million images declared", "png: truncated IHDR",
                                  "pgm: a number of 5000 digits", "spec: dense 100000000",
                                  "option: --batch-size 100000 --iterations 3"])
def test_the_same_in_a_real_process(tmp_path, good, case):
    result = run_purenn(*map(str, HOSTILE[case](tmp_path, good)), timeout=120)
    assert_one_error_line(result.returncode, result.stderr)


# -- outputs ---------------------------------------------------------------------------
OUTPUTS = {
    "train --out": lambda ro, g: ["train", "--data", g["data"], "--out", f"{ro}/m.st"],
    "train --plot": lambda ro, g: ["train", "--data", g["data"], "--plot", f"{ro}/c.png"],
    "train --plot-boundary": lambda ro, g: ["train", "--dataset", "spiral",
                                            "--plot-boundary", f"{ro}/b.svg"],
    "train --checkpoint-dir": lambda ro, g: ["train", "--data", g["data"],
                                             "--checkpoint-dir", f"{ro}/ck"],
    "show --out": lambda ro, g: ["show", "--data", g["data"], "--out", f"{ro}/s.png"],
    "evaluate --misclassified": lambda ro, g: ["evaluate", g["model"], "--data", g["data"],
                                               "--misclassified", f"{ro}/w.png"],
    "export -o": lambda ro, g: ["export", g["model"], "-o", f"{ro}/w.npz"],
    "import -o": lambda ro, g: ["import", "x.npz", "--spec", "two_layer", "-o",
                                f"{ro}/m.st"],
    "compare --plot": lambda ro, g: ["compare", "--data", g["data"], "--spec", "two_layer",
                                     "--set", "lr=0.1,0.01", "--plot", f"{ro}/c.svg"],
    "search --plot": lambda ro, g: ["search", "--data", g["data"], "--spec", "two_layer",
                                    "--range", "lr=1e-3:1e-1:log", "--plot", f"{ro}/c.png"],
    "search --out-spec": lambda ro, g: ["search", "--data", g["data"], "--spec", "two_layer",
                                        "--range", "lr=1e-3:1e-1:log", "--out-spec",
                                        f"{ro}/best.net"],
    "activations --out": lambda ro, g: ["activations", "ch6_activations", "--out",
                                        f"{ro}/a.png"],
    "filters --out": lambda ro, g: ["filters", g["model"], "--out", f"{ro}/f.png"],
    "paths --out": lambda ro, g: ["paths", "--out", f"{ro}/p.svg"],
}


@pytest.mark.parametrize("case", list(OUTPUTS))
def test_an_unwritable_output_is_refused_before_any_work(tmp_path, good, capsys, case):
    ro = unwritable_folder(tmp_path)
    code, out, err = run_main(capsys, *OUTPUTS[case](ro, good))
    assert_one_error_line(code, err)
    assert "cannot write files there" in err or "cannot create it" in err
    assert out == ""  # refused before data, network or training


@pytest.mark.parametrize("args, name", [
    (["show", "--data", "{data}", "--out", "{tmp}/s.png"], "s.png"),
    (["train", "--dataset", "spiral", "--epochs", "2", "--plot", "{tmp}/s.png", "--quiet"],
     "s.png"),
    (["export", "{model}", "-o", "{tmp}/s.npz"], "s.npz"),
])
def test_a_full_disk_is_one_error_line_and_the_old_file_stays(tmp_path, good, capsys,
                                                               monkeypatch, args, name):
    import errno

    (tmp_path / name).write_bytes(b"the old file")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, out, err = run_main(capsys, *[a.format(data=good["data"], tmp=tmp_path,
                                                 model=good["model"]) for a in args])
    assert_one_error_line(code, err)
    assert err == f"error: {tmp_path / name}: cannot write: No space left on device\n"
    assert (tmp_path / name).read_bytes() == b"the old file"
    assert os.listdir(tmp_path) == [name]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
def test_ctrl_c_in_a_read_only_working_folder_keeps_the_run(tmp_path, good):
    ro = unwritable_folder(tmp_path)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(purenn.__file__)))
    data = write_tiny_mnist(tmp_path / "mnist", train_count=200, test_count=20)
    command = [sys.executable, "-m", "purenn", "train", "--data", data, "--epochs", "500",
               "--batch-size", "20", "--log-every", "1"]
    code, stderr = interrupt_at_first_epoch(command, env, cwd=ro)
    assert code == 130, stderr
    assert stderr.startswith("interrupted in epoch ") and stderr.count("\n") == 3, stderr
    assert "(the checkpoint folder 'checkpoints': cannot create it: " in stderr
    folder = stderr.rsplit("--resume ", 1)[1].rstrip("'\n")
    assert os.path.isfile(os.path.join(folder, "checkpoint.safetensors"))
    try:
        state = purenn.checkpoint.load_checkpoint(folder).trainer
        resumed = run_purenn("train", "--resume", folder, "--epochs", str(state["epoch"] + 1),
                             "--quiet")
        assert resumed.returncode == 0, resumed.stderr
    finally:
        import shutil
        shutil.rmtree(folder, ignore_errors=True)


def test_predict_refuses_an_output_that_is_not_finite(tmp_path, good, capsys):
    tensors, metadata = safetensors.read_tensors(good["model"])
    shape, values, dtype = tensors["dense1.W"]
    tensors["dense1.W"] = Tensor(shape, [1e308] * len(values), dtype)
    path = tmp_path / "huge.safetensors"
    safetensors.write_tensors(path, tensors, metadata)
    code, out, err = run_main(capsys, "predict", path, "0", "--data", good["data"])
    assert_one_error_line(code, err)
    assert err == (f"error: {path}: the network's output for this input is not finite "
                   f"(nan, ...): its weights are too large\n")


def test_resuming_from_a_read_only_folder_asks_for_a_checkpoint_dir(tmp_path, good, capsys,
                                                                   monkeypatch):
    import errno
    import shutil
    import tempfile

    ro = tmp_path / "shared"
    ro.mkdir()
    shutil.copy(good["checkpoint"], ro / "checkpoint.safetensors")
    real = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):  # the folder refuses new files, even root's
        if dir is not None and os.path.abspath(dir) == str(ro):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    code, out, err = run_main(capsys, "train", "--resume", ro)
    assert_one_error_line(code, err)
    assert err == (f"error: the checkpoint's folder {str(ro)!r}: cannot write files there: "
                   f"Permission denied; the resumed run writes its checkpoints there unless "
                   f"--checkpoint-dir DIR says where\n")
