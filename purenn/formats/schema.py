"""Untrusted JSON in, checked values out: a bounded JSON loader and a small schema check.

Any file purenn reads may have been written by someone else. ``load_json`` parses JSON
text with limits that keep a hostile header from costing more than its size: nesting
deeper than ``max_depth``, a key repeated in one object, integers of more than
``MAX_INT_DIGITS`` digits and (unless allowed) NaN and infinities are refused. ``check``
then compares the parsed value with a schema built from a few classes::

    LAYER = Object({"name": Str(max_length=64), "units": Int(minimum=1)},
                   optional={"bias": Bool()})
    value = check(load_json(text, "m.json"), List(LAYER, max_length=1000), "m.json")

Every failure is one line naming the source, the field (``layers[2].units``) and the bad
value with ``!r``, raised as ``error`` (a PurennError subclass, ModelFileError by default).
"""

import itertools
import json
import math
import re

from ..errors import ModelFileError

MAX_DEPTH = 64
MAX_INT_DIGITS = 40
SHOW = 80  # characters of a bad value shown in a message


class _Missing:
    def __repr__(self):
        return "nothing (the key is missing)"


MISSING = _Missing()


def short(value, limit=SHOW):
    """``repr(value)``, cut to ``limit`` characters with '...' when longer; an integer too
    long for ``repr`` (Python refuses past 4,300 digits: a hex literal in a file makes
    one cheaply) is shown by its number of digits, also inside a tuple, list or dict."""
    try:
        text = repr(value)
    except ValueError:
        text = _safe_repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _safe_repr(value, depth=0):
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return repr(value)
        except ValueError:
            return f"<a whole number of about {int(value.bit_length() * 0.30103):,} digits>"
    if depth > 20:
        return "..."
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_safe_repr(v, depth + 1) for v in value[:50])
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_safe_repr(k, depth + 1)}: {_safe_repr(v, depth + 1)}"
                               for k, v in list(value.items())[:50]) + "}"
    try:
        return repr(value)
    except ValueError:
        return f"<{type(value).__name__}>"


def _pairs_without_repeats(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"key {short(key)} appears more than once in an object")
            seen.add(key)
    return result


def _bounded_int(text):
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"integer of {len(text)} characters is longer than "
                         f"{MAX_INT_DIGITS} digits")
    return int(text)


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {short(text)} overflows a float")
    return value


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def load_json(data, source, *, what="the JSON", max_depth=MAX_DEPTH, allow_nan=False,
              error=ModelFileError):
    """The value of JSON ``data`` (str, or bytes in UTF-8) with the limits above; ``error``
    '{source}: {what} is not valid JSON: ...' (or another defect) otherwise."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"{source}: {what} is not UTF-8 text: byte {exc.object[exc.start]:#04x} at "
                        f"offset {exc.start}") from None
    options = {} if allow_nan else {"parse_float": _finite_float,
                                    "parse_constant": _no_constant}
    if _bracket_depth(data) > max_depth:
        raise error(f"{source}: {what} is nested deeper than {max_depth} levels")
    try:
        value = json.loads(data, object_pairs_hook=_pairs_without_repeats,
                           parse_int=_bounded_int, **options)
    except RecursionError:
        raise error(f"{source}: {what} is nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise error(f"{source}: {what} is not valid JSON: {exc}") from None
    if _depth(value) > max_depth:
        raise error(f"{source}: {what} is nested deeper than {max_depth} levels")
    return value


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _bracket_depth(text):
    """How deep the brackets of JSON ``text`` nest, outside strings, counted before parsing:
    json.loads recurses once per level, and where the C stack is small (Pyodide in
    WebAssembly) deep nesting overflows it before Python's RecursionError can be raised."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _depth(value):
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children
                         if isinstance(child, (dict, list)))
    return deepest


# -- the schema ------------------------------------------------------------------------
class Schema:
    """A check of one value; subclasses say what they accept in ``describe``."""

    def describe(self):
        raise NotImplementedError

    def accepts(self, value):
        raise NotImplementedError

    def convert(self, value, field, fail):
        """The checked value (children checked too); ``fail(field, value, what)`` raises."""
        if not self.accepts(value):
            fail(field, value, self.describe())
        return value


class Int(Schema):
    """An integer (never a bool) in [minimum, maximum]."""

    def __init__(self, minimum=None, maximum=None):
        self.minimum, self.maximum = minimum, maximum

    def describe(self):
        return "an integer" + _bounds(self.minimum, self.maximum)

    def accepts(self, value):
        return type(value) is int and _within(value, self.minimum, self.maximum)


class Float(Schema):
    """A finite number (int or float, never a bool) in [minimum, maximum], as a float."""

    def __init__(self, minimum=None, maximum=None):
        self.minimum, self.maximum = minimum, maximum

    def describe(self):
        return "a finite number" + _bounds(self.minimum, self.maximum)

    def accepts(self, value):
        return (type(value) in (int, float) and math.isfinite(value)
                and _within(value, self.minimum, self.maximum))

    def convert(self, value, field, fail):
        return float(super().convert(value, field, fail))


class Bool(Schema):
    def describe(self):
        return "true or false"

    def accepts(self, value):
        return type(value) is bool


class Str(Schema):
    """A string of at most ``max_length`` characters, one of ``choices`` when given."""

    def __init__(self, choices=None, max_length=None):
        self.choices, self.max_length = choices, max_length

    def describe(self):
        if self.choices is not None:
            return "one of " + ", ".join(map(repr, self.choices))
        limit = f" of at most {self.max_length} characters" if self.max_length else ""
        return "a string" + limit

    def accepts(self, value):
        return (type(value) is str
                and (self.max_length is None or len(value) <= self.max_length)
                and (self.choices is None or value in self.choices))


class Null(Schema):
    def describe(self):
        return "null"

    def accepts(self, value):
        return value is None


class List(Schema):
    """A list of ``item``s, between ``min_length`` and ``max_length`` of them."""

    def __init__(self, item, min_length=None, max_length=None):
        self.item, self.min_length, self.max_length = item, min_length, max_length

    def describe(self):
        return "a list" + _bounds(self.min_length, self.max_length, " of length")

    def accepts(self, value):
        return type(value) is list and _within(len(value), self.min_length, self.max_length)

    def convert(self, value, field, fail):
        super().convert(value, field, fail)
        return [self.item.convert(v, f"{field}[{i}]", fail) for i, v in enumerate(value)]


class Object(Schema):
    """A JSON object with the keys of ``fields`` (each checked by its schema), any of
    ``optional``, and no other key unless ``extra`` is a schema for the other values."""

    def __init__(self, fields, optional=None, extra=None):
        self.fields, self.optional, self.extra = fields, optional or {}, extra

    def describe(self):
        return "an object with keys " + ", ".join(map(repr, self.fields))

    def accepts(self, value):
        return type(value) is dict

    def convert(self, value, field, fail):
        super().convert(value, field, fail)
        out = {}
        prefix = f"{field}." if field else ""
        for key, schema in self.fields.items():
            if key not in value:
                fail(prefix + key, MISSING, self.fields[key].describe())
            out[key] = schema.convert(value[key], prefix + key, fail)
        for key, item in value.items():
            if key in self.fields:
                continue
            schema = self.optional.get(key, self.extra)
            if schema is None:
                fail(prefix + key, item, "no such key (known: "
                     + ", ".join(list(self.fields) + list(self.optional)) + ")")
            out[key] = schema.convert(item, prefix + key, fail)
        return out


class Map(Object):
    """A JSON object of any keys whose values all match ``value``."""

    def __init__(self, value, max_length=None):
        super().__init__({}, extra=value)
        self.max_length = max_length

    def describe(self):
        return "an object" + _bounds(None, self.max_length, " of size")

    def accepts(self, value):
        return type(value) is dict and _within(len(value), None, self.max_length)


class OneOf(Schema):
    """Any of ``schemas`` (the first that accepts the value checks it)."""

    def __init__(self, *schemas):
        self.schemas = schemas

    def describe(self):
        return " or ".join(s.describe() for s in self.schemas)

    def accepts(self, value):
        return any(s.accepts(value) for s in self.schemas)

    def convert(self, value, field, fail):
        for schema in self.schemas:
            if schema.accepts(value):
                return schema.convert(value, field, fail)
        return fail(field, value, self.describe())


def _within(value, minimum, maximum):
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


def _bounds(minimum, maximum, what=""):
    if minimum is not None and maximum is not None:
        return f"{what} in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"{what} ≥ {minimum}"
    if maximum is not None:
        return f"{what} ≤ {maximum}"
    return ""


def check(value, schema, source, *, field="", error=ModelFileError):
    """``value`` checked against ``schema`` (numbers as floats where Float asks for
    them); ``error`` '{source}: field {field!r}: expected ..., got {value!r}' otherwise."""

    def fail(where, bad, what):
        name = f"field {where!r}" if where else "the value"
        raise error(f"{source}: {name}: expected {what}, got {short(bad)}")

    return schema.convert(value, field, fail)
