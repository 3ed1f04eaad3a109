"""The examples in the package's docstrings (the book's, in functions, gradient, layers,
losses and optimizers) run as tests, against the purenn the tests import."""

import doctest
import importlib
import pkgutil

import pytest

import purenn


def modules_with_examples():
    names = []
    for info in pkgutil.walk_packages(purenn.__path__, "purenn."):
        if info.name == "purenn.__main__":
            continue
        module = importlib.import_module(info.name)
        if any(test.examples for test in doctest.DocTestFinder().find(module)):
            names.append(info.name)
    return sorted(names)


MODULES = modules_with_examples()


def test_the_books_examples_are_found():
    assert {"purenn.functions", "purenn.gradient", "purenn.layers", "purenn.losses",
            "purenn.optimizers"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
