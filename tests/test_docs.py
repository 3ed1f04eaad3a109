"""The README is a short front door and every page it and docs/ link to exists."""
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(REPO, "README.md")
DOCS = os.path.join(REPO, "docs")

pytestmark = pytest.mark.skipif(not os.path.exists(README),
                                reason="needs the repository's README.md and docs/")


def _pages():
    pages = [README]
    for folder, _, files in os.walk(DOCS):
        pages += [os.path.join(folder, f) for f in sorted(files) if f.endswith(".md")]
    return pages


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_the_readme_is_a_front_door_of_at_most_300_lines():
    assert len(_read(README).splitlines()) <= 300


def test_the_readme_links_every_reference_page():
    readme = _read(README)
    for name in sorted(os.listdir(DOCS)):
        if name.endswith(".md"):
            assert f"(docs/{name})" in readme, f"README.md does not link docs/{name}"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: os.path.relpath(p, REPO))
def test_every_local_link_and_picture_exists(page):
    for target in re.findall(r"\]\(([^)\s]+)\)", _read(page)):
        if "://" in target or target.startswith(("#", "mailto:")):
            continue
        file = os.path.normpath(os.path.join(os.path.dirname(page), target.split("#")[0]))
        assert os.path.exists(file), f"{os.path.relpath(page, REPO)}: broken link {target}"


def test_the_readmes_python_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", _read(README), flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    accuracy = float(capsys.readouterr().out.split()[-1])
    assert 0.0 <= accuracy <= 1.0
