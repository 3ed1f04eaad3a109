"""pytest's configuration of the suite: the `slow` marker. Helpers are in helpers.py."""

import os
import sys

# helpers.py, tiny_mnist.py and dlfs_book.py sit beside this file; tests in subfolders
# (crosscheck/) import them too
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running; deselect with -m 'not slow'")
