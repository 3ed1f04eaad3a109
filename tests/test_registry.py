"""The registry: built-ins declared twice (setup.cfg and BUILTINS) must agree, every
built-in loads and meets its contract, and unknown names get a helpful message."""

import configparser
import os

import pytest
from helpers import REPO

import purenn
from purenn import registry
from purenn.errors import PluginError


def setup_cfg_entry_points():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(REPO, "setup.cfg"), encoding="utf-8")
    section = cfg["options.entry_points"]
    table = {}
    for group in section:
        if not group.startswith("purenn."):
            continue
        table[group] = {}
        for line in section[group].strip().splitlines():
            name, _, target = (part.strip() for part in line.partition("="))
            table[group][name] = target
    return table


def test_builtins_and_setup_cfg_declare_exactly_the_same_entry_points():
    assert setup_cfg_entry_points() == registry.BUILTINS


def test_every_group_has_a_kind_word():
    assert set(registry.KIND) == set(registry.BUILTINS) == {
        "purenn.layers", "purenn.losses", "purenn.optimizers", "purenn.initializers"}


@pytest.mark.parametrize("group, name", [(g, n) for g, names in registry.BUILTINS.items()
                                         for n in names])
def test_every_built_in_loads_and_meets_its_contract(group, name):
    entry = registry.find(group, name)
    assert (entry.distribution, entry.version, entry.builtin) == (
        "purenn", purenn.__version__, True)
    obj = registry.load_entry(group, name)
    assert registry.contract_problem(group, obj) == ""
    assert registry.status(entry) == "ok"
    assert registry.NAME_PATTERN.match(name)


def test_names_are_sorted_and_include_the_built_ins():
    names = registry.names("purenn.layers")
    assert names == sorted(names)
    assert set(registry.BUILTINS["purenn.layers"]) <= set(names)


def test_an_unknown_name_suggests_the_nearest_and_lists_the_known():
    known = ", ".join(registry.names("purenn.layers"))
    with pytest.raises(PluginError) as info:
        registry.find("purenn.layers", "rleu")
    assert str(info.value) == f"unknown layer 'rleu'; did you mean 'relu'? (known: {known})"
    known = ", ".join(registry.names("purenn.optimizers"))
    with pytest.raises(PluginError) as info:
        registry.load_entry("purenn.optimizers", "zzz")
    assert str(info.value) == f"unknown optimizer 'zzz' (known: {known})"


@pytest.mark.parametrize("group, obj, problem", [
    ("purenn.layers", 42, "it is an object of type 'int', not a class or function"),
    ("purenn.losses", type("L", (), {"forward": lambda self: 0}), "it has no 'backward' method"),
    ("purenn.optimizers", type("O", (), {}), "it has no 'step' method"),
    ("purenn.initializers", len, ""),
])
def test_contract_problems(group, obj, problem):
    assert registry.contract_problem(group, obj) == problem


def test_loading_is_cached():
    first = registry.load_entry("purenn.layers", "dense")
    assert registry.load_entry("purenn.layers", "dense") is first is purenn.layers.Dense


def test_registered_in_builtins_and_setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(os.path.dirname(__file__), os.pardir, "setup.cfg"), encoding="utf-8")
    points = cfg["options.entry_points"]
    for group, name, target in [("purenn.layers", "dropout", "purenn.layers:Dropout"),
                                ("purenn.layers", "batchnorm", "purenn.layers:BatchNorm"),
                                ("purenn.losses", "multiclass_svm",
                                 "purenn.losses:MulticlassSVM")]:
        assert registry.BUILTINS[group][name] == target
        assert f"{name} = {target}" in points[group].strip().splitlines()


def test_kind_of_is_the_set_kind_else_the_registered_name_of_the_class():
    from purenn.layers import Dense
    from purenn.optimizers import Adam

    assert registry.kind_of(Dense(3), "purenn.layers") == "dense"
    assert registry.kind_of(Adam({}), "purenn.optimizers") == "adam"
    named = Dense(3)
    named.kind = "dense"
    assert registry.kind_of(named, "purenn.layers") == "dense"

    class Mine(Dense):
        pass
    assert registry.kind_of(Mine(3), "purenn.layers") is None
