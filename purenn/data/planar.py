"""Points in the plane for a network to separate, as in TensorFlow Playground and
scikit-learn: CS231n's spiral (``purenn.data.spiral``), two circles, two moons and xor.

Each generator takes one ``random.Random`` and a ``noise``, the standard deviation of a
Gaussian ε ~ N(0, noise²) (in the angle for the spiral, in each coordinate for the others),
and returns a Dataset of 2-D float points with labels 0..classes−1, class by class.

- circles (2 classes): for i = 0..N−1, θ = 2π·i/N; class 0 is the circle of radius 1,
  class 1 the circle of radius ``factor`` (0.5): (r·cos θ + ε, r·sin θ + ε).
- moons (2 classes): for i = 0..N−1, θ = π·i/(N−1); class 0 is (cos θ, sin θ), class 1
  (1 − cos θ, ½ − sin θ), both moved by (−½, −¼) so that the pair is centred on 0.
- xor (2 classes): N points per quadrant drawn uniformly at least ``margin`` away from the
  axes in [−1, 1]², then moved by ε; class 1 where x·y > 0 (first and third quadrant).

``generate(name, rng, noise)`` draws the training set and then the test set from the same
generator, as ``purenn train --dataset NAME`` does.
"""

import math
from array import array

from .dataset import Dataset
from .spiral import make_spiral

NAMES = ("spiral", "circles", "moons", "xor")
# noise when none is given: CS231n's 0.2 for the spiral, about what TensorFlow Playground
# shows at its defaults for the others
DEFAULT_NOISE = {"spiral": 0.2, "circles": 0.08, "moons": 0.1, "xor": 0.08}
CLASSES = {"spiral": 3, "circles": 2, "moons": 2, "xor": 2}


def _dataset(points, labels, classes, name):
    features = array("d")
    for x, y in points:
        features.extend((x, y))
    return Dataset(features, bytes(labels), (2,), classes, name=name)


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
    return {"circles": make_circles, "moons": make_moons, "xor": make_xor}[name](
        noise=noise, rng=rng)


def generate(name, rng, noise=None):
    """(train, test): two draws of ``make(name, rng, noise)``, the training set first."""
    return make(name, rng, noise), make(name, rng, noise)
