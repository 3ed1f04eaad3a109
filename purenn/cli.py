"""``python -m purenn``: the command line.

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

from . import __version__
from .errors import PurennError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

COMMANDS = ["train", "evaluate", "predict", "show", "gradcheck", "specs", "plugins", "fetch",
            "import", "export"]
# command name -> module name under purenn.commands, where they differ
MODULE_NAMES = {"import": "import_weights"}  # "import" is a Python keyword


class Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a short message for usage errors."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n"
                              f"(see '{self.prog} --help')\n")


def make_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    parser = Parser(prog="purenn", parents=[common],
                    description="Neural networks in pure Python: train, inspect, explain.")
    parser.add_argument("--version", action="version",
                        version=f"purenn {__version__} (Python {sys.version.split()[0]})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    modules = {}
    for name in COMMANDS:
        module = importlib.import_module(f"purenn.commands.{MODULE_NAMES.get(name, name)}")
        module.add_parser(sub, common)
        modules[name] = module
    return parser, modules


def main(argv=None, out=None):
    """Run the command line; returns the exit code."""
    out = out or (lambda line: print(line, flush=True))
    parser, modules = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return modules[args.command].run(args, out)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (python -m purenn train | head): stop quietly, as the
        # Python docs advise, pointing stdout at devnull so the final flush cannot fail
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
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
