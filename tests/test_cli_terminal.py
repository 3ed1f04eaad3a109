"""What a learner meets in the terminal.

Every line purenn prints fits the terminal: 80 columns when the width is unknown (a
pipe), COLUMNS when it is set. The help of every command, and the output of the commands
a learner runs first, on tiny data. (compare's and search's tables are checked where
they are built.)

No silent waits: a long pass shows a bar on a terminal (stderr), and nothing in a pipe.
"""

import functools
import io
import os
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
    assert "(one of: circles, fashion-mnist, gauss, kmnist," in text


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
    ]
    # (error messages are left out: an error is one line, whatever its length)
    for args in runs:
        result = run_purenn(*args, env=env, cwd=str(tiny))
        assert too_wide(result.stdout + result.stderr, columns) == [], args


# -- no silent waits ----------------------------------------------------------------------
class Tty(io.StringIO):
    encoding = "utf-8"

    def isatty(self):
        return True


def test_count_bar_waits_its_delay_then_draws_and_wipes():
    from purenn.viz.progress import CountBar

    now, stream = [0.0], Tty()
    bar = CountBar(stream, "evaluating", "samples", interactive=True, unicode=False,
                   width=10, clock=lambda: now[0])
    bar.update(500, 60000)
    assert stream.getvalue() == ""           # a quick pass leaves nothing
    now[0] = 1.0
    bar.update(30000, 60000)
    assert stream.getvalue() == ("\revaluating |#####     | 30,000/60,000 samples  ETA 0:01"
                                 "\x1b[K")
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")
    quiet = io.StringIO()
    off = CountBar(quiet, "evaluating", "samples", interactive=False, clock=lambda: 9.0)
    off.update(1, 2)
    off.close()
    assert quiet.getvalue() == ""


@pytest.fixture()
def fast_bars(monkeypatch):
    from purenn.viz import progress

    monkeypatch.setattr(progress, "CountBar",
                        functools.partial(progress.CountBar, delay=0, interval=0))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("TERM", raising=False)


def run_on_a_terminal(monkeypatch, argv):
    """cli.main(argv) with stderr a terminal; returns (exit code, stdout lines, stderr)."""
    stderr, lines = Tty(), []
    monkeypatch.setattr("sys.stderr", stderr)
    code = cli.main(argv, out=lines.append)
    return code, lines, stderr.getvalue()


def test_evaluate_shows_how_far_it_is_on_a_terminal(tiny, monkeypatch, fast_bars):
    data = str(tiny / "a_rather_long_folder_name" / "of_the_mnist_files")
    model = str(tiny / "bar.safetensors")
    assert cli.main(["train", "--data", data, "--epochs", "1", "--quiet", "--out", model],
                    out=lambda line: None) == 0
    code, lines, stderr = run_on_a_terminal(
        monkeypatch, ["evaluate", model, "--data", data, "--batch-size", "10"])
    assert code == 0
    assert "\revaluating |" in stderr and "40/40 samples" in stderr
    assert stderr.endswith("\r\x1b[K")        # wiped: the report stays clean
    assert all("evaluating" not in line for line in lines)


def test_train_quiet_shows_its_bar_on_a_terminal_and_leaves_one_line(tiny, monkeypatch):
    data = str(tiny / "a_rather_long_folder_name" / "of_the_mnist_files")
    monkeypatch.delenv("TERM", raising=False)
    code, lines, stderr = run_on_a_terminal(
        monkeypatch, ["train", "--data", data, "--epochs", "2", "--quiet"])
    assert code == 0
    assert len(lines) == 1 and lines[0].startswith("test accuracy ")
    assert "\repoch 2/2 |" in stderr
    assert "evaluating 160/160 samples" in stderr   # the end-of-epoch measurement too
    assert stderr.endswith("\r\x1b[K")


def test_trainer_reports_the_evaluation_of_both_sets():
    import random

    from purenn.data.spiral import make_spiral
    from purenn.spec import build
    from purenn.train import Trainer

    rng = random.Random(0)
    data = make_spiral(rng=rng)
    seen = []
    trainer = Trainer(build("spiral_net", rng=rng), data, data.head(100), epochs=1,
                      batch_size=300, eval_batch_size=128,
                      on_evaluate=lambda t, done, total: seen.append((done, total)))
    trainer.fit()
    assert seen == [(128, 400), (256, 400), (300, 400), (400, 400)]


# -- the lessons' numbers say where they come from -------------------------------------
def test_the_convnet_lesson_says_why_the_books_weights_give_096_and_09797():
    import os

    from helpers import REPO

    text = open(os.path.join(REPO, "docs", "lessons", "ch07-convnets.md"),
                encoding="utf-8").read()
    assert "(data augmentation, ensembles)" not in text.replace("\n", " ")
    for fact in ("b6f396f", "0dda3d1", "9890", "9935", "600 updates", "99.38 %"):
        assert fact in text.replace("\n", " "), fact


def test_the_playground_shows_a_command_a_debian_shell_can_run():
    from purenn.playground import plane

    config = {"dataset": "moons", "noise": 0.1, "seed": 3, "batch_size": 10, "ratio": 50,
              "features": ["x1", "x2"], "points": []}
    line = plane.command_line(config, 100)
    assert line.startswith("python3 -m purenn train --spec playground.net ")  # no `python`
    args = cli.make_parser("train").parse_args(line.split()[3:])
    assert (args.dataset, args.noise, args.seed, args.epochs) == ("moons", 0.1, 3, 100)


def test_searchs_best_spec_keeps_no_stale_comment_above_the_tuned_values():
    from purenn.commands.search import best_spec
    from purenn.experiments import settings
    from purenn.experiments.runner import Result
    from purenn.spec import build, read

    text, source = read("ch6_overfit")
    combo = [("optimizer.lr", "0.0341"), ("loss.weight_decay", "1.08e-05")]
    tuned = settings.apply_settings(text, combo, source)
    result = Result("trial 1", {"epoch": [1], "train_loss": [1.0], "train_acc": [0.3],
                                "test_acc": [0.26], "seconds": [1.0],
                                "iteration_loss": [1.0]}, 1.0, combo, tuned)
    best = best_spec(result, 4, source)
    assert "lr 0.01" not in best and "SGD lr" not in best     # the spec's old description
    assert best.splitlines()[:3] == [
        "# best of 4 trials of 'purenn search' on ch6_overfit.net: validation accuracy "
        "0.2600",
        "# lr=0.0341, weight_decay=1.08e-05",
        "# (the network of ch6_overfit.net; the settings above replace its own)"]
    assert best.endswith("loss softmax_cross_entropy weight_decay=1.08e-05\n"
                         "optimizer sgd lr=0.0341\n")
    assert build(best).optimizer.config["lr"] == 0.0341


def lesson_outputs():
    """Every file a lesson has the learner write in the clone's root: its file and
    image directives and the outputs its commands name."""
    import glob
    import os
    import shlex

    from helpers import REPO

    options = {"-o", "--out", "--plot", "--plot-boundary", "--out-spec", "--misclassified",
               "--checkpoint-dir"}
    found = set()
    for path in glob.glob(os.path.join(REPO, "docs", "lessons", "*.md")):
        text = open(path, encoding="utf-8").read()
        found.update(re.findall(r"<!-- lesson: (?:file|image) (\S+)", text))
        for line in text.replace("\\\n", " ").splitlines():
            if line.startswith("$ "):
                words = shlex.split(line[2:])
                found.update(b for a, b in zip(words, words[1:]) if a in options)
        found.update(re.findall(r"""\.save\(\s*["']([^"']+)["']""", text))
    return sorted(found)


def test_what_the_lessons_write_leaves_git_status_clean():
    import shutil
    import subprocess

    from helpers import REPO

    outputs = lesson_outputs()
    assert {"ch03.safetensors", "best.net", "purenn-softplus/setup.cfg",
            "relu.png"} <= set(outputs)
    if shutil.which("git") is None or not os.path.isdir(os.path.join(REPO, ".git")) \
            and not os.path.isfile(os.path.join(REPO, ".git")):
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "check-ignore", "--no-index", "--verbose",
                           "--non-matching", *outputs], cwd=REPO, capture_output=True,
                          text=True)
    not_ignored = [line.split("\t")[1] for line in done.stdout.splitlines()
                   if line.startswith("::")]
    assert not_ignored == []


def test_a_printed_spec_is_the_file_byte_for_byte_whatever_the_width(monkeypatch, capsys):
    from purenn.spec import read

    monkeypatch.setenv("COLUMNS", "40")
    assert cli.main(["specs", "ch6_batchnorm"]) == 0
    assert capsys.readouterr().out == read("ch6_batchnorm")[0]


def test_every_shipped_spec_line_fits_80_columns_and_the_listing_says_what_each_is():
    from purenn.commands.specs import summary
    from purenn.spec import read, shipped_specs

    for name in shipped_specs():
        text = read(name)[0]
        assert [line for line in text.splitlines() if len(line) > 80] == [], name
    assert summary(read("two_layer")[0]) == (
        'The two-layer network of "Deep Learning from Scratch", chapter 5 (TwoLayerNet)')
    assert summary(read("spiral_net")[0]) == \
        "CS231n's two-layer network for the spiral data set"
