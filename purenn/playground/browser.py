"""The playground with no server: purenn in Pyodide, in the page's Web Worker.

``purenn playground --export DIR`` writes a static site (``export.py``); its worker loads
Pyodide, installs purenn's wheel and makes a ``Worker``. Each request of the page arrives
as a message and ``Worker.answer`` replies as the HTTP server would: the same
``Playground``, the same API, the same one-line errors.

Pyodide starts no threads, so training cannot run beside the answers as it does on the
server. Between two messages the worker calls ``tick()``, which trains for a slice of
time and stops at the Trainer's next safe point: the stop that Ctrl-C and checkpoints use,
after which ``fit()`` goes on exactly where it stopped. The updates, losses and weights
are therefore those of the server and of ``purenn train``, bit for bit.
"""

import json
import time
from http import HTTPStatus

from ..errors import PurennError
from . import plane
from .digits import BadDrawing, DigitReader
from .server import API, HTTPError, Playground

TICK = 0.05            # seconds of training between two looks at the page's messages


class SteppedPlaneSession(plane.PlaneSession):
    """A 2-D run trained in slices by ``tick`` instead of in a thread of its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slice_end = None

    def _allow(self, budget):
        if not (self.finished or self.closed):
            self.budget, self.paused = budget, False

    def run(self):
        self._allow(None)

    def pause(self):
        if self.budget != 0:
            self.budget = 0
            self.tick()            # up to the next safe point, and the picture there

    def step(self, updates=1, timeout=60.0):
        self.check_step(updates)
        self._allow(updates)
        while self.budget and not self.finished:
            self.tick(None)

    def close(self):
        self.closed = True

    def tick(self, seconds=TICK):
        """Train until ``seconds`` have passed (None: until paused), the run is paused or
        it ends; True while it is to go on running."""
        if self.finished or self.closed or (self.paused and self.budget == 0):
            return False
        self.slice_end = None if seconds is None else time.monotonic() + seconds
        self.trainer.stop_requested = False
        if not self._fit():                       # ended or failed: not a stop
            self.finished = self.paused = True
            self.budget = 0
        return self.budget != 0 and not self.finished

    def _safe_point(self):
        pausing = self.budget == 0 or self.closed
        self._picture_if_due(pausing)
        over = self.slice_end is not None and time.monotonic() >= self.slice_end
        if pausing or over:
            self.paused = self.budget == 0
            self.trainer.stop_requested = True


class Worker:
    """The playground's API for the page's Web Worker: ``answer`` a request, ``tick``."""

    def __init__(self, model_path=None, model_name=None):
        digits = DigitReader(model_path)   # without one, the reader shipped with purenn
        if model_path is not None and model_name:
            digits.status["source"] = f"model file {model_name} of this site"
        self.app = Playground(digits, SteppedPlaneSession)

    def answer(self, method, path, argument_json):
        """(status, content type, headers as JSON, body as bytes) of a request; the
        argument is the POST's JSON body or the GET's query as a JSON object."""
        try:
            if path not in API.get(method, {}):
                raise HTTPError(HTTPStatus.NOT_FOUND, f"no such API: {method} {path!r}")
            argument = json.loads(argument_json) if argument_json else {}
            if not isinstance(argument, dict):
                raise HTTPError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
            status, body, *rest = self.app.answer(method, path, argument)
        except HTTPError as exc:
            status, body, rest = exc.status, {"error": str(exc)}, []
        except (plane.BadRequest, BadDrawing, PurennError, ValueError) as exc:
            status, body, rest = HTTPStatus.BAD_REQUEST, {"error": str(exc)}, []
        except Exception as exc:  # a bug: answer, say so, keep going
            status, body, rest = (HTTPStatus.INTERNAL_SERVER_ERROR,
                                  {"error": f"internal error: {type(exc).__name__}: {exc}"}, [])
        kind, headers = (rest + ["application/json", None])[:2] if rest else \
            ("application/json", None)
        if not isinstance(body, bytes):
            body = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
        return int(status), kind, json.dumps(headers or {}), body

    def tick(self):
        """Train the 2-D run for a slice; True while it is running."""
        session = self.app.session
        return session is not None and session.tick()
