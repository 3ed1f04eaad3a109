"""``purenn fetch NAME``: download a data set into the cache, verified."""

import argparse
import sys

from ..data.cache import cache_root
from ..data.catalog import SOURCES
from .args import PATH, Append, Real, Text

EXAMPLES = """\
examples:
  python3 -m purenn fetch mnist                 the full MNIST into the cache
  python3 -m purenn fetch fashion-mnist         then: train --dataset fashion-mnist
  python3 -m purenn fetch kmnist --to data/kmnist
  python3 -m purenn fetch mnist --mirror https://example.org/mnist/
  python3 -m purenn fetch mnist --mirror file:///media/usb/mnist/ --mirrors-only

Each file is checked against the MD5 its authors publish before it is kept. The cache is
$PURENN_DATA/NAME when PURENN_DATA is set, else NAME in the platform cache folder
(~/.cache/purenn on Linux, ~/Library/Caches/purenn on macOS, %LOCALAPPDATA%\\purenn on
Windows).
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "fetch", parents=[common], help="download a data set (mnist, fashion-mnist, kmnist)",
        description="Download the four IDX files of a data set, check each against its "
                    "published checksum, and keep them in the cache (or --to DIR), where "
                    "'train --dataset NAME' finds them.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", choices=list(SOURCES), metavar="NAME",
                   help=f"the data set: {', '.join(SOURCES)}")
    p.add_argument("--mirror", type=Text(), action=Append, max_items=20, default=[], metavar="URL",
                   help="a base URL holding the four files, tried before the built-in "
                        "mirrors (may be given more than once; http, https or file)")
    p.add_argument("--mirrors-only", action="store_true",
                   help="use only the --mirror URLs, not the built-in mirrors")
    p.add_argument("--to", type=PATH, metavar="DIR",
                   help=f"the folder to put the files in (default: the cache, now "
                        f"{cache_root()}/NAME)")
    p.add_argument("--timeout", type=Real(0.0, 3600.0, above=True), default=30.0, metavar="SECONDS",
                   help="give up on a mirror silent this long (default: 30)")


def run(args, out):
    from ..data import catalog
    from ..data.fetch import fetch
    from ..viz.progress import download_progress

    source = catalog.get(args.name)
    out(f"{source.title}: {source.homepage}; credit {source.credit}; "
        f"license {source.license}")
    bar = download_progress(sys.stdout, out)

    def log(line):
        bar.finish()
        out(line)

    try:
        folder = fetch(args.name, args.to, mirrors=args.mirror,
                       builtin_mirrors=not args.mirrors_only, log=log, progress=bar.update,
                       timeout=args.timeout)
    finally:
        bar.finish()  # an error message starts on a line of its own
    hint = f" --data {folder}" if args.to else ""
    out(f"{source.title} is in {folder}; train on it with "
        f"'python3 -m purenn train --dataset {args.name}{hint}'")
    return 0
