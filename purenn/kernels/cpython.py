"""The CPython kernel sets: the loops run in C (``map``, ``itertools.compress``, ``zip``,
``sum``, ``math.sumprod``), so that no Python bytecode runs per multiply-add.

Each kernel computes what ``reference`` defines (the same terms, skipping the same zero
inputs); only how the loops are driven differs. Arithmetic runs on lists (an
``array('d')`` boxes every float it is read from), and every product is formed per row
(or per column) in one of three ways, chosen from that row's data alone:

- sparse: the zero inputs are skipped with ``itertools.compress`` and the nonzero ones
  take dot products with the weight rows they select, transposed by ``zip(*rows)``.
  Exact: a skipped term is a product with 0.0, and dropping it changes no finite sum.
- dense (more than ``DENSE_ABOVE`` of the entries nonzero): dot products with the
  columns, transposed once a call.
- axpy (at most ``AXPY_MAX`` nonzero inputs): the result row is built as
  c1·row1 + c2·row2 + ..., one C-level ``map`` per term; this wins when a dot
  product's call costs more than its few multiply-adds.

Two sets share this code and differ in their dot product and thresholds:
``SumMap`` (``sum(map(operator.mul))``, every CPython) and ``Sumprod``
(``math.sumprod``, CPython 3.12+). ``benchmarks/bench_kernels.py`` measures the
thresholds. A path never depends on the width of the other factor, so a layer split by
output units across worker processes computes every entry exactly as one process does.
On 3.12+ ``sum`` compensates its rounding and ``math.sumprod`` accumulates in extended
precision, so there the paths may differ from a left-to-right sum in the last bit.
"""

import math
import operator
from itertools import compress, repeat

from ..nested import leaves
from ..sparse import SparseRows
from .reference import fsum_or_sum, into_rows

__all__ = ["SumMap", "Sumprod"]

_mul = operator.mul
_add = operator.add


class SumMap:
    """The kernel set of every CPython: dot products as ``sum(map(operator.mul, a, b))``.

    AXPY_MAX is where a row of per-term maps stops beating dot products of that length;
    DENSE_ABOVE is the fraction of nonzero inputs above which a row skips nothing.
    """

    AXPY_MAX = 6
    DENSE_ABOVE = 0.8
    # new rows from C-level maps cost less than filling old ones (a batch refilled with
    # a slice assignment, dW copied in: a 3.13 step measured 1-2 % slower with them)
    REFILLS = False
    # batches as SparseRows never: finding the zeros in C costs these sets less than
    # gathering the kept entries with Python-level loops
    SPARSE_MAX_SHARE = 0.0

    @staticmethod
    def dot(a, b):
        """a·b = Σ_i a_i·b_i of two equally long sequences."""
        return sum(map(_mul, a, b))

    @staticmethod
    def dots(v, vectors):
        """[v·w for w in vectors], the loop run in C (no Python-level call per product)."""
        return list(map(sum, map(map, repeat(_mul), repeat(v), vectors)))

    @staticmethod
    def axpy_rows(coeffs, rows, width):
        """Σ_i c_i·rows[i] over the nonzero c_i, in order: a new row of ``width`` floats
        (all zeros when every c_i is zero). ``rows`` may be any iterable of rows.

        The terms are chained as lazy maps and the row is built once at the end: no list
        per term.
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

    def matmul(self, x, w):
        """x·W for x of shape (N, k) and W of shape (k, m): (N, m).

        Row n of the result is Σ_i x[n][i]·W[i]: for a row with at most ``AXPY_MAX``
        nonzero entries, those terms summed row by row; for a sparse row (a fraction of
        at most ``DENSE_ABOVE`` nonzero) the dot products of its nonzero entries with the
        columns of the W rows they select; for a dense row the dot products with the
        columns of W, transposed once.
        """
        m = len(w[0]) if w else 0
        out = []
        append = out.append
        columns = None
        small, dense_above = self.AXPY_MAX, self.DENSE_ABOVE
        axpy_rows, dots = self.axpy_rows, self.dots
        for row in x:
            nonzero = list(compress(row, row))
            count = len(nonzero)
            if count <= small:
                append(axpy_rows(nonzero, compress(w, row), m))
            elif count > dense_above * len(row):
                if columns is None:
                    columns = list(zip(*w))
                append(dots(row, columns))
            else:
                append(dots(nonzero, zip(*compress(w, row))))
        return out

    def matmul_nt(self, a, b):
        """a·bᵀ for a of shape (N, k) and b of shape (m, k): (N, m); entry (n, j) is
        a[n]·b[j]. When k ≤ ``AXPY_MAX`` each row is built as Σ_i a[n][i]·bᵀ[i] instead
        (see matmul)."""
        k = len(b[0]) if b else 0
        if k <= self.AXPY_MAX:
            columns = list(zip(*b))
            width = len(b)
            axpy_rows = self.axpy_rows
            return [axpy_rows(row, columns, width) for row in a]
        dots = self.dots
        return [dots(row, b) for row in a]

    def matmul_tn(self, a, b, out=None):
        """aᵀ·b for a of shape (N, k) and b of shape (N, m): (k, m), as matmul of the
        columns of a (row i of the result is Σ_n a[n][i]·b[n]), never formed as lists;
        written into ``out``'s rows when it is given."""
        return into_rows(out, self.matmul(zip(*a), b))

    def matmul_nonzero(self, x, w):
        """(x·W, None): these sets search x's zeros in C wherever they need them, so
        they keep no pattern (see ``reference.matmul_nonzero``); x as it came when it
        is ``SparseRows``."""
        if isinstance(x, SparseRows):
            return self.matmul_sparse(x, w), x
        return self.matmul(x, w), None

    def matmul_sparse(self, x, w):
        """x·W for x a ``SparseRows``: each row as matmul makes a sparse one, from the
        kept entries and the W rows their columns select."""
        m = len(w[0]) if w else 0
        small, axpy_rows, dots = self.AXPY_MAX, self.axpy_rows, self.dots
        out = []
        for columns, values in zip(x.columns, x.values):
            selected = list(map(w.__getitem__, columns))
            if len(values) <= small:
                out.append(axpy_rows(values, selected, m))
            else:
                out.append(dots(values, zip(*selected)))
        return out

    def matmul_tn_sparse(self, x, b, out=None):
        """xᵀ·b for x a ``SparseRows``: matmul_sparse of xᵀ (each of x's columns, its
        terms in the order of n), written into ``out``'s rows when it is given."""
        return into_rows(out, self.matmul_sparse(x.transpose(), b))

    @staticmethod
    def transpose(m):
        """Mᵀ as a new list of lists."""
        return [list(col) for col in zip(*m)]

    @staticmethod
    def rowwise(op, m, v):
        """op(M[n], v) entry by entry for every row n: v broadcast over the batch."""
        return [list(map(op, row, v)) for row in m]

    @staticmethod
    def add_row(m, v):
        return [list(map(_add, row, v)) for row in m]

    @staticmethod
    def sub_row(m, v):
        return [list(map(operator.sub, row, v)) for row in m]

    @staticmethod
    def mul_row(m, v):
        return [list(map(_mul, row, v)) for row in m]

    @staticmethod
    def div_row(m, v):
        return [list(map(operator.truediv, row, v)) for row in m]

    @staticmethod
    def hadamard(a, b):
        """Elementwise product a ⊙ b of two matrices of the same shape."""
        return [list(map(_mul, ra, rb)) for ra, rb in zip(a, b)]

    @staticmethod
    def scaled(m, c):
        """c·M for a matrix M and a number c."""
        mul = float(c).__mul__
        return [list(map(mul, row)) for row in m]

    @staticmethod
    def col_sums(m):
        """Σ_n M[n]: the column sums (each exact, math.fsum), a vector as long as a row."""
        try:
            return [math.fsum(col) for col in zip(*m)]
        except (OverflowError, ValueError):
            return [fsum_or_sum(col) for col in zip(*m)]

    @staticmethod
    def axpy_(y, a, x):
        """y ← y + a·x in place, leaf by leaf, for nested lists y and x of one shape.

        A leaf of x that is all zeros (``any`` finds out in C) leaves y as it is: a
        first-layer gradient on MNIST has many such rows (pixels that are 0 in the
        whole batch).
        """
        a = float(a)
        for ly, lx in zip(leaves(y), leaves(x)):
            if any(lx):
                ly[:] = map(_add, ly, map(_mul, repeat(a), lx))

    @staticmethod
    def lookup(table, codes):
        """[table[c] for c in codes]: bytes (or ints) to the floats they stand for, in C."""
        return list(map(table.__getitem__, codes))

    @staticmethod
    def lookup_into(table, codes, start, out):
        """out[j] = table[codes[start + j]] for every j of out, in place, in C."""
        codes = codes[start:start + len(out)]
        if len(codes) != len(out):
            raise IndexError("lookup_into: the codes end before out is filled")
        out[:] = map(table.__getitem__, codes)
        return out

    fsum_or_sum = staticmethod(fsum_or_sum)


class Sumprod(SumMap):
    """The kernel set of CPython 3.12+: dot products as ``math.sumprod`` (one C call,
    extended-precision accumulation), which also makes a dot product cheap enough to
    beat the axpy rows from 3 terms and the dense path from half the entries."""

    AXPY_MAX = 2
    DENSE_ABOVE = 0.5

    if hasattr(math, "sumprod"):
        dot = staticmethod(math.sumprod)

        @staticmethod
        def dots(v, vectors):
            """[v·w for w in vectors], the loop run in C."""
            return list(map(math.sumprod, repeat(v), vectors))
