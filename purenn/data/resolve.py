"""Which files an MNIST-shaped data set is read from.

In order: the folder given with ``--data DIR``; else the data set's cache folder (see
``purenn.data.cache``) when it holds all four files; else, for MNIST only, the subset
bundled with purenn. Fashion-MNIST and KMNIST have no bundled subset: without a folder
or a fetched copy, the error says how to get one.
"""

import os

from ..errors import DataError
from . import catalog, mnist
from .cache import cache_dir, missing_files


def load(name="mnist", data_dir=None, *, normalize=True, one_hot=False, environ=None,
         check_features=None):
    """(train, test, description) of the data set ``name``; ``description`` says which
    files were used, e.g. "MNIST from the cache /home/me/.cache/purenn/mnist"."""
    source = catalog.get(name)
    if data_dir is not None:
        folder, where = data_dir, f"from {data_dir}"
    else:
        cached = cache_dir(name, environ)
        if not missing_files(cached):
            folder, where = cached, f"from the cache {cached}"
        elif name == "mnist":
            folder, where = None, "from the bundled subset"
            lacking = missing_files(cached)
            if os.path.isdir(cached) and len(lacking) < len(mnist.FILES):
                where += f" (the cache {cached} lacks {', '.join(lacking)})"
        else:
            raise DataError(f"{source.title} is not in the cache {cached}; get it with "
                            f"'python3 -m purenn fetch {name}', or pass --data DIR, a folder "
                            f"with its four files ({', '.join(mnist.FILES.values())})")
    train, test = mnist.load(folder, normalize=normalize, one_hot=one_hot, title=source.title,
                             check_features=check_features)
    return train, test, f"{source.title} {where}"
