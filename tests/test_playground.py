"""``purenn playground``'s HTTP API end to end, with urllib against a server started here."""

import base64
import http.client
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from helpers import default_ctrl_c

import purenn
from purenn import cli
from purenn.formats import safetensors
from purenn.playground import engine, plane
from purenn.playground.digits import DigitReader
from purenn.playground.server import MAX_BODY, Playground, Server, close_server, serve

# the purenn these tests import, for the command run in a child process
PURENN_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))


@pytest.fixture(scope="module")
def digit_model(tmp_path_factory):
    """An untrained 784-50-10 network in a model file (reading needs no good answers)."""
    path = str(tmp_path_factory.mktemp("model") / "digits.safetensors")
    purenn.save(purenn.build("two_layer", seed=1), path)
    return path


@pytest.fixture()
def server(digit_model):
    server = serve(Playground(DigitReader(digit_model)))
    yield server
    close_server(server)


def request(server, path, body=None, *, method=None, headers=None, raw=None):
    """(status, headers, decoded body) of one request; JSON bodies decoded."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    all_headers = {"Content-Type": "application/json"} if data is not None else {}
    all_headers.update(headers or {})
    req = urllib.request.Request(server.url.rstrip("/") + path, data=data,
                                 headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as answer:
            status, head, content = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as exc:
        status, head, content = exc.code, exc.headers, exc.read()
    if head.get("Content-Type", "").startswith("application/json"):
        return status, head, json.loads(content)
    return status, head, content


def raw_request(server, method, path, headers, body=b""):
    """A request with exactly these headers (urllib would add its own Host)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders(body)
    answer = conn.getresponse()
    status, content = answer.status, answer.read()
    conn.close()
    return status, json.loads(content) if content.startswith(b"{") else content


# -- the page -----------------------------------------------------------------------------
def test_page_and_its_files_are_served_from_the_package(server):
    status, head, page = request(server, "/")
    assert status == 200 and head["Content-Type"] == "text/html; charset=utf-8"
    assert b"<title>purenn playground</title>" in page
    assert "default-src 'self'" in head["Content-Security-Policy"]
    for path, kind in (("/playground.js", "text/javascript"), ("/playground.css", "text/css")):
        status, head, content = request(server, path)
        assert status == 200 and head["Content-Type"].startswith(kind) and len(content) > 1000


def test_the_page_fetches_nothing_from_the_internet(server):
    for path in ("/", "/playground.js", "/playground.css"):
        text = request(server, path)[2].decode()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), path


@pytest.mark.parametrize("path", ["/index.html", "/../setup.cfg", "/static/index.html",
                                  "/%2e%2e/setup.cfg", "/playground.js/../../cli.py",
                                  "//etc/passwd", "/api/../playground.css"])
def test_no_path_reaches_the_file_system(server, path):
    status, body = raw_request(server, "GET", path,
                                  {"Host": f"127.0.0.1:{server.server_port}"})
    assert status == 404 and "no such page" in body["error"]


# -- who may ask ----------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:1", "localhost",
                                  "127.0.0.1.nip.io:{port}", ""])
def test_a_host_other_than_the_loopback_one_is_refused(server, host):
    status, body = raw_request(server, "GET", "/api/info",
                               {"Host": host.format(port=server.server_port)})
    assert status == 403 and "is not this server" in body["error"]


def test_localhost_and_the_address_are_both_served(server):
    for name in ("localhost", "127.0.0.1", "LOCALHOST"):
        status, body = raw_request(server, "GET", "/api/info",
                                   {"Host": f"{name}:{server.server_port}"})
        assert status == 200 and "moons" in body["datasets"]


def test_a_post_from_another_origin_is_refused(server):
    status, _, body = request(server, "/api/plane/reset", {},
                              headers={"Origin": "http://evil.example"})
    assert status == 403 and "evil.example" in body["error"]
    status, _, _ = request(server, "/api/plane/reset", {},
                           headers={"Origin": f"http://localhost:{server.server_port}"})
    assert status == 200


def test_the_server_listens_on_loopback_only(server):
    assert server.server_address[0] == "127.0.0.1"


# -- bad requests get 400 and a message, the server goes on ---------------------------------
@pytest.mark.parametrize("raw, kind, status, message", [
    (b"{not json", "application/json", 400, "the body: its text is not valid JSON"),
    (b"[1, 2]", "application/json", 400, "must be a JSON object"),
    (b"\xff\xfe", "application/json", 400, "the body: its text is not UTF-8 text"),
    (b"{}", "text/plain", 400, "Content-Type must be application/json"),
    (b'{"dataset": "spirals"}', "application/json", 400, "dataset must be one of"),
    (b'{"lr": -1}', "application/json", 400, "lr must be between"),
    (b'{"lr": "fast"}', "application/json", 400, "lr must be a number"),
    (b'{"hidden": [{"units": 0, "activation": "relu"}]}', "application/json", 400,
     "units must be between 1"),
    (b'{"hidden": [{"units": 3, "activation": "swish"}]}', "application/json", 400,
     "activation must be one of"),
    (b'{"colour": 1}', "application/json", 400, "unknown setting 'colour'"),
    (b'{"spec": "input 2\\ndense 2\\nrleu\\nloss softmax_cross_entropy\\n"}',
     "application/json", 400, "<spec>:3: unknown layer 'rleu'; did you mean 'relu'?"),
    (b'{"spec": "input 3\\ndense 2\\nloss softmax_cross_entropy\\n"}', "application/json",
     400, "the spec's input must be 2"),
    (b'{"dataset": "spiral", "spec": "input 2\\ndense 2\\nloss softmax_cross_entropy\\n"}',
     "application/json", 400, "must have 3 units, one per class of spiral"),
])
def test_bad_settings_get_400_with_a_message(server, raw, kind, status, message):
    got, _, body = request(server, "/api/plane/reset", raw=raw,
                           headers={"Content-Type": kind})
    assert got == status and message in body["error"], body
    assert request(server, "/api/info")[0] == 200


def test_a_body_over_the_limit_is_not_read(server):
    status, body = raw_request(server, "POST", "/api/digits/read", {
        "Host": f"127.0.0.1:{server.server_port}", "Content-Type": "application/json",
        "Content-Length": str(MAX_BODY + 1)})
    assert status == 413 and f"at most {MAX_BODY}" in body["error"]


def test_missing_and_bad_lengths_get_400(server):
    host = {"Host": f"127.0.0.1:{server.server_port}", "Content-Type": "application/json"}
    assert raw_request(server, "POST", "/api/plane/run", host)[0] == 400
    status, body = raw_request(server, "POST", "/api/plane/run",
                               {**host, "Content-Length": "lots"})
    assert status == 400 and "'lots' is not a number" in body["error"]


def test_wrong_methods_and_unknown_apis(server):
    assert request(server, "/api/plane/run")[0] == 405
    assert request(server, "/api/info", {})[0] == 405
    status, _, body = request(server, "/api/nothing")
    assert status == 404 and "'/api/nothing'" in body["error"]
    status, _, body = request(server, "/api/plane/state?since=x")
    assert status == 409 and "no 2-D run yet" in body["error"]
    request(server, "/api/plane/reset", {})
    status, _, body = request(server, "/api/plane/state?since=x")
    assert status == 400 and "since must be a whole number" in body["error"]
    for text in ("%D9%A1", "%EF%BC%91", "1" * 13, "-1", "%2B1"):   # "١", fullwidth "１"
        status, _, body = request(server, f"/api/plane/state?since={text}")
        assert status == 400 and "since must be a whole number" in body["error"], text
    status, _, body = request(server, "/api/plane/step", {"updates": 0})
    assert status == 400 and "updates must be a whole number" in body["error"]


# -- the 2-D panel ----------------------------------------------------------------------------
def test_reset_sends_the_setup_and_the_first_picture(server):
    status, _, answer = request(server, "/api/plane/reset", {"dataset": "spiral"})
    assert status == 200
    setup, state = answer["setup"], answer["state"]
    assert setup["classes"] == 3 and len(setup["train"]) == len(setup["test"]) == 300
    assert setup["config"]["noise"] == 0.2 and "dense 3 init=xavier" in setup["spec"]
    assert setup["editor"]["hidden"] == setup["config"]["hidden"]
    assert state["grid"] == setup["grid"] and len(state["regions"]) == setup["grid"] ** 2 * 3
    assert state["updates"] == 0 and state["records"]["epoch"] == [0]
    assert not state["running"]


def test_the_spec_text_round_trips_through_the_editor(server):
    spec = ("input 2\ndense 5 init=he\nrelu\ndense 3 init=xavier\nsigmoid\ndense 2\n"
            "loss softmax_cross_entropy weight_decay=0.001\noptimizer adam lr=0.01\n")
    answer = request(server, "/api/plane/reset", {"dataset": "xor", "spec": spec})[2]
    assert answer["setup"]["spec"] == spec and answer["setup"]["custom"]
    assert answer["setup"]["editor"] == {
        "hidden": [{"units": 5, "activation": "relu"}, {"units": 3, "activation": "sigmoid"}],
        "optimizer": "adam", "lr": 0.01, "weight_decay": 0.001}
    with_dropout = spec.replace("relu\n", "relu\ndropout 0.1\n")
    answer = request(server, "/api/plane/reset", {"dataset": "xor", "spec": with_dropout})[2]
    assert answer["setup"]["editor"] is None


def test_run_pause_and_step(server):
    request(server, "/api/plane/reset", {"dataset": "circles"})
    assert request(server, "/api/plane/run", {})[2]["running"]
    deadline = time.monotonic() + 60
    while request(server, "/api/plane/state")[2]["updates"] < 5:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    paused = request(server, "/api/plane/pause", {})[2]
    assert not paused["running"]
    time.sleep(0.3)
    again = request(server, "/api/plane/state")[2]
    assert again["updates"] == paused["updates"]
    stepped = request(server, "/api/plane/step", {"updates": 3})[2]
    assert stepped["updates"] == paused["updates"] + 3 and not stepped["running"]
    # the records come once: asking from where the page stands gives only the new ones
    seen = len(request(server, "/api/plane/state")[2]["records"]["epoch"])
    assert request(server, f"/api/plane/state?since={seen}")[2]["records"]["epoch"] == []


def test_the_regions_change_while_it_learns_and_are_sent_only_when_new(server):
    first = request(server, "/api/plane/reset", {"dataset": "moons"})[2]["state"]
    version = first["regions_version"]
    assert "regions" not in request(server, f"/api/plane/state?regions={version}")[2]
    later = request(server, "/api/plane/step", {"updates": 60})[2]
    assert later["regions_version"] > version
    after = request(server, f"/api/plane/state?regions={version}")[2]["regions"]
    assert after != first["regions"]
    losses = request(server, "/api/plane/state")[2]["records"]["train_loss"]
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("more", [
    {}, {"ratio": 30, "features": ["x1^2", "x2", "sin_x1"]},
    {"dataset": "gauss", "ratio": 60, "points": [[0.5, -0.25, 0.75], [0.1, 0.2, -1]]}])
def test_the_same_numbers_as_purenn_train(server, tmp_path, more):
    """Settings, seed and data of a playground run, then ``purenn train`` with its
    downloaded spec: the same loss per epoch, accuracies and final weights, bit for bit
    (also with a ratio and feature inputs, which the command then repeats; and on a
    regression set, where both show the test loss and no accuracy)."""
    settings = {"dataset": "moons", "noise": 0.15, "seed": 7, "batch_size": 20,
                "hidden": [{"units": 6, "activation": "relu"},
                           {"units": 4, "activation": "tanh"}],
                "optimizer": "adam", "lr": 0.02, "weight_decay": 0.001, **more}
    setup = request(server, "/api/plane/reset", settings)[2]["setup"]
    epochs = 3
    request(server, "/api/plane/step", {"updates": epochs * setup["batches_per_epoch"]})
    state = request(server, "/api/plane/state")[2]
    assert state["epoch"] == epochs
    spec_path = tmp_path / "playground.net"
    spec_path.write_bytes(request(server, "/api/plane/spec.net")[2])
    model_path = tmp_path / "playground.safetensors"
    model_path.write_bytes(request(server, "/api/plane/model.safetensors")[2])

    command = state["command"].split()
    assert command[:4] == ["python3", "-m", "purenn", "train"]
    args = command[3:]
    args[args.index("--spec") + 1] = str(spec_path)
    cli_model = tmp_path / "cli.safetensors"
    lines = []
    code = cli.main([*args, "--log-every", "1", "--out", str(cli_model)], out=lines.append)
    assert code == 0
    printed = [line for line in lines if line.startswith("epoch ")]
    records = state["records"]
    assert len(printed) == epochs
    if more.get("dataset") == "gauss":
        assert "train_acc" not in records and "--add-point=0.5,-0.25,0.75 " in state["command"]
        for line, loss, test_loss in zip(printed, records["train_loss"][1:],
                                         records["test_loss"][1:]):
            assert f"loss {loss:.4f}  train loss " in line
            assert f"  test loss {test_loss:.4f}  (" in line
        assert lines[-1].startswith(f"test loss {records['test_loss'][-1]:.4f} after 3 ")
    else:
        for line, loss, train_acc, test_acc in zip(printed, records["train_loss"][1:],
                                                   records["train_acc"][1:],
                                                   records["test_acc"][1:]):
            assert f"loss {loss:.4f}  train acc {train_acc:.4f}  test acc {test_acc:.4f}" \
                in line
    ours, _ = safetensors.read_tensors(str(model_path))
    theirs, _ = safetensors.read_tensors(str(cli_model))
    assert sorted(ours) == sorted(theirs)
    for key in ours:
        assert list(ours[key].values) == list(theirs[key].values), key


@pytest.mark.parametrize("name", ["plane", "gauss"])
def test_a_regression_set_fits_one_value_and_has_no_accuracy(server, name):
    answer = request(server, "/api/plane/reset", {"dataset": name})[2]
    setup, state = answer["setup"], answer["state"]
    assert setup["task"] == "regression" and setup["classes"] is None
    assert "dense 1 init=xavier\nloss mean_squared_error\n" in setup["spec"]
    targets = [point[2] for point in setup["train"] + setup["test"]]
    assert all(isinstance(t, float) and -1 <= t <= 1 for t in targets)
    assert min(targets) < -0.5 and max(targets) > 0.5
    assert sorted(state["records"]) == ["epoch", "test_loss", "train_loss"]
    # the picture is the prediction per cell, -100..100, not class probabilities
    assert "regions" not in state and len(state["values"]) == setup["grid"] ** 2
    assert all(-100 <= v <= 100 for v in state["values"])
    stepped = request(server, "/api/plane/step",
                      {"updates": 3 * setup["batches_per_epoch"]})[2]
    records = request(server, "/api/plane/state")[2]["records"]
    assert len(records["test_loss"]) == 4 and records["test_loss"][-1] < records["test_loss"][0]
    assert "test_acc" not in records and stepped["updates"] == 90
    if name == "plane":   # a plane is easy: the fitted values are (x + y) / 2 nearly
        values, grid = request(server, "/api/plane/state")[2]["values"], setup["grid"]
        x0, x1, y0, y1 = setup["extent"]
        for i, j in ((10, 10), (25, 25), (40, 5)):
            x = x0 + (i + 0.5) * (x1 - x0) / grid
            y = y1 - (j + 0.5) * (y1 - y0) / grid
            expected = max(-1, min(1, (x + y) / 2))
            assert abs(values[j * grid + i] / 100 - expected) < 0.15, (i, j)


def test_a_regression_set_refuses_a_classification_spec_and_bad_targets(server):
    spec = "input 2\ndense 2\nloss softmax_cross_entropy\n"
    status, _, body = request(server, "/api/plane/reset", {"dataset": "plane", "spec": spec})
    assert status == 400 and body["error"] == (
        "plane is a regression set: the spec's last layer must have 1 unit and its loss be "
        "mean_squared_error, got 2 units and loss softmax_cross_entropy")
    status, _, body = request(server, "/api/plane/reset",
                              {"dataset": "gauss", "points": [[0, 0, 2]]})
    assert status == 400 and "the target must be a number from -1 to 1" in body["error"]


def test_the_info_names_the_regression_sets_and_previews_them(server):
    info = request(server, "/api/info")[2]
    assert info["regression"] == ["plane", "gauss"] and info["classes"]["plane"] is None
    assert all(isinstance(p[2], float) for p in info["previews"]["gauss"])


def test_features_and_ratio_shape_the_run(server):
    answer = request(server, "/api/plane/reset",
                     {"dataset": "circles", "ratio": 80, "features": ["x1^2", "x2^2"]})[2]
    setup, state = answer["setup"], answer["state"]
    assert len(setup["train"]) == 480 and len(setup["test"]) == 120
    assert setup["features"] == ["x1^2", "x2^2"] and "input 2" in setup["spec"]
    assert all(len(point) == 3 for point in setup["train"])   # the points, x, y, label
    assert "--ratio 80 --features x1^2,x2^2 " in state["command"]


def test_points_added_by_clicking_join_the_training_set_and_the_command(server, tmp_path):
    settings = {"dataset": "xor", "points": [[0.5, -0.25, 1], [-0.3, 0.2, 0]]}
    answer = request(server, "/api/plane/reset", settings)[2]
    setup, state = answer["setup"], answer["state"]
    assert len(setup["train"]) == 302 and setup["train"][-2:] == [[0.5, -0.25, 1],
                                                                   [-0.3, 0.2, 0]]
    assert "--add-point=0.5,-0.25,1 --add-point=-0.3,0.2,0 " in state["command"]
    request(server, "/api/plane/step", {"updates": setup["batches_per_epoch"]})
    model = tmp_path / "page.safetensors"
    model.write_bytes(request(server, "/api/plane/model.safetensors")[2])
    args = request(server, "/api/plane/state")[2]["command"].split()[3:]
    args[args.index("--spec") + 1] = str(tmp_path / "playground.net")
    (tmp_path / "playground.net").write_bytes(request(server, "/api/plane/spec.net")[2])
    cli_model = tmp_path / "cli.safetensors"
    assert cli.main([*args, "--quiet", "--out", str(cli_model)], out=lambda line: None) == 0
    theirs, _ = safetensors.read_tensors(str(cli_model))
    page, _ = safetensors.read_tensors(str(model))
    for key in page:
        assert list(page[key].values) == list(theirs[key].values), key


@pytest.mark.parametrize("settings, message", [
    ({"points": [[0, 0, 2]]}, "the class must be a whole number from 0 to 1, got 2"),
    ({"points": [[0, 11, 0]]}, "x and y must be numbers from -10 to 10"),
    ({"points": [[0, 0]]}, "must be x, y, class"),
    ({"points": [[0, 0, True]]}, "the class must be a whole number"),
    ({"points": [[0, 0, 0]] * 101}, "at most 100 added points"),
    ({"points": "0,0,0"}, "points must be a list"),
    ({"ratio": 95}, "ratio must be between 10 and 90"),
    ({"ratio": 50.5}, "ratio must be a whole number"),
    ({"features": "x1"}, "features must be a list of names"),
    ({"features": []}, "at least one"),
    ({"features": ["x1", "x1"]}, "given twice"),
    ({"features": ["x1", "cos"]}, "unknown feature 'cos'"),
    ({"features": ["x1"] * 10 ** 5}, "given twice"),
    ({"features": ["x1", "x2"], "spec": "input 3\ndense 2\nloss softmax_cross_entropy\n"},
     "the spec's input must be 2 (the features x1, x2), got 3")])
def test_bad_features_and_ratios_are_refused(server, settings, message):
    status, _, body = request(server, "/api/plane/reset", settings)
    assert status == 400 and message in body["error"], body


def test_the_picture_draws_each_unit_over_the_plane_and_the_weights(server):
    """Inputs x1, x1·x2: the input tiles are those functions of the cell (clipped to
    [-1, 1], times 100); the weights are the network's, layer by layer."""
    answer = request(server, "/api/plane/reset",
                     {"dataset": "xor", "features": ["x1", "x1x2"],
                      "hidden": [{"units": 3, "activation": "relu"}]})[2]
    setup, network = answer["setup"], answer["state"]["network"]
    assert setup["drawn"] and answer["state"]["grid"] == 50
    tile = network["tile"]
    assert tile == 25 and [len(layer) for layer in network["tiles"]] == [2, 3]
    x0, x1, y0, y1 = setup["extent"]
    step = (x1 - x0) / 50
    for j in (0, 7, 24):
        for i in (0, 11, 24):
            x, y = x0 + (2 * i + 0.5) * step, y1 - (2 * j + 0.5) * step
            for unit, value in ((0, x), (1, x * y)):
                expected = math.floor(max(-1, min(1, value)) * 100 + 0.5)
                assert network["tiles"][0][unit][j * tile + i] == expected
    assert all(v >= 0 for unit in network["tiles"][1] for v in unit)   # relu
    assert [len(w) for w in network["weights"]] == [2, 3]
    assert [len(w[0]) for w in network["weights"]] == [3, 2]
    assert [len(b) for b in network["biases"]] == [3, 2]


def test_the_picture_is_coarse_while_training_and_full_when_paused(server):
    request(server, "/api/plane/reset", {"dataset": "circles"})
    request(server, "/api/plane/run", {})
    deadline = time.monotonic() + 60
    grids = set()
    while time.monotonic() < deadline and plane.RUNNING_GRID not in grids:
        state = request(server, "/api/plane/state")[2]
        grids.add(state["grid"])
        assert len(state["regions"]) == state["grid"] ** 2 * 2
        time.sleep(0.05)
    assert plane.RUNNING_GRID in grids
    request(server, "/api/plane/pause", {})
    state = request(server, "/api/plane/state")[2]
    assert state["grid"] == plane.GRID and state["network"]["tile"] == plane.TILE_GRID


def test_a_wide_or_custom_network_is_not_drawn(server):
    wide = request(server, "/api/plane/reset",
                   {"hidden": [{"units": plane.MAX_DRAWN_UNITS + 1, "activation": "tanh"}]})[2]
    assert not wide["setup"]["drawn"] and "network" not in wide["state"]
    spec = "input 2\ndense 4\ndropout 0.1\ndense 2\nloss softmax_cross_entropy\n"
    custom = request(server, "/api/plane/reset", {"spec": spec})[2]
    assert not custom["setup"]["drawn"] and "network" not in custom["state"]


def test_a_downloaded_model_loads_and_the_run_goes_on(server, tmp_path):
    setup = request(server, "/api/plane/reset", {"dataset": "xor"})[2]["setup"]
    status, _, body = request(server, "/api/plane/model.safetensors")
    assert status == 409 and "no epoch has ended yet" in body["error"]
    request(server, "/api/plane/step", {"updates": setup["batches_per_epoch"]})
    request(server, "/api/plane/run", {})
    status, head, data = request(server, "/api/plane/model.safetensors")
    assert status == 200 and "playground.safetensors" in head["Content-Disposition"]
    assert request(server, "/api/plane/state")[2]["running"]
    request(server, "/api/plane/pause", {})
    path = tmp_path / "m.safetensors"
    path.write_bytes(data)
    net = purenn.load(str(path))
    assert net.training["dataset"] == "xor" and net.input_shape == (2,)


def test_a_diverging_run_stops_with_a_message(server):
    spec = "input 2\ndense 2\nloss mean_squared_error\noptimizer sgd lr=1000\n"
    request(server, "/api/plane/reset", {"dataset": "moons", "batch_size": 300, "spec": spec})
    state = request(server, "/api/plane/step", {"updates": 1000})[2]
    assert not state["running"] and state["updates"] < 1000
    assert re.fullmatch(r"(the loss became .*|the numbers grew too large at update \d+ "
                        r"\(OverflowError: .*\)); the learning rate \(lr=1000(\.0)?\) is "
                        r"probably too large", state["error"]), state["error"]
    assert request(server, "/api/plane/run", {})[2]["running"] is False
    fresh = request(server, "/api/plane/reset", {"dataset": "moons"})[2]["state"]
    assert fresh["error"] is None


# -- hardening (issue 22): every request bounded, strict, answered -------------------------
def wide(units, classes=2):
    return f"input 2\ndense {units}\ntanh\ndense {classes}\nloss softmax_cross_entropy\n"


@pytest.mark.parametrize("spec, message", [
    # under purenn's own parameter limit, but far past what one request may do
    (wide(1000000), "the playground's limit (its work budget)"),
    (wide(10000), "the playground's limit (its work budget)"),
    (wide(5000), "the network costs 35,006 numbers per input row (parameters and layer "
                 "outputs); the playground's work budget is 32,768"),
])
def test_a_network_past_the_work_budget_is_refused_at_once(server, spec, message):
    started = time.monotonic()
    status, _, body = request(server, "/api/plane/reset", {"spec": spec})
    assert status == 400 and message in body["error"] and "\n" not in body["error"]
    assert time.monotonic() - started < 5


def test_a_batch_times_the_widest_layer_is_held_to_the_budget(server):
    status, _, body = request(server, "/api/plane/reset",
                              {"spec": wide(2000), "batch_size": 1000})
    assert status == 400 and body["error"] == (
        "batch_size 1000 x the widest layer's 2,000 outputs is 2,000,000 numbers at once; "
        "the playground holds at most 1,048,576: a smaller batch or narrower layers")


def test_the_grid_and_the_data_sets_are_evaluated_in_chunks(monkeypatch):
    net = engine.build(wide(5), __import__("random").Random(0))
    sizes = []
    real = type(net).probabilities
    monkeypatch.setattr(type(net), "probabilities",
                        lambda self, rows: sizes.append(len(rows)) or real(self, rows))
    rows = [[0.1 * i, 0.2] for i in range(25)]
    assert engine.probabilities(net, rows, 10) == real(net, rows)
    assert sizes[:3] == [10, 10, 5]
    assert engine.numbers_per_row(net) == (2 * 5 + 5 + 5 * 2 + 2 + (2 + 5 + 5 + 2), 5)


def test_other_requests_are_answered_while_a_reset_is_set_up(server, monkeypatch):
    request(server, "/api/plane/reset", {"dataset": "xor"})
    started, release = threading.Event(), threading.Event()
    real = plane.PlaneSession.__init__

    def slow(self, *args, **kwargs):
        started.set()
        assert release.wait(60)
        real(self, *args, **kwargs)

    monkeypatch.setattr(plane.PlaneSession, "__init__", slow)
    answers = []
    worker = threading.Thread(target=lambda: answers.append(
        request(server, "/api/plane/reset", {"dataset": "moons"})))
    worker.start()
    try:
        assert started.wait(30)
        before = time.monotonic()
        status, _, state = request(server, "/api/plane/state")
        assert status == 200 and state["number"] == 1
        assert request(server, "/api/info")[0] == 200
        status, _, body = request(server, "/api/plane/reset", {"dataset": "spiral"})
        assert status == 409 and body["error"].startswith("busy: a new 2-D run")
        assert time.monotonic() - before < 5
    finally:
        release.set()
        worker.join(60)
    assert answers[0][0] == 200 and answers[0][2]["setup"]["config"]["dataset"] == "moons"
    assert request(server, "/api/plane/state")[2]["number"] == 2


def test_a_step_is_held_to_the_work_budget(server):
    request(server, "/api/plane/reset", {"dataset": "circles", "batch_size": 300})
    status, _, body = request(server, "/api/plane/step", {"updates": 100000})
    assert status == 400 and body["error"].startswith("updates 100,000 is more work than "
                                                      "one request may do")
    most = int(re.search(r"at most ([\d,]+)", body["error"]).group(1).replace(",", ""))
    assert request(server, "/api/plane/step", {"updates": most})[0] == 200


@pytest.mark.parametrize("name", ["file", "environ"])
def test_the_spec_is_text_never_a_file_name(server, tmp_path, name):
    secret = tmp_path / "notes.txt"
    secret.write_text("the first line is a secret\n")
    path = str(secret) if name == "file" else "/proc/self/environ"
    if not os.path.exists(path):
        pytest.skip(f"no {path}")
    status, _, body = request(server, "/api/plane/reset", {"spec": path})
    assert status == 400 and body["error"].startswith("<spec>:1: ")
    assert "secret" not in body["error"] and "PATH=" not in body["error"]
    status, _, body = request(server, "/api/plane/reset", {"spec": "two_layer"})
    assert status == 400 and body["error"].startswith("<spec>:1: ")  # no shipped spec


@pytest.mark.parametrize("raw, message", [
    (b'{"seed": NaN}', "the body: its text is not valid JSON"),
    (b'{"seed": 1e400}', "the body: its text is not valid JSON"),
    (b'{"batch_size": -Infinity}', "the body: its text is not valid JSON"),
    (b'{"hidden": [{"units": NaN, "activation": "relu"}]}', "is not valid JSON"),
    (b'{"seed": 1e300}', "seed must be between 0 and 2147483647, got 1e+300"),
    (b'{"noise": 1e308, "lr": 0.1}', "noise must be between"),
    (b'{"seed": 1' + b"0" * 5000 + b'}', "is not valid JSON"),
    (b'{"seed": 1, "seed": 2}', "is not valid JSON"),
], ids=["nan", "1e400", "-inf", "units-nan", "1e300", "noise-1e308", "5000-digits", "twice"])
def test_numbers_that_are_not_finite_get_400(server, raw, message):
    status, _, body = request(server, "/api/plane/reset", raw=raw)
    assert status == 400 and message in body["error"] and "\n" not in body["error"], body


@pytest.mark.parametrize("key, value", [("seed", float("nan")), ("seed", float("inf")),
                                        ("batch_size", float("-inf")), ("seed", 1e300)])
def test_settings_check_the_range_before_making_a_whole_number(key, value):
    with pytest.raises(plane.BadRequest, match=f"{key} must be between"):
        plane.check_config({key: value}, ["sgd"])
    with pytest.raises(plane.BadRequest, match="units must be between"):
        plane.check_config({"hidden": [{"units": value, "activation": "relu"}]}, ["sgd"])


def test_json_nested_100000_deep_gets_400(server):
    for raw in (b'{"a": ' + b"[" * 100000 + b"]" * 100000 + b"}",
                b'{"a": ' + b'{"b": ' * 100000 + b"1" + b"}" * 100001):
        status, _, body = request(server, "/api/plane/reset", raw=raw)
        assert status == 400 and "nested deeper than 64 levels" in body["error"]
    assert request(server, "/api/info")[0] == 200


def test_200_simultaneous_requests_are_all_answered_quickly(server):
    assert Server.request_queue_size >= 128
    times = []

    def get():
        started = time.monotonic()
        status = request(server, "/api/digits/state")[0]
        times.append((status, time.monotonic() - started))

    threads = [threading.Thread(target=get) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(times) == 200 and {status for status, _ in times} == {200}
    assert max(seconds for _, seconds in times) < 10


def raw_bytes(server, head, body=b""):
    """The status line's code for exactly these request bytes."""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=30) as conn:
        conn.sendall(head.replace(b"PORT", str(server.server_port).encode()) + body)
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("head", [
    b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nHost: evil.example\r\n\r\n",
    b"POST /api/plane/reset HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n"
    b"Content-Type: application/json\r\nContent-Length: 1_0\r\n\r\n",
    b"POST /api/plane/reset HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n"
    b"Content-Type: application/json\r\nContent-Length: +10\r\n\r\n",
    b"POST /api/plane/reset HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n"
    b"Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 10\r\n\r\n",
    b"POST /api/plane/reset HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n"
    b"Content-Type: application/json\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 2\r\n\r\n",
])
def test_repeated_or_loose_headers_get_400(server, head):
    assert raw_bytes(server, head, b"{}" + b" " * 8) == 400
    assert request(server, "/api/info")[0] == 200


def test_the_command_repeats_the_downloaded_model_when_paused_mid_epoch(server, tmp_path):
    """Paused 7 updates into an epoch: the model file is the network after the last whole
    epoch, and the command shown makes that file bit for bit."""
    settings = {"dataset": "circles", "seed": 3, "batch_size": 30,
                "hidden": [{"units": 5, "activation": "tanh"}]}
    setup = request(server, "/api/plane/reset", settings)[2]["setup"]
    per_epoch = setup["batches_per_epoch"]
    state = request(server, "/api/plane/step", {"updates": 2 * per_epoch + 7})[2]
    assert state["updates"] == 2 * per_epoch + 7 and state["epoch"] == 2
    status, head, data = request(server, "/api/plane/model.safetensors")
    assert status == 200 and head["X-Purenn-Epochs"] == "2"
    model_path = tmp_path / "playground.safetensors"
    model_path.write_bytes(data)
    net = purenn.load(str(model_path))
    assert net.training["updates"] == 2 * per_epoch and net.training["epochs"] == 2
    assert net.training["command"] == state["command"]
    spec_path = tmp_path / "playground.net"
    spec_path.write_bytes(request(server, "/api/plane/spec.net")[2])
    args = state["command"].split()[3:]
    assert args[-2:] == ["--epochs", "2"]
    args[args.index("--spec") + 1] = str(spec_path)
    cli_model = tmp_path / "cli.safetensors"
    assert cli.main([*args, "--quiet", "--out", str(cli_model)], out=lambda line: None) == 0
    ours, _ = safetensors.read_tensors(str(model_path))
    theirs, _ = safetensors.read_tensors(str(cli_model))
    assert {k: list(v.values) for k, v in ours.items()} == \
        {k: list(v.values) for k, v in theirs.items()}


def test_a_diverging_run_warns_in_the_page(server):
    spec = ("input 2\ndense 16\ntanh\ndense 3\nloss softmax_cross_entropy\n"
            "optimizer sgd lr=1000\n")
    first = request(server, "/api/plane/reset", {"dataset": "spiral", "spec": spec})[2]
    assert first["state"]["warning"] is None
    state = request(server, "/api/plane/step", {"updates": 50})[2]
    assert re.fullmatch(r"the loss exploded to \S+ at update \d+ \(first update: \S+, more "
                        r"than 10x\); training diverges, the learning rate \(lr=1000.0\) is "
                        r"probably too large", state["warning"]), state["warning"]
    assert state["error"] is None and state["updates"] == 50


# -- the digits panel --------------------------------------------------------------------------
def drawing(width=100, height=100):
    """A thick vertical stroke, light on black, as the page's canvas sends it."""
    return bytes(255 if 45 <= x < 55 and 15 <= y < 85 else 0
                 for y in range(height) for x in range(width))


def test_a_drawing_is_read_as_an_mnist_digit(server):
    pixels = base64.b64encode(drawing()).decode()
    status, _, answer = request(server, "/api/digits/read",
                                {"width": 100, "height": 100, "pixels": pixels})
    assert status == 200
    image = answer["image"]
    assert len(image) == 784
    rows = [y for y in range(28) if any(image[y * 28:(y + 1) * 28])]
    assert rows == list(range(4, 24))          # 20 pixels high, centred
    probs = answer["probabilities"]
    assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-9
    assert answer["state"]["state"] == "ready"


def test_an_empty_drawing_reads_as_nothing(server):
    pixels = base64.b64encode(bytes(400)).decode()
    answer = request(server, "/api/digits/read", {"width": 20, "height": 20,
                                                  "pixels": pixels})[2]
    assert answer["probabilities"] is None and not any(answer["image"])


@pytest.mark.parametrize("body, message", [
    ({"width": 10, "height": 10}, "needs pixels"),
    ({"width": 10, "height": 10, "pixels": "@@@"}, "not base64"),
    ({"width": 10, "height": 10, "pixels": 5}, "base64 string"),
    ({"width": 10, "height": 10, "pixels": "AAAA"}, "has 100 pixels, got 3"),
    ({"width": 0, "height": 10, "pixels": ""}, "width must be a whole number"),
    ({"width": 2.5, "height": 10, "pixels": ""}, "width must be a whole number"),
    ({"width": 5000, "height": 1, "pixels": ""}, "from 1 to 1000"),
])
def test_bad_drawings_get_400(server, body, message):
    status, _, answer = request(server, "/api/digits/read", body)
    assert status == 400 and message in answer["error"]


def test_the_shipped_reader_reads_by_default_and_shows_the_units_that_pushed(tmp_path):
    """The default reader is the shipped network (97.80 % on MNIST's test set); for the
    digit read, unit j pushed by h_j · W2[j, d], and its picture is W1[:, j] scaled so that
    the largest |weight| is 100."""
    reader = DigitReader()
    state = reader.state()
    assert state["state"] == "ready" and state["test_acc"] == 0.978 and not state["learning"]
    answer = reader.read(drawing(), 100, 100)
    probs, units = answer["probabilities"], answer["units"]
    digit = probs.index(max(probs))
    assert digit == 1                               # a vertical stroke
    net = reader.reader
    x = [[v / 255 for v in answer["image"]]]
    h = net.layers[1][1].forward(net.layers[0][1].forward(x))[0]
    W1, W2 = net.params["dense1.W"], net.params["dense2.W"]
    pushes = sorted((h[j] * W2[j][digit] for j in range(100)), reverse=True)
    assert [u["push"] for u in units] == pytest.approx(pushes[:6], rel=1e-9)
    for unit in units:
        j = unit["unit"]
        assert unit["push"] == pytest.approx(h[j] * W2[j][digit], rel=1e-9)
        column = [row[j] for row in W1]
        assert unit["scale"] == max(map(abs, column)) and len(unit["weights"]) == 784
        assert max(map(abs, unit["weights"])) == 100
        assert unit["weights"][300] == math.floor(column[300] / unit["scale"] * 100 + 0.5)


def test_watch_one_learn_and_go_back(server):
    state = request(server, "/api/digits/learn", {"learn": True})[2]
    assert state["learning"] and state["state"] in ("starting", "loading", "training")
    back = request(server, "/api/digits/learn", {"learn": False})[2]
    assert not back["learning"] and back["state"] == "ready"
    time.sleep(0.5)   # the stopped run says nothing any more
    assert request(server, "/api/digits/state")[2]["state"] == "ready"
    pixels = base64.b64encode(drawing()).decode()
    answer = request(server, "/api/digits/read", {"width": 100, "height": 100,
                                                  "pixels": pixels})[2]
    assert len(answer["probabilities"]) == 10


@pytest.mark.parametrize("body", [{}, {"learn": 1}, {"learn": "yes"},
                                  {"learn": True, "more": 1}])
def test_bad_learn_requests_get_400(server, body):
    status, _, answer = request(server, "/api/digits/learn", body)
    assert status == 400 and 'must be {"learn": true or false}' in answer["error"]


def test_a_model_that_is_not_for_digits_is_refused(tmp_path):
    path = str(tmp_path / "spiral.safetensors")
    purenn.save(purenn.build("spiral_net"), path)
    with pytest.raises(purenn.PurennError, match="784 inputs .* this one maps 2 to 3"):
        DigitReader(path)


# -- the command --------------------------------------------------------------------------------
def start_command(*args):
    env = {**os.environ, "PYTHONPATH": PURENN_PARENT}
    proc = subprocess.Popen([sys.executable, "-m", "purenn", "playground", "--no-browser",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, preexec_fn=default_ctrl_c)
    return proc


def test_the_command_prints_its_url_and_stops_cleanly_on_ctrl_c(digit_model):
    proc = start_command("--model", digit_model)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        with urllib.request.urlopen(match.group(0) + "api/info", timeout=30) as answer:
            assert answer.status == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err   # interrupted, as the README says of every command
    assert "stopping the playground" in out and "Traceback" not in err


def test_a_busy_port_is_a_one_line_error(server, digit_model):
    proc = start_command("--model", digit_model, "--port", str(server.server_port))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.startswith(f"error: cannot listen on 127.0.0.1 port {server.server_port}")
    assert len(err.strip().splitlines()) == 1


def test_a_bad_model_file_is_a_one_line_error(tmp_path):
    proc = start_command("--model", str(tmp_path / "missing.safetensors"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and err.startswith("error: ") and "missing.safetensors" in err


def test_watching_one_learn_trains_a_reader_in_the_background():
    reader = DigitReader(epochs=1, train_size=300, learn=True)
    assert reader.read(drawing(), 100, 100)["probabilities"] is None  # nothing to read with
    reader.start()
    deadline = time.monotonic() + 300
    while reader.state()["state"] != "ready":
        assert reader.state()["state"] in ("starting", "loading", "training"), reader.state()
        assert time.monotonic() < deadline
        time.sleep(0.1)
    state = reader.state()
    assert 0.0 <= state["test_acc"] <= 1.0 and state["epochs_done"] == 1
    assert state["fraction"] == 1.0 and "300 images" in state["source"]
    assert len(reader.read(drawing(), 100, 100)["probabilities"]) == 10


def test_the_playground_needs_only_the_standard_library():
    code = """
import os, sys, sysconfig
before = set(sys.modules)
import purenn.playground.server, purenn.playground.digits, purenn.commands.playground

def standard(name):
    if hasattr(sys, "stdlib_module_names"):  # 3.10+
        return name in sys.stdlib_module_names
    # 3.9: built in, or a file in the standard library's folder and not in a site folder
    path = getattr(sys.modules[name], "__file__", None)
    stdlib = os.path.join(sysconfig.get_path("stdlib"), "")
    return path is None or (path.startswith(stdlib) and "-packages" not in path)

top = {m.split(".")[0] for m in set(sys.modules) - before}
# __mp_main__: multiprocessing's second name for __main__, made when it is imported
print(sorted(m for m in top if m not in ("purenn", "__mp_main__") and not standard(m)))
"""
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": PURENN_PARENT}, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
