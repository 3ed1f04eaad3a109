"""``purenn plugins [GROUP]``: list every layer, loss, optimizer and initializer, built-in
or from a plugin distribution, with where it comes from and whether it works."""

import argparse

from .. import registry
from ..errors import PurennError
from .args import Text

EXAMPLES = """\
examples:
  python3 -m purenn plugins                 everything, built-ins first
  python3 -m purenn plugins layers          one group only

Status is 'ok', 'broken' (fails to import, or is not what its group needs), 'clash'
(two distributions claim the name: neither is used) or 'ignored' (the claim names a
built-in, or is a name no spec can write); the problems are explained under the table.
Writing a plugin: see plugins/README.md in purenn's repository.
"""

COLUMNS = ("name", "target", "distribution", "version", "status")



def add_parser(sub, common):
    p = sub.add_parser("plugins", parents=[common],
                       help="list layers, losses, optimizers and initializers and their "
                            "origin",
                       description="List every part a spec can name, from purenn itself "
                                   "and from installed plugin distributions (entry-point "
                                   "groups " + ", ".join(registry.BUILTINS) + ").",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("group", nargs="?", type=Text(100),
                   help="only this group: " + ", ".join(
                       g.split(".", 1)[1] for g in registry.BUILTINS))


def pick_groups(group):
    if group is None:
        return list(registry.BUILTINS)
    full = group if group.startswith("purenn.") else f"purenn.{group}"
    if full not in registry.BUILTINS:
        raise PurennError(f"unknown plugin group {group!r} (groups: "
                          f"{', '.join(g.split('.', 1)[1] for g in registry.BUILTINS)})")
    return [full]


def short_status(entry, status):
    if status == "ok":
        return "ok"
    if entry.clash:
        return "clash"
    return "ignored" if entry.ignored else "broken"


def run(args, out):
    from .textfit import fill, table_blocks

    rows, groups, problems = [], [], []
    for group in pick_groups(args.group):
        entries = list(registry.discover(group).values()) + registry.ignored(group)
        groups.append((group, len(entries)))
        for entry in entries:
            status = registry.status(entry)
            if status != "ok" and status not in problems:
                problems.append(status)
            rows.append((entry.name, entry.value, entry.distribution, entry.version,
                         short_status(entry, status)))
    # each group is a heading over its rows; the target column wraps (at the dots of a
    # long name) when the table would be wider than the terminal
    header, *blocks = table_blocks([COLUMNS, *rows], wrap=1, indent="  ")
    out(header[0])
    for group, count in groups:
        out(f"{group}:")
        for block in blocks[:count]:
            for line in block:
                out(line)
        del blocks[:count]
    if problems:
        out("")
        out("problems:")
        for problem in problems:
            out(fill(problem, "    ", "  "))
    return 0
