"""Data sets: the IDX format, MNIST (full or the bundled subset) and CS231n's spiral."""

from . import idx, mnist, spiral
from .dataset import Dataset

__all__ = ["Dataset", "idx", "mnist", "spiral"]
