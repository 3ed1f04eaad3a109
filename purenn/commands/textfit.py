"""Text that fits the terminal: every line purenn prints is at most as wide as the
terminal (80 columns when it is unknown: a pipe, a file, a test's capture).

- ``width()``: the columns to fit;
- ``HelpFormatter``: argparse help whose descriptions and examples wrap at word
  boundaries (an example's comment moves under its command when both do not fit);
- ``fill(text, indent)``: one paragraph, wrapped, continuation lines indented;
- ``table(rows)``: columns padded to line up, the ``wrap`` column's cells wrapped onto
  continuation lines when the row would not fit.
"""

import argparse
import re
import shutil
import textwrap

DEFAULT_COLUMNS = 80
MIN_COLUMNS = 40


def width():
    """The terminal's columns (``COLUMNS`` when set), 80 when unknown, at least 40."""
    return max(MIN_COLUMNS, shutil.get_terminal_size((DEFAULT_COLUMNS, 24)).columns)


def fill(text, indent="", first="", columns=None):
    """``text`` wrapped to ``columns`` (default ``width()``) at spaces: the first line
    starts with ``first``, the others with ``indent``. Words are never broken."""
    return textwrap.fill(text, width=columns or width(), initial_indent=first,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def fitting(out):
    """``out`` (a command's line printer) with each line wider than the terminal wrapped
    at its spaces, the continuation lines indented by two. Lines that fit, and lines
    with terminal escapes (drawings), go through as they are."""
    def fitted(line):
        line = str(line)
        if "\x1b" in line or all(len(part) <= width() for part in line.split("\n")):
            out(line)
            return
        out("\n".join(fill(part, "  ") if len(part) > width() else part
                       for part in line.split("\n")))
    return fitted


def wrap_cell(text, columns):
    """``text`` cut into pieces of at most ``columns`` characters, at spaces or after
    '.', ':', '/', ',' where it can (a long name splits at its dots)."""
    pieces = []
    while len(text) > columns:
        cut = max((m.end() for m in re.finditer(r"[ .:/,_-]", text[:columns + 1])
                   if m.end() > columns // 3), default=columns)
        cut = min(cut, columns)
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text]


def table(rows, wrap=None, indent="", gap="  ", columns=None):
    """Lines of ``rows`` (sequences of cells) in padded columns. When the widest line is
    wider than ``columns`` (default ``width()``), the cells of column ``wrap`` are wrapped
    onto continuation lines so that it fits (as narrow as 8 characters)."""
    return [line for block in table_blocks(rows, wrap, indent, gap, columns)
            for line in block]


def table_blocks(rows, wrap=None, indent="", gap="  ", columns=None):
    """``table``'s lines grouped by row: one list of lines (one, or more when the row's
    ``wrap`` cell was wrapped) per row."""
    rows = [[str(cell) for cell in row] for row in rows]
    if not rows:
        return []
    count = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(count)]
    limit = (columns or width()) - len(indent)
    total = sum(widths) + len(gap) * (count - 1)
    if wrap is not None and total > limit:
        widths[wrap] = max(8, widths[wrap] - (total - limit))
    blocks = []
    for row in rows:
        cells = [wrap_cell(cell, widths[i]) if i == wrap else [cell]
                 for i, cell in enumerate(row)]
        blocks.append([(indent + gap.join((c[k] if k < len(c) else "").ljust(w)
                                          for c, w in zip(cells, widths))).rstrip()
                       for k in range(max(len(c) for c in cells))])
    return blocks


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help that fits the terminal. Descriptions and epilogs are written as paragraphs
    (lines starting at column 0, refilled) and examples (indented lines, kept as written
    when they fit; an example ``command   comment`` too wide for one line puts its comment
    on the next line, further indented)."""

    def __init__(self, prog, **kwargs):
        kwargs.setdefault("width", width() - 1)
        super().__init__(prog, **kwargs)

    def _fill_text(self, text, width, indent):
        lines, paragraph = [], []

        def flush():
            if paragraph:
                lines.append(fill(" ".join(paragraph), indent, indent, width))
                paragraph.clear()

        for line in text.splitlines():
            if line and not line[0].isspace():
                if line.rstrip().endswith(":"):  # a heading such as 'examples:'
                    flush()
                paragraph.append(line.strip())
                if line.rstrip().endswith(":"):
                    flush()
                continue
            flush()
            lines.extend(self._example(indent + line.rstrip(), width))
        flush()
        return "\n".join(lines) + ("\n" if text.endswith("\n") else "")

    @staticmethod
    def _example(line, width):
        if len(line) <= width:
            return [line]
        lead = line[:len(line) - len(line.lstrip())]
        command, _, comment = line.strip().partition("   ")
        # a command cut over lines keeps working when pasted: each line but the last
        # ends in a backslash
        pieces = fill(command, lead + "    ", lead, width - 2).splitlines()
        out = [piece + " \\" for piece in pieces[:-1]] + pieces[-1:]
        if comment.strip():
            out.append(fill(comment.strip(), lead + "    ", lead + "    ", width))
        return out

    # an option with many choices shows a short metavar (--dataset DATASET) in the usage
    # and the list of choices in its help, so that no usage line is a single long word
    def _metavar_formatter(self, action, default_metavar):
        if action.metavar is None and self._long_choices(action):
            name = action.dest.upper()
            return lambda size: (name,) * size
        return super()._metavar_formatter(action, default_metavar)

    def _get_help_string(self, action):
        text = super()._get_help_string(action) or ""
        if action.metavar is None and self._long_choices(action) \
                and "%(choices)" not in text:
            text = (text + " " if text else "") + "(one of: %(choices)s)"
        return text

    @staticmethod
    def _long_choices(action):
        choices = action.choices
        return bool(choices) and len(",".join(map(str, choices))) > 24
