"""Model files: a network's weights, buffers and spec in one safetensors file.

    purenn.save(net, "model.safetensors", training={"epochs": 5, "test_acc": 0.95})
    net = purenn.load("model.safetensors")

The file holds one F64 tensor per parameter (``dense1.W``, ``dense1.b``, ...) and per
buffer, the non-learned state some layers keep in a ``buffers`` dict (BatchNorm's
``batchnorm1.running_mean``). Its ``__metadata__`` (strings only, as the format wants):

    format           "purenn.model"
    format_version   "1"
    purenn_version   the version that wrote it
    spec             the spec text that rebuilds the network (``purenn.spec.write(net)``)
    training         a JSON object summarising the training run (may be "{}")

Loading rebuilds the network from the spec and then checks the tensors against it: the
same names, every shape equal to the one the spec builds, a floating-point dtype. A file
that fails any check is refused with a ModelFileError naming the file and the tensor.
"""

import json
import os

from . import __version__, linalg, spec
from .errors import ModelFileError, SpecError
from .fileio import write_bytes
from .formats import safetensors
from .formats.schema import Bool, Float, Int, Null, Object, OneOf, Str, check, load_json
from .formats.tensor import capped_prod, finite_floats

FORMAT = "purenn.model"
FORMAT_VERSION = "1"
SMALL_NETWORK = 1 << 16
# the fields of 'training' that commands use (the data set, noise and seed a model was
# trained with: evaluate's and predict's defaults); others are shown, never acted on
TRAINING = Object({}, optional={"dataset": Str(max_length=100),
                                "noise": OneOf(Null(), Float(0.0, 100.0)),
                                "seed": Int(-(1 << 63), (1 << 63) - 1)},
                  extra=OneOf(Null(), Bool(), Int(), Float(), Str(max_length=4096)))


def state_tensors(net):
    """{name: (shape, flat values)} of every parameter and buffer of ``net``
    (``net.state_dict()``, parameters first); a float buffer has shape ()."""
    return {key: ((), [value]) if not isinstance(value, list)
            else (linalg.shape_of(value), linalg.flatten(value))
            for key, value in net.state_dict().items()}


def expected_shapes(net):
    """{name: shape} of everything a file must hold for ``net``: parameters, buffers."""
    return {key: () if not isinstance(value, list) else linalg.shape_of(value)
            for key, value in net.state_dict().items()}


def buffer_minimums(net):
    """{name: the least value allowed} for buffers whose layer says so (BatchNorm's
    running variance must be ≥ 0)."""
    return {f"{name}.{key}": minimum for name, layer in net.layers
            for key, minimum in getattr(layer, "buffer_minimum", {}).items()}


def check_tensors(net, tensors, source):
    """ModelFileError unless ``tensors`` (name → Tensor or TensorInfo: anything with
    shape and dtype) are exactly what ``net`` holds: the same names, shapes, float
    dtypes. Needs no tensor data, so it runs on a file's header before any is read."""
    expected = expected_shapes(net)
    missing = [k for k in expected if k not in tensors]
    if missing:
        raise ModelFileError(f"{source}: no tensor {missing[0]!r}, which the spec's network "
                             f"needs (it has: {', '.join(tensors) or 'none'})")
    extra = [k for k in tensors if k not in expected]
    if extra:
        raise ModelFileError(f"{source}: tensor {extra[0]!r} is not a parameter or buffer "
                             f"of the spec's network (it needs: {', '.join(expected)})")
    for key, shape in expected.items():
        tensor = tensors[key]
        if tuple(tensor.shape) != tuple(shape):
            raise ModelFileError(f"{source}: tensor {key!r} has shape "
                                 f"{list(tensor.shape)!r} but the spec builds "
                                 f"{list(shape)!r}")
        dtype = getattr(tensor, "dtype", "F64")
        if dtype not in safetensors.FLOAT_DTYPES:
            raise ModelFileError(f"{source}: tensor {key!r} has dtype {dtype!r}; "
                                 f"parameters must be {', '.join(safetensors.FLOAT_DTYPES)}")


def load_state_tensors(net, tensors, source):
    """Copy ``tensors`` (as read by ``safetensors.read_tensors``) into ``net`` in place
    (``net.load_state_dict``), after checking that names, shapes and dtypes match what
    ``net`` expects and that every value is finite (and a running variance ≥ 0)."""
    check_tensors(net, tensors, source)
    minimums = buffer_minimums(net)
    state = {}
    for key, tensor in tensors.items():
        values = finite_floats(tensor, f"{source}: tensor {key!r}",
                               minimum=minimums.get(key))
        state[key] = linalg.nested_from_flat(values, tensor.shape) if tensor.shape \
            else values[0]
    net.load_state_dict(state)


def numbers_in(tensors):
    """How many numbers ``tensors`` (Tensors or TensorInfos by name) hold in all."""
    return sum(capped_prod(t.shape, 1 << 62) for t in tensors.values())


def model_metadata(net, training=None):
    """The ``__metadata__`` of a model file for ``net``."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "purenn_version": __version__,
        "spec": spec.write(net),
        "training": json.dumps(training or {}, sort_keys=True),
    }


def save(net, path, *, training=None):
    """Write ``net`` to ``path`` (safetensors, atomically); ``training`` is a small dict
    of JSON values describing how it was trained (epochs, accuracy, data, seed, ...)."""
    write_bytes(path, encode(net, training=training))


def encode(net, *, training=None):
    """The bytes of the model file ``save`` writes."""
    return safetensors.encode(state_tensors(net), model_metadata(net, training))


def build_from_metadata(metadata, source, tensors, rng=None):
    """The network the ``spec`` in a file's metadata builds (weights not yet loaded),
    refused before it allocates more numbers than the file's ``tensors`` (Tensors or
    TensorInfos) hold: a tiny file whose spec asks for millions of parameters costs
    nothing."""
    spec_text = metadata.get("spec")
    if not spec_text:
        raise ModelFileError(f"{source}: no 'spec' in __metadata__, so the network cannot "
                             f"be rebuilt (keys: {', '.join(metadata) or 'none'})")
    held = numbers_in(tensors)
    # up to SMALL_NETWORK numbers are built whatever the file holds, so that a small
    # mismatch is reported by the tensor it concerns (check_tensors), not as a total
    limit = min(max(held, SMALL_NETWORK), spec.parameter_limit())
    note = (f"the file's tensors hold only {held:,} numbers" if limit >= held
            else f"{spec.LIMIT_ENV} sets another limit")
    try:
        net = spec.build(spec_text if "\n" in spec_text else spec_text + "\n", rng=rng,
                         max_params=limit, limit_note=note)
    except SpecError as exc:
        raise ModelFileError(f"{source}: the spec in __metadata__ does not build: "
                             f"{exc}") from None
    return net


def check_format(metadata, source, expected=FORMAT):
    fmt = metadata.get("format", expected)
    if fmt != expected:
        raise ModelFileError(f"{source}: format {fmt!r} in __metadata__, expected "
                             f"{expected!r}")
    version = metadata.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ModelFileError(f"{source}: format_version {version!r} is not one this "
                             f"purenn reads ({FORMAT_VERSION!r})")


def load(path):
    """The network saved in ``path``, its weights and buffers restored.

    ``net.training`` holds the file's training summary (a dict: epochs, accuracy, the
    data set and seed, ...; ``{}`` when the file has none), ``net.source`` the path.
    """
    source = os.fspath(path)
    infos, metadata = safetensors.read_header(source)
    check_format(metadata, source)
    training = check(load_json(metadata.get("training", "{}"), source,
                               what="'training' in __metadata__"),
                     TRAINING, source, field="training")
    net = build_from_metadata(metadata, source, infos)
    check_tensors(net, infos, source)  # names, shapes, dtypes before any data is read
    tensors, _ = safetensors.read_tensors(source)
    load_state_tensors(net, tensors, source)
    net.training = training
    net.source = source
    return net
