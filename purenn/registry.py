"""Where layers, losses, optimizers and initializers come from: entry points.

Each kind of part is an entry-point group. purenn declares its own parts in its
``setup.cfg`` like any plugin; a clone that was never installed has no metadata, so the
same declarations are kept here (``BUILTINS``, checked against setup.cfg by the tests)
and turned into the same ``EntryPoint`` objects: one loading path either way.

Entry points are found eagerly (names only, cheap) and imported lazily, on first use.
A plugin that fails to import is reported by name and distribution when it is used and
breaks neither the others nor the listing. Two distributions claiming one name make that
name an error naming both. A plugin claiming a built-in's name is ignored and shown as
such by ``python3 -m purenn plugins``: a plugin cannot replace a built-in.
"""

import re
from dataclasses import dataclass

from .errors import PluginError

BUILTINS = {
    "purenn.layers": {
        "dense": "purenn.layers:Dense",
        "relu": "purenn.layers:ReLU",
        "sigmoid": "purenn.layers:Sigmoid",
        "tanh": "purenn.layers:Tanh",
        "softmax": "purenn.layers:Softmax",
        "dropout": "purenn.layers:Dropout",
        "batchnorm": "purenn.layers:BatchNorm",
    },
    "purenn.losses": {
        "softmax_cross_entropy": "purenn.losses:SoftmaxCrossEntropy",
        "mean_squared_error": "purenn.losses:MeanSquaredError",
        "multiclass_svm": "purenn.losses:MulticlassSVM",
    },
    "purenn.optimizers": {
        "sgd": "purenn.optimizers:SGD",
        "momentum": "purenn.optimizers:Momentum",
        "nesterov": "purenn.optimizers:Nesterov",
        "adagrad": "purenn.optimizers:AdaGrad",
        "rmsprop": "purenn.optimizers:RMSprop",
        "adam": "purenn.optimizers:Adam",
        "adamw": "purenn.optimizers:AdamW",
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


# Names a spec line can use: lower case, as the spec reads its first word in lower case.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")
# Words of the spec language that no layer may be called.
RESERVED_LAYER_NAMES = ("input", "loss", "optimizer")

# What each kind of part must have to be used (see plugins/README.md for the contract).
CONTRACT = {
    "purenn.layers": ("build", "forward", "backward"),
    "purenn.losses": ("forward", "backward"),
    "purenn.optimizers": ("step",),
    "purenn.initializers": (),
}


@dataclass
class Entry:
    """One registered part: its name, the ``module:attr`` it points at, and its origin.

    ``clash`` says why the name cannot be used (two distributions claim it); ``ignored``
    says why this claim is not used at all (it names a built-in, or an impossible name).
    """

    group: str
    name: str
    value: str
    distribution: str
    version: str
    entry_point: object  # an importlib.metadata.EntryPoint
    clash: str = ""
    ignored: str = ""

    @property
    def builtin(self):
        return self.distribution == OWN_DISTRIBUTION

    @property
    def origin(self):
        return f"{self.distribution!r} ({self.value})"


_found = {}
_ignored = {}
_loaded = {}


def _own_version():
    from . import __version__
    return __version__


def _entry_points(group):
    """(entry point, its distribution or None) for every installed entry point of a group."""
    from importlib import metadata
    try:
        return [(ep, getattr(ep, "dist", None)) for ep in metadata.entry_points(group=group)]
    except TypeError:  # Python 3.9: no selection, and an entry point knows no distribution
        found, seen = [], set()
        for dist in metadata.distributions():
            name = re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower()
            if name not in seen:  # the first one on sys.path wins, as 3.10+ choose
                seen.add(name)
                found.extend((ep, dist) for ep in dist.entry_points if ep.group == group)
        return found


def _distribution_of(dist):
    if dist is None:
        return "?", "?"
    return dist.metadata["Name"] or "?", dist.version or "?"


def _bad_name(group, name):
    """Why a plugin's name cannot be used in a spec, or ''."""
    if not NAME_PATTERN.match(name):
        return (f"{KIND[group]} name {name!r} cannot be written in a spec: use lower-case "
                f"letters, digits and '_', starting with a letter")
    if group == "purenn.layers" and name in RESERVED_LAYER_NAMES:
        return f"{name!r} is a word of the spec language, not a layer name"
    return ""


def discover(group):
    """All usable entries of a group, name → Entry, built-ins first; found once, then
    cached. Claims that are never used are kept in ``ignored(group)``."""
    from importlib import metadata  # not at import: slow to import (docs/speed.md)
    if group in _found:
        return _found[group]
    entries, ignored = {}, []
    for name, value in BUILTINS[group].items():
        ep = metadata.EntryPoint(name=name, value=value, group=group)
        entries[name] = Entry(group, name, value, OWN_DISTRIBUTION, _own_version(), ep)
    for ep, dist in _entry_points(group):
        dist_name, dist_version = _distribution_of(dist)
        if dist_name == OWN_DISTRIBUTION:
            continue  # an installed purenn declares the same built-ins as BUILTINS
        entry = Entry(group, ep.name, ep.value, dist_name, dist_version, ep)
        known = entries.get(ep.name)
        if _bad_name(group, ep.name):
            entry.ignored = _bad_name(group, ep.name)
            ignored.append(entry)
        elif known is None:
            entries[ep.name] = entry
        elif known.builtin:
            entry.ignored = (f"{KIND[group]} {ep.name!r} of distribution {entry.origin} "
                             f"is ignored: it is the name of a built-in "
                             f"({known.value}); a plugin cannot replace a built-in")
            ignored.append(entry)
        elif (known.distribution, known.value) != (dist_name, ep.value):
            known.clash = (f"{KIND[group]} {ep.name!r} is claimed by two distributions: "
                           f"{known.origin} and {entry.origin}; uninstall one of them")
            entry.clash = known.clash
            ignored.append(entry)
    _found[group] = entries
    _ignored[group] = ignored
    return entries


def ignored(group):
    """Entries of a group that are not used: a clash's second claim, a claim on a
    built-in's name, a name no spec can write."""
    discover(group)
    return _ignored[group]


def names(group):
    return sorted(discover(group))


def unknown_name_message(group, name):
    """``unknown layer 'rleu'; did you mean 'relu'? (known: dense, relu, ...)``"""
    known = names(group)
    import difflib  # only when a name is wrong

    close = difflib.get_close_matches(str(name).lower(), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {KIND[group]} {name!r}{hint} (known: {', '.join(known)})"


def find(group, name):
    """The Entry for a name, or PluginError saying what is known instead. Names are
    lower case; any case finds them (``SGD`` is ``sgd``)."""
    entry = discover(group).get(name.lower() if isinstance(name, str) else name)
    if entry is None:
        raise PluginError(unknown_name_message(group, name))
    if entry.clash:
        raise PluginError(entry.clash)
    return entry


def contract_problem(group, obj):
    """Why a loaded object cannot serve as a part of this group, or ''."""
    if not callable(obj):
        return f"it is an object of type {type(obj).__name__!r}, not a class or function"
    missing = [m for m in CONTRACT[group] if not callable(getattr(obj, m, None))]
    if missing:
        return f"it has no {', '.join(repr(m) for m in missing)} method"
    return ""


def load_entry(group, name):
    """Import and return the class or function registered under ``name`` in ``group``."""
    key = (group, name)
    if key in _loaded:
        return _loaded[key]
    entry = find(group, name)
    where = f"{KIND[group]} {name!r} from distribution {entry.origin}"
    try:
        obj = entry.entry_point.load()
    except BaseException as exc:  # noqa: B036 - a plugin calling sys.exit() (SystemExit)
        # or raising KeyboardInterrupt at import must not end the listing or the run
        # either: it is broken like any other
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise PluginError(f"{where} failed to import: {detail}") from None
    problem = contract_problem(group, obj)
    if problem:
        raise PluginError(f"{where} is not a {KIND[group]}: {problem}")
    _loaded[key] = obj
    return obj


def kind_of(part, group):
    """The name a layer, loss or optimizer is registered under in ``group``: its ``kind``
    (set when it was made from a name, as ``purenn.spec`` does), else the name of the
    entry whose target is its class; None for a part that is not registered."""
    kind = getattr(part, "kind", None)
    if kind:
        return kind
    target = f"{type(part).__module__}:{type(part).__qualname__}"
    for entry in discover(group).values():
        if entry.value.replace(" ", "") == target:
            return entry.name
    return None


def status(entry):
    """'ok', or what is wrong with an entry (clash, ignored, import or contract failure);
    imports the entry's module to find out."""
    if entry.clash or entry.ignored:
        return entry.clash or entry.ignored
    try:
        load_entry(entry.group, entry.name)
    except PluginError as exc:
        return str(exc)
    return "ok"


def clear_cache():
    """Forget what was found and loaded (for tests that install plugins on the fly)."""
    _found.clear()
    _ignored.clear()
    _loaded.clear()
