"""``purenn activations SPEC_OR_MODEL``: histograms of each layer's activations."""

import argparse
import math
import random
import textwrap

from ..data import sets
from ..errors import PurennError
from .args import NOISE, PATH, SEED, Append, Text, Whole, check_budget

EXAMPLES = """\
examples (the book's chapter 6 figures; 1000 inputs drawn from N(0, 1)):
  python3 -m purenn activations ch6_activations --set dense.std=1,0.01 \\
      --out std.png
  python3 -m purenn activations ch6_activations --set dense.init=xavier \\
      --out xavier.png
  python3 -m purenn activations ch6_activations --set sigmoid=relu \\
      --set dense.init=normal,xavier,he --set dense.std=0.01 --out relu.png
  python3 -m purenn activations model.safetensors --out trained.png
                                          a model of MNIST: its test images
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "activations", parents=[common],
        help="histograms of each layer's activations for a batch",
        description=textwrap.fill(
            "Run one batch through a network (built from a spec with --seed, or "
            "a model file) and draw a histogram of every activation function's "
            "outputs, one panel per layer, as the book's chapter 6 does to compare "
            "weight initializations; --set draws one row per setting. Prints each "
            "layer's mean, standard deviation and how many outputs are near 0 and "
            "near 1.", 79),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("network", type=Text(), metavar="SPEC_OR_MODEL",
                   help="a spec file, a shipped spec's name, or a .safetensors model file")
    p.add_argument("--set", type=Text(), action=Append, max_items=10, default=[],
                   metavar="KEY=V1,V2",
                   help="for a spec: one row per value (dense.init=normal,xavier,he, "
                        "dense.std=1,0.01, sigmoid=relu); several --set give every "
                        "combination")
    p.add_argument("--input", choices=("gauss", "data"),
                   help="the batch: samples drawn from N(0, 1) (the book's) or the first "
                        "test images of the data set (default: data when the network takes "
                        "the data's shape, else gauss)")
    p.add_argument("--batch", type=Whole(1, 100_000), default=1000, metavar="N",
                   help="how many inputs (default: 1000, as the book)")
    p.add_argument("--dataset", default="mnist", choices=sets.NAMES,
                   help="the data set of --input data (default: mnist)")
    p.add_argument("--data", type=PATH, metavar="DIR", help="folder with the data set's IDX files")
    p.add_argument("--noise", type=NOISE,
                   help="for the 2-D sets (spiral, circles, moons, xor): the standard "
                        "deviation of their Gaussian noise (default: as for train)")
    p.add_argument("--seed", type=SEED, default=0,
                   help="seed of the weights a spec draws and of the N(0, 1) inputs "
                        "(default: 0)")
    p.add_argument("--bins", type=Whole(1, 1000), default=30,
                   help="bars per histogram (default: 30, as the book)")
    p.add_argument("--range", type=Text(100), metavar="LO:HI",
                   help="the histograms' range (default: the book's, 0:1 for sigmoid and "
                        "ReLU, -1:1 for tanh; for other layers the values' own range); "
                        "values outside are counted and reported, not drawn")
    p.add_argument("--all-layers", action="store_true",
                   help="every layer's output, not only the activation functions'")
    p.add_argument("--out", type=PATH, metavar="FILE",
                   help="draw the histograms to a .png or .svg file")


def parse_range(text):
    lo, sep, hi = (text or "").partition(":")
    try:
        value = (float(lo), float(hi))
    except ValueError:
        value = None
    if not sep or value is None or not value[0] < value[1]:
        raise PurennError(f"--range {text!r}: write LO:HI with LO < HI, such as 0:1")
    if not math.isfinite(value[1] - value[0]):
        raise PurennError(f"--range {text!r}: LO and HI must be finite, and HI - LO too")
    return value


def networks(args):
    """[(row label, network)] from the argument: a model, or a spec with --set rows."""
    from ..experiments import settings
    from ..spec import build
    from ..spec import read as read_spec

    if args.network.lower().endswith(".safetensors"):
        if args.set:
            raise PurennError("--set edits a spec; a model file's network is drawn as it is")
        from ..model import load

        return [("", load(args.network))]
    text, source = read_spec(args.network)
    assignments = [settings.parse_assignment(t) for t in args.set]
    check_budget("activation rows", settings.combinations(assignments),
                 f"the combinations of {len(args.set)} --set", "one row each")
    combos = settings.sweep(assignments)
    out = []
    for combo in combos:
        edited = settings.apply_settings(text, combo, source)
        out.append((settings.label(combo), build(edited, rng=random.Random(args.seed))))
    return out


def check_work(args, nets):
    """PurennError before any input is drawn when the outputs kept for the histograms, or
    their bars, pass their budgets (``args.BUDGETS``)."""
    rows = len(nets)
    numbers = sum(args.batch * sum(math.prod(shape) for shape in net.shapes[1:])
                  for _, net in nets)
    check_budget("activation numbers", numbers,
                 f"{rows} row(s) of --batch {args.batch} through the layers",
                 "give a smaller --batch or fewer --set values")
    if args.out:
        panels = max(len(net.layers) for _, net in nets)
        check_budget("histogram bars", rows * panels * args.bins,
                     f"{rows} row(s) x up to {panels} panels x --bins {args.bins}",
                     "give fewer --bins")


def headings(args):
    """(row headings, shared): what sets each row apart ('he', 'std=0.01') and the
    settings every row shares, for the figure."""
    from ..experiments import settings

    if args.network.lower().endswith(".safetensors"):
        return [""], ""
    combos = settings.sweep([settings.parse_assignment(t) for t in args.set])
    return settings.short_labels(combos)


def batch(args, net):
    """(rows, description) of the inputs."""
    features = math.prod(net.input_shape)
    kind = args.input
    if kind is None:
        kind = "data" if features == sets.features_per_sample(args.dataset) else "gauss"
    if kind == "gauss":
        rng = random.Random(args.seed)
        return ([[rng.gauss(0.0, 1.0) for _ in range(features)] for _ in range(args.batch)],
                f"{args.batch} inputs drawn from N(0, 1)")
    _, test, description = sets.load(args.dataset, random.Random(args.seed),
                                     folder=args.data, noise=args.noise)
    if test.features_per_sample != features:
        raise PurennError(f"the network takes {features} numbers per sample but "
                          f"{description} has {test.features_per_sample}; use --input gauss")
    count = min(args.batch, len(test))
    what = "images" if args.dataset in sets.IMAGES else "samples"
    return test.x(range(count)), f"the first {count} test {what} of {description}"


def run(args, out):
    from ..experiments import figures, inside
    from .experiment_args import check_picture

    check_picture(args.out, "--out")
    value_range = parse_range(args.range) if args.range else None
    nets = networks(args)
    check_work(args, nets)
    x, description = batch(args, nets[0][1])
    rows, kinds = [], set()
    short, shared = headings(args)
    for (label, net), heading in zip(nets, short):
        outputs = inside.layer_outputs(net, x, args.all_layers)
        kinds.update(kind for _, kind, _ in outputs)
        if not outputs:
            raise PurennError(f"{args.network} has no activation function layers; try "
                              f"--all-layers")
        rows.append((heading, [(f"{n + 1}-layer" if not args.all_layers else name, values)
                               for n, (name, kind, values) in enumerate(outputs)]))
        out(f"{label + ': ' if label else ''}{args.network}, {description}")
        out(f"  {'layer':<10} {'kind':<10} {'mean':>8} {'std':>8} {'|v|<=.01':>9} "
            f"{'v>=.99':>7}")
        for name, kind, values in outputs:
            mean, std, small, large = inside.summary(values)
            out(f"  {name:<10} {kind:<10} {mean:>8.4f} {std:>8.4f} {small:>9.1%} "
                f"{large:>7.1%}")
    if args.out:
        book = args.range is None and figures.book_range(kinds) is not None
        value_range = value_range or figures.book_range(kinds)
        title = f"activations: {description}" + (f"; every row: {shared}" if shared else "")
        fig, counts = figures.activations(rows, bins=args.bins, value_range=value_range,
                                          title=title, cut_first=book and kinds == {"relu"})
        fig.save(args.out)
        total = sum(len(values) for _, panels in rows for _, values in panels)
        drawn = sum(sum(c) for row in counts for c in row)
        outside = f" ({total - drawn} outside the range, not drawn)" if drawn < total else ""
        out(f"histograms written to {args.out}{outside}")
    return 0
