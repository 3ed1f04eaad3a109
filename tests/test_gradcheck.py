"""gradcheck.check_network as the API gives it (issue 12 item 3): on a redrawn copy by
default, sampled entries in large networks, and a warning when a ReLU kink is within h."""

import random
import warnings

import pytest

import purenn
from purenn import gradcheck


def _batch(rng, n, d, k):
    return [[rng.random() for _ in range(d)] for _ in range(n)], [rng.randrange(k)
                                                                  for _ in range(n)]


def test_check_network_redraws_a_copy_and_leaves_the_network_alone():
    rng = random.Random(1)
    net = purenn.build("spiral_net", rng=rng)
    before = net.state_dict()
    x, t = _batch(rng, 4, 2, 3)
    errors = gradcheck.check_network(net, x, t)
    assert set(errors) == set(net.params)
    assert max(errors.values()) < 1e-5
    assert net.state_dict() == before


def test_large_networks_are_sampled(monkeypatch):
    rng = random.Random(2)
    net = purenn.build("input 40\ndense 60\nrelu\ndense 3\nloss softmax_cross_entropy\n",
                       rng=rng)
    assert net.param_count > gradcheck.FULL_CHECK_LIMIT
    x, t = _batch(rng, 2, 40, 3)
    calls = []
    original = gradcheck.central_difference
    monkeypatch.setattr(gradcheck, "central_difference",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    errors = gradcheck.check_network(net, x, t)
    assert max(errors.values()) < 1e-5
    # 30 entries of W1 (2400) and W2 (180), all 60 of b1 would be 30 too, all 3 of b2
    assert len(calls) == 30 + 30 + 30 + 3
    calls.clear()
    gradcheck.check_network(net, x, t, entries=5)
    assert len(calls) == 5 + 5 + 5 + 3


def test_a_relu_input_within_h_of_its_kink_is_warned_about():
    net = purenn.build("input 2\ndense 2\nrelu\ndense 2\nloss softmax_cross_entropy\n")
    net.params["dense1.W"] = [[1.0, 0.5], [0.0, 0.5]]
    net.params["dense1.b"] = [-1.0 + 3e-5, 0.0]
    x, t = [[1.0, 0.0], [0.5, 1.0]], [0, 1]
    messages = []
    gradcheck.check_network(net, x, t, redraw_weights=False, warn=messages.append)
    assert len(messages) == 1
    assert messages[0].startswith("1 of 4 ReLU inputs lie within h = 0.0001 of the kink at 0")
    assert messages[0].endswith("(redraw_weights=True avoids most)")
    with pytest.warns(RuntimeWarning, match="ReLU inputs lie within h"):
        gradcheck.check_network(net, x, t, redraw_weights=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcheck.check_network(net, x, t)      # redrawn: no input near the kink
