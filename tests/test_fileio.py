"""fileio: atomic writes leave the old file intact and clean up after killed writers;
writability is checked before work starts; a failed write is one PurennError; reads
ask for a chunk at a time, never for the whole limit."""

import errno
import io
import os
import subprocess
import sys
import time

import pytest
from helpers import unwritable_folder

from purenn import fileio
from purenn.errors import PurennError


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "m.bin"
    path.write_bytes(b"old")
    with fileio.atomic_write(path) as f:
        f.write(b"new")
    assert path.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["m.bin"]


def test_a_failed_write_keeps_the_old_file_and_is_one_purenn_error(tmp_path, monkeypatch):
    path = tmp_path / "m.bin"
    path.write_bytes(b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(PurennError) as err:
        with fileio.atomic_write(path) as f:
            f.write(b"new" * 1000)
    assert str(err.value) == f"{path}: cannot write: No space left on device"
    assert path.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["m.bin"]


def test_an_error_of_the_writer_itself_passes_unchanged(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with fileio.atomic_write(tmp_path / "m.bin") as f:
            f.write(b"x")
            1 / 0  # noqa: B018
    assert os.listdir(tmp_path) == []


def test_temporary_names_are_purenns_own():
    assert fileio.is_purenn_temp(".model.safetensors.purenn-k2j3h4.tmp")
    for name in (".k2j3h4.tmp", "model.purenn-x.tmp", ".model.purenn-x.tmp.bak",
                 ".cache.tmp", "notes.tmp"):
        assert not fileio.is_purenn_temp(name)


def test_stale_temporaries_of_purenn_alone_are_removed_by_the_next_write(tmp_path):
    old = time.time() - fileio.GRACE_SECONDS - 60
    names = {
        ".m.bin.purenn-dead01.tmp": old,       # a killed writer's: removed
        ".other.purenn-dead02.tmp": old,       # any target's in the folder: removed
        ".m.bin.purenn-live03.tmp": None,      # recent: maybe a write in progress, kept
        ".abc123.tmp": old,                    # someone else's naming: kept
        "m.bin.purenn-x.tmp": old,             # not hidden: kept
    }
    for name, mtime in names.items():
        (tmp_path / name).write_bytes(b"partial")
        if mtime is not None:
            os.utime(tmp_path / name, (mtime, mtime))
    (tmp_path / "m.bin").write_bytes(b"old")
    with fileio.atomic_write(tmp_path / "m.bin") as f:
        f.write(b"new")
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["m.bin", ".m.bin.purenn-live03.tmp", ".abc123.tmp", "m.bin.purenn-x.tmp"])


WRITER = """\
import sys, time
from purenn.fileio import atomic_write
with atomic_write(sys.argv[1]) as f:
    f.write(b"half of a new file")
    f.flush()
    print("writing", flush=True)
    time.sleep(60)
"""


def start_writer(path):
    """A child process in the middle of an atomic write of ``path``; returns it."""
    import purenn

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(purenn.__file__)))
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=env,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "writing\n"
    return child


def temps_of(folder):
    return [name for name in os.listdir(folder) if fileio.is_purenn_temp(name)]


def backdate(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9 is POSIX")
def test_kill_9_mid_write_keeps_the_old_file_and_the_next_write_cleans_up(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"the old model")
    child = start_writer(path)
    try:
        child.kill()  # SIGKILL: no cleanup runs
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    [left] = temps_of(tmp_path)
    assert left.startswith(".model.safetensors.purenn-")
    assert path.read_bytes() == b"the old model"
    # the next write, a moment later (not 15 minutes): the dead write's file goes
    backdate(tmp_path / left, fileio.GRACE_SECONDS + 1)
    with fileio.atomic_write(tmp_path / "other.bin") as f:
        f.write(b"another file in the folder")
    assert temps_of(tmp_path) == []
    assert path.read_bytes() == b"the old model"


@pytest.mark.skipif(fileio.fcntl is None, reason="without flock a write is judged by age")
def test_a_live_writes_temporary_file_is_never_removed(tmp_path):
    path = tmp_path / "model.safetensors"
    child = start_writer(path)
    try:
        [live] = temps_of(tmp_path)
        backdate(tmp_path / live, 3600)  # a slow write: old, but its writer is alive
        with fileio.atomic_write(tmp_path / "other.bin") as f:
            f.write(b"x")
        assert temps_of(tmp_path) == [live]
    finally:
        child.kill()
        child.wait(timeout=30)


def test_check_writable_names_the_option_and_the_reason(tmp_path):
    ro = unwritable_folder(tmp_path)
    with pytest.raises(PurennError) as err:
        fileio.check_writable(os.path.join(ro, "m.safetensors"), "--out")
    assert str(err.value).startswith(f"--out {os.path.join(ro, 'm.safetensors')!r}: its "
                                     f"folder {ro!r}: cannot write files there: ")
    with pytest.raises(PurennError, match=r"--out '.*': is a folder, not a file"):
        fileio.check_writable(str(tmp_path), "--out")
    with pytest.raises(PurennError, match=r"--plot '.*c.jpg': the picture must be a .png or "
                                          r".svg file"):
        fileio.check_writable(str(tmp_path / "c.jpg"), "--plot", (".png", ".svg"))
    with pytest.raises(PurennError, match=r"no such folder"):
        fileio.check_writable(str(tmp_path / "no" / "m"), "--out")
    assert fileio.check_writable(str(tmp_path / "m.png"), "--out", (".png",))
    assert os.listdir(tmp_path) == ([] if ro == "/sys" else ["read-only"])
    with pytest.raises(PurennError, match=r"--checkpoint-dir '.*': cannot create it: "):
        fileio.check_folder(os.path.join(ro, "ck"), "--checkpoint-dir", create=True)


class Recording(io.BytesIO):
    """A stream that records how many bytes each read asks for."""

    def __init__(self, data):
        super().__init__(data)
        self.asked = []

    def read(self, n=-1):
        self.asked.append(n)
        return super().read(n)


def test_read_at_most_asks_a_chunk_at_a_time_and_stops_at_n_or_the_end():
    # PyPy's read(n) reserves n bytes up front: a 1 GiB limit must never be asked for
    stream = Recording(b"x" * (fileio.CHUNK + 5))
    assert fileio.read_at_most(stream, 1 << 30) == b"x" * (fileio.CHUNK + 5)
    assert stream.asked == [fileio.CHUNK, fileio.CHUNK, fileio.CHUNK]
    assert fileio.read_at_most(Recording(b"abcdef"), 4) == b"abcd"
    assert fileio.read_at_most(Recording(b""), 4) == b""


def test_read_exactly_calls_fail_with_what_arrived():
    def fail(got):
        raise PurennError(f"only {got} bytes")

    assert fileio.read_exactly(Recording(b"abcdef"), 6, fail) == b"abcdef"
    with pytest.raises(PurennError, match="only 3 bytes"):
        fileio.read_exactly(Recording(b"abc"), 4, fail)


def test_read_bytes_refuses_a_file_over_the_limit_naming_it(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"12345")
    assert fileio.read_bytes(path, max_bytes=5) == b"12345"
    with pytest.raises(PurennError, match=r"w\.npz: the file holds 5 bytes, over the "
                                          r"limit of 4 bytes"):
        fileio.read_bytes(path, max_bytes=4)
