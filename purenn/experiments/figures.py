"""The figures of the experiments, drawn with ``purenn.plot`` as the book draws them."""

import math

from .. import plot
from ..viz.figure import BLACK, MARKERS, PALETTE

# the book's markers for its comparisons: o, x, s, D
RUN_MARKERS = ("disc", "cross", "square", "diamond", "triangle")


def compare(results, *, title="", smooth=True):
    """Two panels: every run's loss per update (smoothed as the book's
    ``smooth_curve``, a marker every 1/20 of the run) and its train (solid) and test
    (dashed) accuracy per evaluation, one color per run."""
    fig = plot.Figure(cols=2, title=title, panel_size=(480, 360))
    loss = fig.panel("training loss" + (" (smoothed)" if smooth else ""), "iterations",
                     "loss")
    acc = fig.panel("accuracy", "epochs", "accuracy", ylim=(0.0, 1.0), legend="lower right")
    top = 0.0
    for n, r in enumerate(results):
        color = PALETTE[n % len(PALETTE)]
        values = [v for v in r.history["iteration_loss"] if math.isfinite(v)]
        shown = plot.smooth(values) if smooth else values
        top = max(top, max(shown, default=0.0))
        loss.line(range(len(shown)), shown, label=r.label, color=color, width=1,
                  marker=RUN_MARKERS[n % len(RUN_MARKERS)],
                  markevery=max(1, len(shown) // 20))
        h = r.history
        acc.line(list(h["epoch"]), h["train_acc"], color=color,
                 marker=RUN_MARKERS[n % len(RUN_MARKERS)],
                 markevery=max(1, len(h["epoch"]) // 10))
        if any(math.isfinite(v) for v in h["test_acc"]):
            acc.line(list(h["epoch"]), h["test_acc"], color=color, dash="--")
    loss.ylim = (0.0, top * 1.05 or 1.0)
    acc.line([], [], label="train", color=BLACK)
    acc.line([], [], label="test", color=BLACK, dash="--")
    return fig


def best_curves(results, count=20, cols=5, *, what="validation"):
    """The book's hyperparameter figure: one small panel per trial, best first, its
    ``what`` accuracy solid and its train accuracy dashed, from 0 to 1."""
    shown = results[:count]
    fig = plot.Figure(cols=min(cols, max(1, len(shown))), panel_size=(200, 160),
                      title=f"best {len(shown)} of {len(results)} trials: {what} "
                            f"(solid) and train (dashed) accuracy")
    for n, r in enumerate(shown):
        h = r.history
        p = fig.panel(f"Best-{n + 1}  {r.test_acc:.3f}", ylim=(0.0, 1.0), legend=None,
                      yticks=n % cols == 0)
        p.line(list(h["epoch"]), h["test_acc"], color=PALETTE[0], width=1)
        p.line(list(h["epoch"]), h["train_acc"], color=PALETTE[1], width=1, dash="--")
    return fig


__all__ = ["compare", "best_curves", "MARKERS"]
