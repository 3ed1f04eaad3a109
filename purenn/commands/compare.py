"""``purenn compare``: several trainings side by side, differing only in what is named."""

import argparse
import math
import os
import textwrap

from ..errors import PurennError
from . import experiment_args as common_args
from .args import COUNT, PATH, Append, Text, check_budget, limits

EXAMPLES = """\
examples (the book's chapter 6; docs/experiments.md):
  python3 -m purenn compare --spec ch6_multilayer \\
      --set optimizer=sgd,momentum,adagrad,adam --iterations 2000 \\
      --batch-size 128 --eval-size 1000 --loss after-update --data DIR \\
      --plot optimizers.png --ylim 0:1
  python3 -m purenn compare --spec ch6_multilayer \\
      --set dense.init=normal,xavier,he --iterations 2000 --batch-size 128 \\
      --eval-size 1000 --loss after-update --data DIR --plot init.png
  python3 -m purenn compare --spec ch6_overfit --set weight_decay=0,0.1 \\
      --train-size 300 --iterations 601 --eval-size 1000 --data DIR --plot w.png
  python3 -m purenn compare --spec a.net --spec b.net --epochs 3 --jobs 2
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "compare", parents=[common],
        help="train several networks or settings side by side and draw their curves",
        description=textwrap.fill(
            "Train several runs on the same data, seed and schedule, differing "
            "in what you name: whole specs (--spec, repeated) or settings swept "
            "over values (--set, each combination one run). Prints a table "
            "(end loss, train and test accuracy, time) and draws every run's "
            "curves in one figure. A run whose loss diverges is marked and goes "
            "on, as the book's do. Ctrl-C stops and keeps the finished runs.", 79),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", type=Text(), action=Append, max_items=100, default=[], metavar="SPEC",
                   help="a spec file or shipped spec; repeat to compare specs (default: "
                        "two_layer, spiral_net for spiral, planar_net for circles, moons, xor)")
    p.add_argument("--set", type=Text(), action=Append, max_items=10, default=[],
                   metavar="KEY=V1,V2",
                   help="a setting swept over values: optimizer=sgd,adam, lr=0.1,0.01, "
                        "dense.init=normal,xavier,he, loss.weight_decay=0,0.1, "
                        "dropout.ratio=0,0.2; several --set give every combination")
    p.add_argument("--label", type=Text(200), action=Append, max_items=1000, default=[],
                   metavar="TEXT",
                   help="names of the runs in the table and legend, in order (default: "
                        "the spec and the settings that differ: std=0.01, adam)")
    common_args.add_data_options(p)
    p.add_argument("--test-size", type=COUNT, metavar="N",
                   help="use only the first N test samples")
    common_args.add_schedule_options(p, epochs_default=5)
    p.add_argument("--plot", type=PATH, metavar="FILE",
                   help="draw the runs' loss and accuracy curves to a .png or .svg file")
    p.add_argument("--loss", choices=("before-update", "after-update"),
                   default="before-update",
                   help="the loss recorded and drawn for each update: the batch's loss in "
                        "the forward pass that made the gradient (default), or the same "
                        "batch's loss again after the update, as the book's chapter 6 "
                        "scripts and Trainer record it (one more forward pass per update)")
    p.add_argument("--ylim", type=limits, metavar="LO:HI",
                   help="the loss panel's range, such as 0:1 (the book's optimizer figure); "
                        "default: from 0 to where every run's last loss shows clearly")
    p.add_argument("--no-smooth", action="store_true",
                   help="draw the loss of every update as it is (default: smoothed as the "
                        "book's smooth_curve)")


def make_runs(specs, sets, labels):
    """(runs, shared): the runs of the command line, every spec with every combination
    of settings, each labelled by what sets it apart (``settings.short_labels``), and
    the label of the settings they all share."""
    from ..experiments import runner, settings
    from ..spec import read as read_spec

    assignments = [settings.parse_assignment(text) for text in sets]
    check_budget("runs", len(specs) * settings.combinations(assignments),
                 f"{len(specs)} spec(s) x the combinations of {len(sets)} --set",
                 "compare fewer values at a time")
    combos = settings.sweep(assignments)
    shorts, shared = settings.short_labels(combos)
    runs = []
    for ref in specs:
        text, source = read_spec(ref)
        name = os.path.basename(source)
        name = name[:-4] if name.endswith(".net") else name
        for combo, short in zip(combos, shorts):
            edited = settings.apply_settings(text, combo, source)
            parts = ([name] if len(specs) > 1 or not short else []) + (
                [short] if short else [])
            runs.append(runner.Run(": ".join(parts), edited, combo))
    if labels:
        if len(labels) != len(runs):
            raise PurennError(f"--label was given {len(labels)} times for {len(runs)} runs")
        for run, text in zip(runs, labels):
            run.label = text
    seen = {}
    for run in runs:
        seen[run.label] = seen.get(run.label, 0) + 1
    if any(count > 1 for count in seen.values()):
        for n, run in enumerate(runs, 1):
            run.label = f"{n}: {run.label}"
    return runs, shared


def run(args, out):
    from ..experiments import figures, runner

    common_args.check_picture(args.plot)
    specs = args.spec or [common_args.default_spec(args.dataset)]
    runs, shared = make_runs(specs, args.set, args.label)
    if len(runs) < 2:
        raise PurennError("compare needs two runs or more: repeat --spec, or give --set "
                          "KEY=V1,V2 with several values")
    schedule = common_args.schedule(args, 5)
    after = schedule.loss_after_update = args.loss == "after-update"
    train_set, test_set, description = common_args.load(args)
    if args.test_size is not None:
        if args.test_size < 1:
            raise PurennError(f"--test-size must be at least 1, got {args.test_size}")
        test_set = test_set.head(min(args.test_size, len(test_set)))
    runner.check_runs(runs, train_set)
    for line in textwrap.wrap(f"data: {description}: {len(train_set)} training, "
                              f"{len(test_set)} test samples", common_args.COLUMNS):
        out(line)
    out(f"{len(runs)} runs: {common_args.schedule_line(schedule, args.jobs)}")
    if shared:
        for line in textwrap.wrap(f"every run: {shared}", common_args.COLUMNS):
            out(line)

    def describe(result):
        diverged = ("" if result.diverged_at is None
                    else f" (diverged at update {result.diverged_at})")
        curve = figures.loss_curve(result.history["iteration_loss"], not args.no_smooth,
                                   result.diverged_at)
        end = curve[-1] if curve and result.diverged_at is None else math.nan
        return (f"{result.label}{diverged}:", f"end loss {end:.4f}  train acc "
                f"{result.train_acc:.4f}  test acc {result.test_acc:.4f}  "
                f"({result.seconds:.1f} s)")

    results, code = common_args.train_all(runs, train_set, test_set, schedule, args.jobs,
                                          out, describe)
    if not results:
        return code
    for line in common_args.table(results, smooth=not args.no_smooth, after_update=after,
                                  eval_size=args.eval_size):
        out(line)
    if args.plot:
        title = f"every run: {shared}" if shared else ""
        figures.compare(results, smooth=not args.no_smooth, ylim=args.ylim, title=title,
                        loss_label=figures.loss_label(after)).save(args.plot)
        out(f"curves written to {args.plot}")
    return code
