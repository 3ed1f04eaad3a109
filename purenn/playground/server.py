"""The playground's web server: ``http.server`` on the loopback interface, JSON in and out.

Safety, as for any server a page on another site might try to reach:

- it listens on 127.0.0.1 only;
- it answers only requests whose ``Host`` is the loopback name or address and the port it
  serves (``127.0.0.1:PORT`` or ``localhost:PORT``), so a hostile site whose DNS name is
  made to point at 127.0.0.1 (DNS rebinding) gets 403;
- a POST must be ``application/json`` (which a page elsewhere cannot send without the
  browser asking first, and this server never says yes) and, when the browser names its
  ``Origin``, come from this server's own;
- a request body is read only up to ``MAX_BODY`` bytes (413 beyond), with a socket timeout;
- headers are read strictly: ``Host``, ``Origin``, ``Content-Type``, ``Content-Length``
  and ``Transfer-Encoding`` at most once each, a length in plain digits; the JSON body
  with ``schema.load_json``'s limits (no NaN or Infinity, 64 levels deep at most, no
  repeated keys, no 10,000-digit numbers), so that what the server checks is what it reads;
- a request's work is bounded (``plane``'s work budget); a new 2-D run is set up outside
  the lock the other requests take, one at a time: a reset while one is under way gets 409
  "busy", and every other request is answered meanwhile;
- the listen queue holds ``request_queue_size`` connections, each served by a thread;
- the page's files are served from a table read once from the package: no part of a
  request's path ever reaches the file system;
- a bad request gets 400 and a one-line message as JSON (``{"error": ...}``), an unknown
  path 404, a bug 500: the server itself keeps running.

API (all JSON unless said otherwise):

    GET  /api/info                      data sets, activations, optimizers, defaults
    POST /api/plane/reset   {settings}  a new 2-D run -> {"setup", "state"}
    POST /api/plane/run | pause         -> state
    POST /api/plane/step    {"updates"} do that many updates, then pause -> state
    GET  /api/plane/state?since=K&regions=V    epoch records from K, regions if newer than V
    GET  /api/plane/spec.net            the run's spec as a .net file
    GET  /api/plane/model.safetensors   the network after the last whole epoch, as a model
                                        file (409 before the first epoch has ended)
    GET  /api/digits/state              the digit reader's training progress
    POST /api/digits/learn  {"learn": true|false}  watch a network learn from scratch, or
                            go back to the model file's network -> the reader's state
    POST /api/digits/read   {"width", "height", "pixels": base64 of gray bytes}
                            -> {"image": 784 values, "probabilities": 10 or null,
                                "units": the hidden units that pushed the answer most
                                (their 28x28 weights) or null, "state"}
"""

import base64
import binascii
import json
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from .. import __version__
from ..data import planar
from ..errors import PurennError
from ..formats.schema import load_json
from . import plane
from .digits import BadDrawing

HOST = "127.0.0.1"
MAX_BODY = 1 << 20
QUEUE = 1024               # connections waiting to be accepted (http.server's default: 5)
SINGLE_HEADERS = ("Host", "Origin", "Content-Type", "Content-Length", "Transfer-Encoding")
DIGITS = re.compile(r"[0-9]{1,20}")
QUERY_DIGITS = re.compile(r"[0-9]{1,12}")
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/playground.css": ("playground.css", "text/css; charset=utf-8"),
    "/playground.js": ("playground.js", "text/javascript; charset=utf-8"),
}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # the page may load nothing but its own files: no CDN, no fonts, no trackers
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; frame-ancestors 'none'",
}


class HTTPError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def static_files():
    """{path: (bytes, content type)} of the page's files, read from the package."""
    folder = resources.files("purenn.playground") / "static"
    return {path: ((folder / name).read_bytes(), kind)
            for path, (name, kind) in STATIC.items()}


class Playground:
    """What the server serves: the page, the 2-D session and the digit reader."""

    def __init__(self, digits, session_class=plane.PlaneSession):
        from .. import registry
        self.session_class = session_class
        self.files = static_files()
        self.digits = digits
        self.optimizers = registry.names("purenn.optimizers")
        self.lock = threading.Lock()          # held briefly: which session is current
        self.building = threading.Lock()      # held while a new session is set up
        self.session = None
        self.sessions = 0
        self.previews = plane.previews()

    def close(self):
        self.digits.close()
        with self.lock:
            if self.session is not None:
                self.session.close()

    def info(self):
        return {"version": __version__, "datasets": list(planar.NAMES),
                "noise": planar.DEFAULT_NOISE, "classes": planar.CLASSES,
                "regression": list(planar.REGRESSION),
                "features": list(planar.FEATURES), "ratio_range": planar.RATIO_RANGE,
                "activations": list(plane.ACTIVATIONS), "optimizers": list(self.optimizers),
                "defaults": plane.DEFAULTS, "max_units": plane.MAX_UNITS,
                "max_layers": plane.MAX_HIDDEN_LAYERS, "previews": self.previews}

    def reset(self, config):
        """A new 2-D run from the page's settings. It is set up (the long part: data,
        network, first measures and picture) without holding ``lock``, so the other
        requests are answered meanwhile; one at a time, a second reset meanwhile gets 409."""
        if not self.building.acquire(blocking=False):
            raise HTTPError(HTTPStatus.CONFLICT, "busy: a new 2-D run is being set up; "
                                                 "send the settings again in a moment")
        try:
            session = self.session_class(config, self.optimizers, self.sessions + 1)
            with self.lock:
                old, self.session, self.sessions = self.session, session, session.number
        finally:
            self.building.release()
        if old is not None:
            old.close()
        return {"setup": session.setup(), "state": session.state()}

    def current(self):
        with self.lock:
            if self.session is None:
                raise HTTPError(HTTPStatus.CONFLICT, "no 2-D run yet: POST /api/plane/reset")
            return self.session

    def model_file(self):
        """The model file of the 2-D run's network after its last whole epoch."""
        epoch, data = self.current().model_file()
        if data is None:
            raise HTTPError(HTTPStatus.CONFLICT,
                            "no epoch has ended yet: the model file is the network after "
                            "the last whole epoch, the one the command line repeats")
        return epoch, data

    # -- the API, whatever carries it (this HTTP server, or a Web Worker in Pyodide) --------
    def answer(self, method, path, argument):
        """(status, body, content type, headers) of the API's answer to ``method path``
        with ``argument`` (a POST's JSON body, or a GET's query as a dict)."""
        return getattr(self, API[method][path])(argument)

    def api_info(self, _):
        return HTTPStatus.OK, self.info()

    def api_reset(self, settings):
        return HTTPStatus.OK, self.reset(settings)

    def api_run(self, _):
        session = self.current()
        session.run()
        return HTTPStatus.OK, session.state()

    def api_pause(self, _):
        session = self.current()
        session.pause()
        return HTTPStatus.OK, session.state()

    def api_step(self, body):
        session = self.current()
        session.step(body.get("updates", 1))
        return HTTPStatus.OK, session.state()

    def api_state(self, args):
        return HTTPStatus.OK, self.current().state(int_arg(args, "since"),
                                                   int_arg(args, "regions"))

    def api_spec(self, _):
        return (HTTPStatus.OK, self.current().spec.encode("utf-8"),
                "text/plain; charset=utf-8",
                {"Content-Disposition": 'attachment; filename="playground.net"'})

    def api_model(self, _):
        epoch, data = self.model_file()
        return (HTTPStatus.OK, data, "application/octet-stream",
                {"Content-Disposition": 'attachment; filename="playground.safetensors"',
                 "X-Purenn-Epochs": str(epoch)})

    def api_digits_state(self, _):
        return HTTPStatus.OK, self.digits.state()

    def api_digits_learn(self, body):
        if set(body) != {"learn"} or not isinstance(body["learn"], bool):
            raise BadDrawing(f'the body must be {{"learn": true or false}}, got '
                             f'{json.dumps(body)[:80]}')
        return HTTPStatus.OK, self.digits.learn(body["learn"])

    def api_digits_read(self, body):
        missing = [k for k in ("width", "height", "pixels") if k not in body]
        if missing:
            raise BadDrawing(f"the drawing needs {', '.join(missing)}")
        if not isinstance(body["pixels"], str):
            raise BadDrawing("pixels must be a base64 string of gray bytes")
        try:
            pixels = base64.b64decode(body["pixels"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadDrawing(f"pixels is not base64: {exc}") from None
        answer = self.digits.read(pixels, body["width"], body["height"])
        answer["state"] = self.digits.state()
        return HTTPStatus.OK, answer


API = {
    "GET": {"/api/info": "api_info", "/api/plane/state": "api_state",
            "/api/plane/spec.net": "api_spec", "/api/plane/model.safetensors": "api_model",
            "/api/digits/state": "api_digits_state"},
    "POST": {"/api/plane/reset": "api_reset", "/api/plane/run": "api_run",
             "/api/plane/pause": "api_pause", "/api/plane/step": "api_step",
             "/api/digits/read": "api_digits_read", "/api/digits/learn": "api_digits_learn"},
}


class Handler(BaseHTTPRequestHandler):
    server_version = f"purenn-playground/{__version__}"
    protocol_version = "HTTP/1.1"
    timeout = 30

    # -- plumbing -------------------------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        if self.server.verbose:
            super().log_message(format, *args)

    def send(self, status, body, content_type="application/json", headers=None):
        if not isinstance(body, bytes):
            body = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, status, message):
        self.close_connection = True
        self.send(status, {"error": message})

    def send_error(self, code, message=None, explain=None):
        """http.server's own refusals (a bad request line, too long a line, too many
        headers, HTTP/2 and up) answered as the API's: a one-line JSON message. Its 505
        for a version is the request's fault, not the server's: 400 here."""
        status = HTTPStatus.BAD_REQUEST if code >= 500 else HTTPStatus(code)
        self.fail(status, message or status.phrase)

    def __getattr__(self, name):
        # a method no do_ names (http.server answers 501): this API's 405, as for PUT
        if name.startswith("do_"):
            return lambda: self.handle_one(self.command[:40])
        raise AttributeError(name)

    def check_headers(self):
        for name in SINGLE_HEADERS:
            if len(self.headers.get_all(name) or ()) > 1:
                raise HTTPError(HTTPStatus.BAD_REQUEST, f"the request has {name} twice")

    def check_host(self):
        allowed = {f"{name}:{self.server.server_port}" for name in ("127.0.0.1", "localhost")}
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in allowed:
            raise HTTPError(HTTPStatus.FORBIDDEN,
                            f"Host {host!r} is not this server (use "
                            f"http://127.0.0.1:{self.server.server_port}/)")

    def body(self):
        origin = self.headers.get("Origin")
        if origin is not None and origin.lower() not in {
                f"http://{name}:{self.server.server_port}" for name in ("127.0.0.1", "localhost")}:
            raise HTTPError(HTTPStatus.FORBIDDEN, f"requests from {origin!r} are refused")
        if self.headers.get("Transfer-Encoding"):
            raise HTTPError(HTTPStatus.BAD_REQUEST, "send the body with a Content-Length, "
                                                    "not a Transfer-Encoding")
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise HTTPError(HTTPStatus.BAD_REQUEST, "a POST needs a Content-Length")
        if not DIGITS.fullmatch(length_text):
            raise HTTPError(HTTPStatus.BAD_REQUEST,
                            f"Content-Length {length_text[:40]!r} is not a number "
                            f"(digits only)")
        length = int(length_text)
        if length > MAX_BODY:
            raise HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                            f"the body is {length} bytes; at most {MAX_BODY} are read")
        if kind != "application/json":
            raise HTTPError(HTTPStatus.BAD_REQUEST,
                            f"Content-Type must be application/json, got {kind or 'none'!r}")
        raw = self.rfile.read(length)
        if len(raw) < length:
            raise HTTPError(HTTPStatus.BAD_REQUEST, f"the body ended after {len(raw)} of "
                                                    f"{length} bytes")
        if not raw.strip():
            return {}
        value = load_json(raw, "the body", what="its text", error=plane.BadRequest)
        if not isinstance(value, dict):
            raise HTTPError(HTTPStatus.BAD_REQUEST,
                            f"the body must be a JSON object, got {type(value).__name__}")
        return value

    def handle_one(self, method):
        try:
            self.check_headers()
            self.check_host()
            url = urlsplit(self.path)
            routes = self.server.routes.get(method, {})
            if url.path not in routes:
                other = "POST" if method == "GET" else "GET"
                if url.path in self.server.routes.get(other, {}) or (
                        other == "GET" and url.path in self.server.app.files):
                    raise HTTPError(HTTPStatus.METHOD_NOT_ALLOWED,
                                    f"{url.path} takes {other}, not {method}")
                raise HTTPError(HTTPStatus.NOT_FOUND, f"no such page or API: {url.path!r}")
            argument = self.body() if method == "POST" else query(url.query)
            self.command_name = method
            routes[url.path](self, argument)
        except HTTPError as exc:
            self.fail(exc.status, str(exc))
        except (plane.BadRequest, BadDrawing, PurennError) as exc:
            self.fail(HTTPStatus.BAD_REQUEST, str(exc))
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # a bug: answer, say so, keep serving
            self.fail(HTTPStatus.INTERNAL_SERVER_ERROR,
                      f"internal error: {type(exc).__name__}: {exc}")

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.handle_one("GET")

    def do_HEAD(self):  # noqa: N802
        self.handle_one("GET")

    def do_POST(self):  # noqa: N802
        self.handle_one("POST")

    def do_PUT(self):  # noqa: N802
        self.handle_one("PUT")

    do_DELETE = do_PATCH = do_OPTIONS = do_PUT

    # -- the page -------------------------------------------------------------------------
    def page(self, _):
        body, kind = self.server.app.files[urlsplit(self.path).path]
        self.send(HTTPStatus.OK, body, kind)

    def api(self, argument):
        self.send(*self.server.app.answer(self.command_name, urlsplit(self.path).path,
                                          argument))


PAGES = ("/", "/playground.css", "/playground.js")
ROUTES = {
    "GET": {**{path: Handler.page for path in PAGES},
            **{path: Handler.api for path in API["GET"]}},
    "POST": {path: Handler.api for path in API["POST"]},
}


def query(text):
    try:
        return {k: v[-1] for k, v in parse_qs(text, strict_parsing=bool(text)).items()}
    except ValueError as exc:
        raise HTTPError(HTTPStatus.BAD_REQUEST, f"bad query string {text!r}: {exc}") from None


def int_arg(args, name):
    text = args.get(name, "0")
    if not QUERY_DIGITS.fullmatch(text):          # ASCII digits: str.isdigit takes "١" too
        raise HTTPError(HTTPStatus.BAD_REQUEST,
                        f"{name} must be a whole number ≥ 0, got {text!r}")
    return int(text)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = QUEUE

    def __init__(self, app, port=0, verbose=False):
        self.app = app
        self.routes = ROUTES
        self.verbose = verbose
        super().__init__((HOST, port), Handler)

    @property
    def url(self):
        return f"http://{HOST}:{self.server_port}/"

    def handle_error(self, request, client_address):
        # a client that goes away mid-answer is not the server's problem
        if self.verbose:
            super().handle_error(request, client_address)


def serve(app, port=0, verbose=False):
    """A started Server (its own thread) for ``app``; ``close_server`` stops it."""
    server = Server(app, port, verbose)
    # shutdown() waits for the loop's next poll: a tenth of a second, not the default half
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="purenn-http", daemon=True)
    thread.start()
    server.thread = thread
    return server


def close_server(server):
    server.shutdown()
    server.server_close()
    server.app.close()
