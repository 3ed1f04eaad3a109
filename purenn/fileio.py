"""Reading files with one-line errors, and writing them so that a crash or Ctrl-C never
leaves half a file behind."""

import contextlib
import os
import tempfile

from .errors import PurennError


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Open a temporary file beside ``path``; on success flush, fsync and move it into
    place with ``os.replace`` (atomic on one file system); on any error remove it."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; match a plain open()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_bytes(path, error=PurennError):
    """All bytes of the file at ``path``; ``error`` (a PurennError class) with a one-line
    message naming the file when it cannot be read."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise error(f"{path}: cannot open: {exc.strerror or exc}") from None
