"""The book's pretrained networks through `purenn import`: exactly the book's answers.

Each test imports the book's .npz into the shipped spec with `python3 -m purenn import`
(in process), loads the model file it wrote with purenn.load and counts the correct
answers on the MNIST test set; see dlfs_book.py for where the counts come from. Skipped
without ../shared (weights or MNIST) and, for the convnets, without purenn-conv.
"""

import os

import pytest
from dlfs_book import BOOK
from helpers import needs_mnist

import purenn
from purenn import cli, linalg, registry
from purenn.data import mnist


@pytest.fixture(scope="module")
def mnist_test():
    _, test = mnist.load(needs_mnist())
    return test


def needs_weights(book):
    if not os.path.isfile(book.path):
        pytest.skip(f"{book.weights} not found in ../shared/reference/dlfs")


def needs_conv():
    if "conv2d" not in registry.discover("purenn.layers"):
        pytest.skip("purenn-conv is not installed (python -m pip install plugins/purenn-conv)")


def imported(book, folder):
    """The network `purenn import` makes of the book's weights, and what it printed."""
    needs_weights(book)
    lines = []
    out = os.path.join(folder, book.spec + ".safetensors")
    code = cli.main(["import", book.path, "--spec", book.spec, "-o", out], out=lines.append)
    assert code == 0
    return purenn.load(out), lines


def answers(net, test, indices, batch_size=100):
    """(number correct, {index: answer} of the wrong ones) over ``indices``."""
    indices = list(indices)
    correct, wrong = 0, {}
    for start in range(0, len(indices), batch_size):
        chunk = indices[start:start + batch_size]
        x, labels = test.batch(chunk)
        for i, scores, label in zip(chunk, net.predict(x), labels):
            guess = linalg.argmax(scores)
            if guess == label:
                correct += 1
            else:
                wrong[i] = guess
    return correct, wrong


def test_chapter_3_network_counts_exactly_the_books_9352(mnist_test, tmp_path):
    book = BOOK["ch03"]
    net, lines = imported(book, tmp_path)
    assert lines == [
        "W1 (784, 50) -> dense1.W         float32, by order",
        "b1 (50,)     -> dense1.b         float32, by order",
        "W2 (50, 100) -> dense2.W         float32, by order",
        "b2 (100,)    -> dense2.b         float32, by order",
        "W3 (100, 10) -> dense3.W         float32, by order",
        "b3 (10,)     -> dense3.b         float32, by order",
        f"wrote {tmp_path / 'three_layer_sigmoid.safetensors'}: 6 tensors, "
        f"spec three_layer_sigmoid.net",
    ]
    assert len(mnist_test) == 10_000
    correct, _ = answers(net, mnist_test, book.fast)
    assert correct == book.correct == 9352


@pytest.mark.parametrize("chapter", ["ch07", "ch08"])
def test_convnets_give_the_books_answers_on_a_slice(chapter, mnist_test, tmp_path):
    needs_conv()
    book = BOOK[chapter]
    net, _ = imported(book, tmp_path)
    correct, wrong = answers(net, mnist_test, book.fast)
    assert wrong == book.fast_wrong
    assert correct == book.fast_correct


@pytest.mark.slow
@pytest.mark.parametrize("chapter", ["ch07", "ch08"])
def test_convnets_count_exactly_the_books_on_the_full_test_set(chapter, mnist_test,
                                                               tmp_path):
    needs_conv()
    book = BOOK[chapter]
    net, _ = imported(book, tmp_path)
    correct, _ = answers(net, mnist_test, range(len(mnist_test)))
    assert correct == book.correct
