"""The kernels the layers call: products, broadcasts and sums of matrices, each a name
from the math (``matmul(x, W)``, ``matmul(x, dout, transpose_a=True)`` for xᵀ·dout).

A matrix is a list of rows, each row a list of floats (float64). A batch of N samples is
an (N, features) matrix, one flat row per sample in C order, whatever the sample's shape.

Each function here hands its work to the active kernel set, a module or object of
``purenn.kernels`` with one function per name:

- ``reference`` (``purenn/kernels/reference.py``): the plain definitions, slow;
- ``sum(map(operator.mul))`` and ``math.sumprod`` (``purenn/kernels/cpython.py``): the
  loops run in C; the default on CPython (``math.sumprod`` from 3.12);
- ``loops`` (``purenn/kernels/pypy.py``): indexed loops for the JIT; the default on PyPy.

The set is picked once, at import, for the interpreter; ``use_kernel(name)`` switches it
(for tests, benchmarks, or to run a network on the reference definitions). Every set sums
the terms of an entry left to right from 0.0, skipping zero inputs, so where ``sum`` adds
left to right (CPython before 3.12, PyPy) all sets agree bit for bit; on 3.12+ ``sum``
compensates its rounding and ``math.sumprod`` accumulates in extended precision, so the
C-level sets may differ from the others in the last bit there.
"""

import math
import sys

from .kernels import cpython, pypy, reference
from .nested import (
    argmax,
    copy_nested,
    flatten,
    is_rows,
    leaves,
    nested_from_flat,
    reshape,
    shape_of,
    zeros,
    zeros_like,
)
from .sparse import SparseRows

__all__ = [
    "dot", "matmul", "matmul_nonzero", "transpose", "rowwise", "add_row", "sub_row",
    "mul_row", "div_row", "col_sums", "hadamard", "scaled", "lookup", "lookup_into", "axpy_",
    "fsum_or_sum", "refills", "sparse_pays", "SparseRows",
    "KERNEL", "KERNELS", "use_kernel", "default_kernel", "active",
    "zeros", "zeros_like", "shape_of", "leaves", "argmax", "flatten", "reshape",
    "copy_nested", "nested_from_flat", "is_rows",
]

# name -> kernel set
KERNELS = {"reference": reference, "sum(map(operator.mul))": cpython.SumMap()}
if hasattr(math, "sumprod"):
    KERNELS["math.sumprod"] = cpython.Sumprod()
KERNELS["loops"] = pypy


def default_kernel():
    """The set this interpreter runs fastest: loops under a JIT (PyPy), else the C-level
    dot product, ``math.sumprod`` where it exists."""
    if sys.implementation.name == "pypy":
        return "loops"
    return "math.sumprod" if "math.sumprod" in KERNELS else "sum(map(operator.mul))"


def use_kernel(name):
    """Make ``name`` (a key of KERNELS) the kernel set every function below calls."""
    global KERNEL, _kernels
    if name not in KERNELS:
        raise ValueError(f"no kernel set {name!r}; the sets are {', '.join(KERNELS)}")
    KERNEL, _kernels = name, KERNELS[name]


def active():
    """The active kernel set (its thresholds, e.g. ``AXPY_MAX``, are attributes)."""
    return _kernels


KERNEL = _kernels = None
use_kernel(default_kernel())


def dot(a, b):
    """a·b = Σ_i a[i]·b[i] for two vectors of one length."""
    return _kernels.dot(a, b)


def matmul(a, b, transpose_a=False, transpose_b=False, out=None):
    """a·b for a of shape (N, k) and b of shape (k, m): shape (N, m), with
    out[n][j] = Σ_i a[n][i]·b[i][j].

    ``transpose_a=True`` gives aᵀ·b (a of shape (k, N)), ``transpose_b=True`` a·bᵀ
    (b of shape (m, k)), each without forming the transpose where the set need not.
    a may be ``SparseRows`` (as ``matmul_nonzero`` returns it, or as a trainer hands a
    batch over): its kept nonzero entries are used, with no search for zeros.

    ``out`` (with ``transpose_a``) is a list of rows of the result's shape to write the
    result into, and is then what is returned: a dense layer refills its dW this way
    instead of making a new one every step. Where the active set makes new rows faster
    (``refills()`` False), or out has another shape, out is left alone and new rows are
    returned.
    """
    sparse = isinstance(a, SparseRows)
    if transpose_a:
        if transpose_b:
            b = _kernels.transpose(b)
        if not sparse:
            a = a if isinstance(a, list) else list(a)
        if out is not None and (out is a or out is b):
            raise ValueError("matmul cannot write aᵀ·b into a or b (out is one of them)")
        width = a.width if sparse else len(a[0]) if a else 0
        if out is not None and not (_kernels.REFILLS and is_rows(
                out, width, len(b[0]) if b else 0)):
            out = None
        if sparse:
            return _kernels.matmul_tn_sparse(a, b, out)
        return _kernels.matmul_tn(a, b, out)
    if out is not None:
        raise ValueError("matmul writes into out only for aᵀ·b (transpose_a=True)")
    if sparse:
        return _kernels.matmul_sparse(a, _kernels.transpose(b) if transpose_b else b)
    if transpose_b:
        return _kernels.matmul_nt(a, b)
    return _kernels.matmul(a, b)


def refills():
    """Whether the active set fills given rows faster than it makes new ones (``loops``:
    yes, the C-level sets: no); where it does, a trainer's batch and a dense layer's dW
    are refilled step after step."""
    return _kernels.REFILLS


def matmul_nonzero(a, b):
    """(a·b, a by its nonzero entries): the product, and a as ``SparseRows`` (for row n,
    the columns i with a[n][i] ≠ 0, in order, and the values there), or None when the
    active set keeps no such copy (it has no use for it, or a is too dense to pay); a
    itself when it is ``SparseRows``. A dense layer keeps it from x·W to xᵀ·dout:
    ``matmul(kept, dout, transpose_a=True)``."""
    return _kernels.matmul_nonzero(a, b)


def sparse_pays(share):
    """Whether a trainer should hand a dense first layer batches as ``SparseRows``, for
    samples that are ``share`` nonzero (0 to 1): on the active set, the kept entries
    beat searching every batch for its zeros."""
    return share < _kernels.SPARSE_MAX_SHARE


def transpose(m):
    """Mᵀ: Mᵀ[j][n] = M[n][j], as a new list of lists."""
    return _kernels.transpose(m)


def rowwise(op, m, v):
    """op(M[n][j], v[j]) for every entry: the vector v broadcast over the rows of M."""
    return _kernels.rowwise(op, m, v)


def add_row(m, v):
    """M + v, v added to every row."""
    return _kernels.add_row(m, v)


def sub_row(m, v):
    """M − v, v subtracted from every row."""
    return _kernels.sub_row(m, v)


def mul_row(m, v):
    """M ⊙ v, every row multiplied entry by entry by v."""
    return _kernels.mul_row(m, v)


def div_row(m, v):
    """M / v, every row divided entry by entry by v."""
    return _kernels.div_row(m, v)


def col_sums(m):
    """Σ_n M[n], the column sums, each exact (math.fsum)."""
    return _kernels.col_sums(m)


def hadamard(a, b):
    """a ⊙ b, the entrywise product of two matrices of one shape."""
    return _kernels.hadamard(a, b)


def scaled(m, c):
    """c·M for a matrix M and a number c."""
    return _kernels.scaled(m, c)


def lookup(table, codes):
    """[table[c] for c in codes]: bytes (or ints) to the floats they stand for."""
    return _kernels.lookup(table, codes)


def lookup_into(table, codes, start, out):
    """out[j] = table[codes[start + j]] for every j of out, in place; returns out."""
    return _kernels.lookup_into(table, codes, start, out)


def fsum_or_sum(values):
    """math.fsum(values), exactly rounded, or a plain sum where fsum raises (±inf or NaN
    past the largest float): the reference's ``fsum_or_sum``, by the active kernel set."""
    return _kernels.fsum_or_sum(values)


def axpy_(y, a, x):
    """y ← y + a·x in place, leaf by leaf, for nested lists y and x of one shape; a leaf
    of x that is all zeros leaves y's leaf exactly as it was."""
    _kernels.axpy_(y, a, x)
