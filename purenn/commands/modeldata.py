"""What ``train``, ``evaluate``, ``predict`` and ``show`` share: the data sets and their
defaults, the data options, the data set a model was trained on, and images of a data
set's samples.

The data comes through ``load_data`` (the resolution order: --data, the fetched cache,
the bundled MNIST subset); a model file remembers the data set and seed it was trained
with, so ``evaluate MODEL`` needs no options to look at the right data.
"""

import argparse
import math
import random

from ..errors import PurennError

# what a data set is trained with unless told otherwise
DEFAULTS = {
    "mnist": {"spec": "two_layer", "epochs": 5, "batch_size": 100},
    "fashion-mnist": {"spec": "two_layer", "epochs": 5, "batch_size": 100},
    "kmnist": {"spec": "two_layer", "epochs": 5, "batch_size": 100},
    "spiral": {"spec": "spiral_net", "epochs": 1500, "batch_size": 300},
    "circles": {"spec": "planar_net", "epochs": 100, "batch_size": 10},
    "moons": {"spec": "planar_net", "epochs": 100, "batch_size": 10},
    "xor": {"spec": "planar_net", "epochs": 100, "batch_size": 10},
}
PLANAR = ("spiral", "circles", "moons", "xor")


def load_data(args, rng):
    """(train, test, description) for the data the arguments ask for."""
    noise = getattr(args, "noise", None)
    if args.dataset in PLANAR:
        if args.data:
            raise PurennError(f"--data {args.data!r} is for MNIST-shaped files (mnist, "
                              f"fashion-mnist, kmnist); the {args.dataset} data set is "
                              f"generated")
        from ..data import planar
        train, test = planar.generate(args.dataset, rng, noise)
        extra = "" if noise is None else f", noise {noise}"
        return train, test, f"{args.dataset}, {train.num_classes} classes{extra}"
    if noise is not None:
        raise PurennError(f"--noise {noise!r} is for the generated 2-D sets "
                          f"({', '.join(PLANAR)}), not {args.dataset}")
    from ..data import resolve
    return resolve.load(args.dataset, args.data)


def add_data_options(p, *, split_default="test"):
    p.add_argument("--dataset", choices=sorted(DEFAULTS),
                   help="the data set (default: the one the model was trained on, else "
                        "mnist)")
    p.add_argument("--data", metavar="DIR",
                   help="folder with the four IDX files (default: as for train)")
    p.add_argument("--split", choices=("test", "train"), default=split_default,
                   help=f"which part of the data set (default: {split_default})")


def load_split(args, training=None):
    """(data set, description) of the split the arguments ask for; ``training`` is a
    model's training summary, whose data set and seed are the defaults."""
    training = training or {}
    dataset = args.dataset or training.get("dataset") or "mnist"
    seed = training.get("seed", 0)
    options = argparse.Namespace(dataset=dataset, data=args.data)
    train_set, test_set, description = load_data(options, random.Random(seed))
    data = test_set if args.split == "test" else train_set
    return data, f"{description}, {args.split} split"


def check_model_fits(net, data, model_path):
    features = math.prod(net.input_shape)
    if features != data.features_per_sample:
        raise PurennError(f"{model_path}: the network takes {features} numbers per sample "
                          f"but the data has {data.features_per_sample}; pass --dataset")


def image_shape(data):
    """(rows, cols) when the samples are gray images (1xHxW or HxW), else None."""
    shape = tuple(d for d in data.sample_shape)
    if len(shape) == 3 and shape[0] == 1:
        shape = shape[1:]
    return shape if len(shape) == 2 else None


def index_of(text, data, what="index"):
    """An index into ``data`` from text; PurennError naming the valid range."""
    try:
        index = int(text)
    except (TypeError, ValueError):
        raise PurennError(f"{what} {text!r} is not a whole number") from None
    if not 0 <= index < len(data):
        raise PurennError(f"{what} {index} is out of range: the data has {len(data)} "
                          f"samples (0..{len(data) - 1})")
    return index
