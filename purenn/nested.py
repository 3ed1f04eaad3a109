"""Nested lists of floats: shapes, zeros, leaves, flattening and copies.

A tensor is nested lists in C order (a matrix is a list of rows); these helpers walk
and build them and do no arithmetic (that is the kernels' job, ``purenn.linalg``).
"""

import math

__all__ = ["argmax", "zeros", "shape_of", "zeros_like", "leaves", "flatten",
           "nested_from_flat", "reshape", "copy_nested", "is_rows"]


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


def is_rows(rows, count, width):
    """Whether rows is a list of ``count`` distinct lists of ``width`` entries each: rows
    that may be refilled in place (a batch's x, a dW), one row repeated excluded.

    >>> is_rows([[0.0, 0.0], [1.0, 1.0]], 2, 2), is_rows([[0.0, 0.0]] * 2, 2, 2)
    (True, False)
    """
    if not isinstance(rows, list) or len(rows) != count:
        return False
    for row in rows:
        if not isinstance(row, list) or len(row) != width:
            return False
    return len(set(map(id, rows))) == count
