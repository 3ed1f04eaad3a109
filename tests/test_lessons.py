"""Every command and code block of every lesson in docs/lessons runs, and prints what the
lesson shows (see lessons_runner.py for the block kinds, directives and how output is
compared). One test per block, in lesson order; a block run alone first runs the blocks
before it. Blocks marked slow run with ``pytest -m slow``; blocks that need the purenn-conv
plugin or the full MNIST files skip with the reason where they are missing.

Blocks that need the book's chapter 7 and 8 weights (``requires file:NAME``) find them in
../shared/reference/dlfs or PURENN_LESSONS_DLFS and skip without them.

The lessons run in tox's env ``lessons`` only (one Python, purenn-conv installed); the
other envs leave this file out (``--ignore=test_lessons.py``).

A block that draws a picture (``image`` directive) must draw the committed one in
docs/lessons/img byte for byte; PURENN_LESSONS_UPDATE_IMAGES=1 copies the pictures the
lessons make over the committed ones instead (``python3 docs/lessons/img/make.py`` runs
just the blocks that draw them); PURENN_LESSONS_MNIST=DIR points the ``mnist`` blocks at a folder of
the full MNIST files (default ../shared/data/mnist beside the checkout).
"""

import glob
import importlib.util
import os
import shutil

import pytest
from helpers import MNIST_DIR, REPO, SHARED
from lessons_runner import Block, LessonRun, numbers_agree, output_matches, parse_lesson

import purenn
from purenn import cli, registry

LESSONS_DIR = os.path.join(REPO, "docs", "lessons")
LESSONS = sorted(glob.glob(os.path.join(LESSONS_DIR, "*.md")))


def _items():
    for path in LESSONS:
        with open(path, encoding="utf-8") as f:
            blocks = parse_lesson(f.read())
        name = os.path.basename(path)
        for index, block in enumerate(blocks):
            if not block.runnable:
                continue
            marks = [pytest.mark.slow] if block.directive("slow") is not None else []
            yield pytest.param(path, index, marks=marks, id=f"{name}:{block.line}")


def mnist_dir():
    folder = os.environ.get("PURENN_LESSONS_MNIST", MNIST_DIR)
    present = os.path.isfile(os.path.join(folder, "t10k-images-idx3-ubyte.gz"))
    return folder if present else None


def dlfs_dir():
    return os.environ.get("PURENN_LESSONS_DLFS", os.path.join(SHARED, "reference", "dlfs"))


def missing(requirement):
    """Why a requirement is not met here, or None when it is."""
    kind, _, name = requirement.partition(":")
    if kind == "command":
        if name not in cli.COMMANDS:
            return f"needs the command 'purenn {name}' (not on this branch yet)"
    elif kind == "module":
        if importlib.util.find_spec(name) is None:
            return f"needs the module {name} (not on this branch yet)"
    elif requirement == "conv":
        if "conv2d" not in registry.discover("purenn.layers"):
            return "needs purenn-conv (python -m pip install plugins/purenn-conv)"
    elif kind == "file":
        if not os.path.isfile(os.path.join(dlfs_dir(), name)):
            return (f"needs the book's {name} (../shared/reference/dlfs or "
                    f"PURENN_LESSONS_DLFS)")
    elif requirement == "mnist":
        if mnist_dir() is None:
            return "needs the full MNIST files (../shared/data/mnist or PURENN_LESSONS_MNIST)"
    else:
        raise AssertionError(f"unknown lesson requirement {requirement!r}")
    return None


def skip_reason(block):
    if block.directive("skip") is not None:
        return "never run by the tests: " + " ".join(block.directive("skip"))
    reasons = [missing(word) for word in block.directive("requires") or []]
    return "; ".join(reason for reason in reasons if reason) or None


@pytest.fixture(scope="session")
def lesson_runs(tmp_path_factory):
    runs = {}
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))
    empty_cache = str(tmp_path_factory.mktemp("empty-cache"))
    mnist = mnist_dir()
    mnist_cache = None
    if mnist is not None:
        # the cache holds NAME/ folders: give the full files the name 'mnist' there
        mnist_cache = str(tmp_path_factory.mktemp("mnist-cache"))
        os.symlink(os.path.abspath(mnist), os.path.join(mnist_cache, "mnist"))
    update = REPO if os.environ.get("PURENN_LESSONS_UPDATE_IMAGES") == "1" else None

    def get(path):
        if path not in runs:
            workdir = str(tmp_path_factory.mktemp(os.path.basename(path)[:-3]))
            runs[path] = LessonRun(path, workdir, package_parent=package_parent,
                                   empty_cache=empty_cache, mnist_cache=mnist_cache,
                                   update_images_to=update, images_from=REPO)
        return runs[path]
    return get


@pytest.mark.parametrize(("path", "index"), list(_items()))
def test_lesson_block(lesson_runs, path, index):
    run = lesson_runs(path)
    block = run.blocks[index]
    reason = skip_reason(block)
    if reason:
        pytest.skip(reason)
    for earlier in range(index):
        other = run.blocks[earlier]
        if other.runnable and earlier not in run.done and other.directive("slow") is None \
                and skip_reason(other) is None:
            _run(run, earlier)
    _run(run, index)


def _run(run, index):
    for word in run.blocks[index].directive("requires") or []:
        if word.startswith("file:"):  # the learner put it in the folder; so do the tests
            name = word[len("file:"):]
            shutil.copyfile(os.path.join(dlfs_dir(), name), os.path.join(run.workdir, name))
    run.run(index)


def test_there_are_lessons_and_the_readme_lists_them():
    assert LESSONS, "no lessons in docs/lessons"
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for path in LESSONS:
        assert f"docs/lessons/{os.path.basename(path)}" in readme


def test_every_picture_a_lesson_shows_is_drawn_by_one_of_its_blocks():
    """So that docs/lessons/img/make.py draws every one of them again, and the lessons'
    tests check each is current; and no picture in the folder is left unused."""
    import re
    shown_anywhere = set()
    for path in LESSONS:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        drawn = {words[2] for block in parse_lesson(text)
                 for words in block.directives if words[0] == "image" and len(words) > 2}
        shown = {"docs/lessons/" + target for target in re.findall(r"\]\((img/[^)\s]+)\)",
                                                                   text)}
        assert shown <= drawn, f"{os.path.basename(path)}: no block draws {shown - drawn}"
        shown_anywhere |= shown
    committed = {"docs/lessons/img/" + name for name in os.listdir(
        os.path.join(LESSONS_DIR, "img")) if name.endswith(".png")}
    assert committed == shown_anywhere


def test_every_local_link_and_picture_of_a_lesson_exists():
    import re
    for path in LESSONS:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if "://" in target or target.startswith("#"):
                continue
            file = os.path.normpath(os.path.join(LESSONS_DIR, target.split("#")[0]))
            assert os.path.exists(file), f"{os.path.basename(path)}: broken link {target}"


# -- the runner itself -------------------------------------------------------------------
@pytest.mark.parametrize(("shown", "got", "agree"), [
    ("0.9352", "0.9352", True), ("0.9352", "0.93524", True), ("0.9352", "0.93515", True),
    ("0.9352", "0.93526", False), ("0.9352", "0.9351", False),
    ("6.0", "6.00000000000378", True), ("8.0", "7.999999999999119", True),
    ("2.3e-07", "2.26e-07", True), ("2.3e-07", "2.4e-07", False),
    ("-6.1e-10", "-6.111107928998789e-10", True), ("9352", "9352", True),
    ("9352", "9353", False), ("9352", "9352.4", False), ("1e+13", "1.2e+13", True),
])
def test_numbers_are_compared_to_the_digits_shown(shown, got, agree):
    assert numbers_agree(shown, got) is agree


@pytest.mark.parametrize(("expected", "got", "agree"), [
    ("accuracy 0.9352 (9352/10000)", "accuracy 0.9352 (9352/10000)\n", True),
    ("accuracy 0.9352 (9352/10000)", "accuracy 0.9353 (9353/10000)", False),
    ("[6.0, 8.0]", "[6.00000000000378, 7.999999999999119]", True),
    ("done in ... s", "done in 12.3 s", True),
    ("first\n...\nlast", "first\nmany\nlines\nlast", True),
    ("first\n...\nlast", "first\nmany\nlines\nlater", False),
    ("dense1.W  0.0", "dense1.W       0.00", True),           # spaces and digits shown
    ("dense1.W", "dense2.W", False),                          # a name's digit is literal
    ("Python 3.11", "Python 3.12", False),
    ("loss 2.30 ...", "loss 2.3026 after 3 s", True),
    # a line purenn wrapped at 80 columns (a long path in it) reads as the one line shown
    ("data: MNIST from ..., test split: 10000 samples",
     "data: MNIST from /a/long/path, test split:\n  10000 samples", True),
    ("a b", "a\nb", False),                                  # a new line alone is not
])
def test_output_is_compared_line_by_line(expected, got, agree):
    assert output_matches(expected, got) is agree


def test_blocks_carry_their_directives_and_outputs():
    text = ("Intro\n\n<!-- lesson: slow -->\n<!-- lesson: requires command:compare -->\n"
            "```console\n$ python3 -m purenn compare \\\n    a b\nsome output\n```\n\n"
            "```python\nprint(1 + 1)\n```\n```output\n2\n```\n"
            "<!-- lesson: file my.net -->\n```text\ninput 2\n```\n")
    blocks = parse_lesson(text)
    assert [b.kind for b in blocks] == ["console", "python", "text"]
    assert blocks[0].directive("slow") == [] and blocks[0].line == 5
    assert blocks[0].directive("requires") == ["command:compare"]
    assert blocks[1].expected == "2\n" and blocks[1].directive("slow") is None
    assert blocks[2].directive("file") == ["my.net"] and blocks[2].runnable
    run = LessonRun.__new__(LessonRun)
    assert run._commands(blocks[0]) == [("python3 -m purenn compare a b", "some output\n")]
    assert not Block("text", "", 1).runnable
