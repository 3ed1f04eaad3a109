"""Data sets: the IDX format, MNIST-shaped sets (full, cached or the bundled subset),
CS231n's spiral and the other 2-D sets (planar), every set's name and the one loader
for them all (sets), and MNIST-style preprocessing of pictures (preprocess).
Submodules are imported on first use."""

import importlib

__all__ = ["Dataset", "idx", "mnist", "planar", "preprocess", "sets", "spiral"]


def __getattr__(name):
    if name == "Dataset":
        from .dataset import Dataset
        return Dataset
    if name in ("idx", "mnist", "planar", "preprocess", "sets", "spiral"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'purenn.data' has no attribute {name!r}")
