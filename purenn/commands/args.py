"""Every option's range, declared where the option is: a bad value is a usage error
(exit 2, one line) found while the command line is parsed, before any work.

Each option of every command takes one of these types (``tests/test_cli_options.py``
walks the parsers and checks that none is left out):

- ``Whole(low, high)``: a whole number in [low, high], written in at most 40 characters;
- ``Real(low, high, above=False)``: a finite number in [low, high] (``above``: > low);
- ``Text(max_length)``: text without control characters (a newline pasted into a spec
  line, a terminal escape in a table), at most ``max_length`` characters;
- ``Choice`` is argparse's own ``choices=``.

A repeatable option (``action=Append``) or a list (``action=StoreList``) has a most
number of items, ``max_items``. Work derived from several options (trials, histogram
rows x bins, path steps x optimizers, ``--set`` combinations) has a budget, ``BUDGETS``,
checked by ``check_budget`` before the work starts. docs/cli.md lists them all.
"""

import argparse
import math

from ..errors import PurennError

# the longest text a whole number or a real number may be written with: 10**400 or a
# 4,000-digit seed is refused by its length, never turned into an int or a float first
MAX_NUMBER_TEXT = 40
MAX_TEXT = 4096          # a path, a spec name, a label
MAX_ITEMS = 100          # items of a repeatable option unless it says otherwise
MAX_SEED = (1 << 63) - 1  # what a checkpoint's run.seed may hold
MAX_COUNT = 10 ** 9      # epochs, iterations, sizes: far past any run, within checkpoints'

# work a command line derives from several options, checked before the work starts
BUDGETS = {
    "runs": 1000,             # compare: specs x --set combinations
    "trials": 10_000,         # search --trials
    "activation rows": 100,   # activations: --set combinations
    "activation numbers": 10_000_000,  # activations: rows x batch x outputs per sample
    "histogram bars": 1_000_000,       # activations: rows x panels x bins
    "path steps": 1_000_000,  # paths: optimizers x steps
}


def _number_text(text, what):
    text = text.strip()
    if not text:
        raise argparse.ArgumentTypeError(f"expected {what}, got an empty value")
    if len(text) > MAX_NUMBER_TEXT:
        raise argparse.ArgumentTypeError(
            f"expected {what}, got {len(text):,} characters {text[:20]!r}...")
    return text


def _amount(value):
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


class Whole:
    """A whole number in [low, high]."""

    def __init__(self, low, high):
        self.low, self.high = low, high
        self.__name__ = "whole number"  # argparse names the type in some messages

    def describe(self):
        return f"a whole number from {_amount(self.low)} to {_amount(self.high)}"

    def __call__(self, text):
        text = _number_text(text, "a whole number")
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number, got {text!r}") from None
        if not self.low <= value <= self.high:
            raise argparse.ArgumentTypeError(f"expected {self.describe()}, got {text!r}")
        return value


class Real:
    """A finite number in [low, high], or in (low, high] when ``above``."""

    def __init__(self, low, high, above=False):
        self.low, self.high, self.above = low, high, above
        self.__name__ = "number"

    def describe(self):
        sign = ">" if self.above else "≥"
        return f"a finite number {sign} {_amount(self.low)} and ≤ {_amount(self.high)}"

    def __call__(self, text):
        text = _number_text(text, "a number")
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        inside = value > self.low if self.above else value >= self.low
        if not (math.isfinite(value) and inside and value <= self.high):
            raise argparse.ArgumentTypeError(f"expected {self.describe()}, got {text!r}")
        return value


class Text:
    """Text of 1 to ``max_length`` characters without control characters."""

    def __init__(self, max_length=MAX_TEXT):
        self.max_length = max_length
        self.__name__ = "text"

    def describe(self):
        return f"text of 1 to {self.max_length:,} characters, no control characters"

    def __call__(self, text):
        if not text:
            raise argparse.ArgumentTypeError("expected a value, got an empty one")
        if len(text) > self.max_length:
            raise argparse.ArgumentTypeError(
                f"expected at most {self.max_length:,} characters, got {len(text):,} "
                f"({text[:20]!r}...)")
        bad = next((c for c in text if ord(c) < 32 or 127 <= ord(c) < 160), None)
        if bad is not None:
            raise argparse.ArgumentTypeError(
                f"control character {bad!r} in {text[:60]!r}: write the value on one "
                f"line")
        return text


class WordOr:
    """``word`` (such as 'all', given as None) or a value of the declared type ``inner``."""

    def __init__(self, word, inner):
        self.word, self.inner = word, inner
        self.__name__ = inner.__name__

    def describe(self):
        return f"{self.word!r} or {self.inner.describe()}"

    def __call__(self, text):
        return None if text == self.word else self.inner(text)


class _Counted(argparse.Action):
    def __init__(self, *args, max_items=MAX_ITEMS, **kwargs):
        self.max_items = max_items
        super().__init__(*args, **kwargs)

    def _check(self, parser, count):
        if count > self.max_items:
            name = "/".join(self.option_strings) or self.metavar or self.dest
            parser.error(f"argument {name}: at most {self.max_items:,} values, got "
                         f"{count:,}")


class Append(_Counted):
    """``action="append"`` with at most ``max_items`` values."""

    def __call__(self, parser, namespace, values, option_string=None):
        items = list(getattr(namespace, self.dest, None) or [])
        items.append(values)
        self._check(parser, len(items))
        setattr(namespace, self.dest, items)


class StoreList(_Counted):
    """A positional or option taking several values (``nargs``), at most ``max_items``."""

    def __call__(self, parser, namespace, values, option_string=None):
        self._check(parser, len(values))
        setattr(namespace, self.dest, values)


# shared declarations
SEED = Whole(-MAX_SEED - 1, MAX_SEED)
COUNT = Whole(1, MAX_COUNT)
JOBS = Whole(1, 64)
BATCH = Whole(1, 100_000)  # 60,000 is a full batch of MNIST
LEARNING_RATE = Real(0.0, 1e6, above=True)
NOISE = Real(0.0, 100.0)   # the Gaussian noise of a generated 2-D set
PATH = Text()


def positive_int(text):
    """A whole number from 1 to MAX_COUNT (kept for plugins and old callers)."""
    return COUNT(text)


def positive_float(text):
    return Real(0.0, 1e300, above=True)(text)


def non_negative_float(text):
    return Real(0.0, 1e300)(text)


def check_budget(what, amount, how, hint=""):
    """PurennError before the work when ``amount`` (described by ``how``, such as
    '--trials 20 x 3 --range') passes ``BUDGETS[what]``."""
    limit = BUDGETS[what]
    if amount > limit:
        raise PurennError(f"{how} makes {amount:,} {what}, over the budget of {limit:,}"
                          f"{'; ' + hint if hint else ''}")


class Span:
    """'LO:HI' as (LO, HI): two finite numbers, LO < HI (an axis range: 0:1)."""

    __name__ = "range"

    def describe(self):
        return "LO:HI, two finite numbers with LO < HI"

    def __call__(self, text):
        if len(text) > 2 * MAX_NUMBER_TEXT + 1:
            raise argparse.ArgumentTypeError(f"expected LO:HI, got {len(text):,} characters "
                                             f"{text[:20]!r}...")
        return _span(text)


def _span(text):
    lo, sep, hi = text.partition(":")
    try:
        value = (float(lo), float(hi)) if sep else None
    except ValueError:
        value = None
    if value is None or not all(map(math.isfinite, value)) or not value[0] < value[1]:
        raise argparse.ArgumentTypeError(f"expected LO:HI, two finite numbers with LO < HI "
                                         f"such as 0:1, got {text!r}")
    return value


class Features:
    """Comma-separated names of ``purenn.data.planar.FEATURES`` (x1,x2,x1^2), each once;
    kept as the text, normalised."""

    __name__ = "features"

    def describe(self):
        from ..data import planar
        return f"comma-separated names of {', '.join(planar.FEATURES)}, each at most once"

    def __call__(self, text):
        from ..data import planar
        if len(text) > MAX_TEXT:
            raise argparse.ArgumentTypeError(f"expected {self.describe()}, got "
                                             f"{len(text):,} characters {text[:20]!r}...")
        try:
            names = planar.check_features(name.strip() for name in text.split(","))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return ",".join(names)


def _whole_or_real(text):
    """A class number as an int, else a target as a float; ValueError for neither."""
    try:
        return int(text)
    except ValueError:
        return float(text)


class AddedPoint:
    """'X,Y,CLASS': a point added to a 2-D training set (as the playground's clicks); for
    a regression set (plane, gauss) the third number is its target, −1 to 1 (the data
    set checks it: ``planar.check_added``)."""

    __name__ = "point"

    def describe(self):
        return ("X,Y,CLASS: two numbers from -10 to 10 and a whole class number (a "
                "target from -1 to 1 for plane, gauss)")

    def __call__(self, text):
        parts = text.split(",") if len(text) <= 3 * MAX_NUMBER_TEXT else []
        try:
            x, y = float(parts[0]), float(parts[1])
            label = _whole_or_real(parts[2])
            if len(parts) != 3 or not all(math.isfinite(v) and abs(v) <= 10 for v in (x, y)):
                raise ValueError
        except (ValueError, IndexError):
            raise argparse.ArgumentTypeError(f"expected {self.describe()}, got "
                                             f"{text[:40]!r}") from None
        return (x, y, label)


limits = Span()
RATIO = Whole(10, 90)   # the 2-D sets' percentage of points for training
FEATURES = Features()
ADDED_POINT = AddedPoint()
# every option takes one of these
DECLARED = (Whole, Real, Text, WordOr, Span, Features, AddedPoint)


def print_warning(message, stream=None):
    """'warning: ...' on stderr, wrapped to fit an 80-column terminal."""
    import sys
    import textwrap

    print(textwrap.fill(f"warning: {message}", width=79, subsequent_indent="  ",
                        break_long_words=False, break_on_hyphens=False),
          file=stream or sys.stderr, flush=True)
