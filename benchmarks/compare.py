"""One training step on CPython, PyPy and NumPy side by side: the same work, blocks
interleaved, ratios from one run.

    python3 benchmarks/compare.py [--data DIR] [--cpython CMD] [--pypy CMD]
                                  [--numpy CMD] [--blocks 7] [--steps 10] [--conv-steps 2]
                                  [--batch 100] [--warmup 3] [--baseline DIR]

Each contender is a worker process (``CMD benchmarks/compare.py --worker KIND``) that
loads MNIST, draws the same batches from the same seed, warms up (the JIT compiles
during the warm-up blocks), then runs one block of steps whenever the driver asks. The
driver asks each worker in turn, ``--blocks`` times, so a busy neighbour slows them all
alike; the best block of each counts, and every figure printed is also a ratio to the
NumPy step of the same network, in wall-clock time and in the worker's CPU time (which a
machine loaded past its cores inflates far less).

Two pieces of work:

- the book's two-layer net (784-50-10, batch 100, SGD lr 0.1), as ``purenn train`` runs
  it: ``Trainer.step`` (batch from bytes, forward, backward, update); NumPy float64 does
  the same arithmetic with 1 BLAS thread;
- the book's chapter 7 SimpleConvNet (conv 30 5x5, ReLU, max pool 2x2, 100, ReLU, 10,
  Adam lr 0.001, batch 100) with the purenn-conv plugin of this checkout; the NumPy side
  is an im2col implementation written for this benchmark (windows as strided views,
  col2im by adding each window offset back).

CPython and NumPy default to the interpreter running this script, PyPy to ``pypy3``; a
contender whose command is not found (or has no NumPy) is left out with a note, and
``--pypy ''`` or ``--numpy ''`` leaves one out on purpose. The tests run this script at
tiny sizes (``--batch 4 --steps 1 --conv-steps 1 --blocks 1``) with every contender that
is installed, so an API change cannot break it unseen.

``--baseline DIR`` adds CPython and PyPy running the purenn (and purenn-conv) of another
checkout, e.g. one made with ``git worktree add /tmp/base main``: an A/B of two versions
in the same run, on the same batches.

Unset ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` where the machine sets them, e.g.
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benchmarks/compare.py``.
"""

import argparse
import math
import os
import platform
import random
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "data", "mnist")
CODE = ROOT         # the checkout whose purenn a worker imports (--baseline: another one)
BATCH = 100
WARMUP_BLOCKS = 3   # on PyPy, so that the JIT has compiled the step before it is timed


# -- the work, in a worker process ---------------------------------------------------------
def batches_for(count, steps, seed=1):
    rng = random.Random(seed)
    return [[rng.randrange(count) for _ in range(BATCH)] for _ in range(steps)]


def purenn_mlp(train, batches):
    from purenn import build
    from purenn.train import Trainer
    rng = random.Random(0)
    net = build("two_layer", rng=rng)
    trainer = Trainer(net, train, None, batch_size=BATCH, rng=rng, log=None)
    return lambda b: trainer.step(b)


def simple_convnet(rng):
    """SimpleConvNet of the book's chapter 7 from purenn-conv's layers."""
    sys.path.append(os.path.join(CODE, "plugins", "purenn-conv"))
    from purenn_conv.conv import Conv2D, Flatten
    from purenn_conv.pool import MaxPool2D

    from purenn.layers import Dense, ReLU
    from purenn.losses import SoftmaxCrossEntropy
    from purenn.network import Network
    from purenn.spec import make_optimizer
    layers = [("conv2d1", Conv2D(30, kernel=5)), ("relu1", ReLU()),
              ("maxpool2d1", MaxPool2D(2, stride=2)), ("flatten1", Flatten()),
              ("dense1", Dense(100)), ("relu2", ReLU()), ("dense2", Dense(10))]
    net = Network((1, 28, 28), layers, SoftmaxCrossEntropy(), rng=rng)
    net.set_optimizer(make_optimizer("adam", {"lr": 0.001}))
    return net


def purenn_conv(train, batches):
    from purenn.train import Trainer
    rng = random.Random(0)
    trainer = Trainer(simple_convnet(rng), train, None, batch_size=BATCH, rng=rng, log=None)
    return lambda b: trainer.step(b)


def numpy_arrays(train):
    import numpy as np
    X = np.frombuffer(bytes(train.features), dtype=np.uint8).reshape(len(train), -1)
    T = np.frombuffer(bytes(train.labels), dtype=np.uint8).astype(np.int64)
    return np, X, T


def numpy_mlp(train, batches):
    """The two-layer step in NumPy float64 (the arithmetic of the book's TwoLayerNet)."""
    np, X, T = numpy_arrays(train)
    r = np.random.default_rng(0)
    p = {"W1": r.normal(0.0, 0.01, (784, 50)), "b1": np.zeros(50),
         "W2": r.normal(0.0, 0.01, (50, 10)), "b2": np.zeros(10)}
    rows = np.arange(BATCH)

    def step(indices):
        i = np.array(indices)
        x, t = X[i] / 255.0, T[i]
        a = x @ p["W1"] + p["b1"]
        h = np.maximum(a, 0.0)
        y = softmax_rows(np, h @ p["W2"] + p["b2"])
        y[rows, t] -= 1.0
        y /= len(i)
        dh = y @ p["W2"].T
        dh[a <= 0.0] = 0.0
        grads = {"W2": h.T @ y, "b2": y.sum(axis=0), "W1": x.T @ dh, "b1": dh.sum(axis=0)}
        for key, g in grads.items():
            p[key] -= 0.1 * g
    return step


def softmax_rows(np, s):
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def windows(np, x, k, stride):
    """(N, C, H, W) -> (N, C, OH, OW, k, k): every k x k window, a strided view."""
    n, c, h, w = x.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    sn, sc, sh, sw = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, c, oh, ow, k, k), (sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def numpy_conv(train, batches):
    """SimpleConvNet's step in NumPy float64 by im2col: col (N·OH·OW, C·k·k) times the
    filters as a matrix, col2im adding each window offset's gradient back; max pooling
    over the 2x2 windows with the argmax as the mask; Adam as the book's."""
    np, X, T = numpy_arrays(train)
    r = np.random.default_rng(0)
    p = {"W1": r.normal(0.0, 0.01, (30, 1, 5, 5)), "b1": np.zeros(30),
         "W2": r.normal(0.0, 0.01, (30 * 12 * 12, 100)), "b2": np.zeros(100),
         "W3": r.normal(0.0, 0.01, (100, 10)), "b3": np.zeros(10)}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    count = [0]
    rows = np.arange(BATCH)

    def step(indices):
        i = np.array(indices)
        x, t = (X[i] / 255.0).reshape(-1, 1, 28, 28), T[i]
        n = len(i)
        # conv 30 5x5: col (N·24·24, 25) · Wmᵀ (25, 30)
        col = windows(np, x, 5, 1).transpose(0, 2, 3, 1, 4, 5).reshape(n * 576, 25)
        Wm = p["W1"].reshape(30, 25)
        conv = (col @ Wm.T + p["b1"]).reshape(n, 24, 24, 30).transpose(0, 3, 1, 2)
        relu1 = np.maximum(conv, 0.0)
        # max pool 2x2 stride 2: the 4 cells of each window side by side
        pcol = windows(np, np.ascontiguousarray(relu1), 2, 2).reshape(n, 30, 12, 12, 4)
        arg = pcol.argmax(axis=4)
        pooled = np.take_along_axis(pcol, arg[..., None], axis=4)[..., 0]
        flat = pooled.reshape(n, -1)
        a2 = flat @ p["W2"] + p["b2"]
        h2 = np.maximum(a2, 0.0)
        y = softmax_rows(np, h2 @ p["W3"] + p["b3"])
        y[rows, t] -= 1.0
        y /= n
        g = {"W3": h2.T @ y, "b3": y.sum(axis=0)}
        dh2 = y @ p["W3"].T
        dh2[a2 <= 0.0] = 0.0
        g["W2"], g["b2"] = flat.T @ dh2, dh2.sum(axis=0)
        dpool = (dh2 @ p["W2"].T).reshape(n, 30, 12, 12)
        dpcol = np.zeros((n, 30, 12, 12, 4))
        np.put_along_axis(dpcol, arg[..., None], dpool[..., None], axis=4)
        drelu = dpcol.reshape(n, 30, 12, 12, 2, 2).transpose(0, 1, 2, 4, 3, 5) \
            .reshape(n, 30, 24, 24)
        dconv = np.where(conv > 0.0, drelu, 0.0)
        dout = dconv.transpose(0, 2, 3, 1).reshape(-1, 30)
        g["W1"] = (dout.T @ col).reshape(30, 1, 5, 5)
        g["b1"] = dout.sum(axis=0)
        # dx of the first layer is not needed (purenn skips it too)
        count[0] += 1
        lr_t = 0.001 * math.sqrt(1.0 - 0.999 ** count[0]) / (1.0 - 0.9 ** count[0])
        for key in p:
            m[key] += (1 - 0.9) * (g[key] - m[key])
            v[key] += (1 - 0.999) * (g[key] ** 2 - v[key])
            p[key] -= lr_t * m[key] / (np.sqrt(v[key]) + 1e-7)
    return step


WORK = {"purenn-mlp": purenn_mlp, "numpy-mlp": numpy_mlp,
        "purenn-conv": purenn_conv, "numpy-conv": numpy_conv}


def worker(kind, data, steps, batch, warmup, code):
    """Answer 'run' with the seconds per step of one block, until 'quit'."""
    global BATCH, CODE
    BATCH, CODE = batch, code
    if kind.startswith("numpy"):
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = "1"
    sys.path.insert(0, CODE)
    from purenn import linalg
    from purenn.data import mnist
    train, _ = mnist.load(data)
    batches = batches_for(len(train), steps)
    step = WORK[kind](train, batches)
    if kind.startswith("numpy"):
        import numpy
        about = f"NumPy {numpy.__version__}, 1 BLAS thread"
    else:
        about = f"kernel {linalg.KERNEL}"
    for _ in range(warmup if platform.python_implementation() == "PyPy" else 1):
        for b in batches:
            step(b)
    print(f"ready {platform.python_implementation()} {platform.python_version()}, {about}",
          flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        started, cpu = time.perf_counter(), time.process_time()
        for b in batches:
            step(b)
        print((time.perf_counter() - started) / len(batches),
              (time.process_time() - cpu) / len(batches), flush=True)


# -- the driver ------------------------------------------------------------------------------
class Contender:
    def __init__(self, label, command, kind, args, steps, code=ROOT):
        self.label, self.kind = label, kind
        argv = [*shlex.split(command), os.path.abspath(__file__), "--worker", kind,
                "--data", args.data, "--steps", str(steps), "--batch", str(args.batch),
                "--warmup", str(args.warmup), "--code", code]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT)
        self.best = self.best_cpu = math.inf
        self.about = None

    def ready(self):
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            raise SystemExit(f"compare: the {self.label} worker ({self.kind}) did not start")
        self.about = line[len("ready "):].strip()

    def run_block(self):
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().split()
        if len(line) != 2:
            raise SystemExit(f"compare: the {self.label} worker ({self.kind}) stopped "
                             f"(its error is above)")
        wall, cpu = map(float, line)
        self.best, self.best_cpu = min(self.best, wall), min(self.best_cpu, cpu)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait()


def race(title, contenders, blocks):
    for c in contenders:    # all warm up at once; nothing is timed until all are ready
        c.ready()
    for _ in range(blocks):
        for c in contenders:
            c.run_block()
    for c in contenders:
        c.stop()
    numpy = next((c for c in contenders if c.label == "NumPy"), None)
    width = max(19, *(len(c.about) for c in contenders))
    print(f"\n{title}")
    print(f"| {'':9} | {'interpreter, kernel':{width}} | {'ms per step':>11} | {'x NumPy':>7} "
          f"| {'CPU ms':>9} | {'x NumPy':>7} |")
    print(f"|{'-' * 11}|{'-' * (width + 2)}|{'-' * 13}|{'-' * 9}|{'-' * 11}|{'-' * 9}|")
    for c in contenders:
        ratio = f"{c.best / numpy.best:.1f}x" if numpy else "-"
        cpu_ratio = f"{c.best_cpu / numpy.best_cpu:.1f}x" if numpy else "-"
        print(f"| {c.label:9} | {c.about:{width}} | {c.best * 1e3:11.2f} | {ratio:>7} "
              f"| {c.best_cpu * 1e3:9.2f} | {cpu_ratio:>7} |")
    return {c.label: c.best for c in contenders}, {c.label: c.best_cpu for c in contenders}


def available(label, command, check):
    """True if ``command`` runs ``check`` (Python source); else a note and False."""
    if not command:
        return False
    try:
        argv = [*shlex.split(command), "-c", check]
        ok = subprocess.run(argv, capture_output=True, timeout=60).returncode == 0
    except (OSError, ValueError, subprocess.TimeoutExpired):
        ok = False
    if not ok:
        print(f"{label}: {command!r} is not there (or cannot {check!r}): left out")
    return ok


def speedup(best, best_cpu):
    """'PyPy is Nx faster than CPython' when both ran, else ''."""
    if "CPython" not in best or "PyPy" not in best:
        return ""
    return (f"PyPy is {best['CPython'] / best['PyPy']:.1f}x faster than CPython "
            f"({best_cpu['CPython'] / best_cpu['PyPy']:.1f}x in CPU time); ")


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, metavar="DIR",
                   help="folder with the four MNIST files (default ../shared/data/mnist)")
    p.add_argument("--cpython", default=None, metavar="CMD",
                   help="CPython command (default: the one running this script)")
    p.add_argument("--pypy", default="pypy3", metavar="CMD",
                   help="PyPy command (pypy3; '' leaves PyPy out)")
    p.add_argument("--numpy", default=None, metavar="CMD",
                   help="Python with NumPy (default: this Python; '' leaves it out)")
    p.add_argument("--blocks", type=positive, default=7, help="timed blocks per contender (7)")
    p.add_argument("--steps", type=positive, default=10,
                   help="steps per block, two-layer (10)")
    p.add_argument("--conv-steps", type=int, default=2, choices=range(0, 1001),
                   metavar="N", help="steps per block, SimpleConvNet (2; 0 skips it)")
    p.add_argument("--batch", type=positive, default=BATCH, help="batch size (100)")
    p.add_argument("--warmup", type=positive, default=WARMUP_BLOCKS,
                   help="untimed blocks on PyPy, for the JIT (3)")
    p.add_argument("--baseline", metavar="DIR",
                   help="also run CPython and PyPy on the purenn of this other checkout")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--code", default=ROOT, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.data, args.steps, args.batch, args.warmup, args.code)
    if not os.path.isdir(args.data):
        sys.exit(f"compare: no MNIST folder at {os.path.normpath(args.data)}; give one with "
                 f"--data DIR (get it with 'python -m purenn fetch mnist --to DIR')")
    if args.baseline is not None and not os.path.isfile(
            os.path.join(args.baseline, "purenn", "__init__.py")):
        sys.exit(f"compare: --baseline {args.baseline!r} is not a purenn checkout (no "
                 f"purenn/__init__.py there)")
    cpython = shlex.quote(sys.executable) if args.cpython is None else args.cpython
    numpy = shlex.quote(sys.executable) if args.numpy is None else args.numpy
    commands = [(label, cmd) for label, cmd in (("CPython", cpython), ("PyPy", args.pypy))
                if available(label, cmd, "import sys")]
    if available("NumPy", numpy, "import numpy"):
        commands.append(("NumPy", numpy))
    print(f"{os.cpu_count()} cores, {platform.machine()}; best of {args.blocks} blocks, "
          f"each contender in turn")
    if args.baseline is not None:
        print(f"CPython A, PyPy A: the purenn of {os.path.abspath(args.baseline)}")

    def contenders(kind, steps):
        out = [Contender(label, cmd, f"{'numpy' if label == 'NumPy' else 'purenn'}-{kind}",
                         args, steps) for label, cmd in commands]
        if args.baseline is not None:
            at = len(out) - (out[-1].label == "NumPy")
            out[at:at] = [Contender(f"{label} A", cmd, f"purenn-{kind}", args, steps,
                                    os.path.abspath(args.baseline))
                          for label, cmd in commands if label != "NumPy"]
        return out

    batch = args.batch
    mlp, mlp_cpu = race(f"two-layer net 784-50-10, batch {batch}, SGD "
                        f"({args.steps} steps a block)", contenders("mlp", args.steps),
                        args.blocks)
    per = ", ".join(f"{label} ~{600 * mlp[label]:.1f} s (CPU ~{600 * mlp_cpu[label]:.1f} s)"
                    for label in mlp)
    print(f"{speedup(mlp, mlp_cpu)}600 steps take: {per}")
    if args.conv_steps:
        conv, conv_cpu = race(f"SimpleConvNet (chapter 7), batch {batch}, Adam "
                              f"({args.conv_steps} steps a block)",
                              contenders("conv", args.conv_steps), args.blocks)
        per = ", ".join(f"{label} ~{600 * conv[label] / 60:.1f} min "
                        f"(CPU ~{600 * conv_cpu[label] / 60:.1f} min)" for label in conv)
        print(f"{speedup(conv, conv_cpu)}an epoch of 600 steps: {per}")


if __name__ == "__main__":
    main()
