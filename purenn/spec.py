"""The plain-text network spec: read it, check it, write it back.

One line per layer, read top to bottom; ``#`` starts a comment::

    # two-layer net of "Deep Learning from Scratch", chapter 5
    input 784
    dense 50
    relu
    dense 10
    loss softmax_cross_entropy
    optimizer sgd lr=0.1

The first word names the part (``input``, a layer, ``loss``, ``optimizer``); every other
word is a positional value or ``key=value``. Values read as int, float, bool
(``true``/``false``) or string. A layer may take ``name=`` (default: kind plus index, as
``dense1``); ``loss`` may take ``weight_decay=λ``. ``input`` takes a shape: ``784`` or
``1x28x28``. Every error names the source and line. Without an ``optimizer`` line the
network trains with ``sgd`` at its defaults (lr = 0.01).

    read(ref)          (text, source) of spec text, a spec file or a shipped spec's name
    parse(text)        a ``Spec``: the input shape and the lines, checked
    build(ref)         the ``Network`` a spec describes (``purenn.build``)
    write(net)         spec text that builds the same network again
    make_part(group, words)   one layer or loss from a spec line's words
    shipped_specs()    the names of the specs inside the package
    set_argument(text, part, arg, value), replace_kind(text, kind, new),
    set_optimizer(text, words)   spec text edited line by line (``--set``)
    default_layer_names(kinds)   the names layers get without ``name=``: dense1, relu1, ...

Arguments are checked against the ``__init__`` signature of the class a name is
registered for (its parameters after ``self``, after ``params`` for an optimizer): unknown,
missing and duplicate arguments are errors, and an annotation of ``int``, ``float``,
``bool`` or ``str`` (or such a type ``| None``) is the type the value must have.
"""

import difflib
import inspect
import math
import os
import random
import re
import types
import typing
import warnings
from dataclasses import dataclass, field

from . import registry
from .errors import PluginError, PurennError, SpecError
from .network import LayerBuildError, Network, TooManyParameters

SPEC_SUFFIX = ".net"
DEFAULT_OPTIMIZER = "sgd"
LAYERS, LOSSES, OPTIMIZERS = "purenn.layers", "purenn.losses", "purenn.optimizers"
RESERVED_LAYER_ARGS = ("name",)
RESERVED_LOSS_ARGS = ("weight_decay",)
LAYER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
SIMPLE_TYPES = (int, float, bool, str)
# The most numbers (parameters and buffers, and per-sample activations) a spec may ask
# for: 2 GiB of float64 (268,435,456). A Python list of that many floats takes about
# four times as much memory, so this is already far past what a pure-Python network
# trains in any reasonable time. PURENN_MAX_PARAMETERS=N sets another limit.
MAX_PARAMETERS = 1 << 28
LIMIT_ENV = "PURENN_MAX_PARAMETERS"
SHOW = 80  # characters of a bad value shown in a message


# what one number costs in a Python list: an 8-byte slot and a 24-byte float object
BYTES_PER_NUMBER = 32


def memory_numbers():
    """How many numbers this machine's memory could hold in Python lists (None when the
    system does not say): a raised PURENN_MAX_PARAMETERS is capped there, so that a
    network too big for the machine is refused in one line before it is built."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return total // BYTES_PER_NUMBER if total > 0 else None


def parameter_limit():
    """The most numbers a spec may build: PURENN_MAX_PARAMETERS if set (at most what
    ``memory_numbers`` says the memory holds), else ``MAX_PARAMETERS``."""
    text = os.environ.get(LIMIT_ENV, "").strip()
    if not text:
        return MAX_PARAMETERS
    try:
        value = int(text.replace("_", "")) if len(text) <= 40 else 0
    except ValueError:
        value = 0
    if value < 1:
        raise SpecError(f"{LIMIT_ENV}={text[:SHOW]!r} must be a whole number ≥ 1 (the most "
                        f"parameters a network may have)")
    held = memory_numbers()
    return min(value, max(held, MAX_PARAMETERS)) if held else value


def _short(value):
    text = repr(value)
    return text if len(text) <= SHOW else text[:SHOW - 3] + "..."


class SpecWarning(UserWarning):
    """A spec that builds but is probably not what was meant (``net.spec_warnings``)."""


def check_warnings(parsed, loss_kind):
    """Messages, each naming its line, about specs that build but train badly."""
    found = []
    last = parsed.layers[-1] if parsed.layers else None
    if last is not None and last.keyword == "softmax" and loss_kind == "softmax_cross_entropy":
        found.append(f"{last.where()}: 'softmax' as the last layer before 'loss "
                     f"softmax_cross_entropy' applies softmax twice (the loss applies it "
                     f"itself), which slows or stops learning; remove the softmax line")
    return found


@dataclass
class Line:
    """One meaningful spec line: its keyword, values, and where it stands."""

    keyword: str
    positional: list
    named: dict
    lineno: int
    source: str

    def where(self):
        return f"{self.source}:{self.lineno}"

    def error(self, message):
        return SpecError(f"{self.where()}: {message}")


@dataclass
class Spec:
    """A parsed spec: the input shape, the layer lines, the loss and optimizer lines."""

    source: str
    input_shape: tuple
    layers: list = field(default_factory=list)
    loss: Line = None
    optimizer: Line = None


def parse_value(word):
    """'50' → 50, '0.1' → 0.1, 'true' → True, anything else stays a string."""
    low = word.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(word)
    except ValueError:
        pass
    try:
        value = float(word)
    except ValueError:
        return word
    return value if math.isfinite(value) else word


def parse_shape(word, line):
    parts = word.lower().split("x")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if not shape or any(d < 1 for d in shape):
        raise line.error(f"input shape must be positive sizes such as 784 or 1x28x28, "
                         f"got {_short(word)}")
    limit, size = parameter_limit(), 1
    for d in shape:
        size *= d
        if size > limit:
            raise line.error(f"input {_short(word)} is over {limit:,} numbers per sample, "
                             f"the limit ({LIMIT_ENV} sets another)")
    return shape


def tokenize(text, source):
    """The meaningful lines of a spec text as ``Line`` objects."""
    lines = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        line = Line(words[0].lower(), [], {}, lineno, source)
        for word in words[1:]:
            key, eq, value = word.partition("=")
            if eq:
                if not key or not value:
                    raise line.error(f"malformed argument {word!r}; write key=value")
                if key in line.named:
                    raise line.error(f"argument {key!r} is given twice")
                line.named[key] = parse_value(value)
            elif line.named:
                raise line.error(f"positional value {word!r} after key=value arguments")
            else:
                line.positional.append(parse_value(word))
        lines.append(line)
    return lines


def parse(text, source="<spec>"):
    """Read spec text into a ``Spec``; SpecError names the line of the first problem."""
    spec = None
    lines = tokenize(text, source)
    for line in lines:
        if line.keyword == "input":
            if spec is not None:
                raise line.error("'input' is given twice")
            if len(line.positional) != 1 or line.named:
                raise line.error("'input' takes one shape, such as 'input 784' or "
                                 "'input 1x28x28'")
            spec = Spec(source, parse_shape(str(line.positional[0]), line))
            continue
        if spec is None:
            raise line.error(f"the spec must start with 'input SHAPE', not {line.keyword!r}")
        if line.keyword in ("loss", "optimizer"):
            if getattr(spec, line.keyword) is not None:
                raise line.error(f"{line.keyword!r} is given twice")
            if not line.positional or not isinstance(line.positional[0], str):
                raise line.error(f"'{line.keyword}' needs a name, such as "
                                 f"'{line.keyword} {default_name(line.keyword)}'")
            setattr(spec, line.keyword, line)
        else:
            if spec.loss is not None:
                raise line.error(f"layer {line.keyword!r} comes after the loss line")
            spec.layers.append(line)
    if spec is None:
        raise SpecError(f"{source}: the spec is empty; it needs an 'input SHAPE' line, "
                        f"layers and a 'loss' line")
    if spec.loss is None:
        raise lines[-1].error("the spec ends without a 'loss' line, such as "
                              "'loss softmax_cross_entropy'")
    return spec


def default_name(keyword):
    return {"loss": "softmax_cross_entropy", "optimizer": DEFAULT_OPTIMIZER}[keyword]


def _signature_params(target, skip):
    try:
        sig = inspect.signature(target, eval_str=True)
    except (NameError, SyntaxError, TypeError):  # an annotation that cannot be evaluated
        sig = inspect.signature(target)
    return [p for p in list(sig.parameters.values())[skip:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _allowed_types(annotation):
    """The simple types an annotation admits: (int,) for ``int`` or ``int | None``;
    () when the annotation is absent or says nothing a spec value can be checked against."""
    if annotation in SIMPLE_TYPES:
        return (annotation,)
    union_type = getattr(types, "UnionType", None)  # int | None, Python 3.10+
    if (union_type is not None and isinstance(annotation, union_type)) or \
            typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if args and all(a in SIMPLE_TYPES for a in args):
            return tuple(args)
    return ()


def _check_type(value, param, kind, line):
    """The value converted to what the parameter's annotation asks for, or SpecError."""
    allowed = _allowed_types(param.annotation)
    if not allowed or type(value) in allowed:
        return value
    if str in allowed:
        return format_value(value)  # a name that happens to read as a number: 'init=2'
    if float in allowed and type(value) is int:
        try:
            return float(value)
        except OverflowError:
            raise line.error(f"argument {param.name!r} of {kind} is {_short(value)}, past "
                             f"the largest float") from None
    expected = " or ".join(t.__name__ for t in allowed)
    raise line.error(f"argument {param.name!r} of {kind} must be {expected}, got "
                     f"{_short(value)}")


def bind(target, line, values, skip, kind, reserved=()):
    """Match a line's values to the parameters of a class (or function) the way Python
    would, checking unknown, missing and duplicate arguments and simple types."""
    params = _signature_params(target, skip)
    names = [p.name for p in params]
    if len(values) > len(params):
        raise line.error(f"{kind} takes at most {len(params)} positional value(s) "
                         f"({', '.join(names) or 'none'}), got {len(values)}")
    kwargs = {}
    for param, value in zip(params, values):
        kwargs[param.name] = value
    for key, value in line.named.items():
        if key in reserved:
            continue
        if key not in names:
            hint = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean {hint[0]!r}?" if hint else ""
            raise line.error(f"{kind} has no argument {key!r}{hint} "
                             f"(arguments: {', '.join(names + list(reserved)) or 'none'})")
        if key in kwargs:
            raise line.error(f"argument {key!r} of {kind} is given twice")
        kwargs[key] = value
    by_name = {p.name: p for p in params}
    for param in params:
        if param.name not in kwargs and param.default is inspect.Parameter.empty:
            raise line.error(f"{kind} needs argument {param.name!r}")
    return {k: _check_type(v, by_name[k], kind, line) for k, v in kwargs.items()}


def layer_name(line, default):
    """The ``name=`` of a layer line (checked: it becomes the prefix of parameter keys such
    as ``dense1.W``), or the default."""
    name = line.named.get("name", default)
    if not isinstance(name, str) or not LAYER_NAME.match(name):
        raise line.error(f"layer name must be letters, digits, '_' or '-', starting with a "
                         f"letter, got {name!r}")
    return name


def make_part(group, text, source="<line>"):
    """A layer or loss from one spec line's words after the keyword, such as
    ``make_part("purenn.layers", "conv2d 8 kernel=3")`` (a layer is not built yet); for
    ``purenn.optimizers`` what makes the optimizer for a network's parameters."""
    lines = tokenize(text, source)
    if len(lines) != 1:
        raise SpecError(f"{source}: expected one spec line, got {text!r}")
    line = lines[0]
    return _part(group, line, line.keyword, line.positional)


def _part(group, line, kind, values, reserved=()):
    """The part a line names (its class looked up in ``group``, arguments bound and
    checked), with ``kind`` set; for optimizers the function that makes one."""
    cls = load(group, kind, line)
    if group == OPTIMIZERS:
        return optimizer_maker(cls, kind, bind(cls, line, values, 1, kind), line)
    return _construct(cls, bind(cls, line, values, 0, kind, reserved), kind, line, group)


def _construct(cls, args, kind, line, group=None):
    try:
        part = cls(**args)
    except (PurennError, ValueError) as exc:
        raise line.error(str(exc)) from None
    except Exception as exc:
        raise line.error(_plugin_failure(group, kind, exc)) from exc
    part.kind = kind
    return part


def _plugin_failure(group, kind, exc):
    """What a plugin's constructor raised, naming the plugin; a built-in's error is
    raised as it is (a bug, not bad input)."""
    entry = registry.discover(group).get(kind) if group else None
    if entry is None or entry.builtin:
        raise exc
    return (f"{registry.KIND[group]} {kind!r} from distribution {entry.origin} failed: "
            f"{type(exc).__name__}: {exc}")


def optimizer_maker(cls, kind, args, line=None):
    """``make(params)``: the optimizer ``cls(params, **args)`` with its ``kind`` set; a
    ValueError of the arguments is reported at ``line``."""
    def make(params):
        try:
            optimizer = cls(params, **args)
        except ValueError as exc:
            if line is None:
                raise
            raise line.error(str(exc)) from None
        except PurennError:
            raise
        except Exception as exc:
            message = _plugin_failure(OPTIMIZERS, kind, exc)
            raise (line.error(message) if line else PluginError(message)) from exc
        optimizer.kind = kind
        return optimizer
    return make


def make_optimizer(kind, args):
    """``make(params)`` for the optimizer registered as ``kind`` with ``args``."""
    kind = kind.lower()
    return optimizer_maker(registry.load_entry(OPTIMIZERS, kind), kind, dict(args))


def load(group, name, line):
    try:
        return registry.load_entry(group, name)
    except PluginError as exc:
        raise line.error(str(exc)) from None


def format_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def format_line(keyword, target, config, skip, extra=()):
    """A spec line for a part: required arguments positional, others as key=value when
    they differ from their defaults; ``extra`` pairs are appended as key=value."""
    words = [keyword]
    for param in _signature_params(target, skip):
        if param.name not in config:
            continue
        value = config[param.name]
        if param.default is inspect.Parameter.empty:
            words.append(format_value(value))
        elif value != param.default:
            words.append(f"{param.name}={format_value(value)}")
    words.extend(f"{k}={format_value(v)}" for k, v in extra)
    return " ".join(words)


def part_kind(obj, group):
    """The registered name of a layer, loss or optimizer (``registry.kind_of``), or
    SpecError when it has none."""
    kind = registry.kind_of(obj, group)
    if kind:
        return kind
    raise SpecError(f"{type(obj).__name__} is not registered under {group!r}")


# -- specs by name, building, writing back --------------------------------------------------
def shipped_specs():
    """Names of the spec files shipped inside the package (``purenn/specs/*.net``)."""
    from importlib import resources

    folder = resources.files("purenn") / "specs"
    return sorted(p.name[:-len(SPEC_SUFFIX)] for p in folder.iterdir()
                  if p.name.endswith(SPEC_SUFFIX))


def read(spec_ref):
    """(text, source) for spec text, a spec file path, or the name of a shipped spec."""
    if "\n" in spec_ref:
        return spec_ref, "<spec>"
    if os.path.isfile(spec_ref):
        from .fileio import open_regular

        try:
            with open_regular(spec_ref, SpecError) as f:
                return f.read().decode("utf-8"), spec_ref
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"cannot read spec file {_short(spec_ref)}: {exc}") from None
    name = spec_ref[:-len(SPEC_SUFFIX)] if spec_ref.lower().endswith(SPEC_SUFFIX) else spec_ref
    name = name.lower()
    if name in shipped_specs():
        from importlib import resources

        path = resources.files("purenn") / "specs" / (name + SPEC_SUFFIX)
        return path.read_text(encoding="utf-8"), name + SPEC_SUFFIX
    if " " not in spec_ref.strip():
        close = difflib.get_close_matches(name, shipped_specs(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SpecError(f"no spec file or shipped spec named {_short(spec_ref)}{hint} "
                        f"(shipped: {', '.join(shipped_specs())})")
    return spec_ref, "<spec>"


def build(spec_ref, *, seed=0, rng=None, max_params=None, limit_note=None):
    """Build a network from spec text, a spec file path or a shipped spec's name.

    Parameters are drawn from ``rng`` (or ``random.Random(seed)``). The network's
    ``source`` says where the spec came from. A layer that would take the network past
    ``max_params`` numbers (default ``parameter_limit()``) is refused at its line before
    it allocates anything; ``limit_note`` says where the limit comes from.
    """
    if max_params is None:
        max_params = parameter_limit()
        limit_note = limit_note or f"{LIMIT_ENV} sets another limit"
    text, source = read(spec_ref)
    parsed = parse(text, source)
    rng = rng if rng is not None else random.Random(seed)
    layers, seen = [], set()
    defaults = default_layer_names(line.keyword for line in parsed.layers)
    for line, default in zip(parsed.layers, defaults):
        kind = line.keyword
        cls = load(LAYERS, kind, line)
        args = bind(cls, line, line.positional, 0, kind, RESERVED_LAYER_ARGS)
        name = layer_name(line, default)
        if name in seen:
            raise line.error(f"layer name {name!r} is used twice")
        seen.add(name)
        layers.append((name, _construct(cls, args, kind, line, LAYERS)))
    loss_line = parsed.loss
    kind = loss_line.positional[0].lower()
    loss_cls = load(LOSSES, kind, loss_line)
    loss_args = bind(loss_cls, loss_line, loss_line.positional[1:], 0, kind,
                     RESERVED_LOSS_ARGS)
    weight_decay = loss_line.named.get("weight_decay", 0.0)
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float)) \
            or weight_decay < 0 or weight_decay > 1.7976931348623157e308:
        raise loss_line.error(f"weight_decay must be a finite number ≥ 0, got "
                              f"{_short(weight_decay)}")
    weight_decay = float(weight_decay)
    loss = _construct(loss_cls, loss_args, kind, loss_line, LOSSES)
    line = parsed.optimizer
    if line is None:
        optimizer = make_optimizer(DEFAULT_OPTIMIZER, {})
    else:
        optimizer = _part(OPTIMIZERS, line, line.positional[0].lower(), line.positional[1:])
    try:
        net = Network(parsed.input_shape, layers, loss, optimizer,
                      weight_decay=weight_decay, rng=rng, max_params=max_params,
                      source=source, spec_warnings=check_warnings(parsed, loss.kind))
    except LayerBuildError as exc:
        line = parsed.layers[exc.index]
        if isinstance(exc.cause, TooManyParameters):
            words = " ".join([line.keyword, *map(format_value, line.positional)])
            raise line.error(f"{_short(words)}: {exc.cause}"
                             + (f"; {limit_note}" if limit_note else "")) from None
        raise line.error(str(exc.cause)) from None
    for message in net.spec_warnings:
        warnings.warn(message, SpecWarning, stacklevel=2)
    return net


def write(net):
    """Spec text that builds the same network (same layers, loss and optimizer)."""
    lines = ["input " + "x".join(str(d) for d in net.input_shape)]
    kinds = [part_kind(layer, LAYERS) for _, layer in net.layers]
    for (name, layer), kind, default in zip(net.layers, kinds, default_layer_names(kinds)):
        extra = [] if name == default else [("name", name)]
        target = registry.load_entry(LAYERS, kind)
        lines.append(format_line(kind, target, layer.config, 0, extra))
    loss_kind = part_kind(net.loss_layer, LOSSES)
    extra = [("weight_decay", net.weight_decay)] if net.weight_decay else []
    lines.append("loss " + format_line(
        loss_kind, type(net.loss_layer), net.loss_layer.config, 0, extra))
    optimizer = net.optimizer
    opt_kind = part_kind(optimizer, OPTIMIZERS)
    opt_cls = registry.load_entry(OPTIMIZERS, opt_kind)
    lines.append("optimizer " + format_line(opt_kind, opt_cls, optimizer.config, 1))
    return "\n".join(lines) + "\n"


# -- editing spec text ----------------------------------------------------------------------
def default_layer_names(kinds):
    """The name each layer gets unless its line says ``name=``: its kind and its index
    among the layers of that kind, from 1 (dense, relu, dense → dense1, relu1, dense2)."""
    counts, names = {}, []
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
        names.append(f"{kind}{counts[kind]}")
    return names


def line_text(line):
    """A tokenized line as spec words again (without its comment and spacing)."""
    words = [line.keyword, *(format_value(v) for v in line.positional)]
    words += [f"{k}={format_value(v)}" for k, v in line.named.items()]
    return " ".join(words)


def argument_index(line, arg):
    """Where argument ``arg`` stands among the line's positional values (``dense 100``
    has units first), or None: not given positionally, or the part's name is unknown
    (building the spec says what is wrong with it)."""
    if line.keyword in ("loss", "optimizer"):
        group = LOSSES if line.keyword == "loss" else OPTIMIZERS
        name, offset, skip = line.positional[0], 1, int(line.keyword == "optimizer")
    else:
        group, name, offset, skip = LAYERS, line.keyword, 0, 0
    try:
        cls = registry.load_entry(group, str(name))
        params = list(inspect.signature(cls).parameters)[skip:]
    except (PurennError, TypeError, ValueError):
        return None
    given = params[:len(line.positional) - offset]
    return given.index(arg) + offset if arg in given else None


def _joined(lines):
    return "\n".join(lines) + "\n"


def set_optimizer(text, words, source="<spec>"):
    """``text`` with its optimizer line replaced by ``optimizer WORDS`` (added at the end
    when there is none); the old line's arguments go with it."""
    lines = text.splitlines()
    replacement = "optimizer " + " ".join(words)
    targets = [ln for ln in tokenize(text, source) if ln.keyword == "optimizer"]
    if targets:
        lines[targets[0].lineno - 1] = replacement
    else:
        lines.append(replacement)
    return _joined(lines)


def replace_kind(text, kind, new_kind, source="<spec>"):
    """``text`` with every ``kind`` layer line replaced by the line ``new_kind`` (the old
    line's arguments go: sigmoid → relu); SpecError when the spec has no such layer."""
    lines = text.splitlines()
    targets = [ln for ln in tokenize(text, source)
               if ln.keyword == kind and kind not in ("input", "loss", "optimizer")]
    if not targets:
        raise SpecError(f"the spec {source} has no {kind!r} layer")
    for ln in targets:
        lines[ln.lineno - 1] = new_kind
    return _joined(lines)


def set_argument(text, part, arg, value, source="<spec>"):
    """``text`` with argument ``arg`` set to ``value`` (spec words, read as a spec reads
    them) on the lines ``part`` names: ``loss`` or ``optimizer``, a layer kind (every
    such layer) or a layer's name (``dense2``, or its ``name=``). Without an optimizer
    line, ``optimizer`` adds one of the default optimizer. SpecError when the spec has no
    line ``part`` names."""
    lines = text.splitlines()
    parsed = tokenize(text, source)
    layers = [ln for ln in parsed if ln.keyword not in ("input", "loss", "optimizer")]
    names = {id(ln): ln.named.get("name", default)
             for ln, default in zip(layers, default_layer_names(ln.keyword for ln in layers))}
    targets = [ln for ln in parsed if ln.keyword == part
               or (id(ln) in names and names[id(ln)] == part)]
    if not targets:
        if part == "optimizer":
            lines.append(f"optimizer {DEFAULT_OPTIMIZER} {arg}="
                         f"{format_value(parse_value(value))}")
            return _joined(lines)
        kinds = sorted({ln.keyword for ln in parsed if ln.keyword != "input"})
        raise SpecError(f"the spec {source} has no {part!r} line (it has: "
                        f"{', '.join(kinds)})")
    for ln in targets:
        index = argument_index(ln, arg)
        if index is None:
            ln.named[arg] = parse_value(value)
        else:
            ln.positional[index] = parse_value(value)
        lines[ln.lineno - 1] = line_text(ln)
    return _joined(lines)
