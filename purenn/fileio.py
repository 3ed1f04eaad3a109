"""Reading files with one-line errors and bounded memory, and writing them so that a
crash or Ctrl-C never leaves half a file behind."""

import contextlib
import io
import os
import tempfile

from .errors import PurennError

CHUNK = 1 << 20


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


def read_bytes(path, error=PurennError, *, max_bytes=None):
    """All bytes of the file at ``path``; ``error`` (a PurennError class) with a one-line
    message naming the file when it cannot be read or holds more than ``max_bytes``
    (checked before reading, and while reading for files that have no size)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            if max_bytes is None:
                return f.read()
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise error(f"{path}: the file holds {size} bytes, over the limit of "
                            f"{max_bytes} bytes")
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{path}: cannot open: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise error(f"{path}: the file holds more than the limit of {max_bytes} bytes")
    return data


def read_exactly(stream, n, fail):
    """Exactly ``n`` bytes from ``stream`` (a file or a decompressing reader), read a
    chunk at a time so that memory follows the bytes that really arrive, not ``n``;
    ``fail(got)`` is called (and must raise) when the stream ends after ``got`` bytes."""
    out = io.BytesIO()  # grows as bytes arrive; getvalue() hands over its buffer uncopied
    got = 0
    while got < n:
        chunk = stream.read(min(n - got, CHUNK))
        if not chunk:
            fail(got)
        out.write(chunk)
        got += len(chunk)
    return out.getvalue()
