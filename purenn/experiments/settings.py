"""Settings of an experiment as edits of spec text: ``--set`` sweeps and ``--range`` draws.

A setting names a spec line and, after a dot, one of its arguments:

- ``optimizer=adam``: the optimizer line becomes ``optimizer adam`` (its old arguments
  go: each optimizer starts from its own defaults, as in the book's comparison);
- ``optimizer.lr=0.01`` (or ``lr=0.01``): one argument of the optimizer line;
- ``loss.weight_decay=0.1`` (or ``weight_decay=0.1``): the loss line's weight decay;
- ``dense.init=he``: that argument on every ``dense`` line; ``dense2.units=50``: on the
  layer named ``dense2`` only (layers are named kind + index unless they say ``name=``);
- ``sigmoid=relu``: every ``sigmoid`` line becomes a ``relu`` line.

The edits themselves are ``purenn.spec``'s (``set_argument``, ``replace_kind``,
``set_optimizer``): they work on the text, line by line, so the edited spec reads like one
a learner writes and is checked by the spec reader like any other. Values are written as
given.
"""

import itertools
import math
from dataclasses import dataclass

from ..errors import PurennError, SpecError
from ..spec import replace_kind, set_argument, set_optimizer, tokenize

ALIASES = {"lr": "optimizer.lr", "weight_decay": "loss.weight_decay"}


def parse_assignment(text, option="--set"):
    """'dense.init=normal,xavier,he' -> ('dense.init', ['normal', 'xavier', 'he'])."""
    key, eq, values = text.partition("=")
    key = key.strip()
    if not eq or not key or not values.strip():
        raise PurennError(f"{option} {text!r}: write KEY=VALUE[,VALUE...], such as "
                          f"optimizer=sgd,adam or dense.init=he")
    if any(ord(c) < 32 for c in text):
        raise PurennError(f"{option} {text!r}: a control character (a newline?) in the "
                          f"setting; write it on one line")
    items = [v.strip() for v in values.split(",")]
    if any(not v for v in items):
        raise PurennError(f"{option} {text!r}: an empty value between commas")
    return ALIASES.get(key, key), items


def edit_spec(text, key, value, source="<spec>"):
    """``text`` with one setting changed (see the module docstring; the edits themselves
    are ``purenn.spec``'s); PurennError when the spec has no line the key names."""
    tokenize(text, source)   # a spec that does not read fails as it is, with its line
    part, dot, arg = key.partition(".")
    if not part or (dot and not arg):
        raise PurennError(f"--set {key}={value}: name a spec line and an argument, such as "
                          f"optimizer.lr or dense.init")
    if part == "optimizer" and not dot:
        words = value.split()
        if not words:
            raise PurennError(f"--set optimizer={value!r}: name an optimizer")
        return set_optimizer(text, words, source)
    if not dot:   # a layer kind replaced by another: sigmoid=relu
        if " " not in value.strip() and "=" not in value:
            try:
                return replace_kind(text, part, value.strip(), source)
            except SpecError:
                pass
        raise PurennError(f"--set {key}={value}: name an argument after a dot, such as "
                          f"{key}.lr, or a layer kind of the spec to replace, such as "
                          f"sigmoid=relu")
    try:
        return set_argument(text, part, arg, value, source)
    except SpecError as exc:
        raise PurennError(f"--set {key}={value}: {exc}") from None


def apply_settings(text, settings, source="<spec>"):
    """``text`` with every (key, value) of ``settings`` applied in order (whole
    optimizer replacements first, so that ``optimizer.lr`` applies to the new one)."""
    ordered = sorted(settings, key=lambda kv: kv[0] != "optimizer")
    for key, value in ordered:
        text = edit_spec(text, key, value, source)
    return text


def combinations(assignments):
    """How many runs ``sweep(assignments)`` makes, counted before making them."""
    return math.prod(len(values) for _, values in assignments)


def sweep(assignments):
    """Every combination of the ``--set`` values, in order: a list of [(key, value)]."""
    if not assignments:
        return [[]]
    keys = [k for k, _ in assignments]
    return [list(zip(keys, combo)) for combo in
            itertools.product(*(values for _, values in assignments))]


def label(settings):
    """'optimizer=adam, lr=0.001' (keys shortened to what a learner typed)."""
    short = {v: k for k, v in ALIASES.items()}
    return ", ".join(f"{short.get(k, k)}={v}" for k, v in settings)


# setting names that say what they are without their layer ('std=0.01', not
# 'ratio=0.2' for dropout.ratio)
SAID_ALONE = {"std", "init", "lr", "weight_decay", "momentum", "beta1", "beta2", "units"}


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def short_labels(combos):
    """(labels, shared) for runs that differ in ``combos`` (each a list of (key, value)):
    a run's label names only the settings that differ between the runs, as a reader of
    the book's figures knows them: a number with the last part of its key ('std=0.01'
    for dense.std; the whole key where two would read alike or the name needs its layer:
    dropout.ratio=0.2), a word alone ('adam' for
    optimizer=adam, 'he' for dense.init=he); ``shared`` is the label of the settings all
    runs have in common ('' if none)."""
    keys = list(dict.fromkeys(k for combo in combos for k, _ in combo))
    varied = [k for k in keys if len({dict(c).get(k) for c in combos}) > 1]
    alias = {v: k for k, v in ALIASES.items()}
    tails = [alias.get(k, k).rsplit(".", 1)[-1] for k in varied]
    names = {k: t if tails.count(t) == 1 and t in SAID_ALONE else alias.get(k, k)
             for k, t in zip(varied, tails)}
    labels = []
    for combo in combos:
        parts = [v if not _is_number(v) else f"{names[k]}={v}"
                 for k, v in combo if k in names]
        labels.append(", ".join(parts))
    shared = label([(k, v) for k, v in (combos[0] if combos else []) if k not in names])
    return labels, shared


@dataclass
class Range:
    """A setting drawn at random: uniformly in [low, high], or log-uniformly
    (10 ** uniform(log10 low, log10 high), the book's search); whole numbers when both
    ends are written as whole numbers and the range is not log."""

    key: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def draw(self, rng):
        if self.log:
            return 10 ** rng.uniform(math.log10(self.low), math.log10(self.high))
        if self.integer:
            return rng.randint(int(self.low), int(self.high))
        return rng.uniform(self.low, self.high)


def parse_range(text):
    """'lr=1e-6:1e-2:log' -> Range('optimizer.lr', 1e-06, 0.01, log=True)."""
    key, eq, spec = text.partition("=")
    key = ALIASES.get(key.strip(), key.strip())
    parts = spec.split(":")
    hint = "write KEY=LOW:HIGH or KEY=LOW:HIGH:log, such as lr=1e-6:1e-2:log"
    if not eq or not key or len(parts) not in (2, 3) or (len(parts) == 3
                                                         and parts[2] != "log"):
        raise PurennError(f"--range {text!r}: {hint}")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise PurennError(f"--range {text!r}: {parts[0]!r} and {parts[1]!r} must be "
                          f"numbers; {hint}") from None
    log = len(parts) == 3
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        raise PurennError(f"--range {text!r}: LOW must be at most HIGH, both finite")
    if log and low <= 0:
        raise PurennError(f"--range {text!r}: a log range needs LOW > 0")
    integer = not log and all(p.strip().lstrip("-").isdigit() for p in parts[:2])
    return Range(key, low, high, log, integer)


def draw_trials(ranges, trials, rng):
    """``trials`` lists of (key, value text), each range drawn in order from ``rng``
    (all drawn before any training, so the trials do not depend on --jobs)."""
    out = []
    for _ in range(trials):
        out.append([(r.key, str(r.draw(rng)) if r.integer else repr(r.draw(rng)))
                    for r in ranges])
    return out


def trial_seed(seed, n, trials):
    """The seed of trial ``n`` (from 1) of a search with ``seed``: ``seed * 1000 + n``
    (``seed * 10**k + n`` when there are 1000 trials or more, 10**k above their count),
    so that every trial draws its own weights and batches, and the seed can be read
    off the trial's number."""
    scale = 10 ** max(3, len(str(trials)))
    return seed * scale + n
