"""Where layers, losses, optimizers and initializers come from: entry points.

Each kind of part is an entry-point group. purenn declares its own parts in its
``setup.cfg`` like any plugin; a clone that was never installed has no metadata, so the
same declarations are kept here (``BUILTINS``, checked against setup.cfg by the tests)
and turned into the same ``EntryPoint`` objects: one loading path either way.

Entry points are found eagerly (names only, cheap) and imported lazily, on first use.
A plugin that fails to import is reported by name and distribution when it is used and
breaks neither the others nor the listing; two distributions claiming one name, or a
plugin claiming a built-in's name, is an error naming both.
"""

import difflib
from dataclasses import dataclass
from importlib import metadata

from .errors import PluginError

BUILTINS = {
    "purenn.layers": {
        "dense": "purenn.layers:Dense",
        "relu": "purenn.layers:ReLU",
        "sigmoid": "purenn.layers:Sigmoid",
        "tanh": "purenn.layers:Tanh",
        "softmax": "purenn.layers:Softmax",
    },
    "purenn.losses": {
        "softmax_cross_entropy": "purenn.losses:SoftmaxCrossEntropy",
        "mean_squared_error": "purenn.losses:MeanSquaredError",
    },
    "purenn.optimizers": {
        "sgd": "purenn.optimizers:SGD",
    },
    "purenn.initializers": {
        "normal": "purenn.init:normal",
        "xavier": "purenn.init:xavier",
        "he": "purenn.init:he",
    },
}

KIND = {
    "purenn.layers": "layer",
    "purenn.losses": "loss",
    "purenn.optimizers": "optimizer",
    "purenn.initializers": "initializer",
}

OWN_DISTRIBUTION = "purenn"


@dataclass
class Entry:
    """One registered part: its name, the ``module:attr`` it points at, and its origin."""

    group: str
    name: str
    value: str
    distribution: str
    version: str
    entry_point: metadata.EntryPoint
    clash: str = ""

    @property
    def builtin(self):
        return self.distribution == OWN_DISTRIBUTION


_found = {}
_loaded = {}


def _own_version():
    from . import __version__
    return __version__


def discover(group):
    """All entries of a group, name → Entry, built-ins first; found once, then cached."""
    if group in _found:
        return _found[group]
    entries = {}
    for name, value in BUILTINS[group].items():
        ep = metadata.EntryPoint(name=name, value=value, group=group)
        entries[name] = Entry(group, name, value, OWN_DISTRIBUTION, _own_version(), ep)
    for ep in metadata.entry_points(group=group):
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else "?"
        dist_version = dist.version if dist is not None else "?"
        if dist_name == OWN_DISTRIBUTION:
            continue  # an installed purenn declares the same built-ins as BUILTINS
        known = entries.get(ep.name)
        if known is None:
            entries[ep.name] = Entry(group, ep.name, ep.value, dist_name, dist_version, ep)
        elif (known.distribution, known.value) != (dist_name, ep.value):
            what = "the built-in" if known.builtin else "distribution"
            known.clash = (f"{KIND[group]} {ep.name!r} is claimed by {what} "
                           f"{known.distribution!r} ({known.value}) and by distribution "
                           f"{dist_name!r} ({ep.value})")
    _found[group] = entries
    return entries


def names(group):
    return sorted(discover(group))


def unknown_name_message(group, name):
    """``unknown layer 'rleu'; did you mean 'relu'? (known: dense, relu, ...)``"""
    known = names(group)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {KIND[group]} {name!r}{hint} (known: {', '.join(known)})"


def find(group, name):
    """The Entry for a name, or PluginError saying what is known instead."""
    entry = discover(group).get(name)
    if entry is None:
        raise PluginError(unknown_name_message(group, name))
    if entry.clash:
        raise PluginError(entry.clash)
    return entry


def load_entry(group, name):
    """Import and return the class or function registered under ``name`` in ``group``."""
    key = (group, name)
    if key in _loaded:
        return _loaded[key]
    entry = find(group, name)
    try:
        obj = entry.entry_point.load()
    except Exception as exc:  # a broken plugin must not take the others down
        raise PluginError(f"{KIND[group]} {name!r} from distribution {entry.distribution!r} "
                          f"failed to import ({entry.value}): {type(exc).__name__}: {exc}"
                          ) from exc
    _loaded[key] = obj
    return obj


def clear_cache():
    """Forget what was found and loaded (for tests that install plugins on the fly)."""
    _found.clear()
    _loaded.clear()
