"""The book's optimizers (its current common/optimizer.py, Nesterov as fixed in 2021) run
under NumPy against purenn's, bit for bit: the three hand-worked updates and the chapter 6
race of tests/test_optimizers.py, whose recorded numbers this recomputes.

The NumPy updates below follow the book's statements one for one (in-place ``+=``,
``-=``, ``*=`` on float64 arrays), so each floating-point operation happens in the same
order as in the book.
"""

import math

import pytest
from test_optimizers import FIRST_THREE, RACE

from purenn import registry

np = pytest.importorskip("numpy")


class BookSGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params:
            params[key] -= self.lr * grads[key]


class BookMomentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class BookNesterov:
    """The book's Nesterov since its 2021 fix: W moves by the previous v."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            params[key] += self.momentum * self.momentum * self.v[key]
            params[key] -= (1 + self.momentum) * self.lr * grads[key]
            self.v[key] *= self.momentum
            self.v[key] -= self.lr * grads[key]


class BookAdaGrad:
    def __init__(self, lr=0.01):
        self.lr, self.h = lr, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class BookRMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr, self.decay_rate, self.h = lr, decay_rate, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class BookAdam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter, self.m, self.v = 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


BOOK = {"sgd": BookSGD, "momentum": BookMomentum, "nesterov": BookNesterov,
        "adagrad": BookAdaGrad, "rmsprop": BookRMSprop, "adam": BookAdam}


def purenn_optimizer(name, params, lr):
    return registry.load_entry("purenn.optimizers", name)(params, lr=lr)


@pytest.mark.parametrize("name", list(BOOK))
def test_the_first_three_updates_equal_the_books(name):
    book = BOOK[name](lr=0.1)
    arrays = {"W": np.array([[1.0]])}
    params = {"W": [[1.0]]}
    opt = purenn_optimizer(name, params, 0.1)
    for g, recorded in zip([0.5, -1.0, 2.0], FIRST_THREE[name]):
        book.update(arrays, {"W": np.array([[g]])})
        opt.step({"W": [[g]]})
        assert params["W"][0][0] == float(arrays["W"][0, 0])  # bit for bit
        assert params["W"][0][0] == pytest.approx(recorded, rel=1e-12, abs=1e-15)


def book_race(name, lr):
    """The book's optimizer on f(x, y) = x²/20 + y² from (−7, 2): 30 updates; the end
    point and the length of the path, as tests/test_optimizers.py records them."""
    book = BOOK[name](lr=lr)
    params = {"x": np.array([-7.0]), "y": np.array([2.0])}
    path = 0.0
    for _ in range(30):
        x, y = float(params["x"][0]), float(params["y"][0])
        book.update(params, {"x": params["x"] / 10.0, "y": 2.0 * params["y"]})
        path += math.hypot(float(params["x"][0]) - x, float(params["y"][0]) - y)
    return float(params["x"][0]), float(params["y"][0]), path


@pytest.mark.parametrize("name", list(BOOK))
def test_the_race_equals_the_books_bit_for_bit(name):
    lr, x_end, y_end, path_end = RACE[name]
    x, y, path = book_race(name, lr)
    # the end points bit for bit; the path's length to a few bits, since
    # math.hypot is correctly rounded only from Python 3.10 on
    assert (x, y) == (x_end, y_end)
    assert path == pytest.approx(path_end, rel=1e-14)

    params = {"x": [-7.0], "y": [2.0]}
    opt = purenn_optimizer(name, params, lr)
    path = 0.0
    for _ in range(30):
        x, y = params["x"][0], params["y"][0]
        opt.step({"x": [x / 10.0], "y": [2.0 * y]})
        path += math.hypot(params["x"][0] - x, params["y"][0] - y)
    assert (params["x"][0], params["y"][0]) == (x_end, y_end)
    assert path == pytest.approx(path_end, rel=1e-14)
