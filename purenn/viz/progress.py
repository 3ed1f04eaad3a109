"""Progress: a live bar on a terminal, plain lines otherwise; for training runs
(``Progress``) and for downloads (``DownloadBar``, ``DownloadLines``).

On a terminal (``interactive``) the training bar is redrawn in place on one line of
``stream`` at most ten times a second::

    epoch 2/5 |██████████▌         |  52/100  loss 0.3412  2.1 ms/update  ETA 0:41

(loss: the mean over this epoch's updates so far; ETA: the updates left in the whole
run times the time per update, plus the evaluations left times the mean time of one,
estimated from the data's size until one has been timed). The time per update is the
mean over the later half of the updates so far, so that the slow first updates of a
JIT's warm-up (PyPy compiles the loops during the first few hundred) drop out of the
estimate as the run goes on. The line never
wraps: it is fitted to the terminal's width at every redraw (the bar shrinks, then the
speed and the loss are left out). Epoch lines go through ``out`` after the bar is
wiped, so they scroll above it. Not on a terminal (or with ``TERM=dumb``), there is no
bar and the epoch lines are all there is.
"""

import math
import os
import time

from ..linalg import fsum_or_sum

DEFAULT_COLUMNS = 80


def _mean(values):
    """The exactly rounded mean, or inf/NaN where finite values sum past the largest
    float."""
    return fsum_or_sum(values) / len(values)


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


def terminal_columns(stream, environ=None):
    """The width of the terminal ``stream`` writes to; else $COLUMNS; else 80."""
    environ = os.environ if environ is None else environ
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_COLUMNS
    except (AttributeError, OSError, ValueError):
        pass
    try:
        return max(1, int(environ.get("COLUMNS", "")))
    except ValueError:
        return DEFAULT_COLUMNS


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
        self.last_update = None
        self.eval_seconds, self.evaluations = 0.0, 0   # time between updates and records
        self.marks = []          # (seconds of updates, updates) at each drawing, in order
        self.shown = False

    def bar_text(self, label, done, total, loss, per_update, remaining, columns=None):
        """The text of the bar (without the carriage return), at most ``columns - 1``
        characters: the bar narrows first, then the speed and the loss are dropped."""
        fraction = done / total if total else 1.0
        eta = format_duration(remaining) if per_update else "?"
        count = f"{done:>{len(str(total))}}/{total}"
        speed = f"{per_update * 1000:.1f} ms/update" if per_update else ""
        room = (columns or DEFAULT_COLUMNS) - 1
        extras = [f"loss {loss:.4f}", speed]
        while True:
            tail = "  ".join(p for p in [count, *extras, f"ETA {eta}"] if p)
            width = min(self.width, room - len(label) - len(tail) - 4)
            if width >= 6 or not any(extras):
                break
            extras[extras.index(next(p for p in reversed(extras) if p))] = ""
        if width < 3:
            return f"{label} {tail}"[:room]
        return f"{label} |{self.fill(fraction, width)}| {tail}"

    def fill(self, fraction, width):
        return bar_fill(fraction, width, self.unicode)

    def eta(self, trainer, per_update):
        """Seconds left: updates left times ``per_update``, plus the evaluations left
        times the mean time of one so far (or, before any, an estimate from the data's
        size: a forward pass costs about a third of an update per batch)."""
        updates_left = trainer.total_updates - trainer.updates
        if self.evaluations:
            per_eval = self.eval_seconds / self.evaluations
        else:
            samples = sum(len(d) for d in (getattr(trainer, "train_set", None),
                                           getattr(trainer, "test_set", None)) if d)
            batch = getattr(trainer, "batch_size", 0) or 1
            per_eval = samples / batch * per_update / 3
        every = getattr(trainer, "eval_every", 1) or 1
        epochs_left = trainer.total_epochs - trainer.epoch if hasattr(
            trainer, "total_epochs") else 0
        evals_left = -(-max(0, epochs_left) // every)
        return updates_left * per_update + evals_left * per_eval

    def on_update(self, trainer, loss):
        if not self.interactive:
            return
        now = self.clock()
        if self.started is None:
            self.started, self.start_updates = now, trainer.updates
        self.last_update = now
        label, done, total = trainer.progress()
        if now - self.last_draw < self.interval and done < total:
            return
        self.last_draw = now
        pending = trainer.pending
        mean_loss = _mean(pending) if pending else loss
        made = trainer.updates - self.start_updates
        per_update = self.per_update(now - self.started - self.eval_seconds, made)
        text = self.bar_text(label, done, total, mean_loss, per_update,
                             self.eta(trainer, per_update), terminal_columns(self.stream))
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def per_update(self, seconds, made):
        """Keeps (seconds, made) as this drawing's mark, then returns the seconds per
        update over the later half of the ``made`` updates so far (over all of them while
        no earlier mark falls in the later half)."""
        self.marks.append((seconds, made))
        if len(self.marks) > 512:               # keep the first and every other one
            self.marks = self.marks[:1] + self.marks[1:-1:2] + self.marks[-1:]
        for at_seconds, at_made in self.marks:
            if at_made >= made / 2:
                if made - at_made > 0:
                    return (seconds - at_seconds) / (made - at_made)
                break
        return seconds / made if made > 0 else 0.0

    def on_evaluate(self, trainer, done, total):
        """The bar while the accuracies are measured at the end of an epoch."""
        if not self.interactive:
            return
        now = self.clock()
        if now - self.last_draw < self.interval and done < total:
            return
        self.last_draw = now
        label = trainer.progress()[0]
        tail = f"evaluating {done:,}/{total:,} samples"
        room = terminal_columns(self.stream) - 1
        width = min(self.width, room - len(label) - len(tail) - 4)
        text = (f"{label} |{self.fill(done / total if total else 1.0, width)}| {tail}"
                if width >= 3 else f"{label} {tail}"[:room])
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def wipe(self):
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def line(self, text):
        """Print an epoch line (above the bar); the time since the last update was the
        evaluation's."""
        if self.interactive and self.last_update is not None:
            now = self.clock()
            self.eval_seconds += now - self.last_update
            self.evaluations += 1
            self.last_update = None
        self.wipe()
        self.out(text)

    def close(self):
        self.wipe()


def bar_fill(fraction, width, unicode=True):
    """A bar ``width`` characters wide filled to ``fraction`` (eighths of a block in
    Unicode, '#' otherwise)."""
    if unicode:
        eighths = round(fraction * width * 8)
        full, part = divmod(eighths, 8)
        text = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    else:
        text = "#" * round(fraction * width)
    return f"{text:<{width}}"


class CountBar:
    """How far a long pass is (``evaluate`` over 60,000 images), on a terminal: one line
    redrawn in place at most ten times a second, shown only once the pass has taken
    ``delay`` seconds (a quick one leaves nothing), wiped by ``close``::

        evaluating |██████▌     | 32,000/60,000 samples  ETA 0:31

    Off a terminal (``interactive`` false) it draws nothing."""

    def __init__(self, stream, label, unit, *, interactive, unicode=True, width=24,
                 delay=0.5, interval=0.1, clock=time.perf_counter):
        self.stream, self.label, self.unit = stream, label, unit
        self.interactive, self.unicode, self.width = interactive, unicode, width
        self.delay, self.interval, self.clock = delay, interval, clock
        self.started = clock()
        self.last_draw = -math.inf
        self.shown = False

    def text(self, done, total, columns):
        elapsed = self.clock() - self.started
        eta = format_duration(elapsed / done * (total - done)) if done else "?"
        tail = f"{done:,}/{total:,} {self.unit}  ETA {eta}"
        room = columns - 1
        width = min(self.width, room - len(self.label) - len(tail) - 4)
        if width < 3:
            return f"{self.label} {tail}"[:room]
        fraction = done / total if total else 1.0
        return f"{self.label} |{bar_fill(fraction, width, self.unicode)}| {tail}"

    def update(self, done, total):
        if not self.interactive:
            return
        now = self.clock()
        if now - self.started < self.delay or now - self.last_draw < self.interval:
            return
        self.last_draw = now
        self.stream.write("\r" + self.text(done, total, terminal_columns(self.stream))
                          + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def close(self):
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def size(n):
    """A byte count for people: 4.5 kB, 9.9 MB."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


class DownloadBar:
    """For a terminal: one line redrawn in place, file, bar, percent and megabytes,
    fitted to the terminal's width."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.drawn = False

    def update(self, file_name, done, total):
        if total:
            tail = f" {done * 100 // total:3d}% {size(done)} of {size(total)}"
            room = terminal_columns(self.stream) - 1 - len(file_name) - len(tail) - 3
            width = min(self.WIDTH, room)
            if width >= 5:
                filled = min(width, done * width // total)
                text = f"{file_name} [{'#' * filled}{'.' * (width - filled)}]{tail}"
            else:
                text = f"{file_name}{tail}"
        else:
            text = f"{file_name} {size(done)}"
        self.stream.write("\r" + text[:terminal_columns(self.stream) - 1])
        self.stream.flush()
        self.drawn = True

    def finish(self):
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


class DownloadLines:
    """For logs and pipes: a plain line at each quarter of a file larger than 1 MB."""

    def __init__(self, out):
        self.out = out
        self.quarter = {}

    def update(self, file_name, done, total):
        if not total or total < 1_000_000:
            return
        quarter = done * 4 // total
        if 0 < quarter < 4 and quarter > self.quarter.get(file_name, 0):
            self.quarter[file_name] = quarter
            self.out(f"{file_name}: {quarter * 25}% ({size(done)} of {size(total)})")

    def finish(self):
        pass


def download_progress(stream, out, environ=None):
    """The bar on a terminal that can redraw a line, plain lines otherwise."""
    return DownloadBar(stream) if is_terminal(stream, environ) else DownloadLines(out)
