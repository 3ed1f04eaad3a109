"""``purenn show``: look at a data set's images, in the terminal or as a PNG grid."""

import argparse
import shutil
import sys

from ..errors import PurennError
from ..fileio import check_writable
from .args import positive_int
from .modeldata import add_data_options, image_shape, index_of, load_split

EXAMPLES = """\
examples:
  python -m purenn show                        the first test images, in the terminal
  python -m purenn show 7 42 1999              these test images
  python -m purenn show --split train --start 100 --count 20
  python -m purenn show --count 100 --out digits.png   a 10-column grid, captioned index:label
  python -m purenn show --dataset fashion-mnist
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "show", parents=[common], help="draw images of a data set in the terminal or a PNG",
        description="Draw images of a data set with their labels: in the terminal "
                    "(Unicode half blocks on a color terminal, an ASCII ramp otherwise or "
                    "when NO_COLOR is set), or as a grid in a PNG file.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("indices", nargs="*", metavar="INDEX", help="images to show")
    add_data_options(p)
    p.add_argument("--start", type=int, default=0, metavar="I",
                   help="without INDEX: the first image to show (default: 0)")
    p.add_argument("--count", type=positive_int, metavar="N",
                   help="without INDEX: how many images (default: 10 in the terminal, "
                        "100 in a PNG)")
    p.add_argument("--out", metavar="PNG", help="draw a grid to this PNG file instead")
    p.add_argument("--cols", type=positive_int, default=10,
                   help="images per row in the PNG (default: 10)")


def run(args, out):
    from ..viz import terminal
    from ..viz.charts import grid_canvas

    if args.out:
        check_writable(args.out, "--out", (".png",))
    data, description = load_split(args)
    shape = image_shape(data)
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
