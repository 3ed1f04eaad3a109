"""The Lion optimizer: a step of the same size for every weight, in the sign's direction."""

import math

from purenn import linalg
from purenn.optimizers import Optimizer


def sign(v):
    return math.copysign(1.0, v) if v else 0.0


class Lion(Optimizer):
    """Lion, "EvoLved Sign Momentum" (Chen et al., 2023), for every parameter W with
    gradient g and momentum m (zeros at the start):

        c = β1·m + (1 − β1)·g
        W ← W − lr·(sign(c) + λ·W)
        m ← β2·m + (1 − β2)·g

    Every weight moves by lr (plus decay) per step, so lr is typically 3-10x smaller than
    Adam's; λ is decoupled weight decay, as in AdamW.
    """

    keeps_grads = False
    state_names = ("m",)

    def __init__(self, params, lr: float = 1e-4, beta1: float = 0.9, beta2: float = 0.99,
                 weight_decay: float = 0.0):
        super().__init__(params, lr)
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {name}={beta!r}")
        self.beta1, self.beta2, self.weight_decay = beta1, beta2, weight_decay
        self.config = {"lr": lr, "beta1": beta1, "beta2": beta2, "weight_decay": weight_decay}
        self.m = {key: linalg.zeros_like(value) for key, value in params.items()}

    def step(self, grads):
        lr, b1, b2, wd = self.lr, self.beta1, self.beta2, self.weight_decay
        for key, param in self.params.items():
            for w, g, m in zip(linalg.leaves(param), linalg.leaves(grads[key]),
                               linalg.leaves(self.m[key])):
                w[:] = [wi - lr * (sign(b1 * mi + (1.0 - b1) * gi) + wd * wi)
                        for wi, gi, mi in zip(w, g, m)]
                m[:] = [b2 * mi + (1.0 - b2) * gi for gi, mi in zip(g, m)]
