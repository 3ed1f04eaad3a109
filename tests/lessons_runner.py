"""Run the lessons of docs/lessons like doctest runs docstrings, and compare what they show
with what purenn prints.

A lesson is Markdown. Its fenced blocks are run in order, in one working folder per lesson
(empty at the start, as the root of a fresh clone holds nothing the lessons use) and one
Python namespace per lesson:

- ```console: lines starting ``$ `` are commands (``python3 -m purenn ...`` or ``python
  FILE``, a trailing `` \\`` continues a line; no shell: no pipes, no redirection), the lines
  after each are what it prints, stdout and stderr together as on a terminal. A command
  must exit 0 unless the block's directive says ``exit N``.
- ```python with ``>>>`` prompts: a doctest; without prompts: run as a script, and a
  following ```output block is what it prints.
- ```output: the expected output of the block before it.
- any other block (```text, ```ini, ...) is prose, unless a ``file`` directive names it.

Expected output matches produced output when, line by line (trailing spaces and blank
lines at the end ignored):
- ``...`` stands for any text, also across lines (doctest's ELLIPSIS): timings, paths;
- a run of spaces matches any run of spaces (columns may shift with wider numbers), or a
  line break followed by indentation: a line wider than 80 columns (a long path in it)
  is wrapped there, as purenn wraps every line to the terminal's width;
- every number is compared to the digits shown: ``0.9352`` matches 0.93524 and 0.93515,
  ``2.3e-07`` matches 2.26e-07, ``[6.0, 8.0]`` matches [6.00000000000378, 7.999999999999119];
  an integer shown matches only that integer.

Directives are HTML comments on the line(s) just before a block, invisible on GitHub:

    <!-- lesson: slow -->             run only with ``pytest -m slow`` (say how long in prose)
    <!-- lesson: requires command:compare -->
                                      skip, with the reason, unless purenn has the command
                                      ``compare``; also ``module:purenn.plot`` (a module),
                                      ``conv`` (the purenn-conv plugin installed) and
                                      ``mnist`` (the full MNIST files) and
                                      ``file:NAME`` (one of the book's weight files,
                                      copied into the lesson's folder)
    <!-- lesson: file my_layer.py --> write the block's text to this file, run nothing
    <!-- lesson: skip REASON -->      never run (say why: it installs a package, say); use
                                      it for what a test must not do, nothing else
    <!-- lesson: exit 1 -->           the command(s) must exit with this code
    <!-- lesson: image curves.png docs/lessons/img/ch05-curves.png -->
                                      the block writes curves.png (checked to be a PNG), byte
                                      for byte the committed picture (same seed, same
                                      picture: a stale one fails); with
                                      PURENN_LESSONS_UPDATE_IMAGES=1 it is copied over the
                                      committed picture (docs/lessons/img/make.py does that
                                      for every picture)

``mnist`` blocks see the full MNIST files as purenn's cache (``PURENN_DATA``), where
``python3 -m purenn fetch mnist`` would have put them; the others see an empty cache, so
they use the subset bundled with purenn.
"""

import contextlib
import doctest
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
DIRECTIVE = re.compile(r"<!--\s*lesson:\s*(.*?)\s*-->")
NUMBER = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
# a number standing alone: not part of a name such as dense1 or W1, nor of a version 3.11.7
NUMBER_TOKEN = re.compile(rf"(?<![\w.]){NUMBER}(?![\w]|\.\d)")
ELLIPSIS = "..."
MAKE_IMAGES = "docs/lessons/img/make.py"


@dataclass
class Block:
    kind: str                 # console, python, output, or another info string
    text: str
    line: int                 # 1-based line of the opening fence
    directives: list = field(default_factory=list)
    expected: str = None      # for a python script block: the following output block

    def directive(self, name):
        for words in self.directives:
            if words and words[0] == name:
                return words[1:]
        return None

    @property
    def runnable(self):
        """Whether the runner does something with the block."""
        return self.kind in ("console", "python") or self.directive("file") is not None


def parse_lesson(text):
    """The blocks of a lesson, each with the directives written just before it."""
    blocks = []
    end = 0
    for match in FENCE.finditer(text):
        between = text[end:match.start()]
        # directives count when only blank lines separate them from the fence
        tail = between.rstrip()
        directives = []
        while True:
            found = list(DIRECTIVE.finditer(tail))
            if not found or tail[found[-1].end():].strip():
                break
            directives.insert(0, found[-1].group(1).split())
            tail = tail[:found[-1].start()].rstrip()
        line = text.count("\n", 0, match.start()) + 1
        block = Block(match.group(1) or "text", match.group(2), line, directives)
        if block.kind == "output" and blocks and blocks[-1].kind == "python":
            blocks[-1].expected = block.text
        else:
            blocks.append(block)
        end = match.end()
    return blocks


# -- comparing output --------------------------------------------------------------------
def _decimals_unit(shown):
    """Half a unit in the last digit shown: 0.9352 -> 0.00005, 2.3e-07 -> 0.05e-07."""
    mantissa, _, exponent = shown.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def numbers_agree(shown, got):
    if not re.search(r"[.eE]", shown):
        return re.fullmatch(r"[-+]?\d+", got) is not None and int(shown) == int(got)
    value, target = float(got), float(shown)
    return abs(value - target) <= _decimals_unit(shown) * (1 + 1e-9) + 1e-300


def _normalize(text):
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def _pattern(expected):
    """A regex for the expected text, and the numbers shown in it, in order."""
    parts, shown = [], []
    for piece_index, piece in enumerate(expected.split(ELLIPSIS)):
        if piece_index:
            parts.append(r"[\s\S]*?")
        pos = 0
        for match in NUMBER_TOKEN.finditer(piece):
            parts.append(_literal(piece[pos:match.start()]))
            parts.append(rf"({NUMBER}|nan|inf|-inf)")
            shown.append(match.group())
            pos = match.end()
        parts.append(_literal(piece[pos:]))
    return "".join(parts), shown


def _literal(text):
    return "".join(SPACES if chunk.isspace() and "\n" not in chunk else re.escape(chunk)
                   for chunk in re.split(r"([ \t]+)", text) if chunk)


# a run of spaces, or the place where purenn wrapped a line wider than the terminal (80
# columns here): a new line whose rest is indented
SPACES = r"(?:[ \t]+|[ \t]*\n[ \t]+)"


def output_matches(expected, got):
    """True when ``got`` is what ``expected`` shows (see the module docstring)."""
    expected, got = _normalize(expected), _normalize(got)
    pattern, shown = _pattern(expected)
    # every way the ellipses can split the text is tried, as doctest does
    for match in _all_matches(pattern, got):
        if all(numbers_agree(s, g) for s, g in zip(shown, match.groups())):
            return True
    return False


def _all_matches(pattern, got):
    match = re.fullmatch(pattern, got)
    if match:
        yield match
        if r"[\s\S]*?" in pattern:
            # a greedy reading too: ``...`` then a number can be read more than one way
            greedy = re.fullmatch(pattern.replace(r"[\s\S]*?", r"[\s\S]*"), got)
            if greedy:
                yield greedy


class Checker(doctest.OutputChecker):
    def check_output(self, want, got, optionflags):
        return output_matches(want, got)


# -- running -----------------------------------------------------------------------------
class LessonFailure(AssertionError):
    pass


class LessonRun:
    """The working folder and Python namespace of one lesson, blocks run in order."""

    def __init__(self, path, workdir, *, package_parent, empty_cache, mnist_cache=None,
                 update_images_to=None, images_from=None):
        self.path = path
        self.name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            self.blocks = parse_lesson(f.read())
        self.workdir = workdir
        self.package_parent = package_parent
        self.empty_cache = empty_cache
        self.mnist_cache = mnist_cache
        self.update_images_to = update_images_to
        self.images_from = images_from
        self.namespace = {"__name__": "__lesson__"}
        self.done = set()

    def where(self, block):
        return f"{self.name}:{block.line}"

    def env(self, block):
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        # purenn first; whatever else the tests were given (a plugin's folder) after it
        rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join([self.package_parent, *rest])
        env["COLUMNS"] = "80"
        wants_mnist = "mnist" in (block.directive("requires") or [])
        env["PURENN_DATA"] = self.mnist_cache if wants_mnist else self.empty_cache
        return env

    def run(self, index):
        """Run block ``index`` (once: a block that failed is not retried by later ones)."""
        block = self.blocks[index]
        self.done.add(index)
        if block.directive("file") is not None:
            self._write_file(block)
        elif block.kind == "console":
            self._run_console(block)
        elif block.kind == "python":
            self._run_python(block)
        images = block.directive("image")
        if images is not None:
            self._check_image(block, *images)

    def _write_file(self, block):
        (name,) = block.directive("file")
        target = os.path.join(self.workdir, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write(block.text)

    def _commands(self, block):
        """(command line, expected output) pairs of a console block."""
        pairs, command, output = [], None, []
        lines = block.text.split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("$ "):
                if command is not None:
                    pairs.append((command, "\n".join(output)))
                command, output = line[2:], []
                while command.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    command = command[:-1].rstrip() + " " + lines[i].strip()
            elif command is not None:
                output.append(line)
            i += 1
        if command is not None:
            pairs.append((command, "\n".join(output)))
        return pairs

    def _run_console(self, block):
        expected_code = int((block.directive("exit") or ["0"])[0])
        for command, expected in self._commands(block):
            words = shlex.split(command)
            if not words or words[0] not in ("python", "python3"):
                raise LessonFailure(f"{self.where(block)}: a command must start with "
                                    f"'python', got {command!r}")
            if any(word in ("|", ">", "<", "&&", ";") for word in words):
                raise LessonFailure(f"{self.where(block)}: no shell in lessons: {command!r}")
            done = subprocess.run([sys.executable, *words[1:]], cwd=self.workdir,
                                  env=self.env(block), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=3600,
                                  stdin=subprocess.DEVNULL)
            if done.returncode != expected_code:
                raise LessonFailure(f"{self.where(block)}: `{command}` exited with "
                                    f"{done.returncode}, not {expected_code}; it printed:\n"
                                    f"{done.stdout}")
            if not output_matches(expected, done.stdout):
                raise LessonFailure(f"{self.where(block)}: `{command}` printed\n"
                                    f"{_indent(done.stdout)}\nbut the lesson shows\n"
                                    f"{_indent(expected)}")

    @contextlib.contextmanager
    def _inside(self, block):
        saved_cwd, saved_cache = os.getcwd(), os.environ.get("PURENN_DATA")
        os.chdir(self.workdir)
        os.environ["PURENN_DATA"] = self.env(block)["PURENN_DATA"]
        sys.path.insert(0, self.workdir)  # as `python` started there: its files import
        try:
            yield
        finally:
            sys.path.remove(self.workdir)
            os.chdir(saved_cwd)
            if saved_cache is None:
                os.environ.pop("PURENN_DATA", None)
            else:
                os.environ["PURENN_DATA"] = saved_cache

    def _run_python(self, block):
        with self._inside(block):
            if ">>>" in block.text:
                self._run_doctest(block)
            else:
                self._run_script(block)

    def _run_doctest(self, block):
        test = doctest.DocTestParser().get_doctest(
            block.text, self.namespace, self.name, self.path, block.line)
        report = io.StringIO()
        runner = doctest.DocTestRunner(checker=Checker(), optionflags=doctest.ELLIPSIS)
        try:
            runner.run(test, out=report.write, clear_globs=False)
        finally:
            self.namespace.update(test.globs)  # DocTest ran on a copy of the namespace
        if runner.failures:
            raise LessonFailure(f"{self.where(block)}: the Python block's output differs:\n"
                                f"{report.getvalue()}")

    def _run_script(self, block):
        out = io.StringIO()
        code = compile(block.text, f"{self.name}:{block.line}", "exec")
        with contextlib.redirect_stdout(out):
            exec(code, self.namespace)
        if block.expected is not None and not output_matches(block.expected, out.getvalue()):
            raise LessonFailure(f"{self.where(block)}: the Python block printed\n"
                                f"{_indent(out.getvalue())}\nbut the lesson shows\n"
                                f"{_indent(block.expected)}")

    def _check_image(self, block, produced, committed=None):
        path = os.path.join(self.workdir, produced)
        if not os.path.isfile(path):
            raise LessonFailure(f"{self.where(block)}: the block should write {produced}")
        with open(path, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                raise LessonFailure(f"{self.where(block)}: {produced} is not a PNG")
        if committed and self.update_images_to:
            target = os.path.join(self.update_images_to, committed)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(path, target)
        elif committed and self.images_from:
            with open(path, "rb") as f:
                drawn = f.read()
            shown = os.path.join(self.images_from, committed)
            if not os.path.isfile(shown):
                raise LessonFailure(f"{self.where(block)}: {committed} is missing; draw it "
                                    f"with 'python3 {MAKE_IMAGES}'")
            with open(shown, "rb") as f:
                if f.read() != drawn:
                    raise LessonFailure(
                        f"{self.where(block)}: {committed} is stale: the block draws "
                        f"another picture; draw it again with 'python3 {MAKE_IMAGES}'")


def _indent(text):
    return "\n".join("    " + line for line in text.rstrip("\n").split("\n"))
