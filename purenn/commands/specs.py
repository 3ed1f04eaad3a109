"""``purenn specs [NAME]``: list the shipped network specs, or print one."""

import argparse

from .args import Text


def add_parser(sub, common):
    p = sub.add_parser("specs", parents=[common], help="list the shipped specs",
                       description="List the network specs shipped with purenn; pass a "
                                   "name to print that spec.",
                       epilog="examples:\n  python3 -m purenn specs\n"
                              "  python3 -m purenn specs two_layer > my.net",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", type=Text(), help="a spec to print")


def run(args, out):
    from ..spec import read, shipped_specs

    if args.name:
        text, _ = read(args.name)
        out(text.rstrip("\n"))
        return 0
    from .textfit import fill

    for name in shipped_specs():
        text, _ = read(name)
        out(fill(summary(text), " " * 21, f"{name:<20} "))
    return 0


def summary(text):
    """The first clause of a spec's opening comment: up to its first ':' or '.' that
    ends a word ('The two-layer network of ..., chapter 5 (TwoLayerNet)')."""
    import re

    words = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        words.append(line.lstrip("#").strip())
    return re.split(r"[:.](?:\s|$)", " ".join(words), maxsplit=1)[0].strip()
