"""purenn.formats.schema: the bounded JSON loader and the schema check."""

import pytest

from purenn.errors import DataError, ModelFileError
from purenn.formats.schema import (
    Bool,
    Float,
    Int,
    List,
    Map,
    Null,
    Object,
    OneOf,
    Str,
    check,
    load_json,
    short,
)


def json_error(text, **options):
    with pytest.raises(ModelFileError) as info:
        load_json(text, "m.json", **options)
    return str(info.value)


def test_load_json_reads_json_from_text_or_utf8_bytes():
    assert load_json('{"a": [1, 2.5, "é", null, true]}', "m.json") == \
        {"a": [1, 2.5, "é", None, True]}
    assert load_json('{"a": "é"}'.encode(), "m.json") == {"a": "é"}


def test_load_json_refuses_what_would_cost_more_than_its_size():
    assert json_error("[" * 100_000 + "]" * 100_000) == \
        "m.json: the JSON is nested deeper than 64 levels"
    assert json_error("[" * 10 + "]" * 10, max_depth=4) == \
        "m.json: the JSON is nested deeper than 4 levels"
    assert json_error('{"a": 1, "b": 2, "a": 3}').startswith(
        "m.json: the JSON is not valid JSON: key 'a' appears more than once in an object")
    assert json_error("[" + "9" * 5000 + "]").startswith(
        "m.json: the JSON is not valid JSON: integer of 5000 characters is longer than 40 "
        "digits")
    assert json_error(b'{"a": "\xff"}') == \
        "m.json: the JSON is not UTF-8 text: byte 0xff at offset 7"


def test_load_json_refuses_nan_and_infinities_unless_allowed():
    assert json_error("[NaN]").startswith("m.json: the JSON is not valid JSON: NaN is not a "
                                          "JSON number")
    assert json_error("[1e999]").startswith("m.json: the JSON is not valid JSON: number "
                                            "'1e999' overflows a float")
    values = load_json("[NaN, Infinity]", "m.json", allow_nan=True)
    assert values[0] != values[0] and values[1] == float("inf")


def test_load_json_names_what_it_reads_and_raises_the_error_asked_for():
    with pytest.raises(DataError, match=r"^x: the header is not valid JSON: "):
        load_json("{", "x", what="the header", error=DataError)


STATE = Object({"epoch": Int(minimum=0), "lr": Float(minimum=0.0),
                "schedule": Str(choices=("epochs", "iterations")),
                "history": List(Object({"loss": Float()}), max_length=3)},
               optional={"note": OneOf(Str(max_length=5), Null()), "done": Bool()})


def message(value, schema=STATE):
    with pytest.raises(ModelFileError) as info:
        check(value, schema, "ck.safetensors")
    return str(info.value)


def test_check_returns_the_checked_value_with_floats_as_floats():
    value = {"epoch": 2, "lr": 1, "schedule": "epochs", "history": [{"loss": 0.5}],
             "note": None}
    assert check(value, STATE, "ck") == dict(value, lr=1.0)
    assert type(check(value, STATE, "ck")["lr"]) is float


@pytest.mark.parametrize("value, expected", [
    ({"epoch": -1}, "field 'epoch': expected an integer ≥ 0, got -1"),
    ({"epoch": True}, "field 'epoch': expected an integer ≥ 0, got True"),
    ({"lr": float("nan")}, "field 'lr': expected a finite number ≥ 0.0, got nan"),
    ({"schedule": "x"}, "field 'schedule': expected one of 'epochs', 'iterations', "
                        "got 'x'"),
    ({"history": [{"loss": 1.0}, {"loss": "a"}]},
     "field 'history[1].loss': expected a finite number, got 'a'"),
    ({"history": [{"loss": 1.0}] * 4}, "field 'history': expected a list of length ≤ 3, "
                                       "got [{'loss': 1.0}, {'loss': 1.0}, {'loss': 1.0}, "
                                       "{'loss': 1.0}]"),
    ({"note": "x" * 6}, "field 'note': expected a string of at most 5 characters or null, "
                        "got 'xxxxxx'"),
    ({"extra": 1}, "field 'extra': expected no such key (known: epoch, lr, schedule, "
                   "history, note, done), got 1"),
])
def test_check_names_the_field_and_the_bad_value(value, expected):
    good = {"epoch": 0, "lr": 0.1, "schedule": "epochs", "history": []}
    assert message(dict(good, **value)) == f"ck.safetensors: {expected}"


def test_check_reports_missing_keys_and_wrong_containers():
    assert message({"epoch": 0}) == ("ck.safetensors: field 'lr': expected a finite number "
                                     "≥ 0.0, got nothing (the key is missing)")
    assert message([1]) == ("ck.safetensors: the value: expected an object with keys "
                            "'epoch', 'lr', 'schedule', 'history', got [1]")
    assert message({"a": 1, "b": "x"}, Map(Int(), max_length=5)) == \
        "ck.safetensors: field 'b': expected an integer, got 'x'"


def test_short_cuts_long_values():
    assert short("abc") == "'abc'"
    assert short("x" * 200) == "'" + "x" * 76 + "..."
