"""MNIST: 28x28 grayscale digits, from a folder of the four official IDX files or from
the subset bundled with purenn (the first 10,000 training and 2,000 test images of the
official files, so that training works on a fresh machine with no network).

Pixels are kept as bytes and scaled to [0, 1] (x/255) a batch at a time.
"""

import os
from importlib import resources

from ..errors import DataError
from .dataset import Dataset
from .idx import read_idx

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
NUM_CLASSES = 10
SCALE = [i / 255.0 for i in range(256)]
RAW = [float(i) for i in range(256)]


def bundled_dir():
    """The folder of the bundled subset inside the installed package."""
    return os.fspath(resources.files("purenn") / "data" / "mnist_subset")


def find_file(folder, name):
    """The path of an MNIST file in a folder, gzip-compressed or not."""
    for candidate in (name, name[:-3]):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    raise DataError(f"{folder}: no {name} (or {name[:-3]}) in this folder; it needs the "
                    f"four MNIST files {', '.join(FILES.values())}")


def _load_pair(images_path, labels_path, normalize, one_hot, name):
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.type_code != 0x08 or len(images.dims) != 3:
        raise DataError(f"{images_path}: expected unsigned-byte images of 3 dimensions "
                        f"(count x rows x cols), got type 0x{images.type_code:02X} with "
                        f"sizes {'x'.join(map(str, images.dims))}")
    if labels.type_code != 0x08 or len(labels.dims) != 1:
        raise DataError(f"{labels_path}: expected unsigned-byte labels of 1 dimension, got "
                        f"type 0x{labels.type_code:02X} with sizes "
                        f"{'x'.join(map(str, labels.dims))}")
    if images.dims[0] != labels.dims[0]:
        raise DataError(f"{images_path} holds {images.dims[0]} images but {labels_path} "
                        f"holds {labels.dims[0]} labels")
    bad = next((v for v in labels.data if v >= NUM_CLASSES), None)
    if bad is not None:
        raise DataError(f"{labels_path}: label {bad!r} is not a digit 0-9")
    return Dataset(images.data, labels.data, (1,) + images.dims[1:], NUM_CLASSES,
                   table=SCALE if normalize else RAW, one_hot=one_hot, name=name)


def load(data_dir=None, *, normalize=True, one_hot=False):
    """(train, test) data sets from ``data_dir`` (the four official files), or from the
    bundled subset when ``data_dir`` is None."""
    folder = data_dir if data_dir is not None else bundled_dir()
    if not os.path.isdir(folder):
        raise DataError(f"{folder}: no such folder")
    paths = {key: find_file(folder, name) for key, name in FILES.items()}
    source = "bundled subset" if data_dir is None else folder
    train = _load_pair(paths["train_images"], paths["train_labels"], normalize, one_hot,
                       f"MNIST train ({source})")
    test = _load_pair(paths["test_images"], paths["test_labels"], normalize, one_hot,
                      f"MNIST test ({source})")
    return train, test


def export_subset(src_dir, dst_dir, train_count, test_count):
    """Write the first ``train_count`` training and ``test_count`` test images (and their
    labels) of the MNIST files in ``src_dir`` to ``dst_dir`` as valid IDX.gz files."""
    from .idx import write_idx

    os.makedirs(dst_dir, exist_ok=True)
    for prefix, count in (("train", train_count), ("test", test_count)):
        images = read_idx(find_file(src_dir, FILES[f"{prefix}_images"]))
        labels = read_idx(find_file(src_dir, FILES[f"{prefix}_labels"]))
        if count > images.dims[0]:
            raise DataError(f"{src_dir}: asked for {count} {prefix} images, it holds only "
                            f"{images.dims[0]}")
        rows, cols = images.dims[1:]
        write_idx(os.path.join(dst_dir, FILES[f"{prefix}_images"]), (count, rows, cols),
                  images.data[:count * rows * cols])
        write_idx(os.path.join(dst_dir, FILES[f"{prefix}_labels"]), (count,),
                  labels.data[:count])
