"""``purenn playground``: networks learning in the browser, served from this machine."""

import argparse
import threading

from .. import capabilities
from ..errors import PurennError

EXAMPLES = """\
examples:
  python -m purenn playground                      a free port, opened in the browser
  python -m purenn playground --port 8000 --no-browser
  python -m purenn playground --model model.safetensors   read digits with this model
  python -m purenn playground --learn              watch a digit reader learn from scratch
"""


def port_number(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 0 to 65535, got {text!r}")
    return value


def add_parser(sub, common):
    p = sub.add_parser(
        "playground", parents=[common],
        help="watch networks learn in the browser (2-D data, handwritten digits)",
        description="Serve a page on 127.0.0.1 where a network learns to separate 2-D\n"
                    "points (spiral, circles, moons, xor) while you watch, and where a\n"
                    "digit drawn with the mouse is read by an MNIST network. Everything\n"
                    "is computed here, in Python; the page only draws. Ctrl-C stops it.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=port_number, default=0,
                   help="the port to listen on (default: a free one, printed)")
    p.add_argument("--model", metavar="MODEL",
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


def run(args, out):
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
