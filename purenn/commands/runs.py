"""What ``train`` does around the Trainer: the outputs it writes, the checkpoints it keeps,
Ctrl-C, and putting a run back together for ``--resume``.

A run's settings (``RUN_KEYS``) are stored in every checkpoint; ``--resume`` takes them
from there, so the data, the network and the random stream are rebuilt exactly as they
were, and refuses a command line that asks for different ones.
"""

import contextlib
import os
import signal
import sys

from .. import __version__
from ..checkpoint import FILENAME, load_checkpoint, save_checkpoint
from ..errors import PurennError
from ..fileio import check_folder, check_writable

# settings a resumed run must share with the run it continues
FIXED_KEYS = ("dataset", "data", "noise", "seed", "batch_size", "train_size", "gradient",
              "ratio", "features", "add_point")
# settings taken from the checkpoint unless given again
RUN_KEYS = FIXED_KEYS + ("epochs", "iterations", "log_every", "eval_size")
PARSER_DEFAULTS = {"dataset": "mnist", "gradient": "backprop"}
PICTURE_SUFFIXES = (".png", ".svg")


def option(key):
    return "--" + key.replace("_", "-")


def run_settings(args, description):
    """The settings of this run, as stored in its checkpoints."""
    settings = {key: getattr(args, key, None) for key in RUN_KEYS}
    settings["description"] = description
    return settings


def apply_resume(args):
    """Read the checkpoint ``args.resume`` names and fill ``args`` from its settings;
    returns the Checkpoint. PurennError when the command line contradicts it."""
    from ..data.sets import NAMES

    checkpoint = load_checkpoint(args.resume)
    run = checkpoint.run
    if run.get("dataset") not in NAMES:
        raise PurennError(f"{checkpoint.path}: field 'run.dataset': expected one of "
                          f"{', '.join(NAMES)}, got {run.get('dataset')!r:.80}; "
                          f"not a checkpoint 'purenn train' wrote")
    for key in FIXED_KEYS:
        given, saved = getattr(args, key, None), run.get(key)
        if given is not None and given != PARSER_DEFAULTS.get(key) and given != saved:
            raise PurennError(f"{option(key)} {given!r} differs from the checkpoint's "
                              f"{saved!r} ({checkpoint.path}); a resumed run keeps the "
                              f"settings it was started with")
        setattr(args, key, saved)
    for key in ("epochs", "iterations", "log_every", "eval_size"):
        if getattr(args, key, None) is None:
            setattr(args, key, run.get(key))
    if args.spec is not None or args.lr is not None:
        raise PurennError(f"--spec and --lr cannot be given with --resume: the network "
                          f"comes from the checkpoint {checkpoint.path!r}")
    if args.checkpoint_dir is None:
        folder = os.path.dirname(checkpoint.path) or "."
        try:
            check_folder(folder, "the checkpoint's folder")
        except PurennError as exc:
            raise PurennError(f"{exc}; the resumed run writes its checkpoints there unless "
                              f"--checkpoint-dir DIR says where") from None
        args.checkpoint_dir = folder
    check_resumed_total(checkpoint, args)
    return checkpoint


def check_resumed_total(checkpoint, args):
    """PurennError when --epochs/--iterations end the run before the point the
    checkpoint has already reached (the run could only stop with nothing recorded)."""
    state = checkpoint.trainer
    if state["schedule"] == "iterations" or args.iterations is not None:
        done = state["updates"]
        if args.iterations is not None and args.iterations < done:
            raise PurennError(f"--iterations {args.iterations}: the checkpoint "
                              f"{checkpoint.path} has {done} updates done; give "
                              f"--iterations {done} or more")
        return
    done, inside = state["epoch"], state["order"] is not None
    needed = done + 1 if inside else max(done, 1)
    if args.epochs is not None and args.epochs < needed:
        where = (f"is inside epoch {done + 1} ({done} done)" if inside
                 else f"has {done} epochs done")
        raise PurennError(f"--epochs {args.epochs}: the checkpoint {checkpoint.path} "
                          f"{where}; give --epochs {needed} or more to go on")


def check_resumed_data(checkpoint, description):
    saved = checkpoint.run.get("description")
    if saved is not None and saved != description:
        raise PurennError(f"the checkpoint {checkpoint.path!r} was trained on {saved!r} but "
                          f"the data now resolves to {description!r}; pass the same "
                          f"--data folder")


def check_output_paths(args):
    """Fail before training, not after it, when an output cannot be written."""
    for key in ("out", "plot", "plot_boundary"):
        path = getattr(args, key, None)
        if path is not None:
            check_writable(path, option(key), None if key == "out" else PICTURE_SUFFIXES)
    if args.checkpoint_dir is not None:
        check_folder(args.checkpoint_dir, "--checkpoint-dir", create=True)


def checkpoint_file(folder):
    return os.path.join(folder, FILENAME)


def write_checkpoint(folder, trainer, settings):
    path = checkpoint_file(folder)
    save_checkpoint(path, trainer, settings)
    return path


@contextlib.contextmanager
def stop_on_interrupt(trainer):
    """While inside, the first Ctrl-C (SIGINT) asks ``trainer`` to stop at its next safe
    point; a second one interrupts at once (KeyboardInterrupt, no checkpoint)."""
    def handler(signum, frame):
        trainer.stop_requested = True
        signal.signal(signal.SIGINT, previous)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave Ctrl-C alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def interrupted(trainer, folder, settings, fallback=True):
    """Write the checkpoint of an interrupted run and say how to go on. When ``folder``
    (./checkpoints by default) cannot take it (a read-only working folder, a full disk)
    and ``fallback``, the checkpoint goes to a new folder in the system's temporary
    folder instead, and the message says so: the run is not lost."""
    note = ""
    try:
        check_folder(folder, "the checkpoint folder", create=True)
        path = write_checkpoint(folder, trainer, settings)
    except PurennError as exc:
        if not fallback:
            raise
        import tempfile

        note = f" ({exc})"
        folder = tempfile.mkdtemp(prefix="purenn-checkpoints-")
        path = write_checkpoint(folder, trainer, settings)
    label, done, total = trainer.progress()
    # three short lines, so that none wraps in an 80-column terminal
    print(f"interrupted in {label} after update {done}/{total}:\n"
          f"checkpoint written to {path}{note};\n"
          f"continue with 'python3 -m purenn train --resume {folder}'",
          file=sys.stderr, flush=True)


def training_summary(trainer, settings, elapsed):
    """The short summary a model file keeps in its metadata."""
    h = trainer.history
    return {
        "dataset": settings.get("dataset"),
        "data": settings.get("description"),
        "data_dir": os.path.abspath(settings["data"]) if settings.get("data") else None,
        **({"noise": settings["noise"]} if settings.get("noise") is not None else {}),
        "seed": settings.get("seed"),
        **{key: settings[key] for key in ("noise", "ratio", "features")
           if settings.get(key) is not None},
        **({"add_point": " ".join(",".join(map(repr, point)) for point in settings["add_point"])}
           if settings.get("add_point") else {}),
        "batch_size": trainer.batch_size,
        "train_size": len(trainer.train_set),
        "epochs": h.epoch[-1] if h.epoch else 0,
        "updates": trainer.updates,
        "train_loss": h.train_loss[-1] if h.train_loss else None,
        "train_acc": h.train_acc[-1] if h.train_acc else None,
        "test_acc": h.test_acc[-1] if h.test_acc else None,
        "seconds": round(elapsed, 3),
        "purenn_version": __version__,
    }


def write_pictures(args, trainer, out):
    from .. import plot

    if args.plot:
        plot.history(trainer.history).save(args.plot)
        out(f"curves written to {args.plot}")
    if args.plot_boundary:
        plot.decision_regions(trainer.net, trainer.train_set).save(args.plot_boundary)
        out(f"decision regions written to {args.plot_boundary}")
