"""Points in the plane for a network to separate, as in TensorFlow Playground and
scikit-learn: CS231n's spiral (``purenn.data.spiral``), two circles, two moons and xor;
and two regression sets (``REGRESSION``: plane, gauss), whose samples carry a float
target in [−1, 1] instead of a class (a Dataset with ``num_classes`` None).

Each generator takes one ``random.Random`` and a ``noise``, the standard deviation of a
Gaussian ε ~ N(0, noise²) (in the angle for the spiral, in each coordinate for the others),
and returns a Dataset of 2-D float points with labels 0..classes−1, class by class.

- circles (2 classes): for i = 0..N−1, θ = 2π·i/N; class 0 is the circle of radius 1,
  class 1 the circle of radius ``factor`` (0.5): (r·cos θ + ε, r·sin θ + ε).
- moons (2 classes): for i = 0..N−1, θ = π·i/(N−1); class 0 is (cos θ, sin θ), class 1
  (1 − cos θ, ½ − sin θ), both moved by (−½, −¼) so that the pair is centred on 0.
- xor (2 classes): N points per quadrant drawn uniformly at least ``margin`` away from the
  axes in [−1, 1]², then moved by ε; class 1 where x·y > 0 (first and third quadrant).

- plane (regression): N points drawn uniformly in [−1, 1]², target (x + y) / 2, the
  point then moved by ε (the target is that of the point before the noise).
- gauss (regression): N points drawn uniformly in [−1, 1]², target the sum of six
  signed Gaussian bumps s·exp(−d²/(2σ²)), σ = 0.2, centred on (−⅔, ±0.4), (0, ±0.4),
  (⅔, ±0.4) with signs alternating like a checkerboard (+1 at (−⅔, 0.4)), clipped to
  [−1, 1]; then the point moved by ε.

``generate(name, rng, noise)`` draws the training set and then the test set from the same
generator, as ``purenn train --dataset NAME`` does. Two options, as in TensorFlow Playground:

- ``ratio``, the percentage of all points used for training (10..90, default 50): at 50
  the training set is the first draw and the test set the second; at r ≠ 50 the training
  set takes round(r·2N/100) points: the first draw plus points of the second chosen at
  random (r > 50), or the first draw less points moved to the test set (r < 50), chosen by
  ``rng.sample`` after both draws.
- ``features``, the input columns computed from each point (x1, x2) =
  (x, y): any of ``FEATURES`` (x1, x2, x1^2, x2^2, x1x2, sin_x1, sin_x2), in the order
  given; the default is (x1, x2), the point itself. ``featurize`` applies them to rows,
  such as a picture's grid.
"""

import math
from array import array

from .dataset import Dataset
from .spiral import make_spiral

CLASSIFICATION = ("spiral", "circles", "moons", "xor")
REGRESSION = ("plane", "gauss")
NAMES = CLASSIFICATION + REGRESSION
# noise when none is given: CS231n's 0.2 for the spiral, about what TensorFlow Playground
# shows at its defaults for the others
DEFAULT_NOISE = {"spiral": 0.2, "circles": 0.08, "moons": 0.1, "xor": 0.08,
                 "plane": 0.05, "gauss": 0.05}
# classes of each set; None for a regression set (float targets)
CLASSES = {"spiral": 3, "circles": 2, "moons": 2, "xor": 2, "plane": None, "gauss": None}
POINTS = 300                    # points of one draw of a regression set
GAUSS_SIGMA = 0.2
GAUSS_BUMPS = tuple((x, y, sign * (1 if y > 0 else -1))
                    for x, sign in ((-2 / 3, 1), (0.0, -1), (2 / 3, 1)) for y in (0.4, -0.4))
# the feature inputs of TensorFlow Playground, each a function of the point (x1, x2)
FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: math.sin(x1),
    "sin_x2": lambda x1, x2: math.sin(x2),
}
POINT = ("x1", "x2")
RATIO_RANGE = (10, 90)


def _dataset(points, labels, classes, name):
    features = array("d")
    for x, y in points:
        features.extend((x, y))
    return Dataset(features, _labels(labels, classes), (2,), classes, name=name)


def _labels(values, classes):
    """Class labels as bytes, regression targets (``classes`` None) as an array('d')."""
    return array("d", values) if classes is None else bytes(values)


def plane_target(x, y):
    """The plane set's target at (x, y): (x + y) / 2."""
    return (x + y) / 2.0


def gauss_target(x, y):
    """The gauss set's target at (x, y): the signed bumps summed, clipped to [−1, 1]."""
    value = math.fsum(sign * math.exp(-((x - cx) ** 2 + (y - cy) ** 2)
                                      / (2.0 * GAUSS_SIGMA ** 2))
                      for cx, cy, sign in GAUSS_BUMPS)
    return max(-1.0, min(1.0, value))


TARGETS = {"plane": plane_target, "gauss": gauss_target}


def make_regression(name, points=POINTS, *, noise=0.05, rng):
    """``points`` points uniform in [−1, 1]², each with the target of set ``name``
    (plane, gauss) at that point, then moved by Gaussian noise."""
    target = TARGETS[name]
    moved, targets = [], []
    for _ in range(points):
        x, y = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        targets.append(target(x, y))
        moved.append((x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)))
    return _dataset(moved, targets, None, name)


def make_circles(points_per_class=150, *, noise=0.08, factor=0.5, rng):
    """Two concentric circles, radius 1 (class 0) and ``factor`` (class 1)."""
    n = points_per_class
    points, labels = [], []
    for label, radius in ((0, 1.0), (1, factor)):
        for i in range(n):
            theta = 2.0 * math.pi * i / n
            points.append((radius * math.cos(theta) + rng.gauss(0.0, noise),
                           radius * math.sin(theta) + rng.gauss(0.0, noise)))
            labels.append(label)
    return _dataset(points, labels, 2, "circles")


def make_moons(points_per_class=150, *, noise=0.1, rng):
    """Two interleaving half circles, centred on the origin."""
    n = points_per_class
    points, labels = [], []
    for label in (0, 1):
        for i in range(n):
            theta = math.pi * i / (n - 1) if n > 1 else 0.0
            if label == 0:
                x, y = math.cos(theta), math.sin(theta)
            else:
                x, y = 1.0 - math.cos(theta), 0.5 - math.sin(theta)
            points.append((x - 0.5 + rng.gauss(0.0, noise), y - 0.25 + rng.gauss(0.0, noise)))
            labels.append(label)
    return _dataset(points, labels, 2, "moons")


def make_xor(points_per_class=150, *, noise=0.08, margin=0.05, rng):
    """Four quadrants: class 1 where x·y > 0, class 0 where x·y < 0 (before the noise)."""
    n = points_per_class
    points, labels = [], []
    for label, quadrants in ((0, ((-1, 1), (1, -1))), (1, ((1, 1), (-1, -1)))):
        for i in range(n):
            sx, sy = quadrants[i % 2]
            x = sx * rng.uniform(margin, 1.0) + rng.gauss(0.0, noise)
            y = sy * rng.uniform(margin, 1.0) + rng.gauss(0.0, noise)
            points.append((x, y))
            labels.append(label)
    return _dataset(points, labels, 2, "xor")


def make(name, rng, noise=None):
    """One data set ``name`` (one of NAMES) drawn from ``rng``; ValueError for another."""
    if name not in NAMES:
        raise ValueError(f"unknown 2-D data set {name!r} (known: {', '.join(NAMES)})")
    noise = DEFAULT_NOISE[name] if noise is None else noise
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number ≥ 0, got {noise!r}")
    if name == "spiral":
        return make_spiral(rng=rng, noise=noise)
    if name in REGRESSION:
        return make_regression(name, noise=noise, rng=rng)
    return {"circles": make_circles, "moons": make_moons, "xor": make_xor}[name](
        noise=noise, rng=rng)


def check_features(names):
    """The feature names as a tuple; ValueError naming the first unknown or repeated one."""
    names = tuple(names)
    if not names:
        raise ValueError("features: give at least one of " + ", ".join(FEATURES))
    for i, name in enumerate(names):
        if name not in FEATURES:
            raise ValueError(f"unknown feature {name!r} (known: {', '.join(FEATURES)})")
        if name in names[:i]:
            raise ValueError(f"feature {name!r} is given twice")
    return names


def featurize(rows, features=POINT):
    """Each point (x1, x2) of ``rows`` as its feature columns, in the order of ``features``.

    >>> featurize([[2.0, 3.0]], ("x1^2", "x1x2", "x2"))
    [[4.0, 6.0, 3.0]]
    """
    functions = [FEATURES[name] for name in check_features(features)]
    return [[f(x1, x2) for f in functions] for x1, x2 in rows]


def with_features(data, features=POINT):
    """``data`` with its points replaced by their feature columns (a new Dataset)."""
    features = check_features(features)
    if features == POINT:
        return data
    columns = array("d")
    for row in featurize(data.x(range(len(data))), features):
        columns.extend(row)
    return Dataset(columns, data.labels, (len(features),), data.num_classes, name=data.name)


def _subset(data, indices):
    rows = data.x(indices)
    points = array("d")
    for row in rows:
        points.extend(row)
    return Dataset(points, _labels([data.labels[i] for i in indices], data.num_classes),
                   data.sample_shape, data.num_classes, name=data.name)


def split(first, second, ratio, rng):
    """(train, test) from two draws of the same size so that training holds ``ratio``
    percent of all points (see the module's docstring)."""
    low, high = RATIO_RANGE
    if isinstance(ratio, bool) or not isinstance(ratio, int) or not low <= ratio <= high:
        raise ValueError(f"ratio must be a whole percentage from {low} to {high}, "
                         f"got {ratio!r}")
    total = len(first) + len(second)
    move = round(ratio * total / 100) - len(first)
    if move == 0:
        return first, second
    source, target = (second, first) if move > 0 else (first, second)
    chosen = set(rng.sample(range(len(source)), abs(move)))
    kept = [i for i in range(len(source)) if i not in chosen]
    grown = _concat(target, source, sorted(chosen))
    shrunk = _subset(source, kept)
    return (grown, shrunk) if move > 0 else (shrunk, grown)


def _concat(data, other, indices):
    both = _subset(data, range(len(data)))
    for row in other.x(indices):
        both.features.extend(row)
    both.labels += _labels([other.labels[i] for i in indices], data.num_classes)
    return both


MAX_ADDED = 100          # points added by hand (the playground's clicks)
ADDED_RANGE = 10.0       # ... each coordinate within ±ADDED_RANGE


def check_added(points, classes):
    """``points`` as a list of (x, y, label); ValueError naming the first bad one. For a
    regression set (``classes`` None) the label is a target from −1 to 1."""
    points = list(points)
    if len(points) > MAX_ADDED:
        raise ValueError(f"at most {MAX_ADDED} added points, got {len(points)}")
    checked = []
    for i, point in enumerate(points, 1):
        if not isinstance(point, (list, tuple)) or len(point) != 3:
            raise ValueError(f"added point {i} must be x, y, class; got {point!r}")
        x, y, label = point
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   and math.isfinite(v) and abs(v) <= ADDED_RANGE for v in (x, y)):
            raise ValueError(f"added point {i}: x and y must be numbers from "
                             f"-{ADDED_RANGE:g} to {ADDED_RANGE:g}, got {point!r}")
        if classes is None:
            if (isinstance(label, bool) or not isinstance(label, (int, float))
                    or not -1.0 <= label <= 1.0):
                raise ValueError(f"added point {i}: the target must be a number from -1 "
                                 f"to 1, got {point!r}")
            checked.append((float(x), float(y), float(label)))
            continue
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < classes:
            raise ValueError(f"added point {i}: the class must be a whole number from 0 to "
                             f"{classes - 1}, got {label!r}")
        checked.append((float(x), float(y), label))
    return checked


def generate(name, rng, noise=None, ratio=50, features=POINT, added=()):
    """(train, test): two draws of ``make(name, rng, noise)``, the training set first,
    split at ``ratio`` percent for training, the ``added`` points (x, y, label) put at
    the end of the training set, and turned into ``features``."""
    features = check_features(features)
    train, test = split(make(name, rng, noise), make(name, rng, noise), ratio, rng)
    added = check_added(added, train.num_classes)
    if added:
        train = _subset(train, range(len(train)))
        for x, y, _ in added:
            train.features.extend((x, y))
        train.labels += _labels([label for _, _, label in added], train.num_classes)
    return with_features(train, features), with_features(test, features)
