"""``purenn train``: train a network from a spec and report its accuracy."""

import argparse
import math
import platform
import random
import sys
import time
import warnings

from .. import linalg
from ..errors import PurennError
from .args import (
    feature_list,
    non_negative_float,
    percentage,
    positive_float,
    positive_int,
    print_warning,
)
from .modeldata import DEFAULTS, check_model_path, load_data

EXAMPLES = """\
examples:
  python -m purenn train                              the book's 784-50-10 net, bundled MNIST
  python -m purenn train --epochs 16 --data ../shared/data/mnist
  python -m purenn train --spec my.net --lr 0.05 --batch-size 50 --seed 7
  python -m purenn train --train-size 1000 --iterations 2000   the book's schedule
  python -m purenn train --dataset spiral             CS231n's spiral, 100-unit ReLU net
  python -m purenn train --dataset spiral --spec spiral_linear --gradient numerical
  python -m purenn train --dataset moons --noise 0.2   2-D sets as in 'purenn playground'
  python -m purenn train --dataset circles --features x1^2,x2^2 --ratio 70 --spec SPEC
  python -m purenn train --out model.safetensors --plot curves.png
  python -m purenn train --dataset spiral --epochs 300 --plot-boundary boundary.png
  python -m purenn train --epochs 20 --checkpoint-dir ckpt    (Ctrl-C writes a checkpoint)
  python -m purenn train --resume ckpt                         continue where it stopped
  python -m purenn train --resume ckpt --epochs 30             ... and train longer
"""

def add_parser(sub, common):
    p = sub.add_parser(
        "train", parents=[common], help="train a network and report its accuracy",
        description="Train a network from a spec on MNIST (the bundled subset unless "
                    "--data is given) or on a generated 2-D set (CS231n's spiral, circles, "
                    "moons, xor), printing the loss "
                    "and the train and test accuracy per epoch.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", help="a spec file or the name of a shipped spec (default: "
                   "two_layer for MNIST, spiral_net for spiral; 'python -m purenn specs' "
                   "lists them)")
    p.add_argument("--dataset", choices=sorted(DEFAULTS), default="mnist",
                   help="what to train on (default: mnist); fashion-mnist and kmnist "
                        "come from --data DIR or 'python -m purenn fetch NAME'")
    p.add_argument("--noise", type=non_negative_float,
                   help="for the 2-D sets (spiral, circles, moons, xor): the standard "
                        "deviation of their Gaussian noise (default: 0.2 for spiral, 0.08 "
                        "circles, 0.1 moons, 0.08 xor)")
    p.add_argument("--ratio", type=percentage, metavar="PERCENT",
                   help="for the 2-D sets: the percentage of all points used for "
                        "training, 10 to 90 (default: 50, two draws of the same size)")
    p.add_argument("--features", type=feature_list, metavar="F,F,...",
                   help="for the 2-D sets: the input columns computed from each point "
                        "(x1, x2), any of x1,x2,x1^2,x2^2,x1x2,sin_x1,sin_x2 (default: "
                        "x1,x2); the spec's input is their number")
    p.add_argument("--data", metavar="DIR",
                   help="folder with the four IDX files of the data set (default: the "
                        "fetched copy in the cache, else for mnist the bundled subset of "
                        "10,000 training and 2,000 test images)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=positive_int,
                        help="passes over the training set (default: 5 for MNIST; 1500 "
                             "full-batch steps for spiral)")
    length.add_argument("--iterations", type=positive_int, metavar="N",
                        help="the book's schedule instead of epochs: N updates on batches "
                             "drawn with replacement, evaluated every train-size / "
                             "batch-size updates")
    p.add_argument("--batch-size", type=positive_int,
                   help="samples per update (default: 100; 300, the whole set, for spiral)")
    p.add_argument("--lr", type=positive_float,
                   help="learning rate (default: the spec's optimizer line)")
    p.add_argument("--seed", type=int,
                   help="seed of the one random generator used for everything (default: 0)")
    p.add_argument("--train-size", type=positive_int, metavar="N",
                   help="use only the first N training samples")
    p.add_argument("--gradient", choices=("backprop", "numerical"), default="backprop",
                   help="how gradients are computed; numerical is the book's first, very "
                        "slow method (default: backprop)")
    p.add_argument("--log-every", type=positive_int, metavar="K",
                   help="evaluate and print every K-th epoch only, and the last (with "
                        "--iterations: every K-th evaluation; default: about 20 lines in "
                        "all)")
    p.add_argument("--stop-on-divergence", action="store_true",
                   help="stop with an error when the loss explodes (over 10x the first "
                        "update's); without it a warning is printed and training goes on")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print only the final accuracy (no progress bar, no epoch lines)")
    p.add_argument("--out", metavar="MODEL",
                   help="save the trained network to this .safetensors file")
    p.add_argument("--plot", metavar="FILE",
                   help="draw the loss per iteration and the train and test accuracy per "
                        "epoch to a .png or .svg file")
    p.add_argument("--plot-boundary", metavar="FILE",
                   help="for 2-D data (spiral): draw the decision regions with the points "
                        "on top to a .png or .svg file")
    p.add_argument("--checkpoint-dir", metavar="DIR",
                   help="write DIR/checkpoint.safetensors after every recorded epoch and on "
                        "Ctrl-C (without it, Ctrl-C writes to ./checkpoints)")
    p.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="train on N processes, the first dense layer's units split among "
                        "them; the same result, bit for bit (default: 1)")
    p.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue the run saved in a checkpoint file or folder, exactly as "
                        "if it had never stopped; --epochs/--iterations may raise the total")


def plural(count, word):
    """'1 epoch', '2 epochs'."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def numerical_estimate(trainer, repeats=3):
    """The cost of training by numerical gradients, measured on one batch before it
    starts: two loss evaluations per parameter number per update."""
    from ..viz.progress import format_duration

    net = trainer.net
    x, t = trainer.train_set.batch(range(min(trainer.batch_size, len(trainer.train_set))))
    best = math.inf
    for _ in range(repeats):
        begin = time.perf_counter()
        net.loss(x, t)
        best = min(best, time.perf_counter() - begin)
    per_update = (2 * net.param_count + 1) * best
    updates = trainer.total_updates - trainer.updates
    return (f"numerical gradients: {2 * net.param_count:,} loss evaluations per update, "
            f"{best * 1000:.2g} ms each:\nabout {format_duration(per_update)} per update, "
            f"{format_duration(per_update * updates)} for {plural(updates, 'update')} "
            f"(Ctrl-C stops within a second)")


def gradient_progress(stream):
    """``on_gradient`` for the Trainer: one line on a terminal, redrawn in place, with
    how far the numerical gradient of this update is and when it will be done."""
    import shutil

    from ..viz.progress import format_duration

    started = {}

    def show(trainer, done, total):
        key = trainer.updates
        now = time.perf_counter()
        begin = started.setdefault(key, now)
        if done >= total:
            started.clear()
            stream.write("\r\x1b[K")
            stream.flush()
            return
        rate = (now - begin) / done if done else 0.0
        eta = format_duration(rate * (total - done)) if rate else "?"
        text = (f"update {trainer.updates + 1:,}/{trainer.total_updates:,}: gradient "
                f"{done:,}/{total:,} numbers ({100 * done // total}%), ETA of this "
                f"update {eta}")
        width = shutil.get_terminal_size().columns - 1
        stream.write("\r" + text[:width] + "\x1b[K")
        stream.flush()
    return show


def check_fit(net, dataset, spec_ref):
    """The spec's input and output sizes must match the data's."""
    features = math.prod(net.input_shape)
    if features != dataset.features_per_sample:
        raise PurennError(f"spec {spec_ref!r} takes input "
                          f"{'x'.join(map(str, net.input_shape))} ({features} numbers) but "
                          f"the data has {dataset.features_per_sample} per sample")
    outputs = math.prod(net.output_shape)
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
    defaults = DEFAULTS[args.dataset]
    epochs = args.epochs or defaults["epochs"]
    batch_size = args.batch_size or defaults["batch_size"]
    rng = random.Random(args.seed)
    train_set, test_set, description = load_data(args, rng)
    if args.train_size is not None:
        if args.train_size > len(train_set):
            raise PurennError(f"--train-size {args.train_size} is more than the "
                              f"{len(train_set)} training samples of {description}")
        train_set = train_set.head(args.train_size)
    spec_ref = checkpoint.spec if checkpoint else args.spec or defaults["spec"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        net = checkpoint.build(rng) if checkpoint else build(spec_ref, rng=rng)
    for message in getattr(net, "spec_warnings", ()):
        print_warning(message)
    if checkpoint:
        runs.check_resumed_data(checkpoint, description)
        net.source = f"{checkpoint.path} (resumed)"
        spec_ref = checkpoint.path
    check_fit(net, train_set, spec_ref)
    if args.plot_boundary and args.features not in (None, "x1,x2"):
        raise PurennError(f"--plot-boundary draws the plane of the points (x1, x2); "
                          f"--features {args.features} gives the network other inputs")
    if args.plot_boundary and train_set.features_per_sample != 2:
        raise PurennError(f"--plot-boundary draws 2-D data such as --dataset spiral; "
                          f"{description} has {train_set.features_per_sample} features")
    if args.lr is not None:
        net.set_optimizer(make_optimizer(net.optimizer.kind,
                                         {**net.optimizer.config, "lr": args.lr}))
    out(f"data: {description}: {len(train_set)} training, {len(test_set)} test samples")
    settings = " ".join(f"{k}={v}" for k, v in net.optimizer.config.items())
    out(f"network: {net.source}, {net.param_count:,} parameters; optimizer "
        f"{net.optimizer.kind} {settings}")
    out(f"batch {batch_size}, seed {args.seed}, gradients by {args.gradient}")
    out(f"{platform.python_implementation()} {platform.python_version()}, kernel {linalg.KERNEL}")
    if args.iterations is not None:
        per_epoch = max(len(train_set) // batch_size, 1)
        epochs = (args.iterations - 1) // per_epoch + 1
    every = args.log_every or max(1, epochs // 20)
    from ..viz.progress import Progress, is_terminal

    progress = Progress(sys.stderr, out, interactive=not args.quiet and is_terminal(sys.stderr),
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

    interactive = not args.quiet and is_terminal(sys.stderr)
    trainer = trainer_cls(net, train_set, test_set, epochs=epochs, batch_size=batch_size,
                          rng=rng, gradient=args.gradient, iterations=args.iterations,
                          log=progress.line, eval_every=every, on_update=progress.on_update,
                          on_record=record, warn=warn,
                          stop_on_divergence=args.stop_on_divergence,
                          on_gradient=gradient_progress(sys.stderr) if interactive else None,
                          **extra)
    if checkpoint:
        checkpoint.restore(trainer)
        out(f"resumed from {checkpoint.path}: {trainer.progress()[0]}, "
            f"{trainer.updates} updates done")
    if args.gradient == "numerical":
        out(numerical_estimate(trainer))
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
        length = f"{plural(trainer.updates, 'update')} ({length} of the book's schedule)"
    if trainer.diverged:
        final_out("the loss diverged: see the warning above")
    final_out(f"test accuracy {history.test_acc[-1]:.4f} after {length} in {elapsed:.1f} s")
    return 0
