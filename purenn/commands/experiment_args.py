"""What ``compare`` and ``search`` share: data and schedule options, training the runs
with their live display and Ctrl-C, and the table of results."""

import math
import sys
import textwrap

from ..errors import PurennError
from ..fileio import check_writable
from .args import BATCH, COUNT, JOBS, NOISE, PATH, SEED


def add_data_options(p):
    from ..data.sets import NAMES

    p.add_argument("--dataset", choices=NAMES, default="mnist",
                   help="what to train on (default: mnist)")
    p.add_argument("--noise", type=NOISE,
                   help="for the 2-D sets (spiral, circles, moons, xor): the standard "
                        "deviation of their Gaussian noise (default: as for train)")
    p.add_argument("--data", type=PATH, metavar="DIR",
                   help="folder with the four IDX files (default: as for train: the fetched "
                        "copy in the cache, else the bundled MNIST subset)")
    p.add_argument("--train-size", type=COUNT, metavar="N",
                   help="use only the first N training samples (the book: 300 to show "
                        "overfitting, 500 for its search)")


def add_schedule_options(p, epochs_default):
    p.add_argument("--epochs", type=COUNT,
                   help=f"passes over the training set (default: {epochs_default})")
    p.add_argument("--iterations", type=COUNT, metavar="N",
                   help="the book's schedule instead of epochs: N updates on batches drawn "
                        "with replacement, an evaluation every train-size/batch updates")
    p.add_argument("--batch-size", type=BATCH, default=100,
                   help="samples per update (default: 100; the book's optimizer and init "
                        "comparisons use 128)")
    p.add_argument("--seed", type=SEED, default=0,
                   help="seed of every run's weights and batches (default: 0)")
    p.add_argument("--eval-size", type=COUNT, metavar="N",
                   help="measure the accuracies on the first N samples of each set only "
                        "(default: all; evaluating 60,000 images takes a while)")
    p.add_argument("--jobs", type=JOBS, default=1, metavar="N",
                   help="train N runs at once in separate processes; the results are the "
                        "same as one after another, bit for bit (default: 1)")


def check_picture(path, option="--plot"):
    """PurennError before any run when the picture cannot be written (fileio)."""
    if path is not None:
        check_writable(path, option, (".png", ".svg"))


def load(args):
    """(train, test, description) with --train-size applied (``purenn.data.sets``);
    the generated sets are drawn from ``random.Random(--seed)``."""
    import random

    from ..data import sets

    return sets.load(args.dataset, random.Random(args.seed), folder=args.data,
                     noise=args.noise, train_size=args.train_size)


def default_spec(dataset):
    """The spec a data set is trained with when --spec is not given (as for train)."""
    from ..data.sets import DEFAULTS

    return DEFAULTS[dataset]["spec"]


def schedule(args, epochs_default):
    from ..experiments.runner import Schedule

    if args.epochs is not None and args.iterations is not None:
        raise PurennError("give --epochs or --iterations, not both")
    return Schedule(seed=args.seed, epochs=args.epochs or epochs_default,
                    iterations=args.iterations, batch_size=args.batch_size,
                    eval_size=args.eval_size)


def schedule_text(schedule):
    """'2000 updates', '1 epoch', '50 epochs'."""
    if schedule.iterations:
        count, unit = schedule.iterations, "update"
    else:
        count, unit = schedule.epochs, "epoch"
    return f"{count} {unit}{'' if count == 1 else 's'}"


def schedule_line(schedule, jobs):
    """'2000 updates of batch 128, seed 0', with ', 2 at a time' when the runs train in
    parallel."""
    return (f"{schedule_text(schedule)} of batch {schedule.batch_size}, seed {schedule.seed}"
            + (f", {jobs} at a time" if jobs > 1 else ""))


def train_all(runs, train_set, test_set, schedule, jobs, out, describe, noun="runs"):
    """Train the runs with the live display, printing ``[i/n] head tail`` as each one
    finishes (``describe(result)`` gives (head, tail); two lines where one would pass 80
    columns). Returns (results, exit code): on Ctrl-C the runs finished so far and 130,
    after a line saying how many of the runs (or trials: ``noun``) finished."""
    from ..experiments import runner

    progress = RunProgress(len(runs), out) if jobs == 1 else JobsProgress(len(runs))

    def finished(i, result):
        progress.wipe()
        head, tail = describe(result)
        for line in fit(f"[{i + 1}/{len(runs)}] {head}", tail):
            out(line)

    try:
        results = runner.run_all(runs, train_set, test_set, schedule, jobs=jobs,
                                 on_result=finished, progress=progress)
    except runner.Interrupted as stop:
        out(f"interrupted: {len(stop.results)} of {len(runs)} {noun} finished")
        return stop.results, 130
    return results, 0


class RunProgress:
    """The training bar for runs trained in this process, its label saying which run."""

    def __init__(self, count, out):
        from ..viz.progress import Progress, is_terminal

        self.count, self.index = count, 0
        self.bar = Progress(sys.stderr, out, interactive=is_terminal(sys.stderr),
                            unicode=(sys.stderr.encoding or "").lower().startswith("utf"))

    def on_update(self, trainer, loss):
        self.bar.on_update(_Labelled(trainer, f"run {self.index + 1}/{self.count}"), loss)

    def wipe(self):
        self.bar.wipe()

    def close(self):
        self.bar.close()
        self.bar.started, self.bar.last_draw = None, float("-inf")
        self.bar.eval_seconds, self.bar.evaluations, self.bar.last_update = 0.0, 0, None
        self.index += 1


class JobsProgress:
    """For runs in worker processes: one line on a terminal, redrawn, with each running
    run's updates (``run 3: 120/2000``), fitted to the terminal's width."""

    def __init__(self, count):
        from ..viz.progress import is_terminal

        self.count, self.running = count, {}
        self.interactive = is_terminal(sys.stderr)

    def on_run_progress(self, i, done, total):
        if not self.interactive:
            return
        from ..viz.progress import terminal_columns

        self.running = {k: v for k, v in self.running.items() if v[0] < v[1]}
        self.running[i] = (done, total)
        text = "  ".join(f"run {k + 1}/{self.count}: {d}/{t} updates"
                         for k, (d, t) in sorted(self.running.items()))
        sys.stderr.write("\r" + text[:terminal_columns(sys.stderr) - 1] + "\x1b[K")
        sys.stderr.flush()

    def wipe(self):
        if self.interactive and self.running:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.running = {}

    def on_update(self, trainer, loss):  # not used: runs train in workers
        pass

    def close(self):
        self.wipe()


class _Labelled:
    def __init__(self, trainer, prefix):
        self._trainer, self._prefix = trainer, prefix

    def __getattr__(self, name):
        return getattr(self._trainer, name)

    def progress(self):
        label, done, total = self._trainer.progress()
        return f"{self._prefix} {label}", done, total


COLUMNS = 80   # every line printed fits (GUIDE, issue 21 item 13)


def fit(head, tail, indent="    "):
    """``head tail`` as one line if it fits 80 columns, else ``head`` wrapped and
    ``tail`` on a line of its own."""
    if len(head) + 1 + len(tail) <= COLUMNS:
        return [f"{head} {tail}"]
    return textwrap.wrap(head, COLUMNS, subsequent_indent=indent) + [indent + tail]


def loss_note(smooth, after_update):
    """What the table's 'end loss' is (the last point of the figure's loss curve)."""
    which = "after" if after_update else "before"
    what = (f"the batch loss {which} each update, smoothed as the book's smooth_curve "
            f"(at the end: a weighted mean of the last 6 updates' losses)" if smooth else
            f"the batch loss {which} the last update")
    return f"end loss: the last point of the figure's loss curve, {what}"


def table(results, first="run", *, smooth=True, after_update=False, eval_size=None):
    """Lines of a table that fits 80 columns: label, end loss (the last point of the
    figure's loss curve), train and test accuracy after the last update, seconds; then
    what each number is, and which runs diverged. A label too long for its column has
    a line of its own above its numbers."""
    from ..experiments.figures import loss_curve

    numbers = f"  {'end loss':>8}  {'train acc':>9}  {'test acc':>8}  {'time':>8}"
    width = min(max([len(first)] + [len(r.label) for r in results]),
                COLUMNS - len(numbers))
    lines = [f"{first:<{width}}{numbers}"]
    for r in results:
        curve = loss_curve(r.history["iteration_loss"], smooth, r.diverged_at)
        end = curve[-1] if curve and r.diverged_at is None else math.nan
        row = (f"  {end:>8.4f}  {r.train_acc:>9.4f}  {r.test_acc:>8.4f}  "
               f"{r.seconds:>6.1f} s")
        if len(r.label) > width:
            lines.extend(textwrap.wrap(r.label, COLUMNS))
            lines.append(" " * width + row)
        else:
            lines.append(f"{r.label:<{width}}{row}")
    where = (f"the first {eval_size:,} samples of each set" if eval_size
             else "the whole sets")
    notes = [loss_note(smooth, after_update),
             f"train acc, test acc: after the last update, on {where}"]
    for r in results:
        if r.diverged_at is not None:
            notes.append(f"{r.label}: diverged at update {r.diverged_at} (its loss "
                         f"exploded or was not a number) and went on, as the book's runs "
                         f"do; the figure draws its loss up to there and its accuracies "
                         f"as measured (with NaN weights every prediction is class 0)")
    for note in notes:
        lines.extend(textwrap.wrap(note, COLUMNS, subsequent_indent="  "))
    return lines
