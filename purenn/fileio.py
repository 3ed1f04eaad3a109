"""Reading files with one-line errors and bounded memory, and writing them so that a
crash or Ctrl-C never leaves half a file behind.

Writing: ``atomic_write`` writes a hidden temporary file beside the target, named
``.<target>.purenn-<random>.tmp``, and moves it into place only when complete, so the
old file stays intact whatever happens. A process killed outright (kill -9, a power
cut) leaves its temporary file behind; the next atomic write into that folder removes
those of purenn's own naming that no live write holds. A write holds an exclusive
``flock`` on its temporary file until it is in place, and the system drops the lock of a
killed process, so a temporary file whose lock can be taken (and that has not changed
for ``GRACE_SECONDS``, the moment between its creation and its lock) is a dead write's.
Where ``fcntl`` is missing (Windows) a temporary file counts as dead once it is older
than ``STALE_SECONDS``. Any OSError of the
write (a full disk, a read-only folder) is one PurennError naming the file.
``check_writable`` (and ``check_folder``) find such a problem before the work starts,
by creating and removing one such temporary file.
"""

import contextlib
import io
import os
import stat
import tempfile
import time

from .errors import PurennError

try:
    import fcntl
except ImportError:  # Windows: temporary files are judged by their age alone
    fcntl = None

CHUNK = 1 << 20
TMP_MARK, TMP_SUFFIX = ".purenn-", ".tmp"
STALE_SECONDS = 15 * 60  # without fcntl: a temporary file this old belongs to no write
GRACE_SECONDS = 1.0      # a write creates its temporary file, then locks it within this


def _temp_prefix(path):
    return "." + os.path.basename(path)[:100] + TMP_MARK


def is_purenn_temp(name):
    """Whether a file name is one of atomic_write's temporary files."""
    return name.startswith(".") and TMP_MARK in name and name.endswith(TMP_SUFFIX)


def remove_stale_temps(folder, now=None):
    """Remove purenn's temporary files in ``folder`` that no live write holds (left by a
    killed process; see the module's docstring); returns their names. Files of any other
    naming are never touched."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not is_purenn_temp(entry.name):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and _is_dead(entry, now):
                os.unlink(entry.path)
                removed.append(entry.name)
    return removed


def _is_dead(entry, now):
    age = now - entry.stat(follow_symlinks=False).st_mtime
    if fcntl is None:
        return age > STALE_SECONDS
    if age <= GRACE_SECONDS:
        return False
    fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:         # a live write holds it
        return False
    finally:
        os.close(fd)        # closing drops the lock taken just now
    return True


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Open a temporary file beside ``path``; on success flush, fsync and move it into
    place with ``os.replace`` (atomic on one file system); on any error remove it. An
    OSError becomes a PurennError '{path}: cannot write: {reason}'."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temps(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise PurennError(f"{path}: cannot write: {exc.strerror or exc}") from None
    f = os.fdopen(fd, mode)
    try:
        if fcntl is not None:
            # held until the file is in place: a live write's file is never taken for dead
            # (a file system without flock refuses it here and there alike: kept)
            with contextlib.suppress(OSError):
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield f
        f.flush()
        os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; match a plain open()
        if fcntl is None:
            f.close()  # Windows cannot rename an open file
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise PurennError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
    finally:
        f.close()


def write_bytes(path, data):
    """Write ``data`` to ``path`` with ``atomic_write`` (its errors: a PurennError)."""
    with atomic_write(path) as f:
        f.write(data)


def check_folder(folder, what, create=False):
    """PurennError '{what} {folder!r}: ...' unless files can be written into ``folder``
    (made first, with its parents, when ``create``): tried by creating and removing
    one temporary file there, which is what a write will do."""
    folder = os.fspath(folder)
    if create:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise PurennError(f"{what} {folder!r}: cannot create it: "
                              f"{exc.strerror or exc}") from None
    if not os.path.isdir(folder):
        raise PurennError(f"{what} {folder!r}: no such folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".probe" + TMP_MARK, suffix=TMP_SUFFIX, dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise PurennError(f"{what} {folder!r}: cannot write files there: "
                          f"{exc.strerror or exc}") from None
    return folder


def check_writable(path, what, suffixes=None, kind="picture"):
    """PurennError '{what} {path!r}: ...' unless ``path`` can be written (its folder
    exists and takes files, the path is not a folder) and, when ``suffixes`` are given,
    ends in one of them (the ``kind`` of file the message names). Run it on every
    output before the work that makes it."""
    path = os.fspath(path)
    if suffixes and not path.lower().endswith(tuple(suffixes)):
        raise PurennError(f"{what} {path!r}: the {kind} must be a "
                          f"{' or '.join(suffixes)} file")
    if os.path.isdir(path):
        raise PurennError(f"{what} {path!r}: is a folder, not a file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise PurennError(f"{what} {path!r}: no such folder {folder!r}")
    check_folder(folder, f"{what} {path!r}: its folder")
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
         (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
         (stat.S_ISBLK, "a block device"))


def open_regular(path, error=PurennError):
    """``path`` opened for reading in binary, or ``error`` '{path}: ...' in one line when
    it cannot be opened or is not a regular file (a folder, a FIFO, a device). The file
    is opened without blocking (a FIFO with no writer would block a plain open forever)
    and what was opened is checked with fstat, so a file swapped after a check is never
    the one read; only then is it made blocking again. Every reader opens through here."""
    path = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise error(f"{path}: cannot open: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the path
        raise error(f"{path!r}: cannot open: {exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in KINDS if test(mode)), "not a regular file")
            raise error(f"{path}: {kind}, not a regular file; give a file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path, error=PurennError, *, max_bytes=None):
    """All bytes of the file at ``path``; ``error`` (a PurennError class) with a one-line
    message naming the file when it cannot be read or holds more than ``max_bytes``
    (checked before reading, and while reading for files that have no size)."""
    path = os.fspath(path)
    try:
        with open_regular(path, error) as f:
            if max_bytes is None:
                return f.read()
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise error(f"{path}: the file holds {size} bytes, over the limit of "
                            f"{max_bytes} bytes")
            data = read_at_most(f, max_bytes + 1)
    except OSError as exc:
        raise error(f"{path}: cannot open: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise error(f"{path}: the file holds more than the limit of {max_bytes} bytes")
    return data


def chunks(stream, n):
    """The bytes of ``stream`` (a file or a decompressing reader), up to ``n``, as chunks
    of at most ``CHUNK`` bytes, so that memory follows the bytes that really arrive, not
    ``n``: PyPy's ``read(n)`` reserves all ``n`` bytes before reading any."""
    got = 0
    while got < n:
        chunk = stream.read(min(n - got, CHUNK))
        if not chunk:
            return
        got += len(chunk)
        yield chunk


def read_at_most(stream, n):
    """Up to ``n`` bytes from ``stream``, fewer only where it ends, read in ``chunks``."""
    out = io.BytesIO()  # grows as bytes arrive; getvalue() hands over its buffer uncopied
    for chunk in chunks(stream, n):
        out.write(chunk)
    return out.getvalue()


def read_exactly(stream, n, fail):
    """Exactly ``n`` bytes from ``stream``, read as ``read_at_most`` does; ``fail(got)``
    is called (and must raise) when the stream ends after ``got`` bytes."""
    data = read_at_most(stream, n)
    if len(data) < n:
        fail(len(data))
    return data
