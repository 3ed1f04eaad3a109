"""``purenn predict MODEL [INDEX|IMAGE]``: what a saved model says about one image.

The image is drawn in the terminal, the class probabilities (``net.probabilities``) are
shown as bars, then the prediction and, for an image of the data set, the truth. With no
INDEX or IMAGE it asks for one after another (``index> ``) until an empty line or EOF;
when stdin is not a terminal it reads them from stdin, one per line, without a prompt.
"""

import argparse
import math
import os
import sys

from .. import linalg
from ..errors import PurennError
from .modeldata import add_data_options, check_model_fits, image_shape, index_of, load_split

EXAMPLES = """\
examples:
  python -m purenn predict model.safetensors 0          test image 0
  python -m purenn predict model.safetensors 7 --split train
  python -m purenn predict model.safetensors digit.png  a 28x28 8-bit grayscale PNG or PGM
  python -m purenn predict model.safetensors my.pgm --invert   dark digit on light paper
  python -m purenn predict model.safetensors            ask: index> 12, index> 40, ...
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "predict", parents=[common], help="classify one image and show the probabilities",
        description="Show an image of the data set (by index) or a 28x28 grayscale "
                    "PNG/PGM file, the class probabilities of a saved model as bars, its "
                    "prediction and the truth when known. Without INDEX or IMAGE, ask "
                    "for indices in a loop (index> ).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="MODEL", help="a .safetensors model file")
    p.add_argument("what", nargs="?", metavar="INDEX|IMAGE",
                   help="an index into the data set, or an image file")
    add_data_options(p)
    p.add_argument("--invert", action="store_true",
                   help="invert an image file (for dark digits on a light background; "
                        "MNIST digits are light on dark)")


class Predictor:
    """Holds the model and (lazily) the data set, and describes one input at a time."""

    def __init__(self, args, net, out, color, training=None):
        self.args, self.net, self.out, self.color = args, net, out, color
        self.training = training or {}   # the model file's training summary
        self._data = None

    def data(self):
        if self._data is None:
            data, description = load_split(self.args, self.training)
            check_model_fits(self.net, data, self.args.model)
            self._data = (data, description)
        return self._data

    def show(self, what):
        from ..viz import terminal
        from ..viz.images import read_digit

        truth, shape = None, None
        if os.path.isfile(what) or not what.strip().lstrip("-").isdigit():
            shape = tuple(self.net.input_shape[-2:])
            if len(shape) != 2:
                shape = (28, 28)
            x = read_digit(what, shape, invert=self.args.invert)
            if len(x) != math.prod(self.net.input_shape):
                raise PurennError(f"{what}: the image has {len(x)} pixels but the network "
                                  f"takes {math.prod(self.net.input_shape)} numbers")
            self.out(f"image file {what}")
        else:
            data, description = self.data()
            index = index_of(what, data)
            x, truth = data.row(index), data.labels[index]
            shape = image_shape(data)
            self.out(f"{self.args.split} sample {index} of {description}")
        if shape is not None:
            for line in terminal.digit_lines(x, shape[0], shape[1], color=self.color):
                self.out(line)
        else:
            self.out("x = (" + ", ".join(f"{v:.4f}" for v in x) + ")")
        probabilities = self.net.probabilities([x])[0]
        if not all(map(math.isfinite, probabilities)):  # finite weights too large for x
            raise PurennError(f"{self.args.model}: the network's output for this input is "
                              f"not finite ({probabilities[0]!r}, ...): its weights are too "
                              f"large")
        for line in terminal.probability_lines(probabilities, color=self.color):
            self.out(line)
        best = linalg.argmax(probabilities)
        verdict = f"prediction {best} (p = {probabilities[best]:.4f})"
        if truth is not None:
            verdict += f", truth {truth}: {'right' if truth == best else 'wrong'}"
        self.out(verdict)


def prompt_loop(predictor, stdin, interactive):
    """Ask for inputs until an empty line, 'q' or EOF; errors are reported, not fatal."""
    while True:
        if interactive:
            sys.stdout.write("index> ")
            sys.stdout.flush()
        line = stdin.readline()
        if not line:
            if interactive:
                sys.stdout.write("\n")
            return 0
        what = line.strip()
        if what in ("", "q", "quit", "exit"):
            return 0
        try:
            predictor.show(what)
        except PurennError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)


def run(args, out):
    from ..model import load
    from ..viz.terminal import use_color

    net = load(args.model)
    predictor = Predictor(args, net, out, use_color(sys.stdout), net.training)
    if args.what is not None:
        predictor.show(args.what)
        return 0
    return prompt_loop(predictor, sys.stdin, sys.stdin.isatty())
