"""``purenn evaluate MODEL``: accuracy, loss, per-class accuracy and the confusion matrix
of a saved model on a data set, and optionally a picture of what it got wrong."""

import argparse
import math

from ..errors import PurennError
from ..fileio import check_writable
from .args import PATH, Whole
from .modeldata import add_data_options, check_model_fits, image_shape, load_split

EXAMPLES = """\
examples:
  python3 -m purenn evaluate model.safetensors
  python3 -m purenn evaluate model.safetensors --split train
  python3 -m purenn evaluate model.safetensors --misclassified wrong.png
  python3 -m purenn evaluate model.safetensors --data ../shared/data/mnist
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "evaluate", parents=[common], help="accuracy, loss and confusion matrix of a model",
        description="Evaluate a saved model (train --out) on a data set: accuracy, mean "
                    "loss, accuracy per class and the confusion matrix (rows: the true "
                    "class, columns: the predicted one).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=PATH, metavar="MODEL", help="a .safetensors model file")
    add_data_options(p)
    p.add_argument("--misclassified", type=PATH, metavar="PNG",
                   help="draw the misclassified images to this PNG, each captioned "
                        "'#I' (its index, for 'predict MODEL I') over 'tT pP' (true class "
                        "T, predicted P)")
    p.add_argument("--max-images", type=Whole(1, 10_000), default=100, metavar="N",
                   help="at most N images in --misclassified (default: 100)")
    p.add_argument("--batch-size", type=Whole(1, 10_000), default=500,
                   help="samples per forward pass (default: 500)")


def report_lines(matrix, loss):
    """The text report of a confusion matrix."""
    total = sum(map(sum, matrix))
    correct = sum(matrix[i][i] for i in range(len(matrix)))
    lines = [f"accuracy {correct / total:.4f} ({correct}/{total}), loss {loss:.4f}",
             "", "per class:", f"{'class':>7} {'count':>7} {'correct':>8} {'accuracy':>9}"]
    for i, row in enumerate(matrix):
        count = sum(row)
        acc = f"{row[i] / count:.4f}" if count else "-"
        lines.append(f"{i:>7} {count:>7} {row[i]:>8} {acc:>9}")
    width = max(5, len(str(max(max(row) for row in matrix))) + 1)
    lines += ["", "confusion matrix (rows: true class, columns: predicted):",
              " " * 7 + "".join(f"{j:>{width}}" for j in range(len(matrix)))]
    for i, row in enumerate(matrix):
        lines.append(f"{i:>7}" + "".join(f"{v:>{width}}" for v in row))
    return lines


def run(args, out):
    from ..train import confusion_matrix
    from ..viz.charts import grid_canvas
    from ..viz.figure import PALETTE
    from .modeldata import open_model

    if args.misclassified:
        check_writable(args.misclassified, "--misclassified", (".png",))
    net = open_model(args.model)
    data, description = load_split(args, net.training)
    check_model_fits(net, data, args.model)
    shape = image_shape(data)
    if args.misclassified and shape is None:
        raise PurennError(f"--misclassified draws images; the samples of {description} "
                          f"have shape {'x'.join(map(str, data.sample_shape))}")
    out(f"model: {args.model} ({net.param_count:,} parameters)")
    out(f"data: {description}: {len(data)} samples")
    import sys

    from ..viz.progress import CountBar, is_terminal

    bar = CountBar(sys.stderr, "evaluating", "samples", interactive=is_terminal(sys.stderr),
                   unicode=(sys.stderr.encoding or "").lower().startswith("utf"))
    try:
        matrix, loss, wrong = confusion_matrix(net, data, args.batch_size, bar.update)
    finally:
        bar.close()
    if not math.isfinite(loss):
        raise PurennError(f"{args.model}: the loss over the data is {loss!r}")
    for line in report_lines(matrix, loss):
        out(line)
    if args.misclassified:
        shown = wrong[:args.max_images]
        images = [data.row(i) for i, _, _ in shown]
        captions = [f"#{i}\nt{t} p{p}" for i, t, p in shown]  # the index, for predict
        canvas = grid_canvas(images, captions, shape, colors=[PALETTE[3]] * len(shown))
        canvas.save_png(args.misclassified)
        out(f"{len(shown)} of {len(wrong)} misclassified images drawn to "
            f"{args.misclassified}")
    return 0
