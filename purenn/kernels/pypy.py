"""The PyPy kernel set (``loops``): plain indexed ``for`` loops over preallocated rows,
which PyPy's JIT compiles to machine code (and where chained ``map``s and ``compress``,
the tricks of the ``cpython`` sets, are slow).

Each kernel computes what ``reference`` defines, term for term and in the same order
(every sum left to right from 0.0, zero inputs skipped with an ``if``), so this set and
the reference agree bit for bit. Every product is formed as axpy rows: a result row is
Σ_i c_i·row_i, the rows added into one preallocated row, four terms per pass.
"""

import math

from ..nested import leaves
from ..sparse import SparseRows

# the plain loops are already what the JIT wants for these: the reference's own
from .reference import dot, dots, into_rows, lookup, lookup_into
from .reference import fsum_or_sum as _fsum_or_sum

# refilling a step's batch and dW rows in place keeps them out of the young generation
# (fewer copies to the old one, fewer major collections): see docs/speed.md
REFILLS = True
# batches as SparseRows below this share of nonzero pixels: each sample's nonzero
# columns are found once and kept, so no step searches its batch for zeros (see
# docs/speed.md); the kept columns take up to as much memory as the samples' bytes
SPARSE_MAX_SHARE = 0.5

__all__ = [
    "dot", "dots", "axpy_rows", "matmul", "matmul_tn", "matmul_nt", "matmul_nonzero",
    "matmul_sparse", "matmul_tn_sparse", "transpose", "rowwise", "add_row", "sub_row",
    "mul_row", "div_row", "hadamard", "scaled", "col_sums", "axpy_", "lookup", "lookup_into",
    "fsum_or_sum",
]


def add_terms(acc, coeffs, rows, stop, start=0):
    """acc[j] += Σ_p coeffs[p]·rows[p][j] for start ≤ p < stop in place, one term after
    another (in the order of p, so the floats are those of one term at a time), four
    terms per pass over acc (a quarter of the loads and stores of acc) and two entries
    per turn of the loop (fewer index checks: 0.60 -> 0.50 ns a multiply-add on PyPy).
    The products here are made of it, and so are purenn-conv's loops."""
    width = len(acc)
    even = width - width % 2
    p = start
    while p + 4 <= stop:
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
    # the last one to three terms a pass each: one pass for them all measured no faster
    # on the two-layer step and made SimpleConvNet's 1.7x slower (its loops add few terms)
    while p < stop:
        c, r = coeffs[p], rows[p]
        for j in range(width):
            acc[j] += c * r[j]
        p += 1
    return acc


def axpy_rows(coeffs, rows, width):
    """Σ_i c_i·rows[i] over the nonzero c_i, in order: a new row of ``width`` floats."""
    nonzero, selected = [], []
    for c, row in zip(coeffs, rows):
        if c != 0.0:
            nonzero.append(c)
            selected.append(row)
    return add_terms([0.0] * width, nonzero, selected, len(nonzero))


def matmul(x, w):
    """x·W for x of shape (N, k) and W of shape (k, m): row n is Σ_i x[n][i]·W[i] over
    the nonzero x[n][i], added into one preallocated row (``add_terms``)."""
    return _products(x, w, False)[0]


def matmul_nonzero(x, w):
    """(x·W, x as SparseRows) as the reference defines it while x is sparser than
    ``PATTERN_MAX_SHARE`` (its first row judged) and W has ``PATTERN_MIN_OUT`` numbers or
    more, else (x·W, None); x itself when it is ``SparseRows``. Keeping x's nonzero
    entries costs little: matmul finds them anyway."""
    if isinstance(x, SparseRows):
        return matmul_sparse(x, w), x
    keep = (bool(x) and bool(w) and len(w) * len(w[0]) >= PATTERN_MIN_OUT
            and _nonzero_share(x[0]) < PATTERN_MAX_SHARE)
    return _products(x, w, keep)


def _products(x, w, keep):
    # each row's nonzero terms gathered into lists made once, not appended to for
    # every row, with their columns when x's nonzero entries are kept
    k = len(w)
    m = len(w[0]) if w else 0
    coeffs, rows, columns = [0.0] * k, [None] * k, [0] * k
    out, nonzero, values = [], [], []
    for row in x:
        count = 0
        for i in range(len(row)):
            c = row[i]
            if c != 0.0:
                coeffs[count] = c
                rows[count] = w[i]
                columns[count] = i
                count += 1
        out.append(add_terms([0.0] * m, coeffs, rows, count))
        if keep:
            nonzero.append(columns[:count])
            values.append(coeffs[:count])
    return out, (SparseRows(nonzero, values, k, checked=True) if keep else None)


def matmul_sparse(x, w):
    """x·W for x a ``SparseRows``: row n adds the W rows its columns select, scaled by
    its values (``add_terms``), with no search for zeros."""
    k = len(w)
    m = len(w[0]) if w else 0
    rows = [None] * k
    out = []
    for n in range(len(x.columns)):
        columns, values = x.columns[n], x.values[n]
        count = len(columns)
        for p in range(count):
            rows[p] = w[columns[p]]
        out.append(add_terms([0.0] * m, values, rows, count))
    return out


def matmul_nt(a, b):
    """a·bᵀ: entry (n, j) = a[n]·b[j], summed left to right as matmul of bᵀ sums it
    (bᵀ is formed once: adding whole rows beats a dot product per entry)."""
    return matmul(a, transpose(b))


def transpose(m):
    """Mᵀ as a new list of lists."""
    if not m:
        return []
    rows = range(len(m))
    return [[m[n][j] for n in rows] for j in range(len(m[0]))]


# aᵀ·b row by row of a (no transpose) while a is sparse and the result small enough to
# stay in cache (each sample's pass touches all of it): measured by
# benchmarks/bench_kernels.py, faster for an MNIST batch's xᵀ·dout (784x50, a fifth
# nonzero), slower for the convnet's first dense layer (a 4320x100 result)
ROWWISE_TN_MAX_OUT = 1 << 16     # numbers in the result
ROWWISE_TN_MAX_SHARE = 0.3       # nonzero share of a's first row
# from a's pattern (no search for a's zeros) while a is sparser than this and the
# result no smaller: measured by benchmarks/bench_kernels.py, faster than either search
# up to half nonzero, for 784x50 and 4320x100 results alike, about even when a is dense
# or the result small (50x10, where the two-layer step measured slower with it)
PATTERN_MAX_SHARE = 0.75
PATTERN_MIN_OUT = 4096           # numbers in the result


def _nonzero_share(row):
    """The fraction of row's entries that are nonzero."""
    nonzero = 0
    for i in range(len(row)):
        if row[i] != 0.0:
            nonzero += 1
    return nonzero / len(row) if row else 0.0


def matmul_tn(a, b, out=None):
    """aᵀ·b: row i of the result is Σ_n a[n][i]·b[n] over the nonzero a[n][i], in the
    order of n. A sparse a with a small result is added row by row of a, each nonzero
    a[n][i] adding a[n][i]·b[n] into result row i (two samples per pass); otherwise it is
    matmul of aᵀ (formed once, then every row sums four terms per pass). Either way each
    entry sums the same terms in the same order. ``out``: rows to fill, as the
    reference's."""
    a = a if isinstance(a, list) else list(a)
    if not a:
        return into_rows(out, [])
    k, m = len(a[0]), len(b[0]) if b else 0
    if k * m <= ROWWISE_TN_MAX_OUT and _nonzero_share(a[0]) < ROWWISE_TN_MAX_SHARE:
        return _matmul_tn_rowwise(a, b, k, m, out)
    return into_rows(out, matmul(transpose(a), b))


def _zeroed(out, k, m):
    """out's rows set to 0.0, or k new rows of m zeros when out is None."""
    if out is None:
        return [[0.0] * m for _ in range(k)]
    for row in out:         # stores: row[:] = zeros would give the row new storage
        for j in range(m):  # (young again, copied out of the nursery: what refilling saves)
            row[j] = 0.0
    return out


def matmul_tn_sparse(x, b, out=None):
    """xᵀ·b for x a ``SparseRows``. The terms of each result row i are gathered by
    column, counted and then placed in the order of n (x by columns), and added four a
    pass as ``add_terms`` adds them: the same terms in the same order as matmul_tn of
    x's dense rows, with no search for zeros and a pass over a result row for every four
    terms (row by row takes one or two). ``out``: rows to fill, as the reference's."""
    k = x.width
    m = len(b[0]) if b else 0
    nonzero = x.columns
    starts = [0] * (k + 1)          # terms of result row i: starts[i] to starts[i + 1]
    for columns in nonzero:
        for p in range(len(columns)):
            starts[columns[p] + 1] += 1
    total = 0
    for i in range(k + 1):
        total += starts[i]
        starts[i] = total
    # each term's sample n, not its row b[n]: no pointers in a list of ~15,000 (too
    # large for PyPy's nursery, so old at once, and traced at every minor collection)
    coeffs, who = [0.0] * total, [0] * total
    place = starts[:]
    for n in range(len(nonzero)):
        values, columns = x.values[n], nonzero[n]
        for p in range(len(columns)):
            i = columns[p]
            q = place[i]
            coeffs[q] = values[p]
            who[q] = n
            place[i] = q + 1
    out = _zeroed(out, k, m)
    # add_terms written out here, not called once a row: on PyPy each call of a function
    # with loops allocates ~1 KB (its frame), ~500 KB a step for MNIST's 784 rows
    even = m - m % 2
    for i in range(k):
        p, stop = starts[i], starts[i + 1]
        acc = out[i]
        while p + 4 <= stop:
            c0, c1, c2, c3 = coeffs[p], coeffs[p + 1], coeffs[p + 2], coeffs[p + 3]
            r0, r1, r2, r3 = b[who[p]], b[who[p + 1]], b[who[p + 2]], b[who[p + 3]]
            j = 0
            while j < even:
                h = j + 1
                acc[j] = (((acc[j] + c0 * r0[j]) + c1 * r1[j]) + c2 * r2[j]) + c3 * r3[j]
                acc[h] = (((acc[h] + c0 * r0[h]) + c1 * r1[h]) + c2 * r2[h]) + c3 * r3[h]
                j += 2
            if j < m:
                acc[j] = (((acc[j] + c0 * r0[j]) + c1 * r1[j]) + c2 * r2[j]) + c3 * r3[j]
            p += 4
        while p < stop:
            c, r = coeffs[p], b[who[p]]
            for j in range(m):
                acc[j] += c * r[j]
            p += 1
    return out


def _matmul_tn_rowwise(a, b, k, m, out):
    # two samples a pass, and two entries a turn of each loop over a row (as add_terms);
    # the two one-term loops are written out: picking (c, row) first and sharing one
    # loop measured 3 % slower on an MNIST batch under PyPy
    out = _zeroed(out, k, m)
    even = m - m % 2
    count = len(a)
    n = 0
    while n + 2 <= count:
        a0, a1, b0, b1 = a[n], a[n + 1], b[n], b[n + 1]
        for i in range(k):
            c0, c1 = a0[i], a1[i]
            if c0 != 0.0:
                acc = out[i]
                if c1 != 0.0:
                    j = 0
                    while j < even:
                        h = j + 1
                        acc[j] = (acc[j] + c0 * b0[j]) + c1 * b1[j]
                        acc[h] = (acc[h] + c0 * b0[h]) + c1 * b1[h]
                        j += 2
                    if j < m:
                        acc[j] = (acc[j] + c0 * b0[j]) + c1 * b1[j]
                else:
                    j = 0
                    while j < even:
                        h = j + 1
                        acc[j] += c0 * b0[j]
                        acc[h] += c0 * b0[h]
                        j += 2
                    if j < m:
                        acc[j] += c0 * b0[j]
            elif c1 != 0.0:
                acc = out[i]
                j = 0
                while j < even:
                    h = j + 1
                    acc[j] += c1 * b1[j]
                    acc[h] += c1 * b1[h]
                    j += 2
                if j < m:
                    acc[j] += c1 * b1[j]
        n += 2
    if n < count:
        a0, b0 = a[n], b[n]
        for i in range(k):
            c0 = a0[i]
            if c0 != 0.0:
                acc = out[i]
                for j in range(m):
                    acc[j] += c0 * b0[j]
    return out


def rowwise(op, m, v):
    """op(M[n], v) entry by entry for every row n."""
    width = len(v)
    return [[op(row[j], v[j]) for j in range(width)] for row in m]


def add_row(m, v):
    width = len(v)
    return [[row[j] + v[j] for j in range(width)] for row in m]


def sub_row(m, v):
    width = len(v)
    return [[row[j] - v[j] for j in range(width)] for row in m]


def mul_row(m, v):
    width = len(v)
    return [[row[j] * v[j] for j in range(width)] for row in m]


def div_row(m, v):
    width = len(v)
    return [[row[j] / v[j] for j in range(width)] for row in m]


def hadamard(a, b):
    out = []
    for n in range(len(a)):
        ra, rb = a[n], b[n]
        out.append([ra[j] * rb[j] for j in range(len(ra))])
    return out


def scaled(m, c):
    c = float(c)
    return [[c * v for v in row] for row in m]


def axpy_(y, a, x):
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


def col_sums(m):
    """Σ_n M[n], each column summed exactly (math.fsum's float) as the other sets sum it."""
    if not m:
        return []
    rows = range(len(m))
    return [fsum_or_sum([m[n][j] for n in rows]) for j in range(len(m[0]))]


EPS = 2.0 ** -52
SAFE_LOW = 2.0 ** -900      # |sum| from here on: no bound below underflows
SAFE_HIGH = 2.0 ** 1000     # Σ|v| below this: no partial sum can overflow


def fsum_or_sum(values):
    """The reference's fsum_or_sum(values): math.fsum's exactly rounded sum, taken from a
    plain running sum and its rounding errors where that is provably the same float
    (loops the JIT compiles; PyPy's fsum is several times slower), else from fsum.

    Why the fast result is fsum's. TwoSum gives the rounding error e_i of each step
    s + v exactly, so Σv = s + Σe_i. The errors are added in floats to c, off by at most
    γ_n·Σ|e_i| ≤ 1.03·n²·u²·Σ|v| ≤ ``bound`` (u = 2^-53, |e_i| ≤ u·|s_i|, n·u tiny).
    TwoSum again splits s + c = r + t exactly, so |Σv − r| ≤ |t| + bound. Where that is
    under half of ulp(r), and r is not a power of two (whose lower neighbour is nearer),
    Σv is nearer to r than to either neighbour: r is the correctly rounded sum, fsum's.
    Anything else (a NaN or inf, sums near underflow or overflow, a near tie) goes to
    fsum."""
    if not isinstance(values, list):
        values = list(values)
    s = c = magnitude = 0.0
    try:
        for v in values:
            t = s + v
            z = t - s
            c += (s - (t - z)) + (v - z)
            magnitude += abs(v)
            s = t
    except OverflowError:           # an int past the largest float
        return _fsum_or_sum(values)
    r = s + c
    n = len(values)
    if SAFE_LOW <= abs(r) and magnitude < SAFE_HIGH and n < 1 << 30:
        z = r - s
        t = (s - (r - z)) + (c - z)
        bound = magnitude * ((n + 2) * EPS) ** 2
        if abs(math.frexp(r)[0]) != 0.5 and abs(t) + bound < 0.499 * math.ulp(r):
            return r
    return _fsum_or_sum(values)

