"""``purenn filters MODEL_OR_SPEC``: the first convolution layer's filters as images."""

import argparse
import os
import random
import textwrap

from ..errors import PurennError
from .args import PATH, SEED, Text, Whole

EXAMPLES = """\
examples (convolution layers come from the purenn-conv plugin):
  python3 -m purenn import ch07_simple_convnet.npz --spec simple_convnet \\
      -o ch07.safetensors
  python3 -m purenn filters ch07.safetensors --out filters.png
                                          the book's chapter 7 figure
  python3 -m purenn train --spec simple_convnet --train-size 1000 --epochs 1 \\
      --out m.safetensors
  python3 -m purenn filters m.safetensors --out mine.png
  python3 -m purenn filters simple_convnet --out random.png   before training
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "filters", parents=[common],
        help="draw the first conv layer's filters before and after training",
        description=textwrap.fill(
            "Draw the filters (weights) of a network's first conv2d layer as gray "
            "images, black for large weights as the book's chapter 7 figure. For a "
            "model file: the filters as the spec drew them before training (from "
            "the seed the model was trained with) above the trained ones; for a "
            "spec: the filters before training.", 79),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("network", type=Text(), metavar="SPEC_OR_MODEL",
                   help="a .safetensors model file, a spec file or a shipped spec's name")
    p.add_argument("--out", type=PATH, metavar="FILE", required=True,
                   help="the picture, a .png or .svg file")
    p.add_argument("--seed", type=SEED,
                   help="the seed the weights before training were drawn with (default: "
                        "the model's training seed, else 0)")
    p.add_argument("--channel", type=Whole(0, 100_000), default=0, metavar="C",
                   help="which input channel of each filter to draw (default: 0)")
    p.add_argument("--cols", type=Whole(1, 1000), default=8,
                   help="filters per row (default: 8, as the book)")


def images(weights, channel, where):
    """Each filter's ``channel`` as a flat row, and its (k, k) shape."""
    if not weights or not weights[0]:
        raise PurennError(f"{where}: the conv layer has no filters")
    if not 0 <= channel < len(weights[0]):
        raise PurennError(f"--channel {channel} is out of range: the filters have "
                          f"{len(weights[0])} input channel(s)")
    grids = [f[channel] for f in weights]
    shape = (len(grids[0]), len(grids[0][0]))
    return [[v for row in g for v in row] for g in grids], shape


def run(args, out):
    from ..experiments import figures, inside
    from ..spec import build, write
    from .experiment_args import check_picture

    check_picture(args.out, "--out")
    if args.network.lower().endswith(".safetensors"):
        from ..model import load

        trained = load(args.network)
        summary = getattr(trained, "training", None)
        seed = args.seed if args.seed is not None else (
            summary.get("seed", 0) if isinstance(summary, dict) else 0)
        initial = build(write(trained), rng=random.Random(seed))
        source = args.network
    else:
        trained = None
        seed = args.seed if args.seed is not None else 0
        initial = build(args.network, rng=random.Random(seed))
        source = initial.source
    found = inside.first_conv(initial)
    if found is None:
        raise PurennError(f"{source} has no conv2d layer (conv layers come from the "
                          f"purenn-conv plugin: python -m pip install plugins/purenn-conv)")
    name, before_w = found
    before, shape = images(before_w, args.channel, source)
    after = None
    if trained is not None:
        after, _ = images(inside.first_conv(trained)[1], args.channel, source)
    what = f"{len(before)} filters of {shape[0]}x{shape[1]}"
    title = (f"{name} of {os.path.basename(source)}: {what}, channel {args.channel}"
             + ("" if after else " (before training)"))
    figures.filters(before, after, shape, cols=args.cols, title=title).save(args.out)
    out(f"{name}: {what}; before training (seed {seed})"
        + (" and after" if after else "") + f" drawn to {args.out}")
    return 0
