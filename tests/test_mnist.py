"""MNIST-shaped data: loading a folder, the bundled subset, the cache and --data rules,
and training on Fashion-MNIST-shaped files from the command line."""

import gzip
import hashlib
import os
import struct
import subprocess
import sys

import pytest
from helpers import needs_mnist, peak_memory, run_purenn, words

from purenn.data import mnist, resolve
from purenn.data.cache import cache_dir, cache_root, missing_files
from purenn.errors import DataError

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def idx_bytes(type_code, dims, payload):
    return struct.pack(f">HBB{len(dims)}I", 0, type_code, len(dims), *dims) + payload


def put(folder, name, type_code, dims, payload, compress=True):
    os.makedirs(folder, exist_ok=True)
    blob = idx_bytes(type_code, dims, payload)
    if compress:
        path = os.path.join(folder, name)
        blob = gzip.compress(blob, mtime=0)
    else:
        path = os.path.join(folder, name[:-3])
    with open(path, "wb") as f:
        f.write(blob)
    return path


def make_folder(folder, train=6, test=3, rows=2, cols=3, compress=True):
    """Four tiny MNIST-shaped files: image i is filled with the value 10*i, label i % 10."""
    for prefix, count in (("train", train), ("t10k", test)):
        pixels = b"".join(bytes([10 * i % 256]) * (rows * cols) for i in range(count))
        put(folder, f"{prefix}-images-idx3-ubyte.gz", 0x08, (count, rows, cols), pixels,
            compress)
        put(folder, f"{prefix}-labels-idx1-ubyte.gz", 0x08, (count,),
            bytes(i % 10 for i in range(count)), compress)
    return str(folder)


# --- loading a folder --------------------------------------------------------------

@pytest.mark.parametrize("compress", [True, False])
def test_loads_a_folder_compactly_scaled_to_unit_range(tmp_path, compress):
    folder = make_folder(tmp_path / "d", compress=compress)
    train, test = mnist.load(folder)
    assert (len(train), len(test)) == (6, 3)
    assert train.sample_shape == (1, 2, 3)
    assert isinstance(train.features, bytes) and len(train.features) == 36
    x, t = train.batch([0, 2])
    assert x == [[0.0] * 6, [20 / 255] * 6]
    assert t == [0, 2]
    assert repr(train) == f"<Dataset 'MNIST train ({folder})': 6 samples of 1x2x3>"


def test_one_hot_and_raw_pixels(tmp_path):
    folder = make_folder(tmp_path / "d")
    train, _ = mnist.load(folder, normalize=False, one_hot=True)
    x, t = train.batch([5])
    assert x == [[50.0] * 6]
    assert t == [[0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]]


def test_title_names_other_mnist_shaped_sets(tmp_path):
    folder = make_folder(tmp_path / "d")
    train, test = mnist.load(folder, title="Fashion-MNIST")
    assert train.name == f"Fashion-MNIST train ({folder})"
    assert test.name == f"Fashion-MNIST test ({folder})"


def test_image_and_label_counts_must_match(tmp_path):
    folder = make_folder(tmp_path / "d")
    labels = put(folder, "train-labels-idx1-ubyte.gz", 0x08, (5,), bytes(5))
    images = os.path.join(folder, "train-images-idx3-ubyte.gz")
    with pytest.raises(DataError) as err:
        mnist.load(folder)
    assert str(err.value) == f"{images} holds 6 images but {labels} holds 5 labels"


def test_paired_headers_are_compared_before_any_body_is_inflated(tmp_path):
    # a million 28x28 images declared, 1 MB of zeros behind them, beside 100 labels
    folder = make_folder(tmp_path)
    images = os.path.join(folder, "train-images-idx3-ubyte.gz")
    with open(images, "wb") as f:
        f.write(gzip.compress(struct.pack(">HBB3I", 0, 8, 3, 1_000_000, 28, 28)
                              + bytes(1 << 20), mtime=0))
    put(folder, "train-labels-idx1-ubyte.gz", 0x08, (100,), bytes(100))
    with peak_memory() as peak:
        with pytest.raises(DataError) as info:
            mnist.load(folder)
    assert str(info.value) == (f"{images} holds 1000000 images but "
                               f"{os.path.join(folder, 'train-labels-idx1-ubyte.gz')} "
                               f"holds 100 labels")
    assert not peak or peak[0] < 500_000  # the gzip reader's buffers; no body inflated


def test_unsupported_image_type(tmp_path):
    folder = make_folder(tmp_path / "d")
    path = put(folder, "t10k-images-idx3-ubyte.gz", 0x0D, (3, 2, 3), bytes(72))
    with pytest.raises(DataError) as err:
        mnist.load(folder)
    assert str(err.value) == (f"{path}: images of type 0x0D (float32) are not supported; "
                              f"expected 0x08 (unsigned byte)")


def test_unsupported_label_type(tmp_path):
    folder = make_folder(tmp_path / "d")
    path = put(folder, "train-labels-idx1-ubyte.gz", 0x0C, (6,), bytes(24))
    with pytest.raises(DataError) as err:
        mnist.load(folder)
    assert str(err.value) == (f"{path}: labels of type 0x0C (int32) are not supported; "
                              f"expected 0x08 (unsigned byte)")


def test_wrong_dimensions(tmp_path):
    folder = make_folder(tmp_path / "d")
    path = put(folder, "train-images-idx3-ubyte.gz", 0x08, (6, 6), bytes(36))
    with pytest.raises(DataError) as err:
        mnist.load(folder)
    assert str(err.value) == (f"{path}: expected images of 3 dimensions (count x rows x "
                              f"cols), got 2: 6x6")
    make_folder(folder)
    path = put(folder, "t10k-labels-idx1-ubyte.gz", 0x08, (3, 1), bytes(3))
    with pytest.raises(DataError) as err:
        mnist.load(folder)
    assert str(err.value) == f"{path}: expected labels of 1 dimension (count), got 2: 3x1"


def test_test_images_must_have_the_training_size(tmp_path):
    folder = make_folder(tmp_path / "d")
    path = put(folder, "t10k-images-idx3-ubyte.gz", 0x08, (3, 3, 2), bytes(18))
    train_path = os.path.join(folder, "train-images-idx3-ubyte.gz")
    with pytest.raises(DataError) as err:
        mnist.load(folder)
    assert str(err.value) == (f"{path}: test images are 3x2 but the training images in "
                              f"{train_path} are 2x3")


def test_labels_must_be_classes_0_to_9(tmp_path):
    folder = make_folder(tmp_path / "d")
    path = put(folder, "train-labels-idx1-ubyte.gz", 0x08, (6,), b"\x01\x02\x0c\x03\x04\x05")
    with pytest.raises(DataError) as err:
        mnist.load(folder)
    assert str(err.value) == f"{path}: label 12 at index 2 is not a class 0-9"


def test_no_images(tmp_path):
    folder = make_folder(tmp_path / "d")
    path = put(folder, "train-images-idx3-ubyte.gz", 0x08, (0, 2, 3), b"")
    put(folder, "train-labels-idx1-ubyte.gz", 0x08, (0,), b"")
    with pytest.raises(DataError) as err:
        mnist.load(folder)
    assert str(err.value) == f"{path}: holds no images (sizes 0x2x3)"


def test_missing_file_and_folder(tmp_path):
    folder = make_folder(tmp_path / "d")
    os.remove(os.path.join(folder, "t10k-labels-idx1-ubyte.gz"))
    with pytest.raises(DataError) as err:
        mnist.load(folder)
    assert str(err.value) == (f"{folder}: no t10k-labels-idx1-ubyte.gz (or "
                              f"t10k-labels-idx1-ubyte) in this folder; it needs the four "
                              f"MNIST files {', '.join(NAMES)}")
    with pytest.raises(DataError, match=r"/nowhere: no such folder$"):
        mnist.load(str(tmp_path / "nowhere"))


def test_export_subset_round_trips(tmp_path):
    src = make_folder(tmp_path / "src", train=6, test=3)
    mnist.export_subset(src, str(tmp_path / "dst"), 4, 2)
    train, test = mnist.load(str(tmp_path / "dst"))
    assert (len(train), len(test)) == (4, 2)
    assert train.features == bytes([0] * 6 + [10] * 6 + [20] * 6 + [30] * 6)
    assert list(test.labels) == [0, 1]
    with pytest.raises(DataError, match=r"asked for 9 train images, it holds only 6$"):
        mnist.export_subset(src, str(tmp_path / "dst2"), 9, 1)


# --- the bundled subset and the real files ------------------------------------------------

def test_bundled_subset():
    train, test = mnist.load()
    assert (len(train), len(test)) == (10000, 2000)
    assert train.sample_shape == (1, 28, 28)
    assert list(train.labels[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(test.labels[:10]) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    x, _ = train.batch([0])
    assert min(x[0]) == 0.0 and max(x[0]) == 1.0 and len(x[0]) == 784


def test_bundled_subset_is_the_head_of_the_official_files():
    folder = needs_mnist()
    full_train, full_test = mnist.load(folder)
    train, test = mnist.load()
    assert train.features == full_train.features[:10000 * 784]
    assert train.labels == full_train.labels[:10000]
    assert test.features == full_test.features[:2000 * 784]
    assert test.labels == full_test.labels[:2000]


def test_shared_files_decompress_to_the_documented_checksums():
    folder = needs_mnist()
    expected = {
        "train-labels-idx1-ubyte.gz":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    }
    for name, sha256 in expected.items():
        with gzip.open(os.path.join(folder, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == sha256


PEAK_KB = """
def peak_kb():
    # VmHWM is this process's own peak; ru_maxrss can carry the parent's across exec
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory read on Linux")
def test_full_training_set_stays_compact():
    folder = needs_mnist()
    code = (PEAK_KB + "import sys; from purenn.data import mnist\n"
            "train, test = mnist.load(sys.argv[1])\n"
            "assert len(train) == 60000 and len(train.features) == 60000 * 784\n"
            "print(peak_kb())\n")
    import purenn
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(purenn.__file__)))
    done = subprocess.run([sys.executable, "-c", code, folder], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 200_000  # KB: well under 200 MB resident


# --- where data comes from: --data, the cache, the bundled subset -------------------------

def test_cache_root_rules(tmp_path):
    home = str(tmp_path)
    join = os.path.join
    assert cache_root({"PURENN_DATA": "/data/nn", "HOME": home}, "linux") == "/data/nn"
    assert cache_root({"HOME": home}, "linux") == join(home, ".cache", "purenn")
    assert cache_root({"HOME": home, "XDG_CACHE_HOME": "/xdg"}, "linux") == "/xdg/purenn"
    assert cache_root({"HOME": home, "XDG_CACHE_HOME": "rel"}, "linux") == \
        join(home, ".cache", "purenn")
    assert cache_root({"HOME": home}, "darwin") == join(home, "Library", "Caches", "purenn")
    assert cache_root({"HOME": home, "LOCALAPPDATA": "C:/Users/me/AppData/Local"},
                      "win32") == join("C:/Users/me/AppData/Local", "purenn")
    assert cache_dir("kmnist", {"PURENN_DATA": "/d"}, "linux") == "/d/kmnist"


def test_resolve_prefers_data_dir_then_cache_then_bundled(tmp_path):
    env = {"PURENN_DATA": str(tmp_path / "cache")}
    train, test, said = resolve.load("mnist", None, environ=env)
    assert said == "MNIST from the bundled subset"
    assert (len(train), len(test)) == (10000, 2000)

    cached = make_folder(tmp_path / "cache" / "mnist", train=4, test=2)
    train, test, said = resolve.load("mnist", None, environ=env)
    assert said == f"MNIST from the cache {cached}"
    assert (len(train), len(test)) == (4, 2)

    own = make_folder(tmp_path / "own", train=5, test=1)
    train, test, said = resolve.load("mnist", own, environ=env)
    assert said == f"MNIST from {own}"
    assert (len(train), len(test)) == (5, 1)


def test_an_incomplete_cache_is_not_used_and_said_so(tmp_path):
    cached = make_folder(tmp_path / "mnist")
    os.remove(os.path.join(cached, "t10k-images-idx3-ubyte.gz"))
    assert missing_files(cached) == ["t10k-images-idx3-ubyte.gz"]
    train, _, said = resolve.load("mnist", environ={"PURENN_DATA": str(tmp_path)})
    assert said == (f"MNIST from the bundled subset (the cache {cached} lacks "
                    f"t10k-images-idx3-ubyte.gz)")
    assert len(train) == 10000


def test_fashion_mnist_without_files_says_how_to_get_them(tmp_path):
    with pytest.raises(DataError) as err:
        resolve.load("fashion-mnist", environ={"PURENN_DATA": str(tmp_path)})
    assert str(err.value) == (
        f"Fashion-MNIST is not in the cache {tmp_path}/fashion-mnist; get it with "
        f"'python3 -m purenn fetch fashion-mnist', or pass --data DIR, a folder with its "
        f"four files ({', '.join(NAMES)})")
    with pytest.raises(DataError, match=r"^unknown data set 'fashion'; did you mean "
                                        r"'fashion-mnist'\? \(known: mnist, "
                                        r"fashion-mnist, kmnist\)$"):
        resolve.load("fashion")


def test_kmnist_from_the_cache(tmp_path):
    make_folder(tmp_path / "kmnist", train=3, test=2)
    train, _, said = resolve.load("kmnist", environ={"PURENN_DATA": str(tmp_path)})
    assert said == f"Kuzushiji-MNIST from the cache {tmp_path}/kmnist"
    assert train.name.startswith("Kuzushiji-MNIST train")


# --- the train command ------------------------------------------------------------------

def make_fashion_like(folder, train=60, test=20):
    """28x28 images whose class is the row the bright band is on (rows 0-9 x 2)."""
    for prefix, count in (("train", train), ("t10k", test)):
        labels = bytes(i % 10 for i in range(count))
        pixels = bytearray()
        for label in labels:
            image = bytearray(784)
            image[label * 56:label * 56 + 56] = b"\xff" * 56
            pixels += image
        put(folder, f"{prefix}-images-idx3-ubyte.gz", 0x08, (count, 28, 28), bytes(pixels))
        put(folder, f"{prefix}-labels-idx1-ubyte.gz", 0x08, (count,), labels)
    return str(folder)


def test_train_on_fashion_mnist_shaped_files(tmp_path):
    folder = make_fashion_like(tmp_path / "fashion")
    done = run_purenn("train", "--dataset", "fashion-mnist", "--data", folder,
                      "--epochs", "3", "--batch-size", "10", "--lr", "0.5",
                      env={"PURENN_DATA": str(tmp_path / "cache")}, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert words(done.stdout).startswith(
        f"data: Fashion-MNIST from {folder}: 60 training, 20 test samples network: ")
    assert lines[-1].startswith("test accuracy 1.0000 after 3 epochs in ")
    assert done.stderr == ""


def test_train_uses_the_cache(tmp_path):
    make_fashion_like(tmp_path / "cache" / "kmnist", train=20, test=10)
    done = run_purenn("train", "--dataset", "kmnist", "--epochs", "1",
                      env={"PURENN_DATA": str(tmp_path / "cache")}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert words(done.stdout).startswith(f"data: Kuzushiji-MNIST from the cache "
                                         f"{tmp_path}/cache/kmnist: 20 training, 10 test "
                                         f"samples network: ")


def test_train_errors_are_one_line(tmp_path):
    done = run_purenn("train", "--dataset", "kmnist",
                      env={"PURENN_DATA": str(tmp_path)}, timeout=60)
    assert done.returncode == 1
    assert done.stderr == (f"error: Kuzushiji-MNIST is not in the cache {tmp_path}/kmnist; "
                           f"get it with 'python3 -m purenn fetch kmnist', or pass --data "
                           f"DIR, a folder with its four files ({', '.join(NAMES)})\n")
    make_folder(tmp_path / "bad")
    bad = put(tmp_path / "bad", "train-images-idx3-ubyte.gz", 0x08, (2, 2), bytes(3))
    done = run_purenn("train", "--data", str(tmp_path / "bad"), timeout=60)
    assert done.returncode == 1
    # the header is checked (and compared with the labels') before the body is read
    assert done.stderr == (f"error: {bad}: expected images of 3 dimensions (count x rows x "
                           f"cols), got 2: 2x2\n")
    done = run_purenn("train", "--dataset", "spiral", "--data", "x", timeout=60)
    assert done.returncode == 1
    assert done.stderr == ("error: --data 'x' is for MNIST-shaped files (mnist, "
                           "fashion-mnist, kmnist); the spiral data set is generated\n")
    done = run_purenn("train", "--dataset", "emnist", timeout=60)
    assert done.returncode == 2
    assert "invalid choice: 'emnist'" in done.stderr
