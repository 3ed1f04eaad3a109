"""Activation layers beyond the book: LeakyReLU, ELU and GELU, elementwise on (N, D)."""

import math

from purenn.layers import Layer


class LeakyReLU(Layer):
    """Leaky ReLU (Maas et al., 2013): y = x for x > 0, α·x otherwise.

    Backward: dx = dout for x > 0, α·dout otherwise.
    """

    def __init__(self, alpha: float = 0.01):
        super().__init__()
        self.alpha = alpha
        self.config = {"alpha": alpha}

    def forward(self, x, train=False):
        a = self.alpha
        self.x = x
        return [[v if v > 0.0 else a * v for v in row] for row in x]

    def backward(self, dout):
        a = self.alpha
        return [[d if v > 0.0 else a * d for d, v in zip(drow, xrow)]
                for drow, xrow in zip(dout, self.x)]


class ELU(Layer):
    """Exponential linear unit (Clevert et al., 2015): y = x for x > 0, α·(eˣ − 1)
    otherwise (``math.expm1``, exact near 0; eˣ of x ≤ 0 never overflows).

    Backward: dx = dout for x > 0, dout·(y + α) otherwise, since d/dx α(eˣ − 1) = y + α.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha
        self.config = {"alpha": alpha}

    def forward(self, x, train=False):
        a, expm1 = self.alpha, math.expm1
        self.x = x
        self.y = [[v if v > 0.0 else a * expm1(v) for v in row] for row in x]
        return self.y

    def backward(self, dout):
        a = self.alpha
        return [[d if v > 0.0 else d * (y + a) for d, v, y in zip(drow, xrow, yrow)]
                for drow, xrow, yrow in zip(dout, self.x, self.y)]


SQRT_HALF = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu_cdf(v):
    """Φ(v) = ½·(1 + erf(v/√2)), the standard normal CDF."""
    return 0.5 * (1.0 + math.erf(v * SQRT_HALF))


def gelu_pdf(v):
    """φ(v) = e^(−v²/2) / √(2π), the standard normal density."""
    return INV_SQRT_2PI * math.exp(-0.5 * v * v)


class GELU(Layer):
    """Gaussian error linear unit (Hendrycks & Gimpel, 2016), the exact form:
        y = x·Φ(x),  Φ the standard normal CDF

    Backward: dx = dout·(Φ(x) + x·φ(x)), φ the standard normal density.
    """

    def forward(self, x, train=False):
        self.x = x
        return [[v * gelu_cdf(v) for v in row] for row in x]

    def backward(self, dout):
        return [[d * (gelu_cdf(v) + v * gelu_pdf(v)) for d, v in zip(drow, xrow)]
                for drow, xrow in zip(dout, self.x)]
