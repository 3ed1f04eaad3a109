"""Checkpoints: everything a training run needs to continue bit for bit, in one file.

A checkpoint is a safetensors file (see ``purenn.formats.safetensors``) holding

- the network's parameters and buffers (``Network.state_dict()``) as F64 tensors, named
  as in a model file;
- the optimizer's per-parameter state as F64 tensors named ``optimizer/<state>/<param>``
  (Momentum's ``optimizer/v/dense1.W``, ...);

and in ``__metadata__`` (strings):

    format           "purenn.checkpoint"
    format_version   "1"
    purenn_version   the version that wrote it
    spec             the network's spec text
    trainer          JSON: ``Trainer.state_dict()`` (schedule position, this epoch's order,
                     pending losses, history, RNG state), the optimizer's state with every
                     nested list of floats replaced by {"tensor": "<name>"}
    run              JSON: the settings the run was started with (data, seed, batch size,
                     ...), so that ``train --resume`` can rebuild the same run

JSON writes floats with ``repr``, which reads back to the same float, so nothing is
rounded on the way. A model file can be read from a checkpoint's tensors alone.
"""

import json
import os

from . import __version__, linalg, spec
from .errors import ModelFileError
from .formats import safetensors
from .model import check_format, load_state_tensors, state_tensors

FORMAT = "purenn.checkpoint"
FILENAME = "checkpoint.safetensors"
PREFIX = "optimizer/"


def _is_float_array(value):
    leaves = list(linalg.leaves(value)) if isinstance(value, list) and value else []
    return bool(leaves) and all(leaf and all(type(v) is float for v in leaf)
                                for leaf in leaves)


def pack(value, name, tensors):
    """``value`` with every non-empty nested list of floats moved into ``tensors`` (as
    (shape, flat values) under ``name`` plus its path) and replaced by {"tensor": name}."""
    if isinstance(value, dict):
        return {k: pack(v, f"{name}/{k}", tensors) for k, v in value.items()}
    if _is_float_array(value):
        if name in tensors:
            raise ModelFileError(f"two tensors of a checkpoint would be named {name!r}")
        tensors[name] = (linalg.shape_of(value), linalg.flatten(value))
        return {"tensor": name}
    return value


def unpack(value, tensors, source):
    """The inverse of ``pack``: {"tensor": name} back to nested lists of floats."""
    if isinstance(value, dict):
        if set(value) == {"tensor"} and isinstance(value["tensor"], str):
            tensor = tensors.get(value["tensor"])
            if tensor is None:
                raise ModelFileError(f"{source}: the trainer state refers to tensor "
                                     f"{value['tensor']!r}, which the file does not hold")
            return linalg.nested_from_flat([float(v) for v in tensor.values], tensor.shape)
        return {k: unpack(v, tensors, source) for k, v in value.items()}
    return value


def save_checkpoint(path, trainer, run=None):
    """Write ``trainer``'s network and state to ``path`` atomically."""
    tensors = state_tensors(trainer.net)
    state = trainer.state_dict()
    optimizer_tensors = {}
    state["optimizer"] = pack(state["optimizer"], PREFIX.rstrip("/"), optimizer_tensors)
    clash = sorted(set(tensors) & set(optimizer_tensors))
    if clash:
        raise ModelFileError(f"{path}: tensor name {clash[0]!r} is both a parameter and "
                             f"optimizer state")
    tensors.update(optimizer_tensors)
    metadata = {
        "format": FORMAT,
        "format_version": "1",
        "purenn_version": __version__,
        "spec": spec.write(trainer.net),
        "trainer": json.dumps(state, separators=(",", ":")),
        "run": json.dumps(run or {}, sort_keys=True),
    }
    safetensors.write_tensors(path, tensors, metadata)


class Checkpoint:
    """A checkpoint as read: ``spec`` text, ``run`` settings, ``trainer`` state (the
    optimizer's tensors put back), and the network's ``tensors``."""

    def __init__(self, path, tensors, metadata):
        self.path = path
        check_format(metadata, path, FORMAT)
        self.metadata = metadata
        self.spec = metadata.get("spec", "")
        try:
            self.run = json.loads(metadata.get("run", "{}"))
            state = json.loads(metadata["trainer"])
        except KeyError:
            raise ModelFileError(f"{path}: no 'trainer' state in __metadata__") from None
        except ValueError as exc:
            raise ModelFileError(f"{path}: the trainer state is not JSON: {exc}") from None
        if not isinstance(state, dict) or not isinstance(self.run, dict):
            raise ModelFileError(f"{path}: the trainer state and run settings must be "
                                 f"JSON objects")
        used = set()
        _collect(state.get("optimizer"), used)
        state["optimizer"] = unpack(state.get("optimizer", {}), tensors, path)
        self.trainer = state
        self.tensors = {k: v for k, v in tensors.items() if k not in used}

    def restore(self, trainer):
        """Put the weights, buffers and training state into ``trainer`` (whose network
        must be built from the same spec)."""
        load_state_tensors(trainer.net, self.tensors, self.path)
        try:
            trainer.load_state_dict(self.trainer)
        except (ValueError, TypeError, KeyError, ModelFileError) as exc:
            raise ModelFileError(f"{self.path}: cannot continue from this checkpoint: "
                                 f"{exc}") from None


def _collect(value, used):
    if isinstance(value, dict):
        if set(value) == {"tensor"} and isinstance(value["tensor"], str):
            used.add(value["tensor"])
        for v in value.values():
            _collect(v, used)


def checkpoint_path(path):
    """The checkpoint file for ``path``: the path itself, or FILENAME inside a folder."""
    path = os.fspath(path)
    return os.path.join(path, FILENAME) if os.path.isdir(path) else path


def load_checkpoint(path):
    """Read the checkpoint at ``path`` (a file, or a folder holding FILENAME)."""
    path = checkpoint_path(path)
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such checkpoint")
    tensors, metadata = safetensors.read_tensors(path)
    return Checkpoint(path, tensors, metadata)
