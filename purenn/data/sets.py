"""Every data set a command can name, and the one loader they all go through.

Two families:

- the MNIST-shaped sets (``IMAGES``: mnist, fashion-mnist, kmnist), read from IDX files:
  the folder given (``--data DIR``), else the fetched cache, else for MNIST the bundled
  subset (``purenn.data.resolve``);
- the generated 2-D sets (``PLANAR``: spiral, circles, moons, xor, and the regression
  sets plane and gauss, whose targets are numbers in [−1, 1]), drawn from the one
  ``random.Random`` passed in, the training set first (``purenn.data.planar``).

``load(name, rng, ...)`` gives (train, test, description) for either family, with the
training set cut to its first ``train_size`` samples when asked (``validation_split``
then carves a validation set from it, as ``search`` does); ``train``, ``evaluate``,
``predict``, ``show``, ``compare``, ``search`` and ``activations`` all call it, so each
accepts every data set and refuses a bad one with the same words.
"""

import random

from ..errors import PurennError
from . import planar

IMAGES = ("mnist", "fashion-mnist", "kmnist")
PLANAR = planar.NAMES
NAMES = tuple(sorted(IMAGES + PLANAR))

# what a data set is trained with unless told otherwise
DEFAULTS = {
    "mnist": {"spec": "two_layer", "epochs": 5, "batch_size": 100},
    "fashion-mnist": {"spec": "two_layer", "epochs": 5, "batch_size": 100},
    "kmnist": {"spec": "two_layer", "epochs": 5, "batch_size": 100},
    "spiral": {"spec": "spiral_net", "epochs": 1500, "batch_size": 300},
    "circles": {"spec": "planar_net", "epochs": 100, "batch_size": 10},
    "moons": {"spec": "planar_net", "epochs": 100, "batch_size": 10},
    "xor": {"spec": "planar_net", "epochs": 100, "batch_size": 10},
    "plane": {"spec": "planar_regression", "epochs": 100, "batch_size": 10},
    "gauss": {"spec": "planar_regression", "epochs": 100, "batch_size": 10},
}


def features_per_sample(name):
    """How many numbers one sample of data set ``name`` holds: 2 for the 2-D sets, 784
    (28x28) for the MNIST-shaped ones."""
    return 2 if name in PLANAR else 784


def load(name, rng, *, folder=None, noise=None, ratio=None, features=None, added=None,
         train_size=None, check_features=None, regression=False):
    """(train, test, description) of data set ``name`` (one of ``NAMES``).

    ``rng`` draws the generated sets (train, then test; not touched for the others);
    ``folder`` holds the IDX files of an MNIST-shaped set. For a generated set, ``noise``
    is its Gaussian noise (None: its default, ``planar.DEFAULT_NOISE``), ``ratio`` the
    percentage of the points for training (None: 50), ``features`` the input columns
    ("x1,x2,x1^2,...", None: x1,x2) and ``added`` extra training points (x, y, class).
    ``train_size`` keeps the first N training samples; ``check_features(numbers per
    sample)``, when given, may refuse IDX files from their headers before their bodies
    are read. A regression set (plane, gauss: float targets, no classes) is refused
    unless ``regression`` says the caller can measure one (``train`` can; commands that
    count classes cannot). Errors name the command-line option at fault."""
    if name not in NAMES:
        raise PurennError(f"--dataset {name!r}: expected one of {', '.join(NAMES)}")
    if name in planar.REGRESSION and not regression:
        raise PurennError(f"--dataset {name!r} is a regression set (targets are numbers, "
                          f"not classes): 'purenn train' and the playground take it")
    if name in PLANAR:
        if folder:
            raise PurennError(f"--data {folder!r} is for MNIST-shaped files "
                              f"({', '.join(IMAGES)}); the {name} data set is generated")
        try:
            train, test = planar.generate(name, rng, noise, ratio or 50,
                                          (features or "x1,x2").split(","), added or ())
        except ValueError as exc:
            raise PurennError(f"--add-point: {exc}") from None
        extra = "" if noise is None else f", noise {noise}"
        extra += "" if ratio is None else f", {ratio} % for training"
        extra += "" if features is None else f", features {features}"
        extra += "" if not added else f", {len(added)} added points"
        kind = ("regression" if train.num_classes is None
                else f"{train.num_classes} classes")
        description = f"{name}, {kind}{extra}"
    else:
        for option, value in (("--noise", noise), ("--ratio", ratio),
                              ("--features", features), ("--add-point", added or None)):
            if value is not None:
                raise PurennError(f"{option} {value!r} is for the generated 2-D sets "
                                  f"({', '.join(PLANAR)}), not {name}")
        from . import resolve

        train, test, description = resolve.load(name, folder,
                                                check_features=check_features)
    if train_size is not None:
        if train_size > len(train):
            raise PurennError(f"--train-size {train_size} is more than the {len(train)} "
                              f"training samples of {description}")
        train = train.head(train_size)
    return train, test, description


def validation_split(train_set, fraction, seed):
    """(train, validation) carved from the training set alone, as the book's
    ``shuffle_dataset`` then a cut: the samples shuffled by ``random.Random(seed)``, the
    first ``fraction`` of them for validation. Also returns the validation indices."""
    n = len(train_set)
    count = int(n * fraction)
    if not 0 < count < n:
        raise PurennError(f"--validation {fraction!r} of {n} training samples leaves "
                          f"{count} for validation and {n - count} for training; both "
                          f"need at least one")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return train_set.take(order[count:]), train_set.take(order[:count]), order[:count]
