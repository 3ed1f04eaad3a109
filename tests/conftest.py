"""pytest's configuration of the suite: the `slow` marker. Helpers are in helpers.py."""

import os
import sys

# helpers.py, tiny_mnist.py and dlfs_book.py sit beside this file; tests in subfolders
# (crosscheck/) import them too
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running; deselect with -m 'not slow'")


# Pyodide (tox -e pyodide) cannot start processes or threads, nor use POSIX shared memory:
# a test that needs one (a CLI run in a child process, the playground's server, --workers)
# is reported there as skipped, naming what it needed; any other failure stays a failure.
_PYODIDE_LACKS = (
    (OSError, "does not support processes", "a child process"),
    (OSError, "Function not implemented", "fork"),
    (RuntimeError, "can't start new thread", "a thread"),
    (ModuleNotFoundError, "_posixshmem", "POSIX shared memory"),
)

if sys.platform == "emscripten":
    import pytest

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is None or not report.failed:
            return
        for kind, words, needs in _PYODIDE_LACKS:
            if call.excinfo.errisinstance(kind) and words in str(call.excinfo.value):
                report.outcome = "skipped"
                report.longrepr = (str(item.path), item.location[1] or 0,
                                   f"Skipped: needs {needs}, which Pyodide does not have")
                return
