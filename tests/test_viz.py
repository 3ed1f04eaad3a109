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


class BookTrainer(FakeTrainer):
    """Where a real run stands: 600 updates of 6 epochs, 100 an epoch, 1 done."""

    def __init__(self):
        super().__init__()
        self.updates, self.total_updates, self.epoch, self.total_epochs = 150, 600, 1, 6
        self.train_set, self.test_set, self.batch_size = [0] * 10000, [0] * 2000, 100

    def progress(self):
        return "epoch 2/6", 50, 100


@pytest.mark.parametrize("columns", [200, 80, 60, 40, 24, 10])
def test_the_bar_never_wraps_at_any_width(columns):
    bar = Progress(Tty(), print, interactive=True, unicode=True)
    text = bar.bar_text("epoch 12/100", 345, 600, 0.34125, 0.0123, 3600.0 * 5, columns)
    assert len(text) <= columns - 1
    if columns >= 80:
        assert "ms/update" in text and "loss 0.3412" in text and "|" in text
    assert text.startswith("epoch 12/100"[:columns - 1])


def test_the_terminal_width_is_read_at_each_redraw(monkeypatch):
    stream, now = Tty(), [0.0]
    monkeypatch.setattr("purenn.viz.progress.terminal_columns", lambda s: 50)
    bar = Progress(stream, print, interactive=True, clock=lambda: now[0], interval=0.0)
    trainer = BookTrainer()
    now[0] = 1.0
    trainer.pending = [0.5]
    bar.on_update(trainer, 0.5)
    drawn = stream.getvalue().split("\r")[-1].replace("\x1b[K", "")
    assert 30 < len(drawn) <= 49


def test_eta_counts_the_evaluations_left():
    now = [0.0]
    bar = Progress(Tty(), lambda line: None, interactive=True, clock=lambda: now[0],
                   interval=0.0)
    trainer = BookTrainer()
    # before any evaluation: estimated from the data, 12,000 samples / 100 a batch, a
    # third of an update each: 40 updates' time per evaluation, 5 evaluations left
    assert bar.eta(trainer, 0.01) == pytest.approx(450 * 0.01 + 5 * 40 * 0.01)
    now[0] = 1.0
    bar.on_update(trainer, 1.0)
    now[0] = 3.0   # two seconds of evaluation, then the epoch line
    bar.line("epoch 1")
    assert bar.eta(trainer, 0.01) == pytest.approx(450 * 0.01 + 5 * 2.0)


def test_downloads_get_a_bar_only_on_a_capable_terminal():
    from purenn.viz.progress import DownloadBar, DownloadLines, download_progress

    assert isinstance(download_progress(Tty(), print, {"TERM": "xterm"}), DownloadBar)
    assert isinstance(download_progress(Tty(), print, {"TERM": "dumb"}), DownloadLines)
    assert isinstance(download_progress(io.StringIO(), print, {}), DownloadLines)


def test_the_speed_is_that_of_the_later_half_of_the_updates():
    """A JIT's warm-up: the first 100 updates take 10 ms each, the next 100 take 2 ms;
    the speed shown (and the ETA from it) is the later half's, 2 ms, not the mean 6."""
    stream, now = Tty(), [0.0]
    bar = Progress(stream, lambda line: None, interactive=True, width=10, unicode=False,
                   clock=lambda: now[0], interval=0.0)
    trainer = FakeTrainer()
    trainer.total_updates = 1000
    for step in range(0, 201):
        now[0] = step * 0.010 if step <= 100 else 1.0 + (step - 100) * 0.002
        trainer.updates = step
        trainer.pending = [1.0]
        bar.on_update(trainer, 1.0)
    assert "2.0 ms/update" in stream.getvalue().split("\r")[-1]
    assert bar.per_update(now[0], 200) == pytest.approx(0.002)
    many = Progress(Tty(), lambda line: None, interactive=True, clock=lambda: 0.0)
    for step in range(1, 5001):            # marks stay few, the rate stays right
        assert many.per_update(step * 0.001, step) == pytest.approx(0.001)
    assert len(many.marks) <= 513
