"""Where the kernels' thresholds come from: each product of a training step, timed for
several values of ``AXPY_MAX`` (rows with at most that many nonzero inputs are
summed row by row instead of through dot products) and the weight gradient for several
values of ``DENSE_ABOVE`` (the fraction of nonzero inputs above which a column
skips nothing), with every kernel set this Python has that makes these choices (the
classes of ``purenn/kernels/cpython.py``; ``reference`` has one path), and for the
``loops`` set (PyPy's) the two ways of its xᵀ·dout, row by row of x or through the
transpose, on the shapes and nonzero shares its thresholds ``ROWWISE_TN_MAX_OUT`` and
``ROWWISE_TN_MAX_SHARE`` choose between (run it under PyPy: on CPython ``loops`` is slow).

    python3 benchmarks/bench_kernels.py [--data DIR] [--repeats 7]

Shapes: the MNIST step (x (100, 784) real images ~81% zero; h (100, 50) about half zero)
and CS231n's spiral step ((300, 2)·(2, 100), (300, 3)·(3, 100)ᵀ). Best of ``--repeats``,
all in this one process, so the ratios hold on a busy machine even when the times don't.
"""

import argparse
import os
import platform
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from purenn import linalg  # noqa: E402

DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "data", "mnist")


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, metavar="DIR")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--limits", default="0,2,4,6,8,12,16")
    args = p.parse_args(argv)
    rng = random.Random(0)
    if os.path.isdir(args.data):
        from purenn.data import mnist
        train, _ = mnist.load(args.data)
        source = "MNIST"
    else:
        from purenn.data import mnist
        train, _ = mnist.load()
        source = "bundled MNIST subset"
    x, _ = train.batch([rng.randrange(len(train)) for _ in range(100)])
    W1 = [[rng.gauss(0.0, 0.01) for _ in range(50)] for _ in range(784)]
    dh = [[rng.gauss(0.0, 1.0) if rng.random() < 0.5 else 0.0 for _ in range(50)]
          for _ in range(100)]
    W2 = [[rng.gauss(0.0, 0.01) for _ in range(10)] for _ in range(50)]
    d2 = [[rng.gauss(0.0, 0.1) for _ in range(10)] for _ in range(100)]
    sx = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(300)]
    sW1 = [[rng.gauss(0.0, 0.01) for _ in range(100)] for _ in range(2)]
    sd = [[rng.gauss(0.0, 0.1) for _ in range(3)] for _ in range(300)]
    sW2 = [[rng.gauss(0.0, 0.01) for _ in range(3)] for _ in range(100)]
    cases = [
        ("mnist x·W1 (100x784)(784x50)", lambda: linalg.matmul(x, W1)),
        ("mnist xᵀ·dh (dW1)", lambda: linalg.matmul(x, dh, transpose_a=True)),
        ("mnist dout·W2ᵀ (100x10)(10x50)", lambda: linalg.matmul(d2, W2, transpose_b=True)),
        ("spiral x·W1 (300x2)(2x100)", lambda: linalg.matmul(sx, sW1)),
        ("spiral dout·W2ᵀ (300x3)(3x100)", lambda: linalg.matmul(sd, sW2, transpose_b=True)),
    ]
    limits = [int(v) for v in args.limits.split(",")]
    print(f"Python {platform.python_version()}, {source}; ms, best of {args.repeats}")
    saved = linalg.KERNEL
    try:
        for kernel, chosen in linalg.KERNELS.items():
            if not hasattr(chosen, "AXPY_MAX"):
                continue
            linalg.use_kernel(kernel)
            default, default_dense = chosen.AXPY_MAX, chosen.DENSE_ABOVE
            print(f"\nkernel {kernel} (AXPY_MAX {default} by default)")
            print(f"{'product':34s}" + "".join(f"{'AXPY_MAX=' + str(v):>13s}" for v in limits))
            for name, fn in cases:
                cells = []
                for limit in limits:
                    chosen.AXPY_MAX = limit
                    cells.append(best(fn, args.repeats) * 1e3)
                top = min(cells)
                print(f"{name:34s}" + "".join(
                    f"{c:12.2f}{'*' if c == top else ' '}" for c in cells))
            chosen.AXPY_MAX = default
            fractions = (0.5, 0.67, 0.8, 1.0)
            print(f"{'dW1 by DENSE_ABOVE':34s}" + "".join(f"{f:>13}" for f in fractions))
            cells = []
            for fraction in fractions:
                chosen.DENSE_ABOVE = fraction
                cells.append(best(lambda: linalg.matmul(x, dh, transpose_a=True),
                                  args.repeats) * 1e3)
            chosen.DENSE_ABOVE = default_dense
            top = min(cells)
            print(f"{'mnist xᵀ·dh (dW1)':34s}" + "".join(
                f"{c:12.2f}{'*' if c == top else ' '}" for c in cells))
    finally:
        linalg.use_kernel(saved)
    loops_tn(x, dh, rng, args.repeats)


def loops_tn(x, dh, rng, repeats):
    """The loops set's xᵀ·dout both ways: which is faster where, against what it picks."""
    from purenn.kernels import pypy as loops
    from purenn.sparse import SparseRows

    def random_rows(rows, cols, share):
        return [[rng.random() if rng.random() < share else 0.0 for _ in range(cols)]
                for _ in range(rows)]

    x = [list(row) for row in x]
    shapes = [("mnist xᵀ·dh (dW1), 784x50", x, dh)]
    for k, m in ((784, 50), (4320, 100), (50, 10)):
        for share in (0.2, 0.3, 0.5, 1.0):
            shapes.append((f"{share:.0%} nonzero, {k}x{m}", random_rows(100, k, share),
                           random_rows(100, m, 1.0)))
    print(f"\nkernel loops, xᵀ·dout (ROWWISE_TN_MAX_OUT {loops.ROWWISE_TN_MAX_OUT}, "
          f"ROWWISE_TN_MAX_SHARE {loops.ROWWISE_TN_MAX_SHARE}); 'pattern' is from the "
          f"nonzero entries a dense layer keeps from x·W (SparseRows), 'layer' what the "
          f"layer does")
    print(f"{'product':34s}{'row by row':>13s}{'transpose':>13s}{'pattern':>13s}   layer")
    for name, a, b in shapes:
        k, m = len(a[0]), len(b[0])
        sparse = SparseRows.from_rows(a)
        kept = loops.matmul_nonzero(a, [[0.0] * m for _ in range(k)])[1]
        ways = [lambda a=a, b=b, k=k, m=m: loops._matmul_tn_rowwise(a, b, k, m, None),
                lambda a=a, b=b: loops.matmul(loops.transpose(a), b),
                lambda b=b, sparse=sparse: loops.matmul_tn_sparse(sparse, b),
                lambda a=a, b=b, kept=kept: (loops.matmul_tn(a, b) if kept is None else
                                             loops.matmul_tn_sparse(kept, b))]
        for way in ways * 10:      # PyPy's JIT compiles each way before it is timed
            way()
        times = [best(way, repeats) * 1e3 for way in ways]
        top = min(times[:3])
        print(f"{name:34s}" + "".join(f"{t:12.2f}{'*' if t == top else ' '}"
                                      for t in times[:3]) + f"  {times[3]:.2f}")


if __name__ == "__main__":
    main()
