"""``python -m purenn``: train networks from the command line.

Exit codes: 0 success, 1 a runtime error (bad file, bad spec, training failed),
2 a usage error, 130 interrupted. Errors are one line on stderr starting ``error:``;
``--debug`` shows the traceback as well.
"""

import argparse
import math
import platform
import random
import sys
import time

from . import __version__, linalg
from .errors import PurennError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

TRAIN_EXAMPLES = """\
examples:
  python -m purenn train                              the book's 784-50-10 net, bundled MNIST
  python -m purenn train --epochs 16 --data ../shared/data/mnist
  python -m purenn train --spec my.net --lr 0.05 --batch-size 50 --seed 7
  python -m purenn train --train-size 1000 --iterations 2000  the book's schedule
  python -m purenn train --dataset spiral             CS231n's spiral, 100-unit ReLU net
  python -m purenn train --gradient numerical --spec spiral_linear --dataset spiral
"""

DEFAULT_SPEC = {"mnist": "two_layer", "spiral": "spiral_net"}


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 1, got {text!r}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


class Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a one-line message for usage errors."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n"
                              f"(see '{self.prog} --help')\n")


def make_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    parser = Parser(prog="purenn", parents=[common],
                    description="Neural networks in pure Python: train, inspect, explain.")
    parser.add_argument("--version", action="version",
                        version=f"purenn {__version__} (Python {platform.python_version()})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    train = sub.add_parser(
        "train", parents=[common], help="train a network and report its accuracy",
        description="Train a network from a spec on MNIST (the bundled subset unless "
                    "--data is given) or on the spiral data set, printing loss and "
                    "accuracy per epoch.",
        epilog=TRAIN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("--spec", help="a spec file or the name of a shipped spec "
                       "(default: two_layer for MNIST, spiral_net for spiral; "
                       "'python -m purenn specs' lists them)")
    train.add_argument("--dataset", choices=sorted(DEFAULT_SPEC), default="mnist",
                       help="what to train on (default: mnist)")
    train.add_argument("--data", metavar="DIR",
                       help="folder with the four MNIST files (default: the bundled "
                            "subset of 10,000 training and 2,000 test images)")
    train.add_argument("--epochs", type=positive_int, default=5,
                       help="passes over the training set (default: 5)")
    train.add_argument("--iterations", type=positive_int, metavar="N",
                       help="the book's schedule instead of epochs: N updates on batches "
                            "drawn with replacement")
    train.add_argument("--batch-size", type=positive_int, default=100,
                       help="samples per update (default: 100)")
    train.add_argument("--lr", type=positive_float,
                       help="learning rate (default: the spec's optimizer line)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed of the one random generator used for everything "
                            "(default: 0)")
    train.add_argument("--train-size", type=positive_int, metavar="N",
                       help="use only the first N training samples")
    train.add_argument("--gradient", choices=("backprop", "numerical"), default="backprop",
                       help="how gradients are computed; numerical is the book's first, "
                            "very slow method (default: backprop)")

    specs = sub.add_parser("specs", parents=[common], help="list the shipped specs",
                           description="List the network specs shipped with purenn; "
                                       "pass a name to print that spec.")
    specs.add_argument("name", nargs="?", help="a spec to print")
    return parser


def load_data(args, rng):
    """(train, test, description) for the data the arguments ask for."""
    if args.dataset == "spiral":
        if args.data:
            raise PurennError("--data is for MNIST files; the spiral data set is generated")
        from .data.spiral import make_spiral
        train, test = make_spiral(rng=rng), make_spiral(rng=rng)
        return train, test, "spiral (3 classes, 300 training and 300 test points)"
    from .data import mnist
    train, test = mnist.load(args.data)
    where = args.data if args.data else "bundled subset"
    return train, test, f"MNIST, {where}"


def cmd_train(args, out):
    from .network import build
    from .train import Trainer

    rng = random.Random(args.seed)
    train_set, test_set, description = load_data(args, rng)
    if args.train_size is not None:
        if args.train_size > len(train_set):
            raise PurennError(f"--train-size {args.train_size} is more than the "
                              f"{len(train_set)} training samples of {description}")
        train_set = train_set.head(args.train_size)
    spec_ref = args.spec or DEFAULT_SPEC[args.dataset]
    net = build(spec_ref, rng=rng)
    check_fit(net, train_set, spec_ref)
    if args.lr is not None:
        net.set_optimizer(net.optimizer_name, {**net.optimizer_args, "lr": args.lr})
    out(f"data: {description}: {len(train_set)} training, {len(test_set)} test samples")
    params = sum(len(linalg.flatten(v)) for v in net.params.values())
    out(f"network: {net.source}, {params:,} parameters; optimizer {net.optimizer_name} "
        f"{' '.join(f'{k}={v}' for k, v in net.optimizer_args.items())}; "
        f"batch {args.batch_size}; seed {args.seed}")
    out(f"python {platform.python_version()}, kernel {linalg.KERNEL}, "
        f"gradient by {args.gradient}")
    trainer = Trainer(net, train_set, test_set, epochs=args.epochs,
                      batch_size=args.batch_size, rng=rng, gradient=args.gradient,
                      iterations=args.iterations, log=out)
    started = time.perf_counter()
    history = trainer.fit()
    elapsed = time.perf_counter() - started
    out(f"test accuracy {history.test_acc[-1]:.4f} after {len(history.epoch)} epochs "
        f"in {elapsed:.1f} s")
    return EXIT_OK


def check_fit(net, dataset, spec_ref):
    features = math.prod(net.input_shape)
    if features != dataset.features_per_sample:
        raise PurennError(f"spec {spec_ref!r} takes input {'x'.join(map(str, net.input_shape))}"
                          f" ({features} numbers) but the data has "
                          f"{dataset.features_per_sample} per sample")
    outputs = math.prod(net.output_shape)
    if outputs != dataset.num_classes:
        raise PurennError(f"spec {spec_ref!r} ends in {outputs} outputs but the data has "
                          f"{dataset.num_classes} classes")


def cmd_specs(args, out):
    from .network import read_spec, shipped_specs

    if args.name:
        text, _ = read_spec(args.name)
        out(text.rstrip("\n"))
        return EXIT_OK
    for name in shipped_specs():
        text, _ = read_spec(name)
        first = next((ln.lstrip("# ").strip() for ln in text.splitlines()
                      if ln.startswith("#")), "")
        out(f"{name:<16} {first}")
    return EXIT_OK


COMMANDS = {"train": cmd_train, "specs": cmd_specs}


def main(argv=None, out=None):
    """Run the command line; returns the exit code."""
    out = out or (lambda line: print(line, flush=True))
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args, out)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except PurennError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug: say so in one line, the traceback with --debug
        if args.debug:
            raise
        print(f"error: internal error: {type(exc).__name__}: {exc} "
              f"(run with --debug for the traceback)", file=sys.stderr)
        return EXIT_ERROR


def run():
    """Console-script entry point."""
    sys.exit(main())
