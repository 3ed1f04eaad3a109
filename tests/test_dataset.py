"""purenn.data.dataset: a batch as new rows, or refilled into the rows of an earlier one."""

from array import array

import pytest

from purenn import linalg
from purenn.data import Dataset

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
