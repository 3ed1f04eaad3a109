"""``purenn fetch`` against a real HTTP server on 127.0.0.1, started by the tests.

The served files are generated here; the catalog entry for "mnist" is swapped for one
whose mirrors are the loopback server and whose checksums are those of these files, so no
other address is ever contacted.
"""

import gzip
import hashlib
import http.server
import io
import os
import socket
import struct
import threading

import pytest
from helpers import needs_mnist, run_purenn

from purenn import cli
from purenn.data import catalog, fetch, resolve
from purenn.viz.progress import DownloadBar as ProgressBar
from purenn.viz.progress import DownloadLines as PlainProgress

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
TIMEOUT = 5.0


def idx_gz(type_code, dims, payload):
    blob = struct.pack(f">HBB{len(dims)}I", 0, type_code, len(dims), *dims) + payload
    return gzip.compress(blob, mtime=0)


def tiny_mnist():
    """The four files of a 12-image training set and a 4-image test set, 28x28."""
    files = {}
    for prefix, count in (("train", 12), ("t10k", 4)):
        pixels = bytes((7 * i) % 256 for i in range(count * 784))
        files[f"{prefix}-images-idx3-ubyte.gz"] = idx_gz(0x08, (count, 28, 28), pixels)
        files[f"{prefix}-labels-idx1-ubyte.gz"] = idx_gz(0x08, (count,),
                                                         bytes(i % 10 for i in range(count)))
    return files


FILES = tiny_mnist()


class Server:
    """A loopback HTTP server: ``routes[path] = (mode, body)`` with mode "ok", "cut"
    (announces the whole body, sends half, hangs up) or "404"; ``hits`` counts requests."""

    def __init__(self):
        self.routes = {}
        self.hits = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits.append(self.path)
                mode, body = server.routes.get(self.path, ("404", b""))
                if mode == "404":
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body if mode == "ok" else body[:len(body) // 2])
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, prefix):
        return f"http://127.0.0.1:{self.httpd.server_port}/{prefix}/"

    def serve(self, prefix, files, mode="ok"):
        for name, body in files.items():
            self.routes[f"/{prefix}/{name}"] = (mode, body)
        return self.url(prefix)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(TIMEOUT)


@pytest.fixture
def server(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    s = Server()
    yield s
    s.close()
    assert len(s.hits) <= 20  # every test makes a bounded number of requests


def use_mirrors(monkeypatch, *mirrors, files=FILES):
    """Make "mnist" a data set published at ``mirrors`` with the MD5s of ``files``."""
    real = catalog.SOURCES["mnist"]
    fake = catalog.Source(name="mnist", title="MNIST", mirrors=tuple(mirrors),
                          md5={n: hashlib.md5(b).hexdigest() for n, b in files.items()},
                          credit=real.credit, license=real.license, homepage=real.homepage)
    monkeypatch.setitem(catalog.SOURCES, "mnist", fake)
    return fake


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone/"


def listing(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else None


# --- downloads -----------------------------------------------------------------------

def test_good_download_is_verified_and_kept(server, monkeypatch, tmp_path):
    mirror = server.serve("a", FILES)
    use_mirrors(monkeypatch, mirror)
    lines, seen = [], []
    folder = fetch.fetch("mnist", tmp_path / "m", log=lines.append,
                         progress=lambda *a: seen.append(a), timeout=TIMEOUT)
    assert folder == str(tmp_path / "m")
    assert listing(folder) == sorted(NAMES)
    for name in NAMES:
        with open(os.path.join(folder, name), "rb") as f:
            assert f.read() == FILES[name]
    size = len(FILES["train-images-idx3-ubyte.gz"])
    assert lines[:2] == [f"downloading {mirror}train-images-idx3-ubyte.gz",
                         f"saved {folder}/train-images-idx3-ubyte.gz ({size:,} bytes, MD5 "
                         f"{hashlib.md5(FILES['train-images-idx3-ubyte.gz']).hexdigest()} "
                         f"as published)"]
    assert seen[-1] == ("t10k-labels-idx1-ubyte.gz", len(FILES["t10k-labels-idx1-ubyte.gz"]),
                        len(FILES["t10k-labels-idx1-ubyte.gz"]))
    assert server.hits == [f"/a/{n}" for n in NAMES]
    train, test, said = resolve.load("mnist", folder)
    assert (len(train), len(test)) == (12, 4)


def test_files_already_there_are_checked_not_downloaded(server, monkeypatch, tmp_path):
    use_mirrors(monkeypatch, server.serve("a", FILES))
    fetch.fetch("mnist", tmp_path, timeout=TIMEOUT)
    stale = tmp_path / "t10k-labels-idx1-ubyte.gz"
    stale.write_bytes(b"not the published file")
    lines = []
    fetch.fetch("mnist", tmp_path, log=lines.append, timeout=TIMEOUT)
    assert lines[0] == f"train-images-idx3-ubyte.gz: already in {tmp_path}, checksum ok"
    assert server.hits[4:] == ["/a/t10k-labels-idx1-ubyte.gz"]
    assert stale.read_bytes() == FILES["t10k-labels-idx1-ubyte.gz"]


def test_checksum_mismatch_keeps_nothing_and_names_file_and_mirror(server, monkeypatch,
                                                                    tmp_path):
    tampered = dict(FILES, **{"train-images-idx3-ubyte.gz": FILES["t10k-images-idx3-ubyte.gz"]})
    mirror = server.serve("evil", tampered)
    source = use_mirrors(monkeypatch, mirror)
    got = hashlib.md5(FILES["t10k-images-idx3-ubyte.gz"]).hexdigest()
    want = source.md5["train-images-idx3-ubyte.gz"]
    with pytest.raises(fetch.FetchError) as err:
        fetch.fetch("mnist", tmp_path / "new", timeout=TIMEOUT)
    assert str(err.value) == (
        f"cannot download train-images-idx3-ubyte.gz of mnist from any mirror "
        f"({mirror}train-images-idx3-ubyte.gz: checksum mismatch: MD5 {got}, the published "
        f"one is {want} (only the published .gz files can be checked: their authors publish "
        f"no checksum of the content)); add another mirror with --mirror URL, or use your "
        f"own copy with "
        f"--data DIR")
    assert listing(tmp_path / "new") is None  # the folder it made is gone too
    (tmp_path / "old").mkdir()
    with pytest.raises(fetch.FetchError):
        fetch.fetch("mnist", tmp_path / "old", timeout=TIMEOUT)
    assert listing(tmp_path / "old") == []  # no temporary file left


def regzipped(files, level=1):
    """The same files compressed again (another level, a header with a name and a time):
    other .gz bytes, the same content."""
    out = {}
    for name, blob in files.items():
        buffer = io.BytesIO()
        with gzip.GzipFile(filename=name[:-3], mode="wb", fileobj=buffer, compresslevel=level,
                           mtime=1234567890) as f:
            f.write(gzip.decompress(blob))
        out[name] = buffer.getvalue()
    return out


def use_mirrors_with_content(monkeypatch, *mirrors):
    source = use_mirrors(monkeypatch, *mirrors)
    with_content = catalog.Source(**{**source.__dict__, "content_sha256": {
        n: hashlib.sha256(gzip.decompress(b)).hexdigest() for n, b in FILES.items()}})
    monkeypatch.setitem(catalog.SOURCES, "mnist", with_content)
    return with_content


def test_a_mirror_that_compressed_the_files_again_is_accepted_by_their_content(
        server, monkeypatch, tmp_path):
    again = regzipped(FILES)
    assert all(again[n] != FILES[n] for n in FILES)
    source = use_mirrors_with_content(monkeypatch, server.serve("again", again))
    lines = []
    folder = fetch.fetch("mnist", tmp_path, log=lines.append, timeout=TIMEOUT)
    for name in NAMES:
        assert (tmp_path / name).read_bytes() == again[name]
    assert lines[1] == (f"saved {tmp_path / NAMES[0]} ({len(again[NAMES[0]]):,} bytes, "
                        f"compressed again by the mirror; its content has the data set's "
                        f"SHA-256 {source.content_sha256[NAMES[0]]})")
    hits = len(server.hits)
    fetch.fetch("mnist", folder, log=lines.append, timeout=TIMEOUT)   # kept: not fetched again
    assert len(server.hits) == hits
    assert lines[-1] == f"{NAMES[-1]}: already in {tmp_path}, checksum ok"


@pytest.mark.parametrize("body, content", [
    (lambda again: gzip.compress(gzip.decompress(again)[:-1] + b"\x01", mtime=0),
     "SHA-256 {sha}"),
    (lambda again: again[:len(again) // 2], "SHA-256 unreadable: not gzip, or cut short"),
    (lambda again: b"not gzip at all", "SHA-256 unreadable: not gzip, or cut short"),
])
def test_other_content_in_a_recompressed_file_is_refused(server, monkeypatch, tmp_path,
                                                         body, content):
    bad = dict(FILES, **{NAMES[0]: body(regzipped(FILES)[NAMES[0]])})
    mirror = server.serve("bad", bad)
    use_mirrors_with_content(monkeypatch, mirror)
    with pytest.raises(fetch.FetchError) as err:
        fetch.fetch("mnist", tmp_path / "new", timeout=TIMEOUT)
    try:
        sha = hashlib.sha256(gzip.decompress(bad[NAMES[0]])).hexdigest()
    except (OSError, EOFError):
        sha = None
    assert ("and its decompressed content is not the data set's either ("
            + content.format(sha=sha) + ")") in str(err.value)
    assert listing(tmp_path / "new") is None


def test_the_content_digest_bounds_memory_and_reads_several_members():
    digest = fetch.ContentDigest(limit=100)
    digest.update(gzip.compress(b"a" * 60) + gzip.compress(b"b" * 30))
    assert digest.hexdigest() == hashlib.sha256(b"a" * 60 + b"b" * 30).hexdigest()
    bomb = fetch.ContentDigest(limit=100)
    bomb.update(gzip.compress(b"\0" * 10_000))
    assert bomb.hexdigest() is None and bomb.size <= 100 + (1 << 20)


def test_mnists_content_checksums_are_those_of_the_real_files():
    folder = needs_mnist()
    source = catalog.SOURCES["mnist"]
    for name in NAMES:
        assert fetch.content_sha256_of(os.path.join(folder, name)) == \
            source.content_sha256[name]


def test_connection_cut_mid_file_keeps_nothing_and_tries_the_next_mirror(server, monkeypatch,
                                                                         tmp_path):
    cut = server.serve("cut", FILES, mode="cut")
    good = server.serve("good", FILES)
    use_mirrors(monkeypatch, cut, good)
    lines = []
    partial = []

    def watch(name, done, total):
        # while the cut mirror is being read, no file of that name exists yet
        partial.append(os.path.exists(tmp_path / name))

    fetch.fetch("mnist", tmp_path, log=lines.append, progress=watch, timeout=TIMEOUT)
    size = len(FILES["train-images-idx3-ubyte.gz"])
    assert lines[:3] == [
        f"downloading {cut}train-images-idx3-ubyte.gz",
        f"{cut}train-images-idx3-ubyte.gz: the connection closed after {size // 2:,} of "
        f"{size:,} bytes; nothing kept",
        f"downloading {good}train-images-idx3-ubyte.gz",
    ]
    assert not any(partial)
    assert listing(tmp_path) == sorted(NAMES)
    assert (tmp_path / "train-images-idx3-ubyte.gz").read_bytes() == \
        FILES["train-images-idx3-ubyte.gz"]
    assert server.hits[:2] == ["/cut/train-images-idx3-ubyte.gz",
                               "/good/train-images-idx3-ubyte.gz"]


def test_connection_cut_on_the_only_mirror_keeps_nothing(server, monkeypatch, tmp_path):
    cut = server.serve("cut", FILES, mode="cut")
    use_mirrors(monkeypatch, cut)
    with pytest.raises(fetch.FetchError, match=r"the connection closed after \d[\d,]* of "):
        fetch.fetch("mnist", tmp_path, timeout=TIMEOUT)
    assert listing(tmp_path) == []


def test_interrupted_download_leaves_nothing(server, monkeypatch, tmp_path):
    use_mirrors(monkeypatch, server.serve("a", FILES))

    def interrupt(name, done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch.fetch("mnist", tmp_path / "m", progress=interrupt, timeout=TIMEOUT)
    assert listing(tmp_path / "m") is None
    (tmp_path / "old").mkdir()
    with pytest.raises(KeyboardInterrupt):
        fetch.fetch("mnist", tmp_path / "old", progress=interrupt, timeout=TIMEOUT)
    assert listing(tmp_path / "old") == []


def test_404_on_the_first_mirror(server, monkeypatch, tmp_path):
    empty = server.url("empty")
    good = server.serve("good", FILES)
    use_mirrors(monkeypatch, empty, good)
    lines = []
    fetch.fetch("mnist", tmp_path, log=lines.append, timeout=TIMEOUT)
    assert lines[1] == f"{empty}train-images-idx3-ubyte.gz: HTTP 404 Not Found; nothing kept"
    assert listing(tmp_path) == sorted(NAMES)
    assert server.hits.count("/empty/train-images-idx3-ubyte.gz") == 1


def test_extra_mirror_is_tried_first_and_builtins_can_be_left_out(server, monkeypatch,
                                                                  tmp_path):
    use_mirrors(monkeypatch, server.url("builtin"))
    mine = server.serve("mine", FILES)
    fetch.fetch("mnist", tmp_path / "a", mirrors=[mine.rstrip("/")], timeout=TIMEOUT)
    assert server.hits == [f"/mine/{n}" for n in NAMES]
    with pytest.raises(fetch.FetchError) as err:
        fetch.fetch("mnist", tmp_path / "b", builtin_mirrors=False)
    assert str(err.value) == "no mirror to fetch mnist from: give one with --mirror URL"
    with pytest.raises(fetch.FetchError) as err:
        fetch.fetch("mnist", tmp_path / "b", mirrors=["ftp://example.org/"])
    assert str(err.value) == ("mirror 'ftp://example.org/': expected a URL starting with "
                              "http://, https:// or file://")


def test_offline_error_says_how_to_go_on(server, monkeypatch, tmp_path):
    gone = closed_port_url()
    use_mirrors(monkeypatch, gone)
    with pytest.raises(fetch.FetchError) as err:
        fetch.fetch("mnist", tmp_path / "m", timeout=TIMEOUT)
    message = str(err.value)
    assert message.startswith("cannot download mnist: no mirror could be reached: ")
    assert "Connection refused" in message
    assert message.endswith(f"(127.0.0.1:{gone.split(':')[2].split('/')[0]}); offline? "
                            f"train on your own copy of the four files with --data DIR, or "
                            f"on the bundled MNIST subset ('python3 -m purenn train' with no "
                            f"--data), or add a reachable mirror with --mirror URL")
    assert "\n" not in message
    assert listing(tmp_path / "m") is None


def test_oversized_download_is_refused(server, monkeypatch, tmp_path):
    use_mirrors(monkeypatch, server.serve("a", FILES))
    monkeypatch.setattr(fetch, "MAX_DOWNLOAD", 100)
    size = len(FILES["train-images-idx3-ubyte.gz"])
    with pytest.raises(fetch.FetchError, match=f"the server announces {size:,} bytes, over "
                                               f"the limit of 100"):
        fetch.fetch("mnist", tmp_path, timeout=TIMEOUT)
    assert listing(tmp_path) == []


def test_default_folder_is_the_cache_and_train_finds_it(server, monkeypatch, tmp_path):
    use_mirrors(monkeypatch, server.serve("a", FILES))
    monkeypatch.setenv("PURENN_DATA", str(tmp_path))
    folder = fetch.fetch("mnist", timeout=TIMEOUT)
    assert folder == str(tmp_path / "mnist")
    train, test, said = resolve.load("mnist")
    assert said == f"MNIST from the cache {tmp_path}/mnist"
    assert (len(train), len(test)) == (12, 4)


# --- the command -----------------------------------------------------------------------

def test_fetch_command_in_process(server, monkeypatch, tmp_path):
    use_mirrors(monkeypatch, server.serve("a", FILES))
    lines = []
    code = cli.main(["fetch", "mnist", "--to", str(tmp_path), "--timeout", "5"],
                    out=lines.append)
    assert code == 0
    assert lines[0] == ("MNIST: http://yann.lecun.com/exdb/mnist/; credit Yann LeCun, "
                        "Corinna Cortes, Christopher J.C. Burges; license CC BY-SA 3.0")
    assert lines[-1] == (f"MNIST is in {tmp_path}; train on it with 'python3 -m purenn "
                         f"train --dataset mnist --data {tmp_path}'")
    assert listing(tmp_path) == sorted(NAMES)


def test_progress_bar_on_a_terminal_and_plain_lines_otherwise():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.update("f.gz", 500_000, 2_000_000)
    bar.update("f.gz", 2_000_000, 2_000_000)
    bar.finish()
    bar.finish()
    bar.update("g.gz", 4500, None)
    bar.finish()
    assert stream.getvalue() == ("\rf.gz [#######.......................]  25% 500.0 kB of "
                                 "2.0 MB"
                                 "\rf.gz [##############################] 100% 2.0 MB of "
                                 "2.0 MB\n"
                                 "\rg.gz 4.5 kB\n")
    lines = []
    plain = PlainProgress(lines.append)
    for done in range(0, 2_000_001, 100_000):
        plain.update("f.gz", done, 2_000_000)
    plain.update("small.gz", 10, 20)
    assert lines == ["f.gz: 25% (500.0 kB of 2.0 MB)", "f.gz: 50% (1.0 MB of 2.0 MB)",
                     "f.gz: 75% (1.5 MB of 2.0 MB)"]


def test_cli_errors_are_one_line_with_exit_codes(tmp_path):
    gone = closed_port_url()
    env = {"PURENN_DATA": str(tmp_path / "cache"), "no_proxy": "*"}
    done = run_purenn("fetch", "mnist", "--mirror", gone, "--mirrors-only", "--to",
                      str(tmp_path / "m"), "--timeout", "5", env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: cannot download mnist: no mirror could be reached: ")
    assert "--data DIR" in done.stderr
    assert f"downloading {gone}train-images-idx3-ubyte.gz" in done.stdout
    assert listing(tmp_path / "m") is None

    done = run_purenn("fetch", "mnist", "--mirror", "ftp://x/", "--mirrors-only", env=env,
                      timeout=60)
    assert (done.returncode, done.stderr) == (1, "error: mirror 'ftp://x/': expected a URL "
                                                 "starting with http://, https:// or "
                                                 "file://\n")
    done = run_purenn("fetch", "cifar", env=env, timeout=60)
    assert done.returncode == 2
    assert "argument NAME: invalid choice: 'cifar'" in done.stderr
    done = run_purenn("fetch", "mnist", "--timeout", "0", env=env, timeout=60)
    assert done.returncode == 2
    done = run_purenn("fetch", "--help", env=env, timeout=60)
    assert done.returncode == 0
    assert "python3 -m purenn fetch fashion-mnist" in done.stdout
    assert "$PURENN_DATA/NAME" in done.stdout


def test_the_shared_regzipped_files_are_taken_by_their_content(tmp_path):
    """../shared's MNIST was compressed again (its .gz MD5 is not the published one): fetch
    takes each file by the SHA-256 of what it decompresses to."""
    folder = needs_mnist()
    url = "file://" + folder + "/"
    done = run_purenn("fetch", "mnist", "--mirror", url, "--mirrors-only", "--to",
                      str(tmp_path / "m"), env={"no_proxy": "*"}, timeout=120)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "compressed again by the mirror; its content has the data set's SHA-256 " \
           "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db" in text
    assert sorted(listing(tmp_path / "m")) == sorted(NAMES)


def test_catalog_lists_the_published_checksums():
    assert catalog.SOURCES["mnist"].md5["train-images-idx3-ubyte.gz"] == \
        "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert catalog.SOURCES["fashion-mnist"].md5["t10k-labels-idx1-ubyte.gz"] == \
        "bb300cfdad3c16e7a12a480ee83cd310"
    assert catalog.SOURCES["kmnist"].md5["train-images-idx3-ubyte.gz"] == \
        "bdb82020997e1d708af4cf47b453dcf7"
    for source in catalog.SOURCES.values():
        assert sorted(source.md5) == sorted(NAMES)
        assert all(len(md5) == 32 for md5 in source.md5.values())
        assert all(url.endswith("/") for url in source.mirrors)
