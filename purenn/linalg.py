"""The kernels: every loop that costs time lives here, so the layers can read like the math.

A matrix is a list of rows, each row a list of floats (float64). A batch of N samples is
an (N, features) matrix, one flat row per sample in C order, whatever the sample's shape.

One kernel set per interpreter, picked once, at import, and switchable with
``use_kernel(name)`` (for tests and benchmarks); each set binds the same names below.
``benchmarks/bench_kernels.py`` prints the measurements behind every choice made here.

- ``math.sumprod`` (CPython 3.12+) and ``sum(map(operator.mul))`` (CPython before):
  C-level loops. Arithmetic runs on lists (an ``array('d')`` boxes every float it is
  read from) and every product is formed per row (or per column) in one of three ways,
  chosen from that row's data alone:

  - sparse: the zero inputs are skipped with ``itertools.compress`` and the nonzero ones
    take dot products with the weight rows they select, transposed by ``zip(*rows)``.
    Exact: a skipped term is a product with 0.0, and dropping it changes no finite sum.
  - dense (more than ``DENSE_ABOVE`` of the entries nonzero): dot products with the
    columns, transposed once a call.
  - axpy (at most ``AXPY_MAX`` nonzero inputs): the result row is built as
    c1·row1 + c2·row2 + ..., one C-level ``map`` per term; this wins when a dot
    product's call costs more than its few multiply-adds.

- ``loops`` (PyPy): plain indexed ``for`` loops over preallocated rows, which PyPy's JIT
  compiles to machine code (and where chained ``map``s and ``compress`` are slow). Every
  product is formed as axpy rows, skipping zero inputs with an ``if``.

Every path of every set sums the terms of an entry left to right, skipping zero inputs,
and never chooses from the width of the other factor, so a layer split by output units
across worker processes computes every entry exactly as one process does. Where ``sum``
adds left to right (CPython before 3.12, PyPy) the paths and the sets agree bit for bit;
on 3.12+ ``sum`` compensates its rounding and ``math.sumprod`` accumulates in extended
precision, so there results may differ from the loops' in the last bit.
"""

import math
import operator
import sys
from itertools import compress, repeat

__all__ = [
    "dot", "dots", "KERNEL", "AXPY_MAX", "DENSE_ABOVE", "use_kernel", "KERNELS",
    "axpy_rows", "matmul", "matmul_nt", "matmul_tn", "transpose", "rowwise",
    "add_row", "sub_row", "mul_row", "div_row", "col_sums", "hadamard", "scaled", "lookup",
    "zip_rows",
    "zeros", "zeros_like", "shape_of", "leaves", "argmax", "flatten", "reshape",
    "copy_nested", "nested_from_flat", "axpy_",
]

_mul = operator.mul
_add = operator.add


# -- CPython: C-level loops (map, compress, sum, math.sumprod) -----------------------------
def _dot_map(a, b):
    """Dot product Σ a_i·b_i of two equally long sequences."""
    return sum(map(_mul, a, b))


def _dots_map(v, vectors):
    """[v·w for w in vectors], the loop run in C (no Python-level call per product)."""
    return list(map(sum, map(map, repeat(_mul), repeat(v), vectors)))


def _axpy_rows_map(coeffs, rows, width):
    """Σ_i c_i·rows[i] over the nonzero c_i, in order: a new row of ``width`` floats
    (all zeros when every c_i is zero). ``rows`` may be any iterable of rows.

    The terms are chained as lazy maps and the row is built once at the end: no list per
    term.
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


def _matmul_map(x, w):
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


def _matmul_nt_map(a, b):
    """a·bᵀ for a of shape (N, k) and b of shape (m, k): (N, m); entry (n, j) = a[n]·b[j].

    When k ≤ ``AXPY_MAX`` each row is built as Σ_i a[n][i]·bᵀ[i] instead (see matmul).
    """
    k = len(b[0]) if b else 0
    if k <= AXPY_MAX:
        columns = list(zip(*b))
        width = len(b)
        return [axpy_rows(row, columns, width) for row in a]
    return [dots(row, b) for row in a]


def _matmul_tn_map(a, b):
    """aᵀ·b for a of shape (N, k) and b of shape (N, m): (k, m), as matmul of the columns
    of a (row i of the result is Σ_n a[n][i]·b[n])."""
    return matmul(zip(*a), b)


def _rowwise_map(op, m, v):
    """op(M[n], v) entry by entry for every row n: the vector v broadcast over the batch."""
    return [list(map(op, row, v)) for row in m]


def _hadamard_map(a, b):
    """Elementwise product a ⊙ b of two matrices of the same shape."""
    return [list(map(_mul, ra, rb)) for ra, rb in zip(a, b)]


def _scaled_map(m, c):
    """c·M for a matrix M and a number c."""
    mul = float(c).__mul__
    return [list(map(mul, row)) for row in m]


def _axpy__map(y, a, x):
    """y ← y + a·x in place, leaf by leaf, for nested lists y and x of one shape.

    A leaf of x that is all zeros (``any`` finds out in C) leaves y as it is: that is
    exact up to the sign of a zero, and a first-layer gradient on MNIST has many such
    rows (pixels that are 0 in the whole batch).
    """
    a = float(a)
    for ly, lx in zip(leaves(y), leaves(x)):
        if any(lx):
            ly[:] = map(_add, ly, map(_mul, repeat(a), lx))


# -- PyPy: plain indexed loops for the JIT ----------------------------------------------------
def _dot_loop(a, b):
    """Dot product Σ a_i·b_i, summed left to right."""
    total = 0.0
    for i in range(len(a)):
        total += a[i] * b[i]
    return total


def _dots_loop(v, vectors):
    """[v·w for w in vectors]."""
    return [_dot_loop(v, w) for w in vectors]


def _add_terms(acc, coeffs, rows):
    """acc[j] += Σ_p coeffs[p]·rows[p][j] in place, the terms added one after another (in
    the order of p, so the floats are those of one term at a time), four terms per pass
    over acc (a quarter of the loads and stores of acc) and two entries per turn of the
    loop (fewer index checks: 0.60 -> 0.50 ns a multiply-add on PyPy)."""
    width = len(acc)
    even = width - width % 2
    count = len(coeffs)
    p = 0
    while p + 4 <= count:
        c0, c1, c2, c3 = coeffs[p], coeffs[p + 1], coeffs[p + 2], coeffs[p + 3]
        r0, r1, r2, r3 = rows[p], rows[p + 1], rows[p + 2], rows[p + 3]
        j = 0
        while j < even:
            k = j + 1
            acc[j] = (((acc[j] + c0 * r0[j]) + c1 * r1[j]) + c2 * r2[j]) + c3 * r3[j]
            acc[k] = (((acc[k] + c0 * r0[k]) + c1 * r1[k]) + c2 * r2[k]) + c3 * r3[k]
            j += 2
        if j < width:
            acc[j] = (((acc[j] + c0 * r0[j]) + c1 * r1[j]) + c2 * r2[j]) + c3 * r3[j]
        p += 4
    while p < count:
        c, r = coeffs[p], rows[p]
        for j in range(width):
            acc[j] += c * r[j]
        p += 1
    return acc


def _axpy_rows_loop(coeffs, rows, width):
    """Σ_i c_i·rows[i] over the nonzero c_i, in order: a new row of ``width`` floats."""
    nonzero, selected = [], []
    for c, row in zip(coeffs, rows):
        if c != 0.0:
            nonzero.append(c)
            selected.append(row)
    return _add_terms([0.0] * width, nonzero, selected)


def _matmul_loop(x, w):
    """x·W for x of shape (N, k) and W of shape (k, m): row n is Σ_i x[n][i]·W[i] over
    the nonzero x[n][i], added into one preallocated row."""
    m = len(w[0]) if w else 0
    out = []
    for row in x:
        nonzero, selected = [], []
        for i in range(len(row)):
            c = row[i]
            if c != 0.0:
                nonzero.append(c)
                selected.append(w[i])
        out.append(_add_terms([0.0] * m, nonzero, selected))
    return out


def _matmul_nt_loop(a, b):
    """a·bᵀ: entry (n, j) = a[n]·b[j], summed left to right as matmul of bᵀ sums it
    (bᵀ is formed once: adding whole rows beats a dot product per entry)."""
    return _matmul_loop(a, _transpose_loop(b))


def _transpose_loop(m):
    """Mᵀ as a new list of lists."""
    if not m:
        return []
    rows = range(len(m))
    return [[m[n][j] for n in rows] for j in range(len(m[0]))]


def _matmul_tn_loop(a, b):
    """aᵀ·b: row i of the result is Σ_n a[n][i]·b[n] over the nonzero a[n][i], in the
    order of n: matmul of aᵀ (formed once, then every row sums four terms per pass as
    matmul's do: half the time of gathering each column's terms from the rows of a)."""
    return _matmul_loop(_transpose_loop(a if isinstance(a, list) else list(a)), b)


def _rowwise_loop(op, m, v):
    """op(M[n], v) entry by entry for every row n."""
    width = len(v)
    return [[op(row[j], v[j]) for j in range(width)] for row in m]


def _add_row_loop(m, v):
    width = len(v)
    return [[row[j] + v[j] for j in range(width)] for row in m]


def _sub_row_loop(m, v):
    width = len(v)
    return [[row[j] - v[j] for j in range(width)] for row in m]


def _mul_row_loop(m, v):
    width = len(v)
    return [[row[j] * v[j] for j in range(width)] for row in m]


def _div_row_loop(m, v):
    width = len(v)
    return [[row[j] / v[j] for j in range(width)] for row in m]


def _hadamard_loop(a, b):
    out = []
    for n in range(len(a)):
        ra, rb = a[n], b[n]
        out.append([ra[j] * rb[j] for j in range(len(ra))])
    return out


def _scaled_loop(m, c):
    c = float(c)
    return [[c * v for v in row] for row in m]


def _axpy__loop(y, a, x):
    """y ← y + a·x in place, leaf by leaf; an all-zero leaf of x leaves y as it is (found
    by a loop: ``any`` is slow under the JIT)."""
    a = float(a)
    for ly, lx in zip(leaves(y), leaves(x)):
        for v in lx:
            if v != 0.0:
                break
        else:
            continue
        for j in range(len(ly)):
            ly[j] += a * lx[j]


def _zip_rows_loop(*rows):
    """zip(*rows) for equally long rows: for three rows, indexed reads in a generator,
    which PyPy's JIT compiles into the loop that consumes it (PyPy's zip of three or
    more iterables is slow; its zip of two is fast: docs/speed.md)."""
    if len(rows) != 3:
        return zip(*rows)
    a, b, c = rows
    return ((a[j], b[j], c[j]) for j in range(len(a)))


def _col_sums_loop(m):
    """Σ_n M[n], each column summed exactly (math.fsum) as the C-level sets sum it."""
    if not m:
        return []
    rows = range(len(m))
    return [fsum_or_sum([m[n][j] for n in rows]) for j in range(len(m[0]))]


def _lookup_loop(table, codes):
    """[table[c] for c in codes]: bytes (or ints) to the floats they stand for."""
    return [table[c] for c in codes]


def _transpose_map(m):
    """Mᵀ as a new list of lists."""
    return [list(col) for col in zip(*m)]


def _col_sums_map(m):
    """Σ_n M[n]: the column sums (each exact, math.fsum), a vector as long as a row."""
    try:
        return [math.fsum(col) for col in zip(*m)]
    except (OverflowError, ValueError):
        return [fsum_or_sum(col) for col in zip(*m)]


def fsum_or_sum(values):
    """math.fsum(values), exactly rounded, or a plain sum where fsum raises: finite
    values adding up past the largest float, or both infinities, give ±inf or NaN as a
    plain sum would (a loss that overflows is infinite, and training stops on it with a
    clear message). ``values`` may be any iterable."""
    if not isinstance(values, list):
        values = list(values)
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):
        return sum(values)


def _lookup_map(table, codes):
    """[table[c] for c in codes]: bytes (or ints) to the floats they stand for, in C."""
    return list(map(table.__getitem__, codes))


def _add_row_map(m, v):
    return _rowwise_map(operator.add, m, v)


def _sub_row_map(m, v):
    return _rowwise_map(operator.sub, m, v)


def _mul_row_map(m, v):
    return _rowwise_map(operator.mul, m, v)


def _div_row_map(m, v):
    return _rowwise_map(operator.truediv, m, v)


def _map_set(dot, dots, axpy_max, dense_above):
    return {
        "dot": dot, "dots": dots, "AXPY_MAX": axpy_max, "DENSE_ABOVE": dense_above,
        "axpy_rows": _axpy_rows_map, "matmul": _matmul_map, "matmul_nt": _matmul_nt_map,
        "matmul_tn": _matmul_tn_map, "rowwise": _rowwise_map, "add_row": _add_row_map,
        "sub_row": _sub_row_map, "mul_row": _mul_row_map, "div_row": _div_row_map,
        "hadamard": _hadamard_map, "scaled": _scaled_map, "axpy_": _axpy__map,
        "col_sums": _col_sums_map, "lookup": _lookup_map, "transpose": _transpose_map,
        "zip_rows": zip,
    }


# name -> the functions and thresholds of that set. AXPY_MAX is where a row of per-term
# maps stops beating dot products of that length; DENSE_ABOVE is the fraction of nonzero
# inputs above which a row skips nothing (the loops set has neither choice to make).
KERNELS = {"sum(map(operator.mul))": _map_set(_dot_map, _dots_map, 6, 0.8)}
if hasattr(math, "sumprod"):
    _sumprod = math.sumprod

    def _dots_sumprod(v, vectors):
        """[v·w for w in vectors], the loop run in C."""
        return list(map(_sumprod, repeat(v), vectors))

    KERNELS["math.sumprod"] = _map_set(_sumprod, _dots_sumprod, 2, 0.5)
KERNELS["loops"] = {
    "dot": _dot_loop, "dots": _dots_loop, "AXPY_MAX": 0, "DENSE_ABOVE": 1.0,
    "axpy_rows": _axpy_rows_loop, "matmul": _matmul_loop, "matmul_nt": _matmul_nt_loop,
    "matmul_tn": _matmul_tn_loop, "rowwise": _rowwise_loop, "add_row": _add_row_loop,
    "sub_row": _sub_row_loop, "mul_row": _mul_row_loop, "div_row": _div_row_loop,
    "hadamard": _hadamard_loop, "scaled": _scaled_loop, "axpy_": _axpy__loop,
    "col_sums": _col_sums_loop, "lookup": _lookup_loop, "transpose": _transpose_loop,
    "zip_rows": _zip_rows_loop,
}


def use_kernel(name):
    """Make ``name`` (a key of KERNELS) the kernel set: the functions below that have one
    version per set (and the thresholds) are rebound to that set's."""
    global KERNEL, dot, dots, AXPY_MAX, DENSE_ABOVE, axpy_rows, matmul, matmul_nt, \
        matmul_tn, rowwise, add_row, sub_row, mul_row, div_row, hadamard, scaled, axpy_, \
        col_sums, lookup, transpose, zip_rows
    chosen = KERNELS[name]
    dot, dots, axpy_rows = chosen["dot"], chosen["dots"], chosen["axpy_rows"]
    AXPY_MAX, DENSE_ABOVE = chosen["AXPY_MAX"], chosen["DENSE_ABOVE"]
    matmul, matmul_nt, matmul_tn = chosen["matmul"], chosen["matmul_nt"], chosen["matmul_tn"]
    rowwise, add_row, sub_row = chosen["rowwise"], chosen["add_row"], chosen["sub_row"]
    mul_row, div_row = chosen["mul_row"], chosen["div_row"]
    hadamard, scaled, axpy_ = chosen["hadamard"], chosen["scaled"], chosen["axpy_"]
    col_sums, lookup, transpose = chosen["col_sums"], chosen["lookup"], chosen["transpose"]
    zip_rows = chosen["zip_rows"]
    KERNEL = name


def default_kernel():
    """The set this interpreter runs fastest: loops under a JIT (PyPy), else the C-level
    dot product, ``math.sumprod`` where it exists."""
    if sys.implementation.name == "pypy":
        return "loops"
    return "math.sumprod" if "math.sumprod" in KERNELS else "sum(map(operator.mul))"


use_kernel(default_kernel())


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
