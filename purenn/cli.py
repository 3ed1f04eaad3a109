"""``python3 -m purenn``: the command line.

Each command lives in ``purenn/commands/<name>.py`` with two functions:
``add_parser(subparsers, common)`` declares its arguments and ``run(args, out)`` does the
work, returning an exit code and writing its lines through ``out``.

Exit codes: 0 success, 1 a runtime error (bad file, bad spec, training failed),
2 a usage error, 130 interrupted. Errors are one line on stderr starting ``error:``;
``--debug`` shows the traceback as well.
"""

import argparse
import importlib
import os
import sys
import warnings

from . import __version__
from .errors import PurennError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

# command -> (module under purenn.commands, the line `purenn --help` shows for it). Only the
# module of the command being run is imported, which keeps the CLI's start short (its
# figures: docs/speed.md).
# The lines must equal the modules' own help= (tests/test_cli_train.py checks).
COMMANDS = {
    "train": ("train", "train a network and report its accuracy"),
    "evaluate": ("evaluate", "accuracy, loss and confusion matrix of a model"),
    "predict": ("predict", "classify one image and show the probabilities"),
    "show": ("show", "draw images of a data set in the terminal or a PNG"),
    "gradcheck": ("gradcheck", "check backprop against numerical gradients"),
    "specs": ("specs", "list the shipped specs"),
    "plugins": ("plugins", "list layers, losses, optimizers and initializers and their "
                           "origin"),
    "fetch": ("fetch", "download a data set (mnist, fashion-mnist, kmnist)"),
    "import": ("import_weights", "turn NumPy .npz/.npy/.pkl weights into a model file"),
    "export": ("export", "write a model file's weights as NumPy .npz"),
    "compare": ("compare", "train several networks or settings side by side and draw their "
                           "curves"),
    "search": ("search", "random search of hyperparameters on a validation split"),
    "activations": ("activations", "histograms of each layer's activations for a batch"),
    "filters": ("filters", "draw the first conv layer's filters before and after training"),
    "paths": ("paths", "draw each optimizer's path over the contours of f(x, y) = x²/20 + y²"),
    "playground": ("playground", "watch networks learn in the browser (2-D data, "
                                 "handwritten digits)"),
}


# commands whose lines are not wrapped at spaces: compare's and search's tables and
# results fit the width themselves (a table row cut in two reads worse than one laid out
# to fit), and 'specs NAME' prints a spec file, to be saved as it is ('> my.net')
LAYS_OUT_ITS_OWN_LINES = {"compare", "search", "specs"}


class Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a short message for usage errors, and help that
    fits the terminal (whatever formatter a command asks for)."""

    def __init__(self, *args, **kwargs):
        from .commands.textfit import HelpFormatter

        kwargs["formatter_class"] = HelpFormatter
        super().__init__(*args, **kwargs)

    def _get_values(self, action, arg_strings):
        value = super()._get_values(action, arg_strings)
        if isinstance(value, list) and action.nargs in (None, "?") and action.option_strings:
            # argparse takes '--out=--' as no value at all, skipping the option's type
            self.error(f"argument {'/'.join(action.option_strings)}: expected one value, "
                       f"got '--'")
        return value

    def error(self, message):
        # one line, as every error (the rules): not wrapped at the terminal's width, but
        # argparse quotes the bad values whole (10,000 arguments): those are cut
        if len(message) > 180:
            message = message[:170] + "..."
        # a value with a newline or a carriage return would break the one line: escaped
        message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n"
                              f"(see '{self.prog} --help')\n")


def chosen_command(argv):
    """The command named in ``argv`` (the first word that is one), or None."""
    return next((word for word in argv if word in COMMANDS), None)


def load_command(name):
    return importlib.import_module(f"purenn.commands.{COMMANDS[name][0]}")


def make_parser(command=None):
    """The parser, with full arguments for ``command`` (all commands when None) and
    only a name and a help line for the others."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a command's parser leaves debug alone unless given, so that
    # ``purenn --debug train`` keeps the --debug given before the command
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    parser = Parser(prog="purenn", parents=[common],
                    description="Neural networks in pure Python: train, inspect, explain.")
    parser.add_argument("--version", action="version",
                        version=f"purenn {__version__} (Python {sys.version.split()[0]})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (_, summary) in COMMANDS.items():
        if command in (None, name):
            load_command(name).add_parser(sub, common)
        else:
            sub.add_parser(name, help=summary)
    return parser


def stdout_lines():
    """``out(line)`` for the commands: print and flush, and when the reader of a pipe has
    gone (``purenn evaluate m --misclassified w.png | head -5``) drop the rest quietly so
    the command still finishes its work (files included) and exits 0. As the Python docs
    advise, stdout is then pointed at devnull so the final flush cannot fail."""
    def out(line):
        if closed:
            return
        try:
            print(line, flush=True)
        except BrokenPipeError:
            closed.append(True)
            silence_stdout()
    closed = []
    return out


def silence_stdout():
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test's capture)
        pass


def show_warning(message, category, filename, lineno, file=None, line=None):
    """Every warning a command meets (the spec reader's, a diverging run's, in a worker
    process too) as one 'warning: ...' line, never Python's file:line format."""
    from .commands.args import print_warning

    print_warning(str(message), stream=file)


def main(argv=None, out=None):
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = make_parser(chosen_command(argv) or "")
    args = parser.parse_args(argv)
    args.debug = getattr(args, "debug", False)
    if out is None:
        out = stdout_lines()
        if args.command not in LAYS_OUT_ITS_OWN_LINES:
            from .commands.textfit import fitting

            out = fitting(out)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warning
            return load_command(args.command).run(args, out)
    except MemoryError:
        if args.debug:
            raise
        print("error: out of memory: the machine cannot hold what this command needs; "
              "ask for less (see docs/robustness.md)", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away while a command wrote to stdout directly (the index>
        # prompt): not an error, as for head or cat
        silence_stdout()
        return EXIT_OK
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
