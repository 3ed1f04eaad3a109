"""Weight initializers: how a layer's first weights are drawn.

Each takes the shape to fill, the fan-in n (inputs feeding one output unit: ``in`` for a
dense layer, ``in_channels·kh·kw`` for a convolution) and the network's seeded
``random.Random``, and returns nested lists of floats drawn from N(0, std²):

- ``normal``: std given (the book's default ``weight_init_std = 0.01``);
- ``xavier``: std = sqrt(1/n), suited to sigmoid and tanh (the book's "Xavier");
- ``he``: std = sqrt(2/n), suited to ReLU.
"""

import math


def _gaussian(shape, std, rng):
    if len(shape) == 1:
        gauss = rng.gauss
        return [gauss(0.0, std) for _ in range(shape[0])]
    return [_gaussian(shape[1:], std, rng) for _ in range(shape[0])]


def normal(shape, fan_in, rng, std=0.01):
    """W ~ N(0, std²), std = 0.01 unless given."""
    return _gaussian(shape, std, rng)


def xavier(shape, fan_in, rng, std=None):
    """W ~ N(0, 1/n) with n the fan-in."""
    return _gaussian(shape, math.sqrt(1.0 / fan_in), rng)


def he(shape, fan_in, rng, std=None):
    """W ~ N(0, 2/n) with n the fan-in."""
    return _gaussian(shape, math.sqrt(2.0 / fan_in), rng)
