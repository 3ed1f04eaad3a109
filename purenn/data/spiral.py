"""The spiral data set of CS231n's "Putting it together" case study: K arms of N points
in the plane, not linearly separable.

For class j and i = 0..N−1:  r = i/(N−1),  θ = 4j + 4·i/(N−1) + 0.2·ε,  ε ~ N(0, 1),
and the point is (r·sin θ, r·cos θ).
"""

import math
import random
from array import array

from .dataset import Dataset


def make_spiral(points_per_class=100, classes=3, *, noise=0.2, seed=0, rng=None):
    """A Dataset of ``points_per_class·classes`` 2-D points, labels 0..classes−1."""
    rng = rng if rng is not None else random.Random(seed)
    n = points_per_class
    features, labels = array("d"), bytearray()
    for j in range(classes):
        for i in range(n):
            fraction = i / (n - 1) if n > 1 else 0.0
            theta = 4.0 * j + 4.0 * fraction + rng.gauss(0.0, 1.0) * noise
            features.extend((fraction * math.sin(theta), fraction * math.cos(theta)))
            labels.append(j)
    return Dataset(features, bytes(labels), (2,), classes, name="spiral")
