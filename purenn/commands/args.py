"""Argument types shared by the commands: a bad value is a usage error (exit 2)."""

import argparse
import math


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 1, got {text!r}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number ≥ 0, got {text!r}")
    return value


def limits(text):
    """'LO:HI' as (LO, HI): two finite numbers, LO < HI (an axis range: 0:1)."""
    lo, sep, hi = text.partition(":")
    try:
        value = (float(lo), float(hi)) if sep else None
    except ValueError:
        value = None
    if value is None or not all(map(math.isfinite, value)) or not value[0] < value[1]:
        raise argparse.ArgumentTypeError(f"expected LO:HI, two finite numbers with LO < HI "
                                         f"such as 0:1, got {text!r}")
    return value


def print_warning(message, stream=None):
    """'warning: ...' on stderr, wrapped to fit an 80-column terminal."""
    import sys
    import textwrap

    print(textwrap.fill(f"warning: {message}", width=79, subsequent_indent="  ",
                        break_long_words=False, break_on_hyphens=False),
          file=stream or sys.stderr, flush=True)
