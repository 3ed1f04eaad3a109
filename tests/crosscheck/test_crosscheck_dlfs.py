"""The book's answers, recomputed with NumPy: the constants of tests/dlfs_book.py.

The book's code, written again with NumPy and nothing of purenn: MNIST read from the IDX
files, x/255 as float32, affine x·W + b, convolution by im2col, 2x2 max pooling,
channel-major flattening, the book's dropout x·(1 − 0.5) at inference, argmax.
"""

import gzip
import os

import pytest
from dlfs_book import BOOK
from helpers import needs_mnist

np = pytest.importorskip("numpy")


@pytest.fixture(scope="module")
def test_set():
    folder = needs_mnist()
    with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(folder, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


def scaled(pixels, dtype=np.float32):
    """The book's x/255 (float32); float64 is what purenn computes."""
    return pixels.astype(dtype) / dtype(255.0)


def weights(book):
    if not os.path.isfile(book.path):
        pytest.skip(f"{book.weights} not found in ../shared/reference/dlfs")
    with np.load(book.path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def relu(a):
    return np.maximum(a, 0)


def conv(x, W, b, pad):
    """The book's Convolution.forward: im2col, then one matrix product."""
    from numpy.lib.stride_tricks import sliding_window_view

    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, _, _ = x.shape
    f, _, kh, kw = W.shape
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))
    oh, ow = win.shape[2:4]
    col = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
    out = col @ W.reshape(f, -1).T + b
    return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)


def pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def ch03(x, p):
    x = x.reshape(len(x), -1)
    z1 = sigmoid(x @ p["W1"] + p["b1"])
    z2 = sigmoid(z1 @ p["W2"] + p["b2"])
    return z2 @ p["W3"] + p["b3"]  # softmax does not change the argmax


def ch07(x, p):
    h = pool(relu(conv(x, p["W1"], p["b1"], 0)))
    h = relu(h.reshape(len(x), -1) @ p["W2"] + p["b2"])
    return h @ p["W3"] + p["b3"]


def ch08(x, p, dropout_scale=0.5):
    h = x
    for block in ((1, 1, 2, 1), (3, 1, 4, 2), (5, 1, 6, 1)):
        i, pad_i, j, pad_j = block
        h = relu(conv(h, p[f"W{i}"], p[f"b{i}"], pad_i))
        h = pool(relu(conv(h, p[f"W{j}"], p[f"b{j}"], pad_j)))
    h = relu(h.reshape(len(x), -1) @ p["W7"] + p["b7"]) * dropout_scale
    return (h @ p["W8"] + p["b8"]) * dropout_scale


FORWARD = {"ch03": ch03, "ch07": ch07, "ch08": ch08}


def answers(chapter, images, p, indices, **options):
    indices = np.asarray(indices)
    scores = [FORWARD[chapter](scaled(images[indices[i:i + 500]]), p, **options)
              for i in range(0, len(indices), 500)]
    return np.concatenate(scores).argmax(axis=1)


@pytest.mark.parametrize("chapter", ["ch03", "ch07", "ch08"])
def test_the_books_answers_on_the_fast_slices(chapter, test_set):
    images, labels = test_set
    book = BOOK[chapter]
    p = weights(book)
    guesses = answers(chapter, images, p, book.fast)
    wrong = {int(i): int(g) for i, g in zip(book.fast, guesses) if g != labels[i]}
    if chapter == "ch03":
        assert len(book.fast) - len(wrong) == book.correct
    else:
        assert wrong == book.fast_wrong


def test_the_books_count_for_chapter_7(test_set):
    images, labels = test_set
    book = BOOK["ch07"]
    guesses = answers("ch07", images, weights(book), range(len(labels)))
    assert int((guesses == labels).sum()) == book.correct == 9600


@pytest.mark.slow
def test_the_books_count_for_chapter_8_and_why_dropout_matters(test_set):
    images, labels = test_set
    book = BOOK["ch08"]
    p = weights(book)
    every = range(len(labels))
    assert int((answers("ch08", images, p, every) == labels).sum()) == book.correct == 9797
    inverted = answers("ch08", images, p, every, dropout_scale=1.0)
    assert int((inverted == labels).sum()) == 9796


def test_float32_and_float64_give_the_same_answers(test_set):
    images, labels = test_set
    book = BOOK["ch03"]
    p = weights(book)
    in_float32 = ch03(scaled(images), p)
    in_float64 = ch03(scaled(images, np.float64), {k: v.astype(np.float64)
                                                   for k, v in p.items()})
    assert in_float32.dtype == np.float32
    assert np.abs(in_float32 - in_float64).max() < 1e-5
    top2 = np.sort(in_float64, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0]).min() > 2e-3
    assert np.array_equal(in_float32.argmax(axis=1), in_float64.argmax(axis=1))
