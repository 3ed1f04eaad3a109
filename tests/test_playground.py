"""``purenn playground``'s HTTP API end to end, with urllib against a server started here."""

import base64
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from helpers import default_ctrl_c

import purenn
from purenn import cli
from purenn.formats import safetensors
from purenn.playground.digits import DigitReader
from purenn.playground.server import MAX_BODY, Playground, close_server, serve

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
    (b"{not json", "application/json", 400, "not JSON"),
    (b"[1, 2]", "application/json", 400, "must be a JSON object"),
    (b"\xff\xfe", "application/json", 400, "not JSON"),
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
    assert len(state["regions"]) == setup["grid"] ** 2 * 3
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


def test_the_same_numbers_as_purenn_train(server, tmp_path):
    """Settings, seed and data of a playground run, then ``purenn train`` with its
    downloaded spec: the same loss per epoch, accuracies and final weights, bit for bit."""
    settings = {"dataset": "moons", "noise": 0.15, "seed": 7, "batch_size": 20,
                "hidden": [{"units": 6, "activation": "relu"},
                           {"units": 4, "activation": "tanh"}],
                "optimizer": "adam", "lr": 0.02, "weight_decay": 0.001}
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
    for line, loss, train_acc, test_acc in zip(printed, records["train_loss"][1:],
                                               records["train_acc"][1:],
                                               records["test_acc"][1:]):
        assert f"loss {loss:.4f}  train acc {train_acc:.4f}  test acc {test_acc:.4f}" in line
    ours, _ = safetensors.read_tensors(str(model_path))
    theirs, _ = safetensors.read_tensors(str(cli_model))
    assert sorted(ours) == sorted(theirs)
    for key in ours:
        assert list(ours[key].values) == list(theirs[key].values), key


def test_a_downloaded_model_loads_and_the_run_goes_on(server, tmp_path):
    request(server, "/api/plane/reset", {"dataset": "xor"})
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
    assert proc.returncode == 0, err
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


def test_without_a_model_the_reader_trains_in_the_background():
    reader = DigitReader(epochs=1, train_size=300)
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
print(sorted(m for m in top if m != "purenn" and not standard(m)))
"""
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": PURENN_PARENT}, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
