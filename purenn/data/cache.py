"""Where fetched data sets are kept.

The cache root is ``$PURENN_DATA`` when set, else ``purenn`` inside the platform's cache
folder: ``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux and other Unixes,
``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows. Each data set has a folder
of its own in the root, named after it (``mnist``, ``fashion-mnist``, ``kmnist``).
"""

import os
import sys


def cache_root(environ=None, platform=None):
    """The folder that holds one folder per fetched data set."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if environ.get("PURENN_DATA"):
        return os.path.expanduser(environ["PURENN_DATA"])
    home = environ.get("HOME") or os.path.expanduser("~")
    if platform == "win32":
        base = environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    elif platform == "darwin":
        base = os.path.join(home, "Library", "Caches")
    else:
        xdg = environ.get("XDG_CACHE_HOME", "")
        # the XDG spec says to ignore a relative path
        base = xdg if os.path.isabs(xdg) else os.path.join(home, ".cache")
    return os.path.join(base, "purenn")


def cache_dir(name, environ=None, platform=None):
    """The cache folder of the data set ``name``."""
    return os.path.join(cache_root(environ, platform), name)


def missing_files(folder):
    """The names of the four MNIST-shaped files that ``folder`` lacks (gzip or not)."""
    from .mnist import FILES

    return [name for name in FILES.values()
            if not any(os.path.isfile(os.path.join(folder, candidate))
                       for candidate in (name, name[:-3]))]
