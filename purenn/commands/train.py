"""``purenn train``: train a network from a spec and report its accuracy."""

import argparse
import math
import platform
import random
import sys
import time
import warnings

from .. import linalg
from ..data import sets
from ..errors import PurennError
from .args import (
    ADDED_POINT,
    BATCH,
    COUNT,
    FEATURES,
    JOBS,
    LEARNING_RATE,
    NOISE,
    PATH,
    RATIO,
    SEED,
    Append,
    Text,
    print_warning,
)
from .modeldata import check_model_path
from .textfit import fill

EXAMPLES = """\
examples:
  python3 -m purenn train                              the book's 784-50-10 net, bundled MNIST
  python3 -m purenn train --epochs 16 --data ../shared/data/mnist
  python3 -m purenn train --spec my.net --lr 0.05 --batch-size 50 --seed 7
  python3 -m purenn train --train-size 1000 --iterations 2000   the book's schedule
  python3 -m purenn train --dataset spiral             CS231n's spiral, 100-unit ReLU net
  python3 -m purenn train --dataset spiral --spec spiral_linear --gradient numerical
  python3 -m purenn train --dataset moons --noise 0.2   2-D sets as in 'purenn playground'
  python3 -m purenn train --dataset circles --features x1^2,x2^2 --ratio 70 --spec SPEC
  python3 -m purenn train --out model.safetensors --plot curves.png
  python3 -m purenn train --dataset spiral --epochs 300 --plot-boundary boundary.png
  python3 -m purenn train --epochs 20 --checkpoint-dir ckpt    (Ctrl-C writes a checkpoint)
  python3 -m purenn train --resume ckpt                         continue where it stopped
  python3 -m purenn train --resume ckpt --epochs 30             ... and train longer
"""

def add_parser(sub, common):
    p = sub.add_parser(
        "train", parents=[common], help="train a network and report its accuracy",
        description="Train a network from a spec on MNIST (the bundled subset unless "
                    "--data is given) or on a generated 2-D set (CS231n's spiral, circles, "
                    "moons, xor), printing the loss "
                    "and the train and test accuracy per epoch; on a 2-D regression set "
                    "(plane, gauss: a number to fit, 'planar_regression' spec) the train "
                    "and test loss instead.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", type=Text(),
                   help="a spec file or the name of a shipped spec (default: "
                   "two_layer for MNIST, spiral_net for spiral; 'python3 -m purenn specs' "
                   "lists them)")
    p.add_argument("--dataset", choices=sets.NAMES, default="mnist",
                   help="what to train on (default: mnist); fashion-mnist and kmnist "
                        "come from --data DIR or 'python3 -m purenn fetch NAME'")
    p.add_argument("--noise", type=NOISE,
                   help="for the 2-D sets (spiral, circles, moons, xor, plane, gauss): "
                        "the standard deviation of their Gaussian noise (default: 0.2 for "
                        "spiral, 0.08 circles, 0.1 moons, 0.08 xor, 0.05 plane and gauss)")
    p.add_argument("--ratio", type=RATIO, metavar="PERCENT",
                   help="for the 2-D sets: the percentage of all points used for "
                        "training, 10 to 90 (default: 50, two draws of the same size)")
    p.add_argument("--features", type=FEATURES, metavar="F,F,...",
                   help="for the 2-D sets: the input columns computed from each point "
                        "(x1, x2), any of x1,x2,x1^2,x2^2,x1x2,sin_x1,sin_x2 (default: "
                        "x1,x2); the spec's input is their number")
    p.add_argument("--add-point", type=ADDED_POINT, action=Append, max_items=100,
                   metavar="X,Y,CLASS",
                   help="for the 2-D sets: a point added to the training set (repeat it, "
                        "up to 100; the playground's clicks)")
    p.add_argument("--data", type=PATH, metavar="DIR",
                   help="folder with the four IDX files of the data set (default: the "
                        "fetched copy in the cache, else for mnist the bundled subset of "
                        "10,000 training and 2,000 test images)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=COUNT,
                        help="passes over the training set (default: 5 for MNIST; 1500 "
                             "full-batch steps for spiral)")
    length.add_argument("--iterations", type=COUNT, metavar="N",
                        help="the book's schedule instead of epochs: N updates on batches "
                             "drawn with replacement, evaluated every train-size / "
                             "batch-size updates")
    p.add_argument("--batch-size", type=BATCH,
                   help="samples per update (default: 100; 300, the whole set, for spiral)")
    p.add_argument("--lr", type=LEARNING_RATE,
                   help="learning rate (default: the spec's optimizer line)")
    p.add_argument("--seed", type=SEED,
                   help="seed of the one random generator used for everything (default: 0)")
    p.add_argument("--train-size", type=COUNT, metavar="N",
                   help="use only the first N training samples")
    p.add_argument("--gradient", choices=("backprop", "numerical"), default="backprop",
                   help="how gradients are computed; numerical is the book's first, very "
                        "slow method (default: backprop)")
    p.add_argument("--log-every", type=COUNT, metavar="K",
                   help="evaluate and print every K-th epoch only, and the last (with "
                        "--iterations: every K-th evaluation; default: about 20 lines in "
                        "all)")
    p.add_argument("--eval-size", type=COUNT, metavar="N",
                   help="measure the accuracies on the first N samples of each set only, "
                        "as the book's evaluate_sample_num_per_epoch (default: all)")
    p.add_argument("--stop-on-divergence", action="store_true",
                   help="stop with an error when the loss explodes (over 10x the first "
                        "update's); without it a warning is printed and training goes on")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print only the final accuracy (no epoch lines; on a terminal the "
                        "progress bar still shows while it runs, then is wiped)")
    p.add_argument("--out", type=PATH, metavar="MODEL",
                   help="save the trained network to this .safetensors file")
    p.add_argument("--plot", type=PATH, metavar="FILE",
                   help="draw the loss per iteration and the train and test accuracy per "
                        "epoch to a .png or .svg file")
    p.add_argument("--plot-boundary", type=PATH, metavar="FILE",
                   help="for 2-D data (spiral): draw the decision regions with the points "
                        "on top to a .png or .svg file")
    p.add_argument("--checkpoint-dir", type=PATH, metavar="DIR",
                   help="write DIR/checkpoint.safetensors after every recorded epoch and on "
                        "Ctrl-C (without it, Ctrl-C writes to ./checkpoints)")
    p.add_argument("--workers", type=JOBS, default=1, metavar="N",
                   help="train on N processes, the first dense layer's units split among "
                        "them; the same result, bit for bit (default: 1)")
    p.add_argument("--resume", type=PATH, metavar="CHECKPOINT",
                   help="continue the run saved in a checkpoint file or folder, exactly as "
                        "if it had never stopped; --epochs/--iterations may raise the total")


def plural(count, word):
    """'1 epoch', '2 epochs'."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def numerical_estimate(trainer, clock=time.perf_counter, budget=2.0):
    """What training by numerical gradients will cost (``train.numerical_cost``: measured
    after a JIT has warmed up, for the whole run, evaluations included), as text."""
    from ..train import numerical_cost
    from ..viz.progress import format_duration

    cost = numerical_cost(trainer, clock, budget)
    updates = cost.updates
    return (f"numerical gradients: {cost.losses_per_update - 1:,} loss evaluations per "
            f"update, {cost.loss_seconds * 1000:.2g} ms each:\nabout "
            f"{format_duration(cost.per_update)} per update, "
            f"{format_duration(cost.total)} for the whole run ({plural(updates, 'update')} "
            f"and\nthe evaluations); Ctrl-C stops within a second")


def gradient_progress(stream, clock=time.perf_counter, columns=None):
    """``on_gradient`` for the Trainer: one line on a terminal, redrawn in place, with
    how far the numerical gradient of this update is and when the whole run will be
    done (the numbers left in this update and in the updates after it, at this update's
    rate so far, plus the evaluations left, costed per sample from the same rate)."""
    import shutil

    from ..train import evaluations_left
    from ..viz.progress import format_duration

    started = {}

    def show(trainer, done, total):
        key = trainer.updates
        now = clock()
        begin = started.setdefault(key, now)
        if done >= total:
            started.clear()
            stream.write("\r\x1b[K")
            stream.flush()
            return
        rate = (now - begin) / done if done else 0.0
        eta = "?"
        if rate:
            later = trainer.total_updates - trainer.updates - 1
            size = min(trainer.batch_size, len(trainer.train_set))
            samples = len(trainer.train_set) + (len(trainer.test_set)
                                                if trainer.has_test_set else 0)
            loss = 2 * rate     # a number costs two losses
            eta = format_duration(rate * (total - done + later * total)
                                  + evaluations_left(trainer) * samples / size * loss)
        text = (f"update {trainer.updates + 1:,}/{trainer.total_updates:,}: gradient "
                f"{done:,}/{total:,} numbers ({100 * done // total}%), ETA of the run "
                f"{eta}")
        width = (columns or shutil.get_terminal_size().columns) - 1
        stream.write("\r" + text[:width] + "\x1b[K")
        stream.flush()
    return show


def spec_input(spec_ref):
    """The input shape of the spec's input line, or None when the spec cannot be read
    (building it says why, after the data): checked against the data files' headers
    before their bodies are read."""
    from ..spec import parse
    from ..spec import read as read_spec

    try:
        return tuple(parse(*read_spec(spec_ref)).input_shape)
    except PurennError:
        return None


def check_fit(net, dataset, spec_ref):
    """The spec's input and output sizes must match the data's; a regression set needs
    one output and a loss that fits numbers (``regression = True``: mean_squared_error)."""
    from ..registry import kind_of

    features = math.prod(net.input_shape)
    if features != dataset.features_per_sample:
        raise PurennError(f"spec {spec_ref!r} takes input "
                          f"{'x'.join(map(str, net.input_shape))} ({features} numbers) but "
                          f"the data has {dataset.features_per_sample} per sample")
    outputs = math.prod(net.output_shape)
    if dataset.num_classes is None:
        if outputs != 1 or not getattr(net.loss_layer, "regression", False):
            loss = kind_of(net.loss_layer, "purenn.losses")
            raise PurennError(f"spec {spec_ref!r} ends in {outputs} outputs and loss "
                              f"{loss}, but {dataset.name} is a regression set: it needs "
                              f"1 output and loss mean_squared_error")
        return
    if outputs != dataset.num_classes:
        raise PurennError(f"spec {spec_ref!r} ends in {outputs} outputs but the data has "
                          f"{dataset.num_classes} classes")


def run(args, out):
    from ..spec import SpecWarning, build, make_optimizer
    from ..train import Trainer, TrainingInterrupted
    from . import runs

    given = {"epochs": args.epochs, "iterations": args.iterations}
    checkpoint = runs.apply_resume(args) if args.resume else None
    if checkpoint is not None:
        schedule = "iterations" if checkpoint.run.get("iterations") else "epochs"
        other = "epochs" if schedule == "iterations" else "iterations"
        if given[other] is not None:
            raise PurennError(f"the run in {checkpoint.path} counts {schedule}; raise its "
                              f"length with --{schedule}, not --{other}")
    final_out, out = out, ((lambda line: None) if args.quiet else out)
    runs.check_output_paths(args)
    if args.out:
        check_model_path("--out", args.out)
    args.seed = 0 if args.seed is None else args.seed
    defaults = sets.DEFAULTS[args.dataset]
    epochs = args.epochs or defaults["epochs"]
    batch_size = args.batch_size or defaults["batch_size"]
    rng = random.Random(args.seed)
    spec_ref = checkpoint.spec if checkpoint else args.spec or defaults["spec"]
    input_shape = spec_input(spec_ref)

    def check_features(count):  # from the IDX headers, before their bodies are read
        if input_shape is not None and math.prod(input_shape) != count:
            shown = "the checkpoint's spec" if checkpoint else repr(spec_ref)
            raise PurennError(f"spec {shown} takes input {'x'.join(map(str, input_shape))} "
                              f"({math.prod(input_shape)} numbers) but the data has {count} "
                              f"per sample")

    train_set, test_set, description = sets.load(
        args.dataset, rng, folder=args.data, noise=args.noise, ratio=args.ratio,
        features=args.features, added=args.add_point, train_size=args.train_size,
        check_features=check_features, regression=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        net = checkpoint.build(rng) if checkpoint else build(spec_ref, rng=rng)
    for message in net.spec_warnings:
        print_warning(message)
    origin = net.source
    if checkpoint:
        runs.check_resumed_data(checkpoint, description)
        origin = f"{checkpoint.path} (resumed)"
        spec_ref = checkpoint.path
    check_fit(net, train_set, spec_ref)
    if args.plot_boundary and args.features not in (None, "x1,x2"):
        raise PurennError(f"--plot-boundary draws the plane of the points (x1, x2); "
                          f"--features {args.features} gives the network other inputs")
    if args.plot_boundary and train_set.num_classes is None:
        raise PurennError(f"--plot-boundary draws the regions of classes; {description} "
                          f"has none (the playground draws its fitted values)")
    if args.plot_boundary and train_set.features_per_sample != 2:
        raise PurennError(f"--plot-boundary draws 2-D data such as --dataset spiral; "
                          f"{description} has {train_set.features_per_sample} features")
    if args.lr is not None:
        net.set_optimizer(make_optimizer(net.optimizer.kind,
                                         {**net.optimizer.config, "lr": args.lr}))
    out(f"data: {description}: {len(train_set)} training, {len(test_set)} test samples")
    settings = " ".join(f"{k}={v}" for k, v in net.optimizer.config.items())
    out(f"network: {origin}, {net.param_count:,} parameters; optimizer "
        f"{net.optimizer.kind} {settings}")
    out(f"batch {batch_size}, seed {args.seed}, gradients by {args.gradient}")
    if args.eval_size is not None:
        measures = "accuracies" if train_set.num_classes is not None else "losses"
        out(f"{measures} on the first {args.eval_size:,} samples of each set")
    out(f"{platform.python_implementation()} {platform.python_version()}, kernel {linalg.KERNEL}")
    if args.iterations is not None:
        per_epoch = max(len(train_set) // batch_size, 1)
        epochs = (args.iterations - 1) // per_epoch + 1
    every = args.log_every or max(1, epochs // 20)
    from ..viz.progress import Progress, is_terminal

    # the bar is on stderr and wiped at the end: --quiet keeps it, so that a long quiet run
    # on a terminal is not a silent wait, and leaves only the final line behind
    progress = Progress(sys.stderr, out, interactive=is_terminal(sys.stderr),
                        unicode=(sys.stderr.encoding or "").lower().startswith("utf"))
    settings = runs.run_settings(args, description)
    settings.update(epochs=epochs, batch_size=batch_size)

    def record(trainer):
        if args.checkpoint_dir:
            runs.write_checkpoint(args.checkpoint_dir, trainer, settings)

    trainer_cls, extra = Trainer, {}
    if args.workers > 1:
        from ..parallel import ParallelTrainer
        trainer_cls, extra = ParallelTrainer, {"workers": args.workers}
    def warn(message):
        progress.wipe()
        print_warning(f"{message} (--stop-on-divergence stops here)")

    interactive = is_terminal(sys.stderr)
    trainer = trainer_cls(net, train_set, test_set, epochs=epochs, batch_size=batch_size,
                          rng=rng, gradient=args.gradient, iterations=args.iterations,
                          log=progress.line, eval_every=every, on_update=progress.on_update,
                          on_evaluate=progress.on_evaluate,
                          on_record=record, warn=warn,
                          stop_on_divergence=args.stop_on_divergence,
                          on_gradient=gradient_progress(sys.stderr) if interactive else None,
                          eval_size=args.eval_size, **extra)
    if checkpoint:
        checkpoint.restore(trainer)
        out(f"resumed from {checkpoint.path}: {trainer.progress()[0]}, "
            f"{trainer.updates} updates done")
    if args.gradient == "numerical" and not args.quiet:    # it takes 2 s to measure
        out(numerical_estimate(trainer))
    updates_before = trainer.updates
    started = time.perf_counter()
    try:
        with runs.stop_on_interrupt(trainer):
            history = trainer.fit()
    except TrainingInterrupted:
        progress.close()
        if trainer.on_gradient is not None:
            sys.stderr.write("\r\x1b[K")    # the numerical gradient's progress line
        runs.interrupted(trainer, args.checkpoint_dir or "checkpoints", settings)
        return 130
    finally:
        progress.close()
    if not history.epoch and trainer.updates > updates_before:
        # a resumed run of the book's schedule with a lower --iterations can end before
        # the next evaluation with none recorded: measure where it ended, as compare does
        # (Trainer's measure: a ParallelTrainer's network is already whole after fit)
        trainer.record(max(trainer.epoch, 1), Trainer.measure(trainer))
        progress.close()
    elapsed = time.perf_counter() - started
    if args.out:
        from ..model import save
        save(net, args.out, training=runs.training_summary(trainer, settings, elapsed))
        out(f"model written to {args.out}")
    runs.write_pictures(args, trainer, out)
    if not history.epoch:  # a resumed run with nothing left to do and nothing recorded
        final_out(f"nothing left to train: {trainer.progress()[0]} reached")
        return 0
    length = plural(history.epoch[-1], "epoch")
    if args.iterations is not None:
        # the book's schedule measures every iter_per_epoch updates, so the last measure
        # may come before the last update (500 updates of 469 an epoch: after update 470)
        measured = history.update[-1] if history.update else trainer.updates
        when = "" if measured == trainer.updates else f"; measured after update {measured:,}"
        length = (f"{plural(trainer.updates, 'update')} ({length} of the book's "
                  f"schedule{when})")
    if trainer.diverged:
        final_out("the loss diverged: see the warning above")
    sample = "" if args.eval_size is None else f" (first {args.eval_size:,} samples)"
    measure = "accuracy" if train_set.num_classes is not None else "loss"
    final_out(fill(f"test {measure} {history.test_acc[-1]:.4f}{sample} after {length} in "
                   f"{elapsed:.1f} s", "  "))
    return 0
