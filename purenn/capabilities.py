"""What this Python can do beyond computing: start processes, open network sockets.

Pyodide (CPython compiled to WebAssembly, in a browser or under node) runs purenn as it is,
but has neither: ``os.fork`` exists there and fails, ``urllib`` cannot reach a server, and
no thread can start. The commands that need them ask here first, so that they fail with
one line (or, where the result is the same without, go on without them).
"""

import os
import sys

IN_PYODIDE = sys.platform == "emscripten"
WHERE = "Pyodide (Python in WebAssembly)"


def can_fork():
    """True where worker processes can be started with ``fork`` (Linux, macOS)."""
    if IN_PYODIDE or not hasattr(os, "fork"):
        return False
    import multiprocessing  # here: most commands never start a process

    return "fork" in multiprocessing.get_all_start_methods()


def can_connect():
    """True where ``urllib`` can open network connections (everywhere but Pyodide)."""
    return not IN_PYODIDE
