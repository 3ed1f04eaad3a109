"""``purenn paths``: each optimizer's path over the contour lines of f(x, y)."""

import argparse
import math
import textwrap

from ..errors import PurennError
from .args import PATH, Append, Text, Whole, check_budget

EXAMPLES = """\
examples:
  python3 -m purenn paths --out paths.png  the book's chapter 6 figure: SGD lr
                            0.95, Momentum lr 0.1, AdaGrad lr 1.5, Adam lr 0.3
  python3 -m purenn paths --optimizer "sgd lr=0.5" \\
      --optimizer "rmsprop lr=0.3" --out p.svg
  python3 -m purenn paths --start -7,2 --steps 50 --out longer.png
"""

BOOK = ["sgd lr=0.95", "momentum lr=0.1", "adagrad lr=1.5", "adam lr=0.3"]
NAMES = {"sgd": "SGD", "momentum": "Momentum", "adagrad": "AdaGrad", "adam": "Adam",
         "rmsprop": "RMSprop", "nesterov": "Nesterov", "adamw": "AdamW"}


def add_parser(sub, common):
    p = sub.add_parser(
        "paths", parents=[common],
        help="draw each optimizer's path over the contours of f(x, y) = x²/20 + y²",
        description=textwrap.fill(
            "Follow each optimizer from a starting point down the book's function "
            "f(x, y) = x²/20 + y² (gentle along x, steep along y) and draw its "
            "steps over the contour lines of f, one panel per optimizer, as the "
            "book's chapter 6 does. Prints where each one ends.", 79),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--optimizer", type=Text(1000), action=Append, max_items=20, default=[],
                   metavar="'NAME [k=v ...]'",
                   help="an optimizer as on a spec's optimizer line; repeat for several "
                        "(default: the book's four with its learning rates)")
    p.add_argument("--start", type=Text(100), default="-7,2", metavar="X,Y",
                   help="the starting point (default: -7,2, as the book)")
    p.add_argument("--steps", type=Whole(1, 100_000), default=30,
                   help="updates per optimizer (default: 30, as the book)")
    p.add_argument("--out", type=PATH, metavar="FILE", help="draw the paths to a .png or .svg file")


def parse_start(text):
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise PurennError(f"--start {text!r}: write X,Y, such as -7,2") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise PurennError(f"--start {text!r}: the point must be finite")
    return x, y


def run(args, out):
    from ..experiments import figures, inside
    from ..spec import make_part
    from .experiment_args import check_picture

    check_picture(args.out, "--out")
    start = parse_start(args.start)
    optimizers = args.optimizer or BOOK
    check_budget("path steps", len(optimizers) * args.steps,
                 f"{len(optimizers)} optimizer(s) x --steps {args.steps}")
    paths = []
    for text in optimizers:
        make = make_part("purenn.optimizers", text, source=f"--optimizer {text[:60]!r}")
        kind = text.split()[0].lower()
        label = NAMES.get(kind, kind) + "".join(f" {w}" for w in text.split()[1:])
        path = inside.optimizer_path(make, start, args.steps)
        x, y = path[-1]
        out(f"{label:<24} after {args.steps} steps at ({x:+.4f}, {y:+.4f}), "
            f"f = {inside.book_function(x, y):.6f}")
        paths.append((label, path))
    if args.out:
        figures.optimizer_paths(paths, inside.book_function).save(args.out)
        out(f"paths drawn to {args.out}")
    return 0
