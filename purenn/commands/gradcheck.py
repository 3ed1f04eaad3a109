"""``purenn gradcheck SPEC``: backpropagation against numerical gradients, per parameter.

The network is built from the spec, then (unless ``--spec-init``) its parameters are
redrawn uniformly in ±sqrt(3/fan_in) (matrices; fan_in = size / last dimension) or ±1
(vectors): the spec's small initial weights make gradients tiny and put many ReLU
inputs within h of their kink, where central differences are wrong although backprop
is right. On a small random batch (inputs uniform in [0, 1), random class labels) the
gradient of the loss by backprop (``net.gradient``) is compared with central differences
(L(p + h) − L(p − h)) / 2h, h = 1e-4 (``net.numerical_gradient``, which holds dropout
masks and running statistics fixed), for each parameter. The report gives CS231n's
relative error |a − n| / max(1e-8, |a| + |n|), the largest over the entries checked, and
the largest absolute difference |a − n|. A parameter passes when the relative error is
at most the tolerance or the absolute difference at most 1e-9 (a gradient that is zero,
such as that of a bias before batch normalization, leaves only rounding noise). Small
networks are checked in full; in larger ones ``--entries`` random entries of each
parameter (two forward passes each).
"""

import argparse
import math
import random
import warnings

from .. import linalg
from ..errors import PurennError
from ..gradcheck import FULL_CHECK_LIMIT, errors, kink_warning, redraw
from .args import SEED, Real, Text, Whole, WordOr, print_warning

EXAMPLES = """\
examples:
  python3 -m purenn gradcheck two_layer
  python3 -m purenn gradcheck my.net --batch 5 --entries 200
  python3 -m purenn gradcheck spiral_net --entries all --tolerance 1e-7
"""
ABSOLUTE_TOLERANCE = 1e-9


entries_arg = WordOr("all", Whole(1, 1_000_000))


def add_parser(sub, common):
    p = sub.add_parser(
        "gradcheck", parents=[common], help="check backprop against numerical gradients",
        description="Build a network from a spec and compare its backprop gradients with "
                    "numerical ones on a small random batch: the largest relative error "
                    "of each parameter, pass or fail (exit 1 on a failure).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", type=Text(), metavar="SPEC",
                   help="a spec file or the name of a shipped spec")
    p.add_argument("--batch", type=Whole(1, 1000), default=3, help="samples (default: 3)")
    p.add_argument("--seed", type=SEED, default=0, help="random seed (default: 0)")
    p.add_argument("--entries", type=entries_arg, default=30, metavar="N|all",
                   help=f"entries checked per parameter, or 'all' (default: 30; networks "
                        f"of at most {FULL_CHECK_LIMIT} parameters are always checked in "
                        f"full)")
    p.add_argument("--tolerance", type=Real(0.0, 1.0, above=True), default=1e-5,
                   help="the largest relative error that passes (default: 1e-5; CS231n: "
                        "below 1e-7 is excellent, above 1e-2 means a bug)")
    p.add_argument("--spec-init", action="store_true",
                   help="check at the spec's own initial weights instead of redrawn ones")


def run(args, out):
    from ..spec import SpecWarning, build

    rng = random.Random(args.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        net = build(args.spec, rng=rng)
    for message in net.spec_warnings:
        print_warning(message)
    if not args.spec_init:
        redraw(net, rng)
    features, classes = math.prod(net.input_shape), math.prod(net.output_shape)
    x = [[rng.random() for _ in range(features)] for _ in range(args.batch)]
    t = [rng.randrange(classes) for _ in range(args.batch)]
    sizes = net.param_sizes
    total = net.param_count
    weights = "the spec's initial weights" if args.spec_init else "redrawn weights"
    out(f"{net.source}: {total:,} parameters, {weights}, {args.batch} random inputs, "
        f"seed {args.seed}")
    results = errors(net, x, t, args.entries, rng)
    message = kink_warning(net, x, remedy=" (run without --spec-init to avoid most)"
                           if args.spec_init else "")
    if message:
        print_warning(message)
    failed = []
    width = max(len(key) for key in results)
    for key, (error, difference, checked) in results.items():
        shape = "x".join(map(str, linalg.shape_of(net.params[key])))
        ok = error <= args.tolerance or difference <= ABSOLUTE_TOLERANCE
        if not ok:
            failed.append(key)
        out(f"{key:<{width}}  {shape:>9}  {checked:>6}/{sizes[key]:<6}  relative {error:.2e}"
            f"  absolute {difference:.1e}  {'ok' if ok else 'FAIL'}")
    if failed:
        raise PurennError(f"gradient check failed for {', '.join(failed)}: relative error "
                          f"over {args.tolerance:g}")
    out(f"ok when relative ≤ {args.tolerance:g} or absolute ≤ {ABSOLUTE_TOLERANCE:g} "
        f"(largest over the entries checked)")
    out(f"pass: backprop agrees with numerical gradients for all {len(results)} parameters")
    return 0
