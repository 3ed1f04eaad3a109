"""The playground with no server: the Web Worker's Python side (purenn.playground.browser)
and the exported site (purenn.playground.export), here in CPython; the site itself is
driven in Debian's chromium by test_playground_browser.py (tox -e playground)."""

import json
import os
import zipfile

import pytest

from purenn import cli, registry
from purenn.playground import browser, plane

OPTIMIZERS = registry.names("purenn.optimizers")
CONFIG = {"dataset": "spiral", "noise": 0.2, "seed": 3, "batch_size": 10}


def weights(session):
    return {k: repr(v) for k, v in session.net.state_dict().items()}


def test_a_run_trained_in_slices_equals_the_threaded_one_bit_for_bit():
    threaded = plane.PlaneSession(dict(CONFIG), OPTIMIZERS)
    try:
        threaded.step(95)
        stepped = browser.SteppedPlaneSession(dict(CONFIG), OPTIMIZERS)
        stepped.run()
        while stepped.updates < 95:       # slices of one update or so, stopped mid-epoch
            stepped.tick(0.0)
        assert stepped.updates == 95
        assert weights(stepped) == weights(threaded)
        assert stepped.state()["records"] == threaded.state()["records"]
        assert stepped.state()["command"] == threaded.state()["command"]
    finally:
        threaded.close()


def test_step_and_pause_without_threads():
    session = browser.SteppedPlaneSession(dict(CONFIG), OPTIMIZERS)
    session.step(7)
    assert session.updates == 7 and session.paused and not session.tick()
    session.run()
    assert session.tick(0.2) is True
    session.pause()
    done = session.updates
    assert not session.tick() and session.updates == done
    with pytest.raises(plane.BadRequest, match="updates must be a whole number"):
        session.step(0)


def test_the_worker_answers_as_the_server_does():
    worker = browser.Worker()
    status, kind, headers, body = worker.answer("GET", "/api/info", "")
    assert status == 200 and kind == "application/json"
    assert "spiral" in json.loads(body)["datasets"]
    status, _, _, body = worker.answer("POST", "/api/plane/reset", json.dumps(CONFIG))
    assert status == 200 and json.loads(body)["state"]["updates"] == 0
    status, _, _, body = worker.answer("POST", "/api/plane/step", '{"updates": 3}')
    assert status == 200 and json.loads(body)["updates"] == 3
    worker.answer("POST", "/api/plane/run", "{}")
    assert worker.tick() is True
    status, _, _, body = worker.answer("POST", "/api/plane/pause", "{}")
    assert status == 200 and json.loads(body)["running"] is False
    status, kind, headers, body = worker.answer("GET", "/api/plane/spec.net", "{}")
    assert status == 200 and b"\ninput 2\n" in body and "playground.net" in headers


@pytest.mark.parametrize(("method", "path", "argument", "status", "words"), [
    ("GET", "/api/nothing", "", 404, "no such API"),
    ("POST", "/api/plane/reset", '{"seed": 1e400}', 400, "seed"),
    ("POST", "/api/plane/reset", "[1]", 400, "JSON object"),
    ("POST", "/api/plane/step", '{"updates": 1}', 409, "no 2-D run yet"),
    ("POST", "/api/digits/read", '{"width": 2}', 400, "the drawing needs"),
])
def test_a_bad_request_is_one_line(method, path, argument, status, words):
    got, _, _, body = browser.Worker().answer(method, path, argument)
    message = json.loads(body)["error"]
    assert got == status and words in message and "\n" not in message


def test_the_wheel_is_purenn_as_it_runs():
    from purenn import __version__
    from purenn.playground.export import build_wheel

    name, data = build_wheel()
    assert name == f"purenn-{__version__}-py3-none-any.whl"
    import io
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        names = set(wheel.namelist())
        record = wheel.read(f"purenn-{__version__}.dist-info/RECORD").decode()
    assert {"purenn/__init__.py", "purenn/playground/browser.py",
            "purenn/specs/two_layer.net", "purenn/playground/static/worker.js",
            f"purenn-{__version__}.dist-info/METADATA"} <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert len(record.splitlines()) == len(names)


def test_the_export_writes_the_site(tmp_path, capsys):
    site = tmp_path / "site"
    assert cli.main(["playground", "--export", str(site)]) == 0
    files = sorted(os.listdir(site))
    assert files == sorted(["index.html", "playground.js", "playground.css", "static.js",
                            "worker.js", "site.json", "purenn-0.1.0-py3-none-any.whl"])
    config = json.loads((site / "site.json").read_text())
    from purenn.playground.export import DEFAULT_PYODIDE
    assert config["pyodide"] == DEFAULT_PYODIDE and config["model"] is None
    page = (site / "index.html").read_text()
    assert 'src="static.js"' in page and 'src="/playground.js"' not in page
    assert "static site" in capsys.readouterr().out


def test_the_pyodide_tox_installs_is_the_one_the_site_names():
    from purenn.playground.export import PYODIDE_VERSION
    tox = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tox.ini")
    if not os.path.exists(tox):
        pytest.skip("needs the repository's tox.ini")
    with open(tox, encoding="utf-8") as f:
        assert f"pyodide@{PYODIDE_VERSION}" in f.read()


@pytest.mark.parametrize(("extra", "words"), [
    (["--pyodide", "nowhere"], "--pyodide 'nowhere': neither a folder holding Pyodide"),
    (["--pyodide", "."], "not a Pyodide folder (it lacks pyodide.mjs"),
    (["--model", "missing.safetensors"], "missing.safetensors"),
])
def test_a_bad_export_is_one_line_and_writes_no_site(tmp_path, monkeypatch, capsys, extra,
                                                     words):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["playground", "--export", "site", *extra]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]
    assert not (tmp_path / "site" / "index.html").exists()


def test_pyodide_goes_with_export(capsys):
    assert cli.main(["playground", "--pyodide", "x", "--no-browser"]) == 1
    assert "--pyodide goes with --export DIR" in capsys.readouterr().err
