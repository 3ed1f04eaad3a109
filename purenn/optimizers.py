"""Optimizers: how parameters move, given their gradients.

An optimizer is created for a network's ``params`` (a dict of nested lists) and updates
them in place on every ``step(grads)``; the lists a network holds stay the same objects.
Its per-parameter state is created with it, and ``state_dict()`` /
``load_state_dict(state)`` save and restore it exactly.
"""

from . import linalg


class Optimizer:
    """Base class and contract of every optimizer."""

    def __init__(self, params, lr):
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got lr={lr!r}")
        self.params = params
        self.lr = lr
        self.config = {"lr": lr}

    def step(self, grads):
        raise NotImplementedError

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


class SGD(Optimizer):
    """Stochastic gradient descent: W ← W − lr·∂L/∂W for every parameter W."""

    def __init__(self, params, lr: float = 0.01):
        super().__init__(params, lr)

    def step(self, grads):
        for key, param in self.params.items():
            linalg.axpy_(param, -self.lr, grads[key])
