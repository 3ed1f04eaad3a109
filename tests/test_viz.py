"""Terminal pictures (half blocks with colors, ASCII otherwise, NO_COLOR) and the
training progress bar."""

import io

import pytest

from purenn.viz import terminal
from purenn.viz.progress import Progress, format_duration, is_terminal


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_use_color_needs_a_terminal_and_respects_no_color():
    assert terminal.use_color(Tty(), {"TERM": "xterm-256color"})
    assert not terminal.use_color(io.StringIO(), {"TERM": "xterm-256color"})
    assert not terminal.use_color(Tty(), {"TERM": "xterm", "NO_COLOR": "1"})
    assert terminal.use_color(Tty(), {"TERM": "xterm", "NO_COLOR": ""})
    assert not terminal.use_color(Tty(), {"TERM": "dumb"})
    assert is_terminal(Tty(), {}) and not is_terminal(Tty(), {"TERM": "dumb"})


def test_half_blocks_carry_two_pixels_per_character():
    values = [0.0, 1.0,
              1.0, 0.0]
    lines = terminal.digit_lines(values, rows=2, cols=2, color=True)
    assert lines == ["\x1b[38;5;232m\x1b[48;5;255m▀\x1b[38;5;255m\x1b[48;5;232m▀\x1b[0m"]


def test_ascii_ramp_averages_row_pairs():
    values = [0.0, 1.0, 0.5,
              0.0, 1.0, 0.0,
              1.0, 1.0, 1.0]
    lines = terminal.digit_lines(values, rows=3, cols=3, color=False)
    assert lines == [" @:", "==="]


def test_probability_bars_mark_the_most_likely_class():
    lines = terminal.probability_lines([0.25, 0.75], width=8)
    assert lines == ["  0 ##        0.2500", "  1 ######    0.7500 <"]
    lines = terminal.probability_lines([0.25, 0.75], width=8, color=True)
    assert lines[0] == "  0 ██        0.2500"
    assert lines[1] == "\x1b[1m  1 ██████    0.7500 <\x1b[0m"
    assert terminal.bar(0.3, 4, unicode=True) == "█▎  "


def test_side_by_side_pads_by_visible_width():
    a = ["\x1b[1mab\x1b[0m", "c"]
    assert terminal.side_by_side([a, ["x", "y", "z"]], gap=1) == [
        "\x1b[1mab\x1b[0m x", "c  y", "   z"]


class FakeTrainer:
    def __init__(self):
        self.updates, self.pending, self.total_updates = 0, [], 10

    def progress(self):
        return "epoch 1/2", self.updates, 5


def test_progress_bar_draws_loss_speed_and_eta():
    stream, lines, now = Tty(), [], [0.0]
    bar = Progress(stream, lines.append, interactive=True, width=10, unicode=False,
                   clock=lambda: now[0], interval=0.0)
    trainer = FakeTrainer()
    for step in range(1, 3):
        now[0] = step * 0.5
        trainer.updates = step
        trainer.pending.append(2.0 / step)
        bar.on_update(trainer, trainer.pending[-1])
    assert stream.getvalue().split("\r")[2] == (
        "epoch 1/2 |####      | 2/5  loss 1.5000  500.0 ms/update  ETA 0:04\x1b[K")
    bar.line("epoch   1/2  loss 1.5000")
    assert stream.getvalue().endswith("\r\x1b[K")
    assert lines == ["epoch   1/2  loss 1.5000"]


def test_progress_is_silent_off_a_terminal():
    stream, lines = io.StringIO(), []
    bar = Progress(stream, lines.append, interactive=False)
    bar.on_update(FakeTrainer(), 1.0)
    bar.line("epoch 1")
    bar.close()
    assert stream.getvalue() == "" and lines == ["epoch 1"]


@pytest.mark.parametrize("seconds, text", [(41, "0:41"), (725, "12:05"), (3723, "1:02:03"),
                                           (float("inf"), "?")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
