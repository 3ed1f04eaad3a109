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
``1x28x28``. Every error names the source and line.

Arguments are checked against the ``__init__`` signature of the class a name is
registered for (its parameters after ``self``, after ``params`` for an optimizer): unknown,
missing and duplicate arguments are errors, and an annotation of ``int``, ``float``,
``bool`` or ``str`` (or such a type ``| None``) is the type the value must have.
"""

import difflib
import inspect
import math
import re
import types
import typing
from dataclasses import dataclass, field

from . import registry
from .errors import PluginError, PurennError, SpecError

RESERVED_LAYER_ARGS = ("name",)
RESERVED_LOSS_ARGS = ("weight_decay",)
LAYER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
SIMPLE_TYPES = (int, float, bool, str)


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
                         f"got {word!r}")
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
    return {"loss": "softmax_cross_entropy", "optimizer": "sgd"}[keyword]


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
    if (isinstance(annotation, getattr(types, "UnionType", ()))  # int | None: 3.10+
            or typing.get_origin(annotation) is typing.Union):
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
        return float(value)
    expected = " or ".join(t.__name__ for t in allowed)
    raise line.error(f"argument {param.name!r} of {kind} must be {expected}, got {value!r}")


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
    """A layer, loss or optimizer class's instance from one spec line's words after the
    keyword, such as ``make_part("purenn.layers", "conv2d 8 kernel=3")`` (a layer is not
    built yet; an optimizer is returned as its class and bound arguments)."""
    lines = tokenize(text, source)
    if len(lines) != 1:
        raise SpecError(f"{source}: expected one spec line, got {text!r}")
    line = lines[0]
    cls = load(group, line.keyword, line)
    skip = 1 if group == "purenn.optimizers" else 0
    args = bind(cls, line, line.positional, skip, line.keyword)
    if skip:
        return cls, args
    try:
        part = cls(**args)
    except (PurennError, ValueError) as exc:
        raise line.error(str(exc)) from None
    part.kind = line.keyword
    return part


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
