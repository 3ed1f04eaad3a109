"""Data sets: the IDX format, MNIST-shaped sets (full, cached or the bundled subset) and
CS231n's spiral. Submodules are imported on first use."""

import importlib

__all__ = ["Dataset", "idx", "mnist", "spiral"]


def __getattr__(name):
    if name == "Dataset":
        from .dataset import Dataset
        return Dataset
    if name in ("idx", "mnist", "spiral"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'purenn.data' has no attribute {name!r}")
