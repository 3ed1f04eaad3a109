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
from .textfit import fill

EXAMPLES = """\
examples:
  python3 -m purenn predict model.safetensors 0          test image 0
  python3 -m purenn predict model.safetensors 7 --split train
  python3 -m purenn predict model.safetensors digit.png  a PNG (gray, RGB, RGBA) or PGM
  python3 -m purenn predict model.safetensors photo.png --invert   always invert
  python3 -m purenn predict model.safetensors            ask: index> 12, index> 40, ...
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "predict", parents=[common], help="classify one image and show the probabilities",
        description="Show an image of the data set (by index) or a PNG/PGM file (any "
                    "size, color made gray, scaled and centred as MNIST's digits), the "
                    "class probabilities of a saved model as bars, its "
                    "prediction and the truth when known. Without INDEX or IMAGE, ask "
                    "for indices in a loop (index> ).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    from .args import PATH

    p.add_argument("model", type=PATH, metavar="MODEL", help="a .safetensors model file")
    p.add_argument("what", nargs="?", type=PATH, metavar="INDEX|IMAGE",
                   help="an index into the data set, or an image file")
    add_data_options(p)
    ink = p.add_mutually_exclusive_group()
    ink.add_argument("--invert", action="store_true", default=None,
                     help="invert an image file always (MNIST digits are light on dark; "
                          "by default a light border means dark ink on paper and the "
                          "image is inverted)")
    ink.add_argument("--no-invert", dest="invert", action="store_false",
                     help="never invert an image file")


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
        is_index = what.strip().lstrip("-").isdigit()
        if not is_index and not os.path.exists(what):
            raise PurennError(f"{what!r} is not an index or a file (a PNG or PGM image)")
        if not is_index or os.path.isfile(what):
            shape = tuple(self.net.input_shape[-2:])
            if len(shape) != 2:
                shape = (28, 28)
            notes = []
            x = read_digit(what, shape, invert=self.args.invert, notes=notes)
            if len(x) != math.prod(self.net.input_shape):
                raise PurennError(f"{what}: the image has {len(x)} pixels but the network "
                                  f"takes {math.prod(self.net.input_shape)} numbers")
            self.out(fill(f"image file {what}", "  "))
            for note in notes:      # one per line, to fit a terminal
                self.out(f"  {note}")
        else:
            data, description = self.data()
            index = index_of(what, data)
            x, truth = data.row(index), data.labels[index]
            shape = image_shape(data)
            self.out(fill(f"{self.args.split} sample {index} of {description}", "  "))
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


def prompt_loop(predictor, stdin, interactive, read_line=None):
    """Ask for inputs until an empty line, 'q', EOF or Ctrl-C; errors are reported, not
    fatal. On a terminal the prompt says the index range and how to quit, and reads with
    ``input`` (readline's history and editing where the platform has it)."""
    if interactive:
        try:
            import readline  # noqa: F401  (input() then edits lines and keeps history)
        except ImportError:
            pass
        data, description = predictor.data()
        print(f"indices 0..{len(data) - 1} of the {description}", flush=True)
        print("type an index or an image file; an empty line, q or Ctrl-D quits", flush=True)
        read_line = read_line or (lambda: input("index> ") + "\n")
    while True:
        try:
            if interactive:
                line = read_line()
            else:
                line = stdin.readline()
        except EOFError:
            line = ""
        except KeyboardInterrupt:
            print(flush=True)          # end the prompt's line, then stop cleanly
            return 0
        if not line:
            if interactive:
                print(flush=True)
            return 0
        what = line.strip()
        if what in ("", "q", "quit", "exit"):
            return 0
        try:
            predictor.show(what)
        except PurennError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)


def run(args, out):
    from ..viz.terminal import use_color
    from .modeldata import open_model

    net = open_model(args.model)
    predictor = Predictor(args, net, out, use_color(sys.stdout), net.training)
    if args.what is not None:
        predictor.show(args.what)
        return 0
    return prompt_loop(predictor, sys.stdin, sys.stdin.isatty())
