"""purenn.data.dataset: a batch as new rows, refilled into the rows of an earlier one, or
as SparseRows."""

import math
import struct
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purenn import linalg
from purenn.data import Dataset
from purenn.sparse import SparseRows

TABLE = [v / 255.0 for v in range(256)]


def by_bytes():
    return Dataset(bytes(range(24)), bytes([0, 1, 2, 0]), (6,), 3, table=TABLE)


def by_floats():
    return Dataset(array("d", [v / 4 for v in range(24)]), bytes([0, 1, 2, 0]), (2, 3), 3)


def by_raw_bytes():
    """Bytes read as their values, without a table."""
    return Dataset(bytes(range(24)), bytes([0, 1, 2, 0]), (6,), 3)


@pytest.fixture(params=sorted(linalg.KERNELS))
def kernel(request, monkeypatch):
    monkeypatch.setattr(linalg, "KERNEL", request.param)
    monkeypatch.setattr(linalg, "_kernels", linalg.KERNELS[request.param])
    return request.param


@pytest.mark.parametrize("make", [by_bytes, by_floats, by_raw_bytes])
def test_a_batch_refills_the_rows_it_is_given_where_the_kernels_refill(make, kernel):
    """PyPy's loops (and the reference) refill; the C-level sets make new rows."""
    data = make()
    x, _ = data.batch([2, 0])
    objects, values = x[:], [row[:] for row in x]
    again, t = data.batch([3, 1], into=x)
    assert (again, t) == data.batch([3, 1])
    assert again[0] == [data.row(3)[j] for j in range(6)]
    assert all(type(v) is float for row in again for v in row)
    if linalg.refills():
        assert again is x and all(a is b for a, b in zip(again, objects))
    else:
        assert again is not x and x == values


@pytest.mark.parametrize("make", [by_bytes, by_floats, by_raw_bytes])
@pytest.mark.parametrize("into", [
    [[0.0] * 6],                          # fewer rows than samples
    [[0.0] * 6, [0.0] * 5],               # a row of another width
    [[0.0] * 6, (0.0,) * 6],              # not a list
    ([0.0] * 6, [0.0] * 6),               # a tuple of rows
    [[0.0] * 6] * 2,                      # one row twice
])
def test_rows_of_another_shape_are_left_alone(make, into, kernel):
    data = make()
    before = [list(row) for row in into]
    x, _ = data.batch([1, 2], into=into)
    assert x is not into and x == data.batch([1, 2])[0]
    assert [list(row) for row in into] == before


def by_mostly_zero_bytes():
    return Dataset(bytes([0, 0, 7, 0, 0, 255, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2]),
                   bytes([0, 1, 2]), (6,), 3, table=TABLE)


@pytest.mark.parametrize("make", [by_bytes, by_floats, by_raw_bytes, by_mostly_zero_bytes])
def test_a_sparse_batch_holds_the_nonzero_entries_of_the_dense_one(make):
    """x(sparse=True) reads as x(); each sample's columns are found once and kept."""
    data = make()
    indices = [2, 0, 1, 0]
    x = data.x(indices, sparse=True)
    assert isinstance(x, SparseRows) and x.width == 6 and len(x) == 4
    x.check()
    assert x.dense() == data.x(indices)
    assert all(type(v) is float for row in x.values for v in row)
    xs, t = data.batch(indices, sparse=True)
    assert xs.dense() == x.dense() and t == data.t(indices)
    assert [b.dense() for b, _ in data.batches(3, sparse=True)] == \
        [b for b, _ in data.batches(3)]


def test_each_samples_nonzero_columns_are_found_once_a_block_at_a_time(monkeypatch):
    """The first draw of any sample finds its block's columns (KEPT_BLOCK samples);
    every later batch from that block reads them from the block's two arrays."""
    from purenn.data import dataset as module
    monkeypatch.setattr(module, "KEPT_BLOCK", 2)
    data = by_mostly_zero_bytes()
    found = []
    original = Dataset._nonzero_columns
    monkeypatch.setattr(Dataset, "_nonzero_columns",
                        lambda self, i, *rest: found.append(i) or original(self, i, *rest))
    x = data.x([1], sparse=True)
    assert found == [0, 1] and x.columns == [array("H")]          # sample 1: all zeros
    x = data.x([0, 1, 0, 2], sparse=True)
    assert found == [0, 1, 2] and x.dense() == data.x([0, 1, 0, 2])
    flat, starts = data._columns[0]
    assert (flat, starts) == (array("H", [2, 5]), array("q", [0, 2, 2]))
    assert data._columns[1] == (array("H", [0, 5]), array("q", [0, 2]))


def test_the_nonzero_share_is_that_of_the_first_samples():
    assert by_mostly_zero_bytes().nonzero_share() == 4 / 18
    assert by_mostly_zero_bytes().nonzero_share(samples=1) == 2 / 6
    assert by_bytes().nonzero_share() == 23 / 24              # byte 0 is read as 0.0
    assert by_floats().head(0).nonzero_share() == 0.0


def test_the_kept_columns_take_two_bytes_each_and_a_nan_is_kept():
    data = Dataset(array("d", [0.0, math.nan, -0.0, 2.5]), bytes([0, 1]), (2,), 2)
    x = data.x([0, 1], sparse=True)
    assert x.columns == [array("H", [1]), array("H", [1])]
    assert math.isnan(x.values[0][0]) and x.values[1] == [2.5]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.lists(st.integers(0, 255), min_size=1, max_size=60),
       st.lists(st.sampled_from([0.0, -0.0, 1.0, -2.5, 5e-324, math.inf, math.nan]),
                min_size=256, max_size=256), st.data())
def test_any_bytes_and_table_give_a_sparse_batch_of_the_same_entries(width, codes, table,
                                                                     data):
    """Whatever the bytes and the table (zeros of both signs, NaN, inf among its
    entries): the sparse batch stores exactly the entries of x() that are not zero, in
    increasing columns, and reads as x() with its zeros as 0.0."""
    count = len(codes) // width
    if count == 0:
        return
    features = bytes(codes[:count * width])
    dataset = Dataset(features, bytes(count), (width,), 2, table=table)
    indices = data.draw(st.lists(st.integers(0, count - 1), min_size=1, max_size=8))
    dense = dataset.x(indices)
    sparse = dataset.x(indices, sparse=True)
    sparse.check()
    pack = struct.Struct("<d").pack
    for row, columns, values in zip(dense, sparse.columns, sparse.values):
        assert list(columns) == [j for j, v in enumerate(row) if v != 0.0]
        assert [pack(v) for v in values] == [pack(row[j]) for j in columns]
    assert [[pack(v) for v in row] for row in sparse.dense()] == \
        [[pack(0.0 if v == 0.0 else v) for v in row] for row in dense]


def test_what_was_found_is_forgotten_when_the_features_or_table_change():
    """Replacing features or table forgets the kept columns; a change made inside them
    needs forget()."""
    data = Dataset(array("d", [0.0, 1.0, 0.0, 2.0]), bytes([0, 1]), (2,), 2)
    assert data.x([0, 1], sparse=True).columns == [array("H", [1]), array("H", [1])]
    assert data.nonzero_share() == 0.5
    data.features = array("d", [3.0, 1.0, 0.0, 2.0])
    assert data.x([0], sparse=True).dense() == [[3.0, 1.0]] and data.nonzero_share() == 0.75
    data.features[2] = 4.0                      # in place: not seen until forget()
    assert data.x([1], sparse=True).dense() == [[0.0, 2.0]]
    data.forget()
    assert data.x([1], sparse=True).dense() == [[4.0, 2.0]] == data.x([1])
    coded = by_mostly_zero_bytes()
    coded.x([0], sparse=True)
    coded.table = [0.5] + TABLE[1:]             # byte 0 now stands for 0.5
    assert coded.x([0], sparse=True).dense() == coded.x([0])


def test_a_subclass_that_sets_its_own_fields_still_takes_sparse_batches():
    """A subclass whose __init__ does not call Dataset's (it sets the fields itself)."""
    class Own(Dataset):
        def __init__(self):
            self.features, self.labels = bytes([0, 5, 0, 0, 9, 9]), bytes([0, 1, 0])
            self.sample_shape, self.features_per_sample = (2,), 2
            self.num_classes, self.table, self.one_hot, self.name = 2, TABLE, False, "own"

    data = Own()
    assert data.nonzero_share() == 0.5
    assert data.x([2, 0], sparse=True).dense() == data.x([2, 0])
