"""The kernels of purenn.linalg with every kernel set this Python has (``reference``,
``sum(map(mul))`` and ``loops`` always, ``math.sumprod`` on 3.12+): each against the
plain definitions of ``purenn.kernels.reference``, and each path of the C-level sets
forced (all rows by dot products, all rows by axpy, and the default mix)."""

import math
import operator
import random
import struct
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purenn import kernels, linalg
from purenn.kernels import reference
from purenn.sparse import SparseRows

KERNELS = sorted(linalg.KERNELS)


@pytest.fixture(params=KERNELS)
def kernel(request):
    saved = linalg.KERNEL
    linalg.use_kernel(request.param)
    yield request.param
    linalg.use_kernel(saved)


@pytest.fixture(params=["default", "dots only", "axpy only", "dense paths", "sparse paths"])
def axpy_max(request, kernel, monkeypatch):
    """Each path forced in turn: AXPY_MAX 0 (only all-zero rows summed), huge (every row
    summed), DENSE_ABOVE 0 (dense dot products) or 1 (always skip the zeros)."""
    chosen = linalg.active()
    if not hasattr(chosen, "AXPY_MAX"):
        if request.param != "default":
            pytest.skip(f"kernel set {kernel!r} has one path")
        return 0
    value = {"dots only": 0, "axpy only": 10**9}.get(request.param, chosen.AXPY_MAX)
    monkeypatch.setattr(chosen, "AXPY_MAX", value)
    if request.param in ("dense paths", "sparse paths"):
        monkeypatch.setattr(chosen, "AXPY_MAX", 0)
        monkeypatch.setattr(chosen, "DENSE_ABOVE", 0.0 if request.param == "dense paths"
                            else 1.0)
    return value


def axpy_max_now():
    return getattr(linalg.active(), "AXPY_MAX", 0)


# -- plain references -------------------------------------------------------------------------
def seq_sum(terms):
    """Left-to-right sum of the nonzero-input terms, as sum(map(mul)) and axpy take it."""
    total = 0.0
    for a, b in terms:
        if a:
            total += a * b
    return total


def entry(a_values, b_values, use_axpy):
    """One entry the way the kernel's chosen path computes it."""
    if use_axpy:
        return seq_sum(zip(a_values, b_values))
    return linalg.dot(list(a_values), list(b_values))


def ref_matmul(x, w):
    m = len(w[0]) if w else 0
    out = []
    for row in x:
        small = sum(1 for v in row if v) <= axpy_max_now()
        out.append([entry(row, [w[i][j] for i in range(len(w))], small) for j in range(m)])
    return out


def ref_matmul_nt(a, b):
    k = len(b[0]) if b else 0
    return [[entry(row, brow, k <= axpy_max_now()) for brow in b] for row in a]


def ref_matmul_tn(a, b):
    k, m = len(a[0]), len(b[0])
    out = []
    for i in range(k):
        col = [r[i] for r in a]
        small = sum(1 for v in col if v) <= axpy_max_now()
        out.append([entry(col, [r[j] for r in b], small) for j in range(m)])
    return out


def exact(a_values, b_values):
    """The correctly rounded dot product (fsum of exact products is not: products round;
    the Fractions make it exact)."""
    from fractions import Fraction
    return float(sum(Fraction(p) * Fraction(q) for p, q in zip(a_values, b_values)))


def matrix(rows, cols, density, rng, zero_rows=()):
    """A rows x cols matrix with about ``density`` of its entries nonzero."""
    return [[0.0 if i in zero_rows or rng.random() >= density else rng.uniform(-2.0, 2.0)
             for _ in range(cols)] for i in range(rows)]


# shapes (N, k, m) and input densities: sparse rows, dense rows, tiny k, 1xN, Nx1
CASES = [
    (6, 40, 7, 0.15), (6, 40, 7, 0.9), (5, 2, 9, 1.0), (5, 3, 4, 0.7), (1, 30, 5, 0.2),
    (1, 1, 1, 1.0), (7, 1, 3, 0.6), (4, 12, 1, 0.5), (3, 6, 6, 0.0),
]


@pytest.mark.parametrize("n,k,m,density", CASES)
def test_matmul_against_reference(axpy_max, n, k, m, density):
    rng = random.Random(n * 100 + k)
    x = matrix(n, k, density, rng, zero_rows={1})
    w = matrix(k, m, 1.0, rng)
    got = linalg.matmul(x, w)
    assert got == ref_matmul(x, w)
    for row, got_row in zip(x, got):
        for j, value in enumerate(got_row):
            col = [wr[j] for wr in w]
            assert value == pytest.approx(exact(row, col), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("n,k,m,density", CASES)
def test_matmul_nt_against_reference(axpy_max, n, k, m, density):
    rng = random.Random(n * 10 + m)
    a = matrix(n, k, density, rng, zero_rows={0})
    b = matrix(m, k, 1.0, rng)
    assert linalg.matmul(a, b, transpose_b=True) == ref_matmul_nt(a, b)


@pytest.mark.parametrize("n,k,m,density", CASES)
def test_matmul_tn_against_reference(axpy_max, n, k, m, density):
    rng = random.Random(n + k + m)
    a = matrix(n, k, density, rng, zero_rows={2})
    b = matrix(n, m, 0.5, rng)
    got = linalg.matmul(a, b, transpose_a=True)
    assert got == ref_matmul_tn(a, b)
    for i, got_row in enumerate(got):
        col = [r[i] for r in a]
        for j, value in enumerate(got_row):
            assert value == pytest.approx(exact(col, [r[j] for r in b]), rel=1e-12, abs=1e-12)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="sum() of floats compensates "
                    "its rounding since 3.12, so it no longer equals a left-to-right sum")
def test_the_sum_map_kernel_agrees_bit_for_bit_on_every_path(monkeypatch):
    """With sum(map(mul)) on 3.10/3.11 the axpy, sparse and dense paths add the same terms
    in the same order, so forcing either path gives the same floats."""
    rng = random.Random(5)
    x = matrix(8, 30, 0.3, rng)
    w = matrix(30, 6, 1.0, rng)
    d = matrix(8, 4, 1.0, random.Random(1))
    chosen = linalg.KERNELS["sum(map(operator.mul))"]
    results = []
    for limit, dense in ((0, 0.0), (0, 1.0), (10**9, 0.5)):
        monkeypatch.setattr(chosen, "AXPY_MAX", limit)
        monkeypatch.setattr(chosen, "DENSE_ABOVE", dense)
        results.append((chosen.matmul(x, w), chosen.matmul_tn(x, d)))
    assert results[0] == results[1] == results[2]


def test_known_values(kernel):
    x = [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]]
    w = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert linalg.matmul(x, w) == [[11.0, 14.0], [0.0, 0.0]]
    assert linalg.matmul(x, [[1.0, 1.0, 1.0]], transpose_b=True) == [[3.0], [0.0]]
    assert linalg.matmul(x, [[1.0], [2.0]], transpose_a=True) == [[1.0], [0.0], [2.0]]
    assert linalg.matmul(x, [[1.0, 0.0], [2.0, 1.0]], transpose_a=True,
                         transpose_b=True) == [[1.0, 2.0], [0.0, 0.0], [2.0, 4.0]]
    assert linalg.matmul([], w) == []


def test_column_slices_compute_the_same_floats(axpy_max):
    """What --workers relies on: a slice of W's columns gives that slice of x·W, and a
    slice of dout's columns that slice of xᵀ·dout, bit for bit."""
    rng = random.Random(11)
    x = matrix(10, 50, 0.2, rng, zero_rows={3}) + [[rng.uniform(-1, 1) for _ in range(50)]]
    w = matrix(50, 9, 1.0, rng)
    dout = matrix(11, 9, 0.5, rng)
    full, full_tn = linalg.matmul(x, w), linalg.matmul(x, dout, transpose_a=True)
    for j0, j1 in ((0, 4), (4, 9), (2, 3)):
        part = linalg.matmul(x, [row[j0:j1] for row in w])
        assert part == [row[j0:j1] for row in full]
        part_tn = linalg.matmul(x, [row[j0:j1] for row in dout], transpose_a=True)
        assert part_tn == [row[j0:j1] for row in full_tn]


def test_dots_and_dot(kernel):
    dots = linalg.active().dots
    rng = random.Random(2)
    v = [rng.uniform(-1, 1) for _ in range(20)]
    ws = [[rng.uniform(-1, 1) for _ in range(20)] for _ in range(5)]
    assert dots(v, ws) == [linalg.dot(v, w) for w in ws]
    assert dots(v, iter(ws)) == dots(v, ws)
    for w in ws:
        assert linalg.dot(v, w) == pytest.approx(exact(v, w), rel=1e-12)
    assert linalg.dot([], []) == 0
    assert dots(v, []) == []


def test_kernel_choice():
    assert {"reference", "sum(map(operator.mul))", "loops"} <= set(linalg.KERNELS)
    assert ("math.sumprod" in linalg.KERNELS) == hasattr(math, "sumprod")
    if sys.implementation.name == "pypy":
        assert linalg.KERNEL == "loops"      # the JIT compiles plain loops
    elif hasattr(math, "sumprod"):
        assert linalg.active().dot is math.sumprod and linalg.KERNEL == "math.sumprod"
    else:
        assert linalg.KERNEL == "sum(map(operator.mul))"
    saved = linalg.KERNEL
    try:
        for name in linalg.KERNELS:
            linalg.use_kernel(name)
            assert linalg.dot([1.0, 2.0], [3.0, 4.0]) == 11.0
            assert linalg.KERNEL == name
            assert linalg.active() is linalg.KERNELS[name]
    finally:
        linalg.use_kernel(saved)
    assert linalg.KERNEL == saved


@pytest.mark.parametrize("n,k,m,density", CASES)
def test_matmul_tn_is_matmul_of_the_transpose(axpy_max, n, k, m, density):
    rng = random.Random(7 * n + k)
    a = matrix(n, k, density, rng, zero_rows={1})
    b = matrix(n, m, 0.6, rng)
    assert linalg.matmul(a, b, transpose_a=True) == linalg.matmul(linalg.transpose(a), b)


@pytest.mark.parametrize("n,k,m,density", CASES)
def test_the_nonzero_pattern_gives_the_floats_of_the_search(kernel, n, k, m, density):
    """x·W with its pattern, then xᵀ·d from the pattern: the floats of matmul and of
    matmul_tn, on every set (a set that keeps no pattern searches again)."""
    rng = random.Random(11 * n + k)
    x = matrix(n, k, density, rng, zero_rows={1})
    w = matrix(k, m, 1.0, rng)
    d = matrix(n, m, 0.6, rng)
    product, kept = linalg.matmul_nonzero(x, w)
    assert product == linalg.matmul(x, w)
    assert kept is None or (kept.columns, kept.values) == entries(x)
    want = linalg.matmul(x, d, transpose_a=True)
    assert linalg.matmul(x if kept is None else kept, d, transpose_a=True) == want
    sparse = SparseRows.from_rows(x)
    assert linalg.matmul(sparse, d, transpose_a=True) == want
    assert linalg.matmul_nonzero(sparse, w) == (product, sparse)
    assert linalg.matmul(sparse, w) == product
    y = matrix(m, k, 1.0, rng)
    got, nt = linalg.matmul(sparse, y, transpose_b=True), linalg.matmul(x, y, transpose_b=True)
    assert got == nt if same_as_reference(kernel) else close(got, nt)   # dot products there
    assert linalg.matmul(sparse, linalg.transpose(d), transpose_a=True, transpose_b=True) \
        == want


def test_sparse_rows_read_as_their_dense_rows():
    x = [[0.0, 1.5, 0.0, -0.0], [math.nan, 0.0, 0.0, 2.0], [0.0] * 4]
    sparse = SparseRows.from_rows(x)
    assert sparse.columns == [[1], [0, 3], []] and sparse.width == 4 and len(sparse) == 3
    assert sparse.nonzero_count() == 3
    dense = sparse.dense()
    assert dense[0] == [0.0, 1.5, 0.0, 0.0] and dense[2] == [0.0] * 4
    assert math.isnan(dense[1][0]) and dense[1][1:] == [0.0, 0.0, 2.0]
    assert sparse[0] == dense[0] and sparse[1:][1] == dense[2] and list(sparse)[2] == dense[2]
    assert sparse.transpose().columns == [[1], [0], [], [1]]
    assert SparseRows.from_rows([], width=5).width == 5
    sparse.check()
    for columns, values, message in (([[1, 1]], [[1.0, 1.0]], "increase"),
                                     ([[4]], [[1.0]], "within"), ([[-1]], [[1.0]], "within"),
                                     ([[0]], [[1.0, 2.0]], "1 columns but 2 values"),
                                     ([[True]], [[1.0]], "columns must"),
                                     ([[0], [1]], [[1.0]], "2 rows of columns")):
        with pytest.raises(ValueError, match=message):
            SparseRows(columns, values, 4).check()


def test_matmul_writes_a_transposed_product_into_out_rows_of_its_shape(kernel):
    """aᵀ·b into out where the set refills rows: the same floats, in out's own rows,
    whatever they held (inf and NaN included), with or without a's pattern; else, or for
    rows of another shape, out is left alone and new rows made; out is refused for a
    product that is not aᵀ·b."""
    rng = random.Random(12)
    x = matrix(6, 30, 0.2, rng, zero_rows={1})
    d = matrix(6, 4, 0.6, rng)
    want = linalg.matmul(x, d, transpose_a=True)
    assert linalg.refills() is (kernel in ("reference", "loops"))
    for a in (x, SparseRows.from_rows(x)):
        out = [[math.nan, math.inf, -0.0, 7.0] for _ in range(30)]
        rows = out[:]
        got = linalg.matmul(a, d, transpose_a=True, out=out)
        assert got == want and (got is out) is linalg.refills()
        assert all(row is same for row, same in zip(out, rows))
        wrong = [[1.0] * 4 for _ in range(29)]
        got = linalg.matmul(a, d, transpose_a=True, out=wrong)
        assert got is not wrong and got == want and wrong == [[1.0] * 4] * 29
        narrow = [[1.0] * 3 for _ in range(30)]
        assert linalg.matmul(x, d, transpose_a=True, out=narrow) is not narrow
        assert narrow == [[1.0] * 3] * 30
        shared = [[1.0] * 4] * 30                       # one row thirty times
        assert linalg.matmul(x, d, transpose_a=True, out=shared) == want
        assert shared[0] == [1.0] * 4
    square = matrix(6, 6, 0.5, rng)
    with pytest.raises(ValueError, match="into a or b"):
        linalg.matmul(square, d, transpose_a=True, out=square)
    with pytest.raises(ValueError, match="into a or b"):
        linalg.matmul(x, d, transpose_a=True, out=d)
    with pytest.raises(ValueError, match="only for aᵀ·b"):
        linalg.matmul(x, matrix(30, 4, 1.0, rng), out=[[0.0] * 4 for _ in range(6)])


def test_lookup_into_refills_a_row_from_an_offset(kernel):
    table = [i / 255.0 for i in range(256)]
    row = [9.0, 9.0, 9.0]
    assert linalg.lookup_into(table, bytes([7, 0, 255, 3, 1]), 1, row) is row
    assert row == [0.0, 1.0, 3 / 255.0]


def test_the_loops_set_keeps_the_pattern_of_a_sparse_batch_only():
    """An MNIST-like first layer (784x50, a fifth nonzero) keeps it; a dense batch or a
    small W (a result too small to pay) does not."""
    from purenn.kernels import pypy as loops
    rng = random.Random(5)
    sparse, dense = matrix(4, 784, 0.2, rng), matrix(4, 784, 1.0, rng)
    w, small = matrix(784, 50, 1.0, rng), matrix(784, 2, 1.0, rng)
    assert (loops.matmul_nonzero(sparse, w)[1].columns,
            loops.matmul_nonzero(sparse, w)[1].values) == entries(sparse)
    assert loops.matmul_nonzero(dense, w)[1] is None
    assert loops.matmul_nonzero(sparse, small)[1] is None
    assert loops.matmul_nonzero([], w) == ([], None)


special_floats = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, 1e308, -1e308,
                     math.inf, -math.inf, math.nan]),
    st.floats(allow_nan=True, allow_infinity=True, width=64))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6), st.integers(1, 9), st.integers(1, 5), st.data())
def test_the_loops_set_from_the_pattern_is_the_reference_bit_for_bit(n, k, m, data):
    """Any floats (zeros of both signs, subnormals, inf, NaN, huge): the loops set's
    aᵀ·b from a's pattern is the reference's matmul_tn, bit for bit (NaN for NaN)."""
    from purenn.kernels import pypy as loops
    entry = st.one_of(st.just(0.0), special_floats)
    a = data.draw(st.lists(st.lists(entry, min_size=k, max_size=k), min_size=n, max_size=n))
    b = data.draw(st.lists(st.lists(special_floats, min_size=m, max_size=m), min_size=n,
                           max_size=n))
    want = [[struct.pack("<d", v) for v in row] for row in reference.matmul_tn(a, b)]
    got = loops.matmul_tn_sparse(SparseRows.from_rows(a), b)
    assert [[struct.pack("<d", v) for v in row] for row in got] == want
    out = data.draw(st.lists(st.lists(special_floats, min_size=m, max_size=m), min_size=k,
                             max_size=k))          # whatever last step's dW held
    got = loops.matmul_tn_sparse(SparseRows.from_rows(a), b, out)
    assert got is out and [[struct.pack("<d", v) for v in row] for row in got] == want
    w = data.draw(st.lists(st.lists(special_floats, min_size=m, max_size=m), min_size=k,
                           max_size=k))
    want = [[struct.pack("<d", v) for v in row] for row in reference.matmul(a, w)]
    got = loops.matmul_sparse(SparseRows.from_rows(a), w)
    assert [[struct.pack("<d", v) for v in row] for row in got] == want


@pytest.mark.skipif(sys.version_info >= (3, 12) and sys.implementation.name != "pypy",
                    reason="sum() of floats compensates its rounding since CPython 3.12 "
                    "and math.sumprod rounds once, so the C-level sets differ from loops "
                    "in the last bit there")
def test_every_kernel_set_gives_the_same_floats():
    """Where sum adds left to right, every set adds the same terms in the same order."""
    rng = random.Random(9)
    x = matrix(12, 40, 0.3, rng, zero_rows={2})
    w = matrix(40, 7, 1.0, rng)
    d = matrix(12, 7, 0.5, rng)
    v = [rng.uniform(-1, 1) for _ in range(7)]
    saved = linalg.KERNEL
    results = {}
    try:
        for name in linalg.KERNELS:
            linalg.use_kernel(name)
            y = [row[:] for row in w]
            linalg.axpy_(y, -0.25, d[:7])
            results[name] = (linalg.matmul(x, w), linalg.matmul(x, d, transpose_a=True),
                             linalg.matmul(d, w, transpose_b=True), linalg.add_row(d, v),
                             linalg.sub_row(d, v), linalg.mul_row(d, v),
                             linalg.div_row(d, [c or 1.0 for c in v]),
                             linalg.hadamard(d, d), linalg.scaled(d, 3), y,
                             linalg.active().axpy_rows([c[0] for c in x], w, 7))
    finally:
        linalg.use_kernel(saved)
    first = results.pop("reference")
    for name, other in results.items():
        assert other == first, name


def test_row_broadcasts(kernel):
    m = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    v = [1.0, 2.0, -4.0]
    assert linalg.add_row(m, v) == [[2.0, 4.0, -1.0], [5.0, 7.0, 2.0]]
    assert linalg.sub_row(m, v) == [[0.0, 0.0, 7.0], [3.0, 3.0, 10.0]]
    assert linalg.mul_row(m, v) == [[1.0, 4.0, -12.0], [4.0, 10.0, -24.0]]
    assert linalg.div_row(m, v) == [[1.0, 1.0, -0.75], [4.0, 2.5, -1.5]]
    assert linalg.rowwise(operator.sub, m, v) == linalg.sub_row(m, v)
    assert linalg.add_row([], v) == []


def test_axpy_rows(kernel):
    axpy_rows = linalg.active().axpy_rows
    rows = [[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]]
    assert axpy_rows([0.5, 0.0, 2.0], rows, 2) == [200.5, 401.0]
    assert axpy_rows([0.0, 0.0, 0.0], rows, 2) == [0.0, 0.0]
    assert axpy_rows([], [], 3) == [0.0, 0.0, 0.0]
    # many terms: the chain of lazy maps is flattened on the way, values unchanged
    coeffs = [float(i % 3) for i in range(100)]
    many = [[float(i), -float(i)] for i in range(100)]
    expected = [seq_sum((c, r[j]) for c, r in zip(coeffs, many))
                for j in range(2)]
    assert axpy_rows(coeffs, many, 2) == expected


def test_axpy_in_place_skips_zero_leaves_exactly(kernel):
    y = [[1.0, 2.0], [3.0, -0.0]]
    leaves = [y[0], y[1]]
    linalg.axpy_([y[0], y[1]], -0.5, [[2.0, 4.0], [0.0, 0.0]])
    assert y == [[0.0, 0.0], [3.0, -0.0]]
    assert math.copysign(1.0, y[1][1]) == -1.0      # an all-zero leaf is left alone
    assert [y[0], y[1]] == leaves and y[0] is leaves[0]
    flat = [1.0, 2.0, 3.0]
    linalg.axpy_(flat, 2.0, [1.0, 0.0, -1.0])
    assert flat == [3.0, 2.0, 1.0]


def test_other_helpers(kernel):
    m = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert linalg.transpose(m) == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert linalg.add_row(m, [1.0, 0.0, -1.0]) == [[2.0, 2.0, 2.0], [5.0, 5.0, 5.0]]
    assert linalg.col_sums(m) == [5.0, 7.0, 9.0]
    assert linalg.hadamard(m, m) == [[1.0, 4.0, 9.0], [16.0, 25.0, 36.0]]
    assert linalg.scaled(m, 2) == [[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]]
    assert linalg.argmax([1.0, 3.0, 3.0]) == 1
    assert operator.eq(linalg.zeros((2, 1)), [[0.0], [0.0]])


def test_lookup(kernel):
    table = [i / 255.0 for i in range(256)]
    assert linalg.lookup(table, bytes([0, 255, 3])) == [0.0, 1.0, 3 / 255.0]
    assert linalg.transpose([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]) == [[1.0, 3.0, 5.0],
                                                                      [2.0, 4.0, 6.0]]
    assert linalg.transpose([]) == []
    assert linalg.col_sums([[1e16, 1.0], [1.0, 2.0], [-1e16, 3.0]]) == [1.0, 6.0]  # exact


def test_col_sums_overflow_to_infinity_not_to_an_exception():
    assert linalg.col_sums([[1e308, 1.0], [1e308, 2.0]]) == [math.inf, 3.0]
    total = linalg.col_sums([[math.inf, 1.0], [-math.inf, 2.0]])
    assert math.isnan(total[0]) and total[1] == 3.0


def bits(value):
    """A float as its 64 bits: tells -0.0 from 0.0, and one NaN equals another."""
    return struct.pack("<d", value)


def outcome(summed, values):
    """The bits of the sum, the int of a sum of ints past the largest float, or the
    exception (floats and such ints together overflow in the plain sum too)."""
    try:
        value = summed(values)
    except OverflowError as exc:
        return type(exc)
    return value if isinstance(value, int) else bits(value)


# sums whose fast result would be wrong or must not be trusted: ties between two
# neighbours (1 + u), a power of two with a tiny remainder below it, total cancellation,
# signed zeros, sums near underflow and overflow, infinities and NaN
EXACT_SUM_CASES = [
    [], [0.0], [-0.0], [-0.0, -0.0], [1.0, 2.0 ** -53], [1.0, 2.0 ** -53, 2.0 ** -105],
    [1.0, -(2.0 ** -54)], [1.0, -(2.0 ** -54), -(2.0 ** -110)], [1e16, 1.0, -1e16],
    [2.0 ** 53, 1.0, 1.0], [0.1] * 10, [1e308, 1e308, -1e308], [1e308, -1e308, 5.0],
    [5e-324, 5e-324], [2.0 ** -1000, 3.0], [math.inf, 1.0], [math.inf, -math.inf],
    [math.nan, 1.0], [3.0, 2.0 ** -60, -3.0], [0.5, 0.25, 0.25 - 2.0 ** -60],
    [10 ** 400, 1], [1.0, 10 ** 400],
]


@pytest.mark.parametrize("values", EXACT_SUM_CASES)
def test_the_loops_sets_exact_sum_is_fsum_bit_for_bit(values):
    from purenn.kernels import pypy
    assert outcome(pypy.fsum_or_sum, values) == outcome(reference.fsum_or_sum, values)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e3, 1e3), st.floats(-1e-300, 1e-300),
    st.integers(-50, 50).map(lambda e: 2.0 ** e),
    st.integers(-50, 50).map(lambda e: -(2.0 ** e)),
    st.integers(-(10 ** 400), 10 ** 400)), max_size=40))
def test_the_loops_sets_exact_sum_agrees_with_fsum_on_any_floats(values):
    from purenn.kernels import pypy
    assert outcome(pypy.fsum_or_sum, values) == outcome(reference.fsum_or_sum, values)


def test_the_loops_sets_exact_sum_mostly_takes_its_fast_path(monkeypatch):
    """On numbers like a batch's gradient column, fsum is the exception: a near tie, which
    such columns (numbers of few bits below the sum's last) meet in about 2 % of sums."""
    from purenn.kernels import pypy
    calls = []
    monkeypatch.setattr(pypy, "_fsum_or_sum", lambda v: calls.append(v) or math.fsum(v))
    rng = random.Random(3)
    for _ in range(1000):
        column = [rng.gauss(0, 1e-3) if rng.random() < 0.5 else 0.0 for _ in range(100)]
        assert pypy.fsum_or_sum(column) == math.fsum(column)
    assert len(calls) < 50


# -- every kernel of every set against the plain definitions ----------------------------------
LEFT_TO_RIGHT = sys.version_info < (3, 12) or sys.implementation.name == "pypy"


def same_as_reference(name):
    """Bit for bit where every set sums left to right; else the C-level sets to 1e-12."""
    return LEFT_TO_RIGHT or name in ("reference", "loops")


def close(got, want):
    if isinstance(got, list):
        return len(got) == len(want) and all(close(g, w) for g, w in zip(got, want))
    return got == pytest.approx(want, rel=1e-12, abs=1e-12)


def kernel_calls(rng, n, k, m, density):
    """(kernel name, arguments) covering every name of kernels.NAMES on one shape."""
    x = matrix(n, k, density, rng, zero_rows={1})
    w = matrix(k, m, 1.0, rng)
    d = matrix(n, m, density, rng)
    dn = matrix(n, k, 1.0, rng)
    v = [rng.uniform(-1, 1) for _ in range(m)]
    y = matrix(m, k, 1.0, rng)
    coeffs = [rng.uniform(-1, 1) if rng.random() < density else 0.0 for _ in range(k)]
    return [
        ("dot", (coeffs, [rng.uniform(-1, 1) for _ in range(k)])),
        ("dots", (coeffs, matrix(3, k, 1.0, rng))),
        ("axpy_rows", (coeffs, w, m)),
        ("matmul", (x, w)), ("matmul_tn", (x, d)), ("matmul_nt", (x, dn)),
        ("matmul_nonzero", (x, w)), ("matmul_sparse", (SparseRows.from_rows(x), w)),
        ("matmul_tn_sparse", (SparseRows.from_rows(x), d)),
        ("transpose", (x,)), ("rowwise", (operator.sub, d, v)),
        ("add_row", (d, v)), ("sub_row", (d, v)), ("mul_row", (d, v)),
        ("div_row", (d, [c or 1.0 for c in v])), ("hadamard", (d, d)), ("scaled", (d, -3)),
        ("col_sums", (d,)), ("fsum_or_sum", ([row[0] for row in d] + v,)),
        ("axpy_", (y, 0.5, matrix(m, k, density, rng, zero_rows={0}))),
        ("lookup", ([i / 255.0 for i in range(256)], bytes(rng.randrange(256)
                                                           for _ in range(k)))),
        ("lookup_into", ([i / 255.0 for i in range(256)], bytes(rng.randrange(256)
                                                                for _ in range(k + 3)),
                         2, [-1.0] * k)),
        ("matmul_tn", (x, d, matrix(k if n else 0, m, 1.0, rng))),     # into out
        ("matmul_tn_sparse", (SparseRows.from_rows(x), d,
                              matrix(k if n else 0, m, 1.0, rng))),
    ]


OUT_AT = {"matmul_tn": 2, "matmul_tn_sparse": 2}    # where the kernel takes out


def pattern(a):
    """The nonzero columns of each row of a, by their definition."""
    return [[i for i in range(len(row)) if row[i] != 0.0] for row in a]


def entries(a):
    """(columns, values) of a's nonzero entries, by their definition."""
    return pattern(a), [[v for v in row if v != 0.0] for row in a]


def run(chosen, name, args):
    """The kernel's result, copying the in-place ones' target first; matmul_nonzero's
    nonzero entries are either the reference's or None (a set may keep none)."""
    if name == "axpy_":
        y = [row[:] for row in args[0]]
        getattr(chosen, name)(y, *args[1:])
        return y
    if name == "lookup_into":
        out = args[3][:]
        assert getattr(chosen, name)(*args[:3], out) is out, name
        return out
    if name in ("matmul_tn", "matmul_tn_sparse") and len(args) == OUT_AT[name] + 1:
        out = [row[:] for row in args[-1]]
        rows = out[:]
        assert getattr(chosen, name)(*args[:-1], out) is out, name
        assert all(row is same for row, same in zip(out, rows)), name   # refilled
        return out
    result = getattr(chosen, name)(*args)
    if name == "matmul_nonzero":
        product, kept = result
        assert kept is None or (kept.columns, kept.values) == entries(args[0]), name
        return product
    return result


SHAPES = CASES + [(0, 3, 2, 0.5), (1, 5, 1, 1.0), (4, 9, 5, 0.05)]


@pytest.mark.parametrize("name", sorted(linalg.KERNELS))
@pytest.mark.parametrize("n,k,m,density", SHAPES)
def test_every_kernel_of_every_set_against_the_reference(name, n, k, m, density):
    chosen = linalg.KERNELS[name]
    for kernel_name, args in kernel_calls(random.Random(n * 1000 + k * 10 + m), n, k, m,
                                          density):
        want = run(reference, kernel_name, args)
        got = run(chosen, kernel_name, args)
        if same_as_reference(name) or kernel_name not in ("dot", "dots", "axpy_rows",
                                                          "matmul", "matmul_tn",
                                                          "matmul_nt", "matmul_nonzero",
                                                          "matmul_sparse",
                                                          "matmul_tn_sparse"):
            assert got == want, (name, kernel_name)
        else:
            assert close(got, want), (name, kernel_name)


def test_every_set_defines_every_kernel():
    for name, chosen in linalg.KERNELS.items():
        missing = [kernel for kernel in kernels.NAMES if not callable(getattr(chosen, kernel,
                                                                             None))]
        assert not missing, (name, missing)
        assert chosen.REFILLS in (True, False), name
        assert chosen.SPARSE_MAX_SHARE >= 0.0, name


def test_an_unknown_kernel_set_is_refused_by_name():
    with pytest.raises(ValueError, match="no kernel set 'fortran'"):
        linalg.use_kernel("fortran")
    assert linalg.KERNEL in linalg.KERNELS


def train_a_small_net(kernel_name, steps=4):
    """A dense/ReLU/batchnorm net trained a few Adam steps on the named kernel set."""
    from purenn.layers import BatchNorm, Dense, ReLU
    from purenn.losses import SoftmaxCrossEntropy
    from purenn.network import Network
    from purenn.spec import make_optimizer
    saved = linalg.KERNEL
    linalg.use_kernel(kernel_name)
    try:
        rng = random.Random(3)
        layers = [("dense1", Dense(9)), ("batchnorm1", BatchNorm()), ("relu1", ReLU()),
                  ("dense2", Dense(3))]
        net = Network((12,), layers, SoftmaxCrossEntropy(), rng=rng)
        net.set_optimizer(make_optimizer("adam", {"lr": 0.01}))
        x = matrix(10, 12, 0.4, rng, zero_rows={4})
        t = [rng.randrange(3) for _ in range(10)]
        for _ in range(steps):
            _, grads = net.loss_and_gradient(x, t)
            net.optimizer.step(grads)
        return net.state_dict()
    finally:
        linalg.use_kernel(saved)


@pytest.mark.parametrize("name", sorted(linalg.KERNELS))
def test_a_network_trains_to_the_reference_floats_on_every_set(name):
    got, want = train_a_small_net(name), train_a_small_net("reference")
    assert set(got) == set(want)
    for key in want:
        if same_as_reference(name):
            assert got[key] == want[key], key
        else:
            assert close(got[key], want[key]), key
