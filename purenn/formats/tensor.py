"""One n-dimensional array type for every file format: ``Tensor(shape, values, dtype)``.

``shape`` is a tuple of sizes (``()`` for a 0-d scalar), ``values`` its prod(shape)
numbers flat in C order (last index fastest) as Python numbers, and ``dtype`` a NumPy
dtype name from ``DTYPES`` (``"float64"`` when not given). ``.npy``/``.npz`` and
safetensors read into it and write from it; each format maps its own dtype spelling
(``'<f4'``, ``"F32"``) to these names.

``finite_floats`` is the check a loader runs on values it is about to trust as weights
or buffers: floats only, all finite, optionally bounded below (a running variance).
"""

import math
from typing import NamedTuple

from .. import linalg
from ..errors import ModelFileError

# dtype name -> (kind, item size in bytes, struct/array code)
DTYPES = {
    "float16": ("f", 2, "e"),
    "float32": ("f", 4, "f"),
    "float64": ("f", 8, "d"),
    "int8": ("i", 1, "b"),
    "int16": ("i", 2, "h"),
    "int32": ("i", 4, "i"),
    "int64": ("i", 8, "q"),
    "uint8": ("u", 1, "B"),
    "uint16": ("u", 2, "H"),
    "uint32": ("u", 4, "I"),
    "uint64": ("u", 8, "Q"),
    "bool": ("b", 1, "?"),
}
FLOAT_DTYPES = ("float64", "float32", "float16")


class Tensor(NamedTuple):
    """An n-dimensional array: ``shape``, ``values`` flat in C order, ``dtype`` name."""

    shape: tuple
    values: list
    dtype: str = "float64"

    def __eq__(self, other):
        """Equal shape, dtype and values, whatever holds the values: a list, or the
        ``array`` of bytes the readers keep uint8, int8 and bool values in."""
        if not isinstance(other, Tensor):
            return NotImplemented
        mine, theirs = self.values, other.values
        return (tuple(self.shape) == tuple(other.shape) and self.dtype == other.dtype and
                (mine == theirs if type(mine) is type(theirs) or mine is None or theirs is None
                 else list(mine) == list(theirs)))

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def nested(self):
        """The values as nested lists of ``shape`` (a plain number for a 0-d tensor)."""
        if not self.shape:
            return self.values[0]
        return linalg.reshape(self.values, self.shape)

    @classmethod
    def from_nested(cls, value, dtype="float64"):
        """A Tensor from a number or nested lists of numbers (shape read from the lists)."""
        shape, flat = _shape_and_flat(value)
        return cls(shape, flat, dtype)


def _shape_and_flat(value):
    if not isinstance(value, (list, tuple)):
        return (), [value]
    shape = []
    probe = value
    while isinstance(probe, (list, tuple)):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    flat = []

    def walk(item, depth):
        if depth == len(shape):
            if isinstance(item, (list, tuple)):
                raise ModelFileError(f"ragged nested lists: expected a number at depth "
                                     f"{depth}, got {type(item).__name__}")
            flat.append(item)
            return
        if not isinstance(item, (list, tuple)) or len(item) != shape[depth]:
            raise ModelFileError(f"ragged nested lists: expected {shape[depth]} items at "
                                 f"depth {depth}, got {item!r:.60}")
        for sub in item:
            walk(sub, depth + 1)

    walk(value, 0)
    return tuple(shape), flat


def finite_floats(tensor, where, *, minimum=None, error=ModelFileError):
    """The values of ``tensor`` as a list of finite floats (exact for every float dtype
    and for integers up to 2**53), or ``error`` naming ``where``, the position and the
    bad value: a bool tensor, a NaN or infinity, or a value below ``minimum``."""
    if tensor.dtype == "bool":
        raise error(f"{where}: dtype 'bool' cannot hold weights; expected numbers")
    values = [float(v) for v in tensor.values]
    for index, v in enumerate(values):
        if not math.isfinite(v) or (minimum is not None and v < minimum):
            need = "finite" if minimum is None else f"finite and ≥ {minimum!r}"
            raise error(f"{where}: value {v!r} at flat index {index} must be {need}")
    return values


def capped_prod(shape, cap):
    """prod(shape), or cap + 1 as soon as a partial product passes ``cap``: a header of
    huge sizes never builds a huge integer (0 when a size is 0)."""
    total = 1
    for size in shape:
        total *= size
        if total > cap:
            return 0 if 0 in shape else cap + 1
    return total
