"""Named arrays in and out of a network's parameters: which array goes where, and copying.

An array file (``.npz``, or one ``.npy``) names its arrays its own way (the book writes
``W1, b1, W2, ...``); a network names its parameters ``layer.key`` (``dense1.W``). The
mapping pairs them:

- explicit pairs ``array=parameter`` first (``--map W1=dense1.W,b1=dense1.b``);
- then by order where the shapes agree: each remaining parameter, in network order, takes
  the first remaining array, in file order, of exactly its shape. The book's archives list
  ``W1 W2 W3 b1 b2 b3``, and this still pairs ``W1→dense1.W, b1→dense1.b, W2→dense2.W``.
  When every array is named as the book names them (letters and a layer number: ``W1``,
  ``b1``, ``gamma1``), ``book_order`` first puts them in the order of their numbers, so
  that the book's ``sample_weight.pkl`` (``b2 W1 b1 W2 W3 b3``) and a convnet's biases of
  equal shapes (``b1`` and ``b2``, both (16,)) pair with the layers their numbers name.

The targets are what a model file stores: every parameter and every buffer (BatchNorm's
running statistics). Every target must get exactly one array and every array must be
used; a shape that does not agree is an error naming the array and the parameter with
both shapes. Values are copied into the network's own lists (the objects an optimizer
holds stay the same), converted to float64 exactly (every float32 is a float64).
"""

import math
import re

from . import model
from .errors import ModelFileError
from .formats.tensor import Tensor


def shape_text(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


BOOK_NAME = re.compile(r"[A-Za-z_]+([0-9]{1,6})")


def book_order(arrays):
    """``arrays`` ordered by their layer numbers (stable within a number) when every name
    is a book name (``W1``, ``b12``, ``gamma3``); otherwise as they are."""
    numbers = {name: BOOK_NAME.fullmatch(name) for name in arrays}
    if not arrays or not all(numbers.values()):
        return arrays
    order = sorted(arrays, key=lambda name: int(numbers[name].group(1)))
    return {name: arrays[name] for name in order}


def parse_map(text):
    """'W1=dense1.W,b1=dense1.b' -> [('W1', 'dense1.W'), ('b1', 'dense1.b')]."""
    pairs = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        array, eq, param = (part.strip() for part in item.partition("="))
        if not eq or not array or not param:
            raise ModelFileError(f"--map entry {item!r} is not ARRAY=PARAMETER "
                                 f"(as W1=dense1.W)")
        pairs.append((array, param))
    return pairs


def plan(arrays, shapes, explicit=(), source="arrays"):
    """The mapping as a list of (array name, target name, how) in the order of ``shapes``,
    where ``how`` is ``"explicit"`` or ``"by order"``.

    ``arrays``: name -> Tensor (in file order); ``shapes``: target name -> shape (in network
    order); ``explicit``: (array, target) pairs. Raises ModelFileError on any name that is
    unknown or used twice, any shape that disagrees, and anything left unpaired.
    """
    shapes = {name: tuple(shape) for name, shape in shapes.items()}
    chosen = {}
    used = set()
    for array_name, param_name in explicit:
        if array_name not in arrays:
            raise ModelFileError(f"--map names array {array_name!r}, which {source} does "
                                 f"not hold (arrays: {', '.join(arrays) or 'none'})")
        if param_name not in shapes:
            raise ModelFileError(f"--map names parameter {param_name!r}, which the network "
                                 f"does not have (parameters: {', '.join(shapes)})")
        if array_name in used:
            raise ModelFileError(f"--map uses array {array_name!r} twice")
        if param_name in chosen:
            raise ModelFileError(f"--map gives parameter {param_name!r} two arrays")
        check_shape(arrays[array_name], array_name, shapes[param_name], param_name, source)
        chosen[param_name] = (array_name, "explicit")
        used.add(array_name)
    for param_name, shape in shapes.items():
        if param_name in chosen:
            continue
        match = next((name for name, array in arrays.items()
                      if name not in used and tuple(array.shape) == shape), None)
        if match is None:
            left = [name for name in arrays if name not in used]
            raise ModelFileError(
                f"parameter {param_name!r} has shape {shape_text(shape)} but no array left "
                f"in {source} has that shape (left: "
                f"{describe(arrays, left) or 'none'}); pair them with --map ARRAY=PARAMETER")
        chosen[param_name] = (match, "by order")
        used.add(match)
    unused = [name for name in arrays if name not in used]
    if unused:
        raise ModelFileError(f"{source} holds arrays the network has no parameter for: "
                             f"{describe(arrays, unused)}")
    return [(chosen[name][0], name, chosen[name][1]) for name in shapes]


def describe(arrays, names):
    return ", ".join(f"{name} {shape_text(arrays[name].shape)}" for name in names)


def check_shape(array, array_name, shape, param_name, source):
    if tuple(array.shape) != tuple(shape):
        raise ModelFileError(f"array {array_name!r} of {source} has shape "
                             f"{shape_text(array.shape)} but parameter {param_name!r} has "
                             f"shape {shape_text(shape)}")


def float_values(array, array_name, source):
    """The array's values as float64 (exact for every float and integer dtype up to 2**53);
    bool arrays are refused as weights."""
    if array.dtype == "bool":
        raise ModelFileError(f"array {array_name!r} of {source} has dtype 'bool'; weights "
                             f"must be numbers")
    values = [float(v) for v in array.values]
    bad = next((v for v in values if not math.isfinite(v)), None)
    if bad is not None:
        raise ModelFileError(f"array {array_name!r} of {source} holds {bad!r}; weights "
                             f"must be finite")
    return values


def target_shapes(net):
    """Shape of everything a model file stores, in network order: each parameter and
    each buffer (a layer's non-learned state, such as BatchNorm's running mean)."""
    return {name: tuple(shape) for name, (shape, _) in model.state_tensors(net).items()}


def load_into(net, arrays, explicit=(), source="arrays"):
    """Pair ``arrays`` with the parameters (and buffers) of ``net``, copy them in, in
    place, and return the mapping (see ``plan``)."""
    mapping = plan(arrays, target_shapes(net), explicit, source)
    tensors = {target: Tensor(tuple(arrays[name].shape),
                              float_values(arrays[name], name, source), "float64")
               for name, target, _ in mapping}
    model.load_state_tensors(net, tensors, source)
    return mapping


def network_arrays(net, dtype="float64"):
    """Every parameter and buffer of ``net`` as a Tensor by name, in network order."""
    return {name: Tensor(tuple(shape), list(values), dtype)
            for name, (shape, values) in model.state_tensors(net).items()}
