"""The kernels: every loop that costs time lives here, so the layers can read like the math.

A matrix is a list of rows, each row a list of floats (float64). A batch of N samples is
an (N, features) matrix, one flat row per sample in C order, whatever the sample's shape.

Measured on this project's machines (ns per multiply-add, vectors of 784):
``math.sumprod`` (3.12+) ~8-9 ns on lists, ``sum(map(operator.mul, a, b))`` 17-25 ns,
explicit ``for`` loops 34-75 ns, and ``array('d')`` 1.4-3.3x slower than lists in every
kernel. So arithmetic runs on lists and the dot product is picked once, at import
(``use_kernel`` switches it, for tests and benchmarks).

Three ways to form a product, chosen per row (or per column) from the data alone, never
from the width of the other factor, so that a layer split by output units across worker
processes computes every entry exactly as one process does:

- sparse: skip the zero inputs with ``itertools.compress`` (a C loop) and take dot
  products of the nonzero ones with the weight rows they select, transposed by
  ``zip(*rows)``. Exact: a skipped term is a product with 0.0, and dropping it changes
  no finite sum. MNIST pixels are ~81% zero and ReLU outputs about half zero; for a
  784-50 layer and a batch of 100 this took the forward product from 66 to 19 ms (3.11)
  and 30 to 11 ms (3.13).
- dense (more than ``DENSE_ABOVE`` of the entries nonzero): dot products with the
  columns, transposed once a call. Gathering a number costs ~4-5 ns, a multiply-add ~8 ns
  with sumprod but ~17-25 with sum/map, so with sum/map the sparse path pays until 4/5
  nonzero: a 784-50 weight gradient (batch 100) took 20.4 ms instead of 23.5 on 3.11 with
  the cut at 4/5 rather than 1/2; with sumprod the cut made no difference (13.7-14.0 ms).
- axpy (at most ``AXPY_MAX`` nonzero inputs): the result row is built as
  c1·row1 + c2·row2 + ..., one C-level ``map`` per term. A dot product call costs
  ~100 ns (sumprod) or ~150 ns (sum/map) before its first multiply-add, so when the inner
  dimension is tiny (CS231n's spiral net: 2 inputs, 3 classes) whole rows win: a
  (300, 2)·(2, 100) product took 2.4 ms instead of 5.5 (3.11) and 3.2 instead of 8.1
  (3.13, a busy machine), and (300, 3)·(3, 100)ᵀ 3.5 instead of 8.3 on 3.11 but was
  slower than sumprod on 3.13; hence AXPY_MAX 6 for sum/map and 2 for sumprod
  (``benchmarks/bench_kernels.py`` prints the table). The sum is taken left to right, as
  ``sum(map(mul))`` takes it on 3.10/3.11, where the paths agree bit for bit; on 3.12+
  ``sum`` compensates its rounding and ``math.sumprod`` accumulates in extended precision,
  so there an axpy result may differ from the dot product's in the last bit.
"""

import math
import operator
from itertools import compress, repeat

__all__ = [
    "dot", "dots", "KERNEL", "AXPY_MAX", "DENSE_ABOVE", "use_kernel", "KERNELS",
    "axpy_rows", "matmul", "matmul_nt", "matmul_tn", "transpose", "rowwise", "add_row",
    "col_sums",
    "hadamard", "scaled",
    "zeros", "zeros_like", "shape_of", "leaves", "argmax", "flatten", "reshape",
    "copy_nested", "nested_from_flat", "axpy_",
]

_mul = operator.mul
_add = operator.add


def _dot_map(a, b):
    """Dot product Σ a_i·b_i of two equally long sequences."""
    return sum(map(_mul, a, b))


def _dots_map(v, vectors):
    """[v·w for w in vectors], the loop run in C: a Python-level call per dot
    product cost ~8 ms of a 49 ms training step on 3.11."""
    return list(map(sum, map(map, repeat(_mul), repeat(v), vectors)))


# name -> (dot, dots, AXPY_MAX, DENSE_ABOVE). AXPY_MAX is where a row of per-term maps
# stops beating dot products of that length (benchmarks/bench_kernels.py prints the
# table); DENSE_ABOVE is the fraction of nonzero inputs above which a row skips nothing.
KERNELS = {"sum(map(operator.mul))": (_dot_map, _dots_map, 6, 0.8)}
if hasattr(math, "sumprod"):
    _sumprod = math.sumprod

    def _dots_sumprod(v, vectors):
        """[v·w for w in vectors], the loop run in C."""
        return list(map(_sumprod, repeat(v), vectors))

    KERNELS["math.sumprod"] = (_sumprod, _dots_sumprod, 2, 0.5)


def use_kernel(name):
    """Make ``name`` (a key of KERNELS) the dot product of every kernel below."""
    global dot, dots, AXPY_MAX, DENSE_ABOVE, KERNEL
    dot, dots, AXPY_MAX, DENSE_ABOVE = KERNELS[name]
    KERNEL = name


use_kernel("math.sumprod" if "math.sumprod" in KERNELS else "sum(map(operator.mul))")


def axpy_rows(coeffs, rows, width):
    """Σ_i c_i·rows[i] over the nonzero c_i, in order: a new row of ``width`` floats
    (all zeros when every c_i is zero). ``rows`` may be any iterable of rows.

    The terms are chained as lazy maps and the row is built once at the end: no list per
    term, which measured 1.1-1.4x faster for 2-6 terms than adding term by term.
    """
    terms = None
    depth = 0
    for c, row in zip(coeffs, rows):
        if c:
            if terms is None:
                terms = map(_mul, repeat(c), row)
            else:
                terms = map(_add, terms, map(_mul, repeat(c), row))
                depth += 1
                if depth == 32:          # keep the chain of iterators shallow
                    terms, depth = iter(list(terms)), 0
    return [0.0] * width if terms is None else list(terms)


def matmul(x, w):
    """x·W for x of shape (N, k) and W of shape (k, m): (N, m).

    Row n of the result is Σ_i x[n][i]·W[i]: for a row with at most ``AXPY_MAX``
    nonzero entries, those terms summed row by row; for a sparse row (a fraction of at
    most ``DENSE_ABOVE`` nonzero) the dot products of its nonzero entries with the
    columns of the W rows they select; for a dense row the dot products with the columns
    of W, transposed once.
    """
    m = len(w[0]) if w else 0
    out = []
    append = out.append
    columns = None
    small = AXPY_MAX
    for row in x:
        nonzero = list(compress(row, row))
        count = len(nonzero)
        if count <= small:
            append(axpy_rows(nonzero, compress(w, row), m))
        elif count > DENSE_ABOVE * len(row):
            if columns is None:
                columns = list(zip(*w))
            append(dots(row, columns))
        else:
            append(dots(nonzero, zip(*compress(w, row))))
    return out


def matmul_nt(a, b):
    """a·bᵀ for a of shape (N, k) and b of shape (m, k): (N, m); entry (n, j) = a[n]·b[j].

    When k ≤ ``AXPY_MAX`` each row is built as Σ_i a[n][i]·bᵀ[i] instead (see matmul).
    """
    k = len(b[0]) if b else 0
    if k <= AXPY_MAX:
        columns = list(zip(*b))
        width = len(b)
        return [axpy_rows(row, columns, width) for row in a]
    return [dots(row, b) for row in a]


def matmul_tn(a, b):
    """aᵀ·b for a of shape (N, k) and b of shape (N, m): (k, m).

    Row i of the result is Σ_n a[n][i]·b[n]. For column i of a with at most
    ``AXPY_MAX`` nonzero entries those rows of b are summed (an all-zero column gives a
    row of zeros at once); for a sparse column only the samples with a[n][i] != 0 take
    part in the dot products; a dense column uses the columns of b, transposed once.
    """
    m = len(b[0]) if b else 0
    out = []
    append = out.append
    columns = None
    small = AXPY_MAX
    for col in zip(*a):
        nonzero = list(compress(col, col))
        count = len(nonzero)
        if count <= small:
            append(axpy_rows(nonzero, compress(b, col), m))
        elif count > DENSE_ABOVE * len(col):
            if columns is None:
                columns = list(zip(*b))
            append(dots(col, columns))
        else:
            append(dots(nonzero, zip(*compress(b, col))))
    return out


def transpose(m):
    """Mᵀ as a new list of lists."""
    return [list(col) for col in zip(*m)]


def rowwise(op, m, v):
    """op(M[n], v) entry by entry for every row n: the vector v broadcast over the batch."""
    return [list(map(op, row, v)) for row in m]


def add_row(m, v):
    """M + v, adding the vector v to every row (broadcast over the batch)."""
    return rowwise(operator.add, m, v)


def col_sums(m):
    """Σ_n M[n]: the column sums, a vector as long as a row (each exactly rounded; a
    column whose finite values add up past the largest float, or that holds both
    infinities, sums to ±inf or NaN as a plain sum would, not to an exception)."""
    try:
        return [math.fsum(col) for col in zip(*m)]
    except (OverflowError, ValueError):
        return [_fsum_or_sum(col) for col in zip(*m)]


def _fsum_or_sum(values):
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):
        return sum(values)


def hadamard(a, b):
    """Elementwise product a ⊙ b of two matrices of the same shape."""
    mul = operator.mul
    return [list(map(mul, ra, rb)) for ra, rb in zip(a, b)]


def scaled(m, c):
    """c·M for a matrix M and a number c."""
    mul = float(c).__mul__
    return [list(map(mul, row)) for row in m]


def argmax(row):
    """Index of the largest entry (the first one on ties, as NumPy's argmax)."""
    return max(range(len(row)), key=row.__getitem__)


def zeros(shape):
    """Nested lists of 0.0 of the given shape, e.g. zeros((2, 3)) or zeros((5,))."""
    if len(shape) == 1:
        return [0.0] * shape[0]
    return [zeros(shape[1:]) for _ in range(shape[0])]


def shape_of(value):
    """Shape of nested lists: shape_of([[1.0, 2.0]]) == (1, 2)."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return tuple(shape)


def zeros_like(value):
    """Nested lists of 0.0 shaped like value."""
    return zeros(shape_of(value))


def leaves(value):
    """The innermost lists of nested lists (the value itself when it is one flat list).

    Optimizers update parameters leaf by leaf in place, so the objects a network holds
    stay the same objects whatever their shape.
    """
    if value and isinstance(value[0], list):
        if value[0] and isinstance(value[0][0], list):
            for item in value:
                yield from leaves(item)
        else:
            # a matrix: its rows are the leaves, with no generator per row
            # (0.09 -> 0.015 ms to walk a 784x50 W)
            yield from value
    else:
        yield value


def flatten(value):
    """All numbers of nested lists in C order, as one flat list."""
    out = []
    for leaf in leaves(value):
        out.extend(leaf)
    return out


def nested_from_flat(flat, shape):
    """Nested lists of the given shape filled in C order from a flat sequence."""
    flat = list(flat)
    if len(flat) != math.prod(shape):
        raise ValueError(f"{len(flat)} values do not fill shape {shape!r}")
    return reshape(flat, shape)


def reshape(flat, shape):
    """Nested lists of ``shape`` (at least one dimension) from a flat list, in C order."""
    if len(shape) == 1:
        return list(flat)
    step = math.prod(shape[1:])
    return [reshape(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def copy_nested(value):
    """A deep copy of nested lists of floats."""
    if value and isinstance(value[0], list):
        return [copy_nested(item) for item in value]
    return list(value)


def axpy_(y, a, x):
    """y ← y + a·x in place, leaf by leaf, for nested lists y and x of one shape.

    A leaf of x that is all zeros (``any`` finds out in C) leaves y as it is: that is
    exact up to the sign of a zero, and a first-layer gradient on MNIST has ~40% such
    rows (pixels that are 0 in the whole batch). With that and ``map(mul, repeat(a), ...)``
    instead of a bound ``a.__mul__``, a step on a 784x50 W with a third of its gradient
    rows zero took 1.6 ms instead of 3.1 (3.11) and 2.2 instead of 3.7 (3.13).
    """
    a = float(a)
    for ly, lx in zip(leaves(y), leaves(x)):
        if any(lx):
            ly[:] = map(_add, ly, map(_mul, repeat(a), lx))


