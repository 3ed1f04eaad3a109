"""The numbers of a few small runs, computed the same way here and inside Pyodide.

``python3 parity.py OUT.json`` writes them with the Python at hand; the Pyodide test
(tests/test_pyodide.py) computes them again in WebAssembly and compares. Each CLI run is
typed as a learner would; its result is the lines it printed (timings removed), the sha256
of the trained tensors' float64 bytes, and each tensor's sum and sum of squares.

Pyodide's ``math.exp``, ``log``, ``cos`` and ``tanh`` come from another C library (musl)
than a Linux CPython's (glibc), and the two round some results differently in the last
bit; the initial weights (``random.gauss``), the 2-D data sets (``sin``, ``cos``) and
softmax go through them. So those runs agree in every printed digit and to ~1e-12, not bit
for bit. ``exact`` avoids every such function: MNIST pixels, weights from a formula, ReLU,
the hinge loss and Adam (``sqrt`` is correctly rounded everywhere); there every bit agrees.
"""

import contextlib
import hashlib
import io
import json
import math
import os
import re
import struct
import sys
import tempfile

RUNS = {
    "spiral": ["train", "--dataset", "spiral", "--epochs", "20"],
    "moons": ["train", "--dataset", "moons", "--epochs", "10", "--spec", "planar_net"],
    "mnist-subset": ["train", "--train-size", "1000", "--epochs", "2", "--batch-size", "50"],
    "mnist-adam-bn": ["train", "--spec", "mnist_adam_bn", "--train-size", "200",
                      "--epochs", "1"],
}
TIMES = re.compile(r"\(?\d+(\.\d+)? ?(s|ms)\)?|in \d+(\.\d+)? s")


EXACT_SPEC = """input 784
dense 30
relu
dense 10
loss multiclass_svm
optimizer adam lr=0.001
"""


def digest(tensors):
    h = hashlib.sha256()
    for name in sorted(tensors):
        values = tensors[name]
        h.update(name.encode() + struct.pack(f"<{len(values)}d", *values))
    return h.hexdigest()


def sums(tensors):
    return {name: [math.fsum(values), math.fsum(v * v for v in values)]
            for name, values in sorted(tensors.items())}


def exact():
    """Train EXACT_SPEC on 300 MNIST images from weights set by a formula, without libm."""
    import random

    import purenn
    from purenn.data import mnist
    from purenn.model import state_tensors

    net = purenn.build(EXACT_SPEC, rng=random.Random(0))
    for k, (key, value) in enumerate(sorted(net.params.items())):
        if isinstance(value[0], list):
            net.params[key] = [[((i * 31 + j * 17 + k) % 13 - 6) * 0.01 for j in range(len(row))]
                               for i, row in enumerate(value)]
    train, test = mnist.load()
    train = train.head(300)
    trainer = purenn.Trainer(net, train, None, epochs=2, batch_size=50,
                             rng=random.Random(1))
    history = trainer.fit()
    tensors = {name: values for name, (_, values) in state_tensors(net).items()}
    return {"exit": 0, "tensors": digest(tensors), "sums": sums(tensors),
            "lines": [repr(v) for v in history.train_loss]}


def run(argv):
    from purenn import cli

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.safetensors")
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = cli.main([*argv, "--out", path])
        from purenn.formats import safetensors

        tensors = {k: t.values for k, t in safetensors.read_tensors(path)[0].items()}
        lines = [TIMES.sub("", line).rstrip() for line in out.getvalue().splitlines()
                 if not line.startswith(("CPython", "PyPy", "model written"))]
        return {"exit": code, "tensors": digest(tensors), "sums": sums(tensors),
                "lines": lines}


def compute():
    from purenn import linalg

    runs = {name: run(argv) for name, argv in RUNS.items()}
    runs["exact"] = exact()
    return {"kernel": linalg.KERNEL, "runs": runs}


if __name__ == "__main__":
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(compute(), f, indent=1)
