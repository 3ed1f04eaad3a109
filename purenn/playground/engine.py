"""The playground's only door into purenn's network, training and model code.

Everything the playground needs from ``network``, ``train`` and ``model`` goes through
these few functions, so that a change of those modules' interfaces is met here alone.
"""

import math

from ..errors import PurennError

# the 2-D panel trains until paused: an epoch count no one reaches
FOREVER = 10 ** 9
ACTIVATION_KINDS = ("relu", "tanh", "sigmoid")


def build(spec_text, rng, max_params=None, limit_note=None):
    """The network ``spec_text`` describes, its weights drawn from ``rng``; never more
    than ``max_params`` numbers (refused at the line that asks for more). The text is
    always spec text: never read as a file's path or a shipped spec's name."""
    from ..spec import build as build_network
    # spec.read takes a text with a line break for spec text, whatever its first line says
    text = spec_text if spec_text.endswith("\n") else spec_text + "\n"
    return build_network(text, rng=rng, max_params=max_params, limit_note=limit_note)


def numbers_per_row(net):
    """(numbers one input row costs: parameters, buffers and every layer's output,
    the widest layer's output): what a pass over the network does and holds per row."""
    from ..linalg import flatten
    held = sum(len(flatten(v)) if isinstance(v, list) else 1
               for v in net.state_dict().values())
    sizes = [math.prod(shape) for shape in net.shapes]
    return held + sum(sizes), max(sizes)


def load(path):
    """The network saved in a model file (PurennError with the reason if it cannot)."""
    from ..model import load as load_model
    return load_model(path)


def trainer(net, train_set, test_set, *, batch_size, rng, on_update, on_record,
            epochs=FOREVER, eval_every=1, eval_batch_size=1000, warn=None):
    """A Trainer that runs ``purenn train``'s epoch schedule with the same random stream,
    calling the hooks after every update and every recorded epoch, printing nothing;
    ``warn`` receives the divergence warning (default: Python's warnings)."""
    from ..train import Trainer
    return Trainer(net, train_set, test_set, epochs=epochs, batch_size=batch_size, rng=rng,
                   log=None, eval_every=eval_every, on_update=on_update,
                   on_record=on_record, eval_batch_size=eval_batch_size, warn=warn)


def accuracy(net, dataset, trainer=None):
    """The fraction of ``dataset`` that ``net`` classifies right; stops (by raising) when
    ``trainer`` is asked to stop."""
    from ..train import evaluate
    return evaluate(net, dataset, check=trainer.check_stop if trainer else None)


def interrupted_types():
    """What ``Trainer.fit`` raises when ``stop_requested`` is set, and on a failed run."""
    from ..train import TrainingInterrupted
    return TrainingInterrupted, PurennError


def probabilities(net, rows, chunk=1000):
    """Class probabilities of ``net`` for input rows (inference mode), ``chunk`` rows
    at a time."""
    return [p for start in range(0, len(rows), chunk)
            for p in net.probabilities(rows[start:start + chunk])]


def unit_outputs(net, rows, chunk=1000):
    """(class probabilities, [each hidden layer's outputs]) of ``net`` for input rows in
    inference mode; a hidden layer's output is that of a layer not followed by an
    activation (a dense layer's after its activation), the last layer excluded."""
    layers = [layer for _, layer in net.layers]
    shown = [i for i in range(len(layers) - 1)
             if getattr(layers[i + 1], "kind", "") not in ACTIVATION_KINDS]
    probs, outputs = [], [[] for _ in shown]
    for start in range(0, len(rows), chunk):
        x = rows[start:start + chunk]
        for i, layer in enumerate(layers):
            x = layer.forward(x, train=False)
            if i in shown:
                outputs[shown.index(i)].extend(x)
        probs.extend(net.loss_layer.output(x))
    return probs, outputs


def mean_loss(net, dataset, chunk=1000):
    """The mean loss over a whole data set, in inference mode (weight decay included, as
    ``purenn train`` reports it), ``chunk`` samples at a time."""
    total, count = 0.0, 0
    for x, t in dataset.batches(chunk):
        total += net.loss(x, t) * len(x)
        count += len(x)
    return total / count if count else float("nan")


def copy_weights(source, target):
    """Copy the parameters and buffers of ``source`` into ``target`` (same spec), in place,
    so that ``target`` can answer while ``source`` keeps training."""
    target.load_state_dict(source.state_dict())


def model_bytes(net, training):
    """The model file of ``net`` (safetensors bytes, as ``purenn.save`` writes it)."""
    from ..model import encode
    return encode(net, training=training)
