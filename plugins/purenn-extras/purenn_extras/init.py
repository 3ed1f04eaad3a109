"""The LeCun uniform initializer."""

import math


def lecun_uniform(shape, fan_in, rng, std=None):
    """W ~ U(−√(3/n), √(3/n)) with n the fan-in: variance 1/n, as LeCun et al. (1998).

    ``std`` is part of the initializer contract (``normal`` uses it) and ignored here.
    """
    limit = math.sqrt(3.0 / fan_in)
    if len(shape) == 1:
        return [rng.uniform(-limit, limit) for _ in range(shape[0])]
    return [lecun_uniform(shape[1:], fan_in, rng) for _ in range(shape[0])]
