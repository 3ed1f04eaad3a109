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


def percentage(text):
    """A whole percentage from 10 to 90 (the 2-D sets' training share)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 10 <= value <= 90:
        raise argparse.ArgumentTypeError(f"expected a percentage from 10 to 90, got {text!r}")
    return value


def feature_list(text):
    """Comma-separated feature names of ``purenn.data.planar.FEATURES``, kept as text."""
    from ..data import planar
    try:
        names = planar.check_features(name.strip() for name in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return ",".join(names)


def print_warning(message, stream=None):
    """'warning: ...' on stderr, wrapped to fit an 80-column terminal."""
    import sys
    import textwrap

    print(textwrap.fill(f"warning: {message}", width=79, subsequent_indent="  ",
                        break_long_words=False, break_on_hyphens=False),
          file=stream or sys.stderr, flush=True)
