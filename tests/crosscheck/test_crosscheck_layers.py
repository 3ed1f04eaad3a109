"""Every built-in layer and loss (and purenn-conv's, when installed) against NumPy: the
forward output and every gradient to 1e-10 in float64, with the formulas written again
in NumPy, not taken from purenn. With PyTorch installed, also against its autograd."""

import random

import pytest

from purenn import registry

np = pytest.importorskip("numpy")

TOLERANCE = 1e-10
N = 5


def close(actual, expected):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    assert np.max(np.abs(actual - expected), initial=0.0) <= TOLERANCE


def rng():
    return np.random.default_rng(7)


def make(name, input_shape, **args):
    layer = registry.load_entry("purenn.layers", name)(**args)
    output_shape = layer.build(tuple(input_shape), random.Random(0))
    return layer, tuple(output_shape)


def set_params(layer, gen, scale=1.0):
    """Fresh random values for every parameter (so that zeros hide nothing)."""
    values = {}
    for key, value in layer.params.items():
        shape = np.shape(value)
        array = gen.standard_normal(shape) * scale
        layer.params[key] = array.tolist()
        values[key] = array
    return values


def run(layer, x, dout, train=True):
    y = layer.forward(np.asarray(x).tolist(), train)
    dx = layer.backward(np.asarray(dout).tolist())
    return np.array(y), np.array(dx), {k: np.array(v) for k, v in layer.grads.items()}


# -- the built-in layers ----------------------------------------------------------------
def test_dense():
    gen = rng()
    layer, shape = make("dense", (6,), units=4)
    p = set_params(layer, gen)
    x, dout = gen.standard_normal((N, 6)), gen.standard_normal((N, 4))
    y, dx, grads = run(layer, x, dout)
    close(y, x @ p["W"] + p["b"])
    close(dx, dout @ p["W"].T)
    close(grads["W"], x.T @ dout)
    close(grads["b"], dout.sum(axis=0))
    assert shape == (4,)


def test_dense_reads_any_sample_shape_in_c_order():
    gen = rng()
    layer, _ = make("dense", (2, 3, 2), units=3)
    p = set_params(layer, gen)
    x = gen.standard_normal((N, 2, 3, 2))
    y, _, _ = run(layer, x.reshape(N, -1), gen.standard_normal((N, 3)))
    close(y, x.reshape(N, -1) @ p["W"] + p["b"])


@pytest.mark.parametrize("name, forward, derivative", [
    ("relu", lambda x: np.maximum(x, 0.0), lambda x, y: (x > 0).astype(float)),
    ("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x)), lambda x, y: y * (1.0 - y)),
    ("tanh", np.tanh, lambda x, y: 1.0 - y * y),
])
def test_elementwise_activations(name, forward, derivative):
    gen = rng()
    layer, _ = make(name, (7,))
    x, dout = gen.standard_normal((N, 7)) * 3, gen.standard_normal((N, 7))
    y, dx, _ = run(layer, x, dout)
    close(y, forward(x))
    close(dx, dout * derivative(x, forward(x)))


def np_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_softmax():
    gen = rng()
    layer, _ = make("softmax", (6,))
    x, dout = gen.standard_normal((N, 6)) * 4, gen.standard_normal((N, 6))
    y, dx, _ = run(layer, x, dout)
    s = np_softmax(x)
    # the Jacobian diag(s) − s sᵀ applied to dout, row by row
    jacobians = np.einsum("nk,kj->nkj", s, np.eye(6)) - np.einsum("nk,nj->nkj", s, s)
    close(y, s)
    close(dx, np.einsum("nkj,nk->nj", jacobians, dout))


@pytest.mark.parametrize("inverted", [True, False])
def test_dropout(inverted):
    gen = rng()
    layer, _ = make("dropout", (8,), ratio=0.3, inverted=inverted)
    x, dout = gen.standard_normal((N, 8)), gen.standard_normal((N, 8))
    y, dx, _ = run(layer, x, dout, train=True)
    mask = np.array(layer.mask)
    kept = 1.0 / 0.7 if inverted else 1.0
    assert set(np.unique(mask)) <= {0.0, kept}
    close(y, x * mask)
    close(dx, dout * mask)
    y, dx, _ = run(layer, x, dout, train=False)
    close(y, x if inverted else x * 0.7)
    close(dx, dout if inverted else dout * 0.7)


def test_batchnorm_training_and_inference():
    gen = rng()
    layer, _ = make("batchnorm", (6,), momentum=0.8, eps=1e-5)
    p = set_params(layer, gen)
    x, dout = gen.standard_normal((N, 6)) * 2 + 1, gen.standard_normal((N, 6))
    y, dx, grads = run(layer, x, dout, train=True)
    mu, var = x.mean(axis=0), x.var(axis=0)
    std = np.sqrt(var + 1e-5)
    xhat = (x - mu) / std
    close(y, p["gamma"] * xhat + p["beta"])
    dxhat = dout * p["gamma"]
    # the compact form of the chain rule through μ and σ² (not the book's step by step)
    close(dx, (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
          / (N * std))
    close(grads["gamma"], (dout * xhat).sum(axis=0))
    close(grads["beta"], dout.sum(axis=0))
    close(layer.buffers["running_mean"], 0.2 * mu)
    close(layer.buffers["running_var"], 0.2 * var)
    y, dx, _ = run(layer, x, dout, train=False)
    scale = p["gamma"] / np.sqrt(0.2 * var + 1e-5)
    close(y, (x - 0.2 * mu) * scale + p["beta"])
    close(dx, dout * scale)


def test_every_built_in_layer_is_checked_here():
    assert set(registry.BUILTINS["purenn.layers"]) == {
        "dense", "relu", "sigmoid", "tanh", "softmax", "dropout", "batchnorm"}
    assert set(registry.BUILTINS["purenn.losses"]) == {
        "softmax_cross_entropy", "mean_squared_error", "multiclass_svm"}


# -- the built-in losses ----------------------------------------------------------------
def make_loss(name, **args):
    return registry.load_entry("purenn.losses", name)(**args)


def one_hot(labels, k):
    return np.eye(k)[labels]


def loss_run(loss, x, t):
    value = loss.forward(np.asarray(x).tolist(), t)
    return value, np.array(loss.backward(1.0))


@pytest.mark.parametrize("as_rows", [False, True])
def test_softmax_cross_entropy(as_rows):
    gen = rng()
    x = gen.standard_normal((N, 5)) * 3
    labels = gen.integers(0, 5, N)
    t = one_hot(labels, 5)
    value, dx = loss_run(make_loss("softmax_cross_entropy"), x,
                         t.tolist() if as_rows else labels.tolist())
    s = np_softmax(x)
    assert abs(value - (-np.sum(t * np.log(s)) / N)) <= TOLERANCE
    close(dx, (s - t) / N)


def test_softmax_cross_entropy_with_soft_targets():
    gen = rng()
    x = gen.standard_normal((N, 4))
    t = gen.random((N, 4))
    value, dx = loss_run(make_loss("softmax_cross_entropy"), x, t.tolist())
    s = np_softmax(x)
    assert abs(value - (-np.sum(t * np.log(s)) / N)) <= TOLERANCE
    close(dx, (s * t.sum(axis=1, keepdims=True) - t) / N)


def test_mean_squared_error():
    gen = rng()
    y, t = gen.standard_normal((N, 4)), gen.standard_normal((N, 4))
    value, dx = loss_run(make_loss("mean_squared_error"), y, t.tolist())
    assert abs(value - 0.5 * np.sum((y - t) ** 2) / N) <= TOLERANCE
    close(dx, (y - t) / N)


def test_multiclass_svm():
    gen = rng()
    x = gen.standard_normal((N, 6))
    labels = gen.integers(0, 6, N)
    value, dx = loss_run(make_loss("multiclass_svm", margin=0.7), x, labels.tolist())
    correct = x[np.arange(N), labels][:, None]
    margins = np.maximum(0.0, x - correct + 0.7)
    margins[np.arange(N), labels] = 0.0
    assert abs(value - margins.sum() / N) <= TOLERANCE
    expected = (margins > 0).astype(float)
    expected[np.arange(N), labels] = -expected.sum(axis=1)
    close(dx, expected / N)


# -- purenn-conv, when installed --------------------------------------------------------
def needs_conv():
    if "conv2d" not in registry.discover("purenn.layers"):
        pytest.skip("purenn-conv is not installed")


def windows(xp, k, stride):
    from numpy.lib.stride_tricks import sliding_window_view
    return sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]


@pytest.mark.parametrize("channels, filters, k, stride, pad, size", [
    (1, 3, 5, 1, 0, 12), (2, 4, 3, 1, 1, 7), (3, 2, 3, 2, 2, 9), (2, 3, 2, 3, 0, 8),
])
def test_conv2d(channels, filters, k, stride, pad, size):
    needs_conv()
    gen = rng()
    layer, out_shape = make("conv2d", (channels, size, size), filters=filters, kernel=k,
                            stride=stride, pad=pad)
    p = set_params(layer, gen)
    x = gen.standard_normal((N, channels, size, size))
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = windows(xp, k, stride)
    out = (size + 2 * pad - k) // stride + 1
    assert out_shape == (filters, out, out)
    dout = gen.standard_normal((N, filters, out, out))
    y, dx, grads = run(layer, x.reshape(N, -1), dout.reshape(N, -1))
    close(y.reshape(dout.shape),
          np.einsum("ncijab,fcab->nfij", win, p["W"]) + p["b"][None, :, None, None])
    close(grads["W"], np.einsum("ncijab,nfij->fcab", win, dout))
    close(grads["b"], dout.sum(axis=(0, 2, 3)))
    dxp = np.zeros_like(xp)
    for a in range(k):
        for b in range(k):
            dxp[:, :, a:a + stride * out:stride, b:b + stride * out:stride] += \
                np.einsum("nfij,fc->ncij", dout, p["W"][:, :, a, b])
    close(dx.reshape(x.shape), dxp[:, :, pad:pad + size, pad:pad + size])


@pytest.mark.parametrize("name", ["maxpool2d", "avgpool2d"])
@pytest.mark.parametrize("size, stride, pad, image", [(2, 2, 0, 8), (3, 1, 0, 6),
                                                      (2, 2, 1, 7)])
def test_pooling(name, size, stride, pad, image):
    needs_conv()
    gen = rng()
    layer, out_shape = make(name, (3, image, image), size=size, stride=stride, pad=pad)
    x = gen.standard_normal((N, 3, image, image))
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = windows(xp, size, stride)
    out = win.shape[2]
    assert out_shape == (3, out, out)
    dout = gen.standard_normal((N, 3, out, out))
    y, dx, _ = run(layer, x.reshape(N, -1), dout.reshape(N, -1))
    dxp = np.zeros_like(xp)
    if name == "maxpool2d":
        close(y.reshape(dout.shape), win.max(axis=(4, 5)))
        first = win.reshape(*win.shape[:4], -1).argmax(axis=4)  # NumPy: the first maximum
        for n, c, i, j in np.ndindex(*first.shape):
            a, b = divmod(first[n, c, i, j], size)
            dxp[n, c, i * stride + a, j * stride + b] += dout[n, c, i, j]
    else:
        close(y.reshape(dout.shape), win.mean(axis=(4, 5)))
        for a in range(size):
            for b in range(size):
                dxp[:, :, a:a + stride * out:stride, b:b + stride * out:stride] += \
                    dout / size ** 2
    close(dx.reshape(x.shape), dxp[:, :, pad:pad + image, pad:pad + image])


def test_flatten():
    needs_conv()
    gen = rng()
    layer, shape = make("flatten", (2, 3, 4))
    x, dout = gen.standard_normal((N, 24)), gen.standard_normal((N, 24))
    y, dx, _ = run(layer, x, dout)
    assert shape == (24,)
    close(y, x)
    close(dx, dout)


# -- PyTorch, when installed ------------------------------------------------------------
def test_a_network_against_torch_autograd():
    torch = pytest.importorskip("torch")
    import purenn

    net = purenn.build("input 6\ndense 5\ntanh\ndense 4\nsigmoid\ndense 3\n"
                       "loss softmax_cross_entropy\n")
    gen = rng()
    x = gen.standard_normal((N, 6))
    labels = gen.integers(0, 3, N)
    grads = net.gradient(x.tolist(), labels.tolist())
    params = {k: torch.tensor(np.array(v), dtype=torch.float64, requires_grad=True)
              for k, v in net.params.items()}
    h = torch.tensor(x, dtype=torch.float64)
    h = torch.tanh(h @ params["dense1.W"] + params["dense1.b"])
    h = torch.sigmoid(h @ params["dense2.W"] + params["dense2.b"])
    h = h @ params["dense3.W"] + params["dense3.b"]
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(labels))
    loss.backward()
    assert abs(net.last_loss - loss.item()) <= TOLERANCE
    for key, tensor in params.items():
        close(grads[key], tensor.grad.numpy())


def test_conv2d_against_torch():
    torch = pytest.importorskip("torch")
    needs_conv()
    gen = rng()
    layer, _ = make("conv2d", (2, 7, 7), filters=3, kernel=3, stride=2, pad=1)
    p = set_params(layer, gen)
    x = gen.standard_normal((N, 2, 7, 7))
    dout = gen.standard_normal((N, 3, 4, 4))
    y, dx, grads = run(layer, x.reshape(N, -1), dout.reshape(N, -1))
    tx = torch.tensor(x, requires_grad=True)
    tW = torch.tensor(p["W"], requires_grad=True)
    tb = torch.tensor(p["b"], requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tW, tb, stride=2, padding=1)
    ty.backward(torch.tensor(dout))
    close(y.reshape(dout.shape), ty.detach().numpy())
    close(dx.reshape(x.shape), tx.grad.numpy())
    close(grads["W"], tW.grad.numpy())
    close(grads["b"], tb.grad.numpy())
