"""The weights shipped inside purenn (purenn/pretrained): the book's chapter 3 network by
name, from the command line and from Python, identical to the book's file."""

import filecmp
import os

import pytest
from dlfs_book import DLFS_DIR
from helpers import needs_mnist, run_purenn

import purenn
from purenn import pretrained
from purenn.data import mnist
from purenn.errors import ModelFileError


def test_the_shipped_file_is_the_books_and_has_its_notice():
    path = pretrained.path("book:ch03")
    assert os.path.basename(path) == "ch03_sample_weight.npz"
    notice = os.path.join(os.path.dirname(path), "LICENSE-deep-learning-from-scratch.md")
    with open(notice, encoding="utf-8") as f:
        text = f.read()
    assert "Copyright (c) 2016 Koki Saitoh" in text and "The MIT License" in text
    reference = os.path.join(DLFS_DIR, "ch03_sample_weight.npz")
    if os.path.isfile(reference):
        assert filecmp.cmp(path, reference, shallow=False)


def test_load_builds_the_books_network_with_its_weights():
    net = pretrained.load("book:ch03")
    assert [name for name, _ in net.layers] == [
        "dense1", "sigmoid1", "dense2", "sigmoid2", "dense3"]
    assert len(net.params["dense1.W"]) == 784 and len(net.params["dense1.W"][0]) == 50
    # the first weight of the book's W1, a float32 read as the float64 it equals
    assert net.params["dense1.W"][0][0] == -0.007412489037960768
    _, test = mnist.load()
    x, t = test.batch(range(100))
    assert net.accuracy(x, t) == 0.96


def test_unknown_name_is_one_line_with_a_suggestion():
    with pytest.raises(ModelFileError, match=r"no shipped weights named 'book:ch3'; "
                                             r"did you mean 'book:ch03'\?"):
        pretrained.path("book:ch3")


def test_a_file_path_is_left_alone(tmp_path):
    assert pretrained.resolve("w.npz") == "w.npz"
    existing = tmp_path / "book:ch03"
    existing.write_bytes(b"")
    assert pretrained.resolve(str(existing)) == str(existing)


def test_import_takes_the_shipped_name(tmp_path):
    out = tmp_path / "ch03.safetensors"
    done = run_purenn("import", "book:ch03", "--spec", "three_layer_sigmoid", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "W1 (784, 50) -> dense1.W" in done.stdout
    net = purenn.load(str(out))
    assert net.params == pretrained.load("book:ch03").params
    bad = run_purenn("import", "book:ch04", "--spec", "three_layer_sigmoid", "-o", str(out))
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("error: no shipped weights named 'book:ch04'")


# the shipped file is the book's own (checked above), whose count on the full test set
# test_dlfs.py checks in every run: this one is for a clone without ../shared's weights
@pytest.mark.slow
def test_the_books_accuracy_on_the_full_test_set():
    _, test = mnist.load(needs_mnist())
    net = pretrained.load("book:ch03")
    x, t = test.batch(range(len(test)))
    assert round(net.accuracy(x, t) * len(test)) == 9352
