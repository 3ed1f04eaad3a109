"""Digits and bars drawn in a terminal.

On a color terminal a digit is drawn with the Unicode upper half block ``▀``: each
character shows two pixels, the upper one as its foreground and the lower one as its
background color, taken from the 24 grays of the 256-color palette (codes 232-255), so a
28x28 image takes 14 lines of 28 characters. Otherwise (output not a terminal, ``TERM``
dumb, or ``NO_COLOR`` set to anything non-empty, see no-color.org) it is drawn with the
ASCII ramp `` .:-=+*#%@``, one character per pair of rows, in the same 14 x 28.
"""

import os
import re

RAMP = " .:-=+*#%@"
HALF_BLOCK = "▀"
EIGHTHS = " ▏▎▍▌▋▊▉█"
RESET = "\x1b[0m"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def use_color(stream, environ=None):
    """True when ``stream`` is a terminal that may be given colors."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def gray_code(value):
    """The 256-color palette code of a gray level in [0, 1] (232 dark .. 255 light)."""
    return 232 + round(23 * min(1.0, max(0.0, value)))


def digit_lines(values, rows=28, cols=28, color=False):
    """Lines of text drawing a gray image (``values`` in [0, 1], rows top to bottom)."""
    def at(r, c):
        return values[r * cols + c] if r < rows else 0.0

    lines = []
    for r in range(0, rows, 2):
        if color:
            parts, last = [], None
            for c in range(cols):
                pair = (gray_code(at(r, c)), gray_code(at(r + 1, c)))
                if pair != last:
                    parts.append(f"\x1b[38;5;{pair[0]}m\x1b[48;5;{pair[1]}m")
                    last = pair
                parts.append(HALF_BLOCK)
            lines.append("".join(parts) + RESET)
        else:
            top = len(RAMP) - 1
            lines.append("".join(
                RAMP[round(top * min(1.0, max(0.0, (at(r, c) + at(r + 1, c)) / 2)))]
                for c in range(cols)))
    return lines


def bar(fraction, width, unicode=False):
    """A horizontal bar ``width`` characters wide, filled to ``fraction``; in eighths of a
    character with Unicode blocks, else with '#'."""
    fraction = min(1.0, max(0.0, fraction))
    if not unicode:
        filled = round(fraction * width)
        return "#" * filled + " " * (width - filled)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[part] if part else "")
    return text + " " * (width - len(text))


def probability_lines(probabilities, width=30, color=False, labels=None):
    """One line per class: its label, a bar and the probability; the most likely class
    is marked with '<' (and drawn bold on a color terminal)."""
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    lines = []
    for k, p in enumerate(probabilities):
        label = labels[k] if labels else str(k)
        text = f"{label:>3} {bar(p, width, unicode=color)} {p:7.4f}"
        if k == best:
            text = f"\x1b[1m{text} <{RESET}" if color else f"{text} <"
        lines.append(text)
    return lines


def visible_len(text):
    """Length of ``text`` on screen: without its ANSI escape sequences."""
    return len(ANSI.sub("", text))


def side_by_side(blocks, gap=2):
    """Lines that put blocks of lines next to each other, each block padded to its
    widest line, separated by ``gap`` spaces."""
    widths = [max((visible_len(line) for line in b), default=0) for b in blocks]
    out = []
    for i in range(max((len(b) for b in blocks), default=0)):
        parts = []
        for block, width in zip(blocks, widths):
            line = block[i] if i < len(block) else ""
            parts.append(line + " " * (width - visible_len(line)))
        out.append((" " * gap).join(parts).rstrip())
    return out


# 256-color codes near matplotlib's tab10, for points drawn as class digits
CLASS_COLORS = (32, 208, 34, 160, 98, 94, 176, 244, 142, 44)


def scatter_lines(points, labels, width=60, height=25, color=False):
    """Lines drawing 2-D ``points`` as the digit of their class (the most frequent class
    when several share a character cell), in ``width`` x ``height`` characters, y up."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    xlo, xhi, ylo, yhi = min(xs), max(xs), min(ys), max(ys)
    cells = {}
    for x, y, label in zip(xs, ys, labels):
        col = min(width - 1, int((x - xlo) / ((xhi - xlo) or 1) * width))
        row = min(height - 1, int((yhi - y) / ((yhi - ylo) or 1) * height))
        counts = cells.setdefault((row, col), {})
        counts[label] = counts.get(label, 0) + 1
    lines = []
    for row in range(height):
        parts = []
        for col in range(width):
            counts = cells.get((row, col))
            if not counts:
                parts.append(" ")
                continue
            label = max(sorted(counts), key=counts.__getitem__)
            char = str(label)[-1]
            parts.append(f"\x1b[38;5;{CLASS_COLORS[label % 10]}m{char}{RESET}" if color
                         else char)
        lines.append("".join(parts).rstrip())
    return lines
