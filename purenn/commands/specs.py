"""``purenn specs [NAME]``: list the shipped network specs, or print one."""

import argparse

from .args import Text


def add_parser(sub, common):
    p = sub.add_parser("specs", parents=[common], help="list the shipped specs",
                       description="List the network specs shipped with purenn; pass a "
                                   "name to print that spec.",
                       epilog="examples:\n  python -m purenn specs\n"
                              "  python -m purenn specs two_layer > my.net",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", type=Text(), help="a spec to print")


def run(args, out):
    from ..spec import read, shipped_specs

    if args.name:
        text, _ = read(args.name)
        out(text.rstrip("\n"))
        return 0
    for name in shipped_specs():
        text, _ = read(name)
        first = next((ln.lstrip("# ").strip() for ln in text.splitlines()
                      if ln.startswith("#")), "")
        out(f"{name:<20} {first}")
    return 0
