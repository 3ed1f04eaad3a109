"""The playground's only door into purenn's network, training and model code.

Everything the playground needs from ``network``, ``train`` and ``model`` goes through
these few functions, so that a change of those modules' interfaces is met here alone.
"""

from ..errors import PurennError

# the 2-D panel trains until paused: an epoch count no one reaches
FOREVER = 10 ** 9


def build(spec_text, rng):
    """The network ``spec_text`` describes, its weights drawn from ``rng``."""
    from ..spec import build as build_network
    return build_network(spec_text, rng=rng)


def load(path):
    """The network saved in a model file (PurennError with the reason if it cannot)."""
    from ..model import load as load_model
    return load_model(path)


def trainer(net, train_set, test_set, *, batch_size, rng, on_update, on_record,
            epochs=FOREVER, eval_every=1):
    """A Trainer that runs ``purenn train``'s epoch schedule with the same random stream,
    calling the hooks after every update and every recorded epoch, printing nothing."""
    from ..train import Trainer
    return Trainer(net, train_set, test_set, epochs=epochs, batch_size=batch_size, rng=rng,
                   log=None, eval_every=eval_every, on_update=on_update,
                   on_record=on_record)


def accuracy(net, dataset, trainer=None):
    """The fraction of ``dataset`` that ``net`` classifies right; stops (by raising) when
    ``trainer`` is asked to stop."""
    from ..train import evaluate
    return evaluate(net, dataset, check=trainer.check_stop if trainer else None)


def interrupted_types():
    """What ``Trainer.fit`` raises when ``stop_requested`` is set, and on a failed run."""
    from ..train import TrainingInterrupted
    return TrainingInterrupted, PurennError


def probabilities(net, rows):
    """Class probabilities of ``net`` for a batch of input rows (inference mode)."""
    return net.probabilities(rows)


def mean_loss(net, dataset):
    """The mean loss over a whole data set, in inference mode (weight decay included, as
    ``purenn train`` reports it)."""
    total, count = 0.0, 0
    for x, t in dataset.batches(1000):
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
