"""``purenn playground --export DIR``: the playground as a static site, with no server.

DIR gets the page (``index.html``, ``playground.js``, ``playground.css``), ``static.js``
(which makes the page send its requests to a Web Worker instead of a server),
``worker.js`` (which loads Pyodide, installs purenn's wheel and answers them with
``purenn.playground.browser``), purenn's own wheel, built here from the files of the purenn
being run, ``site.json`` (where Pyodide, the wheel and the digits model are) and, with
``--model``, the digits model. Any static host serves it; ``python3 -m http.server`` does.

Pyodide comes from ``--pyodide``: a folder holding it (npm's ``pyodide`` package, or a
Pyodide release's ``full/`` folder) is copied into DIR/pyodide, so that the site needs no
network at all; a URL is used as it is; without it, the page loads Pyodide from
``DEFAULT_PYODIDE`` (jsDelivr's copy of the release the tests run).
"""

import base64
import hashlib
import io
import json
import os
import shutil
import zipfile
from importlib import resources

from .. import __version__
from ..errors import PurennError
from ..fileio import check_folder, write_bytes

PYODIDE_VERSION = "314.0.8"
DEFAULT_PYODIDE = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json")
SITE_FILES = ("playground.js", "playground.css", "static.js", "worker.js")
SKIPPED = ("__pycache__",)


def export(folder, *, pyodide=None, model=None):
    """Write the site into ``folder`` (made if missing); returns the list of files."""
    check_folder(folder, "--export", create=True)
    if model is not None:
        from ..model import load
        from .digits import check_digit_network
        check_digit_network(load(model), model)
    pyodide_url = _pyodide(folder, pyodide)
    static = resources.files("purenn.playground") / "static"
    written = []

    def put(name, data):
        write_bytes(os.path.join(folder, name), data)
        written.append(name)

    page = (static / "index.html").read_text("utf-8")
    page = page.replace('href="/playground.css"', 'href="playground.css"').replace(
        '<script src="/playground.js" defer></script>',
        '<script src="static.js"></script>\n<script src="playground.js" defer></script>')
    put("index.html", page.encode("utf-8"))
    for name in SITE_FILES:
        put(name, (static / name).read_bytes())
    wheel_name, wheel = build_wheel()
    put(wheel_name, wheel)
    if model is not None:
        with open(model, "rb") as f:
            put("digits.safetensors", f.read())
    site = {"version": __version__, "pyodide": pyodide_url, "wheel": wheel_name,
            "model": "digits.safetensors" if model is not None else None}
    put("site.json", json.dumps(site, indent=1).encode("utf-8"))
    return written


def _pyodide(folder, source):
    """The URL the page loads Pyodide from, relative to the site or absolute."""
    if source is None:
        return DEFAULT_PYODIDE
    if source.startswith(("https://", "http://")):
        return source if source.endswith("/") else source + "/"
    if not os.path.isdir(source):
        raise PurennError(f"--pyodide {source!r}: neither a folder holding Pyodide nor an "
                          f"http(s) URL")
    missing = [name for name in PYODIDE_FILES if not os.path.isfile(os.path.join(source, name))]
    if missing:
        raise PurennError(f"--pyodide {source!r}: not a Pyodide folder (it lacks "
                          f"{', '.join(missing)}; npm's pyodide package has them)")
    target = os.path.join(folder, "pyodide")
    os.makedirs(target, exist_ok=True)
    for name in PYODIDE_FILES:
        shutil.copyfile(os.path.join(source, name), os.path.join(target, name))
    return "pyodide/"


def build_wheel():
    """(file name, bytes) of a wheel of the purenn package being run: its files as they
    are, and the metadata a wheel needs (no build tool: a wheel is a zip file)."""
    package = resources.files("purenn")
    files = sorted(_package_files(package, "purenn"))
    dist_info = f"purenn-{__version__}.dist-info"
    meta = {
        f"{dist_info}/METADATA": (f"Metadata-Version: 2.1\nName: purenn\nVersion: "
                                  f"{__version__}\nSummary: Neural networks in pure Python\n"
                                  f"Requires-Python: >=3.9\n").encode(),
        f"{dist_info}/WHEEL": (b"Wheel-Version: 1.0\nGenerator: purenn playground "
                               b"--export\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        f"{dist_info}/entry_points.txt": _entry_points().encode(),
    }
    record, buffer = [], io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in [*((n, t.read_bytes()) for n, t in files), *meta.items()]:
            wheel.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data,
                           zipfile.ZIP_DEFLATED)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{name},sha256={digest.decode()},{len(data)}")
        record.append(f"{dist_info}/RECORD,,")
        wheel.writestr(zipfile.ZipInfo(f"{dist_info}/RECORD", (2020, 1, 1, 0, 0, 0)),
                       "\n".join(record) + "\n", zipfile.ZIP_DEFLATED)
    return f"purenn-{__version__}-py3-none-any.whl", buffer.getvalue()


def _package_files(folder, prefix):
    for item in folder.iterdir():
        name = f"{prefix}/{item.name}"
        if item.is_dir():
            if item.name not in SKIPPED:
                yield from _package_files(item, name)
        elif not item.name.endswith((".pyc", ".pyo")):
            yield name, item


def _entry_points():
    """purenn's own entry points, as the installed distribution declares them (a clone
    that was never installed has none: purenn's registry then finds its built-ins by its
    own table, in Pyodide as here)."""
    from importlib import metadata

    try:
        return metadata.distribution("purenn").read_text("entry_points.txt") or ""
    except metadata.PackageNotFoundError:
        return ""
