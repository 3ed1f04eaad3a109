"""Running an experiment's trainings: one run per spec text, each on the same data, seed
and schedule, one after another or in ``jobs`` processes, stoppable with Ctrl-C.

This is the only module of the experiments that touches purenn's training API:
``purenn.spec.build(spec_text, rng=...)`` and ``purenn.train.Trainer`` (its public
constructor, ``fit``, ``history``, ``stop_requested`` and ``measure``), so it is the one
place to adapt when those change.

Bit for bit the same with any ``jobs``: every run starts from ``random.Random(seed)`` for
its weights and batches, reads the same data, and a run in a worker process sends its
history back as JSON, whose float text (``repr``) reads back to the same float.
Processes are forked (the data is inherited, nothing is pickled); where there is no
``fork``, runs go one after another.

A run whose loss explodes or stops being a number goes on, as the book's runs do, and
its Result says at which update (``diverged_at``); the other runs are not stopped.
"""

import json
import math
import multiprocessing
import os
import random
import signal
import time
from dataclasses import dataclass, field

from .. import capabilities
from ..errors import PurennError


@dataclass
class Run:
    """One training of an experiment: a label and the spec text to build."""

    label: str
    spec: str
    settings: list = field(default_factory=list)
    seed: int = None    # its own seed for weights and batches (default: the schedule's)


@dataclass
class Schedule:
    """What every run shares: seed, epochs or iterations (the book's schedule), batch
    size, and how many samples the accuracies are measured on (None: all)."""

    seed: int = 0
    epochs: int = 5
    iterations: int = None
    batch_size: int = 100
    eval_size: int = None
    eval_every: int = 1
    loss_after_update: bool = False     # the book's: the batch's loss again after the step


@dataclass
class Result:
    label: str
    history: dict
    seconds: float
    settings: list = field(default_factory=list)
    spec: str = ""
    diverged_at: int = None     # the update whose loss first exploded or was not finite
    seed: int = None            # the seed of its weights and batches, when its own

    @property
    def final_loss(self):
        """The mean loss of the last epoch's updates (the last record's)."""
        return self.history["train_loss"][-1] if self.history["train_loss"] else math.nan

    @property
    def train_acc(self):
        return self.history["train_acc"][-1] if self.history["train_acc"] else math.nan

    @property
    def test_acc(self):
        return self.history["test_acc"][-1] if self.history["test_acc"] else math.nan


class Interrupted(Exception):
    """Ctrl-C stopped the experiment; ``results`` holds the runs that finished."""

    def __init__(self, results):
        super().__init__("interrupted")
        self.results = results


def build(spec_text, rng):
    from ..spec import build as build_network

    return build_network(spec_text, rng=rng)


def check_runs(runs, train_set):
    """Build every run's network once before training any, so a bad spec or setting
    fails at once with its line; PurennError when the data does not fit."""
    for run in runs:
        try:
            net = build(run.spec, random.Random(0))
        except PurennError as exc:
            raise PurennError(f"run {run.label!r}: {exc}") from None
        features = math.prod(net.input_shape)
        if features != train_set.features_per_sample:
            raise PurennError(f"run {run.label!r}: the network takes {features} numbers "
                              f"per sample but the data has {train_set.features_per_sample}")
        outputs = math.prod(net.output_shape)
        if outputs != train_set.num_classes:
            raise PurennError(f"run {run.label!r}: the network ends in {outputs} outputs "
                              f"but the data has {train_set.num_classes} classes")


def make_trainer(net, train_set, test_set, schedule, rng, on_update=None, log=None):
    from ..train import Trainer

    # accuracies on the first eval_size samples of each set when asked: the book's
    # comparisons train on 60,000 images but only look at the loss
    return Trainer(net, train_set, test_set, epochs=schedule.epochs,
                   batch_size=schedule.batch_size, rng=rng, iterations=schedule.iterations,
                   log=log or (lambda line: None), eval_every=schedule.eval_every,
                   on_update=on_update, eval_size=schedule.eval_size,
                   loss_after_update=schedule.loss_after_update, keep_going_on_nan=True,
                   warn=lambda message: None)  # the table says which runs diverged


def train_one(run, train_set, test_set, schedule, on_update=None, watch=None):
    """Train one run; returns its Result. ``watch(trainer)`` is called before training
    starts, so that a Ctrl-C handler can ask the trainer to stop."""
    seed = schedule.seed if run.seed is None else run.seed
    rng = random.Random(seed)
    net = build(run.spec, rng)
    trainer = make_trainer(net, train_set, test_set, schedule, rng, on_update)
    if watch is not None:
        watch(trainer)
    started = time.perf_counter()
    history = trainer.fit()
    if trainer.pending:
        # the book's schedule may end between two evaluations (2000 updates, one every
        # 468): measure the end too, so the table and the last points say where it ended
        trainer.record(trainer.epoch + 1, trainer.measure())
    return Result(run.label, history.as_dict(), time.perf_counter() - started,
                  list(run.settings), run.spec, trainer.diverged_at, run.seed)


def result_to_json(result):
    return json.dumps({"label": result.label, "history": result.history,
                       "seconds": result.seconds, "settings": result.settings,
                       "spec": result.spec, "diverged_at": result.diverged_at,
                       "seed": result.seed}).encode("utf-8")


def result_from_json(blob):
    d = json.loads(blob.decode("utf-8"))
    return Result(d["label"], d["history"], d["seconds"],
                  [tuple(s) for s in d["settings"]], d["spec"], d["diverged_at"], d["seed"])


def run_all(runs, train_set, test_set, schedule, *, jobs=1, on_result=None,
            progress=None):
    """Train every run; returns the Results in the order of ``runs``. ``on_result(i,
    result)`` is called as each finishes; ``progress`` watches: its ``on_update(trainer,
    loss)`` and ``close()`` the runs trained in this process, its ``on_run_progress(i,
    done, total)`` (if it has one) the updates of runs in worker processes. Ctrl-C raises
    ``Interrupted`` with the results finished so far."""
    if jobs > 1 and capabilities.can_fork() and len(runs) > 1:
        # in workers, progress is reported back over the pipe
        return _run_forked(runs, train_set, test_set, schedule, jobs, on_result,
                           getattr(progress, "on_run_progress", None))
    from ..train import TrainingInterrupted

    results = [None] * len(runs)
    trainers, stopped = [], []

    def handler(signum, frame):
        stopped.append(True)
        for t in trainers:
            t.stop_requested = True

    def watch(trainer):
        trainers.append(trainer)
        trainer.stop_requested = bool(stopped)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        previous = None
    try:
        for i, run in enumerate(runs):
            if stopped:
                raise Interrupted([r for r in results if r is not None])
            trainers.clear()
            hook = progress.on_update if progress is not None else None
            try:
                results[i] = train_one(run, train_set, test_set, schedule, hook, watch)
            except (TrainingInterrupted, KeyboardInterrupt):
                raise Interrupted([r for r in results if r is not None]) from None
            finally:
                if progress is not None:
                    progress.close()
            if on_result is not None:
                on_result(i, results[i])
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return results


def _child(i, run, train_set, test_set, schedule, conn):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C does
    last = [0.0]

    def report(trainer, loss):  # "pr" + updates done and in all, at most twice a second
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            conn.send_bytes(b"pr%d %d" % (trainer.updates, trainer.total_updates))

    try:
        blob = b"ok" + result_to_json(train_one(run, train_set, test_set, schedule, report))
    except BaseException as exc:  # report, in one line, whatever went wrong
        blob = b"er" + f"{type(exc).__name__}: {exc}".encode()
    conn.send_bytes(blob)
    conn.close()
    os._exit(0)


def _run_forked(runs, train_set, test_set, schedule, jobs, on_result, on_progress):
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("fork")
    results = [None] * len(runs)
    waiting = list(range(len(runs)))
    active = {}  # connection -> (index, process)
    try:
        while waiting or active:
            while waiting and len(active) < jobs:
                i = waiting.pop(0)
                receiver, sender = ctx.Pipe(duplex=False)
                process = ctx.Process(target=_child, args=(i, runs[i], train_set, test_set,
                                                           schedule, sender), daemon=True)
                process.start()
                sender.close()
                active[receiver] = (i, process)
            for conn in wait(list(active)):
                i, process = active[conn]
                try:
                    blob = conn.recv_bytes()
                except EOFError:
                    process.join()
                    blob = b"er" + f"the worker process died (exit code " \
                                   f"{process.exitcode})".encode()
                if blob[:2] == b"pr":
                    if on_progress is not None:
                        done, total = map(int, blob[2:].split())
                        on_progress(i, done, total)
                    continue
                del active[conn]
                conn.close()
                process.join()
                if blob[:2] != b"ok":
                    raise PurennError(f"run {runs[i].label!r} failed: "
                                      f"{blob[2:].decode('utf-8', 'replace')}")
                results[i] = result_from_json(blob[2:])
                if on_result is not None:
                    on_result(i, results[i])
    except KeyboardInterrupt:
        raise Interrupted([r for r in results if r is not None]) from None
    finally:
        for conn, (_, process) in active.items():
            process.terminate()
            process.join()
            conn.close()
    return results
