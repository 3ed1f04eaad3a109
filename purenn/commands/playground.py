"""``purenn playground``: networks learning in the browser, served from this machine."""

import argparse
import threading

from .. import capabilities
from ..errors import PurennError
from .args import PATH, Whole

EXAMPLES = """\
examples:
  python3 -m purenn playground                      a free port, opened in the browser
  python3 -m purenn playground --port 8000 --no-browser
  python3 -m purenn playground --model model.safetensors   read digits with this model
  python3 -m purenn playground --learn              watch a digit reader learn from scratch
  python3 -m purenn playground --export site --model model.safetensors   a static site
"""


port_number = Whole(0, 65535)


def add_parser(sub, common):
    p = sub.add_parser(
        "playground", parents=[common],
        help="watch networks learn in the browser (2-D data, handwritten digits)",
        description="Serve a page on 127.0.0.1 where a network learns to separate 2-D\n"
                    "points (spiral, circles, moons, xor) or to fit a number over the\n"
                    "plane (plane, gauss) while you watch, and where a digit drawn with\n"
                    "the mouse is read by an MNIST network. Everything is computed here,\n"
                    "in Python; the page only draws. Ctrl-C stops it.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=port_number, default=0,
                   help="the port to listen on (default: a free one, printed)")
    p.add_argument("--model", type=PATH, metavar="MODEL",
                   help="a model file (784 inputs, 10 classes) for the digits panel "
                        "(default: the 784-100-10 network shipped with purenn, 97.8 %% "
                        "on the MNIST test set)")
    p.add_argument("--learn", action="store_true",
                   help="start the digits panel watching a network learn: a 784-100-10 "
                        "network trained with Adam on the bundled MNIST subset in the "
                        "background (the page's 'watch one learn' button does the same)")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open the page in a web browser")
    p.add_argument("--verbose", action="store_true",
                   help="print every request the server answers")
    p.add_argument("--export", type=PATH, metavar="DIR",
                   help="write the playground as a static site into DIR instead of serving "
                        "it: purenn runs in the page, in Pyodide (Python in WebAssembly); "
                        "any static web server can serve DIR")
    p.add_argument("--pyodide", type=PATH, metavar="PATH_OR_URL",
                   help="with --export: a folder holding Pyodide (npm's pyodide package), "
                        "copied into the site so that it needs no network, or the URL to "
                        "load it from (default: jsDelivr's copy of Pyodide "
                        "v314.0.8)")


def run(args, out):
    if args.export is not None:
        return export_site(args, out)
    if args.pyodide is not None:
        raise PurennError("--pyodide goes with --export DIR")
    if capabilities.IN_PYODIDE:
        raise PurennError(f"playground serves its page from an HTTP server on this machine, "
                          f"which {capabilities.WHERE} cannot run: start it with a native "
                          f"python3")
    from ..playground.digits import DigitReader
    from ..playground.server import Playground, close_server, serve

    reader = DigitReader(args.model, learn=args.learn)
    app = Playground(reader)
    try:
        server = serve(app, args.port, verbose=args.verbose)
    except OSError as exc:
        raise PurennError(f"cannot listen on 127.0.0.1 port {args.port}: "
                          f"{exc.strerror or exc}") from None
    # from here on, a Ctrl-C at any moment (even as the URL is being printed) stops cleanly
    try:
        reader.start()
        out(f"purenn playground at {server.url}  (Ctrl-C stops it)")
        if not args.no_browser:
            import webbrowser
            # a console browser may take the terminal for a while: open it on the side
            threading.Thread(target=webbrowser.open, args=(server.url,),
                             daemon=True).start()
        # a timed join: a Ctrl-C that the system hands to another thread is seen by this
        # one at its next timeout, where an untimed join can sleep through it for good
        while server.thread.is_alive():
            server.thread.join(0.25)
    except KeyboardInterrupt:
        out("stopping the playground")
        return 130  # interrupted, as every command's Ctrl-C
    finally:
        close_server(server)
    return 0


def export_site(args, out):
    from ..playground.export import export

    files = export(args.export, pyodide=args.pyodide, model=args.model)
    out(f"wrote the playground as a static site to {args.export}: {', '.join(files)}")
    out(f"serve it with any static web server, e.g. python3 -m http.server -d "
        f"{args.export}, and open the page it names")
    return 0
