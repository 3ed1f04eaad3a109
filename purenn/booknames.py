"""The book's ways of naming and updating parameters, on purenn's nested lists.

The book's networks keep ``params['W1']``, ``params['b1']``, ... (and ``gamma1``,
``beta1`` for batch normalization); purenn names a parameter by its layer:
``dense1.W``. Asking for a book name says which purenn name it is::

    net.params["W1"]   # KeyError: no parameter 'W1': the book's W1 is 'dense1.W' here ...

The book's SGD line works on the dicts ``gradient`` and ``numerical_gradient`` return::

    for key in net.params:
        net.params[key] -= lr * grads[key]

``lr * grads[key]`` is a ``Gradient`` scaled (a plain list would refuse a float, or
repeat itself for an int), and ``params[key] - that`` is new nested lists that
``params[key] = ...`` copies into the network (W ← W − lr·∂L/∂W).
"""

import numbers
import re

from . import linalg
from .errors import PurennError

BOOK_NAME = re.compile(r"(W|b|gamma|beta)([1-9][0-9]*)$")


class ParameterNameError(PurennError, KeyError):
    """A parameter name the network does not have (a KeyError, as a dict's)."""

    def __str__(self):
        return str(self.args[0])


def unknown_name_message(key, names):
    """'no parameter KEY' and what it may be: the purenn name of the book's ``W1``, a
    name differing in case or close to it, and the names there are."""
    import difflib

    names = list(names)
    hint = ""
    book = BOOK_NAME.match(str(key))
    if book:
        letter, index = book.group(1), int(book.group(2))
        layers = [name for name in names if name.endswith("." + letter)]
        if index <= len(layers):
            hint = (f": the book's {key} is {layers[index - 1]!r} here (purenn names a "
                    f"parameter by its layer)")
    if not hint:
        by_case = [name for name in names if name.lower() == str(key).lower()]
        close = by_case or difflib.get_close_matches(str(key), names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"no parameter {key!r}{hint} (parameters: {', '.join(names)})"


class Named(dict):
    """A dict of parameters or gradients by name whose missing key is a
    ParameterNameError saying which name it may be."""

    def __missing__(self, key):
        raise ParameterNameError(unknown_name_message(key, self))


def _scaled(value, factor):
    if value and isinstance(value[0], list):
        return [_scaled(row, factor) for row in value]
    return [factor * v for v in value]


class Gradient(list):
    """∂L/∂p as nested lists that a number can scale (``lr * dW``) and a parameter of
    the same shape can subtract (``W - lr * dW``), as NumPy arrays can in the book."""

    def __mul__(self, factor):
        if isinstance(factor, numbers.Real) and not isinstance(factor, bool):
            return Gradient(_scaled(self, float(factor)))
        return NotImplemented

    __rmul__ = __mul__

    def __rsub__(self, other):
        if linalg.shape_of(other) != linalg.shape_of(self):
            raise PurennError(f"cannot subtract a gradient of shape "
                              f"{linalg.shape_of(self)} from values of shape "
                              f"{linalg.shape_of(other)}")
        return _minus(other, self)


def _minus(a, b):
    if a and isinstance(a[0], list):
        return [_minus(x, y) for x, y in zip(a, b)]
    return [x - y for x, y in zip(a, b)]


def book_gradients(grads):
    """``grads`` (name -> nested lists) as the book's code can use them: a Named dict of
    Gradient values."""
    return Named((key, Gradient(value)) for key, value in grads.items())
