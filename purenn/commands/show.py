"""``purenn show``: look at a data set's images, in the terminal or as a PNG grid; a 2-D
data set (the spiral) as a scatter of its points."""

import argparse
import shutil
import sys

from ..errors import PurennError
from ..fileio import check_writable
from .args import MAX_COUNT, PATH, StoreList, Text, Whole
from .modeldata import add_data_options, image_shape, index_of, load_split

EXAMPLES = """\
examples:
  python3 -m purenn show                        the first test images, in the terminal
  python3 -m purenn show 7 42 1999              these test images
  python3 -m purenn show --split train --start 100 --count 20
  python3 -m purenn show --count 100 --out digits.png   a 10-column grid, captioned index:label
  python3 -m purenn show --dataset fashion-mnist
  python3 -m purenn show --dataset spiral                the points, by class, in the terminal
  python3 -m purenn show --dataset spiral --out spiral.png   ... as a scatter plot (or .svg)
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "show", parents=[common], help="draw images of a data set in the terminal or a PNG",
        description="Draw images of a data set with their labels: in the terminal "
                    "(Unicode half blocks on a color terminal, an ASCII ramp otherwise or "
                    "when NO_COLOR is set), or as a grid in a PNG file.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("indices", nargs="*", type=Text(40), action=StoreList,
                   max_items=10_000, metavar="INDEX", help="images to show")
    add_data_options(p)
    p.add_argument("--start", type=Whole(-MAX_COUNT, MAX_COUNT), default=0, metavar="I",
                   help="without INDEX: the first image to show (default: 0)")
    p.add_argument("--count", type=Whole(1, 10_000), metavar="N",
                   help="without INDEX: how many images (default: 10 in the terminal, "
                        "100 in a PNG)")
    p.add_argument("--out", type=PATH, metavar="PNG",
                   help="draw a grid to this PNG file instead (2-D data: a scatter plot, "
                        ".png or .svg)")
    p.add_argument("--cols", type=Whole(1, 1000), default=10,
                   help="images per row in the PNG (default: 10)")


def run(args, out):
    from ..viz import terminal
    from ..viz.charts import grid_canvas

    if args.out:
        check_writable(args.out, "--out", (".png", ".svg"))  # .svg: 2-D points only
    data, description = load_split(args)
    shape = image_shape(data)
    if shape is None and data.features_per_sample == 2:
        return show_points(args, data, description, out)
    if args.out and not args.out.lower().endswith(".png"):
        raise PurennError(f"--out {args.out!r}: the picture is a .png file")
    if shape is None:
        raise PurennError(f"the samples of {description} are not images (shape "
                          f"{'x'.join(map(str, data.sample_shape))})")
    if args.indices:
        indices = [index_of(text, data) for text in args.indices]
    else:
        count = args.count or (100 if args.out else 10)
        start = index_of(args.start, data, "--start")
        indices = list(range(start, min(len(data), start + count)))
    labels = [data.labels[i] for i in indices]
    if args.out:
        canvas = grid_canvas([data.row(i) for i in indices],
                             [f"{i}:{label}" for i, label in zip(indices, labels)],
                             shape, cols=args.cols)
        canvas.save_png(args.out)
        out(f"{len(indices)} images of {description} drawn to {args.out}")
        return 0
    color = terminal.use_color(sys.stdout)
    per_row = max(1, (shutil.get_terminal_size().columns + 2) // (shape[1] + 2))
    out(f"{description}:")
    for start in range(0, len(indices), per_row):
        chunk = indices[start:start + per_row]
        blocks = [terminal.digit_lines(data.row(i), shape[0], shape[1], color)
                  + [f"#{i}: {data.labels[i]}"] for i in chunk]
        for line in terminal.side_by_side(blocks):
            out(line)
    return 0


def show_points(args, data, description, out):
    """A 2-D data set: a scatter plot to --out, or its points drawn in the terminal as
    their class digits (in the class's color on a color terminal)."""
    from .. import plot
    from ..viz import terminal

    if args.indices:
        raise PurennError("INDEX picks images; a 2-D data set is shown whole")
    if args.out:
        if not args.out.lower().endswith((".png", ".svg")):
            raise PurennError(f"--out {args.out!r}: the picture must be a .png or .svg file")
        plot.scatter(data, title=description).save(args.out)
        out(f"{len(data)} points of {description} drawn to {args.out}")
        return 0
    columns = min(shutil.get_terminal_size().columns, 100)
    out(f"{description}: {len(data)} points")
    for line in terminal.scatter_lines(data.x(range(len(data))), list(data.labels),
                                       width=max(10, columns - 2), height=25,
                                       color=terminal.use_color(sys.stdout)):
        out(line)
    return 0
