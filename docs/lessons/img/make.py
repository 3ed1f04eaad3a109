"""Draw again every picture the lessons show (the PNG files in this folder).

    python3 docs/lessons/img/make.py           every picture (cs231n-net.png takes about
                                               4 minutes of CPU: 10,000 epochs)
    python3 docs/lessons/img/make.py --fast    only the pictures drawn in seconds

Each picture is drawn by the lesson block that shows it (an ``image`` directive, see
tests/lessons_runner.py): this runs those blocks, with the blocks before them, through
tests/test_lessons.py with PURENN_LESSONS_UPDATE_IMAGES=1, which copies what they drew
over the committed files. Same seed, same picture, byte for byte: the lessons' tests fail
on a picture that is not what its block draws now. Blocks that need the purenn-conv plugin
or the book's weights are skipped where those are missing (pytest says why); run this in
tox's env ``lessons`` (``tox -e lessons -- ...`` has them) to draw them all.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def image_blocks(fast):
    """pytest node ids of the lesson blocks that draw a picture."""
    sys.path.insert(0, os.path.join(REPO, "tests"))
    from lessons_runner import parse_lesson

    ids = []
    lessons = os.path.join(REPO, "docs", "lessons")
    for name in sorted(os.listdir(lessons)):
        if not name.endswith(".md"):
            continue
        with open(os.path.join(lessons, name), encoding="utf-8") as f:
            blocks = parse_lesson(f.read())
        for block in blocks:
            if block.directive("image") is None:
                continue
            if fast and block.directive("slow") is not None:
                continue
            ids.append(f"tests/test_lessons.py::test_lesson_block[{name}:{block.line}]")
    return ids


def main(argv):
    fast = "--fast" in argv
    env = dict(os.environ, PURENN_LESSONS_UPDATE_IMAGES="1")
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
               "-m", "not slow" if fast else "slow or not slow", *image_blocks(fast)]
    return subprocess.call(command, cwd=REPO, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
