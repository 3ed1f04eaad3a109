"""What ``train``, ``evaluate``, ``predict`` and ``show`` share: the data options, the
data set a model was trained on, and images of a data set's samples.

The data comes through ``purenn.data.sets.load`` (for MNIST-shaped sets: --data, the
fetched cache, the bundled MNIST subset); a model file remembers the data set and seed
it was trained with, so ``evaluate MODEL`` needs no options to look at the right data.
"""

import math
import os
import random

from ..data import sets
from ..errors import PurennError

# what a file that is not a model file starts with, and what to do with it instead
NOT_A_MODEL = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "MODEL is a file written by "
     "'python3 -m purenn train --out model.safetensors'"),
    (b"P5", "a PGM image", "MODEL is a file written by 'python3 -m purenn train --out "
     "model.safetensors'"),
    (b"PK\x03\x04", "a NumPy .npz archive",
     "make a model of its arrays with 'python3 -m purenn import {path} --spec SPEC -o "
     "model.safetensors'"),
    (b"\x93NUMPY", "a NumPy .npy array",
     "make a model of it with 'python3 -m purenn import {path} --spec SPEC -o "
     "model.safetensors'"),
) + tuple(
    # a pickle as NumPy's arrays pickle (the book's .pkl files); four bytes, which a
    # safetensors header length (bytes 3-7 zero) never starts with
    (magic, "a Python pickle", "if it holds NumPy arrays, as the book's .pkl files do, "
     "make a model of them with 'python3 -m purenn import {path} --spec SPEC -o "
     "model.safetensors'")
    for magic in (b"\x80\x02}q", b"\x80\x03}q", b"\x80\x04\x95", b"\x80\x05\x95"))
MODEL_SUFFIX = ".safetensors"


def open_model(path):
    """``purenn.model.load(path)``, with one line saying what the file is and what to do
    when it is not a purenn model file: an image, a NumPy archive, a checkpoint."""
    from ..errors import ModelFileError
    from ..fileio import open_regular
    from ..model import load

    with open_regular(path, ModelFileError) as f:
        head = f.read(8)
    for magic, kind, advice in NOT_A_MODEL:
        if head.startswith(magic):
            raise PurennError(f"{path}: not a purenn model file but {kind}; "
                              f"{advice.format(path=path)}")
    try:
        return load(path)
    except ModelFileError as exc:
        if "'purenn.checkpoint'" in str(exc):
            raise PurennError(
                f"{path}: a training checkpoint, not a model file; write the model with "
                f"'python3 -m purenn train --resume {path} --out model.safetensors' (it "
                f"first finishes the run the checkpoint belongs to)") from None
        if "header" in str(exc) and not path.lower().endswith(MODEL_SUFFIX):
            raise PurennError(f"{path}: not a purenn model file ({exc}); model files are "
                              f"the .safetensors files 'train --out' writes") from None
        raise


OTHER_KINDS = {".npz": "NumPy archive", ".npy": "NumPy array", ".png": "image",
               ".svg": "image", ".pgm": "image", ".net": "spec", ".pkl": "pickle",
               ".json": "JSON", ".txt": "text"}


def check_model_path(option, path):
    """Refuse a model file name that says it is another kind of file (``--out
    model.npz`` would write safetensors under a NumPy name)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in OTHER_KINDS:
        hint = (f"; for NumPy arrays use 'python3 -m purenn export MODEL -o {path}'"
                if suffix in (".npz", ".npy") else "")
        raise PurennError(f"{option} {path!r}: a model file is safetensors, not a "
                          f"{OTHER_KINDS[suffix]} ({suffix}); name it "
                          f"{os.path.splitext(path)[0] + MODEL_SUFFIX!r}{hint}")


def add_data_options(p, *, split_default="test"):
    p.add_argument("--dataset", choices=sets.NAMES,
                   help="the data set (default: the one the model was trained on, else "
                        "mnist)")
    from .args import PATH

    p.add_argument("--data", type=PATH, metavar="DIR",
                   help="folder with the four IDX files (default: as for train)")
    p.add_argument("--split", choices=("test", "train"), default=split_default,
                   help=f"which part of the data set (default: {split_default})")


def load_split(args, training=None):
    """(data set, description) of the split the arguments ask for; ``training`` is a
    model's training summary, whose data set, data folder, noise and seed are the
    defaults.
    When the model's folder is gone, or the model predates recorded folders and was
    trained on other files, the description says which data is used instead and why."""
    training = training or {}
    dataset = args.dataset or training.get("dataset") or "mnist"
    seed = training.get("seed", 0)
    folder, why = args.data, ""
    trained_dir = training.get("data_dir")
    same_set = dataset == (training.get("dataset") or "mnist")
    if folder is None and trained_dir and same_set:
        if os.path.isdir(trained_dir):
            folder, why = trained_dir, " (the model's training data)"
        else:
            why = (f" (the model was trained on {trained_dir}, which is not there; pass "
                   f"--data DIR)")
    options = {}
    if same_set and dataset in sets.PLANAR:
        options = {"noise": training.get("noise"), "ratio": training.get("ratio"),
                   "features": training.get("features")}
        from .args import ADDED_POINT
        options["added"] = [ADDED_POINT(point)
                            for point in str(training.get("add_point") or "").split()]
    train_set, test_set, description = sets.load(dataset, random.Random(seed), folder=folder,
                                                 **options)
    trained_on = training.get("data")
    if not why and folder is None and same_set and trained_on and trained_on != description:
        hint = "" if dataset in sets.PLANAR else "; pass --data DIR for those files"
        why = f" (the model was trained on {trained_on}{hint})"
    data = test_set if args.split == "test" else train_set
    return data, f"{description}, {args.split} split{why}"


def check_model_fits(net, data, model_path):
    features = math.prod(net.input_shape)
    if features != data.features_per_sample:
        raise PurennError(f"{model_path}: the network takes {features} numbers per sample "
                          f"but the data has {data.features_per_sample}; pass --dataset")
    outputs = math.prod(net.output_shape)
    if outputs != data.num_classes:
        raise PurennError(f"{model_path}: the network ends in {outputs} outputs but the data "
                          f"has {data.num_classes} classes; pass --dataset")


def image_shape(data):
    """(rows, cols) when the samples are gray images (1xHxW or HxW), else None."""
    shape = tuple(d for d in data.sample_shape)
    if len(shape) == 3 and shape[0] == 1:
        shape = shape[1:]
    return shape if len(shape) == 2 else None


def index_of(text, data, what="index"):
    """An index into ``data`` from text; PurennError naming the valid range."""
    try:
        index = int(text)
    except (TypeError, ValueError):
        raise PurennError(f"{what} {text!r} is not a whole number") from None
    if not 0 <= index < len(data):
        raise PurennError(f"{what} {index} is out of range: the data has {len(data)} "
                          f"samples (0..{len(data) - 1})")
    return index
