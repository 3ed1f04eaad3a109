"""Named arrays from whichever NumPy file a learner has: ``.npz``, ``.npy``, or a pickle
of arrays (the book's ``.pkl`` files), told apart by their first bytes (a file named
``.pkl`` that starts like none of them is read as a pickle, to say what is wrong)."""

import os

from ..errors import ModelFileError
from ..fileio import open_regular
from . import npy, pkl

PICKLE_SUFFIXES = (".pkl", ".pickle")


def read_arrays(path, *, max_bytes=npy.MAX_BYTES, keep=None):
    """Tensors by name, in the file's order: the members of an ``.npz``, the one array
    of a ``.npy`` (named after the file), or the dict of arrays of a pickle. With
    ``keep(name, shape, dtype)``, an .npz or .npy array it does not keep is not decoded
    (its ``values`` None; a pickle is decoded whole)."""
    path = os.fspath(path)
    try:
        with open_regular(path, ModelFileError) as f:
            head = f.read(8)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot open: {exc.strerror or exc}") from None
    numpy_file = head.startswith((npy.MAGIC, npy.ZIP_MAGIC, npy.EMPTY_ZIP_MAGIC))
    if not numpy_file and (pkl.is_pickle(head) or path.lower().endswith(PICKLE_SUFFIXES)):
        return pkl.read_pickle(path, max_bytes=max_bytes)
    return npy.read_arrays(path, max_bytes=max_bytes, keep=keep)
