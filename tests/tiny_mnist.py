"""Tiny MNIST-shaped IDX folders for fast CLI tests: the first images of the bundled
subset, written with purenn.data.idx.write_idx."""

import os

from purenn.data import mnist
from purenn.data.idx import write_idx


def write_tiny_mnist(folder, train_count=120, test_count=40):
    """Write the four IDX files of a tiny MNIST into ``folder``; returns the folder."""
    os.makedirs(folder, exist_ok=True)
    train, test = mnist.load()
    for prefix, data, count in (("train", train, train_count), ("t10k", test, test_count)):
        pixels = bytes(data.features[:count * 784])
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), (count, 28, 28),
                  pixels)
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), (count,),
                  bytes(data.labels[:count]))
    return str(folder)
