"""How fast purenn trains the book's 784-50-10 network on full MNIST, against NumPy.

    python3 benchmarks/bench_mnist.py [--data DIR] [--steps 200] [--workers 2] [--epoch]

Prints the Python version and one table: ms per training step (batch 100), s per epoch,
test-set evaluation time, the same step in NumPy float64 (when NumPy imports) and the
ratio, the kernel floor (the step's own dot products run through the kernel alone, on
prepared vectors) and the ratio step/floor, a scalar-autograd step (one object per number,
micrograd-style, timed on a few samples and scaled to a batch), the step with
``--workers`` processes, peak resident memory with the training set loaded, and the CLI
start time against a bare ``python -c pass``. Also CS231n's spiral network (2-100-3,
300 samples, full batch).

Timings are the best of several blocks of steps in this one process (the machine is
shared and has 2 cores, so the mean would measure the neighbours). An epoch is 600 steps
timed as such with ``--epoch``, else estimated as 600 x the step time. Every target is a
ratio, so both sides are measured in the same run.
"""

import argparse
import math
import os
import platform
import random
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from purenn import build, linalg  # noqa: E402
from purenn.data import mnist  # noqa: E402
from purenn.errors import PurennError  # noqa: E402
from purenn.train import Trainer, evaluate  # noqa: E402

DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "data", "mnist")
BATCH = 100


def peak_rss_mb():
    """Peak resident memory of this process so far (ru_maxrss: KB on Linux, B on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def best_per_step(run_block, batches, blocks):
    """Best (smallest) mean seconds per step over ``blocks`` runs of ``batches``."""
    best = math.inf
    for _ in range(blocks):
        started = time.perf_counter()
        run_block(batches)
        best = min(best, (time.perf_counter() - started) / len(batches))
    return best


def interleaved(runners, blocks):
    """{name: best seconds per step}: one block of each runner in turn, ``blocks`` times,
    so that a busy neighbour slows all of them alike and the ratios hold."""
    best = dict.fromkeys(runners, math.inf)
    for _ in range(blocks):
        for name, (block, batches, steps) in runners.items():
            started, cpu = time.perf_counter(), time.process_time()
            block(batches)
            best[name] = min(best[name], (time.perf_counter() - started) / steps)
            best[name + " cpu"] = min(best.get(name + " cpu", math.inf),
                                      (time.process_time() - cpu) / steps)
    return best


# -- purenn ----------------------------------------------------------------------------------
def purenn_trainer(train, seed=0):
    rng = random.Random(seed)
    net = build("two_layer", rng=rng)
    return net, Trainer(net, train, None, batch_size=BATCH, rng=rng, log=None)


def make_purenn(train, batches):
    net, trainer = purenn_trainer(train)
    trainer.step(batches[0])     # warm up

    def block(bs):
        for b in bs:
            trainer.step(b)
    return net, block


def make_workers(train, batches, workers):
    """(block, stop): steps of the same network on ``workers`` processes."""
    from purenn.parallel import ParallelTrainer
    rng = random.Random(0)
    net = build("two_layer", rng=rng)
    trainer = ParallelTrainer(net, train, None, batch_size=BATCH, rng=rng, log=None,
                              workers=workers)
    trainer._start()
    trainer.step(batches[0])

    def block(bs):
        for b in bs:
            trainer.step(b)
    return block, trainer._stop


def identical_across_workers(train, batches, workers):
    """Train the same steps with 1 and ``workers`` processes: are all weights equal?"""
    from purenn.parallel import ParallelTrainer
    nets = []
    for count in (1, workers):
        rng = random.Random(0)
        net = build("two_layer", rng=rng)
        if count == 1:
            trainer = Trainer(net, train, None, batch_size=BATCH, rng=rng, log=None)
            for b in batches:
                trainer.step(b)
        else:
            trainer = ParallelTrainer(net, train, None, batch_size=BATCH, rng=rng, log=None,
                                      workers=count)
            trainer._start()
            try:
                for b in batches:
                    trainer.step(b)
                trainer._sync()
            finally:
                trainer._stop()
        nets.append(net)
    return all(nets[0].params[k] == nets[1].params[k] for k in nets[0].params)


def make_floor(train, batches):
    """The step's multiply-adds through the chosen kernel alone.

    One training step is run with the kernel set's ``dots`` and ``axpy_rows`` wrapped to record
    the shape of every product (a vector of length k against c vectors; t terms of rows of
    width w). The floor is the time ``dots`` takes for those same products on vectors made
    ready beforehand: no gathering, transposing, bias, activation, loss or update, and the
    axpy terms counted as w dot products of length t each.
    """
    net, trainer = purenn_trainer(train)
    trainer.step(batches[0])
    shapes = []
    chosen = linalg.active()
    dots, axpy_rows = chosen.dots, chosen.axpy_rows

    def recording_dots(v, vectors):
        vectors = list(vectors)
        shapes.append((len(v), len(vectors)))
        return dots(v, vectors)

    def recording_axpy(coeffs, rows, width):
        rows = list(rows)
        terms = sum(1 for c in coeffs if c)
        if terms:
            shapes.append((terms, width))
        return axpy_rows(coeffs, rows, width)

    chosen.dots, chosen.axpy_rows = recording_dots, recording_axpy
    try:
        trainer.step(batches[1])
    finally:
        chosen.dots, chosen.axpy_rows = dots, axpy_rows
    if not shapes:      # the loops kernel adds rows in place: no dot products to replay
        return None
    rng = random.Random(1)
    work = [([rng.random() for _ in range(k)],
             [tuple(rng.random() for _ in range(k)) for _ in range(c)]) for k, c in shapes]
    macs = sum(k * c for k, c in shapes)

    def block(_):
        for v, vectors in work:
            dots(v, vectors)
    return block, macs, len(shapes)


def time_evaluation(net, test):
    started = time.perf_counter()
    accuracy = evaluate(net, test, 1000)
    return time.perf_counter() - started, accuracy


def time_epoch(train):
    net, trainer = purenn_trainer(train)
    order = list(range(len(train)))
    random.Random(5).shuffle(order)
    started = time.perf_counter()
    for i in range(0, len(order), BATCH):
        trainer.step(order[i:i + BATCH])
    return time.perf_counter() - started


# -- spiral ----------------------------------------------------------------------------------
def time_spiral(blocks):
    from purenn.data.spiral import make_spiral
    rng = random.Random(0)
    data = make_spiral(rng=rng)
    net = build("spiral_net", rng=rng)
    trainer = Trainer(net, data, None, batch_size=len(data), rng=rng, log=None)
    everything = list(range(len(data)))

    def block(bs):
        for b in bs:
            trainer.step(b)
    return best_per_step(block, [everything] * 20, blocks)


# -- the book's chapter 7 convnet ------------------------------------------------------------
def time_conv_forward(test, samples):
    """Seconds for the forward pass of SimpleConvNet (conv 30 5x5, ReLU, pool 2x2, 100,
    10) over ``samples`` test images, or None without the purenn-conv plugin (taken from
    plugins/purenn-conv of this checkout when it is not installed)."""
    sys.path.append(os.path.join(ROOT, "plugins", "purenn-conv"))
    try:
        from purenn_conv.conv import Conv2D, Flatten
        from purenn_conv.pool import MaxPool2D
    except ImportError:
        return None
    from purenn.layers import Dense, ReLU
    from purenn.losses import SoftmaxCrossEntropy
    from purenn.network import Network
    layers = [("conv2d1", Conv2D(30, kernel=5)), ("relu1", ReLU()),
              ("maxpool2d1", MaxPool2D(2, stride=2)), ("flatten1", Flatten()),
              ("dense1", Dense(100)), ("relu2", ReLU()), ("dense2", Dense(10))]
    net = Network((1, 28, 28), layers, SoftmaxCrossEntropy(), rng=random.Random(0))
    x, _ = test.batch(range(samples))
    started = time.perf_counter()
    for i in range(0, samples, 100):
        net.predict(x[i:i + 100])
    return time.perf_counter() - started


# -- NumPy -----------------------------------------------------------------------------------
def make_numpy(train, batches, threads):
    """The same network and update in NumPy float64: (block, version), or None when NumPy
    does not import. BLAS gets ``threads`` threads (set before NumPy is imported)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))
    try:
        import numpy as np
    except ImportError:
        return None
    X = np.frombuffer(bytes(train.features), dtype=np.uint8).reshape(len(train), -1)
    T = np.frombuffer(bytes(train.labels), dtype=np.uint8).astype(np.int64)
    r = np.random.default_rng(0)
    W1, b1 = r.normal(0.0, 0.01, (784, 50)), np.zeros(50)
    W2, b2 = r.normal(0.0, 0.01, (50, 10)), np.zeros(10)
    lr = 0.1
    rows = np.arange(BATCH)
    index = [np.array(b) for b in batches]

    def block(bs):
        nonlocal W1, b1, W2, b2
        for i in bs:
            x = X[i] / 255.0
            t = T[i]
            a = x @ W1 + b1
            h = np.maximum(a, 0.0)
            s = h @ W2 + b2
            s -= s.max(axis=1, keepdims=True)
            e = np.exp(s)
            y = e / e.sum(axis=1, keepdims=True)
            y[rows, t] -= 1.0
            y /= len(i)
            dW2, db2 = h.T @ y, y.sum(axis=0)
            dh = y @ W2.T
            dh[a <= 0.0] = 0.0
            dW1, db1 = x.T @ dh, dh.sum(axis=0)
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
    block(index[:2])
    return block, np.__version__


# -- scalar autograd -------------------------------------------------------------------------
class Value:
    """One number of a scalar autograd graph (micrograd-style): data, grad, parents."""

    __slots__ = ("data", "grad", "parents", "backward")

    def __init__(self, data, parents=()):
        self.data, self.grad, self.parents, self.backward = data, 0.0, parents, None

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad
        out.backward = backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out.backward = backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0.0 else 0.0, (self,))

        def backward():
            self.grad += out.grad if self.data > 0.0 else 0.0
        out.backward = backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def backward():
            self.grad += out.data * out.grad
        out.backward = backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,))

        def backward():
            self.grad += out.grad / self.data
        out.backward = backward
        return out

    def reciprocal(self):
        out = Value(1.0 / self.data, (self,))

        def backward():
            self.grad -= out.grad / (self.data * self.data)
        out.backward = backward
        return out

    def run_backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node.parents)
        self.grad = 1.0
        for node in reversed(order):
            if node.backward is not None:
                node.backward()


def time_autograd(train, samples):
    """Seconds for one SGD step of the 784-50-10 net on ``samples`` samples, every number a
    Value (every multiply done, as a scalar autograd does it)."""
    rng = random.Random(0)
    W1 = [[Value(rng.gauss(0.0, 0.01)) for _ in range(50)] for _ in range(784)]
    b1 = [Value(0.0) for _ in range(50)]
    W2 = [[Value(rng.gauss(0.0, 0.01)) for _ in range(10)] for _ in range(50)]
    b2 = [Value(0.0) for _ in range(10)]
    x, t = train.batch(range(samples))
    started = time.perf_counter()
    total = Value(0.0)
    for row, label in zip(x, t):
        xs = [Value(v) for v in row]
        h = []
        for j in range(50):
            acc = b1[j]
            for i in range(784):
                acc = acc + xs[i] * W1[i][j]
            h.append(acc.relu())
        scores = []
        for k in range(10):
            acc = b2[k]
            for j in range(50):
                acc = acc + h[j] * W2[j][k]
            scores.append(acc)
        top = max(s.data for s in scores)
        shifted = [s + Value(-top) for s in scores]
        exps = [s.exp() for s in shifted]
        norm = exps[0]
        for e in exps[1:]:
            norm = norm + e
        total = total + (exps[label] * norm.reciprocal()).log()
    loss = total * Value(-1.0 / samples)
    loss.run_backward()
    for p in (v for rows in (W1, W2) for row in rows for v in row):
        p.data -= 0.1 * p.grad
    return time.perf_counter() - started


# -- CLI start -------------------------------------------------------------------------------
def start_time(args, repeats=7):
    env = dict(os.environ, PYTHONPATH=ROOT)
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


# -- report ----------------------------------------------------------------------------------
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, metavar="DIR",
                   help="folder with the four MNIST files (default: ../shared/data/mnist "
                        "next to the repository)")
    p.add_argument("--steps", type=int, default=50, help="steps per timed block (50)")
    p.add_argument("--blocks", type=int, default=5, help="timed blocks; the best counts (5)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                   help="processes for the --workers figure (default: all cores)")
    p.add_argument("--numpy-threads", type=int, default=1, metavar="N",
                   help="BLAS threads for the NumPy step (1: one process, one core, as "
                        "purenn; more threads only add contention on small matrices)")
    p.add_argument("--conv-samples", type=int, default=200, metavar="N",
                   help="test images for the chapter 7 convnet's forward, scaled to "
                        "10,000 (200; 0 skips it)")
    p.add_argument("--epoch", action="store_true",
                   help="time a whole epoch (600 steps) instead of estimating it")
    p.add_argument("--autograd-samples", type=int, default=2, metavar="N",
                   help="samples in the scalar-autograd step, scaled to 100 (2)")
    args = p.parse_args(argv)

    if not os.path.isdir(args.data):
        sys.exit(f"bench_mnist: no MNIST folder at {os.path.normpath(args.data)}; give one "
                 f"with --data DIR holding the four MNIST files (get them with "
                 f"'python -m purenn fetch mnist --to DIR')")
    try:
        started = time.perf_counter()
        train, test = mnist.load(args.data)
        load_seconds = time.perf_counter() - started
    except PurennError as exc:
        sys.exit(f"bench_mnist: {exc}")
    rss_loaded = peak_rss_mb()
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"kernel {linalg.KERNEL}, AXPY_MAX {getattr(linalg.active(), 'AXPY_MAX', '-')}, "
          f"DENSE_ABOVE {getattr(linalg.active(), 'DENSE_ABOVE', '-')}, "
          f"{os.cpu_count()} cores, "
          f"{platform.machine()}")
    print(f"MNIST: {len(train)} training, {len(test)} test images from "
          f"{os.path.normpath(args.data)} (loaded in {load_seconds:.1f} s); "
          f"best of {args.blocks} blocks of {args.steps} steps, batch {BATCH}")

    rng = random.Random(1)
    batches = [[rng.randrange(len(train)) for _ in range(BATCH)] for _ in range(args.steps)]
    net, purenn_block = make_purenn(train, batches)
    floor_result = make_floor(train, batches)
    numpy_result = make_numpy(train, batches, args.numpy_threads)
    workers = max(1, args.workers)
    runners = {"step": (purenn_block, batches, len(batches))}
    if floor_result:
        floor_block, macs, calls = floor_result
        runners["floor"] = (floor_block, None, 1)
    if numpy_result:
        runners["numpy"] = (numpy_result[0], batches, len(batches))
    stop = None
    if workers > 1:
        workers_block, stop = make_workers(train, batches, workers)
        runners["workers"] = (workers_block, batches, len(batches))
    try:
        best = interleaved(runners, args.blocks)
    finally:
        if stop:
            stop()
    step, floor = best["step"], best.get("floor")
    numpy_result = numpy_result and (best["numpy"], numpy_result[1])
    parallel = best.get("workers")
    identical = identical_across_workers(train, batches[:10], workers) if workers > 1 \
        else None
    eval_seconds, accuracy = time_evaluation(net, test)
    epoch = time_epoch(train) if args.epoch else None
    spiral = time_spiral(args.blocks)
    conv = time_conv_forward(test, args.conv_samples) if args.conv_samples else None
    autograd = time_autograd(train, args.autograd_samples) * BATCH / args.autograd_samples
    bare = start_time(["-c", "pass"])
    cli = start_time(["-m", "purenn", "--help"])
    new_312 = sys.version_info >= (3, 12)

    rows = []

    def row(name, value, target="", verdict=""):
        rows.append((name, value, target, verdict))

    def check(ok):
        return "met" if ok else "MISSED"

    row("training step (784-50-10, batch 100)", f"{step * 1e3:.1f} ms")
    row("epoch (60,000 images, 600 steps)",
        f"{epoch:.1f} s" if epoch else f"~{600 * step:.1f} s (600 x step)")
    row("test-set evaluation (10,000 images)", f"{eval_seconds:.2f} s",
        f"(accuracy {accuracy:.3f} after {args.blocks * args.steps + 2} steps)")
    if numpy_result:
        np_step, np_version = numpy_result
        ratio = step / np_step
        limit = 30 if new_312 else 60
        row(f"NumPy {np_version} float64 step ({args.numpy_threads} BLAS thread(s))",
            f"{np_step * 1e3:.3f} ms")
        row("  ratio purenn / NumPy", f"{ratio:.0f}x", f"<= {limit}x", check(ratio <= limit))
    else:
        row("NumPy float64 step", "NumPy not importable")
    if floor:
        row(f"kernel floor ({macs:,} multiply-adds, {calls:,} calls)", f"{floor * 1e3:.1f} ms",
            f"{floor * 1e9 / macs:.1f} ns per multiply-add")
        row("  ratio step / floor", f"{step / floor:.2f}x", "<= 2x", check(step / floor <= 2))
    else:
        row("kernel floor", "-", f"kernel {linalg.KERNEL} forms no separate dot products")
    if parallel:
        row(f"step with --workers {workers}", f"{parallel * 1e3:.1f} ms",
            f"{step / parallel:.2f}x faster than 1")
        main_cpu, one_cpu = best["workers cpu"], best["step cpu"]
        row("  CPU time per step of the main process", f"{main_cpu * 1e3:.1f} ms",
            f"1 process: {one_cpu * 1e3:.1f} ms; {one_cpu / main_cpu:.2f}x with free cores")
        if numpy_result:
            ratio = parallel / numpy_result[0]
            target = "<= 20x (3.12+)" if new_312 else "(20x is for 3.12+)"
            row(f"  ratio --workers {workers} / NumPy", f"{ratio:.0f}x", target,
                check(ratio <= 20) if new_312 else "")
        row("  weights bit-identical to 1 worker", "yes" if identical else "NO", "yes",
            check(identical))
    scale = BATCH / args.autograd_samples
    row(f"scalar autograd step ({args.autograd_samples} samples, x{scale:g})", f"{autograd:.1f} s")
    row("  ratio autograd / purenn", f"{autograd / step:.0f}x")
    row("spiral 2-100-3 step (300 samples, full batch)", f"{spiral * 1e3:.2f} ms",
        f"1500 steps ~{1500 * spiral:.1f} s")
    if conv is not None:
        whole = conv * len(test) / args.conv_samples
        row(f"ch. 7 convnet forward, {len(test):,} test images", f"~{whole / 60:.1f} min",
            f"{args.conv_samples} timed, {conv * 1e3 / args.conv_samples:.1f} ms/image")
    row("peak RSS with MNIST loaded", f"{rss_loaded:.0f} MB", "< 200 MB", check(rss_loaded < 200))
    row("peak RSS at the end (NumPy and all)", f"{peak_rss_mb():.0f} MB")
    row("CLI start (python -m purenn --help)", f"{cli * 1e3:.0f} ms",
        f"bare python {bare * 1e3:.0f} ms")
    row("  ratio CLI / bare python", f"{cli / bare:.2f}x", "< 2x", check(cli / bare < 2))

    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    heads = ("figure", "value", "target / note", "")
    widths = [max(w, len(h)) for w, h in zip(widths, heads)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(heads, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


if __name__ == "__main__":
    main()
