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
