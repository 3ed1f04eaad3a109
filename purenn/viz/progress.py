"""Training progress: a live bar on a terminal, plain per-epoch lines otherwise.

On a terminal (``interactive``) the bar is redrawn in place on one line of ``stream``
at most ten times a second::

    epoch 2/5 |██████████▌         |  52/100  loss 0.3412  2.1 ms/update  ETA 0:41

(loss: the mean over this epoch's updates so far; ETA: the updates left in the whole
run times the mean time per update so far, evaluation not counted). Epoch lines go
through ``out`` after the bar is wiped, so they scroll above it. Not on a terminal,
there is no bar and the epoch lines are all there is.
"""

import math
import os
import time


def format_duration(seconds):
    """'0:41', '12:05', '1:02:03'."""
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def is_terminal(stream, environ=None):
    """True when ``stream`` is a terminal that understands carriage returns and
    ``ESC [K`` (not ``TERM=dumb``)."""
    environ = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and environ.get("TERM") != "dumb"


class Progress:
    """Hooks for a ``Trainer``: ``on_update`` draws the bar, ``line`` prints an epoch
    line, ``close`` wipes the bar. ``clock`` is a function returning seconds."""

    def __init__(self, stream, out, *, interactive, width=24, unicode=True,
                 clock=time.perf_counter, interval=0.1):
        self.stream, self.out = stream, out
        self.interactive, self.width, self.unicode = interactive, width, unicode
        self.clock, self.interval = clock, interval
        self.started = None
        self.start_updates = 0
        self.last_draw = -math.inf
        self.shown = False

    def bar_text(self, label, done, total, loss, per_update, remaining):
        """The text of the bar (without the carriage return)."""
        fraction = done / total if total else 1.0
        if self.unicode:
            eighths = round(fraction * self.width * 8)
            full, part = divmod(eighths, 8)
            fill = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
        else:
            fill = "#" * round(fraction * self.width)
        eta = format_duration(remaining * per_update) if per_update else "?"
        speed = f"{per_update * 1000:.1f} ms/update" if per_update else ""
        return (f"{label} |{fill:<{self.width}}| {done:>{len(str(total))}}/{total}  "
                f"loss {loss:.4f}  {speed}  ETA {eta}")

    def on_update(self, trainer, loss):
        if not self.interactive:
            return
        now = self.clock()
        if self.started is None:
            self.started, self.start_updates = now, trainer.updates
        label, done, total = trainer.progress()
        if now - self.last_draw < self.interval and done < total:
            return
        self.last_draw = now
        pending = trainer.pending
        mean_loss = math.fsum(pending) / len(pending) if pending else loss
        made = trainer.updates - self.start_updates
        per_update = (now - self.started) / made if made > 0 else 0.0
        remaining = trainer.total_updates - trainer.updates
        self.stream.write("\r" + self.bar_text(label, done, total, mean_loss, per_update,
                                               remaining) + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def wipe(self):
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def line(self, text):
        """Print an epoch line (above the bar)."""
        self.wipe()
        self.out(text)

    def close(self):
        self.wipe()
