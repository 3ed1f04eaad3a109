"""Every line purenn prints fits the terminal: 80 columns when the width is unknown (a
pipe), COLUMNS when it is set. The help of every command, and the output of the commands
a learner runs first, on tiny data. (compare's and search's tables are checked where
they are built.)"""

import re

import pytest
from helpers import run_purenn
from tiny_mnist import write_tiny_mnist

from purenn import cli
from purenn.commands import textfit

ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def too_wide(text, columns):
    return [line for line in text.splitlines() if len(ESCAPE.sub("", line)) > columns]


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize("command", ["", *cli.COMMANDS])
def test_every_help_fits_the_terminal(monkeypatch, capsys, command, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit):
        cli.main([command, "--help"] if command else ["--help"])
    text = capsys.readouterr().out
    assert "usage:" in text
    assert too_wide(text, columns) == []


def test_a_long_description_is_refilled_and_an_example_keeps_working_when_cut(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    formatter = textfit.HelpFormatter("prog")
    text = formatter._fill_text(
        "A first paragraph that is much longer than forty columns.\n"
        "examples:\n"
        "  prog --one 1 --two 2 --three 3 --four 4       what it does\n"
        "  prog --short        fits\n", 39, "")
    assert text.splitlines() == [
        "A first paragraph that is much longer",
        "than forty columns.",
        "examples:",
        "  prog --one 1 --two 2 --three 3 \\",
        "      --four 4",
        "      what it does",
        "  prog --short        fits",
    ]


def test_many_choices_show_a_short_metavar_and_are_listed_in_the_help(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = capsys.readouterr().out
    assert "[--dataset DATASET]" in text
    assert "{circles" not in text
    assert "(one of: circles, fashion-mnist, kmnist, mnist," in text


def test_a_table_wraps_its_long_column_at_a_dot_or_colon_to_fit():
    lines = textfit.table([("name", "target", "status"),
                           ("softmax_cross_entropy", "purenn.losses:SoftmaxCrossEntropy", "ok")],
                          wrap=1, columns=50)
    assert lines == ["name                   target               status",
                     "softmax_cross_entropy  purenn.losses:       ok",
                     "                       SoftmaxCrossEntropy"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("width")
    write_tiny_mnist(folder / "a_rather_long_folder_name" / "of_the_mnist_files")
    return folder


@pytest.mark.parametrize("columns", [80, 60])
def test_the_commands_a_learner_runs_first_fit_the_terminal(tiny, columns):
    env = {"COLUMNS": str(columns)}
    # paths relative to the folder the commands run in, long ones as learners' often are
    data, model = "a_rather_long_folder_name/of_the_mnist_files", "m.safetensors"
    runs = [
        ("train", "--data", data, "--epochs", "1", "--out", model),
        ("train", "--data", data, "--iterations", "12", "--batch-size", "10",
         "--train-size", "100", "--quiet"),
        ("train", "--dataset", "spiral", "--epochs", "3"),
        ("evaluate", model, "--data", data),
        ("predict", model, "3", "--data", data),
        ("show", "--data", data, "--count", "4"),
        ("specs",),
        ("plugins",),
        ("gradcheck", "two_layer"),
        ("train", "--dataset", "nope"),
    ]
    for args in runs:
        result = run_purenn(*args, env=env, cwd=str(tiny))
        assert too_wide(result.stdout + result.stderr, columns) == [], args
