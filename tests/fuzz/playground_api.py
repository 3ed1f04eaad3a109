"""A fuzzing campaign against the playground's HTTP API: random sequences of requests to
every endpoint, with hostile headers and bodies, against one server that lives through
the whole run. No answer may be a 5xx, every request must be answered in time, a JSON
error must be one line, the server must stay up and its memory flat.

It is stateful: the cases share one server, so a case meets whatever the cases before
left (no run yet, a run paused, running, diverged, a run being replaced). Case ``i``
under ``--seed s`` is made by ``random.Random(f"playground:{s}:{i}")`` alone; replaying
one case alone (``--start i --cases 1``) replays its request, not the server's state.

A case is one request, sent as raw bytes on its own connection (``Connection: close``,
then the writing side shut, so a body shorter than its Content-Length ends at once):

- the endpoint: any of the API's, a page, or an unknown path, with any method;
- headers: the right ones, or a Host twice or another Host, an Origin from elsewhere, a
  Content-Type that is not JSON, a Content-Length that lies or is not plain digits
  (``1_0``, ``+5``, ``0x10``), a Transfer-Encoding;
- bodies: settings whose values come from edge values (0, -1, 1e300, 2^63, NaN and
  Infinity as JSON words, 1e400, strings, lists, objects, booleans), every data set (the
  regression sets too), the train share, feature inputs (known, repeated, unknown, a
  thousand), points added by hand (right, out of range, of the wrong class, too many),
  spec text (valid, mutated, a file's name, a huge layer), drawings (sizes right and
  wrong, base64 or not), step counts, watching a digit network learn on and off; or raw
  bytes: JSON nested 100,000 deep, repeated keys, a 5,000-digit
  number, invalid UTF-8, a body over the 1 MiB limit.

Figures, as a JSON line after every batch and at the end: cases, answers by status class,
5xx answers, hangs (no answer within ``--case-seconds``), dropped connections (closed
without an answer), errors not on one line, deaths (the server stopped answering
/api/info), cases per second, the resident memory (read after a garbage collection, so
that it is what is still held, not what a collector has yet to free) once the first
``--warmup`` cases are done, its peak and at the end, and the first findings (index,
request, answer). The memory promise is growth of at most 100 MB after the warm-up:
PyPy's JIT compiles machine code for what the cases reach during the first few tens of
thousands of cases (a server under PyPy grew from 290 to about 380 MB in the first
40,000, then stayed there), CPython needs none (``--warmup 0`` measures from the first
batch).

    PYTHONPATH=. python tests/fuzz/playground_api.py --cases 1000000
    PYTHONPATH=. python tests/fuzz/playground_api.py --start 4711 --cases 1 --show

Linux only (the memory figures read /proc).
"""

import argparse
import base64
import gc
import json
import os
import random
import socket
import sys
import tempfile
import time

import purenn
from purenn.playground.digits import DigitReader
from purenn.playground.server import MAX_BODY, Playground, close_server, serve

# harness.py beside this file, also when the tests load this file by its path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import MB  # noqa: E402

ENDPOINTS = [("POST", "/api/plane/reset"), ("POST", "/api/plane/run"),
             ("POST", "/api/plane/pause"), ("POST", "/api/plane/step"),
             ("GET", "/api/plane/state"), ("GET", "/api/plane/spec.net"),
             ("GET", "/api/plane/model.safetensors"), ("GET", "/api/info"),
             ("GET", "/api/digits/state"), ("POST", "/api/digits/read"),
             ("POST", "/api/digits/learn"), ("GET", "/"), ("GET", "/playground.js"),
             ("GET", "/playground.css")]
WEIGHTS = [8, 3, 4, 5, 8, 2, 2, 2, 2, 5, 1, 1, 1, 1]
OTHER_PATHS = ["/api/nothing", "/index.html", "/static.js", "/worker.js", "/../setup.cfg",
               "//etc/passwd", "/%00", "/api/plane/state/../reset", "/" + "a" * 3000,
               "/api/plane/reset?x=1"]
METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "FOO", "get"]
EDGE = [0, -1, 1, 2, 3, 7, 64, 65, 1000, 1001, 0.5, -0.0, 1e-7, 1e300, -1e300, 2 ** 31,
        2 ** 63, 10 ** 30, True, False, None, "", "x", "1", "😀", "a\nb", [], {}, [1],
        {"a": 1}, 10 ** 6]
RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 5000,
               "1e-400", "0.1e1"]
SETTINGS = {"dataset": ["circles", "moons", "xor", "spiral", "plane", "gauss", "spirals", ""],
            "noise": [0.0, 0.1, 0.3, 1.0, 1.5], "seed": [0, 1, 42, 2 ** 31 - 1, 2 ** 31],
            "batch_size": [1, 10, 30, 300, 1000], "optimizer": ["sgd", "adam", "momentum",
                                                                  "nesterov", "x"],
            "lr": [0.001, 0.1, 1.0, 10.0, 11.0], "weight_decay": [0.0, 0.001, 1.0, 2.0],
            "ratio": [10, 30, 50, 90, 9, 91, 50.5]}
FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2", "x3", "X1", ""]
ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear", "swish"]
SPECS = [
    "input 2\ndense 4\nrelu\ndense {classes}\nloss softmax_cross_entropy\n",
    "input 2\ndense 3\ntanh\ndropout 0.2\ndense {classes}\nloss softmax_cross_entropy\n"
    "optimizer adam lr=0.01\n",
    "input 2\ndense 4\nbatchnorm\nrelu\ndense {classes}\nloss softmax_cross_entropy\n",
    "input 2\ndense {classes}\nloss mean_squared_error\noptimizer sgd lr=1000\n",
    "input 2\ndense 1000000\ntanh\ndense {classes}\nloss softmax_cross_entropy\n",
    "input 2\ndense 5000\ntanh\ndense {classes}\nloss softmax_cross_entropy\n",
    "input 3\ndense {classes}\nloss softmax_cross_entropy\n",
    "/etc/passwd", "/proc/self/environ", "two_layer", "", "input 2", "#\n" * 5000,
]


# -- generation -------------------------------------------------------------------------
def edge(rng):
    return rng.choice(EDGE)


def setting(rng, key):
    return rng.choice(SETTINGS[key]) if rng.random() < 0.6 else edge(rng)


def hidden(rng):
    if rng.random() < 0.15:
        return edge(rng)
    layers = []
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 7])):
        if rng.random() < 0.1:
            layers.append(edge(rng))
            continue
        layer = {"units": rng.choice([1, 2, 3, 4, 8]) if rng.random() < 0.8 else edge(rng),
                 "activation": rng.choice(ACTIVATIONS) if rng.random() < 0.9 else edge(rng)}
        if rng.random() < 0.05:
            layer[rng.choice(["colour", "units2"])] = 1
        layers.append(layer)
    return layers


def features(rng):
    """A list of feature names (known, repeated, unknown, too many) or an edge value."""
    if rng.random() < 0.1:
        return edge(rng)
    count = rng.choice([0, 1, 2, 3, 7, 8, 1000])
    return [rng.choice(FEATURES) if rng.random() < 0.97 else edge(rng)
            for _ in range(count)]


def point(rng):
    """A point added by hand: [x, y, class or target], mostly right, sometimes not."""
    if rng.random() < 0.05:
        return edge(rng)
    coordinate = [0.0, 0.5, -1.2, 9.99, 10.0, 10.01, -11.0]
    label = [0, 1, 2, 3, -1, 0.5, -0.25, 1.5]
    values = [rng.choice(coordinate) if rng.random() < 0.9 else edge(rng),
              rng.choice(coordinate) if rng.random() < 0.9 else edge(rng),
              rng.choice(label) if rng.random() < 0.9 else edge(rng)]
    if rng.random() < 0.05:
        values = values[:rng.randrange(3)] + [1] * rng.randrange(2)
    return values


def points(rng):
    if rng.random() < 0.1:
        return edge(rng)
    return [point(rng) for _ in range(rng.choice([0, 1, 3, 20, 100, 101, 1000]))]


def mutate_text(rng, text):
    chars = list(text)
    for _ in range(rng.randrange(1, 4)):
        i = rng.randrange(len(chars) + 1)
        op = rng.random()
        if op < 0.4 and chars:
            del chars[min(i, len(chars) - 1)]
        elif op < 0.8:
            chars.insert(i, rng.choice("0123456789 \n=.-eNa#x"))
        else:
            chars.insert(i, rng.choice(["dense 9999", "\nrelu\n", "nan", "1e999", "\x00"]))
    return "".join(chars)


VALID = {"dataset": ["circles", "moons", "xor", "spiral", "plane", "gauss"],
         "noise": [0.0, 0.1, 0.3, 1.0], "seed": [0, 1, 42], "batch_size": [1, 10, 30],
         "optimizer": ["sgd", "adam", "momentum"], "lr": [0.001, 0.03, 0.1, 3.0],
         "weight_decay": [0.0, 0.001], "ratio": [10, 50, 90]}


def valid_reset(rng):
    """Settings the page could send: every field right (so that runs with added points,
    feature inputs and regression sets really start), for one field to be spoiled."""
    body = {key: rng.choice(values) for key, values in VALID.items() if rng.random() < 0.5}
    body["hidden"] = [{"units": rng.choice([1, 2, 4, 8]), "activation": rng.choice(
        ACTIVATIONS[:4])} for _ in range(rng.choice([0, 1, 2]))]
    if rng.random() < 0.6:
        body["features"] = rng.sample(FEATURES[:7], rng.randrange(1, 8))
    if rng.random() < 0.5:
        regression = body.get("dataset") in ("plane", "gauss")
        classes = 3 if body.get("dataset") == "spiral" else 2
        body["points"] = [[round(rng.uniform(-6, 6), 2), round(rng.uniform(-6, 6), 2),
                           round(rng.uniform(-1, 1), 2) if regression
                           else rng.randrange(classes)]
                          for _ in range(rng.choice([1, 5, 100]))]
    return body


def reset_body(rng):
    if rng.random() < 0.5:
        body = valid_reset(rng)
        if rng.random() < 0.5:      # one field spoiled
            key = rng.choice(list(SETTINGS) + ["hidden", "features", "points"])
            body[key] = {"hidden": hidden, "features": features, "points": points}.get(
                key, lambda rng: setting(rng, key))(rng)
        return body
    body = {}
    for key in SETTINGS:
        if rng.random() < 0.35:
            body[key] = setting(rng, key)
    if rng.random() < 0.4:
        body["hidden"] = hidden(rng)
    if rng.random() < 0.2:
        body["features"] = features(rng)
    if rng.random() < 0.15:
        body["points"] = points(rng)
    if rng.random() < 0.25:
        dataset = body.get("dataset")
        classes = {"spiral": 3, "plane": 1, "gauss": 1}.get(dataset, 2) \
            if isinstance(dataset, str) else 2
        spec = rng.choice(SPECS).replace("{classes}", str(classes))
        body["spec"] = mutate_text(rng, spec) if rng.random() < 0.4 else spec
    if rng.random() < 0.05:
        body[rng.choice(["colour", "Seed", ""])] = edge(rng)
    return body


def drawing_body(rng):
    width = rng.choice([1, 2, 10, 28, 60]) if rng.random() < 0.8 else edge(rng)
    height = rng.choice([1, 2, 10, 28, 60]) if rng.random() < 0.8 else edge(rng)
    body = {"width": width, "height": height}
    if rng.random() < 0.8:
        size = width * height if all(type(v) is int and 0 < v <= 100 for v in
                                     (width, height)) else rng.randrange(50)
        if rng.random() < 0.2:
            size += rng.choice([-1, 1])
        pixels = bytes(rng.choice([0, 0, 255, rng.randrange(256)]) for _ in range(max(0,
                                                                                      size)))
        body["pixels"] = base64.b64encode(pixels).decode() if rng.random() < 0.9 else \
            rng.choice(["@@@", "AAA", 5, None, "A" * 7])
    for key in ("width", "height", "pixels"):
        if rng.random() < 0.05:
            body.pop(key, None)
    return body


def body_for(rng, path):
    if path == "/api/plane/reset":
        return reset_body(rng)
    if path == "/api/plane/step":
        return {"updates": rng.choice([1, 2, 3, 5]) if rng.random() < 0.6 else edge(rng)}
    if path == "/api/digits/read":
        return drawing_body(rng)
    if path == "/api/digits/learn":
        # mostly off (watching a network learn trains in the server's background)
        if rng.random() < 0.9:
            return {"learn": rng.random() < 0.2}
        return rng.choice([{}, {"learn": edge(rng)}, {"learn": False, "x": 1}])
    return {} if rng.random() < 0.8 else {"x": edge(rng)}


def encode_body(rng, body):
    """The body's bytes: JSON, sometimes with a number made a non-JSON word or huge, or
    raw hostile bytes instead."""
    pick = rng.random()
    if pick < 0.04:
        depth = rng.choice([65, 1000, 100000])
        return b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    if pick < 0.06:
        return rng.choice([b"\xff\xfe", b"{not json", b"[1, 2]", b'"x"', b"", b"null",
                           b'{"seed": 1, "seed": 2}', b"{" * 50])
    if pick < 0.065:
        return b" " * (MAX_BODY + 1)
    text = json.dumps(body)
    if pick < 0.2 and ": " in text:
        parts = text.split(": ")
        i = rng.randrange(1, len(parts))
        rest = parts[i]
        end = min([j for j in (rest.find(","), rest.find("}")) if j >= 0] or [len(rest)])
        parts[i] = rng.choice(RAW_NUMBERS) + rest[end:]
        text = ": ".join(parts)
    return text.encode("utf-8", "surrogatepass")


def make_request(rng, port):
    """(bytes of one request, a short description)."""
    method, path = rng.choices(ENDPOINTS, WEIGHTS)[0]
    if rng.random() < 0.05:
        path = rng.choice(OTHER_PATHS)
    if rng.random() < 0.05:
        method = rng.choice(METHODS)
    if path == "/api/plane/state" and rng.random() < 0.5:
        values = ["0", "1", "3", "x", "-1", "9" * 13, "", "1e3", "%00"]
        path += f"?since={rng.choice(values)}&regions={rng.choice(values)}"
    body = b""
    if method == "POST":
        body = encode_body(rng, body_for(rng, path))
    host = f"127.0.0.1:{port}"
    headers = [("Host", host), ("Connection", "close")]
    if method == "POST":
        headers += [("Content-Type", "application/json"),
                    ("Content-Length", str(len(body)))]
    pick = rng.random()
    if pick < 0.03:
        headers.append(("Host", rng.choice([host, "evil.example"])))
    elif pick < 0.05:
        headers[0] = ("Host", rng.choice(["evil.example", "localhost", "", "127.0.0.1:1"]))
    elif pick < 0.07:
        headers.append(("Origin", rng.choice(["http://evil.example", "null",
                                              f"http://localhost:{port}"])))
    elif pick < 0.09 and method == "POST":
        headers[2] = ("Content-Type", rng.choice(["text/plain", "", "application/json; x",
                                                  "APPLICATION/JSON"]))
    elif pick < 0.13 and method == "POST":
        lie = rng.choice(["1_0", "+5", "0x10", " 7", "-1", "", "99999999999999999999999",
                          str(len(body) + rng.randrange(1, 100)),
                          str(max(0, len(body) - 1)), str(MAX_BODY + 1)])
        if rng.random() < 0.3:
            headers.append(("Content-Length", lie))
        else:
            headers[3] = ("Content-Length", lie)
    elif pick < 0.14:
        headers.append(("Transfer-Encoding", "chunked"))
    elif pick < 0.15:
        headers += [("X-Filler", "x" * 100)] * rng.choice([5, 120])
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    request = head.encode("utf-8", "surrogateescape") + b"\r\n" + body
    return request, f"{method} {path[:80]} {body[:120]!r}"


# -- running --------------------------------------------------------------------------------
def exchange(port, request, seconds):
    """(status or None, the answer's bytes); socket.timeout when no answer in time."""
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as conn:
        try:
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered and closed before reading everything: fine
        deadline = time.monotonic() + seconds
        answer = b""
        while True:
            conn.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = conn.recv(65536)
            except (ConnectionResetError, ConnectionAbortedError):
                break
            if not chunk:
                break
            answer += chunk
    if not answer.startswith(b"HTTP/1."):
        return None, answer
    return int(answer[9:12]), answer


def judge(status, answer):
    """None, or the kind of finding of an answer."""
    if status is None:
        return "dropped"
    if status >= 500:
        return "5xx"
    head, _, content = answer.partition(b"\r\n\r\n")
    if status >= 400 and b"application/json" in head and content:  # HEAD: no body
        try:
            message = json.loads(content)["error"]
        except (ValueError, KeyError, TypeError):
            return "bad error body"
        if not harness.is_one_line(message):
            return "not one line"
    return None


def start_server(folder):
    path = os.path.join(folder, "digits.safetensors")
    if not os.path.exists(path):
        purenn.save(purenn.build("two_layer", seed=1), path)
    return serve(Playground(DigitReader(path)))


def alive(port, seconds=30):
    try:
        status, _ = exchange(port, f"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                   f"Connection: close\r\n\r\n".encode(), seconds)
    except OSError:
        return False
    return status == 200


def run(seed, start, count, case_seconds, batch=1000, log=print, show=False, warmup=0):
    """Figures of cases ``start`` .. ``start + count - 1`` against one server; the memory
    baseline is read at the first batch's end past ``warmup`` cases."""
    folder = tempfile.mkdtemp(prefix="purenn-fuzz-playground-")
    server = start_server(folder)
    figures = {"surface": "playground API", "cases": 0, "2xx": 0, "3xx": 0, "4xx": 0,
               "5xx": 0, "hangs": 0, "dropped": 0, "not_one_line": 0, "deaths": 0,
               "slowest_case_s": 0.0, "rss_base_mb": None, "rss_base_at": None,
               "rss_peak_mb": 0.0,
               "rss_end_mb": 0.0, "cases_per_s": 0.0, "findings": []}
    began = time.perf_counter()
    try:
        for index in range(start, start + count):
            rng = random.Random(f"playground:{seed}:{index}")
            request, what = make_request(rng, server.server_port)
            case_began = time.perf_counter()
            try:
                status, answer = exchange(server.server_port, request, case_seconds)
                kind = judge(status, answer)
            except (socket.timeout, TimeoutError):
                status, answer, kind = None, b"", "hang"
            except ConnectionRefusedError:
                status, answer, kind = None, b"", "dead"
            elapsed = time.perf_counter() - case_began
            if show:
                log(f"{index}: {what} -> {answer[:300]!r}")
            figures["cases"] += 1
            if status is not None:
                figures[f"{status // 100}xx"] = figures.get(f"{status // 100}xx", 0) + 1
            if elapsed > figures["slowest_case_s"]:
                figures["slowest_case_s"] = round(elapsed, 3)
                figures["slowest_case"] = f"{index}: {what}"
            counter = {"hang": "hangs", "dropped": "dropped", "not one line": "not_one_line",
                       "bad error body": "not_one_line", "dead": "deaths"}.get(kind)
            if counter:
                figures[counter] += 1
            if kind and len(figures["findings"]) < 20:
                figures["findings"].append({"index": index, "kind": kind, "request": what,
                                            "answer": answer[:300].decode("latin-1")})
            done = index - start + 1
            if done % batch == 0 or done == count:
                if not alive(server.server_port):
                    figures["deaths"] += 1
                    figures["findings"].append({"index": index, "kind": "dead"})
                    close_server(server)
                    server = start_server(folder)
                gc.collect()
                rss = harness.status("VmRSS:") / MB
                if figures["rss_base_mb"] is None and (done >= warmup or done == count):
                    figures["rss_base_mb"], figures["rss_base_at"] = round(rss, 1), done
                if figures["rss_base_mb"] is not None:
                    figures["rss_peak_mb"] = round(max(figures["rss_peak_mb"], rss), 1)
                figures["rss_end_mb"] = round(rss, 1)
                held = gc_held()
                if held is not None:    # PyPy: what its collector holds, apart from RSS
                    figures["gc_held_mb"] = round(held / MB, 1)
                    figures["gc_held_peak_mb"] = max(figures.get("gc_held_peak_mb", 0.0),
                                                     figures["gc_held_mb"])
                seconds = time.perf_counter() - began
                figures["seconds"] = round(seconds, 1)
                figures["cases_per_s"] = round(figures["cases"] / seconds, 1)
                log(json.dumps(figures))
    finally:
        close_server(server)
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
    return figures


def gc_held():
    """Bytes PyPy's collector holds (its heap and the JIT's machine code), or None where
    the interpreter does not say (CPython). A PyPy server's RSS swings by a hundred MB
    and more beside it: glibc's per-thread malloc arenas (MALLOC_ARENA_MAX=1 takes the
    swings away), which no object of purenn's holds."""
    stats = getattr(gc, "get_stats", None)
    raw = getattr(stats(), "_s", None) if stats else None
    if raw is None:
        return None
    return raw.total_allocated_memory + raw.jit_backend_allocated


def broken(figures, rss_growth_mb=100):
    """The promises a run broke (an empty list: none)."""
    broken = [key for key in ("5xx", "hangs", "dropped", "not_one_line", "deaths")
              if figures[key]]
    if figures["rss_base_mb"] is not None and \
            figures["rss_peak_mb"] - figures["rss_base_mb"] > rss_growth_mb:
        broken.append("memory grew")
    return broken


def main(argv=None):
    import warnings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--start", type=int, default=0, help="index of the first case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--case-seconds", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=1000,
                        help="cases between a check that the server is up and a JSON line")
    parser.add_argument("--show", action="store_true", help="print every request and answer")
    parser.add_argument("--warmup", type=int, default=None,
                        help="cases before the memory baseline is read (default: a tenth "
                             "of --cases, at most 50,000)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    warmup = min(50_000, args.cases // 10) if args.warmup is None else args.warmup
    figures = run(args.seed, args.start, args.cases, args.case_seconds, args.batch,
                  show=args.show, warmup=warmup)
    print("final:", json.dumps(figures), flush=True)
    problems = broken(figures)
    print("broken promises:", ", ".join(problems) or "none", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
