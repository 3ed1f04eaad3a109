"""Download a data set's files with ``urllib``, verify them, and keep only good ones.

For each of the four files, the mirrors are tried in order until one gives the file with
the MD5 its authors publish. A download goes to a temporary file beside its final name
and is moved into place (``os.replace``) only when it is complete and verified, so an
interrupted or corrupt download leaves nothing behind. A file already in the folder with
the right checksum is not downloaded again.

A file whose ``.gz`` MD5 differs is still accepted when the data set knows the SHA-256 of
its decompressed content (MNIST, see ``catalog``) and the file decompresses to exactly
that: a mirror that compressed the same files again.
"""

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
import zlib

from .. import capabilities
from ..errors import DataError
from ..fileio import atomic_write
from . import catalog
from .cache import cache_dir
from .mnist import FILES

TIMEOUT = 30.0  # seconds a connection may stay silent
MAX_DOWNLOAD = 1 << 26  # 64 MiB; the largest published file is about 26 MB
MAX_CONTENT = 1 << 26  # decompressed; the largest file, MNIST's training images, is 47 MB
CHUNK = 1 << 16
SCHEMES = ("http", "https", "file")


class FetchError(DataError):
    """A data set could not be downloaded or kept."""


class MirrorFailed(Exception):
    """One mirror failed for one file; the next mirror is tried."""

    def __init__(self, reason, unreachable=False):
        super().__init__(reason)
        self.unreachable = unreachable


def check_mirror(url):
    """``url`` as a base URL ending in '/'; FetchError unless it is http(s) or file."""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise FetchError(f"mirror {url!r}: expected a URL starting with http://, https:// "
                         f"or file://")
    return url if url.endswith("/") else url + "/"


def md5_of(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ContentDigest:
    """The SHA-256 of what a gzip stream decompresses to, fed chunk by chunk (one or
    more gzip members). ``hexdigest()`` is None when the stream is not gzip, ends inside
    a member, or decompresses to more than ``limit`` bytes (memory stays bounded)."""

    def __init__(self, limit=MAX_CONTENT):
        self.limit, self.size, self.failed, self.ended = limit, 0, False, False
        self.inflate = zlib.decompressobj(wbits=31)
        self.sha = hashlib.sha256()

    def update(self, data):
        while data and not self.failed:
            try:
                out = self.inflate.decompress(data, 1 << 20)
            except zlib.error:
                self.failed = True
                return
            self.size += len(out)
            if self.size > self.limit:
                self.failed = True
                return
            self.sha.update(out)
            if self.inflate.eof:
                data, self.ended = self.inflate.unused_data, True
                self.inflate = zlib.decompressobj(wbits=31)
            else:
                data, self.ended = self.inflate.unconsumed_tail, False

    def hexdigest(self):
        return None if self.failed or not self.ended else self.sha.hexdigest()


def content_sha256_of(path):
    digest = ContentDigest()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_good_copy(source, file_name, path):
    """True when the file at ``path`` has the published MD5, or decompresses to the
    known content."""
    if md5_of(path) == source.md5[file_name]:
        return True
    content = (source.content_sha256 or {}).get(file_name)
    return content is not None and content_sha256_of(path) == content


def fetch(name, folder=None, *, mirrors=(), builtin_mirrors=True, log=None, progress=None,
          timeout=TIMEOUT):
    """Download the data set ``name`` into ``folder`` (default: its cache folder) and
    return the folder. ``mirrors`` are extra base URLs, tried before the built-in ones
    (which are left out when ``builtin_mirrors`` is false).
    ``log(line)`` hears what happens; ``progress(file_name, done, total)`` hears each
    chunk (``total`` is None when the server does not say)."""
    source = catalog.get(name)
    log = log or (lambda line: None)
    bases = [check_mirror(url) for url in mirrors]
    if builtin_mirrors:
        bases += source.mirrors
    if not bases:
        raise FetchError(f"no mirror to fetch {name} from: give one with --mirror URL")
    folder = os.fspath(folder) if folder is not None else cache_dir(name)
    created = not os.path.isdir(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"{folder}: cannot create the folder: {exc.strerror or exc}") from None
    try:
        for file_name in FILES.values():
            path = os.path.join(folder, file_name)
            if os.path.isfile(path) and is_good_copy(source, file_name, path):
                log(f"{file_name}: already in {folder}, checksum ok")
                continue
            _fetch_file(source, file_name, path, bases, log, progress, timeout)
    except BaseException:
        if created and not os.listdir(folder):
            os.rmdir(folder)  # leave no trace of a fetch that got nothing
        raise
    return folder


def _fetch_file(source, file_name, path, bases, log, progress, timeout):
    expected = source.md5[file_name]
    content = (source.content_sha256 or {}).get(file_name)
    failures = []
    for base in bases:
        url = base + file_name
        log(f"downloading {url}")
        def report(done, total):
            if progress is not None:
                progress(file_name, done, total)

        try:
            size, how = _download(url, path, expected, timeout, report, content)
        except MirrorFailed as exc:
            failures.append((url, exc))
            log(f"{url}: unreachable: {exc}" if exc.unreachable else f"{url}: {exc}; nothing kept")
            continue
        except OSError as exc:  # the folder, not the network: no other mirror will help
            raise FetchError(f"{path}: cannot write: {exc.strerror or exc}") from None
        log(f"saved {path} ({size:,} bytes, {how})")
        return
    raise FetchError(_failure_message(source, file_name, failures))


def _failure_message(source, file_name, failures):
    if all(exc.unreachable for _, exc in failures):
        hosts_by_reason = {}
        for url, exc in failures:
            hosts_by_reason.setdefault(str(exc), []).append(urllib.parse.urlsplit(url).netloc
                                                            or url)
        reasons = "; ".join(f"{reason} ({', '.join(hosts)})"
                            for reason, hosts in hosts_by_reason.items())
        return (f"cannot download {source.name}: no mirror could be reached: {reasons}; "
                f"offline? train on your own copy of the four files with --data DIR, or on "
                f"the bundled MNIST subset ('python3 -m purenn train' with no --data), or "
                f"add a reachable mirror with --mirror URL")
    tried = "; ".join(f"{url}: {'unreachable: ' if exc.unreachable else ''}{exc}"
                      for url, exc in failures)
    return (f"cannot download {file_name} of {source.name} from any mirror ({tried}); "
            f"add another mirror with --mirror URL, or use your own copy with --data DIR")


def _download(url, path, expected_md5, timeout, report, content_sha256=None):
    """Stream ``url`` into ``path`` through a temporary file; return (the size, how it was
    verified). MirrorFailed (and nothing kept) on any network error, short read or bad
    checksum: neither the published MD5 nor, when ``content_sha256`` is given, the
    SHA-256 of the decompressed content."""
    if not capabilities.can_connect() and not url.startswith("file:"):
        raise MirrorFailed(f"{capabilities.WHERE} cannot open network connections",
                           unreachable=True)
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise MirrorFailed(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise MirrorFailed(str(exc.reason), unreachable=True) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise MirrorFailed(str(exc) or type(exc).__name__, unreachable=True) from None
    with response:
        total = _declared_length(response)
        if total is not None and total > MAX_DOWNLOAD:
            raise MirrorFailed(f"the server announces {total:,} bytes, over the limit of "
                               f"{MAX_DOWNLOAD:,}")
        digest = hashlib.md5(usedforsecurity=False)
        content = ContentDigest() if content_sha256 else None
        done = 0
        with atomic_write(path) as f:
            while True:
                try:
                    chunk = response.read(CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    raise MirrorFailed(f"the connection broke after {done:,} bytes: "
                                       f"{exc or type(exc).__name__}") from None
                if not chunk:
                    break
                done += len(chunk)
                if done > MAX_DOWNLOAD:
                    raise MirrorFailed(f"more than {MAX_DOWNLOAD:,} bytes; refused")
                digest.update(chunk)
                if content is not None:
                    content.update(chunk)
                f.write(chunk)
                report(done, total)
            if total is not None and done < total:
                raise MirrorFailed(f"the connection closed after {done:,} of {total:,} bytes")
            if digest.hexdigest() == expected_md5:
                return done, f"MD5 {expected_md5} as published"
            if content is None:
                raise MirrorFailed(f"checksum mismatch: MD5 {digest.hexdigest()}, the "
                                   f"published one is {expected_md5} (only the published "
                                   f".gz files can be checked: their authors publish no "
                                   f"checksum of the content)")
            got = content.hexdigest()
            if got != content_sha256:
                raise MirrorFailed(f"checksum mismatch: MD5 {digest.hexdigest()}, the "
                                   f"published one is {expected_md5}, and its decompressed "
                                   f"content is not the data set's either (SHA-256 "
                                   f"{got or 'unreadable: not gzip, or cut short'})")
    return done, (f"compressed again by the mirror; its content has the data set's SHA-256 "
                  f"{content_sha256}")


def _declared_length(response):
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
