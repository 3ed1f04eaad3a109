"""The Huber loss: squared error near the target, absolute error far from it."""

import math

from purenn.losses import Loss, is_one_hot, one_hot


class Huber(Loss):
    """Huber loss (smooth L1) with threshold δ, summed over the K outputs and averaged
    over the batch; with e = y − t:

        ℓ(e) = ½·e²             for |e| ≤ δ
             = δ·(|e| − ½·δ)    otherwise
        L = (1/N) Σ_n Σ_k ℓ(e_nk)
        ∂L/∂y = clip(e, −δ, δ) / N

    Near the target it is the ``mean_squared_error`` of purenn; far from it it grows only
    linearly, so outliers pull less. Class-index labels are compared as one-hot rows.
    """

    def __init__(self, delta: float = 1.0):
        super().__init__()
        if not delta > 0:
            raise ValueError(f"huber needs delta > 0, got delta={delta!r}")
        self.delta = delta
        self.config = {"delta": delta}

    def forward(self, y, t):
        if not is_one_hot(t):
            t = one_hot(t, len(y[0]))
        self.y, self.t = y, t
        d = self.delta
        terms = (0.5 * e * e if abs(e) <= d else d * (abs(e) - 0.5 * d)
                 for row, target in zip(y, t) for e in (a - b for a, b in zip(row, target)))
        return math.fsum(terms) / len(y)

    def backward(self, dout=1.0):
        d, scale = self.delta, dout / len(self.y)
        return [[max(-d, min(d, a - b)) * scale for a, b in zip(row, target)]
                for row, target in zip(self.y, self.t)]
