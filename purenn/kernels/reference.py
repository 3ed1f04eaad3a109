"""The reference kernel set: what every kernel computes, in the plainest loops.

Read this file to know what a kernel does; the other sets (``cpython``, ``pypy``) compute
the same numbers faster and are tested against these definitions. Every set, this one
included, follows two conventions the others need for speed:

- A product's entry is a sum Σ_i taken left to right, starting from 0.0, over the terms
  whose *left* factor is nonzero: a term 0·w adds nothing to a finite sum, and the fast
  sets skip the zero inputs (a ReLU output or an MNIST pixel is often 0).
- ``axpy_`` leaves a row of y untouched when that row of x is all zeros.

A matrix is a list of rows, each a list of floats; a batch of N samples is (N, features).
Shapes are given as (rows, columns).
"""

import math

from ..nested import leaves
from ..sparse import SparseRows

# whether the set's kernels fill given rows (``out=``, ``lookup_into``) faster than new
# ones: callers that could reuse rows (a trainer's batch, a dense layer's dW) do so only
# where this is True (here, so that the tests see the filling defined)
REFILLS = True
# a trainer hands a dense first layer its batches as SparseRows (each sample's nonzero
# columns found once, kept by the data set) when the samples are less than this share
# nonzero (here always, so that the tests see it)
SPARSE_MAX_SHARE = math.inf

__all__ = [
    "dot", "dots", "axpy_rows", "matmul", "matmul_tn", "matmul_nt", "matmul_nonzero",
    "matmul_sparse", "matmul_tn_sparse", "transpose", "rowwise", "add_row", "sub_row",
    "mul_row", "div_row", "hadamard", "scaled", "col_sums", "axpy_", "lookup", "lookup_into",
    "fsum_or_sum",
]


def dot(a, b):
    """a·b = Σ_i a[i]·b[i] for two vectors of one length k, summed left to right."""
    total = 0.0
    for i in range(len(a)):
        total += a[i] * b[i]
    return total


def dots(v, vectors):
    """[v·w for w in vectors]: the dot product of v with each vector in turn."""
    return [dot(v, w) for w in vectors]


def axpy_rows(coeffs, rows, width):
    """Σ_i c_i·rows[i], a new row of ``width`` floats (zeros when every c_i is 0).

    row[j] = c_0·rows[0][j] + c_1·rows[1][j] + ..., left to right over the nonzero c_i.
    """
    out = [0.0] * width
    for c, row in zip(coeffs, rows):
        if c != 0.0:
            for j in range(width):
                out[j] += c * row[j]
    return out


def matmul(a, b):
    """a·b for a of shape (N, k) and b of shape (k, m): shape (N, m).

    out[n][j] = Σ_i a[n][i]·b[i][j], i = 0, 1, ..., k-1, over the nonzero a[n][i].

    The book's ``np.dot(A, B)`` of section 3.3.2:

    >>> matmul([[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]])
    [[19.0, 22.0], [43.0, 50.0]]
    """
    m = len(b[0]) if b else 0
    out = []
    for row in a:
        out_row = []
        for j in range(m):
            total = 0.0
            for i in range(len(row)):
                if row[i] != 0.0:
                    total += row[i] * b[i][j]
            out_row.append(total)
        out.append(out_row)
    return out


def matmul_tn(a, b, out=None):
    """aᵀ·b for a of shape (N, k) and b of shape (N, m): shape (k, m).

    out[i][j] = Σ_n a[n][i]·b[n][j] over the nonzero a[n][i]: matmul(transpose(a), b).
    ``out``, a (k, m) list of rows, is filled with the result and returned (a dense
    layer's dW refilled step after step); None makes new rows.

    A dense layer's dW = xᵀ·dout, for a batch of two samples of two inputs:

    >>> matmul_tn([[1.0, 0.0], [2.0, 3.0]], [[1.0, 1.0, 1.0], [0.5, 0.0, -1.0]])
    [[2.0, 1.0, -1.0], [1.5, 0.0, -3.0]]
    """
    return into_rows(out, matmul(transpose(a), b))


def into_rows(out, rows):
    """rows written into out (out[i][j] = rows[i][j]) and out returned; rows when out
    is None. out has the shape of rows."""
    if out is None:
        return rows
    for target, row in zip(out, rows):
        for j in range(len(row)):       # entry by entry: on PyPy a slice assignment gives
            target[j] = row[j]          # the row new storage, young again
    return out


def matmul_nt(a, b):
    """a·bᵀ for a of shape (N, k) and b of shape (m, k): shape (N, m).

    out[n][j] = Σ_i a[n][i]·b[j][i] over the nonzero a[n][i]: matmul(a, transpose(b)).
    """
    return matmul(a, transpose(b))


def matmul_nonzero(a, b):
    """(a·b, a by its nonzero entries): the product, and a as ``SparseRows`` (for row n,
    the columns where a[n] is nonzero, in increasing order, and the values there; a NaN
    is not zero): the terms a's zeros leave out. a may itself be ``SparseRows``, and is
    then what is returned with a·b.

    A dense layer keeps the second from forward (x·W) to backward, where xᵀ·dout sums
    over the same nonzero x[n][i] (``matmul_tn_sparse``). A set that has no use for it
    may return None in its place (for a dense a).

    >>> product, sparse = matmul_nonzero([[0.0, 2.0], [3.0, 0.0]], [[1.0], [10.0]])
    >>> product, sparse.columns, sparse.values
    ([[20.0], [3.0]], [[1], [0]], [[2.0], [3.0]])
    """
    if isinstance(a, SparseRows):
        return matmul_sparse(a, b), a
    return matmul(a, b), SparseRows.from_rows(a)


def matmul_sparse(x, b):
    """x·b for x a ``SparseRows`` of shape (N, k) and b of shape (k, m): row n is
    Σ_p values[n][p]·b[columns[n][p]], the terms in the order of the columns: the same
    floats as matmul of x's dense rows (whose zeros add nothing).

    >>> x = SparseRows([[1], [0]], [[2.0], [3.0]], 2)
    >>> matmul_sparse(x, [[1.0], [10.0]])
    [[20.0], [3.0]]
    """
    m = len(b[0]) if b else 0
    return [axpy_rows(values, [b[i] for i in columns], m)
            for columns, values in zip(x.columns, x.values)]


def matmul_tn_sparse(x, b, out=None):
    """xᵀ·b for x a ``SparseRows`` of shape (N, k) and b of shape (N, m): shape (k, m).
    The same floats as matmul_tn of x's dense rows: entry (i, j) sums x[n][i]·b[n][j]
    from 0.0 in the order of n, over the n where x[n][i] is nonzero. ``out`` as for
    matmul_tn.

    >>> x = SparseRows([[0], [0, 1]], [[1.0], [2.0, 3.0]], 2)
    >>> matmul_tn_sparse(x, [[1.0, 1.0, 1.0], [0.5, 0.0, -1.0]])
    [[2.0, 1.0, -1.0], [1.5, 0.0, -3.0]]
    """
    return into_rows(out, matmul_sparse(x.transpose(), b))


def transpose(m):
    """Mᵀ: for M of shape (N, k), the (k, N) matrix with Mᵀ[j][n] = M[n][j]."""
    m = list(m)
    if not m:
        return []
    return [[m[n][j] for n in range(len(m))] for j in range(len(m[0]))]


def rowwise(op, m, v):
    """op(M[n][j], v[j]) for every entry: the vector v (length k) applied to every row of
    M (N, k), as NumPy broadcasts a vector over a batch."""
    return [[op(row[j], v[j]) for j in range(len(v))] for row in m]


def add_row(m, v):
    """M + v, v added to every row: out[n][j] = M[n][j] + v[j]."""
    return [[row[j] + v[j] for j in range(len(v))] for row in m]


def sub_row(m, v):
    """M − v, v subtracted from every row: out[n][j] = M[n][j] − v[j]."""
    return [[row[j] - v[j] for j in range(len(v))] for row in m]


def mul_row(m, v):
    """M ⊙ v, every row scaled entry by entry: out[n][j] = M[n][j]·v[j]."""
    return [[row[j] * v[j] for j in range(len(v))] for row in m]


def div_row(m, v):
    """M / v, every row divided entry by entry: out[n][j] = M[n][j] / v[j]."""
    return [[row[j] / v[j] for j in range(len(v))] for row in m]


def hadamard(a, b):
    """a ⊙ b, the entrywise product of two matrices of one shape: a[n][j]·b[n][j]."""
    return [[ra[j] * rb[j] for j in range(len(ra))] for ra, rb in zip(a, b)]


def scaled(m, c):
    """c·M for a matrix M and a number c: c·M[n][j] for every entry."""
    c = float(c)
    return [[c * value for value in row] for row in m]


def col_sums(m):
    """Σ_n M[n], the column sums of M (N, k): a vector of length k, each sum exact
    (``math.fsum``: the correctly rounded sum, whatever the order of the rows).

    >>> col_sums([[1e16, 1.0], [1.0, 2.0], [-1e16, 3.0]])
    [1.0, 6.0]
    """
    if not m:
        return []
    return [fsum_or_sum([row[j] for row in m]) for j in range(len(m[0]))]


def axpy_(y, a, x):
    """y ← y + a·x in place, for nested lists y and x of one shape (a parameter and its
    gradient): every innermost list (leaf) of y keeps its identity.

    A leaf of x with no nonzero entry leaves its leaf of y exactly as it was (even a
    −0.0 in y, which adding a·0.0 would turn into 0.0).
    """
    a = float(a)
    for ly, lx in zip(leaves(y), leaves(x)):
        if any(value != 0.0 for value in lx):
            for j in range(len(ly)):
                ly[j] += a * lx[j]


def lookup(table, codes):
    """[table[c] for c in codes]: bytes (or ints) to the floats they stand for."""
    return [table[c] for c in codes]


def lookup_into(table, codes, start, out):
    """out[j] = table[codes[start + j]] for every j of out, in place; returns out. A
    batch's rows are refilled from the data set's bytes this way, step after step."""
    for j in range(len(out)):
        out[j] = table[codes[start + j]]
    return out


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
