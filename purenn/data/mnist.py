"""MNIST: 28x28 grayscale digits, from a folder of the four official IDX files or from
the subset bundled with purenn (the first 10,000 training and 2,000 test images of the
official files, so that training works on a fresh machine with no network).

Fashion-MNIST and Kuzushiji-MNIST use the same four file names, the same format and ten
classes, so ``load(folder, title=...)`` reads them too.

Pixels are kept as bytes and scaled to [0, 1] (x/255) a batch at a time.
"""

import os
from importlib import resources

from ..errors import DataError
from .dataset import Dataset
from .idx import TYPES, read_idx, read_idx_header

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


def _sizes(dims):
    return "x".join(map(str, dims))


def _check_header(path, header, what, rank, axes):
    """DataError unless the IDX header declares unsigned bytes in ``rank`` dimensions
    (``axes`` names them: 'count x rows x cols')."""
    if header.type_code != 0x08:
        raise DataError(f"{path}: {what} of type 0x{header.type_code:02X} "
                        f"({TYPES[header.type_code][2]}) are not supported; expected "
                        f"0x08 (unsigned byte)")
    if len(header.dims) != rank:
        raise DataError(f"{path}: expected {what} of {rank} dimension"
                        f"{'s' if rank > 1 else ''} ({axes}), got {len(header.dims)}: "
                        f"{_sizes(header.dims)}")


def _check_pair(images_path, labels_path):
    """The checked headers (images, labels) of one split's IDX files: a file declaring a
    million images beside 100 labels is refused before either body is inflated."""
    images = read_idx_header(images_path)
    labels = read_idx_header(labels_path)
    _check_header(images_path, images, "images", 3, "count x rows x cols")
    _check_header(labels_path, labels, "labels", 1, "count")
    if 0 in images.dims:
        raise DataError(f"{images_path}: holds no images (sizes {_sizes(images.dims)})")
    if images.dims[0] != labels.dims[0]:
        raise DataError(f"{images_path} holds {images.dims[0]} images but {labels_path} "
                        f"holds {labels.dims[0]} labels")
    return images, labels


def _read_pair(images_path, labels_path):
    """The images and labels IDX files of one split, their headers checked first."""
    _check_pair(images_path, labels_path)
    labels = read_idx(labels_path)
    biggest = max(labels.data)
    if biggest >= NUM_CLASSES:
        raise DataError(f"{labels_path}: label {biggest!r} at index "
                        f"{labels.data.index(biggest)} is not a class 0-9")
    return read_idx(images_path), labels


def _dataset(images, labels, normalize, one_hot, name):
    return Dataset(images.data, labels.data, (1,) + images.dims[1:], NUM_CLASSES,
                   table=SCALE if normalize else RAW, one_hot=one_hot, name=name)


def load(data_dir=None, *, normalize=True, one_hot=False, title="MNIST",
         check_features=None):
    """(train, test) data sets from ``data_dir`` (the four official files), or from the
    bundled MNIST subset when ``data_dir`` is None. ``title`` names the data set in
    messages (e.g. "Fashion-MNIST" for a folder of Fashion-MNIST files). The four
    headers are checked against each other, and by ``check_features(numbers per
    sample)`` when given (it raises when a network cannot take them), before any file's
    body is read."""
    folder = data_dir if data_dir is not None else bundled_dir()
    if not os.path.isdir(folder):
        raise DataError(f"{folder}: no such folder")
    paths = {key: find_file(folder, name) for key, name in FILES.items()}
    source = "bundled subset" if data_dir is None else folder
    train_head, _ = _check_pair(paths["train_images"], paths["train_labels"])
    test_head, _ = _check_pair(paths["test_images"], paths["test_labels"])
    if train_head.dims[1:] != test_head.dims[1:]:
        raise DataError(f"{paths['test_images']}: test images are "
                        f"{_sizes(test_head.dims[1:])} but the training images in "
                        f"{paths['train_images']} are {_sizes(train_head.dims[1:])}")
    if check_features is not None:
        check_features(train_head.dims[1] * train_head.dims[2])
    train_images, train_labels = _read_pair(paths["train_images"], paths["train_labels"])
    test_images, test_labels = _read_pair(paths["test_images"], paths["test_labels"])
    train = _dataset(train_images, train_labels, normalize, one_hot,
                     f"{title} train ({source})")
    test = _dataset(test_images, test_labels, normalize, one_hot, f"{title} test ({source})")
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
