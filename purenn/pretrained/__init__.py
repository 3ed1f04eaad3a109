"""Trained weights shipped inside purenn, by name, so a fresh clone needs no download.

    book:ch03   the book's chapter 3 network (its ch03/sample_weight.pkl as .npz),
                784-50-100-10 sigmoid, spec ``three_layer_sigmoid``: 9352 of the 10,000
                MNIST test images right, as the book's ``Accuracy:0.9352``

From the command line a shipped name stands wherever a weights file does::

    python3 -m purenn import book:ch03 --spec three_layer_sigmoid -o ch03.safetensors

From Python, ``load`` builds the network with the weights in it::

    net = purenn.pretrained.load("book:ch03")

``DIGITS_READER`` is a purenn model file: the playground's digit reader, spec
``digits_reader`` (784-100-10 ReLU, Adam), 97.80 % of the MNIST test images right, made on
full MNIST by ``pypy3 -m purenn train --data ../shared/data/mnist --spec digits_reader.net
--epochs 10 --batch-size 100 --seed 0 --out digits.safetensors``::

    net = purenn.load(purenn.pretrained.DIGITS_READER)

The book's files are MIT-licensed; the notice is LICENSE-deep-learning-from-scratch.md
beside them.
"""

import difflib
import os

from ..errors import ModelFileError

PREFIX = "book:"
DIGITS_READER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "digits_reader.safetensors")

# name -> (file in this folder, shipped spec that the arrays fit)
SHIPPED = {
    "book:ch03": ("ch03_sample_weight.npz", "three_layer_sigmoid"),
}


def is_shipped_name(ref):
    """True when ``ref`` is meant as a shipped name (``book:...``), not a file."""
    return isinstance(ref, str) and ref.startswith(PREFIX) and not os.path.exists(ref)


def path(name):
    """The file of the shipped weights ``name``; an unknown name is a one-line error."""
    if name not in SHIPPED:
        close = difflib.get_close_matches(name, list(SHIPPED), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ModelFileError(f"no shipped weights named {name!r}{hint} "
                             f"(shipped: {', '.join(SHIPPED)})")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), SHIPPED[name][0])


def resolve(ref):
    """A weights reference as a file path: a shipped name becomes its file, a path stays."""
    return path(ref) if is_shipped_name(ref) else ref


def spec_of(name):
    """The name of the shipped spec the weights ``name`` fit."""
    path(name)
    return SHIPPED[name][1]


def load(name):
    """The network of the shipped weights ``name``, built from its spec, weights in."""
    from ..formats import npy
    from ..spec import build
    from ..weights import load_into

    file = path(name)
    net = build(spec_of(name))
    load_into(net, npy.read_arrays(file), source=os.path.basename(file))
    return net
