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
    digest           "sha256:<hex>" of everything above and every tensor (``digest``)

A checkpoint's digest is checked before anything else is read from it, so a byte changed
by a disk, a copy or a hand is refused with one line instead of resuming a different run.

JSON writes floats with ``repr``, which reads back to the same float, so nothing is
rounded on the way. A model file can be read from a checkpoint's tensors alone.

Nothing in a checkpoint is trusted (a digest is easily recomputed): the JSON is read
with ``schema.load_json``'s limits, the trainer state and run settings are checked field
by field (``TRAINER`` and ``RUN`` below, then ``check_consistent``: lengths and positions
that must agree with each other and with the training-set size), the optimizer's
tensors must be finite floats, and the spec is checked against the tensors before the
network is built (``model.check_spec``).
Every failure is one ModelFileError naming the file, the field and the bad value.
"""

import hashlib
import json
import os

from . import __version__, linalg, spec
from .errors import ModelFileError
from .formats import safetensors
from .formats.schema import (
    Bool,
    Float,
    Int,
    List,
    Map,
    Null,
    Object,
    OneOf,
    Schema,
    Str,
    check,
    load_json,
    short,
)
from .formats.tensor import finite_floats
from .model import build_from_metadata, check_format, load_state_tensors, state_tensors
from .train import LOSS_AT, METRICS, first_non_accuracy

FORMAT = "purenn.checkpoint"
FILENAME = "checkpoint.safetensors"
PREFIX = "optimizer/"
DIGEST = "digest"


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
    """The inverse of ``pack``: {"tensor": name} back to nested lists of floats (each
    tensor's values checked: finite floats)."""
    if isinstance(value, dict):
        if set(value) == {"tensor"} and isinstance(value["tensor"], str):
            name = value["tensor"]
            tensor = tensors.get(name)
            if tensor is None:
                raise ModelFileError(f"{source}: the trainer state refers to tensor "
                                     f"{short(name)}, which the file does not hold")
            values = finite_floats(tensor, f"{source}: tensor {name!r}")
            if not tensor.shape:
                raise ModelFileError(f"{source}: tensor {name!r} of the optimizer's state "
                                     f"has shape [], expected an array")
            return linalg.nested_from_flat(values, tensor.shape)
        return {k: unpack(v, tensors, source) for k, v in value.items()}
    return value


# -- what a checkpoint's JSON may hold -------------------------------------------------
MAX_SIZE = 1 << 40  # any count or size past this is not from a real run


class AnyJSON(Schema):
    """Any JSON value (checked later by whoever uses it)."""

    def describe(self):
        return "any JSON value"

    def accepts(self, value):
        return True


class MaybeNaN(Float):
    """A number in [minimum, maximum], or NaN (the test accuracy of a run without a
    test set); no infinity."""

    def describe(self):
        return super().describe() + " or NaN"

    def accepts(self, value):
        return (type(value) is float and value != value) or super().accepts(value)


COUNT = Int(0, MAX_SIZE)
LOSS = Float()
class Tuple(Schema):
    """A list of exactly len(items) values, the i-th checked by items[i]."""

    def __init__(self, *items):
        self.items = items

    def describe(self):
        return f"a list of {len(self.items)}: " + ", ".join(i.describe() for i in self.items)

    def accepts(self, value):
        return type(value) is list and len(value) == len(self.items)

    def convert(self, value, field, fail):
        super().convert(value, field, fail)
        return [item.convert(v, f"{field}[{i}]", fail)
                for i, (item, v) in enumerate(zip(self.items, value))]


# random.Random.getstate(): version, 624 words of the Mersenne Twister and its position
# (0..624), the cached second Gaussian or null
RNG_STATE = Tuple(Int(0, 1 << 16), List(Int(0, (1 << 32) - 1), 625, 625),
                  OneOf(Null(), Float()))
MAYBE_COUNT = OneOf(Null(), Int(1, MAX_SIZE))
HISTORY = Object({
    "epoch": List(Int(1, MAX_SIZE)),
    "train_loss": List(LOSS),
    # accuracies, or a regression run's losses (History.metric): from_dict checks which
    "train_acc": List(Float(0.0)),
    "test_acc": List(MaybeNaN(0.0)),
    "seconds": List(Float(0.0)),
    "iteration_loss": List(LOSS),
}, optional={"update": List(Int(1, MAX_SIZE)), "updates_per_epoch": MAYBE_COUNT,
             "metric": Str(choices=METRICS), "loss_at": Str(choices=LOSS_AT)})
TRAINER = Object({
    "version": Int(1, 1),
    "schedule": Str(choices=("epochs", "iterations")),
    "train_size": Int(1, MAX_SIZE),
    "batch_size": Int(1, MAX_SIZE),
    "epoch": COUNT,
    "position": COUNT,
    "order": OneOf(Null(), List(Int(0, MAX_SIZE))),
    "updates": COUNT,
    "pending": List(LOSS),
    "eval_pending": Bool(),
    "history": HISTORY,
    "rng": RNG_STATE,
    "optimizer": Map(AnyJSON()),
}, optional={"net_rng": RNG_STATE})
RUN = Object({}, optional={
    "dataset": Str(max_length=100),
    "data": OneOf(Null(), Str(max_length=4096)),
    "noise": OneOf(Null(), Float(0.0, 100.0)),
    "seed": Int(-(1 << 63), (1 << 63) - 1),
    "batch_size": Int(1, MAX_SIZE),
    "train_size": MAYBE_COUNT,
    "gradient": Str(choices=("backprop", "numerical")),
    "epochs": MAYBE_COUNT,
    "iterations": MAYBE_COUNT,
    "log_every": MAYBE_COUNT,
    "description": Str(max_length=4096),
}, extra=AnyJSON())


def check_consistent(state, source):
    """The fields of a (schema-checked) trainer state that must agree with each other:
    ModelFileError naming the field and its value otherwise."""
    def fail(field, value, what):
        raise ModelFileError(f"{source}: field {field!r}: {what}, got {short(value)}")

    n = state["train_size"]
    order = state["order"]
    if order is not None:
        if len(order) != n or sorted(order) != list(range(n)):
            fail("trainer.order", order, f"expected a permutation of 0..{n - 1} "
                                         f"(train_size {n})")
    if not 0 <= state["position"] <= n:
        fail("trainer.position", state["position"], f"expected 0..{n} (train_size {n})")
    if order is None and state["position"]:
        fail("trainer.position", state["position"], "expected 0 between epochs (order "
                                                     "is null)")
    if state["schedule"] == "epochs" and state["eval_pending"]:
        fail("trainer.eval_pending", True, "expected false in the epochs schedule")
    # the losses of this epoch's updates (epochs) or of the update that made an
    # evaluation due (the book's) wait in pending for the next record
    this_epoch = -(-state["position"] // state["batch_size"]) if order is not None else 0
    due = 1 if state["eval_pending"] else 0
    if len(state["pending"]) < max(this_epoch, due):
        fail("trainer.pending", state["pending"],
             f"expected at least {max(this_epoch, due)} losses, one per update since the "
             f"last record (position {state['position']}, batch_size "
             f"{state['batch_size']}, eval_pending {state['eval_pending']})")
    history = state["history"]
    records = len(history["epoch"])
    for key in ("train_loss", "train_acc", "test_acc", "seconds"):
        if len(history[key]) != records:
            fail(f"trainer.history.{key}", history[key],
                 f"expected {records} values, one per record of history.epoch")
    # accuracies, or a regression run's losses: an older file does not say, and the
    # trainer that restores it checks against its data (Trainer.load_state_dict)
    if history.get("metric") == "accuracy":
        for key in ("train_acc", "test_acc"):
            bad = first_non_accuracy(history[key])
            if bad is not None:
                fail(f"trainer.history.{key}[{bad[0]}]", bad[1],
                     "expected an accuracy in [0.0, 1.0] (history.metric 'accuracy')")
    epochs = history["epoch"]
    if any(b <= a for a, b in zip(epochs, epochs[1:])):
        fail("trainer.history.epoch", epochs, "expected increasing epoch numbers")
    if epochs and epochs[-1] > state["epoch"]:
        fail("trainer.history.epoch", epochs,
             f"expected records up to epoch {state['epoch']} (trainer.epoch)")
    if len(history["iteration_loss"]) != state["updates"]:
        fail("trainer.history.iteration_loss", history["iteration_loss"],
             f"expected {state['updates']} losses, one per update (trainer.updates)")
    updates = history.get("update")
    if updates is not None:
        if len(updates) != records:
            fail("trainer.history.update", updates,
                 f"expected {records} values, one per record of history.epoch")
        if any(b <= a for a, b in zip(updates, updates[1:])):
            fail("trainer.history.update", updates, "expected increasing update numbers")
        if updates and updates[-1] > state["updates"]:
            fail("trainer.history.update", updates,
                 f"expected records up to update {state['updates']} (trainer.updates)")
    if len(state["pending"]) > state["updates"]:
        fail("trainer.pending", state["pending"],
             f"expected at most {state['updates']} losses (trainer.updates)")
    for key in ("rng", "net_rng"):
        if key in state and not 0 <= state[key][1][-1] <= 624:
            fail(f"trainer.{key}[1][624]", state[key][1][-1],
                 "expected the Mersenne Twister's position, 0..624")


def digest(tensors, metadata):
    """"sha256:<hex>" of a checkpoint's content: its tensors (sorted by name) and metadata
    (sorted, without the digest) encoded as one safetensors file, so that the digest
    covers every name, dtype, shape, number and metadata string, and nothing else."""
    canonical = safetensors.encode({name: tensors[name] for name in sorted(tensors)},
                                   {k: metadata[k] for k in sorted(metadata) if k != DIGEST})
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def signed(tensors, metadata):
    """``metadata`` with the digest of ``tensors`` and itself (for tools and tests that
    write a checkpoint by hand)."""
    return {**metadata, DIGEST: digest(tensors, metadata)}


def check_digest(tensors, metadata, source):
    """ModelFileError unless the checkpoint's digest matches its tensors and metadata."""
    written = metadata.get(DIGEST)
    if written is None:
        raise ModelFileError(f"{source}: no {DIGEST!r} in __metadata__: a checkpoint carries "
                             f"the digest of its content (this one was edited, or written "
                             f"by a purenn before {__version__})")
    if digest(tensors, metadata) != written:
        raise ModelFileError(f"{source}: the checkpoint changed after it was written (its "
                             f"content does not match its digest): it cannot be resumed")


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
    safetensors.write_tensors(path, tensors, signed(tensors, metadata))


class Checkpoint:
    """A checkpoint as read: ``spec`` text, ``run`` settings, ``trainer`` state (the
    optimizer's tensors put back), and the network's ``tensors``."""

    def __init__(self, path, tensors, metadata):
        self.path = path
        check_format(metadata, path, FORMAT)
        check_digest(tensors, metadata, path)
        self.metadata = metadata
        self.spec = metadata.get("spec", "")
        if "trainer" not in metadata:
            raise ModelFileError(f"{path}: no 'trainer' state in __metadata__")
        self.run = check(load_json(metadata.get("run", "{}"), path, what="'run' in "
                                   "__metadata__"), RUN, path, field="run")
        state = load_json(metadata["trainer"], path, what="the trainer state",
                          allow_nan=True)
        state = check(state, TRAINER, path, field="trainer")
        check_consistent(state, path)
        used = set()
        _collect(state.get("optimizer"), used)
        state["optimizer"] = unpack(state.get("optimizer", {}), tensors, path)
        self.trainer = state
        self.tensors = {k: v for k, v in tensors.items() if k not in used}

    def build(self, rng):
        """The network of the checkpoint's spec, its parameters drawn from ``rng`` (the
        run's), refused before allocating when the spec asks for more numbers than the
        file's tensors hold."""
        return build_from_metadata(self.metadata, self.path, self.tensors, rng=rng)

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
